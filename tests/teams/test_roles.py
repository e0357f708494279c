"""Roles and guests (R-PA1..R-PA4, R-SA1, R-G1..R-G3): the "Change role" dialog's service, the guest
flag, and collaborators from a connected cloud-collaboration product."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from licensing.accounts.models import User
from licensing.accounts.services import collaborator_add
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from licensing.teams.services import (
    ADMIN_CANNOT_BE_GUEST,
    NOT_ALLOWED,
    ONLY_SECONDARY_CAN_BECOME_PRIMARY,
    PRIMARY_ADMIN_NEEDED,
    member_change_role,
    member_set_guest,
)
from tests.factories import MemberFactory

PRIMARY, SECONDARY, USER = Member.Role.PRIMARY_ADMIN, Member.Role.SECONDARY_ADMIN, Member.Role.USER


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    # pytest-django's locmem EMAIL_BACKEND would bypass django-mailer's queue; mails go out after commit.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def role_of(member) -> str:
    member.refresh_from_db()
    return member.role


def events(action) -> list[ActivityEvent]:
    return list(ActivityEvent.objects.filter(action=action).order_by("pk"))


def name(member) -> str:
    return member.user.get_full_name() or member.user.email


# --- Primary admin (R-PA1..R-PA4) ----------------------------------------------------------------


def test_a_team_has_one_primary_admin(world):
    # R-PA1
    assert list(world.team.members.filter(role=PRIMARY)) == [world.primary]
    assert world.team.primary_admin == world.primary


def test_one_person_can_be_primary_admin_of_several_teams(world):
    # R-PA1
    assert Member.objects.filter(user=world.primary.user, role=PRIMARY).count() == 2
    member_change_role(member=world.secondary, role=PRIMARY, actor=world.primary.user)
    # Reassigning the primary admin of one team leaves the other team's as it was.
    assert Member.objects.get(team=world.other_team, user=world.primary.user).role == PRIMARY


def test_a_secondary_admin_becomes_primary_and_the_former_primary_secondary(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    # R-PA2, R-PA3: one step, both parties told after commit (SPEC §4).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        member_change_role(member=world.secondary, role=PRIMARY, actor=world.primary.user)
        assert mailoutbox == []
    assert callbacks
    assert role_of(world.secondary) == PRIMARY
    assert role_of(world.primary) == SECONDARY
    assert world.team.members.filter(role=PRIMARY).count() == 1
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == [
        ("primary@example.com", "Design has a new primary admin"),
        ("secondary@example.com", "You are now the primary admin of Design"),
    ]


def test_reassigning_the_primary_admin_records_both_role_changes(world):
    # R-PA3
    member_change_role(member=world.secondary, role=PRIMARY, actor=world.primary.user)
    changes = [(e.target_user, e.before, e.after, e.actor) for e in events(ActivityEvent.Action.ROLE_CHANGED)]
    assert changes == [
        (world.primary.user, {"role": PRIMARY}, {"role": SECONDARY}, world.primary.user),
        (world.secondary.user, {"role": SECONDARY}, {"role": PRIMARY}, world.primary.user),
    ]


def test_a_secondary_admin_can_reassign_the_primary_admin(world):
    # R-PA2, SPEC §2: secondary admins may change the primary admin, also to themselves.
    member_change_role(member=world.secondary, role=PRIMARY, actor=world.secondary.user)
    assert role_of(world.secondary) == PRIMARY
    assert role_of(world.primary) == SECONDARY


def test_changing_the_primary_admin_does_not_change_the_contract_manager(world):
    # R-PA4
    contract = world.subscription.contract
    member_change_role(member=world.secondary, role=PRIMARY, actor=world.primary.user)
    contract.refresh_from_db()
    world.subscription.refresh_from_db()
    assert contract.manager == world.primary.user
    assert world.subscription.owner == world.primary.user


@pytest.mark.parametrize("persona", ["user", "invited"])
def test_only_a_secondary_admin_can_become_primary_admin(world, persona):
    # R-PA2
    member = getattr(world, persona)
    with pytest.raises(ValidationError) as exc:
        member_change_role(member=member, role=PRIMARY, actor=world.primary.user)
    assert exc.value.messages == [str(ONLY_SECONDARY_CAN_BECOME_PRIMARY % {"name": name(member)})]
    assert role_of(member) == USER
    assert role_of(world.primary) == PRIMARY
    assert events(ActivityEvent.Action.ROLE_CHANGED) == []


def test_a_guest_cannot_become_primary_admin(world):
    # R-PA2, R-G3: even when the guest flag is unticked in the same dialog; nothing is half done.
    with pytest.raises(ValidationError) as exc:
        member_change_role(member=world.guest, role=PRIMARY, is_guest=False, actor=world.primary.user)
    assert exc.value.messages == [str(ONLY_SECONDARY_CAN_BECOME_PRIMARY % {"name": name(world.guest)})]
    world.guest.refresh_from_db()
    assert (world.guest.role, world.guest.is_guest) == (USER, True)


@pytest.mark.parametrize("role", [SECONDARY, USER])
def test_the_primary_admin_cannot_be_demoted_directly(world, role):
    # R-PA1: the role changes only by making someone else primary.
    with pytest.raises(ValidationError) as exc:
        member_change_role(member=world.primary, role=role, actor=world.secondary.user)
    assert exc.value.messages == [str(PRIMARY_ADMIN_NEEDED % {"name": name(world.primary)})]
    assert role_of(world.primary) == PRIMARY


def test_making_the_primary_admin_primary_again_writes_nothing(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        member = member_change_role(member=world.primary, role=PRIMARY, actor=world.primary.user)
    assert member.role == PRIMARY
    assert ActivityEvent.objects.count() == 0
    assert callbacks == []


# --- Secondary admins (R-SA1) --------------------------------------------------------------------


def test_a_team_can_have_any_number_of_secondary_admins(world):
    # R-SA1
    extra = [MemberFactory(team=world.team) for _ in range(3)]
    for member in [world.user, world.invited, *extra]:
        member_change_role(member=member, role=SECONDARY, actor=world.secondary.user)
    assert world.team.members.filter(role=SECONDARY).count() == 6
    assert world.team.members.filter(role=PRIMARY).count() == 1


def test_a_new_secondary_admin_is_told_by_mail_and_audited(world, django_capture_on_commit_callbacks, mailoutbox):
    # R-SA1, SPEC §4
    with django_capture_on_commit_callbacks(execute=True):
        member_change_role(member=world.user, role=SECONDARY, actor=world.primary.user)
    assert [(m.to, m.subject) for m in mailoutbox] == [(["user@example.com"], "You are now an admin of Design")]
    assert "You are now secondary admin of Design." in mailoutbox[0].body  # the role in lower case mid-sentence
    (event,) = events(ActivityEvent.Action.ROLE_CHANGED)
    assert (event.before, event.after, event.actor, event.team) == (
        {"role": USER},
        {"role": SECONDARY},
        world.primary.user,
        world.team,
    )


def test_a_secondary_admin_can_become_a_user_again(world, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        member_change_role(member=world.secondary, role=USER, actor=world.primary.user)
    assert role_of(world.secondary) == USER
    assert mailoutbox == []  # no mail for losing the admin role
    (event,) = events(ActivityEvent.Action.ROLE_CHANGED)
    assert (event.before, event.after) == ({"role": SECONDARY}, {"role": USER})


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_team_change_roles(world, persona):
    # SPEC §2
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        member_change_role(member=world.user, role=SECONDARY, actor=getattr(world, persona).user)
    assert role_of(world.user) == USER


def test_support_staff_can_change_roles_in_any_team(world):
    # SPEC §2
    member_change_role(member=world.secondary, role=PRIMARY, actor=world.staff)
    assert role_of(world.secondary) == PRIMARY


# --- Guests (R-G1..R-G3) -------------------------------------------------------------------------


def test_a_user_can_be_marked_and_unmarked_guest(world):
    # R-G2
    member_set_guest(member=world.user, is_guest=True, actor=world.secondary.user)
    world.user.refresh_from_db()
    assert world.user.is_guest
    member_set_guest(member=world.user, is_guest=False, actor=world.secondary.user)
    world.user.refresh_from_db()
    assert not world.user.is_guest
    changes = [(e.before, e.after) for e in events(ActivityEvent.Action.GUEST_CHANGED)]
    assert changes == [({"guest": False}, {"guest": True}), ({"guest": True}, {"guest": False})]


def test_marking_a_guest_guest_again_writes_nothing(world):
    member_set_guest(member=world.guest, is_guest=True, actor=world.primary.user)
    assert ActivityEvent.objects.count() == 0


@pytest.mark.parametrize("persona", ["primary", "secondary"])
def test_admins_cannot_be_marked_guest(world, persona):
    # R-G3
    member = getattr(world, persona)
    with pytest.raises(ValidationError) as exc:
        member_set_guest(member=member, is_guest=True, actor=world.primary.user)
    assert exc.value.messages == [str(ADMIN_CANNOT_BE_GUEST)]
    member.refresh_from_db()
    assert not member.is_guest


@pytest.mark.parametrize("role", [PRIMARY, SECONDARY])
def test_a_user_cannot_become_an_admin_and_a_guest_at_once(world, role):
    # R-G3: refused whole, not half done.
    with pytest.raises(ValidationError) as exc:
        member_change_role(member=world.user, role=role, is_guest=True, actor=world.primary.user)
    assert exc.value.messages == [str(ADMIN_CANNOT_BE_GUEST)]
    world.user.refresh_from_db()
    assert (world.user.role, world.user.is_guest) == (USER, False)
    assert ActivityEvent.objects.count() == 0


def test_a_guest_cannot_be_made_admin_while_staying_guest(world):
    # R-G3
    with pytest.raises(ValidationError, match=re.escape(str(ADMIN_CANNOT_BE_GUEST))):
        member_change_role(member=world.guest, role=SECONDARY, actor=world.primary.user)
    assert role_of(world.guest) == USER


def test_unticking_guest_and_making_secondary_admin_in_one_step(world):
    # R-G2, R-G3, R-SA1
    member_change_role(member=world.guest, role=SECONDARY, is_guest=False, actor=world.primary.user)
    world.guest.refresh_from_db()
    assert (world.guest.role, world.guest.is_guest) == (SECONDARY, False)
    assert [e.action for e in ActivityEvent.objects.order_by("pk")] == [
        ActivityEvent.Action.GUEST_CHANGED,
        ActivityEvent.Action.ROLE_CHANGED,
    ]


def test_a_secondary_admin_made_user_and_guest_in_one_step(world):
    # R-G2
    member_change_role(member=world.secondary, role=USER, is_guest=True, actor=world.primary.user)
    world.secondary.refresh_from_db()
    assert (world.secondary.role, world.secondary.is_guest) == (USER, True)


def test_guests_can_be_given_products(world):
    # R-G2
    assignment = assignment_create(member=world.guest, product=world.product, actor=world.secondary.user)
    assert set(assignment.items.all()) == set(world.items)


def test_an_outsider_cannot_mark_a_guest(world):
    with pytest.raises(PermissionDenied):
        member_set_guest(member=world.user, is_guest=True, actor=world.outsider.user)


def test_a_collaborator_comes_in_as_an_invited_guest(world, django_capture_on_commit_callbacks, mailoutbox):
    # R-G1
    with django_capture_on_commit_callbacks(execute=True):
        member = collaborator_add(team=world.team, email="bim@supplier.example", first_name="Bo", last_name="Bim")
    assert member.is_guest
    assert member.role == USER
    assert member.status == Member.Status.INVITED
    assert not Assignment.objects.filter(member=member).exists()  # R-U3
    assert [m.to for m in mailoutbox] == [["bim@supplier.example"]]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.MEMBER_INVITED)
    assert event.actor is None
    assert event.via == ActivityEvent.Via.SYSTEM


def test_a_collaborator_with_an_account_keeps_it_and_comes_in_as_guest(world):
    # R-G1, R-U7
    users = User.objects.count()
    member = collaborator_add(team=world.other_team, email="USER@example.com", first_name="X", last_name="Y")
    assert member.user == world.user.user
    assert member.is_guest
    assert User.objects.count() == users
    world.user.refresh_from_db()
    assert not world.user.is_guest  # their place in the other team is untouched


def test_a_collaborator_who_is_already_a_member_keeps_their_place_and_role(world):
    # R-G1, R-G3: an admin never turns into a guest this way.
    member = collaborator_add(team=world.team, email="Secondary@example.com", first_name="X", last_name="Y")
    assert member == world.secondary
    world.secondary.refresh_from_db()
    assert (world.secondary.role, world.secondary.is_guest) == (SECONDARY, False)
    assert ActivityEvent.objects.count() == 0
