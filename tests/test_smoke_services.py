import pytest
from django.core.exceptions import ValidationError

from licensing.accounts.services import invitation_accept, member_invite
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from licensing.teams.services import member_change_role


def test_world_runs_through_the_main_services(world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        member = member_invite(
            team=world.team,
            email="David.deJong@Example.com",
            first_name="David",
            last_name="de Jong",
            products=[world.product],
            actor=world.secondary.user,
        )
    assert member.status == Member.Status.INVITED
    assert [m.subject for m in mailoutbox] == ["You are invited to join Design", "DraftPro is ready for you"]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/invitations/" in line)
    raw = link.rstrip("/").rsplit("/", 1)[1]
    member = invitation_accept(raw_token=raw, password="a-Long-passphrase-42")
    assert member.status == Member.Status.ACTIVE
    assignment_create(member=world.user, product=world.product, actor=world.primary.user)
    assignment_create(member=world.guest, product=world.product, actor=world.primary.user)
    with pytest.raises(ValidationError, match="All 3 seats of DraftPro"):
        assignment_create(member=world.secondary, product=world.product, actor=world.primary.user)
    member_change_role(member=world.secondary, role=Member.Role.PRIMARY_ADMIN, actor=world.primary.user)
    world.primary.refresh_from_db()
    assert world.primary.role == Member.Role.SECONDARY_ADMIN
