"""A reference client of the licence API (licensing/accounts/api.py): what the desktop software's
"Let's Get Started" screen does, on the command line, for demos and for support staff who want to
see what a customer sees.

    python -m licensing.client signin --email jan@example.com      # asks for the password
    python -m licensing.client signin --browser                    # a second factor, single sign-on
    python -m licensing.client check draftline
    python -m licensing.client signout

`signin --browser` signs in through the portal in a browser (R-ID5; the device authorization grant
of RFC 8628): it prints the portal's address and a code, opens the page with the code filled in
where it can, and waits while the person signs in there (with a second factor or single sign-on, as
the portal asks) and approves this device. `signin` with a password does the same by itself when the
server answers that the account signs in through the browser.

`--server URL` (before the command) chooses the portal: by default the one signed in to, else
$SEATKEEPER_SERVER, else http://127.0.0.1:8000. `--state FILE` is where the token is kept (default
~/.config/seatkeeper-client/state.json, readable by its owner only). Like the software, `check`
keeps working without a connection until the `offline_until` of its last successful check.

Exit status: 0 signed in, licensed or signed out; 1 when the server says no (wrong password, not
licensed, signed out, unknown product, too many attempts, a sign-in denied or expired in the
browser); 2 when there is no answer to be had (server unreachable or unavailable, a usage error such
as a server address that is not a URL).

Standard library only: it must run where Django is not installed.
"""

import argparse
import contextlib
import getpass
import http.client
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_SERVER = "http://127.0.0.1:8000"
API_PREFIX = "/api/v1"
TIMEOUT = 15  # seconds; the software would rather work offline than hang at start
USER_AGENT = "seatkeeper-client/1"

OK, REFUSED, NO_ANSWER = 0, 1, 2
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_SECONDS = 5  # RFC 8628 §3.5: what slow_down adds to the interval, for good


class NoAnswer(Exception):
    """The server could not be reached, or could not answer (5xx)."""


class UsageError(Exception):
    """What was asked cannot be sent: the server's address is not a usable URL."""


def default_state_path() -> Path:
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "seatkeeper-client" / "state.json"


def load_state(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {}


def save_state(path: Path, state: dict) -> None:
    """Write the state readable by its owner only: it holds a token that signs the account in."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(state, file, indent=2)
    os.replace(temporary, path)


def call(server: str, method: str, path: str, *, body: dict | None = None, token: str | None = None):
    """(status, JSON body or None, headers) of one request; NoAnswer when there is none to be had,
    UsageError when the server's address is not a URL it can be sent to."""
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = server.rstrip("/") + API_PREFIX + path
    try:
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status, raw, response_headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        status, raw, response_headers = error.code, error.read(), error.headers
    except (ValueError, http.client.InvalidURL) as error:
        raise UsageError(f"Cannot use the server address {server!r}: {error}") from error
    except (urllib.error.URLError, OSError) as error:
        raise NoAnswer(f"Cannot reach {server}: {getattr(error, 'reason', error)}") from error
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    if status >= 500:
        retry = response_headers.get("Retry-After")
        detail = (payload or {}).get("detail") if isinstance(payload, dict) else None
        message = detail or f"The server answered {status}."
        raise NoAnswer(f"{message} (retry after {retry} s)" if retry else message)
    return status, payload, response_headers


def when(value: str) -> str:
    """An ISO 8601 moment from the server, in local time."""
    return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M")


def detail(status: int, payload) -> str:
    """The server's explanation for the user, or what can be said without one."""
    if isinstance(payload, dict) and isinstance(payload.get("detail"), str):
        return payload["detail"]
    return f"The server answered {status} without an explanation."


def sign_out_previous(args, state: dict) -> None:
    """Signing in again replaces this device's token: sign the old one out rather than leave it
    working, unseen, on the user's page."""
    token = state.pop("token", None)
    if token:
        with contextlib.suppress(NoAnswer):
            call(state.get("server") or args.server, "DELETE", "/auth/token", token=token)


def signed_in(args, state: dict, payload: dict, email: str | None, out) -> int:
    """Keep the token the server gave (readable by the owner only) and say so."""
    state.pop("email", None)
    state.update(server=args.server, device_name=args.device, checks={}, **payload)
    if email:
        state["email"] = email
    save_state(args.state, state)
    who = f" as {email}" if email else ""
    print(f"Signed in{who} on {args.device}, until {when(payload['expires_at'])}.", file=out)
    return OK


def signin(args, state: dict, out) -> int:
    if args.browser:
        return signin_browser(args, state, out)
    email = args.email or input("E-mail address: ").strip()
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
    sign_out_previous(args, state)
    body = {"email": email, "password": password, "device_name": args.device}
    status, payload, headers = call(args.server, "POST", "/auth/token", body=body)
    if status == 201:
        return signed_in(args, state, payload, email, out)
    message = detail(status, payload)
    if isinstance(payload, dict) and payload.get("error") == "browser_sign_in_required":
        # A second factor or single sign-on, which only the portal can ask for (R-ID5).
        print(message, file=out)
        return signin_browser(args, state, out)
    if status == 429 and headers.get("Retry-After"):
        message += f" (retry after {headers['Retry-After']} s)"
    print(message, file=out)
    return REFUSED


def signin_browser(args, state: dict, out) -> int:
    """Sign in through the portal in a browser (RFC 8628): show the address and the code, open the
    page, and ask the server every `interval` seconds whether the person has approved this device."""
    sign_out_previous(args, state)
    status, started, _headers = call(args.server, "POST", "/auth/device", body={"device_name": args.device})
    if status != 200 or not isinstance(started, dict):
        print(detail(status, started), file=out)
        return REFUSED
    print(f"To sign in, open {started['verification_uri']} and enter the code {started['user_code']}.", file=out)
    print("Sign in there if the portal asks you to, check the code, and approve this device.", file=out, flush=True)
    if args.open_browser:
        # Where no browser can be started (a server, a terminal session), the address above is enough.
        with contextlib.suppress(webbrowser.Error):
            webbrowser.open(started["verification_uri_complete"])
    interval = started["interval"]
    body = {"grant_type": DEVICE_CODE_GRANT, "device_code": started["device_code"]}
    while True:
        time.sleep(interval)
        status, payload, _headers = call(args.server, "POST", "/auth/token", body=body)
        if status == 201:
            return signed_in(args, state, payload, None, out)
        error = payload.get("error") if isinstance(payload, dict) else None
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_SECONDS
            continue
        print(detail(status, payload), file=out)  # denied, expired: the person starts again
        return REFUSED


def check(args, state: dict, out) -> int:
    if not state.get("token"):
        print("You are not signed in. Sign in first: python -m licensing.client signin", file=out)
        return REFUSED
    code = args.product
    # Quoted whole: a space, "?", "#" or "/" is part of the code asked about, never of the URL.
    path = "/entitlements/" + urllib.parse.quote(code, safe="")
    try:
        status, payload, _headers = call(args.server, "GET", path, token=state["token"])
    except NoAnswer as error:
        return check_offline(code, state, str(error), out)
    if status == 200:
        state.setdefault("checks", {})[code] = payload
        save_state(args.state, state)
        if payload["licensed"]:
            items = ", ".join(payload["items"]) or "no items"
            print(f"Licensed: {code} ({items}), with a seat in {payload['team']}.", file=out)
            print(
                f"Checks again after {when(payload['recheck_after'])}; "
                f"works offline until {when(payload['offline_until'])}.",
                file=out,
            )
            return OK
        print(f"Not licensed: {code}. {payload['message']}", file=out)
        return REFUSED
    if status == 401:
        state.pop("token", None)
        save_state(args.state, state)
    print(detail(status, payload), file=out)
    return REFUSED


def check_offline(code: str, state: dict, reason: str, out) -> int:
    """What the software does without an answer: it trusts its last successful check until that
    check's `offline_until`."""
    last = state.get("checks", {}).get(code)
    if last and last.get("licensed") and datetime.fromisoformat(last["offline_until"]) > datetime.now(UTC):
        print(f"{reason}", file=out)
        print(f"Licensed (offline): {code} ({', '.join(last['items'])}) until {when(last['offline_until'])}.", file=out)
        return OK
    print(f"{reason}", file=out)
    print(f"Not licensed offline: {code} has no recent successful check on this device.", file=out)
    return NO_ANSWER


def signout(args, state: dict, out) -> int:
    token = state.pop("token", None)
    if token:
        status, payload, _headers = call(args.server, "DELETE", "/auth/token", token=token)
        if status not in (204, 401):  # 401: signed out already, by an admin or by expiry
            print(detail(status, payload), file=out)
            return REFUSED
    state.pop("expires_at", None)
    state["checks"] = {}
    save_state(args.state, state)
    print("Signed out.", file=out)
    return OK


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(
        prog="python -m licensing.client",
        description="Sign in to Seatkeeper and check a licence, as the software does.",
    )
    main_parser.add_argument("--server", help=f"the portal's address (default: $SEATKEEPER_SERVER or {DEFAULT_SERVER})")
    main_parser.add_argument("--state", type=Path, help=f"where the token is kept (default: {default_state_path()})")
    commands = main_parser.add_subparsers(dest="command", required=True)
    signin_parser = commands.add_parser("signin", help="sign this device in with an e-mail address and password")
    signin_parser.add_argument("--email", help="the account's e-mail address (asked for when left out)")
    signin_parser.add_argument("--device", default=socket.gethostname(), help="this device's name (default: host name)")
    signin_parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    signin_parser.add_argument(
        "--browser",
        action="store_true",
        help="sign in through the portal in a browser (for a second factor or single sign-on): no password here",
    )
    signin_parser.add_argument(
        "--no-open", dest="open_browser", action="store_false", help="print the portal's address, open no browser"
    )
    check_parser = commands.add_parser("check", help="check the licence of a product")
    check_parser.add_argument("product", help="the product's code, like draftline")
    commands.add_parser("signout", help="sign this device out")
    return main_parser


def main(argv: list[str] | None = None, out=None) -> int:
    out = out or sys.stdout
    args = parser().parse_args(argv)
    args.state = args.state or default_state_path()
    state = load_state(args.state)
    args.server = args.server or state.get("server") or os.environ.get("SEATKEEPER_SERVER") or DEFAULT_SERVER
    command = {"signin": signin, "check": check, "signout": signout}[args.command]
    try:
        return command(args, state, out)
    except (NoAnswer, UsageError) as error:
        print(error, file=out)
        return NO_ANSWER


if __name__ == "__main__":
    sys.exit(main())
