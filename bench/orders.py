"""Orders per second through the order API (issue 21): the test order shop
(tests/integrations/order_shop.py) against gunicorn (2 gthread workers x 4 threads) on a fresh file
SQLite database and on a fresh PostgreSQL database, ROUNDS rounds of ORDERS purchases each from 4
threads of the shop, each with its own Idempotency-Key (no retries: those are answered from the store
and would flatter the rate). Prints the rounds and a Markdown table (min / median / max).

    .venv/bin/python bench/orders.py [--orders 300] [--rounds 3] [--postgres postgres://user:pw@host:5432/any]

Without --postgres it uses DATABASE_URL's server when set, else measures SQLite alone."""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integrations.live import postgresql_database, served
from tests.integrations.order_shop import run_shop


def measure(database_url: str | None, orders: int, rounds: int, threads: int) -> list[float]:
    with tempfile.TemporaryDirectory() as root, served(Path(root), database_url=database_url) as live:
        rates = []
        # One warm-up round of a few orders: the workers' first requests load the code.
        run_shop(live.base, live.key, orders=20, threads=threads, run="warm", retry_every=0, duplicate_every=0)
        for n in range(rounds):
            report = run_shop(
                live.base, live.key, orders=orders, threads=threads, run=f"r{n}", retry_every=0, duplicate_every=0
            )
            assert report["mismatch_count"] == 0, report
            rates.append(report["orders_per_second"])
            print(f"  round {n + 1}: {report['orders']} orders in {report['elapsed_seconds']} s = {rates[-1]}/s")
        return rates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    results = {}
    print("SQLite")
    results["SQLite"] = measure(None, args.orders, args.rounds, args.threads)
    if args.postgres:
        print("PostgreSQL")
        with postgresql_database(args.postgres) as url:
            results["PostgreSQL"] = measure(url, args.orders, args.rounds, args.threads)
    print("\n| database | orders a round | rounds | min | median | max |\n| --- | --- | --- | --- | --- | --- |")
    for name, rates in results.items():
        print(
            f"| {name} | {args.orders} | {len(rates)} | {min(rates):.1f}/s | {statistics.median(rates):.1f}/s "
            f"| {max(rates):.1f}/s |"
        )
    print(f"\nLoad average (1 min) at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
