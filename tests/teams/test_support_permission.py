"""Support staff (SPEC §2, last column; issue 19): their powers in customers' teams come from the
permission "Act as support staff in every team" (teams.act_as_support), given directly or through
the group "Support staff", never from being staff (is_staff) alone. Superusers hold it implicitly."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from licensing.accounts.services import member_invite
from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members, can_view_reports, is_support
from licensing.teams.services import member_change_role, team_create
from tests.factories import UserFactory

SUPPORT_STAFF = "Support staff"  # the group licensing/teams/migrations/0005_support_staff_group.py makes


def clerk(**fields):
    """A staff member who is no superuser: they may sign in to the Django admin, and that is all."""
    return UserFactory(email="clerk@vendor.example", is_staff=True, **fields)


def act_as_support():
    return Permission.objects.get(content_type__app_label="teams", codename="act_as_support")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def team_pages(world) -> dict[str, tuple[str, str, dict]]:
    """A customer's team's pages that only its admins and support open: (method, url, data)."""
    team = {"team_id": world.team.pk}
    return {
        "by user": ("get", reverse("teams:member-list", kwargs=team), {}),
        "invite": ("get", reverse("accounts:member-invite", kwargs=team), {}),
        "invite, sent": (
            "post",
            reverse("accounts:member-invite", kwargs=team),
            {"first_name": "Eve", "last_name": "Stafford", "email": "eve@example.nl"},
        ),
        "role change": (
            "post",
            reverse("teams:member-role", kwargs={**team, "member_id": world.user.pk}),
            {"role": Member.Role.SECONDARY_ADMIN},
        ),
        "activity export": ("get", reverse("activity:event-export", kwargs=team), {}),
    }


def written(world) -> tuple:
    """What the pages could change: the team's members and roles, and the activity log."""
    return (
        sorted(world.team.members.values_list("user__email", "role")),
        ActivityEvent.objects.count(),
    )


@pytest.mark.parametrize("page", ["by user", "invite", "invite, sent", "role change", "activity export"])
def test_a_staff_user_without_the_support_permission_has_no_place_in_a_customers_team(world, page):
    before = written(world)
    method, url, data = team_pages(world)[page]

    response = getattr(signed_in(clerk()), method)(url, data)

    assert response.status_code == 404  # as for anyone outside the team: they do not learn it exists
    assert written(world) == before


def test_a_staff_user_without_the_support_permission_is_no_support_in_the_services(world):
    staff = clerk()
    assert not is_support(staff)
    assert not can_manage_members(staff, world.team)
    assert not can_view_reports(staff, world.team)
    with pytest.raises(PermissionDenied):
        member_invite(team=world.team, email="eve@example.nl", first_name="Eve", last_name="Stafford", actor=staff)
    with pytest.raises(PermissionDenied):
        member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=staff)
    with pytest.raises(PermissionDenied):
        team_create(customer=world.team.customer, name="Eve's team", primary_admin=staff, actor=staff)
    assert not Team.objects.filter(name="Eve's team").exists()
    assert not Member.objects.filter(user__email="eve@example.nl").exists()


def through_permission():
    staff = clerk()
    staff.user_permissions.add(act_as_support())
    return staff


def through_group():
    staff = clerk()
    staff.groups.add(Group.objects.get(name=SUPPORT_STAFF))
    return staff


@pytest.mark.parametrize("given", [through_permission, through_group], ids=["permission", "group"])
def test_a_staff_user_with_the_support_permission_acts_in_every_team(world, given):
    staff = given()
    assert is_support(staff)
    assert can_manage_members(staff, world.outsider_team)
    client = signed_in(staff)
    pages = team_pages(world)

    for page in ("by user", "invite", "activity export"):
        method, url, data = pages[page]
        assert getattr(client, method)(url, data).status_code == 200, page
    for page in ("invite, sent", "role change"):
        method, url, data = pages[page]
        assert getattr(client, method)(url, data).status_code == 302, page

    assert world.team.members.get(user__email="eve@example.nl").status == Member.Status.INVITED
    world.user.refresh_from_db()
    assert world.user.role == Member.Role.SECONDARY_ADMIN
    team = team_create(customer=world.team.customer, name="Eve's team", primary_admin=world.user.user, actor=staff)
    assert team.members.get().user == world.user.user


def test_superusers_are_support_without_being_given_the_permission(world):
    assert is_support(world.staff)
    assert not world.staff.user_permissions.exists()
    assert not world.staff.groups.exists()


@pytest.mark.parametrize(
    "account",
    [{"is_active": False}, {"is_staff": False}],
    ids=["deactivated", "not staff"],
)
def test_the_support_permission_needs_an_active_staff_account(world, account):
    user = UserFactory(email="former@vendor.example", **{"is_staff": True, **account})
    user.user_permissions.add(act_as_support())
    user.groups.add(Group.objects.get(name=SUPPORT_STAFF))
    assert not is_support(user)
    assert not can_manage_members(user, world.team)


def test_the_support_staff_group_holds_what_support_needs_and_grants_no_rights(db):
    held = {f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=SUPPORT_STAFF).permissions.all()}
    assert {"teams.act_as_support", "teams.change_member", "accounts.change_user", "mailer.view_message"} <= held
    # Granting rights stays with superusers; the catalogue with the order system.
    assert not {p for p in held if p.startswith("auth.")}
    assert not {"accounts.delete_user", "subscriptions.change_product", "mailer.change_messagelog"} & held
