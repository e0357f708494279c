"""The page the invitation mail links to (R-U4, R-U5): a new account chooses its password and lands on
My products signed in; an existing account signs in first; a used, replaced, expired or unknown link
says so and whom to ask. And the language menu, which remembers a person's language for their mails."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from licensing.accounts.models import Invitation
from licensing.accounts.services import (
    INVITATION_EXPIRED,
    INVITATION_REVOKED,
    INVITATION_UNKNOWN,
    INVITATION_USED,
    WRONG_ACCOUNT,
    invitation_resend,
    member_invite,
)
from licensing.accounts.views import WELCOME
from licensing.teams.models import Member
from tests.factories import MemberFactory

PASSWORD = "a-Long-passphrase-42"


def text(response) -> str:
    return response.content.decode()


def shown(response, message) -> bool:
    return escape(str(message)) in text(response)


def accept_url(token: str) -> str:
    return reverse("accounts:invitation-accept", kwargs={"token": token})


@pytest.fixture
def invite(world, django_capture_on_commit_callbacks, mailoutbox):
    """Invite through the service as the primary admin; returns the member and the link's token."""

    def _invite(email="david.dejong@example.com", *, team=None, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            member = member_invite(
                team=team or world.team,
                email=email,
                first_name=kwargs.pop("first_name", "David"),
                last_name=kwargs.pop("last_name", "de Jong"),
                actor=world.primary.user,
                **kwargs,
            )
        body = next(m for m in reversed(mailoutbox) if "/invitations/" in m.body).body
        return member, re.search(r"/invitations/([^/\s]+)/", body).group(1)

    return _invite


def signed_in_as(client):
    return client.session.get("_auth_user_id")


# --- A new account (R-U4) -----------------------------------------------------------------------


def test_the_mails_link_is_the_accept_page(invite):
    _member, token = invite()
    assert accept_url(token) == f"/invitations/{token}/"


def test_a_new_person_is_asked_for_a_password_of_their_own(client, invite):
    _member, token = invite()
    response = client.get(accept_url(token))
    assert response.status_code == 200
    assert "Create your account" in text(response)
    assert "david.dejong@example.com" in text(response)
    assert "Join Design" in text(response)
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_new_account_sets_its_password_and_lands_on_my_products_signed_in(client, world, invite):
    # R-U4, R-U2: Invited -> Active; R-U3: what was assigned while inviting is there
    member, token = invite(products=[world.product])
    response = client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD}, follow=True)
    assert response.redirect_chain == [(reverse("my-products"), 302)]
    assert signed_in_as(client) == str(member.user.pk)
    member.refresh_from_db()
    member.user.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert member.user.check_password(PASSWORD)
    assert shown(response, WELCOME % {"team": "Design"})
    assert "DraftPro" in text(response)
    assert "Cloud rendering" in text(response)


def test_the_link_works_once(client, invite):
    # R-U4
    _member, token = invite()
    client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD})
    client.logout()
    response = client.get(accept_url(token))
    assert response.status_code == 410
    assert shown(response, INVITATION_USED)
    assert f'href="{reverse("login")}"' in text(response)


def test_passwords_that_differ_or_are_weak_are_refused_in_place(client, invite):
    member, token = invite()
    response = client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD + "x"})
    assert response.status_code == 200
    assert "The two passwords are not the same." in text(response)
    response = client.post(accept_url(token), {"password1": "12345678", "password2": "12345678"})
    assert "This password is too common." in text(response)
    response = client.post(accept_url(token), {"password1": "", "password2": ""})
    assert "Choose a password for your new account." in text(response)
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED
    assert signed_in_as(client) is None


def test_looking_at_the_page_accepts_nothing(client, invite):
    # A mail scanner that opens the link must not use it up.
    member, token = invite()
    client.get(accept_url(token))
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED
    assert Invitation.objects.get(member=member).accepted_at is None


def test_the_language_the_page_was_read_in_is_kept_for_the_mails(client, invite):
    member, token = invite()
    client.cookies["django_language"] = "nl"
    client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD})
    member.user.refresh_from_db()
    assert member.user.language == "nl"


# --- An existing account (R-U7) -----------------------------------------------------------------


@pytest.fixture
def existing(world, invite):
    """Someone with an account and a password (a member of another team), invited to Design."""
    other = MemberFactory(team=world.other_team, user__email="pieter@example.com")
    member, token = invite("Pieter@Example.com", first_name="Pieter", last_name="Post")
    assert member.user == other.user
    return member, token


def test_someone_with_an_account_must_sign_in_first(client, existing):
    member, token = existing
    response = client.get(accept_url(token))
    assert "Sign in to accept" in text(response)
    assert 'name="password"' in text(response)
    assert 'name="password1"' not in text(response)
    assert f'href="{reverse("password_reset")}"' in text(response)

    response = client.post(accept_url(token), {"password": "wrong"})
    assert response.status_code == 200
    assert "do not match an account" in text(response)
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED
    assert signed_in_as(client) is None


def test_signing_in_on_the_page_accepts_and_shows_my_products(client, existing):
    member, token = existing
    # The address is the invitation's, whatever is posted with the password.
    response = client.post(accept_url(token), {"username": "someone@else.example", "password": "pw"})
    assert response.status_code == 302
    assert response.url == reverse("my-products")
    assert signed_in_as(client) == str(member.user.pk)
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_signed_in_as_the_invited_account_one_click_accepts(client, existing):
    member, token = existing
    client.force_login(member.user)
    response = client.get(accept_url(token))
    assert "Accept invitation" in text(response)
    assert 'name="password"' not in text(response)
    response = client.post(accept_url(token))
    assert response.url == reverse("my-products")
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_signed_in_as_someone_else_the_page_says_whose_invitation_it_is(client, world, existing):
    member, token = existing
    client.force_login(world.user.user)
    response = client.get(accept_url(token))
    assert shown(response, WRONG_ACCOUNT % {"email": "pieter@example.com"})
    assert f'action="{reverse("logout")}"' in text(response)
    assert f'name="next" value="{accept_url(token)}"' in text(response)
    client.post(accept_url(token))
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED


def test_a_new_person_signed_in_as_someone_else_gets_their_own_account(client, world, invite):
    # The link is the proof for an account without a password: accepting signs in as the new account.
    member, token = invite()
    client.force_login(world.user.user)
    client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD})
    assert signed_in_as(client) == str(member.user.pk)


# --- Links that no longer work (R-U5) -----------------------------------------------------------


def test_an_expired_link_says_whom_to_ask(client, world, invite):
    member, token = invite()
    Invitation.objects.filter(member=member).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(accept_url(token))
    assert response.status_code == 410
    assert shown(response, INVITATION_EXPIRED % {"admin": world.primary.user.get_full_name()})
    assert "This invitation has expired" in text(response)


def test_a_resent_invitation_kills_the_old_link(client, world, invite, django_capture_on_commit_callbacks):
    # R-U5
    member, token = invite()
    with django_capture_on_commit_callbacks(execute=True):
        invitation_resend(member=member, actor=world.primary.user)
    response = client.get(accept_url(token))
    assert response.status_code == 410
    assert shown(response, INVITATION_REVOKED)
    response = client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410
    member.refresh_from_db()
    assert member.status == Member.Status.INVITED


def test_an_unknown_link_is_404_with_whom_to_ask(client, db):
    response = client.get(accept_url("not-a-token"))
    assert response.status_code == 404
    assert shown(response, INVITATION_UNKNOWN)


def test_a_link_used_up_while_the_form_was_open_says_so(client, invite):
    _member, token = invite()
    page = client.get(accept_url(token))
    assert "Create your account" in text(page)
    other = client.__class__()
    other.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD})
    response = client.post(accept_url(token), {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410
    assert shown(response, INVITATION_USED)


# --- The language menu ---------------------------------------------------------------------------


def test_the_language_menu_remembers_a_signed_in_persons_language_for_their_mails(client, world):
    client.force_login(world.user.user)
    response = client.post(reverse("accounts:language-set"), {"language": "nl", "next": reverse("home")})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert response.cookies["django_language"].value == "nl"
    world.user.user.refresh_from_db()
    assert world.user.user.language == "nl"


def test_the_language_menu_ignores_a_language_the_portal_does_not_offer(client, world):
    client.force_login(world.user.user)
    client.post(reverse("accounts:language-set"), {"language": "xx", "next": reverse("home")})
    world.user.user.refresh_from_db()
    assert world.user.user.language == "en"


def test_the_language_menu_works_signed_out(client, db):
    response = client.post(reverse("accounts:language-set"), {"language": "nl", "next": reverse("login")})
    assert response.cookies["django_language"].value == "nl"


def test_the_shells_language_menu_posts_to_it(client, world):
    client.force_login(world.user.user)
    assert f'action="{reverse("accounts:language-set")}"' in text(client.get(reverse("home")))


def test_whoever_forgot_their_password_can_reset_it_from_the_page(client, existing, mailoutbox):
    _member, token = existing
    assert f'href="{reverse("password_reset")}"' in text(client.get(accept_url(token)))
    client.post(reverse("password_reset"), {"email": "pieter@example.com"})
    assert any("pieter@example.com" in m.to for m in mailoutbox)
