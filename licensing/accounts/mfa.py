"""Who must sign in with a second factor, and who has one (django-allauth's `mfa`: TOTP, passkeys,
recovery codes).

- Support staff (anyone who may open the Django admin) when `SUPPORT_REQUIRES_SECOND_FACTOR` is on
  (production's default).
- The admins of a team whose primary admin asked for it (Team settings, `Team.admins_need_second_factor`).

Someone who must and has none can do nothing but set one up (licensing.accounts.middleware). The
desktop software cannot type a code: such people sign it in through the browser (RFC 8628, R-ID5).
"""

from allauth.mfa.models import Authenticator
from django.conf import settings

from licensing.teams.models import Team

# Set in the session at sign-in when the person must set up a second factor first.
SESSION_SETUP_REQUIRED = "second_factor_setup_required"


def user_has_second_factor(user) -> bool:
    """An authenticator app or a passkey (recovery codes alone are no factor: they only stand in)."""
    if not user.is_authenticated:
        return False
    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def without_second_factor(users):
    """`users` (a QuerySet of accounts) less those with an authenticator app or a passkey."""
    factors = Authenticator.objects.filter(type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN])
    return users.exclude(pk__in=factors.values("user_id"))


def second_factor_required(user) -> bool:
    """Whether `user` may act only after setting up a second factor."""
    if not user.is_authenticated:
        return False
    if settings.SUPPORT_REQUIRES_SECOND_FACTOR and (user.is_staff or user.is_superuser):
        return True
    return Team.objects.administered_by(user).filter(admins_need_second_factor=True).exists()
