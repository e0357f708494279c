"""Vendor API keys (R-API1): made in the Django admin or by a command, shown once and stored hashed,
with scopes per operation, an expiry, revocation and a last-used time."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from licensing.integrations.models import VendorApiKey, vendor_key_hash
from licensing.integrations.services import vendor_key_revoke
from tests.factories import UserFactory
from tests.integrations.conftest import Shop, new_key

pytestmark = pytest.mark.django_db

# Each operation with the scope it needs (the order API's whole surface).
OPERATIONS = [
    ("get", "/customers", "orders:read"),
    ("get", "/customers/1", "orders:read"),
    ("post", "/customers", "orders:write"),
    ("get", "/contracts", "orders:read"),
    ("get", "/contracts/1", "orders:read"),
    ("post", "/contracts", "orders:write"),
    ("post", "/contracts/1/manager", "orders:write"),
    ("get", "/subscriptions", "orders:read"),
    ("get", "/subscriptions/1", "orders:read"),
    ("post", "/subscriptions", "orders:write"),
    ("put", "/subscriptions/1/seats", "orders:write"),
    ("post", "/subscriptions/1/seats/add", "orders:write"),
    ("post", "/subscriptions/1/seats/remove", "orders:write"),
    ("post", "/subscriptions/1/renewal", "orders:write"),
    ("post", "/subscriptions/1/cancellation", "orders:write"),
    ("post", "/subscriptions/1/termination", "orders:write"),
    ("get", "/products", "catalogue:read"),
    ("get", "/products/draftpro", "catalogue:read"),
]


def send(shop: Shop, method: str, path: str):
    return shop.get(path) if method == "get" else shop.write(method, path, {})


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_each_operation_needs_its_scope(method, path, scope):
    others = [s for s in VendorApiKey.Scope.values if s != scope]
    refused = send(Shop(Client(), new_key(others)), method, path)
    assert refused.status_code == 403, refused.content
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["errors"][0]["rule"] == "SCOPE_MISSING"
    allowed = send(Shop(Client(), new_key([scope])), method, path)
    assert allowed.status_code not in (401, 403), allowed.content  # 200, or 404/422 for what is not there


@pytest.mark.parametrize(("method", "path", "scope"), OPERATIONS)
def test_without_a_valid_key_every_operation_is_401(method, path, scope):
    for authorization in (None, "Bearer sk_vendor_nothing", "Bearer " + "x" * 30, "Basic abc"):
        headers = {"Authorization": authorization} if authorization else {}
        response = getattr(Client(), method)(f"/api/v1{path}", headers={**headers, "Idempotency-Key": "k"})
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"] == "Bearer"


def test_an_expired_key_is_refused():
    raw = new_key()
    VendorApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Shop(Client(), raw).get("/customers")
    assert response.status_code == 401
    assert response.json()["type"] == "tag:seatkeeper.org,2026:problem:key-expired"


def test_a_revoked_key_is_refused_at_once():
    raw = new_key()
    shop = Shop(Client(), raw)
    assert shop.get("/customers").status_code == 200
    vendor_key_revoke(key=VendorApiKey.objects.get())
    response = shop.get("/customers")
    assert response.status_code == 401
    assert response.json()["type"] == "tag:seatkeeper.org,2026:problem:key-revoked"


def test_the_key_is_stored_hashed_and_its_use_recorded_once_a_minute(django_assert_num_queries):
    raw = new_key()
    key = VendorApiKey.objects.get()
    assert raw.startswith("sk_vendor_")
    assert len(raw) > 40
    assert key.secret_hash == vendor_key_hash(raw)
    assert raw not in key.secret_hash
    assert raw.startswith(key.prefix)
    assert len(key.prefix) < len(raw) / 2
    shop = Shop(Client(), raw)
    assert shop.get("/products").status_code == 200
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    # Used again within the minute: the key is read, nothing written (the key and the two catalogue queries).
    with django_assert_num_queries(3):
        shop.get("/products")
    key.refresh_from_db()
    assert key.last_used_at == first_use


def test_the_command_prints_the_key_once():
    out, err = StringIO(), StringIO()
    call_command(
        "vendor_key_create",
        "--name",
        "Web shop",
        "--scopes",
        "orders:read,catalogue:read",
        "--expires-days",
        "90",
        stdout=out,
        stderr=err,
    )
    raw = out.getvalue().strip()
    key = VendorApiKey.objects.get()
    assert (key.name, key.scopes, key.secret_hash) == (
        "Web shop",
        ["orders:read", "catalogue:read"],
        vendor_key_hash(raw),
    )
    assert 89 <= (key.expires_at - timezone.now()).days <= 90
    assert "not shown again" in err.getvalue()
    assert Shop(Client(), raw).get("/products").status_code == 200
    with pytest.raises(CommandError, match="scopes"):
        call_command("vendor_key_create", "--name", "X", "--scopes", "orders:everything", stdout=StringIO())


def test_support_staff_make_a_key_in_the_admin_and_see_it_once(client):
    staff = UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True)
    client.force_login(staff)
    add = reverse("admin:integrations_vendorapikey_add")
    assert client.get(add).status_code == 200
    response = client.post(add, {"name": "CRM", "scopes": ["orders:read"], "expires_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    key = VendorApiKey.objects.get()
    raw = response.context["raw"]
    assert key.secret_hash == vendor_key_hash(raw)
    assert raw in response.content.decode()
    assert key.created_by == staff
    # Its page afterwards shows the prefix, never the key.
    page = client.get(reverse("admin:integrations_vendorapikey_change", args=[key.pk])).content.decode()
    assert key.prefix in page
    assert raw not in page
    # Revoked with the list's action.
    client.post(
        reverse("admin:integrations_vendorapikey_changelist"), {"action": "revoke", "_selected_action": [key.pk]}
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    # A form without a scope comes back with its error, the name kept.
    again = client.post(add, {"name": "CRM 2", "expires_days": "30"})
    assert again.status_code == 200
    assert "CRM 2" in again.content.decode()
    assert VendorApiKey.objects.count() == 1
