"""Seat usage by the month (usage_months.py): the triggers keep SeatUsageMonth equal to the SeatUsage
rows, whatever writes or deletes them, on SQLite and on PostgreSQL. The report's figures (R-R1) are
read from it, over the days the licence check records (R-S3)."""

from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, connection, transaction

from licensing.subscriptions.models import SeatUsage, SeatUsageMonth
from licensing.subscriptions.usage_months import month_first_day, month_number, months_rebuild, months_suspended
from tests.factories import MemberFactory, ProductFactory, SeatUsageFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def expected() -> dict:
    """The months as they should be, worked out in Python from every SeatUsage row."""
    months = defaultdict(int)
    for team, user, product, day in SeatUsage.objects.values_list("team", "user", "product", "day"):
        months[(team, user, product, month_number(day))] |= 1 << (day.day - 1)
    return dict(months)


def actual() -> dict:
    return {
        (team, user, product, month): days
        for team, user, product, month, days in SeatUsageMonth.objects.values_list(
            "team", "user", "product", "month", "days"
        )
    }


@pytest.fixture
def seat():
    member = MemberFactory()
    return {"user": member.user, "team": member.team, "product": ProductFactory()}


def test_month_numbers_round_trip():
    for day in (date(2024, 1, 1), date(2024, 2, 29), date(2026, 12, 31), date(1999, 7, 15)):
        assert month_first_day(month_number(day)) == day.replace(day=1)
    assert month_number(date(2027, 1, 1)) == month_number(date(2026, 12, 31)) + 1


def test_inserted_days_set_their_bits_across_month_and_year_ends(seat):
    # R-S3, R-R1: every day the licence check records lands in its month, day 31 in the top bit.
    days = [date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29), date(2026, 12, 31), date(2027, 1, 1)]
    for day in days:
        SeatUsageFactory(**seat, day=day)
    months = actual()
    assert months == expected()
    key = (seat["team"].pk, seat["user"].pk, seat["product"].pk)
    assert months[(*key, month_number(date(2024, 1, 1)))] == 1 << 30
    assert months[(*key, month_number(date(2024, 2, 1)))] == 1 | 1 << 28
    assert months[(*key, month_number(date(2026, 12, 1)))] == 1 << 30
    assert months[(*key, month_number(date(2027, 1, 1)))] == 1


def test_a_full_month_is_every_bit(seat):
    SeatUsage.objects.bulk_create([SeatUsage(**seat, day=date(2026, 1, 1) + timedelta(days=i)) for i in range(31)])
    assert actual() == {
        (seat["team"].pk, seat["user"].pk, seat["product"].pk, month_number(date(2026, 1, 1))): 2**31 - 1
    }


def test_a_repeated_check_on_a_day_changes_nothing(seat):
    # R-S3: repeated checks on a day make one row; the ignored duplicate fires no trigger.
    SeatUsage.objects.bulk_create([SeatUsage(**seat, day=date(2026, 3, 5))], ignore_conflicts=True)
    SeatUsage.objects.bulk_create(
        [SeatUsage(**seat, day=date(2026, 3, 5)), SeatUsage(**seat, day=date(2026, 3, 6))], ignore_conflicts=True
    )
    assert SeatUsage.objects.count() == 2
    assert actual() == expected()
    assert list(SeatUsageMonth.objects.values_list("days", flat=True)) == [0b110000]


def test_deleting_a_day_clears_its_bit_and_the_last_day_the_month(seat):
    first, second = SeatUsageFactory(**seat, day=date(2026, 3, 5)), SeatUsageFactory(**seat, day=date(2026, 3, 20))
    first.delete()
    assert actual() == expected()
    assert list(SeatUsageMonth.objects.values_list("days", flat=True)) == [1 << 19]
    second.delete()
    assert SeatUsageMonth.objects.count() == 0


def test_moving_a_day_moves_its_bit(seat):
    row = SeatUsageFactory(**seat, day=date(2026, 3, 31))
    SeatUsageFactory(**seat, day=date(2026, 4, 2))
    SeatUsage.objects.filter(pk=row.pk).update(day=date(2026, 4, 1))
    assert actual() == expected()
    assert list(SeatUsageMonth.objects.values_list("month", "days")) == [(month_number(date(2026, 4, 1)), 0b11)]


def test_teams_users_and_products_are_months_of_their_own():
    team, other_team = TeamFactory(), TeamFactory()
    user, other_user = UserFactory(), UserFactory()
    product, other_product = ProductFactory(), ProductFactory()
    day = date(2026, 5, 17)
    for t in (team, other_team):
        for u in (user, other_user):
            for p in (product, other_product):
                SeatUsageFactory(team=t, user=u, product=p, day=day)
                SeatUsageFactory(team=t, user=u, product=p, day=day + timedelta(days=u.pk % 3 + 1))
    assert len(actual()) == 8
    assert actual() == expected()


def test_deleting_a_user_or_a_team_takes_their_months(seat):
    other = MemberFactory(team=seat["team"])
    for day in (date(2026, 6, 1), date(2026, 7, 1)):
        SeatUsageFactory(**seat, day=day)
        SeatUsageFactory(user=other.user, team=seat["team"], product=seat["product"], day=day)
    seat["user"].delete()
    assert actual() == expected()
    assert {key[1] for key in actual()} == {other.user.pk}
    seat["team"].delete()
    assert actual() == {}


def test_the_months_count_as_a_constraint_only_days_that_exist(seat):
    with pytest.raises(IntegrityError), transaction.atomic():
        SeatUsageMonth.objects.create(**seat, month=month_number(date(2026, 1, 1)), days=0)
    SeatUsageFactory(**seat, day=date(2026, 1, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        # One row per team, user, product and month: the triggers' upsert relies on it.
        SeatUsageMonth.objects.create(**seat, month=month_number(date(2026, 1, 1)), days=1)


def test_a_bulk_load_without_triggers_ends_with_the_same_months(seat):
    other = MemberFactory()
    SeatUsageFactory(user=other.user, team=other.team, product=seat["product"], day=date(2026, 2, 3))
    with transaction.atomic(), months_suspended([seat["team"].pk]):
        SeatUsage.objects.bulk_create(
            [SeatUsage(**seat, day=date(2026, 1, 20) + timedelta(days=i)) for i in range(0, 60, 3)]
        )
        # Nothing per row meanwhile: the loaded team's months come at the end, in one statement.
        assert not SeatUsageMonth.objects.filter(team=seat["team"]).exists()
    assert actual() == expected()
    # And the triggers are back.
    SeatUsageFactory(**seat, day=date(2026, 12, 24))
    assert actual() == expected()


def test_rebuilding_all_months_gives_what_the_triggers_kept(seat):
    for i in range(40):
        SeatUsageFactory(**seat, day=date(2025, 12, 1) + timedelta(days=i * 2))
    kept = actual()
    SeatUsageMonth.objects.all().delete()
    months_rebuild()
    assert actual() == kept == expected()


def test_the_triggers_exist_on_this_database():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'seat_usage_months%'"
            )
            assert cursor.fetchone()[0] == 3
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'seat_usage_months%' AND tgenabled = 'O'")
            assert cursor.fetchone()[0] == 1
