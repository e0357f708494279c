"""The outbox (R-API4): the events of a change are written in its transaction, from the activity
log's rows, for the endpoints that listen: the team's and the vendor's; none for a change that was
rolled back, none for a team that nobody listens to, none for an event type not subscribed to."""

import pytest
from django.db import transaction

from licensing.accounts.services import member_invite
from licensing.subscriptions.services import assignment_create, subscription_add_seats
from licensing.teams.models import Member
from licensing.teams.services import member_change_role, member_delete
from licensing.webhooks import services
from licensing.webhooks.models import Delivery, Event, EventType


@pytest.fixture
def endpoint(world, private_allowed, database_tasks):
    """The team's endpoint, its jobs kept in the database (not run)."""
    endpoint, _ = services.endpoint_create(
        team=world.team, url="http://127.0.0.1:9/in", event_types=list(EventType.values), actor=world.primary.user
    )
    return endpoint


def test_every_service_change_becomes_an_event(world, endpoint):
    """R-API4: members, roles, seats and subscriptions, each through its service."""
    actor = world.primary.user
    invited = member_invite(team=world.team, email="ann@example.com", first_name="Ann", last_name="Lee", actor=actor)
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=actor)
    assignment = assignment_create(member=world.secondary, product=world.product, actor=actor)
    subscription_add_seats(subscription=world.subscription, seats=2, actor=actor)
    member_delete(member=Member.objects.get(pk=invited.pk), actor=actor)
    types = list(Event.objects.order_by("pk").values_list("type", flat=True))
    assert types == [
        EventType.MEMBER_INVITED,
        EventType.ROLE_CHANGED,
        EventType.SEAT_ASSIGNED,
        EventType.SUBSCRIPTION_CHANGED,
        EventType.MEMBER_DELETED,
    ]
    assert Delivery.objects.filter(endpoint=endpoint, status=Delivery.Status.PENDING).count() == 5
    seat = Event.objects.get(type=EventType.SEAT_ASSIGNED)
    assert seat.team == world.team
    assert seat.payload["type"] == "seat.assigned"
    data = seat.payload["data"]
    assert data["team"] == {"id": world.team.pk, "name": "Design"}
    assert data["user"]["email"] == "secondary@example.com"
    assert data["product"]["code"] == "draftpro"
    assert data["actor"] == {"email": "primary@example.com"}
    assert assignment.pk


def test_a_rolled_back_change_leaves_no_event(world, endpoint):
    """R-API4: written in the same transaction as the change: a rollback takes the event, its
    deliveries and the job that would send them."""
    from django_tasks_db.models import DBTaskResult

    tasks_before = DBTaskResult.objects.count()
    seen = []

    def change_then_fail():
        with transaction.atomic():
            member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
            seen.append(Event.objects.count())
            raise RuntimeError("something after the change failed")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert seen == [1]
    assert Event.objects.count() == 0
    assert Delivery.objects.count() == 0
    assert DBTaskResult.objects.count() == tasks_before
    assert Member.objects.get(pk=world.user.pk).role == Member.Role.USER


def test_the_job_is_enqueued_with_the_change(world, endpoint):
    from django_tasks_db.models import DBTaskResult

    before = DBTaskResult.objects.count()
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    task = DBTaskResult.objects.order_by("-enqueued_at").first()
    assert DBTaskResult.objects.count() == before + 1
    assert task.task_path == "licensing.webhooks.tasks.endpoint_deliver"
    assert task.args_kwargs["args"] == [endpoint.pk]


def test_other_teams_and_unsubscribed_types_are_not_told(world, endpoint, database_tasks):
    actor = world.primary.user
    # Another team's change: this team's endpoint hears nothing.
    other = Member.objects.create(team=world.other_team, user=world.user.user, status=Member.Status.ACTIVE)
    member_change_role(member=other, role=Member.Role.SECONDARY_ADMIN, actor=actor)
    assert Event.objects.count() == 0
    services.endpoint_update(
        endpoint=endpoint, url=endpoint.url, description="", event_types=[EventType.SEAT_ASSIGNED], actor=actor
    )
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=actor)
    assert Event.objects.count() == 0
    assignment_create(member=world.guest, product=world.product, actor=actor)
    assert list(Event.objects.values_list("type", flat=True)) == [EventType.SEAT_ASSIGNED]


def test_the_vendors_endpoint_hears_every_team(world, private_allowed, database_tasks):
    vendor, _ = services.endpoint_create(
        team=None, url="http://127.0.0.1:9/vendor", event_types=[EventType.ROLE_CHANGED], actor=world.staff
    )
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    other = Member.objects.create(team=world.other_team, user=world.guest.user, status=Member.Status.ACTIVE)
    member_change_role(member=other, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    assert sorted(Event.objects.values_list("team_id", flat=True)) == sorted([world.team.pk, world.other_team.pk])
    assert Delivery.objects.filter(endpoint=vendor).count() == 2


def test_a_disabled_endpoint_gets_nothing_new(world, endpoint):
    services.endpoint_disable(endpoint=endpoint, actor=world.primary.user)
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    assert Event.objects.count() == 0


def test_nothing_is_written_when_nobody_listens(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(1) as captured:
        from licensing.webhooks.outbox import events_emit

        events_emit([(EventType.ROLE_CHANGED, world.team.pk, {}, None)])
    assert len(captured) == 1  # the one look for listening endpoints
    assert Event.objects.count() == 0


def test_a_licence_check_refused_for_lack_of_a_seat(world, endpoint):
    """R-API4: a refused licence check is an event of each team where the person is a member."""
    from licensing.accounts.devices import entitlement_check

    result = entitlement_check(user=world.user.user, product=world.product)
    assert not result.licensed
    [event] = Event.objects.all()
    assert event.type == EventType.LICENCE_REFUSED
    assert event.payload["data"]["reason"] == "not_assigned"
    assert event.payload["data"]["user"]["email"] == "user@example.com"


def test_a_subscription_whose_term_ended_is_told_once(world, endpoint):
    """R-API4: "subscription ended" when its term is over (the periodic command), once."""
    from datetime import timedelta

    from django.utils import timezone

    from licensing.webhooks.outbox import subscriptions_ended_emit, webhooks_sweep

    today = timezone.localdate()
    world.subscription.term_end = today - timedelta(days=1)
    world.subscription.save(update_fields=["term_end"])
    assert subscriptions_ended_emit(today=today) == 1
    assert subscriptions_ended_emit(today=today) == 0
    webhooks_sweep()
    [event] = Event.objects.filter(type=EventType.SUBSCRIPTION_ENDED)
    assert event.payload["data"]["subscription"]["id"] == world.subscription.pk
    assert event.payload["data"]["reason"] == "term_ended"
    assert Event.objects.filter(type=EventType.SUBSCRIPTION_ENDED).count() == 1


def test_seats_a_group_gives_to_many_at_once_are_told_too(world, endpoint):
    """R-API4 with R-GR2 / R-GR4: a group's seats are written for all its members in one INSERT ...
    SELECT (activity.services.events_record_members); each still becomes a seat event, given and taken."""
    from licensing.groups.services import group_create, group_members_add, group_members_remove, group_product_assign

    actor = world.primary.user
    group = group_create(team=world.team, name="Engineers", actor=actor)
    group_members_add(group=group, members=[world.user, world.guest], actor=actor)
    Event.objects.all().delete()
    group_product_assign(group=group, product=world.product, actor=actor)
    given = Event.objects.filter(type=EventType.SEAT_ASSIGNED)
    assert sorted(event.payload["data"]["user"]["email"] for event in given) == [
        "guest@example.com",
        "user@example.com",
    ]
    assert all(event.team_id == world.team.pk for event in given)
    group_members_remove(group=group, members=[world.guest], actor=actor)
    taken = Event.objects.filter(type=EventType.SEAT_UNASSIGNED)
    assert [event.payload["data"]["user"]["email"] for event in taken] == ["guest@example.com"]
