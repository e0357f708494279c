"""Filters of the By User list (R-U1, R-G4, R-GR6): search by name or e-mail, role, status, product,
group and the "Show guests" toggle."""

import django_filters
from django import forms
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from licensing.groups.models import Group
from licensing.subscriptions.models import Assignment, Product, Subscription
from licensing.teams.models import Member, member_search


def team_products(team):
    """The products the team has a subscription of (active or not) or assignments of: what
    `Product.objects.of_team` returns, as two indexed IN subqueries instead of an OR over two joins
    with DISTINCT, which scans every assignment of every team (130 ms with 23,000 assignments). The
    assignments by their own copy of the team, read in the index (team, product, ...) alone: through
    the members it took 18 ms for a team of 27,501 members, this way under 1 ms."""
    bought = Subscription.objects.filter(team=team).values("product")
    held = Assignment.objects.filter(team=team).values("product")
    return Product.objects.filter(Q(pk__in=bought) | Q(pk__in=held)).order_by("name")


class ListStatus:
    """The statuses the list shows and filters on: an invited member whose invitation has run out
    is "Expired" (R-U5), not just "Invited"."""

    ACTIVE = "active"
    INVITED = "invited"
    EXPIRED = "expired"
    CHOICES = [(ACTIVE, _("Active")), (INVITED, _("Invited")), (EXPIRED, _("Invitation expired"))]


class GuestToggle(forms.CheckboxInput):
    """A switch that says both "on" and "off" in a GET form, so that unticking it is not mistaken
    for a first visit: a hidden "false" comes first and the ticked box's "true" after it (the last
    value wins)."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        return True if value is None else str(value).lower() == "true"


class MemberFilter(django_filters.FilterSet):
    """The filters of By User over a team's members (a queryset of `members_for_list`)."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    role = django_filters.ChoiceFilter(choices=Member.Role.choices, label=_("Role"), empty_label=_("All roles"))
    status = django_filters.ChoiceFilter(
        choices=ListStatus.CHOICES, method="filter_status", label=_("Status"), empty_label=_("All statuses")
    )
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.none(),
        method="filter_product",
        label=_("Product"),
        empty_label=_("All products"),
    )
    # R-GR6: the members of one of the team's groups.
    group = django_filters.ModelChoiceFilter(
        queryset=Group.objects.none(),
        method="filter_group",
        label=_("Group"),
        empty_label=_("All groups"),
    )
    # R-G4: guests are listed unless the toggle is turned off.
    guests = django_filters.BooleanFilter(
        method="filter_guests", label=_("Show guests"), widget=GuestToggle, field_name="is_guest"
    )

    class Meta:
        model = Member
        fields = []

    def __init__(self, data=None, *args, team, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["product"].queryset = team_products(team)
        self.filters["group"].queryset = Group.objects.filter(team=team).order_by(Lower("name"), "pk")
        self.team = team
        for name in ("role", "status", "product", "group"):
            self.form.fields[name].widget.attrs["class"] = "form-select form-select-sm"

    @cached_property
    def has_groups(self) -> bool:
        """Whether the team has groups: the "Group" filter is shown only then."""
        return Group.objects.filter(team=self.team).exists()

    @property
    def show_guests(self) -> bool:
        """The "Show guests" switch: on unless turned off (R-G4)."""
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return data.get("guests") is not False

    @property
    def is_filtered(self) -> bool:
        """Whether anything narrows the list (for the "Clear filters" link and the empty text)."""
        data = self.form.cleaned_data if self.form.is_valid() else {}
        return bool(
            data.get("q") or data.get("role") or data.get("status") or data.get("product") or data.get("group")
        ) or (data.get("guests") is False)

    def filter_search(self, queryset, name, value):
        # Every word must appear in the first name, last name (as the team sees them, Member.name) or
        # e-mail address: "anna bak" finds Anna Bakker, "@example.com" everyone of that domain.
        return queryset.filter(member_search(value))

    def filter_status(self, queryset, name, value):
        now = timezone.now()
        if value == ListStatus.ACTIVE:
            return queryset.filter(status=Member.Status.ACTIVE)
        expired = Q(invitation_expires_at__isnull=False, invitation_expires_at__lte=now)
        if value == ListStatus.EXPIRED:
            return queryset.filter(expired, status=Member.Status.INVITED)
        return queryset.filter(status=Member.Status.INVITED).exclude(expired)

    def filter_product(self, queryset, name, value):
        return queryset.filter(pk__in=value.assignments.values("member"))

    def filter_group(self, queryset, name, value):
        return queryset.filter(pk__in=value.memberships.values("member"))

    def filter_guests(self, queryset, name, value):
        return queryset if value in (None, True) else queryset.filter(is_guest=False)
