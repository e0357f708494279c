"""The seats groups give (R-GR2..R-GR5): the one place that adds or takes a group's share of a seat,
and `waiting_seat`, which seats the waiting members as soon as the pool has room.

Every function here runs inside the caller's service transaction, after the caller has locked the
team (`licensing.teams.services.lock_teams`): it reads the seats free and writes in the same breath.
It sits below `teams.services` and `subscriptions.services` (docs/architecture.md), which call it when
a seat is freed (an unassign, a member deleted) or seats are added.

A seat is one `Assignment` per member and product (R-GR3), held directly (`direct`) and/or through
groups (`AssignmentGrant`). Its items are the union of the direct items and of each granting group's
items. While no group shares a seat, `items` are its direct items and `direct_items` is empty; once a
group shares it, `direct_items` keeps the direct choice (copied from `items` when the first group
comes), and is emptied again when the last group goes.

Waiting (R-GR5): a group that needs more seats than are free seats its members in the order they
joined it and records the rest in `SeatWait`, with the reason. `waiting_seat` seats the waiting of a
team and product oldest first (`since`, then the order they were recorded). Whenever members wait,
the pool is full, so a newcomer never jumps the queue: the group services call `waiting_seat` first.

Speed (issue 20: a group of 10,000 members, bench/groups.py): the new seats, their grants and items
are written by INSERT ... SELECT from the members (`_seats_insert`), the members' activity rows by
`events_record_members`, the seats that go are read as values and deleted by a DELETE per table
(`_assignments_delete`): a few statements per 500 members, no model instance per row but the mails'.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, events_record, events_record_members
from licensing.groups.models import AssignmentGrant, Group, GroupMember, GroupProduct, SeatWait
from licensing.groups.tasks import seat_mails_enqueue
from licensing.subscriptions.models import Assignment, Product, ProductItem, Subscription
from licensing.teams.models import Member, Team, member_first_name, member_last_name

# Rows per INSERT, and ids per IN (…): below SQLite's limit of variables in one statement.
CHUNK = 500


def _chunks(values: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def seats_free(team: Team, product: Product) -> int:
    """R-SE1: the team's seats of `product` not held by anyone, never below 0."""
    purchased = Subscription.objects.seats_of(team, product)
    held = Assignment.objects.filter(team=team, product=product).count()
    return max(0, purchased - held)


def wait_reason(team: Team, product: Product) -> str:
    """Why a member of a group gets no seat of `product` now: a `SeatWait.Reason` code, kept with the
    wait and said in the reader's language where it is shown."""
    if Subscription.objects.seats_of(team, product) == 0:
        return SeatWait.Reason.NO_SUBSCRIPTION
    return SeatWait.Reason.NO_FREE_SEAT


def group_product_items(group_ids: Iterable[int], product_id: int) -> dict[int, set[int]]:
    """group id → the ids of the items each of `group_ids` gives of the product (empty set for a
    group that gives the product without items)."""
    group_ids = list(group_ids)
    found: dict[int, set[int]] = {group_id: set() for group_id in group_ids}
    through = GroupProduct.items.through
    for part in _chunks(group_ids):
        rows = through.objects.filter(groupproduct__group_id__in=part, groupproduct__product_id=product_id)
        for group_id, item_id in rows.values_list("groupproduct__group_id", "productitem_id"):
            found[group_id].add(item_id)
    return found


def _codes(item_ids: Iterable[int], items: dict[int, ProductItem]) -> dict:
    """The items as the activity log records them (`subscriptions.services.items_for_log`)."""
    return {"items": sorted(items[pk].code for pk in item_ids if pk in items)}


def _rows(model, field: str, ids: list[int]) -> Iterable:
    for part in _chunks(ids):
        yield from model.objects.filter(**{f"{field}__in": part})


def _by_assignment(model, field: str, assignment_ids: list[int], kind=set) -> dict:
    """assignment id → the `field` values of `model`'s rows of it (a set, or a list), in chunks of ids."""
    found = defaultdict(kind)
    add = "add" if kind is set else "append"
    for part in _chunks(assignment_ids):
        for assignment_id, value in model.objects.filter(assignment_id__in=part).values_list("assignment_id", field):
            getattr(found[assignment_id], add)(value)
    return found


def _items_of(assignment_ids: list[int], direct: bool = False) -> dict[int, set[int]]:
    """assignment id → the ids of its items (or of its direct items)."""
    through = (Assignment.direct_items if direct else Assignment.items).through
    return _by_assignment(through, "productitem_id", assignment_ids)


def _grants_of(assignment_ids: list[int]) -> dict[int, set[int]]:
    """assignment id → the ids of the groups that give it."""
    return _by_assignment(AssignmentGrant, "group_id", assignment_ids)


def _items_set(assignment, before: set[int], wanted: set[int]) -> None:
    through = Assignment.items.through
    if before - wanted:
        through.objects.filter(assignment_id=assignment.pk, productitem_id__in=before - wanted).delete()
    if wanted - before:
        through.objects.bulk_create(
            [through(assignment_id=assignment.pk, productitem_id=pk) for pk in sorted(wanted - before)]
        )


def _member_events(member_ids: list[int], **fields) -> None:
    """`events_record_members` for these members, per CHUNK of ids."""
    for part in _chunks(member_ids):
        events_record_members(Member.objects.filter(pk__in=part), **fields)


def _seats_insert(group: Group, product: Product, member_ids: list[int], gives: set[int], actor, now) -> None:
    """Seat `member_ids` (members of the group's team without a seat of `product`): their assignments
    (not direct), the group's grant of each and the group's items, set-based: INSERT ... SELECT from
    the members, per CHUNK of them, instead of a model instance per row (issue 20's benchmark)."""
    if not member_ids:
        return
    qn = connection.ops.quote_name
    seat, grant = Assignment._meta, AssignmentGrant._meta
    items = Assignment.items.through._meta
    member = Member._meta.db_table
    assigned_at = connection.ops.adapt_datetimefield_value(now)
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    with connection.cursor() as cursor:
        for part in _chunks(member_ids):
            marks = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"INSERT INTO {qn(seat.db_table)} "
                "(member_id, team_id, product_id, direct, assigned_by_id, assigned_at) "
                f"SELECT m.id, m.team_id, %s, %s, %s, %s FROM {qn(member)} m WHERE m.id IN ({marks}) ORDER BY m.id",
                [product.pk, False, actor_id, assigned_at, *part],
            )
            cursor.execute(
                f"INSERT INTO {qn(grant.db_table)} (assignment_id, group_id) SELECT a.id, %s "
                f"FROM {qn(seat.db_table)} a WHERE a.product_id = %s AND a.member_id IN ({marks})",
                [group.pk, product.pk, *part],
            )
            if gives:
                chosen = sorted(gives)
                item_marks = ", ".join(["%s"] * len(chosen))
                cursor.execute(
                    f"INSERT INTO {qn(items.db_table)} (assignment_id, productitem_id) SELECT a.id, i.id "
                    f"FROM {qn(seat.db_table)} a, {qn(ProductItem._meta.db_table)} i "
                    f"WHERE a.product_id = %s AND a.member_id IN ({marks}) AND i.id IN ({item_marks})",
                    [product.pk, *part, *chosen],
                )


def seats_give(
    *,
    group: Group,
    product: Product,
    memberships: list[GroupMember],
    actor,
    reason: str | None = None,
    notify: bool = True,
) -> tuple[list[Member], list[Member]]:
    """Give each member of `memberships` (members of `group`, in the order they joined it) the seat of
    `product` through `group` (R-GR2): a member who holds it already keeps the one seat and gains the
    group's items (R-GR3); the others are seated in joined order while seats are free, and the rest
    wait with the reason (R-GR5). Returns (seated, waiting): the members given a new seat and those
    left waiting. Activity rows name the group (R-GR8); each member seated is mailed after commit,
    unless `notify` is False (a member deleted and restored by "Undo" gets back what they had)."""
    team = group.team
    now = timezone.now()
    gives = group_product_items([group.pk], product.pk)[group.pk]
    items = {item.pk: item for item in ProductItem.objects.filter(product=product)}
    member_ids = list(dict.fromkeys(m.member_id for m in memberships))
    held = {
        a.member_id: a
        for part in _chunks(member_ids)
        for a in Assignment.objects.filter(product=product, member_id__in=part)
    }
    held_ids = [a.pk for a in held.values()]
    grants = _grants_of(held_ids)
    current = _items_of(held_ids)
    events = []

    # Seats held already (directly or through other groups): one seat, the items the union (R-GR3).
    new_grants, direct_copies, item_rows = [], [], []
    for assignment in held.values():
        if group.pk in grants[assignment.pk]:
            continue
        if assignment.direct and not grants[assignment.pk]:
            # The first group to share a direct seat: keep the direct choice apart (module docstring).
            direct_copies += [(assignment.pk, pk) for pk in current[assignment.pk]]
        new_grants.append(AssignmentGrant(assignment=assignment, group=group))
        added = gives - current[assignment.pk]
        item_rows += [(assignment.pk, pk) for pk in sorted(added)]
        if added:
            member = next(m.member for m in memberships if m.member_id == assignment.member_id)
            events.append(
                event_build(
                    action=ActivityEvent.Action.ASSIGNMENT_CHANGED,
                    actor=actor,
                    team=team,
                    target_user=member.user,
                    product=product,
                    target=member.name,
                    before=_codes(current[assignment.pk], items),
                    after={**_codes(current[assignment.pk] | gives, items), "group": group.name},
                )
            )

    # The members without a seat: in joined order, up to the seats free (R-GR5).
    seen, needing = set(held), []
    for membership in memberships:
        if membership.member_id not in seen:
            seen.add(membership.member_id)
            needing.append(membership)
    free = seats_free(team, product)
    seating, waiting = needing[:free], needing[free:]
    # The new seats, their grants and items: INSERT ... SELECT, a few statements per 500 members.
    _seats_insert(group, product, [m.member_id for m in seating], gives, actor, now)
    AssignmentGrant.objects.bulk_create(new_grants, batch_size=CHUNK)
    through = Assignment.items.through
    through.objects.bulk_create([through(assignment_id=a, productitem_id=i) for a, i in item_rows], batch_size=CHUNK)
    direct_through = Assignment.direct_items.through
    direct_through.objects.bulk_create(
        [direct_through(assignment_id=a, productitem_id=i) for a, i in direct_copies], batch_size=CHUNK
    )
    # Whoever holds the seat now waits no more for this group.
    done = [m.member_id for m in seating] + list(held)
    for part in _chunks(done):
        SeatWait.objects.filter(group=group, product=product, member_id__in=part).delete()
    if waiting:
        reason = reason or wait_reason(team, product)
        SeatWait.objects.bulk_create(
            [
                SeatWait(group=group, member=m.member, product=product, since=m.joined_at, reason=reason)
                for m in waiting
            ],
            batch_size=CHUNK,
            ignore_conflicts=True,  # already waiting through this group: keeps their place
        )
    events_record(events)  # the seats held already whose items grew
    # One row per member seated or waiting, set-based (R-GR8: naming the group).
    log = _codes(gives, items)
    _member_events(
        [m.member_id for m in seating],
        action=ActivityEvent.Action.PRODUCT_ASSIGNED,
        actor=actor,
        product=product,
        after={**log, "group": group.name},
    )
    _member_events(
        [m.member_id for m in waiting],
        action=ActivityEvent.Action.SEAT_WAITING,
        actor=actor,
        product=product,
        after={"group": group.name, "reason": str(reason) if waiting else None},
    )
    if seating and notify:
        # Mailed by jobs after commit (licensing/groups/tasks.py): the admin does not wait for 10,000
        # mails to be rendered.
        chosen = sorted((items[pk] for pk in gives), key=lambda item: (item.kind, item.name))
        seat_mails_enqueue(
            group_name=group.name,
            team=team,
            product=product,
            items=chosen,
            actor=actor,
            member_ids=[m.member_id for m in seating],
        )
    return [m.member for m in seating], [m.member for m in waiting]


def seats_take(*, group: Group, product: Product, member_ids: list[int] | None, actor) -> int:
    """Take away what `group` gives of `product` from the members `member_ids` (None: all of them),
    and their waits for it through the group. A seat goes only when neither a direct assignment nor
    another group still gives it; otherwise it keeps the items someone else gives (R-GR4). Returns
    the number of seats freed: the caller then calls `waiting_seat`."""
    grants = AssignmentGrant.objects.filter(group=group, assignment__product=product)
    waits = SeatWait.objects.filter(group=group, product=product)
    if member_ids is None:
        taken = list(grants.values_list("assignment_id", flat=True))
        waits.delete()
    else:
        taken = []
        for part in _chunks(member_ids):
            taken += grants.filter(assignment__member_id__in=part).values_list("assignment_id", flat=True)
            waits.filter(member_id__in=part).delete()
    if not taken:
        return 0
    for part in _chunks(taken):
        AssignmentGrant.objects.filter(group=group, assignment_id__in=part).delete()
    return _seats_settle(taken, product, actor, group_name=group.name)


@dataclass(frozen=True)
class _Seat:
    """What settling needs of an assignment: read as values, not as model instances with their member,
    user and team (thousands at once when a group loses a product)."""

    pk: int
    direct: bool
    team_id: int
    member_id: int
    user_id: int
    first_name: str
    last_name: str
    email: str

    @property
    def name(self) -> str:  # Member.name
        return f"{self.first_name or ''} {self.last_name or ''}".strip() or self.email


def _seat_event(action: str, seat: _Seat, actor, product: Product, **fields) -> ActivityEvent:
    event = event_build(action=action, actor=actor, product=product, target=seat.name, **fields)
    event.team_id, event.target_user_id = seat.team_id, seat.user_id
    return event


def _seats_settle(assignment_ids: list[int], product: Product, actor, *, group_name: str) -> int:
    """Bring the items of these assignments (of `product`) to the union of what still gives them, and
    delete those nothing gives any more (R-GR4). Returns the number deleted."""
    items = {item.pk: item for item in ProductItem.objects.filter(product=product)}
    seats = [
        _Seat(*row)
        for part in _chunks(assignment_ids)
        for row in Assignment.objects.filter(pk__in=part)
        .order_by("pk")
        .values_list(
            "pk",
            "direct",
            "team_id",
            "member_id",
            "member__user_id",
            member_first_name("member__"),
            member_last_name("member__"),
            "member__user__email",
        )
    ]
    grants = _grants_of(assignment_ids)
    current = _items_of(assignment_ids)
    direct = _items_of(assignment_ids, direct=True)
    gives = group_product_items({g for gs in grants.values() for g in gs}, product.pk)
    events, gone, direct_clear = [], [], []
    gone_by_items: dict[frozenset, list[int]] = defaultdict(list)  # the seats that go, by their items
    for seat in seats:
        if not seat.direct and not grants[seat.pk]:
            gone.append(seat.pk)
            gone_by_items[frozenset(current[seat.pk])].append(seat.member_id)
            continue
        wanted = set(direct[seat.pk]) if seat.direct else set()
        for group_id in grants[seat.pk]:
            wanted |= gives[group_id]
        if seat.direct and not grants[seat.pk]:
            direct_clear.append(seat.pk)  # no group shares it now: `items` are the direct items
        if wanted != current[seat.pk]:
            _items_set(seat, current[seat.pk], wanted)
            events.append(
                _seat_event(
                    ActivityEvent.Action.ASSIGNMENT_CHANGED,
                    seat,
                    actor,
                    product,
                    before=_codes(current[seat.pk], items),
                    after={**_codes(wanted, items), **({"group": group_name} if group_name else {})},
                )
            )
    for part in _chunks(direct_clear):
        Assignment.direct_items.through.objects.filter(assignment_id__in=part).delete()
    events_record(events)
    for held_items, member_ids in gone_by_items.items():
        _member_events(
            member_ids,
            action=ActivityEvent.Action.PRODUCT_UNASSIGNED,
            actor=actor,
            product=product,
            before=_codes(held_items, items),
            after={"group": group_name},
        )
    _assignments_delete(gone)
    return len(gone)


def _assignments_delete(assignment_ids: list[int]) -> None:
    """Delete these assignments and their items and grants: a DELETE per table and CHUNK of ids, not
    Django's collector, which reads every assignment first (seconds for a group of 10,000)."""
    qn = connection.ops.quote_name
    tables = [
        (Assignment.items.through._meta.db_table, "assignment_id"),
        (Assignment.direct_items.through._meta.db_table, "assignment_id"),
        (AssignmentGrant._meta.db_table, AssignmentGrant._meta.get_field("assignment").column),
        (Assignment._meta.db_table, "id"),
    ]
    with connection.cursor() as cursor:
        for part in _chunks(assignment_ids):
            marks = ", ".join(["%s"] * len(part))
            for table, column in tables:
                cursor.execute(f"DELETE FROM {qn(table)} WHERE {qn(column)} IN ({marks})", part)


def seats_settle(*, assignment_ids: list[int], product: Product, actor, group_name: str) -> int:
    """`_seats_settle` for the group services: after a group's items of a product changed."""
    return _seats_settle(assignment_ids, product, actor, group_name=group_name)


def waiting_seat(team: Team, product: Product, actor=None) -> int:
    """Seat the members of `team` waiting for `product` (R-GR5), oldest first, as far as the seats
    free allow; a waiting member who holds the seat already (given directly meanwhile) gains the
    group's share at no seat's cost. Called, under the team's lock, wherever the pool may have
    grown: an unassign, a member deleted, a group's seat taken away, seats added or bought. Returns
    the number of members seated."""
    waits = list(
        SeatWait.objects.filter(group__team=team, product=product)
        .select_related("group__team", "member__user")
        .order_by("since", "pk")
    )
    if not waits:
        return 0
    held = set()
    for part in _chunks(list({w.member_id for w in waits})):
        held.update(
            Assignment.objects.filter(team=team, product=product, member_id__in=part).values_list(
                "member_id", flat=True
            )
        )
    free = seats_free(team, product)
    chosen, seats = [], set()
    for wait in waits:
        if wait.member_id in held or wait.member_id in seats:
            chosen.append(wait)
        elif len(seats) < free:
            seats.add(wait.member_id)
            chosen.append(wait)
    by_group: dict[int, list[SeatWait]] = defaultdict(list)
    for wait in chosen:
        by_group[wait.group_id].append(wait)
    seated = 0
    for group_waits in by_group.values():
        group = group_waits[0].group
        memberships = [GroupMember(group=group, member=w.member, joined_at=w.since) for w in group_waits]
        new, _waiting = seats_give(group=group, product=product, memberships=memberships, actor=actor)
        seated += len(new)
    return seated


def member_groups_leave(*, member: Member, actor) -> list[str]:
    """R-GR7: record that a member being deleted (R-D1) leaves every group of the team; the rows go
    with the member (cascade), their seats are recorded as unassigned by `member_delete`. Returns the
    groups' names."""
    names = list(Group.objects.filter(memberships__member=member).order_by("name").values_list("name", flat=True))
    events_record(
        event_build(
            action=ActivityEvent.Action.GROUP_MEMBER_REMOVED,
            actor=actor,
            team=member.team,
            target_user=member.user,
            target=member.name,
            before={"group": name},
        )
        for name in names
    )
    return names


def groups_giving(assignment_ids: list[int]) -> dict[int, list[str]]:
    """assignment id → the names of the groups that give it, for the activity rows and the pages."""
    return _by_assignment(AssignmentGrant, "group__name", assignment_ids, kind=list)


def seats_lost(*, group: Group, member_ids: list[int] | None = None) -> dict[int, int]:
    """product id → how many seats the members `member_ids` of `group` (None: all of them) would lose
    if they left the group, or the group lost the product: the seats it gives that neither a direct
    assignment nor another group still gives (R-GR4, the rule of `seats_take`). For the screens to
    say before the admin confirms; a read."""
    others = AssignmentGrant.objects.filter(assignment=OuterRef("assignment")).exclude(group=group)
    grants = AssignmentGrant.objects.filter(group=group, assignment__direct=False).exclude(Exists(others))
    parts = [grants]
    if member_ids is not None:
        parts = [grants.filter(assignment__member_id__in=part) for part in _chunks(member_ids)]
    lost: dict[int, int] = defaultdict(int)
    for part in parts:
        counts = part.order_by().values("assignment__product").annotate(total=Count("pk"))
        for product_id, total in counts.values_list("assignment__product", "total"):
            lost[product_id] += total
    return dict(lost)
