"""Signing the desktop software in through the browser (R-ID5; RFC 8628, the OAuth device authorization
grant), for people with a second factor (and, later, single sign-on), which the software cannot type:
the software asks for a device code and shows a short user code; the person approves it on the
portal's /device/ page (device_views.py) behind the portal's own sign-in; the software's poll then gets
an ordinary device token (`devices.api_token_issue`), once. The API in licensing/accounts/api.py is glue
around these functions."""

import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from licensing.accounts.devices import DEVICE_NAME_MAX_LENGTH, DEVICE_NAME_REQUIRED, api_token_issue
from licensing.accounts.models import ApiToken, DeviceAuthorization, DeviceCodeFailure, User, hash_token, new_token
from portal.db import service_transaction

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# RFC 8628 §6.1: consonants only, so that no code spells a word and none is mistaken for a digit (no
# O, I); 20^8 codes, of which at most a few hundred are pending at a time.
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
# Wrong codes a person may type within the window before the page refuses to look further.
USER_CODE_FAILURES = 10
USER_CODE_FAILURE_WINDOW = timedelta(minutes=15)
# RFC 8628 §3.5: a poll that comes too soon makes the interval this much longer, for good.
SLOW_DOWN_SECONDS = 5

USER_CODE_UNKNOWN = _(
    "This code is not valid, or no longer. Check the code the software shows, or start the sign-in in the "
    "software again."
)
USER_CODE_THROTTLED = ngettext_lazy(
    "Too many wrong codes. Try again in %(minutes)d minute.",
    "Too many wrong codes. Try again in %(minutes)d minutes.",
    "minutes",
)
# What the software hears while it polls, by the error codes of RFC 8628 §3.5 and RFC 6749 §5.2.
AUTHORIZATION_PENDING = _("Waiting for the sign-in to be approved in the browser.")
SLOW_DOWN = _("The software asks too often. Wait %(interval)d seconds between two requests.")
ACCESS_DENIED = _("The sign-in was denied in the browser.")
EXPIRED_TOKEN = _("This sign-in has expired or has been used. Start the sign-in again.")
INVALID_GRANT = _("This sign-in is not known. Start the sign-in again.")
POLL_ERRORS = {
    "authorization_pending": AUTHORIZATION_PENDING,
    "slow_down": SLOW_DOWN,
    "access_denied": ACCESS_DENIED,
    "expired_token": EXPIRED_TOKEN,
    "invalid_grant": INVALID_GRANT,
}


def user_code_normalise(value: str) -> str:
    """A user code as stored, from what a person typed: capitals, without the dash, spaces or anything
    else that is not a letter (RFC 8628 §6.1: case and punctuation do not matter)."""
    return "".join(character for character in value.upper() if character.isascii() and character.isalpha())


def device_authorization_create(*, device_name: str) -> tuple[DeviceAuthorization, str]:
    """The software asks to be signed in through the browser (R-ID5): a new pending sign-in, returned
    with its device code once as (row, raw device code); the row holds the user code to show.

    Each write stands alone, like the password sign-in's. Sign-ins that expired a whole lifetime ago
    are deleted here, so that the table holds only the requests of the last two lifetimes; until then
    a late poll still hears "expired"."""
    device_name = " ".join((device_name or "").split())[:DEVICE_NAME_MAX_LENGTH]
    if not device_name:
        raise ValidationError({"device_name": [DEVICE_NAME_REQUIRED]}, code="device_name")
    now = timezone.now()
    lifetime = timedelta(seconds=settings.DEVICE_AUTHORIZATION_SECONDS)
    DeviceAuthorization.objects.filter(expires_at__lte=now - lifetime).delete()
    attempts = 5
    for attempt in range(1, attempts + 1):
        raw, digest = new_token()
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
        try:
            # A savepoint: a user code that is taken already (one chance in tens of millions) is
            # drawn again without losing an outer transaction.
            with transaction.atomic():
                authorization = DeviceAuthorization.objects.create(
                    device_code_hash=digest,
                    user_code=user_code,
                    device_name=device_name,
                    created_at=now,
                    expires_at=now + lifetime,
                    interval=settings.DEVICE_POLL_INTERVAL_SECONDS,
                )
        except IntegrityError:
            if attempt == attempts:
                raise
            continue
        return authorization, raw
    raise AssertionError("unreachable")


def _user_code_wait(user: User, now) -> int:
    """Seconds before the oldest of `user`'s last USER_CODE_FAILURES wrong codes leaves the window."""
    recent = list(
        DeviceCodeFailure.objects.filter(user=user, created_at__gt=now - USER_CODE_FAILURE_WINDOW)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:USER_CODE_FAILURES]
    )
    if len(recent) < USER_CODE_FAILURES:
        return 0
    return max(1, math.ceil((recent[-1] + USER_CODE_FAILURE_WINDOW - now).total_seconds()))


def device_authorization_find(*, user_code: str, user: User) -> DeviceAuthorization:
    """The pending sign-in whose user code `user` typed on the portal's /device/ page, to ask them
    whether to approve it. A code that matches no pending sign-in (unknown, expired, decided already)
    is refused with USER_CODE_UNKNOWN, code "unknown", and counts as a wrong code of `user`'s; after
    USER_CODE_FAILURES of them within USER_CODE_FAILURE_WINDOW every code is refused, unlooked at,
    with USER_CODE_THROTTLED, code "throttled" and `params["retry_after"]` in seconds.

    The attempt is counted before the code is looked up and uncounted when it was right, so that
    parallel attempts cannot pass the limit together: each sees the others' rows. Not one
    transaction: the count must stay when the code is wrong."""
    now = timezone.now()
    DeviceCodeFailure.objects.filter(created_at__lte=now - USER_CODE_FAILURE_WINDOW).delete()
    attempt = DeviceCodeFailure.objects.create(user=user, created_at=now)
    recent = DeviceCodeFailure.objects.filter(user=user, created_at__gt=now - USER_CODE_FAILURE_WINDOW).count()
    if recent > USER_CODE_FAILURES:
        attempt.delete()  # refused without a look: not a wrong code
        wait = _user_code_wait(user, now)
        raise ValidationError(
            USER_CODE_THROTTLED, code="throttled", params={"minutes": math.ceil(wait / 60), "retry_after": wait}
        )
    code = user_code_normalise(user_code)
    found = DeviceAuthorization.objects.pending().filter(user_code=code).first() if code else None
    if found is None:
        raise ValidationError(USER_CODE_UNKNOWN, code="unknown")
    attempt.delete()
    return found


def _device_authorization_decide(authorization: DeviceAuthorization, user: User, field: str) -> DeviceAuthorization:
    # Lock the row: an approval and a denial at once (two tabs) must not both be recorded.
    locked = DeviceAuthorization.objects.select_for_update().pending().filter(pk=authorization.pk).first()
    if locked is None:
        raise ValidationError(USER_CODE_UNKNOWN, code="unknown")
    locked.user = user
    setattr(locked, field, timezone.now())
    locked.save(update_fields=["user", field])
    return locked


@service_transaction
def device_authorization_approve(*, authorization: DeviceAuthorization, user: User) -> DeviceAuthorization:
    """`user`, signed in to the portal, approves the sign-in of the device named in `authorization`:
    the software's next poll signs it in as `user` (`device_token_poll`). Refused with
    USER_CODE_UNKNOWN when the sign-in is no longer pending (expired, or decided in another tab)."""
    return _device_authorization_decide(authorization, user, "approved_at")


@service_transaction
def device_authorization_deny(*, authorization: DeviceAuthorization, user: User) -> DeviceAuthorization:
    """`user` denies the sign-in of the device: the software's next poll hears ACCESS_DENIED."""
    return _device_authorization_decide(authorization, user, "denied_at")


@service_transaction
def _device_poll(device_code: str) -> tuple[str | None, int, tuple[ApiToken, str] | None]:
    """One poll, in a transaction that keeps what it wrote whatever the answer: (error code or None,
    the interval, the token issued)."""
    now = timezone.now()
    # Lock the row, so that two polls at once cannot both take the token.
    authorization = (
        DeviceAuthorization.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(device_code_hash=hash_token(device_code))
        .first()
    )
    if authorization is None:
        return "invalid_grant", 0, None
    interval = authorization.interval
    if authorization.redeemed_at is not None or authorization.is_expired:
        return "expired_token", interval, None
    if authorization.denied_at is not None:
        return "access_denied", interval, None
    if authorization.approved_at is None:
        too_soon = authorization.last_polled_at is not None and now < authorization.last_polled_at + timedelta(
            seconds=interval
        )
        authorization.last_polled_at = now
        if too_soon:
            # Never longer than the sign-in lasts: a client that keeps hammering stays answerable.
            authorization.interval = min(interval + SLOW_DOWN_SECONDS, settings.DEVICE_AUTHORIZATION_SECONDS)
        authorization.save(update_fields=["last_polled_at", "interval"])
        return ("slow_down" if too_soon else "authorization_pending"), authorization.interval, None
    if not authorization.user.is_active:
        return "access_denied", interval, None
    authorization.redeemed_at = now
    authorization.last_polled_at = now
    authorization.save(update_fields=["redeemed_at", "last_polled_at"])
    return None, interval, api_token_issue(user=authorization.user, device_name=authorization.device_name)


def device_token_poll(*, device_code: str) -> tuple[ApiToken, str]:
    """The software asks with its device code whether the person has approved its sign-in (RFC 8628
    §3.4): once approved, a device token for the person who approved (`api_token_issue`), returned
    once as (token row, raw token). Otherwise a ValidationError whose code is the RFC's error and
    whose message is for the user (POLL_ERRORS): "authorization_pending" while nobody has decided,
    "slow_down" for a poll sooner than the interval after the last (which then grows by
    SLOW_DOWN_SECONDS, `params["interval"]`), "access_denied" when denied (or the account was
    deactivated since), "expired_token" after the sign-in's lifetime or once its token was issued,
    "invalid_grant" for a device code never given or forgotten since."""
    error, interval, issued = _device_poll(device_code)
    if error is not None:
        raise ValidationError(POLL_ERRORS[error], code=error, params={"interval": interval})
    return issued
