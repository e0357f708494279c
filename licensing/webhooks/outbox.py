"""The webhooks' outbox: the events of a change written in the change's own transaction.

Every service writes the activity log (licensing.activity.services), so the events are derived from
its rows there, one hook for every path (the portal, the Django admin, the APIs, the jobs): an
action of `TYPE_OF_ACTION` becomes an `Event`, with a `Delivery` for each enabled endpoint that
subscribed to it, its team's or the vendor's. Nothing is written when no endpoint listens. A change
that is rolled back takes its events with it; the worker's job is enqueued in the same transaction
(licensing.webhooks.tasks), so it starts once the change has committed."""

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Subscription
from licensing.teams.models import Member
from licensing.webhooks import dispatch
from licensing.webhooks.models import Delivery, Endpoint, Event, EventType
from licensing.webhooks.tasks import deliveries_start

Action = ActivityEvent.Action

TYPE_OF_ACTION: dict[str, str] = {
    Action.MEMBER_INVITED: EventType.MEMBER_INVITED,
    Action.INVITATION_ACCEPTED: EventType.MEMBER_JOINED,
    Action.MEMBER_DELETED: EventType.MEMBER_DELETED,
    Action.ROLE_CHANGED: EventType.ROLE_CHANGED,
    Action.PRODUCT_ASSIGNED: EventType.SEAT_ASSIGNED,
    Action.PRODUCT_UNASSIGNED: EventType.SEAT_UNASSIGNED,
    # "Undo" (issue 22): a seat restored is a seat assigned again, for whoever counts them.
    Action.ASSIGNMENT_RESTORED: EventType.SEAT_ASSIGNED,
    Action.SUBSCRIPTION_ADDED: EventType.SUBSCRIPTION_PURCHASED,
    Action.SEATS_CHANGED: EventType.SUBSCRIPTION_CHANGED,
    Action.CONTRACT_MANAGER_CHANGED: EventType.SUBSCRIPTION_CHANGED,
    Action.SUBSCRIPTION_MOVED: EventType.SUBSCRIPTION_MOVED,
    Action.SUBSCRIPTION_RENEWED: EventType.SUBSCRIPTION_RENEWED,
}
# Actions of the order API (issue 21 §2), mapped by their value when the activity log has them: a
# termination ends the subscription now; a cancellation at term end changes it (it ends later, when
# its term does: `subscriptions_ended_emit`).
for _value, _type in (
    ("subscription_terminated", EventType.SUBSCRIPTION_ENDED),
    ("subscription_cancelled", EventType.SUBSCRIPTION_CHANGED),
):
    if _value in Action.values:
        TYPE_OF_ACTION[_value] = _type
# How far back the periodic command looks for terms that ended (it runs every few minutes; a week
# covers a worker or timer that was down for days).
ENDED_LOOKBACK_DAYS = 7


def _related(row: ActivityEvent, name: str):
    """The related object `name` of `row` if the row was built with it, else None: no query."""
    field = ActivityEvent._meta.get_field(name)
    return getattr(row, name) if field.is_cached(row) else None


def team_data(team) -> dict[str, Any]:
    return {"id": team.pk, "name": team.name}


def user_data(user) -> dict[str, Any]:
    return {"id": user.pk, "email": user.email, "name": user.get_full_name()}


def data_of_activity(row: ActivityEvent) -> dict[str, Any]:
    """The `data` of the payload of an activity row: who, what, the team, the user and product
    concerned, and the values before and after."""
    team, user, product, actor = (_related(row, name) for name in ("team", "target_user", "product", "actor"))
    return {
        "team": team_data(team) if team else ({"id": row.team_id} if row.team_id else None),
        "user": user_data(user) if user else ({"id": row.target_user_id} if row.target_user_id else None),
        "product": {"id": product.pk, "code": product.code, "name": product.name}
        if product
        else ({"id": row.product_id} if row.product_id else None),
        "target": row.target,
        "before": row.before,
        "after": row.after,
        "actor": {"email": actor.email} if actor else None,
        "via": row.via,
    }


def events_from_activity(rows: Iterable[ActivityEvent]) -> None:
    """The events of these activity rows, just written, for the endpoints that listen (see module)."""
    events_emit(
        (TYPE_OF_ACTION[row.action], row.team_id, data_of_activity(row), row.created_at)
        for row in rows
        if row.action in TYPE_OF_ACTION
    )


def events_from_inserted(*, action: str, created_at, members) -> None:
    """The events of the activity rows that `activity.services.events_record_members` has just written
    with one INSERT ... SELECT (`action` at `created_at`, one per member of the queryset `members`):
    read back only when this kind of change has an endpoint listening to one of their teams, so that
    thousands of rows cost one query more when nobody listens, as events_record's do."""
    if action not in TYPE_OF_ACTION:
        return
    team_ids = set(members.order_by().values_list("team_id", flat=True).distinct())
    if not Endpoint.objects.listening(team_ids).exists():
        return
    rows = (
        ActivityEvent.objects.filter(
            action=action, created_at=created_at, team_id__in=team_ids, target_user__in=members.values("user_id")
        )
        .select_related("team", "target_user", "product", "actor")
        .order_by("pk")
    )
    events_from_activity(rows.iterator(chunk_size=2000))


def events_emit(items: Iterable[tuple[str, int | None, dict[str, Any], Any]]) -> list[Event]:
    """Write the events `(type, team id, data, when)` with a delivery to every enabled endpoint that
    subscribed to its type (the team's and the vendor's), and have them sent after commit. An event no
    endpoint listens to is not written. One query when nothing listens."""
    items = list(items)
    if not items:
        return []
    team_ids = {team_id for _, team_id, _, _ in items if team_id is not None}
    endpoints = list(Endpoint.objects.listening(team_ids).only("pk", "team_id", "event_types"))
    if not endpoints:
        return []
    events, targets = [], []
    for type_, team_id, data, when in items:
        listening = [
            endpoint.pk
            for endpoint in endpoints
            if type_ in endpoint.event_types and (endpoint.team_id is None or endpoint.team_id == team_id)
        ]
        if listening:
            when = when or timezone.now()
            payload = {"type": type_, "timestamp": when.isoformat(), "data": data}
            events.append(Event(type=type_, team_id=team_id, payload=payload, created_at=when))
            targets.append(listening)
    if not events:
        return []
    Event.objects.bulk_create(events)
    now = timezone.now()
    Delivery.objects.bulk_create(
        Delivery(endpoint_id=endpoint_id, event=event, next_attempt_at=now)
        for event, listening in zip(events, targets, strict=True)
        for endpoint_id in listening
    )
    endpoint_ids = sorted({endpoint_id for listening in targets for endpoint_id in listening})
    deliveries_start(endpoint_ids)
    return events


def licence_refused_emit(*, user, product, over_allocated_team_ids: set[int]) -> None:
    """A licence check refused `user` for lack of a seat of `product`: an event for each team where
    they are an active member, saying whether they held an assignment beyond the team's seats
    (`over_allocated`) or none (`not_assigned`). Nothing is read when no endpoint listens."""
    if not Endpoint.objects.filter(enabled=True).exists():
        return
    memberships = Member.objects.filter(user=user, status=Member.Status.ACTIVE).select_related("team")
    now = timezone.now()
    with transaction.atomic():
        events_emit(
            (
                EventType.LICENCE_REFUSED,
                member.team_id,
                {
                    "team": team_data(member.team),
                    "user": user_data(user),
                    "product": {"id": product.pk, "code": product.code, "name": product.name},
                    "reason": "over_allocated" if member.team_id in over_allocated_team_ids else "not_assigned",
                },
                now,
            )
            for member in memberships
        )


def subscriptions_ended_emit(*, today=None) -> int:
    """`subscription.ended` for every subscription whose term ended (its last day before `today`)
    within ENDED_LOOKBACK_DAYS and that has not had one: run by the periodic command, since the end
    of a term is no one's change. Once per subscription and term end. Returns how many."""
    today = today or timezone.localdate()
    ended = list(
        Subscription.objects.filter(
            term_end__lt=today, term_end__gte=today - timedelta(days=ENDED_LOOKBACK_DAYS)
        ).select_related("team", "product", "contract")
    )
    team_ids = {subscription.team_id for subscription in ended}
    if not ended or not Endpoint.objects.listening(team_ids).exists():
        return 0
    told = {
        (event.payload["data"]["subscription"]["id"], event.payload["data"]["subscription"]["term_end"])
        for event in Event.objects.filter(
            type=EventType.SUBSCRIPTION_ENDED,
            team_id__in=team_ids,
            created_at__gte=timezone.now() - timedelta(days=ENDED_LOOKBACK_DAYS + 2),
        ).only("payload")
        if (event.payload.get("data") or {}).get("subscription")
    }
    items = [
        (
            EventType.SUBSCRIPTION_ENDED,
            subscription.team_id,
            {
                "team": team_data(subscription.team),
                "subscription": {
                    "id": subscription.pk,
                    "contract": subscription.contract.number,
                    "product": {"code": subscription.product.code, "name": subscription.product.name},
                    "seats": subscription.seats,
                    "term_start": subscription.term_start.isoformat(),
                    "term_end": subscription.term_end.isoformat(),
                },
                "reason": "term_ended",
            },
            None,
        )
        for subscription in ended
        if (subscription.pk, subscription.term_end.isoformat()) not in told
    ]
    with transaction.atomic():
        return len(events_emit(items))


def webhooks_sweep() -> int:
    """The periodic command's part of webhooks: `subscription.ended` for the terms that ended, and the
    endpoints whose deliveries are due and that nobody sends started again (a worker that died, a
    backend that cannot wait). Returns how many endpoints were started."""
    subscriptions_ended_emit()
    endpoint_ids = dispatch.endpoints_due()
    deliveries_start(endpoint_ids)
    return len(endpoint_ids)
