"""Teams (R-T2..R-T5): create, rename, the default name, and adding people to another team."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from licensing.accounts.models import User
from licensing.accounts.services import member_invite
from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member, Team
from licensing.teams.services import (
    NOT_ALLOWED,
    TEAM_NAME_REQUIRED,
    TEAM_NAME_TOO_LONG,
    default_team_name,
    team_create,
    team_rename,
)
from tests.factories import MemberFactory, UserFactory

# --- Create (R-T3) -------------------------------------------------------------------------------


def test_an_admin_creates_a_team_and_becomes_its_primary_admin(world):
    # R-T3, R-PA1
    team = team_create(
        customer=world.team.customer,
        name="Site Utrecht",
        primary_admin=world.secondary.user,
        actor=world.secondary.user,
    )
    assert team.customer == world.team.customer
    assert team.name == "Site Utrecht"
    assert team.created_by == world.secondary.user
    (member,) = team.members.all()
    assert (member.user, member.role, member.status) == (
        world.secondary.user,
        Member.Role.PRIMARY_ADMIN,
        Member.Status.ACTIVE,
    )
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.TEAM_CREATED)
    assert (event.team, event.actor, event.after) == (
        team,
        world.secondary.user,
        {"name": "Site Utrecht", "primary_admin": "secondary@example.com"},
    )


def test_a_team_name_is_trimmed(world):
    # R-T3
    team = team_create(customer=world.team.customer, name="  Site \t  Utrecht ", primary_admin=world.primary.user)
    assert team.name == "Site Utrecht"


@pytest.mark.parametrize(
    ("name", "message"), [("", TEAM_NAME_REQUIRED), ("   ", TEAM_NAME_REQUIRED), ("x" * 101, TEAM_NAME_TOO_LONG)]
)
def test_a_team_needs_a_name_of_at_most_100_characters(world, name, message):
    # R-T3
    teams = Team.objects.count()
    with pytest.raises(ValidationError) as exc:
        team_create(customer=world.team.customer, name=name, primary_admin=world.primary.user, actor=world.primary.user)
    assert exc.value.messages == [str(message)]
    assert Team.objects.count() == teams


def test_a_name_of_100_characters_is_fine(world):
    team = team_create(customer=world.team.customer, name="x" * 100, primary_admin=world.primary.user)
    assert len(team.name) == 100


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_customer_create_teams(world, persona):
    # R-T3, SPEC §2: an admin of another customer's team has no rights here.
    actor = getattr(world, persona).user
    teams = Team.objects.count()
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        team_create(customer=world.team.customer, name="Mine", primary_admin=actor, actor=actor)
    assert Team.objects.count() == teams


def test_an_admin_who_has_not_accepted_yet_cannot_create_a_team(world):
    # SPEC §2: rights hold once the invitation is accepted (as everywhere else, see permissions.py).
    pending = MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN, status=Member.Status.INVITED)
    with pytest.raises(PermissionDenied):
        team_create(customer=world.team.customer, name="Mine", primary_admin=pending.user, actor=pending.user)


def test_support_staff_create_teams_for_any_customer(world):
    # SPEC §2
    team = team_create(
        customer=world.outsider_team.customer, name="Support made", primary_admin=world.outsider.user, actor=world.staff
    )
    assert team.primary_admin.user == world.outsider.user


def test_a_primary_admin_without_an_account_yet_is_invited(world, mailoutbox):
    # R-T2, R-U2: someone who has never signed in gets an invitation.
    newcomer = User.objects.create_user("jan@vandijk.example", first_name="Jan", last_name="de Vries")
    team = team_create(customer=world.team.customer, name="New", primary_admin=newcomer)
    member = team.members.get()
    assert (member.role, member.status) == (Member.Role.PRIMARY_ADMIN, Member.Status.INVITED)
    assert member.invitations.count() == 1
    assert [m.subject for m in mailoutbox] == ["You are invited to join New"]


# --- Default name (R-T2) -------------------------------------------------------------------------


def test_the_default_team_name_contains_the_primary_admins_name(db):
    # R-T2
    assert default_team_name(UserFactory(first_name="Jan", last_name="de Vries")) == "Jan de Vries's team"
    assert (
        default_team_name(UserFactory(first_name="", last_name="", email="jan@example.com")) == "jan@example.com's team"
    )
    assert len(default_team_name(UserFactory(first_name="J" * 150, last_name="V" * 150))) == 100


# --- Rename (R-T4) -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["primary", "secondary"])
def test_an_admin_renames_the_team(world, persona):
    # R-T4
    actor = getattr(world, persona).user
    team = team_rename(team=world.team, name="  Design   & Build ", actor=actor)
    assert team.name == "Design & Build"
    world.team.refresh_from_db()
    assert world.team.name == "Design & Build"
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.TEAM_RENAMED)
    assert (event.team, event.actor, event.before, event.after) == (
        world.team,
        actor,
        {"name": "Design"},
        {"name": "Design & Build"},
    )


@pytest.mark.parametrize("name", ["Design", "  Design  "])
def test_renaming_to_the_same_name_writes_nothing(world, name):
    # R-T4: nothing happens when the name does not change.
    team_rename(team=world.team, name=name, actor=world.primary.user)
    assert ActivityEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "message"), [("", TEAM_NAME_REQUIRED), (" \n ", TEAM_NAME_REQUIRED), ("y" * 101, TEAM_NAME_TOO_LONG)]
)
def test_a_blank_or_long_name_is_refused_on_rename(world, name, message):
    # R-T4
    with pytest.raises(ValidationError) as exc:
        team_rename(team=world.team, name=name, actor=world.primary.user)
    assert exc.value.messages == [str(message)]
    world.team.refresh_from_db()
    assert world.team.name == "Design"
    assert ActivityEvent.objects.count() == 0


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_team_rename_it(world, persona):
    # R-T4
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        team_rename(team=world.team, name="Taken over", actor=getattr(world, persona).user)
    world.team.refresh_from_db()
    assert world.team.name == "Design"


def test_an_admin_of_a_sibling_team_cannot_rename_this_one(world):
    # SPEC §2: rights hold only in the teams where one is admin.
    admin_elsewhere = MemberFactory(team=world.other_team, role=Member.Role.SECONDARY_ADMIN)
    with pytest.raises(PermissionDenied):
        team_rename(team=world.team, name="Taken over", actor=admin_elsewhere.user)


# --- Adding people to another team (R-T5) --------------------------------------------------------


def test_adding_a_user_to_a_team_keeps_their_other_teams(world):
    # R-T5
    member = member_invite(
        team=world.other_team, email="guest@example.com", first_name="G", last_name="Uest", actor=world.primary.user
    )
    assert member.user == world.guest.user
    world.guest.refresh_from_db()  # still there, role and guest flag unchanged
    assert (world.guest.team, world.guest.is_guest, world.guest.status) == (world.team, True, Member.Status.ACTIVE)
    assert Member.objects.filter(user=world.guest.user).count() == 2
    assert not member.is_guest  # the flag is per team
