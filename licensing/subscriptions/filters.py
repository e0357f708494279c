"""Filters of Billing & Orders › Contracts (R-T12): search by contract number or product, plan,
status (active, expiring within 90 days, expired) and team.

The filters choose subscriptions, and a contract is listed when one of its subscriptions matches
them all: "Premium" and "Engineering" mean one subscription that is both, not one of each. The same
condition (`subscription_q`) then narrows the products shown on each listed contract."""

from datetime import date, timedelta

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.models import Contract, Subscription
from licensing.teams.models import Team

# A subscription whose term ends within this many days is "expiring" and is highlighted.
EXPIRING_DAYS = 90


class TermStatus:
    """Where a subscription's term stands. Every subscription is active (its term has not ended;
    it may not have started yet) or expired; expiring ones are active ones that end soon."""

    ACTIVE = "active"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    CHOICES = [
        (ACTIVE, _("Active")),
        (EXPIRING, _("Expiring within 90 days")),
        (EXPIRED, _("Expired")),
    ]


def status_q(status: str, today: date | None = None) -> Q:
    """The subscriptions (as a condition on Subscription) whose term is in `status` on `today`."""
    today = today or timezone.localdate()
    if status == TermStatus.EXPIRED:
        return Q(term_end__lt=today)
    if status == TermStatus.EXPIRING:
        return Q(term_end__gte=today, term_end__lte=today + timedelta(days=EXPIRING_DAYS))
    return Q(term_end__gte=today)


class ContractFilter(django_filters.FilterSet):
    """The filters of Contracts over a team's contracts.

    `teams` are the teams offered in the team filter; `detailed` is the condition on Subscription of
    the subscriptions whose details the viewer may see (those of teams they administer). Plan and
    status match only those: a subscription of another team shows its product and team, nothing
    more, and a filter must not reveal its plan or term either."""

    q = django_filters.CharFilter(label=_("Search by contract number or product"))
    plan = django_filters.ChoiceFilter(choices=Subscription.Plan.choices, label=_("Plan"), empty_label=_("All plans"))
    status = django_filters.ChoiceFilter(choices=TermStatus.CHOICES, label=_("Status"), empty_label=_("All statuses"))
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.none(), label=_("Team"), empty_label=_("All teams"))

    class Meta:
        model = Contract
        fields = []

    def __init__(self, data=None, *args, teams, detailed: Q, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.detailed = detailed
        self.filters["team"].queryset = teams
        for name in ("plan", "status", "team"):
            self.form.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    @property
    def _data(self) -> dict:
        # The fields that are valid: a plan or team that does not exist (an old link) is left out,
        # and the search and the other filters still apply.
        self.form.is_valid()
        return self.form.cleaned_data

    @property
    def is_filtered(self) -> bool:
        """Whether anything narrows the list (for "Clear filters" and the empty text)."""
        return self.subscription_q is not None

    @property
    def subscription_q(self) -> Q | None:
        """The subscriptions that match every filter, as a condition on Subscription; None when
        nothing is filtered (then contracts without any subscription are listed too)."""
        data = self._data
        conditions = []
        # Every word in the contract number or the product's name: "1100 draft" finds DraftPro on
        # contract 1100000042. A word of the number matches every product of that contract.
        for word in (data.get("q") or "").split():
            conditions.append(Q(contract__number__icontains=word) | Q(product__name__icontains=word))
        if data.get("plan"):
            conditions.append(Q(plan=data["plan"]) & self.detailed)
        if data.get("status"):
            conditions.append(status_q(data["status"]) & self.detailed)
        if data.get("team"):
            conditions.append(Q(team=data["team"]))
        if not conditions:
            return None
        combined = Q()
        for condition in conditions:
            combined &= condition
        return combined

    def filter_queryset(self, queryset):
        # One subquery for all the filters together, instead of django-filter's filter per field:
        # each of those would join the subscriptions anew and could match a different one.
        condition = self.subscription_q
        if condition is None:
            return queryset
        return queryset.filter(pk__in=Subscription.objects.filter(condition).values("contract"))
