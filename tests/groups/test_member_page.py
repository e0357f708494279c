"""A person's page and groups (R-GR6): the groups they are in, and per product whether the seat is
direct, through which groups, or both; a seat only groups give says how to take it away instead of
offering "Unassign"; a wait for a seat through a group is shown with its reason. The activity log
names the group of a seat given or taken through one (R-GR8), also when the member is deleted (R-GR7)."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from licensing.activity.models import ActivityEvent
from licensing.activity.words import LogReader
from licensing.groups.models import SeatWait
from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create, assignment_delete
from licensing.subscriptions.views import DIRECT_UNASSIGNED, member_products_context
from licensing.teams.services import member_delete
from tests.factories import MemberFactory
from tests.undo import without_undo

SECTION = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "member-products"}
A = ActivityEvent.Action


@pytest.fixture
def admin(world):
    return world.primary.user


def member_url(member) -> str:
    return reverse("teams:member-detail", kwargs={"team_id": member.team_id, "member_id": member.pk})


def action_url(name, world, member) -> str:
    kwargs = {"team_id": world.team.pk, "member_id": member.pk, "product_id": world.product.pk}
    return reverse(f"subscriptions:member-product-{name}", kwargs=kwargs)


def group_giving(world, admin, name, members, items=None):
    group = group_create(team=world.team, name=name, actor=admin)
    group_members_add(group=group, members=members, actor=admin)
    group_product_assign(group=group, product=world.product, items=items, actor=admin)
    return group


def row_of(member, product):
    (row,) = [row for row in member_products_context(member)["member_products"].held if row.product == product]
    return row


def test_the_page_lists_the_groups_a_member_is_in_with_what_they_give(client, world, admin):
    # R-GR6
    group_giving(world, admin, "Engineering", [world.user])
    group_create(team=world.team, name="Apprentices", actor=admin)
    other = group_create(team=world.team, name="Site crew", actor=admin)
    group_members_add(group=other, members=[world.user], actor=admin)
    client.force_login(admin)

    page = client.get(member_url(world.user)).content.decode()

    assert 'id="member-groups"' in page
    section = page.split('id="member-groups"')[1].split("</section>")[0]
    assert section.index("Engineering") < section.index("Site crew")
    assert "Apprentices" not in section
    assert "Gives: DraftPro" in section
    assert "Gives no products" in section


def test_a_member_in_no_group_is_told_so(client, world, admin):
    # R-GR6
    client.force_login(admin)
    page = client.get(member_url(world.user)).content.decode()
    assert "is in no group of this team." in page


def test_a_direct_seat_says_direct_and_offers_unassign(client, world, admin):
    # R-GR6
    assignment_create(member=world.user, product=world.product, actor=admin)
    row = row_of(world.user, world.product)
    assert (row.is_direct, row.groups, row.groups_only, row.shared) == (True, (), False, False)
    client.force_login(admin)
    page = client.get(member_url(world.user)).content.decode()
    source = page.split(f'id="member-product-{world.product.pk}-source"')[1].split("</span>")[0]
    assert "Direct" in source
    assert "Unassign" in page


def test_a_seat_only_groups_give_says_which_and_offers_no_unassign(client, world, admin):
    # R-GR6, R-GR4: "Unassign" would be refused by the service; the page says why instead.
    group_giving(world, admin, "Engineering", [world.user])
    group_giving(world, admin, "Design crew", [world.user])
    row = row_of(world.user, world.product)
    assert [g.name for g in row.groups] == ["Design crew", "Engineering"]
    assert row.groups_only
    assert not row.shared
    client.force_login(admin)

    page = client.get(member_url(world.user)).content.decode()

    source = page.split(f'id="member-product-{world.product.pk}-source"')[1].split("</span>")[0]
    assert "Through the groups Design crew, Engineering" in source
    assert "Given by the groups Design crew, Engineering: remove" in page
    assert ">Unassign<" not in page.replace(" ", "")
    assert f'aria-describedby="member-product-{world.product.pk}-groups"' in page
    assert "Assign directly too" in page


def test_assign_directly_too_keeps_the_seat_and_marks_it_both(client, world, admin):
    # R-GR6, R-GR3: the one seat becomes direct as well.
    group_giving(world, admin, "Engineering", [world.user])
    client.force_login(admin)
    client.post(action_url("assign", world, world.user), **SECTION)
    assignment = Assignment.objects.get(member=world.user, product=world.product)
    assert assignment.direct
    row = row_of(world.user, world.product)
    assert row.shared
    page = client.get(member_url(world.user)).content.decode()
    assert "Direct and through the group Engineering" in page
    assert "Unassigning removes the direct assignment only: the group Engineering still gives the seat." in page


def test_unassigning_a_seat_held_both_ways_keeps_it_through_the_group_and_says_so(client, world, admin):
    # R-GR6, R-GR4
    assignment_create(member=world.user, product=world.product, actor=admin)
    group_giving(world, admin, "Engineering", [world.user])
    client.force_login(admin)

    response = client.post(action_url("unassign", world, world.user))

    said = [without_undo(m.message) for m in get_messages(response.wsgi_request)]
    names = {"name": world.user.name, "product": "DraftPro", "groups": "Engineering"}
    assert said == [DIRECT_UNASSIGNED % names]
    assignment = Assignment.objects.get(member=world.user, product=world.product)
    assert not assignment.direct


def test_unassign_posted_anyway_for_a_group_seat_is_refused_with_the_reason(client, world, admin):
    # R-GR4: a stale page or a hand-made post: the service refuses, the message says why.
    group_giving(world, admin, "Engineering", [world.user])
    client.force_login(admin)
    response = client.post(action_url("unassign", world, world.user), **SECTION)
    assert response.status_code == 200
    assert "through the group Engineering" in response.content.decode()
    assert Assignment.objects.filter(member=world.user, product=world.product).exists()


def test_the_items_menu_of_a_shared_seat_ticks_the_direct_items(world, admin):
    # R-GR6, R-GR3: the chips show the union, the menu the items chosen directly.
    desktop, cloud = world.items
    assignment_create(member=world.user, product=world.product, items=[desktop], actor=admin)
    group_giving(world, admin, "Render farm", [world.user], items=[cloud])
    row = row_of(world.user, world.product)
    assert {c.item.code for c in row.choices if c.checked} == {"draftpro-desktop", "cloud-render"}
    assert {c.item.code for c in row.menu_choices if c.checked} == {"draftpro-desktop"}


def test_a_member_waiting_for_a_seat_through_a_group_is_shown_with_the_reason(client, world, admin):
    # R-GR6, R-GR5: 3 seats, 4 in the group: the last one added waits.
    crew = [MemberFactory(team=world.team) for _ in range(4)]
    group_giving(world, admin, "Crew", crew)
    last = crew[-1]
    assert SeatWait.objects.filter(member=last).exists()
    client.force_login(admin)

    page = client.get(member_url(last)).content.decode()

    assert "Waiting for a seat" in page
    assert re.search(r'Through the group <a href="[^"]+">Crew</a>, since', page)  # By Group's page linked
    assert "All seats of DraftPro in this team are assigned." in page


def test_the_wait_reason_is_said_in_the_readers_language(client, world, admin):
    # R-GR5: stored as a code, shown in the language of the page and of the activity log.
    crew = [MemberFactory(team=world.team) for _ in range(4)]
    group_giving(world, admin, "Crew", crew)
    wait = SeatWait.objects.get()
    assert wait.reason == SeatWait.Reason.NO_FREE_SEAT
    with translation.override("nl"):
        assert wait.reason_text == "Alle seats van DraftPro in dit team zijn toegewezen."
        event = ActivityEvent.objects.get(action=A.SEAT_WAITING)
        changes = {c.label: c.after for c in LogReader([event]).changes(event)}
    assert changes["Reden"] == "Alle seats zijn toegewezen"
    assert changes["Groep"] == "Crew"


def test_deleting_a_member_names_the_groups_of_the_seats_that_went(world, admin):
    # R-GR7, R-GR8: member_delete's "product unassigned" rows name the groups that gave the seat.
    group_giving(world, admin, "Engineering", [world.user])
    group_giving(world, admin, "Design crew", [world.user])
    member_delete(member=world.user, actor=admin)
    row = ActivityEvent.objects.get(action=A.PRODUCT_UNASSIGNED, target_user=world.user.user)
    assert row.before["group"] == "Design crew, Engineering"
    assert row.before["direct"] is False
    left = ActivityEvent.objects.filter(action=A.GROUP_MEMBER_REMOVED, target_user=world.user.user)
    assert sorted(r.before["group"] for r in left) == ["Design crew", "Engineering"]


def test_deleting_a_member_with_a_direct_seat_only_names_no_group(world, admin):
    # R-GR8: a direct seat's row stays as it was.
    assignment_create(member=world.user, product=world.product, actor=admin)
    member_delete(member=world.user, actor=admin)
    row = ActivityEvent.objects.get(action=A.PRODUCT_UNASSIGNED, target_user=world.user.user)
    assert "group" not in row.before


def test_a_direct_change_of_a_shared_seat_names_the_group_in_the_log(world, admin):
    # R-GR8
    desktop, cloud = world.items
    assignment_create(member=world.user, product=world.product, items=[desktop], actor=admin)
    group_giving(world, admin, "Render farm", [world.user], items=[cloud])
    assignment = Assignment.objects.get(member=world.user, product=world.product)
    assignment_delete(assignment=assignment, actor=admin)
    rows = ActivityEvent.objects.filter(action=A.ASSIGNMENT_CHANGED, target_user=world.user.user)
    assert rows.exists()
    assert all(row.after.get("group") == "Render farm" for row in rows)
