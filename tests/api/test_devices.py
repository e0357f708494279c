"""Signed-in devices on a user's page: admins see where a user is signed in to the desktop software
and can sign a device out (R-S2)."""

import pytest
from django.core.exceptions import PermissionDenied
from django.template.loader import render_to_string
from django.urls import reverse

from licensing.accounts.devices import api_token_revoke, api_tokens_for
from licensing.accounts.models import ApiToken
from licensing.accounts.permissions import can_sign_out_devices
from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member


def sign_in(api, email="user@example.com", device_name="Drawing office PC") -> tuple[ApiToken, str]:
    raw = api.token(email, device_name=device_name)
    return ApiToken.objects.get(device_name=device_name, user__email=email), raw


def sign_out_url(world, token, member=None) -> str:
    member = member or world.user
    return reverse(
        "accounts:device-sign-out", kwargs={"team_id": member.team_id, "member_id": member.pk, "token_id": token.pk}
    )


# --- Who may sign a device out ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("user", True),  # the person themself
        ("primary", True),
        ("secondary", True),
        ("staff", True),
        ("guest", False),  # a member, not an admin
        ("outsider", False),  # an admin, of another team
    ],
)
def test_who_may_sign_out_a_users_devices(world, persona, allowed):
    actor = getattr(world, persona)
    actor = getattr(actor, "user", actor)

    assert can_sign_out_devices(actor, world.user.user) is allowed
    assert can_sign_out_devices(actor, world.user.user, world.team) is allowed


def test_an_admin_acts_from_their_own_team_only(world):
    # The primary admin of Design is also primary admin of Engineering, where the user is not.
    assert can_sign_out_devices(world.primary.user, world.user.user, world.other_team) is False


def test_the_admins_of_a_team_a_person_is_only_invited_to_do_not_act_on_their_account(world):
    assert can_sign_out_devices(world.primary.user, world.invited.user) is False
    assert can_sign_out_devices(world.primary.user, world.invited.user, world.team) is False


# --- The service --------------------------------------------------------------------------------


def test_the_devices_listed_are_those_still_signed_in(api, world):
    office, _raw = sign_in(api, device_name="Office")
    _home, home_raw = sign_in(api, device_name="Home")
    api.sign_out(home_raw)

    assert list(api_tokens_for(world.user)) == [office]


def test_an_admin_signs_a_device_out(api, world):
    token, raw = sign_in(api)

    api_token_revoke(token=token, actor=world.secondary.user, team=world.team)

    assert api.check(raw).status_code == 401
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.DEVICE_SIGNED_OUT)
    assert (event.actor, event.team, event.target_user) == (world.secondary.user, world.team, world.user.user)
    assert event.before["device"] == "Drawing office PC"


def test_signing_out_twice_records_it_once(api, world):
    token, _raw = sign_in(api)

    api_token_revoke(token=token, actor=world.primary.user, team=world.team)
    api_token_revoke(token=token, actor=world.primary.user, team=world.team)

    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.DEVICE_SIGNED_OUT).count() == 1


def test_someone_else_cannot_sign_a_device_out(api, world):
    token, raw = sign_in(api)

    with pytest.raises(PermissionDenied):
        api_token_revoke(token=token, actor=world.outsider.user)

    assert api.check(raw).status_code == 200


# --- The "Sign out" button ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"), [("primary", 302), ("secondary", 302), ("guest", 403), ("outsider", 404)]
)
def test_sign_out_button_access(client, api, world, persona, status):
    token, _raw = sign_in(api)
    client.force_login(getattr(world, persona).user)

    response = client.post(sign_out_url(world, token))

    assert response.status_code == status
    token.refresh_from_db()
    assert (token.revoked_at is not None) is (status == 302)


def test_the_sign_out_button_signs_the_device_out_and_says_so(client, api, world):
    token, raw = sign_in(api)
    client.force_login(world.primary.user)

    response = client.post(sign_out_url(world, token), follow=True)

    assert response.redirect_chain[-1][0] == reverse(
        "teams:member-detail", kwargs={"team_id": world.team.pk, "member_id": world.user.pk}
    )
    assert "Drawing office PC is signed out." in response.content.decode()
    assert api.check(raw).status_code == 401


def test_the_sign_out_button_needs_a_post(client, api, world):
    token, _raw = sign_in(api)
    client.force_login(world.primary.user)

    assert client.get(sign_out_url(world, token)).status_code == 405


def test_a_device_of_someone_else_is_not_found_through_this_user(client, api, world):
    token, _raw = sign_in(api, email="guest@example.com")
    client.force_login(world.primary.user)

    assert client.post(sign_out_url(world, token, member=world.user)).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_devices_fragment_lists_each_device_with_a_sign_out_button(api, world):
    office, _raw = sign_in(api, device_name="Office")
    home, _raw = sign_in(api, device_name="Home <laptop>")

    html = render_to_string("accounts/_devices.html", {"team": world.team, "member": world.user})

    assert "Office" in html
    assert "Home &lt;laptop&gt;" in html
    assert sign_out_url(world, office) in html
    assert sign_out_url(world, home) in html


def test_the_devices_fragment_says_when_there_are_none(world):
    html = render_to_string("accounts/_devices.html", {"team": world.team, "member": world.user})

    assert "is not signed in to the desktop software on any device" in html


def test_the_devices_fragment_is_empty_for_an_invited_member(api, world):
    sign_in(api, email="new@example.com")
    invited = Member.objects.get(pk=world.invited.pk)

    assert render_to_string("accounts/_devices.html", {"team": world.team, "member": invited}).strip() == ""
