"""The throttle of every password check: the portal's sign-in (and so the Django admin's, which goes
to it), re-authentication, the sign-in on an invitation page, and the desktop software's API sign-in.

One mechanism, django-allauth's rate limits (`allauth.core.internal.ratelimit`): a sliding window of
timestamps per key in the cache, read and written under a cache lock. The cache is the database
(`CACHES` in portal/settings.py), so the counts hold across gunicorn workers and hosts.

A failure is counted *before* the password is checked, and taken back when the password was right,
so that 30 guesses sent at once are 30 counted guesses, not 30 checks that each saw an empty count.
Three counts, each with its own limit (settings `SIGNIN_*`; 0 turns one off):

- per address: failures from one client address, whatever the account (`SIGNIN_FAILURES_PER_ADDRESS`
  in `SIGNIN_WINDOW_MINUTES`): one address that guesses at many accounts.
- per account and address: failures of one account from one address
  (`SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS` in the same window). This is the lock a guesser meets
  first, and it keeps out only the address that failed: the owner at another address signs in.
- per account: failures of one account from every address within an hour (`SIGNIN_FAILURES_PER_ACCOUNT`),
  a guess spread over many addresses. Its lock does not apply to a browser in which the account's
  owner has signed in before (a signed cookie set at each complete sign-in, `remember_browser`), and a
  password reset clears it: whoever spreads guesses cannot keep the owner out.

A refused attempt raises `Throttled`, with the wait in seconds and a message that says it. The first
refusal of each lock writes a "Sign-in paused" row to the activity log of every team the account is
a member of (or one row without a team when the address is unknown).
"""

import math
import time
from dataclasses import dataclass

from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.models import User
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, events_record
from licensing.teams.models import Team

APP = "licensing.accounts"
ACCOUNT_WINDOW_SECONDS = 60 * 60
# The cookie that marks a browser in which the account's owner completed a sign-in.
KNOWN_BROWSER_COOKIE = "sk_signed_in_here"
KNOWN_BROWSER_SALT = "licensing.accounts.throttle.known-browser"
KNOWN_BROWSER_DAYS = 180

SCOPE_WORDS = {
    "address": _("too many failed sign-ins from this address"),
    "account_address": _("too many failed sign-ins to this account from this address"),
    "account": _("too many failed sign-ins to this account"),
}


def throttled_message(wait_seconds: int, scope: str = "") -> str:
    minutes = max(1, math.ceil(wait_seconds / 60))
    if scope.startswith("reset"):
        return ngettext(
            "Too many password resets were asked for lately. Wait %(minutes)d minute and try again.",
            "Too many password resets were asked for lately. Wait %(minutes)d minutes and try again.",
            minutes,
        ) % {"minutes": minutes}
    return ngettext(
        "Too many failed sign-ins. Wait %(minutes)d minute and try again, or reset your password.",
        "Too many failed sign-ins. Wait %(minutes)d minutes and try again, or reset your password.",
        minutes,
    ) % {"minutes": minutes}


class Throttled(Exception):
    """This attempt may not check a password: `wait_seconds` until it may."""

    def __init__(self, wait_seconds: int, scope: str):
        self.wait_seconds = max(1, int(wait_seconds))
        self.scope = scope
        super().__init__(throttled_message(self.wait_seconds, scope))

    @property
    def message(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Count:
    """One of the three counts: its allauth action, its rate ("N/Ss/ip" or ".../key"), and its key."""

    scope: str
    rate: str
    key: str | None

    @property
    def action(self) -> str:
        return f"signin_{self.scope}"

    @property
    def config(self) -> dict[str, str]:
        return {self.action: self.rate}


def normalised(email: str) -> str:
    return (email or "").strip().lower()


def counts(request: HttpRequest, email: str) -> list[Count]:
    """The counts an attempt to sign in as `email` from `request`'s address is held to."""
    window = settings.SIGNIN_WINDOW_MINUTES * 60
    address = ratelimit.get_ip(request)
    email = normalised(email)
    wanted = [
        ("address", settings.SIGNIN_FAILURES_PER_ADDRESS, window, "ip", None),
        ("account_address", settings.SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, window, "key", f"{email}|{address}"),
    ]
    if not is_known_browser(request, email):
        wanted.append(("account", settings.SIGNIN_FAILURES_PER_ACCOUNT, ACCOUNT_WINDOW_SECONDS, "key", email))
    return [Count(scope, f"{limit}/{seconds}s/{per}", key) for scope, limit, seconds, per, key in wanted if limit > 0]


def _cache_key(request: HttpRequest, count: Count) -> str:
    rate = ratelimit.parse_rate(count.rate)
    return ratelimit.get_cache_key(request, app=APP, action=count.action, rate=rate, key=count.key)


def wait_seconds(request: HttpRequest, count: Count) -> int:
    """How long until `count` lets one more attempt through: until the oldest failure that fills it
    leaves the window."""
    rate = ratelimit.parse_rate(count.rate)
    history = cache.get(_cache_key(request, count), [])  # newest first
    now = time.time()
    live = [moment for moment in history if moment > now - rate.duration]
    if len(live) < rate.amount:
        return 1  # the cache lock could not be had: a moment
    return math.ceil(live[rate.amount - 1] + rate.duration - now)


def take(request: HttpRequest, wanted: list[Count], email: str = "") -> list:
    """One more of each count in `wanted`, or `Throttled` (taking none) when one of them is full."""
    usages = []
    for count in wanted:
        usage = ratelimit.consume(request, app=APP, action=count.action, config=count.config, key=count.key)
        if not usage:
            for taken in usages:
                taken.rollback()
            wait = wait_seconds(request, count)
            if count.scope in SCOPE_WORDS:
                _record_pause(request, count, email, wait)
            raise Throttled(wait, count.scope)
        usages.append(usage)
    return usages


def consume(request: HttpRequest, email: str) -> list:
    """Count one failure of signing in as `email` from `request`'s address in each count, before the
    password is checked; `release` takes them back once it was right. Raises `Throttled` (counting
    nothing) when a count is full."""
    return take(request, counts(request, email), email)


def release(usages: list) -> None:
    """The password was right: these attempts were no failures."""
    for usage in usages:
        usage.rollback()


def password_sign_in(request: HttpRequest, *, email: str, password: str) -> User | None:
    """The account whose e-mail address and password these are, or None; through the throttle.

    Raises `Throttled` when this address, or this account from this address, or this account from
    everywhere, has failed too often lately (see the module's docstring)."""
    usages = consume(request, email)
    user = authenticate(request, email=email, password=password)
    if user is not None:
        release(usages)
    return user


def password_reset_requested(request: HttpRequest, email: str) -> None:
    """Count a request for a password-reset mail: `SIGNIN_RESETS_PER_ADDRESS` from one address and
    `SIGNIN_RESETS_PER_ACCOUNT` for one e-mail address, in `SIGNIN_WINDOW_MINUTES`; `Throttled` beyond
    either, whether or not the address has an account (so the answer tells nothing about it)."""
    window = settings.SIGNIN_WINDOW_MINUTES * 60
    wanted = [
        Count("reset_address", f"{settings.SIGNIN_RESETS_PER_ADDRESS}/{window}s/ip", None),
        Count("reset_account", f"{settings.SIGNIN_RESETS_PER_ACCOUNT}/{window}s/key", normalised(email)),
    ]
    take(request, [count for count in wanted if not count.rate.startswith("0/")])


def password_reset_done(request: HttpRequest, email: str) -> None:
    """A password reset proves the owner: the account's count of failures from everywhere starts
    again (the per-address counts stay)."""
    for count in counts(request, email):
        if count.scope == "account":
            ratelimit.clear(request, app=APP, action=count.action, config=count.config, key=count.key)


# --- Browsers where the owner signed in ---------------------------------------------------------


def remember_browser(response: HttpResponse, user: User) -> None:
    """Mark the browser of a complete sign-in (password and, where set up, second factor): the
    per-account lock does not keep it out."""
    response.set_signed_cookie(
        KNOWN_BROWSER_COOKIE,
        str(user.pk),
        salt=KNOWN_BROWSER_SALT,
        max_age=KNOWN_BROWSER_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def is_known_browser(request: HttpRequest, email: str) -> bool:
    try:
        pk = request.get_signed_cookie(
            KNOWN_BROWSER_COOKIE, salt=KNOWN_BROWSER_SALT, max_age=KNOWN_BROWSER_DAYS * 24 * 3600
        )
    except (KeyError, BadSignature):
        return False
    return User.objects.with_email(email).filter(pk=pk).exists() if email else False


# --- The activity log ---------------------------------------------------------------------------


def _record_pause(request: HttpRequest, count: Count, email: str, wait: int) -> None:
    """The first refusal of a lock goes to the activity log (later refusals of the same lock do not,
    so that a guesser cannot flood the log)."""
    if not cache.add(f"{_cache_key(request, count)}:paused", True, timeout=max(wait, 1)):
        return
    account = User.objects.with_email(email).first() if email and count.scope != "address" else None
    after = {
        "reason": str(SCOPE_WORDS[count.scope]),
        "address": ratelimit.get_ip(request),
        "minutes": max(1, math.ceil(wait / 60)),
    }
    fields = {"action": ActivityEvent.Action.SIGN_IN_PAUSED, "target_user": account, "after": after}
    if account is None:
        events_record([event_build(**fields, target=count.scope)])
        return
    teams = Team.objects.filter(members__user=account).distinct()
    events = [event_build(**fields, team=team, target=account.email) for team in teams]
    events_record(events or [event_build(**fields, target=account.email)])
