"""Sending the deliveries (R-API4): in order per endpoint, retried on the schedule of
WEBHOOKS_RETRY_DELAYS until a day has passed, the endpoint switched off and its owner mailed when it
keeps failing, each delivery visible with its answer and re-sendable with the same webhook-id."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from licensing.teams.models import Member
from licensing.teams.services import member_change_role
from licensing.webhooks import dispatch, services
from licensing.webhooks.models import Delivery, Endpoint


@pytest.fixture
def team_endpoint(world, endpoint_of, database_tasks):
    return endpoint_of(world.team, actor=world.primary.user)


def change_roles(world, count: int) -> None:
    """`count` changes of the team, alternating the user's role."""
    roles = [Member.Role.SECONDARY_ADMIN, Member.Role.USER]
    for index in range(count):
        member_change_role(member=world.user, role=roles[index % 2], actor=world.primary.user)


def test_deliveries_are_sent_in_order_with_their_answer(world, team_endpoint, receiver):
    change_roles(world, 3)
    assert dispatch.endpoint_dispatch(team_endpoint.pk) is None
    roles = [payload["data"]["after"]["role"] for payload in receiver.payloads()]
    assert roles == ["secondary_admin", "user", "secondary_admin"]
    deliveries = list(Delivery.objects.order_by("pk"))
    assert [d.status for d in deliveries] == [Delivery.Status.DELIVERED] * 3
    assert all(d.response_status == 200 and d.attempts == 1 for d in deliveries)
    assert deliveries[0].response_excerpt == '{"ok": true}'
    assert deliveries[0].duration_ms is not None
    # Each delivery's webhook-id is its event's.
    assert [r.message_id for r in receiver.received] == [d.event.message_id for d in deliveries]


def test_the_retry_schedule(world, team_endpoint, receiver, settings):
    """R-API4: retried with back-off: each failed attempt waits the next delay of the schedule; after
    the last, the delivery has failed for good."""
    settings.WEBHOOKS_RETRY_DELAYS = [5, 300, 1800]
    settings.WEBHOOKS_DISABLE_AFTER_HOURS = 1000
    receiver.down = True
    change_roles(world, 1)
    delivery = Delivery.objects.get()
    waits = []
    for _ in range(4):
        before = timezone.now()
        come_back = dispatch.endpoint_dispatch(team_endpoint.pk)
        delivery.refresh_from_db()
        if delivery.status != Delivery.Status.PENDING:
            assert come_back is None
            break
        waits.append(round((delivery.next_attempt_at - before).total_seconds()))
        assert come_back == delivery.next_attempt_at
        # Time passes: the attempt is due.
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert waits == [5, 300, 1800]
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.attempts == 4
    assert delivery.response_status == 503
    assert delivery.response_excerpt == "down for maintenance"
    assert delivery.error == "HTTP 503"


def test_a_failing_delivery_holds_back_the_ones_after_it(world, team_endpoint, receiver, settings):
    """Order per team: the second event waits until the first is delivered."""
    receiver.down = True
    change_roles(world, 2)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    first, second = Delivery.objects.order_by("event_id")
    assert (first.attempts, second.attempts) == (1, 0)
    receiver.down = False
    Delivery.objects.filter(pk=first.pk).update(next_attempt_at=timezone.now())
    dispatch.endpoint_dispatch(team_endpoint.pk)
    assert [p["data"]["after"]["role"] for p in receiver.payloads()] == ["secondary_admin", "user"]


def test_an_endpoint_failing_for_a_day_is_switched_off_and_its_owner_mailed(world, team_endpoint, receiver):
    """R-API4: an endpoint that keeps failing is switched off and its owner mailed."""
    receiver.down = True
    change_roles(world, 1)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    team_endpoint.refresh_from_db()
    assert team_endpoint.enabled
    assert team_endpoint.failing_since is not None
    # A day later, still failing.
    Endpoint.objects.filter(pk=team_endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=24, seconds=1))
    Delivery.objects.update(next_attempt_at=timezone.now())
    mail.outbox.clear()
    assert dispatch.endpoint_dispatch(team_endpoint.pk) is None
    team_endpoint.refresh_from_db()
    assert not team_endpoint.enabled
    assert "switched off after 24" in team_endpoint.disabled_reason
    assert [m.to for m in mail.outbox] == [["primary@example.com"]]
    assert "switched it off" in mail.outbox[0].body
    assert Delivery.objects.get().status == Delivery.Status.PENDING  # kept for when it is switched on


def test_a_success_clears_the_failing_clock(world, team_endpoint, receiver):
    receiver.down = True
    change_roles(world, 1)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    receiver.down = False
    Delivery.objects.update(next_attempt_at=timezone.now())
    dispatch.endpoint_dispatch(team_endpoint.pk)
    team_endpoint.refresh_from_db()
    assert team_endpoint.failing_since is None


def test_switched_on_again_what_waited_is_sent(world, team_endpoint, receiver):
    receiver.down = True
    change_roles(world, 2)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    services.endpoint_disable(endpoint=team_endpoint, actor=world.primary.user)
    receiver.down = False
    assert dispatch.endpoint_dispatch(team_endpoint.pk) is None
    assert receiver.received == []
    services.endpoint_enable(endpoint=team_endpoint, actor=world.primary.user)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    assert len(receiver.received) == 2


def test_a_resent_delivery_keeps_its_webhook_id(world, team_endpoint, receiver):
    """R-API4: re-sendable; the receiver can tell the duplicate by its webhook-id."""
    change_roles(world, 1)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    delivery = Delivery.objects.get()
    services.delivery_resend(delivery=delivery, actor=world.primary.user)
    assert Delivery.objects.get().status == Delivery.Status.PENDING
    dispatch.endpoint_dispatch(team_endpoint.pk)
    first, again = receiver.received
    assert first.message_id == again.message_id == delivery.event.message_id
    assert first.payload == again.payload
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED


def test_one_worker_at_a_time_per_endpoint(world, team_endpoint, receiver):
    change_roles(world, 1)
    token = dispatch._lease_claim(team_endpoint.pk)
    assert token
    assert dispatch.endpoint_dispatch(team_endpoint.pk) is None  # held by the other worker
    assert receiver.received == []
    dispatch._lease_release(team_endpoint.pk, token)
    dispatch.endpoint_dispatch(team_endpoint.pk)
    assert len(receiver.received) == 1


def test_a_dead_workers_lease_expires(world, team_endpoint, receiver):
    change_roles(world, 1)
    assert dispatch._lease_claim(team_endpoint.pk)
    Endpoint.objects.filter(pk=team_endpoint.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    from licensing.webhooks.outbox import webhooks_sweep

    assert webhooks_sweep() == 1
    dispatch.endpoint_dispatch(team_endpoint.pk)
    assert len(receiver.received) == 1
