"""One rule for names that start like a spreadsheet formula (`= + - @`): refused with the import's words
wherever a name comes in, not only by the import: Invite single, Invite Multiple (typed and pasted),
Assign users' "invite at the same time", team create and rename, and the services themselves."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from licensing.accounts.imports import parse_csv
from licensing.accounts.models import User
from licensing.accounts.services import member_invite
from licensing.teams.models import Member, Team
from licensing.teams.services import FORMULA, default_team_name, team_create, team_rename
from tests.factories import UserFactory


def formula(column: str, char: str) -> str:
    return str(FORMULA % {"column": column, "char": char})


def shown(response, message: str) -> bool:
    return escape(message) in response.content.decode()


@pytest.fixture
def admin(client, world):
    client.force_login(world.primary.user)
    return world


def test_invite_single_refuses_a_name_that_starts_like_a_formula(admin, client):
    response = client.post(
        reverse("accounts:member-invite", kwargs={"team_id": admin.team.pk}),
        {"first_name": '=HYPERLINK("http://evil.example")', "last_name": "+31 6 1234", "email": "-x@example.nl"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["first_name"] == [formula("First name", "=")]
    assert errors["last_name"] == [formula("Last name", "+")]
    assert errors["email"] == [formula("E-mail address", "-")]
    assert shown(response, formula("First name", "="))
    assert not User.objects.filter(email="-x@example.nl").exists()


def test_invite_multiple_refuses_a_row_whose_name_starts_like_a_formula(admin, client):
    data = {"rows-TOTAL_FORMS": "2", "rows-INITIAL_FORMS": "0"}
    for index, (first, last, email) in enumerate([("@Jan", "Bos", "jan@example.nl"), ("Fleur", "Bakker", "f@x.nl")]):
        data |= {f"rows-{index}-first_name": first, f"rows-{index}-last_name": last, f"rows-{index}-email": email}
    response = client.post(reverse("accounts:invite-multiple", kwargs={"team_id": admin.team.pk}), data)
    assert response.status_code == 200
    assert shown(response, formula("First name", "@"))
    assert not Member.objects.filter(team=admin.team, user__email="jan@example.nl").exists()
    assert Member.objects.filter(team=admin.team, user__email="f@x.nl").exists()  # a bad row costs no other


def test_invite_multiple_refuses_a_pasted_name_that_starts_like_a_formula(admin, client):
    response = client.post(
        reverse("accounts:invite-multiple", kwargs={"team_id": admin.team.pk}),
        {"rows-TOTAL_FORMS": "0", "rows-INITIAL_FORMS": "0", "paste": "Jan, -Bos, jan@example.nl", "action": "paste"},
    )
    assert shown(response, formula("Last name", "-"))


def test_the_import_refuses_it_in_the_same_words(world):
    preview = parse_csv(b"First name,Last name,E-mail address\r\n=1+1,Bos,jan@example.nl\r\n", team=world.team)
    assert preview.rows[0].errors == [formula("First name", "=")]


def test_assign_users_refuses_to_invite_a_new_person_whose_name_starts_like_a_formula(admin, client):
    url = reverse(
        "subscriptions:product-assign-users", kwargs={"team_id": admin.team.pk, "product_id": admin.product.pk}
    )
    response = client.post(url, {"action": "add", "query": "nina@example.nl", "first_name": "=2*3", "last_name": "N"})
    assert response.status_code == 200
    assert shown(response, formula("First name", "="))
    assert 'name="person"' not in response.content.decode()


@pytest.mark.parametrize("screen", ["team-rename", "team-create"])
def test_team_create_and_rename_refuse_a_name_that_starts_like_a_formula(admin, client, screen):
    response = client.post(reverse(f"team_settings:{screen}", kwargs={"team_id": admin.team.pk}), {"name": " @SUM(A1)"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == [formula("Team name", "@")]
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Design", "Engineering", "Someone else's team"]


def test_the_services_refuse_it_however_the_name_arrives(world):
    with pytest.raises(ValidationError) as refused:
        member_invite(team=world.team, email="jan@example.nl", first_name="Jan", last_name="=Bos", actor=None)
    assert refused.value.message_dict == {"last_name": [formula("Last name", "=")]}
    with pytest.raises(ValidationError) as refused:
        team_rename(team=world.team, name="+Design", actor=world.primary.user)
    assert refused.value.messages == [formula("Team name", "+")]
    with pytest.raises(ValidationError):
        team_create(customer=world.team.customer, name="-Design", primary_admin=world.primary.user)


def test_a_first_team_is_never_refused_for_the_name_of_an_account_from_before_the_rule(db):
    # R-T2: the default name comes from the account; a purchase must not fail on it.
    user = UserFactory(first_name="=Jan", last_name="de Vries")
    assert default_team_name(user) == "Jan de Vries's team"
