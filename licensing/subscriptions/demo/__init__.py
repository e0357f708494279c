"""The demo data of `manage.py seed_demo`: a believable customer, and a large one for benchmarks.

The demo customer, Van der Berg Ingenieurs B.V., is built through the services, chapter by chapter,
as the portal would have built it over the past ten months: purchases arrive, admins invite people
who accept, roles change, seats are handed out, a subscription moves, support allows an
over-allocation. Only the seat usage (90 days of it, with a weekday rhythm) is written in bulk.
The large customer of `--users N` is written with bulk inserts, under the same invariants.

- `catalogue`: the products of Tessaline Software, a fictional CAD vendor;
- `people`: the demo logins and the demo customer's people;
- `story` and `chapters`: the demo customer, told through the services;
- `usage`: the seat usage history, its rhythm and the bulk writes;
- `large`: the large customer of `--users N`;
- `delete`: removing both (`--reset`).
"""

from licensing.subscriptions.demo.catalogue import CATALOGUE, catalogue_upsert
from licensing.subscriptions.demo.chapters import demo_build
from licensing.subscriptions.demo.delete import demo_delete
from licensing.subscriptions.demo.large import BULK_CUSTOMER, bulk_build
from licensing.subscriptions.demo.people import DEMO_CUSTOMER, DEMO_PASSWORD, LOGINS
from licensing.subscriptions.demo.usage import USAGE_DAYS

__all__ = [
    "BULK_CUSTOMER",
    "CATALOGUE",
    "DEMO_CUSTOMER",
    "DEMO_PASSWORD",
    "LOGINS",
    "USAGE_DAYS",
    "bulk_build",
    "catalogue_upsert",
    "demo_build",
    "demo_delete",
]
