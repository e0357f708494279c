"""The seat usage history: a weekday rhythm, people's habits and holidays, one product barely used.

Seat usage is history: the rows the licence check would have recorded on each day (R-S3). No service
writes it on anyone's behalf, so the demo writes it in bulk, and for the large customer without a
model instance per row (`insert_many`).
"""

import random
from collections.abc import Iterable, Iterator
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
    """The days of `window` from `start` to `end` on which the person used the product."""
    rng = random.Random(seed)
    chance = keen * PRODUCT_FACTOR.get(code, 0.7)
    ramps = code == "tessaline-connect"  # a new collaboration product catches on over a month
    used = []
    for day, weekday in window:
        if day < start or day > end or day in holiday:
            continue
        ramp = min(1.0, 0.3 + (day - start).days / 30) if ramps else 1.0
        if rng.random() < chance * weekday * ramp:
            used.append(day)
    return used


def bulk_insert(model, rows: Iterable, batch_size: int = BATCH_SIZE) -> int:
    """Insert `rows` (an iterable of unsaved instances) in batches; returns how many."""
    count = 0
    for batch in batches(rows, batch_size):
        model.objects.bulk_create(batch, batch_size=batch_size)
        count += len(batch)
    return count


def insert_many(model, fields: list[str], rows: Iterable[tuple]) -> int:
    """INSERT `rows`, tuples of database values for `fields`, into the model's table.

    For the millions of seat-usage rows of a large customer: bulk_create builds a model instance per
    row, which costs three times the CPU of the insert itself. On PostgreSQL the rows are sent with
    COPY, five times faster than batched INSERTs. Values must be what the database takes
    (`Field.get_db_prep_save`); nothing here validates them.
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
        for batch in batches(rows, BATCH_SIZE):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def batches(rows: Iterable, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
