"""Personal access tokens (issue 21 §3, R-API3): an admin makes one in the account menu for a script,
limited to teams they administer and to reading or to reading and writing; the script sends it as
`Authorization: Bearer sk_pat_...` to the team-admin API (licensing.teams.api and its siblings).

A token never does more than its owner may in the portal at the moment of the request: the team it
acts on must be one its owner is still an active admin of (`token_team`, through
`teams.permissions.is_team_admin`, the function the screens ask), and every write goes through the
same services, which check `can_manage_members` again. A token stops at once when it is revoked,
when it expires, when its owner's account is deactivated, and for a team that requires a second
factor of its admins while its owner has none (licensing.accounts.mfa).
"""

import secrets
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.accounts.mfa import user_has_second_factor
from licensing.accounts.models import AccessToken, hash_token
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.teams.models import Team
from licensing.teams.permissions import is_support, is_team_admin
from portal.db import service_transaction

TOKEN_PREFIX = "sk_pat_"
# The first characters kept in clear (TOKEN_PREFIX and five of the secret), to tell tokens apart.
SHOWN_CHARACTERS = len(TOKEN_PREFIX) + 5
# last_used_at is written at most this often per token: not one write per request of a busy script.
LAST_USED_EVERY = timedelta(minutes=1)

NAME_REQUIRED = _("Give the token a name that says what it is for, like “Nightly HR sync”.")
NAME_TOO_LONG = _("A token name has at most %(max)d characters.")
NAME_CONTROL_CHARACTER = _("A token name cannot contain invisible control characters.")
NO_TEAMS = _("Choose at least one team the token may act on.")
NOT_ADMIN_OF = _("You are not an admin of %(team)s, so a token of yours cannot act on it.")
NO_TEAMS_ADMINISTERED = _("You are not an admin of any team, so there is nothing a token could act on.")
EXPIRY_PAST = _("Choose a day after today.")
EXPIRY_TOO_LATE = _("A token can run for at most %(days)d days: until %(latest)s at the latest.")
ALREADY_REVOKED = _("This token was already revoked.")
NOT_YOURS = _("This token is not yours.")


def expiry_latest(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=settings.ACCESS_TOKEN_MAX_DAYS)


def expiry_error(expires_on: date, today: date | None = None) -> ValidationError | None:
    """The refusal of an end day, or None: after today, at most ACCESS_TOKEN_MAX_DAYS ahead."""
    today = today or timezone.localdate()
    if expires_on <= today:
        return ValidationError(EXPIRY_PAST, code="expiry_past")
    latest = expiry_latest(today)
    if expires_on > latest:
        days = settings.ACCESS_TOKEN_MAX_DAYS
        return ValidationError(EXPIRY_TOO_LATE % {"days": days, "latest": latest.isoformat()}, code="expiry_late")
    return None


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [NAME_REQUIRED]}, code="name_required")
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        raise ValidationError({"name": [NAME_CONTROL_CHARACTER]}, code="name_control")
    max_length = AccessToken._meta.get_field("name").max_length
    if len(name) > max_length:
        raise ValidationError({"name": [NAME_TOO_LONG % {"max": max_length}]}, code="name_too_long")
    return name


def _end_of(day: date) -> datetime:
    """The token works through the whole of its last day, in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time.max))


def _log(action: str, token: AccessToken, teams: Iterable[Team], actor, *, before=None, after=None) -> None:
    # One row per team the token acts on: each team's admins see in their log who may script it.
    for team in teams:
        event_record(
            action=action, actor=actor, team=team, target_user=token.user, target=token.name, before=before, after=after
        )


@service_transaction
def access_token_create(
    *, user, name: str, teams: Iterable[Team] | None, access: str, expires_on: date
) -> tuple[AccessToken, str]:
    """Make a token for `user`: for all the teams they administer (now and later) when `teams` is None,
    else for those teams, each of which they must administer now. Returns the token and its secret,
    which is shown once and never stored. An activity row in each team it acts on."""
    errors = {}
    try:
        name = _clean_name(name)
    except ValidationError as error:
        errors.update(error.message_dict)
    administered = list(Team.objects.administered_by(user).distinct())
    if teams is None:
        if not administered:
            errors["teams"] = [NO_TEAMS_ADMINISTERED]
        chosen = administered
    else:
        chosen = list({team.pk: team for team in teams}.values())
        mine = {team.pk for team in administered}
        if not chosen:
            errors["teams"] = [NO_TEAMS]
        for team in chosen:
            if team.pk not in mine:
                errors.setdefault("teams", []).append(str(NOT_ADMIN_OF % {"team": team.name}))
    access = AccessToken.Access(access)
    refused = expiry_error(expires_on)
    if refused is not None:
        errors["expires_on"] = refused.messages
    if errors:
        raise ValidationError(errors)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = AccessToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:SHOWN_CHARACTERS],
        token_hash=hash_token(raw),
        all_teams=teams is None,
        access=access,
        expires_at=_end_of(expires_on),
    )
    if teams is not None:
        token.teams.set(chosen)
    _log(
        ActivityEvent.Action.ACCESS_TOKEN_CREATED,
        token,
        chosen,
        user,
        after={"token": f"{token.prefix}…", "access": access.value, "token_expires": expires_on.isoformat()},
    )
    return token, raw


@service_transaction
def access_token_revoke(*, token: AccessToken, actor) -> AccessToken:
    """The token stops working at once. Only its owner revokes it here (support staff do it in the
    Django admin, through this function, as themselves)."""
    if actor is None or (actor.pk != token.user_id and not is_support(actor)):
        raise PermissionDenied(NOT_YOURS)
    token = AccessToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        raise ValidationError(ALREADY_REVOKED, code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    _log(
        ActivityEvent.Action.ACCESS_TOKEN_REVOKED,
        token,
        token_teams(token),
        actor,
        before={"token": f"{token.prefix}…"},
    )
    return token


class TokenRefused(Exception):
    """A token that exists but no longer works: `reason` is "revoked", "expired" or "deactivated"."""

    def __init__(self, reason: str, token: AccessToken) -> None:
        super().__init__(reason)
        self.reason, self.token = reason, token


def access_token_authenticate(raw: str) -> AccessToken | None:
    """The token whose secret is `raw`, with its owner; None when there is none. TokenRefused when it
    is revoked, expired, or its owner's account deactivated. Notes when it was last used, at most once
    a minute."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = AccessToken.objects.select_related("user").filter(token_hash=hash_token(raw)).first()
    if token is None:
        return None
    now = timezone.now()
    if token.revoked_at is not None:
        raise TokenRefused("revoked", token)
    if token.expires_at <= now:
        raise TokenRefused("expired", token)
    if not token.user.is_active:
        raise TokenRefused("deactivated", token)
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_teams(token: AccessToken) -> QuerySet:
    """The teams `token` may act on now: those its owner administers (R-API3: a demoted owner's token
    loses the team at once), narrowed to the token's chosen teams."""
    teams = Team.objects.administered_by(token.user)
    if not token.all_teams:
        teams = teams.filter(pk__in=token.teams.values("pk"))
    return teams.distinct().order_by("name", "pk")


class TeamNotFound(Exception):
    """The token may not act on that team, or there is none: the API answers 404 either way."""


class SecondFactorMissing(Exception):
    """The team requires a second factor of its admins and the token's owner has none."""


def token_team(token: AccessToken, team_id: int) -> Team:
    """The team `team_id` when `token` may act on it now (R-API3), else TeamNotFound: a team of
    another customer, of a team the owner no longer administers, or outside the token's choice, is
    as if it did not exist. SecondFactorMissing when the team requires a second factor of its admins
    and the owner has none: the portal would send them to set one up first."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None or not is_team_admin(token.user, team):
        raise TeamNotFound
    if not token.all_teams and not token.teams.filter(pk=team.pk).exists():
        raise TeamNotFound
    if team.admins_need_second_factor and not user_has_second_factor(token.user):
        raise SecondFactorMissing
    return team
