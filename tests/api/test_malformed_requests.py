"""What the licence API answers to requests it cannot use (R-S1, R-S2): NUL characters, which
PostgreSQL cannot store; device names with control characters; product codes no product can have;
bodies that are too large or not JSON; addresses that lead nowhere. Every error is JSON with a
"detail" for the user, a 422 also with the "errors" field by field, and none is a 500."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.accounts.api import (
    BODY_NOT_JSON,
    BODY_NOT_JSON_TYPE,
    BODY_TOO_LARGE,
    CHARACTER_NOT_ALLOWED,
    DEVICE_NAME_TOO_LONG,
    NOT_FOUND,
    REQUEST_INVALID,
    UNKNOWN_PRODUCT,
)
from licensing.accounts.devices import DEVICE_NAME_REQUIRED
from licensing.accounts.models import ApiToken, DeviceAuthorization
from licensing.subscriptions.models import Product
from tests.api.conftest import OPENAPI_URL, TOKEN_URL
from tests.api.conftest import assign as give_seat


def post(client, body, content_type: str = "application/json", **extra):
    return client.post(TOKEN_URL, body, content_type=content_type, **extra)


def sign_in_body(**fields) -> dict:
    return {"email": "user@example.com", "password": "pw", "device_name": "Drawing office PC", **fields}


# --- NUL and other characters that cannot be stored ----------------------------------------------


@pytest.mark.parametrize("field", ["email", "password", "device_name"])
def test_a_nul_character_in_any_sign_in_field_is_422_not_a_failed_sign_in(client, world, field):
    # R-S2. PostgreSQL cannot store or compare NUL in text: this was a 500 before anyone signed in.
    body = sign_in_body()
    body[field] += "\x00"

    response = post(client, body)

    assert response.status_code == 422
    message = str(CHARACTER_NOT_ALLOWED % {"field": field})
    assert response.json() == {"detail": message, "errors": [{"field": field, "message": message}]}
    assert not ApiToken.objects.exists()


def test_a_nul_in_the_address_is_answered_alike_whether_or_not_the_account_exists(client, world):
    # R-S2: the 422 depends on the characters sent, never on the accounts there are.
    known = post(client, sign_in_body(email="user@example.com\x00"))
    unknown = post(client, sign_in_body(email="nobody@example.com\x00"))

    assert known.status_code == unknown.status_code == 422
    assert known.json() == unknown.json()


def test_a_lone_surrogate_is_422(client, world):
    # Valid JSON ("\ud800"), but not encodable as UTF-8 for the database or the password hasher.
    response = post(client, '{"email": "user@example.com", "password": "pw\\ud800", "device_name": "PC"}')

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["password"]


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Jan\u202e's laptop", "Jan's laptop"),  # a right-to-left override, which reverses what follows
        ("Drawing\u200b office\u2066 PC\u2069", "Drawing office PC"),  # zero-width space, bidi isolate
        ("Office\tPC\r\n2", "Office PC 2"),  # control characters that are white space
        ("Office \u0007\u001b[31m PC", "Office [31m PC"),  # bell, escape
        ("  Drawing   office  ", "Drawing office"),
    ],
)
def test_control_and_bidi_characters_are_removed_from_the_device_name(api, world, sent, stored):
    # R-S2: the name is shown on the user's page, where a right-to-left override disguised it.
    assert api.sign_in("user@example.com", device_name=sent).status_code == 201

    assert ApiToken.objects.get().device_name == stored


@pytest.mark.parametrize("name", ["\u202e", "\u200b\u200d", "\u0007 \u001f", "\u2028"])
def test_a_device_name_of_nothing_but_control_characters_is_422(client, world, name):
    response = post(client, sign_in_body(device_name=name))

    assert response.status_code == 422
    assert response.json()["detail"] == str(DEVICE_NAME_REQUIRED)
    assert not ApiToken.objects.exists()


def test_a_device_name_is_measured_once_cleaned(api, client, world):
    assert api.sign_in("user@example.com", device_name="x" * 100 + "\u200b" * 10).status_code == 201

    response = post(client, sign_in_body(device_name="x" * 101))

    assert response.status_code == 422
    assert response.json()["detail"] == str(DEVICE_NAME_TOO_LONG % {"max": 100})


# --- Product codes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("draft%00line", "draft\x00line"),
        ("draft%20line", "draft line"),
        ("draftpro%3Fx=1", "draftpro?x=1"),
        ("draftpro%0A", "draftpro\n"),
        ("draftpr%C3%B6", "draftprö"),
        ("a/b", "a/b"),
        ("..%2Fauth%2Ftoken", "../auth/token"),
        ("x" * 61, "x" * 61),
    ],
)
def test_a_code_no_product_can_have_is_an_unknown_product_without_a_query(api, world, path, code):
    # R-S1. Checked against the pattern of Product.code before any query (a NUL was a 500 on
    # PostgreSQL); answered as any unknown product is, a slash included.
    give_seat(world.user, world.product)
    token = api.token("user@example.com")

    with CaptureQueriesContext(connection) as queries:
        response = api.client.get(f"/api/v1/entitlements/{path}", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 404
    assert response.json() == {"detail": str(UNKNOWN_PRODUCT % {"code": code})}
    assert not [query for query in queries if Product._meta.db_table in query["sql"]]


def test_a_code_is_still_checked_for_a_token_first(client, world):
    response = client.get("/api/v1/entitlements/a/b")

    assert response.status_code == 401


# --- Bodies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_a_body_over_the_upload_limit_is_413(client, world, settings, debug):
    # It was a 500 with a traceback in DEBUG (RequestDataTooBig when django-ninja reads the body).
    settings.DEBUG = debug
    body = '{"email": "' + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE + '"}'

    response = post(client, body)

    assert response.status_code == 413
    assert response.json() == {"detail": str(BODY_TOO_LARGE)}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        ("[1, 2", "application/json; charset=utf-8"),
    ],
)
def test_a_body_that_is_not_json_is_400_with_a_detail(client, world, settings, body, content_type):
    settings.DEBUG = True  # django-ninja adds the parser's error in DEBUG: not to the user

    response = post(client, body, content_type=content_type)

    assert response.status_code == 400
    assert response.json() == {"detail": str(BODY_NOT_JSON)}


def test_a_missing_field_is_422_with_a_detail_and_the_errors_field_by_field(client, world):
    response = post(client, {"email": "user@example.com", "password": "pw"})

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == str(REQUEST_INVALID % {"fields": "device_name"})
    assert [error["field"] for error in body["errors"]] == ["device_name"]
    assert isinstance(body["errors"][0]["message"], str)


def test_a_blank_device_name_is_422_with_the_message_for_the_user(client, world):
    response = post(client, sign_in_body(device_name="   "))

    assert response.status_code == 422
    message = str(DEVICE_NAME_REQUIRED)
    assert response.json() == {"detail": message, "errors": [{"field": "device_name", "message": message}]}


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "null",
        '"user@example.com"',
        {"email": 5, "password": "pw", "device_name": "PC"},
        {"email": "x" * 255 + "@example.com", "password": "pw", "device_name": "PC"},
        {"email": "user@example.com", "password": ["pw"], "device_name": "PC"},
    ],
)
def test_every_422_has_a_detail_text_and_errors(client, world, body):
    response = post(client, body)

    assert response.status_code == 422
    answer = response.json()
    assert set(answer) == {"detail", "errors"}
    assert isinstance(answer["detail"], str)
    assert all(set(error) == {"field", "message"} for error in answer["errors"])


def test_a_422_is_in_the_language_of_the_software(client, world):
    response = post(client, sign_in_body(device_name=""), headers={"Accept-Language": "nl"})

    assert response.status_code == 422
    assert response.json()["detail"] == "Geef het apparaat een naam, zoals “Pc tekenkamer”."


def test_the_other_errors_are_in_the_language_of_the_software_too(client, world):
    dutch = {"headers": {"Accept-Language": "nl"}}

    assert post(client, "{", **dutch).json()["detail"] == (
        "Het verzoek kon niet worden gelezen: de inhoud moet een JSON-object zijn."
    )
    assert post(client, sign_in_body(email="\x00"), **dutch).json()["detail"] == (
        "“email” bevat een teken dat niet is toegestaan."
    )
    assert client.get("/api/v1/nothing", **dutch).json()["detail"] == (
        "Op dit adres van de licentieservice is niets te vinden."
    )


# --- Bodies not sent as JSON ---------------------------------------------------------------------


# The tags of the order API's operations (licensing/integrations), in the same description: their
# errors are problem details, tested in tests/integrations.
ORDER_API_TAGS = {"Orders", "Catalogue", "Team admin"}  # and the team-admin API (tests/api/test_team_api_*)


def licence_api(operation: dict) -> bool:
    return not ORDER_API_TAGS & set(operation.get("tags", []))


def operations_with_a_body(client) -> list[tuple[str, str]]:
    """(method, path) of every operation of the licence API the description says takes a body."""
    paths = client.get(OPENAPI_URL).json()["paths"]
    return [
        (method, path)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "requestBody" in operation and licence_api(operation)
    ]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data", ""],
)
def test_the_api_refuses_json_sent_as_another_type_so_no_cross_site_form_can_post_it(client, world, content_type):
    # Issue 19, info: a cross-site HTML form can post `text/plain` (no CORS preflight) whose text is JSON;
    # the API read it as JSON whatever its type. Every operation with a body now answers 415.
    operations = operations_with_a_body(client)
    assert sorted(operations) == [("post", "/api/v1/auth/device"), ("post", "/api/v1/auth/token")]
    bodies = {
        "/api/v1/auth/token": '{"email": "user@example.com", "password": "pw", "device_name": "Drawing office PC"}',
        "/api/v1/auth/device": '{"device_name": "Drawing office PC"}',
    }

    for method, path in operations:
        response = getattr(client, method)(path, bodies[path], content_type=content_type)

        assert response.status_code == 415, (path, response.content)
        assert response.json() == {"detail": str(BODY_NOT_JSON_TYPE)}
    assert not ApiToken.objects.exists()
    assert not DeviceAuthorization.objects.exists()


def test_json_with_its_charset_is_json(client, world):
    body = '{"email": "user@example.com", "password": "pw", "device_name": "Drawing office PC"}'

    assert client.post(TOKEN_URL, body, content_type="application/json; charset=utf-8").status_code == 201


# --- Addresses that lead nowhere ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/nothing",
        "/api/v1/auth/token/",
        "/api/v1/entitlements/",
        "/api/v1/v2/auth/token",
        "/api/v1/nothing%0A",  # Django's `path:` stops at a newline
    ],
)
@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_any_other_address_under_the_api_is_a_json_404(client, db, path, method):
    response = getattr(client, method)(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": str(NOT_FOUND)}


# --- The description ------------------------------------------------------------------------------


def test_the_openapi_description_lists_the_error_answers(client, db):
    description = client.get(OPENAPI_URL).json()

    paths = description["paths"]
    # Not the 404 route; the order API's operations (tests/integrations) beside the licence API's.
    licence = {path for path, operations in paths.items() if all(licence_api(op) for op in operations.values())}
    assert licence == {"/api/v1/auth/token", "/api/v1/auth/device", "/api/v1/entitlements/{product_code}"}
    sign_in = paths["/api/v1/auth/token"]["post"]["responses"]
    assert set(sign_in) == {"201", "400", "401", "403", "413", "415", "422", "429", "503"}
    schemas = description["components"]["schemas"]
    assert sign_in["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/InvalidRequest")
    assert set(schemas["InvalidRequest"]["properties"]) == {"detail", "errors"}
    assert set(schemas["FieldError"]["properties"]) == {"field", "message"}
    for status in ("401", "413", "415", "429", "503"):
        assert sign_in[status]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
    for status in ("400", "403"):  # the OAuth flows' errors: "error" beside "detail"
        assert sign_in[status]["content"]["application/json"]["schema"]["$ref"].endswith("/GrantError")
    assert set(schemas["GrantError"]["properties"]) == {"detail", "error"}
    assert schemas["SignIn"]["properties"]["device_name"]["maxLength"] == 100
    body = paths["/api/v1/auth/token"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert [kind["$ref"].rpartition("/")[2] for kind in body["oneOf"]] == ["SignIn", "DeviceCodeGrant"]
    device = paths["/api/v1/auth/device"]["post"]["responses"]
    assert set(device) == {"200", "400", "413", "415", "422", "503"}
    assert set(schemas["DeviceAuthorizationOut"]["properties"]) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
