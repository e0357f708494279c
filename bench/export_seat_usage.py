"""Time the seat-usage "Export as CSV" (By User) of a year of a 50,000-user customer, and its peak memory.

    .venv/bin/python bench/export_seat_usage.py                 # seed /tmp/bench-export.sqlite3 first (~3 min)
    .venv/bin/python bench/export_seat_usage.py --keep          # reuse that database if it is there
    .venv/bin/python bench/export_seat_usage.py --users 5000 --days 90

The database is built with `seed_demo --users N --usage-days DAYS` (on SQLite, at SQLITE_PATH, default
/tmp/bench-export.sqlite3, deleted first unless --keep). admin@example.com is made a secondary admin of
the large customer's four teams, and the export runs as that admin with `?team=all` over the DAYS
completed days before today: every member, every product. The request runs in a child process through
Django's test client, whose streamed response is written to /dev/null; the child reports the time to the
first byte, the total time, the rows and bytes, and its peak resident memory (max RSS) before the request
(Django loaded) and after it.
"""

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "admin@example.com"


def run(args: list[str], env: dict) -> str:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def child(days: int, what: str) -> None:
    """In the child process: the export, streamed to /dev/null, with its figures on stdout."""
    sys.path.insert(0, str(ROOT))
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    django.setup()
    from datetime import timedelta

    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from licensing.accounts.models import User
    from licensing.subscriptions.demo import BULK_CUSTOMER
    from licensing.teams.models import Member, Team

    admin = User.objects.get(email=ADMIN)
    teams = list(Team.objects.filter(customer__name=BULK_CUSTOMER).order_by("pk"))
    for team in teams:  # bench set-up: the admin of every team of the large customer
        Member.objects.get_or_create(
            team=team,
            user=admin,
            defaults={"role": Member.Role.SECONDARY_ADMIN, "status": Member.Status.ACTIVE},
        )
    covered = Team.objects.administered_by(admin)  # what ?team=all covers: the demo's teams too
    members = Member.objects.filter(team__in=covered).count()
    teams = list(covered.order_by("pk"))
    today = timezone.localdate()
    start, end = today - timedelta(days=days), today - timedelta(days=1)
    url = reverse(f"reports:seat-usage-export-{what}", kwargs={"team_id": teams[-1].pk})
    query = f"team=all&range=custom&start={start}&end={end}"
    client = Client()
    client.force_login(admin)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    response = client.get(f"{url}?{query}", SERVER_NAME="localhost")
    assert response.status_code == 200, response.status_code
    first = None
    size = lines = 0
    with open(os.devnull, "wb") as sink:
        for chunk in response.streaming_content:
            if first is None:
                first = time.monotonic() - started
            sink.write(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"{what}: {members} members in {len(teams)} teams, {start} to {end} ({days} days): "
        f"{lines - 1} rows, {size / 1_048_576:.1f} MiB; first byte {first:.1f} s, all {wall:.1f} s, "
        f"CPU {cpu:.1f} s; max RSS {before.ru_maxrss // 1024} MiB before the request, "
        f"{after.ru_maxrss // 1024} MiB after"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--keep", action="store_true", help="Reuse the SQLite file if it exists.")
    parser.add_argument("--child", choices=["users", "products"], help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        child(options.days, options.child)
        return
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true"}
    on_postgres = bool(env.get("DATABASE_URL"))
    if not on_postgres:
        path = Path(env.setdefault("SQLITE_PATH", "/tmp/bench-export.sqlite3"))
        fresh = not (options.keep and path.exists())
        if fresh:
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
    else:
        fresh = not options.keep
    if fresh:
        run([sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env)
        started = time.monotonic()
        args = ["seed_demo", "--users", str(options.users), "--usage-days", str(options.days)]
        output = run([sys.executable, "manage.py", *args], env)
        print("\n".join(line for line in output.splitlines() if line.startswith("Built")))
        print(f"seeded in {time.monotonic() - started:.0f} s")
    database = "PostgreSQL" if on_postgres else f"SQLite ({env['SQLITE_PATH']})"
    print(f"{date.today()}  {platform.machine()} {os.cpu_count()} cores  {database}")
    for what in ("users", "products"):
        script = [sys.executable, __file__, "--child", what, "--days", str(options.days)]
        print(run(script, env).strip())


if __name__ == "__main__":
    main()
