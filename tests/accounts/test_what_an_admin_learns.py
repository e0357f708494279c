"""What an admin may learn about people outside their team (issue 19): nothing.

An admin types e-mail addresses and names in "Assign users", "Invite users" (single, multiple,
import). They are looked up among the members of the admin's own team only: an address that is no
member is offered to invite in the same words, with the same queries, whether or not it has an
account elsewhere, and no page shows the name of an account whose person has not joined the team.
The probe: `…/assign/suggestions/?query=admin@example.com` returned "Sanne Bakker"."""

import csv
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing.accounts.imports import Outcome
from licensing.accounts.services import member_invite
from licensing.subscriptions.product_forms import NAMES_NEEDED
from licensing.teams.models import Member
from tests.factories import MemberFactory, UserFactory
from tests.teams.test_member_views import give_names

# Someone with an account of their own in another customer's team, whom the world's admins do not know.
SANNE = ("Sanne", "Bakkerzoon", "cfo@bigcorp.example")
UNKNOWN = "nobody@bigcorp.example"


@pytest.fixture
def sanne(world):
    give_names(world)
    first, last, email = SANNE
    return MemberFactory(team=world.outsider_team, user__first_name=first, user__last_name=last, user__email=email).user


def _suggestions(client, world, query, team=None):
    url = reverse(
        "subscriptions:product-assign-suggestions",
        kwargs={"team_id": (team or world.team).pk, "product_id": world.product.pk},
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"query": query}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def _without(page: str, address: str) -> str:
    """The page with the address typed taken out, and the CSRF tokens, which differ per request."""
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "TOKEN", page.replace(address, "ADDRESS"))


def _assign_url(world, team=None) -> str:
    return reverse(
        "subscriptions:product-assign-users",
        kwargs={"team_id": (team or world.team).pk, "product_id": world.product.pk},
    )


def test_the_assign_suggestions_never_tell_whether_an_address_has_an_account(client, world, sanne):
    client.force_login(world.primary.user)
    known, known_queries = _suggestions(client, world, sanne.email)
    unknown, unknown_queries = _suggestions(client, world, UNKNOWN)
    assert "Sanne" not in known
    assert "Bakkerzoon" not in known
    # The same words, and the same work (the database's timing follows the queries).
    assert _without(known, sanne.email) == _without(unknown, UNKNOWN)
    assert known_queries == unknown_queries


def test_the_assign_suggestions_offer_an_outsiders_address_in_another_case_as_typed(client, world, sanne):
    client.force_login(world.primary.user)
    page, _queries = _suggestions(client, world, "SANNE@BigCorp.example")
    assert "SANNE@BigCorp.example" in page
    assert sanne.email not in page  # the account's own spelling would tell that it exists


def test_adding_an_outsiders_address_asks_for_the_names_as_for_an_unknown_one(client, world, sanne):
    client.force_login(world.primary.user)
    known = client.post(_assign_url(world), {"action": "add", "query": sanne.email})
    unknown = client.post(_assign_url(world), {"action": "add", "query": UNKNOWN})
    assert "Sanne" not in known.content.decode()
    assert "Bakkerzoon" not in known.content.decode()
    assert str(NAMES_NEEDED % {"email": sanne.email}) in known.content.decode()
    assert _without(known.content.decode(), sanne.email) == _without(unknown.content.decode(), UNKNOWN)


def test_suggestions_come_only_from_this_teams_members_for_an_admin_of_several_teams(client, world):
    # The primary admin also administers Engineering (world.other_team): its members are not offered
    # in Design, neither by name nor by address, and an address of theirs is an address to invite.
    give_names(world)
    engineer = MemberFactory(
        team=world.other_team, user__first_name="Eva", user__last_name="Engelsma", user__email="eva@example.com"
    )
    client.force_login(world.primary.user)
    by_name, _queries = _suggestions(client, world, "Engelsma")
    assert "Engelsma" not in by_name.replace("“Engelsma”", "")  # only the words "No user … matches “Engelsma”"
    by_address, _queries = _suggestions(client, world, engineer.user.email)
    unknown, _queries = _suggestions(client, world, UNKNOWN)
    assert _without(by_address, engineer.user.email) == _without(unknown, UNKNOWN)


def test_the_suggestions_never_find_an_invited_person_by_their_accounts_name(client, world, sanne):
    # Invited to Design as "S. Bakker": searching Design for "Sanne" must not find them, which would
    # tell the account's first name.
    member_invite(team=world.team, email=sanne.email, first_name="S.", last_name="Bakker", actor=world.primary.user)
    client.force_login(world.primary.user)
    page, _queries = _suggestions(client, world, "Sanne")
    assert sanne.email not in page
    page, _queries = _suggestions(client, world, "Bakker")
    assert sanne.email in page
    assert "S. Bakker" in page
    assert "Bakkerzoon" not in page


def test_invite_single_names_the_person_as_typed_not_as_their_account(client, world, sanne):
    client.force_login(world.primary.user)
    url = reverse("accounts:member-invite", kwargs={"team_id": world.team.pk})
    response = client.post(url, {"first_name": "Chief", "last_name": "Officer", "email": sanne.email})
    assert response.status_code == 302
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Chief Officer is invited."]
    member = Member.objects.get(team=world.team, user=sanne)
    page = client.get(reverse("teams:member-list", kwargs={"team_id": world.team.pk})).content.decode()
    assert "Chief Officer" in page
    assert "Sanne" not in page
    assert "Bakkerzoon" not in page
    detail = reverse("teams:member-detail", kwargs={"team_id": world.team.pk, "member_id": member.pk})
    page = client.get(detail).content.decode()
    assert "Chief Officer" in page
    assert "Sanne" not in page
    assert "Bakkerzoon" not in page


def test_the_import_preview_never_tells_whether_an_address_has_an_account(client, world, sanne):
    client.force_login(world.primary.user)
    url = reverse("accounts:invite-import", kwargs={"team_id": world.team.pk})
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerows([["First name", "Last name", "E-mail address"], ["S.", "B.", sanne.email], ["N.", "B.", UNKNOWN]])
    upload = SimpleUploadedFile("people.csv", rows.getvalue().encode(), content_type="text/csv")
    response = client.post(url, {"file": upload})
    preview = response.context["preview"]
    assert [row.outcome for row in preview.rows] == [Outcome.NEW, Outcome.NEW]
    page = response.content.decode()
    assert "has an account" not in page
    assert "have an account" not in page
    assert "Sanne" not in page
    assert "Bakkerzoon" not in page


def test_the_invite_multiple_paste_never_tells_whether_an_address_has_an_account(client, world, sanne):
    client.force_login(world.primary.user)
    url = reverse("accounts:invite-multiple", kwargs={"team_id": world.team.pk})
    known = client.post(url, {"action": "paste", "paste": f"S., B., {sanne.email}"}).content.decode()
    unknown = client.post(url, {"action": "paste", "paste": f"S., B., {UNKNOWN}"}).content.decode()
    assert _without(known, sanne.email) == _without(unknown, UNKNOWN)


def test_an_outsider_with_an_account_of_their_own_is_shown_by_the_name_this_team_typed(client, world):
    # Olaf Buiten signs in to his own team; Design invites him as "O. Buiten". Until he accepts,
    # Design sees what it typed, never his account's name.
    give_names(world)
    outsider = world.outsider.user
    member = member_invite(
        team=world.team, email=outsider.email, first_name="O.", last_name="Buiten", actor=world.primary.user
    )
    client.force_login(world.primary.user)
    pages = [
        reverse("teams:member-list", kwargs={"team_id": world.team.pk}),
        reverse("teams:member-detail", kwargs={"team_id": world.team.pk, "member_id": member.pk}),
        reverse("activity:event-list", kwargs={"team_id": world.team.pk}),
    ]
    for page in pages:
        content = client.get(page).content.decode()
        assert "O. Buiten" in content, page
        assert "Olaf" not in content, page
    user_filter = client.get(pages[2] + f"?user={outsider.pk}").content.decode()
    assert "Olaf" not in user_filter


def test_an_existing_account_makes_no_difference_to_what_the_admin_reads_after_inviting(client, world, sanne):
    client.force_login(world.primary.user)
    url = reverse("accounts:member-invite", kwargs={"team_id": world.team.pk})
    for email in (sanne.email, UNKNOWN):
        response = client.post(url, {"first_name": "Chief", "last_name": "Officer", "email": email}, follow=True)
        assert "Chief Officer is invited." in response.content.decode()
    known = Member.objects.get(team=world.team, user=sanne)
    unknown = Member.objects.get(team=world.team, user__email=UNKNOWN)
    assert (known.name, known.status) == (unknown.name, unknown.status) == ("Chief Officer", Member.Status.INVITED)


def test_a_fresh_address_still_gets_an_account_with_the_typed_names(world):
    # R-U7 and R-U4 unchanged: a new address gets an account without a password, named as typed.
    member = member_invite(
        team=world.team, email=UNKNOWN, first_name="Nina", last_name="Nieuw", actor=world.primary.user
    )
    assert (member.user.first_name, member.user.last_name) == ("Nina", "Nieuw")
    assert not member.user.has_usable_password()
    assert UserFactory._meta.model.objects.filter(email__iexact=UNKNOWN).count() == 1
