"""The Django admin of the vendor's support staff (SPEC §2, last column).

Every write in the admin goes through the same service as the portal, so it keeps the rules and
leaves an activity row with the staff member as actor, via "admin"; every refusal is a form error
or an admin message, never a server error."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from licensing.accounts.access_tokens import access_token_create
from licensing.accounts.admin import MEMBER_BLOCKS_DELETE
from licensing.accounts.devices import api_token_issue
from licensing.accounts.models import Invitation, User
from licensing.accounts.services import ALREADY_MEMBER, invitation_resend, member_invite
from licensing.activity.models import ActivityEvent
from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.subscriptions.forms_admin import CONFIRM_OVERRIDE, CONTRACT_OF_OTHER_CUSTOMER, ITEMS_REQUIRED
from licensing.subscriptions.models import Assignment, Contract, Subscription
from licensing.subscriptions.services import (
    MOVE_OVER_ALLOCATED,
    MOVE_PAY_PER_USE,
    NO_FREE_SEAT,
    RENEWAL_NOT_LATER,
    SEATS_BELOW_ASSIGNED,
    assignment_create,
    subscription_move,
    subscription_move_blockers,
)
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import ADMIN_CANNOT_BE_DELETED, ADMIN_CANNOT_BE_GUEST, PRIMARY_ADMIN_NEEDED
from tests.factories import (
    MemberFactory,
    SeatUsageFactory,
    SubscriptionFactory,
    TeamFactory,
    UserFactory,
)

LICENSING_APPS = {"accounts", "teams", "subscriptions", "activity", "groups"}
LICENSING_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in LICENSING_APPS),
    key=lambda model: model._meta.label,
)


@pytest.fixture
def staff(world) -> User:
    return world.staff


@pytest.fixture
def support(client, staff):
    """A client signed in as a support staff member (a superuser)."""
    client.force_login(staff)
    return client


def url(name: str, *args, query: str = "") -> str:
    return reverse(f"admin:{name}", args=args) + (f"?{query}" if query else "")


def admin_events(action: str, staff: User):
    """Activity rows written from the admin, with the staff member as actor."""
    return ActivityEvent.objects.filter(action=action, via=ActivityEvent.Via.ADMIN, actor=staff)


def page_text(response) -> str:
    return response.content.decode()


def has_text(response, message) -> bool:
    return escape(str(message)) in page_text(response)


def management_data(response) -> dict:
    """The inline formsets' management form, as a browser posts it back with a change form."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
    return data


def assign(world, *members):
    for member in members:
        assignment_create(member=member, product=world.product, actor=world.primary.user)


def run_action(client, name: str, model: str, objects, follow: bool = False, **extra):
    return client.post(
        url(f"{model}_changelist"),
        {"action": name, admin.helpers.ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra},
        follow=follow,
    )


# --- Every page renders ---------------------------------------------------------------------


@pytest.fixture
def full_world(world):
    """`world` plus a row of every model the admin shows."""
    assign(world, world.user)
    member_invite(team=world.team, email="later@example.com", first_name="Lea", last_name="Later", actor=None)
    SeatUsageFactory(user=world.user.user, product=world.product, team=world.team)
    api_token_issue(user=world.user.user, device_name="Drawing office PC")
    access_token_create(
        user=world.primary.user,
        name="Nightly sync",
        teams=None,
        access="read",
        expires_on=timezone.localdate() + timedelta(days=30),
    )
    group = group_create(team=world.team, name="Engineering", actor=None)
    group_members_add(group=group, members=[world.user, world.guest], actor=None)
    group_product_assign(group=group, product=world.product, actor=None)
    return world


@pytest.mark.parametrize("model", LICENSING_MODELS, ids=lambda model: model._meta.label)
def test_every_changelist_change_and_add_page_renders(support, staff, full_world, model):
    opts = model._meta
    name = f"{opts.app_label}_{opts.model_name}"
    assert support.get(url(f"{name}_changelist")).status_code == 200
    assert support.get(url(f"{name}_changelist", query="q=example")).status_code == 200  # search fields work
    obj = model.objects.first()
    assert obj is not None, f"the world has no {opts.verbose_name}"
    assert support.get(url(f"{name}_change", obj.pk)).status_code == 200
    request = RequestFactory().get("/admin/")
    request.user = staff
    if admin.site._registry[model].has_add_permission(request):
        assert support.get(url(f"{name}_add")).status_code == 200
    else:
        assert support.get(url(f"{name}_add")).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        lambda w: url("teams_team_changelist"),
        lambda w: url("teams_member_role", w.user.pk),
        lambda w: url("subscriptions_subscription_move", query=f"ids={w.subscription.pk}"),
        lambda w: url("subscriptions_subscription_add"),
    ],
    ids=["changelist", "role page", "move page", "purchase page"],
)
def test_a_non_staff_user_is_sent_to_the_admin_login(client, world, path):
    client.force_login(world.primary.user)
    response = client.get(path(world))
    assert response.status_code == 302
    assert response.url.startswith(url("login"))


@pytest.mark.parametrize(
    ("source", "field", "term", "expected"),
    [
        ("subscriptions.assignment", "member", "user@example", lambda w: w.user),
        ("teams.member", "team", "Engin", lambda w: w.other_team),
        ("subscriptions.contract", "customer", "Bouw", lambda w: w.team.customer),
        ("subscriptions.contract", "manager", "primary@", lambda w: w.primary.user),
    ],
)
def test_the_search_as_you_type_fields_find_their_rows(support, world, source, field, term, expected):
    app_label, model_name = source.split(".")
    response = support.get(
        url("autocomplete"), {"app_label": app_label, "model_name": model_name, "field_name": field, "term": term}
    )
    assert response.status_code == 200
    assert str(expected(world).pk) in [result["id"] for result in response.json()["results"]]


def test_the_team_page_shows_its_admins_and_subscriptions_and_links_to_its_members(support, world):
    response = support.get(url("teams_team_change", world.team.pk))
    text = page_text(response)
    for member in (world.primary, world.secondary):
        assert member.user.email in text
        assert url("teams_member_change", member.pk) in text
    # A team can have tens of thousands of users: counted here, listed on the member list.
    assert "5 members; invited (not yet accepted): 1; guests: 1." in text
    members_url = url("teams_member_changelist", query=f"team={world.team.pk}")
    assert members_url in text
    listed = page_text(support.get(members_url))
    for member in (world.user, world.guest, world.invited):
        assert member.user.email not in text
        assert member.user.email in listed
    assert world.subscription.contract.number in text
    assert url("subscriptions_subscription_change", world.subscription.pk) in text


def test_the_subscription_page_shows_the_seats_in_use(support, world):
    assign(world, world.user, world.guest)
    response = support.get(url("subscriptions_subscription_change", world.subscription.pk))
    assert has_text(response, "Design: 2 of 3 seats of DraftPro assigned.")
    assert world.user.user.email in page_text(response)
    assert world.guest.user.email in page_text(response)


# --- Changelists stay within a fixed number of queries --------------------------------------


@pytest.fixture
def crowded_world(world):
    """Twenty more teams with members, subscriptions, assignments and activity."""
    for n in range(20):
        team = TeamFactory(customer=world.team.customer, name=f"Team {n}")
        primary = MemberFactory(team=team, role=Member.Role.PRIMARY_ADMIN)
        member = MemberFactory(team=team)
        SubscriptionFactory(team=team, product=world.product, seats=2, contract__manager=primary.user)
        assignment_create(member=member, product=world.product, actor=primary.user)
        member_invite(team=team, email=f"new{n}@example.com", first_name="New", last_name=f"N{n}", actor=None)
        group = group_create(team=team, name=f"Group {n}", actor=None)
        group_members_add(group=group, members=[primary, member], actor=None)
        group_product_assign(group=group, product=world.product, actor=None)
    return world


@pytest.mark.parametrize(
    "model",
    [
        "teams_team",
        "teams_member",
        "teams_customer",
        "subscriptions_subscription",
        "subscriptions_contract",
        "subscriptions_assignment",
        "subscriptions_product",
        "accounts_user",
        "accounts_invitation",
        "activity_activityevent",
        "groups_group",
    ],
)
def test_changelists_take_a_fixed_number_of_queries(support, crowded_world, django_assert_max_num_queries, model):
    with django_assert_max_num_queries(10):
        response = support.get(url(f"{model}_changelist"))
    assert response.status_code == 200


# --- Members: role, guest, delete, invite, re-send ------------------------------------------


def test_support_makes_a_user_secondary_admin(support, staff, world):  # R-SA1
    response = support.post(url("teams_member_role", world.user.pk), {"role": Member.Role.SECONDARY_ADMIN})
    assert response.status_code == 302
    world.user.refresh_from_db()
    assert world.user.role == Member.Role.SECONDARY_ADMIN
    assert admin_events(ActivityEvent.Action.ROLE_CHANGED, staff).filter(target_user=world.user.user).exists()


def test_support_reassigns_the_primary_admin(support, staff, world):  # R-PA2, R-PA3
    response = support.post(url("teams_member_role", world.secondary.pk), {"role": Member.Role.PRIMARY_ADMIN})
    assert response.status_code == 302
    world.primary.refresh_from_db()
    world.secondary.refresh_from_db()
    assert world.secondary.role == Member.Role.PRIMARY_ADMIN
    assert world.primary.role == Member.Role.SECONDARY_ADMIN
    assert admin_events(ActivityEvent.Action.ROLE_CHANGED, staff).count() == 2


def test_the_primary_admin_cannot_be_demoted_directly(support, world):  # R-PA1
    response = support.post(url("teams_member_role", world.primary.pk), {"role": Member.Role.USER})
    assert response.status_code == 200
    assert has_text(response, PRIMARY_ADMIN_NEEDED % {"name": world.primary.user.get_full_name()})
    world.primary.refresh_from_db()
    assert world.primary.role == Member.Role.PRIMARY_ADMIN


def test_an_admin_cannot_be_made_a_guest(support, world):  # R-G3
    response = support.post(
        url("teams_member_role", world.secondary.pk), {"role": Member.Role.SECONDARY_ADMIN, "is_guest": "on"}
    )
    assert response.status_code == 200
    assert has_text(response, ADMIN_CANNOT_BE_GUEST)
    world.secondary.refresh_from_db()
    assert not world.secondary.is_guest


def test_the_member_change_form_saves_nothing(support, world):
    # Role and guest flag only change through the role page, which applies the rules.
    response = support.post(url("teams_member_change", world.primary.pk), {"role": Member.Role.USER})
    assert response.status_code == 403
    world.primary.refresh_from_db()
    assert world.primary.role == Member.Role.PRIMARY_ADMIN


def test_guest_actions_go_through_the_service(support, staff, world):  # R-G2, R-G3
    response = run_action(support, "mark_guest", "teams_member", [world.user, world.secondary], follow=True)
    assert response.status_code == 200
    assert has_text(response, ADMIN_CANNOT_BE_GUEST)
    world.user.refresh_from_db()
    world.secondary.refresh_from_db()
    assert world.user.is_guest
    assert not world.secondary.is_guest
    assert admin_events(ActivityEvent.Action.GUEST_CHANGED, staff).count() == 1


def test_an_admin_member_cannot_be_deleted(support, world):  # R-D2
    delete_url = url("teams_member_delete", world.secondary.pk)
    message = ADMIN_CANNOT_BE_DELETED % {"name": world.secondary.user.get_full_name()}
    response = support.get(delete_url)
    assert response.status_code == 200
    assert has_text(response, message)
    assert "Yes, I’m sure" not in page_text(response)
    response = support.post(delete_url, {"post": "yes"})
    assert response.status_code == 200
    assert has_text(response, message)
    assert Member.objects.filter(pk=world.secondary.pk).exists()


def test_deleting_several_members_refuses_all_when_one_is_an_admin(support, world):  # R-D2
    response = run_action(support, "delete_selected", "teams_member", [world.user, world.primary], post="yes")
    assert response.status_code == 200
    assert has_text(response, ADMIN_CANNOT_BE_DELETED % {"name": world.primary.user.get_full_name()})
    assert Member.objects.filter(pk__in=[world.user.pk, world.primary.pk]).count() == 2


def test_support_deletes_a_member_with_their_assignments(support, staff, world):  # R-D1
    assign(world, world.user)
    response = support.post(url("teams_member_delete", world.user.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Member.objects.filter(pk=world.user.pk).exists()
    assert not Assignment.objects.filter(member_id=world.user.pk).exists()
    assert User.objects.filter(pk=world.user.user_id).exists()
    assert admin_events(ActivityEvent.Action.MEMBER_DELETED, staff).count() == 1
    assert admin_events(ActivityEvent.Action.PRODUCT_UNASSIGNED, staff).count() == 1


def test_support_deletes_several_members(support, staff, world):  # R-D1
    response = run_action(support, "delete_selected", "teams_member", [world.user, world.guest], post="yes")
    assert response.status_code == 302
    assert not Member.objects.filter(pk__in=[world.user.pk, world.guest.pk]).exists()
    assert admin_events(ActivityEvent.Action.MEMBER_DELETED, staff).count() == 2


def test_support_invites_a_user(support, staff, world):  # R-U2, R-U7
    response = support.post(
        url("teams_member_add"),
        {
            "team": world.other_team.pk,
            "email": "USER@example.com",
            "first_name": "Ursula",
            "last_name": "User",
            "products": [],
        },
    )
    assert response.status_code == 302
    member = Member.objects.get(team=world.other_team, user=world.user.user)
    assert member.status == Member.Status.INVITED
    assert Invitation.objects.filter(member=member).exists()
    assert admin_events(ActivityEvent.Action.MEMBER_INVITED, staff).filter(team=world.other_team).exists()


def test_inviting_an_existing_member_shows_the_error(support, world):
    response = support.post(
        url("teams_member_add"),
        {"team": world.team.pk, "email": "user@example.com", "first_name": "U", "last_name": "Ser"},
    )
    assert response.status_code == 200
    assert has_text(response, ALREADY_MEMBER % {"email": "user@example.com"})


def test_inviting_with_a_product_without_a_free_seat_writes_nothing(support, world):  # R-SE1
    assign(world, world.user, world.guest, world.secondary)
    response = support.post(
        url("teams_member_add"),
        {
            "team": world.team.pk,
            "email": "nieuw@example.com",
            "first_name": "Nina",
            "last_name": "Nieuw",
            "products": [world.product.pk],
        },
    )
    assert response.status_code == 200
    assert has_text(response, NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"})
    assert not User.objects.with_email("nieuw@example.com").exists()


def test_resend_invitation_action_on_members(support, staff, world):  # R-U5
    response = run_action(support, "resend_invitation", "teams_member", [world.invited, world.user], follow=True)
    assert response.status_code == 200
    assert has_text(response, "has already accepted the invitation")
    assert list(admin_events(ActivityEvent.Action.INVITATION_RESENT, staff).values_list("target_user", flat=True)) == [
        world.invited.user_id
    ]


def test_resend_invitation_action_on_invitations_kills_the_old_link(support, staff, world):  # R-U5
    old = invitation_resend(member=world.invited, actor=None)
    response = run_action(support, "resend_invitation", "accounts_invitation", [old])
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.state == Invitation.State.REVOKED
    assert Invitation.objects.pending().filter(member=world.invited).count() == 1
    assert admin_events(ActivityEvent.Action.INVITATION_RESENT, staff).count() == 1


def test_resend_page_of_a_member(support, staff, world):  # R-U5
    response = support.get(url("teams_member_resend", world.invited.pk))
    assert response.status_code == 200
    response = support.post(url("teams_member_resend", world.invited.pk))
    assert response.status_code == 302
    assert admin_events(ActivityEvent.Action.INVITATION_RESENT, staff).count() == 1


# --- Teams ------------------------------------------------------------------------------------


def test_support_creates_a_team_with_a_new_primary_admin(support, staff, world):  # R-T3, R-PA1
    response = support.post(
        url("teams_team_add"),
        {
            "customer": world.team.customer.pk,
            "name": "Bridges",
            "admin_email": "jan@example.com",
            "admin_first_name": "Jan",
            "admin_last_name": "de Vries",
        },
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Bridges")
    assert team.primary_admin.user.email == "jan@example.com"
    assert team.primary_admin.status == Member.Status.INVITED  # no account yet: invited to make one
    assert admin_events(ActivityEvent.Action.TEAM_CREATED, staff).filter(team=team).exists()


def test_a_new_primary_admin_needs_a_name(support, world):
    response = support.post(
        url("teams_team_add"), {"customer": world.team.customer.pk, "name": "Bridges", "admin_email": "x@example.com"}
    )
    assert response.status_code == 200
    assert has_text(response, "x@example.com has no account yet")
    assert not Team.objects.filter(name="Bridges").exists()


def test_support_renames_a_team(support, staff, world):  # R-T4
    change_url = url("teams_team_change", world.team.pk)
    data = {**management_data(support.get(change_url)), "name": "Design & Build"}
    response = support.post(change_url, data)
    assert response.status_code == 302
    world.team.refresh_from_db()
    assert world.team.name == "Design & Build"
    assert admin_events(ActivityEvent.Action.TEAM_RENAMED, staff).exists()


def test_teams_are_not_deleted_in_the_admin(support, world):
    assert support.post(url("teams_team_delete", world.team.pk), {"post": "yes"}).status_code == 403
    assert Team.objects.filter(pk=world.team.pk).exists()


# --- Purchases, seats, renewals, contract managers ------------------------------------------


def purchase(world, **changes) -> dict:
    today = timezone.localdate()
    return {
        "customer": world.team.customer.pk,
        "new_customer": "",
        "contract_number": "2200000001",
        "manager_email": "jan@example.com",
        "manager_first_name": "Jan",
        "manager_last_name": "de Vries",
        "product": world.product.pk,
        "seats": 4,
        "plan": Subscription.Plan.STANDARD,
        "term_start": today.isoformat(),
        "term_end": (today + timedelta(days=364)).isoformat(),
        **changes,
    }


def test_a_new_contract_goes_to_the_newest_team(support, staff, world):  # R-T7, R-SA3, R-T6
    response = support.post(url("subscriptions_subscription_add"), purchase(world))
    assert response.status_code == 302
    subscription = Subscription.objects.get(contract__number="2200000001")
    assert subscription.team == world.other_team
    manager = Member.objects.get(team=world.other_team, user__email="jan@example.com")
    assert manager.role == Member.Role.SECONDARY_ADMIN  # Engineering has a primary admin already
    assert Assignment.objects.filter(member=manager, product=world.product).exists()
    assert admin_events(ActivityEvent.Action.SUBSCRIPTION_ADDED, staff).filter(team=world.other_team).exists()


def test_a_new_product_on_an_existing_contract_goes_to_its_team(support, world):  # R-T7
    number = world.subscription.contract.number
    response = support.post(
        url("subscriptions_subscription_add"), purchase(world, contract_number=number, manager_email="")
    )
    assert response.status_code == 302
    assert Subscription.objects.filter(contract__number=number).count() == 2
    assert set(Subscription.objects.filter(contract__number=number).values_list("team", flat=True)) == {world.team.pk}


def test_a_first_purchase_of_a_new_customer_creates_its_team(support, world):  # R-T2
    response = support.post(
        url("subscriptions_subscription_add"), purchase(world, customer="", new_customer="Nieuw B.V.")
    )
    assert response.status_code == 302
    team = Team.objects.get(customer__name="Nieuw B.V.")
    assert team.name == "Jan de Vries's team"
    assert team.primary_admin.user.email == "jan@example.com"


def test_a_contract_of_another_customer_is_refused(support, world):
    other = Customer.objects.create(name="Other B.V.")
    number = world.subscription.contract.number
    response = support.post(
        url("subscriptions_subscription_add"), purchase(world, customer=other.pk, contract_number=number)
    )
    assert response.status_code == 200
    assert has_text(response, CONTRACT_OF_OTHER_CUSTOMER % {"number": number, "customer": world.team.customer})
    assert Subscription.objects.count() == 1


def test_a_term_that_ends_before_it_starts_is_a_form_error(support, world):
    response = support.post(url("subscriptions_subscription_add"), purchase(world, term_end="2000-01-01"))
    assert response.status_code == 200
    assert has_text(response, "The term cannot end before it starts.")
    assert not Contract.objects.filter(number="2200000001").exists()


def test_support_adds_seats_that_stay_in_the_team(support, staff, world):  # R-SE2
    response = support.post(
        url("subscriptions_subscription_add-seats", query=f"ids={world.subscription.pk}"), {"seats": 2}
    )
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 5
    assert world.subscription.team == world.team
    event = admin_events(ActivityEvent.Action.SEATS_CHANGED, staff).get()
    assert (event.before, event.after) == ({"seats": 3}, {"seats": 5})


def test_seats_below_what_is_assigned_need_the_checkbox(support, staff, world):  # R-SE1
    assign(world, world.user, world.guest, world.secondary)
    set_url = url("subscriptions_subscription_set-seats", query=f"ids={world.subscription.pk}")
    response = support.post(set_url, {"seats": 1})
    assert response.status_code == 200
    message = SEATS_BELOW_ASSIGNED % {"team": "Design", "assigned": 3, "product": "DraftPro", "seats": 1, "over": 2}
    assert has_text(response, message)
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 3

    response = support.post(set_url, {"seats": 1, "allow_over_allocation": "on"})
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.seats == 1
    assert admin_events(ActivityEvent.Action.SEATS_CHANGED, staff).count() == 1


def test_several_subscriptions_change_all_or_nothing(support, world):
    assign(world, world.user, world.guest)
    other = SubscriptionFactory(team=world.other_team, product=world.product, seats=3)
    ids = f"{world.subscription.pk},{other.pk}"
    response = support.post(url("subscriptions_subscription_set-seats", query=f"ids={ids}"), {"seats": 1})
    assert response.status_code == 200
    assert has_text(response, f"{world.subscription}: ")
    other.refresh_from_db()
    assert other.seats == 3  # it could have gone through, but the batch is all or nothing


def test_the_actions_lead_to_their_pages(support, world):
    for action, slug in [
        ("move_action", "move"),
        ("add_seats_action", "add-seats"),
        ("set_seats_action", "set-seats"),
        ("renew_action", "renew"),
    ]:
        response = run_action(support, action, "subscriptions_subscription", [world.subscription])
        assert response.status_code == 302
        assert response.url == url(f"subscriptions_subscription_{slug}", query=f"ids={world.subscription.pk}")
        assert support.get(response.url).status_code == 200


def test_support_renews_a_subscription(support, staff, world):
    new_end = world.subscription.term_end + timedelta(days=365)
    renew_url = url("subscriptions_subscription_renew", query=f"ids={world.subscription.pk}")
    response = support.post(renew_url, {"term_end": new_end.isoformat()})
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.term_end == new_end
    assert admin_events(ActivityEvent.Action.SUBSCRIPTION_RENEWED, staff).exists()


def test_a_renewal_must_end_later(support, world):
    old_end = world.subscription.term_end
    renew_url = url("subscriptions_subscription_renew", query=f"ids={world.subscription.pk}")
    response = support.post(renew_url, {"term_end": (old_end - timedelta(days=1)).isoformat()})
    assert response.status_code == 200
    assert has_text(response, RENEWAL_NOT_LATER % {"end": old_end.isoformat()})


def test_plan_and_flags_are_edited_without_touching_seats(support, world):
    change_url = url("subscriptions_subscription_change", world.subscription.pk)
    data = {"plan": Subscription.Plan.PREMIUM, "sso_enabled": "on", "collaboration_site": ""}
    response = support.post(change_url, data)
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert (world.subscription.plan, world.subscription.sso_enabled, world.subscription.seats) == ("premium", True, 3)


def test_support_changes_the_contract_manager(support, staff, world):  # R-SA4, R-PA4
    contract = world.subscription.contract
    change_url = url("subscriptions_contract_change", contract.pk)
    response = support.post(change_url, {**management_data(support.get(change_url)), "manager": world.user.user_id})
    assert response.status_code == 302
    contract.refresh_from_db()
    world.user.refresh_from_db()
    world.primary.refresh_from_db()
    assert contract.manager == world.user.user
    assert world.user.role == Member.Role.SECONDARY_ADMIN
    assert world.primary.role == Member.Role.PRIMARY_ADMIN
    assert Subscription.objects.get(pk=world.subscription.pk).owner == world.user.user
    assert admin_events(ActivityEvent.Action.CONTRACT_MANAGER_CHANGED, staff).exists()


def test_subscriptions_and_contracts_are_not_deleted_in_the_admin(support, world):
    assert support.post(url("subscriptions_subscription_delete", world.subscription.pk)).status_code == 403
    assert support.post(url("subscriptions_contract_delete", world.subscription.contract_id)).status_code == 403


# --- Moving subscriptions -------------------------------------------------------------------


def move_url(world, *subscriptions, to_team=None) -> str:
    ids = ",".join(str(s.pk) for s in subscriptions or [world.subscription])
    return url("subscriptions_subscription_move", query=f"ids={ids}" + (f"&to_team={to_team.pk}" if to_team else ""))


def test_support_moves_a_pay_per_use_subscription_that_admins_cannot(support, staff, world):  # R-T11
    Subscription.objects.filter(pk=world.subscription.pk).update(plan=Subscription.Plan.PAY_PER_USE)
    world.subscription.refresh_from_db()
    owner = world.primary.user
    assert "pay_per_use" in [
        b.code
        for b in subscription_move_blockers(subscription=world.subscription, to_team=world.other_team, actor=owner)
    ]
    with pytest.raises(ValidationError):
        subscription_move(subscription=world.subscription, to_team=world.other_team, actor=owner)

    review = support.get(move_url(world, to_team=world.other_team))
    assert review.status_code == 200
    assert has_text(review, MOVE_PAY_PER_USE)
    response = support.post(move_url(world), {"to_team": world.other_team.pk})
    assert response.status_code == 200
    assert has_text(response, CONFIRM_OVERRIDE)
    response = support.post(move_url(world), {"to_team": world.other_team.pk, "confirm_override": "on"})
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.team == world.other_team
    assert admin_events(ActivityEvent.Action.SUBSCRIPTION_MOVED, staff).count() == 2  # old and new team


def test_support_cannot_make_a_move_that_over_allocates_the_old_team(support, world):  # R-T10
    assign(world, world.user, world.guest)
    message = MOVE_OVER_ALLOCATED % {"team": "Design", "product": "DraftPro", "count": 2}
    review = support.get(move_url(world, to_team=world.other_team))
    assert review.status_code == 200
    assert has_text(review, message)
    assert 'value="Move"' not in page_text(review)
    response = support.post(move_url(world), {"to_team": world.other_team.pk, "confirm_override": "on"})
    assert response.status_code == 200
    assert has_text(response, message)
    world.subscription.refresh_from_db()
    assert world.subscription.team == world.team


def test_support_moves_a_subscription_they_do_not_own_without_confirming(support, world):  # R-T8, R-T9
    assign(world, world.user)
    SubscriptionFactory(team=world.team, product=world.product, seats=1, contract=world.subscription.contract)
    response = support.post(move_url(world), {"to_team": world.other_team.pk})
    assert response.status_code == 302
    world.subscription.refresh_from_db()
    assert world.subscription.team == world.other_team
    assert Assignment.objects.get(member=world.user).member.team == world.team  # users do not move


def test_the_move_page_offers_the_customers_teams_only(support, world):
    response = support.get(move_url(world))
    teams = list(response.context["form"].fields["to_team"].queryset)
    assert teams == [world.team, world.other_team]
    response = support.get(move_url(world, to_team=world.outsider_team))
    assert response.status_code == 200
    assert response.context["to_team"] is None


def test_subscriptions_of_two_customers_are_not_moved_together(support, world):
    outsider_subscription = SubscriptionFactory(team=world.outsider_team)
    response = support.get(move_url(world, world.subscription, outsider_subscription), follow=True)
    assert response.status_code == 200
    assert has_text(response, "select subscriptions of one customer")


# --- Assignments ------------------------------------------------------------------------------


def test_support_assigns_a_product(support, staff, world):  # R-P2
    response = support.post(url("subscriptions_assignment_add"), {"member": world.user.pk, "product": world.product.pk})
    assert response.status_code == 302
    assignment = Assignment.objects.get(member=world.user, product=world.product)
    assert set(assignment.items.all()) == set(world.items)
    assert admin_events(ActivityEvent.Action.PRODUCT_ASSIGNED, staff).exists()


def test_assigning_beyond_the_seats_shows_the_error(support, world):  # R-SE1
    assign(world, world.user, world.guest, world.secondary)
    response = support.post(
        url("subscriptions_assignment_add"), {"member": world.invited.pk, "product": world.product.pk}
    )
    assert response.status_code == 200
    assert has_text(response, NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"})
    assert not Assignment.objects.filter(member=world.invited).exists()


def test_support_changes_the_items_of_an_assignment(support, staff, world):  # R-P4
    assign(world, world.user)
    assignment = Assignment.objects.get(member=world.user)
    change_url = url("subscriptions_assignment_change", assignment.pk)
    response = support.post(change_url, {"items": [world.items[0].pk]})
    assert response.status_code == 302
    assert list(assignment.items.all()) == [world.items[0]]
    assert admin_events(ActivityEvent.Action.ASSIGNMENT_CHANGED, staff).exists()

    response = support.post(change_url, {})
    assert response.status_code == 200
    assert has_text(response, ITEMS_REQUIRED)


def test_support_unassigns_a_product(support, staff, world):  # R-P4
    assign(world, world.user)
    assignment = Assignment.objects.get(member=world.user)
    response = support.post(url("subscriptions_assignment_delete", assignment.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Assignment.objects.filter(pk=assignment.pk).exists()
    assert admin_events(ActivityEvent.Action.PRODUCT_UNASSIGNED, staff).exists()


# --- Users and the activity log -------------------------------------------------------------


def test_support_creates_a_staff_account(support, world):
    response = support.post(
        url("accounts_user_add"),
        {
            "email": "helpdesk@vendor.example",
            "first_name": "Hanna",
            "last_name": "Helpdesk",
            "language": "nl",
            "is_staff": "on",
            "usable_password": "true",
            "password1": "a-Long-passphrase-42",
            "password2": "a-Long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="helpdesk@vendor.example")
    assert user.is_staff
    assert user.check_password("a-Long-passphrase-42")


def test_an_address_that_exists_in_another_case_is_refused(support, world):  # R-U7
    response = support.post(
        url("accounts_user_add"),
        {"email": "PRIMARY@example.com", "usable_password": "false", "language": "en"},
    )
    assert response.status_code == 200
    assert has_text(response, "An account with this e-mail address already exists.")


def test_an_account_with_memberships_is_not_deleted(support, world):
    # Its memberships are deleted first, one by one, under the rules of deleting members (R-D1, R-D2).
    response = support.post(url("accounts_user_delete", world.user.user_id), {"post": "yes"})
    assert response.status_code == 200
    assert has_text(response, MEMBER_BLOCKS_DELETE % {"user": world.user.user, "team": world.team, "role": "User"})
    assert Member.objects.filter(pk=world.user.pk).exists()


def test_an_account_without_memberships_is_deleted(support, world):
    loner = UserFactory()
    response = support.post(url("accounts_user_delete", loner.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=loner.pk).exists()


def test_the_activity_log_is_read_only(support, world):
    assign(world, world.user)
    event = ActivityEvent.objects.first()
    assert support.get(url("activity_activityevent_add")).status_code == 403
    assert support.post(url("activity_activityevent_change", event.pk), {"target": "x"}).status_code == 403
    assert support.post(url("activity_activityevent_delete", event.pk), {"post": "yes"}).status_code == 403
    assert ActivityEvent.objects.filter(pk=event.pk, target=event.target).exists()
