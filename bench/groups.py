"""`make bench-groups`: issue 20's speed figures for groups, on the customer of 50,000 members.

    .venv/bin/python bench/groups.py                 # SQLite (and PostgreSQL too when DATABASE_URL is set)
    .venv/bin/python bench/groups.py --runs 5        # more runs (default 3)
    .venv/bin/python bench/groups.py --no-results    # print only, leave bench/RESULTS.md alone

On the large team of `seed_demo --users 50000` (Projecten, 27,501 members), with a product of the
team given enough seats first (`subscription_add_seats`, the service support uses), each of these is
timed through its service, in a child process that loads Django, and its SQL statements counted:

- A. a group of 10,000 members gets the product (`group_product_assign`: 10,000 seats, items, grants,
  activity rows, and the jobs that will mail them), then loses it (`group_product_unassign`: the 10,000
  seats go);
- B. 10,000 members join a group that has the product (`group_members_add`), then leave it
  (`group_members_remove`);
- after each, the jobs the worker then runs (`group_seat_mails`: 10,000 mails rendered and queued),
  timed apart: the admin's page does not wait for them;
- the pages that list a group's members (By Group, the group's page, the product's page, By User's
  Group filter) with a group of 10 and of 10,000: SQL statements (which must not grow), time, size.

Each run starts from the same state (the group built and deleted around the timed calls, untimed);
the figures are min / median / max over the runs. The goal of the issue: each ≤ 5 s, a bounded
number of queries (set-based SQL, not a save per member).

The seeded database is bench/run.py's (`sqlite_work_copy`, `pg_work_copy`), cached in
/tmp/seatkeeper-bench under a key of the seed's code and the migrations; the usage days do not matter
here, so it is seeded with `--usage-days 0` unless `--days` says otherwise (a quicker first seed).
The figures go into bench/RESULTS.md, in its notes, under the heading GROUPS_HEADING (that section
alone is replaced; `make bench` keeps the notes as they are).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import PYTHON, RESULTS, pg_work_copy, seed_env, sqlite_work_copy  # noqa: E402

USERS = 50_000
SIZE = 10_000
PAGES_SMALL = 10
GROUPS_HEADING = "### Groups (issue 20): a group of 10,000 members and a product"
GOAL_SECONDS = 5.0
OPERATIONS = [
    ("assign", "A. the group gets the product (`group_product_assign`)"),
    ("assign_mails", "A. then, in the worker: their 10,000 mails rendered and queued (`group_seat_mails` jobs)"),
    ("unassign", "A. the group loses the product (`group_product_unassign`)"),
    ("add", "B. 10,000 members join a group with the product (`group_members_add`)"),
    ("add_mails", "B. then, in the worker: their 10,000 mails (`group_seat_mails` jobs)"),
    ("remove", "B. the 10,000 leave the group (`group_members_remove`)"),
]
# The tables a run fills and empties, vacuumed between runs on PostgreSQL (`tidy`).
VACUUMED = [
    "subscriptions_assignment",
    "subscriptions_assignment_items",
    "subscriptions_assignment_direct_items",
    "groups_assignmentgrant",
    "groups_groupmember",
    "groups_seatwait",
    "activity_activityevent",
    "mailer_message",
    "django_tasks_database_dbtaskresult",
]
# The jobs after the change are not the change: the admin's page does not wait for them.
NOT_THE_CHANGE = {"assign_mails", "add_mails"}


# --- The child: the measurements, with Django loaded --------------------------------------------


def child(runs: int, size: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count, Q
    from django.test.utils import CaptureQueriesContext
    from django_tasks_db.models import DBTaskResult
    from mailer.models import Message

    from licensing.activity.models import ActivityEvent
    from licensing.groups.models import Group
    from licensing.groups.services import (
        group_create,
        group_delete,
        group_members_add,
        group_members_remove,
        group_product_assign,
        group_product_unassign,
    )
    from licensing.groups.tasks import group_seat_mails
    from licensing.subscriptions.demo import BULK_CUSTOMER
    from licensing.subscriptions.models import Assignment, Subscription
    from licensing.subscriptions.services import seats_assigned, seats_purchased, subscription_add_seats
    from licensing.teams.models import Member, Team

    team = Team.objects.filter(customer__name=BULK_CUSTOMER).annotate(n=Count("members")).order_by("-n", "pk").first()
    actor = Member.objects.filter(team=team, role=Member.Role.PRIMARY_ADMIN).select_related("user").get().user
    # The team's product its members hold least: the most members without a seat of it.
    held = dict(
        Assignment.objects.filter(team=team).values("product").annotate(n=Count("pk")).values_list("product", "n")
    )
    subscriptions = Subscription.objects.active().filter(team=team).select_related("product")
    subscription = min(subscriptions, key=lambda s: (held.get(s.product_id, 0), s.pk))
    product = subscription.product
    free = seats_purchased(team, product) - seats_assigned(team, product)
    if free < size:
        subscription_add_seats(subscription=subscription, seats=size - free + 100, actor=None)
    # With their accounts, as the screens pass them (the add dialog, the import, the admin read the
    # members with select_related("user") before they call the service).
    members = list(
        Member.objects.filter(team=team)
        .exclude(Q(assignments__product=product))
        .select_related("user")
        .order_by("pk")[:size]
    )
    assert len(members) == size, f"only {len(members)} members of {team.name} without {product.name}"

    def timed(call) -> tuple[float, int, float]:
        """Wall time, SQL statements, and this process's CPU time (the wall time less the waits for
        the database's disk and for the CPU other processes hold: on a loaded machine, the part that
        is ours)."""
        with CaptureQueriesContext(connection) as captured:
            started, cpu = time.perf_counter(), time.process_time()
            call()
            took, cpu = time.perf_counter() - started, time.process_time() - cpu
        return took, len(captured.captured_queries), cpu

    def mail_jobs() -> tuple[float, int, float]:
        """Run the jobs that render the seats' mails (licensing/groups/tasks.py) as the worker would,
        timed like the services: what the change no longer waits for."""
        rows = list(DBTaskResult.objects.filter(task_path=group_seat_mails.module_path).order_by("enqueued_at"))

        def run() -> None:
            for row in rows:
                group_seat_mails.func(*row.args_kwargs["args"], **row.args_kwargs["kwargs"])

        figures = timed(run)
        assert Message.objects.count() == size, Message.objects.count()
        return figures

    def tidy(group) -> None:
        group_delete(group=group, actor=actor)
        Message.objects.all().delete()  # the mails queued: the next run starts from the same queue
        DBTaskResult.objects.all().delete()  # and the jobs
        if connection.vendor == "postgresql":
            # The 10,000s of rows each run deletes stay as dead rows until a VACUUM; left to autovacuum,
            # it starts in the middle of a later timed change (one run in five took 5.3 s instead of
            # 3): clean them here, untimed, so that every run starts from the same state.
            with connection.cursor() as cursor:
                for table in VACUUMED:
                    cursor.execute(f'VACUUM ANALYZE "{table}"')

    def pages(group) -> dict:
        """The screens that list a group's members, as its admin sees them: SQL statements, wall time
        and size of each (the second load, the first warms the caches)."""
        from django.test import Client
        from django.urls import reverse

        client = Client(HTTP_HOST="localhost")
        client.force_login(actor)
        urls = {
            "By Group": reverse("groups:group-list", args=[team.pk]),
            "the group's page": reverse("groups:group-detail", args=[team.pk, group.pk]),
            "the product's page": reverse("subscriptions:product-detail", args=[team.pk, product.pk]),
            "By User, Group filter": reverse("teams:member-list", args=[team.pk]) + f"?group={group.pk}",
        }
        shown = {}
        for name, url in urls.items():
            assert client.get(url).status_code == 200, url
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                took = time.perf_counter() - started
            assert response.status_code == 200, url
            shown[name] = (len(captured.captured_queries), took, len(response.content))
        return shown

    # The pages with a group of PAGES_SMALL members that has the product (untimed set-up).
    group = group_create(team=team, name="Bench pages", actor=actor)
    group_product_assign(group=group, product=product, actor=actor)
    group_members_add(group=group, members=members[:PAGES_SMALL], actor=actor)
    pages_small = pages(group)
    tidy(group)

    figures = {name: [] for name, _label in OPERATIONS}
    for run in range(runs):
        # A: the product to a group of `size` members, then taken from it.
        group = group_create(team=team, name=f"Bench A {run}", actor=actor)
        group_members_add(group=group, members=members, actor=actor)
        figures["assign"].append(timed(partial(group_product_assign, group=group, product=product, actor=actor)))
        assert Assignment.objects.filter(team=team, product=product, grants__group=group).count() == size
        figures["unassign"].append(timed(partial(group_product_unassign, group=group, product=product, actor=actor)))
        assert not Assignment.objects.filter(team=team, product=product, member__in=members[:500]).exists()
        # The jobs the assignment enqueued, as the worker runs them: after the timed changes, so that
        # their 20 MB of queued mails are not written to disk while the next change is timed.
        figures["assign_mails"].append(mail_jobs())
        tidy(group)
        # B: `size` members join a group that has the product, then leave it.
        group = group_create(team=team, name=f"Bench B {run}", actor=actor)
        group_product_assign(group=group, product=product, actor=actor)
        figures["add"].append(timed(partial(group_members_add, group=group, members=members, actor=actor)))
        assert Assignment.objects.filter(team=team, product=product, grants__group=group).count() == size
        if run == 0:
            pages_large = pages(group)
        figures["remove"].append(timed(partial(group_members_remove, group=group, members=members, actor=actor)))
        assert not Assignment.objects.filter(team=team, product=product, member__in=members[:500]).exists()
        figures["add_mails"].append(mail_jobs())
        tidy(group)
    assert not Group.objects.filter(team=team).exists()
    return {
        "team": team.name,
        "team_members": Member.objects.filter(team=team).count(),
        "product": product.name,
        "items": product.items.count(),
        "size": size,
        "runs": runs,
        "activity_rows": ActivityEvent.objects.filter(team=team).count(),
        "figures": figures,
        "pages": {"small": pages_small, "large": pages_large, "small_size": PAGES_SMALL},
    }


# --- The parent: databases, children, the table -------------------------------------------------


def run_child(env: dict, runs: int, size: int) -> dict:
    done = subprocess.run(
        [PYTHON, str(Path(__file__)), "--child", "--runs", str(runs), "--size", str(size)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"the child failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(values: list, name: str) -> str:
    times = [row[0] for row in values]
    cpu = [row[2] for row in values]
    queries = sorted({row[1] for row in values})
    met = "met" if max(times) <= GOAL_SECONDS else "NOT met"
    verdict = "after the change" if name in NOT_THE_CHANGE else met
    q = "/".join(str(n) for n in queries)
    return (
        f"{min(times):.2f} / {statistics.median(times):.2f} / {max(times):.2f} s ({verdict}); "
        f"CPU of the process {statistics.median(cpu):.2f} s; {q} queries"
    )


def table(results: dict) -> str:
    labels = list(results)
    lines = [
        GROUPS_HEADING,
        "",
        f"{date.today().isoformat()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; `bench/groups.py` (`make bench-groups`). "
        f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f}.",
        "",
    ]
    for label, r in results.items():
        lines.append(
            f"{label}: team {r['team']} ({r['team_members']:,} members), product {r['product']} "
            f"({r['items']} items), a group of {r['size']:,}; {r['runs']} runs."
        )
    lines += [
        "",
        "Each through its service, activity rows written and mail jobs enqueued included: wall time min / median / "
        "max against the goal of the issue (≤ 5 s), the median CPU time of the process (the Python side; the "
        "wall time adds the database's work and, on a loaded machine, the wait for a core), and the SQL "
        "statements of a run.",
        "",
        f"| operation | {' | '.join(labels)} |",
        f"| --- | {' | '.join('---' for _ in labels)} |",
    ]
    for name, label in OPERATIONS:
        lines.append(f"| {label} | {' | '.join(cell(results[db]['figures'][name], name) for db in labels)} |")
    first = results[labels[0]]["pages"]
    small = first["small_size"]
    lines += [
        "",
        f"The pages of a group of {small} and of {SIZE:,} members that has the product, as its "
        "primary admin sees them (the second load of each; SQL statements, wall time, size of the HTML). "
        "The statements must not grow with the members: the lists are paged and their rows read in one go.",
        "",
        "| page | " + " | ".join(f"{db}, {small} members | {db}, {SIZE:,} members" for db in labels) + " |",
        f"| --- | {' | '.join('--- | ---' for _ in labels)} |",
    ]
    for page in first["small"]:
        row = []
        for db in labels:
            for size in ("small", "large"):
                queries, took, length = results[db]["pages"][size][page]
                row.append(f"{queries} queries, {took * 1000:.0f} ms, {length / 1024:.0f} KB")
        lines.append(f"| {page} | {' | '.join(row)} |")
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    """Replace the section under GROUPS_HEADING in RESULTS.md (or add it at the end of the notes)."""
    text = RESULTS.read_text()
    if GROUPS_HEADING in text:
        start = text.index(GROUPS_HEADING)
        rest = text[start + len(GROUPS_HEADING) :]
        following = [i for i in (rest.find("\n### "), rest.find("\n## ")) if i >= 0]
        end = start + len(GROUPS_HEADING) + (min(following) + 1 if following else len(rest))
        text = text[:start] + section + ("\n" if end < len(text) else "") + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size", type=int, default=SIZE, help="members of the group (default 10,000)")
    parser.add_argument("--days", type=int, default=0, help="days of seat usage of the seed (default 0)")
    parser.add_argument("--users", type=int, default=USERS, help="members of the seed (default 50,000)")
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(child(options.runs, options.size)))
        return

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    databases = {"SQLite": lambda: sqlite_work_copy(options.users, options.days, log)}
    url = os.environ.get("DATABASE_URL")
    if url and not options.sqlite_only:
        databases["PostgreSQL"] = lambda: pg_work_copy(url, options.users, options.days, log)
    results = {}
    for label, work_copy in databases.items():
        env = seed_env(work_copy())
        log(f"{label}: measuring {options.runs} runs of a group of {options.size:,}")
        results[label] = run_child(env, options.runs, options.size)
        log(json.dumps(results[label]["figures"]))
    section = table(results)
    print(section)
    if not options.no_results:
        write_results(section)


if __name__ == "__main__":
    main()
