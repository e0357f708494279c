"""Who may do what in a team (SPEC §2). Views, templates and services ask these functions; no other
place decides."""

from licensing.teams.models import Member, Team


def membership(user, team: Team) -> Member | None:
    """The user's active membership of `team`, or None."""
    if not user.is_authenticated:
        return None
    return Member.objects.filter(team=team, user=user, status=Member.Status.ACTIVE).first()


def is_team_admin(user, team: Team) -> bool:
    """Primary or secondary admin of `team` (R-U1). Rights hold only in the teams where one is admin."""
    member = membership(user, team)
    return member is not None and member.is_admin


SUPPORT_PERMISSION = "teams.act_as_support"


def is_support(user) -> bool:
    """Support staff of the vendor, who work in the Django admin and may act on every team (§2).

    An active staff account (it may sign in to the admin) that holds the permission "Act as support
    staff in every team", directly or through a group (the migrations make "Support staff");
    superusers hold every permission. Being staff alone gives no power over customers' teams: a
    staff member may have been let into the admin for one list only.
    """
    return bool(
        user and user.is_authenticated and user.is_active and user.is_staff and user.has_perm(SUPPORT_PERMISSION)
    )


def can_manage_members(user, team: Team) -> bool:
    """Invite, assign, unassign, delete users; change roles and guest flags; rename the team (§2)."""
    return is_support(user) or is_team_admin(user, team)


def can_view_reports(user, team: Team) -> bool:
    """See and export seat-usage reports and the activity log (R-R3)."""
    return can_manage_members(user, team)


def can_require_second_factor(user, team: Team) -> bool:
    """Require a second factor of the team's admins, or stop requiring it: the primary admin (who
    also manages SSO, R-PA5) and support staff."""
    if is_support(user):
        return True
    member = membership(user, team)
    return member is not None and member.role == Member.Role.PRIMARY_ADMIN
