"""The WSGI entry point fails closed: a gunicorn started without DJANGO_SETTINGS_MODULE serves the
production settings, never DEBUG with the public development key.

No __init__.py in this folder on purpose: a package named `portal` here would shadow the project."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW_SETTINGS = "import portal.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"


def run_wsgi(**env):
    """`import portal.wsgi` in a fresh interpreter, with `env` over an environment that names no settings
    module and no secret key (pytest-django sets the former in this process)."""
    base = {key: value for key, value in os.environ.items() if key not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_wsgi_without_a_settings_module_or_secret_key_refuses_to_start():
    result = run_wsgi()
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_wsgi_without_a_settings_module_serves_production_without_debug():
    result = run_wsgi(SECRET_KEY=secrets.token_urlsafe(60), ALLOWED_HOSTS="seatkeeper.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["portal.settings_production", "False"]


def test_wsgi_serves_the_development_settings_when_told_so():
    result = run_wsgi(DJANGO_SETTINGS_MODULE="portal.settings")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["portal.settings", "True"]
