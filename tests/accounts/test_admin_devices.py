"""Signed-in devices of the desktop software in the Django admin (R-S2): support staff find a
person's devices by e-mail address, see them read only, and sign them out with the action, through
the same `api_token_revoke` as the portal (audited). The token's hash is never shown."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from licensing.accounts.models import ApiToken, new_token
from licensing.activity.models import ActivityEvent
from tests.api.conftest import Api
from tests.factories import UserFactory


def device(user, name: str, **fields) -> ApiToken:
    _, digest = new_token()
    fields = {"expires_at": ApiToken.default_expiry(), **fields}
    return ApiToken.objects.create(user=user, device_name=name, token_hash=digest, **fields)


@pytest.fixture
def devices(world) -> dict[str, ApiToken]:
    now = timezone.now()
    return {
        "office": device(world.user.user, "Drawing office PC", last_used_at=now),
        "laptop": device(world.user.user, "Site laptop"),
        "colleague": device(world.secondary.user, "Colleague's PC"),
        "old": device(world.user.user, "Old PC", revoked_at=now - timedelta(days=3)),
        "expired": device(world.guest.user, "Guest tablet", expires_at=now - timedelta(days=1)),
    }


@pytest.fixture
def support(world) -> Client:
    client = Client()
    client.force_login(world.staff)
    return client


def changelist(**query) -> str:
    url = reverse("admin:accounts_apitoken_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def listed(response) -> set[str]:
    return {token.device_name for token in response.context["cl"].result_list}


def sign_out(client, *tokens, follow=False):
    data = {"action": "sign_out", admin.helpers.ACTION_CHECKBOX_NAME: [t.pk for t in tokens]}
    return client.post(changelist(), data, follow=follow)


def said(response) -> list[str]:
    return [m.message for m in get_messages(response.wsgi_request)]


# --- The list and the page ------------------------------------------------------------------------


def test_support_sees_every_signed_in_device(support, devices):
    response = support.get(changelist())
    assert response.status_code == 200
    assert listed(response) == {token.device_name for token in devices.values()}


def test_devices_are_found_by_the_persons_e_mail_address(support, devices):
    assert listed(support.get(changelist(q="user@example"))) == {"Drawing office PC", "Site laptop", "Old PC"}
    assert listed(support.get(changelist(q="SECONDARY@example.com"))) == {"Colleague's PC"}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("signed_in", {"Drawing office PC", "Site laptop", "Colleague's PC"}),
        ("signed_out", {"Old PC"}),
        ("expired", {"Guest tablet"}),
    ],
)
def test_devices_are_filtered_by_state(support, devices, state, expected):
    assert listed(support.get(changelist(state=state))) == expected


def test_the_device_page_is_read_only_and_never_shows_the_token_hash(support, devices):
    token = devices["office"]
    response = support.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    for label in ("User", "Device", "Signed in at", "Last used at", "Expires at", "Signed out at"):
        assert label in html, label
    assert token.token_hash not in html
    assert "token_hash" not in html
    assert 'name="device_name"' not in html  # nothing to edit
    assert support.post(reverse("admin:accounts_apitoken_change", args=[token.pk]), {}).status_code == 403
    assert token.token_hash not in support.get(changelist()).content.decode()


def test_devices_are_neither_added_nor_deleted_in_the_admin(support, devices):
    token = devices["office"]
    assert support.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    assert support.get(reverse("admin:accounts_apitoken_delete", args=[token.pk])).status_code == 403
    actions = [name for name, _ in support.get(changelist()).context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert "sign_out" in actions


def test_the_list_takes_a_fixed_number_of_queries(support, devices, django_assert_max_num_queries):
    for n in range(20):
        device(UserFactory(), f"PC {n}")
    with django_assert_max_num_queries(8):
        response = support.get(changelist())
    assert len(listed(response)) == 25


def test_the_device_list_is_for_support_staff_only(client, world):
    client.force_login(world.primary.user)
    response = client.get(changelist())
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


# --- "Sign out the selected devices" ------------------------------------------------------------


def test_support_signs_out_the_selected_devices(support, world, devices):
    api = Api(Client())
    raw = api.token("user@example.com", device_name="Signed in for real")
    real = ApiToken.objects.get(device_name="Signed in for real")

    response = sign_out(support, devices["office"], devices["laptop"], real)

    assert response.status_code == 302
    assert said(response) == ["Signed out 3 devices."]
    for token in (devices["office"], devices["laptop"], real):
        token.refresh_from_db()
        assert token.revoked_at is not None
    devices["colleague"].refresh_from_db()
    assert devices["colleague"].revoked_at is None
    assert api.check(raw).status_code == 401  # the desktop software is signed out at once
    # Through api_token_revoke: one audit row each, with support as actor, via the admin.
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.DEVICE_SIGNED_OUT)
    assert sorted(e.before["device"] for e in events) == ["Drawing office PC", "Signed in for real", "Site laptop"]
    assert {(e.actor, e.via, e.target_user) for e in events} == {
        (world.staff, ActivityEvent.Via.ADMIN, world.user.user)
    }


def test_signing_out_devices_signed_out_or_expired_already_changes_nothing(support, devices):
    old = devices["old"]
    revoked_at = old.revoked_at

    response = sign_out(support, old, devices["expired"], devices["office"])

    assert said(response) == ["Signed out 1 device. 2 were signed out or expired already."]
    old.refresh_from_db()
    assert old.revoked_at == revoked_at
    devices["expired"].refresh_from_db()
    assert devices["expired"].revoked_at is None
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.DEVICE_SIGNED_OUT).count() == 1


def test_staff_without_the_permission_have_no_sign_out_action(world, devices):
    clerk = UserFactory(email="clerk@vendor.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    client = Client()
    client.force_login(clerk)

    response = client.get(changelist())
    assert response.status_code == 200
    assert listed(response)  # they see the devices
    assert 'value="sign_out"' not in response.content.decode()
    sign_out(client, devices["office"])
    devices["office"].refresh_from_db()
    assert devices["office"].revoked_at is None
