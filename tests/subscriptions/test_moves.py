"""Moving a subscription to another team (R-T8..R-T11)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment, Subscription
from licensing.subscriptions.services import (
    MOVE_COLLABORATION_SITE,
    MOVE_NOT_OWNER,
    MOVE_OTHER_CUSTOMER,
    MOVE_OVER_ALLOCATED,
    MOVE_PAY_PER_USE,
    MOVE_PREMIUM_SSO,
    MOVE_SAME_TEAM,
    NO_SUBSCRIPTION,
    assignment_create,
    seats_assigned,
    seats_purchased,
    seats_to_unassign_before_move,
    subscription_move,
    subscription_move_blockers,
    subscriptions_move_blockers,
)
from licensing.teams.models import Member
from licensing.teams.services import NOT_ALLOWED
from tests.factories import AssignmentFactory, MemberFactory, SubscriptionFactory


def move(world, actor=None, to_team=None, subscription=None):
    return subscription_move(
        subscription=subscription or world.subscription,
        to_team=to_team or world.other_team,
        actor=actor or world.primary.user,
    )


def blockers(world, actor=None, to_team=None) -> list[tuple[str, str, bool]]:
    found = subscription_move_blockers(
        subscription=world.subscription, to_team=to_team or world.other_team, actor=actor or world.primary.user
    )
    return [(b.code, b.message, b.support_can_override) for b in found]


def team_of(subscription):
    subscription.refresh_from_db()
    return subscription.team


def second_subscription(world, seats):
    """Another active DraftPro subscription in Design, on the same contract and owner."""
    return SubscriptionFactory(
        team=world.team, product=world.product, seats=seats, contract=world.subscription.contract
    )


def assign(world, *members):
    for member in members:
        AssignmentFactory(member=member, product=world.product)


# --- The owner moves (R-T8) ----------------------------------------------------------------------


def test_the_subscription_owner_moves_a_subscription_to_another_team(world):
    # R-T8
    assert blockers(world) == []
    moved = move(world)
    assert moved.team == world.other_team
    assert team_of(world.subscription) == world.other_team
    assert seats_purchased(world.team, world.product) == 0
    assert seats_purchased(world.other_team, world.product) == 3


def test_a_move_is_recorded_in_both_teams(world):
    # R-T8
    move(world)
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.SUBSCRIPTION_MOVED).order_by("pk")
    assert [(e.team, e.actor, e.product, e.before, e.after) for e in events] == [
        (t, world.primary.user, world.product, {"team": "Design"}, {"team": "Engineering"})
        for t in (world.team, world.other_team)
    ]


def test_the_moved_seats_can_be_assigned_in_the_new_team(world):
    # R-T8, R-SE1: the last subscription of a product leaves; its seats now belong to the new team.
    move(world)
    with pytest.raises(ValidationError, match=re.escape(str(NO_SUBSCRIPTION % {"product": "DraftPro"}))):
        assignment_create(member=world.user, product=world.product, actor=world.primary.user)
    engineer = MemberFactory(team=world.other_team)
    assignment_create(member=engineer, product=world.product, actor=world.primary.user)


# --- Users do not move (R-T9) --------------------------------------------------------------------


def test_assignments_stay_in_the_old_team(world):
    # R-T9
    second_subscription(world, seats=2)
    assign(world, world.user, world.guest)
    move(world)
    assert seats_assigned(world.team, world.product) == 2
    assert seats_assigned(world.other_team, world.product) == 0
    assert set(Assignment.objects.values_list("member__team", flat=True)) == {world.team.pk}
    assert not Member.objects.filter(team=world.other_team, user__in=[world.user.user, world.guest.user]).exists()


# --- Over-allocation (R-T10) ---------------------------------------------------------------------


def over_by_three(world):
    """Design: DraftPro 3 (to move) + 2 seats, all 5 assigned; moving the 3 would leave it 3 over."""
    second_subscription(world, seats=2)
    assign(world, world.user, world.guest, world.secondary, world.primary, world.invited)


def test_a_move_that_over_allocates_the_old_team_says_how_many_to_unassign(world):
    # R-T10
    over_by_three(world)
    message = str(MOVE_OVER_ALLOCATED % {"team": "Design", "product": "DraftPro", "count": 3})
    assert "Unassign 3 seats of DraftPro in Design first." in message
    assert seats_to_unassign_before_move(world.subscription) == 3
    assert blockers(world) == [("over_allocated", message, False)]
    with pytest.raises(ValidationError) as exc:
        move(world)
    assert exc.value.messages == [message]
    assert team_of(world.subscription) == world.team


def test_support_staff_are_held_to_the_over_allocation_rule_too(world):
    # R-T10
    over_by_three(world)
    staff = world.staff
    message = str(MOVE_OVER_ALLOCATED % {"team": "Design", "product": "DraftPro", "count": 3})
    assert blockers(world, actor=staff) == [("over_allocated", message, False)]
    with pytest.raises(ValidationError, match=re.escape(message)):
        move(world, actor=staff)


def test_after_unassigning_enough_seats_the_move_goes_through(world):
    # R-T10
    over_by_three(world)
    Assignment.objects.filter(member__in=[world.user, world.guest, world.secondary]).delete()
    assert seats_to_unassign_before_move(world.subscription) == 0
    move(world)
    assert seats_assigned(world.team, world.product) == 2 == seats_purchased(world.team, world.product)


def test_moving_the_last_subscription_needs_every_seat_unassigned(world):
    # R-T10
    assign(world, world.user)
    message = str(MOVE_OVER_ALLOCATED % {"team": "Design", "product": "DraftPro", "count": 1})
    assert blockers(world) == [("over_allocated", message, False)]


def test_an_ended_subscription_takes_no_seats_with_it(world):
    # R-T10: it gives the old team no seats any more, so moving it leaves nothing over-allocated.
    second_subscription(world, seats=1)
    assign(world, world.user)
    world.subscription.term_end = timezone.localdate() - timedelta(days=1)
    world.subscription.save()
    assert seats_to_unassign_before_move(world.subscription) == 0
    move(world)


# --- Cases for support (R-T11) -------------------------------------------------------------------


def test_only_the_subscription_owner_moves_it(world):
    # R-T8, R-T11: an admin of both teams who is not the owner is told who is.
    MemberFactory(team=world.other_team, user=world.secondary.user, role=Member.Role.SECONDARY_ADMIN)
    owner = world.primary.user.get_full_name()
    message = str(MOVE_NOT_OWNER % {"owner": owner})
    assert blockers(world, actor=world.secondary.user) == [("not_owner", message, True)]
    with pytest.raises(ValidationError) as exc:
        move(world, actor=world.secondary.user)
    assert exc.value.messages == [message]
    assert team_of(world.subscription) == world.team


R_T11_CASES = [
    pytest.param({"plan": Subscription.Plan.PAY_PER_USE}, "pay_per_use", MOVE_PAY_PER_USE, id="pay-per-use"),
    pytest.param(
        {"plan": Subscription.Plan.PREMIUM, "sso_enabled": True}, "premium_sso", MOVE_PREMIUM_SSO, id="premium-sso"
    ),
    pytest.param(
        {"collaboration_site": "bim.vandijk.example"},
        "collaboration_site",
        MOVE_COLLABORATION_SITE % {"site": "bim.vandijk.example"},
        id="collaboration-site",
    ),
]


@pytest.mark.parametrize(("fields", "code", "message"), R_T11_CASES)
def test_these_moves_are_refused_in_the_portal_with_contact_support(world, fields, code, message):
    # R-T11
    Subscription.objects.filter(pk=world.subscription.pk).update(**fields)
    world.subscription.refresh_from_db()
    assert "Contact support" in str(message)
    assert blockers(world) == [(code, str(message), True)]
    with pytest.raises(ValidationError) as exc:
        move(world)
    assert exc.value.messages == [str(message)]
    assert team_of(world.subscription) == world.team


@pytest.mark.parametrize(("fields", "code", "message"), R_T11_CASES)
def test_support_staff_do_these_moves(world, fields, code, message):
    # R-T11
    Subscription.objects.filter(pk=world.subscription.pk).update(**fields)
    world.subscription.refresh_from_db()
    staff = world.staff
    assert blockers(world, actor=staff) == []
    assert move(world, actor=staff).team == world.other_team
    event = ActivityEvent.objects.filter(action=ActivityEvent.Action.SUBSCRIPTION_MOVED).first()
    assert event.actor == staff


def test_support_staff_move_subscriptions_they_do_not_own(world):
    # R-T11, SPEC §2
    staff = world.staff
    assert move(world, actor=staff).team == world.other_team


@pytest.mark.parametrize(
    "fields",
    [{"plan": Subscription.Plan.PREMIUM}, {"plan": Subscription.Plan.STANDARD, "sso_enabled": True}],
    ids=["premium-without-sso", "standard-with-sso"],
)
def test_other_plans_and_flags_move_in_the_portal(world, fields):
    # R-T11: only Premium with SSO is held back.
    Subscription.objects.filter(pk=world.subscription.pk).update(**fields)
    world.subscription.refresh_from_db()
    assert move(world).team == world.other_team


def test_every_reason_is_listed(world):
    # R-T10, R-T11: the wizard shows them all beside a disabled "Select".
    Subscription.objects.filter(pk=world.subscription.pk).update(plan=Subscription.Plan.PAY_PER_USE)
    world.subscription.refresh_from_db()
    assign(world, world.user)
    MemberFactory(team=world.other_team, user=world.secondary.user, role=Member.Role.SECONDARY_ADMIN)
    codes = [code for code, _message, _support in blockers(world, actor=world.secondary.user)]
    assert codes == ["not_owner", "pay_per_use", "over_allocated"]


# --- Where to (R-T8) -----------------------------------------------------------------------------


def test_a_subscription_cannot_move_to_another_customers_team(world):
    # R-T8: teams of the same company only, for everyone.
    MemberFactory(team=world.outsider_team, user=world.primary.user, role=Member.Role.SECONDARY_ADMIN)
    for actor in (world.primary.user, world.staff):
        with pytest.raises(ValidationError) as exc:
            move(world, actor=actor, to_team=world.outsider_team)
        assert exc.value.messages == [str(MOVE_OTHER_CUSTOMER)]
    assert team_of(world.subscription) == world.team


def test_a_subscription_cannot_move_to_its_own_team(world):
    message = str(MOVE_SAME_TEAM % {"team": "Design"})
    assert blockers(world, to_team=world.team) == [("same_team", message, False)]
    with pytest.raises(ValidationError, match=re.escape(message)):
        move(world, to_team=world.team)


def test_the_owner_must_be_admin_of_the_target_team(world):
    # R-T8: the move starts in the target team's settings.
    world.subscription.owner = world.secondary.user
    world.subscription.save()
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        move(world, actor=world.secondary.user)
    assert team_of(world.subscription) == world.team


@pytest.mark.parametrize("persona", ["user", "outsider"])
def test_users_and_outsiders_cannot_move(world, persona):
    with pytest.raises(PermissionDenied):
        move(world, actor=getattr(world, persona).user)
    assert team_of(world.subscription) == world.team


# --- Many at once: the move wizard's list -----------------------------------------------------------


@pytest.fixture
def many(world):
    """Design's subscriptions, each blocked differently, as the wizard lists them for Engineering."""
    jan = world.primary.user
    second_subscription(world, seats=1)  # DraftPro: 3 + 1 seats in Design
    assign(world, world.user, world.guest, world.secondary)  # 3 assigned: moving the 3 seats over-allocates
    SubscriptionFactory(team=world.team, plan="pay_per_use", contract=world.subscription.contract, owner=jan)
    SubscriptionFactory(team=world.team, sso_enabled=True, plan="premium", contract__manager=world.secondary.user)
    ended = SubscriptionFactory(team=world.team, product=world.product, seats=2, contract__manager=jan)
    Subscription.objects.filter(pk=ended.pk).update(term_end=timezone.localdate() - timedelta(days=1))
    SubscriptionFactory(team=world.other_team, contract__manager=jan)  # already in Engineering
    SubscriptionFactory(team=world.outsider_team, contract__manager=jan)  # another customer's
    return Subscription.objects.select_related("team", "product", "owner").order_by("pk")


@pytest.mark.parametrize("persona", ["primary", "secondary", "staff"])
def test_the_blockers_of_many_subscriptions_are_each_ones_blockers(world, many, persona):
    # R-T10, R-T11: one rule, whether asked for one subscription or for the wizard's list.
    actor = world.staff if persona == "staff" else getattr(world, persona).user
    together = subscriptions_move_blockers(many, to_team=world.other_team, actor=actor)
    one_by_one = {s.pk: subscription_move_blockers(subscription=s, to_team=world.other_team, actor=actor) for s in many}
    assert together == one_by_one
    codes = {code for found in together.values() for code in (b.code for b in found)}
    assert {"over_allocated", "same_team", "other_customer"} <= codes


def test_the_blockers_of_many_subscriptions_take_two_queries(world, many, django_assert_num_queries):
    subscriptions = list(many)
    with django_assert_num_queries(2):  # the seats purchased and assigned, for every team and product
        subscriptions_move_blockers(subscriptions, to_team=world.other_team, actor=world.primary.user)


def test_no_subscriptions_have_no_blockers_and_take_no_query(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert subscriptions_move_blockers([], to_team=world.other_team, actor=world.primary.user) == {}
