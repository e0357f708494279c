"""R-API2 for the team-admin API: every write takes an Idempotency-Key; a retry with the same key and
body answers the first answer and does nothing twice; the same key with another body is refused."""

import pytest

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from tests.api.team_api import TeamApi, assert_problem, make_token

pytestmark = pytest.mark.django_db


def test_a_retried_invitation_invites_once(team_api, world):
    # R-API2.
    body = {"email": "retry@example.com", "first_name": "Re", "last_name": "Try"}
    url = f"/teams/{world.team.pk}/members"
    first = team_api.post(url, body, key="order-4711")
    again = team_api.post(url, body, key="order-4711")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Member.objects.filter(team=world.team, user__email="retry@example.com").count() == 1
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_INVITED).count() == 1


def test_a_retried_refusal_is_the_same_refusal(team_api, world):
    # R-API2: a 422 is an answer too: the retry gets it again and nothing runs.
    url = f"/teams/{world.team.pk}/members/{world.secondary.pk}"
    first = team_api.delete(url, key="delete-1")
    again = team_api.delete(url, key="delete-1")
    assert_problem(first, 422)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"


def test_a_retried_assignment_takes_one_seat(team_api, world):
    url = f"/teams/{world.team.pk}/members/{world.user.pk}/products"
    for _ in range(3):
        assert team_api.post(url, {"product": "draftpro"}, key="seat-1").status_code == 201
    assert Assignment.objects.filter(member=world.user).count() == 1


def test_a_retried_delete_answers_the_first_answer(team_api, world):
    url = f"/teams/{world.team.pk}/members/{world.user.pk}"
    first = team_api.delete(url, key="del-user")
    again = team_api.delete(url, key="del-user")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    # A new key is a new request: the member is gone now.
    assert_problem(team_api.delete(url, key="del-user-2"), 404)


def test_the_same_key_with_another_body_is_refused(team_api, world):
    # R-API2.
    url = f"/teams/{world.team.pk}/members"
    assert (
        team_api.post(url, {"email": "a@example.com", "first_name": "A", "last_name": "B"}, key="k").status_code == 201
    )
    response = team_api.post(url, {"email": "b@example.com", "first_name": "B", "last_name": "C"}, key="k")
    assert_problem(response, 422, "IDEMPOTENCY_KEY_REUSED")
    assert not Member.objects.filter(user__email="b@example.com").exists()


def test_a_write_without_a_key_is_refused(team_api, world):
    url = f"/teams/{world.team.pk}/members"
    response = team_api.post(url, {"email": "a@example.com", "first_name": "A", "last_name": "B"}, key=None)
    problem = assert_problem(response, 422)
    assert "Idempotency-Key" in [error["field"] for error in problem["errors"]]
    assert not Member.objects.filter(user__email="a@example.com").exists()


def test_keys_are_per_token(client, world):
    # Two tokens (two scripts, two admins) never share answers, whatever their keys.
    mine = TeamApi(client, make_token(world.primary.user))
    theirs = TeamApi(client, make_token(world.secondary.user))
    url = f"/teams/{world.team.pk}/members"
    assert (
        mine.post(url, {"email": "a@example.com", "first_name": "A", "last_name": "B"}, key="same").status_code == 201
    )
    response = theirs.post(url, {"email": "b@example.com", "first_name": "B", "last_name": "C"}, key="same")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
