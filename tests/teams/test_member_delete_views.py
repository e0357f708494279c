"""Deleting users from By User (R-D1..R-D3) and the bulk actions of the list (delete, assign,
unassign): the confirmation that lists what the person loses, the refusal for admins, and the
summary that explains each refused row."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from licensing.accounts.models import User
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from licensing.teams.services import ADMIN_CANNOT_BE_DELETED
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory
from tests.teams.test_member_views import ALLOWED, DENIED, give_names, invite_pending, list_url, member_url, sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def named(world):
    return give_names(world)


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def delete_url(member) -> str:
    return member_url("member-delete", member)


def bulk_url(team) -> str:
    return reverse("teams:member-bulk", kwargs={"team_id": team.pk})


def text(response) -> str:
    return response.content.decode()


def exists(member) -> bool:
    return Member.objects.filter(pk=member.pk).exists()


def give(member, product, items=()):
    assignment = AssignmentFactory(member=member, product=product)
    assignment.items.set(items)
    return assignment


# --- Who may delete ----------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_delete_dialog_is_only_for_the_teams_admins(client, world, persona, status):
    # R-D1
    sign_in(client, world, persona)
    assert client.get(delete_url(world.user)).status_code == status


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_delete_a_user(client, world, persona, status):
    # R-D1
    sign_in(client, world, persona)
    assert client.post(delete_url(world.user)).status_code == status
    assert exists(world.user)


@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_open_the_delete_dialog(client, world, persona):
    sign_in(client, world, persona)
    assert client.get(delete_url(world.user)).status_code == 200


# --- Deleting one user (R-D1..R-D3) --------------------------------------------------------------


def test_the_confirmation_lists_what_the_person_loses_and_that_the_account_stays(client, named):
    # R-D1, R-D3
    sign_in(client, named, "primary")
    give(named.user, named.product, named.items)
    html = text(client.get(delete_url(named.user), **HTMX))
    assert "Delete David de Jong from Design?" in html
    assert "What David de Jong loses in Design" in html
    assert "DraftPro" in html
    assert "DraftPro desktop" in html
    assert "Cloud rendering" in html
    assert "Their own account stays" in html
    assert "</i> Delete</button>" in html


def test_the_confirmation_says_when_nothing_is_assigned(client, named):
    sign_in(client, named, "primary")
    html = text(client.get(delete_url(named.invited)))
    assert "No products or services are assigned to Ilse Nieuw in this team." in html
    assert "the invitation link stops working" in html


@pytest.mark.parametrize("persona", ALLOWED)
def test_deleting_removes_the_member_and_every_assignment_but_keeps_the_account(client, named, persona):
    # R-D1
    sign_in(client, named, persona)
    give(named.user, named.product, named.items)
    elsewhere = MemberFactory(team=named.other_team, user=named.user.user)
    response = client.post(delete_url(named.user), follow=True)
    assert response.redirect_chain[-1][0] == list_url(named.team)
    assert "David de Jong is deleted from Design." in text(response)
    assert not exists(named.user)
    assert not Assignment.objects.filter(member_id=named.user.pk).exists()
    assert User.objects.filter(pk=named.user.user_id).exists()
    assert exists(elsewhere)
    deleted = ActivityEvent.objects.get(action=ActivityEvent.Action.MEMBER_DELETED)
    assert deleted.before["products"] == ["DraftPro"]
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED).count() == 1


def test_deleting_with_htmx_answers_with_a_redirect_for_htmx(client, world):
    sign_in(client, world, "primary")
    response = client.post(delete_url(world.guest), **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == list_url(world.team)
    assert not exists(world.guest)


@pytest.mark.parametrize("admin", ["primary", "secondary"])
def test_an_admin_cannot_be_deleted_until_their_role_is_changed(client, named, admin):
    # R-D2: the dialog says so and has no "Delete"; a POST anyway is refused in the dialog.
    sign_in(client, named, "primary" if admin == "secondary" else "secondary")
    member = getattr(named, admin)
    reason = escape(ADMIN_CANNOT_BE_DELETED % {"name": member.user.get_full_name()})
    html = text(client.get(delete_url(member)))
    assert reason in html
    assert "cannot be deleted yet" in html
    assert "</i> Delete</button>" not in html
    assert f'href="{member_url("member-role", member)}"' in html
    response = client.post(delete_url(member))
    assert response.status_code == 200
    assert reason in text(response)
    assert exists(member)
    assert not ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_DELETED).exists()


def test_an_admin_made_a_user_can_then_be_deleted(client, named):
    # R-D2
    sign_in(client, named, "primary")
    client.post(member_url("member-role", named.secondary), {"role": Member.Role.USER})
    client.post(delete_url(named.secondary))
    assert not exists(named.secondary)


def test_the_delete_dialog_is_a_page_without_javascript(client, world):
    sign_in(client, world, "primary")
    html = text(client.get(delete_url(world.user)))
    assert "<html" in html
    assert f'<form class="modal-content" method="post" action="{delete_url(world.user)}"' in html
    assert 'data-bs-dismiss="modal"' not in html


# --- Bulk actions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_use_the_bulk_actions(client, world, persona, status):
    sign_in(client, world, persona)
    data = {"members": [world.guest.pk], "action": "delete", "confirm": "True"}
    assert client.post(bulk_url(world.team), data).status_code == status
    assert exists(world.guest)


def test_the_bulk_actions_take_only_posts(client, world):
    sign_in(client, world, "primary")
    assert client.get(bulk_url(world.team)).status_code == 405


def test_a_bulk_delete_asks_first_and_names_who_will_not_be_deleted(client, named):
    # R-D1, R-D2
    sign_in(client, named, "primary")
    give(named.user, named.product)
    data = {"members": [named.user.pk, named.guest.pk, named.secondary.pk], "action": "delete"}
    response = client.post(bulk_url(named.team), data, **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert "Delete 2 users from Design?" in html
    assert "Not deleted: Secondary admin. Change their role to User first." in html
    assert "DraftPro" in html
    assert "Their own accounts stay" in html
    assert all(exists(m) for m in (named.user, named.guest, named.secondary))


def test_a_bulk_delete_of_only_admins_offers_no_delete(client, named):
    # R-D2
    sign_in(client, named, "primary")
    data = {"members": [named.secondary.pk, named.primary.pk], "action": "delete"}
    html = text(client.post(bulk_url(named.team), data))
    assert "None of the selected users can be deleted." in html
    assert "</i> Delete" not in html


def test_a_confirmed_bulk_delete_deletes_the_users_and_explains_each_refusal(client, named):
    # R-D1, R-D2
    sign_in(client, named, "primary")
    give(named.user, named.product)
    data = {
        "members": [named.user.pk, named.guest.pk, named.invited.pk, named.secondary.pk],
        "action": "delete",
        "confirm": "True",
        "query": "q=e&sort=-name",
    }
    response = client.post(bulk_url(named.team), data, follow=True)
    assert response.redirect_chain[-1][0] == list_url(named.team) + "?q=e&sort=-name"
    html = text(response)
    assert "3 deleted; 1 not deleted:" in html
    assert f"<li>{escape(ADMIN_CANNOT_BE_DELETED % {'name': 'Anna Bakker'})}</li>" in html
    assert "alert-warning" in html
    assert not any(exists(m) for m in (named.user, named.guest, named.invited))
    assert exists(named.secondary)
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_DELETED).count() == 3


def test_a_bulk_assign_assigns_while_seats_last_and_explains_the_rest(client, named):
    # R-SE1: 3 seats, one already held: two more can be assigned.
    sign_in(client, named, "secondary")
    give(named.primary, named.product, named.items)
    members = [named.user, named.guest, named.invited, named.secondary]
    data = {"members": [m.pk for m in members], "action": "assign", "product": named.product.pk}
    response = client.post(bulk_url(named.team), data, follow=True)
    html = text(response)
    assert "DraftPro assigned to 2 users; 2 not assigned:" in html
    assert "All 3 seats of DraftPro in this team are assigned." in html
    assigned = Assignment.objects.filter(member__in=members, product=named.product)
    assert assigned.count() == 2
    # All items (R-P2), and the list's order: Bakker, de Jong.
    assert {a.member for a in assigned} == {named.secondary, named.user}
    assert all(a.items.count() == 2 for a in assigned)
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_ASSIGNED).count() == 2


def test_a_bulk_assign_names_those_who_already_have_it(client, named):
    sign_in(client, named, "primary")
    give(named.user, named.product)
    data = {"members": [named.user.pk, named.guest.pk], "action": "assign", "product": named.product.pk}
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "DraftPro assigned to 1 user; 1 not assigned:" in html
    assert "<li>David de Jong already has DraftPro.</li>" in html


def test_a_bulk_unassign_unassigns_and_names_those_without_the_product(client, named):
    # R-P4
    sign_in(client, named, "primary")
    give(named.user, named.product, named.items)
    give(named.guest, named.product)
    data = {
        "members": [named.user.pk, named.guest.pk, named.invited.pk],
        "action": "unassign",
        "product": named.product.pk,
    }
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "DraftPro unassigned from 2 users; 1 not unassigned:" in html
    assert "<li>Ilse Nieuw does not have DraftPro.</li>" in html
    assert not Assignment.objects.filter(product=named.product).exists()
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED).count() == 2


def test_a_bulk_action_where_everything_works_is_a_success(client, named):
    sign_in(client, named, "primary")
    data = {"members": [named.user.pk], "action": "assign", "product": named.product.pk}
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "DraftPro assigned to 1 user." in html
    assert "alert-success" in html


def test_a_bulk_action_where_nothing_works_is_an_error(client, named):
    sign_in(client, named, "primary")
    data = {"members": [named.secondary.pk], "action": "delete", "confirm": "True"}
    html = text(client.post(bulk_url(named.team), data, follow=True))
    assert "1 not deleted:" in html
    assert "alert-danger" in html


def test_a_bulk_action_needs_a_selection(client, world):
    sign_in(client, world, "primary")
    response = client.post(bulk_url(world.team), {"action": "delete"}, **HTMX)
    assert response.status_code == 200
    assert "Select at least one user." in text(response)


def test_a_bulk_assign_needs_a_product(client, world):
    sign_in(client, world, "primary")
    response = client.post(bulk_url(world.team), {"members": [world.user.pk], "action": "assign"})
    assert "Choose the product to assign or unassign." in text(response)
    assert not Assignment.objects.exists()


def test_a_bulk_action_on_another_teams_member_does_nothing(client, world):
    sign_in(client, world, "primary")
    stranger = MemberFactory(team=world.other_team)
    data = {"members": [world.user.pk, stranger.pk], "action": "delete", "confirm": "True"}
    response = client.post(bulk_url(world.team), data)
    assert response.status_code == 200
    assert "no longer in this team" in text(response)
    assert exists(world.user)
    assert exists(stranger)


def test_a_bulk_assign_of_another_teams_product_is_refused(client, world):
    sign_in(client, world, "primary")
    foreign = ProductFactory()
    AssignmentFactory(member=MemberFactory(team=world.outsider_team), product=foreign)
    data = {"members": [world.user.pk], "action": "assign", "product": foreign.pk}
    response = client.post(bulk_url(world.team), data)
    assert "Select a valid choice." in text(response)
    assert not Assignment.objects.filter(member=world.user).exists()


def test_the_query_posted_back_cannot_send_the_admin_elsewhere(client, world):
    sign_in(client, world, "primary")
    invite_pending(world.invited)
    data = {"members": [world.guest.pk], "action": "delete", "confirm": "True", "query": "//evil.example/?a=b"}
    response = client.post(bulk_url(world.team), data)
    assert response.status_code == 302
    assert response["Location"].startswith(list_url(world.team) + "?")
