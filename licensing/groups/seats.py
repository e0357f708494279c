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
"""

from collections import defaultdict
from collections.abc import Iterable

from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, events_record
from licensing.groups.models import AssignmentGrant, Group, GroupMember, GroupProduct, SeatWait
from licensing.subscriptions.models import Assignment, Product, ProductItem, Subscription
from licensing.teams.models import Member, Team
from portal.mail import mail_send_many

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


def _items_set(assignment: Assignment, before: set[int], wanted: set[int]) -> None:
    through = Assignment.items.through
    if before - wanted:
        through.objects.filter(assignment_id=assignment.pk, productitem_id__in=before - wanted).delete()
    if wanted - before:
        through.objects.bulk_create(
            [through(assignment_id=assignment.pk, productitem_id=pk) for pk in sorted(wanted - before)]
        )


def seats_give(
    *, group: Group, product: Product, memberships: list[GroupMember], actor, reason: str | None = None
) -> tuple[list[Member], list[Member]]:
    """Give each member of `memberships` (members of `group`, in the order they joined it) the seat of
    `product` through `group` (R-GR2): a member who holds it already keeps the one seat and gains the
    group's items (R-GR3); the others are seated in joined order while seats are free, and the rest
    wait with the reason (R-GR5). Returns (seated, waiting): the members given a new seat and those
    left waiting. Activity rows name the group (R-GR8); each member seated is mailed after commit."""
    team = group.team
    now = timezone.now()
    gives = group_product_items([group.pk], product.pk)[group.pk]
    items = {item.pk: item for item in ProductItem.objects.filter(product=product)}
    member_ids = list(dict.fromkeys(m.member_id for m in memberships))
    held = {a.member_id: a for a in _rows(Assignment, "member_id", member_ids) if a.product_id == product.pk}
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
    assignments = [
        Assignment(member=m.member, team=team, product=product, direct=False, assigned_by=actor, assigned_at=now)
        for m in seating
    ]
    Assignment.objects.bulk_create(assignments, batch_size=CHUNK)
    new_grants += [AssignmentGrant(assignment=a, group=group) for a in assignments]
    item_rows += [(a.pk, pk) for a in assignments for pk in sorted(gives)]
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
    log = _codes(gives, items)
    for m in seating:
        events.append(
            event_build(
                action=ActivityEvent.Action.PRODUCT_ASSIGNED,
                actor=actor,
                team=team,
                target_user=m.member.user,
                product=product,
                target=m.member.name,
                after={**log, "group": group.name},
            )
        )
    for m in waiting:
        events.append(
            event_build(
                action=ActivityEvent.Action.SEAT_WAITING,
                actor=actor,
                team=team,
                target_user=m.member.user,
                product=product,
                target=m.member.name,
                after={"group": group.name, "reason": reason},
            )
        )
    events_record(events)
    if seating:
        chosen = sorted((items[pk] for pk in gives), key=lambda item: (item.kind, item.name))
        for part in _chunks(seating):
            mail_send_many(
                template="product_assigned",
                context={"team": team, "product": product, "items": chosen, "actor": actor, "group": group.name},
                recipients=[(m.member.user, {"greeting_name": m.member.first_name}) for m in part],
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


def _seats_settle(assignment_ids: list[int], product: Product, actor, *, group_name: str) -> int:
    """Bring the items of these assignments (of `product`) to the union of what still gives them, and
    delete those nothing gives any more (R-GR4). Returns the number deleted."""
    items = {item.pk: item for item in ProductItem.objects.filter(product=product)}
    assignments = [
        assignment
        for part in _chunks(assignment_ids)
        for assignment in Assignment.objects.filter(pk__in=part).select_related("member__user", "team")
    ]
    grants = _grants_of(assignment_ids)
    current = _items_of(assignment_ids)
    direct = _items_of(assignment_ids, direct=True)
    gives = group_product_items({g for gs in grants.values() for g in gs}, product.pk)
    events, gone, direct_clear = [], [], []
    for assignment in assignments:
        member = assignment.member
        if not assignment.direct and not grants[assignment.pk]:
            gone.append(assignment.pk)
            events.append(
                event_build(
                    action=ActivityEvent.Action.PRODUCT_UNASSIGNED,
                    actor=actor,
                    team=assignment.team,
                    target_user=member.user,
                    product=product,
                    target=member.name,
                    before=_codes(current[assignment.pk], items),
                    after={"group": group_name},
                )
            )
            continue
        wanted = set(direct[assignment.pk]) if assignment.direct else set()
        for group_id in grants[assignment.pk]:
            wanted |= gives[group_id]
        if assignment.direct and not grants[assignment.pk]:
            direct_clear.append(assignment.pk)  # no group shares it now: `items` are the direct items
        if wanted != current[assignment.pk]:
            _items_set(assignment, current[assignment.pk], wanted)
            events.append(
                event_build(
                    action=ActivityEvent.Action.ASSIGNMENT_CHANGED,
                    actor=actor,
                    team=assignment.team,
                    target_user=member.user,
                    product=product,
                    target=member.name,
                    before=_codes(current[assignment.pk], items),
                    after={**_codes(wanted, items), **({"group": group_name} if group_name else {})},
                )
            )
    for part in _chunks(direct_clear):
        Assignment.direct_items.through.objects.filter(assignment_id__in=part).delete()
    events_record(events)
    for part in _chunks(gone):
        Assignment.objects.filter(pk__in=part).delete()
    return len(gone)


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
