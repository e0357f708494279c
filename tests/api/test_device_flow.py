"""The desktop software signs in through the browser (R-ID5, R-S2; the device authorization grant of
RFC 8628): the software asks for a code, the person approves it on the portal's /device/ page, signed
in there as the portal asks, and the software's poll then gets a device token, once. The licence
check itself is unchanged (R-S1)."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from licensing.accounts.device_grant import (
    ACCESS_DENIED,
    AUTHORIZATION_PENDING,
    EXPIRED_TOKEN,
    INVALID_GRANT,
    SLOW_DOWN,
    USER_CODE_FAILURES,
    USER_CODE_THROTTLED,
    USER_CODE_UNKNOWN,
    device_token_poll,
)
from licensing.accounts.device_views import DEVICE_APPROVED, DEVICE_DENIED
from licensing.accounts.models import ApiToken, DeviceAuthorization, DeviceCodeFailure, hash_token
from tests.api.conftest import TOKEN_URL, assign
from tests.concurrency import run_together

DEVICE_PAGE = "/device/"
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


class Browser:
    """The person on the portal's /device/ page, signed in to the portal as `user`."""

    def __init__(self, user) -> None:
        self.client = Client()
        self.client.force_login(user)

    def open(self, code: str | None = None):
        return self.client.get(DEVICE_PAGE, {"code": code} if code is not None else {})

    def enter(self, code: str, **extra):
        return self.client.post(DEVICE_PAGE, {"code": code}, **extra)

    def approve(self, code: str):
        return self.client.post(DEVICE_PAGE, {"code": code, "decision": "approve"})

    def deny(self, code: str):
        return self.client.post(DEVICE_PAGE, {"code": code, "decision": "deny"})


def started(api, device_name: str = "Drawing office PC") -> dict:
    response = api.device_authorization(device_name)
    assert response.status_code == 200, response.content
    return response.json()


def poll_later(api, device_code: str):
    """A poll after the interval has passed since the last one (the test moves the last one back)."""
    DeviceAuthorization.objects.filter(device_code_hash=hash_token(device_code)).update(
        last_polled_at=timezone.now() - timedelta(minutes=5)
    )
    return api.poll(device_code)


def refused(response, error: str, detail) -> None:
    assert response.status_code == 400, response.content
    assert response.json() == {"error": error, "detail": str(detail)}


# --- The software asks ----------------------------------------------------------------------------


def test_the_software_gets_a_device_code_and_a_code_to_show(api, world, settings):
    # R-ID5, RFC 8628 §3.2.
    body = started(api)

    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert USER_CODE.match(body["user_code"])
    # The portal's own address, as in the mails, whatever address the software reached the API by.
    assert body["verification_uri"] == f"{settings.SITE_URL}/device/"
    assert body["verification_uri_complete"] == f"{settings.SITE_URL}/device/?code={body['user_code']}"
    assert (body["expires_in"], body["interval"]) == (600, 5)
    assert (settings.DEVICE_AUTHORIZATION_SECONDS, settings.DEVICE_POLL_INTERVAL_SECONDS) == (600, 5)


def test_only_a_hash_of_the_device_code_is_stored_and_the_code_to_show_normalised(api, world):
    body = started(api, device_name="Jan's laptop")

    authorization = DeviceAuthorization.objects.get()
    assert authorization.device_code_hash == hash_token(body["device_code"])
    assert body["device_code"] not in {authorization.device_code_hash, authorization.user_code}
    assert authorization.user_code == body["user_code"].replace("-", "")
    assert authorization.device_name == "Jan's laptop"
    assert authorization.expires_at - authorization.created_at == timedelta(seconds=600)


def test_each_request_gets_codes_of_its_own(api, world):
    first, second = started(api), started(api)

    assert first["device_code"] != second["device_code"]
    assert first["user_code"] != second["user_code"]


# --- The whole flow -------------------------------------------------------------------------------


def test_the_desktop_signs_in_through_the_browser_as_the_person_who_approves(api, world):
    # R-ID5, R-S2: pending, slow_down, approved in the portal, a token that checks a licence, once.
    assign(world.user, world.product)
    body = started(api)
    code = body["user_code"]

    refused(api.poll(body["device_code"]), "authorization_pending", AUTHORIZATION_PENDING)
    refused(api.poll(body["device_code"]), "slow_down", SLOW_DOWN % {"interval": 10})

    browser = Browser(world.user.user)
    page = browser.open(code)
    assert page.status_code == 200
    assert page.context["form"]["code"].value() == code  # filled in, approved by nobody yet
    confirm = browser.enter(code)
    assert confirm.status_code == 200
    assert "Sign in Seatkeeper on Drawing office PC?" in confirm.content.decode()
    refused(poll_later(api, body["device_code"]), "authorization_pending", AUTHORIZATION_PENDING)
    approved = browser.approve(code)
    assert approved.status_code == 302
    home = browser.client.get(approved["Location"])
    assert str(DEVICE_APPROVED % {"device": "Drawing office PC", "email": "user@example.com"}) in [
        str(message) for message in home.context["messages"]
    ]

    signed_in = poll_later(api, body["device_code"])

    assert signed_in.status_code == 201, signed_in.content
    assert set(signed_in.json()) == {"token", "expires_at"}
    token = ApiToken.objects.get()
    assert (token.user, token.device_name) == (world.user.user, "Drawing office PC")
    assert token.token_hash == hash_token(signed_in.json()["token"])
    check = api.check(signed_in.json()["token"])
    assert check.status_code == 200
    assert check.json()["licensed"] is True
    # Once: the device code gives no second token, however soon or late it is asked again.
    refused(api.poll(body["device_code"]), "expired_token", EXPIRED_TOKEN)
    refused(poll_later(api, body["device_code"]), "expired_token", EXPIRED_TOKEN)
    assert ApiToken.objects.count() == 1


def test_a_poll_that_comes_too_soon_makes_the_interval_longer_for_good(api, world):
    # RFC 8628 §3.5: slow_down adds 5 seconds to the interval, for this and every later poll.
    body = started(api)
    api.poll(body["device_code"])

    refused(api.poll(body["device_code"]), "slow_down", SLOW_DOWN % {"interval": 10})
    refused(api.poll(body["device_code"]), "slow_down", SLOW_DOWN % {"interval": 15})
    authorization = DeviceAuthorization.objects.get()
    assert authorization.interval == 15
    DeviceAuthorization.objects.update(last_polled_at=timezone.now() - timedelta(seconds=14))
    refused(api.poll(body["device_code"]), "slow_down", SLOW_DOWN % {"interval": 20})
    DeviceAuthorization.objects.update(last_polled_at=timezone.now() - timedelta(seconds=21))
    refused(api.poll(body["device_code"]), "authorization_pending", AUTHORIZATION_PENDING)


def test_a_denied_sign_in_gives_no_token(api, world):
    body = started(api)
    browser = Browser(world.user.user)

    denied = browser.deny(body["user_code"])

    assert denied.status_code == 302
    home = browser.client.get(denied["Location"])
    assert str(DEVICE_DENIED % {"device": "Drawing office PC"}) in [str(m) for m in home.context["messages"]]
    refused(poll_later(api, body["device_code"]), "access_denied", ACCESS_DENIED)
    refused(poll_later(api, body["device_code"]), "access_denied", ACCESS_DENIED)
    assert not ApiToken.objects.exists()


def test_an_expired_sign_in_can_be_neither_approved_nor_polled(api, world):
    body = started(api)
    DeviceAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    browser = Browser(world.user.user)

    page = browser.approve(body["user_code"])

    assert page.status_code == 200
    assert page.context["form"].errors["code"] == [str(USER_CODE_UNKNOWN)]
    refused(api.poll(body["device_code"]), "expired_token", EXPIRED_TOKEN)
    assert not ApiToken.objects.exists()


def test_an_approved_sign_in_that_expires_before_the_poll_gives_no_token(api, world):
    body = started(api)
    Browser(world.user.user).approve(body["user_code"])
    DeviceAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    refused(poll_later(api, body["device_code"]), "expired_token", EXPIRED_TOKEN)
    assert not ApiToken.objects.exists()


def test_an_unknown_device_code_is_an_invalid_grant(api, world):
    refused(api.poll("no-such-code"), "invalid_grant", INVALID_GRANT)


def test_an_account_deactivated_after_approving_gets_no_token(api, world):
    body = started(api)
    Browser(world.user.user).approve(body["user_code"])
    world.user.user.is_active = False
    world.user.user.save()

    refused(poll_later(api, body["device_code"]), "access_denied", ACCESS_DENIED)
    assert not ApiToken.objects.exists()


def test_a_sign_in_decided_once_cannot_be_decided_again_by_anyone(api, world):
    body = started(api)
    Browser(world.user.user).approve(body["user_code"])

    for person in (world.user.user, world.outsider.user):
        page = Browser(person).deny(body["user_code"])
        assert page.context["form"].errors["code"] == [str(USER_CODE_UNKNOWN)]
    assert DeviceAuthorization.objects.get().user == world.user.user
    assert poll_later(api, body["device_code"]).status_code == 201


@pytest.mark.django_db(transaction=True)
def test_two_polls_at_once_get_one_token(api, world):
    body = started(api)
    Browser(world.user.user).approve(body["user_code"])

    outcomes = run_together(*[lambda: device_token_poll(device_code=body["device_code"])] * 2)

    assert sorted(outcome.ok for outcome in outcomes) == [False, True]
    assert [outcome.error.code for outcome in outcomes if not outcome.ok] == ["expired_token"]
    assert ApiToken.objects.count() == 1


# --- The portal's page ----------------------------------------------------------------------------


def test_the_device_page_asks_for_the_portals_own_sign_in_and_keeps_the_code(client, world):
    # Whatever the portal asks to sign in (password, second factor, SSO) is asked before any approval.
    response = client.get(DEVICE_PAGE, {"code": "BCDF-GHJK"})

    assert response.status_code == 302
    assert response["Location"] == reverse("login") + "?next=/device/%3Fcode%3DBCDF-GHJK"


def test_a_link_with_the_code_approves_nothing_by_itself(api, world):
    # RFC 8628 §5.4: a verification_uri_complete sent by someone else must still be confirmed.
    body = started(api)

    Browser(world.user.user).open(body["user_code"])
    Browser(world.user.user).enter(body["user_code"])

    authorization = DeviceAuthorization.objects.get()
    assert (authorization.approved_at, authorization.denied_at, authorization.user) == (None, None, None)


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {first} {second} ", "{first}{second}", "{first}–{second}"])
def test_the_code_is_found_whatever_its_case_and_punctuation(api, world, typed):
    code = started(api)["user_code"]
    first, second = code.split("-")
    text = typed.format(code=code, lower=code.lower(), first=first, second=second)

    page = Browser(world.user.user).enter(text)

    assert page.status_code == 200
    assert page.templates[0].name == "accounts/device_confirm.html"


def test_wrong_codes_are_limited_per_person(api, world):
    # R-ID5: a person cannot try codes until one fits someone else's device.
    body = started(api)
    browser = Browser(world.user.user)
    for _ in range(USER_CODE_FAILURES):
        page = browser.enter("BBBB-BBBB")
        assert page.status_code == 200
        assert page.context["form"].errors["code"] == [str(USER_CODE_UNKNOWN)]

    refused_page = browser.enter(body["user_code"])  # the right one, not even looked at

    assert refused_page.status_code == 429
    assert refused_page.context["form"].errors["code"] == [str(USER_CODE_THROTTLED % {"minutes": 15})]
    assert browser.approve(body["user_code"]).status_code == 429
    assert DeviceCodeFailure.objects.count() == USER_CODE_FAILURES  # refusals are not counted
    # Someone else, whose count is their own, still approves.
    assert Browser(world.secondary.user).enter(body["user_code"]).status_code == 200
    # Once the oldest wrong code leaves the window of 15 minutes, the person may try again.
    oldest = DeviceCodeFailure.objects.filter(user=world.user.user).order_by("created_at").first()
    DeviceCodeFailure.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(minutes=15))
    assert browser.enter(body["user_code"]).status_code == 200


def test_a_right_code_is_not_counted_as_a_wrong_one(api, world):
    body = started(api)
    browser = Browser(world.user.user)

    browser.enter(body["user_code"])
    browser.approve(body["user_code"])

    assert not DeviceCodeFailure.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_wrong_codes_tried_at_once_are_counted_before_any_is_looked_at(world):
    # The attempt is counted before the code is looked up: 20 at once cannot all pass a limit of 10.
    from licensing.accounts.device_grant import device_authorization_find

    def attempt():
        return device_authorization_find(user_code="BBBB-BBBB", user=world.user.user)

    outcomes = run_together(*[attempt] * (2 * USER_CODE_FAILURES))

    codes = [outcome.error.code for outcome in outcomes]
    assert codes.count("unknown") <= USER_CODE_FAILURES
    assert DeviceCodeFailure.objects.count() <= USER_CODE_FAILURES


def test_the_device_page_is_in_dutch(api, world):
    body = started(api)
    browser = Browser(world.user.user)
    browser.client.cookies["django_language"] = "nl"

    page = browser.enter(body["user_code"], headers={"Accept-Language": "nl"})

    assert "Seatkeeper aanmelden op Drawing office PC?" in page.content.decode()


def test_the_poll_answers_in_the_language_of_the_software(api, world):
    body = started(api)

    response = api.poll(body["device_code"], headers={"Accept-Language": "nl"})

    assert response.json() == {
        "error": "authorization_pending",
        "detail": "Wacht tot de aanmelding in de browser is goedgekeurd.",
    }


# --- What stays as it was -------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{}, {"grant_type": "password"}])
def test_the_password_sign_in_body_stays_valid(client, world, extra):
    body = {"email": "user@example.com", "password": "pw", "device_name": "Drawing office PC", **extra}

    assert client.post(TOKEN_URL, body, content_type="application/json").status_code == 201


def test_a_device_code_poll_without_its_code_is_422_naming_the_field(api, client, world):
    response = client.post(
        TOKEN_URL, {"grant_type": "urn:ietf:params:oauth:grant-type:device_code"}, content_type="application/json"
    )

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["device_code"]


def test_old_sign_ins_through_the_browser_are_forgotten(api, world):
    started(api)
    DeviceAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=601))
    started(api)

    assert DeviceAuthorization.objects.count() == 1


# --- A person with a second factor, from the start --------------------------------------------------


def test_a_person_with_a_second_factor_signs_the_desktop_in_through_the_browser(api, world):
    # R-ID5: the password alone is refused; the browser asks the password and the authenticator app's
    # code (computed with pyotp from the secret, as the app does) before the device can be approved.
    import pyotp
    from allauth.mfa.totp.internal.auth import TOTP

    secret = pyotp.random_base32()
    TOTP.activate(world.user.user, secret)
    assert api.sign_in("user@example.com").json()["error"] == "browser_sign_in_required"
    body = started(api)
    browser = Client()

    to_login = browser.get(DEVICE_PAGE, {"code": body["user_code"]})
    assert to_login.status_code == 302
    to_factor = browser.post(to_login["Location"], {"login": "user@example.com", "password": "pw"})
    assert to_factor.status_code == 302
    assert to_factor["Location"] == reverse("mfa_authenticate")
    # Signed in with the password alone, the device page is not reachable yet.
    assert browser.get(DEVICE_PAGE).status_code == 302
    back = browser.post(to_factor["Location"], {"code": pyotp.TOTP(secret).now()})
    assert back.status_code == 302
    assert back["Location"] == f"/device/?code={body['user_code']}"
    page = browser.get(back["Location"])
    assert page.context["form"]["code"].value() == body["user_code"]
    browser.post(DEVICE_PAGE, {"code": body["user_code"]})
    assert browser.post(DEVICE_PAGE, {"code": body["user_code"], "decision": "approve"}).status_code == 302

    signed_in = poll_later(api, body["device_code"])

    assert signed_in.status_code == 201
    assert ApiToken.objects.get().user == world.user.user
