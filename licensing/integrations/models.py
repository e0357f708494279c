"""What the vendor's systems plug in with: vendor API keys (the order system's credentials) and the
idempotency keys of every write of the APIs (R-API2)."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

VENDOR_KEY_PREFIX = "sk_vendor_"
# How many characters of a key are kept in clear, to tell keys apart in lists and logs.
VENDOR_KEY_SHOWN = len(VENDOR_KEY_PREFIX) + 6


def vendor_key_hash(raw: str) -> str:
    """The stored form of a vendor key: its SHA-256. The key is 256 random bits, so a plain hash is
    enough (nothing to guess by brute force), and a lookup by the hash needs no comparison in Python."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def vendor_key_new() -> tuple[str, str]:
    """A new vendor key, as (the key to show once, its hash to store)."""
    raw = VENDOR_KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, vendor_key_hash(raw)


class VendorApiKey(models.Model):
    """A key of the vendor's own systems (the order system, a CRM) for the order API (R-API1).

    Made by support staff in the Django admin or by `manage.py vendor_key_create`; the key itself is
    shown once and only its hash is stored. Each key has scopes, an expiry and a last-used time, and
    is revoked rather than deleted, so that what it did stays attributable."""

    class Scope(models.TextChoices):
        ORDERS_READ = "orders:read", _("Read customers, contracts and subscriptions")
        ORDERS_WRITE = "orders:write", _("Create and change customers, contracts and subscriptions")
        CATALOGUE_READ = "catalogue:read", _("Read products and their items")

    name = models.CharField(_("name"), max_length=100, help_text=_("Which system uses the key, e.g. “Web shop”."))
    prefix = models.CharField(_("key starts with"), max_length=20, editable=False)
    secret_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, help_text=_("Empty: never."))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("vendor API key")
        verbose_name_plural = _("vendor API keys")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an `Idempotency-Key` header (R-API2).

    One row per credential and key: the database's unique constraint makes a concurrent retry wait
    for the first request's transaction (which writes this row and the change together) and then
    find its answer. `request_hash` covers the method, the path and the body, so that the same key
    with another request is refused instead of answered with the first one's result."""

    owner = models.CharField(max_length=100, help_text="The credential: <app.model>:<pk>.")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2000)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_key_one_per_owner"),
            models.CheckConstraint(condition=~Q(key=""), name="idempotency_key_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.owner} {self.key}"
