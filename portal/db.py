"""One transaction per service, which a concurrent writer cannot turn into a server error.

Every write of the domain is a service function decorated with `service_transaction` instead of
`transaction.atomic`. The services lock the rows they read (`select_for_update`, the team first), so
two admins acting at once queue; what is left for the database to refuse is a conflict it detects
itself: a deadlock or a serialization failure on PostgreSQL, or a lock that SQLite could not get
within its busy timeout. Those leave nothing written (the transaction is rolled back, its mails are
never queued: `on_commit` callbacks die with it), so the service is simply run again from the
start, a bounded number of times. If the conflict persists, the admin gets SERVICE_BUSY as a
`ValidationError`, in words, never a 500.

A service called inside another's transaction runs in a savepoint and retries nothing: only the
outermost transaction can be rolled back and run again.
"""

import functools
import logging
import random
import sqlite3
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, OperationalError, transaction
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# PostgreSQL's SQLSTATEs for "the transaction lost a conflict; run it again".
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
RETRYABLE_SQLSTATES = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})
# SQLite's result codes for a lock it could not get: SQLITE_BUSY (5) and SQLITE_LOCKED (6), and
# their extended codes (the low byte is the primary code).
SQLITE_BUSY_CODES = frozenset({5, 6})
ATTEMPTS = 4
# No new attempt once this much time has gone: a lock SQLite waited its whole busy timeout for (20 s)
# is a queue too long for a request to join again.
RETRY_BUDGET_SECONDS = 5.0
SERVICE_BUSY = _(
    "Someone else was changing the same thing at this very moment, and nothing was saved. Please try again."
)


def is_conflict(error: BaseException) -> bool:
    """Whether `error` is a database conflict that running the transaction again can resolve."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in RETRYABLE_SQLSTATES:
        return True
    # sqlite_errorcode: Python 3.11 and later, which pyproject.toml requires.
    return isinstance(cause, sqlite3.OperationalError) and cause.sqlite_errorcode & 0xFF in SQLITE_BUSY_CODES


def run_retrying(call: Callable[[], R], *, using: str = DEFAULT_DB_ALIAS, attempts: int = ATTEMPTS) -> R:
    """`call()` in a transaction; run again after a conflict (see the module's docstring)."""
    if transaction.get_connection(using).in_atomic_block:
        with transaction.atomic(using=using):
            return call()
    started = time.monotonic()
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic(using=using):
                return call()
        except OperationalError as error:
            if not is_conflict(error):
                raise
            logger.info("Database conflict in %s (attempt %d of %d): %s", call, attempt, attempts, error)
            if attempt == attempts or time.monotonic() - started > RETRY_BUDGET_SECONDS:
                raise ValidationError(SERVICE_BUSY, code="busy") from error
            # A little jitter, so that the transactions that collided do not collide again.
            time.sleep(random.uniform(0.01, 0.05) * attempt)
    raise AssertionError("unreachable")


def service_transaction(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a service: it runs in one transaction, run again after a conflict (`run_retrying`)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        return run_retrying(functools.partial(func, *args, **kwargs))

    return wrapper
