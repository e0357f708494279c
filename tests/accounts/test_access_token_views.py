"""Account menu › API tokens (issue 21 §3): the list, "Create token" after signing in again, the
secret shown once, "Revoke" with its confirmation; htmx dialogs and plain posts alike."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.accounts.access_tokens import access_token_create
from licensing.accounts.models import AccessToken, hash_token
from licensing.activity.models import ActivityEvent

LIST = "accounts:access-token-list"
CREATE = "accounts:access-token-create"
HTMX = {"HX-Request": "true"}


def reauthenticated(client, user, password="pw"):
    """Signed in, and signed in again just now (allauth's reauthentication), as "Create token" asks."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302, response.content
    return client


def a_day(days=30):
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_the_account_menu_links_to_the_tokens(client, world):
    client.force_login(world.primary.user)
    page = client.get(reverse("my-products")).content.decode()
    assert reverse(LIST) in page


def test_the_list_shows_ones_own_tokens_only(client, world):
    mine, _ = access_token_create(
        user=world.primary.user,
        name="HR sync",
        teams=None,
        access="read",
        expires_on=timezone.localdate() + timedelta(days=9),
    )
    access_token_create(
        user=world.secondary.user,
        name="Not mine",
        teams=[world.team],
        access="read",
        expires_on=timezone.localdate() + timedelta(days=9),
    )
    client.force_login(world.primary.user)
    page = client.get(reverse(LIST)).content.decode()
    assert "HR sync" in page
    assert mine.prefix in page
    assert "All teams you administer" in page
    assert "Not mine" not in page


def test_a_plain_user_sees_that_tokens_are_for_admins(client, world):
    client.force_login(world.user.user)
    page = client.get(reverse(LIST)).content.decode()
    assert "You are not an admin of any team" in page
    assert reverse(CREATE) not in page


def test_create_asks_to_sign_in_again_first(client, world):
    client.force_login(world.primary.user)
    response = client.get(reverse(CREATE))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    # In the dialog (htmx), the page of the dialog is opened instead, which can sign in again.
    response = client.get(reverse(CREATE), headers=HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse(CREATE)
    assert not AccessToken.objects.exists()


def test_create_shows_the_secret_once_and_keeps_only_its_hash(client, world):
    reauthenticated(client, world.primary.user)
    body = {
        "name": "Nightly sync",
        "scope": "chosen",
        "teams": [world.team.pk],
        "access": "read_write",
        "expires_on": a_day(),
    }
    response = client.post(reverse(CREATE), body)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = response.context["secret"]
    assert secret.startswith("sk_pat_")
    assert secret in response.content.decode()
    token = AccessToken.objects.get()
    assert token.token_hash == hash_token(secret)
    assert secret not in (token.prefix, token.name)
    assert list(token.teams.all()) == [world.team]
    assert token.access == "read_write"
    assert not token.all_teams
    # The list never shows it again.
    assert secret not in client.get(reverse(LIST)).content.decode()
    # One activity row in the team it acts on (by the owner, via the portal).
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.ACCESS_TOKEN_CREATED)
    assert event.team == world.team
    assert event.actor == world.primary.user
    assert event.target == "Nightly sync"


def test_create_in_the_dialog_answers_the_dialog(client, world):
    reauthenticated(client, world.primary.user)
    assert "sk-dialog-title" in client.get(reverse(CREATE), headers=HTMX).content.decode()
    body = {"name": "Sync", "scope": "all", "access": "read", "expires_on": a_day()}
    response = client.post(reverse(CREATE), body, headers=HTMX)
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    secret = re.search(r'value="(sk_pat_[^"]+)"', response.content.decode()).group(1)
    assert AccessToken.objects.get(token_hash=hash_token(secret)).all_teams


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": "  "}, "name", "Give the token a name"),
        ({"teams": []}, "teams", "Choose at least one team"),
        ({"expires_on": "2001-01-01"}, "expires_on", "Choose a day after today"),
        ({"expires_on": "3000-01-01"}, "expires_on", "at most 365 days"),
        ({"expires_on": "soon"}, "expires_on", "Enter a day"),
    ],
)
def test_bad_input_is_refused_in_words_and_keeps_what_was_typed(client, world, change, field, message):
    reauthenticated(client, world.primary.user)
    body = {
        "name": "Keep me",
        "scope": "chosen",
        "teams": [world.team.pk],
        "access": "read",
        "expires_on": a_day(),
        **change,
    }
    response = client.post(reverse(CREATE), body)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors.get(field, []))
    if field != "name":
        assert 'value="Keep me"' in response.content.decode()
    assert not AccessToken.objects.exists()


def test_a_team_one_does_not_administer_cannot_be_chosen(client, world):
    reauthenticated(client, world.primary.user)
    body = {"name": "x", "scope": "chosen", "teams": [world.outsider_team.pk], "access": "read", "expires_on": a_day()}
    response = client.post(reverse(CREATE), body)
    assert response.context["form"].errors["teams"]
    assert not AccessToken.objects.exists()


def test_revoke_asks_then_stops_the_token(client, world):
    token, _ = access_token_create(
        user=world.primary.user,
        name="Old",
        teams=[world.team],
        access="read",
        expires_on=timezone.localdate() + timedelta(days=9),
    )
    client.force_login(world.primary.user)
    url = reverse("accounts:access-token-revoke", kwargs={"access_token_id": token.pk})
    assert "Revoke “Old”?" in client.get(url, headers=HTMX).content.decode()
    response = client.post(url, headers=HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse(LIST)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.ACCESS_TOKEN_REVOKED, team=world.team).count() == 1
    # Again (another tab): said in words.
    response = client.post(url)
    assert "already revoked" in response.content.decode()


def test_someone_elses_token_is_not_found(client, world):
    token, _ = access_token_create(
        user=world.primary.user,
        name="Mine",
        teams=[world.team],
        access="read",
        expires_on=timezone.localdate() + timedelta(days=9),
    )
    client.force_login(world.secondary.user)
    url = reverse("accounts:access-token-revoke", kwargs={"access_token_id": token.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
