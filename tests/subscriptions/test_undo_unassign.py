"""Undo after "Unassign" (issue 22): `assignment_restore` and the "Undo" button of the messages after
an unassign on a user's page, a product's page and By User's bulk "Unassign" (Seat Usage's are in
tests/reports/test_seat_usage_views.py). Every rule is checked again when undoing: the admin's rights
now (R-SA2), the seat pool (R-SE1), the groups' seats (R-GR3, R-GR4)."""

import re
import time
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from licensing.activity.models import ActivityEvent
from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import (
    SeatSnapshot,
    assignment_create,
    assignment_delete,
    assignment_restore,
)
from licensing.subscriptions.views import ALREADY_UNDONE, UNDO_EXPIRED, UNDO_INVALID, UNDO_UNASSIGN
from licensing.teams.services import RESTORE_MEMBER_GONE, member_delete
from portal.undo import UNDO_MAX_AGE, undo_sign
from tests.undo import undo_of, without_undo

Action = ActivityEvent.Action


def seat(member, product):
    return Assignment.objects.filter(member=member, product=product).first()


def items_of(assignment, direct=False) -> list[str]:
    return sorted((assignment.direct_items if direct else assignment.items).values_list("code", flat=True))


def restored_events():
    return list(ActivityEvent.objects.filter(action=Action.ASSIGNMENT_RESTORED).order_by("pk"))


# --- The service ----------------------------------------------------------------------------------


def test_undo_restores_the_seat_with_its_items_its_place_and_no_mail(world, mailoutbox):
    # R-P4, R-BP2 undone: the same items, the same id and moment (its place in the pool's order, R-SE1).
    admin = world.primary.user
    before = assignment_create(member=world.user, product=world.product, items=world.items[:1], actor=admin)
    snapshot = assignment_delete(assignment=before, actor=admin)
    sent = len(mailoutbox)

    result = assignment_restore(team=world.team, seats=[snapshot], actor=world.secondary.user)

    assert result.restored == [f"{world.user.name} – DraftPro"]
    assert not result.refused
    assert not result.already
    after = seat(world.user, world.product)
    assert (after.pk, after.assigned_at, after.assigned_by, after.direct) == (
        before.pk,
        before.assigned_at,
        admin,
        True,
    )
    assert items_of(after) == ["draftpro-desktop"]
    [event] = restored_events()
    assert (event.actor, event.target_user, event.product, event.after) == (
        world.secondary.user,
        world.user.user,
        world.product,
        {"items": ["draftpro-desktop"]},
    )
    assert len(mailoutbox) == sent  # nothing mailed: they had it minutes ago


def test_undo_twice_restores_once(world):
    # A second "Undo" finds the seat there and does nothing twice.
    admin = world.primary.user
    snapshot = assignment_delete(
        assignment=assignment_create(member=world.user, product=world.product, actor=admin), actor=admin
    )
    assignment_restore(team=world.team, seats=[snapshot], actor=admin)
    again = assignment_restore(team=world.team, seats=[snapshot], actor=admin)
    assert (again.restored, again.already, again.refused) == ([], [f"{world.user.name} – DraftPro"], [])
    assert Assignment.objects.filter(member=world.user, product=world.product).count() == 1
    assert len(restored_events()) == 1


def test_undo_after_the_seat_was_taken_refuses_that_seat_and_restores_the_rest(world):
    # R-SE1 checked again: 3 seats; two unassigned, one taken meanwhile by another member.
    admin = world.primary.user
    for member in (world.user, world.guest, world.secondary):
        assignment_create(member=member, product=world.product, actor=admin)
    snapshots = [assignment_delete(assignment=seat(m, world.product), actor=admin) for m in (world.user, world.guest)]
    assignment_create(member=world.primary, product=world.product, actor=admin)  # 2 of 3 held: one free

    result = assignment_restore(team=world.team, seats=snapshots, actor=admin)

    assert result.restored == [f"{world.user.name} – DraftPro"]
    [(who, why)] = result.refused
    assert who == f"{world.guest.name} – DraftPro"
    assert "taken meanwhile" in why
    assert "all 3 seats of DraftPro" in why
    assert seat(world.user, world.product) is not None
    assert seat(world.guest, world.product) is None
    assert Assignment.objects.filter(team=world.team, product=world.product).count() == 3


def test_undo_gives_back_the_direct_part_of_a_seat_a_group_shares(world):
    # R-GR3, R-GR4: "Unassign" took the direct part only; "Undo" makes it direct again with its items.
    admin = world.primary.user
    assignment_create(member=world.user, product=world.product, items=world.items[:1], actor=admin)
    group = group_create(team=world.team, name="Engineering", actor=admin)
    group_members_add(group=group, members=[world.user], actor=admin)
    group_product_assign(group=group, product=world.product, items=world.items[1:], actor=admin)
    snapshot = assignment_delete(assignment=seat(world.user, world.product), actor=admin)
    assert not seat(world.user, world.product).direct

    result = assignment_restore(team=world.team, seats=[snapshot], actor=admin)

    assert result.restored == [f"{world.user.name} – DraftPro"]
    held = seat(world.user, world.product)
    assert held.direct
    assert items_of(held, direct=True) == ["draftpro-desktop"]
    assert items_of(held) == ["cloud-render", "draftpro-desktop"]  # the union with the group's (R-GR3)
    assert Assignment.objects.filter(member=world.user, product=world.product).count() == 1


def test_undo_refuses_the_seat_of_a_member_deleted_meanwhile(world):
    # R-D1: the member is gone, and their seat cannot come back without them.
    admin = world.primary.user
    snapshot = assignment_delete(
        assignment=assignment_create(member=world.user, product=world.product, actor=admin), actor=admin
    )
    name = world.user.name
    member_delete(member=world.user, actor=admin)
    result = assignment_restore(team=world.team, seats=[snapshot], actor=admin)
    assert result.refused == [(f"{name} – DraftPro", str(RESTORE_MEMBER_GONE % {"name": name}))]
    assert not restored_events()


@pytest.mark.parametrize("persona", ["user", "guest", "outsider"])
def test_only_admins_of_the_team_undo(world, persona):
    # R-SA2: the rights of now, not of the moment of the unassign.
    admin = world.primary.user
    snapshot = assignment_delete(
        assignment=assignment_create(member=world.user, product=world.product, actor=admin), actor=admin
    )
    with pytest.raises(PermissionDenied):
        assignment_restore(team=world.team, seats=[snapshot], actor=getattr(world, persona).user)
    assert seat(world.user, world.product) is None


def test_a_snapshot_reads_back_as_it_was_written(world):
    admin = world.primary.user
    snapshot = assignment_delete(
        assignment=assignment_create(member=world.user, product=world.product, actor=admin), actor=admin
    )
    assert SeatSnapshot.from_data(snapshot.to_data()) == snapshot
    for bad in (None, [], ["a"] * 7, [1, 2, "x", 3, [], "not a date", None]):
        with pytest.raises(ValueError, match="not a seat snapshot"):
            SeatSnapshot.from_data(bad)


# --- The "Undo" button ------------------------------------------------------------------------------


def messages_of(response):
    """The messages of `response`, read once: the next request starts without them."""
    said = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    response.client.cookies.pop("messages", None)
    return said


def member_page(member):
    return reverse("teams:member-detail", kwargs={"team_id": member.team_id, "member_id": member.pk})


def unassign_on_member_page(client, world, member):
    url = reverse(
        "subscriptions:member-product-unassign",
        kwargs={"team_id": world.team.pk, "member_id": member.pk, "product_id": world.product.pk},
    )
    [(level, message)] = messages_of(client.post(url))
    assert level == "success"
    return undo_of(message)


def test_the_message_after_unassign_on_a_user_page_has_undo_which_restores(client, world):
    # R-P4 undone from the user's page: a plain form post, back to the user's page.
    assignment_create(member=world.user, product=world.product, items=world.items[1:], actor=world.primary.user)
    client.force_login(world.secondary.user)
    url, token = unassign_on_member_page(client, world, world.user)
    assert url == reverse("subscriptions:assignments-restore", kwargs={"team_id": world.team.pk})
    assert seat(world.user, world.product) is None

    response = client.post(url, {"token": token})

    assert response.status_code == 302
    assert response.url == member_page(world.user)
    assert items_of(seat(world.user, world.product)) == ["cloud-render"]
    assert messages_of(response) == [("success", f"1 restored: {world.user.name} – DraftPro.")]
    # Clicked again: nothing twice.
    response = client.post(url, {"token": token})
    assert messages_of(response) == [("info", str(ALREADY_UNDONE))]
    assert len(restored_events()) == 1


def test_the_message_after_unassign_on_a_product_page_has_undo(client, world):
    # R-BP2 undone, back to the same view of the product's page.
    assignment_create(member=world.user, product=world.product, actor=world.primary.user)
    client.force_login(world.secondary.user)
    url = reverse(
        "subscriptions:product-assignment-unassign",
        kwargs={"team_id": world.team.pk, "product_id": world.product.pk, "member_id": world.user.pk},
    )
    [(_level, message)] = messages_of(client.post(url, {"back": "page=1&sort=name"}))
    undo_url, token = undo_of(message)
    response = client.post(undo_url, {"token": token})
    detail = reverse("subscriptions:product-detail", kwargs={"team_id": world.team.pk, "product_id": world.product.pk})
    assert response.url == f"{detail}?sort=name&page=1"
    assert seat(world.user, world.product) is not None


def test_the_bulk_unassign_of_by_user_has_undo_for_every_seat(client, world):
    # By User › bulk "Unassign" (R-P4) undone at once.
    for member in (world.user, world.guest):
        assignment_create(member=member, product=world.product, actor=world.primary.user)
    client.force_login(world.secondary.user)
    data = {"members": [world.user.pk, world.guest.pk], "action": "unassign", "product": world.product.pk}
    response = client.post(reverse("teams:member-bulk", kwargs={"team_id": world.team.pk}), data)
    [(_level, message)] = messages_of(response)
    assert without_undo(message) == "DraftPro unassigned from 2 users."
    undo_url, token = undo_of(message)
    response = client.post(undo_url, {"token": token})
    assert response.url == reverse("teams:member-list", kwargs={"team_id": world.team.pk})
    assert seat(world.user, world.product) is not None
    assert seat(world.guest, world.product) is not None


def test_undo_after_the_seat_was_taken_says_why_for_that_seat(client, world):
    # R-SE1 through the button: the message names the seat refused and why.
    admin = world.primary.user
    for member in (world.user, world.guest, world.secondary):
        assignment_create(member=member, product=world.product, actor=admin)
    client.force_login(world.secondary.user)
    url, token = unassign_on_member_page(client, world, world.user)
    assignment_create(member=world.primary, product=world.product, actor=admin)  # the seat, taken
    [(level, message)] = messages_of(client.post(url, {"token": token}))
    assert level == "error"
    assert message.startswith(f'1 not restored:<ul class="sk-bulk-refusals"><li>{world.user.name} – DraftPro: ')
    assert "taken meanwhile" in message
    assert seat(world.user, world.product) is None


def test_an_expired_undo_is_refused(client, world):
    # 15 minutes (portal.undo.UNDO_MAX_AGE): after that, nothing is restored.
    admin = world.primary.user
    snapshot = assignment_delete(
        assignment=assignment_create(member=world.user, product=world.product, actor=admin), actor=admin
    )
    with mock.patch("django.core.signing.time.time", return_value=time.time() - UNDO_MAX_AGE - 5):
        token = undo_sign(UNDO_UNASSIGN, {"teams": [[world.team.pk, [snapshot.to_data()]]], "back": "/"})
    client.force_login(world.secondary.user)
    response = client.post(
        reverse("subscriptions:assignments-restore", kwargs={"team_id": world.team.pk}), {"token": token}
    )
    assert response.status_code == 302
    assert messages_of(response) == [("error", str(UNDO_EXPIRED))]
    assert seat(world.user, world.product) is None


@pytest.mark.parametrize(
    "token",
    [
        "",
        "forged",
        "eyJ0ZWFtcyI6W119:1xa9Xl:R7PmXE8vyz4g0qH8kaAz5jovq2OP6nldm4Ak2MF9WAI",  # a made-up signature
    ],
)
def test_a_forged_undo_is_refused(client, world, token):
    client.force_login(world.secondary.user)
    response = client.post(
        reverse("subscriptions:assignments-restore", kwargs={"team_id": world.team.pk}), {"token": token}
    )
    assert response.status_code == 302
    assert messages_of(response) == [("error", str(UNDO_INVALID))]


def test_a_token_of_another_kind_is_refused(client, world):
    # The salt differs per kind: a delete's token is no unassign's.
    token = undo_sign("delete", {"teams": [[world.team.pk, []]], "back": "/"})
    client.force_login(world.secondary.user)
    response = client.post(
        reverse("subscriptions:assignments-restore", kwargs={"team_id": world.team.pk}), {"token": token}
    )
    assert messages_of(response) == [("error", str(UNDO_INVALID))]


def test_an_undo_of_team_a_cannot_be_used_by_the_admin_of_team_b(client, world):
    # SPEC §2: rights hold per team. The outsider posts team A's token: to A's address 404, to their own
    # team's address refused as not theirs; the primary admin of both teams cannot carry it to the other.
    admin = world.primary.user
    assignment_create(member=world.user, product=world.product, actor=admin)
    client.force_login(admin)
    url, token = unassign_on_member_page(client, world, world.user)
    client.force_login(world.outsider.user)
    assert client.post(url, {"token": token}).status_code == 404
    own = reverse("subscriptions:assignments-restore", kwargs={"team_id": world.outsider_team.pk})
    assert messages_of(client.post(own, {"token": token})) == [("error", str(UNDO_INVALID))]
    client.force_login(admin)
    other = reverse("subscriptions:assignments-restore", kwargs={"team_id": world.other_team.pk})
    assert messages_of(client.post(other, {"token": token})) == [("error", str(UNDO_INVALID))]
    client.force_login(world.user.user)
    assert client.post(url, {"token": token}).status_code == 403
    assert seat(world.user, world.product) is None


def test_the_undo_form_posts_with_the_csrf_token(client, world):
    # The form inside the message is a plain form post: it carries its CSRF token.
    assignment_create(member=world.user, product=world.product, actor=world.primary.user)
    client.force_login(world.secondary.user)
    url = reverse(
        "subscriptions:member-product-unassign",
        kwargs={"team_id": world.team.pk, "member_id": world.user.pk, "product_id": world.product.pk},
    )
    response = client.post(url, follow=True)
    page = response.content.decode()
    assert re.search(
        r'<form class="sk-undo-form" method="post" action="[^"]+"><input type="hidden" name="csrfmiddlewaretoken"', page
    )
    assert ">Undo</button>" in page.replace('<i class="bi bi-arrow-counterclockwise" aria-hidden="true"></i> ', "")


def test_undo_goes_back_only_to_an_address_of_the_portal(client, world):
    # The address to come back to is signed; an address elsewhere is not followed all the same.
    admin = world.primary.user
    snapshot = assignment_delete(
        assignment=assignment_create(member=world.user, product=world.product, actor=admin), actor=admin
    )
    token = undo_sign(
        UNDO_UNASSIGN, {"teams": [[world.team.pk, [snapshot.to_data()]]], "back": "https://evil.example/"}
    )
    client.force_login(world.secondary.user)
    response = client.post(
        reverse("subscriptions:assignments-restore", kwargs={"team_id": world.team.pk}), {"token": token}
    )
    assert response.url == reverse("team-home", kwargs={"team_id": world.team.pk})
    assert seat(world.user, world.product) is not None
