"""The input of the seat-usage report (R-R1): which teams, which time range, and the filters of the
By User tab. Only the shape of the input lives here; the figures are in `queries.py`.

"Past 30 days" ends today, so that a licence check shows in the report at once (an admin who has
just assigned a seat wants to see it used): on 28 November it is 30 October to 28 November, today
so far included. The months are completed calendar months, whose figures no longer change: on 28
November "Past 3 months" is 1 August to 31 October."""

from datetime import date, timedelta

from django import forms
from django.db import models
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from licensing.groups.models import Group
from licensing.reports.queries import Period
from licensing.subscriptions.models import Product
from portal.fields import id_from

ALL_TEAMS = "all"
# The longest custom range: a year, leap day included. The charts and the By User export stay readable.
MAX_DAYS = 366

START_AFTER_END = _("The start date must be on or before the end date.")
END_IN_FUTURE = _("The end date cannot be after today, %(today)s.")
RANGE_TOO_LONG = _("A range can be at most %(days)d days long.")
DATES_REQUIRED = _("Choose a start and an end date for a custom range.")


class Range(models.TextChoices):
    PAST_30_DAYS = "30d", _("Past 30 days")
    PAST_3_MONTHS = "3m", _("Past 3 months")
    PAST_6_MONTHS = "6m", _("Past 6 months")
    PAST_9_MONTHS = "9m", _("Past 9 months")
    PAST_12_MONTHS = "12m", _("Past 12 months")
    CUSTOM = "custom", _("Custom range")


MONTHS = {Range.PAST_3_MONTHS: 3, Range.PAST_6_MONTHS: 6, Range.PAST_9_MONTHS: 9, Range.PAST_12_MONTHS: 12}


def first_of_month_before(day: date, months: int) -> date:
    """The first day of the month `months` months before the month of `day`."""
    index = day.year * 12 + (day.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def past_days(days: int, *, today: date) -> Period:
    """The `days` days that end with `today`, today included."""
    return Period(today - timedelta(days=days - 1), today)


def past_months(months: int, *, today: date) -> Period:
    """The `months` completed calendar months before the month of `today`."""
    return Period(first_of_month_before(today, months), today.replace(day=1) - timedelta(days=1))


def report_period(choice: str, *, today: date, start: date | None = None, end: date | None = None) -> Period:
    """The dates of the range `choice` on the day `today`; `start` and `end` for a custom range."""
    if choice == Range.CUSTOM:
        if start is None or end is None:
            raise ValueError("A custom range needs a start and an end.")
        return Period(start, end)
    if choice in MONTHS:
        return past_months(MONTHS[choice], today=today)
    return past_days(30, today=today)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class ReportForm(forms.Form):
    """The team picker and the time range. Everything is optional: a first visit shows the current
    team over the past 30 days. A custom range that is not valid shows its errors and the report of
    the past 30 days, so that the page always has figures."""

    team = forms.ChoiceField(label=_("Team"), required=False)
    range = forms.ChoiceField(label=_("Time range"), choices=Range.choices, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, data=None, *, teams, current, today: date, **kwargs):
        """`teams`: the teams the user administers (the choices, with "All teams" when there are
        several); `current`: the team of the URL, listed too (support staff need not administer it)."""
        if data is not None and not data.get("team"):
            # The picker shows the team of the URL until another is chosen.
            data = data.copy()
            data["team"] = str(current.pk)
        super().__init__(data, **kwargs)
        self.today = today
        listed = list(teams)
        if current.pk not in {team.pk for team in listed}:
            listed = sorted([*listed, current], key=lambda team: (team.name.lower(), team.pk))
        choices = [(str(team.pk), team.name) for team in listed]
        if len(teams) > 1:
            choices.insert(0, (ALL_TEAMS, _("All teams")))
        self.fields["team"].choices = choices
        self.fields["team"].initial = str(current.pk)
        self.fields["range"].initial = Range.PAST_30_DAYS
        default = past_days(30, today=today)
        self.fields["start"].initial, self.fields["end"].initial = default.start, default.end
        for name in ("team", "range"):
            self.fields[name].widget.attrs["class"] = "form-select form-select-sm"
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update({"class": "form-control form-control-sm", "max": today.isoformat()})

    def clean(self):
        data = super().clean()
        if data.get("range") != Range.CUSTOM:
            # The dates only count for a custom range; a bad one elsewhere is no reason to complain.
            for name in ("start", "end"):
                self._errors.pop(name, None)
            return data
        start, end = data.get("start"), data.get("end")
        if "start" in self.errors or "end" in self.errors:
            return data
        if start is None or end is None:
            raise forms.ValidationError(DATES_REQUIRED, code="dates_required")
        if start > end:
            self.add_error("start", forms.ValidationError(START_AFTER_END, code="start_after_end"))
        elif end > self.today:
            today = date_format(self.today, "SHORT_DATE_FORMAT")
            self.add_error("end", forms.ValidationError(END_IN_FUTURE, code="end_in_future", params={"today": today}))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error("start", forms.ValidationError(RANGE_TOO_LONG, code="too_long", params={"days": MAX_DAYS}))
        return data

    def _value(self, name: str):
        """The cleaned value of `name`, or None when it is missing or not valid (the other fields
        still count: a bad custom date does not lose the team)."""
        self.is_valid()
        return None if name in self.errors else self.cleaned_data.get(name)

    @property
    def custom_dates_valid(self) -> bool:
        self.is_valid()
        if any(name in self.errors for name in ("start", "end", forms.forms.NON_FIELD_ERRORS)):
            return False
        return self._value("start") is not None and self._value("end") is not None

    @property
    def choice(self) -> str:
        """The range shown: the one asked for, or the past 30 days instead of a custom range that is
        not valid."""
        choice = self._value("range") or Range.PAST_30_DAYS
        if choice == Range.CUSTOM and not self.custom_dates_valid:
            return Range.PAST_30_DAYS
        return choice

    @property
    def period(self) -> Period:
        return report_period(self.choice, today=self.today, start=self._value("start"), end=self._value("end"))

    @property
    def all_teams(self) -> bool:
        return self._value("team") == ALL_TEAMS

    @property
    def team_id(self) -> int | None:
        """The single team asked for (another than the URL's means: go there), or None."""
        value = self._value("team")
        return int(value) if value and value != ALL_TEAMS else None


class UserFilterForm(forms.Form):
    """The filters of the By User tab: search by name or e-mail, a product, a group of the team (its
    members' usage, R-GR6), and "assigned but not used in this range", the seats an admin can reclaim."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("All products")
    )
    group = forms.ModelChoiceField(
        label=_("Group"), queryset=Group.objects.none(), required=False, empty_label=_("All groups")
    )
    unused = forms.BooleanField(label=_("Assigned but not used in this range"), required=False)

    def __init__(self, data=None, *, products, groups=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["product"].queryset = products
        self.fields["product"].widget.attrs["class"] = "form-select form-select-sm"
        self.groups = list(groups) if groups is not None else []
        self.fields["group"].queryset = Group.objects.filter(pk__in=[group.pk for group in self.groups])
        self.fields["group"].choices = [("", self.fields["group"].empty_label)] + [
            (group.pk, group.name) for group in self.groups
        ]
        self.fields["group"].widget.attrs["class"] = "form-select form-select-sm"

    def _value(self, name: str):
        return self.cleaned_data.get(name) if self.is_valid() else None

    @property
    def search(self) -> str:
        return self._value("q") or ""

    @property
    def chosen_product(self) -> Product | None:
        return self._value("product")

    @property
    def chosen_group(self) -> Group | None:
        return self._value("group")

    @property
    def unused_only(self) -> bool:
        return bool(self._value("unused"))

    @property
    def is_filtered(self) -> bool:
        return bool(self.search or self.chosen_product or self.chosen_group or self.unused_only)


class SeatsField(forms.Field):
    """The ticked seats (assignment ids) of By User."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if isinstance(value, str):
            value = [value]
        ids = {id_from(pk) for pk in value or ()}
        if None in ids:  # letters, or a number no database id can be
            message = _("The selection is not valid. Reload the page and try again.")
            raise forms.ValidationError(message, code="invalid")
        return sorted(ids)


class UnassignForm(forms.Form):
    """ "Unassign" on By User: the ticked seats, the report's query string to go back to, and whether
    the confirmation dialog confirmed."""

    assignments = SeatsField(error_messages={"required": _("Select the seats to unassign first.")})
    query = forms.CharField(required=False, widget=forms.HiddenInput)
    # Set by the confirmation dialog's "Unassign": without it the view only asks.
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
