"""Customers, contracts and subscriptions for the vendor's order system (R-API1), with vendor API keys
(scopes orders:read, orders:write) and Idempotency-Key writes (R-API2).

What is what here:
- a customer is a `teams.Customer`: the company that buys. It has no team of its own until its first
  contract, which makes one (R-T2) named after the contract manager, its primary admin;
- a contract is a `subscriptions.Contract`: a number the order system gives, and its contract manager
  (a person, found or made by e-mail address), managed by one team (R-T7);
- a subscription is a product on a contract: seats, plan, term, flags; bought, seats added or
  removed, renewed, cancelled at the end of its term, ended now.
Every write goes through the services that support staff use in the Django admin
(licensing.subscriptions.purchases and .services, licensing.teams.services), never around them.
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from licensing.subscriptions.models import Contract, Product, Subscription
from licensing.subscriptions.purchases import (
    contract_change_manager,
    contract_create,
    contract_manager_get_or_create,
    purchase_record,
)
from licensing.subscriptions.services import (
    subscription_add_seats,
    subscription_cancel,
    subscription_remove_seats,
    subscription_renew,
    subscription_set_seats,
    subscription_terminate,
)
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import customer_create

from . import problems
from .auth import orders_read, orders_write
from .idempotency import IdempotencyKeyHeader, idempotent
from .schemas import Id, PagingQuery, PathId, Text, answer, page

router = Router(tags=["Orders"])

CONTRACT_UNKNOWN = _("There is no contract %(number)s. Create it first (POST /api/v1/contracts).")
PRODUCT_UNKNOWN = _("There is no product with the code “%(code)s”.")

READ_ERRORS = problems.responses(401, 403, 404, 422, 503)
WRITE_ERRORS = problems.responses(400, 401, 403, 404, 409, 413, 415, 422, 503)
IDEMPOTENT = (
    " Send an `Idempotency-Key` header: a retry with the same key and body answers as the first request "
    "did and changes nothing twice (R-API2)."
)


# --- Schemas ----------------------------------------------------------------------------------------


class TeamRef(Schema):
    id: int
    name: str
    primary_admin: str | None = Field(description="The e-mail address of the team's primary admin.")

    @staticmethod
    def resolve_primary_admin(team: Team) -> str | None:
        admins = [member for member in team.members.all() if member.role == Member.Role.PRIMARY_ADMIN]
        return admins[0].user.email if admins else None


def teams_prefetch(prefix: str = "") -> Prefetch:
    """The team's primary admin with it, for `TeamRef`: one query for a page of rows."""
    primary = Member.objects.filter(role=Member.Role.PRIMARY_ADMIN).select_related("user")
    return Prefetch(f"{prefix}members", queryset=primary)


class Person(Schema):
    email: str
    first_name: str
    last_name: str


class PersonIn(Schema):
    email: Text(254, min_length=1)
    first_name: Text(150, min_length=1)
    last_name: Text(150, min_length=1)


class CustomerIn(Schema):
    name: Text(200, min_length=1, description="The company's name.")


class CustomerOut(Schema):
    id: int
    name: str
    created_at: datetime
    teams: list[TeamRef] = Field(description="Its teams: none before its first contract (R-T2).")
    contracts: list[str] = Field(description="The numbers of its contracts.")

    @staticmethod
    def resolve_teams(customer: Customer) -> list[Team]:
        return list(customer.teams.all())

    @staticmethod
    def resolve_contracts(customer: Customer) -> list[str]:
        return [contract.number for contract in customer.contracts.all()]


class CustomerList(Schema):
    count: int
    items: list[CustomerOut]


class ContractIn(Schema):
    customer_id: Id
    number: Text(40, min_length=1, description="The contract's number in the order system; unique.")
    manager: PersonIn = Field(
        description=(
            "The contract manager: pays, renews and receives the subscription mails (R-PA4). Made an admin of "
            "the contract's team; of a customer's first contract, primary admin of a new team, invited by "
            "mail (R-T2, R-SA3)."
        )
    )


class ContractOut(Schema):
    id: int
    number: str
    customer_id: int
    manager: Person
    team: TeamRef = Field(description="The team that manages the contract: new subscriptions on it go there (R-T7).")
    created_at: datetime


class ContractList(Schema):
    count: int
    items: list[ContractOut]


Plan = Literal["standard", "premium", "pay_per_use"]


class PurchaseIn(Schema):
    contract_number: Text(40, min_length=1)
    product: Text(60, min_length=1, description="The product's code (`GET /api/v1/products`).")
    seats: int = Field(ge=0, le=2**31 - 1)
    plan: Plan = "standard"
    term_start: date
    term_end: date
    sso_enabled: bool = False
    collaboration_site: Text(200) = ""


class SubscriptionOut(Schema):
    id: int
    contract_number: str
    customer_id: int
    product: str = Field(description="The product's code.")
    team: TeamRef
    owner: str = Field(description="The subscription owner's e-mail address: the contract manager.")
    seats: int
    plan: Plan
    term_start: date
    term_end: date
    sso_enabled: bool
    collaboration_site: str
    active: bool = Field(description="Whether today is within its term: its seats count (R-SE1).")
    cancelled_at: datetime | None = Field(description="When cancelled: it then ends with its term.")
    created_at: datetime

    @staticmethod
    def resolve_contract_number(subscription: Subscription) -> str:
        return subscription.contract.number

    @staticmethod
    def resolve_customer_id(subscription: Subscription) -> int:
        return subscription.contract.customer_id

    @staticmethod
    def resolve_product(subscription: Subscription) -> str:
        return subscription.product.code

    @staticmethod
    def resolve_owner(subscription: Subscription) -> str:
        return subscription.owner.email

    @staticmethod
    def resolve_active(subscription: Subscription) -> bool:
        return subscription.is_active


class SubscriptionList(Schema):
    count: int
    items: list[SubscriptionOut]


class SeatsIn(Schema):
    seats: int = Field(ge=0, le=2**31 - 1, description="The subscription's seats from now on.")
    allow_over_allocation: bool = Field(
        False,
        description=(
            "Allow fewer seats than the team has assigned of the product (else 422 SEATS_BELOW_ASSIGNED with "
            "the numbers); By Product then shows the team over its seats."
        ),
    )


class SeatsAddIn(Schema):
    seats: int = Field(ge=1, le=2**31 - 1, description="How many seats to add.")


class SeatsRemoveIn(Schema):
    seats: int = Field(ge=1, le=2**31 - 1, description="How many seats to remove.")
    allow_over_allocation: bool = Field(False, description="As for `PUT .../seats`.")


class RenewalIn(Schema):
    term_end: date = Field(description="The new end of the term: after the current one.")


# --- Reading ----------------------------------------------------------------------------------------


def customers():
    return Customer.objects.prefetch_related(
        Prefetch("teams", queryset=Team.objects.prefetch_related(teams_prefetch()).order_by("created_at", "pk")),
        Prefetch("contracts", queryset=Contract.objects.order_by("number")),
    ).order_by("pk")


def contracts():
    return Contract.objects.select_related("manager", "team").prefetch_related(teams_prefetch("team__")).order_by("pk")


def subscriptions():
    return (
        Subscription.objects.select_related("contract", "product", "team", "owner")
        .prefetch_related(teams_prefetch("team__"))
        .order_by("pk")
    )


class CustomerFilter(Schema):
    name: Text(200) | None = Field(None, description="Customers whose name contains this, in any case.")


@router.get(
    "/customers",
    auth=orders_read,
    response={200: CustomerList, **READ_ERRORS},
    operation_id="customer_list",
    summary="List customers",
)
def customer_list(request: HttpRequest, paging: PagingQuery, filters: Query[CustomerFilter]):
    rows = customers()
    if filters.name:
        rows = rows.filter(name__icontains=filters.name)
    count, items = page(rows, paging)
    return {"count": count, "items": items}


@router.get(
    "/customers/{customer_id}",
    auth=orders_read,
    response={200: CustomerOut, **READ_ERRORS},
    operation_id="customer_get",
    summary="Get a customer",
)
def customer_get(request: HttpRequest, customer_id: PathId):
    return get_object_or_404(customers(), pk=customer_id)


@router.post(
    "/customers",
    auth=orders_write,
    response={201: CustomerOut, **WRITE_ERRORS},
    operation_id="customer_create",
    summary="Create a customer",
    description="A company that buys. Its first contract makes its first team (R-T2)." + IDEMPOTENT,
)
@idempotent
def customer_create_view(request: HttpRequest, payload: CustomerIn, idempotency_key: IdempotencyKeyHeader):
    customer = customer_create(name=payload.name)
    return answer(request, 201, CustomerOut, customers().get(pk=customer.pk))


class ContractFilter(Schema):
    customer_id: Id | None = None
    number: Text(40) | None = Field(None, description="The contract with exactly this number.")


@router.get(
    "/contracts",
    auth=orders_read,
    response={200: ContractList, **READ_ERRORS},
    operation_id="contract_list",
    summary="List contracts",
)
def contract_list(request: HttpRequest, paging: PagingQuery, filters: Query[ContractFilter]):
    rows = contracts()
    if filters.customer_id is not None:
        rows = rows.filter(customer_id=filters.customer_id)
    if filters.number is not None:
        rows = rows.filter(number=filters.number)
    count, items = page(rows, paging)
    return {"count": count, "items": items}


@router.get(
    "/contracts/{contract_id}",
    auth=orders_read,
    response={200: ContractOut, **READ_ERRORS},
    operation_id="contract_get",
    summary="Get a contract",
)
def contract_get(request: HttpRequest, contract_id: PathId):
    return get_object_or_404(contracts(), pk=contract_id)


@router.post(
    "/contracts",
    auth=orders_write,
    response={201: ContractOut, **WRITE_ERRORS},
    operation_id="contract_create",
    summary="Create a contract",
    description=(
        "A contract of a customer with its contract manager. A customer's first contract creates its first "
        "team, named after the contract manager, who becomes its primary admin and gets an invitation by "
        "mail (R-T2, R-SA3); a later one goes to the team the customer created last (R-T7). 409 "
        "CONTRACT_EXISTS for a number that exists." + IDEMPOTENT
    ),
)
@idempotent
def contract_create_view(request: HttpRequest, payload: ContractIn, idempotency_key: IdempotencyKeyHeader):
    customer = get_object_or_404(Customer, pk=payload.customer_id)
    manager = contract_manager_get_or_create(**payload.manager.model_dump(), prefix="manager.")
    contract = contract_create(customer=customer, number=payload.number, manager=manager)
    return answer(request, 201, ContractOut, contracts().get(pk=contract.pk))


@router.post(
    "/contracts/{contract_id}/manager",
    auth=orders_write,
    response={200: ContractOut, **WRITE_ERRORS},
    operation_id="contract_manager_change",
    summary="Change the contract manager",
    description=(
        "The new contract manager owns the contract's subscriptions and becomes a secondary admin of the teams "
        "that hold them, unless already their primary admin; the primary admin does not change (R-SA4, R-PA4)."
        + IDEMPOTENT
    ),
)
@idempotent
def contract_manager_change(
    request: HttpRequest, contract_id: PathId, payload: PersonIn, idempotency_key: IdempotencyKeyHeader
):
    contract = get_object_or_404(Contract, pk=contract_id)
    manager = contract_manager_get_or_create(**payload.model_dump())
    contract_change_manager(contract=contract, manager=manager)
    return answer(request, 200, ContractOut, contracts().get(pk=contract.pk))


class SubscriptionFilter(Schema):
    customer_id: Id | None = None
    contract_number: Text(40) | None = None
    product: Text(60) | None = Field(None, description="The product's code.")


@router.get(
    "/subscriptions",
    auth=orders_read,
    response={200: SubscriptionList, **READ_ERRORS},
    operation_id="subscription_list",
    summary="List subscriptions",
)
def subscription_list(request: HttpRequest, paging: PagingQuery, filters: Query[SubscriptionFilter]):
    rows = subscriptions()
    if filters.customer_id is not None:
        rows = rows.filter(contract__customer_id=filters.customer_id)
    if filters.contract_number is not None:
        rows = rows.filter(contract__number=filters.contract_number)
    if filters.product is not None:
        rows = rows.filter(product__code=filters.product)
    count, items = page(rows, paging)
    return {"count": count, "items": items}


@router.get(
    "/subscriptions/{subscription_id}",
    auth=orders_read,
    response={200: SubscriptionOut, **READ_ERRORS},
    operation_id="subscription_get",
    summary="Get a subscription",
)
def subscription_get(request: HttpRequest, subscription_id: PathId):
    return get_object_or_404(subscriptions(), pk=subscription_id)


def _subscription(subscription_id: int) -> Subscription:
    return get_object_or_404(Subscription, pk=subscription_id)


def _subscription_answer(request: HttpRequest, status: int, subscription: Subscription):
    return answer(request, status, SubscriptionOut, subscriptions().get(pk=subscription.pk))


@router.post(
    "/subscriptions",
    auth=orders_write,
    response={201: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_purchase",
    summary="Purchase a subscription",
    description=(
        "A product bought on an existing contract (create the contract first). It goes to the team that "
        "manages the contract (R-T7); the contract manager becomes its primary admin if it has none, else a "
        "secondary admin (R-SA3), and is given a seat if one is free (R-T6)." + IDEMPOTENT
    ),
)
@idempotent
def subscription_purchase(request: HttpRequest, payload: PurchaseIn, idempotency_key: IdempotencyKeyHeader):
    contract = Contract.objects.filter(number=payload.contract_number).select_related("customer", "manager").first()
    if contract is None:
        raise _unknown("contract_number", "CONTRACT_UNKNOWN", CONTRACT_UNKNOWN % {"number": payload.contract_number})
    product = Product.objects.filter(code=payload.product).first()
    if product is None:
        raise _unknown("product", "PRODUCT_UNKNOWN", PRODUCT_UNKNOWN % {"code": payload.product})
    subscription = purchase_record(
        customer=contract.customer,
        contract_number=contract.number,
        manager=contract.manager,
        product=product,
        seats=payload.seats,
        plan=payload.plan,
        term_start=payload.term_start,
        term_end=payload.term_end,
        sso_enabled=payload.sso_enabled,
        collaboration_site=" ".join(payload.collaboration_site.split()),
    )
    return _subscription_answer(request, 201, subscription)


def _unknown(field: str, rule: str, message) -> problems.Problem:
    slug = rule.lower().replace("_", "-")
    return problems.Problem(422, message, slug=slug, errors=[{"field": field, "rule": rule, "message": message}])


@router.put(
    "/subscriptions/{subscription_id}/seats",
    auth=orders_write,
    response={200: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_seats_set",
    summary="Set the seats of a subscription",
    description=(
        "Fewer seats than the team has assigned of the product are refused with the numbers (422 "
        "SEATS_BELOW_ASSIGNED) unless `allow_over_allocation` is true; seats added stay in the "
        "subscription's team (R-SE2)." + IDEMPOTENT
    ),
)
@idempotent
def subscription_seats_set(
    request: HttpRequest, subscription_id: PathId, payload: SeatsIn, idempotency_key: IdempotencyKeyHeader
):
    subscription = subscription_set_seats(
        subscription=_subscription(subscription_id),
        seats=payload.seats,
        allow_over_allocation=payload.allow_over_allocation,
    )
    return _subscription_answer(request, 200, subscription)


@router.post(
    "/subscriptions/{subscription_id}/seats/add",
    auth=orders_write,
    response={200: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_seats_add",
    summary="Add seats to a subscription",
    description="The seats stay in the subscription's team (R-SE2)." + IDEMPOTENT,
)
@idempotent
def subscription_seats_add(
    request: HttpRequest, subscription_id: PathId, payload: SeatsAddIn, idempotency_key: IdempotencyKeyHeader
):
    subscription = subscription_add_seats(subscription=_subscription(subscription_id), seats=payload.seats)
    return _subscription_answer(request, 200, subscription)


@router.post(
    "/subscriptions/{subscription_id}/seats/remove",
    auth=orders_write,
    response={200: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_seats_remove",
    summary="Remove seats from a subscription",
    description=(
        "Below what the team has assigned: 422 SEATS_BELOW_ASSIGNED with the numbers, unless "
        "`allow_over_allocation` is true." + IDEMPOTENT
    ),
)
@idempotent
def subscription_seats_remove(
    request: HttpRequest, subscription_id: PathId, payload: SeatsRemoveIn, idempotency_key: IdempotencyKeyHeader
):
    subscription = subscription_remove_seats(
        subscription=_subscription(subscription_id),
        seats=payload.seats,
        allow_over_allocation=payload.allow_over_allocation,
    )
    return _subscription_answer(request, 200, subscription)


@router.post(
    "/subscriptions/{subscription_id}/renewal",
    auth=orders_write,
    response={200: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_renew",
    summary="Renew a subscription",
    description="A later end of term; the subscription stays in its team. Takes back a cancellation." + IDEMPOTENT,
)
@idempotent
def subscription_renew_view(
    request: HttpRequest, subscription_id: PathId, payload: RenewalIn, idempotency_key: IdempotencyKeyHeader
):
    subscription = subscription_renew(subscription=_subscription(subscription_id), term_end=payload.term_end)
    return _subscription_answer(request, 200, subscription)


@router.post(
    "/subscriptions/{subscription_id}/cancellation",
    auth=orders_write,
    response={200: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_cancel",
    summary="Cancel a subscription at the end of its term",
    description="It keeps its seats until its term ends, and is not renewed." + IDEMPOTENT,
)
@idempotent
def subscription_cancel_view(request: HttpRequest, subscription_id: PathId, idempotency_key: IdempotencyKeyHeader):
    subscription = subscription_cancel(subscription=_subscription(subscription_id))
    return _subscription_answer(request, 200, subscription)


@router.post(
    "/subscriptions/{subscription_id}/termination",
    auth=orders_write,
    response={200: SubscriptionOut, **WRITE_ERRORS},
    operation_id="subscription_terminate",
    summary="End a subscription now",
    description=(
        "Its term ends yesterday: its seats stop counting today (R-SE1). The assignments stay, and By Product "
        "shows the team over its seats until an admin unassigns them." + IDEMPOTENT
    ),
)
@idempotent
def subscription_terminate_view(request: HttpRequest, subscription_id: PathId, idempotency_key: IdempotencyKeyHeader):
    subscription = subscription_terminate(subscription=_subscription(subscription_id))
    return _subscription_answer(request, 200, subscription)
