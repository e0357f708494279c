"""A database that cannot be reached (stopped, restarting, failing over, or SQLite locked for longer
than its timeout) answers 503 with Retry-After: a page in the admin's words for the portal, JSON for
the licence API under /api/v1/. Never a traceback, never the generic 500 page.

Two ways in, one answer (`database_unavailable`):

- `DatabaseUnavailableMiddleware.process_exception` catches the error in a view, or while a
  TemplateResponse renders, in development (DEBUG) too.
- `portal.views.server_error` (handler500) catches it anywhere else: in another middleware before or
  after the view (the session saved in SessionMiddleware, say). Django turns an exception raised
  inside a middleware into a response right there, so no outer middleware ever sees it (a try/except
  around `get_response` would only get a 500 response); the error handler is the one place that
  does. With DEBUG on, Django shows its debug page there instead.

Errors in our own queries (ProgrammingError, IntegrityError) stay 500s: trying again would not help.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# How long the browser or the desktop software is asked to wait. Short: most outages are a restart
# or a failover.
RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE = _("Seatkeeper cannot reach its database for a moment. Try again in a minute.")
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 answer to a request that needed the database while it could not be reached."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        from licensing.accounts.api import UNAVAILABLE

        return JsonResponse({"detail": str(UNAVAILABLE)}, status=503, headers=headers)
    # Rendered without the request on purpose: the context processors (navigation, team switcher) and
    # `user` read the database. The language is the one LocaleMiddleware chose, if it ran.
    html = render_to_string("503.html", {"message": DATABASE_UNAVAILABLE, "retry_after": RETRY_AFTER_SECONDS})
    return HttpResponse(html, status=503, headers=headers)


class DatabaseUnavailableMiddleware:
    """A view that fails because the database cannot be reached answers `database_unavailable`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            logger.error("Database unavailable: %s %s answered 503", request.method, request.path, exc_info=exception)
            return database_unavailable(request)
        return None


# What the pages may use of the browser: nothing but passkeys and security keys (WebAuthn), on our
# own origin. A page injected into (it should not be: CSP) can turn on no camera, microphone, location,
# payment or USB device.
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "camera=()",
        "display-capture=()",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "publickey-credentials-create=(self)",
        "publickey-credentials-get=(self)",
    ]
)


class PermissionsPolicyMiddleware:
    """Sends `Permissions-Policy` with every answer (issue 19: it was missing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
