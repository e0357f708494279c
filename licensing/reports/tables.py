"""The By User table of the seat-usage report (R-R1): per member and product, days used, last used
and assigned since, sortable and paginated, with a checkbox for each seat that can be unassigned.

Its rows are the dicts of `queries.user_usage`, a UNION: it can only be ordered by the columns it
selects, so every sort ends with the people's names (NAME_ORDER) to keep pages stable."""

import django_tables2 as tables
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from licensing.reports.queries import NAME_ORDER

PER_PAGE = 50


def person_name(row: dict) -> str:
    return f"{row['first_name']} {row['last_name']}".strip() or row["email"]


def _ordered(queryset, is_descending: bool, *keys):
    first = [F(key).desc(nulls_last=True) if is_descending else F(key).asc(nulls_last=True) for key in keys]
    return queryset.order_by(*first, *NAME_ORDER), True


class SeatColumn(tables.Column):
    """A checkbox per row that holds a seat now, named `assignments`, for "Unassign"; "select all" in
    the header (static/js/teams.js, which the By User list uses too, makes it work)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("accessor", "assignment_key")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("attrs", {"th": {"class": "sk-col-select"}, "td": {"class": "sk-col-select"}})
        super().__init__(**kwargs)

    @property
    def header(self):
        return format_html(
            '<input class="form-check-input" type="checkbox" data-select-all aria-label="{}">',
            gettext("Select all seats on this page"),
        )

    def render(self, value, record):
        if value is None:
            return ""
        return format_html(
            '<input class="form-check-input" type="checkbox" name="assignments" value="{}" data-select-row'
            ' form="sk-unassign-form" aria-label="{}">',
            value,
            gettext("Select %(product)s of %(name)s")
            % {"product": record["product_name"], "name": person_name(record)},
        )


class UserUsageTable(tables.Table):
    """One row per member and product of the report."""

    selection = SeatColumn(verbose_name="")
    name = tables.Column(
        verbose_name=_("Name"), accessor="sort_last", empty_values=(), attrs={"td": {"class": "sk-col-name"}}
    )
    team = tables.Column(verbose_name=_("Team"), accessor="team_name", attrs={"td": {"class": "sk-col-team"}})
    product = tables.Column(
        verbose_name=_("Product"), accessor="product_name", attrs={"td": {"class": "sk-col-product"}}
    )
    days_used = tables.Column(
        verbose_name=_("Days used"), attrs={"th": {"class": "text-end"}, "td": {"class": "text-end sk-num"}}
    )
    last_used = tables.Column(
        verbose_name=_("Last used"),
        empty_values=(),
        attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit"}},
    )
    assigned_at = tables.Column(
        verbose_name=_("Assigned since"),
        empty_values=(),
        attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit"}},
    )

    class Meta:
        fields = ()
        sequence = ("selection", "name", "team", "product", "days_used", "last_used", "assigned_at")
        order_by = ("name",)
        template_name = "reports/_user_table.html"
        attrs = {"class": "table sk-table sk-member-table sk-usage-table align-middle mb-0"}
        empty_text = _("No users match these filters.")
        per_page = PER_PAGE

    def __init__(self, *args, period, all_teams: bool, **kwargs):
        # The team column only when the report covers several teams.
        super().__init__(*args, exclude=() if all_teams else ("team",), **kwargs)
        self.period = period
        self.all_teams = all_teams

    def order_name(self, queryset, is_descending):
        keys = ("sort_last", "sort_first", "sort_email")
        ordered = [F(key).desc() if is_descending else F(key).asc() for key in keys]
        return queryset.order_by(*ordered, *NAME_ORDER), True

    def order_team(self, queryset, is_descending):
        return _ordered(queryset, is_descending, "team_name", "team_key")

    def order_product(self, queryset, is_descending):
        return _ordered(queryset, is_descending, "product_name", "product_key")

    def order_days_used(self, queryset, is_descending):
        return _ordered(queryset, is_descending, "days_used")

    def order_last_used(self, queryset, is_descending):
        return _ordered(queryset, is_descending, "last_used")

    def order_assigned_at(self, queryset, is_descending):
        return _ordered(queryset, is_descending, "assigned_at")

    def render_name(self, record: dict):
        name = person_name(record)
        if record["member_key"] is not None:
            url = reverse(
                "teams:member-detail", kwargs={"team_id": record["team_key"], "member_id": record["member_key"]}
            )
            name = format_html('<a class="sk-member-link" href="{}">{}</a>', url, name)
        else:
            name = format_html(
                '<span class="sk-member-link">{}</span> <span class="badge sk-badge-muted">{}</span>',
                name,
                gettext("Not in the team now"),
            )
        return format_html(
            '{}<span class="sk-member-email" title="{}">{}</span>', name, record["email"], record["email"]
        )

    def render_team(self, value):
        return format_html('<span class="sk-usage-team" title="{}">{}</span>', value, value)

    def render_days_used(self, value):
        if not value:
            return format_html('<span class="sk-usage-idle">{}</span>', "0")
        return value

    def render_last_used(self, record: dict):
        day = record["last_used"]
        if day is None:
            return format_html('<span class="sk-none">{}</span>', gettext("Never"))
        text = date_format(day, "SHORT_DATE_FORMAT")
        if day < self.period.start:
            return format_html('{}<span class="sk-status-detail">{}</span>', text, gettext("before this range"))
        return text

    def render_assigned_at(self, record: dict):
        when = record["assigned_at"]
        if when is None:
            return format_html('<span class="sk-none">{}</span>', gettext("Not assigned now"))
        return date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")
