"""Billing & Orders › Contracts (R-T12): the contracts a team holds, each with its products and the
team each product belongs to (the "Teams" column), and a contract's own page.

A team's contracts are those with a subscription in the team or managed by it. Each shows every
subscription on it: in full (seats, plan, term, renewal) where the viewer administers the
subscription's team, and by product and team name only elsewhere: nobody sees another team's
subscriptions through the portal unless they are admin there (SPEC §2), but a contract's products
in its other teams are the point of this page.

The list loads in a fixed number of queries, however many contracts and subscriptions there are:
the contract's term is an annotation, its subscriptions (with product and team) one prefetch."""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from licensing.subscriptions.filters import EXPIRING_DAYS, ContractFilter, TermStatus, status_q
from licensing.subscriptions.models import Contract, Subscription
from licensing.teams.models import Team
from licensing.teams.permissions import is_support
from portal.views import team_for_admin

PER_PAGE = 20


# --- Loading ------------------------------------------------------------------------------------


def contracts_of_team(team: Team) -> QuerySet[Contract]:
    """The contracts `team` holds: those with a subscription in it, and those it manages (R-T7)."""
    # An IN subquery rather than a join: no DISTINCT over the subscriptions.
    held = Subscription.objects.filter(team=team).values("contract")
    return Contract.objects.filter(Q(team=team) | Q(pk__in=held))


def detailed_for(user) -> Q:
    """The subscriptions (a condition on Subscription) whose seats, plan and term `user` may see:
    those of the teams they administer (R-SA2); support staff see all."""
    if is_support(user):
        return Q()
    return Q(team__in=Team.objects.administered_by(user).values("pk"))


def _per_contract(aggregate, field: str, output_field, condition: Q):
    """A correlated subquery: `aggregate(field)` over the contract's subscriptions that match `condition`."""
    rows = Subscription.objects.filter(condition, contract=OuterRef("pk")).order_by().values("contract")
    return Subquery(rows.annotate(value=aggregate(field)).values("value"), output_field=output_field)


def with_subscriptions(contracts: QuerySet[Contract], *, user, only: Q | None = None) -> QuerySet[Contract]:
    """`contracts` with manager and managing team; `term_start` and `term_end`, the earliest start
    and latest end of the subscriptions whose details `user` may see (the term of another team's
    subscription is not shown, so it does not show through the contract's either);
    `subscription_total`; and `listed_subscriptions`: the subscriptions matching `only` (all when
    None), by product, each with product, team and `is_detailed`."""
    detailed = detailed_for(user)
    # An empty condition (support staff) is every subscription.
    is_detailed = ExpressionWrapper(detailed, output_field=BooleanField()) if detailed else Value(True)
    subscriptions = (
        Subscription.objects.select_related("product", "team")
        .annotate(is_detailed=is_detailed)
        .order_by("product__name", "team__name", "pk")
    )
    if only is not None:
        subscriptions = subscriptions.filter(only)
    return (
        contracts.select_related("manager", "team")
        .annotate(
            term_start=_per_contract(Min, "term_start", DateField(), detailed),
            term_end=_per_contract(Max, "term_end", DateField(), detailed),
            subscription_total=Coalesce(_per_contract(Count, "pk", IntegerField(), Q()), Value(0)),
        )
        .prefetch_related(Prefetch("subscriptions", queryset=subscriptions, to_attr="listed_subscriptions"))
    )


# --- What a contract shows ----------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionRow:
    """One product on a contract as the page shows it. `detailed`: the viewer administers its team
    and sees seats, plan and term; otherwise only product and team."""

    subscription: Subscription
    detailed: bool
    in_this_team: bool
    today: date

    @property
    def days_left(self) -> int:
        """Days from today to the last day of the term (negative once it has ended)."""
        return (self.subscription.term_end - self.today).days

    @property
    def status(self) -> str:
        return TermStatus.EXPIRED if self.days_left < 0 else TermStatus.ACTIVE

    @property
    def not_started(self) -> bool:
        return self.subscription.term_start > self.today

    @property
    def expiring(self) -> bool:
        """Ends within EXPIRING_DAYS: highlighted, with "Expires in N days"."""
        return self.detailed and 0 <= self.days_left <= EXPIRING_DAYS


@dataclass(frozen=True)
class ContractCard:
    """A contract with the rows it shows; `hidden` counts its products the filters leave out."""

    contract: Contract
    rows: tuple[SubscriptionRow, ...]
    hidden: int

    @property
    def expiring(self) -> int:
        return sum(1 for row in self.rows if row.expiring)


def contract_card(contract: Contract, team: Team, today: date) -> ContractCard:
    """The card of a contract loaded by `with_subscriptions`, as seen from `team`."""
    rows = tuple(
        SubscriptionRow(subscription=s, detailed=s.is_detailed, in_this_team=s.team_id == team.pk, today=today)
        for s in contract.listed_subscriptions
    )
    return ContractCard(contract=contract, rows=rows, hidden=max(0, contract.subscription_total - len(rows)))


# --- The screens --------------------------------------------------------------------------------


@login_required
def contract_list(request, team_id: int):
    """Contracts: the team's contracts with their products and teams (R-T12), searched and filtered,
    20 to a page, in a fixed number of queries."""
    team = team_for_admin(request, team_id)
    scope = contracts_of_team(team)
    detailed = detailed_for(request.user)
    # The team filter offers the teams that hold a product of one of these contracts.
    teams = Team.objects.filter(
        pk__in=Subscription.objects.filter(contract__in=scope.values("pk")).values("team")
    ).order_by("name")
    filterset = ContractFilter(request.GET, queryset=scope, teams=teams, detailed=detailed)
    today = timezone.localdate()
    # Contracts that have ended go last; otherwise by number, as on the invoices.
    ended = Case(When(term_end__lt=today, then=Value(1)), default=Value(0))
    contracts = with_subscriptions(filterset.qs, user=request.user, only=filterset.subscription_q)
    contracts = contracts.order_by(ended, "number")
    page = Paginator(contracts, PER_PAGE).get_page(request.GET.get("page"))
    expiring_total = (
        Subscription.objects.filter(contract__in=scope.values("pk"))
        .filter(detailed, status_q(TermStatus.EXPIRING, today))
        .count()
    )
    context = {
        "team": team,
        "filter": filterset,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
        "cards": [contract_card(contract, team, today) for contract in page.object_list],
        "expiring_total": expiring_total,
        "expiring_days": EXPIRING_DAYS,
        "query": _query_without_page(request),
    }
    return render(request, "subscriptions/contract_list.html", context)


@login_required
def contract_detail(request, team_id: int, contract_id: int):
    """A contract's page: number, contract manager, term and every product with its team (R-T12).
    A contract with nothing in this team is 404 here, as if it did not exist."""
    team = team_for_admin(request, team_id)
    contract = get_object_or_404(
        with_subscriptions(contracts_of_team(team), user=request.user).select_related("customer"), pk=contract_id
    )
    card = contract_card(contract, team, timezone.localdate())
    return render(
        request,
        "subscriptions/contract_detail.html",
        {"team": team, "contract": contract, "card": card, "expiring_days": EXPIRING_DAYS},
    )


def _query_without_page(request) -> str:
    """The list's query string without the page number, for the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
