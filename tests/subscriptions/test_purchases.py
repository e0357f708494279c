"""Purchases arriving (R-T2, R-T6, R-T7, R-SA3), contract managers changing (R-SA4, R-PA4), renewals."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from licensing.accounts.models import User
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment, Contract, Subscription
from licensing.subscriptions.purchases import contract_change_manager, purchase_record
from licensing.subscriptions.services import RENEWAL_NOT_LATER, SEATS_NEGATIVE, TERM_INVALID, subscription_renew
from licensing.teams.models import Member, Team
from licensing.teams.services import default_team_name
from tests.factories import (
    AssignmentFactory,
    CustomerFactory,
    MemberFactory,
    ProductFactory,
    ProductItemFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)

PRIMARY, SECONDARY, USER = Member.Role.PRIMARY_ADMIN, Member.Role.SECONDARY_ADMIN, Member.Role.USER


def today():
    return timezone.localdate()


def buy(*, customer, manager, product, number="1100999001", seats=3, **kwargs) -> Subscription:
    kwargs.setdefault("term_start", today() - timedelta(days=1))
    kwargs.setdefault("term_end", today() + timedelta(days=364))
    return purchase_record(
        customer=customer, contract_number=number, manager=manager, product=product, seats=seats, **kwargs
    )


def member_of(team, user) -> Member:
    return Member.objects.get(team=team, user=user)


def make_created_last(team):
    Team.objects.filter(pk=team.pk).update(created_at=timezone.now() + timedelta(minutes=1))


@pytest.fixture
def jan(db):
    return UserFactory(first_name="Jan", last_name="de Vries", email="jan@vandijk.example")


@pytest.fixture
def render(db):
    product = ProductFactory(code="renderfarm", name="RenderFarm")
    ProductItemFactory(product=product, code="rf-cloud", kind="service")
    return product


# --- A customer's first contract (R-T2, R-SA3, R-T6) ---------------------------------------------


def test_a_first_contract_creates_a_team_named_after_the_contract_manager(jan, render):
    # R-T2, R-SA3
    customer = CustomerFactory(name="Van Dijk Architecten")
    subscription = buy(customer=customer, manager=jan, product=render)
    team = subscription.team
    assert team.customer == customer
    assert team.name == "Jan de Vries's team" == default_team_name(jan)
    assert [(m.user, m.role, m.status) for m in team.members.all()] == [(jan, PRIMARY, Member.Status.ACTIVE)]
    contract = Contract.objects.get(number="1100999001")
    assert (subscription.contract, contract.team, contract.manager, subscription.owner) == (contract, team, jan, jan)
    assert (subscription.seats, subscription.plan) == (3, Subscription.Plan.STANDARD)


def test_the_subscription_owner_is_given_a_seat(jan, render):
    # R-T6
    subscription = buy(customer=CustomerFactory(), manager=jan, product=render)
    assignment = Assignment.objects.get(product=render)
    assert assignment.member == member_of(subscription.team, jan)
    assert {i.code for i in assignment.items.all()} == {"rf-cloud"}


def test_a_first_contract_manager_without_an_account_is_invited(render, mailoutbox):
    # R-T2, R-U2, R-T6: they are primary admin from the start and have their seat waiting.
    manager = User.objects.create_user("jan@vandijk.example", first_name="Jan", last_name="de Vries")
    subscription = buy(customer=CustomerFactory(), manager=manager, product=render)
    member = member_of(subscription.team, manager)
    assert (member.role, member.status) == (PRIMARY, Member.Status.INVITED)
    assert Assignment.objects.filter(member=member, product=render).exists()
    assert [m.subject for m in mailoutbox] == [
        "You are invited to join Jan de Vries's team",
        "RenderFarm is ready for you",
    ]
    # Plain text is not HTML-escaped; the HTML alternative is.
    assert "join Jan de Vries's team" in mailoutbox[0].body
    assert "Jan de Vries&#x27;s team" in mailoutbox[0].alternatives[0].content


def test_a_purchase_is_recorded_in_the_activity_log(jan, render):
    subscription = buy(customer=CustomerFactory(), manager=jan, product=render, plan=Subscription.Plan.PREMIUM)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.SUBSCRIPTION_ADDED)
    assert (event.team, event.product, event.actor) == (subscription.team, render, None)
    assert event.after == {
        "contract": "1100999001",
        "seats": 3,
        "plan": "premium",
        "term_end": subscription.term_end.isoformat(),
    }


def test_no_seat_is_given_when_none_is_free(jan, render):
    # R-T6: a purchase of 0 seats (or a full pool) still arrives, without a seat for the owner.
    subscription = buy(customer=CustomerFactory(), manager=jan, product=render, seats=0)
    assert subscription.pk
    assert not Assignment.objects.exists()


def test_no_seat_is_given_before_the_term_starts(jan, render):
    # R-T6, R-SE1
    buy(
        customer=CustomerFactory(),
        manager=jan,
        product=render,
        term_start=today() + timedelta(days=10),
        term_end=today() + timedelta(days=375),
    )
    assert not Assignment.objects.exists()


def test_a_negative_seat_count_or_backwards_term_is_refused(jan, render):
    with pytest.raises(ValidationError) as exc:
        buy(customer=CustomerFactory(), manager=jan, product=render, seats=-1)
    assert exc.value.message_dict == {"seats": [str(SEATS_NEGATIVE)]}
    with pytest.raises(ValidationError) as exc:
        buy(
            customer=CustomerFactory(), manager=jan, product=render, term_start=today(), term_end=today() - timedelta(1)
        )
    assert exc.value.message_dict == {"term_end": [str(TERM_INVALID)]}
    assert not Team.objects.exists()
    assert not Contract.objects.exists()


# --- Where a subscription goes (R-T7, R-SA3) -----------------------------------------------------


def test_a_new_contract_goes_to_the_team_created_last(world, render):
    # R-T7, R-SA3: the contract manager becomes a secondary admin there, the primary admin stays.
    make_created_last(world.other_team)
    subscription = buy(customer=world.team.customer, manager=world.secondary.user, product=render)
    assert subscription.team == world.other_team
    assert subscription.contract.team == world.other_team
    assert member_of(world.other_team, world.secondary.user).role == SECONDARY
    assert member_of(world.other_team, world.primary.user).role == PRIMARY
    assert member_of(world.team, world.secondary.user).role == SECONDARY  # the other team is untouched
    # R-T6
    assert Assignment.objects.filter(member__team=world.other_team, member__user=world.secondary.user).exists()


def test_the_team_created_last_is_by_creation_time(world, render):
    # R-T7
    make_created_last(world.team)
    assert buy(customer=world.team.customer, manager=world.primary.user, product=render).team == world.team


def test_a_subscription_on_an_existing_contract_goes_to_the_contracts_team(world, render):
    # R-T7
    make_created_last(world.other_team)
    contract = world.subscription.contract
    subscription = buy(customer=world.team.customer, manager=world.user.user, product=render, number=contract.number)
    assert subscription.team == world.team
    assert subscription.contract == contract
    assert subscription.owner == world.primary.user  # the contract's manager, not the one passed
    assert Contract.objects.filter(number=contract.number).count() == 1
    # R-T6: the owner gets a seat of the new product.
    assert Assignment.objects.filter(member=world.primary, product=render).exists()


def test_the_contract_manager_becomes_primary_admin_of_a_team_without_one(render):
    # R-SA3
    customer = CustomerFactory()
    team = TeamFactory(customer=customer)
    colleague = MemberFactory(team=team)
    manager = UserFactory()
    subscription = buy(customer=customer, manager=manager, product=render)
    assert subscription.team == team
    assert member_of(team, manager).role == PRIMARY
    assert team.members.filter(role=PRIMARY).count() == 1
    colleague.refresh_from_db()
    assert colleague.role == USER


def test_a_contract_manager_who_is_a_guest_there_becomes_a_secondary_admin(world, render):
    # R-SA3, R-G3
    make_created_last(world.team)
    buy(customer=world.team.customer, manager=world.guest.user, product=render)
    world.guest.refresh_from_db()
    assert (world.guest.role, world.guest.is_guest) == (SECONDARY, False)


def test_a_contract_manager_who_is_primary_admin_there_stays_primary(world, render):
    # R-SA3
    make_created_last(world.team)
    buy(customer=world.team.customer, manager=world.primary.user, product=render)
    world.primary.refresh_from_db()
    assert world.primary.role == PRIMARY
    assert not ActivityEvent.objects.filter(action=ActivityEvent.Action.ROLE_CHANGED).exists()


def test_the_owner_who_already_holds_the_product_keeps_one_seat(world):
    # R-T6: a second subscription of the same product on the contract adds seats, not a second assignment.
    AssignmentFactory(member=world.primary, product=world.product)
    buy(
        customer=world.team.customer,
        manager=world.primary.user,
        product=world.product,
        number=world.subscription.contract.number,
    )
    assert Assignment.objects.filter(member=world.primary, product=world.product).count() == 1


# --- A new contract manager (R-SA4, R-PA4) -------------------------------------------------------


def test_a_new_contract_manager_becomes_secondary_admin_and_owns_the_subscriptions(world):
    # R-SA4
    contract = world.subscription.contract
    newcomer = UserFactory(email="finance@example.com")
    contract_change_manager(contract=contract, manager=newcomer, actor=world.staff)
    contract.refresh_from_db()
    world.subscription.refresh_from_db()
    assert contract.manager == newcomer
    assert world.subscription.owner == newcomer
    assert member_of(world.team, newcomer).role == SECONDARY
    # R-PA4: the primary admin does not change.
    assert world.team.primary_admin == world.primary
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.CONTRACT_MANAGER_CHANGED)
    assert (event.team, event.target, event.before, event.after) == (
        world.team,
        contract.number,
        {"manager": "primary@example.com"},
        {"manager": "finance@example.com"},
    )


def test_a_new_contract_manager_who_is_a_user_of_the_team_is_promoted(world):
    # R-SA4
    contract_change_manager(contract=world.subscription.contract, manager=world.user.user)
    world.user.refresh_from_db()
    assert world.user.role == SECONDARY
    assert Member.objects.filter(user=world.user.user).count() == 1


def test_a_new_contract_manager_who_is_primary_admin_stays_primary(world):
    # R-SA4
    subscription = SubscriptionFactory(team=world.team, product=world.product, contract__manager=world.secondary.user)
    contract_change_manager(contract=subscription.contract, manager=world.primary.user)
    world.primary.refresh_from_db()
    world.secondary.refresh_from_db()
    assert (world.primary.role, world.secondary.role) == (PRIMARY, SECONDARY)
    subscription.refresh_from_db()
    assert subscription.owner == world.primary.user


def test_a_new_contract_manager_becomes_admin_of_every_team_holding_its_subscriptions(world):
    # R-SA4
    contract = world.subscription.contract
    SubscriptionFactory(contract=contract, team=world.other_team, product=ProductFactory())
    newcomer = UserFactory()
    contract_change_manager(contract=contract, manager=newcomer)
    assert member_of(world.team, newcomer).role == SECONDARY
    assert member_of(world.other_team, newcomer).role == SECONDARY
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.CONTRACT_MANAGER_CHANGED).count() == 2


def test_the_same_contract_manager_again_writes_nothing(world):
    contract_change_manager(contract=world.subscription.contract, manager=world.primary.user)
    assert ActivityEvent.objects.count() == 0


# --- Renewals ------------------------------------------------------------------------------------


def test_a_renewal_extends_the_term_and_keeps_the_team(world):
    old_end = world.subscription.term_end
    new_end = old_end + timedelta(days=365)
    subscription = subscription_renew(subscription=world.subscription, term_end=new_end)
    assert (subscription.term_end, subscription.team) == (new_end, world.team)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.SUBSCRIPTION_RENEWED)
    assert (event.before, event.after) == ({"term_end": old_end.isoformat()}, {"term_end": new_end.isoformat()})


def test_a_renewal_must_end_later(world):
    end = world.subscription.term_end
    with pytest.raises(ValidationError) as exc:
        subscription_renew(subscription=world.subscription, term_end=end)
    assert exc.value.message_dict == {"term_end": [str(RENEWAL_NOT_LATER % {"end": end.isoformat()})]}
