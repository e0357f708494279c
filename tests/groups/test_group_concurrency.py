"""Admins changing groups and seats at the same moment (R-GR5, R-SE1, R-GR3): real threads on their
own connections (tests/concurrency.py), on SQLite and on PostgreSQL when DATABASE_URL points to it.
Every group service locks the team first, as the direct assignments do, so the pool is never exceeded
and nobody holds two seats of a product; whoever does not get a seat waits, never silently dropped."""

import pytest
from django.core.exceptions import ValidationError

from licensing.groups.models import GroupMember, SeatWait
from licensing.groups.services import group_create, group_members_add, group_members_remove, group_product_assign
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create, seats_assigned, seats_purchased
from licensing.teams.models import Member
from tests.concurrency import errors, run_together
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_admins_adding_the_last_members_to_groups_while_a_third_assigns_the_last_seat_directly(world):
    # R-GR5, R-SE1, R-GR3: 3 seats, 1 taken. Two groups give the product; two admins each add three
    # members (one of them in both groups) while a third admin assigns the last seat directly.
    admin_a, admin_b, admin_c = (
        world.primary.user,
        world.secondary.user,
        MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN).user,
    )
    assignment_create(member=world.guest, product=world.product, actor=admin_a)
    group_a = group_create(team=world.team, name="A", actor=admin_a)
    group_b = group_create(team=world.team, name="B", actor=admin_b)
    for group in (group_a, group_b):
        group_product_assign(group=group, product=world.product, actor=admin_a)
    crew = [MemberFactory(team=world.team) for _ in range(5)]
    shared = crew[0]

    outcomes = run_together(
        lambda: group_members_add(group=group_a, members=[shared, crew[1], crew[2]], actor=admin_a),
        lambda: group_members_add(group=group_b, members=[shared, crew[3], crew[4]], actor=admin_b),
        lambda: assignment_create(member=world.user, product=world.product, actor=admin_c),
    )

    refused = errors(outcomes)
    assert all(isinstance(error, ValidationError) and error.code == "no_free_seat" for error in refused), refused
    assert outcomes[0].ok
    assert outcomes[1].ok
    # 0 seats over the pool, 0 double assignments.
    assert seats_assigned(world.team, world.product) == seats_purchased(world.team, world.product) == 3
    held = list(Assignment.objects.filter(product=world.product).values_list("member_id", flat=True))
    assert len(held) == len(set(held))
    # Every group member without a seat waits, through each of their groups.
    for membership in GroupMember.objects.all():
        assert (
            membership.member_id in held
            or SeatWait.objects.filter(group=membership.group, member=membership.member).exists()
        )


def test_a_member_removed_from_two_groups_at_once_loses_the_seat_once_and_the_waiting_get_it(world):
    # R-GR4, R-GR5: the member's one seat is given by both groups; both admins remove them at once.
    admin_a, admin_b = world.primary.user, world.secondary.user
    crew = [MemberFactory(team=world.team) for _ in range(4)]
    group_a = group_create(team=world.team, name="A", actor=admin_a)
    group_b = group_create(team=world.team, name="B", actor=admin_a)
    for group in (group_a, group_b):
        group_product_assign(group=group, product=world.product, actor=admin_a)
    group_members_add(group=group_a, members=crew, actor=admin_a)  # crew[3] waits
    group_members_add(group=group_b, members=[crew[0]], actor=admin_a)

    outcomes = run_together(
        lambda: group_members_remove(group=group_a, members=[crew[0]], actor=admin_a),
        lambda: group_members_remove(group=group_b, members=[crew[0]], actor=admin_b),
    )

    assert errors(outcomes) == []
    assert not Assignment.objects.filter(member=crew[0]).exists()
    assert Assignment.objects.filter(member=crew[3], product=world.product).count() == 1
    assert seats_assigned(world.team, world.product) == 3
    assert not SeatWait.objects.exists()
