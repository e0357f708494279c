"""Sending an endpoint's deliveries, in order, by the worker (licensing.webhooks.tasks).

One worker at a time holds an endpoint (a lease on its row, taken and given back in short
transactions: nothing is locked while a request is on its way) and sends its pending deliveries
oldest event first. A delivery that fails blocks those behind it until it is delivered or its retries
are spent: the events of a team arrive in the order they happened (a team's changes are serialised
by its lock, so their events' ids follow their commits). Retries follow `WEBHOOKS_RETRY_DELAYS`
(seconds: a few seconds, then minutes, then hours, about a day in all); an endpoint that has failed
for `WEBHOOKS_DISABLE_AFTER_HOURS` is switched off and its owner mailed.

A worker killed mid-delivery leaves the lease to expire (`LEASE_SECONDS`) and the delivery pending:
it is sent again, with the same `webhook-id`, which receivers use to drop the duplicate."""

import secrets
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.teams.models import Member
from licensing.webhooks import sending
from licensing.webhooks.models import Delivery, Endpoint
from portal.mail import mail_send

# How long a worker holds an endpoint without news: longer than a delivery can take.
LEASE_SECONDS = 120
# Deliveries read at once; each is still recorded as it is answered.
BATCH = 100
DISABLED_FAILING = _("Every delivery failed since %(since)s; switched off after %(hours)s hours.")


def retry_delays() -> list[float]:
    return [float(delay) for delay in settings.WEBHOOKS_RETRY_DELAYS]


def _lease_claim(endpoint_id: int) -> str | None:
    """Take the endpoint for this worker, if it is enabled and nobody holds it: the lease's token."""
    now = timezone.now()
    token = secrets.token_hex(8)
    taken = (
        Endpoint.objects.filter(pk=endpoint_id, enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + timedelta(seconds=LEASE_SECONDS), lease_token=token)
    )
    return token if taken else None


def _lease_renew(endpoint_id: int, token: str) -> bool:
    until = timezone.now() + timedelta(seconds=LEASE_SECONDS)
    return bool(Endpoint.objects.filter(pk=endpoint_id, lease_token=token).update(lease_until=until))


def _lease_release(endpoint_id: int, token: str) -> None:
    Endpoint.objects.filter(pk=endpoint_id, lease_token=token).update(lease_until=None, lease_token="")


def head_of(endpoint_id: int) -> Delivery | None:
    """The endpoint's oldest pending delivery: the one to send next."""
    return (
        Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING)
        .select_related("event")
        .order_by("event_id")
        .first()
    )


def endpoint_dispatch(endpoint_id: int) -> datetime | None:
    """Send the endpoint's due deliveries in order, as long as they succeed. Returns when to come back
    (the next retry), or None when nothing is left or another worker holds the endpoint."""
    while True:
        token = _lease_claim(endpoint_id)
        if token is None:
            return None
        try:
            come_back = _send_due(endpoint_id, token)
        finally:
            _lease_release(endpoint_id, token)
        if come_back is not None:
            return come_back
        # A delivery committed while we held the lease had its task refused: look once more.
        head = head_of(endpoint_id)
        if head is None or not Endpoint.objects.filter(pk=endpoint_id, enabled=True).exists():
            return None
        if head.next_attempt_at and head.next_attempt_at > timezone.now():
            return head.next_attempt_at


def _send_due(endpoint_id: int, token: str) -> datetime | None:
    """Send the endpoint's pending deliveries in order, a batch at a time, until one fails (its retry
    is when to come back) or none is left."""
    renewed = time.monotonic()
    while True:
        endpoint = Endpoint.objects.filter(pk=endpoint_id, enabled=True).first()
        if endpoint is None:
            return None
        batch = list(
            Delivery.objects.filter(endpoint_id=endpoint_id, status=Delivery.Status.PENDING)
            .select_related("event")
            .order_by("event_id")[:BATCH]
        )
        if not batch:
            return None
        for head in batch:
            if head.next_attempt_at and head.next_attempt_at > timezone.now():
                return head.next_attempt_at
            attempt = sending.post(
                url=endpoint.url, secret=endpoint.secret, message_id=head.event.message_id, payload=head.event.payload
            )
            if attempt.ok and _delivered(head, endpoint, attempt):
                pass
            else:
                head = delivery_record(delivery=head, attempt=attempt)
                if head.status == Delivery.Status.PENDING:
                    if not Endpoint.objects.filter(pk=endpoint_id, enabled=True).exists():
                        return None  # switched off for failing too long: nothing to come back for
                    return head.next_attempt_at  # its retry; the ones after it wait (order per team)
                break  # failed for good, or changed meanwhile: read the endpoint and the queue again
            if time.monotonic() - renewed > LEASE_SECONDS / 4:
                if not _lease_renew(endpoint_id, token):
                    return None
                renewed = time.monotonic()


def _delivered(delivery: Delivery, endpoint: Endpoint, attempt: sending.Attempt) -> bool:
    """Record a successful attempt in one statement; False if the delivery changed meanwhile (re-sent,
    say), which `delivery_record` then sorts out under its lock."""
    now = timezone.now()
    updated = Delivery.objects.filter(
        pk=delivery.pk, status=Delivery.Status.PENDING, attempts=delivery.attempts
    ).update(
        status=Delivery.Status.DELIVERED,
        attempts=delivery.attempts + 1,
        first_attempt_at=delivery.first_attempt_at or now,
        last_attempt_at=now,
        next_attempt_at=None,
        response_status=attempt.status,
        response_excerpt=attempt.excerpt,
        duration_ms=attempt.duration_ms,
        error="",
    )
    if updated and endpoint.failing_since is not None:
        Endpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        endpoint.failing_since = None
    return bool(updated)


@transaction.atomic
def delivery_record(*, delivery: Delivery, attempt: sending.Attempt) -> Delivery:
    """Write down what an attempt gave: delivered, or the next retry, or failed for good once the
    retries are spent; an endpoint failing for too long is switched off and its owner mailed."""
    now = timezone.now()
    endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    delivery = Delivery.objects.select_for_update().select_related("event").get(pk=delivery.pk)
    if delivery.status != Delivery.Status.PENDING:
        return delivery  # re-sent or changed meanwhile
    delivery.attempts += 1
    delivery.first_attempt_at = delivery.first_attempt_at or now
    delivery.last_attempt_at = now
    delivery.response_status = attempt.status
    delivery.response_excerpt = attempt.excerpt
    delivery.duration_ms = attempt.duration_ms
    delivery.error = attempt.error
    if attempt.ok:
        delivery.status = Delivery.Status.DELIVERED
        delivery.next_attempt_at = None
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since"])
    else:
        delays = retry_delays()
        retry = delivery.attempts - 1
        if retry < len(delays):
            delivery.next_attempt_at = now + timedelta(seconds=delays[retry])
        else:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since"])
        elif now - endpoint.failing_since >= timedelta(hours=settings.WEBHOOKS_DISABLE_AFTER_HOURS):
            endpoint_switch_off(endpoint=endpoint)
    delivery.save()
    return delivery


def endpoint_switch_off(*, endpoint: Endpoint) -> None:
    """Switch off an endpoint that keeps failing and tell its owner: the team's primary admin (or the
    one who created it) for a team's, the one who created it for the vendor's."""
    since = timezone.localtime(endpoint.failing_since)
    endpoint.enabled = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = str(
        DISABLED_FAILING % {"since": f"{since:%Y-%m-%d %H:%M}", "hours": settings.WEBHOOKS_DISABLE_AFTER_HOURS}
    )[:300]
    endpoint.save(update_fields=["enabled", "disabled_at", "disabled_reason"])
    for owner in endpoint_owners(endpoint):
        mail_send(to=owner, template="webhook_disabled", context={"endpoint": endpoint, "team": endpoint.team})


def endpoint_owners(endpoint: Endpoint) -> list:
    """Who is told about the endpoint: its team's primary admin, and whoever created it."""
    owners = []
    if endpoint.team_id is not None:
        primary = (
            Member.objects.filter(team_id=endpoint.team_id, role=Member.Role.PRIMARY_ADMIN)
            .select_related("user")
            .first()
        )
        if primary is not None:
            owners.append(primary.user)
    creator = endpoint.created_by
    if creator is not None and creator.is_active and creator not in owners:
        owners.append(creator)
    return owners


def endpoints_due() -> list[int]:
    """The enabled endpoints with a pending delivery due now and no worker holding them."""
    now = timezone.now()
    return list(
        Endpoint.objects.filter(enabled=True)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(deliveries__status=Delivery.Status.PENDING, deliveries__next_attempt_at__lte=now)
        .values_list("pk", flat=True)
        .distinct()
    )
