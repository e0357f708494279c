"""The vendor's API keys at the door of the order API: `Authorization: Bearer sk_vendor_...`, checked
for existence, revocation, expiry and the scope the operation needs (R-API1)."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer

from . import problems
from .models import VENDOR_KEY_PREFIX, VendorApiKey, vendor_key_hash

KEY_REVOKED = _("This API key was revoked. Ask the vendor's support staff for a new one.")
KEY_EXPIRED = _("This API key expired on %(date)s. Ask the vendor's support staff for a new one.")
SCOPE_MISSING = _("This API key lacks the scope %(scope)s that this operation needs.")
# The last-used time is written at most this often per key: not a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class VendorKey(HttpBearer):
    """A vendor API key with `scope`, or 401 (unknown, revoked, expired) or 403 (without the scope),
    as problem details."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        assert scope in VendorApiKey.Scope.values, scope
        self.scope = scope

    def __call__(self, request: HttpRequest):
        problems.mark(request)
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, token: str) -> VendorApiKey | None:
        if not token.startswith(VENDOR_KEY_PREFIX) or len(token) > 200:
            return None
        key = VendorApiKey.objects.filter(secret_hash=vendor_key_hash(token)).first()
        if key is None:
            return None
        now = timezone.now()
        if key.revoked_at is not None:
            raise problems.Problem(401, KEY_REVOKED, slug="key-revoked", headers={"WWW-Authenticate": "Bearer"})
        if key.expires_at is not None and key.expires_at <= now:
            detail = KEY_EXPIRED % {"date": key.expires_at.date().isoformat()}
            raise problems.Problem(401, detail, slug="key-expired", headers={"WWW-Authenticate": "Bearer"})
        if self.scope not in key.scopes:
            message = SCOPE_MISSING % {"scope": self.scope}
            raise problems.Problem(
                403,
                message,
                slug="scope-missing",
                errors=[{"field": None, "rule": "SCOPE_MISSING", "message": message}],
            )
        if key.last_used_at is None or key.last_used_at < now - LAST_USED_PRECISION:
            VendorApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return key


orders_read = VendorKey(VendorApiKey.Scope.ORDERS_READ)
orders_write = VendorKey(VendorApiKey.Scope.ORDERS_WRITE)
catalogue_read = VendorKey(VendorApiKey.Scope.CATALOGUE_READ)
