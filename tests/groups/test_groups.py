"""Groups of a team and the seats they give (R-GR1..R-GR8), through licensing.groups.services."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from licensing.activity.models import ActivityEvent
from licensing.groups.models import AssignmentGrant, Group, GroupMember, SeatWait
from licensing.groups.services import (
    GROUP_NAME_TAKEN,
    group_create,
    group_delete,
    group_members_add,
    group_members_remove,
    group_product_assign,
    group_product_change,
    group_product_unassign,
    group_rename,
    group_seats_preview,
)
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import (
    GIVEN_BY_GROUP,
    assignment_create,
    assignment_delete,
    seats_assigned,
    subscription_add_seats,
)
from licensing.teams.services import member_delete
from tests.factories import MemberFactory

A = ActivityEvent.Action


def codes(member, product):
    assignment = Assignment.objects.get(member=member, product=product)
    return sorted(assignment.items.values_list("code", flat=True))


def seat_count(member, product):
    return Assignment.objects.filter(member=member, product=product).count()


@pytest.fixture
def admin(world):
    return world.primary.user


def group_with(world, admin, name, members, items=None):
    group = group_create(team=world.team, name=name, actor=admin)
    group_members_add(group=group, members=members, actor=admin)
    group_product_assign(group=group, product=world.product, items=items, actor=admin)
    return group


# --- R-GR1: create, rename, delete; names unique in the team in any case -------------------------


def test_a_group_name_is_unique_in_its_team_in_any_case(world, admin):
    # R-GR1
    group_create(team=world.team, name="Engineering", actor=admin)
    with pytest.raises(ValidationError) as refused:
        group_create(team=world.team, name="  ENGINEERING ", actor=admin)
    assert refused.value.messages == [GROUP_NAME_TAKEN % {"name": "ENGINEERING"}]
    other = group_create(team=world.team, name="Design", actor=admin)
    with pytest.raises(ValidationError):
        group_rename(group=other, name="engineering", actor=admin)
    # The database says so too, for a write around the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.create(team=world.team, name="engineering")


def test_the_same_group_name_is_allowed_in_another_team(world, admin):
    # R-GR1
    group_create(team=world.team, name="Engineering", actor=admin)
    group_create(team=world.other_team, name="engineering", actor=admin)
    assert Group.objects.filter(name__iexact="engineering").count() == 2


def test_a_group_is_created_renamed_and_deleted_with_an_activity_row_naming_it(world, admin):
    # R-GR1, R-GR8
    group = group_create(team=world.team, name="Site crew", description="On site", actor=admin)
    group_rename(group=group, name="Site team", actor=admin)
    group_delete(group=group, actor=admin)
    rows = ActivityEvent.objects.filter(team=world.team).order_by("pk")
    assert [(row.action, row.target) for row in rows] == [
        (A.GROUP_CREATED, "Site crew"),
        (A.GROUP_RENAMED, "Site team"),
        (A.GROUP_DELETED, "Site team"),
    ]
    assert rows[1].before["group"] == "Site crew"
    assert rows[1].after["group"] == "Site team"
    assert not Group.objects.exists()


def test_an_admin_of_another_team_cannot_touch_the_group(world, admin):
    # R-GR1: the permission of can_manage_members, in the group's team.
    group = group_create(team=world.team, name="Site crew", actor=admin)
    outsider = world.outsider.user
    for call in (
        lambda: group_create(team=world.team, name="Mine", actor=outsider),
        lambda: group_rename(group=group, name="Mine", actor=outsider),
        lambda: group_members_add(group=group, members=[world.user], actor=outsider),
        lambda: group_product_assign(group=group, product=world.product, actor=outsider),
        lambda: group_delete(group=group, actor=outsider),
    ):
        with pytest.raises(PermissionDenied):
            call()
    with pytest.raises(PermissionDenied):
        group_members_add(group=group, members=[world.user], actor=world.user.user)  # a plain user
    assert Group.objects.get().name == "Site crew"
    assert not GroupMember.objects.exists()


def test_only_members_of_the_groups_team_can_join_it_guests_too(world, admin):
    # R-GR1
    group = group_create(team=world.team, name="Site crew", actor=admin)
    with pytest.raises(ValidationError):
        group_members_add(group=group, members=[world.outsider], actor=admin)
    group_members_add(group=group, members=[world.guest, world.user], actor=admin)
    assert set(group.memberships.values_list("member_id", flat=True)) == {world.guest.pk, world.user.pk}


# --- R-GR2, R-GR3: the seats a group gives ---------------------------------------------------------


def test_every_member_of_a_group_holds_a_seat_of_its_product_and_is_mailed_naming_the_group(
    world, admin, django_capture_on_commit_callbacks
):
    # R-GR2, R-GR8. The mails are rendered by a job after commit (licensing/groups/tasks.py).
    with django_capture_on_commit_callbacks(execute=True):
        group_with(world, admin, "Site crew", [world.user, world.guest])
    for member in (world.user, world.guest):
        assert codes(member, world.product) == ["cloud-render", "draftpro-desktop"]
    rows = ActivityEvent.objects.filter(action=A.PRODUCT_ASSIGNED).order_by("pk")
    assert [(row.target_user, row.after["group"]) for row in rows] == [
        (world.user.user, "Site crew"),
        (world.guest.user, "Site crew"),
    ]
    assert sorted(m.to[0] for m in mail.outbox) == ["guest@example.com", "user@example.com"]
    assert "Site crew" in mail.outbox[0].body


def test_one_seat_per_member_and_product_however_many_groups_and_direct_give_it(world, admin):
    # R-GR3: direct (desktop only) + group A (cloud only) + group B (cloud only): one seat, the union.
    desktop, cloud = world.items
    assignment_create(member=world.user, product=world.product, items=[desktop], actor=admin)
    group_with(world, admin, "A", [world.user], items=[cloud])
    group_with(world, admin, "B", [world.user], items=[cloud])
    assert seat_count(world.user, world.product) == 1
    assert codes(world.user, world.product) == ["cloud-render", "draftpro-desktop"]
    assert seats_assigned(world.team, world.product) == 1
    assert AssignmentGrant.objects.count() == 2


def test_leaving_one_group_keeps_what_another_or_direct_gives_and_removes_only_items_no_one_else_gives(world, admin):
    # R-GR4
    desktop, cloud = world.items
    a = group_with(world, admin, "A", [world.user, world.guest], items=[desktop, cloud])
    group_with(world, admin, "B", [world.user], items=[desktop])
    assignment_create(member=world.secondary, product=world.product, items=[desktop], actor=admin)
    group_members_add(group=a, members=[world.secondary], actor=admin)  # direct desktop + A's cloud
    assert codes(world.secondary, world.product) == ["cloud-render", "draftpro-desktop"]

    group_members_remove(group=a, members=[world.user, world.guest, world.secondary], actor=admin)

    assert codes(world.user, world.product) == ["draftpro-desktop"]  # B still gives the desktop
    assert codes(world.secondary, world.product) == ["draftpro-desktop"]  # the direct choice
    assert seat_count(world.guest, world.product) == 0  # nothing else gave it
    secondary = Assignment.objects.get(member=world.secondary, product=world.product)
    assert secondary.direct
    assert not secondary.direct_items.exists()
    gone = ActivityEvent.objects.get(action=A.PRODUCT_UNASSIGNED)
    assert (gone.target_user, gone.after) == (world.guest.user, {"group": "A"})


def test_a_group_losing_a_product_or_items_takes_only_what_no_one_else_gives(world, admin):
    # R-GR4
    desktop, cloud = world.items
    a = group_with(world, admin, "A", [world.user, world.guest])
    assignment_create(member=world.user, product=world.product, items=[desktop], actor=admin)
    group_product_change(group=a, product=world.product, items=[cloud], actor=admin)
    assert codes(world.user, world.product) == ["cloud-render", "draftpro-desktop"]
    assert codes(world.guest, world.product) == ["cloud-render"]
    group_product_unassign(group=a, product=world.product, actor=admin)
    assert codes(world.user, world.product) == ["draftpro-desktop"]
    assert seat_count(world.guest, world.product) == 0


def test_deleting_a_group_is_removing_every_member(world, admin):
    # R-GR4
    a = group_with(world, admin, "A", [world.user, world.guest])
    assignment_create(member=world.user, product=world.product, items=[world.items[0]], actor=admin)
    group_delete(group=a, actor=admin)
    assert codes(world.user, world.product) == ["draftpro-desktop"]
    assert seat_count(world.guest, world.product) == 0
    assert not AssignmentGrant.objects.exists()


def test_unassigning_a_seat_a_group_gives_is_refused_and_a_direct_one_keeps_the_group_seat(world, admin):
    # R-GR4: "Unassign" takes only the direct part; a seat only a group gives goes with the group.
    group_with(world, admin, "A", [world.user, world.guest], items=[world.items[1]])
    guest_seat = Assignment.objects.get(member=world.guest)
    with pytest.raises(ValidationError) as refused:
        assignment_delete(assignment=guest_seat, actor=admin)
    assert refused.value.messages == [GIVEN_BY_GROUP % {"name": world.guest.name, "product": "DraftPro", "groups": "A"}]
    assignment_create(member=world.user, product=world.product, items=[world.items[0]], actor=admin)
    user_seat = Assignment.objects.get(member=world.user)
    assert user_seat.direct
    assert codes(world.user, world.product) == ["cloud-render", "draftpro-desktop"]
    assignment_delete(assignment=user_seat, actor=admin)
    user_seat.refresh_from_db()
    assert not user_seat.direct
    assert codes(world.user, world.product) == ["cloud-render"]


def test_deleting_a_member_removes_them_from_every_group_and_says_so(world, admin):
    # R-GR7, R-D1
    group_with(world, admin, "A", [world.user])
    group_with(world, admin, "B", [world.user, world.guest])
    member_delete(member=world.user, actor=admin)
    assert not GroupMember.objects.filter(member_id=world.user.pk).exists()
    assert not Assignment.objects.filter(member_id=world.user.pk).exists()
    removed = ActivityEvent.objects.filter(action=A.GROUP_MEMBER_REMOVED, target_user=world.user.user)
    assert sorted(row.before["group"] for row in removed) == ["A", "B"]


# --- R-GR5: the pool --------------------------------------------------------------------------------


def five_members(world):
    return [MemberFactory(team=world.team, user__email=f"crew{n}@example.com") for n in range(5)]


def test_a_group_of_five_with_three_free_seats_seats_the_first_three_and_two_wait_with_a_reason(world, admin):
    # R-GR5, R-SE1: 3 seats, none taken.
    crew = five_members(world)
    group = group_create(team=world.team, name="Crew", actor=admin)
    group_members_add(group=group, members=crew, actor=admin)
    (preview,) = group_seats_preview(group=group, product=world.product)
    assert (preview.seated, preview.waiting) == (3, 2)

    seated, waiting = group_product_assign(group=group, product=world.product, actor=admin)

    assert seated == crew[:3]
    assert waiting == crew[3:]
    assert seats_assigned(world.team, world.product) == 3
    waits = list(SeatWait.objects.order_by("since", "pk"))
    assert [w.member_id for w in waits] == [m.pk for m in crew[3:]]
    # A code, said in the reader's language where it is shown (not the words of the moment).
    assert waits[0].reason == SeatWait.Reason.NO_FREE_SEAT
    assert waits[0].reason_text == "All seats of DraftPro in this team are assigned."
    rows = ActivityEvent.objects.filter(action=A.SEAT_WAITING)
    assert {row.after["group"] for row in rows} == {"Crew"}
    assert rows.count() == 2


def test_members_added_beyond_the_seats_wait_in_the_order_they_joined(world, admin):
    # R-GR5: members added one after another; the preview says how many will wait before confirming.
    crew = five_members(world)
    group = group_create(team=world.team, name="Crew", actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    (preview,) = group_seats_preview(group=group, members=crew)
    assert (preview.seated, preview.waiting, preview.members) == (3, 2, 5)
    for member in crew:
        group_members_add(group=group, members=[member], actor=admin)
    assert set(Assignment.objects.values_list("member_id", flat=True)) == {m.pk for m in crew[:3]}
    assert list(SeatWait.objects.order_by("since", "pk").values_list("member_id", flat=True)) == [
        m.pk for m in crew[3:]
    ]


def test_a_freed_seat_seats_the_oldest_waiting_member(world, admin):
    # R-GR5
    crew = five_members(world)
    group = group_create(team=world.team, name="Crew", actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    for member in crew:
        group_members_add(group=group, members=[member], actor=admin)

    group_members_remove(group=group, members=[crew[0]], actor=admin)

    assert seat_count(crew[3], world.product) == 1
    assert seat_count(crew[4], world.product) == 0
    assert list(SeatWait.objects.values_list("member_id", flat=True)) == [crew[4].pk]
    assert seats_assigned(world.team, world.product) == 3


def test_a_direct_unassign_or_a_deleted_member_seats_the_waiting(world, admin):
    # R-GR5, R-GR7
    user_seat = assignment_create(member=world.user, product=world.product, actor=admin)
    assignment_create(member=world.guest, product=world.product, actor=admin)
    crew = five_members(world)[:3]
    group = group_create(team=world.team, name="Crew", actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    group_members_add(group=group, members=crew, actor=admin)  # 1 seat free: crew[0]; 2 wait
    assert SeatWait.objects.count() == 2

    assignment_delete(assignment=user_seat, actor=admin)
    assert seat_count(crew[1], world.product) == 1
    member_delete(member=world.guest, actor=admin)
    assert seat_count(crew[2], world.product) == 1
    assert not SeatWait.objects.exists()
    assert seats_assigned(world.team, world.product) == 3


def test_seats_added_seat_the_waiting_and_never_more_than_bought(world, admin):
    # R-GR5, R-SE1
    crew = five_members(world)
    group = group_create(team=world.team, name="Crew", actor=admin)
    group_members_add(group=group, members=crew, actor=admin)
    group_product_assign(group=group, product=world.product, actor=admin)
    subscription_add_seats(subscription=world.subscription, seats=1)
    assert seat_count(crew[3], world.product) == 1
    assert seat_count(crew[4], world.product) == 0
    subscription_add_seats(subscription=world.subscription, seats=5)
    assert seats_assigned(world.team, world.product) == 5
    assert not SeatWait.objects.exists()


def test_a_waiting_member_assigned_directly_gets_the_groups_share_without_a_second_seat(world, admin):
    # R-GR3, R-GR5: the waiting member holds the seat now; the group's wait is resolved on it.
    crew = five_members(world)
    group = group_create(team=world.team, name="Crew", actor=admin)
    group_members_add(group=group, members=crew, actor=admin)
    group_product_assign(group=group, product=world.product, items=[world.items[1]], actor=admin)
    group_members_remove(group=group, members=[crew[0]], actor=admin)  # crew[3] seated, crew[4] waits
    world.subscription.seats = 4  # one seat more, written around the services: nobody seated yet
    world.subscription.save()
    assignment_create(member=crew[4], product=world.product, items=[world.items[0]], actor=admin)
    assert seat_count(crew[4], world.product) == 1
    assert codes(crew[4], world.product) == ["cloud-render", "draftpro-desktop"]
    assert not SeatWait.objects.exists()
