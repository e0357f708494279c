"""The reference client, `python -m licensing.client`, against a running portal (pytest-django's
live_server): what the desktop software's "Let's Get Started" screen does (R-S1, R-S2)."""

import io
import json
import os
import re
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from licensing import client as reference_client
from licensing.subscriptions.services import assignment_delete
from tests.api.conftest import assign

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test wrote


class Run:
    """`python -m licensing.client --server <live server> --state <tmp> ...`, in this process."""

    def __init__(self, server: str, state: Path, monkeypatch) -> None:
        self.server, self.state, self.monkeypatch = server, state, monkeypatch

    def __call__(self, *argv: str, password: str = "pw", server: str | None = None) -> tuple[int, str]:
        self.monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        out = io.StringIO()
        status = reference_client.main(["--server", server or self.server, "--state", str(self.state), *argv], out=out)
        return status, out.getvalue()


@pytest.fixture
def run(live_server, tmp_path, monkeypatch) -> Run:
    return Run(live_server.url, tmp_path / "client" / "state.json", monkeypatch)


def sign_in(run: Run, email: str = "user@example.com", **kwargs) -> tuple[int, str]:
    return run("signin", "--email", email, "--device", "Drawing office PC", "--password-stdin", **kwargs)


def unreachable_server() -> str:
    """The address of a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_sign_in_check_and_sign_out(run, world):
    # R-S1, R-S2: sign in once, later checks need no password, sign out.
    assign(world.user, world.product)

    status, out = sign_in(run)
    assert status == 0, out
    assert "Signed in as user@example.com on Drawing office PC" in out

    status, out = run("check", "draftpro")
    assert status == 0, out
    assert "Licensed: draftpro (cloud-render, draftpro-desktop), with a seat in Design." in out

    status, out = run("signout")
    assert (status, out.strip()) == (0, "Signed out.")

    status, out = run("check", "draftpro")
    assert status == 1
    assert "You are not signed in" in out


def test_the_token_is_kept_for_its_owner_only(run, world):
    sign_in(run)

    assert stat.S_IMODE(os.stat(run.state).st_mode) == 0o600
    assert json.loads(run.state.read_text())["token"]


def test_not_licensed_shows_the_message_for_the_user(run, world):
    assignment = assign(world.user, world.product)
    sign_in(run)
    assert run("check", "draftpro")[0] == 0

    assignment_delete(assignment=assignment, actor=world.primary.user)
    status, out = run("check", "draftpro")

    assert status == 1
    assert out.strip() == (
        "Not licensed: draftpro. Contact your administrator to request permission to use this product."
    )


def test_a_wrong_password_is_refused(run, world):
    status, out = sign_in(run, password="wrong")

    assert status == 1
    assert "The e-mail address or password is not correct." in out
    assert not run.state.exists()


def test_an_unknown_product_is_refused(run, world):
    sign_in(run)

    status, out = run("check", "no-such-product")

    assert status == 1
    assert "There is no product with the code" in out


def test_a_device_signed_out_by_an_admin_is_told_to_sign_in_again(run, world):
    from licensing.accounts.devices import api_token_revoke
    from licensing.accounts.models import ApiToken

    sign_in(run)
    api_token_revoke(token=ApiToken.objects.get(), actor=world.primary.user, team=world.team)

    status, out = run("check", "draftpro")

    assert status == 1
    assert "You are signed out." in out
    assert "token" not in json.loads(run.state.read_text())


def test_without_a_connection_the_last_licensed_check_holds_until_offline_until(run, world):
    assign(world.user, world.product)
    sign_in(run)
    run("check", "draftpro")

    status, out = run("check", "draftpro", server=unreachable_server())

    assert status == 0, out
    assert "Licensed (offline): draftpro" in out


def test_without_a_connection_and_no_earlier_check_it_is_not_licensed(run, world):
    sign_in(run)

    status, out = run("check", "draftpro", server=unreachable_server())

    assert status == 2
    assert "Cannot reach" in out


def test_it_runs_as_a_module(live_server, world, tmp_path):
    assign(world.user, world.product)
    state = tmp_path / "state.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO")}
    base = [sys.executable, "-m", "licensing.client", "--server", live_server.url, "--state", str(state)]

    def client(*argv: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [*base, *argv], input=stdin, capture_output=True, text=True, cwd=settings.BASE_DIR, env=env, timeout=60
        )

    signin = client("signin", "--email", "user@example.com", "--password-stdin", stdin="pw\n")
    assert signin.returncode == 0, signin.stderr
    check = client("check", "draftpro")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("Licensed: draftpro (cloud-render, draftpro-desktop)")


def test_it_needs_nothing_but_the_standard_library():
    # Support staff run it on machines without the portal's dependencies.
    code = "import sys; sys.modules['django'] = sys.modules['ninja'] = None; import licensing.client"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=settings.BASE_DIR)

    assert result.returncode == 0, result.stderr


def test_signing_in_again_signs_the_previous_token_out(run, world):
    from licensing.accounts.models import ApiToken

    sign_in(run)
    sign_in(run)

    assert ApiToken.objects.active().count() == 1
    assert run("check", "draftpro")[0] == 1  # signed in, and not licensed: no seat


def test_a_check_by_the_client_shows_in_the_seat_usage_report_at_once(run, world, client):
    # The acceptance walk of the sign-in issue, R-S3 and R-R1: the reference client licenses a user
    # against the running portal; the default report (Past 30 days, which ends today) counts the day,
    # on screen and in the By User export.
    import csv

    from django.urls import reverse
    from django.utils import timezone

    assign(world.user, world.product)
    assert sign_in(run)[0] == 0
    assert run("check", "draftpro")[0] == 0
    assert run("check", "draftpro")[0] == 0  # a second check on the day counts once

    client.force_login(world.primary.user)
    report = reverse("reports:seat-usage", kwargs={"team_id": world.team.pk})
    page = client.get(report, {"tab": "users"})
    assert page.status_code == 200
    rows = [row.record for row in page.context["table"].page.object_list if row.record["email"] == "user@example.com"]
    assert [(row["product_name"], row["days_used"], str(row["last_used"])) for row in rows] == [
        (world.product.name, 1, timezone.localdate().isoformat())
    ]
    assert timezone.localdate().strftime("%-d %b %Y") in page.content.decode()  # "Last used" on screen

    export = client.get(reverse("reports:seat-usage-export-users", kwargs={"team_id": world.team.pk}))
    lines = list(csv.DictReader(b"".join(export.streaming_content).decode("utf-8-sig").splitlines()))
    mine = [line for line in lines if line["user_email"] == "user@example.com"]
    assert [(line["days_used"], line["last_used"]) for line in mine] == [("1", timezone.localdate().isoformat())]


@pytest.mark.parametrize("code", ["draft line", "draftpro?x=1", "draftpro#top", "../auth/token", "a/b", "draftpro\n"])
def test_a_code_is_sent_whole_as_the_product_asked_about(run, world, code):
    # R-S1. Quoted, a space is no longer a traceback (InvalidURL), "?x=1" no longer checks draftpro,
    # and "../auth/token" no longer reaches another endpoint (which printed "null").
    assign(world.user, world.product)
    sign_in(run)

    status, out = run("check", code)

    assert status == 1
    assert out.strip() == f"There is no product with the code “{code}”."


def test_a_server_address_that_is_not_a_url_is_a_usage_error(run, world):
    sign_in(run)

    for server in ("http://exa mple.com", "http://127.0.0.1:80x", "not-a-url"):
        status, out = run("check", "draftpro", server=server)

        assert status == 2, out
        assert out.startswith(f"Cannot use the server address {server!r}: ")
        assert "Traceback" not in out


def test_an_answer_without_an_explanation_says_so(run, world):
    status, out = run("signin", "--email", "user@example.com", "--password-stdin", server=run.server + "/nowhere")

    assert status == 1
    assert out.strip() == "The server answered 404 without an explanation."


def test_the_help_names_a_product_of_the_demo_catalogue(capsys):
    from licensing.subscriptions.demo import CATALOGUE

    with pytest.raises(SystemExit):
        reference_client.main(["check", "--help"])

    example = re.search(r"like (\S+)", capsys.readouterr().out).group(1)
    assert example in {code for code, *_rest in CATALOGUE}
