"""Seats: assigning products to members under the team's seat pool, seats added and renewals, and
subscriptions moving between teams. Purchases and contract managers, which also invite people, are
in `purchases.py`, above `accounts.services` (docs/architecture.md).

Every function here that reads a seat count locks the team(s) first (`lock_teams`), so two admins
cannot both take the last seat, and a move cannot race an assignment."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.groups.models import AssignmentGrant
from licensing.groups.seats import groups_giving, seats_settle, waiting_seat
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members, is_support
from licensing.teams.services import (
    RESTORE_MEMBER_GONE,
    RESTORE_NO_FREE_SEAT,
    RESTORE_NO_SUBSCRIPTION,
    lock_teams,
    member_read_again,
    require,
)
from portal.db import service_transaction
from portal.mail import mail_send

from .models import Assignment, Product, ProductItem, Subscription

NO_SUBSCRIPTION = _("This team has no active subscription of %(product)s.")
NO_FREE_SEAT = ngettext_lazy(
    "The only seat of %(product)s in this team is assigned. Unassign someone or buy more seats first.",
    "All %(seats)d seats of %(product)s in this team are assigned. Unassign someone or buy more seats first.",
    "seats",
)
ALREADY_ASSIGNED = _("%(name)s already has %(product)s.")
# A seat only groups give: it goes with the group (R-GR4), not with "Unassign".
GIVEN_BY_GROUP = _(
    "%(name)s has %(product)s through the group %(groups)s. Remove them from the group, or take the product "
    "from the group."
)
# The seat an admin unassigns is gone already: another admin (or another tab, a double click, a
# stale bulk form) was first. Raised by `assignment_delete` with code "already_unassigned".
ALREADY_UNASSIGNED = _("%(name)s no longer holds a seat of %(product)s: someone unassigned it already.")
NO_ITEMS = _("Choose at least one item, or unassign the product.")
ITEM_NOT_OF_PRODUCT = _("%(item)s is not part of %(product)s.")
SEATS_NEGATIVE = _("The number of seats cannot be negative.")
# The most seats one subscription can have: far beyond any real purchase, so that a number typed
# with digits too many is refused in words instead of stored (or overflowing PostgreSQL's integer).
MAX_SEATS = 1_000_000
SEATS_TOO_MANY = _(
    "A subscription can have at most %(max)s seats; this would give it %(seats)s. Is there a digit too many?"
)
# The longest a term can run ahead: from its start, or from today for a term that started before.
# Far-off dates are typos (a year 9999 also overflows the date arithmetic of the licence check).
MAX_TERM_YEARS = 10
TERM_START_TOO_LATE = _("A term can start at most %(years)d years from today: on %(latest)s at the latest.")
TERM_END_TOO_LATE = _(
    "That end of term is too far ahead: a term can end at most %(years)d years after it starts, or after "
    "today, so on %(latest)s at the latest."
)
SEATS_BELOW_ASSIGNED = ngettext_lazy(
    "Users of %(product)s in %(team)s: %(assigned)d; seats after this change: %(seats)d. "
    "Unassign %(over)d seat first, or allow the over-allocation.",
    "Users of %(product)s in %(team)s: %(assigned)d; seats after this change: %(seats)d. "
    "Unassign %(over)d seats first, or allow the over-allocation.",
    "over",
)
TERM_INVALID = _("The term cannot end before it starts.")
SEATS_REMOVE_AT_LEAST_ONE = _("Remove at least one seat.")
SEATS_REMOVE_TOO_MANY = _("The subscription has %(seats)d seats; %(remove)d cannot be removed.")
SUBSCRIPTION_ENDED = _("The subscription ended on %(end)s.")
RENEWAL_NOT_LATER = _("A renewal must end after the current term, which ends on %(end)s.")
MOVE_SAME_TEAM = _("This subscription already belongs to %(team)s.")
MOVE_OTHER_CUSTOMER = _("A subscription can only move between teams of the same company.")
MOVE_NOT_OWNER = _("Only the subscription owner, %(owner)s, can move this subscription.")
MOVE_PAY_PER_USE = _("Pay Per Use subscriptions cannot be moved here. Contact support to move it.")
MOVE_PREMIUM_SSO = _("Premium subscriptions with SSO enabled cannot be moved here. Contact support to move it.")
MOVE_COLLABORATION_SITE = _(
    "This subscription is linked to the collaboration site %(site)s and cannot be moved here. "
    "Contact support to move it."
)
MOVE_OVER_ALLOCATED = ngettext_lazy(
    "Moving it would leave %(team)s with more users of %(product)s than seats. "
    "Unassign %(count)d seat of %(product)s in %(team)s first.",
    "Moving it would leave %(team)s with more users of %(product)s than seats. "
    "Unassign %(count)d seats of %(product)s in %(team)s first.",
    "count",
)


def _name(user) -> str:
    return user.get_full_name() or user.email


def _years_after(day: date, years: int) -> date:
    """The same day `years` later (28 February for 29 February), or the last date there is."""
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def days_after(day: date, days: int) -> date:
    """`day` plus `days`, or the last date there is rather than an OverflowError."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max


def term_start_latest(today: date | None = None) -> date:
    """The latest day a new term can start: MAX_TERM_YEARS from today."""
    return _years_after(today or timezone.localdate(), MAX_TERM_YEARS)


def term_end_latest(term_start: date, today: date | None = None) -> date:
    """The latest day a term that starts on `term_start` can end, for a purchase or a renewal:
    MAX_TERM_YEARS after its start or after today, whichever is later, so that a subscription
    renewed year after year for longer than that can still be renewed."""
    return _years_after(max(term_start, today or timezone.localdate()), MAX_TERM_YEARS)


def term_start_error(term_start: date) -> ValidationError | None:
    """TERM_START_TOO_LATE when a new term starts beyond `term_start_latest`."""
    latest = term_start_latest()
    if term_start <= latest:
        return None
    return ValidationError(
        TERM_START_TOO_LATE % {"years": MAX_TERM_YEARS, "latest": latest.isoformat()}, code="term_too_late"
    )


def term_end_error(term_start: date, term_end: date) -> ValidationError | None:
    """TERM_END_TOO_LATE when `term_end` is beyond `term_end_latest`: the one check of the services
    and the support staff's forms."""
    latest = term_end_latest(term_start)
    if term_end <= latest:
        return None
    return ValidationError(
        TERM_END_TOO_LATE % {"years": MAX_TERM_YEARS, "latest": latest.isoformat()}, code="term_too_long"
    )


def seats_error(seats: int) -> ValidationError | None:
    """SEATS_TOO_MANY when a subscription would have more than MAX_SEATS seats."""
    if seats <= MAX_SEATS:
        return None
    numbers = {"max": number_format(MAX_SEATS, force_grouping=True), "seats": number_format(seats, force_grouping=True)}
    return ValidationError(SEATS_TOO_MANY % numbers, code="too_many_seats")


def seats_purchased(team: Team, product: Product, on: date | None = None) -> int:
    """R-SE1: the sum of the seats of the team's active subscriptions of the product."""
    return Subscription.objects.seats_of(team, product, on)


def seats_assigned(team: Team, product: Product) -> int:
    return Assignment.objects.filter(team=team, product=product).count()


def _clean_items(product: Product, items: Iterable[ProductItem] | None) -> list[ProductItem]:
    all_items = list(product.items.all())
    if items is None:
        return all_items
    chosen = list(items)
    for item in chosen:
        if item.product_id != product.pk:
            raise ValidationError(ITEM_NOT_OF_PRODUCT % {"item": item.name, "product": product.name}, code="item")
    if all_items and not chosen:
        raise ValidationError(NO_ITEMS, code="no_items")
    return chosen


def items_clean(product: Product, items: Iterable[ProductItem] | None) -> list[ProductItem]:
    """The items chosen of `product`: all of them when `items` is None; refused when an item is of
    another product, or none is chosen of a product that has items."""
    return _clean_items(product, items)


def items_for_log(items: Iterable[ProductItem]) -> dict:
    return {"items": sorted(item.code for item in items)}


@service_transaction
def assignment_create(
    *, member: Member, product: Product, items: Iterable[ProductItem] | None = None, actor
) -> Assignment:
    """Give `member` a seat of `product` in the member's team (R-P2, R-BP1), with all the product's
    items or the ones chosen. Refused when the team's seats are all assigned (R-SE1). The member is
    told by mail that the product can be downloaded (R-P3)."""
    team = member.team
    if actor is not None:
        require(can_manage_members(actor, team))
    # Lock the team so that two admins cannot both take the last seat (R-SE1).
    lock_teams(team)
    # Read the member again under the lock, as the other services do: another admin may have deleted
    # them meanwhile, and the insert below would then fail on its foreign key.
    member = member_read_again(member)
    chosen = _clean_items(product, items)
    held = Assignment.objects.filter(member=member, product=product).first()
    if held is not None and not held.direct:
        # Held through groups only (R-GR3): the one seat becomes direct as well; no seat is taken.
        return _assignment_make_direct(held, member, chosen, actor)
    if held is not None:
        raise ValidationError(
            ALREADY_ASSIGNED % {"name": member.name, "product": product.name}, code="already_assigned"
        )
    purchased = seats_purchased(team, product)
    if purchased == 0:
        raise ValidationError(NO_SUBSCRIPTION % {"product": product.name}, code="no_subscription")
    if seats_assigned(team, product) >= purchased:
        raise ValidationError(NO_FREE_SEAT % {"seats": purchased, "product": product.name}, code="no_free_seat")
    assignment = Assignment.objects.create(member=member, product=product, assigned_by=actor)
    assignment.items.set(chosen)
    event_record(
        action=ActivityEvent.Action.PRODUCT_ASSIGNED,
        actor=actor,
        team=team,
        target_user=member.user,
        product=product,
        target=member.name,
        after=items_for_log(chosen),
    )
    mail_send(
        to=member.user,
        template="product_assigned",
        context={"member": member, "team": team, "product": product, "items": chosen, "actor": actor},
    )
    # A member waiting for this product through a group holds the seat now: the group's share joins it.
    waiting_seat(team, product, actor)
    return assignment


def _assignment_make_direct(assignment: Assignment, member: Member, chosen: list[ProductItem], actor) -> Assignment:
    """Assign directly a seat that groups give (R-GR3, R-GR4): it then stays when the groups go."""
    before = list(assignment.items.all())
    assignment.direct = True
    assignment.save(update_fields=["direct"])
    assignment.direct_items.set(chosen)
    groups = ", ".join(sorted(groups_giving([assignment.pk])[assignment.pk], key=str.lower))
    seats_settle(assignment_ids=[assignment.pk], product=assignment.product, actor=actor, group_name=groups)
    after = list(assignment.items.all())
    event_record(
        action=ActivityEvent.Action.PRODUCT_ASSIGNED,
        actor=actor,
        team=member.team,
        target_user=member.user,
        product=assignment.product,
        target=member.name,
        before={**items_for_log(before), "direct": False, "group": groups},
        after={**items_for_log(after), "direct": True, "group": groups},
    )
    return assignment


def _given_by_group(assignment: Assignment, groups: list[str]) -> ValidationError:
    names = {"name": assignment.member.name, "product": assignment.product.name, "groups": ", ".join(sorted(groups))}
    return ValidationError(GIVEN_BY_GROUP % names, code="given_by_group")


@service_transaction
def assignment_update(*, assignment: Assignment, items: Iterable[ProductItem], actor) -> Assignment | None:
    """Change which items of the product the member holds (R-P2, R-P4, R-BP2). Deselecting every item
    is an unassign (R-P4): the assignment is deleted and None returned."""
    team = assignment.member.team
    require(actor is None or can_manage_members(actor, team))
    lock_teams(team)
    fresh = Assignment.objects.select_related("member__user", "product").filter(pk=assignment.pk).first()
    if fresh is None:  # unassigned by another admin meanwhile, or the member deleted (R-D1)
        raise _already_unassigned(assignment, None)
    assignment = fresh
    chosen = list(items)
    if not chosen:
        _assignment_delete(assignment, actor)
        return None
    chosen = _clean_items(assignment.product, chosen)
    if AssignmentGrant.objects.filter(assignment=assignment).exists():
        return _assignment_update_shared(assignment, chosen, actor)
    before = list(assignment.items.all())
    if {i.pk for i in before} == {i.pk for i in chosen}:
        return assignment
    assignment.items.set(chosen)
    event_record(
        action=ActivityEvent.Action.ASSIGNMENT_CHANGED,
        actor=actor,
        team=team,
        target_user=assignment.member.user,
        product=assignment.product,
        target=assignment.member.name,
        before=items_for_log(before),
        after=items_for_log(chosen),
    )
    return assignment


def _assignment_update_shared(assignment: Assignment, chosen: list[ProductItem], actor) -> Assignment:
    """Change the direct items of a seat that groups share: the items are the union (R-GR3). A seat
    that only groups give is changed through the groups."""
    if not assignment.direct:
        raise _given_by_group(assignment, groups_giving([assignment.pk])[assignment.pk])
    if {i.pk for i in assignment.direct_items.all()} == {i.pk for i in chosen}:
        return assignment
    assignment.direct_items.set(chosen)
    groups = ", ".join(sorted(groups_giving([assignment.pk])[assignment.pk], key=str.lower))
    seats_settle(assignment_ids=[assignment.pk], product=assignment.product, actor=actor, group_name=groups)
    return assignment


@service_transaction
def assignment_delete(*, assignment: Assignment, actor) -> "SeatSnapshot":
    """Unassign: the member loses the product and all its items in this team (R-P4, R-BP2).
    Returns what went, for "Undo" (`assignment_restore`).

    `assignment` is what the admin saw. When it is gone by the time the team is locked (another
    admin unassigned it first, a double click, a stale bulk form, the member deleted meanwhile),
    nothing changes and ValidationError(ALREADY_UNASSIGNED, code="already_unassigned") says so:
    every caller shows that message, as it shows any refusal."""
    try:
        member = Member.objects.select_related("user", "team").get(pk=assignment.member_id)
    except Member.DoesNotExist:  # deleted from the team, and their seats with them (R-D1)
        raise _already_unassigned(assignment, None) from None
    require(actor is None or can_manage_members(actor, member.team))
    lock_teams(member.team)
    fresh = Assignment.objects.select_related("member__user", "product").filter(pk=assignment.pk).first()
    if fresh is None:
        raise _already_unassigned(assignment, member)
    return _assignment_delete(fresh, actor)


def _already_unassigned(assignment: Assignment, member: Member | None) -> ValidationError:
    """ALREADY_UNASSIGNED for the seat `assignment` was, named as the admin saw it."""
    if member is None and Assignment.member.is_cached(assignment):
        member = assignment.member
    name = member.name if member is not None else _("This user")
    return ValidationError(
        ALREADY_UNASSIGNED % {"name": name, "product": assignment.product.name}, code="already_unassigned"
    )


def _assignment_delete(assignment: Assignment, actor) -> "SeatSnapshot":
    groups = groups_giving([assignment.pk])[assignment.pk]
    if groups:
        # Groups give it too: only the direct part goes, the seat stays with their items (R-GR4).
        if not assignment.direct:
            raise _given_by_group(assignment, groups)
        snapshot = SeatSnapshot.of(assignment, assignment.direct_items.all())
        before = items_for_log(assignment.items.all())
        assignment.direct = False
        assignment.save(update_fields=["direct"])
        assignment.direct_items.clear()
        names = ", ".join(sorted(groups))
        seats_settle(assignment_ids=[assignment.pk], product=assignment.product, actor=actor, group_name=names)
        event_record(
            action=ActivityEvent.Action.ASSIGNMENT_CHANGED,
            actor=actor,
            team=assignment.member.team,
            target_user=assignment.member.user,
            product=assignment.product,
            target=assignment.member.name,
            before={**before, "direct": True},
            after={**items_for_log(assignment.items.all()), "direct": False, "group": ", ".join(sorted(groups))},
        )
        return snapshot
    snapshot = SeatSnapshot.of(assignment, assignment.items.all())
    before = items_for_log(assignment.items.all())
    event_record(
        action=ActivityEvent.Action.PRODUCT_UNASSIGNED,
        actor=actor,
        team=assignment.member.team,
        target_user=assignment.member.user,
        product=assignment.product,
        target=assignment.member.name,
        before=before,
    )
    assignment.delete()
    waiting_seat(assignment.member.team, assignment.product, actor)  # R-GR5: the freed seat
    return snapshot


# --- Undo of an unassign (issue 22) ------------------------------------------------------------


@dataclass(frozen=True)
class SeatSnapshot:
    """A seat as it was before "Unassign", for "Undo": whose (member id and name as the team saw it),
    of which product, the items the admin had chosen directly, and since when and by whom, so that
    the restored seat keeps its place in the pool's order (R-SE1: the longest-held keep the seats)."""

    assignment_id: int
    member_id: int
    name: str
    product_id: int
    item_ids: tuple[int, ...]
    assigned_at: str  # ISO 8601
    assigned_by_id: int | None

    @classmethod
    def of(cls, assignment: Assignment, items: Iterable[ProductItem]) -> "SeatSnapshot":
        return cls(
            assignment_id=assignment.pk,
            member_id=assignment.member_id,
            name=assignment.member.name,
            product_id=assignment.product_id,
            item_ids=tuple(sorted(item.pk for item in items)),
            assigned_at=assignment.assigned_at.isoformat(),
            assigned_by_id=assignment.assigned_by_id,
        )

    def to_data(self) -> list:
        """Compact JSON for a signed token (portal.undo)."""
        return [
            self.assignment_id,
            self.member_id,
            self.name,
            self.product_id,
            list(self.item_ids),
            self.assigned_at,
            self.assigned_by_id,
        ]

    @classmethod
    def from_data(cls, data) -> "SeatSnapshot":
        """The snapshot `to_data` wrote; ValueError for anything else."""
        try:
            pk, member_id, name, product_id, item_ids, assigned_at, by = data
            datetime.fromisoformat(assigned_at)
            return cls(
                assignment_id=int(pk),
                member_id=int(member_id),
                name=str(name),
                product_id=int(product_id),
                item_ids=tuple(int(item) for item in item_ids),
                assigned_at=str(assigned_at),
                assigned_by_id=None if by is None else int(by),
            )
        except (TypeError, ValueError) as error:
            raise ValueError("not a seat snapshot") from error


@dataclass
class RestoreResult:
    """What an "Undo" did, per seat (or person): restored, there already (undone before, or given
    again meanwhile), or refused with the reason; each named "person – product"."""

    restored: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


@service_transaction
def assignment_restore(*, team: Team, seats: Iterable[SeatSnapshot], actor) -> RestoreResult:
    """ "Undo" after "Unassign" (issue 22): give each seat of `seats` back as it was, with the same
    items, since the same moment. The rules are checked again under the team's lock: a seat whose
    member has left, or whose place in the pool another member took meanwhile (R-SE1), is refused
    with the reason and the others are restored. A seat held directly already (an "Undo" clicked
    twice, or assigned again meanwhile) is left as it is; a seat that only groups give meanwhile
    becomes direct again with its items, at no seat's cost (R-GR3). One activity row per seat
    restored. No mail: the person is given back what they had minutes ago."""
    require(can_manage_members(actor, team))
    (team,) = lock_teams(team)
    result = RestoreResult()
    for seat in seats:
        member = Member.objects.select_related("user", "team").filter(pk=seat.member_id, team=team).first()
        product = Product.objects.filter(pk=seat.product_id).first()
        if product is None:
            continue
        who = f"{member.name if member is not None else seat.name} – {product.name}"
        if member is None:
            result.refused.append((who, str(RESTORE_MEMBER_GONE % {"name": seat.name})))
            continue
        items = list(ProductItem.objects.filter(product=product, pk__in=seat.item_ids))
        held = Assignment.objects.filter(member=member, product=product).first()
        if held is not None and held.direct:
            result.already.append(who)
            continue
        if held is not None:
            _restore_direct_part(held, member, items, actor)
        else:
            purchased = seats_purchased(team, product)
            if purchased == 0:
                result.refused.append((who, str(RESTORE_NO_SUBSCRIPTION % {"product": product.name})))
                continue
            if seats_assigned(team, product) >= purchased:  # R-SE1
                reason = RESTORE_NO_FREE_SEAT % {"seats": purchased, "product": product.name}
                result.refused.append((who, str(reason)))
                continue
            _restore_seat(seat, member, product, items, actor)
        result.restored.append(who)
    return result


def _restore_seat(seat: SeatSnapshot, member: Member, product: Product, items: list[ProductItem], actor) -> None:
    """The seat back with its id, items, moment and assigner, unless its id is taken (never, as ids
    are not reused; but a restored row must not overwrite anything)."""
    pk = None if Assignment.objects.filter(pk=seat.assignment_id).exists() else seat.assignment_id
    assignment = Assignment.objects.create(
        pk=pk,
        member=member,
        product=product,
        assigned_by_id=seat.assigned_by_id,
        assigned_at=datetime.fromisoformat(seat.assigned_at),
    )
    assignment.items.set(items)
    event_record(
        action=ActivityEvent.Action.ASSIGNMENT_RESTORED,
        actor=actor,
        team=member.team,
        target_user=member.user,
        product=product,
        target=member.name,
        after=items_for_log(items),
    )
    # A member waiting for this product through a group holds the seat now: the group's share joins it.
    waiting_seat(member.team, product, actor)


def _restore_direct_part(assignment: Assignment, member: Member, items: list[ProductItem], actor) -> None:
    """A seat groups give, assigned directly again with the direct items it had (R-GR3, R-GR4)."""
    groups = ", ".join(sorted(groups_giving([assignment.pk])[assignment.pk], key=str.lower))
    before = items_for_log(assignment.items.all())
    assignment.direct = True
    assignment.save(update_fields=["direct"])
    assignment.direct_items.set(items)
    seats_settle(assignment_ids=[assignment.pk], product=assignment.product, actor=actor, group_name=groups)
    event_record(
        action=ActivityEvent.Action.ASSIGNMENT_RESTORED,
        actor=actor,
        team=member.team,
        target_user=member.user,
        product=assignment.product,
        target=member.name,
        before={**before, "direct": False, "group": groups},
        after={**items_for_log(assignment.items.all()), "direct": True, "group": groups},
    )


# --- Seats bought and renewals (entered by support staff or the order system) ------------------


def _lock_subscription_and_team(subscription: Subscription) -> Subscription:
    """Lock the team the subscription belongs to now, then the subscription row, and return it
    fresh. The object passed in may be stale (moved meanwhile): a move needs this team's lock too,
    so once the team read from the database is locked and still the subscription's, it stays so."""
    while True:
        team_id = Subscription.objects.filter(pk=subscription.pk).values_list("team_id", flat=True).get()
        lock_teams(Team(pk=team_id))
        # of=self: lock the subscription row only, not the product row every assignment insert points to.
        fresh = (
            Subscription.objects.select_for_update(of=("self",))
            .select_related("team", "product")
            .get(pk=subscription.pk)
        )
        if fresh.team_id == team_id:
            return fresh


@service_transaction
def subscription_add_seats(*, subscription: Subscription, seats: int, actor=None) -> Subscription:
    """More seats bought on an existing subscription stay in that subscription's team (R-SE2)."""
    if seats <= 0:
        raise ValidationError({"seats": [_("Add at least one seat.")]})
    # Add to the count read under the lock: two additions at once must both count.
    subscription = _lock_subscription_and_team(subscription)
    return subscription_set_seats(subscription=subscription, seats=subscription.seats + seats, actor=actor)


@service_transaction
def subscription_set_seats(
    *, subscription: Subscription, seats: int, allow_over_allocation: bool = False, actor=None
) -> Subscription:
    """Set a subscription's seat count (support staff). Lowering it below what the team has assigned
    of the product is refused with the numbers, unless the over-allocation is allowed on purpose;
    the pool then shows its overage and the licence check seats the longest-held first."""
    if seats < 0:
        raise ValidationError({"seats": [SEATS_NEGATIVE]})
    if error := seats_error(seats):
        raise ValidationError({"seats": [error]})
    subscription = _lock_subscription_and_team(subscription)
    if seats == subscription.seats:
        return subscription
    team, product = subscription.team, subscription.product
    if seats < subscription.seats and subscription.is_active and not allow_over_allocation:
        remaining = seats_purchased(team, product) - subscription.seats + seats
        assigned = seats_assigned(team, product)
        if assigned > remaining:
            numbers = {
                "team": team.name,
                "assigned": assigned,
                "product": product.name,
                "seats": remaining,
                "over": assigned - remaining,
            }
            # The code names the rule for the order API's problem details (SEATS_BELOW_ASSIGNED).
            error = ValidationError(SEATS_BELOW_ASSIGNED % numbers, code="seats_below_assigned")
            raise ValidationError({"seats": [error]}, code="over_allocation")
    old = subscription.seats
    subscription.seats = seats
    subscription.save(update_fields=["seats"])
    if seats > old:
        waiting_seat(team, product, actor)  # R-GR5: seats bought seat the members waiting
    event_record(
        action=ActivityEvent.Action.SEATS_CHANGED,
        actor=actor,
        team=team,
        product=product,
        target=str(subscription),
        before={"seats": old},
        after={"seats": seats},
    )
    return subscription


@service_transaction
def subscription_renew(*, subscription: Subscription, term_end: date, actor=None) -> Subscription:
    """A renewal extends the term; the subscription stays in its team. The new end is at most
    MAX_TERM_YEARS after the term's start or after today (`term_end_latest`)."""
    subscription = _lock_subscription_and_team(subscription)
    if term_end <= subscription.term_end:
        raise ValidationError({"term_end": [RENEWAL_NOT_LATER % {"end": subscription.term_end.isoformat()}]})
    if error := term_end_error(subscription.term_start, term_end):
        raise ValidationError({"term_end": [error]})
    old = subscription.term_end
    subscription.term_end = term_end
    subscription.cancelled_at = None  # renewed: no longer ending at the end of its term
    subscription.save(update_fields=["term_end", "cancelled_at"])
    waiting_seat(subscription.team, subscription.product, actor)  # a term that ended may be running again
    event_record(
        action=ActivityEvent.Action.SUBSCRIPTION_RENEWED,
        actor=actor,
        team=subscription.team,
        product=subscription.product,
        target=str(subscription),
        before={"term_end": old.isoformat()},
        after={"term_end": term_end.isoformat()},
    )
    return subscription


@service_transaction
def subscription_remove_seats(
    *, subscription: Subscription, seats: int, allow_over_allocation: bool = False, actor=None
) -> Subscription:
    """Fewer seats on a subscription (the order system: seats given back). Below what the team has
    assigned it is refused with the numbers (SEATS_BELOW_ASSIGNED) unless the over-allocation is
    allowed on purpose, which By Product then shows."""
    if seats <= 0:
        raise ValidationError({"seats": [ValidationError(SEATS_REMOVE_AT_LEAST_ONE, code="seats_at_least_one")]})
    subscription = _lock_subscription_and_team(subscription)
    if seats > subscription.seats:
        message = SEATS_REMOVE_TOO_MANY % {"seats": subscription.seats, "remove": seats}
        raise ValidationError({"seats": [ValidationError(message, code="seats_negative")]})
    return subscription_set_seats(
        subscription=subscription,
        seats=subscription.seats - seats,
        allow_over_allocation=allow_over_allocation,
        actor=actor,
    )


@service_transaction
def subscription_cancel(*, subscription: Subscription, actor=None) -> Subscription:
    """The customer cancels: the subscription runs to the end of its term and is not renewed. A
    renewal afterwards takes the cancellation back. Cancelling again changes nothing."""
    subscription = _lock_subscription_and_team(subscription)
    if subscription.cancelled_at is not None:
        return subscription
    if subscription.term_end < timezone.localdate():
        message = SUBSCRIPTION_ENDED % {"end": subscription.term_end.isoformat()}
        raise ValidationError(message, code="subscription_ended")
    subscription.cancelled_at = timezone.now()
    subscription.save(update_fields=["cancelled_at"])
    event_record(
        action=ActivityEvent.Action.SUBSCRIPTION_CANCELLED,
        actor=actor,
        team=subscription.team,
        product=subscription.product,
        target=str(subscription),
        after={"term_end": subscription.term_end.isoformat()},
    )
    return subscription


@service_transaction
def subscription_terminate(*, subscription: Subscription, actor=None) -> Subscription:
    """The subscription ends now (a refund, a breach of contract): its term ends yesterday, so that its
    seats stop counting today (R-SE1). A term that had not started yet ends before it starts: it
    starts and ends yesterday. The assignments stay; By Product shows the team over its seats, and the
    licence check seats the longest-held first within whatever seats remain."""
    subscription = _lock_subscription_and_team(subscription)
    today = timezone.localdate()
    if subscription.term_end < today:
        message = SUBSCRIPTION_ENDED % {"end": subscription.term_end.isoformat()}
        raise ValidationError(message, code="subscription_ended")
    before = {"term_start": subscription.term_start.isoformat(), "term_end": subscription.term_end.isoformat()}
    subscription.term_end = today - timedelta(days=1)
    subscription.term_start = min(subscription.term_start, subscription.term_end)
    subscription.cancelled_at = subscription.cancelled_at or timezone.now()
    subscription.save(update_fields=["term_start", "term_end", "cancelled_at"])
    event_record(
        action=ActivityEvent.Action.SUBSCRIPTION_TERMINATED,
        actor=actor,
        team=subscription.team,
        product=subscription.product,
        target=str(subscription),
        before=before,
        after={"term_start": subscription.term_start.isoformat(), "term_end": subscription.term_end.isoformat()},
    )
    return subscription


# --- Moving subscriptions between teams (R-T8..R-T11) ------------------------------------------


@dataclass(frozen=True)
class MoveBlocker:
    """Why a subscription cannot be moved. `support_can_override` marks the cases of R-T11 that
    support staff may still do in the Django admin."""

    code: str
    message: str
    support_can_override: bool = False


def subscription_move_blockers(*, subscription: Subscription, to_team: Team, actor) -> list[MoveBlocker]:
    """Every reason the actor cannot move `subscription` to `to_team` now; empty when they can.

    The move wizard shows these beside a disabled "Select"; `subscription_move` refuses on them.
    Support staff are not held to the cases of R-T11, only to the seat rule of R-T10. The rules are
    `subscriptions_move_blockers`', for one subscription.
    """
    return subscriptions_move_blockers([subscription], to_team=to_team, actor=actor)[subscription.pk]


def subscriptions_move_blockers(
    subscriptions: Iterable[Subscription], *, to_team: Team, actor
) -> dict[int, list[MoveBlocker]]:
    """`subscription_move_blockers` for many subscriptions at once: subscription id → its blockers.

    Two queries in all, whatever the number (the seats purchased and assigned in the teams they
    leave), when each subscription comes with its team, product and owner (`select_related`)."""
    subscriptions = list(subscriptions)
    support = is_support(actor)
    leaving = [s for s in subscriptions if s.team_id != to_team.pk and s.team.customer_id == to_team.customer_id]
    over = _seats_to_unassign_before_moves(leaving)
    blockers: dict[int, list[MoveBlocker]] = {}
    for subscription in subscriptions:
        if subscription.team_id == to_team.pk:
            blockers[subscription.pk] = [MoveBlocker("same_team", str(MOVE_SAME_TEAM % {"team": to_team.name}))]
        elif subscription.team.customer_id != to_team.customer_id:
            blockers[subscription.pk] = [MoveBlocker("other_customer", str(MOVE_OTHER_CUSTOMER))]
        else:
            found = [] if support else _r_t11_blockers(subscription, actor)
            if over[subscription.pk] > 0:
                found.append(_over_allocated(subscription, over[subscription.pk]))
            blockers[subscription.pk] = found
    return blockers


def _r_t11_blockers(subscription: Subscription, actor) -> list[MoveBlocker]:
    """The cases of R-T11: the portal does not move these; support staff may, in the Django admin."""
    found = []
    if actor is None or actor.pk != subscription.owner_id:
        found.append(MoveBlocker("not_owner", str(MOVE_NOT_OWNER % {"owner": _name(subscription.owner)}), True))
    if subscription.plan == Subscription.Plan.PAY_PER_USE:
        found.append(MoveBlocker("pay_per_use", str(MOVE_PAY_PER_USE), True))
    if subscription.plan == Subscription.Plan.PREMIUM and subscription.sso_enabled:
        found.append(MoveBlocker("premium_sso", str(MOVE_PREMIUM_SSO), True))
    if subscription.collaboration_site:
        site = subscription.collaboration_site
        found.append(MoveBlocker("collaboration_site", str(MOVE_COLLABORATION_SITE % {"site": site}), True))
    return found


def _over_allocated(subscription: Subscription, count: int) -> MoveBlocker:
    names = {"team": subscription.team.name, "product": subscription.product.name, "count": count}
    return MoveBlocker("over_allocated", str(MOVE_OVER_ALLOCATED % names))


def seats_to_unassign_before_move(subscription: Subscription) -> int:
    """R-T10: how many seats the old team must unassign before `subscription` can leave it."""
    return _seats_to_unassign_before_moves([subscription])[subscription.pk]


def _seats_to_unassign_before_moves(subscriptions: list[Subscription]) -> dict[int, int]:
    """R-T10 for each of `subscriptions`: its team's assignments of its product beyond the seats
    the team keeps without it (subscription id → count; 0 for one not active, which takes no seats
    away). Two queries, for every (team, product) pair at once."""
    active = [s for s in subscriptions if s.is_active]
    purchased: dict[tuple[int, int], int] = {}
    assigned: dict[tuple[int, int], int] = {}
    if active:
        teams = {s.team_id for s in active}
        products = {s.product_id for s in active}
        purchased = {
            (row["team_id"], row["product_id"]): row["total"]
            for row in Subscription.objects.active()
            .filter(team_id__in=teams, product_id__in=products)
            .order_by()
            .values("team_id", "product_id")
            .annotate(total=Sum("seats"))
        }
        assigned = {
            (row["team_id"], row["product_id"]): row["total"]
            for row in Assignment.objects.filter(team_id__in=teams, product_id__in=products)
            .order_by()
            .values("team_id", "product_id")
            .annotate(total=Count("pk"))
        }
    over = {s.pk: 0 for s in subscriptions}
    for s in active:
        pair = (s.team_id, s.product_id)
        remaining = purchased.get(pair, 0) - s.seats
        over[s.pk] = max(0, assigned.get(pair, 0) - remaining)
    return over


@service_transaction
def subscription_move(*, subscription: Subscription, to_team: Team, actor) -> Subscription:
    """Move a subscription to another team of the same customer (R-T8). Users do not move: their
    assignments stay in the old team (R-T9). Refused, with the reason, when `subscription_move_blockers`
    names one (R-T10, R-T11)."""
    if not is_support(actor):
        require(actor is not None and can_manage_members(actor, to_team))
    # Lock both teams, in key order (no deadlock with a move the other way), then re-read.
    locked = {subscription.team_id, to_team.pk}
    lock_teams(subscription.team, to_team)
    # of=self: lock the subscription row only. Locking its product and owner rows too would make every
    # insert pointing to them wait for this move, and deadlock with a transaction that holds one of
    # them while it waits for these teams.
    subscription = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("team", "product", "owner")
        .get(pk=subscription.pk)
    )
    if subscription.team_id not in locked:  # moved by someone else while we waited
        lock_teams(subscription.team)
    blockers = subscription_move_blockers(subscription=subscription, to_team=to_team, actor=actor)
    if blockers:
        raise ValidationError([b.message for b in blockers], code=blockers[0].code)
    old_team = subscription.team
    subscription.team = to_team
    subscription.save(update_fields=["team"])
    waiting_seat(to_team, subscription.product, actor)  # R-GR5: the seats arriving seat the waiting
    for team in (old_team, to_team):
        event_record(
            action=ActivityEvent.Action.SUBSCRIPTION_MOVED,
            actor=actor,
            team=team,
            product=subscription.product,
            target=str(subscription),
            before={"team": old_team.name},
            after={"team": to_team.name},
        )
    return subscription
