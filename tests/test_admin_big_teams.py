"""The support staff's pages of a team of tens of thousands (`seed_demo --users 50000`): a team's
page and a subscription's page list a bounded number of rows and link to the full, paged list;
their query count does not grow with the members. The changelists of the big tables do not count
or scan the whole table for what they show around the rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from licensing.subscriptions.admin.subscription import ASSIGNMENTS_SHOWN
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from tests.factories import (
    AssignmentFactory,
    MemberFactory,
    SeatUsageFactory,
    SubscriptionFactory,
    TeamFactory,
)
from tests.test_admin import url


@pytest.fixture
def support(client, world):
    client.force_login(world.staff)
    return client


def queries_of(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


@pytest.fixture
def small_team(world):
    """A team of 3: its primary admin, a secondary admin and a user, with a subscription."""
    team = TeamFactory(customer=world.team.customer, name="Small")
    MemberFactory(team=team, role=Member.Role.PRIMARY_ADMIN, user__email="boss@example.com")
    MemberFactory(team=team, role=Member.Role.SECONDARY_ADMIN, user__email="deputy@example.com")
    MemberFactory(team=team, user__email="worker@example.com")
    SubscriptionFactory(team=team, product=world.product, seats=100)
    return team


def grow(team, world, members: int) -> None:
    """`members` more members, a few of them admins and guests, each holding a seat."""
    for n in range(members):
        member = MemberFactory(
            team=team,
            role=Member.Role.SECONDARY_ADMIN if n % 10 == 0 else Member.Role.USER,
            is_guest=n % 10 == 5,
            user__email=f"many{n}@example.com",
        )
        AssignmentFactory(member=member, product=world.product)


# --- A team's page ------------------------------------------------------------------------------


def test_the_team_page_takes_as_many_queries_for_60_members_as_for_3(
    support, world, small_team, django_assert_max_num_queries
):
    page = url("teams_team_change", small_team.pk)
    few = queries_of(support, page)
    grow(small_team, world, 57)

    with django_assert_max_num_queries(few):
        response = support.get(page)

    assert response.status_code == 200
    assert Member.objects.filter(team=small_team).count() == 60


def test_the_team_page_lists_the_admins_counts_the_members_and_links_to_them(support, world, small_team):
    grow(small_team, world, 57)

    text = support.get(url("teams_team_change", small_team.pk)).content.decode()

    admins = Member.objects.filter(team=small_team).exclude(role=Member.Role.USER)
    assert admins.count() == 8
    for admin in admins:
        assert admin.user.email in text
        assert url("teams_member_change", admin.pk) in text
    assert "worker@example.com" not in text
    assert "60 members; invited (not yet accepted): 0; guests: 6." in text
    assert url("teams_member_changelist", query=f"team={small_team.pk}") in text


def test_the_member_list_of_a_team_shows_that_team_only(support, world, small_team):
    response = support.get(url("teams_member_changelist", query=f"team={small_team.pk}"))

    assert response.status_code == 200
    shown = {member.team for member in response.context["cl"].result_list}
    assert shown == {small_team}
    assert response.context["cl"].result_count == 3
    assert "Small" in response.content.decode()  # the chosen team, to see and to clear


@pytest.mark.parametrize("team", ["design", "999999", "99999999999999999999"])
def test_an_unknown_team_shows_no_members_rather_than_all_or_an_error(support, world, team):
    response = support.get(url("teams_member_changelist", query=f"team={team}"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


# --- A subscription's page ----------------------------------------------------------------------


def test_the_subscription_page_takes_as_many_queries_for_60_seats_in_use_as_for_3(
    support, world, small_team, django_assert_max_num_queries
):
    subscription = small_team.subscriptions.get()
    for member in Member.objects.filter(team=small_team):
        AssignmentFactory(member=member, product=world.product)
    page = url("subscriptions_subscription_change", subscription.pk)
    few = queries_of(support, page)
    grow(small_team, world, 57)

    with django_assert_max_num_queries(few):
        response = support.get(page)

    assert response.status_code == 200


def test_the_subscription_page_shows_the_first_seats_and_links_to_the_rest(support, world, small_team):
    subscription = small_team.subscriptions.get()
    grow(small_team, world, ASSIGNMENTS_SHOWN + 5)

    text = support.get(url("subscriptions_subscription_change", subscription.pk)).content.decode()

    assert f"Small: {ASSIGNMENTS_SHOWN + 5} of 100 seats of DraftPro assigned." in text
    assert "many0@example.com" in text  # held longest, listed first
    assert f"many{ASSIGNMENTS_SHOWN}@example.com" not in text
    assert "…and 5 more." in text
    link = url("subscriptions_assignment_changelist", query=f"team={small_team.pk}&amp;product__id__exact=")
    assert link + str(world.product.pk) in text


def test_the_assignment_list_of_a_team_and_product_shows_those_only(support, world, small_team):
    grow(small_team, world, 4)
    AssignmentFactory(member=world.user, product=world.product)

    response = support.get(
        url("subscriptions_assignment_changelist", query=f"team={small_team.pk}&product__id__exact={world.product.pk}")
    )

    assert response.status_code == 200
    assert {a.member.team for a in response.context["cl"].result_list} == {small_team}
    assert response.context["cl"].result_count == Assignment.objects.filter(member__team=small_team).count() == 4


# --- Changelists of the big tables --------------------------------------------------------------


@pytest.mark.parametrize("model", ["teams_member", "subscriptions_assignment", "subscriptions_seatusage"])
def test_big_changelists_count_once_and_list_no_months(support, world, small_team, model):
    grow(small_team, world, 3)
    SeatUsageFactory(user=world.user.user, product=world.product, team=world.team)

    with CaptureQueriesContext(connection) as captured:
        response = support.get(url(f"{model}_changelist"))

    assert response.status_code == 200
    sql = [query["sql"].upper() for query in captured.captured_queries]
    # The paginator's count only: no second count of the whole table for "N total".
    assert sum("COUNT(*)" in query for query in sql) == 1
    # No date hierarchy: its list of years or months reads every row of the table.
    assert not any("DISTINCT" in query and "TRUNC" in query for query in sql)
    assert not any("MIN(" in query and "MAX(" in query for query in sql)
