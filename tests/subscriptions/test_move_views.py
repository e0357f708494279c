"""Team settings › Actions › "Move subscriptions to this team" (R-T8..R-T11): who may use the wizard,
what each step shows (the teams, the subscriptions with "Select" or the reasons it is disabled, the
review, the confirmation), a move with the users staying (R-T9), and refusals at "Submit" shown with
their reasons, never a 500.

Design (world.team) is the team the subscriptions move to; they come from Engineering
(world.other_team), where Jan de Vries (primary) is primary admin and Anna Bakker (secondary) is not
a member but owns a subscription."""

import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils.html import escape

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment, Product, Subscription
from licensing.subscriptions.move_views import MOVED_MEANWHILE
from licensing.subscriptions.services import (
    MOVE_COLLABORATION_SITE,
    MOVE_NOT_OWNER,
    MOVE_OVER_ALLOCATED,
    MOVE_PAY_PER_USE,
    MOVE_PREMIUM_SSO,
    seats_assigned,
    seats_purchased,
    subscription_move,
)
from licensing.teams.models import Member
from tests.factories import (
    AssignmentFactory,
    MemberFactory,
    ProductFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)
from tests.teams.test_member_views import DENIED, give_names, sign_in


@dataclass
class Moving:
    world: object
    cad: Product
    plot: Product
    primarys: Subscription  # CadSuite, 4 seats, owned by Jan de Vries
    secondarys: Subscription  # PlotPro, 2 seats, owned by Anna Bakker


@pytest.fixture
def moving(world) -> Moving:
    give_names(world)
    cad = ProductFactory(code="cadsuite", name="CadSuite")
    plot = ProductFactory(code="plotpro", name="PlotPro")
    primarys = SubscriptionFactory(team=world.other_team, product=cad, seats=4, contract__manager=world.primary.user)
    secondarys = SubscriptionFactory(
        team=world.other_team, product=plot, seats=2, contract__manager=world.secondary.user
    )
    return Moving(world, cad, plot, primarys, secondarys)


def own_subscription(moving, persona) -> Subscription:
    return {"primary": moving.primarys, "secondary": moving.secondarys}[persona]


def wizard_url(team, from_team=None, **query) -> str:
    url = reverse("team_settings:subscription-move", kwargs={"team_id": team.pk})
    if from_team is not None:
        query = {"from": from_team.pk, **query}
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def review_url(team, subscription) -> str:
    return reverse(
        "team_settings:subscription-move-review", kwargs={"team_id": team.pk, "subscription_id": subscription.pk}
    )


def done_url(team, subscription) -> str:
    return reverse(
        "team_settings:subscription-move-done", kwargs={"team_id": team.pk, "subscription_id": subscription.pk}
    )


SUBMIT = '<button type="submit" class="btn btn-primary">Submit</button>'


def text(response) -> str:
    return response.content.decode()


def team_of(subscription):
    subscription.refresh_from_db()
    return subscription.team


def rows(html: str) -> dict[str, str]:
    """Step 2's rows by product name."""
    found = {}
    for row in html.split('<li class="sk-move-row')[1:]:
        name = re.search(r'id="sub-\d+-name">([^<]+)</h3>', row).group(1)
        found[name] = row.split('<div class="card-footer', 1)[0]  # the last row: not the footer
    return found


def submit(client, team, subscription, from_team=None):
    from_team = from_team or subscription.team
    return client.post(review_url(team, subscription), {"from": from_team.pk})


# --- Who may use it --------------------------------------------------------------------------------


def wizard_steps(moving) -> list[str]:
    world, subscription = moving.world, moving.primarys
    return [
        wizard_url(world.team),
        wizard_url(world.team, world.other_team),
        review_url(world.team, subscription),
    ]


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_wizard_is_only_for_the_admins_of_the_team_it_moves_to(client, moving, persona, status):
    # R-T8, SPEC §2
    sign_in(client, moving.world, persona)
    for url in wizard_steps(moving):
        response = client.get(url)
        assert response.status_code == status, url
        if persona == "anonymous":
            assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_admins_of_the_team_can_submit_a_move(client, moving, persona, status):
    # R-T8
    sign_in(client, moving.world, persona)
    assert submit(client, moving.world.team, moving.primarys).status_code == status
    assert team_of(moving.primarys) == moving.world.other_team


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_confirmation_is_only_for_the_admins_of_the_team(client, moving, persona, status):
    world = moving.world
    subscription_move(subscription=moving.primarys, to_team=world.team, actor=world.primary.user)
    sign_in(client, world, persona)
    assert client.get(done_url(world.team, moving.primarys)).status_code == status


@pytest.mark.parametrize("persona", ["primary", "secondary"])
def test_primary_and_secondary_admins_move_the_subscriptions_they_own(client, moving, persona):
    # R-T8: each step, "Submit", the confirmation.
    world, subscription = moving.world, own_subscription(moving, persona)
    sign_in(client, world, persona)
    assert client.get(wizard_url(world.team)).status_code == 200
    assert client.get(wizard_url(world.team, world.other_team)).status_code == 200
    assert client.get(review_url(world.team, subscription)).status_code == 200
    response = submit(client, world.team, subscription)
    assert response.status_code == 302
    assert response["Location"] == f"{done_url(world.team, subscription)}?from={world.other_team.pk}"
    assert team_of(subscription) == world.team
    assert client.get(response["Location"]).status_code == 200


def test_an_admin_of_another_team_of_the_customer_gets_404(client, moving):
    # SPEC §2: Jan is primary admin of Engineering; an admin of Engineering only cannot use Design's wizard.
    world = moving.world
    engineer = MemberFactory(team=world.other_team, role=Member.Role.SECONDARY_ADMIN)
    client.force_login(engineer.user)
    for url in wizard_steps(moving):
        assert client.get(url).status_code == 404
    assert submit(client, world.team, moving.primarys).status_code == 404
    assert team_of(moving.primarys) == world.other_team


def test_every_step_names_the_team_it_moves_to(moving):
    # The team switcher: the current team is part of every address.
    world = moving.world
    for url in [*wizard_steps(moving), done_url(world.team, moving.primarys)]:
        assert url.startswith(f"/teams/{world.team.pk}/settings/move/")


# --- Step 1: the team it comes from ----------------------------------------------------------------


def test_the_teams_are_the_ones_the_admin_administers_or_owns_subscriptions_in(client, moving):
    world = moving.world
    TeamFactory(customer=world.team.customer, name="Marketing")  # the customer's, but not Jan's or Anna's
    sign_in(client, world, "primary")
    response = client.get(wizard_url(world.team))
    assert [row.team for row in response.context["sources"]] == [world.other_team]
    assert response.context["sources"][0].administered
    assert f'href="{wizard_url(world.team, world.other_team)}"' in text(response)
    assert "Someone else" not in text(response)
    assert "Marketing" not in text(response)

    # Anna administers no other team but owns a subscription in Engineering.
    sign_in(client, world, "secondary")
    response = client.get(wizard_url(world.team))
    assert [(row.team, row.subscriptions, row.administered) for row in response.context["sources"]] == [
        (world.other_team, 1, False)
    ]
    assert "only the subscriptions you own" in text(response)


def test_an_admin_with_no_other_team_is_told_so(client, world):
    give_names(world)
    sign_in(client, world, "secondary")
    html = text(client.get(wizard_url(world.team)))
    assert "There is no other team to move subscriptions from" in html


@pytest.mark.parametrize("value", ["abc", "", "-1"])
def test_a_team_that_is_no_number_is_not_found(client, moving, value):
    sign_in(client, moving.world, "primary")
    assert client.get(wizard_url(moving.world.team, **{"from": value})).status_code == 404


def test_a_team_the_admin_may_not_see_is_not_found(client, moving):
    # Nobody learns of another team's subscriptions through the wizard.
    world = moving.world
    sign_in(client, world, "primary")
    for team in (world.outsider_team, world.team, TeamFactory(customer=world.team.customer)):
        assert client.get(wizard_url(world.team, team)).status_code == 404
    sign_in(client, world, "secondary")
    moving.secondarys.delete()  # Anna owns nothing in Engineering any more
    assert client.get(wizard_url(world.team, world.other_team)).status_code == 404


# --- Step 2: the subscriptions, "Select" or why not (R-T10, R-T11) ----------------------------------


@pytest.fixture
def blocked(moving):
    """In Engineering, besides CadSuite (movable), one subscription for each reason it cannot move."""
    engineering, jan = moving.world.other_team, moving.world.primary.user
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="Viewer"),
        contract__manager=UserFactory(first_name="Pia", last_name="Eigenaar"),
    )
    SubscriptionFactory(
        team=engineering, product=ProductFactory(name="RenderCredits"), plan="pay_per_use", contract__manager=jan
    )
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="CadSuite Premium"),
        plan="premium",
        sso_enabled=True,
        contract__manager=jan,
    )
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="BIM Collaborate"),
        collaboration_site="bim.devries.example",
        contract__manager=jan,
    )
    sketcher = ProductFactory(name="Sketcher")
    SubscriptionFactory(team=engineering, product=sketcher, seats=3, contract__manager=jan)
    for _ in range(3):
        AssignmentFactory(member=MemberFactory(team=engineering), product=sketcher)
    return moving


def test_select_is_disabled_with_the_reason_for_each_case(client, blocked):
    # R-T10, R-T11: the reasons beside a disabled "Select" and on hover.
    world = blocked.world
    sign_in(client, world, "primary")
    found = rows(text(client.get(wizard_url(world.team, world.other_team))))
    expected = {
        "Viewer": MOVE_NOT_OWNER % {"owner": "Pia Eigenaar"},
        "PlotPro": MOVE_NOT_OWNER % {"owner": "Anna Bakker"},
        "RenderCredits": MOVE_PAY_PER_USE,
        "CadSuite Premium": MOVE_PREMIUM_SSO,
        "BIM Collaborate": MOVE_COLLABORATION_SITE % {"site": "bim.devries.example"},
        "Sketcher": MOVE_OVER_ALLOCATED % {"team": "Engineering", "product": "Sketcher", "count": 3},
    }
    assert set(found) == {*expected, "CadSuite"}
    for product, message in expected.items():
        row, reason = found[product], escape(str(message))
        assert "disabled" in row, product
        assert f'title="{reason}"' in row, product
        assert f"<span>{reason}</span>" in row, product
        assert "/settings/move/" not in row.split("sk-move-action", 1)[1], product  # no link to the review
    for product in ("RenderCredits", "CadSuite Premium", "BIM Collaborate"):
        assert "Contact support to move it." in found[product]
    assert "Unassign 3 seats of Sketcher in Engineering first." in found["Sketcher"]
    # The one that can move: "Select" leads to the review.
    assert "disabled" not in found["CadSuite"]
    assert f'href="{review_url(world.team, blocked.primarys)}"' in found["CadSuite"]


def test_in_a_team_they_do_not_administer_an_admin_sees_only_the_subscriptions_they_own(client, blocked):
    world = blocked.world
    sign_in(client, world, "secondary")
    found = rows(text(client.get(wizard_url(world.team, world.other_team))))
    assert list(found) == ["PlotPro"]
    assert f'href="{review_url(world.team, blocked.secondarys)}"' in found["PlotPro"]
    # The others' review is not found either.
    assert client.get(review_url(world.team, blocked.primarys)).status_code == 404


def test_support_staff_are_not_held_to_the_cases_for_support(client, blocked):
    # R-T11: support staff do these moves; the seat rule (R-T10) holds for them too.
    world = blocked.world
    client.force_login(world.staff)
    found = rows(text(client.get(wizard_url(world.team, world.other_team))))
    for product in ("Viewer", "RenderCredits", "CadSuite Premium", "BIM Collaborate"):
        assert "disabled" not in found[product], product
    assert "disabled" in found["Sketcher"]


def test_a_subscription_is_found_by_product_or_contract_number(client, blocked):
    # R-T8: "find the subscription".
    world = blocked.world
    sign_in(client, world, "primary")
    found = rows(text(client.get(wizard_url(world.team, world.other_team, q="cad"))))
    assert set(found) == {"CadSuite", "CadSuite Premium"}
    number = blocked.secondarys.contract.number
    assert list(rows(text(client.get(wizard_url(world.team, world.other_team, q=number))))) == ["PlotPro"]
    html = text(client.get(wizard_url(world.team, world.other_team, q="nothing-like-it")))
    assert "No subscription matches “nothing-like-it”" in html


def test_ended_subscriptions_are_not_offered(client, moving):
    world = moving.world
    Subscription.objects.filter(pk=moving.primarys.pk).update(term_end="2020-12-31", term_start="2020-01-01")
    sign_in(client, world, "primary")
    assert "CadSuite" not in rows(text(client.get(wizard_url(world.team, world.other_team))))


# The list's queries: the session, the user, the team, its admin, the source team, the
# subscriptions, the blockers' seat counts for all of them at once (two: subscriptions_move_blockers)
# and the teams of the page's header.
STEP_2_QUERIES = 9


def test_the_list_takes_as_many_queries_for_ten_subscriptions_as_for_two(client, moving, django_assert_max_num_queries):
    # The reasons are the service's (subscriptions_move_blockers), which counts the old team's seats
    # of every product on the list at once: nothing grows with the list.
    world = moving.world
    engineering, jan = world.other_team, world.primary.user
    sign_in(client, world, "primary")
    url = wizard_url(world.team, engineering)
    client.get(url)
    with django_assert_max_num_queries(STEP_2_QUERIES) as two:
        assert len(rows(text(client.get(url)))) == 2
    # Eight more, each blocked in its own way or over-allocated, of products with seats assigned.
    for n in range(8):
        subscription = SubscriptionFactory(
            team=engineering,
            seats=1,
            contract__manager=jan if n % 2 else UserFactory(),
            plan="pay_per_use" if n % 3 == 0 else "standard",
        )
        for _ in range(n % 3):
            AssignmentFactory(member=MemberFactory(team=engineering), product=subscription.product)
    with django_assert_max_num_queries(STEP_2_QUERIES) as ten:
        found = rows(text(client.get(url)))
    assert len(found) == 10
    assert sum("disabled" in row for row in found.values()) > 4  # the blockers were computed
    assert len(ten.captured_queries) == len(two.captured_queries)


# --- Step 3: the review and "Submit" ---------------------------------------------------------------


def test_the_review_shows_what_moves_and_that_users_stay(client, moving):
    # R-T8, R-T9
    world = moving.world
    sign_in(client, world, "primary")
    html = text(client.get(review_url(world.team, moving.primarys)))
    assert "Review the move" in html
    assert "CadSuite" in html
    assert moving.primarys.contract.number in html
    assert "Users do not move. Whoever has CadSuite in Engineering keeps it there; nobody is added to Design." in html
    seats = re.findall(
        r'<span class="sk-num">(\d+)</span> <i class="bi bi-arrow-right"[^>]*></i>'
        r'<span class="visually-hidden">becomes</span> <strong class="sk-num">(\d+)</strong>',
        html,
    )
    assert seats == [("4", "0"), ("0", "4")]  # Engineering loses 4 seats, Design gets them
    assert f'<input type="hidden" name="from" value="{world.other_team.pk}">' in html
    assert SUBMIT in html
    # Back goes to the subscriptions of Engineering: the wizard's state is in the address.
    assert f'href="{wizard_url(world.team, world.other_team)}"' in html


def test_a_move_keeps_the_users_in_the_old_team(client, moving):
    # R-T8, R-T9
    world, cad = moving.world, moving.cad
    SubscriptionFactory(team=world.other_team, product=cad, seats=2, contract__manager=world.primary.user)
    engineers = [MemberFactory(team=world.other_team) for _ in range(2)]
    for member in engineers:
        AssignmentFactory(member=member, product=cad)
    sign_in(client, world, "primary")
    response = client.post(review_url(world.team, moving.primarys), {"from": world.other_team.pk}, follow=True)
    assert team_of(moving.primarys) == world.team
    assert seats_purchased(world.team, cad) == 4
    assert seats_purchased(world.other_team, cad) == 2
    # Nobody moved: the assignments are where they were, and Design got no members.
    assert set(Assignment.objects.filter(product=cad).values_list("member", flat=True)) == {m.pk for m in engineers}
    assert seats_assigned(world.other_team, cad) == 2
    assert seats_assigned(world.team, cad) == 0
    assert not world.team.members.filter(user__in=[m.user for m in engineers]).exists()
    html = text(response)
    assert "CadSuite now belongs to Design" in html
    assert "Users did not move: 2 users of CadSuite stay in Engineering." in html
    settings_url = reverse("team_settings:team-settings", kwargs={"team_id": world.team.pk})
    assert f'<a class="btn btn-primary" href="{settings_url}">Done</a>' in html
    assert f'href="{wizard_url(world.team, world.other_team)}">Move another</a>' in html
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.SUBSCRIPTION_MOVED)
    assert {(e.team, e.actor) for e in events} == {
        (world.team, world.primary.user),
        (world.other_team, world.primary.user),
    }


def test_the_last_subscription_of_a_product_moves_with_all_its_seats(client, moving):
    # R-T8, R-T10: no one holds CadSuite in Engineering, so its only subscription can go.
    world, cad = moving.world, moving.cad
    sign_in(client, world, "primary")
    assert "disabled" not in rows(text(client.get(wizard_url(world.team, world.other_team))))["CadSuite"]
    response = submit(client, world.team, moving.primarys)
    assert response.status_code == 302
    assert seats_purchased(world.other_team, cad) == 0
    assert seats_purchased(world.team, cad) == 4
    html = text(client.get(response["Location"]))
    assert "Users did not move: 0 users of CadSuite stay in Engineering." in html
    # Back in Team settings, the subscription is listed in Design.
    settings = text(client.get(reverse("team_settings:team-settings", kwargs={"team_id": world.team.pk})))
    assert moving.primarys.contract.number in settings


def test_a_submit_refused_because_seats_were_assigned_meanwhile_shows_why(client, moving):
    # R-T10, decided again at "Submit": the review was fine, then someone took a seat in Engineering.
    world, cad = moving.world, moving.cad
    sign_in(client, world, "primary")
    assert SUBMIT in text(client.get(review_url(world.team, moving.primarys)))
    AssignmentFactory(member=MemberFactory(team=world.other_team), product=cad)
    response = submit(client, world.team, moving.primarys)
    assert response.status_code == 200
    html = text(response)
    assert "Nothing was moved." in html
    assert escape(str(MOVE_OVER_ALLOCATED % {"team": "Engineering", "product": "CadSuite", "count": 1})) in html
    assert SUBMIT not in html
    assert team_of(moving.primarys) == world.other_team


def test_a_submit_for_a_subscription_moved_meanwhile_moves_nothing(client, moving):
    # The subscription left Engineering for Marketing between the review and "Submit".
    world = moving.world
    marketing = TeamFactory(customer=world.team.customer, name="Marketing")
    MemberFactory(team=marketing, user=world.primary.user, role=Member.Role.PRIMARY_ADMIN)
    sign_in(client, world, "primary")
    subscription_move(subscription=moving.primarys, to_team=marketing, actor=world.staff)
    response = submit(client, world.team, moving.primarys, from_team=world.other_team)
    assert response.status_code == 200
    expected = MOVED_MEANWHILE % {"product": "CadSuite", "number": moving.primarys.contract.number, "team": "Marketing"}
    assert escape(str(expected)) in text(response)
    assert team_of(moving.primarys) == marketing


def test_a_submit_the_rules_refuse_shows_the_reason_and_not_a_500(client, moving):
    # R-T11: Jan administers Engineering but does not own PlotPro; sent anyway, it is refused.
    world = moving.world
    sign_in(client, world, "primary")
    review = text(client.get(review_url(world.team, moving.secondarys)))
    reason = escape(str(MOVE_NOT_OWNER % {"owner": "Anna Bakker"}))
    assert reason in review
    assert SUBMIT not in review
    response = submit(client, world.team, moving.secondarys)
    assert response.status_code == 200
    assert "Nothing was moved." in text(response)
    assert reason in text(response)
    assert team_of(moving.secondarys) == world.other_team


# --- Step 4: the confirmation ----------------------------------------------------------------------


def test_the_confirmation_is_only_for_a_subscription_of_the_team(client, moving):
    world = moving.world
    sign_in(client, world, "primary")
    assert client.get(done_url(world.team, moving.primarys)).status_code == 404  # still in Engineering


def test_the_confirmation_ignores_a_team_the_admin_may_not_see(client, moving):
    world = moving.world
    subscription_move(subscription=moving.primarys, to_team=world.team, actor=world.primary.user)
    sign_in(client, world, "primary")
    html = text(client.get(f"{done_url(world.team, moving.primarys)}?from={world.outsider_team.pk}"))
    assert "Someone else" not in html
    assert "Users did not move: they stay in the team the subscription came from." in html
    assert f'href="{wizard_url(world.team)}">Move another</a>' in html
