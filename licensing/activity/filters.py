"""Filters of Reporting › Activity log: a date range, the kind of event, a user, a product and a
keyword search. The screen and its CSV export filter with this one FilterSet, so the export holds
exactly the rows the admin sees."""

import datetime

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Product
from licensing.teams.filters import team_products
from licensing.teams.models import Member, Team, member_first_name, member_last_name

DATES_REVERSED = _("The start date is after the end date.")
# Far-off dates are typos (a year 0001 or 9999 also overflows the time-zone arithmetic).
FIRST_DAY = datetime.date(2000, 1, 1)
DATE_OUT_OF_RANGE = _("Choose a date between %(first)s and %(last)s.")


def team_events(team: Team):
    """Every event of `team`, newest first (the index on team, -created_at serves this order)."""
    return ActivityEvent.objects.filter(team=team).order_by("-created_at", "-pk")


# Above this many members the User list would be too long to use (and to send): the admin picks a
# person by clicking their name in the log instead, which sets the same filter.
MAX_PEOPLE_CHOICES = 500


def log_people(team: Team):
    """Whom the User filter accepts: the team's members and anyone who acted in or was concerned by
    the team's log (support staff, deleted members). Correlated EXISTS on the indexed actor and
    target_user columns, so that checking one chosen person reads a few rows, not the whole log.

    Each with what its label needs (`person_chosen_label`): `team_first` and `team_last`, the names
    the team sees of them while they are a member (Member.name), whether they `has_acted` in the log,
    and `last_target`, the name the log gave them last."""
    events = ActivityEvent.objects.filter(team=team)
    member = team.members.filter(user=OuterRef("pk")).order_by()
    return (
        get_user_model()
        .objects.filter(
            Q(Exists(member))
            | Q(Exists(events.filter(actor=OuterRef("pk"))))
            | Q(Exists(events.filter(target_user=OuterRef("pk"))))
        )
        .annotate(
            team_first=Subquery(member.values(first=member_first_name())[:1]),
            team_last=Subquery(member.values(last=member_last_name())[:1]),
            has_acted=Exists(events.filter(actor=OuterRef("pk"))),
            last_target=Subquery(
                events.filter(target_user=OuterRef("pk")).order_by("-created_at", "-pk").values("target")[:1]
            ),
        )
    )


def person_label(name: str, email: str) -> str:
    return f"{name} ({email})" if name else email


def person_chosen_label(user) -> str:
    """The label of a person of `log_people`: a member by the names the team sees (Member.name);
    someone else (a deleted member, support staff) by their own name if they acted in the team's log,
    which only those who joined it and support staff do, else by the name the log gave them last."""
    if getattr(user, "team_first", None) is not None:
        name = f"{user.team_first} {user.team_last or ''}".strip()
    elif getattr(user, "has_acted", False):
        name = user.get_full_name()
    else:
        name = getattr(user, "last_target", None) or ""
    return person_label(name, user.email)


def people_choices(team: Team, chosen=None) -> list[tuple]:
    """The options of the User filter: the team's members by name (none above MAX_PEOPLE_CHOICES),
    and the person chosen, if not among them (a deleted member picked from the log).

    The names are sorted among at most MAX_PEOPLE_CHOICES + 1 members, taken in the index first: a
    team with more gets no list anyway, and sorting all of a team of 27,501 by name to find that out
    took 35 ms. With 500 or fewer, that subquery holds them all."""
    some = team.members.order_by().values("pk")[: MAX_PEOPLE_CHOICES + 1]
    # The names the team sees of its members (Member.name), not their accounts'.
    members = list(
        Member.objects.filter(pk__in=some)
        .annotate(first=member_first_name(), last=member_last_name())
        .order_by(Lower("last"), Lower("first"), Lower("user__email"))
        .values_list("user_id", "first", "last", "user__email")
    )
    if len(members) > MAX_PEOPLE_CHOICES:
        members = []
    choices = [(pk, person_label(f"{first} {last}".strip(), email)) for pk, first, last, email in members]
    if chosen is not None and all(pk != chosen.pk for pk, _label in choices):
        choices.insert(0, (chosen.pk, person_chosen_label(chosen)))
    return choices


def product_choices(team: Team, chosen=None) -> list[tuple]:
    """The options of the Product filter: the team's products (of its subscriptions and assignments;
    a product whose subscription moved away is still found by the search), and the product chosen."""
    choices = [(product.pk, product.name) for product in team_products(team)]
    if chosen is not None and all(pk != chosen.pk for pk, _name in choices):
        choices.insert(0, (chosen.pk, chosen.name))
    return choices


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day` in the current time zone (the admin's dates are local)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def last_day() -> datetime.date:
    """The last date the filters accept: about ten years from today."""
    return timezone.localdate() + datetime.timedelta(days=3653)


class EventFilterForm(forms.Form):
    def clean(self):
        for name in ("since", "until"):
            day = self.cleaned_data.get(name)
            if day is not None and not FIRST_DAY <= day <= last_day():
                del self.cleaned_data[name]
                params = {
                    "first": date_format(FIRST_DAY, "SHORT_DATE_FORMAT"),
                    "last": date_format(last_day(), "SHORT_DATE_FORMAT"),
                }
                self.add_error(name, forms.ValidationError(DATE_OUT_OF_RANGE, code="out_of_range", params=params))
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(DATES_REVERSED, code="dates_reversed")
        return data


class EventFilter(django_filters.FilterSet):
    """The filters of the activity log over `team_events(team)`."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    since = django_filters.DateFilter(
        method="filter_since", label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = django_filters.DateFilter(
        method="filter_until", label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )
    action = django_filters.ChoiceFilter(
        choices=ActivityEvent.Action.choices, label=_("Event"), empty_label=_("All events")
    )
    # Events by the person and events about them: "what did Anna do" and "what happened to David".
    user = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.none(), method="filter_user", label=_("User"), empty_label=_("All users")
    )
    # Any product is accepted: the log is the team's either way, and the catalogue is no secret.
    product = django_filters.ModelChoiceFilter(
        queryset=Product.objects.all(), label=_("Product"), empty_label=_("All products")
    )

    class Meta:
        model = ActivityEvent
        fields = []
        form = EventFilterForm

    def __init__(self, data=None, *args, team: Team, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.team = team
        self.filters["user"].queryset = log_people(team)
        for name in ("action", "user", "product"):
            self.form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        for name in ("since", "until"):
            self.form.fields[name].widget.attrs["class"] = "form-control form-control-sm"

    def add_choices(self) -> None:
        """Fill the User and Product lists, for a screen that shows the form (the export does not).

        They offer what is worth picking without reading the log (see the functions); what the filters
        accept is the fields' querysets. django-filter's fields wrap `choices`, hence the widgets."""
        fields, cleaned = self.form.fields, self.cleaned
        fields["user"].widget.choices = [
            ("", fields["user"].empty_label),
            *people_choices(self.team, cleaned.get("user")),
        ]
        fields["product"].widget.choices = [
            ("", fields["product"].empty_label),
            *product_choices(self.team, cleaned.get("product")),
        ]

    @property
    def cleaned(self) -> dict:
        """The valid filter values (an invalid one, such as a malformed date, is left out)."""
        self.form.is_valid()
        return getattr(self.form, "cleaned_data", {})

    @property
    def is_filtered(self) -> bool:
        """Whether anything narrows the log (for "Clear filters" and the empty text)."""
        return any(self.cleaned.get(name) for name in ("q", "since", "until", "action", "user", "product"))

    def filter_since(self, queryset, name, value):
        return queryset.filter(created_at__gte=start_of(value))

    def filter_until(self, queryset, name, value):
        # The whole end day counts: before midnight at the start of the next day.
        return queryset.filter(created_at__lt=start_of(value + datetime.timedelta(days=1)))

    def filter_user(self, queryset, name, value):
        return queryset.filter(Q(actor=value) | Q(target_user=value))

    def filter_search(self, queryset, name, value):
        # Every word must appear somewhere: in the target (the name the team saw of whom it concerned),
        # the names and addresses of who acted, the address of whom it concerned, the product, the IP
        # address, or the values before and after. Not the names of the account of whom it concerned:
        # those of someone who has not joined the team are not the team's to find (Member.name).
        for word in value.split():
            queryset = queryset.filter(
                Q(target__icontains=word)
                | Q(actor__email__icontains=word)
                | Q(actor__first_name__icontains=word)
                | Q(actor__last_name__icontains=word)
                | Q(target_user__email__icontains=word)
                | Q(product__name__icontains=word)
                | Q(ip_address__icontains=word)
                | Q(before__icontains=word)
                | Q(after__icontains=word)
            )
        return queryset
