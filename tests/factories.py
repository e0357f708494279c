"""Factories for the licensing domain. They write rows directly (fast, for arranging a test); the
behaviour under test always goes through the services."""

from datetime import timedelta

import factory
from django.utils import timezone

from licensing.accounts.models import User
from licensing.groups.models import Group, GroupMember
from licensing.subscriptions.models import Assignment, Contract, Product, ProductItem, SeatUsage, Subscription
from licensing.teams.models import Customer, Member, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n} B.V.")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Member.Role.USER
    status = Member.Status.ACTIVE
    accepted_at = factory.LazyFunction(timezone.now)
    # As the invitation services store them: the names typed for the person when inviting them.
    invited_first_name = factory.SelfAttribute("user.first_name")
    invited_last_name = factory.SelfAttribute("user.last_name")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"product-{n}")
    name = factory.Sequence(lambda n: f"Product {n}")


class ProductItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductItem

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"item-{n}")
    name = factory.Sequence(lambda n: f"Item {n}")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    customer = factory.SelfAttribute("team.customer")
    team = factory.SubFactory(TeamFactory)
    number = factory.Sequence(lambda n: f"1100{n:06d}")
    manager = factory.SubFactory(UserFactory)


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    team = factory.SubFactory(TeamFactory)
    contract = factory.SubFactory(ContractFactory, team=factory.SelfAttribute("..team"))
    product = factory.SubFactory(ProductFactory)
    seats = 5
    plan = Subscription.Plan.STANDARD
    term_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    term_end = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=335))
    owner = factory.SelfAttribute("contract.manager")


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    member = factory.SubFactory(MemberFactory)
    product = factory.SubFactory(ProductFactory)


class SeatUsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatUsage

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProductFactory)
    team = factory.SubFactory(TeamFactory)
    day = factory.LazyFunction(timezone.localdate)


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class GroupMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupMember

    group = factory.SubFactory(GroupFactory)
    member = factory.SubFactory(MemberFactory, team=factory.SelfAttribute("..group.team"))
