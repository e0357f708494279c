"""A client of the licence API for the tests, and the URLs of the contract (kept literal here on
purpose: a desktop client in the field has them compiled in)."""

import pytest
from django.test import Client

from licensing.subscriptions.services import assignment_create

TOKEN_URL = "/api/v1/auth/token"
DEVICE_URL = "/api/v1/auth/device"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
OPENAPI_URL = "/api/v1/openapi.json"


def entitlement_url(code: str = "draftpro") -> str:
    return f"/api/v1/entitlements/{code}"


class Api:
    """The desktop software, as far as the tests need it: sign in (with a password or through the
    browser), check, sign out."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def sign_in(self, email: str, password: str = "pw", device_name: str = "Drawing office PC", **extra):
        body = {"email": email, "password": password, "device_name": device_name}
        return self.client.post(TOKEN_URL, body, content_type="application/json", **extra)

    def token(self, email: str, **kwargs) -> str:
        response = self.sign_in(email, **kwargs)
        assert response.status_code == 201, response.content
        return response.json()["token"]

    def check(self, token: str, code: str = "draftpro", **extra):
        return self.client.get(entitlement_url(code), headers={"Authorization": f"Bearer {token}"}, **extra)

    def device_authorization(self, device_name: str = "Drawing office PC", **extra):
        """Ask to be signed in through the browser (R-ID5): the device code, the code to show."""
        return self.client.post(DEVICE_URL, {"device_name": device_name}, content_type="application/json", **extra)

    def poll(self, device_code: str, **extra):
        """Ask whether the sign-in through the browser was approved."""
        body = {"grant_type": DEVICE_CODE_GRANT, "device_code": device_code}
        return self.client.post(TOKEN_URL, body, content_type="application/json", **extra)

    def sign_out(self, token: str):
        return self.client.delete(TOKEN_URL, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def api(client) -> Api:
    return Api(client)


def assign(member, product, items=None):
    """Give `member` a seat, as an admin would (through the service; the system as actor)."""
    return assignment_create(member=member, product=product, items=items, actor=None)


# The team-admin API's script (issue 21 §3): its fixture lives beside its helpers.
from tests.api.team_api import team_api  # noqa: E402, F401
