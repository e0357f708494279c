"""The reference client signs in through the browser (R-ID5, R-S2): `signin --browser` against a
running portal (pytest-django's live_server), the person approving in the portal as a browser would.
The licence check afterwards is the one of the password sign-in (R-S1)."""

import json
import types
import urllib.parse
import webbrowser

import pytest
from django.test import Client

from licensing import client as reference_client
from licensing.accounts.device_grant import ACCESS_DENIED, EXPIRED_TOKEN
from licensing.accounts.models import ApiToken, DeviceAuthorization
from tests.api.conftest import assign
from tests.api.test_client import Run

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test wrote


@pytest.fixture
def run(live_server, tmp_path, monkeypatch, settings) -> Run:
    settings.DEVICE_POLL_INTERVAL_SECONDS = 1  # the client really waits the interval between polls
    settings.SITE_URL = live_server.url  # where the client sends the person
    return Run(live_server.url, tmp_path / "client" / "state.json", monkeypatch)


class PersonAtTheBrowser:
    """What `webbrowser.open` reaches in these tests: the person, signed in to the portal as `user`,
    who opens the page the client asks for and approves (or denies) the device."""

    def __init__(self, user, decision: str = "approve") -> None:
        self.client = Client()
        self.client.force_login(user)
        self.decision = decision
        self.opened: list[str] = []

    def open(self, url: str, *args, **kwargs) -> bool:
        self.opened.append(url)
        address = urllib.parse.urlsplit(url)
        code = urllib.parse.parse_qs(address.query)["code"][0]
        page = self.client.get(f"{address.path}?{address.query}")
        assert page.context["form"]["code"].value() == code
        confirm = self.client.post(address.path, {"code": code})
        assert "Sign in Seatkeeper on Drawing office PC?" in confirm.content.decode()
        decided = self.client.post(address.path, {"code": code, "decision": self.decision})
        assert decided.status_code == 302
        return True


def pending() -> DeviceAuthorization:
    return DeviceAuthorization.objects.get()


def sign_in_with_browser(run: Run) -> tuple[int, str]:
    return run("signin", "--browser", "--device", "Drawing office PC")


def test_the_client_signs_in_through_the_browser_and_checks_a_licence(run, world, monkeypatch):
    # R-ID5: the address and the code printed, the page opened with the code, the token kept.
    assign(world.user, world.product)
    person = PersonAtTheBrowser(world.user.user)
    monkeypatch.setattr(webbrowser, "open", person.open)

    status, out = sign_in_with_browser(run)

    assert status == 0, out
    authorization = DeviceAuthorization.objects.get()
    assert f"open {run.server}/device/ and enter the code {authorization.user_code_display}." in out
    assert person.opened == [f"{run.server}/device/?code={authorization.user_code_display}"]
    assert "Signed in on Drawing office PC, until" in out
    assert ApiToken.objects.get().user == world.user.user
    assert json.loads(run.state.read_text())["token"]

    status, out = run("check", "draftpro")
    assert status == 0, out
    assert "Licensed: draftpro (cloud-render, draftpro-desktop), with a seat in Design." in out


def test_a_sign_in_denied_in_the_browser_signs_nothing_in(run, world, monkeypatch):
    monkeypatch.setattr(webbrowser, "open", PersonAtTheBrowser(world.user.user, decision="deny").open)

    status, out = sign_in_with_browser(run)

    assert status == 1
    assert out.strip().endswith(str(ACCESS_DENIED))
    assert not ApiToken.objects.exists()
    assert not run.state.exists()


def test_the_client_waits_longer_when_told_to_slow_down(run, world, monkeypatch):
    # RFC 8628 §3.5: after slow_down the client adds 5 seconds to its interval, for good. Its waits
    # are recorded, not slept, so its polls come too soon; the person approves at the fourth wait.
    monkeypatch.setattr(webbrowser, "open", lambda url, *args, **kwargs: True)
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        if len(waits) == 4:
            PersonAtTheBrowser(world.user.user).open(f"{run.server}/device/?code={pending().user_code_display}")

    monkeypatch.setattr(reference_client, "time", types.SimpleNamespace(sleep=sleep))

    status, out = sign_in_with_browser(run)

    assert status == 0, out
    assert waits == [1, 1, 6, 11]  # pending, slow_down, slow_down, then signed in
    assert ApiToken.objects.count() == 1


def test_a_sign_in_left_unapproved_ends_when_it_expires(run, world, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setattr(webbrowser, "open", lambda url, *args, **kwargs: True)

    def sleep(seconds):
        DeviceAuthorization.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    monkeypatch.setattr(reference_client, "time", types.SimpleNamespace(sleep=sleep))

    status, out = sign_in_with_browser(run)

    assert status == 1
    assert out.strip().endswith(str(EXPIRED_TOKEN))


def test_no_browser_is_opened_when_asked_not_to(run, world, monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *args, **kwargs: opened.append(url))

    def sleep(seconds):
        PersonAtTheBrowser(world.user.user).open(f"{run.server}/device/?code={pending().user_code_display}")

    monkeypatch.setattr(reference_client, "time", types.SimpleNamespace(sleep=sleep))

    status, out = run("signin", "--browser", "--no-open", "--device", "Drawing office PC")

    assert status == 0, out
    assert opened == []


def test_the_help_tells_of_the_browser_sign_in(capsys):
    with pytest.raises(SystemExit):
        reference_client.main(["signin", "--help"])

    assert "--browser" in capsys.readouterr().out


def test_a_password_sign_in_of_a_person_with_a_second_factor_continues_in_the_browser(run, world, monkeypatch):
    # R-ID5: the server answers browser_sign_in_required after the right password; the client says so
    # and signs in through the browser by itself.
    from allauth.mfa.models import Authenticator

    from licensing.accounts.devices import BROWSER_SIGN_IN_REQUIRED

    Authenticator.objects.create(user=world.user.user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assign(world.user, world.product)
    person = PersonAtTheBrowser(world.user.user)
    monkeypatch.setattr(webbrowser, "open", person.open)

    status, out = run("signin", "--email", "user@example.com", "--device", "Drawing office PC", "--password-stdin")

    assert status == 0, out
    assert out.startswith(str(BROWSER_SIGN_IN_REQUIRED))
    assert len(person.opened) == 1
    assert "Signed in on Drawing office PC" in out
    assert run("check", "draftpro")[0] == 0
