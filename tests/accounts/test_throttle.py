"""One throttle for every password (issue 19, licensing/accounts/throttle.py): the portal's sign-in,
the Django admin's (which is the portal's), the invitation page and password resets. Failures are
counted per address, per account and address, and per account, before the password is checked; the
owner at an address that has not failed still signs in; each lock is in the activity log once.
(The desktop API's sign-in goes through the same function: tests/api.)"""

import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from licensing.accounts import throttle
from licensing.accounts.signin_forms import INVALID_LOGIN as _INVALID_LOGIN
from licensing.activity.models import ActivityEvent
from tests.factories import MemberFactory, UserFactory

PASSWORD = "the-right-password-42"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"
REFUSED = "Too many failed sign-ins."
INVALID_LOGIN = str(_INVALID_LOGIN)


@pytest.fixture
def limits(settings):
    settings.SIGNIN_WINDOW_MINUTES = 15
    settings.SIGNIN_FAILURES_PER_ADDRESS = 20
    settings.SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
    settings.SIGNIN_FAILURES_PER_ACCOUNT = 50
    settings.SIGNIN_RESETS_PER_ADDRESS = 20
    settings.SIGNIN_RESETS_PER_ACCOUNT = 5
    return settings


@pytest.fixture
def owner(db):
    member = MemberFactory(user__email="sanne@example.com")
    member.user.set_password(PASSWORD)
    member.user.save()
    return member.user


def sign_in(client, email, password, address):
    return client.post(reverse("login"), {"login": email, "password": password}, REMOTE_ADDR=address)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_wrong_passwords_from_one_address_stop_before_the_password_is_checked(client, limits, owner):
    for _ in range(5):
        response = sign_in(client, owner.email, "guess", ATTACKER)
        assert INVALID_LOGIN in response.content.decode()
    response = sign_in(client, owner.email, PASSWORD, ATTACKER)  # even the right one: not checked
    text = response.content.decode()
    assert REFUSED in text
    assert re.search(r"Wait 1[45] minutes", text), text
    assert not signed_in(client)


def test_the_owner_signs_in_from_another_address_while_one_is_locked(client, limits, owner):
    for _ in range(6):
        sign_in(client, owner.email, "guess", ATTACKER)
    response = sign_in(client, owner.email, PASSWORD, OWNER)
    assert response.status_code == 302
    assert signed_in(client)


def test_one_address_guessing_at_many_accounts_is_stopped(client, limits, db):
    emails = [f"person{n}@example.com" for n in range(6)]
    for email in emails:
        UserFactory(email=email)
    for email in emails[:5]:
        for _ in range(4):  # under the limit of one account from one address
            assert INVALID_LOGIN in sign_in(client, email, "guess", ATTACKER).content.decode()
    assert REFUSED in sign_in(client, emails[5], "guess", ATTACKER).content.decode()  # the 21st
    # Another address is not held up by it.
    assert INVALID_LOGIN in sign_in(client, emails[5], "guess", OWNER).content.decode()


def test_a_guess_spread_over_many_addresses_locks_the_account_but_not_the_owners_browser(
    client, limits, owner, django_user_model
):
    limits.SIGNIN_FAILURES_PER_ACCOUNT = 10
    # The owner signed in in this browser last week: the sign-in marked it.
    assert sign_in(client, owner.email, PASSWORD, OWNER).status_code == 302
    client.post(reverse("logout"))
    known_browser = client.cookies[throttle.KNOWN_BROWSER_COOKIE].value

    for n in range(10):
        sign_in(client.__class__(), owner.email, "guess", f"192.0.2.{n}")
    stranger = client.__class__()
    assert REFUSED in sign_in(stranger, owner.email, PASSWORD, "192.0.2.200").content.decode()
    assert not signed_in(stranger)

    client.cookies[throttle.KNOWN_BROWSER_COOKIE] = known_browser
    assert sign_in(client, owner.email, PASSWORD, "192.0.2.201").status_code == 302
    assert signed_in(client)


def test_a_forged_known_browser_cookie_does_not_pass_the_account_lock(client, limits, owner):
    limits.SIGNIN_FAILURES_PER_ACCOUNT = 3
    for n in range(3):
        sign_in(client.__class__(), owner.email, "guess", f"192.0.2.{n}")
    client.cookies[throttle.KNOWN_BROWSER_COOKIE] = str(owner.pk)  # unsigned
    assert REFUSED in sign_in(client, owner.email, PASSWORD, OWNER).content.decode()


def test_a_password_reset_lifts_the_account_lock(client, limits, owner):
    limits.SIGNIN_FAILURES_PER_ACCOUNT = 3
    for n in range(3):
        sign_in(client.__class__(), owner.email, "guess", f"192.0.2.{n}")
    assert REFUSED in sign_in(client, owner.email, PASSWORD, OWNER).content.decode()

    uid = urlsafe_base64_encode(force_bytes(owner.pk))
    token = default_token_generator.make_token(owner)
    form = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True, REMOTE_ADDR=OWNER)
    new = "another-good-password-77"
    client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}, REMOTE_ADDR=OWNER)
    response = sign_in(client, owner.email, new, OWNER)
    assert response.status_code == 302, response.content.decode()


def test_a_right_password_is_not_counted_as_a_failure(client, limits, owner):
    for _ in range(4):
        sign_in(client, owner.email, "guess", ATTACKER)
    assert sign_in(client, owner.email, PASSWORD, ATTACKER).status_code == 302
    client.post(reverse("logout"))
    assert INVALID_LOGIN in sign_in(client, owner.email, "guess", ATTACKER).content.decode()  # the 5th failure
    assert REFUSED in sign_in(client, owner.email, "guess", ATTACKER).content.decode()


def test_each_lock_is_in_the_activity_log_once(client, limits, owner):
    member = owner.memberships.get()
    for _ in range(9):
        sign_in(client, owner.email, "guess", ATTACKER)
    paused = ActivityEvent.objects.filter(action=ActivityEvent.Action.SIGN_IN_PAUSED)
    assert paused.count() == 1  # four refusals, one lock
    event = paused.get()
    assert event.target_user == owner
    assert event.team == member.team
    assert event.ip_address == ATTACKER
    assert event.after["address"] == ATTACKER
    assert event.after["minutes"] in (14, 15)


def test_a_lock_of_an_unknown_address_is_logged_without_a_team(client, limits, db):
    limits.SIGNIN_FAILURES_PER_ADDRESS = 2
    for n in range(3):
        sign_in(client, f"nobody{n}@example.com", "guess", ATTACKER)
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.SIGN_IN_PAUSED)
    assert event.team is None
    assert event.target_user is None


def test_the_django_admin_checks_no_password_of_its_own(client, limits, db):
    staff = UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True)
    staff.set_password(PASSWORD)
    staff.save()
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not signed_in(client)  # Django's own admin form would have signed in here
    # Through the portal's sign-in (the throttle, the second factor), then the admin.
    response = client.post(
        reverse("login") + "?next=/admin/", {"login": staff.email, "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_invitation_page_signs_in_through_the_same_throttle(client, limits, world):
    from licensing.accounts.services import member_invite

    other = MemberFactory(team=world.other_team, user__email="pieter@example.com")
    other.user.set_password(PASSWORD)
    other.user.save()
    member = member_invite(
        team=world.team, email="pieter@example.com", first_name="Pieter", last_name="Post", actor=world.primary.user
    )
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    url = reverse("accounts:invitation-accept", args=[token])
    for _ in range(5):
        client.post(url, {"password": "guess"}, REMOTE_ADDR=ATTACKER)
    response = client.post(url, {"password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert REFUSED in response.content.decode()
    member.refresh_from_db()
    assert member.status == member.Status.INVITED


def test_password_resets_are_limited_per_address_asked_for(client, limits, owner):
    for _ in range(5):
        response = client.post(reverse("password_reset"), {"email": owner.email}, REMOTE_ADDR=ATTACKER)
        assert response.status_code == 302
    response = client.post(reverse("password_reset"), {"email": owner.email}, REMOTE_ADDR=OWNER)
    assert response.status_code == 200
    assert "Too many password resets" in response.content.decode()
    assert len(mail.outbox) == 5


def test_password_resets_of_unknown_addresses_count_alike(client, limits, db):
    limits.SIGNIN_RESETS_PER_ADDRESS = 3
    for n in range(3):
        assert (
            client.post(reverse("password_reset"), {"email": f"x{n}@example.com"}, REMOTE_ADDR=ATTACKER).status_code
            == 302
        )
    response = client.post(reverse("password_reset"), {"email": "x9@example.com"}, REMOTE_ADDR=ATTACKER)
    assert "Too many password resets" in response.content.decode()
    assert mail.outbox == []


# --- Parallel guesses ---------------------------------------------------------------------------


def _open(opener, request, attempts: int = 20) -> str:
    """The answer to `request`. The test server listens with a short backlog (Django's: 10): a
    connection it resets never reached the portal, and is made again."""
    for attempt in range(attempts):
        try:
            return opener.open(request, timeout=60).read().decode()
        except (ConnectionError, urllib.error.URLError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _guess(base: str, email: str, results: list, barrier: threading.Barrier) -> None:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = _open(opener, base + reverse("login"))
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "login": email, "password": "guess"}).encode()
    barrier.wait(timeout=60)
    results.append(_open(opener, urllib.request.Request(base + reverse("login"), data=body)))


@pytest.mark.django_db(transaction=True)
def test_thirty_guesses_at_once_are_thirty_counted_guesses(live_server, limits):
    """The finding: 30 parallel wrong passwords were each checked against an empty count. Now each is
    counted before its check, under the cache's lock: at most the limit (5) are checked."""
    user = UserFactory(email="target@example.com")
    user.set_password(PASSWORD)
    user.save()
    results: list[str] = []
    barrier = threading.Barrier(30)
    threads = [threading.Thread(target=_guess, args=(live_server.url, user.email, results, barrier)) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    checked = sum(INVALID_LOGIN in page for page in results)
    refused = sum(REFUSED in page for page in results)
    assert len(results) == 30
    assert checked + refused == 30
    print(f"30 guesses at once: {checked} checked, {refused} refused")
    assert checked <= 5, f"{checked} passwords checked of 30 sent at once"
