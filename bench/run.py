"""`make bench`: the figures of issue 10 on a customer of 50,000 members, printed and written to RESULTS.md.

    .venv/bin/python bench/run.py                     # SQLite (and PostgreSQL too when DATABASE_URL is set)
    .venv/bin/python bench/run.py --days 90           # fewer days of seat usage: a quicker first seed
    .venv/bin/python bench/run.py --skip-export       # without item 5
    .venv/bin/python bench/run.py --no-results        # print only, leave bench/RESULTS.md alone

1. queries per page (in-process, Django's test client, CaptureQueriesContext), on a demo team of a few
   dozen members and on the large team, to show whether the count is constant in rows;
2. the median time of each page under gunicorn, over real HTTP, as a ratio to a Django admin page of
   the same rows (the admin's changelist, or change page for one row) in the same run;
3. the licence check `GET /api/v1/entitlements/<code>` at a fixed rate, against a minimal Django view
   (bench/urls.py) under the same gunicorn;
4. a CSV import of 5,000 new people into the large team: preview and confirm, in a child process;
5. the seat-usage "Export as CSV" (By User, all teams, the seeded days) in a child process, and on
   PostgreSQL the same SQL through COPY ... TO STDOUT.

The seeded database is built once (`seed_demo --users N --usage-days D`) and kept in
/tmp/seatkeeper-bench (SQLite: a file; PostgreSQL: a template database skbench_<key>), under a key
made of the seed's code, the migrations, N and D; each run works on a copy, so the import and the
licence checks never change the cache. This process does not load Django: the measurements that
need it run in children (`--child ...`), so that their peak memory is their own.
"""

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("BENCH_CACHE", "/tmp/seatkeeper-bench"))
RESULTS = ROOT / "bench" / "RESULTS.md"
PYTHON = sys.executable
ADMIN = "admin@example.com"
SUPPORT = "support@example.com"


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on (another developer's server may hold any fixed one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or free_port())
IMPORT_ROWS = 5000
IMPORT_DOMAIN = "import.bench.example"
NOTES = "## Notes"  # RESULTS.md from this heading on is written by hand and kept by each run
ITEMS = (1, 2, 3, 4, 5)
# What the seeded database is made by: the demo package (every module of it) and the command.
SEED_SOURCES = [
    *sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / "licensing/subscriptions/demo").glob("*.py")),
    "licensing/subscriptions/management/commands/seed_demo.py",
]


# --- The seeded database, cached ----------------------------------------------------------------


def seed_key(users: int, days: int) -> str:
    """A hash of what the seeded database depends on: the seed's code, every migration, N and D."""
    digest = hashlib.sha256(f"{users}:{days}".encode())
    files = [ROOT / name for name in SEED_SOURCES] + sorted(ROOT.glob("licensing/*/migrations/*.py"))
    for path in files:
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def manage(args: list[str], env: dict) -> str:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def seed_env(database: dict) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    env.update(database)
    return env


def seed(database: dict, users: int, days: int, log) -> float:
    env = seed_env(database)
    started = time.monotonic()
    manage(["migrate", "--no-input", "-v0"], env)
    output = manage(["seed_demo", "--users", str(users), "--usage-days", str(days)], env)
    log("\n".join(line for line in output.splitlines() if line.startswith("Built")))
    return time.monotonic() - started


def sqlite_work_copy(users: int, days: int, log) -> dict:
    """The cached seeded file (built if missing) copied to a work file; returns the child's environment."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"seed-{seed_key(users, days)}-u{users}-d{days}.sqlite3"
    if not cached.exists():
        building = cached.with_suffix(".building")
        for leftover in CACHE.glob(building.name + "*"):
            leftover.unlink()
        log(f"seeding {users} members, {days} days of usage into {cached} (once; minutes)")
        took = seed({"SQLITE_PATH": str(building)}, users, days, log)
        with sqlite3.connect(building) as db:  # everything into the main file, so one copy is whole
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("PRAGMA journal_mode=DELETE")
        building.rename(cached)
        log(f"seeded in {took:.0f} s")
    else:
        log(f"reusing {cached}")
    work = CACHE / "work.sqlite3"
    for leftover in CACHE.glob("work.sqlite3*"):
        leftover.unlink()
    shutil.copyfile(cached, work)
    return {"SQLITE_PATH": str(work)}


def pg_work_copy(url: str, users: int, days: int, log) -> dict:
    """A template database skbench_<key> (built if missing) and a fresh skbench_work made from it."""
    import psycopg  # only here: the SQLite run needs no driver

    parts = urlsplit(url)
    key = seed_key(users, days)
    template, work = f"skbench_{key}", "skbench_work"

    def url_of(name: str) -> str:
        return parts._replace(path=f"/{name}").geturl()

    with psycopg.connect(url, autocommit=True) as db:
        names = {row[0] for row in db.execute("SELECT datname FROM pg_database WHERE datname LIKE 'skbench_%'")}
        if template not in names:
            building = f"{template}_building"
            db.execute(f'DROP DATABASE IF EXISTS "{building}"')
            db.execute(f'CREATE DATABASE "{building}"')
            log(f"seeding {users} members, {days} days of usage into PostgreSQL {template} (once; minutes)")
            took = seed({"DATABASE_URL": url_of(building)}, users, days, log)
            with psycopg.connect(url_of(building), autocommit=True) as seeded:
                seeded.execute("VACUUM ANALYZE")
            db.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
            log(f"seeded in {took:.0f} s")
        else:
            log(f"reusing PostgreSQL {template}")
        db.execute(f'DROP DATABASE IF EXISTS "{work}"')
        db.execute(f'CREATE DATABASE "{work}" TEMPLATE "{template}"')
    return {"DATABASE_URL": url_of(work)}


# --- Children: the parts that need Django -------------------------------------------------------


def django_setup():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def child_setup(days: int) -> dict:
    """Who and what the pages are measured on; sessions and a device token for the HTTP requests."""
    from datetime import timedelta

    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from licensing.accounts.models import ApiToken, User, hash_token
    from licensing.subscriptions.demo import BULK_CUSTOMER, DEMO_CUSTOMER
    from licensing.subscriptions.models import Assignment
    from licensing.teams.models import Member, Team

    admin = User.objects.get(email=ADMIN)
    support = User.objects.get(email=SUPPORT)
    for team in Team.objects.filter(customer__name=BULK_CUSTOMER):  # bench set-up: item 5 exports all four
        Member.objects.get_or_create(
            team=team, user=admin, defaults={"role": Member.Role.SECONDARY_ADMIN, "status": Member.Status.ACTIVE}
        )

    def team_figures(customer: str) -> dict:
        # The (team, product) with the number of seats held closest to 10,000 (the product page).
        pairs = (
            Assignment.objects.filter(member__team__customer__name=customer, member__team__members__user=admin)
            .values("member__team", "product", "product__code")
            .annotate(n=Count("pk"))
        )
        pair = min(pairs, key=lambda row: abs(row["n"] - 10_000))
        team = Team.objects.get(pk=pair["member__team"])
        member = (
            Member.objects.filter(team=team, status=Member.Status.ACTIVE, assignments__product_id=pair["product"])
            .exclude(user=admin)
            .order_by("pk")
            .first()
        )
        return {
            "team": team.pk,
            "team_name": team.name,
            "members": Member.objects.filter(team=team).count(),
            "product": pair["product"],
            "code": pair["product__code"],
            "assigned": pair["n"],
            "member": member.pk,
            "user": member.user_id,
        }

    big, small = team_figures(BULK_CUSTOMER), team_figures(DEMO_CUSTOMER)
    raw = "bench-" + hash_token(str(time.time()))
    ApiToken.objects.create(
        user_id=big["user"], device_name="bench", token_hash=hash_token(raw), expires_at=timezone.now() + timedelta(1)
    )
    cookies = {}
    for who in (admin, support):
        client = Client()
        client.force_login(who)
        cookies[who.email] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return {"big": big, "small": small, "token": raw, "cookies": cookies, "days": days}


def pages(setup: dict, size: str) -> list[tuple[str, str, str, str]]:
    """(name, portal URL, admin URL of the same rows, what that admin page is) for the team of `size`."""
    s = setup[size]
    t, p, m = s["team"], s["product"], s["member"]
    members = f"/admin/teams/member/?team={t}"
    return [
        ("By User", f"/teams/{t}/users/", members, "member changelist of the team"),
        ("a user page", f"/teams/{t}/users/{m}/", f"/admin/teams/member/{m}/change/", "member change page"),
        (
            "By Product",
            f"/teams/{t}/products/",
            f"/admin/subscriptions/subscription/?q={s['team_name']}",
            "subscriptions",
        ),
        (
            "a product page",
            f"/teams/{t}/products/{p}/",
            f"/admin/subscriptions/assignment/?team={t}&product__id__exact={p}",
            "assignment changelist, team and product",
        ),
        ("Contracts", f"/teams/{t}/contracts/", "/admin/subscriptions/contract/", "contract changelist"),
        ("Seat Usage, By Product", f"/teams/{t}/reports/seat-usage/", members, "member changelist of the team"),
        ("Seat Usage, By User", f"/teams/{t}/reports/seat-usage/?tab=users", members, "member changelist of the team"),
        ("Activity log", f"/teams/{t}/activity/", "/admin/activity/activityevent/", "activity changelist"),
        ("admin: members", members, members, "itself"),
        ("admin: assignments", f"/admin/subscriptions/assignment/?team={t}", "", ""),
    ]


def child_queries(setup: dict) -> dict:
    """Queries per page, as the team's admin (portal) and as support staff (Django admin)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from licensing.accounts.models import User

    clients = {}
    for email in (ADMIN, SUPPORT):
        clients[email] = Client(SERVER_NAME="localhost")
        clients[email].force_login(User.objects.get(email=email))
    counts = {}
    for size in ("small", "big"):
        for name, url, _admin, _what in pages(setup, size):
            client = clients[SUPPORT if url.startswith("/admin/") else ADMIN]
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code}")
            top = max(queries.captured_queries, key=lambda q: float(q["time"]), default={"sql": "", "time": 0})
            counts.setdefault(name, {})[size] = len(queries)
            counts[name][f"{size}_top"] = f"{float(top['time']):.2f} s: {top['sql'][:300]}"
    return counts


def child_import(setup: dict) -> dict:
    """A CSV of IMPORT_ROWS new people into the large team: preview, then confirm."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from licensing.accounts.models import User
    from licensing.teams.models import Member

    team = setup["big"]["team"]
    lines = ["First name,Last name,E-mail address,Products"]
    lines += [f"Bench,Person {n},bench.person.{n}@{IMPORT_DOMAIN}," for n in range(IMPORT_ROWS)]
    upload = SimpleUploadedFile("people.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")
    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(email=ADMIN))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    started = time.monotonic()
    response = client.post(f"/teams/{team}/invite/import/", {"file": upload})
    preview = time.monotonic() - started
    assert response.status_code == 200, response.status_code
    import_id = client.session[f"accounts:import:{team}"]["id"]
    started = time.monotonic()
    response = client.post(f"/teams/{team}/invite/import/confirm/", {"import_id": import_id})
    confirm = time.monotonic() - started
    assert response.status_code in (200, 302), response.status_code
    # More than JOBS_IMPORT_ROWS_AT_ONCE rows: the confirmation answered at once with the job's page,
    # and a worker does the import (licensing.jobs); run here, in this process, and timed apart.
    from django_tasks_db.management.commands.db_worker import Worker

    started = time.monotonic()
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    ).run()
    job = time.monotonic() - started
    invited = Member.objects.filter(team_id=team, user__email__endswith=f"@{IMPORT_DOMAIN}").count()
    return {
        "preview": preview,
        "confirm": confirm,
        "job": job,
        "invited": invited,
        "rss_before": rss_before,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }


def child_export(setup: dict) -> dict:
    """Seat Usage › By User › Export as CSV, every team of the admin over the seeded days, to /dev/null."""
    from datetime import timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from licensing.accounts.models import User

    days = setup["days"]
    today = timezone.localdate()
    start, end = today - timedelta(days=days), today - timedelta(days=1)
    client = Client(SERVER_NAME="localhost")
    client.force_login(User.objects.get(email=ADMIN))
    url = f"/teams/{setup['big']['team']}/reports/seat-usage/users.csv?team=all&range=custom&start={start}&end={end}"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    size = lines = 0
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        with open(os.devnull, "wb") as sink:
            for chunk in response.streaming_content:
                sink.write(chunk)
                size += len(chunk)
                lines += chunk.count(b"\n")
        wall = time.monotonic() - started
    figures = {
        "rows": lines - 1,
        "mib": size / 1_048_576,
        "wall": wall,
        "rss_before": rss_before,
        "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "from": str(start),
        "to": str(end),
    }
    if connection.vendor == "postgresql":
        # The same query as the export's slowest, through PostgreSQL's own COPY, to /dev/null.
        # Through a server-side cursor (iterator()) the statement logged is DECLARE ... CURSOR FOR <query>.
        sql = max(queries.captured_queries, key=lambda q: float(q["time"]))["sql"] or ""
        sql = re.sub(r"^\s*DECLARE\s.*?\bCURSOR\b.*?\bFOR\s+", "", sql, count=1, flags=re.IGNORECASE | re.DOTALL)
        copied = 0
        try:
            started = time.monotonic()
            with connection.cursor() as cursor, cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
                for data in copy:
                    copied += bytes(data).count(b"\n")
            figures.update(copy_wall=time.monotonic() - started, copy_rows=copied, copy_sql=sql[:300])
        except Exception as error:  # report it in the table rather than lose the other figures
            figures.update(copy_error=f"{type(error).__name__}: {error}"[:300], copy_sql=sql[:300])
    return figures


CHILDREN = {"queries": child_queries, "import": child_import, "export": child_export}


def child(kind: str, setup_file: str | None, days: int) -> None:
    django_setup()
    setup = json.loads(Path(setup_file).read_text()) if setup_file else None
    result = child_setup(days) if kind == "setup" else CHILDREN[kind](setup)
    print("BENCH-JSON " + json.dumps(result))


def run_child(kind: str, env: dict, setup_file: Path | None = None, days: int = 0) -> dict:
    args = [PYTHON, __file__, "--child", kind, "--days", str(days)]
    if setup_file:
        args += ["--setup", str(setup_file)]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True)
    found = [line for line in done.stdout.splitlines() if line.startswith("BENCH-JSON ")]
    if done.returncode or not found:
        raise RuntimeError(f"child {kind} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(found[-1].removeprefix("BENCH-JSON "))


# --- gunicorn and HTTP ---------------------------------------------------------------------------


class Gunicorn:
    """gunicorn serving bench.settings on 127.0.0.1:PORT, stopped on leaving the `with`."""

    def __init__(self, env: dict, workers: int):
        self.env, self.workers, self.process = env, workers, None

    def __enter__(self):
        args = [str(Path(PYTHON).parent / "gunicorn"), "portal.wsgi:application", "--bind", f"127.0.0.1:{PORT}"]
        args += ["--workers", str(self.workers), "--timeout", "120", "--log-level", "warning", "--chdir", str(ROOT)]
        self.process = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get("/bench/minimal/")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.3)
            if self.process.poll() is not None:
                raise RuntimeError("gunicorn exited")
        raise RuntimeError("gunicorn did not answer within 60 s")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def get(path: str, headers: dict | None = None, timeout: float = 120) -> tuple[int, int]:
    """GET over a new connection (gunicorn's sync workers close each one); (status, body bytes)."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "127.0.0.1", **(headers or {})})
        response = connection.getresponse()
        return response.status, len(response.read())
    finally:
        connection.close()


def drain(limit: float = 120) -> None:
    """Wait (at most `limit` s) until gunicorn answers the minimal view within 50 ms: no backlog left."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            get("/bench/minimal/", timeout=10)
        except OSError:
            continue
        if time.monotonic() - started < 0.05:
            return
        time.sleep(1)


def median_time(path: str, cookie: str, repeat: int, warm: int = 1) -> float:
    """The median of `repeat` requests of `path`, after `warm` requests not counted: as many as there
    are workers, since any worker may take the next request and each has its own caches (compiled
    templates, its database connection's pages). With one warm-up only, the first page measured (By
    User) met cold workers: 0.72 s against 0.19 s in process (SQLite, 2026-12-04)."""
    headers = {"Cookie": f"sessionid={cookie}"}
    for _ in range(warm):
        status, _size = get(path, headers)
        if status != 200:
            raise RuntimeError(f"{path}: {status}")
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        get(path, headers)
        times.append(time.monotonic() - started)
    return statistics.median(times)


def load(path: str, headers: dict, rate: int, seconds: int) -> dict:
    """`rate` requests a second for `seconds`, each on its schedule (open loop, at most 64 at a time):
    p50 and p99 latency from the scheduled start, errors, and the rate of good answers. A request whose
    turn comes more than 5 s after the end is not sent and counts as an error, so the loop is bounded."""
    latencies, errors, lock = [], [0], threading.Lock()
    started = time.monotonic()
    deadline = started + seconds + 5

    def one(scheduled: float) -> None:
        if time.monotonic() > deadline:
            with lock:
                errors[0] += 1
            return
        try:
            status, _size = get(path, headers, timeout=10)
            ok = status == 200
        except OSError:
            ok = False
        took = time.monotonic() - scheduled
        with lock:
            latencies.append(took)
            errors[0] += not ok

    total = rate * seconds
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(total):
            scheduled = started + n / rate
            pause = scheduled - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            pool.submit(one, scheduled)
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests": total,
        "rate": (total - errors[0]) / elapsed,
        "p50": latencies[len(latencies) // 2] * 1000,
        "p99": latencies[int(len(latencies) * 0.99)] * 1000,
        "errors": errors[0],
    }


# --- One database ----------------------------------------------------------------------------------


def bench_database(label: str, database: dict, options, log) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DEBUG": "false"}
    env.pop("DATABASE_URL", None)
    env.update(database)
    result = {"label": label, "load": [os.getloadavg()[0]]}
    setup = run_child("setup", env, days=options.days)
    setup_file = CACHE / f"setup-{label}.json"
    setup_file.write_text(json.dumps(setup))
    result["setup"] = setup
    log(
        f"large team {setup['big']['team_name']}: {setup['big']['members']} members; product page: "
        f"{setup['big']['code']} with {setup['big']['assigned']} seats held"
    )
    if 1 in options.items:
        log("1. queries per page")
        result["queries"] = run_child("queries", env, setup_file)
    workers = 2 * (os.cpu_count() or 1) + 1
    log(f"2., 3. gunicorn with {workers} workers on 127.0.0.1:{PORT}")
    with Gunicorn(env, workers):
        times, baselines = {}, {}
        for name, url, admin, _what in pages(setup, "big") if 2 in options.items else []:
            if name.startswith("admin:"):
                continue
            times[name] = median_time(url, setup["cookies"][ADMIN], options.repeat, workers)
            if admin not in baselines:
                baselines[admin] = median_time(admin, setup["cookies"][SUPPORT], options.repeat, workers)
            log(f"   {name}: {times[name]:.3f} s, admin {baselines[admin]:.3f} s")
        for name, url, _admin, _what in pages(setup, "big") if 2 in options.items else []:
            if name.startswith("admin:"):
                times[name] = baselines.get(url) or median_time(url, setup["cookies"][SUPPORT], options.repeat, workers)
        if 2 in options.items:
            result["times"], result["baselines"] = times, baselines
        result["load"].append(os.getloadavg()[0])
        if 3 in options.items:
            # The yardstick first; then, once gunicorn has no backlog left, the licence check.
            result["minimal"] = load("/bench/minimal/", {}, options.rate, options.seconds)
            log(f"   minimal view: {result['minimal']}")
            drain()
            api = f"/api/v1/entitlements/{setup['big']['code']}"
            auth = {"Authorization": f"Bearer {setup['token']}"}
            result["licence"] = load(api, auth, options.rate, options.seconds)
            log(f"   licence check: {result['licence']}")
    result["load"].append(os.getloadavg()[0])
    if 4 in options.items:
        log("4. import")
        result["import"] = run_child("import", env, setup_file)
    if 5 in options.items and not options.skip_export:
        log("5. export")
        result["export"] = run_child("export", env, setup_file)
    result["load"].append(os.getloadavg()[0])
    saved = CACHE / f"figures-{label}.json"
    if set(options.items) != set(ITEMS) and saved.exists():  # some items again: the others as last measured
        result = {**json.loads(saved.read_text()), **result, "items_again": sorted(options.items)}
    saved.write_text(json.dumps(result))
    return result


# --- The table ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def rate_cell(rate: float, baseline: float) -> str:
    return f"{rate:.0f} / {baseline:.0f} = {rate / baseline:.0%} {verdict(rate >= 0.7 * baseline)}"


MISSING = "not measured"


def measured(r: dict, key: str, cell) -> str:
    """`cell(r)`, or "not measured" when this run did not measure `key` (`--items` without earlier figures)."""
    return cell(r) if key in r else MISSING


def table(results: list[dict], options) -> str:
    out = []
    labels = [r["label"] for r in results]
    head = "| figure | goal | " + " | ".join(labels) + " |"
    rule = "| --- | --- |" + " --- |" * len(labels)
    first = results[0]["setup"]
    out += ["### 1. Queries per page (demo team → large team)", "", head, rule]
    for name, _url, _admin, _what in pages(first, "big"):
        cells = []
        for r in results:
            if "queries" not in r:
                cells.append(MISSING)
                continue
            q = r["queries"][name]
            ok = q["big"] <= q["small"] and q["big"] <= 15  # not growing with the rows
            cells.append(f"{q['small']} → {q['big']} {verdict(ok)}")
        out.append(f"| {name} | constant, ≤ 15 | " + " | ".join(cells) + " |")
    out += ["", "### 2. Median time under gunicorn, and its ratio to the Django admin page of the same rows", ""]
    out += ["| page | admin page compared | goal | " + " | ".join(labels) + " |", "| --- | --- | --- |"]
    out[-1] += " --- |" * len(labels)
    for name, _url, admin, what in pages(first, "big"):
        cells = []
        for r in results:
            if "times" not in r:
                cells.append(MISSING)
                continue
            t = r["times"][name]
            if admin:
                ratio = t / r["baselines"][admin]
                cells.append(f"{t:.3f} s / {r['baselines'][admin]:.3f} s = {ratio:.1f}× {verdict(ratio <= 1.2)}")
            else:
                cells.append(f"{t:.3f} s")
        out.append(f"| {name} | {what or '(itself)'} | {'≤ 1.2×' if admin else ''} | " + " | ".join(cells) + " |")
    out += ["", f"### 3. Licence check at {options.rate} requests/s for {options.seconds} s", "", head, rule]
    rows = [
        ("p50 (ms)", "", lambda r: f"{r['licence']['p50']:.1f} (minimal view {r['minimal']['p50']:.1f})"),
        (
            "p99 (ms)",
            "< 50",
            lambda r: (
                f"{r['licence']['p99']:.1f} {verdict(r['licence']['p99'] < 50)} "
                f"(minimal view {r['minimal']['p99']:.1f})"
            ),
        ),
        (
            "errors",
            "0",
            lambda r: f"{r['licence']['errors']} of {r['licence']['requests']} (minimal view {r['minimal']['errors']})",
        ),
        (
            "requests/s",
            "≥ 70% of the minimal view's",
            lambda r: rate_cell(r["licence"]["rate"], r["minimal"]["rate"]),
        ),
    ]
    for name, goal, cell in rows:
        out.append(f"| {name} | {goal} | " + " | ".join(measured(r, "licence", cell) for r in results) + " |")
    out += ["", f"### 4. CSV import of {IMPORT_ROWS:,} rows into the large team", "", head, rule]
    # The confirmation answers with the job's page; the job (the import itself, and its 5,000 mails'
    # jobs) runs in the worker.
    for name, key in (("preview", "preview"), ("confirm", "confirm"), ("the job (import and mails)", "job")):
        out.append(
            f"| {name} | ≤ 5 s | "
            + " | ".join(
                measured(r, "import", lambda r, key=key: f"{r['import'][key]:.1f} s {verdict(r['import'][key] <= 5)}")
                for r in results
            )
            + " |"
        )
    out.append(
        "| invited | 5,000 | "
        + " | ".join(measured(r, "import", lambda r: f"{r['import']['invited']:,}") for r in results)
        + " |"
    )
    out.append(
        "| peak RSS of the process | | "
        + " | ".join(
            measured(r, "import", lambda r: f"{r['import']['rss']} MiB ({r['import']['rss_before']} MiB before)")
            for r in results
        )
        + " |"
    )
    out += ["", f"### 5. Seat-usage CSV (By User, all teams, {options.days} days)", ""]
    if options.skip_export:
        out.append("Not run (`--skip-export`).")
    else:
        out += [head, rule]
        out.append(
            "| rows, size | | "
            + " | ".join(
                measured(r, "export", lambda r: f"{r['export']['rows']:,}, {r['export']['mib']:.1f} MiB")
                for r in results
            )
            + " |"
        )
        out.append(
            "| time | | "
            + " | ".join(measured(r, "export", lambda r: f"{r['export']['wall']:.1f} s") for r in results)
            + " |"
        )

        def copy_cell(r: dict) -> str:
            e = r["export"]
            if "copy_error" in e:
                return f"COPY failed: {e['copy_error']}"
            if "copy_wall" not in e:
                return "no COPY on SQLite"
            share = e["copy_wall"] / e["wall"]
            return f"COPY {e['copy_wall']:.1f} s ({e['copy_rows']:,} rows): {share:.0%} {verdict(share >= 0.5)}"

        out.append(
            "| rate against COPY of the same query | ≥ 50% | "
            + " | ".join(measured(r, "export", copy_cell) for r in results)
            + " |"
        )
        out.append(
            "| peak RSS of the process | < 150 MB | "
            + " | ".join(
                measured(
                    r,
                    "export",
                    lambda r: (
                        f"{r['export']['rss']} MiB ({r['export']['rss_before']} before) "
                        f"{verdict(r['export']['rss'] * 1.048576 < 150)}"
                    ),
                )
                for r in results
            )
            + " |"
        )
    return "\n".join(out)


def describe(results: list[dict], options) -> str:
    cores, machine = os.cpu_count(), platform.machine()
    lines = [f"{date.today()}, {machine}, {cores} cores, Python {platform.python_version()}."]
    for r in results:
        s = r["setup"]
        loads = ", ".join(f"{value:.1f}" for value in r["load"])
        lines.append(
            f"{r['label']}: large team {s['big']['team_name']} ({s['big']['members']:,} members), product page "
            f"{s['big']['code']} ({s['big']['assigned']:,} seats held); demo team {s['small']['team_name']} "
            f"({s['small']['members']} members). Load average (1 min) at start, after the pages, after the load "
            f"test, at the end: {loads}."
        )
    lines.append(
        f"Seed: `seed_demo --users {options.users} --usage-days {options.days}`; timings are the median of "
        f"{options.repeat} requests after one warm-up per worker, gunicorn {2 * (cores or 1) + 1} sync workers."
    )
    return "\n\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=int(os.environ.get("BENCH_USERS", "50000")))
    parser.add_argument("--days", type=int, default=int(os.environ.get("BENCH_DAYS", "365")))
    parser.add_argument("--skip-export", action="store_true", default=bool(os.environ.get("BENCH_SKIP_EXPORT")))
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (the median is reported)")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument(
        "--items",
        type=lambda text: [int(part) for part in text.split(",")],
        default=list(ITEMS),
        help="which items to measure, e.g. 3 or 1,2 (the others are taken from the last run's figures)",
    )
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--report", action="store_true", help="only the table, from the figures of the last runs")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.child, options.setup, options.days)
        return

    def log(text: str) -> None:
        if text:
            print(text, flush=True)

    started = time.monotonic()
    results = []
    url = os.environ.get("DATABASE_URL")
    if options.report:  # the figures each run keeps in the cache (say, of a SQLite and a PostgreSQL run apart)
        saved = [CACHE / "figures-SQLite.json", CACHE / "figures-PostgreSQL.json"]
        results = [json.loads(path.read_text()) for path in saved if path.exists()]
    if not options.report and not options.postgres_only:
        log(f"== SQLite ({options.users} members, {options.days} days of usage)")
        results.append(bench_database("SQLite", sqlite_work_copy(options.users, options.days, log), options, log))
    if not options.report and url and not options.sqlite_only:
        log(f"== PostgreSQL ({urlsplit(url).hostname})")
        results.append(bench_database("PostgreSQL", pg_work_copy(url, options.users, options.days, log), options, log))
    elif not options.report and not url:
        log("== DATABASE_URL is not set: no PostgreSQL run")
    report = describe(results, options) + "\n\n" + table(results, options)
    print("\n" + report)
    print(f"\n(make bench took {time.monotonic() - started:.0f} s)")
    if not options.no_results:
        # The notes written by hand below the figures (what a missed goal is likely due to) stay.
        notes = RESULTS.read_text().partition(NOTES)[2] if RESULTS.exists() else ""
        RESULTS.write_text(f"# Benchmark results (issue 10)\n\n{report}\n" + (f"\n{NOTES}{notes}" if notes else ""))
        print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
