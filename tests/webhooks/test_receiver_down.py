"""R-API4, end to end: a receiver on 127.0.0.1 that verifies every signature with the
`standardwebhooks` package is down while the changes happen (the issue's "first minute", here the
first seconds: the retry delays are set short); the job runner (django-tasks-db's worker, in a
thread) retries, and once the receiver is back every event arrives exactly once (a duplicate only
with the same webhook-id), in the order of each team's changes."""

import threading
import time

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker

from licensing.accounts.services import member_invite
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from licensing.teams.services import member_change_role
from licensing.webhooks.models import Delivery, Event
from tests.factories import SubscriptionFactory

DOWN_SECONDS = 2.0


@pytest.fixture
def worker(database_tasks):
    """django-tasks-db's worker, as `manage.py db_worker` runs it, in a thread of its own."""
    runner = Worker(
        queue_names=["*"],
        interval=0.05,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="webhooks-test",
        excluded_queue_names=[],
    )

    def run():
        try:
            runner.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield runner
    runner.running = False
    thread.join(timeout=10)


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.django_db(transaction=True)
def test_every_event_arrives_once_in_order_after_the_receiver_comes_back(
    world, receiver, endpoint_of, settings, worker
):
    """R-API4"""
    settings.WEBHOOKS_RETRY_DELAYS = [0.2] * 200
    receiver.down = True
    endpoint_of(None, actor=world.staff)  # the vendor's: it hears both teams
    SubscriptionFactory(team=world.other_team, product=world.product, seats=5)
    other_user = Member.objects.create(team=world.other_team, user=world.guest.user, status=Member.Status.ACTIVE)
    started = time.monotonic()
    actor = world.primary.user
    roles = [Member.Role.SECONDARY_ADMIN, Member.Role.USER]
    for index in range(6):
        member_change_role(member=world.user, role=roles[index % 2], actor=actor)
        member_change_role(member=other_user, role=roles[index % 2], actor=actor)
    member_invite(team=world.team, email="ann@example.com", first_name="Ann", last_name="Lee", actor=actor)
    assignment_create(member=world.guest, product=world.product, actor=actor)
    assignment_create(member=other_user, product=world.product, actor=actor)
    events = list(Event.objects.order_by("pk"))
    assert len(events) == 15

    # Down: the worker tries, and the receiver refuses.
    assert wait_for(lambda: receiver.hits >= 3, timeout=10)
    time.sleep(max(0.0, DOWN_SECONDS - (time.monotonic() - started)))
    assert receiver.received == []
    assert Delivery.objects.filter(status=Delivery.Status.PENDING, attempts__gte=1).exists()
    receiver.down = False

    assert wait_for(lambda: not Delivery.objects.exclude(status=Delivery.Status.DELIVERED).exists(), timeout=30), list(
        Delivery.objects.values_list("status", "attempts", "error")
    )
    assert receiver.refused == []  # every request's signature verified
    ids = [received.message_id for received in receiver.received]
    assert set(ids) == {event.message_id for event in events}
    # A duplicate only with the same webhook-id, and the same body.
    for received in receiver.received:
        assert received.payload == next(e.payload for e in events if e.message_id == received.message_id)
    # In order per team: the first arrival of each event follows the order of the team's changes.
    first_seen = list(dict.fromkeys(ids))
    for team in (world.team, world.other_team):
        expected = [event.message_id for event in events if event.team_id == team.pk]
        assert [message_id for message_id in first_seen if message_id in expected] == expected
    assert all(d.attempts >= 2 for d in Delivery.objects.order_by("event_id")[:1])
