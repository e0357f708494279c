"""Vendor API keys: made (the key shown once), revoked. Support staff in the Django admin and
`manage.py vendor_key_create` call these."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.db import service_transaction

from .models import VENDOR_KEY_SHOWN, VendorApiKey, vendor_key_new

NAME_REQUIRED = _("Name the system that will use the key.")
SCOPES_REQUIRED = _("Choose at least one scope.")
SCOPE_UNKNOWN = _("There is no scope “%(scope)s”. The scopes: %(scopes)s.")
EXPIRY_INVALID = _("A key expires after 1 to 3650 days.")


@service_transaction
def vendor_key_create(
    *, name: str, scopes: list[str], expires_days: int | None, created_by=None
) -> tuple[VendorApiKey, str]:
    """A new key and the key itself, to show once: only its hash is stored."""
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = [NAME_REQUIRED]
    elif len(name) > 100:
        errors["name"] = [ValidationError(_("A name can be at most 100 characters."), code="too_long")]
    scopes = list(dict.fromkeys(scopes))
    unknown = [scope for scope in scopes if scope not in VendorApiKey.Scope.values]
    if not scopes:
        errors["scopes"] = [SCOPES_REQUIRED]
    elif unknown:
        errors["scopes"] = [SCOPE_UNKNOWN % {"scope": unknown[0], "scopes": ", ".join(VendorApiKey.Scope.values)}]
    if expires_days is not None and not 1 <= expires_days <= 3650:
        errors["expires_at"] = [EXPIRY_INVALID]
    if errors:
        raise ValidationError(errors)
    raw, digest = vendor_key_new()
    key = VendorApiKey.objects.create(
        name=name,
        prefix=raw[:VENDOR_KEY_SHOWN],
        secret_hash=digest,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
    )
    return key, raw


@service_transaction
def vendor_key_revoke(*, key: VendorApiKey) -> VendorApiKey:
    """The key stops working at once; revoking it again changes nothing."""
    VendorApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key
