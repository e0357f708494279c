"""The "Change role" dialog (R-SA1, R-PA1..R-PA3, R-G2, R-G3): who may open and save it, its
second step "Reassign primary admin", the choices the rules forbid, and each refusal shown in the
dialog, never a 500."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from licensing.activity.models import ActivityEvent
from licensing.teams.models import Member
from licensing.teams.services import (
    ADMIN_CANNOT_BE_GUEST,
    ONLY_SECONDARY_CAN_BECOME_PRIMARY,
    PRIMARY_ADMIN_NEEDED,
)
from tests.teams.test_member_views import ALLOWED, DENIED, give_names, member_url, sign_in

PRIMARY, SECONDARY, USER = Member.Role.PRIMARY_ADMIN, Member.Role.SECONDARY_ADMIN, Member.Role.USER
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def named(world):
    return give_names(world)


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def state(member) -> tuple[str, bool]:
    member.refresh_from_db()
    return member.role, member.is_guest


def role_url(member) -> str:
    return member_url("member-role", member)


def text(response) -> str:
    return response.content.decode()


# --- Who may open and save it ------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_role_dialog_is_only_for_the_teams_admins(client, world, persona, status):
    # R-U1
    sign_in(client, world, persona)
    assert client.get(role_url(world.user)).status_code == status


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_change_a_role(client, world, persona, status):
    # R-SA1
    sign_in(client, world, persona)
    response = client.post(role_url(world.user), {"role": SECONDARY})
    assert response.status_code == status
    assert state(world.user) == (USER, False)


@pytest.mark.parametrize("persona", [*ALLOWED, "staff"])
def test_primary_and_secondary_admins_and_support_open_the_role_dialog(client, world, persona):
    sign_in(client, world, persona)
    response = client.get(role_url(world.user))
    assert response.status_code == 200
    assert "This is a guest user" in text(response)


def test_with_htmx_the_dialog_comes_alone(client, world):
    sign_in(client, world, "primary")
    response = client.get(role_url(world.user), **HTMX)
    assert response.status_code == 200
    assert text(response).lstrip().startswith("<form")
    assert "<html" not in text(response)
    assert 'data-bs-dismiss="modal"' in text(response)


# --- Secondary admins (R-SA1) ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_an_admin_makes_a_user_secondary_admin(client, named, persona):
    # R-SA1
    sign_in(client, named, persona)
    response = client.post(role_url(named.user), {"role": SECONDARY}, follow=True)
    assert state(named.user) == (SECONDARY, False)
    assert response.redirect_chain[-1][0] == member_url("member-detail", named.user)
    assert "David de Jong is now a secondary admin." in text(response)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.ROLE_CHANGED)
    assert (event.before, event.after, event.actor) == (
        {"role": USER},
        {"role": SECONDARY},
        getattr(named, persona).user,
    )


def test_a_team_can_have_any_number_of_secondary_admins(client, world):
    # R-SA1
    sign_in(client, world, "secondary")
    for member in (world.user, world.invited):
        client.post(role_url(member), {"role": SECONDARY})
    assert world.team.members.filter(role=SECONDARY).count() == 3


def test_saving_with_htmx_answers_with_a_redirect_for_htmx(client, world):
    sign_in(client, world, "primary")
    response = client.post(role_url(world.user), {"role": SECONDARY}, **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == member_url("member-detail", world.user)


def test_a_secondary_admin_becomes_a_user_again(client, named):
    sign_in(client, named, "primary")
    response = client.post(role_url(named.secondary), {"role": USER}, follow=True)
    assert state(named.secondary) == (USER, False)
    assert "Anna Bakker is now a user." in text(response)


def test_an_admin_who_makes_themselves_a_user_goes_home(client, named):
    sign_in(client, named, "secondary")
    response = client.post(role_url(named.secondary), {"role": USER}, follow=True)
    assert state(named.secondary) == (USER, False)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "You are no longer an admin of Design." in text(response)


def test_saving_without_a_change_says_so(client, named):
    sign_in(client, named, "primary")
    response = client.post(role_url(named.user), {"role": USER}, follow=True)
    assert "Nothing changed." in text(response)
    assert not ActivityEvent.objects.exists()


# --- Primary admin (R-PA1..R-PA3) ------------------------------------------------------------------


def test_choosing_primary_admin_asks_to_confirm_first(client, named):
    # R-PA2: "Save" leads to "Reassign primary admin", and nothing changes before it.
    sign_in(client, named, "primary")
    response = client.post(role_url(named.secondary), {"role": PRIMARY}, **HTMX)
    assert response.status_code == 200
    html = text(response)
    assert "Reassign primary admin" in html
    assert "<strong>Anna Bakker</strong> becomes the primary admin of Design." in html
    assert "<strong>Jan de Vries</strong>, the primary admin now, becomes a secondary admin." in html
    assert 'name="confirm" value="True"' in html
    assert state(named.secondary) == (SECONDARY, False)
    assert state(named.primary) == (PRIMARY, False)


@pytest.mark.parametrize("persona", ALLOWED)
def test_reassigning_the_primary_admin_makes_the_former_one_secondary(client, named, persona):
    # R-PA2, R-PA3
    sign_in(client, named, persona)
    response = client.post(role_url(named.secondary), {"role": PRIMARY, "confirm": "True"}, follow=True)
    assert state(named.secondary) == (PRIMARY, False)
    assert state(named.primary) == (SECONDARY, False)
    assert "Anna Bakker is now the primary admin of Design. Jan de Vries is now a secondary admin." in text(response)
    changes = ActivityEvent.objects.filter(action=ActivityEvent.Action.ROLE_CHANGED).order_by("pk")
    assert [(e.target_user, e.after) for e in changes] == [
        (named.primary.user, {"role": SECONDARY}),
        (named.secondary.user, {"role": PRIMARY}),
    ]


def test_the_confirmation_works_without_javascript(client, named):
    # R-PA2: the second step is a page with the same form when the request is not htmx.
    sign_in(client, named, "primary")
    step = client.post(role_url(named.secondary), {"role": PRIMARY})
    assert step.status_code == 200
    assert "<html" in text(step)
    assert f'<form class="modal-content" method="post" action="{role_url(named.secondary)}"' in text(step)
    response = client.post(role_url(named.secondary), {"role": PRIMARY, "confirm": "True"})
    assert response.status_code == 302
    assert state(named.secondary) == (PRIMARY, False)


def test_only_a_secondary_admin_can_become_primary_admin(client, named):
    # R-PA2
    sign_in(client, named, "primary")
    form = text(client.get(role_url(named.user)))
    reason = escape(ONLY_SECONDARY_CAN_BECOME_PRIMARY % {"name": "David de Jong"})
    assert 'value="primary_admin" disabled' in form
    assert reason in form
    # Sent anyway (confirmed or not), it is refused in the dialog.
    for data in ({"role": PRIMARY}, {"role": PRIMARY, "confirm": "True"}):
        response = client.post(role_url(named.user), data)
        assert response.status_code == 200
        assert reason in text(response)
    assert state(named.user) == (USER, False)
    assert state(named.primary) == (PRIMARY, False)


def test_the_primary_admins_role_changes_only_by_naming_another(client, named):
    # R-PA1
    sign_in(client, named, "secondary")
    form = text(client.get(role_url(named.primary)))
    reason = escape(PRIMARY_ADMIN_NEEDED % {"name": "Jan de Vries"})
    assert 'value="user" disabled' in form
    assert 'value="secondary_admin" disabled' in form
    assert 'value="primary_admin" checked' in form
    assert 'id="id_is_guest" disabled' in form
    assert reason in form
    for role in (USER, SECONDARY):
        response = client.post(role_url(named.primary), {"role": role})
        assert response.status_code == 200
        assert reason in text(response)
    assert state(named.primary) == (PRIMARY, False)


def test_the_secondary_admins_dialog_offers_every_role(client, named):
    sign_in(client, named, "primary")
    form = text(client.get(role_url(named.secondary)))
    assert 'value="primary_admin" disabled' not in form
    assert 'value="user" disabled' not in form
    assert 'value="secondary_admin" checked' in form


# --- Guests (R-G2, R-G3) -----------------------------------------------------------------------------


def test_an_admin_marks_and_unmarks_a_guest(client, named):
    # R-G2
    sign_in(client, named, "primary")
    response = client.post(role_url(named.user), {"role": USER, "is_guest": "on"}, follow=True)
    assert state(named.user) == (USER, True)
    assert "David de Jong is now a guest." in text(response)
    assert 'id="id_is_guest" checked' in text(client.get(role_url(named.user)))

    response = client.post(role_url(named.user), {"role": USER}, follow=True)
    assert state(named.user) == (USER, False)
    assert "David de Jong is no longer a guest." in text(response)
    changes = ActivityEvent.objects.filter(action=ActivityEvent.Action.GUEST_CHANGED).order_by("pk")
    assert [e.after for e in changes] == [{"guest": True}, {"guest": False}]


def test_an_admin_cannot_be_made_a_guest(client, named):
    # R-G3
    sign_in(client, named, "primary")
    response = client.post(role_url(named.secondary), {"role": SECONDARY, "is_guest": "on"})
    assert response.status_code == 200
    assert escape(str(ADMIN_CANNOT_BE_GUEST)) in text(response)
    assert state(named.secondary) == (SECONDARY, False)


def test_a_guest_cannot_become_an_admin_and_stay_a_guest(client, named):
    # R-G3: refused whole, not half done.
    sign_in(client, named, "primary")
    response = client.post(role_url(named.guest), {"role": SECONDARY, "is_guest": "on"})
    assert escape(str(ADMIN_CANNOT_BE_GUEST)) in text(response)
    assert state(named.guest) == (USER, True)
    # The form keeps what was chosen.
    assert 'value="secondary_admin" checked' in text(response)
    assert 'id="id_is_guest" checked' in text(response)


def test_a_guest_unticked_becomes_an_admin_in_one_save(client, named):
    # R-G2, R-G3, R-SA1
    sign_in(client, named, "primary")
    response = client.post(role_url(named.guest), {"role": SECONDARY}, follow=True)
    assert state(named.guest) == (SECONDARY, False)
    assert "Gerrit Gast is now a secondary admin. Gerrit Gast is no longer a guest." in text(response)


def test_a_secondary_admin_becomes_a_guest_user_in_one_save(client, named):
    # R-G2
    sign_in(client, named, "primary")
    client.post(role_url(named.secondary), {"role": USER, "is_guest": "on"})
    assert state(named.secondary) == (USER, True)


def test_an_invalid_role_is_a_form_error(client, named):
    sign_in(client, named, "primary")
    response = client.post(role_url(named.user), {"role": "emperor"})
    assert response.status_code == 200
    assert "Select a valid choice." in text(response)
    assert state(named.user) == (USER, False)
