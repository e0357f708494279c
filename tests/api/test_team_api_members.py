"""The team-admin API's teams and members (issue 21 §3): list, get, invite, change role, delete, each
through the portal's services and rules (R-U2, R-U7, R-PA1..R-PA3, R-SA1, R-G2, R-G3, R-D1, R-D2)."""

import pytest
from django.core import mail

from licensing.accounts.models import User
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from tests.api.team_api import assert_problem

pytestmark = pytest.mark.django_db


def members_of(world):
    return f"/teams/{world.team.pk}/members"


def member_url(member):
    return f"/teams/{member.team_id}/members/{member.pk}"


def test_the_teams_the_token_may_act_on(team_api, world):
    body = team_api.get("/teams").json()
    assert [(team["name"], team["role"]) for team in body["items"]] == [
        ("Design", "primary_admin"),
        ("Engineering", "primary_admin"),
    ]
    assert body["items"][0]["customer"] == "Bouwbedrijf De Vries B.V."


def test_members_listed_by_name_with_their_products(team_api, world):
    assignment_create(member=world.user, product=world.product, items=world.items[:1], actor=None)
    body = team_api.get(members_of(world)).json()
    assert body["count"] == 5
    assert body["pages"] == 1
    names = [row["last_name"] for row in body["items"]]
    assert names == sorted(names, key=str.lower)
    user = next(row for row in body["items"] if row["id"] == world.user.pk)
    assert user["products"] == [
        {"product": "draftpro", "name": "DraftPro", "items": ["draftpro-desktop"], "direct": True}
    ]
    invited = next(row for row in body["items"] if row["id"] == world.invited.pk)
    assert invited["status"] == "invited"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"role": "secondary_admin"}, ["secondary"]),
        ({"status": "invited"}, ["invited"]),
        ({"guests": "false"}, ["primary", "secondary", "user", "invited"]),
        ({"q": "guest@"}, ["guest"]),
        ({"product": "draftpro"}, ["user"]),
    ],
)
def test_members_filtered_as_by_user_filters_them(team_api, world, params, expected):
    # R-U1, R-G4: the filters of By User.
    assignment_create(member=world.user, product=world.product, actor=None)
    body = team_api.get(members_of(world), params).json()
    assert {row["id"] for row in body["items"]} == {getattr(world, name).pk for name in expected}


def test_members_a_page_at_a_time(team_api, world):
    first = team_api.get(members_of(world), {"size": 2}).json()
    last = team_api.get(members_of(world), {"size": 2, "page": 3}).json()
    beyond = team_api.get(members_of(world), {"size": 2, "page": 9}).json()
    assert (first["count"], first["pages"], len(first["items"])) == (5, 3, 2)
    assert len(last["items"]) == 1
    assert beyond["items"] == []


@pytest.mark.parametrize("params", [{"size": 101}, {"size": 0}, {"page": 0}, {"role": "owner"}, {"page": "x"}])
def test_bad_paging_and_filters_are_a_422_problem(team_api, world, params):
    assert_problem(team_api.get(members_of(world), params), 422)


def test_an_unknown_product_filter_is_404(team_api, world):
    assert_problem(team_api.get(members_of(world), {"product": "nothing"}), 404)


def test_one_member(team_api, world):
    body = team_api.get(member_url(world.secondary)).json()
    assert body["email"] == "secondary@example.com"
    assert body["role"] == "secondary_admin"


def test_another_teams_member_is_not_found(team_api, world):
    # The outsider's member on this team's address (and the admin's other team's member too).
    assert_problem(team_api.get(f"/teams/{world.team.pk}/members/{world.outsider.pk}"), 404)
    other = Member.objects.get(team=world.other_team)
    assert_problem(team_api.get(f"/teams/{world.team.pk}/members/{other.pk}"), 404)


def test_invite_one_person_with_a_product(team_api, world):
    # R-U2, R-U3, R-U4: invited, with the mail, and the product assigned at once.
    body = {"email": "Anna@Example.com", "first_name": "Anna", "last_name": "Bakker", "products": ["draftpro"]}
    response = team_api.post(members_of(world), body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "invited"
    assert created["products"][0]["items"] == ["cloud-render", "draftpro-desktop"]
    member = Member.objects.get(pk=created["id"])
    assert member.team == world.team
    assert member.invited_by == world.primary.user
    assert len(mail.outbox) == 2  # the invitation and the product assigned
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.MEMBER_INVITED, target_user=member.user)
    assert event.via == ActivityEvent.Via.API
    assert event.actor == world.primary.user


def test_invite_uses_the_existing_account(team_api, world):
    # R-U7: the outsider's account, whatever the case of the address.
    body = {"email": "OUTSIDER@example.com", "first_name": "O", "last_name": "S"}
    assert team_api.post(members_of(world), body).status_code == 201
    assert User.objects.with_email("outsider@example.com").count() == 1
    assert Member.objects.filter(team=world.team, user=world.outsider.user).exists()


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"email": "not an address", "first_name": "A", "last_name": "B"}, "email", None),
        ({"email": "user@example.com", "first_name": "A", "last_name": "B"}, "email", None),
        ({"email": "a@example.com", "first_name": "=cmd", "last_name": "B"}, "first_name", None),
        ({"email": "a@example.com", "first_name": "A"}, "last_name", "MISSING"),
    ],
)
def test_invite_refused_with_the_field_and_the_rule(team_api, world, body, field, rule):
    problem = assert_problem(team_api.post(members_of(world), body), 422, rule)
    assert field in [error["field"] for error in problem["errors"]]
    assert not Member.objects.filter(team=world.team, user__email="a@example.com").exists()


def test_invite_with_a_product_without_a_free_seat_writes_nothing(team_api, world):
    # R-SE1, R-U3: the invitation and the seat together, or nothing.
    for member in (world.user, world.guest, world.secondary):
        assignment_create(member=member, product=world.product, actor=None)
    body = {"email": "b@example.com", "first_name": "B", "last_name": "C", "products": ["draftpro"]}
    assert_problem(team_api.post(members_of(world), body), 422, "NO_FREE_SEAT")
    assert not User.objects.filter(email="b@example.com").exists()
    # (The tests' memory mail backend sends at once; the real queue's row is rolled back with the rest.)
    assert not ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_INVITED).exists()


def test_invite_limits_apply(team_api, world, settings):
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = 1
    body = {"email": "c@example.com", "first_name": "C", "last_name": "D"}
    assert team_api.post(members_of(world), body).status_code == 201
    body = {"email": "d@example.com", "first_name": "D", "last_name": "E"}
    assert_problem(team_api.post(members_of(world), body), 429, "INVITATION_LIMIT")


def test_make_a_secondary_admin_and_a_guest(team_api, world):
    # R-SA1, R-G2.
    response = team_api.patch(member_url(world.user), {"role": "secondary_admin"})
    assert response.json()["role"] == "secondary_admin"
    response = team_api.patch(member_url(world.guest), {"is_guest": False})
    assert response.json()["is_guest"] is False
    world.user.refresh_from_db()
    assert world.user.role == Member.Role.SECONDARY_ADMIN


def test_the_primary_admin_is_handed_over_to_a_secondary(team_api, world):
    # R-PA2, R-PA3: the secondary becomes primary, the former primary secondary, in one step.
    response = team_api.patch(member_url(world.secondary), {"role": "primary_admin"})
    assert response.status_code == 200, response.content
    world.primary.refresh_from_db()
    world.secondary.refresh_from_db()
    assert world.secondary.role == Member.Role.PRIMARY_ADMIN
    assert world.primary.role == Member.Role.SECONDARY_ADMIN


@pytest.mark.parametrize(
    ("who", "change", "rule"),
    [
        ("user", {"role": "primary_admin"}, "NOT_SECONDARY"),  # R-PA2
        ("primary", {"role": "user"}, "PRIMARY_NEEDED"),  # R-PA1
        ("secondary", {"is_guest": True}, "ADMIN_GUEST"),  # R-G3
    ],
)
def test_role_changes_the_portal_refuses_are_refused(team_api, world, who, change, rule):
    member = getattr(world, who)
    assert_problem(team_api.patch(member_url(member), change), 422, rule)
    before = member.role
    member.refresh_from_db()
    assert member.role == before


def test_delete_a_member_and_their_seats(team_api, world):
    # R-D1: the seats go with the member; the account stays.
    assignment_create(member=world.user, product=world.product, actor=None)
    response = team_api.delete(member_url(world.user))
    assert response.status_code == 200, response.content
    assert response.json() == {"products": ["DraftPro"]}
    assert not Member.objects.filter(pk=world.user.pk).exists()
    assert not Assignment.objects.filter(member_id=world.user.pk).exists()
    assert User.objects.filter(pk=world.user.user_id).exists()


def test_an_admin_is_not_deleted(team_api, world):
    # R-D2.
    assert_problem(team_api.delete(member_url(world.secondary)), 422, "ADMIN")
    assert Member.objects.filter(pk=world.secondary.pk).exists()


def test_a_member_deleted_meanwhile_is_404_then(team_api, world):
    assert team_api.delete(member_url(world.user)).status_code == 200
    assert_problem(team_api.delete(member_url(world.user)), 404)
