"""The desktop software's API, version 1, under /api/v1/ (R-S1..R-S3): sign a device in and out,
and check a licence. Glue around the services in licensing/accounts/services.py.

- `POST /api/v1/auth/token` {email, password, device_name} → 201 {token, expires_at}; 401, 429.
- `DELETE /api/v1/auth/token` (Bearer) → 204.
- `GET /api/v1/entitlements/<product_code>` (Bearer) → 200 {licensed, product, items, team, message,
  recheck_after, offline_until}; 404 for a product code nobody sells.
- `GET /api/v1/openapi.json`: the description of all this. No docs page: django-ninja's loads its
  scripts from a CDN, which the Content Security Policy forbids.

JSON in, JSON out, no cookies: the device sends its token as `Authorization: Bearer <token>`, so
there is no cross-site request to forge, and django-ninja checks CSRF only for cookie authentication.
Every error answers {"detail": text for people}. A database that cannot be reached answers 503 with
Retry-After, never "not licensed": the software keeps working until the `offline_until` of its last
successful check. `python -m licensing.client` is a small client of this API.
"""

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from licensing.accounts import services
from licensing.accounts.models import ApiToken
from licensing.subscriptions.models import Product

logger = logging.getLogger(__name__)

# How long a client waits before it asks again when the database is unreachable. Short: most
# outages are a restart or a failover.
RETRY_AFTER_UNAVAILABLE = 30
UNAVAILABLE = _("The licence service cannot be reached for a moment. Try again shortly.")
SIGNED_OUT = _("You are signed out. Sign in again with your e-mail address and password.")
UNKNOWN_PRODUCT = _("There is no product with the code “%(code)s”.")


class DeviceToken(HttpBearer):
    """`Authorization: Bearer <token>`: the token of a signed-in device (R-S2), or 401."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return services.api_token_authenticate(token)


api = NinjaAPI(
    title="Seatkeeper licence API",
    version="1",
    description=(
        "Sign-in licensing for the desktop software: sign a device in with an account, check whether "
        "the account may use a product, sign the device out."
    ),
    docs_url=None,
    urls_namespace="api-v1",
)
device_token = DeviceToken()


class SignIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=4096)
    device_name: str = Field(min_length=1, max_length=services.DEVICE_NAME_MAX_LENGTH)


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
    detail: str


def _error(request: HttpRequest, status: int, detail, headers: dict | None = None) -> HttpResponse:
    response = api.create_response(request, {"detail": str(detail)}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


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


@api.post(
    "/auth/token",
    response={201: TokenOut, 401: Error, 422: dict, 429: Error, 503: Error},
    operation_id="token_create",
    summary="Sign a device in",
    description=(
        "The account's e-mail address and password give a token for this device (R-S2). 401 for wrong "
        "credentials, whether or not the address has an account; 429 with Retry-After after too many "
        "failed attempts from one address or for one account."
    ),
)
def token_create(request: HttpRequest, payload: SignIn):
    try:
        token, raw = services.api_token_create(
            email=payload.email,
            password=payload.password,
            device_name=payload.device_name,
            ip_address=request.META.get("REMOTE_ADDR") or None,
        )
    except ValidationError as error:
        code = getattr(error, "code", None)
        if code == "throttled":
            return _error(request, 429, error.messages[0], {"Retry-After": str(error.params["retry_after"])})
        if code == "signin_failed":
            return _error(request, 401, error.messages[0])
        return api.create_response(request, {"detail": error.messages}, status=422)
    # Responses made here rather than returned as (status, body): that form is deprecated in newer
    # django-ninja, and its replacement is missing from the older ones pyproject.toml allows.
    return api.create_response(request, {"token": raw, "expires_at": token.expires_at}, status=201)


@api.delete(
    "/auth/token",
    auth=device_token,
    response={204: None, 401: Error, 503: Error},
    operation_id="token_delete",
    summary="Sign this device out",
    description="The token stops working at once; the next start asks for the password again.",
)
def token_delete(request: HttpRequest):
    services.api_token_revoke(token=request.auth, actor=request.auth.user)
    return HttpResponse(status=204)


@api.get(
    "/entitlements/{product_code}",
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
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        return _error(request, 404, UNKNOWN_PRODUCT % {"code": product_code})
    # The message in the software's language when it says which (Accept-Language), else in the
    # language the person reads the portal and their mails in.
    language = translation.get_language() if "HTTP_ACCEPT_LANGUAGE" in request.META else token.user.language
    with translation.override(language):
        return services.entitlement_check(user=token.user, product=product, token=token)
