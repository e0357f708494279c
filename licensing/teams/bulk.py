"""By User's bulk actions on many members at once (R-U1), for the list's view and for the job that
runs a large one (licensing.jobs.tasks):

- `members_matching`: "Select all 1,017 users that match" resolved on the server, from the same
  filters (MemberFilter over `members_for_list`) and query string as the list, at the moment of the
  action; never from ids the browser sends.
- `members_apply`: an action applied row by row, each through its service in its own transaction
  (a refused row does not undo the others): delete (R-D1; admins refused, R-D2), assign and unassign
  a product, change the role (User or Secondary admin, with the guest flag, R-SA1, R-G2, R-G3; never
  Primary admin, R-PA2, and the primary admin's row refused, R-PA1), resend the invitation (R-U5)
  to those who have not accepted; the others are counted apart ("3 had already accepted").
- `bulk_summary`: what the admin reads afterwards, with each refused row and its reason.

A caller like the views: it calls the services and writes nothing itself."""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy, ngettext

from licensing.accounts.services import invitation_resend
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create, assignment_delete
from licensing.teams import services
from licensing.teams.filters import MemberFilter
from licensing.teams.models import Member, Team
from licensing.teams.tables import NAME_ORDER, members_for_list

DOES_NOT_HAVE = gettext_lazy("%(name)s does not have %(product)s.")
# The confirmation of an action on many lists this many by name, then "and 967 more".
LISTED = 20
# The summary lists this many refused rows, then "and 12 more".
REFUSALS_LISTED = 50
# A job tells its page how far it is every this many members.
PROGRESS_EVERY = 50


class Action:
    DELETE = "delete"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    ROLE = "role"
    RESEND = "resend"


def members_matching(team: Team, query: str):
    """The team's members that the list with the query string `query` shows, every page (its filters,
    search and "Show guests"; its sort and page do not matter). ValueError when the filters are not
    valid: the list would show something else than the admin chose from."""
    filterset = MemberFilter(QueryDict((query or "").lstrip("?")), queryset=members_for_list(team), team=team)
    if not filterset.form.is_valid():
        raise ValueError(filterset.form.errors.as_text())
    return Member.objects.filter(team=team, pk__in=filterset.qs.order_by().values("pk"))


def members_in_order(members) -> list[Member]:
    """The members of the queryset `members` as the list orders them, with what the actions read."""
    return list(members.select_related("user", "team").order_by(*NAME_ORDER))


@dataclass
class BulkResult:
    """What an action on many did: `done` members, `refused` ones with the reason, and `skipped` ones
    it was not for (an invitation already accepted, a role they already have)."""

    done: int = 0
    refused: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)
    skipped: int = 0
    admin_lost: bool = False  # the admin made themselves a User: they are no longer an admin here

    def as_data(self) -> dict:
        return {"done": self.done, "refused": [list(r) for r in self.refused], "skipped": self.skipped}

    @classmethod
    def from_data(cls, data: dict) -> "BulkResult":
        return cls(
            done=data.get("done", 0),
            refused=[tuple(r) for r in data.get("refused", [])],
            skipped=data.get("skipped", 0),
        )


def _unchanged(member: Member, role: str, is_guest: bool | None) -> bool:
    return member.role == role and (is_guest is None or member.is_guest == is_guest)


def members_apply(
    action: str,
    members: Iterable[Member],
    *,
    actor,
    product=None,
    role: str | None = None,
    is_guest: bool | None = None,
    progress: Callable[[int], None] | None = None,
) -> BulkResult:
    """Apply `action` to each of `members` through its service, each in its own transaction.

    The admin's own row comes last: changing their own role to User takes away their right to change
    the others'. A refusal because the admin is no longer allowed (another admin changed their role
    meanwhile) refuses the rest with the same reason. Resending stops at the invitation limits
    (`invitations_allow`): the rest are refused with that one reason, not tried one by one."""
    members = sorted(members, key=lambda m: m.user_id == getattr(actor, "pk", None))
    result = BulkResult()
    stop_reason = ""
    for number, member in enumerate(members, start=1):
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number)
        if stop_reason:
            result.refused.append((member.name, stop_reason))
            continue
        try:
            if action == Action.RESEND and member.status != Member.Status.INVITED:
                result.skipped += 1
                continue
            if action == Action.ROLE and _unchanged(member, role, is_guest):
                result.skipped += 1
                continue
            _apply_one(action, member, actor=actor, product=product, role=role, is_guest=is_guest)
        except PermissionDenied as error:
            stop_reason = str(error)
            result.refused.append((member.name, stop_reason))
        except ValidationError as error:
            reason = " ".join(error.messages)
            result.refused.append((member.name, reason))
            if action == Action.RESEND and getattr(error, "code", None) == "invitation_limit":
                stop_reason = reason
        else:
            result.done += 1
            if action == Action.ROLE and member.user_id == getattr(actor, "pk", None) and role == Member.Role.USER:
                result.admin_lost = True
    return result


def _apply_one(action: str, member: Member, *, actor, product, role, is_guest) -> None:
    if action == Action.DELETE:
        services.member_delete(member=member, actor=actor)  # R-D1, R-D2
    elif action == Action.ASSIGN:
        assignment_create(member=member, product=product, actor=actor)
    elif action == Action.UNASSIGN:
        assignment = Assignment.objects.filter(member=member, product=product).first()
        if assignment is None:
            raise ValidationError(DOES_NOT_HAVE % {"name": member.name, "product": product.name})
        assignment_delete(assignment=assignment, actor=actor)
    elif action == Action.ROLE:
        if role not in (Member.Role.USER, Member.Role.SECONDARY_ADMIN):  # R-PA2: never many at once
            raise ValueError(f"Not a role for many: {role!r}")
        services.member_change_role(member=member, role=role, is_guest=is_guest, actor=actor)
    elif action == Action.RESEND:
        invitation_resend(member=member, actor=actor, bulk=True)  # R-U5
    else:
        raise ValueError(f"Unknown bulk action: {action!r}")


def role_label(role: str | None, is_guest: bool | None) -> str:
    """The role as the summary says it: "User", "Guest user", "Secondary admin"."""
    if role == Member.Role.SECONDARY_ADMIN:
        return str(Member.Role.SECONDARY_ADMIN.label)
    if is_guest:
        return str(gettext_lazy("Guest user"))
    return str(Member.Role.USER.label)


def bulk_summary(action: str, result: BulkResult, *, product_name: str = "", role_name: str = ""):
    """ "12 invitations sent; 3 had already accepted; 1 not sent:" and a line per refused row with its
    reason (one line for many rows refused for the same reason, an invitation limit)."""
    done, n = result.done, len(result.refused)
    values = {"product": product_name, "role": role_name}
    if action == Action.DELETE:
        done_text = ngettext("%(count)d deleted", "%(count)d deleted", done)
        refused_text = ngettext("%(count)d not deleted", "%(count)d not deleted", n)
    elif action == Action.ASSIGN:
        done_text = ngettext("%(product)s assigned to %(count)d user", "%(product)s assigned to %(count)d users", done)
        refused_text = ngettext("%(count)d not assigned", "%(count)d not assigned", n)
    elif action == Action.UNASSIGN:
        done_text = ngettext(
            "%(product)s unassigned from %(count)d user", "%(product)s unassigned from %(count)d users", done
        )
        refused_text = ngettext("%(count)d not unassigned", "%(count)d not unassigned", n)
    elif action == Action.ROLE:
        done_text = ngettext("%(count)d user is now %(role)s", "%(count)d users are now %(role)s", done)
        refused_text = ngettext("%(count)d not changed", "%(count)d not changed", n)
    else:
        done_text = ngettext("%(count)d invitation sent again", "%(count)d invitations sent again", done)
        refused_text = ngettext("%(count)d not sent", "%(count)d not sent", n)
    parts = [done_text % {"count": done, **values}]
    if result.skipped:
        if action == Action.RESEND:
            skipped = ngettext("%(count)d had already accepted", "%(count)d had already accepted", result.skipped)
        else:
            skipped = ngettext("%(count)d had that role already", "%(count)d had that role already", result.skipped)
        parts.append(skipped % {"count": result.skipped})
    if not result.refused:
        return format_html("{}.", "; ".join(parts))
    parts.append(refused_text % {"count": n, **values})
    # A reason that names the person already says who; the others get the name in front. A reason
    # many rows share (an invitation limit, a right lost meanwhile) is said once.
    counts = Counter(reason for _name, reason in result.refused)
    lines, seen = [], set()
    for name, reason in result.refused:
        if counts[reason] > 1:
            if reason not in seen:
                seen.add(reason)
                lines.append(reason)
        else:
            lines.append(reason if name in reason else f"{name}: {reason}")
    if len(lines) > REFUSALS_LISTED:
        more = len(lines) - REFUSALS_LISTED
        lines = [*lines[:REFUSALS_LISTED], ngettext("and %(count)d more", "and %(count)d more", more) % {"count": more}]
    items = format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    return format_html('{}:<ul class="sk-bulk-refusals">{}</ul>', "; ".join(parts), items)
