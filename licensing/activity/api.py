"""The team-admin API's activity log (issue 21 §3, R-R3): the team's events, newest first, a page at
a time, each with its codes (for programs) and in words (as the screen shows it). The door, paging
and problems are licensing.teams.api's."""

from datetime import date, datetime, timedelta

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from licensing.activity.filters import DATE_OUT_OF_RANGE, FIRST_DAY, last_day, start_of, team_events
from licensing.activity.models import ActivityEvent
from licensing.activity.words import LogReader
from licensing.teams.api.door import TAG, PageIn, PageOut, acting_team, errors_of, paged, refused, team_token

router = Router(tags=[TAG])


class ChangeOut(Schema):
    field: str
    before: str | None
    after: str | None


class EventOut(Schema):
    id: int
    created_at: datetime
    action: str = Field(description="The kind of event, a code: member_invited, role_changed, product_assigned, ...")
    action_label: str = Field(description="The same in words, in the request's language.")
    actor: str | None = Field(description="The e-mail address of who did it; null for the system.")
    via: str = Field(description="portal, admin (support staff), api or system.")
    target: str
    target_user: str | None
    product: str | None = Field(description="The product's code, where the event concerns one.")
    before: dict | None
    after: dict | None
    changes: list[ChangeOut] = Field(description="What changed, in words.")


class EventPageOut(PageOut):
    items: list[EventOut]


class EventFilterIn(PageIn):
    action: list[ActivityEvent.Action] | None = Field(None, description="Only these kinds of event.")
    since: date | None = Field(None, description="From this day on, in the portal's time zone.")
    until: date | None = Field(None, description="Up to and including this day.")


@router.get(
    "/teams/{team_id}/activity",
    auth=team_token,
    response={200: EventPageOut, **errors_of(404, 422)},
    operation_id="activity_list",
    summary="Read the activity log",
    description="Reporting › Activity log (R-R3): who changed what in the team, when and via what, newest first.",
)
def activity_list(request: HttpRequest, team_id: int, filters: Query[EventFilterIn]):
    team = acting_team(request, team_id)
    for name in ("since", "until"):
        day = getattr(filters, name)
        if day is not None and not FIRST_DAY <= day <= last_day():
            raise refused(
                422,
                "DATE_OUT_OF_RANGE",
                DATE_OUT_OF_RANGE % {"first": FIRST_DAY.isoformat(), "last": last_day().isoformat()},
                field=name,
            )
    events = team_events(team).select_related("actor", "target_user", "product")
    if filters.action:
        events = events.filter(action__in=[action.value for action in filters.action])
    if filters.since:
        events = events.filter(created_at__gte=start_of(filters.since))
    if filters.until:
        events = events.filter(created_at__lt=start_of(filters.until + timedelta(days=1)))
    items, page = paged(events, filters)
    reader = LogReader(items)
    return {
        **page,
        "items": [
            {
                "id": event.pk,
                "created_at": event.created_at,
                "action": event.action,
                "action_label": reader.action(event),
                "actor": event.actor.email if event.actor else None,
                "via": event.via,
                "target": event.target,
                "target_user": event.target_user.email if event.target_user else None,
                "product": event.product.code if event.product else None,
                "before": event.before,
                "after": event.after,
                "changes": [
                    {"field": change.label, "before": change.before, "after": change.after}
                    for change in reader.changes(event)
                ],
            }
            for event in items
        ],
    }
