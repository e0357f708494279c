"""Who may act on a person's account itself, beyond their place in one team (teams/permissions.py)."""

from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members, is_support


def can_sign_out_devices(actor, user, team: Team | None = None) -> bool:
    """Sign out `user`'s desktop devices (R-S2): the person themself, support staff, or an admin of a
    team in which `user` is an active member. With `team` (acting from that team's user page): an
    admin of that team, with `user` an active member of it.

    Someone who has only been invited to a team has not joined it yet; that team's admins do not
    act on their account."""
    if actor is None or not actor.is_authenticated:
        return False
    if team is not None:
        if actor.pk == user.pk:
            return True
        return can_manage_members(actor, team) and _active_in(user, Team.objects.filter(pk=team.pk))
    if actor.pk == user.pk or is_support(actor):
        return True
    return _active_in(user, Team.objects.administered_by(actor))


def _active_in(user, teams) -> bool:
    return Member.objects.filter(user=user, status=Member.Status.ACTIVE, team__in=teams).exists()
