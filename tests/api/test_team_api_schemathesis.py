"""The team-admin API against its own description (issue 21 §3): schemathesis reads the one OpenAPI
document of /api/v1/ and sends every operation tagged "Team admin" requests made from it, valid and
not, with a read-and-write personal access token of the team's primary admin. No answer may be a
server error, and every answer must be one the description lists, in its shape and media type
(application/problem+json for the errors). The licence API's and the order API's operations are
sent theirs in tests/api/test_schemathesis.py and tests/integrations/test_schemathesis.py.

Bounded and repeatable: a fixed number of examples per operation, derandomized; the world's team is
the token's, so that generated ids sometimes hit (team 1, member 1, ...)."""

import pytest
from hypothesis import HealthCheck, Phase, settings

from licensing.subscriptions.services import assignment_create
from tests.api.team_api import make_token
from tests.api.test_schemathesis import CHECKS, _keep_the_test_connection, schema  # noqa: F401 (a fixture)

EXAMPLES = 25
team_admin = schema.include(tag=["Team admin"])


@pytest.fixture
def team_token(world) -> str:
    assignment_create(member=world.user, product=world.product, actor=None)
    return make_token(world.primary.user)


@team_admin.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_team_admin_api_answers_every_request_as_its_description_says(case, team_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {team_token}"}, checks=CHECKS)


def test_an_invitation_and_its_replay_answer_as_described(team_token, world):
    """R-API2: a real invitation, and its replay, against the description."""
    body = {"email": "described@example.com", "first_name": "De", "last_name": "Scribed", "products": ["draftpro"]}
    case = schema["/api/v1/teams/{team_id}/members"]["POST"].Case(
        path_parameters={"team_id": world.team.pk},
        body=body,
        media_type="application/json",
        headers={"Idempotency-Key": "invite-1"},
    )
    headers = {"Authorization": f"Bearer {team_token}"}
    first = case.call_and_validate(headers=headers, checks=CHECKS)
    assert first.status_code == 201
    again = case.call_and_validate(headers=headers, checks=CHECKS)
    assert (again.status_code, again.content) == (201, first.content)


def test_a_member_list_answers_as_described(team_token, world):
    case = schema["/api/v1/teams/{team_id}/members"]["GET"].Case(path_parameters={"team_id": world.team.pk})
    response = case.call_and_validate(headers={"Authorization": f"Bearer {team_token}"}, checks=CHECKS)
    assert response.json()["count"] == 5
