"""Admins acting at the same moment: real threads, each on its own connection, against the real
database (SQLite with IMMEDIATE transactions, or PostgreSQL when DATABASE_URL points to it).

Every service here locks the team row(s) before it reads what it is about to change; these tests
show that two admins acting at once queue instead of both taking the last seat, both reassigning
the primary admin, or both creating an account. A naive count-then-insert, run under the same
harness, over-allocates on PostgreSQL: proof that the harness can see the race at all. The last
tests stage, on PostgreSQL, the lock orders that used to deadlock two services."""

import time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from mailer.models import Message

from licensing.accounts.devices import entitlement_check
from licensing.accounts.imports import import_confirm, parse_csv
from licensing.accounts.models import Invitation, User, new_token
from licensing.accounts.services import ALREADY_MEMBER, invitation_accept, member_invite
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment, SeatUsage, Subscription
from licensing.subscriptions.purchases import contract_change_manager
from licensing.subscriptions.services import (
    NO_FREE_SEAT,
    assignment_create,
    assignment_delete,
    seats_assigned,
    seats_purchased,
    subscription_move,
)
from licensing.teams.models import Member
from licensing.teams.services import lock_teams, member_change_role, member_delete
from tests.concurrency import errors, held_open, run_together, start
from tests.conftest import on_postgresql
from tests.factories import AssignmentFactory, MemberFactory, SubscriptionFactory, TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    # pytest-django's locmem EMAIL_BACKEND would bypass django-mailer's queue; here every thread
    # queues its mail in its own transaction and flushes the queue on commit, as in production.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def mails_out_or_queued() -> int:
    """Mails sent (locmem) plus mails still queued: a flush that lost the race for django-mailer's
    lock file leaves its mail queued for the next one, never lost."""
    return len(mail.outbox) + Message.objects.count()


# --- The last free seats (R-SE1) -----------------------------------------------------------------


@transaction.atomic
def naive_assignment_create(*, member, product, actor) -> Assignment:
    """What `assignment_create` would be without its lock: count, compare, insert. Two admins both
    count the same free seat, both insert. The sleep widens the window between count and insert to
    what a slow request has anyway."""
    team = member.team
    purchased = seats_purchased(team, product)
    if seats_assigned(team, product) >= purchased:
        raise ValidationError(NO_FREE_SEAT % {"seats": purchased, "product": product.name}, code="no_free_seat")
    time.sleep(0.05)
    return Assignment.objects.create(member=member, product=product, assigned_by=actor)


@pytest.mark.parametrize(
    "assign",
    [
        pytest.param(assignment_create, id="service"),
        pytest.param(
            naive_assignment_create,
            id="naive-count-then-insert",
            marks=[
                # On SQLite the IMMEDIATE transaction serialises writers, so even the naive variant
                # holds there; PostgreSQL's READ COMMITTED lets every thread count the same seats.
                pytest.mark.skipif(not on_postgresql(), reason="SQLite serialises writers anyway"),
                pytest.mark.xfail(raises=AssertionError, strict=True, reason="no lock: over-allocates"),
            ],
        ),
    ],
)
def test_admins_assigning_the_last_free_seats_at_once_never_exceed_the_seats(world, assign):
    # R-SE1: 3 seats, 1 used, 8 admins each assign a different member at the same moment.
    AssignmentFactory(member=world.user, product=world.product)
    admins = [MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN).user for _ in range(THREADS)]
    members = [MemberFactory(team=world.team) for _ in range(THREADS)]

    outcomes = run_together(
        *(
            lambda admin=admin, member=member: assign(member=member, product=world.product, actor=admin)
            for admin, member in zip(admins, members, strict=True)
        )
    )

    refused = errors(outcomes)
    assert all(isinstance(error, ValidationError) for error in refused), refused
    assert [error.code for error in refused] == ["no_free_seat"] * (THREADS - 2)
    assert sum(outcome.ok for outcome in outcomes) == 2
    assert seats_assigned(world.team, world.product) == seats_purchased(world.team, world.product) == 3


def test_the_seat_refusal_tells_how_many_seats_there_are(world):
    # R-SE1: "refused with a clear message", also when the refusal comes from waiting in the queue.
    members = [MemberFactory(team=world.team) for _ in range(4)]

    outcomes = run_together(
        *(
            lambda member=member: assignment_create(member=member, product=world.product, actor=world.primary.user)
            for member in members
        )
    )

    (refused,) = errors(outcomes)
    assert refused.messages == [NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"}]
    assert mails_out_or_queued() == 3  # R-P3: one "ready for you" mail per seat given, none for the refusal


# --- The primary admin (R-PA1..R-PA3) -------------------------------------------------------------


def test_concurrent_primary_admin_reassignments_leave_exactly_one_primary_admin(world):
    # R-PA1, R-PA2, R-PA3: each thread makes a different secondary admin the primary admin.
    candidates = [world.secondary] + [
        MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN) for _ in range(THREADS - 1)
    ]
    actors = [world.primary.user] * 2 + [candidate.user for candidate in candidates[2:]]

    outcomes = run_together(
        *(
            lambda member=member, actor=actor: member_change_role(
                member=member, role=Member.Role.PRIMARY_ADMIN, actor=actor
            )
            for member, actor in zip(candidates, actors, strict=True)
        )
    )

    refused = errors(outcomes)
    assert all(isinstance(error, ValidationError) for error in refused), refused
    admins = Member.objects.filter(team=world.team, role__in=Member.ADMIN_ROLES)
    (primary,) = admins.filter(role=Member.Role.PRIMARY_ADMIN)
    winners = {outcome.value.pk for outcome in outcomes if outcome.ok}
    assert primary.pk in winners
    # The former primary admin and every other candidate are secondary admins (R-PA3).
    assert set(admins.filter(role=Member.Role.SECONDARY_ADMIN).values_list("pk", flat=True)) == {
        world.primary.pk,
        *(candidate.pk for candidate in candidates),
    } - {primary.pk}
    # Each reassignment tells both parties (SPEC §4): sent after its own commit, or still queued.
    assert mails_out_or_queued() == 2 * len(winners)


# --- Moving subscriptions both ways (R-T8, R-T9) --------------------------------------------------


def test_subscriptions_moved_both_ways_at_once_do_not_deadlock(world):
    # R-T8, R-T9: one subscription moves Design -> Engineering while another moves back, five times
    # over. Both moves lock both teams in key order, so on PostgreSQL neither waits for the other in
    # a cycle. Each team keeps one seat of its own and one assignment, so R-T10 never refuses.
    design, engineering, owner = world.team, world.other_team, world.primary.user
    SubscriptionFactory(team=design, product=world.product, seats=1, contract=world.subscription.contract)
    SubscriptionFactory(team=engineering, product=world.product, seats=1, contract__manager=owner, owner=owner)
    travelling = SubscriptionFactory(
        team=engineering, product=world.product, seats=2, contract__manager=owner, owner=owner
    )
    AssignmentFactory(member=world.user, product=world.product)
    AssignmentFactory(member__team=engineering, product=world.product)
    moving = [world.subscription, travelling]  # 3 seats in Design, 2 in Engineering

    for round_ in range(5):
        for subscription in moving:
            subscription.refresh_from_db()
        outcomes = run_together(
            *(
                lambda s=subscription: subscription_move(
                    subscription=s, to_team=engineering if s.team_id == design.pk else design, actor=owner
                )
                for subscription in moving
            )
        )

        assert errors(outcomes) == []
        there = round_ % 2 == 0  # the 3-seat subscription is in Engineering after rounds 0, 2, 4
        assert seats_purchased(design, world.product) == (1 + 2 if there else 1 + 3)
        assert seats_purchased(engineering, world.product) == (1 + 3 if there else 1 + 2)
        # R-T9: users do not move with a subscription.
        assert seats_assigned(design, world.product) == seats_assigned(engineering, world.product) == 1


# --- One account per address (R-U7) ---------------------------------------------------------------


def test_the_same_person_invited_twice_at_once_becomes_one_member(world):
    # R-U7: two admins invite the same new address, in different case, to the same team at once.
    emails = ["Nieuwe.Collega@Example.com", "nieuwe.collega@example.com", "NIEUWE.COLLEGA@EXAMPLE.COM"]

    outcomes = run_together(
        *(
            lambda email=email, actor=actor: member_invite(
                team=world.team, email=email, first_name="Nieuwe", last_name="Collega", actor=actor
            )
            for email, actor in zip(emails, [world.primary.user, world.secondary.user, world.primary.user], strict=True)
        )
    )

    (member,) = [outcome.value for outcome in outcomes if outcome.ok]
    refused = errors(outcomes)
    assert all(isinstance(error, ValidationError) for error in refused), refused
    assert [error.message_dict for error in refused] == [{"email": [ALREADY_MEMBER % {"email": member.user.email}]}] * 2
    (user,) = User.objects.with_email("nieuwe.collega@example.com")
    assert Member.objects.filter(user=user).count() == 1


def test_a_new_address_invited_to_several_teams_at_once_gets_one_account(world):
    # R-U7, R-T5: one new address invited to three teams at the same moment: three places, one account.
    third = TeamFactory(customer=world.team.customer, name="Site work")
    MemberFactory(team=third, user=world.primary.user, role=Member.Role.PRIMARY_ADMIN)
    teams = [world.team, world.other_team, third]
    emails = ["Nieuwe.Collega@Example.com", "nieuwe.collega@example.com", "NIEUWE.COLLEGA@example.com"]

    outcomes = run_together(
        *(
            lambda team=team, email=email: member_invite(
                team=team, email=email, first_name="Nieuwe", last_name="Collega", actor=world.primary.user
            )
            for team, email in zip(teams, emails, strict=True)
        )
    )

    assert errors(outcomes) == []
    (user,) = User.objects.with_email("nieuwe.collega@example.com")
    assert {outcome.value.user_id for outcome in outcomes} == {user.pk}
    assert set(Member.objects.filter(user=user).values_list("team", flat=True)) == {team.pk for team in teams}
    assert mails_out_or_queued() == 3  # one invitation per team (R-U4)


# --- Lock order across services (PostgreSQL) ------------------------------------------------------
# Every service locks the team row(s) first and other rows after. A service that locks some other
# row first (a user, a member) and then the team can deadlock with one that holds the team and then
# needs that row: an insert takes a key-share lock on every row its foreign keys point to. Each test
# stages the dangerous order: a held-open row stops the first call after it has locked the team.

postgresql_only = pytest.mark.skipif(not on_postgresql(), reason="SQLite serialises writers: no lock order")


@postgresql_only
def test_a_contract_manager_change_does_not_deadlock_with_an_assignment_by_the_old_manager(world):
    contract, old_manager = world.subscription.contract, world.primary.user
    with held_open(lambda: Assignment.objects.create(member=world.user, product=world.product)):
        # The old manager's assignment locks the team, then waits for the held row's unique key.
        assigning = start(lambda: assignment_create(member=world.user, product=world.product, actor=old_manager))
        assigning.wait_until_blocked()
        # The manager change starts now and waits for the team.
        changing = start(lambda: contract_change_manager(contract=contract, manager=world.secondary.user))
        changing.wait_until_blocked()

    assert assigning.result().error is None
    assert changing.result().error is None
    contract.refresh_from_db()
    assert contract.manager == world.secondary.user
    assert Assignment.objects.filter(member=world.user, product=world.product).exists()


@postgresql_only
def test_a_contract_manager_change_does_not_deadlock_with_a_move_by_the_old_manager(world):
    contract, owner = world.subscription.contract, world.primary.user
    held = world.subscription
    with held_open(lambda: Subscription.objects.select_for_update().get(pk=held.pk)):
        moving = start(lambda: subscription_move(subscription=held, to_team=world.other_team, actor=owner))
        moving.wait_until_blocked()
        changing = start(lambda: contract_change_manager(contract=contract, manager=world.secondary.user))
        changing.wait_until_blocked()

    assert moving.result().error is None
    assert changing.result().error is None
    held.refresh_from_db()
    assert held.team == world.other_team


@postgresql_only
def test_accepting_an_invitation_does_not_deadlock_with_an_assignment_to_the_invited_member(world):
    raw, digest = new_token()
    Invitation.objects.create(member=world.invited, token_hash=digest, expires_at=Invitation.default_expiry())
    with held_open(lambda: Assignment.objects.create(member=world.invited, product=world.product)):
        assigning = start(
            lambda: assignment_create(member=world.invited, product=world.product, actor=world.primary.user)
        )
        assigning.wait_until_blocked()
        accepting = start(lambda: invitation_accept(raw_token=raw, signed_in_user=world.invited.user))
        accepting.wait_until_blocked()

    assert assigning.result().error is None
    assert accepting.result().error is None
    world.invited.refresh_from_db()
    assert world.invited.status == Member.Status.ACTIVE


@postgresql_only
def test_assigning_a_member_another_admin_deletes_meanwhile_fails_cleanly(world):
    # R-D1 against R-P1: the delete gets the team first; the assignment, queued behind it, must find
    # the member gone instead of inserting a seat for a deleted row (an IntegrityError, a 500).
    with held_open(lambda: lock_teams(world.team)):
        deleting = start(lambda: member_delete(member=world.user, actor=world.primary.user))
        deleting.wait_until_blocked()
        assigning = start(
            lambda: assignment_create(member=world.user, product=world.product, actor=world.secondary.user)
        )
        assigning.wait_until_blocked()

    assert deleting.result().error is None
    refused = assigning.result().error
    assert isinstance(refused, ValidationError), refused
    assert refused.code == "member_gone"
    assert not Assignment.objects.filter(product=world.product).exists()


# --- Every service that meets a concurrent writer answers in words ---------------------------------
# Issue 9: each outcome is the service's result or its ValidationError, never a database error.


def only_refusals(outcomes) -> list[ValidationError]:
    refused = errors(outcomes)
    assert all(isinstance(error, ValidationError) for error in refused), refused
    return refused


def test_admins_unassigning_the_same_seat_at_once_unassign_it_once(world):
    # R-P4: every admin saw the seat; the first unassigns it, the others are told it is gone.
    assignment = AssignmentFactory(member=world.user, product=world.product)
    admins = [MemberFactory(team=world.team, role=Member.Role.SECONDARY_ADMIN).user for _ in range(THREADS)]

    outcomes = run_together(
        *(lambda admin=admin: assignment_delete(assignment=assignment, actor=admin) for admin in admins)
    )

    refused = only_refusals(outcomes)
    assert [error.code for error in refused] == ["already_unassigned"] * (THREADS - 1)
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED).count() == 1


def test_admins_deleting_the_same_member_at_once_delete_them_once(world):
    # R-D1: a double click, or two admins: one delete, the others told the member is gone.
    AssignmentFactory(member=world.user, product=world.product)
    admins = [world.primary.user, world.secondary.user] * (THREADS // 2)

    outcomes = run_together(*(lambda admin=admin: member_delete(member=world.user, actor=admin) for admin in admins))

    refused = only_refusals(outcomes)
    assert [error.code for error in refused] == ["member_gone"] * (THREADS - 1)
    assert not Member.objects.filter(pk=world.user.pk).exists()
    assert User.objects.filter(pk=world.user.user_id).exists()  # the account stays (R-D1)
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_DELETED).count() == 1


def test_a_role_change_and_a_delete_of_the_same_member_at_once(world):
    # R-SA1 against R-D1/R-D2: whichever goes first, the other is refused in words; never both.
    outcomes = run_together(
        lambda: member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user),
        lambda: member_delete(member=world.user, actor=world.secondary.user),
    )

    refused = only_refusals(outcomes)
    assert len(refused) == 1
    member = Member.objects.filter(pk=world.user.pk).first()
    if refused[0].code == "member_gone":  # deleted first
        assert member is None
    else:  # made an admin first, and an admin cannot be deleted (R-D2)
        assert refused[0].code == "admin"
        assert member.role == Member.Role.SECONDARY_ADMIN


def test_the_same_import_confirmed_twice_at_once_invites_each_row_once(world):
    # R-U6, R-U7: a double click on "Confirm", or two admins with the same file.
    lines = ["first name,last name,e-mail"] + [f"New,Person {n},new.person{n}@example.com" for n in range(20)]
    preview = parse_csv("\n".join(lines).encode(), team=world.team)
    assert len(preview.valid_rows) == 20

    outcomes = run_together(
        lambda: import_confirm(team=world.team, preview_rows=preview.valid_rows, actor=world.primary.user),
        lambda: import_confirm(team=world.team, preview_rows=preview.valid_rows, actor=world.secondary.user),
    )

    assert only_refusals(outcomes) == []
    assert sum(len(outcome.value.created) for outcome in outcomes) == 20
    assert Member.objects.filter(team=world.team, user__email__startswith="new.person").count() == 20
    assert User.objects.filter(email__startswith="new.person").count() == 20


def test_licence_checks_at_once_are_all_licensed_and_record_one_day_of_use(world):
    # R-S1, R-S3: the software on eight machines of one user starts at the same moment.
    AssignmentFactory(member=world.user, product=world.product)

    outcomes = run_together(
        *(lambda: entitlement_check(user=world.user.user, product=world.product) for _ in range(THREADS))
    )

    assert only_refusals(outcomes) == []
    assert all(outcome.value.licensed for outcome in outcomes)
    assert SeatUsage.objects.filter(user=world.user.user, product=world.product).count() == 1
