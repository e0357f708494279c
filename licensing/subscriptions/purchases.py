"""What arrives from the order system or support staff: a purchase (a new subscription, R-T2,
R-T6, R-T7, R-SA3) and a new contract manager (R-SA4). Both may invite someone (the contract manager
into the team), so this module sits above `accounts.services`, which sits above `services.py`
(docs/architecture.md)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from licensing.accounts.services import member_invite, person_clean, user_get_or_create
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.groups.seats import waiting_seat
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import default_team_name, lock_teams, member_make_admin_for_system, team_create
from portal.db import service_transaction

from .models import Assignment, Contract, Product, Subscription
from .services import (
    SEATS_NEGATIVE,
    TERM_INVALID,
    assignment_create,
    seats_assigned,
    seats_error,
    seats_purchased,
    term_end_error,
    term_start_error,
)

CONTRACT_OF_OTHER_CUSTOMER = _("Contract %(number)s belongs to another customer.")
CONTRACT_NUMBER_REQUIRED = _("Enter the contract number.")
CONTRACT_NUMBER_TOO_LONG = _("A contract number can be at most 40 characters.")
CONTRACT_EXISTS = _("There is already a contract %(number)s.")


def _ensure_admin(team: Team, user, role: str) -> Member:
    """Make `user` an admin of `team` with `role` unless they already are one (R-SA3, R-SA4)."""
    member = Member.objects.filter(team=team, user=user).first()
    if member is None:
        member = member_invite(
            team=team, email=user.email, first_name=user.first_name or "-", last_name=user.last_name or "-", actor=None
        )
    member_make_admin_for_system(member=member, role=role)
    member.refresh_from_db()
    return member


@service_transaction
def purchase_record(
    *,
    customer: Customer,
    contract_number: str,
    manager,
    product: Product,
    seats: int,
    plan: str = Subscription.Plan.STANDARD,
    term_start: date,
    term_end: date,
    sso_enabled: bool = False,
    collaboration_site: str = "",
    actor=None,
) -> Subscription:
    """A new subscription arrives: a purchase, or a new product on an existing contract.

    - On an existing contract it goes to the team that manages that contract; a new contract goes
      to the team created last; a customer's first contract creates a team named after the contract
      manager (R-T7, R-T2).
    - The contract manager becomes primary admin of the receiving team if it has none or is new,
      and is otherwise made a secondary admin (R-SA3).
    - The subscription owner (the contract manager) is given a seat at once, if one is free (R-T6).
    """
    if seats < 0:
        raise ValidationError({"seats": [SEATS_NEGATIVE]})
    if error := seats_error(seats):
        raise ValidationError({"seats": [error]})
    if term_end < term_start:
        raise ValidationError({"term_end": [TERM_INVALID]})
    if error := term_start_error(term_start):
        raise ValidationError({"term_start": [error]})
    if error := term_end_error(term_start, term_end):
        raise ValidationError({"term_end": [error]})
    contract = Contract.objects.select_for_update().filter(number=contract_number).first()
    new_team = False
    if contract is not None:
        if contract.customer_id != customer.pk:
            raise ValidationError({"contract_number": [CONTRACT_OF_OTHER_CUSTOMER % {"number": contract_number}]})
        team = contract.team
    else:
        contract, new_team = _contract_new(customer, contract_number, manager)
        team = contract.team
    lock_teams(team)
    if not new_team:
        has_primary = Member.objects.filter(team=team, role=Member.Role.PRIMARY_ADMIN).exists()
        _ensure_admin(
            team,
            contract.manager,
            Member.Role.SECONDARY_ADMIN if has_primary else Member.Role.PRIMARY_ADMIN,
        )
    subscription = Subscription.objects.create(
        contract=contract,
        product=product,
        team=team,
        seats=seats,
        plan=plan,
        term_start=term_start,
        term_end=term_end,
        sso_enabled=sso_enabled,
        collaboration_site=collaboration_site,
        owner=contract.manager,
    )
    event_record(
        action=ActivityEvent.Action.SUBSCRIPTION_ADDED,
        actor=actor,
        team=team,
        product=product,
        target=str(subscription),
        after={"contract": contract.number, "seats": seats, "plan": plan, "term_end": term_end.isoformat()},
    )
    owner_member = Member.objects.get(team=team, user=contract.manager)
    if (
        subscription.is_active
        and not Assignment.objects.filter(member=owner_member, product=product).exists()
        and seats_assigned(team, product) < seats_purchased(team, product)
    ):
        assignment_create(member=owner_member, product=product, actor=None)
    waiting_seat(team, product, actor)  # R-GR5: the seats bought seat the members waiting
    return subscription


def _contract_new(customer: Customer, number: str, manager) -> tuple[Contract, bool]:
    """A new contract: in the team the customer created last, or in a new team named after the
    contract manager, its primary admin, for a customer's first contract (R-T7, R-T2). Whether the
    team is new."""
    team = Team.objects.filter(customer=customer).order_by("-created_at", "-pk").first()
    if team is None:
        team = team_create(customer=customer, name=default_team_name(manager), primary_admin=manager)
        return Contract.objects.create(customer=customer, number=number, manager=manager, team=team), True
    return Contract.objects.create(customer=customer, number=number, manager=manager, team=team), False


def contract_manager_get_or_create(*, email: str, first_name: str, last_name: str, prefix: str = ""):
    """The account of a contract manager the order system names, made (without a password) if there
    is none: the address and names checked as every invitation checks them (`person_clean`). The
    fields of its errors are named with `prefix` ("manager." in a contract's body)."""
    try:
        email, first_name, last_name = person_clean(email, first_name, last_name)
    except ValidationError as error:
        raise ValidationError({f"{prefix}{field}": messages for field, messages in error.error_dict.items()}) from error
    user, _created = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
    return user


@service_transaction
def contract_create(*, customer: Customer, number: str, manager, actor=None) -> Contract:
    """A new contract of `customer` with its contract manager, before anything is bought on it (the
    order system). Its team: the customer's first contract creates one, named after the contract
    manager, who becomes its primary admin and is invited (R-T2, R-SA3); another contract goes to the
    team the customer created last (R-T7), where the contract manager becomes an admin (primary if
    the team has none, else secondary, R-SA3)."""
    number = (number or "").strip()
    if not number:
        raise ValidationError({"number": [ValidationError(CONTRACT_NUMBER_REQUIRED, code="required")]})
    if len(number) > Contract._meta.get_field("number").max_length:
        raise ValidationError({"number": [ValidationError(CONTRACT_NUMBER_TOO_LONG, code="too_long")]})
    if Contract.objects.filter(number=number).exists():
        message = CONTRACT_EXISTS % {"number": number}
        raise ValidationError({"number": [ValidationError(message, code="contract_exists")]})
    Customer.objects.select_for_update().filter(pk=customer.pk).first()  # one first team per customer
    contract, new_team = _contract_new(customer, number, manager)
    team = contract.team
    lock_teams(team)
    if not new_team:
        has_primary = Member.objects.filter(team=team, role=Member.Role.PRIMARY_ADMIN).exists()
        _ensure_admin(team, manager, Member.Role.SECONDARY_ADMIN if has_primary else Member.Role.PRIMARY_ADMIN)
    event_record(
        action=ActivityEvent.Action.CONTRACT_ADDED,
        actor=actor,
        team=team,
        target_user=manager,
        target=contract.number,
        after={"contract": contract.number, "manager": manager.email},
    )
    return contract


@service_transaction
def contract_change_manager(*, contract: Contract, manager, actor=None) -> Contract:
    """A new contract manager (R-SA4): they become secondary admin of the teams holding the
    contract's subscriptions, unless already primary admin there, and own its subscriptions.
    Who is primary admin does not change (R-PA4)."""
    # of=self: lock the contract row only. Locking the old manager's user row too, before the teams,
    # deadlocks with an admin action of that manager that holds a team and inserts a row pointing to them.
    contract = Contract.objects.select_for_update(of=("self",)).select_related("manager").get(pk=contract.pk)
    if contract.manager_id == manager.pk:
        return contract
    old = contract.manager
    team_ids = {contract.team_id, *contract.subscriptions.values_list("team_id", flat=True)}
    teams = lock_teams(*Team.objects.filter(pk__in=team_ids))
    contract.manager = manager
    contract.save(update_fields=["manager"])
    contract.subscriptions.filter(owner=old).update(owner=manager)
    for team in teams:
        _ensure_admin(team, manager, Member.Role.SECONDARY_ADMIN)
        event_record(
            action=ActivityEvent.Action.CONTRACT_MANAGER_CHANGED,
            actor=actor,
            team=team,
            target_user=manager,
            target=contract.number,
            before={"manager": old.email},
            after={"manager": manager.email},
        )
    return contract
