"""Personal access tokens of the team-admin API in the Django admin (R-API3): support staff find a
token by its owner or the characters it starts with (a leaked one quoted in a ticket), see it read
only, and revoke it with the action, through the same `access_token_revoke` as the owner's page
(audited in each of its teams). Neither the secret nor its hash is ever shown; tokens are never made,
changed or deleted here."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from licensing.accounts.models import AccessToken
from licensing.activity.models import ActivityEvent
from tests.api.team_api import TeamApi, make_token
from tests.factories import UserFactory


@pytest.fixture
def tokens(world) -> dict[str, str]:
    return {
        "nightly": make_token(world.primary.user, name="Nightly sync"),
        "report": make_token(world.secondary.user, teams=[world.team], access="read", name="Report"),
    }


@pytest.fixture
def support(world) -> Client:
    client = Client()
    client.force_login(world.staff)
    return client


def changelist(**query) -> str:
    url = reverse("admin:accounts_accesstoken_changelist")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def listed(response) -> set[str]:
    return {token.name for token in response.context["cl"].result_list}


def revoke(client, *tokens):
    data = {"action": "revoke", admin.helpers.ACTION_CHECKBOX_NAME: [t.pk for t in tokens]}
    return client.post(changelist(), data)


def test_support_finds_a_token_by_its_owner_or_its_first_characters_and_never_sees_a_secret(support, tokens):
    # R-API3: shown once to its owner, kept as a hash, which support never sees either.
    assert listed(support.get(changelist())) == {"Nightly sync", "Report"}
    assert listed(support.get(changelist(q="secondary@example"))) == {"Report"}
    nightly = AccessToken.objects.get(name="Nightly sync")
    assert listed(support.get(changelist(q=nightly.prefix))) == {"Nightly sync"}
    for url in (changelist(), reverse("admin:accounts_accesstoken_change", args=[nightly.pk])):
        html = support.get(url).content.decode()
        assert nightly.token_hash not in html
        assert tokens["nightly"] not in html
        assert 'name="name"' not in html  # nothing to edit


def test_tokens_are_neither_made_changed_nor_deleted_in_the_admin(support, tokens):
    nightly = AccessToken.objects.get(name="Nightly sync")
    assert support.get(reverse("admin:accounts_accesstoken_add")).status_code == 403
    assert support.get(reverse("admin:accounts_accesstoken_delete", args=[nightly.pk])).status_code == 403
    assert support.post(reverse("admin:accounts_accesstoken_change", args=[nightly.pk]), {}).status_code == 403
    actions = [name for name, _ in support.get(changelist()).context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert "revoke" in actions


def test_support_revokes_a_leaked_token_and_the_script_is_refused_at_once(support, world, tokens, client):
    # R-API3: revoked through access_token_revoke, audited with support as the actor.
    api = TeamApi(client, tokens["nightly"])
    assert api.get(f"/teams/{world.team.pk}/members").status_code == 200
    nightly = AccessToken.objects.get(name="Nightly sync")

    response = revoke(support, nightly)

    assert [m.message for m in get_messages(response.wsgi_request)] == ["Revoked 1 token."]
    nightly.refresh_from_db()
    assert nightly.revoked_at is not None
    assert AccessToken.objects.get(name="Report").revoked_at is None
    assert api.get(f"/teams/{world.team.pk}/members").status_code == 401
    event = ActivityEvent.objects.filter(action=ActivityEvent.Action.ACCESS_TOKEN_REVOKED, team=world.team).get()
    assert (event.actor, event.via) == (world.staff, ActivityEvent.Via.ADMIN)
    # Again: nothing twice.
    response = revoke(support, nightly)
    assert [m.message for m in get_messages(response.wsgi_request)][-1] == "Revoked 0 tokens. 1 was revoked already."
    # One row in each team the token acted on (the owner's two), and none more the second time.
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.ACCESS_TOKEN_REVOKED).count() == 2


def test_staff_without_the_permission_see_tokens_but_cannot_revoke_them(world, tokens):
    clerk = UserFactory(email="clerk@vendor.example", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_accesstoken"))
    client = Client()
    client.force_login(clerk)
    response = client.get(changelist())
    assert listed(response) == {"Nightly sync", "Report"}
    assert 'value="revoke"' not in response.content.decode()
    revoke(client, AccessToken.objects.get(name="Report"))
    assert AccessToken.objects.get(name="Report").revoked_at is None


def test_the_token_list_is_for_support_staff_only(client, world, tokens):
    client.force_login(world.primary.user)
    response = client.get(changelist())
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
