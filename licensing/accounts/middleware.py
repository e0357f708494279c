from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from licensing.accounts import mfa
from portal.middleware import DATABASE_ERRORS

SETUP_REQUIRED = _(
    "Your organisation requires a second factor for your account. Set up an authenticator app or a passkey to continue."
)
# What someone who must set up a second factor may still open: the set-up itself (allauth's mfa and
# re-authentication pages), signing out, the language, static files, and the API (its own tokens).
ALLOWED_PREFIXES = ("/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/logout/", "/i18n/", "/static/", "/api/")


class SecondFactorRequiredMiddleware:
    """Someone who must use a second factor and signed in without one (`mfa.SESSION_SETUP_REQUIRED`,
    set at sign-in by the adapter) is sent to set one up, and can open nothing else until then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ALLOWED_PREFIXES) or not self.setup_required(request):
            return self.get_response(request)
        if not request.user.is_authenticated or mfa.user_has_second_factor(request.user):
            del request.session[mfa.SESSION_SETUP_REQUIRED]
            return self.get_response(request)
        messages.warning(request, SETUP_REQUIRED)
        response = HttpResponseRedirect(reverse("mfa_index"))
        if getattr(request, "htmx", False):
            response["HX-Redirect"] = response["Location"]
        return response

    @staticmethod
    def setup_required(request) -> bool:
        try:
            return bool(request.session.get(mfa.SESSION_SETUP_REQUIRED))
        except DATABASE_ERRORS:
            # The session is in the database, which cannot be reached: the view meets the outage
            # too, and answers the 503 page there (portal.middleware).
            return False
