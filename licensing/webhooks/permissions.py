"""Who may register a team's webhook endpoints (R-API4): its primary admin, who also holds the
team's sign-in security (R-PA5), and support staff. A secondary admin sees Team settings but not this."""

from licensing.teams.models import Member, Team
from licensing.teams.permissions import is_support, membership


def can_manage_webhooks(user, team: Team) -> bool:
    if is_support(user):
        return True
    member = membership(user, team)
    return member is not None and member.role == Member.Role.PRIMARY_ADMIN
