"""The By User export of Seat Usage (R-R2) as rows, for the download at once (views) and for the job
of a large one (licensing.jobs.tasks): the same columns, filters and order either way.

Columns, always these and in this order: team, product, user_email, first_name, last_name,
days_used, last_used, assigned_on."""

from collections.abc import Iterator
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from licensing.reports.queries import Period, user_usage
from licensing.reports.tables import UserUsageTable
from licensing.subscriptions.models import Product
from portal.csv_export import team_slug

USER_COLUMNS = ["team", "product", "user_email", "first_name", "last_name", "days_used", "last_used", "assigned_on"]


def export_filename(*, team_name: str, team_id: int, all_teams: bool, period: Period, what: str) -> str:
    """seat-usage-design-2026-08-01-to-2026-10-31-users.csv"""
    team = "all-teams" if all_teams else team_slug(team_name, team_id)
    return f"seat-usage-{team}-{period.start.isoformat()}-to-{period.end.isoformat()}-{what}.csv"


def user_export_query(
    team_ids: list[int],
    period: Period,
    *,
    search: str = "",
    product: Product | None = None,
    group=None,
    unused_only: bool = False,
    order_by: list[str] | None = None,
    all_teams: bool = False,
) -> QuerySet:
    """Every By User row of the report, with its filters (`group`: a licensing.groups Group of the team,
    R-GR6), in the order of the screen (`order_by`: the table's `?sort=`)."""
    rows = user_usage(team_ids, period, search=search, product=product, group=group, unused_only=unused_only)
    table = UserUsageTable(rows, period=period, all_teams=all_teams)
    if order_by:
        table.order_by = order_by
    return table.data.data


def user_export_rows(query: QuerySet) -> Iterator[list]:
    """The CSV rows of `query` (USER_COLUMNS), read from the database in chunks."""
    # The day of the assignment in the portal's time zone, looked up once rather than per row
    # (timezone.localdate() asks for the current time zone every time).
    zone = timezone.get_current_timezone()
    for row in query.iterator(chunk_size=2000):
        assigned_at = row["assigned_at"]
        yield [
            row["team_name"],
            row["product_name"],
            row["email"],
            row["first_name"],
            row["last_name"],
            row["days_used"],
            row["last_used"],
            assigned_at.astimezone(zone).date() if assigned_at else None,
        ]


def period_from(start: str, end: str) -> Period:
    return Period(date.fromisoformat(start), date.fromisoformat(end))
