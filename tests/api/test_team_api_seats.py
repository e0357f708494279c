"""The team-admin API's seats (issue 21 §3): By Product, and a member's products assigned, changed and
unassigned through the portal's services (R-P1..R-P4, R-BP1, R-BP2, R-SE1)."""

import pytest
from django.core import mail

from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from tests.api.team_api import assert_problem

pytestmark = pytest.mark.django_db


def products_of(member):
    return f"/teams/{member.team_id}/members/{member.pk}/products"


def test_by_product(team_api, world):
    # R-BP1: seats purchased, assigned, free, and the items.
    assignment_create(member=world.user, product=world.product, actor=None)
    (row,) = team_api.get(f"/teams/{world.team.pk}/products").json()["items"]
    assert (row["code"], row["seats_purchased"], row["seats_assigned"], row["seats_free"]) == ("draftpro", 3, 1, 2)
    assert {item["code"] for item in row["items"]} == {"draftpro-desktop", "cloud-render"}


def test_assign_with_all_items_or_some(team_api, world):
    # R-P2, R-P3.
    response = team_api.post(products_of(world.user), {"product": "draftpro"})
    assert response.status_code == 201, response.content
    assert response.json()["items"] == ["cloud-render", "draftpro-desktop"]
    response = team_api.post(products_of(world.guest), {"product": "draftpro", "items": ["cloud-render"]})
    assert response.json()["items"] == ["cloud-render"]
    assert len(mail.outbox) == 2


def test_assign_beyond_the_seats_is_refused(team_api, world):
    # R-SE1: 3 seats.
    for member in (world.user, world.guest, world.secondary):
        assert team_api.post(products_of(member), {"product": "draftpro"}).status_code == 201
    problem = assert_problem(team_api.post(products_of(world.primary), {"product": "draftpro"}), 422, "NO_FREE_SEAT")
    assert "All 3 seats of DraftPro" in problem["detail"]
    assert Assignment.objects.filter(team=world.team).count() == 3


@pytest.mark.parametrize(
    ("body", "status", "rule"),
    [
        ({"product": "draftpro", "items": ["nothing"]}, 422, "ITEM_UNKNOWN"),
        ({"product": "draftpro", "items": []}, 422, "NO_ITEMS"),
        ({"product": "unknown"}, 404, None),
        ({"items": ["cloud-render"]}, 422, "MISSING"),
    ],
)
def test_assign_refused(team_api, world, body, status, rule):
    assert_problem(team_api.post(products_of(world.user), body), status, rule)
    assert not Assignment.objects.filter(member=world.user).exists()


def test_assign_twice_is_refused(team_api, world):
    assert team_api.post(products_of(world.user), {"product": "draftpro"}).status_code == 201
    assert_problem(team_api.post(products_of(world.user), {"product": "draftpro"}), 422, "ALREADY_ASSIGNED")


def test_change_the_items_and_none_unassigns(team_api, world):
    # R-P2, R-P4: deselecting every item is an unassign.
    assignment_create(member=world.user, product=world.product, actor=None)
    url = products_of(world.user) + "/draftpro"
    response = team_api.put(url, {"items": ["draftpro-desktop"]})
    assert response.json()["assignment"]["items"] == ["draftpro-desktop"]
    response = team_api.put(url, {"items": []})
    assert response.json() == {"assignment": None}
    assert not Assignment.objects.filter(member=world.user).exists()


def test_unassign(team_api, world):
    # R-P4, R-BP2.
    assignment_create(member=world.user, product=world.product, actor=None)
    response = team_api.delete(products_of(world.user) + "/draftpro")
    assert response.json() == {"product": "draftpro"}
    assert not Assignment.objects.filter(member=world.user).exists()
    assert_problem(team_api.delete(products_of(world.user) + "/draftpro"), 404)


def test_another_teams_member_gets_no_seat(team_api, world):
    url = f"/teams/{world.team.pk}/members/{world.outsider.pk}/products"
    assert_problem(team_api.post(url, {"product": "draftpro"}), 404)
    assert not Assignment.objects.filter(member=world.outsider).exists()
