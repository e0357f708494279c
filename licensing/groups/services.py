"""Groups of a team (User management › By Group, R-GR1..R-GR8): create, rename and delete a group, add
and remove members, assign, change and unassign a group's products. Each is one service transaction
that locks the team first (`lock_teams`), reads the group again under the lock, writes an activity row
naming the group (R-GR8), and gives or takes the seats through `licensing.groups.seats`: one seat per
member and product however many groups give it (R-GR3), taken away only where nothing else gives it
(R-GR4), never over the pool, the rest waiting in joined order (R-GR5).

Members are added set-based: one INSERT per 500 memberships, seats, items and activity rows, not a
save per member. `group_seats_preview` tells the screens, before the admin confirms, how many members
would get a seat and how many would wait ("12 of 40 will wait for a seat")."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record, events_record_members
from licensing.groups.models import Group, GroupMember, GroupProduct
from licensing.groups.seats import CHUNK, seats_free, seats_give, seats_settle, seats_take, waiting_seat
from licensing.subscriptions.models import Assignment, Product, ProductItem
from licensing.subscriptions.services import items_clean, items_for_log
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members
from licensing.teams.services import lock_teams, require, validate_not_formula
from portal.db import service_transaction

GROUP_NAME_REQUIRED = _("Enter a name for the group.")
GROUP_NAME_TOO_LONG = _("A group name can be at most 100 characters.")
GROUP_NAME_TAKEN = _("This team already has a group named %(name)s.")
GROUP_NAME_LABEL = _("Group name")
GROUP_GONE = _("The group %(name)s no longer exists: another admin has just deleted it.")
MEMBER_NOT_IN_TEAM = _("%(name)s is not a member of this team.")
PRODUCT_ALREADY_IN_GROUP = _("The group %(group)s already has %(product)s.")
PRODUCT_NOT_IN_GROUP = _("The group %(group)s does not have %(product)s.")


@dataclass(frozen=True)
class SeatsPreview:
    """What giving a product to members would do: how many get a seat now, how many wait (R-GR5)."""

    product: Product
    seated: int
    waiting: int

    @property
    def members(self) -> int:
        return self.seated + self.waiting


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _clean_name(team: Team, name: str, *, group: Group | None = None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(GROUP_NAME_REQUIRED, code="name_required")
    if len(name) > 100:
        raise ValidationError(GROUP_NAME_TOO_LONG, code="name_too_long")
    validate_not_formula(name, label=GROUP_NAME_LABEL)
    # R-GR1: unique in the team in any case (the database's constraint too, for a write around us).
    taken = Group.objects.filter(team=team).alias(lower=Lower("name")).filter(lower=name.lower())
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        raise ValidationError(GROUP_NAME_TAKEN % {"name": name}, code="name_taken")
    return name


def _locked(group: Group, actor) -> Group:
    """Check the actor may manage the group's team, lock the team, and read the group again."""
    team = group.team
    require(actor is None or can_manage_members(actor, team))
    lock_teams(team)
    fresh = Group.objects.select_related("team").filter(pk=group.pk).first()
    if fresh is None:
        raise ValidationError(GROUP_GONE % {"name": group.name}, code="group_gone")
    return fresh


def _member_events(member_ids: list[int], action: str, actor, **fields) -> None:
    """An activity row per member (R-GR8), set-based, per CHUNK of ids (`events_record_members`)."""
    for part in _chunks(member_ids):
        events_record_members(Member.objects.filter(pk__in=part), action=action, actor=actor, **fields)


def _event(action, group: Group, actor, **fields) -> None:
    event_record(action=action, actor=actor, team=group.team, target=group.name, **fields)


@service_transaction
def group_create(*, team: Team, name: str, description: str = "", actor) -> Group:
    """Create a group of `team` (R-GR1)."""
    require(actor is None or can_manage_members(actor, team))
    lock_teams(team)
    group = Group.objects.create(team=team, name=_clean_name(team, name), description=description.strip())
    _event(ActivityEvent.Action.GROUP_CREATED, group, actor, after={"group": group.name})
    return group


@service_transaction
def group_rename(*, group: Group, name: str, description: str | None = None, actor) -> Group:
    """Rename a group, and change its description when one is given (R-GR1). Nothing is written when
    nothing changes."""
    group = _locked(group, actor)
    name = _clean_name(group.team, name, group=group)
    description = group.description if description is None else description.strip()
    if name == group.name and description == group.description:
        return group
    before = {"group": group.name, "description": group.description}
    group.name, group.description = name, description
    group.save(update_fields=["name", "description"])
    _event(
        ActivityEvent.Action.GROUP_RENAMED,
        group,
        actor,
        before=before,
        after={"group": name, "description": description},
    )
    return group


@service_transaction
def group_delete(*, group: Group, actor) -> None:
    """Delete a group: every member leaves it, each losing a seat only where nothing else gives it
    (R-GR4); the seats freed go to the members waiting (R-GR5)."""
    group = _locked(group, actor)
    products = [gp.product for gp in GroupProduct.objects.filter(group=group).select_related("product")]
    members = GroupMember.objects.filter(group=group).count()
    for product in products:
        seats_take(group=group, product=product, member_ids=None, actor=actor)
    before = {"group": group.name, "members": members, "products": sorted(p.name for p in products)}
    _event(ActivityEvent.Action.GROUP_DELETED, group, actor, before=before)
    group.delete()
    for product in products:
        waiting_seat(group.team, product, actor)


def _members_of_team(team: Team, members: Iterable[Member]) -> list[Member]:
    """The members, each checked to be (still) of `team`: their ids read again, and the members read
    again with their accounts only where the caller did not load them (the mails need them)."""
    members = list(dict.fromkeys(members))
    inside = set()
    for part in _chunks([m.pk for m in members]):
        inside.update(Member.objects.filter(team=team, pk__in=part).values_list("pk", flat=True))
    for member in members:
        if member.pk not in inside:
            raise ValidationError(MEMBER_NOT_IN_TEAM % {"name": member.name}, code="member_not_in_team")
    bare = [m.pk for m in members if not Member.user.is_cached(m)]
    found = {}
    for part in _chunks(bare):
        found.update((m.pk, m) for m in Member.objects.filter(pk__in=part).select_related("user"))
    return [found.get(m.pk, m) for m in members]


@service_transaction
def group_members_add(*, group: Group, members: Iterable[Member], actor) -> list[GroupMember]:
    """Add members of the group's team (guests too) to the group, in the order given (R-GR1), and give
    them the group's products (R-GR2): a seat each while seats are free, the rest waiting in that
    order (R-GR5). Members already in the group are left as they are. Returns the memberships added."""
    group = _locked(group, actor)
    members = _members_of_team(group.team, members)
    already = set()
    for part in _chunks([m.pk for m in members]):
        already.update(GroupMember.objects.filter(group=group, member_id__in=part).values_list("member_id", flat=True))
    now = timezone.now()
    added = [GroupMember(group=group, member=m, joined_at=now) for m in members if m.pk not in already]
    if not added:
        return []
    GroupMember.objects.bulk_create(added, batch_size=CHUNK)
    _member_events(
        [m.member_id for m in added], ActivityEvent.Action.GROUP_MEMBER_ADDED, actor, after={"group": group.name}
    )
    for group_product in GroupProduct.objects.filter(group=group).select_related("product"):
        waiting_seat(group.team, group_product.product, actor)  # the ones waiting already come first
        seats_give(group=group, product=group_product.product, memberships=added, actor=actor)
    return added


@service_transaction
def group_members_remove(*, group: Group, members: Iterable[Member], actor) -> int:
    """Remove members from the group: each loses the group's seats and items only where no direct
    assignment or other group still gives them (R-GR4); the seats freed go to the members waiting
    (R-GR5). Returns the number removed."""
    group = _locked(group, actor)
    ids = list(dict.fromkeys(m.pk for m in members))
    leaving = []
    for part in _chunks(ids):
        leaving += GroupMember.objects.filter(group=group, member_id__in=part)
    if not leaving:
        return 0
    ids = [m.member_id for m in leaving]
    products = [gp.product for gp in GroupProduct.objects.filter(group=group).select_related("product")]
    for product in products:
        seats_take(group=group, product=product, member_ids=ids, actor=actor)
    _member_events(
        [m.member_id for m in leaving], ActivityEvent.Action.GROUP_MEMBER_REMOVED, actor, before={"group": group.name}
    )
    for part in _chunks([m.pk for m in leaving]):
        GroupMember.objects.filter(pk__in=part).delete()
    for product in products:
        waiting_seat(group.team, product, actor)
    return len(leaving)


def _memberships(group: Group) -> list[GroupMember]:
    return list(GroupMember.objects.filter(group=group).select_related("member__user").order_by("joined_at", "pk"))


@service_transaction
def group_product_assign(
    *, group: Group, product: Product, items: Iterable[ProductItem] | None = None, actor
) -> tuple[list[Member], list[Member]]:
    """Give `product` (all its items, or the ones chosen) to every member of the group (R-GR2), as a
    seat each while seats are free and the rest waiting in joined order (R-GR5). Returns (seated,
    waiting): the members given a new seat and those waiting."""
    group = _locked(group, actor)
    chosen = items_clean(product, items)
    if GroupProduct.objects.filter(group=group, product=product).exists():
        raise ValidationError(
            PRODUCT_ALREADY_IN_GROUP % {"group": group.name, "product": product.name}, code="already_assigned"
        )
    group_product = GroupProduct.objects.create(group=group, product=product)
    group_product.items.set(chosen)
    _event(
        ActivityEvent.Action.GROUP_PRODUCT_ASSIGNED,
        group,
        actor,
        product=product,
        after={"group": group.name, **items_for_log(chosen)},
    )
    waiting_seat(group.team, product, actor)  # the ones waiting already come first
    return seats_give(group=group, product=product, memberships=_memberships(group), actor=actor)


def _group_product(group: Group, product: Product) -> GroupProduct:
    group_product = GroupProduct.objects.filter(group=group, product=product).first()
    if group_product is None:
        raise ValidationError(
            PRODUCT_NOT_IN_GROUP % {"group": group.name, "product": product.name}, code="not_assigned"
        )
    return group_product


@service_transaction
def group_product_change(*, group: Group, product: Product, items: Iterable[ProductItem], actor) -> GroupProduct | None:
    """Change the items the group gives of `product`; every seat it gives then holds the union of
    what each giver gives (R-GR3, R-GR4). No items at all is an unassign: None is returned."""
    group = _locked(group, actor)
    group_product = _group_product(group, product)
    chosen = list(items)
    if not chosen:
        _product_unassign(group, group_product, actor)
        return None
    chosen = items_clean(product, chosen)
    before = list(group_product.items.all())
    if {i.pk for i in before} == {i.pk for i in chosen}:
        return group_product
    group_product.items.set(chosen)
    _event(
        ActivityEvent.Action.GROUP_PRODUCT_CHANGED,
        group,
        actor,
        product=product,
        before={"group": group.name, **items_for_log(before)},
        after={"group": group.name, **items_for_log(chosen)},
    )
    given = list(group.grants.filter(assignment__product=product).values_list("assignment_id", flat=True))
    seats_settle(assignment_ids=given, product=product, actor=actor, group_name=group.name)
    return group_product


@service_transaction
def group_product_unassign(*, group: Group, product: Product, actor) -> None:
    """Take `product` from the group: its members lose the seat and items only where no direct
    assignment or other group still gives them (R-GR4); the seats freed go to the waiting (R-GR5)."""
    group = _locked(group, actor)
    _product_unassign(group, _group_product(group, product), actor)


def _product_unassign(group: Group, group_product: GroupProduct, actor) -> None:
    product = group_product.product
    before = {"group": group.name, **items_for_log(group_product.items.all())}
    seats_take(group=group, product=product, member_ids=None, actor=actor)
    group_product.delete()
    _event(ActivityEvent.Action.GROUP_PRODUCT_UNASSIGNED, group, actor, product=product, before=before)
    waiting_seat(group.team, product, actor)


def group_seats_preview(
    *, group: Group, product: Product | None = None, members: Iterable[Member] | None = None
) -> list[SeatsPreview]:
    """Before the admin confirms (R-GR5): for giving `product` to the group's members, or for adding
    `members` to the group (for each of its products), how many would get a seat now and how many
    would wait. A member who holds the seat already needs none and is not counted. A read: the
    numbers may change until the service runs under the team's lock."""
    team = group.team
    if product is not None:
        products = [product]
        ids = list(GroupMember.objects.filter(group=group).values_list("member_id", flat=True))
    else:
        products = [gp.product for gp in GroupProduct.objects.filter(group=group).select_related("product")]
        ids = list(dict.fromkeys(m.pk for m in members or ()))
        for part in _chunks(ids[:]):
            inside = set(
                GroupMember.objects.filter(group=group, member_id__in=part).values_list("member_id", flat=True)
            )
            ids = [pk for pk in ids if pk not in inside]
    previews = []
    for each in products:
        holding = set()
        for part in _chunks(ids):
            holding.update(
                Assignment.objects.filter(product=each, member_id__in=part).values_list("member_id", flat=True)
            )
        needing = len(ids) - len(holding)
        seated = min(needing, seats_free(team, each))
        previews.append(SeatsPreview(product=each, seated=seated, waiting=needing - seated))
    return previews
