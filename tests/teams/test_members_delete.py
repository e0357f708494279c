"""Deleting users from a team (R-D1, R-D2)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from licensing.accounts.models import Invitation, User
from licensing.accounts.services import INVITATION_UNKNOWN, invitation_for_token, invitation_send
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create, seats_assigned
from licensing.teams.models import Member
from licensing.teams.services import ADMIN_CANNOT_BE_DELETED, NOT_ALLOWED, member_change_role, member_delete
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SubscriptionFactory


@pytest.fixture
def user_in_two_teams(world):
    """world.user holds DraftPro (one item) and RenderFarm in Design, and DraftPro in Engineering."""
    render = ProductFactory(name="RenderFarm")
    SubscriptionFactory(team=world.team, product=render, seats=1)
    SubscriptionFactory(team=world.other_team, product=world.product, seats=1)
    assignment_create(member=world.user, product=world.product, items=world.items[:1], actor=world.primary.user)
    assignment_create(member=world.user, product=render, actor=world.primary.user)
    elsewhere = MemberFactory(team=world.other_team, user=world.user.user)
    AssignmentFactory(member=elsewhere, product=world.product)
    ActivityEvent.objects.all().delete()
    return elsewhere


def test_deleting_removes_every_assignment_in_that_team_at_once(world, user_in_two_teams):
    # R-D1
    lost = member_delete(member=world.user, actor=world.secondary.user)
    assert sorted(lost) == ["DraftPro", "RenderFarm"]
    assert not Member.objects.filter(pk=world.user.pk).exists()
    assert not Assignment.objects.filter(member__team=world.team, member__user=world.user.user).exists()
    assert seats_assigned(world.team, world.product) == 0  # the seat is free again


def test_deleting_keeps_the_account_and_the_other_teams(world, user_in_two_teams):
    # R-D1
    member_delete(member=world.user, actor=world.primary.user)
    assert User.objects.filter(pk=world.user.user.pk, is_active=True).exists()
    assert Member.objects.filter(pk=user_in_two_teams.pk).exists()
    assert Assignment.objects.filter(member=user_in_two_teams, product=world.product).exists()


def test_deleting_records_the_lost_products_and_the_member(world, user_in_two_teams):
    # R-D1
    member_delete(member=world.user, actor=world.primary.user)
    unassigned = ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED)
    assert sorted((e.product.name, e.before["items"], e.after) for e in unassigned) == [
        ("DraftPro", ["draftpro-desktop"], None),
        ("RenderFarm", [], None),
    ]
    deleted = ActivityEvent.objects.get(action=ActivityEvent.Action.MEMBER_DELETED)
    assert deleted.team == world.team
    assert deleted.actor == world.primary.user
    assert deleted.target_user == world.user.user
    assert deleted.before["role"] == Member.Role.USER
    assert sorted(deleted.before["products"]) == ["DraftPro", "RenderFarm"]


@pytest.mark.parametrize("persona", ["primary", "secondary"])
def test_an_admin_cannot_be_deleted(world, persona):
    # R-D2
    member = getattr(world, persona)
    with pytest.raises(ValidationError) as exc:
        member_delete(member=member, actor=world.primary.user)
    name = member.user.get_full_name() or member.user.email
    assert exc.value.messages == [str(ADMIN_CANNOT_BE_DELETED % {"name": name})]
    assert Member.objects.filter(pk=member.pk).exists()


def test_a_former_admin_can_be_deleted_once_their_role_is_user(world):
    # R-D2
    member_change_role(member=world.secondary, role=Member.Role.USER, actor=world.primary.user)
    member_delete(member=world.secondary, actor=world.primary.user)
    assert not Member.objects.filter(pk=world.secondary.pk).exists()


def test_a_guest_can_be_deleted(world):
    member_delete(member=world.guest, actor=world.secondary.user)
    assert not Member.objects.filter(pk=world.guest.pk).exists()


def test_deleting_an_invited_member_kills_their_invitation_link(world, mailoutbox):
    # R-D1, R-U4
    invitation_send(member=world.invited, actor=world.primary.user)
    raw = next(line for line in mailoutbox[-1].body.splitlines() if "/invitations/" in line).rsplit("/", 2)[1]
    member_delete(member=world.invited, actor=world.primary.user)
    assert not Invitation.objects.filter(member_id=world.invited.pk).exists()
    with pytest.raises(ValidationError, match=re.escape(str(INVITATION_UNKNOWN))):
        invitation_for_token(raw)


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_team_delete_users(world, persona):
    # R-D1
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        member_delete(member=world.invited, actor=getattr(world, persona).user)
    assert Member.objects.filter(pk=world.invited.pk).exists()


def test_support_staff_can_delete_users(world):
    member_delete(member=world.user, actor=world.staff)
    assert not Member.objects.filter(pk=world.user.pk).exists()
