"""Removing the demo: `seed_demo --reset`."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from licensing.accounts.models import Invitation, User
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.demo.large import BULK_CUSTOMER, BULK_DOMAIN
from licensing.subscriptions.demo.people import DEMO_CUSTOMER, demo_emails
from licensing.subscriptions.demo.usage import BATCH_SIZE
from licensing.subscriptions.models import Assignment, Contract, SeatUsage, Subscription
from licensing.subscriptions.usage_months import months_suspended
from licensing.teams.models import Customer, Member, Team


@transaction.atomic
def demo_delete(out: Callable[[str], None] = print) -> None:
    """Delete the demo and the large customer with everything of theirs, and the demo's people
    (unless they are members of another customer's team). The catalogue stays: it is the vendor's."""
    customers = list(Customer.objects.filter(name__in=[DEMO_CUSTOMER, BULK_CUSTOMER]))
    teams = Team.objects.filter(customer__in=customers)
    # The demo's people, except anyone who also has a place at another customer.
    people = set(
        User.objects.filter(Q(email__in=demo_emails()) | Q(email__iendswith=f"@{BULK_DOMAIN}")).values_list(
            "pk", flat=True
        )
    )
    people -= set(Member.objects.exclude(team__customer__in=customers).values_list("user_id", flat=True))
    people -= set(Contract.objects.exclude(customer__in=customers).values_list("manager_id", flat=True))
    people -= set(Subscription.objects.exclude(contract__customer__in=customers).values_list("owner_id", flat=True))
    with months_suspended(teams.values_list("pk", flat=True)):  # millions of rows: no trigger per row
        SeatUsage.objects.filter(team__in=teams).delete()
    Assignment.items.through.objects.filter(assignment__member__team__in=teams).delete()
    Assignment.objects.filter(member__team__in=teams).delete()
    Subscription.objects.filter(Q(team__in=teams) | Q(contract__customer__in=customers)).delete()
    Contract.objects.filter(customer__in=customers).delete()
    Invitation.objects.filter(member__team__in=teams).delete()
    Member.objects.filter(team__in=teams).delete()
    ActivityEvent.objects.filter(team__in=teams).delete()
    teams.delete()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()
    removed = 0
    people = sorted(people)
    for start in range(0, len(people), BATCH_SIZE):
        removed += User.objects.filter(pk__in=people[start : start + BATCH_SIZE]).delete()[1].get("accounts.User", 0)
    out(f"Deleted {len(customers)} demo customers and {removed} of their people.")
