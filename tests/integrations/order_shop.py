"""A test order system: the vendor's web shop, playing against a running portal through the order
API alone (R-API1, R-API2).

It makes its customers and their contracts, then sends ORDERS purchases from a few threads at once,
each with its own Idempotency-Key. Every 10th order is retried after its answer came (the answer
"lost" on the way: the shop sends it again), and every 7th is sent twice at the same moment (two
workers of the shop picked up the same paid order). Every answer of an order must be the same as
its first, and the portal must end up with exactly one purchase per order.

    python tests/integrations/order_shop.py --base http://127.0.0.1:8000 --key sk_vendor_... [--orders 1000]

prints one line of JSON: orders, requests, purchases answered 201, mismatched answers, elapsed
seconds and orders per second. tests/integrations/test_order_shop.py runs it against gunicorn on
SQLite and on PostgreSQL; bench/orders.py measures its rate.
"""

import argparse
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta

CUSTOMERS = 10
PRODUCT = "shop-product"


@dataclass
class Answer:
    status: int
    body: bytes
    replayed: bool


@dataclass
class Report:
    orders: int = 0
    requests: int = 0
    retries: int = 0
    duplicates: int = 0
    created: int = 0
    replayed: int = 0
    mismatches: list = field(default_factory=list)
    statuses: dict = field(default_factory=dict)
    elapsed: float = 0.0

    def as_dict(self) -> dict:
        return {
            "orders": self.orders,
            "requests": self.requests,
            "retries": self.retries,
            "duplicates": self.duplicates,
            "created": self.created,
            "replayed": self.replayed,
            "mismatches": self.mismatches[:10],
            "mismatch_count": len(self.mismatches),
            "statuses": self.statuses,
            "elapsed_seconds": round(self.elapsed, 3),
            "orders_per_second": round(self.orders / self.elapsed, 1) if self.elapsed else None,
        }


class Shop:
    def __init__(self, base: str, key: str, run: str, *, retry_every: int = 10, duplicate_every: int = 7) -> None:
        self.base, self.key, self.run = base.rstrip("/"), key, run
        self.retry_every, self.duplicate_every = retry_every, duplicate_every
        self.lock = threading.Lock()
        self.report = Report()

    def send(self, method: str, path: str, body: dict | None, idempotency_key: str | None = None) -> Answer:
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = Answer(response.status, response.read(), response.headers.get("Idempotent-Replayed") == "true")
        except urllib.error.HTTPError as error:
            answer = Answer(error.code, error.read(), error.headers.get("Idempotent-Replayed") == "true")
        with self.lock:
            self.report.requests += 1
            self.report.statuses[str(answer.status)] = self.report.statuses.get(str(answer.status), 0) + 1
            self.report.replayed += answer.replayed
        return answer

    def setup(self) -> list[str]:
        """The shop's customers, each with a contract; the contract numbers."""
        numbers = []
        for n in range(CUSTOMERS):
            customer = self.send("POST", "/api/v1/customers", {"name": f"Shop customer {n}"}, f"{self.run}-c{n}")
            assert customer.status == 201, customer.body
            number = f"{self.run}-K{n}"
            manager = {"email": f"manager{n}@{self.run}.example", "first_name": "Contract", "last_name": f"Manager {n}"}
            body = {"customer_id": json.loads(customer.body)["id"], "number": number, "manager": manager}
            contract = self.send("POST", "/api/v1/contracts", body, f"{self.run}-k{n}")
            assert contract.status == 201, contract.body
            numbers.append(number)
        return numbers

    def order(self, n: int, numbers: list[str]) -> None:
        today = date.today()
        body = {
            "contract_number": numbers[n % len(numbers)],
            "product": PRODUCT,
            "seats": 1 + n % 5,
            "term_start": today.isoformat(),
            "term_end": (today + timedelta(days=365)).isoformat(),
        }
        key = f"{self.run}-order-{n}"
        if (
            self.duplicate_every and n % self.duplicate_every == 0
        ):  # a duplicate: the same order sent twice at the same moment
            with ThreadPoolExecutor(2) as pair:
                answers = list(pair.map(lambda _: self.send("POST", "/api/v1/subscriptions", body, key), range(2)))
            with self.lock:
                self.report.duplicates += 1
        else:
            answers = [self.send("POST", "/api/v1/subscriptions", body, key)]
        if (
            self.retry_every and n % self.retry_every == 0
        ):  # a retry: the answer was lost, the shop sends the order again
            answers.append(self.send("POST", "/api/v1/subscriptions", body, key))
            with self.lock:
                self.report.retries += 1
        first = answers[0]
        with self.lock:
            self.report.orders += 1
            self.report.created += first.status == 201 or any(a.status == 201 for a in answers[1:])
            for answer in answers[1:]:
                if (answer.status, answer.body) != (first.status, first.body):
                    self.report.mismatches.append({"order": n, "first": first.status, "again": answer.status})
            if first.status != 201:
                self.report.mismatches.append({"order": n, "status": first.status, "body": first.body[:300].decode()})


def run_shop(
    base: str,
    key: str,
    *,
    orders: int = 1000,
    threads: int = 4,
    run: str | None = None,
    retry_every: int = 10,
    duplicate_every: int = 7,
) -> dict:
    """Send the orders (see the module's docstring); 0 for `retry_every` or `duplicate_every` sends none."""
    shop = Shop(
        base, key, run or f"shop{int(time.time() * 1000)}", retry_every=retry_every, duplicate_every=duplicate_every
    )
    numbers = shop.setup()
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(shop.order, n, numbers) for n in range(1, orders + 1)]:
            future.result()
    shop.report.elapsed = time.perf_counter() - started
    return shop.report.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="e.g. http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="a vendor API key with orders:write")
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--run", default=None, help="a name that makes this run's keys and numbers unique")
    args = parser.parse_args()
    report = run_shop(args.base, args.key, orders=args.orders, threads=args.threads, run=args.run)
    print(json.dumps(report))
    sys.exit(1 if report["mismatch_count"] else 0)


if __name__ == "__main__":
    main()
