"""The team-admin API's Seat Usage (issue 21 §3, R-R1, R-R3): the figures per product over a range of
days, and the users with their days of use, a page at a time. The same queries as Reporting › Seat
Usage (licensing.reports.queries); the door, paging and problems are licensing.teams.api's."""

from datetime import date

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema

from licensing.reports.forms import END_IN_FUTURE, MAX_DAYS, RANGE_TOO_LONG, START_AFTER_END, past_days
from licensing.reports.queries import Period, UserUsageRows, product_usage, summary, user_usage_count
from licensing.teams.api.door import (
    TAG,
    PageIn,
    PageOut,
    acting_team,
    errors_of,
    paged,
    refused,
    team_product,
    team_token,
)
from licensing.teams.filters import team_products

router = Router(tags=[TAG])

PERIOD_DEFAULT_DAYS = 30
HALF_PERIOD = _("Give both start and end, or neither (the past 30 days).")


class PeriodIn(Schema):
    start: date | None = Field(None, description="First day, included. With end; both left out: the past 30 days.")
    end: date | None = Field(None, description="Last day, included; today at the latest.")


def period_of(request_period: PeriodIn) -> Period:
    """The period asked for, under the rules of the report's custom range; a 422 problem otherwise."""
    today = timezone.localdate()
    start, end = request_period.start, request_period.end
    if start is None and end is None:
        return past_days(PERIOD_DEFAULT_DAYS, today=today)
    message, field = None, "start"
    if start is None or end is None:
        message = HALF_PERIOD
    elif start > end:
        message = START_AFTER_END
    elif end > today:
        message, field = END_IN_FUTURE % {"today": today.isoformat()}, "end"
    elif (end - start).days + 1 > MAX_DAYS:
        message = RANGE_TOO_LONG % {"days": MAX_DAYS}
    if message is not None:
        raise refused(422, "PERIOD_INVALID", message, field=field)
    return Period(start, end)


class ProductUsageOut(Schema):
    product: str = Field(description="The product's code.")
    name: str
    seats_purchased: int
    seats_assigned: int
    users: int = Field(description="Distinct users who used it in the period.")
    peak_daily_users: int
    average_daily_users: float
    assigned_unused: int = Field(description="Seats assigned whose user did not use them in the period.")


class SummaryOut(Schema):
    users: int
    products_in_use: int
    products: int
    seats_assigned: int
    seats_purchased: int


class SeatUsageOut(Schema):
    start: date
    end: date
    summary: SummaryOut
    products: list[ProductUsageOut]


@router.get(
    "/teams/{team_id}/seat-usage",
    auth=team_token,
    response={200: SeatUsageOut, **errors_of(404, 422)},
    operation_id="seat_usage_get",
    summary="Read Seat Usage",
    description=(
        "Reporting › Seat Usage (R-R1, R-R3) for one team: per product, seats purchased and assigned, users, peak "
        "and average daily users and the seats assigned but unused in the period (at most 366 days)."
    ),
)
def seat_usage_get(request: HttpRequest, team_id: int, period: Query[PeriodIn]):
    team = acting_team(request, team_id)
    span = period_of(period)
    rows = product_usage([team.pk], span, today=timezone.localdate())
    total = summary([team.pk], span, rows)
    return {
        "start": span.start,
        "end": span.end,
        "summary": vars(total),
        "products": [
            {
                "product": row.product.code,
                "name": row.product.name,
                "seats_purchased": row.seats_purchased,
                "seats_assigned": row.seats_assigned,
                "users": row.users,
                "peak_daily_users": row.peak,
                "average_daily_users": round(row.average, 2),
                "assigned_unused": row.unused,
            }
            for row in rows
        ],
    }


class UserUsageOut(Schema):
    email: str
    first_name: str
    last_name: str
    member: int | None = Field(description="The member's id; null when the person has left the team.")
    product: str = Field(description="The product's code.")
    days_used: int
    last_used: date | None
    assigned: bool = Field(description="Whether the person holds a seat of the product now.")


class UserUsagePageOut(PageOut):
    start: date
    end: date
    items: list[UserUsageOut]


class UserUsageIn(PeriodIn, PageIn):
    q: str = Field("", max_length=200, description="Every word in the name or e-mail address.")
    product: str | None = Field(None, max_length=50, description="Only this product (its code).")
    unused_only: bool = Field(False, description="Only seats assigned but not used in the period.")


@router.get(
    "/teams/{team_id}/seat-usage/users",
    auth=team_token,
    response={200: UserUsagePageOut, **errors_of(404, 422)},
    operation_id="seat_usage_users",
    summary="Read Seat Usage per user",
    description=(
        "The users of Seat Usage (R-R1): per person and product, the days of use in the period and the last use, "
        "by name, a page at a time."
    ),
)
def seat_usage_users(request: HttpRequest, team_id: int, filters: Query[UserUsageIn]):
    team = acting_team(request, team_id)
    span = period_of(filters)
    product = team_product(team, filters.product) if filters.product else None
    arguments = {"search": filters.q.strip(), "product": product, "unused_only": filters.unused_only}
    rows = UserUsageRows([team.pk], span, **arguments)
    items, page = paged(rows, filters, count=user_usage_count([team.pk], span, **arguments))
    codes = dict(team_products(team).values_list("pk", "code"))
    return {
        **page,
        "start": span.start,
        "end": span.end,
        "items": [
            {
                "email": row["email"],
                "first_name": row["first_name"] or "",
                "last_name": row["last_name"] or "",
                "member": row["member_key"],
                "product": codes.get(row["product_key"], ""),
                "days_used": row["days_used"] or 0,
                "last_used": row["last_used"],
                "assigned": row["assignment_key"] is not None,
            }
            for row in items
        ],
    }
