"""The test order system against gunicorn (R-API1, R-API2): 1,000 orders, every 10th retried after
its answer, every 7th sent twice at the same moment: exactly 1,000 purchases, every retry and
duplicate answered as the first request was. On a file SQLite database when the suite runs on SQLite,
on a PostgreSQL database of its own when it runs on PostgreSQL (DATABASE_URL)."""

import contextlib
import json
import os

import pytest

from tests.integrations.live import manage, postgresql_database, served
from tests.integrations.order_shop import CUSTOMERS, run_shop

ORDERS = 1000
COUNT = (
    "from licensing.subscriptions.models import Subscription, Contract; import json; "
    "print(json.dumps([Subscription.objects.count(), Contract.objects.count()]))"
)

pytestmark = pytest.mark.slow


def test_a_thousand_orders_with_retries_and_duplicates_make_a_thousand_purchases(tmp_path):
    """R-API2"""
    server_url = os.environ.get("DATABASE_URL")
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(postgresql_database(server_url)) if server_url else None
        live = stack.enter_context(served(tmp_path, database_url=database_url))
        report = run_shop(live.base, live.key, orders=ORDERS, run="t")
        subscriptions, contracts = json.loads(manage(live.env, "shell", "-c", COUNT).strip().splitlines()[-1])
    print(json.dumps(report))
    assert report["mismatch_count"] == 0, report["mismatches"]
    assert report["orders"] == ORDERS
    assert report["retries"] == ORDERS // 10
    assert report["duplicates"] == ORDERS // 7
    assert report["requests"] == 2 * CUSTOMERS + ORDERS + ORDERS // 10 + ORDERS // 7
    assert report["replayed"] == ORDERS // 10 + ORDERS // 7  # every second answer came from the store
    assert report["statuses"] == {"201": report["requests"]}
    assert (subscriptions, contracts) == (ORDERS, CUSTOMERS)
