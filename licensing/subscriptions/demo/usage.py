"""The seat usage history: a weekday rhythm, people's habits and holidays, one product barely used.

Seat usage is history: the rows the licence check would have recorded on each day (R-S3). No service
writes it on anyone's behalf, so the demo writes it in bulk, and for the large customer without a
model instance per row (`insert_many`).
"""

import random
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from django.db import connection

USAGE_DAYS = 90
BATCH_SIZE = 5000

# Monday .. Sunday: engineers work weekdays, Fridays a little less, weekends hardly.
WEEKDAY_FACTOR = (1.0, 1.0, 0.95, 0.95, 0.7, 0.04, 0.02)
PRODUCT_FACTOR = {
    "tessaline-aec-collection": 0.95,
    "draftline": 1.0,
    "structa": 0.65,
    "terrain-studio": 0.8,
    "solvista-render": 0.4,
    "pipeflow-mep": 0.08,  # bought on Pay Per Use, and barely used
    "tessaline-connect": 0.85,
}


def person_habits(email: str, first_day: date, days: int) -> tuple[float, set[date]]:
    """How keen a person is (works with the product on 55-95% of the days they could) and the
    days of their holiday, if they took one in the period."""
    rng = random.Random(f"habits|{email}")
    keen = rng.uniform(0.55, 0.95)
    holiday = set()
    if rng.random() < 0.6 and days > 9:
        start = first_day + timedelta(days=rng.randrange(days - 9))
        holiday = {start + timedelta(days=i) for i in range(9)}
    return keen, holiday


def usage_window(first_day: date, last_day: date) -> list[tuple[date, float]]:
    """The days of the usage period with their weekday factor."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return [(day, WEEKDAY_FACTOR[day.weekday()]) for day in days]


def days_used(
    window: list[tuple[date, float]], *, seed: str, code: str, start: date, end: date, keen: float, holiday: set
) -> list[date]:
    """The days of `window` from `start` to `end` on which the person used the product: one draw of
    the person's random numbers per day they could have (a large customer has millions of such days,
    hence the comprehensions)."""
    rand = random.Random(seed).random
    chance = keen * PRODUCT_FACTOR.get(code, 0.7)
    could = [(day, weekday) for day, weekday in window if start <= day <= end and day not in holiday]
    if code == "tessaline-connect":  # a new collaboration product catches on over a month
        return [day for day, weekday in could if rand() < chance * weekday * min(1.0, 0.3 + (day - start).days / 30)]
    return [day for day, weekday in could if rand() < chance * weekday]


def bulk_insert(model, rows: Iterable, batch_size: int = BATCH_SIZE) -> int:
    """Insert `rows` (an iterable of unsaved instances) in batches; returns how many."""
    count = 0
    for batch in batches(rows, batch_size):
        model.objects.bulk_create(batch, batch_size=batch_size)
        count += len(batch)
    return count


def insert_many(model, fields: list[str], rows: Iterable[tuple]) -> int:
    """INSERT `rows`, tuples of database values for `fields`, into the model's table; returns how many.

    For the millions of seat-usage rows of a large customer: bulk_create builds a model instance per
    row, which costs three times the CPU of the insert itself. On PostgreSQL the rows are sent with
    COPY, five times faster than batched INSERTs; on SQLite one `executemany` takes them as they are
    made. Values must be what the database takes (`Field.get_db_prep_save`); nothing here validates
    them.
    """
    opts = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in fields)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3
            with raw.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        if connection.vendor == "sqlite":
            cursor.executemany(sql, rows)  # sqlite3 reads an iterator row by row, and sums the rowcount
            return cursor.rowcount
        for batch in batches(rows, BATCH_SIZE):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


@contextmanager
def fast_writes() -> Iterator[None]:
    """Around the transaction of a large bulk load: on SQLite, no fsync (synchronous=OFF), the rollback
    journal in memory instead of the WAL (which would hold a copy of every page written) and a page
    cache of 256 MiB, for this connection and this load only. A crash during the seed may leave the
    file unusable; it is a seed, to be run again on a fresh file. Settings as before afterwards.
    Inside a transaction already (a test's) SQLite cannot leave WAL: then nothing changes."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:

        def pragma(name: str, value=None):
            if value is None:
                return cursor.execute(f"PRAGMA {name}").fetchone()[0]
            cursor.execute(f"PRAGMA {name} = {value}")

        before = {name: pragma(name) for name in ("journal_mode", "synchronous", "cache_size")}
        pragma("journal_mode", "MEMORY")
        pragma("synchronous", "OFF")
        pragma("cache_size", -262_144)  # KiB
        try:
            yield
        finally:
            for name, value in before.items():
                pragma(name, value)


@contextmanager
def indexes_built_after(model) -> Iterator[None]:
    """Inside a transaction that loads millions of rows into `model`'s table: drop the table's plain
    (non-unique) indexes first and create them again from their own definitions at the end, which
    sorts once instead of updating them row by row (SQLite: 35% less CPU for seat usage). The unique
    indexes stay: they keep the rows' rule while loading. DDL is transactional on SQLite and
    PostgreSQL, so the indexes come back on a rollback too; the schema ends as the migrations made it.
    """
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # Automatic indexes (of UNIQUE constraints) have no SQL and cannot be dropped.
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
                "AND sql NOT LIKE 'CREATE UNIQUE%%'",
                [table],
            )
        else:
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
                "JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND NOT i.indisunique AND NOT i.indisprimary",
                [table],
            )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL creates no index on a table with deferred foreign-key checks pending: check now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, definition in indexes:
            cursor.execute(definition)
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def batches(rows: Iterable, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
