""" "Invite users" (R-U2, R-U3, R-U6, R-U7) and "Resend invite" (R-U5) through the portal: who may open
and post each tab, Invite single with and without products, Invite Multiple with bad rows and the
paste box, Import from upload through preview to confirm, and each refusal shown, never a 500."""

import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from mailer.models import Message

from licensing.accounts.forms import ROWS_INITIAL, ROWS_MAX
from licensing.accounts.imports import NOT_CSV_WORKBOOK, PASTE_EMPTY, PASTE_VALUES, PREVIEW_LINES
from licensing.accounts.models import Invitation, User, hash_token
from licensing.accounts.services import (
    ALREADY_MEMBER,
    EMAIL_INVALID,
    FIRST_NAME_REQUIRED,
    INVITATION_REVOKED,
    NOT_INVITED,
    invitation_for_token,
)
from licensing.accounts.views import PASTED_CHECK, PREVIEW_GONE, ROW_ALREADY_MEMBER, ROWS_EMPTY
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import NO_FREE_SEAT
from licensing.teams.models import Member
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SubscriptionFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
DENIED = [("anonymous", 302), ("user", 403), ("guest", 403), ("outsider", 404)]
ALLOWED = ["primary", "secondary", "staff"]
HTMX = {"HTTP_HX_REQUEST": "true"}
DIALOGS = ["member-invite", "invite-multiple", "invite-import", "invite-import-example"]


def sign_in(client, world, persona: str) -> None:
    if persona == "staff":
        client.force_login(world.staff)
    elif persona != "anonymous":
        client.force_login(getattr(world, persona).user)


def url(name: str, team, **kwargs) -> str:
    return reverse(f"accounts:{name}", kwargs={"team_id": team.pk, **kwargs})


def members_url(team) -> str:
    return reverse("teams:member-list", kwargs={"team_id": team.pk})


def text(response) -> str:
    return response.content.decode()


def shown(response, message) -> bool:
    """Whether `message` is on the page, as the template escapes it."""
    return escape(str(message)) in text(response)


def flashed(client) -> list[str]:
    """The messages the next page would show, read from the session's message storage."""
    response = client.get(reverse("my-products"))
    return [str(m) for m in response.context["messages"]]


def rows(*people, total=None) -> dict:
    """The POST data of Invite Multiple with `people` as (first, last, email) rows."""
    data = {"rows-TOTAL_FORMS": str(total or len(people)), "rows-INITIAL_FORMS": "0"}
    for index, (first, last, email) in enumerate(people):
        data |= {f"rows-{index}-first_name": first, f"rows-{index}-last_name": last, f"rows-{index}-email": email}
    return data


def csv_file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def people_csv(count: int, *, start: int = 0, products: str = "") -> bytes:
    lines = ["First name,Last name,Email" + (",Products" if products else "")]
    lines += [
        f"Person,Number {i},person{i}@example.nl" + (f",{products}" if products else "") for i in range(start, count)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def admin(client, world):
    client.force_login(world.primary.user)
    return world


def written(world) -> tuple[int, int, int, int]:
    return (User.objects.count(), Member.objects.count(), Invitation.objects.count(), Message.objects.count())


# --- Who may open and post ----------------------------------------------------------------------


@pytest.mark.parametrize("name", DIALOGS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_invite_dialogs_are_only_for_the_teams_admins(client, world, name, persona, status):
    # R-U1: anonymous to sign-in, members 403, other teams' admins 404
    sign_in(client, world, persona)
    response = client.get(url(name, world.team))
    assert response.status_code == status
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", DIALOGS)
@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_and_support_open_every_tab(client, world, name, persona):
    sign_in(client, world, persona)
    assert client.get(url(name, world.team)).status_code == 200


def test_an_admin_of_one_team_cannot_invite_into_another(client, world):
    client.force_login(world.outsider.user)
    assert client.get(url("member-invite", world.team)).status_code == 404
    client.force_login(world.primary.user)
    assert client.get(url("member-invite", world.outsider_team)).status_code == 404


POSTS = {
    "member-invite": lambda world: {"first_name": "David", "last_name": "de Jong", "email": "david@example.nl"},
    "invite-multiple": lambda world: rows(("David", "de Jong", "david@example.nl")),
    "invite-import": lambda world: {"file": csv_file("people.csv", people_csv(1))},
    "invite-import-confirm": lambda world: {"import_id": "x"},
}


@pytest.mark.parametrize("name", POSTS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_invite(client, world, name, persona, status):
    sign_in(client, world, persona)
    before = written(world)
    response = client.post(url(name, world.team), POSTS[name](world))
    assert response.status_code == status
    assert written(world) == before


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_resend_an_invite(client, world, persona, status):
    sign_in(client, world, persona)
    response = client.post(url("invitation-resend", world.team, member_id=world.invited.pk))
    assert response.status_code == status
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_and_support_invite(client, world, persona):
    sign_in(client, world, persona)
    response = client.post(url("member-invite", world.team), POSTS["member-invite"](world))
    assert response.status_code == 302
    assert Member.objects.get(team=world.team, user__email="david@example.nl").status == Member.Status.INVITED


def test_resend_and_confirm_are_post_only(admin, client):
    assert client.get(url("invitation-resend", admin.team, member_id=admin.invited.pk)).status_code == 405
    assert client.get(url("invite-import-confirm", admin.team)).status_code == 405


# --- Invite single (R-U2, R-U3) -----------------------------------------------------------------


def test_the_three_tabs_link_to_each_other_and_work_without_javascript(admin, client):
    html = text(client.get(url("member-invite", admin.team)))
    for name in ("member-invite", "invite-multiple", "invite-import"):
        assert f'href="{url(name, admin.team)}"' in html
    # As a page, the tabs and the form are plain links and posts (htmx would swap them into the
    # hidden dialog); in the dialog, they swap its content.
    assert 'hx-target="#sk-dialog-content"' not in html
    dialog = text(client.get(url("member-invite", admin.team), **HTMX))
    for name in ("member-invite", "invite-multiple", "invite-import"):
        assert f'href="{url(name, admin.team)}" hx-get="{url(name, admin.team)}"' in dialog
    assert 'aria-current="page"><i class="bi bi-person-plus" aria-hidden="true"></i> Invite single' in html
    assert "<html" in html  # without htmx, the dialog is a page


def test_with_htmx_the_dialog_comes_alone(admin, client):
    response = client.get(url("member-invite", admin.team), **HTMX)
    assert text(response).lstrip().startswith("<form")
    assert "<html" not in text(response)


def test_invite_single_sends_the_invitation_and_goes_back_to_by_user(
    admin, client, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U2, R-U3: status Invited, no products
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("member-invite", admin.team),
            {"first_name": " David ", "last_name": "de Jong", "email": "David@Example.nl"},
        )
    assert response.status_code == 302
    assert response.url == members_url(admin.team)
    member = Member.objects.select_related("user").get(team=admin.team, user__email="David@example.nl")
    assert (member.status, member.user.get_full_name(), member.invited_by) == (
        Member.Status.INVITED,
        "David de Jong",
        admin.primary.user,
    )
    assert not Assignment.objects.filter(member=member).exists()
    assert [m.to for m in mailoutbox] == [["David@example.nl"]]
    assert "/invitations/" in mailoutbox[0].body
    assert flashed(client) == ["David de Jong is invited."]


def test_with_htmx_a_successful_invite_redirects_the_page(admin, client):
    response = client.post(
        url("member-invite", admin.team),
        {"first_name": "David", "last_name": "de Jong", "email": "d@example.nl"},
        **HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == members_url(admin.team)


def test_invite_single_lists_the_teams_products_with_their_free_seats(admin, client):
    AssignmentFactory(member=admin.user, product=admin.product)
    ended = ProductFactory(name="OldCAD")
    SubscriptionFactory(team=admin.team, product=ended, term_start="2020-01-01", term_end="2020-12-31")
    html = text(client.get(url("member-invite", admin.team)))
    assert f'name="products" value="{admin.product.pk}"' in html
    assert "2 of 3 seats free" in html
    assert "OldCAD" not in html  # no active subscription: nothing to assign

    AssignmentFactory(member=MemberFactory(team=admin.team), product=admin.product)  # a second seat: one left
    assert "1 of 3 seats free" in text(client.get(url("member-invite", admin.team)))  # not "1 of 3 seat free"


def test_invite_single_with_products_assigns_them_at_once(
    admin, client, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U3: products may be assigned while inviting; all items (R-P2); the product mail (R-P3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("member-invite", admin.team),
            {
                "first_name": "David",
                "last_name": "de Jong",
                "email": "david@example.nl",
                "products": [admin.product.pk],
            },
        )
    assert response.status_code == 302
    assignment = Assignment.objects.get(member__user__email="david@example.nl", product=admin.product)
    assert set(assignment.items.all()) == set(admin.items)
    assert sorted(m.subject for m in mailoutbox) == ["DraftPro is ready for you", "You are invited to join Design"]
    assert flashed(client) == ["David de Jong is invited and has DraftPro."]


def test_a_product_without_a_free_seat_is_disabled_and_its_refusal_keeps_what_was_typed(admin, client):
    # R-SE1: the checkbox is disabled; posted anyway (or taken meanwhile), the service refuses and
    # the dialog keeps the names, the address and the choice.
    for member in (admin.user, admin.guest, admin.secondary):
        AssignmentFactory(member=member, product=admin.product)
    html = text(client.get(url("member-invite", admin.team)))
    assert re.search(rf'value="{admin.product.pk}" id="product-\d+" disabled', html)
    assert "No free seats: all 3 are assigned" in html

    response = client.post(
        url("member-invite", admin.team),
        {"first_name": "David", "last_name": "de Jong", "email": "david@example.nl", "products": [admin.product.pk]},
    )
    assert response.status_code == 200
    assert shown(response, NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"})
    assert 'value="David"' in text(response)
    assert 'value="de Jong"' in text(response)
    assert 'value="david@example.nl"' in text(response)
    assert re.search(rf'value="{admin.product.pk}" id="product-\d+" checked', text(response))
    assert not User.objects.with_email("david@example.nl").exists()  # nothing of the invitation is written


def test_invite_single_shows_every_missing_field_in_the_services_words(admin, client):
    response = client.post(url("member-invite", admin.team), {"first_name": "", "last_name": "Bos", "email": "nope"})
    assert response.status_code == 200
    assert shown(response, FIRST_NAME_REQUIRED)
    assert shown(response, EMAIL_INVALID)
    assert 'value="Bos"' in text(response)
    assert Member.objects.filter(team=admin.team).count() == 5


def test_inviting_a_member_again_is_refused_on_the_address(admin, client):
    response = client.post(
        url("member-invite", admin.team), {"first_name": "Uma", "last_name": "User", "email": "USER@example.com"}
    )
    assert response.status_code == 200
    assert shown(response, ALREADY_MEMBER % {"email": "user@example.com"})


def test_inviting_someone_with_an_account_uses_that_account(admin, client):
    # R-U7, R-T5: same address in any case, one account; their other team stays
    other = MemberFactory(user__email="Pieter@Example.com", user__first_name="Pieter", user__last_name="Post")
    users = User.objects.count()
    response = client.post(
        url("member-invite", admin.team), {"first_name": "Piet", "last_name": "Post", "email": "pieter@EXAMPLE.com"}
    )
    assert response.status_code == 302
    assert User.objects.count() == users
    assert Member.objects.filter(user=other.user).count() == 2


def test_the_invite_dialog_runs_a_fixed_number_of_queries(admin, client, django_assert_max_num_queries):
    client.get(url("member-invite", admin.team))  # the shell remembers the team in the session once
    with CaptureQueriesContext(connection) as one_product:
        client.get(url("member-invite", admin.team))
    for i in range(5):
        SubscriptionFactory(team=admin.team, product=ProductFactory(name=f"Product {i}"), seats=2)
    with django_assert_max_num_queries(len(one_product)):
        assert client.get(url("member-invite", admin.team)).status_code == 200


# --- Invite Multiple (R-U6) ---------------------------------------------------------------------


def test_invite_multiple_starts_with_empty_rows_and_a_paste_box(admin, client):
    html = text(client.get(url("invite-multiple", admin.team)))
    assert html.count('name="rows-0-first_name"') == 1
    assert f'name="rows-{ROWS_INITIAL - 1}-email"' in html
    assert f'name="rows-{ROWS_INITIAL}-email"' not in html
    assert 'name="paste"' in html
    assert 'name="action" value="add"' in html


def test_add_row_gives_the_rows_back_with_one_more_and_keeps_what_was_typed(admin, client):
    response = client.post(
        url("invite-multiple", admin.team), {**rows(("Jan", "", ""), ("", "", ""), total=2), "action": "add"}
    )
    html = text(response)
    assert 'name="rows-2-first_name"' in html
    assert 'name="rows-0-first_name" id="id_rows-0-first_name" value="Jan"' in html
    assert "is-invalid" not in html  # a row being typed shows no errors yet
    assert not Member.objects.filter(user__first_name="Jan").exists()


def test_a_row_can_be_removed(admin, client):
    data = rows(
        ("Jan", "Bos", "jan@example.nl"), ("Piet", "Bos", "piet@example.nl"), ("Kees", "Bos", "kees@example.nl")
    )
    html = text(client.post(url("invite-multiple", admin.team), {**data, "action": "remove-1"}))
    assert 'value="Jan"' in html
    assert 'value="Kees"' in html
    assert 'value="Piet"' not in html
    assert 'name="rows-2-first_name"' not in html


def test_invite_multiple_invites_the_good_rows_and_keeps_the_bad_one_with_its_reason(
    admin, client, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U6: a bad row does not cost the others; it stays in the dialog, marked, as typed
    data = rows(
        ("Jan", "de Vries", "jan@example.nl"),
        ("Piet", "Bos", "piet@example"),
        ("", "", ""),
        ("Kees", "Smit", "kees@example.nl"),
        ("Uma", "User", "user@example.com"),
        ("Anna", "Berg", "anna@example.nl"),
        total=7,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invite-multiple", admin.team), {**data, "action": "send"})
    assert response.status_code == 200
    invited = Member.objects.filter(team=admin.team, status=Member.Status.INVITED).exclude(pk=admin.invited.pk)
    assert sorted(m.user.email for m in invited) == ["anna@example.nl", "jan@example.nl", "kees@example.nl"]
    assert sorted(m.to[0] for m in mailoutbox) == ["anna@example.nl", "jan@example.nl", "kees@example.nl"]
    html = text(response)
    assert "3 invited; fix the 2 rows below." in html
    assert shown(response, EMAIL_INVALID)
    assert shown(response, ALREADY_MEMBER % {"email": "user@example.com"})
    assert 'value="piet@example"' in html
    assert 'value="Uma"' in html
    assert 'value="Jan"' not in html  # invited: gone from the dialog
    assert html.count("sk-invite-row-bad") == 2


def test_invite_multiple_with_only_good_rows_goes_back_to_by_user(admin, client):
    data = rows(("Jan", "de Vries", "jan@example.nl"), ("", "", ""), ("Kees", "Smit", "kees@example.nl"))
    response = client.post(url("invite-multiple", admin.team), data)  # Enter in a field: action "send"
    assert response.status_code == 302
    assert response.url == members_url(admin.team)
    assert flashed(client) == ["2 users are invited."]


def test_invite_multiple_without_anyone_says_so(admin, client):
    response = client.post(url("invite-multiple", admin.team), {**rows(("", "", ""), ("", "", "")), "action": "send"})
    assert response.status_code == 200
    assert shown(response, ROWS_EMPTY)


def test_the_same_address_twice_invites_it_once(admin, client):
    data = rows(("Jan", "de Vries", "jan@example.nl"), ("Jan", "Vries", "JAN@example.nl"))
    response = client.post(url("invite-multiple", admin.team), {**data, "action": "send"})
    assert Member.objects.filter(team=admin.team, user__email__iexact="jan@example.nl").count() == 1
    assert shown(response, ALREADY_MEMBER % {"email": "jan@example.nl"})


def test_the_paste_box_fills_the_rows_and_marks_the_bad_ones_in_place(admin, client):
    paste = (
        "Jan, de Vries, jan@example.nl; Piet, piet@example.nl\nUma, User, user@example.com; Kees, Smit, kees@example.nl"
    )
    data = {**rows(("Anna", "Berg", "anna@example.nl"), ("", "", "")), "paste": paste, "action": "paste"}
    response = client.post(url("invite-multiple", admin.team), data)
    assert response.status_code == 200
    html = text(response)
    assert shown(response, PASTED_CHECK)
    values = re.findall(r'name="rows-(\d+)-email" id="[^"]+" value="([^"]*)"', html)
    assert [email for _i, email in values] == [
        "anna@example.nl",  # typed before: kept, first
        "jan@example.nl",
        "",  # "Piet, piet@example.nl": two values, the address landed in Last name
        "user@example.com",
        "kees@example.nl",
    ]
    assert shown(response, PASTE_VALUES % {"count": 2})
    assert shown(response, ROW_ALREADY_MEMBER)
    assert html.count("sk-invite-row-bad") == 2
    assert re.search(r'<textarea[^>]*name="paste"[^>]*></textarea>', html)  # the box is emptied
    assert not Member.objects.filter(user__email="jan@example.nl").exists()  # nothing sent yet


def test_pasted_text_is_checked_in_the_rows_before_anything_is_sent(admin, client):
    data = {**rows(("", "", "")), "paste": "Jan, de Vries, jan@example.nl", "action": "send"}
    response = client.post(url("invite-multiple", admin.team), data)
    assert response.status_code == 200
    assert 'value="jan@example.nl"' in text(response)
    assert not User.objects.with_email("jan@example.nl").exists()


def test_an_empty_paste_says_what_to_paste(admin, client):
    response = client.post(
        url("invite-multiple", admin.team), {**rows(("", "", "")), "paste": " ; ", "action": "paste"}
    )
    assert shown(response, PASTE_EMPTY)


def test_a_tampered_row_count_shows_at_most_the_maximum(admin, client):
    data = {**rows(("Jan", "de Vries", "jan@example.nl")), "rows-TOTAL_FORMS": "100000", "action": "add"}
    html = text(client.post(url("invite-multiple", admin.team), data))
    assert f'name="rows-{ROWS_MAX - 1}-email"' in html
    assert f'name="rows-{ROWS_MAX}-email"' not in html


# --- Import (R-U6, R-U7) ------------------------------------------------------------------------


def upload(client, team, content: bytes, name: str = "people.csv", **extra):
    return client.post(url("invite-import", team), {"file": csv_file(name, content)}, **extra)


def import_id(response) -> str:
    return re.search(r'name="import_id" value="([^"]+)"', text(response)).group(1)


def test_an_upload_shows_every_lines_outcome_and_writes_nothing(admin, client):
    # R-U6: preview with line numbers and reasons; nothing written until confirmed
    content = (DATA / "invalid_email.csv").read_bytes()
    before = written(admin)
    events = ActivityEvent.objects.count()
    response = upload(client, admin.team, content)
    assert response.status_code == 200
    assert written(admin) == before
    assert ActivityEvent.objects.count() == events
    html = text(response)
    assert "Invite 1 user" in html
    assert "not imported" in html
    assert shown(response, EMAIL_INVALID)
    assert re.search(r'<td class="text-end sk-num">\d+</td>', html)


def test_a_large_preview_lists_the_first_lines_and_every_bad_line_and_counts_them_all(admin, client):
    # R-U6: a file of thousands is not one table of thousands; every bad line is still listed, by number.
    content = people_csv(PREVIEW_LINES + 30) + b"Kees,Smit,not-an-address\r\n"  # the bad line is line 132
    response = upload(client, admin.team, content)
    html = text(response)
    listed = [int(line) for line in re.findall(r'<td class="text-end sk-num">(\d+)</td>', html)]
    assert listed == [132, *range(2, 2 + PREVIEW_LINES)]  # the problems table, then the first lines of the file
    assert f"The first {PREVIEW_LINES} of 131 lines" in html
    assert "31 more lines are not listed here." in html
    assert "Invite 130 users" in html
    assert shown(response, EMAIL_INVALID)


def test_a_small_preview_lists_every_line(admin, client):
    html = text(upload(client, admin.team, people_csv(PREVIEW_LINES)))
    assert len(re.findall(r'<td class="text-end sk-num">\d+</td>', html)) == PREVIEW_LINES
    assert f"Every line ({PREVIEW_LINES})" in html
    assert "not listed here" not in html


def test_confirming_invites_every_good_line_at_once_and_a_second_upload_adds_nobody(
    admin, client, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U6, R-U7
    content = people_csv(3) + b"Uma,User,USER@example.com\r\n"
    preview = upload(client, admin.team, content)
    assert "Invite 3 users" in text(preview)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(preview)})
    assert response.status_code == 302
    assert response.url == members_url(admin.team)
    new = Member.objects.filter(team=admin.team, user__email__startswith="person")
    assert new.count() == 3
    assert {m.status for m in new} == {Member.Status.INVITED}
    assert len(mailoutbox) == 3
    assert flashed(client) == ["3 users are invited."]

    users = User.objects.count()
    again = upload(client, admin.team, content)
    assert "Already a member: skipped" in text(again)
    assert re.search(r'<button type="submit" class="btn btn-primary sk-busy" disabled>', text(again))
    response = client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(again)})
    assert User.objects.count() == users
    assert Member.objects.filter(team=admin.team).count() == 5 + 3


def test_a_preview_confirms_once(admin, client):
    preview = upload(client, admin.team, people_csv(2))
    client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(preview)})
    response = client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(preview)})
    assert response.status_code == 200
    assert shown(response, PREVIEW_GONE)
    assert Member.objects.filter(team=admin.team).count() == 5 + 2


def test_a_confirm_of_another_preview_is_refused(admin, client):
    first = upload(client, admin.team, people_csv(2))
    upload(client, admin.team, people_csv(4, start=2))
    response = client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(first)})
    assert shown(response, PREVIEW_GONE)
    assert not Member.objects.filter(user__email__startswith="person").exists()


def test_an_import_confirms_in_queries_that_do_not_grow_with_the_lines(
    admin, client, django_assert_max_num_queries, settings
):
    # The bulk path: a few queries for the whole file, all in one transaction (one of them the webhooks'
    # outbox looking for endpoints that listen to the invitations: licensing.webhooks.outbox).
    for start, count in ((0, 3), (3, 63)):
        preview = upload(client, admin.team, people_csv(count, start=start, products="DraftPro" if count == 3 else ""))
        with django_assert_max_num_queries(31):
            response = client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(preview)})
        assert response.status_code == 302
    assert Member.objects.filter(user__email__startswith="person").count() == 63
    assert Assignment.objects.filter(member__user__email__startswith="person").count() == 3


def test_a_large_import_leaves_its_mails_to_the_jobs(admin, client, settings, run_jobs, mailoutbox):
    # Hundreds of mails are not sent inside the request; the worker's jobs send them (portal.mail).
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    preview = upload(client, admin.team, people_csv(60))
    client.post(url("invite-import-confirm", admin.team), {"import_id": import_id(preview)})
    assert Message.objects.count() == 60
    assert mailoutbox == []
    run_jobs()
    assert len(mailoutbox) == 60


def test_a_renamed_workbook_is_refused_with_what_to_do(admin, client):
    response = upload(client, admin.team, (DATA / "renamed_xlsx.csv").read_bytes(), name="people.csv")
    assert response.status_code == 200
    assert shown(response, NOT_CSV_WORKBOOK)
    assert 'type="file"' in text(response)


def test_an_upload_without_a_file_asks_for_one(admin, client):
    response = client.post(url("invite-import", admin.team), {})
    assert response.status_code == 200
    assert "Choose a CSV file to upload." in text(response)


def test_the_example_file_reads_as_an_import(admin, client):
    response = client.get(url("invite-import-example", admin.team))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    preview = upload(client, admin.team, response.content)
    assert "Invite 2 users" in text(preview)
    assert "DraftPro" in text(preview)


def test_an_import_preview_through_htmx_comes_alone(admin, client):
    response = upload(client, admin.team, people_csv(2), **HTMX)
    assert text(response).lstrip().startswith("<form")
    assert 'name="import_id"' in text(response)


# --- Resend invite (R-U5) -----------------------------------------------------------------------


def test_resend_invite_sends_a_new_link_and_kills_the_old_one(
    admin, client, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U5
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("member-invite", admin.team), {"first_name": "David", "last_name": "de Jong", "email": "d@example.nl"}
        )
    old = re.search(r"/invitations/([^/\s]+)/", mailoutbox[-1].body).group(1)
    flashed(client)  # "David de Jong is invited." shown
    member = Member.objects.get(user__email="d@example.nl")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("invitation-resend", admin.team, member_id=member.pk))
    assert response.status_code == 302
    assert response.url == reverse("teams:member-detail", kwargs={"team_id": admin.team.pk, "member_id": member.pk})
    new = re.search(r"/invitations/([^/\s]+)/", mailoutbox[-1].body).group(1)
    assert new != old
    assert invitation_for_token(new).member == member
    with pytest.raises(Exception, match=re.escape(str(INVITATION_REVOKED))):
        invitation_for_token(old)
    assert Invitation.objects.get(token_hash=hash_token(old)).revoked_at is not None
    assert flashed(client) == ["A new invitation is on its way to d@example.nl; the previous link no longer works."]


def test_resending_to_an_active_member_says_they_accepted(admin, client):
    response = client.post(url("invitation-resend", admin.team, member_id=admin.user.pk))
    assert response.status_code == 302
    name = admin.user.user.get_full_name()
    assert flashed(client) == [str(NOT_INVITED % {"name": name})]
    assert not Invitation.objects.exists()


def test_resend_for_a_member_of_another_team_is_404(admin, client):
    other = MemberFactory(team=admin.other_team, status=Member.Status.INVITED, user=UserFactory())
    assert client.post(url("invitation-resend", admin.team, member_id=other.pk)).status_code == 404
