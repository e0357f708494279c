"""What the database itself refuses (STYLE: "what the database can say" lives in Meta.constraints), even
when a write goes around the services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from licensing.accounts.models import User
from licensing.subscriptions.models import Assignment, Subscription
from licensing.teams.models import Member, Team
from tests.factories import AssignmentFactory, MemberFactory, SubscriptionFactory, TeamFactory

PRIMARY, SECONDARY, USER = Member.Role.PRIMARY_ADMIN, Member.Role.SECONDARY_ADMIN, Member.Role.USER


# --- Accounts (R-U7) -----------------------------------------------------------------------------


@pytest.mark.parametrize("again", ["jan@example.com", "JAN@example.com", "Jan@Example.COM"])
def test_an_email_address_is_unique_whatever_its_case(db, again):
    # R-U7
    User.objects.create(email="Jan@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email=again)
    assert User.objects.count() == 1


def test_changing_an_address_to_anothers_in_another_case_is_refused(db):
    # R-U7
    User.objects.create(email="jan@example.com")
    piet = User.objects.create(email="piet@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=piet.pk).update(email="JAN@EXAMPLE.COM")


# --- Members (R-PA1, R-G3) -----------------------------------------------------------------------


def test_a_team_has_at_most_one_primary_admin(world):
    # R-PA1
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(team=world.team, role=PRIMARY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=world.secondary.pk).update(role=PRIMARY)
    assert world.team.members.filter(role=PRIMARY).count() == 1


def test_one_person_may_be_primary_admin_of_several_teams_and_teams_many_secondaries(world):
    # R-PA1, R-SA1: the unique constraint is per team and only on the primary role.
    MemberFactory(team=TeamFactory(customer=world.team.customer), user=world.primary.user, role=PRIMARY)
    MemberFactory.create_batch(3, team=world.team, role=SECONDARY)
    assert Member.objects.filter(user=world.primary.user, role=PRIMARY).count() == 3
    assert world.team.members.filter(role=SECONDARY).count() == 4


@pytest.mark.parametrize("role", [PRIMARY, SECONDARY])
def test_an_admin_cannot_be_a_guest(db, role):
    # R-G3
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(role=role, is_guest=True)


def test_a_guest_cannot_be_promoted_around_the_services(world):
    # R-G3
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=world.guest.pk).update(role=SECONDARY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=world.secondary.pk).update(is_guest=True)


def test_a_user_can_be_a_guest(db):
    # R-G2
    assert MemberFactory(role=USER, is_guest=True).pk


def test_a_person_is_a_member_of_a_team_once(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(team=world.team, user=world.user.user)
    # ... and of any number of teams.
    assert MemberFactory(team=world.outsider_team, user=world.user.user).pk


@pytest.mark.parametrize(("field", "value"), [("role", "owner"), ("status", "pending")])
def test_roles_and_statuses_are_the_known_ones(world, field, value):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=world.user.pk).update(**{field: value})


# --- Teams ---------------------------------------------------------------------------------------


def test_a_team_has_a_name(world):
    # R-T3, R-T4
    with pytest.raises(IntegrityError), transaction.atomic():
        Team.objects.filter(pk=world.team.pk).update(name="")


# --- Assignments and subscriptions (R-SE1) -------------------------------------------------------


def test_a_member_holds_one_assignment_per_product(world):
    AssignmentFactory(member=world.user, product=world.product)
    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(member=world.user, product=world.product)
    assert Assignment.objects.count() == 1


def test_the_same_person_may_hold_the_product_in_two_teams(world):
    # R-T5: a seat is per team.
    elsewhere = MemberFactory(team=world.other_team, user=world.user.user)
    AssignmentFactory(member=world.user, product=world.product)
    assert AssignmentFactory(member=elsewhere, product=world.product).pk


def test_seats_cannot_be_negative(world):
    # R-SE1
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.filter(pk=world.subscription.pk).update(seats=-1)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(seats=-3)
    assert SubscriptionFactory(seats=0).pk


def test_a_term_cannot_end_before_it_starts(db):
    today = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionFactory(term_start=today, term_end=today - timedelta(days=1))
    assert SubscriptionFactory(term_start=today, term_end=today).pk  # one day is a term


def test_a_plan_is_a_known_one(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Subscription.objects.filter(pk=world.subscription.pk).update(plan="lifetime")
