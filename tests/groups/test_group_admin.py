"""Groups in the Django admin (R-GR1..R-GR8): support staff see the groups with their team, member and
product counts, search them, see a group's members, products and waiting members, and change them
through the same services as the portal, each change an activity row with the staff member as actor,
each refusal a form error."""

import pytest

from licensing.activity.models import ActivityEvent
from licensing.groups.forms_admin import EMAILS_NOT_IN_TEAM, WILL_WAIT
from licensing.groups.models import Group, GroupMember, GroupProduct, SeatWait
from licensing.groups.services import GROUP_NAME_TAKEN, group_create, group_members_add, group_product_assign
from licensing.subscriptions.models import Assignment
from tests.factories import MemberFactory
from tests.test_admin import admin_events, has_text, page_text, url

A = ActivityEvent.Action


@pytest.fixture
def staff(world):
    return world.staff


@pytest.fixture
def support(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def engineering(world):
    group = group_create(team=world.team, name="Engineering", description="Drawing office", actor=None)
    group_members_add(group=group, members=[world.user, world.guest], actor=None)
    group_product_assign(group=group, product=world.product, actor=None)
    return group


def test_the_list_shows_team_members_and_products_and_searches(support, world, engineering):
    group_create(team=world.other_team, name="Site crew", actor=None)
    response = support.get(url("groups_group_changelist"))
    assert response.status_code == 200
    rows = {group.name: group for group in response.context["cl"].result_list}
    assert (rows["Engineering"].members_count, rows["Engineering"].products_count) == (2, 1)
    assert (rows["Site crew"].members_count, rows["Site crew"].products_count) == (0, 0)
    assert url("teams_team_change", world.team.pk) in page_text(response)
    found = support.get(url("groups_group_changelist", query="q=site"))
    assert [group.name for group in found.context["cl"].result_list] == ["Site crew"]


def test_the_group_page_lists_members_products_and_waiting(support, world, engineering):
    crew = [MemberFactory(team=world.team) for _ in range(2)]
    group_members_add(group=engineering, members=crew, actor=None)  # 3 seats: one waits
    response = support.get(url("groups_group_change", engineering.pk))
    text = page_text(response)
    assert "4 members." in text
    assert world.user.user.email in text
    assert "DraftPro" in text
    assert crew[-1].user.email in text
    assert has_text(response, "All seats of DraftPro in this team are assigned.")
    for name in ("members_add", "members_remove", "product_assign", "product_change", "product_unassign"):
        assert url(f"groups_group_{name}", engineering.pk) in text


def test_support_creates_renames_and_deletes_a_group(support, staff, world):
    # R-GR1, R-GR8
    response = support.post(url("groups_group_add"), {"team": world.team.pk, "name": "Site crew", "description": ""})
    assert response.status_code == 302
    group = Group.objects.get(name="Site crew")
    assert admin_events(A.GROUP_CREATED, staff).exists()

    response = support.post(url("groups_group_change", group.pk), {"name": "Site team", "description": "On site"})
    assert response.status_code == 302
    group.refresh_from_db()
    assert (group.name, group.description) == ("Site team", "On site")
    assert admin_events(A.GROUP_RENAMED, staff).exists()

    response = support.post(url("groups_group_delete", group.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Group.objects.filter(pk=group.pk).exists()
    assert admin_events(A.GROUP_DELETED, staff).exists()


def test_a_name_taken_in_the_team_is_a_form_error(support, world, engineering):
    # R-GR1
    response = support.post(url("groups_group_add"), {"team": world.team.pk, "name": "ENGINEERING"})
    assert response.status_code == 200
    assert has_text(response, GROUP_NAME_TAKEN % {"name": "ENGINEERING"})
    assert Group.objects.count() == 1


def test_deleting_a_group_takes_the_seats_only_it_gives(support, world, engineering):
    # R-GR4
    response = support.post(url("groups_group_delete", engineering.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Assignment.objects.filter(product=world.product).exists()


def test_support_adds_and_removes_members_by_email(support, staff, world, engineering):
    # R-GR1, R-GR4, R-GR8
    response = support.post(
        url("groups_group_members_add", engineering.pk), {"emails": f"{world.secondary.user.email.upper()}\n"}
    )
    assert response.status_code == 302
    assert GroupMember.objects.filter(group=engineering, member=world.secondary).exists()
    assert Assignment.objects.filter(member=world.secondary, product=world.product).exists()
    assert admin_events(A.GROUP_MEMBER_ADDED, staff).exists()

    response = support.post(
        url("groups_group_members_remove", engineering.pk), {"emails": "user@example.com, guest@example.com"}
    )
    assert response.status_code == 302
    assert not GroupMember.objects.filter(group=engineering, member__in=[world.user, world.guest]).exists()
    assert not Assignment.objects.filter(member__in=[world.user, world.guest]).exists()
    assert admin_events(A.GROUP_MEMBER_REMOVED, staff).count() == 2


def test_an_address_outside_the_team_is_a_form_error_and_adds_nobody(support, world, engineering):
    response = support.post(
        url("groups_group_members_add", engineering.pk), {"emails": "secondary@example.com\noutsider@example.com"}
    )
    assert response.status_code == 200
    assert has_text(response, EMAILS_NOT_IN_TEAM % {"team": "Design", "emails": "outsider@example.com"})
    assert not GroupMember.objects.filter(member=world.secondary).exists()


def test_assigning_a_product_says_how_many_would_wait_before_confirming(support, staff, world):
    # R-GR5: 3 seats, 5 members: 2 would wait; nothing is written until the box is ticked.
    group = group_create(team=world.team, name="Crew", actor=None)
    crew = [MemberFactory(team=world.team) for _ in range(5)]
    group_members_add(group=group, members=crew, actor=None)
    assign_url = url("groups_group_product_assign", group.pk)

    response = support.post(assign_url, {"product": world.product.pk})

    assert response.status_code == 200
    assert has_text(response, WILL_WAIT % {"waiting": 2, "members": 5, "product": "DraftPro"})
    assert not GroupProduct.objects.exists()

    response = support.post(assign_url, {"product": world.product.pk, "confirm_waiting": "on"})
    assert response.status_code == 302
    assert Assignment.objects.filter(product=world.product).count() == 3
    assert SeatWait.objects.filter(group=group).count() == 2
    assert admin_events(A.GROUP_PRODUCT_ASSIGNED, staff).exists()


def test_support_changes_the_items_and_unassigns_the_product(support, staff, world, engineering):
    # R-GR3, R-GR4
    desktop = world.items[0]
    group_product = GroupProduct.objects.get(group=engineering)
    response = support.post(
        url("groups_group_product_change", engineering.pk), {"group_product": group_product.pk, "items": [desktop.pk]}
    )
    assert response.status_code == 302
    assignment = Assignment.objects.get(member=world.user, product=world.product)
    assert list(assignment.items.all()) == [desktop]
    assert admin_events(A.GROUP_PRODUCT_CHANGED, staff).exists()

    response = support.post(url("groups_group_product_unassign", engineering.pk), {"group_product": group_product.pk})
    assert response.status_code == 302
    assert not Assignment.objects.filter(product=world.product).exists()
    assert admin_events(A.GROUP_PRODUCT_UNASSIGNED, staff).exists()


def test_a_non_staff_user_cannot_reach_the_group_pages(client, world, engineering):
    client.force_login(world.primary.user)
    for address in (url("groups_group_changelist"), url("groups_group_members_add", engineering.pk)):
        response = client.get(address)
        assert response.status_code == 302
        assert response.url.startswith(url("login"))


def test_deleting_a_seat_only_a_group_gives_is_refused_with_the_reason(support, world, engineering):
    # R-GR4: in the assignment admin too, a message, never a server error; the seat stays.
    assignment = Assignment.objects.get(member=world.user, product=world.product)
    response = support.post(url("subscriptions_assignment_delete", assignment.pk), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "through the group Engineering" in page_text(response)
    assert Assignment.objects.filter(pk=assignment.pk).exists()
    response = support.post(
        url("subscriptions_assignment_changelist"),
        {"action": "delete_selected", "_selected_action": [assignment.pk], "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert Assignment.objects.filter(pk=assignment.pk).exists()
