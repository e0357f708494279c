"""PostgreSQL stopped and started while the portal and the licence API serve requests, with real
processes: a private PostgreSQL 15 cluster made for this test (never the machine's own), gunicorn
serving the portal on it, and a signed-in admin, a desktop device and a writer as HTTP clients.

While the database is down every page answers the 503 page in the admin's words and the API a JSON
503, both with Retry-After; never a 500 or a traceback. Once it is up again every request answers as
before: the workers' persistent connections (CONN_MAX_AGE with CONN_HEALTH_CHECKS) are replaced.
No write is half done: each one that answered success is in the database with its activity row, and
of those that answered 503 each is either wholly there or wholly absent.

The counts of the run are printed (`pytest -s`) and written to test-artifacts/faults-database-outage.json.
"""

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
from django.conf import settings

from portal.middleware import DATABASE_UNAVAILABLE

PG_BIN = Path("/usr/lib/postgresql/15/bin")
BASE_DIR = Path(settings.BASE_DIR)
ARTIFACT = BASE_DIR / "test-artifacts" / "faults-database-outage.json"
OUTAGE_SECONDS = 2.5
WARM_UP_REQUESTS = 5  # each client, before the database goes down
AFTER_REQUESTS = 15  # each client, once it is up again
DEADLINE_SECONDS = 45  # the whole load, whatever happens
OK = {200, 302}

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not (PG_BIN / "initdb").exists(), reason="needs PostgreSQL 15's initdb"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, *, timeout: float, what: str, interval: float = 0.05):
    """Poll `check` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- A private PostgreSQL -------------------------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster in a temporary directory, on its own port, run as the `postgres` user
    when we are root (PostgreSQL refuses to run as root)."""

    def __init__(self, root: Path):
        self.root = root
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = 0

    def _run(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True, timeout=timeout, cwd=self.root)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "-t", "30", "start")

    def start_on_a_free_port(self) -> None:
        for attempt in range(3):  # another process may take the port between choosing and binding it
            self.port = free_port()
            try:
                self.start()
                return
            except subprocess.CalledProcessError:
                if attempt == 2:
                    raise

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop", check=False)

    def url(self, database: str = "seatkeeper", user: str = "seatkeeper") -> str:
        return f"postgres://{user}@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="seatkeeper-faults-pg-"))
    cluster = Cluster(root)
    try:
        cluster.init()
        cluster.start_on_a_free_port()
        with psycopg.connect(cluster.url("postgres", "postgres"), autocommit=True) as conn:
            conn.execute("CREATE ROLE seatkeeper LOGIN")
            conn.execute("CREATE DATABASE seatkeeper OWNER seatkeeper")
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


# --- The portal on it -----------------------------------------------------------------------------


def portal_env(cluster: Cluster) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SQLITE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DATABASE_URL=cluster.url(),
        DEBUG="0",  # the pages production shows, not the debug pages
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@dataclass
class Portal:
    base: str
    port: int
    world: dict
    log: Path


@pytest.fixture(scope="module")
def portal(cluster):
    env = portal_env(cluster)
    manage(env, "migrate", "--no-input")
    seeded = manage(env, "shell", "-c", "from tests.faults.outage_world import seed; seed()")
    world = json.loads(seeded.strip().splitlines()[-1])
    log = cluster.root / "gunicorn.log"
    process = None
    try:
        for _attempt in range(3):
            port = free_port()
            command = [
                *(sys.executable, "-m", "gunicorn", "portal.wsgi"),
                *("--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--worker-class", "gthread"),
                *("--timeout", "30", "--graceful-timeout", "2"),
            ]
            with open(log, "ab") as out:
                process = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)

            def answers(port=port, process=process):
                if process.poll() is not None:
                    return "exited"
                with contextlib.suppress(OSError):
                    return request(f"127.0.0.1:{port}", "GET", "/accounts/login/").status == 200
                return False

            if wait_until(answers, timeout=30, what="gunicorn to answer") != "exited":
                break
        else:
            raise AssertionError("gunicorn did not start:\n" + log.read_text()[-3000:])
        yield Portal(base=f"127.0.0.1:{port}", port=port, world=world, log=log)
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


# --- HTTP clients ---------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict
    body: str


def request(base: str, method: str, path: str, *, headers=None, body: str | None = None) -> Answer:
    host, port = base.split(":")
    conn = HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw_headers = response.getheaders()
        text = response.read().decode("utf-8", "replace")
    finally:
        conn.close()
    cookies = [value for name, value in raw_headers if name.lower() == "set-cookie"]
    return Answer(response.status, {**{name.lower(): value for name, value in raw_headers}, "cookies": cookies}, text)


class Browser:
    """One person's browser: cookies, and the CSRF token as the portal's htmx sends it."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}

    def _send(self, method: str, path: str, form: dict | None = None) -> Answer:
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        answer = request(self.base, method, path, headers=headers, body=body)
        for header in answer.headers["cookies"]:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return answer

    def get(self, path: str) -> Answer:
        return self._send("GET", path)

    def post(self, path: str, form: dict) -> Answer:
        return self._send("POST", path, form)

    def sign_in(self, email: str, password: str) -> None:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
        answer = self.post("/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": password})
        assert answer.status == 302, answer.body[:500]
        assert "sessionid" in self.cookies


# --- The load -------------------------------------------------------------------------------------


@dataclass
class Record:
    client: str
    method: str
    path: str
    started: float
    ended: float
    status: int
    retry_after: str | None
    content_type: str
    body: str
    write: tuple | None = None  # ("rename", name) or ("assign", member id)


@dataclass
class Clock:
    """When the database went down and came back (time.monotonic()); inf until it happens."""

    down: float = float("inf")
    up: float = float("inf")
    stop: threading.Event = field(default_factory=threading.Event)


def run_client(name: str, steps, records: list, clock: Clock, lock: threading.Lock) -> None:
    """Send the client's requests one after another until the database has been up for AFTER_REQUESTS
    of them, or the deadline passes. `steps(n)` sends the n-th request and returns (Answer, method,
    path, write)."""
    after = 0
    n = 0
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline and not clock.stop.is_set():
        started = time.monotonic()
        try:
            answer, method, path, write = steps(n)
        except OSError as error:  # gunicorn itself unreachable: a failure the test must report
            answer, method, path, write = Answer(0, {}, repr(error)), "?", "?", None
        ended = time.monotonic()
        record = Record(
            client=name,
            method=method,
            path=path,
            started=started,
            ended=ended,
            status=answer.status,
            retry_after=answer.headers.get("retry-after"),
            content_type=answer.headers.get("content-type", ""),
            body=answer.body if answer.status not in OK else "",
            write=write,
        )
        with lock:
            records.append(record)
        n += 1
        if started > clock.up:
            after += 1
            if after >= AFTER_REQUESTS:
                return
        time.sleep(0.01)


def phase(record: Record, clock: Clock) -> str:
    if record.ended < clock.down:
        return "before"
    if record.started > clock.up:
        return "after"
    return "during"


def test_the_portal_and_the_api_answer_503_while_postgresql_restarts_and_recover(cluster, portal):
    world, team = portal.world, portal.world["team"]
    admin = Browser(portal.base)
    admin.sign_in(world["admin_email"], world["password"])
    writer = Browser(portal.base)
    writer.sign_in(world["admin_email"], world["password"])
    pages = ["/", f"/teams/{team}/", f"/teams/{team}/users/", f"/teams/{team}/products/", f"/teams/{team}/settings/"]
    api_path = f"/api/v1/entitlements/{world['product_code']}"
    bearer = {"Authorization": f"Bearer {world['token']}"}
    members = iter(world["members"])

    def read(n):
        path = pages[n % len(pages)]
        return admin.get(path), "GET", path, None

    def check_licence(n):
        return request(portal.base, "GET", api_path, headers=bearer), "GET", api_path, None

    def write(n):
        member = None if n % 2 else next(members, None)
        if member is None:
            name = f"Design {n}"
            path = f"/teams/{team}/settings/rename/"
            return writer.post(path, {"name": name}), "POST", path, ("rename", name)
        path = f"/teams/{team}/users/{member}/products/{world['product']}/assign/"
        return writer.post(path, {}), "POST", path, ("assign", member)

    records: list[Record] = []
    lock = threading.Lock()
    clock = Clock()
    clients = {"portal": read, "portal 2": read, "api": check_licence, "api 2": check_licence, "writes": write}
    threads = [
        threading.Thread(target=run_client, args=(name, steps, records, clock, lock), daemon=True)
        for name, steps in clients.items()
    ]
    for thread in threads:
        thread.start()
    try:
        # Warm up: every client has had answers, so the workers hold persistent connections.
        wait_until(
            lambda: all(sum(r.client == c for r in records) >= WARM_UP_REQUESTS for c in clients),
            timeout=20,
            what="the warm-up requests",
        )
        clock.down = time.monotonic()
        cluster.stop("fast")
        # Down for a while, long enough for every client to meet it.
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        clock.up = time.monotonic()
        for thread in threads:
            thread.join(timeout=DEADLINE_SECONDS)
    finally:
        clock.stop.set()
        for thread in threads:
            thread.join(timeout=10)

    counts = report(records, clock)
    print("\nDatabase outage:", json.dumps(counts, indent=1))

    # gunicorn itself answered everything, and never with a server error.
    assert [r for r in records if r.status == 0] == []
    assert [(r.path, r.body[:300]) for r in records if r.status >= 500 and r.status != 503] == []
    # Before and after the outage every request answers as it should.
    wrong = [(phase(r, clock), r.client, r.path, r.status) for r in records if phase(r, clock) != "during"]
    assert [w for w in wrong if w[3] not in OK] == []
    for client in clients:
        assert sum(1 for r in records if r.client == client and phase(r, clock) == "after") >= AFTER_REQUESTS
    # During it: the 503 page in words, or the API's JSON, with Retry-After; no traceback.
    unavailable = [r for r in records if r.status == 503]
    assert {r.client for r in unavailable} == set(clients), "every client met the outage"
    for r in unavailable:
        assert int(r.retry_after or 0) > 0
        if r.path.startswith("/api/"):
            assert r.content_type.startswith("application/json")
            assert json.loads(r.body)["detail"]
        else:
            assert r.content_type.startswith("text/html")
            assert str(DATABASE_UNAVAILABLE) in r.body
            assert "Traceback" not in r.body
            assert "Server Error" not in r.body
    writes = check_writes(cluster, records, team)
    print("Writes:", json.dumps(writes))
    ARTIFACT.write_text(json.dumps({**counts, "writes": writes}, indent=2) + "\n")


def report(records: list[Record], clock: Clock) -> dict:
    """Requests by phase, kind and status; also written to test-artifacts/."""
    kinds = {"portal": "pages", "portal 2": "pages", "api": "api", "api 2": "api", "writes": "writes"}
    counts: dict = {}
    for r in records:
        by_status = counts.setdefault(phase(r, clock), {}).setdefault(kinds[r.client], Counter())
        by_status[str(r.status)] += 1
    result = {
        "outage_seconds": round(clock.up - clock.down, 2),
        "requests": len(records),
        "by_phase": {p: {k: dict(sorted(c.items())) for k, c in kinds_.items()} for p, kinds_ in counts.items()},
    }
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(result, indent=2) + "\n")
    return result


def check_writes(cluster: Cluster, records: list[Record], team: int) -> dict:
    """Every write that answered success is in the database with its activity row; every write that
    answered 503 is there whole (it committed before the answer failed) or not at all."""
    writes = [r for r in records if r.write]
    with psycopg.connect(cluster.url()) as conn:
        renamed = {
            row[0]
            for row in conn.execute(
                "SELECT after->>'name' FROM activity_activityevent WHERE action = 'team_renamed' AND team_id = %s",
                (team,),
            )
        }
        (name,) = conn.execute("SELECT name FROM teams_team WHERE id = %s", (team,)).fetchone()
        assigned = {row[0] for row in conn.execute("SELECT member_id FROM subscriptions_assignment")}
        assigned_logged = {
            row[0]
            for row in conn.execute(
                "SELECT m.id FROM activity_activityevent e JOIN teams_member m ON m.user_id = e.target_user_id "
                "WHERE e.action = 'product_assigned' AND m.team_id = %s",
                (team,),
            )
        }
    successes = [r.write for r in writes if r.status in OK]
    assert successes, "some writes succeeded"
    for kind, value in successes:
        assert value in (renamed if kind == "rename" else assigned & assigned_logged), (kind, value)
    # The assignment and its activity row are there together or not at all.
    tried = {value for kind, value in (r.write for r in writes) if kind == "assign"}
    assert assigned & tried == assigned_logged & tried
    # The team has the name of the last rename that was committed (the writes run one after another).
    committed = [value for kind, value in (r.write for r in writes) if kind == "rename" and value in renamed]
    assert name == committed[-1]
    in_database = (renamed, assigned)
    failed = [(kind, value) for kind, value in (r.write for r in writes if r.status == 503)]
    return {
        "answered_success_and_in_database": len(successes),
        "answered_503_and_absent": sum(value not in in_database[kind == "assign"] for kind, value in failed),
        "answered_503_but_committed_whole": sum(value in in_database[kind == "assign"] for kind, value in failed),
    }
