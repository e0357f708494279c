"""Undo after "Delete" (issue 22): `member_restore` and the "Undo" button of the messages after a
user's trash icon and By User's bulk delete. The member comes back with their role and guest flag
(admins are never deleted, R-D2), their seats and items (R-D1 undone), their groups and the seats
the groups give (R-GR2, R-GR3, R-GR5), their invitation link; the seat pool is checked again (R-SE1)."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from licensing.accounts.models import Invitation
from licensing.accounts.services import invitation_for_token, invitation_send
from licensing.activity.models import ActivityEvent
from licensing.groups.models import GroupMember, SeatWait
from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from licensing.subscriptions.views import ALREADY_UNDONE, UNDO_INVALID
from licensing.teams.models import Member
from licensing.teams.services import (
    RESTORE_MEMBER_AGAIN,
    MemberSnapshot,
    member_delete,
    member_restore,
)
from licensing.teams.views import UNDO_DELETE
from portal.undo import undo_sign
from tests.factories import MemberFactory, ProductFactory, SubscriptionFactory
from tests.undo import undo_of, without_undo

Action = ActivityEvent.Action


def deleted(member, actor) -> MemberSnapshot:
    snapshots = []
    member_delete(member=member, actor=actor, snapshot=snapshots)
    [snapshot] = snapshots
    return snapshot


def seat(member_id, product):
    return Assignment.objects.filter(member_id=member_id, product=product).first()


def codes(assignment, direct=False) -> list[str]:
    return sorted((assignment.direct_items if direct else assignment.items).values_list("code", flat=True))


@pytest.fixture
def render(world):
    """A second product, RenderFarm, with 1 seat in Design, given by the group "Engineers"."""
    product = ProductFactory(code="renderfarm", name="RenderFarm")
    SubscriptionFactory(team=world.team, product=product, seats=1)
    return product


# --- The service ----------------------------------------------------------------------------------


def test_undo_of_a_delete_restores_role_guest_items_and_groups_without_mail(world, render, mailoutbox):
    # R-D1 undone; R-D2: a user or a guest (admins are never deleted); R-GR2: the group's seat through the group.
    admin = world.primary.user
    guest = world.guest
    assignment_create(member=guest, product=world.product, items=world.items[1:], actor=admin)
    group = group_create(team=world.team, name="Engineers", actor=admin)
    group_members_add(group=group, members=[guest], actor=admin)
    group_product_assign(group=group, product=render, actor=admin)
    joined = GroupMember.objects.get(member=guest).joined_at
    before_seat = seat(guest.pk, world.product)
    snapshot = deleted(guest, admin)
    assert not Member.objects.filter(pk=guest.pk).exists()
    sent = len(mailoutbox)

    result = member_restore(team=world.team, snapshot=snapshot, actor=world.secondary.user)

    assert (result.restored, result.already, result.refused, result.seats_refused) == (True, False, "", [])
    back = Member.objects.get(pk=guest.pk)
    assert (back.team, back.user, back.role, back.is_guest, back.status) == (
        world.team,
        guest.user,
        Member.Role.USER,
        True,
        Member.Status.ACTIVE,
    )
    assert back.accepted_at == guest.accepted_at
    direct = seat(guest.pk, world.product)
    assert (direct.pk, direct.assigned_at, direct.direct, codes(direct)) == (
        before_seat.pk,
        before_seat.assigned_at,
        True,
        ["cloud-render"],
    )
    assert GroupMember.objects.get(member=back).joined_at == joined  # their place in the group's order (R-GR5)
    through_group = seat(guest.pk, render)
    assert not through_group.direct
    assert list(through_group.grants.values_list("group__name", flat=True)) == ["Engineers"]
    actions = list(
        ActivityEvent.objects.filter(pk__gt=0, actor=world.secondary.user)
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        Action.ASSIGNMENT_RESTORED,
        Action.MEMBER_RESTORED,
        Action.GROUP_MEMBER_ADDED,
        Action.PRODUCT_ASSIGNED,
    ]
    restored = ActivityEvent.objects.get(action=Action.MEMBER_RESTORED)
    assert restored.after == {
        "role": "user",
        "guest": True,
        "status": "active",
        "products": ["DraftPro"],
        "group": "Engineers",
    }
    assert len(mailoutbox) == sent  # no mail: they get back what they had minutes ago


def test_undo_of_a_shared_seat_keeps_one_seat_with_the_direct_items(world):
    # R-GR3: one seat per member and product, the direct items apart, the group's added.
    admin = world.primary.user
    assignment_create(member=world.user, product=world.product, items=world.items[:1], actor=admin)
    group = group_create(team=world.team, name="Engineers", actor=admin)
    group_members_add(group=group, members=[world.user], actor=admin)
    group_product_assign(group=group, product=world.product, items=world.items[1:], actor=admin)
    snapshot = deleted(world.user, admin)

    member_restore(team=world.team, snapshot=snapshot, actor=admin)

    assert Assignment.objects.filter(member_id=world.user.pk, product=world.product).count() == 1
    held = seat(world.user.pk, world.product)
    assert held.direct
    assert codes(held, direct=True) == ["draftpro-desktop"]
    assert codes(held) == ["cloud-render", "draftpro-desktop"]


def test_undo_of_an_invited_user_makes_their_invitation_link_work_again_without_a_new_mail(world, mailoutbox):
    # R-U4: the link mailed before the delete works again; no fresh invitation is sent.
    invitation_send(member=world.invited, actor=world.primary.user)
    raw = next(line for line in mailoutbox[-1].body.splitlines() if "/invitations/" in line).rsplit("/", 2)[1]
    snapshot = deleted(world.invited, world.primary.user)
    sent = len(mailoutbox)

    member_restore(team=world.team, snapshot=snapshot, actor=world.primary.user)

    back = Member.objects.get(pk=world.invited.pk)
    assert back.status == Member.Status.INVITED
    assert (back.invited_first_name, back.invited_last_name) == (
        world.invited.invited_first_name,
        world.invited.invited_last_name,
    )
    assert invitation_for_token(raw).member == back
    assert Invitation.objects.filter(member=back).count() == 1
    assert len(mailoutbox) == sent


def test_undo_twice_restores_once(world):
    admin = world.primary.user
    assignment_create(member=world.user, product=world.product, actor=admin)
    snapshot = deleted(world.user, admin)
    member_restore(team=world.team, snapshot=snapshot, actor=admin)
    again = member_restore(team=world.team, snapshot=snapshot, actor=admin)
    assert (again.restored, again.already) == (False, True)
    assert Assignment.objects.filter(member_id=world.user.pk).count() == 1
    assert ActivityEvent.objects.filter(action=Action.MEMBER_RESTORED).count() == 1


def test_undo_restores_the_member_but_not_a_seat_taken_meanwhile(world):
    # R-SE1 checked again: 3 seats, 3 held after the delete.
    admin = world.primary.user
    assignment_create(member=world.user, product=world.product, actor=admin)
    snapshot = deleted(world.user, admin)
    for member in (world.guest, world.secondary, world.primary):
        assignment_create(member=member, product=world.product, actor=admin)

    result = member_restore(team=world.team, snapshot=snapshot, actor=admin)

    assert result.restored
    [(who, why)] = result.seats_refused
    assert who == f"{world.user.name} – DraftPro"
    assert "taken meanwhile" in why
    assert Member.objects.filter(pk=world.user.pk).exists()
    assert seat(world.user.pk, world.product) is None
    assert ActivityEvent.objects.get(action=Action.MEMBER_RESTORED).after["products"] == []


def test_a_group_seat_waits_when_the_pool_is_full(world, render):
    # R-GR5: the group's seat comes back through the group: waiting, as a newcomer would.
    admin = world.primary.user
    group = group_create(team=world.team, name="Engineers", actor=admin)
    group_members_add(group=group, members=[world.user], actor=admin)
    group_product_assign(group=group, product=render, actor=admin)
    snapshot = deleted(world.user, admin)
    assignment_create(member=world.guest, product=render, actor=admin)  # the only seat

    member_restore(team=world.team, snapshot=snapshot, actor=admin)

    assert seat(world.user.pk, render) is None
    assert SeatWait.objects.filter(member_id=world.user.pk, product=render, group=group).exists()


def test_undo_refuses_a_person_invited_again_meanwhile(world):
    admin = world.primary.user
    snapshot = deleted(world.user, admin)
    MemberFactory(team=world.team, user=world.user.user)
    result = member_restore(team=world.team, snapshot=snapshot, actor=admin)
    assert result.refused == str(RESTORE_MEMBER_AGAIN % {"name": snapshot.name})
    assert not Member.objects.filter(pk=world.user.pk).exists()


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_team_undo_a_delete(world, persona):
    snapshot = deleted(world.user, world.primary.user)
    with pytest.raises(PermissionDenied):
        member_restore(team=world.team, snapshot=snapshot, actor=getattr(world, persona).user)
    assert not Member.objects.filter(pk=world.user.pk).exists()


def test_a_snapshot_reads_back_and_never_names_an_admin(world):
    # R-D2: admins are never deleted, so a snapshot naming one is no snapshot.
    snapshot = deleted(world.user, world.primary.user)
    assert MemberSnapshot.from_data(snapshot.to_data()) == snapshot
    for bad in ({}, None, {**snapshot.to_data(), "role": "primary_admin"}, {**snapshot.to_data(), "invited_at": "x"}):
        with pytest.raises(ValueError, match="not a member snapshot"):
            MemberSnapshot.from_data(bad)


# --- The "Undo" button ------------------------------------------------------------------------------


def messages_of(response):
    """The messages of `response`, read once: the next request starts without them."""
    said = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return said


def test_the_message_after_a_delete_has_undo_which_restores(client, world):
    # R-D1 undone from the trash icon's message.
    assignment_create(member=world.user, product=world.product, items=world.items[:1], actor=world.primary.user)
    client.force_login(world.secondary.user)
    url = reverse("teams:member-delete", kwargs={"team_id": world.team.pk, "member_id": world.user.pk})
    [(level, message)] = messages_of(client.post(url))
    assert level == "success"
    assert without_undo(message) == f"{world.user.name} is deleted from Design."
    undo_url, token = undo_of(message)
    assert undo_url == reverse("teams:members-restore", kwargs={"team_id": world.team.pk})

    response = client.post(undo_url, {"token": token})

    assert response.url == reverse("teams:member-list", kwargs={"team_id": world.team.pk})
    assert messages_of(response) == [("success", f"1 restored: {world.user.name}.")]
    assert codes(seat(world.user.pk, world.product)) == ["draftpro-desktop"]
    assert messages_of(client.post(undo_url, {"token": token})) == [("info", str(ALREADY_UNDONE))]


def test_the_bulk_delete_has_undo_for_everyone_deleted(client, world):
    # By User › bulk delete (R-D1), confirmed; the admin in the selection was not deleted (R-D2).
    client.force_login(world.primary.user)
    data = {"members": [world.user.pk, world.guest.pk, world.secondary.pk], "action": "delete", "confirm": "True"}
    [(level, message)] = messages_of(client.post(reverse("teams:member-bulk", kwargs={"team_id": world.team.pk}), data))
    assert level == "warning"
    undo_url, token = undo_of(message)
    response = client.post(undo_url, {"token": token})
    [(level, said)] = messages_of(response)
    assert level == "success"
    assert said.startswith("2 restored: ")
    assert sorted(said.removeprefix("2 restored: ").removesuffix(".").split(", ")) == sorted(
        [world.user.name, world.guest.name]
    )
    assert Member.objects.filter(pk__in=[world.user.pk, world.guest.pk]).count() == 2
    assert Member.objects.get(pk=world.guest.pk).is_guest


def test_a_delete_token_cannot_be_used_in_another_team(client, world):
    # SPEC §2: the primary admin of Design and Engineering cannot carry Design's undo to Engineering.
    snapshot = deleted(world.user, world.primary.user)
    token = undo_sign(UNDO_DELETE, {"team": world.team.pk, "members": [snapshot.to_data()], "back": "/"})
    client.force_login(world.primary.user)
    other = reverse("teams:members-restore", kwargs={"team_id": world.other_team.pk})
    assert messages_of(client.post(other, {"token": token})) == [("error", str(UNDO_INVALID))]
    client.force_login(world.outsider.user)
    own = reverse("teams:members-restore", kwargs={"team_id": world.team.pk})
    assert client.post(own, {"token": token}).status_code == 404
    assert not Member.objects.filter(pk=world.user.pk).exists()
