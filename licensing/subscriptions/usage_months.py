"""Seat usage by the month (SeatUsageMonth), kept by the database itself.

A year of a large customer's seat usage is millions of SeatUsage rows (one per user, product, team and
day); the seat-usage report (R-R1) over 30 days of a team of 27,501 members read 4.8 million index
entries to group them. SeatUsageMonth holds the same days a month to a row, as a bit mask (bit d-1:
used on day d), about twelve times fewer rows, from which the report takes its figures.

Triggers on SeatUsage keep it (created by migration 0004): every insert sets its day's bit in its
month's row (an upsert), every delete clears it (and deletes the row when no day is left), an update
does both. So whatever writes seat usage, the licence check (R-S3), the admin, a cascade, a raw
INSERT, the months follow in the same transaction, and a row ignored as a duplicate (ON CONFLICT DO
NOTHING / INSERT OR IGNORE) fires nothing. Only `months_suspended`, for bulk loads, turns them off,
and builds the months of the loaded teams again at the end in one GROUP BY.

The month's number is year * 12 + month - 1 (`month_number`), the same in SQL and in Python.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

from django.db import connection

USAGE = "subscriptions_seatusage"
MONTHS = "subscriptions_seatusagemonth"
TRIGGERS = ("seat_usage_months_insert", "seat_usage_months_delete", "seat_usage_months_update")
PG_FUNCTION = "seat_usage_months_sync"
SUSPENDED = "seatkeeper.seat_usage_months_suspended"  # PostgreSQL: the trigger does nothing while 'on'

KEYS = "team_id, user_id, product_id, month"


def month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_first_day(number: int) -> date:
    return date(number // 12, number % 12 + 1, 1)


def _sqlite_month(row: str) -> str:
    # SQLite keeps a DateField as 'YYYY-MM-DD'.
    return f"(CAST(substr({row}.day, 1, 4) AS INTEGER) * 12 + CAST(substr({row}.day, 6, 2) AS INTEGER) - 1)"


def _sqlite_bit(row: str) -> str:
    return f"(1 << (CAST(substr({row}.day, 9, 2) AS INTEGER) - 1))"


def _pg_month(row: str) -> str:
    return f"(EXTRACT(YEAR FROM {row}.day)::integer * 12 + EXTRACT(MONTH FROM {row}.day)::integer - 1)"


def _pg_bit(row: str) -> str:
    return f"(1 << (EXTRACT(DAY FROM {row}.day)::integer - 1))"


def _upsert(month: str, bit: str, row: str = "NEW") -> str:
    return (
        f"INSERT INTO {MONTHS} ({KEYS}, days) VALUES ({row}.team_id, {row}.user_id, {row}.product_id, {month}, {bit}) "
        f"ON CONFLICT ({KEYS}) DO UPDATE SET days = {MONTHS}.days | excluded.days"
    )


def _clear(month: str, bit: str, row: str = "OLD") -> list[str]:
    # The row goes when its last day does (days > 0 is a constraint), else loses the day's bit.
    same = f"team_id = {row}.team_id AND user_id = {row}.user_id AND product_id = {row}.product_id AND month = {month}"
    return [
        f"DELETE FROM {MONTHS} WHERE {same} AND days = {bit}",
        f"UPDATE {MONTHS} SET days = days & ~{bit} WHERE {same} AND days & {bit} != 0",
    ]


def trigger_sql(vendor: str) -> list[str]:
    """The statements that create the triggers on `vendor` ("sqlite" or "postgresql")."""
    if vendor == "sqlite":
        insert = _upsert(_sqlite_month("NEW"), _sqlite_bit("NEW"))
        delete = "; ".join(_clear(_sqlite_month("OLD"), _sqlite_bit("OLD")))
        return [
            f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT ON {USAGE} BEGIN {insert}; END",
            f"CREATE TRIGGER {TRIGGERS[1]} AFTER DELETE ON {USAGE} BEGIN {delete}; END",
            f"CREATE TRIGGER {TRIGGERS[2]} AFTER UPDATE ON {USAGE} BEGIN {delete}; {insert}; END",
        ]
    if vendor == "postgresql":
        insert = _upsert(_pg_month("NEW"), _pg_bit("NEW"))
        delete = "; ".join(_clear(_pg_month("OLD"), _pg_bit("OLD")))
        return [
            f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF current_setting('{SUSPENDED}', true) = 'on' THEN RETURN NULL; END IF;
                IF TG_OP IN ('DELETE', 'UPDATE') THEN {delete}; END IF;
                IF TG_OP IN ('INSERT', 'UPDATE') THEN {insert}; END IF;
                RETURN NULL;
            END $$""",
            f"CREATE TRIGGER {TRIGGERS[0]} AFTER INSERT OR UPDATE OR DELETE ON {USAGE} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
        ]
    raise NotImplementedError(f"seat usage by the month on {vendor}")


def drop_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in TRIGGERS]
    return [f"DROP TRIGGER IF EXISTS {TRIGGERS[0]} ON {USAGE}", f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()"]


def rebuild_sql(vendor: str, teams: list[int] | None) -> tuple[list[str], list]:
    """The statements (and their parameters) that compute the months of `teams` (None: all) again
    from SeatUsage: in a month, one user, product and team has at most one row per day, so the sum of
    the days' bits is their OR."""
    month, bit = (_sqlite_month, _sqlite_bit) if vendor == "sqlite" else (_pg_month, _pg_bit)
    where, params = "", []
    if teams is not None:
        where = f" WHERE team_id IN ({', '.join(['%s'] * len(teams))})"
        params = list(teams)
    insert = (
        f"INSERT INTO {MONTHS} ({KEYS}, days) "
        f"SELECT u.team_id, u.user_id, u.product_id, {month('u')}, SUM({bit('u')}) FROM {USAGE} u{where} "
        f"GROUP BY u.team_id, u.user_id, u.product_id, {month('u')}"
    )
    return [f"DELETE FROM {MONTHS}{where}", insert], params


def months_rebuild(teams: Iterable[int] | None = None) -> None:
    """Compute the months of `teams` (all teams: None) again from their seat usage."""
    statements, params = rebuild_sql(connection.vendor, None if teams is None else list(teams))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql, params)


@contextmanager
def months_suspended(teams: Iterable[int]) -> Iterator[None]:
    """Inside a transaction that writes millions of seat-usage rows of `teams` (a seed, a purge): no
    trigger per row; the months of `teams` are computed again at the end, in one statement. SQLite
    drops its triggers and creates them again (DDL is transactional: a rollback brings them back);
    PostgreSQL's trigger does nothing while a setting local to the transaction says so."""
    assert connection.in_atomic_block, "months_suspended() needs a transaction"
    teams = list(teams)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # For this transaction only; no ALTER TABLE (a lock, and refused while deferred checks wait).
            cursor.execute("SELECT set_config(%s, 'on', true)", [SUSPENDED])
        else:
            for sql in drop_sql(connection.vendor):
                cursor.execute(sql)
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'off', true)", [SUSPENDED])
        else:
            for sql in trigger_sql(connection.vendor):
                cursor.execute(sql)
    months_rebuild(teams)
