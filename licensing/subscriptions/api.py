"""The team-admin API's seats (issue 21 §3): By Product (the team's products with seats purchased,
assigned and free, and their items), and a member's products: assign with items, change the items,
unassign (R-P1..R-P4, R-BP1, R-BP2, R-SE1). Through the same services as the screens
(licensing.subscriptions.services); the door, paging and problems are licensing.teams.api's."""

from django.db.models import Count, OuterRef, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from licensing.integrations import problems
from licensing.integrations.idempotency import IdempotencyKeyHeader, idempotent
from licensing.subscriptions import services
from licensing.subscriptions.models import Assignment, Product, ProductItem, Subscription
from licensing.teams.api.door import (
    TAG,
    acting_team,
    actor,
    errors_of,
    refused,
    respond,
    team_member,
    team_product,
    team_token,
)
from licensing.teams.filters import team_products

ITEM_UNKNOWN = _("%(product)s has no item with the code “%(code)s”.")
NOT_HELD = _("%(name)s does not have %(product)s.")

router = Router(tags=[TAG])


class TeamItemOut(Schema):
    code: str
    name: str
    kind: str = Field(description="program or service")


class TeamProductOut(Schema):
    code: str
    name: str
    seats_purchased: int = Field(description="Seats of the team's active subscriptions of it (R-SE1).")
    seats_assigned: int
    seats_free: int = Field(description="Negative when over-allocated.")
    items: list[TeamItemOut]


class TeamProductListOut(Schema):
    items: list[TeamProductOut]


@router.get(
    "/teams/{team_id}/products",
    auth=team_token,
    response={200: TeamProductListOut, **errors_of(404)},
    operation_id="team_product_list",
    summary="List the team's products and seats",
    description="By Product (R-BP1): each product the team has, its seats purchased, assigned and free, its items.",
)
def team_product_list(request: HttpRequest, team_id: int):
    team = acting_team(request, team_id)
    today = timezone.localdate()
    product = OuterRef("pk")
    active = Subscription.objects.active(today).filter(team=team, product=product)
    assigned = Assignment.objects.filter(team=team, product=product)
    products = team_products(team).annotate(
        purchased=Coalesce(active.order_by().values("product").annotate(n=Sum("seats")).values("n")[:1], 0),
        assigned=Coalesce(assigned.order_by().values("product").annotate(n=Count("pk")).values("n")[:1], 0),
    )
    items = {}
    for item in ProductItem.objects.filter(product__in=products.values("pk")).order_by("kind", "name", "pk"):
        items.setdefault(item.product_id, []).append({"code": item.code, "name": item.name, "kind": item.kind})
    return {
        "items": [
            {
                "code": row.code,
                "name": row.name,
                "seats_purchased": row.purchased,
                "seats_assigned": row.assigned,
                "seats_free": row.purchased - row.assigned,
                "items": items.get(row.pk, []),
            }
            for row in products
        ]
    }


class AssignmentOut(Schema):
    member: int = Field(description="The member's id.")
    product: str
    items: list[str] = Field(description="Codes of the items held.")
    direct: bool


def _items(product: Product, codes: list[str] | None) -> list[ProductItem] | None:
    """The items of `product` with `codes`; None (all items) for None. An unknown code: 422."""
    if codes is None:
        return None
    known = {item.code: item for item in product.items.all()}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise refused(422, "ITEM_UNKNOWN", ITEM_UNKNOWN % {"product": product.name, "code": unknown[0]}, field="items")
    return [known[code] for code in dict.fromkeys(codes)]


def _assignment_out(assignment: Assignment) -> dict:
    fresh = Assignment.objects.prefetch_related("items").select_related("product").get(pk=assignment.pk)
    return {
        "member": fresh.member_id,
        "product": fresh.product.code,
        "items": sorted(item.code for item in fresh.items.all()),
        "direct": fresh.direct,
    }


class AssignIn(Schema):
    product: str = Field(max_length=50, description="The product's code.")
    items: list[str] | None = Field(
        None, max_length=100, description="Codes of the items to give; all of them when left out (R-P2)."
    )


@router.post(
    "/teams/{team_id}/members/{member_id}/products",
    auth=team_token,
    response={201: AssignmentOut, **errors_of(400, 404, 409, 422)},
    operation_id="member_product_assign",
    summary="Assign a product",
    description=(
        "Gives the member a seat of the product with all its items or those named (R-P1, R-P2); refused when "
        "every seat is assigned (R-SE1, 422 NO_FREE_SEAT) or the member has it already. The member is mailed "
        "(R-P3). Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def member_product_assign(
    request: HttpRequest, team_id: int, member_id: int, payload: AssignIn, idempotency_key: IdempotencyKeyHeader
):
    team = acting_team(request, team_id, write=True)
    member = team_member(team, member_id)
    product = team_product(team, payload.product)
    assignment = services.assignment_create(
        member=member, product=product, items=_items(product, payload.items), actor=actor(request)
    )
    return respond(201, _assignment_out(assignment))


def _held(member, product: Product) -> Assignment:
    assignment = Assignment.objects.filter(member=member, product=product).select_related("product").first()
    if assignment is None:
        message = str(NOT_HELD % {"name": member.name, "product": product.name})
        raise problems.Problem(404, message, slug="assignment-not-found")
    return assignment


class ItemsIn(Schema):
    items: list[str] = Field(max_length=100, description="Codes of the items to hold; none unassigns (R-P4).")


class ChangedOut(Schema):
    assignment: AssignmentOut | None = Field(description="null when no item was left: the product was unassigned.")


@router.put(
    "/teams/{team_id}/members/{member_id}/products/{product_code}",
    auth=team_token,
    response={200: ChangedOut, **errors_of(400, 404, 409, 422)},
    operation_id="member_product_change",
    summary="Change a product's items",
    description=(
        "Sets which items of the product the member holds (R-P2, R-P4, R-BP2); an empty list unassigns it. "
        "Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def member_product_change(
    request: HttpRequest,
    team_id: int,
    member_id: int,
    product_code: str,
    payload: ItemsIn,
    idempotency_key: IdempotencyKeyHeader,
):
    team = acting_team(request, team_id, write=True)
    member = team_member(team, member_id)
    product = team_product(team, product_code)
    assignment = _held(member, product)
    changed = services.assignment_update(
        assignment=assignment, items=_items(product, payload.items), actor=actor(request)
    )
    return respond(200, {"assignment": _assignment_out(changed) if changed is not None else None})


class UnassignedOut(Schema):
    product: str


@router.delete(
    "/teams/{team_id}/members/{member_id}/products/{product_code}",
    auth=team_token,
    response={200: UnassignedOut, **errors_of(400, 404, 409, 422)},
    operation_id="member_product_unassign",
    summary="Unassign a product",
    description=(
        "The member loses the product and all its items in this team (R-P4); a seat that only groups give is "
        "refused (422 GIVEN_BY_GROUP). Takes an Idempotency-Key (R-API2)."
    ),
)
@idempotent
def member_product_unassign(
    request: HttpRequest, team_id: int, member_id: int, product_code: str, idempotency_key: IdempotencyKeyHeader
):
    team = acting_team(request, team_id, write=True)
    member = team_member(team, member_id)
    product = team_product(team, product_code)
    services.assignment_delete(assignment=_held(member, product), actor=actor(request))
    return respond(200, {"product": product.code})
