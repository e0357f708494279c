"""By Group in the team-admin API (licensing/groups/api.py; issue 20 with issue 21 §3): groups listed,
created, renamed and deleted, their members added (per entry) and removed, their products assigned,
changed and unassigned, their waiting list; through the groups' services only, with the door of
every team-admin operation (R-API3), idempotent writes (R-API2) and problem details."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from licensing.activity.models import ActivityEvent
from licensing.groups import services
from licensing.groups.models import Group, GroupMember, GroupProduct, SeatWait
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from tests.api.team_api import TeamApi, assert_problem, make_token
from tests.factories import MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def team_api(client, world) -> TeamApi:
    """The primary admin's script, with a read-and-write token for all their teams."""
    return TeamApi(client, make_token(world.primary.user))


def groups_of(team) -> str:
    return f"/teams/{team.pk}/groups"


def group_url(group, rest: str = "") -> str:
    return f"/teams/{group.team_id}/groups/{group.pk}{rest}"


def make_group(world, name="Engineers", members=(), product=None, items=None) -> Group:
    actor = world.primary.user
    group = services.group_create(team=world.team, name=name, description="CAD people", actor=actor)
    if members:
        services.group_members_add(group=group, members=list(members), actor=actor)
    if product is not None:
        services.group_product_assign(group=group, product=product, items=items, actor=actor)
    return group


def everyone(world) -> list:
    """The world's five members of team A, in the order they join: 3 seats of DraftPro for them."""
    return [world.primary, world.secondary, world.user, world.guest, world.invited]


def state():
    return (
        sorted(Group.objects.values_list("pk", "name", "description")),
        sorted(GroupMember.objects.values_list("group", "member")),
        sorted(GroupProduct.objects.values_list("group", "product")),
        sorted(Assignment.objects.values_list("member", "product")),
        SeatWait.objects.count(),
        ActivityEvent.objects.count(),
    )


# --- Groups ---------------------------------------------------------------------------------------


def test_the_list_counts_members_products_and_waiting_and_searches_names(team_api, world):
    # R-GR1, R-GR5: 5 members, 3 seats: 2 wait.
    make_group(world, "Engineers", everyone(world), world.product)
    make_group(world, "Sales")
    body = team_api.get(groups_of(world.team)).json()
    assert (body["count"], body["pages"]) == (2, 1)
    engineers, sales = body["items"]
    assert (engineers["name"], engineers["members"], engineers["products"], engineers["waiting"]) == (
        "Engineers",
        5,
        ["draftpro"],
        2,
    )
    assert (sales["name"], sales["members"], sales["products"], sales["waiting"]) == ("Sales", 0, [], 0)
    assert [g["name"] for g in team_api.get(groups_of(world.team), {"q": "sal"}).json()["items"]] == ["Sales"]
    assert team_api.get(groups_of(world.team), {"q": "nobody"}).json()["items"] == []


def test_the_list_is_paged(team_api, world):
    for n in range(5):
        make_group(world, f"Group {n}")
    body = team_api.get(groups_of(world.team), {"size": 2, "page": 3}).json()
    assert (body["count"], body["pages"], body["page"], [g["name"] for g in body["items"]]) == (5, 3, 3, ["Group 4"])
    assert team_api.get(groups_of(world.team), {"size": 2, "page": 4}).json()["items"] == []


def test_create_a_group(team_api, world):
    # R-GR1, R-GR8: audited, via API.
    response = team_api.post(groups_of(world.team), {"name": "  Engineers  ", "description": "CAD"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["name"], body["description"], body["members"], body["products"]) == ("Engineers", "CAD", 0, [])
    group = Group.objects.get(pk=body["id"])
    assert group.team == world.team
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.GROUP_CREATED)
    assert (event.via, event.actor, event.target) == ("api", world.primary.user, "Engineers")


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({"name": "engineers"}, "name", "NAME_TAKEN"),  # R-GR1: unique in any case
        ({"name": "   "}, "name", "NAME_REQUIRED"),
        ({"name": "x" * 101}, "name", "NAME_TOO_LONG"),
        ({"name": "=SUM(A1)"}, "name", "FORMULA"),
        ({"name": "x" * 1001}, "name", "TOO_LONG"),
        ({"name": "Ok", "description": "x" * 1001}, "description", "TOO_LONG"),
        ({"name": 12}, "name", "STRING_TYPE"),
        ({"name": "Eng\x00ineers"}, "name", "VALUE_ERROR"),  # PostgreSQL stores no NUL
        ({"description": "no name"}, "name", "MISSING"),
    ],
)
def test_a_bad_group_is_a_problem_naming_its_field(team_api, world, body, field, rule):
    make_group(world, "Engineers")
    before = state()
    problem = assert_problem(team_api.post(groups_of(world.team), body), 422, rule)
    assert field in [error["field"] for error in problem["errors"]], problem
    assert state() == before


def test_get_a_group(team_api, world):
    # R-GR2, R-GR5: the products with their items, seats given and the waiting.
    group = make_group(world, "Engineers", everyone(world), world.product, items=[world.items[1]])
    body = team_api.get(group_url(group)).json()
    assert (body["name"], body["description"], body["members"], body["waiting"]) == ("Engineers", "CAD people", 5, 2)
    assert body["products"] == [
        {"product": "draftpro", "name": "DraftPro", "items": ["cloud-render"], "seats_given": 3, "waiting": 2}
    ]
    assert team_api.get(group_url(group, "/products")).json() == {"items": body["products"]}


def test_rename_and_describe(team_api, world):
    # R-GR1, R-GR8.
    group = make_group(world, "Engineers")
    make_group(world, "Sales")
    response = team_api.patch(group_url(group), {"name": "Engineering"})
    assert (response.json()["name"], response.json()["description"]) == ("Engineering", "CAD people")
    response = team_api.patch(group_url(group), {"description": "Drawing office"})
    assert (response.json()["name"], response.json()["description"]) == ("Engineering", "Drawing office")
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.GROUP_RENAMED, via="api").count() == 2
    problem = assert_problem(team_api.patch(group_url(group), {"name": "SALES"}), 422, "NAME_TAKEN")
    assert problem["errors"][0]["field"] == "name"
    assert Group.objects.get(pk=group.pk).name == "Engineering"


def test_delete_says_first_which_seats_go_and_a_dry_run_deletes_nothing(team_api, world):
    # R-GR4: the secondary admin's direct seat stays; R-GR1: the members stay members of the team.
    assignment_create(member=world.secondary, product=world.product, actor=None)
    group = make_group(world, "Engineers", [world.secondary, world.user], world.product)
    before = state()
    dry = team_api.delete(group_url(group) + "?dry_run=true")
    assert dry.status_code == 200, dry.content
    assert dry.json() == {
        "dry_run": True,
        "deleted": False,
        "name": "Engineers",
        "members": 2,
        "products": [{"product": "draftpro", "name": "DraftPro", "seats_lost": 1, "waiting_ended": 0}],
    }
    assert state() == before
    done = team_api.delete(group_url(group))
    assert done.json() == {**dry.json(), "dry_run": False, "deleted": True}
    assert not Group.objects.filter(pk=group.pk).exists()
    assert list(Assignment.objects.values_list("member", flat=True)) == [world.secondary.pk]
    assert ActivityEvent.objects.get(action=ActivityEvent.Action.GROUP_DELETED).via == "api"
    assert_problem(team_api.delete(group_url(group)), 404)


# --- Members --------------------------------------------------------------------------------------


def test_the_members_paged_searched_and_what_they_wait_for(team_api, world):
    # R-GR5: the last two to join wait for DraftPro.
    group = make_group(world, "Engineers", everyone(world), world.product)
    body = team_api.get(group_url(group, "/members"), {"size": 2}).json()
    assert (body["count"], body["pages"], len(body["items"])) == (5, 3, 2)
    rows = [
        row
        for page in (1, 2, 3)
        for row in team_api.get(group_url(group, "/members"), {"size": 2, "page": page}).json()["items"]
    ]
    assert sorted(row["id"] for row in rows) == sorted(m.pk for m in everyone(world))
    waiting = {row["email"]: row["waiting_for"] for row in rows}
    assert waiting[world.guest.user.email] == waiting[world.invited.user.email] == ["draftpro"]
    assert waiting[world.primary.user.email] == []
    statuses = {row["email"]: row["status"] for row in rows}
    assert (statuses[world.user.user.email], statuses[world.invited.user.email]) == ("active", "invited")
    found = team_api.get(group_url(group, "/members"), {"q": world.guest.user.email}).json()
    assert [(row["id"], row["is_guest"]) for row in found["items"]] == [(world.guest.pk, True)]


def test_add_members_answers_every_entry(team_api, world):
    # R-GR1 (guests too), R-GR2, R-GR5: 3 seats; per entry as the CSV import's lines.
    group = make_group(world, "Engineers", [world.primary], world.product)
    body = {
        "member_ids": [world.secondary.pk, world.primary.pk, world.outsider.pk, world.secondary.pk],
        "emails": [
            "USER@example.com",
            "not an address",
            "nobody@example.com",
            world.guest.user.email,
            "user@example.com",
            f"  {world.invited.user.email} ",
            "",
        ],
    }
    response = team_api.post(group_url(group, "/members"), body)
    assert response.status_code == 200, response.content
    answer = response.json()
    outcomes = [(e["field"], e["index"], e["outcome"], e["member"]) for e in answer["entries"]]
    assert outcomes == [
        ("member_ids", 0, "added", world.secondary.pk),
        ("member_ids", 1, "already", world.primary.pk),
        ("member_ids", 2, "not_member", None),  # another team's member: nobody of this team, nothing more
        ("member_ids", 3, "duplicate", world.secondary.pk),
        ("emails", 0, "added", world.user.pk),
        ("emails", 1, "malformed", None),
        ("emails", 2, "not_member", None),
        ("emails", 3, "added", world.guest.pk),
        ("emails", 4, "duplicate", world.user.pk),
        ("emails", 5, "added", world.invited.pk),
        ("emails", 6, "malformed", None),
    ]
    messages = {(e["field"], e["index"]): e["message"] for e in answer["entries"]}
    assert messages[("member_ids", 2)] == f"Team {world.team.pk} has no member {world.outsider.pk}."
    assert messages[("emails", 1)] == "“not an address” is not an e-mail address."
    assert messages[("emails", 4)] == "The same member as emails[0]."
    assert messages[("member_ids", 0)] == ""
    assert answer["added"] == 4
    # Two seats left for four new members, in the order given: the guest and the invited one wait.
    assert answer["seats"] == [
        {
            "product": "draftpro",
            "name": "DraftPro",
            "members": 4,
            "seated": 2,
            "waiting": 2,
            "summary": "2 of 4 will wait for a seat.",
        }
    ]
    assert set(SeatWait.objects.values_list("member", flat=True)) == {world.guest.pk, world.invited.pk}
    assert set(GroupMember.objects.filter(group=group).values_list("member", flat=True)) == {
        m.pk for m in everyone(world)
    }
    # R-GR8: a row per member added, via API (the primary admin was added by the service directly).
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.GROUP_MEMBER_ADDED, via="api")
    assert sorted(events.values_list("target_user", flat=True)) == sorted(
        m.user.pk for m in (world.secondary, world.user, world.guest, world.invited)
    )


def test_a_dry_run_adds_nobody_and_says_who_would_wait(team_api, world):
    # R-GR5: "1 of 3 will wait" before confirming.
    group = make_group(world, "Engineers", [world.primary], world.product)
    before = state()
    ids = [world.secondary.pk, world.user.pk, world.guest.pk]
    answer = team_api.post(group_url(group, "/members") + "?dry_run=true", {"member_ids": ids}).json()
    assert answer["dry_run"] is True
    assert [e["outcome"] for e in answer["entries"]] == ["to_add"] * 3
    assert answer["added"] == 3
    assert answer["seats"][0] | {"summary": ""} == {
        "product": "draftpro",
        "name": "DraftPro",
        "members": 3,
        "seated": 2,
        "waiting": 1,
        "summary": "",
    }
    assert answer["seats"][0]["summary"] == "1 of 3 will wait for a seat."
    assert state() == before


def test_a_group_without_products_gives_no_seats(team_api, world):
    group = make_group(world, "Readers")
    answer = team_api.post(group_url(group, "/members"), {"member_ids": [world.user.pk]}).json()
    assert (answer["added"], answer["seats"]) == (1, [])
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "rule"),
    [
        ({}, "member_ids", "NOTHING_TO_ADD"),
        ({"member_ids": [], "emails": []}, "member_ids", "NOTHING_TO_ADD"),
        ({"member_ids": ["one"]}, "member_ids.0", "INT_PARSING"),
        ({"emails": ["x" * 400 + "@example.com"]}, "emails.0", "TOO_LONG"),
        ({"member_ids": 5}, "member_ids", "LIST_TYPE"),
        ({"member_ids": [2**63]}, "member_ids.0", "LESS_THAN_EQUAL"),  # beyond every id: no 500
        ({"emails": ["a\x00@example.com"]}, "emails.0", "VALUE_ERROR"),
        ({"member_ids": list(range(1, 10_002))}, "member_ids", "TOO_LONG"),
        ({"member_ids": list(range(1, 6_001)), "emails": ["a@example.com"] * 5_000}, "emails", "TOO_MANY_ENTRIES"),
    ],
)
def test_bad_members_to_add_are_a_problem_naming_the_field(team_api, world, body, field, rule):
    group = make_group(world, "Engineers")
    before = state()
    problem = assert_problem(team_api.post(group_url(group, "/members"), body), 422, rule)
    assert field in [error["field"] for error in problem["errors"]], problem
    assert state() == before


def test_remove_members_says_which_seats_go(team_api, world):
    # R-GR4: the user keeps the direct seat; the guest loses the group's; R-GR5: the invited one, waiting
    # (3 seats: primary, user, guest), gets the guest's.
    assignment_create(member=world.user, product=world.product, actor=None)
    group = make_group(world, "Engineers", [world.primary, world.user, world.guest, world.invited], world.product)
    assert list(SeatWait.objects.values_list("member", flat=True)) == [world.invited.pk]
    url = group_url(group, "/members/remove")
    before = state()
    body = {"member_ids": [world.user.pk, world.guest.pk, world.secondary.pk, 999_999]}
    dry = team_api.post(url + "?dry_run=true", body).json()
    assert dry == {
        "dry_run": True,
        "removed": 2,
        "not_in_group": [world.secondary.pk, 999_999],
        "products": [{"product": "draftpro", "name": "DraftPro", "seats_lost": 1, "waiting_ended": 0}],
    }
    assert state() == before
    done = team_api.post(url, body).json()
    assert done == {**dry, "dry_run": False}
    assert set(Assignment.objects.values_list("member", flat=True)) == {
        world.primary.pk,
        world.user.pk,
        world.invited.pk,
    }
    assert not SeatWait.objects.exists()
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.GROUP_MEMBER_REMOVED, via="api").count() == 2


def test_remove_one_member(team_api, world):
    group = make_group(world, "Engineers", [world.user, world.guest], world.product)
    response = team_api.delete(group_url(group, f"/members/{world.guest.pk}"))
    assert response.json()["removed"] == 1
    assert list(GroupMember.objects.values_list("member", flat=True)) == [world.user.pk]
    assert not Assignment.objects.filter(member=world.guest).exists()
    problem = assert_problem(team_api.delete(group_url(group, f"/members/{world.guest.pk}")), 404)
    assert problem["detail"] == f"{world.guest.name} is not in the group Engineers."
    problem = assert_problem(team_api.delete(group_url(group, f"/members/{world.outsider.pk}")), 404)
    assert problem["detail"] == f"Team {world.team.pk} has no member {world.outsider.pk}."
    assert_problem(team_api.post(group_url(group, "/members/remove"), {"member_ids": []}), 422, "TOO_SHORT")


# --- Products -------------------------------------------------------------------------------------


def test_a_dry_run_of_assigning_a_product_says_how_many_will_wait(team_api, world):
    # R-GR5: 3 seats, 5 members of whom one holds a seat already: 1 of 4 will wait.
    assignment_create(member=world.user, product=world.product, actor=None)
    group = make_group(world, "Engineers", everyone(world))
    before = state()
    url = group_url(group, "/products") + "?dry_run=true"
    response = team_api.post(url, {"product": "draftpro", "items": ["cloud-render"]})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "dry_run": True,
        "product": "draftpro",
        "name": "DraftPro",
        "items": ["cloud-render"],
        "group_members": 5,
        "holding": 1,
        "seats": {
            "product": "draftpro",
            "name": "DraftPro",
            "members": 4,
            "seated": 2,
            "waiting": 2,
            "summary": "2 of 4 will wait for a seat.",
        },
    }
    assert state() == before


def test_assign_a_product_gives_the_seats_the_preview_said(team_api, world):
    # R-GR2, R-GR3 (the user's direct seat is shared, not doubled), R-GR5, R-SE1 (never over 3 seats).
    assignment_create(member=world.user, product=world.product, actor=None)
    group = make_group(world, "Engineers", everyone(world))
    preview = team_api.post(group_url(group, "/products") + "?dry_run=true", {"product": "draftpro"}).json()
    response = team_api.post(group_url(group, "/products"), {"product": "draftpro"})
    assert response.status_code == 201, response.content
    answer = response.json()
    assert answer == {**preview, "dry_run": False}
    assert answer["items"] == ["cloud-render", "draftpro-desktop"]
    assert (answer["seats"]["seated"], answer["seats"]["waiting"]) == (2, 2)
    assert Assignment.objects.filter(product=world.product).count() == 3
    assert SeatWait.objects.count() == 2
    assert ActivityEvent.objects.get(action=ActivityEvent.Action.GROUP_PRODUCT_ASSIGNED).via == "api"


def test_the_waiting_of_another_product(team_api, world):
    # R-GR5: one seat of Viewer for two members: the second to join waits.
    other = ProductFactory(code="viewer", name="Viewer")
    ProductItemFactory(product=other, code="viewer-desktop")
    SubscriptionFactory(team=world.team, product=other, seats=1, owner=world.primary.user)
    group = make_group(world, "Engineers", [world.user, world.guest], other)
    answer = team_api.get(group_url(group, "/waiting")).json()
    assert [(w["member"], w["reason"]) for w in answer["items"]] == [(world.guest.pk, "no_free_seat")]


@pytest.mark.parametrize(
    ("body", "status", "field", "rule"),
    [
        ({"product": "draftpro", "items": ["nothing"]}, 422, "items", "ITEM_UNKNOWN"),
        ({"product": "draftpro", "items": []}, 422, "items", "NO_ITEMS"),
        ({"product": "unknown"}, 404, None, None),
        ({"items": ["cloud-render"]}, 422, "product", "MISSING"),
        ({"product": "draftpro", "items": "cloud-render"}, 422, "items", "LIST_TYPE"),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_a_bad_product_to_assign_is_a_problem(team_api, world, body, status, field, rule, dry_run):
    group = make_group(world, "Engineers", [world.user])
    before = state()
    url = group_url(group, "/products") + ("?dry_run=true" if dry_run else "")
    problem = assert_problem(team_api.post(url, body), status, rule)
    if field:
        assert field in [error["field"] for error in problem["errors"]], problem
    assert state() == before


@pytest.mark.parametrize("dry_run", [False, True])
def test_a_product_the_group_has_is_refused(team_api, world, dry_run):
    group = make_group(world, "Engineers", [world.user], world.product)
    url = group_url(group, "/products") + ("?dry_run=true" if dry_run else "")
    problem = assert_problem(team_api.post(url, {"product": "draftpro"}), 422, "ALREADY_ASSIGNED")
    assert problem["errors"][0]["field"] == "product"
    assert problem["detail"] == "The group Engineers already has DraftPro."


def test_change_the_items_and_none_unassigns(team_api, world):
    # R-GR3: the seat holds what the group gives; R-GR4: none left takes the product.
    group = make_group(world, "Engineers", [world.user], world.product)
    url = group_url(group, "/products/draftpro")
    answer = team_api.patch(url, {"items": ["draftpro-desktop"]}).json()
    assert answer == {
        "product": {
            "product": "draftpro",
            "name": "DraftPro",
            "items": ["draftpro-desktop"],
            "seats_given": 1,
            "waiting": 0,
        }
    }
    seat = Assignment.objects.get(member=world.user)
    assert [item.code for item in seat.items.all()] == ["draftpro-desktop"]
    assert ActivityEvent.objects.get(action=ActivityEvent.Action.GROUP_PRODUCT_CHANGED).via == "api"
    assert_problem(team_api.patch(url, {"items": ["nothing"]}), 422, "ITEM_UNKNOWN")
    assert team_api.patch(url, {"items": []}).json() == {"product": None}
    assert not Assignment.objects.exists()
    assert not GroupProduct.objects.exists()
    assert_problem(team_api.patch(url, {"items": ["draftpro-desktop"]}), 404)


def test_unassign_says_which_seats_go(team_api, world):
    # R-GR4: the user's direct seat stays, the guest's goes.
    assignment_create(member=world.user, product=world.product, actor=None)
    group = make_group(world, "Engineers", [world.user, world.guest], world.product)
    url = group_url(group, "/products/draftpro")
    before = state()
    dry = team_api.delete(url + "?dry_run=true").json()
    assert dry == {
        "dry_run": True,
        "unassigned": False,
        "loss": {"product": "draftpro", "name": "DraftPro", "seats_lost": 1, "waiting_ended": 0},
    }
    assert state() == before
    assert team_api.delete(url).json() == {**dry, "dry_run": False, "unassigned": True}
    assert list(Assignment.objects.values_list("member", flat=True)) == [world.user.pk]
    assert ActivityEvent.objects.get(action=ActivityEvent.Action.GROUP_PRODUCT_UNASSIGNED).via == "api"
    assert_problem(team_api.delete(url), 404)
    assert_problem(team_api.delete(group_url(group, "/products/unknown")), 404)


def test_the_waiting_list(team_api, world):
    # R-GR5: in the order they will be seated, with the reason as a code and in words.
    group = make_group(world, "Engineers", everyone(world), world.product)
    answer = team_api.get(group_url(group, "/waiting")).json()
    assert answer["count"] == 2
    first, second = answer["items"]
    assert (first["member"], second["member"]) == (world.guest.pk, world.invited.pk)
    assert (first["product"], first["reason"]) == ("draftpro", "no_free_seat")
    assert first["reason_text"] == "All seats of DraftPro in this team are assigned."
    assert first["since"] <= second["since"]
    assert team_api.get(group_url(group, "/waiting"), {"product": "draftpro", "size": 1}).json()["pages"] == 2
    assert_problem(team_api.get(group_url(group, "/waiting"), {"product": "unknown"}), 404)
    dutch = team_api.client.get(
        "/api/v1" + group_url(group, "/waiting"),
        headers={"Authorization": f"Bearer {team_api.token}", "Accept-Language": "nl"},
    ).json()
    assert dutch["items"][0]["reason_text"] != first["reason_text"]


# --- The door (R-API3) ----------------------------------------------------------------------------

WRITES = [
    ("post", "", {"name": "New"}),
    ("patch", "/{group}", {"name": "Renamed"}),
    ("delete", "/{group}", None),
    ("post", "/{group}/members", {"member_ids": ["{guest}"]}),
    ("post", "/{group}/members/remove", {"member_ids": ["{user}"]}),
    ("delete", "/{group}/members/{user}", None),
    ("post", "/{group}/products", {"product": "draftpro"}),
    ("patch", "/{group}/products/draftpro", {"items": ["cloud-render"]}),
    ("delete", "/{group}/products/draftpro", None),
]
READS = ["", "/{group}", "/{group}/members", "/{group}/products", "/{group}/waiting"]


def _fill(value, names: dict):
    if isinstance(value, str):
        return int(names[value[1:-1]]) if value.startswith("{") and value.endswith("}") else value.format(**names)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _send(api: TeamApi, team, group, world, method: str, rest: str, body):
    names = {"group": group.pk, "user": world.user.pk, "guest": world.guest.pk}
    path = groups_of(team) + rest.format(**names)
    if method == "delete":
        return api.delete(path)
    return getattr(api, method)(path, _fill(body, names))


@pytest.mark.parametrize(("method", "rest", "body"), WRITES)
def test_a_read_only_token_reads_and_is_refused_every_write(client, world, method, rest, body):
    group = make_group(world, "Engineers", [world.user], world.product)
    api = TeamApi(client, make_token(world.primary.user, access="read"))
    for path in READS:
        assert api.get(groups_of(world.team) + path.format(group=group.pk)).status_code == 200
    before = state()
    assert_problem(_send(api, world.team, group, world, method, rest, body), 403, "TOKEN_READ_ONLY")
    assert state() == before


@pytest.mark.parametrize(("method", "rest", "body"), WRITES)
def test_a_token_of_team_a_finds_nothing_of_team_b(client, world, method, rest, body):
    # R-API3: the other team's group through team A's address, and team B's address with team A's token.
    group = make_group(world, "Engineers", [world.user], world.product)
    other = services.group_create(team=world.other_team, name="Viewers", actor=world.primary.user)
    api = TeamApi(client, make_token(world.primary.user, teams=[world.team]))
    before = state()
    if rest:  # creating a group on team A's address is no other team's business
        assert_problem(_send(api, world.team, other, world, method, rest, body), 404)
    for path in READS[1:]:
        assert_problem(api.get(groups_of(world.team) + path.format(group=other.pk)), 404)
        assert_problem(api.get(groups_of(world.other_team) + path.format(group=other.pk)), 404)
    assert_problem(api.get(groups_of(world.other_team)), 404)
    assert_problem(_send(api, world.other_team, other, world, method, rest, body), 404)
    assert state() == before
    assert Group.objects.filter(pk=group.pk).exists()


def test_another_teams_member_cannot_be_added_or_removed(team_api, world):
    group = make_group(world, "Engineers", [world.user])
    answer = team_api.post(group_url(group, "/members"), {"emails": [world.outsider.user.email]}).json()
    assert [e["outcome"] for e in answer["entries"]] == ["not_member"]
    assert (
        answer["entries"][0]["message"]
        == f"Nobody in this team has the address {world.outsider.user.email}. Invite them to the team first."
    )
    assert not GroupMember.objects.filter(member=world.outsider).exists()


def test_a_secondary_admins_token_manages_groups(client, world):
    # R-API3, R-SA2: a secondary admin may do in the API what they may in the portal.
    api = TeamApi(client, make_token(world.secondary.user, teams=[world.team]))
    created = api.post(groups_of(world.team), {"name": "Engineers"}).json()
    group = Group.objects.get(pk=created["id"])
    assert api.post(group_url(group, "/members"), {"member_ids": [world.user.pk]}).json()["added"] == 1
    assert api.post(group_url(group, "/products"), {"product": "draftpro"}).status_code == 201
    assert Assignment.objects.filter(member=world.user, product=world.product).exists()
    actors = set(ActivityEvent.objects.filter(via="api").values_list("actor", flat=True))
    assert actors == {world.secondary.user.pk}


# --- Retries (R-API2) -----------------------------------------------------------------------------


def test_retries_do_nothing_twice(team_api, world):
    # R-API2: the same key answers the first answer, replayed, and changes nothing again.
    group = make_group(world, "Engineers", [world.primary], world.product)
    calls = [
        ("post", groups_of(world.team), {"name": "Sales"}),
        ("post", group_url(group, "/members"), {"member_ids": [world.user.pk, world.guest.pk]}),
        ("post", group_url(group, "/members/remove"), {"member_ids": [world.primary.pk]}),
        ("patch", group_url(group, "/products/draftpro"), {"items": ["cloud-render"]}),
    ]
    for n, (method, path, body) in enumerate(calls):
        first = getattr(team_api, method)(path, body, key=f"retry-{n}")
        assert first.status_code in (200, 201), first.content
        before = state()
        again = getattr(team_api, method)(path, body, key=f"retry-{n}")
        assert (again.status_code, again.content) == (first.status_code, first.content), path
        assert again["Idempotent-Replayed"] == "true"
        assert state() == before
    assert Group.objects.filter(name="Sales").count() == 1
    # A retry of the group's deletion answers the deletion; a new key finds no group.
    first = team_api.delete(group_url(group), key="delete-1")
    assert team_api.delete(group_url(group), key="delete-1").content == first.content
    assert_problem(team_api.delete(group_url(group), key="delete-2"), 404)
    # The same key for another change is refused.
    assert_problem(
        team_api.post(groups_of(world.team), {"name": "Other"}, key="retry-0"), 422, "IDEMPOTENCY_KEY_REUSED"
    )


def test_a_write_without_a_key_is_refused(team_api, world):
    group = make_group(world, "Engineers")
    before = state()
    problem = assert_problem(
        team_api.post(group_url(group, "/members"), {"member_ids": [world.user.pk]}, key=None), 422
    )
    assert "Idempotency-Key" in [error["field"] for error in problem["errors"]]
    assert state() == before


# --- Queries: as many for 100 rows as for 10 --------------------------------------------------------


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/api/v1" + path)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries)


def test_the_lists_run_as_many_queries_for_100_rows_as_for_10(world):
    # Groups (each with members, products and waiting), a group's members (some waiting), its products
    # and its waiting list: at 10 and at 100 rows, the same number of queries (no N+1).
    client = Client(headers={"Authorization": f"Bearer {make_token(world.primary.user)}"})
    actor = world.primary.user
    world.subscription.seats = 5
    world.subscription.save(update_fields=["seats"])
    big = make_group(world, "Big", [], world.product)
    paths = {
        "groups": groups_of(world.team),
        "groups searched": groups_of(world.team) + "?q=g",
        "a group": group_url(big),
        "members": group_url(big, "/members?size=100"),
        "members searched": group_url(big, "/members?q=example.com&size=100"),
        "products": group_url(big, "/products"),
        "waiting": group_url(big, "/waiting?size=100"),
    }

    def grow_to(count: int) -> dict:
        new = [MemberFactory(team=world.team) for _ in range(count - big.memberships.count())]
        services.group_members_add(group=big, members=new, actor=actor)
        for n in range(Group.objects.filter(team=world.team).count() - 1, count):
            group = services.group_create(team=world.team, name=f"Group {n}", actor=actor)
            services.group_members_add(group=group, members=new[:2], actor=actor)
            services.group_product_assign(group=group, product=world.product, actor=actor)
        return {name: (_queries(client, path), _queries(client, path))[1] for name, path in paths.items()}

    few = grow_to(10)
    many = grow_to(100)
    assert big.memberships.count() == 100
    assert SeatWait.objects.filter(group=big).count() == 95
    assert Group.objects.filter(team=world.team).count() > 100
    assert many == few
    assert max(many.values()) <= 15


def test_problems_are_said_in_the_requests_language(team_api, world):
    # As every team-admin problem: the detail for people in their language, the rule for programs.
    headers = {"Authorization": f"Bearer {team_api.token}", "Accept-Language": "nl"}
    response = team_api.client.get(f"/api/v1/teams/{world.team.pk}/groups/999999", headers=headers)
    problem = assert_problem(response, 404)
    assert problem["detail"] == f"Team {world.team.pk} heeft geen groep 999999."
