"""Team settings › Actions › "Move subscriptions to this team" (R-T8..R-T11): a wizard of four steps,
each a plain page whose state is in its address, so the back button and a browser without
JavaScript work:

1. `move/`                         the team the subscription comes from;
2. `move/?from=<team>`             that team's subscriptions, each with "Select";
3. `move/<subscription>/`          the review; "Submit" posts to the same address;
4. `move/<subscription>/done/`     the confirmation, with "Done" and "Move another".

What an admin sees: the other teams of the customer that they administer, and the teams holding
subscriptions they own; in a team they administer every subscription, elsewhere only their own.
Whether a subscription may move is `subscription_move_blockers`' answer alone (for the list of
step 2, `subscriptions_move_blockers`, the same rules in a fixed number of queries): a blocked one has
"Select" disabled, with the reasons beside it (R-T10, R-T11). `subscription_move` decides again at
"Submit", under its locks; a refusal then is shown on the review page, never a 500."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.teams.models import Team
from licensing.teams.permissions import is_support
from portal.views import team_for_admin

from .models import Subscription
from .services import (
    MoveBlocker,
    seats_assigned,
    seats_purchased,
    subscription_move,
    subscription_move_blockers,
    subscriptions_move_blockers,
)

MOVED_MEANWHILE = _(
    "%(product)s (contract %(number)s) was moved to %(team)s while you were reviewing it. "
    "Nothing was moved: check the subscription again."
)

# --- What the admin may see ----------------------------------------------------------------------


def _administered(user) -> QuerySet:
    return Team.objects.administered_by(user).values("pk")


def movable_subscriptions(user, customer) -> QuerySet:
    """The subscriptions of `customer` that have not ended and that `user` may see: all of them in
    the teams they administer (support staff: every team), elsewhere only the ones they own. An
    ended subscription has no seats left to move."""
    subscriptions = Subscription.objects.filter(team__customer=customer, term_end__gte=timezone.localdate())
    if is_support(user):
        return subscriptions
    return subscriptions.filter(Q(team__in=_administered(user)) | Q(owner=user))


def source_teams(team: Team, user) -> QuerySet:
    """The teams of the same customer a subscription can come from, as far as `user` may see them:
    the ones they administer, and the ones holding subscriptions they own."""
    teams = Team.objects.filter(customer_id=team.customer_id).exclude(pk=team.pk)
    if is_support(user):
        return teams
    owned = movable_subscriptions(user, team.customer_id).filter(owner=user).values("team")
    return teams.filter(Q(pk__in=_administered(user)) | Q(pk__in=owned))


def _team_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _source_team(team: Team, user, value) -> Team:
    """The source team named by the `from` parameter; a team the admin may not see is 404."""
    team_id = _team_id(value)
    if team_id is None:
        raise Http404
    return get_object_or_404(source_teams(team, user), pk=team_id)


def _wizard_url(team: Team, from_team: Team | None = None) -> str:
    url = reverse("team_settings:subscription-move", kwargs={"team_id": team.pk})
    return f"{url}?from={from_team.pk}" if from_team is not None else url


# --- Steps 1 and 2 -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceTeam:
    """A team in step 1: how many of its subscriptions the admin can see, and why they see it."""

    team: Team
    subscriptions: int
    administered: bool


@dataclass(frozen=True)
class MoveChoice:
    """A subscription in step 2, with every reason it cannot move now (empty: "Select" works)."""

    subscription: Subscription
    blockers: tuple[MoveBlocker, ...]

    @property
    def reason(self) -> str:
        """The reasons in one line, for the hover text of the disabled "Select"."""
        return " ".join(blocker.message for blocker in self.blockers)


def _choose_team(request, team: Team):
    user = request.user
    sources = list(source_teams(team, user).order_by("name", "pk"))
    counts = dict(
        movable_subscriptions(user, team.customer_id)
        .filter(team__in=[source.pk for source in sources])
        .order_by()
        .values("team")
        .annotate(total=Count("pk"))
        .values_list("team", "total")
    )
    support = is_support(user)
    administered = set() if support else set(_administered(user).values_list("pk", flat=True))
    rows = [SourceTeam(source, counts.get(source.pk, 0), support or source.pk in administered) for source in sources]
    context = {"team": team, "step": 1, "sources": rows}
    return render(request, "subscriptions/move_team.html", context)


def _choose_subscription(request, team: Team, from_team: Team):
    user = request.user
    subscriptions = (
        movable_subscriptions(user, team.customer_id)
        .filter(team=from_team)
        .select_related("team__customer", "product", "contract", "owner")
        .order_by("product__name", "contract__number", "pk")
    )
    # NUL is no character of a product name or contract number, and PostgreSQL cannot compare it.
    query = " ".join(request.GET.get("q", "").replace("\x00", " ").split())[:100]
    if query:
        subscriptions = subscriptions.filter(Q(product__name__icontains=query) | Q(contract__number__icontains=query))
    subscriptions = list(subscriptions)
    # The rules of R-T10 and R-T11 are the service's: the view only shows its answer, for the whole
    # list in a fixed number of queries.
    blockers = subscriptions_move_blockers(subscriptions, to_team=team, actor=user)
    choices = [MoveChoice(s, tuple(blockers[s.pk])) for s in subscriptions]
    context = {"team": team, "step": 2, "from_team": from_team, "choices": choices, "query": query}
    return render(request, "subscriptions/move_subscription.html", context)


@login_required
def subscription_move_start(request, team_id: int):
    """Steps 1 and 2: without `from`, the teams a subscription can come from; with `from=<team>`,
    that team's subscriptions the admin may see, each with "Select" or the reasons it cannot move."""
    team = team_for_admin(request, team_id)
    if "from" not in request.GET:
        return _choose_team(request, team)
    return _choose_subscription(request, team, _source_team(team, request.user, request.GET["from"]))


# --- Step 3: review and submit -------------------------------------------------------------------


@dataclass(frozen=True)
class SeatChange:
    """A team's seats of the product before and after the move, and its users of it (who stay)."""

    team: Team
    before: int
    after: int
    assigned: int


def _seat_changes(subscription: Subscription, to_team: Team) -> tuple[SeatChange, SeatChange]:
    product, moving = subscription.product, subscription.seats if subscription.is_active else 0
    old, new = subscription.team, to_team
    old_seats, new_seats = seats_purchased(old, product), seats_purchased(new, product)
    return (
        SeatChange(old, old_seats, old_seats - moving, seats_assigned(old, product)),
        SeatChange(new, new_seats, new_seats + moving, seats_assigned(new, product)),
    )


def _subscription(team: Team, user, subscription_id: int) -> Subscription:
    return get_object_or_404(
        movable_subscriptions(user, team.customer_id).select_related("team__customer", "product", "contract", "owner"),
        pk=subscription_id,
    )


@login_required
def subscription_move_review(request, team_id: int, subscription_id: int):
    """Step 3: what moves (product, contract, seats, from and to) and the note that users stay where
    they are (R-T9), then "Submit". The form carries the team the admin saw it in: if the
    subscription moved meanwhile, nothing happens and the page says so. A refusal of the service
    (R-T10, R-T11, decided again under its locks) is shown here with its reasons."""
    team = team_for_admin(request, team_id)
    subscription = _subscription(team, request.user, subscription_id)
    errors: list[str] = []
    if request.method == "POST":
        reviewed_team_id = _team_id(request.POST.get("from"))
        from_team = subscription.team
        if reviewed_team_id is not None and reviewed_team_id != from_team.pk:
            names = {"product": subscription.product.name, "number": subscription.contract.number}
            errors = [str(MOVED_MEANWHILE % {**names, "team": from_team.name})]
        else:
            try:
                subscription_move(subscription=subscription, to_team=team, actor=request.user)
            except ValidationError as error:
                errors = error.messages
                subscription = _subscription(team, request.user, subscription_id)
            else:
                done = reverse(
                    "team_settings:subscription-move-done",
                    kwargs={"team_id": team.pk, "subscription_id": subscription.pk},
                )
                return redirect(f"{done}?from={from_team.pk}")
    blockers = subscription_move_blockers(subscription=subscription, to_team=team, actor=request.user)
    old, new = _seat_changes(subscription, team)
    back_team = subscription.team if subscription.team_id != team.pk else None
    context = {
        "team": team,
        "step": 3,
        "subscription": subscription,
        "from_team": back_team,
        "blockers": blockers,
        "errors": errors,
        "old": old,
        "new": new,
        "back_url": _wizard_url(team, back_team),
    }
    return render(request, "subscriptions/move_review.html", context)


# --- Step 4: the confirmation --------------------------------------------------------------------


@login_required
def subscription_move_done(request, team_id: int, subscription_id: int):
    """Step 4: the subscription now belongs to this team; its users stayed in the team it came from
    (R-T9). "Done" goes back to Team settings, "Move another" to the wizard."""
    team = team_for_admin(request, team_id)
    subscription = get_object_or_404(
        Subscription.objects.filter(team=team).select_related("product", "contract", "owner"), pk=subscription_id
    )
    from_team = None
    from_id = _team_id(request.GET.get("from"))
    if from_id is not None:
        from_team = source_teams(team, request.user).filter(pk=from_id).first()
    context = {
        "team": team,
        "step": 4,
        "subscription": subscription,
        "from_team": from_team,
        "stayed": seats_assigned(from_team, subscription.product) if from_team else None,
        "another_url": _wizard_url(team, from_team),
    }
    return render(request, "subscriptions/move_done.html", context)
