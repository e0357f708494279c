"""`manage.py seed_demo`: the demo customer, and the large customer of `--users N`.

The demo is built once for the module (committed, and deleted afterwards); each test then runs in
its own transaction, so what a test writes (a second run, a reset, a large customer) is rolled back.
"""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django.test.utils import override_settings
from django.utils import timezone
from mailer.models import Message

from licensing.accounts.models import Invitation, User
from licensing.activity.models import ActivityEvent
from licensing.groups.models import AssignmentGrant, Group, SeatWait
from licensing.subscriptions.demo import BULK_CUSTOMER, CATALOGUE, DEMO_CUSTOMER, DEMO_PASSWORD, demo_delete
from licensing.subscriptions.models import Assignment, Contract, Product, SeatUsage, Subscription
from licensing.subscriptions.services import subscription_move_blockers
from licensing.teams.models import Customer, Member, Team
from tests.subscriptions.test_usage_months import actual as usage_months
from tests.subscriptions.test_usage_months import expected as expected_months

pytestmark = pytest.mark.django_db


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    # pytest-django runs with DEBUG off, in which the command refuses to run without --force.
    # Password hashing is slow on purpose; the demo hashes "demo" four times and the tests check it.
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(DEBUG=True, PASSWORD_HASHERS=fast_hashing), django_db_blocker.unblock():
        output = seed()
        yield output
        demo_delete(out=lambda _line: None)
        Product.objects.filter(code__in=[entry[0] for entry in CATALOGUE]).delete()


@pytest.fixture
def customer(demo) -> Customer:
    return Customer.objects.get(name=DEMO_CUSTOMER)


@pytest.fixture
def teams(customer) -> list[Team]:
    return list(customer.teams.order_by("created_at", "pk"))


def counts() -> dict[str, int]:
    models = [User, Customer, Team, Member, Invitation, Product, Contract, Subscription, Assignment, SeatUsage, Group]
    return {model.__name__: model.objects.count() for model in [*models, ActivityEvent, Message]}


def test_it_builds_a_company_with_three_teams_of_about_forty_members(customer, teams):
    assert len(teams) == 3
    assert 36 <= Member.objects.filter(team__customer=customer).count() <= 44


def test_it_prints_the_demo_logins(demo):
    for email in ("admin@example.com", "secondary@example.com", "user@example.com", "support@example.com"):
        assert email in demo
    assert f'password "{DEMO_PASSWORD}"' in demo


def test_the_demo_logins_sign_in_with_the_password_demo(demo):
    for email in ("admin@example.com", "secondary@example.com", "user@example.com", "support@example.com"):
        assert authenticate(username=email, password="demo") is not None, email
    support = User.objects.with_email("support@example.com").get()
    assert support.is_staff
    assert not Member.objects.filter(user=support).exists()


def test_admin_is_primary_of_the_first_team_and_secondary_of_another(teams):
    admin = User.objects.with_email("admin@example.com").get()
    roles = dict(Member.objects.filter(user=admin, status=Member.Status.ACTIVE).values_list("team", "role"))
    assert roles[teams[0].pk] == Member.Role.PRIMARY_ADMIN
    assert Member.Role.SECONDARY_ADMIN in [roles.get(team.pk) for team in teams[1:]]
    secondary = Member.objects.get(user__email="secondary@example.com", team=teams[0])
    assert secondary.role == Member.Role.SECONDARY_ADMIN
    assert Member.objects.get(user__email="user@example.com").role == Member.Role.USER


def test_the_first_team_is_named_after_its_first_primary_admin(teams):  # R-T2
    assert teams[0].name == "Sanne Bakker's team"


def test_user_holds_seats_of_some_products_and_not_of_others(teams):
    member = Member.objects.get(user__email="user@example.com", team=teams[0])
    held = set(Assignment.objects.filter(member=member).values_list("product__code", flat=True))
    offered = set(Subscription.objects.active().filter(team=teams[0]).values_list("product__code", flat=True))
    assert held
    assert offered - held


def test_every_pool_is_within_its_seats_except_one_over_full(teams):  # R-SE1
    over = []
    for team in teams:
        for product in Product.objects.with_seat_counts(team).filter(
            Q(seats_purchased__gt=0) | Q(seats_assigned__gt=0)
        ):
            if product.seats_over:
                over.append((team.name, product.code, product.seats_assigned, product.seats_purchased))
    assert over == [(teams[0].name, "solvista-render", 4, 3)]
    full = [
        product
        for team in teams
        for product in Product.objects.with_seat_counts(team).filter(seats_purchased__gt=0, seats_free=0)
    ]
    assert len(full) >= 3  # a few fully used pools, besides the over-full one


def test_the_over_full_pool_was_made_by_support(teams):
    event = ActivityEvent.objects.get(team=teams[0], action=ActivityEvent.Action.SEATS_CHANGED)
    assert event.actor.is_staff
    assert (event.before, event.after) == ({"seats": 4}, {"seats": 3})


def test_every_team_has_exactly_one_primary_admin_and_no_admin_is_a_guest(customer):  # R-PA1, R-G3
    primaries = Team.objects.filter(customer=customer).annotate(
        primaries=Count("members", filter=Q(members__role=Member.Role.PRIMARY_ADMIN))
    )
    assert {team.primaries for team in primaries} == {1}
    assert not Member.objects.filter(team__customer=customer, is_guest=True).exclude(role=Member.Role.USER).exists()


def test_members_include_invited_people_guests_admins_and_one_person_in_two_teams(customer):
    members = Member.objects.filter(team__customer=customer)
    assert members.filter(status=Member.Status.INVITED).count() >= 3
    assert members.filter(is_guest=True, status=Member.Status.ACTIVE).count() >= 3
    assert members.filter(role=Member.Role.SECONDARY_ADMIN).count() >= 3
    in_two = members.values("user").annotate(teams=Count("team")).filter(teams__gt=1)
    assert len(in_two) >= 1
    states = {invitation.state for invitation in Invitation.objects.filter(member__team__customer=customer)}
    assert {Invitation.State.ACCEPTED, Invitation.State.PENDING, Invitation.State.EXPIRED} <= states  # R-U5


def test_the_catalogue_has_a_collection_a_collaboration_product_and_stable_codes(demo):
    products = {product.code: product for product in Product.objects.prefetch_related("items")}
    codes = [entry[0] for entry in CATALOGUE]
    assert set(codes) <= set(products)
    assert 6 <= len(codes) <= 8
    collection = products["tessaline-aec-collection"]
    assert collection.kind == Product.Kind.COLLECTION
    assert collection.items.filter(kind="software").count() >= 3
    assert products["tessaline-connect"].is_collaboration
    assert all(products[code].items.exists() for code in codes)


def test_subscriptions_cover_every_plan_and_the_cases_of_a_move(customer, teams):  # R-T10, R-T11
    subscriptions = Subscription.objects.filter(contract__customer=customer).select_related("team", "product", "owner")
    today = timezone.localdate()
    assert Contract.objects.filter(customer=customer).count() >= 2
    assert {s.plan for s in subscriptions} == set(Subscription.Plan.values)
    assert subscriptions.filter(plan=Subscription.Plan.PREMIUM, sso_enabled=True).exists()
    assert subscriptions.exclude(collaboration_site="").filter(product__is_collaboration=True).exists()
    assert subscriptions.filter(term_end__gte=today, term_end__lt=today + timedelta(days=90)).exists()
    assert subscriptions.filter(term_end__lt=today).exists()
    admin = User.objects.with_email("admin@example.com").get()
    owned = subscriptions.filter(owner=admin)
    assert {s.team_id for s in owned} >= {teams[0].pk, teams[1].pk}  # R-T12: one contract, two teams
    blockers = {
        s.pk: {b.code for b in subscription_move_blockers(subscription=s, to_team=teams[1], actor=admin)}
        for s in subscriptions.active().filter(team=teams[0])
    }
    assert set() in blockers.values()  # one subscription admin@example.com can move now
    codes = set().union(*blockers.values())
    assert {"premium_sso", "over_allocated"} <= codes


def test_seat_usage_has_a_weekday_rhythm_and_a_barely_used_product(customer):
    usage = SeatUsage.objects.filter(team__customer=customer)
    first = timezone.localdate() - timedelta(days=90)
    assert usage.filter(day__lt=first).count() == 0
    weekdays = usage.filter(day__week_day__in=[2, 3, 4, 5, 6]).count()
    weekends = usage.filter(day__week_day__in=[1, 7]).count()
    assert weekdays > 20 * weekends
    per_product = dict(usage.values_list("product__code").annotate(days=Count("pk")))
    barely = per_product.pop("pipeflow-mep")
    others = sorted(per_product.values())
    assert 0 < barely * 4 < others[len(others) // 2]
    for invited in Member.objects.filter(team__customer=customer, status=Member.Status.INVITED):
        assert not usage.filter(user=invited.user, team=invited.team).exists()  # R-S3: no seat used unaccepted


def test_the_story_leaves_a_dated_activity_log_and_no_mail_in_the_queue(customer):
    events = ActivityEvent.objects.filter(team__customer=customer)
    actions = set(events.values_list("action", flat=True))
    assert {
        "member_invited",
        "invitation_accepted",
        "role_changed",
        "product_assigned",
        "subscription_moved",
    } <= actions
    assert events.dates("created_at", "day").count() > 20
    assert events.filter(created_at__lt=timezone.now() - timedelta(days=180)).exists()
    assert Message.objects.count() == 0


def test_two_groups_give_products_and_two_members_wait_for_a_seat(customer, teams):
    # R-GR2, R-GR3, R-GR5: the demo shows By Group with both outcomes.
    groups = {g.name: g for g in Group.objects.filter(team__customer=customer)}
    assert set(groups) == {"Projectteam Havenkade", "Visualisatie"}
    for group in groups.values():
        assert group.memberships.count() >= 3
        assert group.products.count() == 1
    havenkade = groups["Projectteam Havenkade"]
    assert AssignmentGrant.objects.filter(group=havenkade).count() == havenkade.memberships.count()
    visualisation = groups["Visualisatie"]
    assert visualisation.team == teams[0]
    waiting = SeatWait.objects.filter(group=visualisation).order_by("since", "pk")
    assert [w.member.user.first_name for w in waiting] == ["Marloes", "Wouter"]
    assert {w.reason for w in waiting} == {SeatWait.Reason.NO_FREE_SEAT}
    esther = Assignment.objects.get(grants__group=visualisation)
    assert esther.direct  # held directly and through the group: one seat (R-GR3)
    events = ActivityEvent.objects.filter(team__customer=customer)
    assert {"group_created", "group_member_added", "group_product_assigned", "seat_waiting"} <= set(
        events.values_list("action", flat=True)
    )
    # Dated with the story, not today.
    recent = timezone.now() - timedelta(days=20)
    assert not Group.objects.filter(team__customer=customer, created_at__gte=recent).exists()


def test_a_second_run_changes_nothing(demo):
    before = counts()
    output = seed()
    assert counts() == before
    assert "exists already" in output
    assert "admin@example.com" in output


def test_reset_deletes_the_demo_and_builds_it_again(customer):
    assert usage_months() == expected_months() != {}
    before = counts()
    output = seed("--reset")
    assert counts() == before
    assert usage_months() == expected_months()  # the purge's months went with it, the new ones came
    assert Customer.objects.get(name=DEMO_CUSTOMER).pk != customer.pk
    assert "Deleted" in output


def test_users_option_builds_a_large_customer_within_the_rules(demo):
    seed("--users", "300")
    large = Customer.objects.get(name=BULK_CUSTOMER)
    members = Member.objects.filter(team__customer=large)
    admin = User.objects.with_email("admin@example.com").get()
    assert members.exclude(user=admin).count() == 300
    assert members.get(user=admin).role == Member.Role.SECONDARY_ADMIN
    for team in large.teams.all():
        assert members.filter(team=team, role=Member.Role.PRIMARY_ADMIN).count() == 1  # R-PA1
        pools = Product.objects.with_seat_counts(team).filter(seats_assigned__gt=0)
        assert pools.exists()
        assert not pools.filter(seats_over__gt=0).exists()  # R-SE1
    assert not Assignment.objects.filter(member__team__customer=large, items=None).exists()
    assert Invitation.objects.filter(member__team__customer=large).count() == members.filter(status="invited").count()
    assert SeatUsage.objects.filter(team__customer=large).count() > 300
    # Loaded without the triggers per row, the seat usage by the month was built once at the end.
    assert usage_months() == expected_months()
    assert ActivityEvent.objects.filter(team__customer=large).count() <= 4 + 4 * len(CATALOGUE)
    assert "exists already" in seed("--users", "300")


def test_it_refuses_to_run_with_debug_off_unless_forced(demo, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        seed()
    assert "exists already" in seed("--force")
