"""Signing a device in and out (R-S2): tokens, their expiry and revocation, the rate limit on failed
sign-ins, and the OpenAPI description of the contract."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from licensing.accounts.api import SIGNED_OUT
from licensing.accounts.devices import SIGNIN_FAILED, SIGNIN_THROTTLED
from licensing.accounts.models import ApiToken, SignInFailure, hash_token
from licensing.activity.models import ActivityEvent
from tests.api.conftest import OPENAPI_URL, TOKEN_URL, Api

# --- Signing in ---------------------------------------------------------------------------------


def test_signing_in_gives_a_token_that_checks_licences(api, world):
    # R-S2
    response = api.sign_in("user@example.com", device_name="Jan's laptop")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires_at"}
    assert api.check(body["token"]).status_code == 200


def test_the_address_is_found_whatever_its_case(api, world):
    assert api.sign_in("  USER@Example.com ").status_code == 201


def test_only_a_hash_of_the_token_is_stored(api, world):
    raw = api.token("user@example.com", device_name="Jan's laptop")

    token = ApiToken.objects.get()
    assert token.token_hash == hash_token(raw)
    assert raw not in {token.token_hash, token.device_name}
    assert token.user == world.user.user
    assert token.device_name == "Jan's laptop"


def test_a_token_lasts_the_days_of_the_setting(api, world, settings):
    settings.API_TOKEN_DAYS = 7

    body = api.sign_in("user@example.com").json()

    token = ApiToken.objects.get()
    assert token.expires_at - token.created_at == timedelta(days=7)
    assert abs(datetime.fromisoformat(body["expires_at"]) - token.expires_at) < timedelta(milliseconds=1)


def test_each_sign_in_is_a_device_of_its_own(api, world):
    first = api.token("user@example.com", device_name="Office")
    second = api.token("user@example.com", device_name="Home")

    assert first != second
    assert sorted(ApiToken.objects.values_list("device_name", flat=True)) == ["Home", "Office"]


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("user@example.com", "wrong"),  # a wrong password
        ("nobody@example.com", "pw"),  # an address without an account
        ("new@example.com", "wrong"),  # invited, no password of their own yet
    ],
)
def test_wrong_credentials_are_401_with_the_same_answer_whether_or_not_the_account_exists(api, world, email, password):
    response = api.sign_in(email, password=password)

    assert response.status_code == 401
    assert response.json() == {"detail": str(SIGNIN_FAILED)}
    assert not ApiToken.objects.exists()


def test_a_deactivated_account_cannot_sign_in(api, world):
    world.user.user.is_active = False
    world.user.user.save()

    assert api.sign_in("user@example.com").status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"email": "user@example.com", "password": "pw"},
        {"email": "user@example.com", "password": "pw", "device_name": ""},
        {"email": "user@example.com", "password": "pw", "device_name": "   "},
        {"email": "user@example.com", "password": "pw", "device_name": "x" * 101},
    ],
)
def test_a_device_needs_a_name(client, world, body):
    response = client.post(TOKEN_URL, body, content_type="application/json")

    assert response.status_code == 422
    assert not ApiToken.objects.exists()
    assert not SignInFailure.objects.exists()  # a malformed request is not a failed sign-in


def test_signing_in_needs_no_csrf_token(world):
    # A desktop client sends JSON and no cookies: there is no cross-site request to forge.
    api = Api(Client(enforce_csrf_checks=True))

    assert api.sign_in("user@example.com").status_code == 201


# --- Using and losing a token -------------------------------------------------------------------


def test_a_check_without_a_token_is_401(client, world):
    response = client.get("/api/v1/entitlements/draftpro")

    assert response.status_code == 401
    assert response.json() == {"detail": str(SIGNED_OUT)}
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic dXNlcjpwdw==", "not-a-token"])
def test_an_unknown_token_is_401(client, world, header):
    response = client.get("/api/v1/entitlements/draftpro", headers={"Authorization": header})

    assert response.status_code == 401


def test_an_expired_token_is_401(api, world):
    raw = api.token("user@example.com")
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    response = api.check(raw)

    assert response.status_code == 401
    assert response.json() == {"detail": str(SIGNED_OUT)}


def test_the_token_of_a_deactivated_account_is_401(api, world):
    raw = api.token("user@example.com")
    world.user.user.is_active = False
    world.user.user.save()

    assert api.check(raw).status_code == 401


def test_using_a_token_notes_when_it_was_last_used(api, world):
    raw = api.token("user@example.com")
    assert ApiToken.objects.get().last_used_at is None

    api.check(raw)

    assert ApiToken.objects.get().last_used_at is not None


def test_signing_out_is_204_and_the_token_no_longer_works(api, world):
    # R-S2: the token is revocable.
    raw = api.token("user@example.com")

    response = api.sign_out(raw)

    assert response.status_code == 204
    assert response.content == b""
    assert api.check(raw).status_code == 401
    assert api.sign_out(raw).status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_signing_out_signs_out_only_that_device(api, world):
    office = api.token("user@example.com", device_name="Office")
    home = api.token("user@example.com", device_name="Home")

    api.sign_out(office)

    assert api.check(home).status_code == 200


def test_signing_out_is_in_the_activity_log(api, world):
    raw = api.token("user@example.com", device_name="Office")

    api.sign_out(raw)

    event = ActivityEvent.objects.get(action=ActivityEvent.Action.DEVICE_SIGNED_OUT)
    assert event.actor == world.user.user
    assert event.target_user == world.user.user
    assert event.via == ActivityEvent.Via.API
    assert event.before["device"] == "Office"


# --- The rate limit -----------------------------------------------------------------------------


def fail(api: Api, email: str = "user@example.com", ip: str = "203.0.113.7"):
    return api.sign_in(email, password="wrong", REMOTE_ADDR=ip)


def test_ten_failures_from_one_address_make_the_next_attempt_wait(api, world):
    for n in range(10):
        assert fail(api, email=f"guess{n}@example.com").status_code == 401

    response = fail(api, email="another@example.com")

    assert response.status_code == 429
    assert 890 <= int(response["Retry-After"]) <= 900
    assert response.json() == {"detail": str(SIGNIN_THROTTLED % {"minutes": 15})}


def test_a_throttled_address_is_refused_even_with_the_right_password(api, world):
    for n in range(10):
        fail(api, email=f"guess{n}@example.com")

    assert api.sign_in("user@example.com", REMOTE_ADDR="203.0.113.7").status_code == 429
    assert not ApiToken.objects.exists()
    # Another address is not held up.
    assert api.sign_in("user@example.com", REMOTE_ADDR="198.51.100.1").status_code == 201


def test_ten_failures_for_one_account_make_the_next_attempt_wait_from_any_address(api, world):
    for n in range(10):
        assert fail(api, email="User@Example.com", ip=f"198.51.100.{n}").status_code == 401

    assert api.sign_in("user@example.com", REMOTE_ADDR="192.0.2.1").status_code == 429
    # Other accounts are not held up.
    assert api.sign_in("guest@example.com", REMOTE_ADDR="192.0.2.1").status_code == 201


def test_an_address_without_an_account_is_limited_as_one_with(api, world):
    # Otherwise the 429 would tell which addresses have an account.
    for n in range(10):
        fail(api, email="nobody@example.com", ip=f"198.51.100.{n}")

    assert fail(api, email="nobody@example.com", ip="192.0.2.1").status_code == 429


def test_attempts_may_resume_once_the_failures_leave_the_window(api, world):
    for n in range(10):
        fail(api, email=f"guess{n}@example.com")
    SignInFailure.objects.update(created_at=timezone.now() - timedelta(minutes=15, seconds=1))

    assert api.sign_in("user@example.com", REMOTE_ADDR="203.0.113.7").status_code == 201


def test_the_wait_ends_when_the_oldest_failure_leaves_the_window(api, world):
    for n in range(10):
        fail(api, email=f"guess{n}@example.com")
    oldest = SignInFailure.objects.order_by("created_at").first()
    SignInFailure.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(minutes=14))

    response = fail(api)

    assert response.status_code == 429
    assert 55 <= int(response["Retry-After"]) <= 60


def test_a_successful_sign_in_clears_the_accounts_failures(api, world):
    for n in range(9):
        fail(api, ip=f"198.51.100.{n}")
    assert api.sign_in("user@example.com", REMOTE_ADDR="192.0.2.1").status_code == 201

    for n in range(9):
        assert fail(api, ip=f"198.51.100.{n + 20}").status_code == 401


def test_the_limits_are_settings(api, world, settings):
    settings.API_SIGNIN_FAILURES_PER_IP = 0  # off: behind a proxy that hides the client's address
    settings.API_SIGNIN_FAILURES_PER_EMAIL = 3
    settings.API_SIGNIN_WINDOW_MINUTES = 5
    for n in range(3):
        fail(api, email=f"guess{n}@example.com")
        fail(api)

    assert api.sign_in("guest@example.com", REMOTE_ADDR="203.0.113.7").status_code == 201
    response = fail(api)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= 300


def test_failures_older_than_the_window_are_forgotten(api, world):
    SignInFailure.objects.create(email_hash="x" * 64, created_at=timezone.now() - timedelta(hours=1))

    fail(api)

    assert SignInFailure.objects.count() == 1


def test_the_address_typed_is_stored_only_as_a_hash(api, world):
    fail(api, email="Typo@Example.com")

    failure = SignInFailure.objects.get()
    assert failure.email_hash == hash_token("typo@example.com")
    assert failure.ip_address == "203.0.113.7"


# --- The description ----------------------------------------------------------------------------


def test_the_openapi_description_lists_the_contract(client, db):
    response = client.get(OPENAPI_URL)

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths["/api/v1/auth/token"]) == {"post", "delete"}
    assert set(paths["/api/v1/entitlements/{product_code}"]) == {"get"}
    assert set(paths["/api/v1/auth/token"]["post"]["responses"]) >= {"201", "401", "429", "503"}
    assert set(paths["/api/v1/entitlements/{product_code}"]["get"]["responses"]) >= {"200", "401", "404", "503"}
    schemas = response.json()["components"]["schemas"]
    assert set(schemas["EntitlementOut"]["properties"]) == {
        "licensed",
        "product",
        "items",
        "team",
        "message",
        "recheck_after",
        "offline_until",
    }


def test_there_is_no_docs_page_that_would_need_a_cdn(client, db):
    assert client.get("/api/v1/docs").status_code == 404


def test_the_token_lookup_written_out_reads_the_same_token_and_user_as_the_orm(api, world):
    # R-S2: api_token_authenticate's hand-written query (one per check) gives the rows the ORM would,
    # converted alike (moments aware, on SQLite too), and none for a token signed out since.
    from licensing.accounts.devices import api_token_authenticate

    raw = api.token("user@example.com")
    ApiToken.objects.update(last_used_at=timezone.now())  # no write of "last used" in between
    expected = ApiToken.objects.select_related("user").get()

    token = api_token_authenticate(raw)

    fields = [field.attname for field in ApiToken._meta.concrete_fields]
    assert [getattr(token, name) for name in fields] == [getattr(expected, name) for name in fields]
    user_fields = [field.attname for field in type(expected.user)._meta.concrete_fields]
    assert [getattr(token.user, name) for name in user_fields] == [getattr(expected.user, name) for name in user_fields]
    assert timezone.is_aware(token.expires_at)
    assert token.user.email == "user@example.com"
    assert not token._state.adding
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api_token_authenticate(raw) is None
