"""Production settings: `DJANGO_SETTINGS_MODULE=portal.settings_production`.

Needs SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL in the environment; serve with gunicorn
(`gunicorn portal.wsgi`) behind a TLS-terminating proxy.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from portal.settings import *  # noqa: F403  (production is development with the screws tightened)
from portal.settings import STORAGES, env_bool

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("Set SECRET_KEY to a random string of at least 50 characters.")

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Support staff sign in with a second factor (SUPPORT_REQUIRES_SECOND_FACTOR=false turns it off), and
# passkeys only on the https origin.
SUPPORT_REQUIRES_SECOND_FACTOR = env_bool("SUPPORT_REQUIRES_SECOND_FACTOR", True)
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = False
# Webhook endpoints on https only (WEBHOOKS_REQUIRE_HTTPS=false allows http, say on a private network).
WEBHOOKS_REQUIRE_HTTPS = env_bool("WEBHOOKS_REQUIRE_HTTPS", True)
