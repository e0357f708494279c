"""Reporting › Activity log: every event of a team, filtered, paginated, and "Export as CSV".

Read only: there is no view that adds, changes or deletes an event (the services write them), and
both views answer GET alone. Both load the team for its admins (`team_for_admin`: 404 for outsiders,
403 for members who are not admins) and build the log with the same `_log`, so the export holds
exactly the rows and filters of the screen, in the screen's order."""

from django.contrib.auth.decorators import login_required
from django.db.models import Max, Min
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from licensing.activity.filters import EventFilter, team_events
from licensing.activity.tables import CSV_HEADER, PER_PAGE, ActivityTable, csv_rows
from licensing.teams.models import Team
from portal.csv_export import csv_response, team_slug
from portal.tables import order, paginate
from portal.views import team_for_admin


def _log(request, team: Team) -> tuple[EventFilter, ActivityTable]:
    """The filter and the table of the log, as the request asks (filters and sort order)."""
    filterset = EventFilter(
        request.GET, queryset=team_events(team).select_related("actor", "target_user", "product"), team=team
    )
    # No `request=` here: the table would paginate itself at once (a COUNT the export has no use for);
    # the list paginates it (portal.tables.paginate), the export only sorts it (order: the export is
    # meant whole).
    table = ActivityTable(filterset.qs, team=team)
    table.is_filtered = filterset.is_filtered  # the empty table says why it is empty
    return filterset, table


@require_GET
@login_required
def event_list(request, team_id: int):
    """The activity log of the team, 50 events a page, in a fixed number of queries however many
    events there are."""
    team = team_for_admin(request, team_id)
    filterset, table = _log(request, team)
    filterset.add_choices()
    paginate(request, table, per_page=PER_PAGE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {"team": team, "filter": filterset, "table": table, "export_query": query.urlencode()}
    return render(request, "activity/event_list.html", context)


def export_filename(team: Team, filterset: EventFilter, queryset) -> str:
    """`activity-<team>-<from>-to-<to>.csv`: the dates filtered on, else those of the first and last
    event exported (today when there is none)."""
    since, until = filterset.cleaned.get("since"), filterset.cleaned.get("until")
    if since is None or until is None:
        span = queryset.order_by().aggregate(first=Min("created_at"), last=Max("created_at"))
        today = timezone.localdate()
        since = since or (timezone.localdate(span["first"]) if span["first"] else today)
        until = until or (timezone.localdate(span["last"]) if span["last"] else today)
    return f"activity-{team_slug(team.name, team.pk)}-{since.isoformat()}-to-{until.isoformat()}.csv"


@require_GET
@login_required
def event_export(request, team_id: int):
    """ "Export as CSV": the rows the screen shows with these filters, all pages, streamed (see
    `licensing.activity.tables.CSV_HEADER` for the columns and portal.csv_export for the format)."""
    team = team_for_admin(request, team_id)
    filterset, table = _log(request, team)
    order(request, table)  # sorted as the screen, every page
    queryset = table.data.data  # the filtered queryset in the order the table sorted it
    return csv_response(export_filename(team, filterset, queryset), CSV_HEADER, csv_rows(queryset))
