"""Sending an invitation (R-U4, R-U5): the one write every way into a team ends with for a person
who has not accepted yet, and the limit on how many invitation mails an admin may send. Beneath
every service that invites (`teams.services.team_create`, `accounts.services.member_invite`, ...),
so it imports no service itself: only models, permissions and mail."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from licensing.accounts.models import Invitation, User, new_token
from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member, Team
from licensing.teams.permissions import is_support
from portal.mail import mail_send

__all__ = ["invitation_send", "invitations_allow"]

# What the limits count: the activity log's rows of an invitation mail sent, first or again.
INVITATION_ACTIONS = (ActivityEvent.Action.MEMBER_INVITED, ActivityEvent.Action.INVITATION_RESENT)
ADMIN_WINDOW = timedelta(hours=1)
TEAM_WINDOW = timedelta(hours=24)

ADMIN_LIMIT_REACHED = ngettext_lazy(
    "You have sent %(sent)s invitation in the last hour; you can send more after %(time)s.",
    "You have sent %(sent)s invitations in the last hour; you can send more after %(time)s.",
    "count",
)
ADMIN_LIMIT_LEFT = ngettext_lazy(
    "You have sent %(sent)s invitation in the last hour, and an admin may send %(limit)s an hour: you can "
    "send %(left)s more now, and these %(asked)s after %(time)s.",
    "You have sent %(sent)s invitations in the last hour, and an admin may send %(limit)s an hour: you can "
    "send %(left)s more now, and these %(asked)s after %(time)s.",
    "count",
)
ADMIN_LIMIT_TOO_MANY = _(
    "An admin may send %(limit)s invitations an hour, and these are %(asked)s. Invite fewer people at a "
    "time, or ask support to import them."
)
TEAM_LIMIT_REACHED = ngettext_lazy(
    "This team has received %(sent)s invitation in the last 24 hours, and may receive %(limit)s a day; you "
    "can send more after %(time)s.",
    "This team has received %(sent)s invitations in the last 24 hours, and may receive %(limit)s a day; you "
    "can send more after %(time)s.",
    "count",
)
TEAM_LIMIT_LEFT = ngettext_lazy(
    "This team has received %(sent)s invitation in the last 24 hours, and may receive %(limit)s a day: you "
    "can send %(left)s more now, and these %(asked)s after %(time)s.",
    "This team has received %(sent)s invitations in the last 24 hours, and may receive %(limit)s a day: you "
    "can send %(left)s more now, and these %(asked)s after %(time)s.",
    "count",
)
TEAM_LIMIT_TOO_MANY = _(
    "A team may receive %(limit)s invitations a day, and these are %(asked)s. Invite fewer people at a "
    "time, or ask support to import them."
)


def invitation_send(*, member: Member, actor, resent: bool = False, bulk: bool = False) -> Invitation:
    """Mail `member` a new invitation link; every older link of theirs stops working (R-U5).
    Called inside the transaction of the change that invites; `bulk`: one of many (`mail_send`)."""
    now = timezone.now()
    # R-U5: a new link kills every older one.
    Invitation.objects.filter(member=member, accepted_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
    raw, digest = new_token()
    invitation = Invitation.objects.create(
        member=member, token_hash=digest, sent_by=actor, created_at=now, expires_at=Invitation.default_expiry(now)
    )
    mail_send(
        to=member.user,
        template="invitation_resent" if resent else "invitation",
        context={
            "member": member,
            "team": member.team,
            "actor": actor,
            "invitation": invitation,
            "accept_path": f"/invitations/{raw}/",
            "has_account": member.user.has_usable_password(),
            # Greeted by the name this team typed (Member.first_name), not the account's, which
            # another team may have typed.
            "greeting_name": member.first_name,
        },
        bulk=bulk,
    )
    return invitation


def invitations_allow(*, team: Team, actor, count: int) -> None:
    """Refuse `count` more invitation mails from `actor` into `team` with a ValidationError that says
    how many were sent and when more may go, if they would make more than the settings allow: an
    admin INVITATIONS_PER_ADMIN_PER_HOUR in any hour, a team INVITATIONS_PER_TEAM_PER_DAY in any 24
    hours (0: no limit). Without it, any admin could send any number of mails with a text of their
    choosing (a team's name, their own) to any address.

    Counted in the database from the activity log, so the limits hold across workers. Every service
    that invites calls this in its transaction, after `lock_teams(team)` and before it writes
    anything; the lock on the team, and here on the actor's account (an admin of two teams), make
    requests that invite at the same moment take turns. Support staff and the system (actor None:
    a purchase) are not limited, and their invitations do not count against a team.
    """
    if count <= 0 or actor is None or is_support(actor):
        return
    now = timezone.now()
    per_admin = settings.INVITATIONS_PER_ADMIN_PER_HOUR
    if per_admin > 0:
        # Lock the admin's account: their invitations into two teams, under two team locks, take turns.
        list(User.objects.select_for_update().filter(pk=actor.pk).order_by().values_list("pk"))
        sent = _invitations().filter(actor=actor, created_at__gt=now - ADMIN_WINDOW)
        _refuse_beyond(
            sent,
            limit=per_admin,
            count=count,
            window=ADMIN_WINDOW,
            messages=(ADMIN_LIMIT_REACHED, ADMIN_LIMIT_LEFT, ADMIN_LIMIT_TOO_MANY),
        )
    per_team = settings.INVITATIONS_PER_TEAM_PER_DAY
    if per_team > 0:
        received = _invitations().filter(team=team, created_at__gt=now - TEAM_WINDOW).exclude(actor=None)
        # The admins who invited into the team in the window: a few. Support staff's invitations do
        # not count; who is support is permissions.is_support's to say.
        actors = received.order_by().values_list("actor", flat=True).distinct()
        exempt = [user.pk for user in User.objects.filter(pk__in=actors) if is_support(user)]
        _refuse_beyond(
            received.exclude(actor__in=exempt),
            limit=per_team,
            count=count,
            window=TEAM_WINDOW,
            messages=(TEAM_LIMIT_REACHED, TEAM_LIMIT_LEFT, TEAM_LIMIT_TOO_MANY),
        )


def _invitations() -> QuerySet:
    return ActivityEvent.objects.filter(action__in=INVITATION_ACTIONS)


def _refuse_beyond(sent: QuerySet, *, limit: int, count: int, window: timedelta, messages: tuple) -> None:
    """Refuse `count` more when `sent` (the invitations in the window) and they would pass `limit`."""
    reached, left, too_many = messages
    numbers = {"limit": _number(limit), "asked": _number(count)}
    if count > limit:
        raise ValidationError(too_many % numbers, code="invitation_limit")
    total = sent.count()
    if total + count <= limit:
        return
    # These may go once the oldest (total + count - limit) have left the window.
    oldest = sent.order_by("created_at").values_list("created_at", flat=True)[total + count - limit - 1]
    numbers |= {"count": total, "sent": _number(total), "left": _number(max(0, limit - total))}
    numbers["time"] = _time(oldest + window)
    raise ValidationError((reached if count == 1 else left) % numbers, code="invitation_limit")


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def _time(moment: datetime) -> str:
    """The whole minute at or after `moment`, in the portal's time zone: the time alone today
    ("14:05"), with its day otherwise."""
    local = timezone.localtime(moment)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if local.date() == timezone.localdate():
        return date_format(local, "H:i")
    return date_format(local, "SHORT_DATETIME_FORMAT")
