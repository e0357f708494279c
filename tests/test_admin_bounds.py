"""What support staff type in the Django admin stays within bounds the database and the licence
check can hold: an end of term of 9999-12-31 or 99,999,999,999 seats is a typo, refused in words,
never stored and never a server error (on PostgreSQL an integer out of range was one)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from licensing.accounts.devices import entitlement_check
from licensing.subscriptions.admin.subscription_pages import renewal_suggested_end
from licensing.subscriptions.forms_admin import SEATS_AT_MOST
from licensing.subscriptions.models import Contract, Subscription
from licensing.subscriptions.purchases import purchase_record
from licensing.subscriptions.services import (
    MAX_SEATS,
    MAX_TERM_YEARS,
    RENEWAL_NOT_LATER,
    SEATS_TOO_MANY,
    TERM_END_TOO_LATE,
    TERM_START_TOO_LATE,
    assignment_create,
    subscription_add_seats,
    subscription_renew,
    subscription_set_seats,
    term_end_latest,
)
from tests.api.conftest import Api
from tests.factories import SubscriptionFactory
from tests.test_admin import has_text, purchase, url


@pytest.fixture
def support(client, world):
    client.force_login(world.staff)
    return client


def in_years(years: int, day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(year=day.year + years, day=28 if (day.month, day.day) == (2, 29) else day.day)


def too_late(latest: date) -> str:
    return TERM_END_TOO_LATE % {"years": MAX_TERM_YEARS, "latest": latest.isoformat()}


def seats_too_many(seats: str) -> str:
    return SEATS_TOO_MANY % {"max": "1,000,000", "seats": seats}


# --- An end of term of 9999-12-31 ---------------------------------------------------------------


def test_the_licence_check_survives_a_term_that_ends_on_the_last_date_there_is(client, world):
    # R-S1: stored by the renew page before it had a bound; the check answered 500 (OverflowError).
    Subscription.objects.filter(pk=world.subscription.pk).update(term_end=date.max)
    assignment_create(member=world.user, product=world.product, actor=None)
    api = Api(client)

    response = api.check(api.token("user@example.com"))

    assert response.status_code == 200
    body = response.json()
    assert body["licensed"] is True
    assert body["offline_until"] < (timezone.now() + timedelta(days=31)).isoformat()


def test_the_licence_check_without_a_token_ends_offline_use_as_usual_for_such_a_term(world):
    # R-S1
    Subscription.objects.filter(pk=world.subscription.pk).update(term_end=date.max)
    assignment_create(member=world.user, product=world.product, actor=None)

    entitlement = entitlement_check(user=world.user.user, product=world.product)

    assert entitlement.licensed
    assert abs(entitlement.offline_until - (timezone.now() + timedelta(days=30))) < timedelta(seconds=5)


def test_renewing_to_9999_is_a_form_error_and_stores_nothing(support, world):
    old_end = world.subscription.term_end
    latest = term_end_latest(world.subscription.term_start)

    response = support.post(
        url("subscriptions_subscription_renew", query=f"ids={world.subscription.pk}"), {"term_end": "9999-12-31"}
    )

    assert response.status_code == 200
    assert has_text(response, too_late(latest))
    world.subscription.refresh_from_db()
    assert world.subscription.term_end == old_end


def test_renewing_to_the_last_day_of_the_bound_is_allowed(support, world):
    latest = term_end_latest(world.subscription.term_start)
    assert latest == in_years(MAX_TERM_YEARS)  # the term started before today

    response = support.post(
        url("subscriptions_subscription_renew", query=f"ids={world.subscription.pk}"), {"term_end": latest.isoformat()}
    )

    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.term_end == latest


def test_renewing_several_names_each_subscription_beyond_the_bound(support, world):
    other = SubscriptionFactory(team=world.other_team, product=world.product)
    ids = f"{world.subscription.pk},{other.pk}"

    response = support.post(url("subscriptions_subscription_renew", query=f"ids={ids}"), {"term_end": "9999-12-31"})

    assert response.status_code == 200
    for subscription in (world.subscription, other):
        assert has_text(response, f"{subscription}: {too_late(term_end_latest(subscription.term_start))}")


def test_the_renewal_service_refuses_an_end_beyond_the_bound_whoever_calls_it(world):
    latest = term_end_latest(world.subscription.term_start)

    with pytest.raises(ValidationError) as refused:
        subscription_renew(subscription=world.subscription, term_end=latest + timedelta(days=1))

    assert refused.value.message_dict == {"term_end": [too_late(latest)]}
    world.subscription.refresh_from_db()
    assert world.subscription.term_end < latest


def test_a_subscription_renewed_for_longer_than_the_bound_can_still_be_renewed(world):
    # Twelve years of yearly renewals: the bound counts from today, not from the first start.
    today = timezone.localdate()
    Subscription.objects.filter(pk=world.subscription.pk).update(
        term_start=in_years(-12), term_end=today + timedelta(days=10)
    )

    renewed = subscription_renew(subscription=world.subscription, term_end=in_years(1))

    assert renewed.term_end == in_years(1)


def test_a_term_that_starts_later_may_run_the_bound_from_its_start():
    start = in_years(2)
    assert term_end_latest(start) == in_years(MAX_TERM_YEARS + 2)


def test_the_bound_never_passes_the_last_date_there_is():
    assert term_end_latest(date(9995, 2, 1), today=date(9995, 2, 1)) == date.max
    assert term_end_latest(date(2024, 2, 29), today=date(2024, 2, 29)) == date(2034, 2, 28)


def test_the_renew_page_of_a_term_ending_on_the_last_date_renders(support, world):
    # The page offered term_end + 365 days and answered 500 (OverflowError).
    Subscription.objects.filter(pk=world.subscription.pk).update(term_end=date.max)

    renew = support.get(url("subscriptions_subscription_renew", query=f"ids={world.subscription.pk}"))
    change = support.get(url("subscriptions_subscription_change", world.subscription.pk))
    changelist = support.get(url("subscriptions_subscription_changelist"))

    assert (renew.status_code, change.status_code, changelist.status_code) == (200, 200, 200)
    # What it offers is refused, in words, as any end before the current one.
    response = support.post(
        url("subscriptions_subscription_renew", query=f"ids={world.subscription.pk}"),
        {"term_end": renew.context["form"].initial["term_end"].isoformat()},
    )
    assert response.status_code == 200
    assert has_text(response, RENEWAL_NOT_LATER % {"end": date.max.isoformat()})


@pytest.mark.parametrize("drill_down", ["", "&term_end__month=12", "&term_end__month=12&term_end__day=31"])
def test_the_subscription_list_of_year_9999_lists_those_terms_rather_than_fail(support, world, drill_down):
    # Its date drill-down offers the year 9999 of such a term, and reached for the year 10000: a 500.
    Subscription.objects.filter(pk=world.subscription.pk).update(term_end=date.max)
    changelist = url("subscriptions_subscription_changelist")
    assert "term_end__year=9999" in support.get(changelist).content.decode()

    response = support.get(f"{changelist}?term_end__year=9999{drill_down}&plan=standard", follow=True)

    assert response.status_code == 200
    assert response.redirect_chain == [(f"{changelist}?plan=standard&term_end__gte=9999-01-01", 302)]
    assert list(response.context["cl"].result_list) == [world.subscription]


def test_the_renew_page_offers_a_year_on_within_the_bound(support, world):
    subscription = world.subscription
    response = support.get(url("subscriptions_subscription_renew", query=f"ids={subscription.pk}"))
    assert response.context["form"].initial["term_end"] == subscription.term_end + timedelta(days=365)

    subscription.term_end = in_years(MAX_TERM_YEARS) - timedelta(days=30)
    assert renewal_suggested_end(subscription) == in_years(MAX_TERM_YEARS)


def test_a_purchase_ending_in_9999_is_a_form_error(support, world):
    response = support.post(url("subscriptions_subscription_add"), purchase(world, term_end="9999-12-31"))

    assert response.status_code == 200
    assert has_text(response, too_late(in_years(MAX_TERM_YEARS)))
    assert not Contract.objects.filter(number="2200000001").exists()


def test_a_purchase_starting_in_9999_is_a_form_error(support, world):
    response = support.post(
        url("subscriptions_subscription_add"), purchase(world, term_start="9999-12-30", term_end="9999-12-31")
    )

    assert response.status_code == 200
    assert has_text(response, TERM_START_TOO_LATE % {"years": MAX_TERM_YEARS, "latest": in_years(10).isoformat()})
    assert not Contract.objects.filter(number="2200000001").exists()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(0, MAX_TERM_YEARS * 366, "term_end"), (MAX_TERM_YEARS * 366, MAX_TERM_YEARS * 366 + 30, "term_start")],
    ids=["end too late", "start too late"],
)
def test_the_purchase_service_refuses_far_off_terms_whoever_calls_it(world, start, end, field):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        purchase_record(
            customer=world.team.customer,
            contract_number="2200000001",
            manager=world.primary.user,
            product=world.product,
            seats=1,
            term_start=today + timedelta(days=start),
            term_end=today + timedelta(days=end),
        )
    assert list(refused.value.message_dict) == [field]
    assert not Contract.objects.filter(number="2200000001").exists()


# --- 99,999,999,999 seats --------------------------------------------------------------------


@pytest.mark.parametrize("seats", [99_999_999_999, 2_147_483_647, MAX_SEATS + 1])
def test_adding_an_impossible_number_of_seats_is_a_form_error(support, world, seats):
    # On PostgreSQL these were a 500 (integer out of range); SQLite stored 100,000,000,006.
    response = support.post(
        url("subscriptions_subscription_add-seats", query=f"ids={world.subscription.pk}"), {"seats": seats}
    )

    assert response.status_code == 200
    assert has_text(response, SEATS_AT_MOST % {"limit_value": MAX_SEATS})
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3


def test_adding_seats_beyond_the_maximum_in_all_is_refused_with_the_total(support, world):
    # R-SE2: the form lets 999,998 through; the service counts the 3 seats there already.
    response = support.post(
        url("subscriptions_subscription_add-seats", query=f"ids={world.subscription.pk}"), {"seats": 999_998}
    )

    assert response.status_code == 200
    assert has_text(response, seats_too_many("1,000,001"))
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3


def test_adding_up_to_the_maximum_is_allowed(support, world):
    # R-SE2
    response = support.post(
        url("subscriptions_subscription_add-seats", query=f"ids={world.subscription.pk}"), {"seats": MAX_SEATS - 3}
    )

    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.seats == MAX_SEATS


@pytest.mark.parametrize("seats", [99_999_999_999, MAX_SEATS + 1])
def test_setting_an_impossible_number_of_seats_is_a_form_error(support, world, seats):
    response = support.post(
        url("subscriptions_subscription_set-seats", query=f"ids={world.subscription.pk}"), {"seats": seats}
    )

    assert response.status_code == 200
    assert has_text(response, SEATS_AT_MOST % {"limit_value": MAX_SEATS})
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3


def test_a_purchase_of_an_impossible_number_of_seats_is_a_form_error(support, world):
    response = support.post(url("subscriptions_subscription_add"), purchase(world, seats=99_999_999_999))

    assert response.status_code == 200
    assert has_text(response, SEATS_AT_MOST % {"limit_value": MAX_SEATS})
    assert not Contract.objects.filter(number="2200000001").exists()


@pytest.mark.parametrize(
    "call",
    [
        lambda w: subscription_set_seats(subscription=w.subscription, seats=MAX_SEATS + 1),
        lambda w: subscription_add_seats(subscription=w.subscription, seats=MAX_SEATS),
        lambda w: subscription_add_seats(subscription=w.subscription, seats=99_999_999_999),
        lambda w: purchase_record(
            customer=w.team.customer,
            contract_number="2200000001",
            manager=w.primary.user,
            product=w.product,
            seats=MAX_SEATS + 1,
            term_start=timezone.localdate(),
            term_end=timezone.localdate() + timedelta(days=364),
        ),
    ],
    ids=["set", "add to the total", "add 99,999,999,999", "purchase"],
)
def test_the_seat_services_refuse_more_than_the_maximum_whoever_calls_them(world, call):
    with pytest.raises(ValidationError) as refused:
        call(world)

    assert list(refused.value.message_dict) == ["seats"]
    assert refused.value.message_dict["seats"][0].startswith("A subscription can have at most 1,000,000 seats")
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3
    assert Subscription.objects.count() == 1


def test_the_seat_message_is_in_dutch_with_dutch_numbers(world):
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        subscription_set_seats(subscription=world.subscription, seats=12_345_678)

    assert "1.000.000" in refused.value.messages[0]
    assert "12.345.678" in refused.value.messages[0]
    assert "subscription" not in refused.value.messages[0]
