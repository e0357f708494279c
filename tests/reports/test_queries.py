"""The figures of the seat-usage report (R-R1) on the hand-made week of tests/reports/conftest.py,
whose right answers are worked out by hand below; the time ranges; the chart's geometry."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from licensing.reports.charts import nice_ceiling, usage_chart
from licensing.reports.forms import MAX_DAYS, Range, ReportForm, past_days, past_months, report_period
from licensing.reports.queries import Period, product_usage, summary, user_usage, user_usage_count
from tests.factories import AssignmentFactory, MemberFactory, SeatUsageFactory, TeamFactory

from .conftest import WEEK, d

TODAY = date(2026, 11, 28)


def by_product(rows):
    return {row.product.name: row for row in rows}


def figures(row) -> dict:
    return {
        "purchased": row.seats_purchased,
        "assigned": row.seats_assigned,
        "users": row.users,
        "peak": row.peak,
        "average": round(row.average, 4),
        "unused": row.unused,
    }


# --- By Product ---------------------------------------------------------------------------------


def test_the_figures_of_one_team(usage):
    # R-R1
    rows = by_product(product_usage([usage.world.team.pk], WEEK, today=timezone.localdate()))
    assert list(rows) == ["DraftPro", "RenderCloud"]
    # DraftPro in Design, users per day: d1 Jan = 1; d2 Jan, David = 2; d3 Jan, David, Anna = 3; d4..d7 0.
    assert rows["DraftPro"].daily == [1, 2, 3, 0, 0, 0, 0]
    assert figures(rows["DraftPro"]) == {
        "purchased": 3,  # the subscription of world
        "assigned": 3,  # Jan, David, Gerrit
        "users": 3,  # Jan, David, Anna (who holds no seat now)
        "peak": 3,  # d3
        "average": 0.8571,  # (1 + 2 + 3 + 0 + 0 + 0 + 0) / 7 = 6 / 7: days without use count
        "unused": 1,  # Gerrit: his last use, 20 February, is before the week
    }
    # RenderCloud: Anna d1 and d5; David holds a seat and never used it.
    assert rows["RenderCloud"].daily == [1, 0, 0, 0, 1, 0, 0]
    assert figures(rows["RenderCloud"]) == {
        "purchased": 2,
        "assigned": 2,  # Anna, David
        "users": 1,  # Anna
        "peak": 1,
        "average": 0.2857,  # 2 / 7
        "unused": 1,  # David
    }


def test_the_summary_of_one_team(usage):
    # R-R1: users who used a product, products in use, seats assigned against purchased.
    teams = [usage.world.team.pk]
    rows = product_usage(teams, WEEK, today=timezone.localdate())
    result = summary(teams, WEEK, rows)
    assert result.users == 3  # Jan, David, Anna (Anna used both products: once)
    assert (result.products_in_use, result.products) == (2, 2)
    assert (result.seats_assigned, result.seats_purchased) == (5, 5)  # 3 + 2 of 3 + 2


def test_the_figures_of_several_teams_count_each_person_once_a_day(usage):
    w = usage.world
    rows = by_product(product_usage([w.team.pk, w.other_team.pk], WEEK, today=timezone.localdate()))
    # DraftPro in Design and Engineering: d1 Jan, Eva = 2; d2 Jan, David (in both teams: once) = 2;
    # d3 Jan, David, Anna = 3; d4 Eva = 1.
    assert rows["DraftPro"].daily == [2, 2, 3, 1, 0, 0, 0]
    assert figures(rows["DraftPro"]) == {
        "purchased": 5,  # 3 + 2
        "assigned": 5,  # Jan, David, Gerrit + Eva, David
        "users": 4,  # Jan, David, Anna, Eva
        "peak": 3,
        "average": 1.1429,  # (2 + 2 + 3 + 1) / 7 = 8 / 7
        "unused": 1,  # Gerrit; David used his Engineering seat on d2
    }
    assert summary([w.team.pk, w.other_team.pk], WEEK, list(rows.values())).users == 4


def test_another_teams_usage_never_counts(usage):
    w = usage.world
    rows = by_product(product_usage([w.outsider_team.pk], WEEK, today=timezone.localdate()))
    assert rows["DraftPro"].daily == [1, 0, 0, 0, 0, 0, 0]  # the outsider's own use, nobody else's
    assert rows["DraftPro"].users == 1


def test_a_period_without_use_has_zero_figures(usage):
    rows = by_product(product_usage([usage.world.team.pk], Period(d(6), d(7)), today=timezone.localdate()))
    assert rows["DraftPro"].daily == [0, 0]
    assert (rows["DraftPro"].peak, rows["DraftPro"].average, rows["DraftPro"].unused) == (0, 0.0, 3)


def test_the_by_product_figures_take_four_queries_whatever_the_number_of_users(usage):
    w = usage.world

    def queries():
        with CaptureQueriesContext(connection) as captured:
            product_usage([w.team.pk], WEEK, today=timezone.localdate())
        return len(captured)

    before = queries()
    for n in range(20):
        member = MemberFactory(team=w.team)
        AssignmentFactory(member=member, product=usage.render)
        SeatUsageFactory(user=member.user, product=usage.render, team=w.team, day=d(1 + n % 7))
    assert queries() == before == 4


# --- By User ------------------------------------------------------------------------------------


def rows_of(queryset) -> list[tuple]:
    return [
        (
            f"{row['first_name']} {row['last_name']}",
            row["product_name"],
            row["days_used"],
            row["last_used"],
            row["assigned_at"] is not None,
        )
        for row in queryset
    ]


def test_by_user_lists_every_seat_and_every_use_by_name(usage):
    # R-R1: the users with their days of use and last use.
    assert rows_of(user_usage([usage.world.team.pk], WEEK)) == [
        ("Anna Bakker", "DraftPro", 1, d(3), False),  # used it, holds no seat of it now
        ("Anna Bakker", "RenderCloud", 2, d(5), True),
        ("David de Jong", "DraftPro", 2, d(3), True),
        ("David de Jong", "RenderCloud", 0, None, True),  # never used
        ("Jan de Vries", "DraftPro", 3, d(3), True),  # 10 March is after the week
        ("Gerrit Gast", "DraftPro", 0, date(2025, 2, 20), True),  # last use before the week
    ]


def test_by_user_assigned_but_not_used_lists_the_seats_to_reclaim(usage):
    rows = user_usage([usage.world.team.pk], WEEK, unused_only=True)
    assert rows_of(rows) == [
        ("David de Jong", "RenderCloud", 0, None, True),
        ("Gerrit Gast", "DraftPro", 0, date(2025, 2, 20), True),
    ]
    assert {row["assignment_key"] for row in rows} == {
        usage.seats["david-render"].pk,
        usage.seats["gerrit-draft"].pk,
    }


def test_by_user_search_and_product_filters(usage):
    team = [usage.world.team.pk]
    assert [r[:2] for r in rows_of(user_usage(team, WEEK, search="david"))] == [
        ("David de Jong", "DraftPro"),
        ("David de Jong", "RenderCloud"),
    ]
    assert [r[:2] for r in rows_of(user_usage(team, WEEK, search="de example.com"))] == [
        ("David de Jong", "DraftPro"),
        ("David de Jong", "RenderCloud"),
        ("Jan de Vries", "DraftPro"),
    ]
    assert [r[:2] for r in rows_of(user_usage(team, WEEK, product=usage.render))] == [
        ("Anna Bakker", "RenderCloud"),
        ("David de Jong", "RenderCloud"),
    ]


def test_by_user_of_several_teams_has_a_row_per_team(usage):
    w = usage.world
    rows = [
        (row["team_name"], f"{row['first_name']} {row['last_name']}", row["days_used"])
        for row in user_usage([w.team.pk, w.other_team.pk], WEEK, product=w.product)
    ]
    assert rows == [
        ("Design", "Anna Bakker", 1),
        ("Design", "David de Jong", 2),
        ("Engineering", "David de Jong", 1),
        ("Design", "Jan de Vries", 3),
        ("Engineering", "Eva Eng", 2),
        ("Design", "Gerrit Gast", 0),
    ]


def test_by_user_shows_who_left_the_team(usage):
    w = usage.world
    leaver = MemberFactory(team=w.team, user__first_name="Lea", user__last_name="Left")
    SeatUsageFactory(user=leaver.user, product=w.product, team=w.team, day=d(4))
    leaver.delete()
    row = next(r for r in user_usage([w.team.pk], WEEK) if r["last_name"] == "Left")
    assert (row["days_used"], row["member_key"], row["assignment_key"]) == (1, None, None)


def test_by_user_counts_a_fixed_number_of_queries(usage):
    w = usage.world

    def queries():
        with CaptureQueriesContext(connection) as captured:
            rows = user_usage([w.team.pk], WEEK)
            rows.count()
            list(rows[:50])
        return len(captured)

    before = queries()
    team = TeamFactory()  # noise elsewhere too
    for n in range(30):
        member = MemberFactory(team=w.team if n % 3 else team)
        AssignmentFactory(member=member, product=usage.render)
        SeatUsageFactory(user=member.user, product=usage.render, team=member.team, day=d(1 + n % 7))
    assert queries() == before == 2


COUNT_FILTERS = [
    {},
    {"unused_only": True},
    {"product": "render"},
    {"product": "draft"},
    {"product": "draft", "unused_only": True},
    {"search": "de"},
    {"search": "nobody"},
    {"search": "de", "product": "draft", "unused_only": True},
]


@pytest.mark.parametrize("filters", COUNT_FILTERS)
@pytest.mark.parametrize("several", [False, True])
def test_the_by_user_count_is_the_number_of_rows(usage, filters, several):
    # With one team and no search the count comes from the By Product figures, without a query.
    w = usage.world
    teams = [w.team.pk, w.other_team.pk] if several else [w.team.pk]
    products = {"render": usage.render, "draft": w.product}
    arguments = {**filters, "product": products[filters["product"]]} if "product" in filters else filters
    rows = product_usage(teams, WEEK, today=timezone.localdate(), daily=False)
    with CaptureQueriesContext(connection) as captured:
        counted = user_usage_count(teams, WEEK, products=rows, **arguments)
    assert counted == len(list(user_usage(teams, WEEK, **arguments)))
    assert counted == user_usage_count(teams, WEEK, **arguments)  # counted by the database
    assert len(captured) == (0 if not several and "search" not in filters else 2 if "unused_only" not in filters else 1)


# --- Time ranges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "start", "end"),
    [
        # On "today", 28 November 2026: the 30 days up to today, and completed months.
        (Range.PAST_30_DAYS, date(2026, 10, 30), date(2026, 11, 28)),
        (Range.PAST_3_MONTHS, date(2026, 8, 1), date(2026, 10, 31)),
        (Range.PAST_6_MONTHS, date(2026, 5, 1), date(2026, 10, 31)),
        (Range.PAST_9_MONTHS, date(2026, 2, 1), date(2026, 10, 31)),
        (Range.PAST_12_MONTHS, date(2025, 11, 1), date(2026, 10, 31)),
    ],
)
def test_past_30_days_ends_today_and_the_months_are_completed_months(choice, start, end):
    assert report_period(choice, today=TODAY) == Period(start, end)


def test_the_past_30_days_are_30_days():
    assert past_days(30, today=TODAY).days == 30


def test_months_back_cross_the_year():
    assert past_months(3, today=date(2026, 1, 15)) == Period(date(2025, 10, 1), date(2025, 12, 31))
    assert past_months(12, today=date(2026, 3, 1)) == Period(date(2025, 3, 1), date(2026, 2, 28))
    assert past_months(12, today=date(2024, 3, 31)).days == 366  # March 2023 to February 2024: a leap day


class Team:
    def __init__(self, pk, name):
        self.pk, self.name = pk, name


def form(data, teams=(), current=None):
    current = current or Team(1, "Design")
    return ReportForm(data, teams=list(teams), current=current, today=TODAY)


def test_a_custom_range_is_taken_as_given():
    f = form({"range": "custom", "start": "2026-02-10", "end": "2026-03-09"})
    assert f.is_valid(), f.errors
    assert f.period == Period(date(2026, 2, 10), date(2026, 3, 9))


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        ("2026-03-09", "2026-02-10", "start", "The start date must be on or before the end date."),
        ("2026-11-01", "2026-11-29", "end", "The end date cannot be after today, 28 Nov 2026."),
        ("2025-11-01", "2026-11-02", "start", f"A range can be at most {MAX_DAYS} days long."),
        ("", "2026-11-02", "__all__", "Choose a start and an end date for a custom range."),
        ("yesterday", "2026-11-02", "start", "Enter a valid date."),
    ],
)
def test_a_custom_range_that_is_not_valid_says_why_and_shows_the_past_30_days(start, end, field, message):
    f = form({"range": "custom", "start": start, "end": end})
    assert not f.is_valid()
    assert message in str(f.errors[field])
    assert f.period == Period(date(2026, 10, 30), date(2026, 11, 28))


def test_dates_are_ignored_unless_the_range_is_custom():
    f = form({"range": "3m", "start": "garbage", "end": "2026-11-29"})
    assert f.is_valid()
    assert f.period == Period(date(2026, 8, 1), date(2026, 10, 31))


def test_all_teams_is_a_choice_only_for_admins_of_several_teams():
    design, engineering = Team(1, "Design"), Team(2, "Engineering")
    assert form({"team": "all"}, teams=[design, engineering]).all_teams
    single = form({"team": "all"}, teams=[design])
    assert not single.all_teams
    assert "team" in single.errors
    assert form({}, teams=[design, engineering]).team_id == 1  # the team of the URL


# --- The chart ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "top", "step"), [(0, 1, 1), (1, 1, 1), (3, 3, 1), (6, 6, 2), (14, 15, 5), (27_500, 30_000, 10_000)]
)
def test_the_y_axis_ends_on_a_round_number(value, top, step):
    assert nice_ceiling(value) == (top, step)


def test_the_chart_has_a_bar_per_day_and_lines_at_the_seats(usage):
    row = by_product(product_usage([usage.world.team.pk], WEEK, today=timezone.localdate()))["DraftPro"]
    chart = usage_chart(row, WEEK)
    assert [bar.users for bar in chart.bars] == [1, 2, 3, 0, 0, 0, 0]
    assert [bar.weekend for bar in chart.bars] == [False] * 5 + [True] * 2
    # The axis runs to 3 (peak 3, 3 seats): the tallest bar reaches the seat lines.
    tallest = chart.bars[2]
    assert tallest.y == chart.purchased.y == chart.assigned.y == chart.top
    assert chart.bars[0].height == pytest.approx((chart.bottom - chart.top) / 3, abs=0.02)
    assert [tick.label for tick in chart.x_ticks] == ["3 Mar"]  # the week's Monday
