"""WSGI entry point: `gunicorn portal.wsgi`.

A server is production unless told otherwise: without DJANGO_SETTINGS_MODULE this serves
`portal.settings_production`, which refuses to start without a SECRET_KEY of its own, rather than
the development settings with DEBUG on and the development key that anyone can read in this
repository. `manage.py` (runserver, the tests) stays on `portal.settings`; to serve the development
settings with gunicorn, say so: `DJANGO_SETTINGS_MODULE=portal.settings gunicorn portal.wsgi`.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_production")
application = get_wsgi_application()
