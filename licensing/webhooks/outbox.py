"""The webhooks' outbox: the events of a change written in the change's own transaction.

Every service writes the activity log (licensing.activity.services), so the events are derived from
its rows there, one hook for every path (the portal, the Django admin, the APIs, the jobs): an
action of `TYPE_OF_ACTION` becomes an `Event`, with a `Delivery` for each enabled endpoint that
subscribed to it, its team's or the vendor's. Nothing is written when no endpoint listens. A change
that is rolled back takes its events with it; the worker's job is enqueued in the same transaction
(licensing.webhooks.tasks), so it starts once the change has committed."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member
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
    Action.SUBSCRIPTION_ADDED: EventType.SUBSCRIPTION_PURCHASED,
    Action.SEATS_CHANGED: EventType.SUBSCRIPTION_CHANGED,
    Action.CONTRACT_MANAGER_CHANGED: EventType.SUBSCRIPTION_CHANGED,
    Action.SUBSCRIPTION_MOVED: EventType.SUBSCRIPTION_MOVED,
    Action.SUBSCRIPTION_RENEWED: EventType.SUBSCRIPTION_RENEWED,
}
# Actions added by later work (an ended or terminated subscription) map by their value when present.
for _value in ("subscription_ended", "subscription_terminated", "subscription_cancelled"):
    if _value in Action.values:
        TYPE_OF_ACTION[_value] = EventType.SUBSCRIPTION_ENDED


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
