"""Errors of the integration APIs as RFC 9457 problem details (`application/problem+json`).

Every error of an operation that uses them answers

    {"type": "tag:seatkeeper.org,2026:problem:<slug>" or "about:blank", "title": the HTTP status phrase or
     the problem's, "status": 422, "detail": for people, in their language, "instance": the request's
     path, "errors": [{"field": "seats" or null, "rule": "SEATS_BELOW_ASSIGNED", "message": ...}]}

`errors` names each field that is wrong and the rule it breaks: the code of the service's
ValidationError (upper case), pydantic's error type for a request that does not fit its schema
(MISSING, INT_PARSING, ...), or one of ours (IDEMPOTENCY_KEY_REUSED, ...). `type` is a tag URI
(RFC 4151): an identifier a client can compare, not an address to fetch.

Which operations answer so: those whose authentication marks the request (`mark`), before anything
else of the operation runs, so that even a refused key or a body that is not JSON gets a problem.
The desktop software's licence API (licensing/accounts/api.py) keeps its own {"detail"} errors,
which clients in the field read: `install` wraps the shared NinjaAPI's handlers, answering problem
details for a marked request and leaving every other request to the handler that was there.

Raise `Problem` in an operation for an error of ours; a Django ValidationError of a service becomes
a 422 (409 for SERVICE_BUSY, which a retry resolves), Http404 / DoesNotExist a 404, PermissionDenied
a 403.
"""

import logging
from http import HTTPStatus

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, RequestDataTooBig, ValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestInvalid

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:seatkeeper.org,2026:problem:"
RETRY_AFTER_UNAVAILABLE = 30

NOT_AUTHENTICATED = _("Send a valid API key as “Authorization: Bearer <key>”.")
NOT_ALLOWED = _("This key may not do this.")
NOT_FOUND = _("There is nothing here.")
REQUEST_INVALID = _("The request is missing a field or has one that is not valid: %(fields)s.")
BODY_NOT_JSON = _("The request could not be read: its body must be a JSON object.")
BODY_NOT_JSON_TYPE = _("The request must be sent as JSON, with the header “Content-Type: application/json”.")
BODY_TOO_LARGE = _("The request is larger than the service accepts.")
UNAVAILABLE = _("The service cannot reach its database for a moment. Try again shortly.")
CONFLICT = _("Someone changed the same thing at this very moment. Try again.")
# Rules whose breach is a conflict with the state of things rather than a request that is wrong.
CONFLICT_RULES = frozenset({"BUSY", "CONTRACT_EXISTS"})


class FieldProblem(Schema):
    field: str | None = Field(description="The field of the request (a.b for nested ones); null for the whole.")
    rule: str = Field(description="The rule broken, for programs: e.g. MISSING, SEATS_BELOW_ASSIGNED.")
    message: str = Field(description="For people, in their language.")


class ProblemOut(Schema):
    """RFC 9457 problem details."""

    type: str = Field(description="The kind of problem: a tag URI to compare, or about:blank.")
    title: str
    status: int
    detail: str = Field(description="For people, in their language.")
    instance: str = Field(description="The path of the request.")
    errors: list[FieldProblem] = Field(default_factory=list)


class Problem(Exception):
    """An error of ours, answered as problem details: raise it in an operation."""

    def __init__(
        self,
        status: int,
        detail,
        *,
        slug: str | None = None,
        title=None,
        errors: list[dict] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.status, self.detail, self.slug, self.title = status, detail, slug, title
        self.errors, self.headers = errors or [], headers or {}


def responses(*statuses: int) -> dict:
    """The `response=` entries of an operation for its error statuses, for the OpenAPI document."""
    return dict.fromkeys(statuses, ProblemOut)


# Every operation with an API key can answer these, whatever it does.
COMMON = (401, 403, 413, 503)


def mark(request: HttpRequest) -> None:
    """This request's errors are problem details: called by the authentication of the APIs that use
    them, before it looks at the key (so that a refused key gets a problem too)."""
    request._problem_details = True


def is_marked(request: HttpRequest) -> bool:
    return getattr(request, "_problem_details", False)


def problem_response(
    request: HttpRequest,
    status: int,
    detail,
    *,
    slug: str | None = None,
    title=None,
    errors: list[dict] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "type": TYPE_PREFIX + slug if slug else "about:blank",
        "title": str(title or HTTPStatus(status).phrase),
        "status": status,
        "detail": str(detail),
        "instance": request.path,
        "errors": [
            {"field": error.get("field"), "rule": str(error["rule"]), "message": str(error["message"])}
            for error in errors or []
        ],
    }
    response = _api.create_response(request, body, status=status)
    response["Content-Type"] = CONTENT_TYPE
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def validation_errors(error: ValidationError) -> list[dict]:
    """A service's ValidationError as [{field, rule, message}]: the rule is the error's code."""
    found = []
    if hasattr(error, "error_dict"):
        pairs = [(field, item) for field, items in error.error_dict.items() for item in items]
    else:
        pairs = [(None, item) for item in error.error_list]
    for field, item in pairs:
        message = item.message % item.params if item.params else item.message
        found.append(
            {
                "field": None if field in (None, "__all__") else field,
                "rule": (item.code or getattr(error, "code", None) or "invalid").upper(),
                "message": str(message),
            }
        )
    return found


def _rule_broken(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors = validation_errors(error)
    rules = {item["rule"] for item in errors}
    # A conflict: the service could not resolve it by running again (portal.db.SERVICE_BUSY; retry), or
    # what is asked exists already.
    status = 409 if rules and rules <= CONFLICT_RULES else 422
    slug = errors[0]["rule"].lower().replace("_", "-") if len(rules) == 1 else "rules-broken"
    return problem_response(request, status, errors[0]["message"] if errors else str(error), slug=slug, errors=errors)


def _request_invalid(request: HttpRequest, error: RequestInvalid) -> HttpResponse:
    errors = []
    for item in error.errors:
        loc = [str(part) for part in item.get("loc", ())]
        # ("body", "payload", "seats"), ("query", "limit"), ("header", "Idempotency-Key"), ("path", "id")
        path = loc[2:] if loc[:1] == ["body"] else loc[1:]
        message = item.get("msg", "")
        if item.get("type") == "value_error" and item.get("ctx", {}).get("error"):
            message = str(item["ctx"]["error"])
        errors.append(
            {"field": ".".join(path) or None, "rule": str(item.get("type", "invalid")).upper(), "message": message}
        )
    fields = ", ".join(sorted({e["field"] or "body" for e in errors}))
    return problem_response(request, 422, REQUEST_INVALID % {"fields": fields}, slug="request-invalid", errors=errors)


def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # django-ninja's: 400 for a body it could not parse, 415 when the JSON parser refused its type
    # (licensing.accounts.api.JsonParser raises UnsupportedMediaType, which ninja makes a 400).
    if type(error.__cause__).__name__ == "UnsupportedMediaType":
        return problem_response(request, 415, BODY_NOT_JSON_TYPE, slug="unsupported-media-type")
    if error.status_code == 400:
        return problem_response(request, 400, BODY_NOT_JSON, slug="body-not-json")
    return problem_response(request, error.status_code, error.message)


def _handlers() -> dict:
    return {
        Problem: lambda request, exc: problem_response(
            request, exc.status, exc.detail, slug=exc.slug, title=exc.title, errors=exc.errors, headers=exc.headers
        ),
        AuthenticationError: lambda request, exc: problem_response(
            request, 401, NOT_AUTHENTICATED, slug="not-authenticated", headers={"WWW-Authenticate": "Bearer"}
        ),
        PermissionDenied: lambda request, exc: problem_response(
            request, 403, str(exc) or NOT_ALLOWED, slug="not-allowed"
        ),
        Http404: lambda request, exc: problem_response(request, 404, NOT_FOUND, slug="not-found"),
        ObjectDoesNotExist: lambda request, exc: problem_response(request, 404, NOT_FOUND, slug="not-found"),
        RequestInvalid: _request_invalid,
        HttpError: _http_error,
        RequestDataTooBig: lambda request, exc: problem_response(request, 413, BODY_TOO_LARGE, slug="body-too-large"),
        ValidationError: _rule_broken,
        IntegrityError: lambda request, exc: problem_response(request, 409, CONFLICT, slug="conflict"),
        OperationalError: _unavailable,
        InterfaceError: _unavailable,
    }


def _unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("Integration API: database unavailable", exc_info=exc)
    return problem_response(
        request, 503, UNAVAILABLE, slug="unavailable", headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}
    )


_api: NinjaAPI | None = None


def install(api: NinjaAPI) -> None:
    """Answer the marked requests of `api` with problem details (see the module's docstring); the
    handlers `api` had answer every other request as before. Once per API."""
    global _api
    _api = api
    for exc_class, handler in _handlers().items():
        previous = api._lookup_exception_handler(exc_class.__new__(exc_class))

        def either(request, exc, handler=handler, previous=previous):
            if is_marked(request) or previous is None or isinstance(exc, Problem):
                return handler(request, exc)
            return previous(request, exc)

        api.add_exception_handler(exc_class, either)
    _problem_media_types(api)


def api_of() -> NinjaAPI:
    """The API `install` was given."""
    return _api


def _problem_media_types(api: NinjaAPI) -> None:
    """The OpenAPI document says `application/problem+json` for the answers that are problem details
    (django-ninja writes application/json for every answer)."""
    original = api.get_openapi_schema

    def get_openapi_schema(*args, **kwargs):
        schema = original(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for answer in operation.get("responses", {}).values():
                    media = answer.get("content", {}).get("application/json")
                    if media and media.get("schema", {}).get("$ref", "").endswith("/ProblemOut"):
                        answer["content"] = {CONTENT_TYPE: media}
        return schema

    api.get_openapi_schema = get_openapi_schema


def exception_response(request: HttpRequest, exc: Exception) -> HttpResponse:
    """What the API answers to `exc` raised by an operation (for `idempotency`, which stores it)."""
    return _api.on_exception(request, exc)
