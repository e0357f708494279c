"""The licence API against its own description (R-S1, R-S2): schemathesis reads /api/v1/openapi.json
from the Django app through WSGI and sends every operation requests made from it, valid and not. No
answer may be a server error, and every answer must be one the description lists, in its shape.

Bounded and repeatable: a fixed number of examples per operation, derandomized (the same requests on
every run), the database of one test per operation, a fresh real token for each bearer request."""

from datetime import timedelta

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from licensing.accounts.models import ApiToken, new_token
from portal.wsgi import application
from tests.api.conftest import OPENAPI_URL, assign

# Per operation; four operations. Enough to reach every declared answer, a few seconds in all.
EXAMPLES = 60
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


def served(environ, start_response):
    # A WSGI server (gunicorn, runserver) always gives the client's address, which the sign-in's
    # throttle counts by; schemathesis's WSGI client gives none.
    environ.setdefault("REMOTE_ADDR", "192.0.2.10")
    return application(environ, start_response)


schema = schemathesis.openapi.from_wsgi(OPENAPI_URL, served)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # Django's WSGI handler closes "old" connections when a request starts and ends; inside the test's
    # transaction that would throw the test database away. Django's own test client does the same.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fresh_token(world):
    """A real device token of a user with a seat of DraftPro, new for each call: one example of "Sign
    this device out" must not sign the next example out."""
    assign(world.user, world.product)

    def make() -> str:
        raw, digest = new_token()
        ApiToken.objects.create(
            user=world.user.user,
            token_hash=digest,
            device_name="Schemathesis PC",
            expires_at=timezone.now() + timedelta(days=1),
        )
        return raw

    return make


# The licence API's operations; the order API's (the same document) are sent theirs, with a vendor
# key, in tests/integrations/test_schemathesis.py.
@schema.exclude(tag=["Orders", "Catalogue", "Team admin"]).parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    # One database per operation, shared by its examples: each example leaves what it wrote (a
    # token, a failed sign-in), which the next may read; derandomized, that is the same every run.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_answers_every_request_as_its_description_says(case, fresh_token):
    headers = {"Authorization": f"Bearer {fresh_token()}"} if "security" in case.operation.definition.raw else None
    case.call_and_validate(headers=headers, checks=CHECKS)


# Generated product codes and passwords never hit a real one: the answers of a real sign-in and a
# licensed check are checked against the description here.


def test_a_sign_in_that_succeeds_answers_as_described(world):
    case = schema["/api/v1/auth/token"]["POST"].Case(
        body={"email": "user@example.com", "password": "pw", "device_name": "Drawing office PC"},
        media_type="application/json",
    )
    response = case.call_and_validate(checks=CHECKS)
    assert response.status_code == 201


def test_a_licensed_check_answers_as_described(fresh_token):
    case = schema["/api/v1/entitlements/{product_code}"]["GET"].Case(path_parameters={"product_code": "draftpro"})
    response = case.call_and_validate(headers={"Authorization": f"Bearer {fresh_token()}"}, checks=CHECKS)
    assert response.status_code == 200
    assert response.json()["licensed"] is True


def test_a_sign_in_through_the_browser_answers_as_described(world):
    # R-ID5: the device authorization, a pending poll and the token, each against the description.
    from licensing.accounts.device_grant import device_authorization_approve
    from licensing.accounts.models import DeviceAuthorization

    started = schema["/api/v1/auth/device"]["POST"].Case(
        body={"device_name": "Drawing office PC"}, media_type="application/json"
    )
    response = started.call_and_validate(checks=CHECKS)
    assert response.status_code == 200
    poll = schema["/api/v1/auth/token"]["POST"].Case(
        body={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": response.json()["device_code"],
        },
        media_type="application/json",
    )
    pending = poll.call_and_validate(checks=CHECKS)
    assert (pending.status_code, pending.json()["error"]) == (400, "authorization_pending")

    device_authorization_approve(authorization=DeviceAuthorization.objects.get(), user=world.user.user)
    signed_in = poll.call_and_validate(checks=CHECKS)
    assert signed_in.status_code == 201


def test_a_body_of_another_type_answers_as_described(world):
    case = schema["/api/v1/auth/device"]["POST"].Case(
        body={"device_name": "Drawing office PC"}, media_type="application/json"
    )
    response = case.call_and_validate(checks=CHECKS, headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
