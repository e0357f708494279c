"""The desktop software's API, version 1, under /api/v1/ (R-S1..R-S3): sign a device in and out,
and check a licence. Glue around the services in licensing/accounts/devices.py.

- `POST /api/v1/auth/token` {email, password, device_name} → 201 {token, expires_at}; 401, 429;
  403 {"error": "browser_sign_in_required"} for an account with a second factor (R-ID5);
  400 for a body that is not JSON, 413 for one too large, 422 for one without the fields it needs.
- `POST /api/v1/auth/device` {device_name} → 200 {device_code, user_code, verification_uri, ...}: sign
  in through the browser (R-ID5, RFC 8628). The software shows the user code, the person approves it
  on the portal's /device/ page, and meanwhile the software polls `POST /api/v1/auth/token`
  {grant_type: "urn:ietf:params:oauth:grant-type:device_code", device_code} → 400 {"error":
  "authorization_pending" | "slow_down" | "access_denied" | "expired_token" | "invalid_grant"} until
  201 {token, expires_at}, once.
- `DELETE /api/v1/auth/token` (Bearer) → 204.
- `GET /api/v1/entitlements/<product_code>` (Bearer) → 200 {licensed, product, items, team, message,
  recheck_after, offline_until}; 404 for a product code nobody sells.
- `GET /api/v1/openapi.json`: the description of all this. No docs page: django-ninja's loads its
  scripts from a CDN, which the Content Security Policy forbids.

JSON in, JSON out, no cookies: the device sends its token as `Authorization: Bearer <token>`, so
there is no cross-site request to forge, and django-ninja checks CSRF only for cookie authentication.
A body must be sent as `application/json` (else 415): a cross-site HTML form can post `text/plain`
that happens to be JSON, but not that. Every error answers {"detail": text for people}; a 422 adds
"errors", a list of {"field", "message"} (field null when the body as a whole is wrong), for the
developers of the client; an error of the OAuth flows adds "error", the code of RFC 6749 / RFC 8628. Any other address
under /api/v1/ is a JSON 404 too. A database that cannot be reached answers 503 with
Retry-After, never "not licensed": the software keeps working until the `offline_until` of its last
successful check. `python -m licensing.client` is a small client of this API.
"""

import logging
import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import register_converter, reverse
from django.urls.converters import PathConverter
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Body, Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid
from ninja.parser import Parser
from ninja.security import HttpBearer
from pydantic import Discriminator, Tag, ValidationInfo, field_validator

from licensing.accounts import device_grant, devices, throttle
from licensing.accounts.models import ApiToken
from licensing.subscriptions.models import Product

logger = logging.getLogger(__name__)

# How long a client waits before it asks again when the database is unreachable. Short: most
# outages are a restart or a failover.
RETRY_AFTER_UNAVAILABLE = 30
UNAVAILABLE = _("The licence service cannot be reached for a moment. Try again shortly.")
SIGNED_OUT = _("You are signed out. Sign in again with your e-mail address and password.")
UNKNOWN_PRODUCT = _("There is no product with the code “%(code)s”.")
NOT_FOUND = _("There is nothing at this address of the licence service.")
BODY_NOT_JSON = _("The request could not be read: its body must be a JSON object.")
BODY_TOO_LARGE = _("The request is larger than the licence service accepts.")
ADDRESS_UNKNOWN = _(
    "The licence service cannot tell which address this request comes from, and checks no password without "
    "it. Contact your administrator."
)
BODY_NOT_JSON_TYPE = _("The request must be sent as JSON, with the header “Content-Type: application/json”.")
REQUEST_INVALID = _("The request is missing a field or has one that is not valid: %(fields)s.")
CHARACTER_NOT_ALLOWED = _("“%(field)s” contains a character that is not allowed.")
DEVICE_NAME_TOO_LONG = _("A device name has at most %(max)d characters.")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class AnyPath(PathConverter):
    """Django's `path:`, and a newline too (its `.+` stops at one): for the routes below that take
    whatever is left of the address, so that nothing under /api/v1/ falls through to Django's HTML 404."""

    regex = r"[\s\S]+"


register_converter(AnyPath, "api_any")


class UnsupportedMediaType(Exception):
    """A body sent with a Content-Type other than application/json (415)."""


class JsonParser(Parser):
    """django-ninja's parser, for bodies sent as JSON only: it reads any body as JSON, whatever its
    Content-Type, so a cross-site HTML form (which may send `text/plain`, and no preflight) could post
    a body it accepts. Every operation with a body reads it here, so each refuses other types (415).
    django-ninja turns what this raises into a 400 caused by it; `http_error` makes that the 415."""

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json":
            raise UnsupportedMediaType(request.content_type)
        return super().parse_body(request)


class DeviceToken(HttpBearer):
    """`Authorization: Bearer <token>`: the token of a signed-in device (R-S2), or 401."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return devices.api_token_authenticate(token)


api = NinjaAPI(
    title="Seatkeeper licence API",
    version="1",
    description=(
        "Sign-in licensing for the desktop software: sign a device in with an account, check whether "
        "the account may use a product, sign the device out."
    ),
    docs_url=None,
    urls_namespace="api-v1",
    parser=JsonParser(),
)
device_token = DeviceToken()


def storable(value: str, field: str) -> str:
    """`value`, unless it holds a NUL character, which PostgreSQL cannot store or compare in text.
    No password or address anyone can have holds one (the portal's forms refuse it), so refusing it
    with 422 tells nothing about which accounts exist. (Lone surrogates, which UTF-8 cannot encode,
    pydantic refuses itself.)"""
    if "\x00" in value:
        raise ValueError(str(CHARACTER_NOT_ALLOWED % {"field": field}))
    return value


def device_name_clean(value: str) -> str:
    """The device name as stored and shown on the user's page: white space collapsed, and no control,
    format (bidirectional overrides, zero-width) or unassigned characters (Unicode category C), which
    could disguise the name or break the page."""
    words = " ".join(value.split())
    visible = "".join(character for character in words if not unicodedata.category(character).startswith("C"))
    return " ".join(visible.split())


def device_name_valid(value: str) -> str:
    """The device name cleaned (`device_name_clean`), or the message for the user why it cannot be one."""
    name = device_name_clean(storable(value, "device_name"))
    if not name:
        raise ValueError(str(devices.DEVICE_NAME_REQUIRED))
    if len(name) > devices.DEVICE_NAME_MAX_LENGTH:
        raise ValueError(str(DEVICE_NAME_TOO_LONG % {"max": devices.DEVICE_NAME_MAX_LENGTH}))
    return name


def device_name_field():
    # The length is checked on the cleaned name, in the validator: declared here for the description.
    return Field(json_schema_extra={"minLength": 1, "maxLength": devices.DEVICE_NAME_MAX_LENGTH})


class SignIn(Schema):
    grant_type: Literal["password"] = Field(
        "password", description='Leave out, or "password": the password sign-in of the software.'
    )
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)
    device_name: str = device_name_field()

    @field_validator("email", "password")
    @classmethod
    def no_unstorable_characters(cls, value: str, info: ValidationInfo) -> str:
        return storable(value, info.field_name)

    @field_validator("device_name")
    @classmethod
    def device_name_cleaned(cls, value: str) -> str:
        return device_name_valid(value)


class DeviceCodeGrant(Schema):
    grant_type: Literal["urn:ietf:params:oauth:grant-type:device_code"]
    device_code: str = Field(max_length=200, description="The device code of `POST /api/v1/auth/device`.")

    @field_validator("device_code")
    @classmethod
    def no_unstorable_characters(cls, value: str) -> str:
        return storable(value, "device_code")


# The tags of the two kinds of body of `POST /auth/token`: django-ninja puts them in an error's "loc",
# where `request_invalid` leaves them out. Never the name of a field.
PASSWORD_GRANT, DEVICE_CODE_GRANT = "grant:password", "grant:device_code"


def grant_of(body) -> str:
    """Which kind of sign-in a body of `POST /auth/token` is: by its grant_type, the password sign-in
    when it has none (the body the software has always sent)."""
    grant_type = body.get("grant_type") if isinstance(body, dict) else getattr(body, "grant_type", None)
    return DEVICE_CODE_GRANT if grant_type == device_grant.DEVICE_CODE_GRANT else PASSWORD_GRANT


TokenRequest = Annotated[
    Annotated[SignIn, Tag(PASSWORD_GRANT)] | Annotated[DeviceCodeGrant, Tag(DEVICE_CODE_GRANT)],
    Discriminator(grant_of),
]


class DeviceAuthorizationRequest(Schema):
    device_name: str = device_name_field()

    @field_validator("device_name")
    @classmethod
    def device_name_cleaned(cls, value: str) -> str:
        return device_name_valid(value)


class DeviceAuthorizationOut(Schema):
    device_code: str = Field(description="Keep it secret; poll `POST /api/v1/auth/token` with it.")
    user_code: str = Field(description="Show it to the person, as it is (XXXX-XXXX).")
    verification_uri: str = Field(description="Where the person enters the user code, signed in to the portal.")
    verification_uri_complete: str = Field(description="The same page with the code filled in, to open in a browser.")
    expires_in: int = Field(description="Seconds until the codes expire.")
    interval: int = Field(description="Seconds to wait between two polls.")


class TokenOut(Schema):
    token: str = Field(description="Send it as `Authorization: Bearer <token>`. Shown once; store it safely.")
    expires_at: datetime


class EntitlementOut(Schema):
    licensed: bool
    product: str = Field(description="The product code asked about.")
    items: list[str] = Field(description="Codes of the product's items assigned to the user.")
    team: str | None = Field(description="The team whose seat is used, when licensed.")
    message: str | None = Field(description="For the user, when not licensed.")
    recheck_after: datetime = Field(description="Check again after this moment.")
    offline_until: datetime = Field(description="Without a connection, keep working until this moment.")


class Error(Schema):
    detail: str = Field(description="For the user, in their language.")


class GrantError(Schema):
    detail: str = Field(description="For the user, in their language.")
    error: str | None = Field(
        None,
        description=(
            "For the software, the error code of RFC 6749 §5.2 and RFC 8628 §3.5: authorization_pending, "
            "slow_down, access_denied, expired_token, invalid_grant; browser_sign_in_required when the "
            "account must sign in through the browser (`POST /api/v1/auth/device`). Absent for a body "
            "that is not JSON."
        ),
    )


class FieldError(Schema):
    field: str | None = Field(description="The field of the request body; null for the body as a whole.")
    message: str


class InvalidRequest(Schema):
    detail: str = Field(description="For the user, in their language.")
    errors: list[FieldError] = Field(description="What is wrong, field by field, for the client's developers.")


def _error(request: HttpRequest, status: int, detail, headers: dict | None = None) -> HttpResponse:
    response = api.create_response(request, {"detail": str(detail)}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _grant_error(request: HttpRequest, status: int, detail, error: str) -> HttpResponse:
    return api.create_response(request, {"detail": str(detail), "error": error}, status=status)


def _invalid(request: HttpRequest, detail, errors: list[dict]) -> HttpResponse:
    return api.create_response(request, {"detail": str(detail), "errors": errors}, status=422)


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The database is down, unreachable, or locked for longer than the timeout: ask the client to
    come back (503), never answer "not licensed". Errors in our own queries (ProgrammingError,
    IntegrityError) stay 500s: retrying would not help."""
    logger.error("Licence API: database unavailable", exc_info=exc)
    return _error(request, 503, UNAVAILABLE, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})


@api.exception_handler(AuthenticationError)
def signed_out(request: HttpRequest, exc: Exception) -> HttpResponse:
    """No token, or one that is unknown, expired or signed out."""
    return _error(request, 401, SIGNED_OUT, {"WWW-Authenticate": 'Bearer realm="seatkeeper"'})


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja's own refusals; the one it makes here is 400 for a body that could not be parsed,
    whose English text would also name the parser's error: 415 when `JsonParser` refused its type."""
    if isinstance(exc.__cause__, UnsupportedMediaType):
        return _error(request, 415, BODY_NOT_JSON_TYPE)
    return _error(request, exc.status_code, BODY_NOT_JSON if exc.status_code == 400 else exc.message)


@api.exception_handler(PermissionDenied)
def address_unknown(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The throttle of the password sign-in could not tell the client's address (django-allauth's
    `get_client_ip`: no REMOTE_ADDR, or fewer X-Forwarded-For entries than TRUSTED_PROXY_COUNT says):
    a JSON 403 like the API's other errors, not the portal's HTML page."""
    return _error(request, 403, ADDRESS_UNKNOWN)


@api.exception_handler(RequestDataTooBig)
def body_too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE, found when django-ninja reads `request.body`."""
    return _error(request, 413, BODY_TOO_LARGE)


@api.exception_handler(RequestInvalid)
def request_invalid(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    """A body that is JSON without the fields it needs (422): the message of our own validators for
    the user where there is one, else a sentence that names the fields."""
    errors, ours = [], []
    for error in exc.errors:
        # loc is (source, parameter, field...): ("body", "payload", "device_name"), with the kind of
        # body after the parameter in `POST /auth/token`'s: ("body", "payload", "grant:password", ...).
        path = [part for part in error["loc"][2:] if part not in (PASSWORD_GRANT, DEVICE_CODE_GRANT)]
        field = ".".join(str(part) for part in path) or None
        if error.get("type") == "value_error":
            message = str(error.get("ctx", {}).get("error") or error["msg"])
            ours.append(message)
        else:
            message = error["msg"]
        errors.append({"field": field, "message": message})
    fields = ", ".join(sorted({error["field"] or "body" for error in errors}))
    return _invalid(request, ours[0] if ours else REQUEST_INVALID % {"fields": fields}, errors)


@api.post(
    "/auth/token",
    response={
        201: TokenOut,
        400: GrantError,
        401: Error,
        403: GrantError,
        413: Error,
        415: Error,
        422: InvalidRequest,
        429: Error,
        503: Error,
    },
    operation_id="token_create",
    summary="Sign a device in",
    description=(
        "The account's e-mail address and password give a token for this device (R-S2). 401 for wrong "
        "credentials, whether or not the address has an account; 403 with the error "
        "browser_sign_in_required for an account with a second factor, which signs in through the browser "
        "instead (R-ID5); 429 with Retry-After after too many failed attempts from one address, for one "
        "account from one address, or for one account (the portal's own sign-in counts alike).\n\n"
        "Signing in through the browser (RFC 8628 §3.4): with the grant type "
        "urn:ietf:params:oauth:grant-type:device_code and the device code of `POST /api/v1/auth/device`, "
        "201 once the person has approved the sign-in; until then 400 with the error "
        "authorization_pending, or slow_down when asked sooner than the interval (which then grows by 5 "
        "seconds); access_denied when denied, expired_token once expired or once the token was given, "
        "invalid_grant for a device code that is not known.\n\n"
        "400 also when the body is not JSON, 413 when it is too large, 415 when it is not sent as "
        "application/json, 422 when a field is missing or not valid (a NUL character in any field, a "
        "device name empty once control characters are removed, or longer than 100 characters)."
    ),
)
def token_create(request: HttpRequest, payload: Body[TokenRequest]):
    if isinstance(payload, DeviceCodeGrant):
        return device_code_poll(request, payload)
    try:
        token, raw = devices.api_token_create(
            request=request, email=payload.email, password=payload.password, device_name=payload.device_name
        )
    except throttle.Throttled as error:
        return _error(request, 429, error.message, {"Retry-After": str(error.wait_seconds)})
    except ValidationError as error:
        code = getattr(error, "code", None)
        if code == "signin_failed":
            return _error(request, 401, error.messages[0])
        if code == "browser_sign_in_required":
            return _grant_error(request, 403, error.messages[0], code)
        fields = error.message_dict.items() if hasattr(error, "error_dict") else [(None, error.messages)]
        errors = [{"field": field, "message": message} for field, messages in fields for message in messages]
        return _invalid(request, errors[0]["message"], errors)
    return _token_created(request, token, raw)


def _token_created(request: HttpRequest, token: ApiToken, raw: str) -> HttpResponse:
    # Responses made here rather than returned as (status, body): that form is deprecated in newer
    # django-ninja, and its replacement is missing from the older ones pyproject.toml allows.
    return api.create_response(request, {"token": raw, "expires_at": token.expires_at}, status=201)


def device_code_poll(request: HttpRequest, payload: DeviceCodeGrant) -> HttpResponse:
    """The software's poll of its sign-in through the browser (RFC 8628 §3.4, §3.5): every refusal a
    400 with the RFC's error code, as RFC 6749 §5.2 answers them."""
    try:
        token, raw = device_grant.device_token_poll(device_code=payload.device_code)
    except ValidationError as error:
        return _grant_error(request, 400, error.messages[0], error.code)
    return _token_created(request, token, raw)


@api.post(
    "/auth/device",
    response={200: DeviceAuthorizationOut, 400: Error, 413: Error, 415: Error, 422: InvalidRequest, 503: Error},
    operation_id="device_authorization_create",
    summary="Sign a device in through the browser",
    description=(
        "For accounts with a second factor or single sign-on, which the software cannot ask for (R-ID5; "
        "the device authorization request of RFC 8628 §3.1). Show the user code and open "
        "verification_uri_complete in a browser, where the person signs in to the portal and approves "
        "the sign-in of this device; meanwhile poll `POST /api/v1/auth/token` with the device code every "
        "`interval` seconds. 400 when the body is not JSON, 413 when it is too large, 415 when it is not "
        "sent as application/json, 422 when the device name is missing or not valid."
    ),
)
def device_authorization_create(request: HttpRequest, payload: DeviceAuthorizationRequest):
    authorization, device_code = device_grant.device_authorization_create(device_name=payload.device_name)
    # The portal's address as the mails give it: the software may reach the API by another one.
    page = settings.SITE_URL + reverse("accounts:device-sign-in")
    body = {
        "device_code": device_code,
        "user_code": authorization.user_code_display,
        "verification_uri": page,
        "verification_uri_complete": f"{page}?code={authorization.user_code_display}",
        "expires_in": settings.DEVICE_AUTHORIZATION_SECONDS,
        "interval": authorization.interval,
    }
    return api.create_response(request, body, status=200)


@api.delete(
    "/auth/token",
    auth=device_token,
    response={204: None, 401: Error, 503: Error},
    operation_id="token_delete",
    summary="Sign this device out",
    description="The token stops working at once; the next start asks for the password again.",
)
def token_delete(request: HttpRequest):
    devices.api_token_revoke(token=request.auth, actor=request.auth.user)
    return HttpResponse(status=204)


def is_product_code(value: str) -> bool:
    """Whether `value` could be a product code (Product.code's validators): anything else is
    answered without a query, and could not be stored or compared in every database (NUL)."""
    try:
        Product._meta.get_field("code").run_validators(value)
    except ValidationError:
        return False
    return bool(value)


@api.get(
    # Any path, so that a code with a slash is answered as an unknown product, not by Django's 404.
    "/entitlements/{api_any:product_code}",
    auth=device_token,
    response={200: EntitlementOut, 401: Error, 404: Error, 503: Error},
    operation_id="entitlement_get",
    summary="Check a licence",
    description=(
        "Whether the signed-in account may use the product (R-S1): licensed when it holds a seat of it "
        "in any team. A licensed check counts as a day of use (R-S3)."
    ),
)
def entitlement_get(request: HttpRequest, product_code: str):
    token = request.auth
    product = devices.product_by_code(product_code) if is_product_code(product_code) else None
    if product is None:
        return _error(request, 404, UNKNOWN_PRODUCT % {"code": product_code})
    # The message in the software's language when it says which (Accept-Language), else in the
    # language the person reads the portal and their mails in.
    language = translation.get_language() if "HTTP_ACCEPT_LANGUAGE" in request.META else token.user.language
    with translation.override(language):
        return devices.entitlement_check(user=token.user, product=product, token=token)


# Any other address under /api/v1/ is a JSON 404 like the API's others, not Django's HTML page. A
# router of its own, which portal/urls.py adds to the API after every other (the integration APIs'
# routers): Django takes the first pattern that matches, and this one matches everything.
not_found_router = Router()


@not_found_router.api_operation(METHODS, "/{api_any:rest}", include_in_schema=False)
def not_found(request: HttpRequest, rest: str):
    return _error(request, 404, NOT_FOUND)


@not_found_router.api_operation(METHODS, "/", include_in_schema=False)
def root_not_found(request: HttpRequest):
    return _error(request, 404, NOT_FOUND)
