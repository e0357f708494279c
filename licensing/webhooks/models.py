"""Webhooks (R-API4): the endpoints the vendor and a team's primary admin register, the events of the
outbox, and the deliveries of each event to each endpoint.

An `Event` is written in the same transaction as the change it reports (licensing.webhooks.outbox,
from the activity log's rows), so a change that is rolled back sends nothing. A `Delivery` is one
event for one endpoint: the worker sends it after commit, in order per endpoint, and retries it with
back-off for a day (licensing.webhooks.dispatch)."""

import base64
import hashlib
import secrets
import uuid

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    """What an endpoint can subscribe to; the `type` of the payload and of `Event`."""

    MEMBER_INVITED = "member.invited", _("User invited")
    MEMBER_JOINED = "member.joined", _("User joined")
    MEMBER_DELETED = "member.deleted", _("User deleted")
    ROLE_CHANGED = "member.role_changed", _("Role changed")
    SEAT_ASSIGNED = "seat.assigned", _("Seat assigned")
    SEAT_UNASSIGNED = "seat.unassigned", _("Seat unassigned")
    SUBSCRIPTION_PURCHASED = "subscription.purchased", _("Subscription purchased")
    SUBSCRIPTION_CHANGED = "subscription.changed", _("Subscription changed")
    SUBSCRIPTION_MOVED = "subscription.moved", _("Subscription moved")
    SUBSCRIPTION_RENEWED = "subscription.renewed", _("Subscription renewed")
    SUBSCRIPTION_ENDED = "subscription.ended", _("Subscription ended")
    LICENCE_REFUSED = "licence.refused", _("Licence check refused for lack of a seat")


# The prefix of a Standard Webhooks secret: "whsec_" and the key in base64.
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """A new signing secret, as the Standard Webhooks specification writes it (24 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def _fernet() -> Fernet:
    # From SECRET_KEY unless WEBHOOKS_ENCRYPTION_KEY is set, with a salt of its own: the MFA secrets'
    # key (licensing.accounts.adapter) is another.
    secret = settings.WEBHOOKS_ENCRYPTION_KEY or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"seatkeeper-webhooks:{secret}".encode()).digest()))


class EndpointQuerySet(models.QuerySet):
    def of_team(self, team) -> "EndpointQuerySet":
        return self.filter(team=team)

    def of_vendor(self) -> "EndpointQuerySet":
        return self.filter(team__isnull=True)

    def listening(self, team_ids) -> "EndpointQuerySet":
        """The enabled endpoints that hear about the teams `team_ids`: theirs and the vendor's."""
        return self.filter(Q(team__isnull=True) | Q(team_id__in=team_ids), enabled=True)


class Endpoint(models.Model):
    """An address that is sent the events it subscribed to, signed with its own secret.

    The vendor's endpoints (no team, registered in the Django admin) hear about every team; a
    team's (registered by its primary admin in Team settings) about that team alone. The secret is
    stored encrypted and shown once, when it is made."""

    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("team"),
        help_text=_("Empty for the vendor's own endpoints, which hear about every team."),
    )
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    # The first failed attempt since the last successful one: an endpoint failing for a day is switched off.
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # The worker that sends this endpoint's deliveries holds it until then (licensing.webhooks.dispatch):
    # one sender per endpoint keeps the order.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.CharField(max_length=32, blank=True, editable=False)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["team_id", "url", "pk"]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        try:
            return _fernet().decrypt(self.secret_encrypted.encode()).decode()
        except InvalidToken:
            return ""  # the key changed: the secret is lost, rotate it

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = _fernet().encrypt(value.encode()).decode()

    @property
    def secret_hint(self) -> str:
        """The secret's last characters, to tell two apart without showing it."""
        secret = self.secret
        return f"…{secret[-4:]}" if secret else ""

    def event_labels(self) -> list[str]:
        labels = dict(EventType.choices)
        return [str(labels.get(value, value)) for value in self.event_types]


class Event(models.Model):
    """Something that happened, as webhooks tell it: written in the transaction of the change (the
    outbox). `uid` is the `webhook-id` of every delivery of it, retries and re-sends alike."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    payload = models.JSONField(_("payload"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.type} {self.message_id}"

    @property
    def message_id(self) -> str:
        return f"msg_{self.uid.hex}"


class Delivery(models.Model):
    """One event for one endpoint: pending until the endpoint answered 2xx (delivered) or a day of
    retries has passed (failed). The last attempt's answer is kept."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        Endpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # When the current round of attempts began (the first, or a re-send): retries stop a day after it.
    first_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    response_excerpt = models.CharField(_("response"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="delivery_one_per_endpoint_event")]
        indexes = [models.Index(fields=["endpoint", "status", "event"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"
