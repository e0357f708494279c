"""Writes that can be retried safely (R-API2): the `Idempotency-Key` header of
draft-ietf-httpapi-idempotency-key-header, as Stripe and Keygen take it.

Decorate an operation that writes with `idempotent` and give it the header as a parameter
(`idempotency_key: IdempotencyKeyHeader`, so that the OpenAPI document says it is required and a
request without one is refused as any missing field is):

    @router.post("/subscriptions", ...)
    @idempotent
    def subscription_purchase(request, payload: PurchaseIn, idempotency_key: IdempotencyKeyHeader):
        ...
        return answer(request, 201, ...)      # an HttpResponse: what is stored is what is sent

What happens, in one database transaction around the whole operation:
- a row (credential, key, method + path + body hash) is inserted first. A second request with the
  same key waits on the unique constraint (PostgreSQL: on the index entry; SQLite: every write
  transaction starts IMMEDIATE, so it waits for the first to commit) and then finds the row;
- the operation runs, and its answer (status, content type, body) is written into the row before
  the transaction commits: the change and the answer to replay are committed together or not at all;
- a retry with the same key and the same request gets the stored answer, with the header
  `Idempotent-Replayed: true`, and nothing runs again; the same key with another method, path or
  body is refused with 422 (IDEMPOTENCY_KEY_REUSED);
- an answer of 5xx, 409 or 429 (the server's trouble, a conflict, a throttle) is not kept: the
  transaction is rolled back and a retry runs the operation afresh.

The keys are kept IDEMPOTENCY_KEY_HOURS (48 by default); `manage.py idempotency_keys_clean`, run
daily, deletes older ones. The key is per credential: two keys (or two team tokens) never share
answers, whatever their keys.
"""

import contextlib
import functools
import hashlib
import json
from datetime import timedelta
from typing import Annotated

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Header

from portal.db import run_retrying

from . import problems
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
KEPT_HOURS_DEFAULT = 48
# Answers a retry should not get again: it should try again.
NOT_KEPT = frozenset({409, 429})

KEY_REUSED = _(
    "This Idempotency-Key was used before for another request (another address or body). Use a new key "
    "for a new request."
)
KEY_INVALID = _("The Idempotency-Key header must be 1 to 255 visible ASCII characters.")

IdempotencyKeyHeader = Annotated[
    str,
    Header(
        alias=HEADER,
        pattern=KEY_PATTERN,
        description=(
            "A key unique to this write, e.g. a UUID or the order's number, sent again unchanged with every "
            "retry of it: a retry answers what the first request answered and does nothing twice (R-API2). "
            "The same key with another request is refused (422). Kept 48 hours."
        ),
    ),
]


def kept_hours() -> int:
    return getattr(settings, "IDEMPOTENCY_KEY_HOURS", KEPT_HOURS_DEFAULT)


def credential_of(request: HttpRequest) -> str:
    """The owner of a request's keys: the authenticated credential (a vendor key, a team token)."""
    auth = request.auth
    return f"{auth._meta.label_lower}:{auth.pk}"


def request_hash(request: HttpRequest) -> str:
    """SHA-256 of the method, the path with its query and the body; a JSON body in a canonical form
    (keys sorted, no spaces), so that a retry serialised by another library is the same request."""
    body = request.body
    with contextlib.suppress(ValueError, UnicodeDecodeError):
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.get_full_path().encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class _NotKept(Exception):
    """Rolls the transaction back, carrying the answer to send all the same."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _replay(row: IdempotencyKey, fingerprint: str, request: HttpRequest) -> HttpResponse:
    if row.request_hash != fingerprint:
        raise problems.Problem(
            422,
            KEY_REUSED,
            slug="idempotency-key-reused",
            errors=[{"field": HEADER, "rule": "IDEMPOTENCY_KEY_REUSED", "message": KEY_REUSED}],
        )
    response = HttpResponse(bytes(row.body), status=row.status, content_type=row.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent(view=None, *, owner=credential_of):
    """Make the operation `view` answer a retry with its first answer (see the module's docstring).
    `owner(request)` names the credential the keys belong to."""
    if view is None:
        return functools.partial(idempotent, owner=owner)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        key = request.headers.get(HEADER, "")
        if not key or len(key) > 255 or not all("\x21" <= c <= "\x7e" for c in key):
            raise problems.Problem(
                400,
                KEY_INVALID,
                slug="idempotency-key-invalid",
                errors=[{"field": HEADER, "rule": "IDEMPOTENCY_KEY_INVALID", "message": KEY_INVALID}],
            )
        fingerprint = request_hash(request)
        who = owner(request)

        def once() -> HttpResponse:
            try:
                with transaction.atomic():
                    row = IdempotencyKey.objects.create(
                        owner=who,
                        key=key,
                        method=request.method,
                        path=request.get_full_path()[:2000],
                        request_hash=fingerprint,
                        status=0,
                        content_type="",
                        body=b"",
                    )
            except IntegrityError:
                # Another request with this key committed first (or was waited for): its answer.
                return _replay(IdempotencyKey.objects.get(owner=who, key=key), fingerprint, request)
            try:
                response = view(request, *args, **kwargs)
            except OperationalError:
                raise  # a deadlock or a busy SQLite: `run_retrying` runs it all again, or the API answers 503
            except Exception as exc:  # answered as the API answers it, and kept (or not) like any answer
                response = problems.exception_response(request, exc)
            if not isinstance(response, HttpResponse):
                raise TypeError(f"{view.__name__}: an @idempotent operation returns its HttpResponse (schemas.answer)")
            if response.status_code >= 500 or response.status_code in NOT_KEPT:
                raise _NotKept(response)
            row.status = response.status_code
            row.content_type = response.get("Content-Type", "")[:100]
            row.body = response.content
            row.save(update_fields=["status", "content_type", "body"])
            return response

        try:
            return run_retrying(once)
        except _NotKept as not_kept:
            return not_kept.response

    return wrapper


def idempotency_keys_clean(*, now=None) -> int:
    """Delete the keys older than `kept_hours()`; how many."""
    before = (now or timezone.now()) - timedelta(hours=kept_hours())
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=before).delete()
    return deleted
