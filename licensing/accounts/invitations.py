"""Sending an invitation (R-U4, R-U5): the one write every way into a team ends with for a person
who has not accepted yet. Beneath every service that invites (`teams.services.team_create`,
`accounts.services.member_invite`, ...), so it imports no service itself: only models and mail."""

from django.utils import timezone

from licensing.accounts.models import Invitation, new_token
from licensing.teams.models import Member
from portal.mail import mail_send

__all__ = ["invitation_send"]


def invitation_send(*, member: Member, actor, resent: bool = False) -> Invitation:
    """Mail `member` a new invitation link; every older link of theirs stops working (R-U5).
    Called inside the transaction of the change that invites."""
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
    )
    return invitation
