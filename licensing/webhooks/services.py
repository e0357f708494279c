"""Registering webhook endpoints (R-API4): create, change, rotate the secret, switch off and on,
delete; and sending a delivery again. Each in one transaction; the worker is asked to send after
commit. The caller checks who may (licensing.webhooks.permissions)."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.webhooks import sending
from licensing.webhooks.models import Delivery, Endpoint, EventType, new_secret
from licensing.webhooks.tasks import deliveries_start
from portal.db import service_transaction

NO_EVENTS = _("Choose at least one event to send.")
UNKNOWN_EVENT = _("%(event)s is not an event Seatkeeper sends.")
TOO_MANY = _("A team can have at most %(count)d webhook endpoints. Delete one you no longer use first.")
DISABLED_BY = _("Switched off by %(who)s.")
# Endpoints per team: enough for a few systems; every change of the team is sent to each.
MAX_PER_TEAM = 10


def address_validate(url: str) -> None:
    """Refuse an address Seatkeeper would not call (see licensing.webhooks.sending): not http(s),
    http where https is required, a host that does not resolve or resolves to a private address."""
    try:
        sending.resolve(url)
    except sending.AddressRefused as refused:
        raise ValidationError({"url": refused.message}, code="address") from None


def events_validate(event_types) -> list[str]:
    event_types = list(dict.fromkeys(event_types or []))
    if not event_types:
        raise ValidationError({"event_types": NO_EVENTS}, code="no_events")
    for value in event_types:
        if value not in EventType.values:
            raise ValidationError({"event_types": UNKNOWN_EVENT % {"event": value}}, code="unknown_event")
    return event_types


@service_transaction
def endpoint_create(*, team, url: str, description: str = "", event_types, actor) -> tuple[Endpoint, str]:
    """A new endpoint of `team` (None: the vendor's), with a new secret: returned this once."""
    event_types = events_validate(event_types)
    address_validate(url)
    if team is not None:
        # Lock the team: two admins adding at once cannot pass the limit together.
        type(team).objects.select_for_update().filter(pk=team.pk).first()
        if Endpoint.objects.of_team(team).count() >= MAX_PER_TEAM:
            raise ValidationError(TOO_MANY % {"count": MAX_PER_TEAM}, code="too_many")
    secret = new_secret()
    endpoint = Endpoint(
        team=team,
        url=url,
        description=description,
        event_types=event_types,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    endpoint.secret = secret
    endpoint.save(force_insert=True)
    return endpoint, secret


@service_transaction
def endpoint_update(*, endpoint: Endpoint, url: str, description: str, event_types, actor) -> Endpoint:
    """Change the address, description or events of `endpoint`; the secret stays."""
    event_types = events_validate(event_types)
    if url != endpoint.url:
        address_validate(url)
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.url, endpoint.description, endpoint.event_types = url, description, event_types
    endpoint.save(update_fields=["url", "description", "event_types"])
    return endpoint


@service_transaction
def endpoint_secret_rotate(*, endpoint: Endpoint, actor) -> str:
    """A new secret for `endpoint`, returned this once; the old one stops signing at once."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = new_secret()
    endpoint.secret = secret
    endpoint.save(update_fields=["secret_encrypted"])
    return secret


@service_transaction
def endpoint_disable(*, endpoint: Endpoint, actor, reason: str = "") -> Endpoint:
    """Switch `endpoint` off: nothing is sent to it, and no new events are kept for it."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.enabled:
        return endpoint
    endpoint.enabled = False
    endpoint.disabled_at = timezone.now()
    who = actor.get_full_name() or actor.email if actor is not None else ""
    endpoint.disabled_reason = (reason or str(DISABLED_BY % {"who": who}))[:300]
    endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
    return endpoint


@service_transaction
def endpoint_enable(*, endpoint: Endpoint, actor) -> Endpoint:
    """Switch `endpoint` on again: what was still pending is sent, from now, with a fresh day of retries."""
    endpoint = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    if endpoint.enabled:
        return endpoint
    endpoint.enabled = True
    endpoint.disabled_at = None
    endpoint.disabled_reason = ""
    endpoint.failing_since = None
    endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason", "failing_since"])
    endpoint.deliveries.filter(status=Delivery.Status.PENDING).update(
        next_attempt_at=timezone.now(), first_attempt_at=None, attempts=0
    )
    deliveries_start([endpoint.pk])
    return endpoint


@service_transaction
def endpoint_delete(*, endpoint: Endpoint, actor) -> None:
    """Delete `endpoint` with its deliveries: nothing more is sent to it."""
    Endpoint.objects.filter(pk=endpoint.pk).delete()


@service_transaction
def delivery_resend(*, delivery: Delivery, actor) -> Delivery:
    """Send `delivery` again, with the same `webhook-id` (receivers drop a duplicate by it), after the
    endpoint's deliveries before it; a fresh day of retries if it fails."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    delivery.status = Delivery.Status.PENDING
    delivery.attempts = 0
    delivery.first_attempt_at = None
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "attempts", "first_attempt_at", "next_attempt_at"])
    deliveries_start([delivery.endpoint_id])
    return delivery
