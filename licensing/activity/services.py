"""Writing the activity log. Every service that changes people, roles, seats, teams or
subscriptions calls `event_record` inside its own transaction; one that writes thousands of rows at
once (an import) builds them with `event_build` and writes them with `events_record`.

The webhooks' outbox is filled here too, in the same transaction (licensing.webhooks.outbox): every
path that writes the log tells the endpoints that listen."""

from collections.abc import Iterable
from typing import Any

from licensing.activity.context import current_ip, current_via
from licensing.activity.models import ActivityEvent
from licensing.webhooks.outbox import events_from_activity, events_from_inserted

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


def events_record_members(members, *, action: str, actor=None, product=None, before=None, after=None) -> int:
    """One row per member of `members` (a queryset of `licensing.teams.models.Member`), as `event_build`
    builds it with the member's team, user and name (`Member.name`) and the same `before` and `after`
    for all: one INSERT ... SELECT from the members, no model instance per row. For the thousands of
    rows of a group's change (issue 20's benchmark). Returns the number of members."""
    from django.db import connection
    from django.db.models import BigIntegerField, CharField, DateTimeField, F, GenericIPAddressField, JSONField, Value
    from django.db.models.functions import Cast, Coalesce, Concat, NullIf, Substr, Trim
    from django.utils import timezone

    from licensing.teams.models import member_first_name, member_last_name

    template = event_build(action=action, actor=actor, product=product, before=before, after=after)
    now = timezone.now()

    def const(value, field):
        return Cast(Value(value), field)

    def json(value):
        return const(None, JSONField()) if value is None else Value(value, output_field=JSONField())

    name = Coalesce(
        NullIf(Trim(Concat(member_first_name(), Value(" "), member_last_name(), output_field=CharField())), Value("")),
        F("user__email"),
        output_field=CharField(),
    )
    rows = (
        members.order_by("pk")
        .annotate(
            e_created_at=Value(now, output_field=DateTimeField()),
            e_actor=const(template.actor_id, BigIntegerField()),
            e_via=const(template.via, CharField()),
            e_team=F("team_id"),
            e_action=const(action, CharField()),
            e_target_user=F("user_id"),
            e_product=const(template.product_id, BigIntegerField()),
            e_target=Substr(name, 1, 300),
            e_before=json(before),
            e_after=json(after),
            e_ip=const(template.ip_address, GenericIPAddressField()),
        )
        .values_list(
            "e_created_at",
            "e_actor",
            "e_via",
            "e_team",
            "e_action",
            "e_target_user",
            "e_product",
            "e_target",
            "e_before",
            "e_after",
            "e_ip",
        )
    )
    select, params = rows.query.sql_with_params()
    opts = ActivityEvent._meta
    columns = ", ".join(
        connection.ops.quote_name(opts.get_field(name).column)
        for name in (
            "created_at",
            "actor",
            "via",
            "team",
            "action",
            "target_user",
            "product",
            "target",
            "before",
            "after",
            "ip_address",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {connection.ops.quote_name(opts.db_table)} ({columns}) {select}", params)
        count = cursor.rowcount
    # The webhooks' outbox, as events_record fills it (R-API4): the rows just written, read back only
    # when an endpoint listens to this change of these teams.
    events_from_inserted(action=action, created_at=now, members=members)
    return count
