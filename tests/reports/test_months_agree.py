"""The report's figures (R-R1) are read from the months of seat usage (SeatUsageMonth, bit masks of
days): here they are checked against the days themselves, worked out in Python from the SeatUsage
rows, over periods that cut months at every edge: one day, a month's first and last day (31), a
leap February, a turn of the year, a year, in one team and across two."""

import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from licensing.reports.queries import (
    Period,
    UserUsageRows,
    product_usage,
    summary,
    unheld_rows,
    user_usage,
    user_usage_count,
)
from licensing.reports.tables import UserUsageTable
from licensing.subscriptions.models import SeatUsage
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, TeamFactory

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 20)
FIRST_DAY = date(2023, 12, 1)  # the seeded days: 2023-12-01 .. 2025-03-10
DAYS = 466

PERIODS = [
    Period(date(2024, 1, 31), date(2024, 1, 31)),  # one day, the 31st
    Period(date(2024, 2, 1), date(2024, 2, 29)),  # a leap February, whole
    Period(date(2024, 1, 15), date(2024, 3, 1)),  # three months cut at both ends
    Period(date(2023, 12, 31), date(2024, 1, 1)),  # the turn of the year
    Period(date(2024, 5, 1), date(2024, 5, 31)),  # a month of 31 days, whole
    Period(date(2024, 3, 10), date(2025, 3, 9)),  # a year, cut months at both ends
    Period(date(2024, 6, 30), date(2024, 7, 30)),  # from a 30th to a 30th
    Period(date(2025, 3, 5), date(2025, 3, 19)),  # past the last use
]


@pytest.fixture
def world():
    """Two teams, eight people (one in both teams), three products, usage on random days."""
    rng = random.Random(20241231)
    teams = [TeamFactory(), TeamFactory()]
    products = [ProductFactory() for _ in range(3)]
    members = [MemberFactory(team=teams[i % 2]) for i in range(8)]
    members.append(MemberFactory(team=teams[1], user=members[0].user))  # the same person in both teams
    rows = []
    for member in members:
        for product in rng.sample(products, 2):
            if rng.random() < 0.8:
                AssignmentFactory(member=member, product=product)
            odds = rng.choice([0.05, 0.3, 0.9])
            rows += [
                SeatUsage(user=member.user, team=member.team, product=product, day=FIRST_DAY + timedelta(days=i))
                for i in range(DAYS)
                if rng.random() < odds
            ]
    # A day 31 and a 1st for certain, in both teams, for the same person.
    for member in (members[0], members[-1]):
        for day in (date(2024, 1, 31), date(2024, 2, 1), date(2024, 12, 31)):
            rows.append(SeatUsage(user=member.user, team=member.team, product=products[0], day=day))
    SeatUsage.objects.bulk_create(rows, ignore_conflicts=True)
    return teams


def from_days(teams: list[int], period: Period):
    """By User's used rows and By Product's figures, from the SeatUsage rows in Python."""
    seats = defaultdict(list)
    daily = defaultdict(lambda: defaultdict(set))
    for team, user, product, day in SeatUsage.objects.filter(team__in=teams).values_list(
        "team", "user", "product", "day"
    ):
        if period.start <= day <= period.end:
            seats[(team, user, product)].append(day)
            daily[product][day].add(user)
    used = {key: (len(days), max(days)) for key, days in seats.items()}
    users = {product: len(set().union(*days.values())) for product, days in daily.items()}
    per_day = {product: [len(days.get(day, ())) for day in period.dates()] for product, days in daily.items()}
    return used, users, per_day


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.start}..{p.end}")
@pytest.mark.parametrize("both", [False, True], ids=["one team", "two teams"])
def test_the_figures_from_the_months_are_those_of_the_days(world, period, both):
    # R-R1: users, daily users (peak, average), days used and last used, whatever months a period cuts.
    teams = [team.pk for team in (world if both else world[:1])]
    used, users, per_day = from_days(teams, period)

    rows = list(user_usage(teams, period))
    got = {
        (row["team_key"], row["user_key"], row["product_key"]): (row["days_used"], row["last_used"])
        for row in rows
        if row["days_used"]
    }
    assert got == used
    assert all(isinstance(row["last_used"], date | None) for row in rows)
    assert len(rows) == user_usage_count(teams, period)

    products = product_usage(teams, period, today=TODAY)
    assert {row.product.pk: row.users for row in products if row.users} == users
    assert {row.product.pk: row.daily for row in products if row.users} == per_day
    everyone = {user for (_team, user, _product) in used}
    assert summary(teams, period, products).users == len(everyone)
    # Whether there are rows of seats used but held by nobody now, as the figures tell By User.
    unheld = any(row["assignment_key"] is None for row in rows)
    assert unheld_rows(teams, products=products) == (unheld or both)
    for product in {row.product for row in products}:
        held_by_nobody = any(row["assignment_key"] is None and row["product_key"] == product.pk for row in rows)
        assert unheld_rows(teams, product=product, products=products) == (held_by_nobody or both)


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.start}..{p.end}")
def test_an_idle_seat_shows_its_last_use_before_the_period(world, period):
    # R-R1: assigned but unused in the range, with the last day of use before it, if any.
    teams = [team.pk for team in world]
    last_before = {}
    for team, user, product, day in SeatUsage.objects.filter(team__in=teams, day__lt=period.start).values_list(
        "team", "user", "product", "day"
    ):
        key = (team, user, product)
        last_before[key] = max(day, last_before.get(key, day))
    idle = list(user_usage(teams, period, unused_only=True))
    used, _users, _daily = from_days(teams, period)
    for row in idle:
        key = (row["team_key"], row["user_key"], row["product_key"])
        assert key not in used
        assert row["last_used"] == last_before.get(key)
    assert len(idle) == user_usage_count(teams, period, unused_only=True)


@pytest.mark.parametrize(
    "sort", ["name", "-name", "team", "product", "-product", "days_used", "-last_used", "assigned_at", "-assigned_at"]
)
@pytest.mark.parametrize("unused_only", [False, True], ids=["all rows", "unused only"])
def test_a_page_of_rows_is_the_same_slice_of_the_whole_rows(world, sort, unused_only):
    # R-R1: By User's table cuts its page from light rows and completes that page alone
    # (UserUsageRows); every page, in every order, is the slice of the whole rows.
    teams = [team.pk for team in world]
    period = PERIODS[0] if unused_only else PERIODS[2]  # one day: most seats idle
    rows = UserUsageRows(teams, period, unused_only=unused_only)
    table = UserUsageTable(rows, period=period, all_teams=True)
    table.order_by = sort
    whole = list(user_usage(teams, period, unused_only=unused_only).order_by(*table.data.data.ordering))
    assert len(whole) > 5  # three pages at least
    pages = [list(table.data.data[start : start + 2]) for start in range(0, len(whole), 2)]
    assert [row for page in pages for row in page] == whole
