"""Writing the activity log. Every service that changes people, roles, seats, teams or
subscriptions calls `event_record` inside its own transaction."""

from typing import Any

from licensing.activity.context import current_ip, current_via
from licensing.activity.models import ActivityEvent


def event_record(
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
    """Add one row to the activity log, with the request's origin and address when there is one."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    return ActivityEvent.objects.create(
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
