"""The team-admin API's groups (issue 21 §3 with issue 20's By Group, R-GR1..R-GR8): a team's groups,
their members, the products they give and the members waiting for a seat, under
/api/v1/teams/{team_id}/groups/..., tagged "Team admin".

The door, paging and problems are licensing.teams.api's (`door.py`): a personal access token, the
team acted on through `acting_team` (404 for a team the token may not act on, 403 for a write with a
read-only token or without the team's second factor), a group of another team 404. Every write takes
an `Idempotency-Key` (R-API2) and calls the groups' services (licensing.groups.services) and nothing
else: they check the admin again, lock the team, decide, write the activity log ("via API", by the
activity middleware) and send the mails. What is read here beforehand only tells: the seats a change
would take (`seats_lost`, as the screens' dialogs say) and would give (`group_seats_preview`).

Writes that give or take seats take `dry_run=true`: the answer says what the change would do (how
many members get a seat, how many wait: "12 of 40 will wait for a seat"; how many seats go) and
nothing is changed. Adding members answers per entry, as the CSV import's preview does per line:
added, already in the group, not a member of this team, not an e-mail address, repeated."""

from datetime import datetime
from typing import Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Count
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from ninja import Field, Query, Router, Schema

from licensing.groups import services
from licensing.groups.forms import DESCRIPTION_MAX
from licensing.groups.imports import ALREADY_IN_GROUP, MALFORMED, MAX_ROWS, NOT_A_MEMBER
from licensing.groups.models import AssignmentGrant, Group, GroupMember, GroupProduct, SeatWait
from licensing.groups.tables import MEMBER_ORDER, group_products, groups_for_list, waits_for_list
from licensing.groups.views import losses
from licensing.integrations import problems
from licensing.integrations.idempotency import IdempotencyKeyHeader, idempotent
from licensing.integrations.schemas import Id, PathId, Text
from licensing.subscriptions.api import ITEM_UNKNOWN
from licensing.subscriptions.models import Product, ProductItem
from licensing.subscriptions.services import items_clean
from licensing.teams.api.door import (
    MEMBER_NOT_FOUND,
    TAG,
    PageIn,
    PageOut,
    acting_team,
    actor,
    errors_of,
    paged,
    refused,
    respond,
    team_product,
    team_token,
)
from licensing.teams.models import Member, Team, member_search

GROUP_NOT_FOUND = _("Team %(team)s has no group %(id)s.")
NOT_IN_GROUP = _("%(name)s is not in the group %(group)s.")
NOTHING_TO_ADD = _("Name the members to add: their ids in member_ids, or their e-mail addresses in emails.")
TOO_MANY_ENTRIES = _("Add at most %(max)s members at a time.")
DUPLICATE_ENTRY = _("The same member as %(field)s[%(index)d].")
DRY_RUN = "Only say what the change would do (how many seats it gives, takes, and who would wait); change nothing."

# The codes of the services' refusals that are about one field of the request, and that field.
NAME_RULES = dict.fromkeys(("name_required", "name_too_long", "name_taken", "formula"), "name")
ITEMS_RULES = {"no_items": "items", "item": "items", "already_assigned": "product"}
CHUNK = 500

router = Router(tags=[TAG])


# --- Loading ------------------------------------------------------------------------------------


def team_group(team: Team, group_id: int) -> Group:
    """A group of `team`; another team's group is 404, as if it did not exist."""
    group = Group.objects.filter(team=team, pk=group_id).select_related("team").first()
    if group is None:
        raise problems.Problem(404, GROUP_NOT_FOUND % {"team": team.pk, "id": group_id}, slug="group-not-found")
    return group


def _given(group: Group, product: Product) -> GroupProduct:
    """The group's share of `product`; 404 when the group does not give it."""
    group_product = GroupProduct.objects.filter(group=group, product=product).first()
    if group_product is None:
        message = services.PRODUCT_NOT_IN_GROUP % {"group": group.name, "product": product.name}
        raise problems.Problem(404, message, slug="group-product-not-found")
    return group_product


def _items(product: Product, codes: list[str] | None) -> list[ProductItem] | None:
    """The items of `product` with `codes`; None (all items) for None. An unknown code: 422."""
    if codes is None:
        return None
    known = {item.code: item for item in product.items.all()}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise refused(422, "ITEM_UNKNOWN", ITEM_UNKNOWN % {"product": product.name, "code": unknown[0]}, field="items")
    return [known[code] for code in dict.fromkeys(codes)]


def _on_field(error: ValidationError, fields: dict[str, str]) -> ValidationError:
    """A service's refusal named on the field of the request it is about (`fields`: code → field), so
    that the problem's `errors` name it."""
    field = fields.get(getattr(error, "code", None))
    return ValidationError({field: [error]}) if field else error


def _chunks(values: list):
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# --- Schemas ------------------------------------------------------------------------------------


class GroupSummaryOut(Schema):
    id: int
    name: str
    description: str
    created_at: datetime
    members: int = Field(description="Members of the group (guests and invited people too).")
    products: list[str] = Field(description="Codes of the products the group gives, by name.")
    waiting: int = Field(description="Members of the group waiting for a seat of one of its products (R-GR5).")


class GroupPageOut(PageOut):
    items: list[GroupSummaryOut]


class GroupFilterIn(PageIn):
    q: Text(200, description="Every word in the group's name.") = ""


class GroupProductOut(Schema):
    product: str = Field(description="The product's code.")
    name: str
    items: list[str] = Field(description="Codes of the items the group gives.")
    seats_given: int = Field(description="Members holding a seat of it through this group (among other givers).")
    waiting: int = Field(description="Members of the group waiting for a seat of it (R-GR5).")


class GroupProductListOut(Schema):
    items: list[GroupProductOut]


class GroupOut(Schema):
    id: int
    name: str
    description: str
    created_at: datetime
    members: int
    waiting: int = Field(description="Members waiting for a seat of one of its products (R-GR5).")
    products: list[GroupProductOut]


class GroupIn(Schema):
    name: Text(1000, description="Unique in the team, in any case; at most 100 characters (R-GR1).")
    description: Text(DESCRIPTION_MAX) = ""


class GroupChangeIn(Schema):
    name: Text(1000, description="The new name; left out: unchanged.") | None = None
    description: Text(DESCRIPTION_MAX, description="Left out: unchanged.") | None = None


class GroupLossOut(Schema):
    product: str = Field(description="The product's code.")
    name: str
    seats_lost: int = Field(
        description="Seats that go: neither a direct assignment nor another group still gives them (R-GR4)."
    )
    waiting_ended: int = Field(description="Waits for a seat of it that end (R-GR5).")


class GroupDeletedOut(Schema):
    dry_run: bool
    deleted: bool = Field(description="false for a dry run: nothing was changed.")
    name: str
    members: int = Field(description="Members who leave the group (they stay members of the team).")
    products: list[GroupLossOut]


class GroupMemberOut(Schema):
    id: int = Field(description="The member's id in the team (as in /teams/{team_id}/members).")
    email: str
    first_name: str
    last_name: str
    is_guest: bool
    status: Literal["active", "invited"]
    joined_at: datetime = Field(description="When they joined the group: the order the waiting are seated in.")
    waiting_for: list[str] = Field(description="Codes of the group's products they wait for a seat of.")


class GroupMemberPageOut(PageOut):
    items: list[GroupMemberOut]


class GroupMemberFilterIn(PageIn):
    q: Text(200, description="Every word in the first name, last name or e-mail address.") = ""


Email = Text(320)


class GroupMembersAddIn(Schema):
    member_ids: list[Id] = Field(
        default_factory=list, max_length=MAX_ROWS, description="Ids of members of the team (guests too)."
    )
    emails: list[Email] = Field(
        default_factory=list, max_length=MAX_ROWS, description="E-mail addresses of members of the team."
    )


class GroupEntryOut(Schema):
    field: Literal["member_ids", "emails"]
    index: int = Field(description="The entry's place in its list, from 0.")
    value: str
    outcome: Literal["added", "to_add", "already", "not_member", "malformed", "duplicate"] = Field(
        description=(
            "added (to_add in a dry run); already: in the group already; not_member: nobody of this team; "
            "malformed: not an e-mail address; duplicate: the same member as an earlier entry."
        )
    )
    member: int | None = Field(description="The member's id, when the entry names one of the team.")
    message: str = Field(description="Why it is not added, in words; empty when it is.")


class GroupSeatsOut(Schema):
    product: str = Field(description="The product's code.")
    name: str
    members: int = Field(description="Members who need a seat of it (those holding one already do not).")
    seated: int = Field(description="Of them, given a seat now.")
    waiting: int = Field(description="Of them, waiting: seated in the order they joined as seats come free (R-GR5).")
    summary: str = Field(description="The same in words, as the screen says it: “12 of 40 will wait for a seat.”")


class GroupMembersAddedOut(Schema):
    dry_run: bool
    added: int = Field(description="Members added (to add, in a dry run).")
    entries: list[GroupEntryOut]
    seats: list[GroupSeatsOut] = Field(description="Per product of the group: the seats the new members get.")


class GroupMembersRemoveIn(Schema):
    member_ids: list[Id] = Field(min_length=1, max_length=MAX_ROWS, description="Ids of members of the group.")


class GroupMembersRemovedOut(Schema):
    dry_run: bool
    removed: int = Field(description="Members who left the group (would leave, in a dry run).")
    not_in_group: list[int] = Field(description="Ids given that are not in the group: left alone.")
    products: list[GroupLossOut]


class GroupProductAssignIn(Schema):
    product: Text(50, description="The product's code.")
    items: list[Text(100)] | None = Field(
        None, max_length=100, description="Codes of the items to give; all of them when left out (R-GR2)."
    )


class GroupProductAssignedOut(Schema):
    dry_run: bool
    product: str
    name: str
    items: list[str]
    group_members: int = Field(description="Members of the group.")
    holding: int = Field(description="Of them, holding a seat of it already (direct or through another group).")
    seats: GroupSeatsOut


class GroupItemsIn(Schema):
    items: list[Text(100)] = Field(max_length=100, description="Codes of the items to give; none unassigns (R-GR4).")


class GroupProductChangedOut(Schema):
    product: GroupProductOut | None = Field(description="null when no item was left: the product was unassigned.")


class GroupProductUnassignedOut(Schema):
    dry_run: bool
    unassigned: bool = Field(description="false for a dry run: nothing was changed.")
    loss: GroupLossOut


class GroupWaitOut(Schema):
    member: int = Field(description="The member's id.")
    email: str
    name: str
    product: str = Field(description="The product's code.")
    product_name: str
    reason: Literal["no_free_seat", "no_subscription"] = Field(description="Why, as a code.")
    reason_text: str = Field(description="Why, in words, in the request's language.")
    since: datetime = Field(description="When they joined the group: the order they are seated in (R-GR5).")


class GroupWaitPageOut(PageOut):
    items: list[GroupWaitOut]


class GroupWaitFilterIn(PageIn):
    product: Text(50, description="Only the waits for this product (its code).") | None = None


# --- Answers ------------------------------------------------------------------------------------


def _products_out(group: Group) -> list[dict]:
    """The group's products with their items, seats given and waiting: four queries, however many."""
    rows = group_products(group)
    given = dict(
        AssignmentGrant.objects.filter(group=group)
        .order_by()
        .values("assignment__product")
        .annotate(n=Count("pk"))
        .values_list("assignment__product", "n")
    )
    return [
        {
            "product": row.product.code,
            "name": row.product.name,
            "items": sorted(item.code for item in row.chosen_items),
            "seats_given": given.get(row.product_id, 0),
            "waiting": row.waiting_count,
        }
        for row in rows
    ]


def _group_out(group: Group) -> dict:
    waiting = SeatWait.objects.filter(group=group).values("member").distinct().count()
    return {
        "id": group.pk,
        "name": group.name,
        "description": group.description,
        "created_at": group.created_at,
        "members": GroupMember.objects.filter(group=group).count(),
        "waiting": waiting,
        "products": _products_out(group),
    }


def _json(schema: type[Schema], body: dict) -> dict:
    """`body` as `schema` renders it, for an answer made here (`respond`)."""
    return schema.model_validate(body).model_dump(mode="json")


def _loss_out(loss) -> dict:
    return {
        "product": loss.product.code,
        "name": loss.product.name,
        "seats_lost": loss.lost,
        "waiting_ended": loss.waiting,
    }


def _summary(members: int, waiting: int) -> str:
    """The screen's sentence (templates/groups/_seats_preview.html), in the request's language."""
    if not members:
        return str(_("everyone has a seat already."))
    if waiting:
        return ngettext(
            "%(waiting)s of %(members)s will wait for a seat.",
            "%(waiting)s of %(members)s will wait for a seat.",
            members,
        ) % {"waiting": waiting, "members": members}
    return ngettext("%(members)s gets a seat.", "all %(members)s get a seat.", members) % {"members": members}


def _seats_out(product: Product, members: int, waiting: int) -> dict:
    return {
        "product": product.code,
        "name": product.name,
        "members": members,
        "seated": members - waiting,
        "waiting": waiting,
        "summary": _summary(members, waiting),
    }


# --- Groups -------------------------------------------------------------------------------------


@router.get(
    "/teams/{team_id}/groups",
    auth=team_token,
    response={200: GroupPageOut, **errors_of(404, 422)},
    operation_id="group_list",
    summary="List groups",
    description=(
        "By Group (R-GR1): the team's groups by name, with their number of members, the products they give and "
        "how many of their members wait for a seat (R-GR5), a page at a time; `q` searches the names."
    ),
)
def group_list(request: HttpRequest, team_id: int, filters: Query[GroupFilterIn]):
    team = acting_team(request, team_id)
    groups = groups_for_list(team)
    for word in filters.q.split():
        groups = groups.filter(name__icontains=word)
    items, page = paged(groups.order_by(Lower("name"), "pk"), filters)
    return {
        **page,
        "items": [
            {
                "id": group.pk,
                "name": group.name,
                "description": group.description,
                "created_at": group.created_at,
                "members": group.member_count,
                "products": [gp.product.code for gp in group.listed_products],
                "waiting": group.waiting_count,
            }
            for group in items
        ],
    }


@router.post(
    "/teams/{team_id}/groups",
    auth=team_token,
    response={201: GroupOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_create",
    summary="Create a group",
    description=(
        "A group of the team's members (R-GR1): a name, unique in the team in any case, and a description. "
        "Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def group_create(request: HttpRequest, team_id: int, payload: GroupIn, idempotency_key: IdempotencyKeyHeader):
    team = acting_team(request, team_id, write=True)
    try:
        group = services.group_create(
            team=team, name=payload.name, description=payload.description, actor=actor(request)
        )
    except ValidationError as error:
        raise _on_field(error, NAME_RULES) from None
    return respond(201, _json(GroupOut, _group_out(group)))


@router.get(
    "/teams/{team_id}/groups/{group_id}",
    auth=team_token,
    response={200: GroupOut, **errors_of(404)},
    operation_id="group_get",
    summary="Get a group",
    description="A group: its members counted, its products with their items, and how many wait for a seat.",
)
def group_get(request: HttpRequest, team_id: int, group_id: PathId):
    team = acting_team(request, team_id)
    return _group_out(team_group(team, group_id))


@router.patch(
    "/teams/{team_id}/groups/{group_id}",
    auth=team_token,
    response={200: GroupOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_rename",
    summary="Rename a group or change its description",
    description="Rename (R-GR1): the name, the description or both. Takes an Idempotency-Key (R-API2).",
)
@idempotent
def group_rename(
    request: HttpRequest, team_id: int, group_id: PathId, payload: GroupChangeIn, idempotency_key: IdempotencyKeyHeader
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    name = group.name if payload.name is None else payload.name
    try:
        group = services.group_rename(group=group, name=name, description=payload.description, actor=actor(request))
    except ValidationError as error:
        raise _on_field(error, NAME_RULES) from None
    return respond(200, _json(GroupOut, _group_out(group)))


@router.delete(
    "/teams/{team_id}/groups/{group_id}",
    auth=team_token,
    response={200: GroupDeletedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_delete",
    summary="Delete a group",
    description=(
        "Every member leaves the group (they stay members of the team), each losing a seat only where no direct "
        "assignment or other group still gives it (R-GR4); the seats freed go to the members waiting (R-GR5). "
        "The answer says, per product, how many seats go (`dry_run=true`: would go, and nothing is deleted). "
        "Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def group_delete(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: bool = Query(False, description=DRY_RUN),
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    body = {
        "dry_run": dry_run,
        "deleted": not dry_run,
        "name": group.name,
        "members": GroupMember.objects.filter(group=group).count(),
        "products": [_loss_out(loss) for loss in losses(group)],
    }
    if not dry_run:
        services.group_delete(group=group, actor=actor(request))
    return respond(200, _json(GroupDeletedOut, body))


# --- Members ------------------------------------------------------------------------------------


@router.get(
    "/teams/{team_id}/groups/{group_id}/members",
    auth=team_token,
    response={200: GroupMemberPageOut, **errors_of(404, 422)},
    operation_id="group_member_list",
    summary="List a group's members",
    description="The group's members by name, when they joined and what they wait for, a page at a time.",
)
def group_member_list(request: HttpRequest, team_id: int, group_id: PathId, filters: Query[GroupMemberFilterIn]):
    team = acting_team(request, team_id)
    group = team_group(team, group_id)
    rows = GroupMember.objects.filter(group=group).select_related("member__user")
    if filters.q:
        rows = rows.filter(member_search(filters.q, prefix="member__"))
    items, page = paged(rows.order_by(*MEMBER_ORDER), filters)
    waiting: dict[int, list[str]] = {}
    waits = SeatWait.objects.filter(group=group, member_id__in=[row.member_id for row in items])
    for member_id, code in waits.order_by("product__code").values_list("member_id", "product__code"):
        waiting.setdefault(member_id, []).append(code)
    return {
        **page,
        "items": [
            {
                "id": row.member_id,
                "email": row.member.user.email,
                "first_name": row.member.first_name,
                "last_name": row.member.last_name,
                "is_guest": row.member.is_guest,
                "status": row.member.status,
                "joined_at": row.joined_at,
                "waiting_for": waiting.get(row.member_id, []),
            }
            for row in items
        ],
    }


def _in_group(group: Group, member_ids: list[int]) -> set[int]:
    """Those of `member_ids` in the group."""
    inside = set()
    for part in _chunks(member_ids):
        inside.update(GroupMember.objects.filter(group=group, member_id__in=part).values_list("member_id", flat=True))
    return inside


def _judge(team: Team, group: Group, payload: GroupMembersAddIn) -> tuple[list[dict], list[Member]]:
    """Every entry's outcome, in the order given (the ids first, then the addresses), and the members
    to add in that order (the order they will wait in, R-GR5). Reads only."""
    ids = list(dict.fromkeys(payload.member_ids))
    addresses: dict[int, str] = {}  # the index of each entry that is an e-mail address → its key
    for index, email in enumerate(payload.emails):
        try:
            validate_email(email.strip())
        except ValidationError:
            continue
        addresses[index] = email.strip().lower()
    found = Member.objects.filter(team=team).select_related("user")
    by_id = {member.pk: member for part in _chunks(ids) for member in found.filter(pk__in=part)}
    by_email = {
        member.user.email.lower(): member
        for part in _chunks(list(dict.fromkeys(addresses.values())))
        for member in found.alias(address=Lower("user__email")).filter(address__in=part)
    }
    inside = _in_group(group, [m.pk for m in (*by_id.values(), *by_email.values())])
    entries, chosen, seen = [], [], {}

    def judge(field: str, index: int, value: str, member: Member | None, missing: str) -> None:
        entry = {"field": field, "index": index, "value": value, "member": None, "outcome": "to_add", "message": ""}
        if member is None:
            entry.update(outcome="not_member", message=missing)
        elif member.pk in seen:
            entry.update(outcome="duplicate", member=member.pk, message=str(DUPLICATE_ENTRY % seen[member.pk]))
        elif member.pk in inside:
            seen[member.pk] = {"field": field, "index": index}
            entry.update(outcome="already", member=member.pk, message=str(ALREADY_IN_GROUP % {"name": member.name}))
        else:
            seen[member.pk] = {"field": field, "index": index}
            entry["member"] = member.pk
            chosen.append(member)
        entries.append(entry)

    for index, member_id in enumerate(payload.member_ids):
        missing = str(MEMBER_NOT_FOUND % {"team": team.pk, "id": member_id})
        judge("member_ids", index, str(member_id), by_id.get(member_id), missing)
    for index, email in enumerate(payload.emails):
        if index in addresses:
            missing = str(NOT_A_MEMBER % {"email": email.strip()})
            judge("emails", index, email, by_email.get(addresses[index]), missing)
            continue
        message = str(MALFORMED % {"value": email[:254]})
        entry = {"field": "emails", "index": index, "value": email, "member": None, "message": message}
        entries.append({**entry, "outcome": "malformed"})
    return entries, chosen


@router.post(
    "/teams/{team_id}/groups/{group_id}/members",
    auth=team_token,
    response={200: GroupMembersAddedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_members_add",
    summary="Add members to a group",
    description=(
        "Adds members of the team (guests and invited people too) by id or e-mail address (R-GR1), in the order "
        "given, ids first; each entry's outcome is answered, as the CSV import's lines: added, already in the "
        "group, not a member of this team, not an e-mail address, repeated. The new members get the group's "
        "products (R-GR2): a seat each while seats are free, the others wait in that order (R-GR5), as `seats` "
        "says per product. `dry_run=true` says all this and adds nobody. Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def group_members_add(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    payload: GroupMembersAddIn,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: bool = Query(False, description=DRY_RUN),
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    if not payload.member_ids and not payload.emails:
        raise refused(422, "NOTHING_TO_ADD", NOTHING_TO_ADD, field="member_ids")
    if len(payload.member_ids) + len(payload.emails) > MAX_ROWS:
        raise refused(422, "TOO_MANY_ENTRIES", TOO_MANY_ENTRIES % {"max": MAX_ROWS}, field="emails")
    entries, chosen = _judge(team, group, payload)
    previews = services.group_seats_preview(group=group, members=chosen) if chosen else []
    if dry_run:
        seats = [_seats_out(p.product, p.members, p.waiting) for p in previews]
    else:
        added = services.group_members_add(group=group, members=chosen, actor=actor(request)) if chosen else []
        added_ids = [m.member_id for m in added]
        joined = set(added_ids)
        for entry in entries:
            if entry["outcome"] == "to_add":
                # Joined meanwhile (another request): in the group already, as the service leaves them.
                entry["outcome"] = "added" if entry["member"] in joined else "already"
        waiting: dict[int, int] = {}
        for part in _chunks(added_ids):
            waits = SeatWait.objects.filter(group=group, member_id__in=part).order_by().values("product")
            for product_id, count in waits.annotate(n=Count("pk")).values_list("product", "n"):
                waiting[product_id] = waiting.get(product_id, 0) + count
        seats = [_seats_out(p.product, p.members, min(p.members, waiting.get(p.product.pk, 0))) for p in previews]
    body = {
        "dry_run": dry_run,
        "added": sum(entry["outcome"] in ("added", "to_add") for entry in entries),
        "entries": entries,
        "seats": seats,
    }
    return respond(200, _json(GroupMembersAddedOut, body))


def _remove(request: HttpRequest, group: Group, member_ids: list[int], dry_run: bool):
    ids = list(dict.fromkeys(member_ids))
    inside = _in_group(group, ids)
    leaving = [pk for pk in ids if pk in inside]
    products = [_loss_out(loss) for loss in losses(group, member_ids=leaving)] if leaving else []
    removed = len(leaving)
    if leaving and not dry_run:
        members = [m for part in _chunks(leaving) for m in Member.objects.filter(team=group.team, pk__in=part)]
        removed = services.group_members_remove(group=group, members=members, actor=actor(request))
    body = {
        "dry_run": dry_run,
        "removed": removed,
        "not_in_group": [pk for pk in ids if pk not in inside],
        "products": products,
    }
    return respond(200, _json(GroupMembersRemovedOut, body))


REMOVE_DESCRIPTION = (
    "The members leave the group (they stay members of the team); each loses the group's seats and items only "
    "where no direct assignment or other group still gives them (R-GR4), and the seats freed go to the members "
    "waiting (R-GR5). The answer says per product how many seats go (`dry_run=true`: would go, and nobody "
    "leaves). Takes an Idempotency-Key (R-API2)."
)


@router.post(
    "/teams/{team_id}/groups/{group_id}/members/remove",
    auth=team_token,
    response={200: GroupMembersRemovedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_members_remove",
    summary="Remove members from a group",
    description=REMOVE_DESCRIPTION + " Ids that are not in the group are answered in `not_in_group`.",
)
@idempotent
def group_members_remove(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    payload: GroupMembersRemoveIn,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: bool = Query(False, description=DRY_RUN),
):
    team = acting_team(request, team_id, write=True)
    return _remove(request, team_group(team, group_id), payload.member_ids, dry_run)


@router.delete(
    "/teams/{team_id}/groups/{group_id}/members/{member_id}",
    auth=team_token,
    response={200: GroupMembersRemovedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_member_remove",
    summary="Remove a member from a group",
    description=REMOVE_DESCRIPTION + " A member not in the group is 404.",
)
@idempotent
def group_member_remove(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    member_id: PathId,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: bool = Query(False, description=DRY_RUN),
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    membership = GroupMember.objects.filter(group=group, member_id=member_id).select_related("member__user").first()
    if membership is None:
        member = Member.objects.filter(team=team, pk=member_id).select_related("user").first()
        if member is None:
            message = MEMBER_NOT_FOUND % {"team": team.pk, "id": member_id}
        else:
            message = NOT_IN_GROUP % {"name": member.name, "group": group.name}
        raise problems.Problem(404, message, slug="group-member-not-found")
    return _remove(request, group, [member_id], dry_run)


# --- Products -----------------------------------------------------------------------------------


@router.get(
    "/teams/{team_id}/groups/{group_id}/products",
    auth=team_token,
    response={200: GroupProductListOut, **errors_of(404)},
    operation_id="group_product_list",
    summary="List a group's products",
    description="The products the group gives (R-GR2), with their items, the seats given and the members waiting.",
)
def group_product_list(request: HttpRequest, team_id: int, group_id: PathId):
    team = acting_team(request, team_id)
    return {"items": _products_out(team_group(team, group_id))}


@router.post(
    "/teams/{team_id}/groups/{group_id}/products",
    auth=team_token,
    response={200: GroupProductAssignedOut, 201: GroupProductAssignedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_product_assign",
    summary="Assign a product to a group",
    description=(
        "Gives every member of the group a seat of the product with all its items or those named (R-GR2), one "
        "seat per member however many groups give it (R-GR3), never beyond the seats purchased (R-GR5, R-SE1): "
        "the members who get none wait, in the order they joined, and are seated as seats come free. The "
        "answer says how many got a seat and how many wait (201). `dry_run=true` says it beforehand and "
        "changes nothing (200): “12 of 40 will wait for a seat”. Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def group_product_assign(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    payload: GroupProductAssignIn,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: bool = Query(False, description=DRY_RUN),
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    product = team_product(team, payload.product)
    items = _items(product, payload.items)
    group_members = GroupMember.objects.filter(group=group).count()
    if dry_run:
        try:
            chosen = items_clean(product, items)
        except ValidationError as error:
            raise _on_field(error, ITEMS_RULES) from None
        if GroupProduct.objects.filter(group=group, product=product).exists():
            message = services.PRODUCT_ALREADY_IN_GROUP % {"group": group.name, "product": product.name}
            raise _on_field(ValidationError(message, code="already_assigned"), ITEMS_RULES)
        (preview,) = services.group_seats_preview(group=group, product=product)
        members, waiting, status = preview.members, preview.waiting, 200
    else:
        try:
            seated, waits = services.group_product_assign(
                group=group, product=product, items=items, actor=actor(request)
            )
        except ValidationError as error:
            raise _on_field(error, ITEMS_RULES) from None
        chosen = list(_given(group, product).items.all())
        members, waiting, status = len(seated) + len(waits), len(waits), 201
    body = {
        "dry_run": dry_run,
        "product": product.code,
        "name": product.name,
        "items": sorted(item.code for item in chosen),
        "group_members": group_members,
        "holding": group_members - members,
        "seats": _seats_out(product, members, waiting),
    }
    return respond(status, _json(GroupProductAssignedOut, body))


@router.patch(
    "/teams/{team_id}/groups/{group_id}/products/{product_code}",
    auth=team_token,
    response={200: GroupProductChangedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_product_change",
    summary="Change the items a group gives",
    description=(
        "Sets which items of the product the group gives; every seat it gives then holds the union of what each "
        "giver gives (R-GR3, R-GR4). An empty list takes the product from the group. Takes an Idempotency-Key "
        "(R-API2)."
    ),
)
@idempotent
def group_product_change(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    product_code: str,
    payload: GroupItemsIn,
    idempotency_key: IdempotencyKeyHeader,
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    product = team_product(team, product_code)
    _given(group, product)
    try:
        kept = services.group_product_change(
            group=group, product=product, items=_items(product, payload.items), actor=actor(request)
        )
    except ValidationError as error:
        raise _on_field(error, ITEMS_RULES) from None
    out = None
    if kept is not None:
        out = next(row for row in _products_out(group) if row["product"] == product.code)
    return respond(200, _json(GroupProductChangedOut, {"product": out}))


@router.delete(
    "/teams/{team_id}/groups/{group_id}/products/{product_code}",
    auth=team_token,
    response={200: GroupProductUnassignedOut, **errors_of(400, 404, 409, 422)},
    operation_id="group_product_unassign",
    summary="Unassign a product from a group",
    description=(
        "The group's members lose the product's seat and items only where no direct assignment or other group "
        "still gives them (R-GR4); the seats freed go to the members waiting (R-GR5). The answer says how many "
        "seats go (`dry_run=true`: would go, and nothing changes). Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def group_product_unassign(
    request: HttpRequest,
    team_id: int,
    group_id: PathId,
    product_code: str,
    idempotency_key: IdempotencyKeyHeader,
    dry_run: bool = Query(False, description=DRY_RUN),
):
    team = acting_team(request, team_id, write=True)
    group = team_group(team, group_id)
    product = team_product(team, product_code)
    _given(group, product)
    (loss,) = losses(group, product=product)
    if not dry_run:
        services.group_product_unassign(group=group, product=product, actor=actor(request))
    body = {"dry_run": dry_run, "unassigned": not dry_run, "loss": _loss_out(loss)}
    return respond(200, _json(GroupProductUnassignedOut, body))


# --- Waiting ------------------------------------------------------------------------------------


@router.get(
    "/teams/{team_id}/groups/{group_id}/waiting",
    auth=team_token,
    response={200: GroupWaitPageOut, **errors_of(404, 422)},
    operation_id="group_waiting_list",
    summary="List a group's members waiting for a seat",
    description=(
        "The group's members who wait for a seat of one of its products (R-GR5), in the order they will get "
        "one: who, for which product, why (a code, and in words) and since when."
    ),
)
def group_waiting_list(request: HttpRequest, team_id: int, group_id: PathId, filters: Query[GroupWaitFilterIn]):
    team = acting_team(request, team_id)
    group = team_group(team, group_id)
    waits = waits_for_list(group)
    if filters.product:
        waits = waits.filter(product=team_product(team, filters.product))
    items, page = paged(waits, filters)
    return {
        **page,
        "items": [
            {
                "member": wait.member_id,
                "email": wait.member.user.email,
                "name": wait.member.name,
                "product": wait.product.code,
                "product_name": wait.product.name,
                "reason": wait.reason,
                "reason_text": wait.reason_text,
                "since": wait.since,
            }
            for wait in items
        ],
    }
