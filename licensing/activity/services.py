"""Writing the activity log. Every service that changes people, roles, seats, teams or
subscriptions calls `event_record` inside its own transaction; one that writes thousands of rows at
once (an import) builds them with `event_build` and writes them with `events_record`.

The webhooks' outbox is filled here too, in the same transaction (licensing.webhooks.outbox): every
path that writes the log tells the endpoints that listen."""

from collections.abc import Iterable
from typing import Any

from licensing.activity.context import current_ip, current_via
from licensing.activity.models import ActivityEvent
from licensing.webhooks.outbox import events_from_activity

# Rows per INSERT when many are written at once.
BATCH_SIZE = 1000


def event_build(
    *,
    action: str,
    actor=None,
    team=None,
    target_user=None,
    product=None,
    target: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> ActivityEvent:
    """The row `event_record` writes, unsaved: with the request's origin and address when there is one."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return ActivityEvent(
        action=action,
        actor=actor,
        via=current_via.get() if actor is not None else ActivityEvent.Via.SYSTEM,
        team=team,
        target_user=target_user,
        product=product,
        target=str(target)[:300],
        before=before,
        after=after,
        ip_address=current_ip.get(),
    )


def event_record(**fields) -> ActivityEvent:
    """Add one row to the activity log, with the request's origin and address when there is one: the
    row `event_build` builds from the same keyword arguments."""
    event = event_build(**fields)
    event.save(force_insert=True)
    events_from_activity([event])
    return event


def events_record(events: Iterable[ActivityEvent]) -> None:
    """Add many rows built by `event_build` to the activity log, in a few INSERTs."""
    events = ActivityEvent.objects.bulk_create(list(events), batch_size=BATCH_SIZE)
    events_from_activity(events)
