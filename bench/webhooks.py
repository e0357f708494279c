"""Webhook deliveries per second (issue 21, R-API4): events through the outbox, sent by the job
worker to a receiver on 127.0.0.1 that verifies every signature with the `standardwebhooks` package.

    .venv/bin/python bench/webhooks.py                       # SQLite; PostgreSQL too if DATABASE_URL is set
    .venv/bin/python bench/webhooks.py --events 2000 --runs 5 --no-results

Each database is a fresh one (SQLite: /tmp/bench-webhooks.sqlite3; PostgreSQL: DATABASE_URL's
database, emptied by `flush`), migrated, with one team and one endpoint of it subscribed to every
event. A run writes `--events` events in one transaction (each with its delivery, as a service's
change does), then times django-tasks-db's worker (in batch mode, in this process, as `db_worker
--batch` runs) from its start until every delivery is answered 200: deliveries per second. The
receiver is a ThreadingHTTPServer in the same process, so it shares the 2 cores (and the GIL) with
the worker; one endpoint's deliveries go one after another (order per team), so this is one sender's
rate. The figures (min / median / max of the runs) go into bench/RESULTS.md between the markers.
"""

import argparse
import http.server
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
START, END = "<!-- webhooks: bench/webhooks.py -->", "<!-- /webhooks -->"


def child(events: int, runs: int) -> None:
    """In a child process with the database's environment: the runs, their rates as JSON on stdout."""
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tasks_db.management.commands.db_worker import Worker
    from standardwebhooks import Webhook

    from licensing.teams.models import Customer, Team
    from licensing.webhooks import services
    from licensing.webhooks.models import Delivery, EventType
    from licensing.webhooks.outbox import events_emit

    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    verified = {"ok": 0, "bad": 0}
    secret = {"value": ""}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                Webhook(secret["value"]).verify(body, dict(self.headers.items()))
                verified["ok"] += 1
                status = 200
            except Exception:
                verified["bad"] += 1
                status = 401
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    customer = Customer.objects.create(name="Bench customer")
    team = Team.objects.create(customer=customer, name="Bench team")
    _endpoint, secret["value"] = services.endpoint_create(
        team=team,
        url=f"http://127.0.0.1:{server.server_address[1]}/in",
        event_types=list(EventType.values),
        actor=None,
    )
    rates = []
    for _ in range(runs):
        with transaction.atomic():
            events_emit((EventType.SEAT_ASSIGNED, team.pk, {"n": n}, None) for n in range(events))
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="bench",
            excluded_queue_names=[],
        )
        started = time.perf_counter()
        worker.run()
        elapsed = time.perf_counter() - started
        pending = Delivery.objects.exclude(status=Delivery.Status.DELIVERED).count()
        if pending:
            sys.exit(f"{pending} deliveries not delivered")
        rates.append(events / elapsed)
    server.shutdown()
    print(json.dumps({"rates": rates, "verified": verified, "vendor": connection.vendor}))


def measure(env: dict, events: int, runs: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", "--events", str(events), "--runs", str(runs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"the benchmark failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.events, args.runs)
        return
    base = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "WEBHOOKS_ALLOW_PRIVATE": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "LOG_LEVEL": "WARNING",
    }
    databases = []
    sqlite = Path("/tmp/bench-webhooks.sqlite3")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite}{suffix}").unlink(missing_ok=True)
    databases.append(("SQLite", {**{k: v for k, v in base.items() if k != "DATABASE_URL"}, "SQLITE_PATH": str(sqlite)}))
    if os.environ.get("DATABASE_URL"):
        databases.append(("PostgreSQL", base))
    rows = []
    load_before = os.getloadavg()[0]
    for name, env in databases:
        result = measure(env, args.events, args.runs)
        rates = result["rates"]
        row = (
            f"| {name} | {min(rates):.0f} | {statistics.median(rates):.0f} | {max(rates):.0f} | "
            f"{result['verified']['ok']:,} verified, {result['verified']['bad']} refused |"
        )
        print(row)
        rows.append(row)
    load_after = os.getloadavg()[0]
    report = "\n".join(
        [
            START,
            "### Webhook deliveries per second (issue 21, R-API4)",
            "",
            f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}. `bench/webhooks.py --events {args.events} --runs {args.runs}`: "
            f"{args.events:,} events a run for one endpoint, sent by django-tasks-db's worker (one process, "
            "batch mode) to a receiver on 127.0.0.1 in the same process that verifies every signature with "
            "the `standardwebhooks` package; from the worker's start until the last 200. Load average "
            f"(1 min) before and after: {load_before:.1f}, {load_after:.1f} (the machine is shared).",
            "",
            "| database | min / s | median / s | max / s | signatures |",
            "| --- | --- | --- | --- | --- |",
            *rows,
            "",
            "One endpoint's deliveries go one after another (a failing one holds back the rest, for the order "
            "per team), so this is the rate of one endpoint; endpoints are sent in parallel by as many "
            "workers as run.",
            END,
        ]
    )
    if not args.no_results:
        text = RESULTS.read_text()
        if START in text:
            before, _, rest = text.partition(START)
            text = before + report + rest.partition(END)[2]
        else:
            text = text.rstrip("\n") + "\n\n" + report + "\n"
        RESULTS.write_text(text)
        print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
