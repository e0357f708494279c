"""Reporting › Seat Usage (R-R1..R-R3): a team (or all the teams one administers), a time range, a
summary, the By Product tab with a chart per product, the By User tab with "Unassign" for the seats
to reclaim (asked first in a dialog, with "Undo" in the message after it), and "Export as CSV" for
each tab.

Every view loads the team of the URL for its admins (`team_for_admin`: 404 for outsiders, 403 for
members who are not admins). "All teams" (`?team=all`) covers exactly the teams the user
administers, `Team.objects.administered_by(user)`, never more. The figures come from `queries.py`.

The CSV exports hold exactly the rows of the tab, with its filters and order, every page; their
columns, always these and in this order:

- By Product: team, product, product_code, seats_purchased, seats_assigned, users,
  peak_daily_users, average_daily_users, assigned_not_used
- By User: team, product, user_email, first_name, last_name, days_used, last_used, assigned_on

Dates are ISO 8601 (`last_used` empty when never used, `assigned_on` empty when the user holds no
seat of the product now); `team` is "All teams" on the By Product rows of an "All teams" report.
The files are UTF-8 with a byte order mark and neutralised against formula injection, and are
streamed (portal/csv_export.py)."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.functions import Lower
from django.http import HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy
from django.views.decorators.http import require_POST

from licensing.groups.models import Group
from licensing.jobs.tasks import export_start, job_url
from licensing.reports.charts import usage_chart
from licensing.reports.exports import USER_COLUMNS, export_filename, user_export_query, user_export_rows
from licensing.reports.forms import ReportForm, UnassignForm, UserFilterForm
from licensing.reports.queries import (
    Period,
    UserUsageRows,
    product_usage,
    report_products,
    summary,
    unheld_rows,
    user_usage,
    user_usage_count,
)
from licensing.reports.tables import PER_PAGE, UserUsageTable, person_name
from licensing.subscriptions.models import Assignment, Product
from licensing.subscriptions.services import assignment_delete
from licensing.subscriptions.views import unassign_undo
from licensing.teams.models import Team, member_first_name, member_last_name
from licensing.teams.permissions import can_view_reports
from portal.csv_export import csv_response
from portal.dialogs import dialog_done, render_dialog
from portal.tables import paginate
from portal.views import team_for_admin

TABS = ("products", "users")
# The query parameters of each form of the page: each form carries the other's as hidden fields.
REPORT_PARAMETERS = ("team", "range", "start", "end")
USER_FILTER_PARAMETERS = ("q", "product", "group", "unused", "sort")
# Parameters that belong to one screen of the list, not to the report: an export or a switch of
# team or range starts from the first page.
PAGE_PARAMETERS = ("page",)
ALREADY_UNASSIGNED = ngettext_lazy(
    "%(count)d selected seat is no longer assigned.", "%(count)d selected seats are no longer assigned.", "count"
)

PRODUCT_COLUMNS = [
    "team",
    "product",
    "product_code",
    "seats_purchased",
    "seats_assigned",
    "users",
    "peak_daily_users",
    "average_daily_users",
    "assigned_not_used",
]


@dataclass
class Report:
    """What a request asks to see: the team of the URL, the teams covered, the range."""

    team: Team
    teams: list[Team]
    all_teams: bool
    form: ReportForm
    period: Period
    today: date
    query: QueryDict

    @property
    def team_ids(self) -> list[int]:
        return [team.pk for team in self.teams]

    @property
    def label(self) -> str:
        return _("All teams") if self.all_teams else self.team.name

    def carry(self, names) -> list[tuple[str, str]]:
        """The (name, value) pairs of the query among `names`: hidden fields of a form of the page."""
        return [(key, value) for key in names for value in self.query.getlist(key)]

    def url(self, name: str = "seat-usage", **changes) -> str:
        """The address of `name` for this report, with the query changed by `changes` (None drops)."""
        query = self.query.copy()
        for key, value in changes.items():
            query.pop(key, None)
            if value is not None:
                query[key] = value
        url = reverse(f"reports:{name}", kwargs={"team_id": self.team.pk})
        return f"{url}?{query.urlencode()}" if query else url


def _report(request, team_id: int, query: QueryDict | None = None) -> Report | HttpResponse:
    """The report a request asks for, or a redirect when its team picker names another team."""
    team = team_for_admin(request, team_id)
    if not can_view_reports(request.user, team):  # R-R3; today the same rule as team_for_admin's
        raise PermissionDenied(_("Only the team's administrators can see its reports."))
    query = request.GET if query is None else query
    administered = list(Team.objects.administered_by(request.user).select_related("customer").order_by("name", "pk"))
    today = timezone.localdate()
    form = ReportForm(query, teams=administered, current=team, today=today)
    if form.team_id is not None and form.team_id != team.pk:
        # The picker chose another team: the same screen under that team's address.
        rest = query.copy()
        for key in ("team", *PAGE_PARAMETERS):
            rest.pop(key, None)
        url = reverse(request.resolver_match.view_name, kwargs={"team_id": form.team_id})
        return redirect(f"{url}?{rest.urlencode()}" if rest else url)
    teams = administered if form.all_teams else [team]
    return Report(team, teams, form.all_teams, form, form.period, today, query)


def _team_groups(report: Report) -> list[Group]:
    """The groups of the report's team, for By User's group filter (R-GR6): one query."""
    return list(Group.objects.filter(team=report.team).order_by(Lower("name"), "pk"))


def _user_filters(request_query: QueryDict, products: list, report: Report) -> UserFilterForm:
    return UserFilterForm(
        request_query,
        products=Product.objects.filter(pk__in=[row.product.pk for row in products]).order_by("name"),
        groups=_team_groups(report),
    )


def _user_rows(report: Report, filters: UserFilterForm, *, products: list | None = None):
    """By User's rows: a queryset of them all (the export), or, given the By Product figures
    `products`, for the table a page at a time (UserUsageRows: the page's days used and last use
    computed for its rows alone; no query for seats held by nobody now when the figures say none)."""
    arguments = {
        "search": filters.search,
        "product": filters.chosen_product,
        "group": filters.chosen_group,
        "unused_only": filters.unused_only,
    }
    if products is not None:
        unheld = unheld_rows(report.team_ids, **arguments, products=products)
        return UserUsageRows(report.team_ids, report.period, unheld=unheld, **arguments)
    return user_usage(report.team_ids, report.period, **arguments)


def _user_count(report: Report, filters: UserFilterForm, products: list) -> int:
    return user_usage_count(
        report.team_ids,
        report.period,
        search=filters.search,
        product=filters.chosen_product,
        group=filters.chosen_group,
        unused_only=filters.unused_only,
        products=products,
    )


@login_required
def seat_usage(request, team_id: int):
    """The report (R-R1): summary, then By Product or By User (`?tab=users`)."""
    report = _report(request, team_id)
    if isinstance(report, HttpResponse):
        return report
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "products"
    # By User shows no daily figures: its summary needs no GROUP BY day.
    products = product_usage(report.team_ids, report.period, today=report.today, daily=tab == "products")
    context = {
        "team": report.team,
        "report": report,
        "form": report.form,
        "tab": tab,
        "summary": summary(report.team_ids, report.period, products),
        "products": products,
        "tab_urls": {name: report.url(tab=name, page=None) for name in TABS},
        "unused_total": sum(row.unused for row in products),
        "unused_link": report.url(tab="users", unused="on", q=None, product=None, group=None, sort=None, page=None),
        # The range form keeps the tab and the By User filters; By User's filters keep the range.
        "report_carry": report.carry(["tab", *USER_FILTER_PARAMETERS]) if tab == "users" else [],
    }
    if tab == "products":
        context["charts"] = [(row, usage_chart(row, report.period)) for row in products]
        context["export_url"] = report.url("seat-usage-export-products", page=None)
    else:
        filters = _user_filters(request.GET, products, report)
        # Whoever may see a team's report may unassign its seats (team_for_admin, administered_by).
        # No request= here: the table would paginate itself at once, counting its rows; paginate()
        # below does it once, with the count of _user_count.
        rows = _user_rows(report, filters, products=products)
        table = UserUsageTable(rows, period=report.period, all_teams=report.all_teams)
        # The count from the figures above where it can (user_usage_count), not a COUNT(*) of the rows.
        count = _user_count(report, filters, products)
        paginate(request, table, per_page=PER_PAGE, count=count)
        # Many rows: the button starts a job that writes the file, with a page to wait on (licensing.jobs).
        context["export_as_job"] = count > settings.JOBS_EXPORT_ROWS_AT_ONCE
        context.update(
            filters=filters,
            table=table,
            unassign_form=UnassignForm(initial={"query": request.GET.urlencode()}),
            filter_carry=[*report.carry([*REPORT_PARAMETERS, "sort"]), ("tab", "users")],
            export_url=report.url("seat-usage-export-users", page=None),
        )
    return render(request, "reports/seat_usage.html", context)


# --- Exports ------------------------------------------------------------------------------------


def _filename(report: Report, what: str) -> str:
    """seat-usage-design-2026-08-01-to-2026-10-31-users.csv"""
    return export_filename(
        team_name=report.team.name, team_id=report.team.pk, all_teams=report.all_teams, period=report.period, what=what
    )


@login_required
def seat_usage_export_products(request, team_id: int):
    """By Product as CSV (R-R2): PRODUCT_COLUMNS, one row per product of the tab."""
    report = _report(request, team_id)
    if isinstance(report, HttpResponse):
        return report
    rows = (
        [
            report.label,
            row.product.name,
            row.product.code,
            row.seats_purchased,
            row.seats_assigned,
            row.users,
            row.peak,
            f"{row.average:.1f}",
            row.unused,
        ]
        for row in product_usage(report.team_ids, report.period, today=report.today)
    )
    return csv_response(_filename(report, "products"), PRODUCT_COLUMNS, rows)


@login_required
def seat_usage_export_users(request, team_id: int):
    """By User as CSV (R-R2): USER_COLUMNS, every row of the tab with its filters and order. GET: the
    file at once, read from the database in chunks while the response is sent. POST (the page's button
    when the rows are more than JOBS_EXPORT_ROWS_AT_ONCE): a job writes the file, and its page shows how
    far it is and then the download (licensing.jobs)."""
    report = _report(request, team_id)
    if isinstance(report, HttpResponse):
        return report
    # The product filter accepts the report's products, as on screen: a product chosen under "All
    # teams" and carried to one team without it is ignored here too, not an empty file.
    filters = UserFilterForm(
        request.GET,
        products=report_products(report.team_ids, report.period, today=report.today),
        groups=_team_groups(report),
    )
    order_by = request.GET.getlist("sort")  # the table's order_by_field, django-tables2's default
    query = user_export_query(
        report.team_ids,
        report.period,
        search=filters.search,
        product=filters.chosen_product,
        group=filters.chosen_group,
        unused_only=filters.unused_only,
        order_by=order_by,  # the order of the screen, every page
        all_teams=report.all_teams,
    )
    filename = _filename(report, "users")
    if request.method == "POST":
        product = filters.chosen_product
        job = export_start(
            user=request.user,
            team=report.team,
            filename=filename,
            params={
                "team_ids": report.team_ids,
                "all_teams": report.all_teams,
                "start": report.period.start.isoformat(),
                "end": report.period.end.isoformat(),
                "search": filters.search,
                "product": product.pk if product else None,
                "group": filters.chosen_group.pk if filters.chosen_group else None,
                "unused_only": filters.unused_only,
                "order_by": order_by,
                "back": report.url(tab="users"),
            },
        )
        return redirect(job_url(job))
    return csv_response(filename, USER_COLUMNS, user_export_rows(query))


# --- Unassign the selected seats ----------------------------------------------------------------


def _unassign_summary(done: int, refused: list[tuple[str, str]]):
    """ "3 seats unassigned." and, for refused rows, one line each with who, what and why."""
    done_text = ngettext("%(count)d seat unassigned", "%(count)d seats unassigned", done) % {"count": done}
    if not refused:
        return format_html("{}.", done_text)
    n = len(refused)
    refused_text = ngettext("%(count)d not unassigned", "%(count)d not unassigned", n) % {"count": n}
    items = format_html_join("", "<li>{}: {}</li>", refused)
    if done:
        return format_html('{}; {}:<ul class="sk-bulk-refusals">{}</ul>', done_text, refused_text, items)
    return format_html('{}:<ul class="sk-bulk-refusals">{}</ul>', refused_text, items)


@login_required
@require_POST
def seat_usage_unassign(request, team_id: int):
    """ "Unassign" for the seats ticked on By User. It asks first: a dialog lists the seats ticked
    (person – product, and the team under "All teams") and how many, with "Unassign" and "Cancel";
    only the post that confirms (`confirm`, a hidden field of the dialog) unassigns. Then each seat
    goes through `assignment_delete`, in its own transaction, so a refused seat does not undo the
    others; the summary explains each refusal and has "Undo" for the seats unassigned (issue 22).
    Only seats of the report's teams are touched; another team's seat counts as not found."""
    form = UnassignForm(request.POST)
    query = QueryDict(form.data.get("query", ""))
    report = _report(request, team_id, query=query)
    if isinstance(report, HttpResponse):  # the list never posts a team picker for another team
        return HttpResponseBadRequest()
    back = report.url(tab="users")
    if not form.is_valid():
        for error in form.errors.get("assignments", []):
            messages.error(request, error)
        return dialog_done(request, back)
    wanted = form.cleaned_data["assignments"]
    assignments = list(
        Assignment.objects.filter(pk__in=wanted, member__team__in=report.team_ids)
        .select_related("member__user", "member__team", "product")
        .order_by(Lower(member_last_name("member__")), Lower(member_first_name("member__")), "product__name", "pk")
    )
    if not form.cleaned_data["confirm"]:
        if not assignments:
            messages.info(request, ALREADY_UNASSIGNED % {"count": len(wanted)})
            return dialog_done(request, back)
        context = {
            "team": report.team,
            "report": report,
            "assignments": assignments,
            "missing": len(set(wanted) - {a.pk for a in assignments}),
            "query": form.cleaned_data["query"],
            "back_url": back,
        }
        return render_dialog(request, "reports/seat_usage_unassign.html", context)
    done, refused, meanwhile = 0, [], 0
    snapshots: dict[int, list] = {}
    for assignment in assignments:
        who = f"{person_name(_person(assignment))} – {assignment.product.name}"
        try:
            snapshot = assignment_delete(assignment=assignment, actor=request.user)
        except ValidationError as error:
            if error.code == "already_unassigned":  # someone else was first: what was asked is done
                meanwhile += 1
            else:
                refused.append((who, " ".join(error.messages)))
        except PermissionDenied as error:
            refused.append((who, str(error) or _("You may not change this team's seats.")))
        else:
            done += 1
            snapshots.setdefault(assignment.member.team_id, []).append(snapshot)
    missing = len(set(wanted) - {a.pk for a in assignments}) + meanwhile
    level = messages.SUCCESS if not refused else messages.WARNING if done else messages.ERROR
    if done or refused:
        summary = unassign_undo(request, _unassign_summary(done, refused), snapshots, team=report.team, back=back)
        messages.add_message(request, level, summary)
    if missing:
        messages.info(request, ALREADY_UNASSIGNED % {"count": missing})
    return dialog_done(request, back)


def _person(assignment: Assignment) -> dict:
    member = assignment.member  # by the names the team sees (Member.name)
    return {"first_name": member.first_name, "last_name": member.last_name, "email": member.user.email}
