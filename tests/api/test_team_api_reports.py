"""The team-admin API's Seat Usage and activity log (issue 21 §3, R-R1, R-R3), and the shape of its
errors (RFC 9457 problem details)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from licensing.subscriptions.services import assignment_create
from tests.api.team_api import assert_problem
from tests.factories import SeatUsageFactory

pytestmark = pytest.mark.django_db


def test_seat_usage_per_product(team_api, world):
    # R-R1: the figures of the report for the past 30 days.
    assignment_create(member=world.user, product=world.product, actor=None)
    assignment_create(member=world.guest, product=world.product, actor=None)
    today = timezone.localdate()
    SeatUsageFactory(user=world.user.user, product=world.product, team=world.team, day=today)
    SeatUsageFactory(user=world.user.user, product=world.product, team=world.team, day=today - timedelta(days=1))
    body = team_api.get(f"/teams/{world.team.pk}/seat-usage").json()
    assert body["end"] == today.isoformat()
    (row,) = body["products"]
    assert (row["product"], row["seats_purchased"], row["seats_assigned"]) == ("draftpro", 3, 2)
    assert (row["users"], row["peak_daily_users"], row["assigned_unused"]) == (1, 1, 1)
    assert body["summary"]["users"] == 1


def test_seat_usage_per_user(team_api, world):
    assignment_create(member=world.user, product=world.product, actor=None)
    SeatUsageFactory(user=world.user.user, product=world.product, team=world.team, day=timezone.localdate())
    body = team_api.get(f"/teams/{world.team.pk}/seat-usage/users").json()
    assert body["count"] == 1
    (row,) = body["items"]
    assert (row["email"], row["product"], row["days_used"], row["assigned"]) == (
        "user@example.com",
        "draftpro",
        1,
        True,
    )
    assert row["member"] == world.user.pk


@pytest.mark.parametrize(
    "params",
    [
        {"start": "2026-01-10", "end": "2026-01-01"},
        {"start": "2020-01-01", "end": "2022-01-01"},
        {"start": "2020-01-01"},
        {"end": "2999-01-01", "start": "2999-01-01"},
        {"start": "yesterday", "end": "today"},
    ],
)
def test_a_bad_period_is_a_422_problem(team_api, world, params):
    assert_problem(team_api.get(f"/teams/{world.team.pk}/seat-usage", params), 422)


def test_the_activity_log_newest_first_in_pages(team_api, world):
    # R-R3: what the admin's script did is in the log, via the API.
    url = f"/teams/{world.team.pk}/members/{world.user.pk}/products"
    team_api.post(url, {"product": "draftpro"})
    team_api.put(url + "/draftpro", {"items": ["cloud-render"]})
    body = team_api.get(f"/teams/{world.team.pk}/activity", {"size": 2}).json()
    assert [event["action"] for event in body["items"]] == ["assignment_changed", "product_assigned"]
    latest = body["items"][0]
    assert latest["via"] == "api"
    assert latest["actor"] == "primary@example.com"
    assert latest["after"] == {"items": ["cloud-render"]}
    assert latest["changes"][0]["after"] == "Cloud rendering"
    assert body["count"] == 3  # and the token's own creation
    only = team_api.get(f"/teams/{world.team.pk}/activity", {"action": "product_assigned"}).json()
    assert [event["action"] for event in only["items"]] == ["product_assigned"]


@pytest.mark.parametrize(
    "params", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"action": "nothing"}, {"size": 500}]
)
def test_bad_filters_of_the_log_are_a_422_problem(team_api, world, params):
    assert_problem(team_api.get(f"/teams/{world.team.pk}/activity", params), 422)


def test_a_problem_names_the_field_and_the_rule(team_api, world):
    # RFC 9457: type, title, status, detail, instance, and per field the rule broken.
    url = f"/teams/{world.team.pk}/members/{world.user.pk}/products"
    problem = assert_problem(team_api.post(url, {"product": "draftpro", "items": ["x"]}), 422, "ITEM_UNKNOWN")
    assert problem["type"] == "tag:seatkeeper.org,2026:problem:item-unknown"
    assert problem["title"] == "Unprocessable Entity"
    assert problem["instance"] == f"/api/v1{url}"
    assert problem["errors"] == [{"field": "items", "rule": "ITEM_UNKNOWN", "message": problem["detail"]}]


def test_a_body_that_is_not_json_is_a_problem(team_api, world):
    url = f"/api/v1/teams/{world.team.pk}/members"
    headers = {"Authorization": f"Bearer {team_api.token}", "Idempotency-Key": "x"}
    assert_problem(team_api.client.post(url, "{not json", content_type="application/json", headers=headers), 400)
    assert_problem(team_api.client.post(url, "a=b", content_type="text/plain", headers=headers), 415)


def test_dutch_for_a_dutch_script(team_api, world):
    url = f"/api/v1/teams/{world.team.pk}/members/{world.secondary.pk}"
    headers = {"Authorization": f"Bearer {team_api.token}", "Idempotency-Key": "nl", "Accept-Language": "nl"}
    problem = team_api.client.delete(url, headers=headers).json()
    assert "beheerder van dit team" in problem["detail"]
