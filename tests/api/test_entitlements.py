"""The licence check of the desktop software (R-S1) and the seat usage it records (R-S3)."""

from datetime import datetime, time, timedelta

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from licensing.accounts.api import RETRY_AFTER_UNAVAILABLE, UNAVAILABLE, UNKNOWN_PRODUCT
from licensing.accounts.devices import NOT_LICENSED, entitlement_check
from licensing.accounts.models import ApiToken
from licensing.subscriptions.models import Assignment, SeatUsage
from licensing.subscriptions.services import assignment_delete, subscription_set_seats
from licensing.teams.models import Member
from tests.api.conftest import assign
from tests.concurrency import errors, run_together
from tests.factories import AssignmentFactory, MemberFactory, SubscriptionFactory


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def close_to(value: str, expected: datetime) -> bool:
    return abs(moment(value) - expected) < timedelta(seconds=5)


# --- Licensed or not (R-S1) ---------------------------------------------------------------------


def test_a_user_with_a_seat_is_licensed_and_told_the_items_assigned(api, world):
    # R-S1
    assign(world.user, world.product, items=[world.items[0]])
    token = api.token("user@example.com")

    response = api.check(token)

    assert response.status_code == 200
    body = response.json()
    assert body["licensed"] is True
    assert body["product"] == "draftpro"
    assert body["items"] == ["draftpro-desktop"]
    assert body["team"] == "Design"
    assert body["message"] is None
    now = timezone.now()
    assert close_to(body["recheck_after"], now + timedelta(hours=24))
    assert close_to(body["offline_until"], now + timedelta(days=30))


def test_a_user_without_a_seat_is_told_to_ask_an_administrator(api, world):
    # R-S1: "in words a user understands"
    token = api.token("user@example.com")

    body = api.check(token).json()

    assert body["licensed"] is False
    assert body["product"] == "draftpro"
    assert body["items"] == []
    assert body["team"] is None
    assert body["message"] == "Contact your administrator to request permission to use this product."
    assert body["message"] == str(NOT_LICENSED)
    # No offline use without a licence; the software may ask again as usual.
    assert close_to(body["offline_until"], timezone.now())
    assert close_to(body["recheck_after"], timezone.now() + timedelta(hours=24))


def test_unassigning_makes_the_next_check_not_licensed(api, world):
    # R-P4 seen from the desktop software
    assignment = assign(world.user, world.product)
    token = api.token("user@example.com")
    assert api.check(token).json()["licensed"] is True

    assignment_delete(assignment=assignment, actor=world.primary.user)

    assert api.check(token).json()["licensed"] is False


def test_a_seat_in_any_team_licenses(api, world):
    # R-S1: "in any team". The primary admin holds nothing in Design, a seat in Engineering.
    SubscriptionFactory(team=world.other_team, product=world.product, seats=1)
    other = Member.objects.get(team=world.other_team, user=world.primary.user)
    assign(other, world.product)
    token = api.token("primary@example.com")

    body = api.check(token).json()

    assert body["licensed"] is True
    assert body["team"] == "Engineering"


def test_the_items_are_those_of_every_licensed_seat(api, world):
    SubscriptionFactory(team=world.other_team, product=world.product, seats=1)
    assign(world.primary, world.product, items=[world.items[0]])
    assign(Member.objects.get(team=world.other_team, user=world.primary.user), world.product, items=[world.items[1]])
    token = api.token("primary@example.com")

    body = api.check(token).json()

    assert body["items"] == ["cloud-render", "draftpro-desktop"]
    assert body["team"] == "Design"  # the seat held longest


def test_guests_are_licensed_too(api, world):
    # R-G2: guests can be given products.
    assign(world.guest, world.product)
    token = api.token("guest@example.com")

    assert api.check(token).json()["licensed"] is True


def test_invited_members_are_not_licensed_until_they_accept(api, world):
    # R-U3, R-U2: products may be assigned while inviting; the seat counts once the member is active.
    assign(world.invited, world.product)
    token = api.token("new@example.com")  # the person has an account (from another team, say)

    assert api.check(token).json()["licensed"] is False

    Member.objects.filter(pk=world.invited.pk).update(status=Member.Status.ACTIVE)

    assert api.check(token).json()["licensed"] is True


def test_an_over_full_pool_licenses_only_the_longest_held_seats(api, world):
    # R-SE1: never more licensed than bought. Three hold a seat; support lowers the pool to two.
    for member in (world.secondary, world.user, world.guest):
        assign(member, world.product)
    subscription_set_seats(subscription=world.subscription, seats=2, allow_over_allocation=True)

    assert api.check(api.token("secondary@example.com")).json()["licensed"] is True
    assert api.check(api.token("user@example.com")).json()["licensed"] is True
    assert api.check(api.token("guest@example.com")).json()["licensed"] is False


def test_the_longest_held_seats_are_the_earliest_assigned_not_the_first_created(api, world):
    earlier = timezone.now() - timedelta(days=3)
    AssignmentFactory(member=world.user, product=world.product)
    AssignmentFactory(member=world.guest, product=world.product, assigned_at=earlier)
    world.subscription.seats = 1
    world.subscription.save()

    assert api.check(api.token("guest@example.com")).json()["licensed"] is True
    assert api.check(api.token("user@example.com")).json()["licensed"] is False


def test_a_check_takes_a_bounded_number_of_queries(api, world, django_assert_max_num_queries):
    assign(world.user, world.product)
    token = api.token("user@example.com")

    with django_assert_max_num_queries(12):
        assert api.check(token).json()["licensed"] is True


def test_a_seat_without_items_is_licensed_with_none(api, world):
    AssignmentFactory(member=world.user, product=world.product)

    body = api.check(api.token("user@example.com")).json()

    assert (body["licensed"], body["items"], body["team"]) == (True, [], "Design")


def test_ties_in_the_moment_of_assigning_keep_the_seat_of_the_first_created(api, world):
    at = timezone.now() - timedelta(days=1)
    first = AssignmentFactory(member=world.guest, product=world.product, assigned_at=at)
    second = AssignmentFactory(member=world.user, product=world.product, assigned_at=at)
    assert first.pk < second.pk
    subscription_set_seats(subscription=world.subscription, seats=1, allow_over_allocation=True)

    assert api.check(api.token("guest@example.com")).json()["licensed"] is True
    assert api.check(api.token("user@example.com")).json()["licensed"] is False


def test_an_over_full_pool_elsewhere_does_not_hide_a_seat_held_within_another_pool(api, world):
    # The user's seat in Design waits behind two held longer; their seat in Engineering is licensed.
    earlier = timezone.now() - timedelta(days=2)
    AssignmentFactory(member=world.secondary, product=world.product, assigned_at=earlier)
    AssignmentFactory(member=world.guest, product=world.product, assigned_at=earlier)
    AssignmentFactory(member=world.user, product=world.product).items.set(world.items)
    subscription_set_seats(subscription=world.subscription, seats=2, allow_over_allocation=True)
    SubscriptionFactory(team=world.other_team, product=world.product, seats=1, term_end=timezone.localdate())
    in_engineering = MemberFactory(team=world.other_team, user=world.user.user)
    AssignmentFactory(member=in_engineering, product=world.product).items.set([world.items[1]])

    body = api.check(api.token("user@example.com")).json()

    assert (body["licensed"], body["team"]) == (True, "Engineering")
    assert body["items"] == ["cloud-render"]  # not the items of the seat that waits
    assert SeatUsage.objects.get().team == world.other_team
    tomorrow = timezone.make_aware(datetime.combine(timezone.localdate() + timedelta(days=1), time.min))
    assert close_to(body["offline_until"], tomorrow)  # the end of Engineering's subscription, not Design's


def test_the_check_licenses_exactly_the_seats_holds_licensed_seat_licenses(world):
    # The rule of the check's one query and the model's method are the same, seat by seat: a pool of
    # 3 with 7 held, assigned on 3 moments, in an order other than that of the pks.
    now = timezone.now()
    moments = [now - timedelta(days=d) for d in (1, 3, 1, 2, 3, 1, 2)]
    members = [MemberFactory(team=world.team) for _moment in moments]
    for member, at in zip(members, moments, strict=True):
        AssignmentFactory(member=member, product=world.product, assigned_at=at)
    subscription_set_seats(subscription=world.subscription, seats=3, allow_over_allocation=True)

    licensed = {m.pk for m in members if entitlement_check(user=m.user, product=world.product).licensed}
    holding = {a.member_id for a in Assignment.objects.filter(team=world.team) if a.holds_licensed_seat()}
    oldest = Assignment.objects.filter(team=world.team).order_by("assigned_at", "pk")[:3]

    assert licensed == holding == {a.member_id for a in oldest}


def _seats_held_in(team, product, count: int) -> None:
    for _n in range(count):
        AssignmentFactory(member=MemberFactory(team=team), product=product)


@pytest.mark.parametrize("others", [2, 40])
@pytest.mark.parametrize("over_full", [False, True])
def test_the_checks_queries_do_not_grow_with_the_seats_held(api, world, others, over_full, django_assert_num_queries):
    # The same queries for a team of 3 seats or of 43, within the pool or over-full: the token, the
    # product, and the assignments with their seats, order, term and items; the day's first check one
    # more to record its use (the token's last use is noted at the first check after sign-in).
    assign(world.user, world.product)
    _seats_held_in(world.team, world.product, others)
    subscription_set_seats(
        subscription=world.subscription, seats=2 if over_full else others + 1, allow_over_allocation=True
    )
    token = api.token("user@example.com")
    api.check(token)  # the token's last use noted

    SeatUsage.objects.all().delete()
    with django_assert_num_queries(4):
        assert api.check(token).json()["licensed"] is True
    with django_assert_num_queries(3):
        assert api.check(token).json()["licensed"] is True
    assert SeatUsage.objects.count() == 1


def test_an_ended_subscription_licenses_nobody(api, world):
    assign(world.user, world.product)
    world.subscription.term_end = timezone.localdate() - timedelta(days=1)
    world.subscription.save()

    assert api.check(api.token("user@example.com")).json()["licensed"] is False


def test_an_unknown_product_is_404(api, world):
    response = api.check(api.token("user@example.com"), code="no-such-product")

    assert response.status_code == 404
    assert response.json() == {"detail": str(UNKNOWN_PRODUCT % {"code": "no-such-product"})}


# --- When to check again, how long offline ------------------------------------------------------


def test_recheck_and_offline_use_are_settings(api, world, settings):
    settings.LICENCE_RECHECK_HOURS = 2
    settings.LICENCE_OFFLINE_DAYS = 7
    assign(world.user, world.product)

    body = api.check(api.token("user@example.com")).json()

    now = timezone.now()
    assert close_to(body["recheck_after"], now + timedelta(hours=2))
    assert close_to(body["offline_until"], now + timedelta(days=7))


def test_offline_use_ends_with_the_subscription(api, world):
    end = timezone.localdate() + timedelta(days=3)
    world.subscription.term_end = end
    world.subscription.save()
    assign(world.user, world.product)

    body = api.check(api.token("user@example.com")).json()

    assert moment(body["offline_until"]) == timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))


def test_offline_use_never_outlasts_the_token(api, world, settings):
    settings.API_TOKEN_DAYS = 10
    assign(world.user, world.product)
    token = api.token("user@example.com")
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(hours=3))

    body = api.check(token).json()

    assert close_to(body["offline_until"], ApiToken.objects.get().expires_at)
    assert moment(body["recheck_after"]) <= moment(body["offline_until"])


# --- Seat usage (R-S3) --------------------------------------------------------------------------


def test_a_licensed_check_records_a_day_of_use(api, world):
    # R-S3
    assign(world.user, world.product)

    api.check(api.token("user@example.com"))

    usage = SeatUsage.objects.get()
    assert (usage.user, usage.product, usage.team, usage.day) == (
        world.user.user,
        world.product,
        world.team,
        timezone.localdate(),
    )


def test_repeated_checks_on_a_day_count_once(api, world):
    # R-S3
    assign(world.user, world.product)
    token = api.token("user@example.com")

    for _ in range(3):
        api.check(token)
    api.check(api.token("user@example.com", device_name="Second PC"))

    assert SeatUsage.objects.count() == 1


def test_a_check_that_is_not_licensed_records_no_use(api, world):
    api.check(api.token("user@example.com"))

    assert not SeatUsage.objects.exists()


def test_use_is_recorded_in_the_team_of_the_seat_used_only(api, world):
    SubscriptionFactory(team=world.other_team, product=world.product, seats=1)
    assign(world.primary, world.product)
    assign(Member.objects.get(team=world.other_team, user=world.primary.user), world.product)

    api.check(api.token("primary@example.com"))

    assert list(SeatUsage.objects.values_list("team__name", flat=True)) == ["Design"]


@pytest.mark.django_db(transaction=True)
def test_checks_at_the_same_moment_record_one_day_of_use(world):
    # R-S3 under concurrency: every check succeeds, one row (SQLite and PostgreSQL).
    assign(world.user, world.product)
    user = world.user.user

    outcomes = run_together(*[lambda: entitlement_check(user=user, product=world.product)] * 8)

    assert errors(outcomes) == []
    assert all(outcome.value.licensed for outcome in outcomes)
    assert SeatUsage.objects.count() == 1


# --- The database unavailable -------------------------------------------------------------------
# The database is made to fail with what its driver raises when the server is down (the queries
# never reach it); our code runs as it is. Without the test transaction: a failed write would mark
# it for rollback.


def database_down(error_class=OperationalError, when=lambda sql: True):
    def execute(execute, sql, params, many, context):
        if when(sql):
            raise error_class("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return connection.execute_wrapper(execute)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("error_class", [OperationalError, InterfaceError])
def test_a_check_without_a_database_is_503_never_not_licensed(api, world, error_class):
    token = api.token("user@example.com")

    with database_down(error_class):
        response = api.check(token)

    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    assert response.json() == {"detail": str(UNAVAILABLE)}


@pytest.mark.django_db(transaction=True)
def test_a_database_failing_during_the_check_itself_is_503(api, world):
    # The token is read; the assignments are not.
    assign(world.user, world.product)
    token = api.token("user@example.com")
    table = Assignment._meta.db_table

    with database_down(when=lambda sql: table in sql):
        response = api.check(token)

    assert response.status_code == 503
    assert "licensed" not in response.json()


@pytest.mark.django_db(transaction=True)
def test_signing_in_and_out_without_a_database_is_503(api, world):
    token = api.token("user@example.com")

    with database_down():
        sign_in = api.sign_in("user@example.com")
        sign_out = api.sign_out(token)

    assert (sign_in.status_code, sign_out.status_code) == (503, 503)
    assert sign_in["Retry-After"] == str(RETRY_AFTER_UNAVAILABLE)
    assert api.check(token).status_code == 200  # the token still works once the database is back
