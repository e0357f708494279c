"""The portal served by gunicorn on a free port, on a database of its own (a file SQLite database,
or a PostgreSQL database made for it and dropped after), for the order shop test and the benchmark."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCT_SETUP = (
    "from licensing.subscriptions.models import Product; "
    "Product.objects.get_or_create(code='shop-product', defaults={'name': 'Shop product'})"
)


@dataclass
class Live:
    base: str
    key: str
    env: dict
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@contextlib.contextmanager
def postgresql_database(server_url: str) -> Iterator[str]:
    """A new database on the server of `server_url` (postgres://user:password@host:port/any), dropped after."""
    import psycopg

    base, _, _name = server_url.rpartition("/")
    name = f"sk_live_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def served(root: Path, *, database_url: str | None, workers: int = 2, threads: int = 4) -> Iterator[Live]:
    """gunicorn (gthread) on a free port, on `database_url` or a SQLite file under `root`, migrated,
    with the shop's product and a vendor key of every scope."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SQLITE_", "DATABASE_"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DEBUG="0", ALLOWED_HOSTS="127.0.0.1", PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    else:
        env["SQLITE_PATH"] = str(root / "shop.sqlite3")
    manage(env, "migrate", "--no-input")
    manage(env, "shell", "-c", PRODUCT_SETUP)
    key = manage(
        env, "vendor_key_create", "--name", "Order shop", "--scopes", "orders:read,orders:write,catalogue:read"
    ).strip()
    log = root / "gunicorn.log"
    port = free_port()
    command = [
        *(sys.executable, "-m", "gunicorn", "portal.wsgi", "--bind", f"127.0.0.1:{port}"),
        *("--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread", "--timeout", "60"),
    ]
    with open(log, "ab") as out:
        process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "gunicorn exited:\n" + log.read_text()[-3000:]
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5).read()
                break
            assert time.monotonic() < deadline, "gunicorn did not answer:\n" + log.read_text()[-3000:]
            time.sleep(0.1)
        yield Live(base=f"http://127.0.0.1:{port}", key=key, env=env, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
