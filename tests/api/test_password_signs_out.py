"""A new password signs the desktop devices out (R-S2): whoever knew the old one keeps no working
token, whether the password was changed in the portal, reset with the e-mail link, or set by
support in the Django admin. The other people's devices stay signed in."""

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from licensing.accounts.api import SIGNED_OUT
from licensing.accounts.devices import api_token_revoke, user_password_changed
from licensing.accounts.models import ApiToken
from licensing.activity.models import ActivityEvent

NEW_PASSWORD = "a-Long-passphrase-42"


@pytest.fixture
def devices(api, world) -> dict[str, str]:
    """The user signed in on two devices, another person on one: device name → raw token."""
    return {
        "office": api.token("user@example.com", device_name="Drawing office PC"),
        "laptop": api.token("user@example.com", device_name="Site laptop"),
        "colleague": api.token("secondary@example.com", device_name="Colleague's PC"),
    }


def signed_out(api, raw: str) -> bool:
    response = api.check(raw)
    if response.status_code == 401:
        assert response.json() == {"detail": str(SIGNED_OUT)}
        return True
    assert response.status_code == 200, response.content
    return False


def sign_out_events() -> list[tuple[str | None, str, str]]:
    """(actor, person, device) of every DEVICE_SIGNED_OUT row."""
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.DEVICE_SIGNED_OUT).select_related(
        "actor", "target_user"
    )
    return sorted(
        (event.actor.email if event.actor else None, event.target_user.email, event.before["device"])
        for event in events
    )


def test_changing_ones_password_signs_out_every_device(api, world, devices):
    browser = Client()
    browser.force_login(world.user.user)
    response = browser.post(
        reverse("password_change"),
        {"old_password": "pw", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("password_change_done")

    assert signed_out(api, devices["office"])
    assert signed_out(api, devices["laptop"])
    assert not signed_out(api, devices["colleague"])
    assert sign_out_events() == [
        ("user@example.com", "user@example.com", "Drawing office PC"),
        ("user@example.com", "user@example.com", "Site laptop"),
    ]
    # The new password signs a device in again.
    assert not signed_out(api, api.token("user@example.com", password=NEW_PASSWORD))


def test_a_refused_password_change_signs_out_nothing(api, world, devices):
    browser = Client()
    browser.force_login(world.user.user)
    response = browser.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 200  # the form again, with the error

    assert not any(signed_out(api, raw) for raw in devices.values())
    assert sign_out_events() == []


def test_a_password_reset_with_the_mail_link_signs_out_every_device(api, world, devices):
    user = world.user.user
    link = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    browser = Client()
    set_password_url = browser.get(link).url  # the link moves its token into the session first
    response = browser.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.url == reverse("password_reset_complete")

    assert signed_out(api, devices["office"])
    assert signed_out(api, devices["laptop"])
    assert not signed_out(api, devices["colleague"])
    # Nobody is signed in to the portal on a reset: the person, proven by the link, did it.
    assert [actor for actor, _, _ in sign_out_events()] == ["user@example.com", "user@example.com"]


@pytest.mark.parametrize(
    "data",
    [
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        {"usable_password": "false", "unset-password": "1"},  # "Disable password-based authentication"
    ],
    ids=["new password", "password disabled"],
)
def test_support_setting_a_password_in_the_admin_signs_out_the_devices(api, world, devices, data):
    browser = Client()
    browser.force_login(world.staff)
    response = browser.post(reverse("admin:auth_user_password_change", args=[world.user.user.pk]), data)
    assert response.status_code == 302, response.content

    assert signed_out(api, devices["office"])
    assert signed_out(api, devices["laptop"])
    assert not signed_out(api, devices["colleague"])
    assert {actor for actor, _, _ in sign_out_events()} == {"support@vendor.example"}


def test_support_opening_the_admins_password_page_signs_out_nothing(api, world, devices):
    browser = Client()
    browser.force_login(world.staff)
    assert browser.get(reverse("admin:auth_user_password_change", args=[world.user.user.pk])).status_code == 200
    assert not any(signed_out(api, raw) for raw in devices.values())


def test_the_service_signs_out_only_the_devices_still_signed_in(api, world, devices):
    office = ApiToken.objects.get(device_name="Drawing office PC")
    api_token_revoke(token=office, actor=world.user.user)

    assert user_password_changed(user=world.user.user, actor=world.user.user) == 1

    assert sign_out_events() == [
        ("user@example.com", "user@example.com", "Drawing office PC"),
        ("user@example.com", "user@example.com", "Site laptop"),
    ]
    assert user_password_changed(user=world.user.user, actor=world.user.user) == 0
