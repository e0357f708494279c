"""A script of a team admin, as the tests of the team-admin API need it (issue 21 §3): a personal
access token made through the service, and a client that sends it, with a fresh Idempotency-Key on
every write unless told one."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from licensing.accounts.access_tokens import access_token_create

BASE = "/api/v1"


def make_token(user, *, teams=None, access="read_write", days=30, name="Script") -> str:
    """The secret of a new token of `user`: for `teams` (None: all the teams they administer)."""
    _token, secret = access_token_create(
        user=user, name=name, teams=teams, access=access, expires_on=timezone.localdate() + timedelta(days=days)
    )
    return secret


class TeamApi:
    def __init__(self, client: Client, token: str | None = None) -> None:
        self.client, self.token = client, token

    def headers(self, key: str | None, token: str | None) -> dict:
        headers = {}
        token = token if token is not None else self.token
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, params=None, *, token=None):
        return self.client.get(BASE + path, params or {}, headers=self.headers(None, token))

    def write(self, method: str, path: str, body=None, *, key: str | None = "new", token=None):
        key = str(uuid.uuid4()) if key == "new" else key
        send = getattr(self.client, method)
        if body is None:
            return send(BASE + path, headers=self.headers(key, token))
        return send(BASE + path, body, content_type="application/json", headers=self.headers(key, token))

    def post(self, path, body=None, **kwargs):
        return self.write("post", path, body if body is not None else {}, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.write("patch", path, body if body is not None else {}, **kwargs)

    def put(self, path, body=None, **kwargs):
        return self.write("put", path, body if body is not None else {}, **kwargs)

    def delete(self, path, **kwargs):
        return self.write("delete", path, None, **kwargs)


@pytest.fixture
def team_api(client, world) -> TeamApi:
    """The primary admin's script, with a read-and-write token for all their teams."""
    return TeamApi(client, make_token(world.primary.user))


def assert_problem(response, status: int, rule: str | None = None) -> dict:
    """An RFC 9457 problem of `status` (and naming `rule`, if given)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "instance", "errors"}
    if rule is not None:
        assert rule in [error["rule"] for error in body["errors"]], body
    return body
