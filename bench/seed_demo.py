"""Time `manage.py seed_demo --users N` on a fresh database and report wall time, CPU time and peak memory.

    .venv/bin/python bench/seed_demo.py                      # 50,000 members on /tmp/bench.sqlite3
    .venv/bin/python bench/seed_demo.py --users 5000
    DATABASE_URL=postgres://seatkeeper:seatkeeper@127.0.0.1:5432/seatkeeper_bench \\
        .venv/bin/python bench/seed_demo.py --keep           # an empty PostgreSQL database you created

On SQLite the file at SQLITE_PATH (default /tmp/bench.sqlite3) is deleted first and migrated. On
PostgreSQL the database must exist and be empty; this script does not create or drop it.
The seed runs in a child process, so that its peak memory (max RSS) is measured alone.
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


def run(args: list[str], env: dict) -> tuple[float, float, int, str]:
    """Run manage.py with `args`; returns wall seconds, CPU seconds, max RSS in MiB and the output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss // 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--keep", action="store_true", help="Do not delete the SQLite file first.")
    options = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "DEBUG": "true"}
    on_postgres = bool(env.get("DATABASE_URL"))
    if not on_postgres:
        path = Path(env.setdefault("SQLITE_PATH", "/tmp/bench.sqlite3"))
        if not options.keep:
            for leftover in path.parent.glob(path.name + "*"):
                leftover.unlink()
    run(["migrate", "--no-input", "-v0"], env)  # measured apart from the seed; its RSS is smaller
    wall, cpu, rss, output = run(["seed_demo", "--users", str(options.users)], env)
    database = "PostgreSQL" if on_postgres else f"SQLite ({env['SQLITE_PATH']})"
    print("\n".join(line for line in output.splitlines() if line.startswith("Built")))
    print(
        f"{date.today()}  seed_demo --users {options.users}  on {database}  "
        f"{platform.machine()} {os.cpu_count()} cores  "
        f"wall {wall:.1f} s  CPU {cpu:.1f} s  peak RSS {rss} MiB"
    )


if __name__ == "__main__":
    main()
