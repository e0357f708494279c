"""Assigning products and their items (R-P1..R-P4, R-BP2) under the team's seat pool (R-SE1, R-SE2)."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from mailer.models import Message

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment, Product
from licensing.subscriptions.services import (
    ALREADY_ASSIGNED,
    ITEM_NOT_OF_PRODUCT,
    NO_FREE_SEAT,
    NO_ITEMS,
    NO_SUBSCRIPTION,
    SEATS_BELOW_ASSIGNED,
    SEATS_NEGATIVE,
    assignment_create,
    assignment_delete,
    assignment_update,
    seats_assigned,
    seats_purchased,
    subscription_add_seats,
    subscription_set_seats,
)
from licensing.teams.models import Member
from licensing.teams.services import NOT_ALLOWED
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory

TODAY = timezone.localdate


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    # pytest-django's locmem EMAIL_BACKEND would bypass django-mailer's queue; mails go out after commit.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def assign(world, member, **kwargs):
    return assignment_create(member=member, product=world.product, actor=world.primary.user, **kwargs)


def fill_seats(world):
    """Assign all 3 seats of the world's subscription."""
    return [assign(world, member) for member in (world.user, world.guest, world.secondary)]


def codes(assignment) -> set[str]:
    return {item.code for item in assignment.items.all()}


# --- Assign (R-P1, R-P2, R-P3) -------------------------------------------------------------------


def test_assign_gives_all_items_of_the_product_by_default(world):
    # R-P2
    assignment = assign(world, world.user)
    assert (assignment.member, assignment.product, assignment.assigned_by) == (
        world.user,
        world.product,
        world.primary.user,
    )
    assert codes(assignment) == {"draftpro-desktop", "cloud-render"}
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_ASSIGNED)
    assert (event.team, event.target_user, event.product, event.before, event.after) == (
        world.team,
        world.user.user,
        world.product,
        None,
        {"items": ["cloud-render", "draftpro-desktop"]},
    )


def test_assign_with_chosen_items(world):
    # R-P2: the arrow beside "Assign" picks items.
    assignment = assign(world, world.user, items=[world.items[1]])
    assert codes(assignment) == {"cloud-render"}


def test_items_of_another_product_are_refused(world):
    # R-P2
    stranger = ProductItemFactory(name="Other's plugin")
    with pytest.raises(ValidationError) as exc:
        assign(world, world.user, items=[world.items[0], stranger])
    assert exc.value.messages == [str(ITEM_NOT_OF_PRODUCT % {"item": "Other's plugin", "product": "DraftPro"})]
    assert not Assignment.objects.exists()


def test_assigning_with_no_items_chosen_is_refused(world):
    # R-P2, R-P4: an empty choice is an unassign, which makes no sense for a new assignment.
    with pytest.raises(ValidationError) as exc:
        assign(world, world.user, items=[])
    assert exc.value.messages == [str(NO_ITEMS)]
    assert not Assignment.objects.exists()


def test_a_product_without_items_is_assigned_as_a_whole(world):
    plain = ProductFactory(name="Viewer")
    SubscriptionFactory(team=world.team, product=plain, seats=1)
    assignment = assignment_create(member=world.user, product=plain, actor=world.primary.user)
    assert codes(assignment) == set()


def test_a_member_holds_one_seat_of_a_product(world):
    assign(world, world.user)
    with pytest.raises(ValidationError) as exc:
        assign(world, world.user)
    name = world.user.user.get_full_name()
    assert exc.value.messages == [str(ALREADY_ASSIGNED % {"name": name, "product": "DraftPro"})]
    assert seats_assigned(world.team, world.product) == 1


def test_an_invited_member_can_be_assigned(world):
    # R-U3: products may be assigned while inviting, before acceptance.
    assert assign(world, world.invited).member.status == Member.Status.INVITED


def test_products_can_be_assigned_and_revoked_as_often_as_needed(world):
    # R-P1
    for _ in range(3):
        assignment_delete(assignment=assign(world, world.user), actor=world.secondary.user)
    assign(world, world.user)
    assert seats_assigned(world.team, world.product) == 1


def test_the_member_is_mailed_after_commit_that_the_product_is_ready(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    # R-P3, SPEC §4
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assign(world, world.user)
    assert mailoutbox == []
    assert Message.objects.count() == 1
    for callback in callbacks:
        callback()
    assert [(m.to, m.subject) for m in mailoutbox] == [(["user@example.com"], "DraftPro is ready for you")]


def test_a_refused_assignment_sends_no_mail(world, django_capture_on_commit_callbacks, mailoutbox):
    fill_seats(world)
    mailoutbox.clear()
    Message.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        assign(world, world.invited)
    assert mailoutbox == []
    assert Message.objects.count() == 0


# --- Change items, unassign (R-P4, R-BP2) --------------------------------------------------------


def test_deselecting_items_keeps_the_rest(world):
    # R-P4, R-BP2
    assignment = assign(world, world.user)
    assignment = assignment_update(assignment=assignment, items=[world.items[0]], actor=world.secondary.user)
    assert codes(assignment) == {"draftpro-desktop"}
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.ASSIGNMENT_CHANGED)
    assert (event.before, event.after, event.actor) == (
        {"items": ["cloud-render", "draftpro-desktop"]},
        {"items": ["draftpro-desktop"]},
        world.secondary.user,
    )


def test_saving_the_same_items_writes_nothing(world):
    assignment = assign(world, world.user)
    events = ActivityEvent.objects.count()
    assert assignment_update(assignment=assignment, items=list(reversed(world.items)), actor=world.primary.user)
    assert ActivityEvent.objects.count() == events


def test_deselecting_every_item_is_an_unassign(world):
    # R-P4
    assignment = assign(world, world.user)
    assert assignment_update(assignment=assignment, items=[], actor=world.primary.user) is None
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    assert Assignment.items.through.objects.count() == 0
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_UNASSIGNED)
    assert (event.before, event.after) == ({"items": ["cloud-render", "draftpro-desktop"]}, None)


def test_changing_to_items_of_another_product_is_refused(world):
    assignment = assign(world, world.user)
    stranger = ProductItemFactory(name="Foreign")
    with pytest.raises(
        ValidationError, match=re.escape(str(ITEM_NOT_OF_PRODUCT % {"item": "Foreign", "product": "DraftPro"}))
    ):
        assignment_update(assignment=assignment, items=[stranger], actor=world.primary.user)
    assert codes(assignment) == {"draftpro-desktop", "cloud-render"}


def test_unassign_removes_the_product_and_all_its_items(world):
    # R-P4, R-BP2
    assignment = assign(world, world.user)
    assignment_delete(assignment=assignment, actor=world.secondary.user)
    assert not Assignment.objects.exists()
    assert Assignment.items.through.objects.count() == 0
    assert seats_assigned(world.team, world.product) == 0
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_UNASSIGNED)
    assert (event.target_user, event.actor, event.product) == (world.user.user, world.secondary.user, world.product)


# --- Who may (R-P1) ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_team_assign(world, persona):
    # R-P1, SPEC §2: an admin of another team gets no rights here.
    with pytest.raises(PermissionDenied, match=re.escape(str(NOT_ALLOWED))):
        assignment_create(member=world.user, product=world.product, actor=getattr(world, persona).user)
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("persona", ["user", "outsider"])
def test_only_admins_of_the_team_change_or_unassign(world, persona):
    # R-P1
    assignment = assign(world, world.user)
    actor = getattr(world, persona).user
    with pytest.raises(PermissionDenied):
        assignment_update(assignment=assignment, items=[world.items[0]], actor=actor)
    with pytest.raises(PermissionDenied):
        assignment_update(assignment=assignment, items=[], actor=actor)
    with pytest.raises(PermissionDenied):
        assignment_delete(assignment=assignment, actor=actor)
    assert codes(assignment) == {"draftpro-desktop", "cloud-render"}


def test_an_admin_of_a_sibling_team_cannot_assign_here(world):
    # SPEC §2
    admin_elsewhere = MemberFactory(team=world.other_team, role=Member.Role.SECONDARY_ADMIN)
    with pytest.raises(PermissionDenied):
        assignment_create(member=world.user, product=world.product, actor=admin_elsewhere.user)


def test_support_staff_assign_in_any_team(world):
    assignment = assignment_create(member=world.user, product=world.product, actor=world.staff)
    assert assignment.assigned_by.is_staff


# --- The seat pool (R-SE1) -----------------------------------------------------------------------


def test_an_assignment_beyond_the_seats_is_refused(world):
    # R-SE1
    fill_seats(world)
    with pytest.raises(ValidationError) as exc:
        assign(world, world.invited)
    assert exc.value.messages == [str(NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"})]
    assert seats_assigned(world.team, world.product) == 3
    assert not Assignment.objects.filter(member=world.invited).exists()


def test_a_freed_seat_can_be_assigned_again(world):
    # R-SE1
    first, *_ = fill_seats(world)
    assignment_delete(assignment=first, actor=world.primary.user)
    assign(world, world.invited)


def test_a_product_without_an_active_subscription_cannot_be_assigned(world):
    # R-SE1
    other = ProductFactory(name="RenderFarm")
    with pytest.raises(ValidationError) as exc:
        assignment_create(member=world.user, product=other, actor=world.primary.user)
    assert exc.value.messages == [str(NO_SUBSCRIPTION % {"product": "RenderFarm"})]


@pytest.mark.parametrize(
    ("start", "end"),
    [(-400, -1), (1, 365)],
    ids=["expired", "not-started"],
)
def test_subscriptions_outside_their_term_give_no_seats(world, start, end):
    # R-SE1: only active subscriptions count.
    other = ProductFactory(name="RenderFarm")
    SubscriptionFactory(
        team=world.team,
        product=other,
        seats=10,
        term_start=TODAY() + timedelta(start),
        term_end=TODAY() + timedelta(end),
    )
    assert seats_purchased(world.team, other) == 0
    with pytest.raises(ValidationError, match=re.escape(str(NO_SUBSCRIPTION % {"product": "RenderFarm"}))):
        assignment_create(member=world.user, product=other, actor=world.primary.user)


def test_a_subscription_counts_on_its_first_and_last_day(world):
    # R-SE1
    world.subscription.term_start = world.subscription.term_end = TODAY()
    world.subscription.save()
    assert seats_purchased(world.team, world.product) == 3
    assert seats_purchased(world.team, world.product, TODAY() + timedelta(1)) == 0
    assert seats_purchased(world.team, world.product, TODAY() - timedelta(1)) == 0


def test_seats_are_the_sum_over_the_teams_active_subscriptions(world):
    # R-SE1
    SubscriptionFactory(team=world.team, product=world.product, seats=2)
    SubscriptionFactory(team=world.team, product=world.product, seats=50, term_end=TODAY() - timedelta(1))
    SubscriptionFactory(team=world.other_team, product=world.product, seats=7)
    assert seats_purchased(world.team, world.product) == 5
    for member in (world.user, world.guest, world.secondary, world.primary, world.invited):
        assign(world, member)
    with pytest.raises(ValidationError, match=re.escape(str(NO_FREE_SEAT % {"seats": 5, "product": "DraftPro"}))):
        assign(world, MemberFactory(team=world.team))


def test_the_seat_counts_annotation_agrees_with_the_services(world):
    # R-SE1, R-BP1
    SubscriptionFactory(team=world.team, product=world.product, seats=2)
    SubscriptionFactory(team=world.team, product=world.product, seats=9, term_end=TODAY() - timedelta(1))
    assign(world, world.user)
    assign(world, world.guest)
    row = Product.objects.with_seat_counts(world.team).get(pk=world.product.pk)
    assert (row.seats_purchased, row.seats_assigned, row.seats_free, row.seats_over) == (5, 2, 3, 0)
    elsewhere = Product.objects.with_seat_counts(world.other_team).get(pk=world.product.pk)
    assert (elsewhere.seats_purchased, elsewhere.seats_assigned, elsewhere.seats_free) == (0, 0, 0)


def test_assignments_in_another_team_do_not_use_this_teams_seats(world):
    # R-SE1: a team's pool is its own.
    SubscriptionFactory(team=world.other_team, product=world.product, seats=1)
    AssignmentFactory(member=MemberFactory(team=world.other_team), product=world.product)
    fill_seats(world)
    assert seats_assigned(world.team, world.product) == 3


# --- Adding and setting seats (R-SE2) ------------------------------------------------------------


def test_seats_added_stay_in_the_subscriptions_team(world):
    # R-SE2
    fill_seats(world)
    subscription = subscription_add_seats(subscription=world.subscription, seats=2, actor=world.staff)
    assert (subscription.team, subscription.seats) == (world.team, 5)
    assert seats_purchased(world.team, world.product) == 5
    assert seats_purchased(world.other_team, world.product) == 0
    assign(world, world.invited)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.SEATS_CHANGED)
    assert (event.team, event.before, event.after) == (world.team, {"seats": 3}, {"seats": 5})


@pytest.mark.parametrize("seats", [0, -1])
def test_at_least_one_seat_must_be_added(world, seats):
    with pytest.raises(ValidationError) as exc:
        subscription_add_seats(subscription=world.subscription, seats=seats)
    assert exc.value.message_dict == {"seats": ["Add at least one seat."]}  # no constant for it in the service
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3


def test_seats_cannot_be_set_below_those_assigned(world):
    # R-SE1
    fill_seats(world)
    with pytest.raises(ValidationError) as exc:
        subscription_set_seats(subscription=world.subscription, seats=1, actor=world.staff)
    message = SEATS_BELOW_ASSIGNED % {"team": "Design", "assigned": 3, "product": "DraftPro", "seats": 1, "over": 2}
    assert exc.value.message_dict == {"seats": [str(message)]}
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3


def test_seats_can_be_lowered_to_what_is_assigned(world):
    assign(world, world.user)
    subscription_set_seats(subscription=world.subscription, seats=1)
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 1


def test_lowering_seats_counts_the_teams_other_subscriptions(world):
    # R-SE1: the pool is the sum; another subscription may cover what this one gives up.
    SubscriptionFactory(team=world.team, product=world.product, seats=2)
    fill_seats(world)
    subscription_set_seats(subscription=world.subscription, seats=1)
    assert seats_purchased(world.team, world.product) == 3


def test_an_ended_subscription_can_be_lowered_freely(world):
    fill_seats(world)
    world.subscription.term_end = TODAY() - timedelta(1)
    world.subscription.save()
    subscription_set_seats(subscription=world.subscription, seats=0)


def test_seats_cannot_be_negative(world):
    with pytest.raises(ValidationError) as exc:
        subscription_set_seats(subscription=world.subscription, seats=-1, allow_over_allocation=True)
    assert exc.value.message_dict == {"seats": [str(SEATS_NEGATIVE)]}


def test_setting_the_same_seats_writes_nothing(world):
    subscription_set_seats(subscription=world.subscription, seats=3)
    assert ActivityEvent.objects.count() == 0


def test_over_allocation_allowed_on_purpose_shows_the_overage(world):
    # R-SE1
    fill_seats(world)
    subscription_set_seats(subscription=world.subscription, seats=1, allow_over_allocation=True, actor=world.staff)
    row = Product.objects.with_seat_counts(world.team).get(pk=world.product.pk)
    assert (row.seats_purchased, row.seats_assigned, row.seats_free, row.seats_over) == (1, 3, 0, 2)
    # An over-full pool takes no one new.
    with pytest.raises(ValidationError, match=re.escape(str(NO_FREE_SEAT % {"seats": 1, "product": "DraftPro"}))):
        assign(world, world.invited)


def test_an_over_full_pool_seats_the_longest_held_assignments_first(world):
    # R-SE1: the licence check never licenses more than were bought.
    now = timezone.now()
    held = [
        AssignmentFactory(member=member, product=world.product, assigned_at=now - timedelta(days=days))
        for member, days in ((world.secondary, 1), (world.user, 3), (world.guest, 2))
    ]
    assert [a.holds_licensed_seat() for a in held] == [True, True, True]
    subscription_set_seats(subscription=world.subscription, seats=1, allow_over_allocation=True)
    assert [a.holds_licensed_seat() for a in held] == [False, True, False]
    subscription_set_seats(subscription=world.subscription, seats=2)
    assert [a.holds_licensed_seat() for a in held] == [False, True, True]


def test_assignments_made_at_the_same_moment_are_seated_in_the_order_made(world):
    # R-SE1: ties broken by creation order.
    now = timezone.now()
    held = [AssignmentFactory(member=m, product=world.product, assigned_at=now) for m in (world.user, world.guest)]
    subscription_set_seats(subscription=world.subscription, seats=1, allow_over_allocation=True)
    assert [a.holds_licensed_seat() for a in held] == [True, False]


def test_no_assignment_holds_a_seat_when_the_subscription_has_ended(world):
    assignment = assign(world, world.user)
    assert assignment.holds_licensed_seat()
    assert not assignment.holds_licensed_seat(on=world.subscription.term_end + timedelta(1))
