"""The order system, as the tests need it: vendor API keys and a client that sends them."""

import uuid

import pytest
from django.test import Client

from licensing.integrations.services import vendor_key_create

ALL_SCOPES = ["orders:read", "orders:write", "catalogue:read"]


class Shop:
    """The vendor's order system: JSON with a vendor key, an Idempotency-Key on every write."""

    def __init__(self, client: Client, key: str) -> None:
        self.client, self.key = client, key

    def headers(self, idempotency_key: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {self.key}"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers())

    def write(self, method: str, path: str, body: dict | None = None, *, key: str | None = None):
        send = getattr(self.client, method)
        return send(
            f"/api/v1{path}",
            body if body is not None else {},
            content_type="application/json",
            headers=self.headers(key or str(uuid.uuid4())),
        )

    def post(self, path: str, body: dict | None = None, **kwargs):
        return self.write("post", path, body, **kwargs)

    def put(self, path: str, body: dict | None = None, **kwargs):
        return self.write("put", path, body, **kwargs)


def new_key(scopes=ALL_SCOPES, expires_days: int | None = 30) -> str:
    return vendor_key_create(name="Web shop", scopes=list(scopes), expires_days=expires_days)[1]


@pytest.fixture
def shop(db, client) -> Shop:
    return Shop(client, new_key())
