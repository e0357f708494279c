"""Run a few calls at the same moment, each in a real thread on its own database connection.

Used by the concurrency tests (`tests/test_concurrency.py`), which need
`@pytest.mark.django_db(transaction=True)`: the threads cannot see rows of a test transaction that
is never committed. Each thread opens its connection first, then waits at a barrier, so that no
call starts late because its connection was slow to open; it closes its connection at the end, so
that the table flush after the test does not wait for an idle session.
"""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

# A join that takes longer than this means a thread hangs: a deadlock nobody detected.
JOIN_TIMEOUT = 60.0


@dataclass
class Outcome:
    """What one call returned, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_together(*calls: Callable[[], Any]) -> list[Outcome]:
    """Start every call at once, each in its own thread, and return their outcomes in call order.

    Exceptions are caught and returned, never raised, so that a test can tell the refused calls
    (a ValidationError) from the broken ones (an IntegrityError, a deadlock).
    """
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(outcome: Outcome, call: Callable[[], Any]) -> None:
        try:
            try:
                connection.ensure_connection()
            except BaseException:
                barrier.abort()  # a thread that cannot connect must not leave the others waiting
                raise
            barrier.wait(timeout=JOIN_TIMEOUT)
            outcome.value = call()
        except BaseException as error:  # handed back to the test, which decides what was allowed
            # No barrier.abort() here: once the barrier is passed, threads that were released but not
            # yet scheduled would still see the barrier broken and raise BrokenBarrierError without
            # running their call. A call refused quickly (a seat refusal) used to do exactly that.
            outcome.error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(outcome, call), name=f"concurrent-{i}", daemon=True)
        for i, (outcome, call) in enumerate(zip(outcomes, calls, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_TIMEOUT)
    hanging = [thread.name for thread in threads if thread.is_alive()]
    assert not hanging, f"threads still running after {JOIN_TIMEOUT} s (deadlock?): {hanging}"
    return outcomes


def errors(outcomes: list[Outcome]) -> list[BaseException]:
    return [outcome.error for outcome in outcomes if outcome.error is not None]


# --- Staging a lock order (PostgreSQL) ------------------------------------------------------------
# A deadlock needs two transactions to take two locks in opposite orders within milliseconds. To
# test for one without luck, a third transaction holds a row open so that the first call stops at a
# known point, the second call starts and waits, and then the row is let go.


class Started:
    """A call running in its own thread (see `start`)."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.outcome = Outcome()
        self.pid: int | None = None
        self._connected = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()
        assert self._connected.wait(JOIN_TIMEOUT), "the thread did not connect"

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (self.pid,) = cursor.fetchone()
            self._connected.set()
            self.outcome.value = call()
        except BaseException as error:  # handed back to the test through `result()`
            self.outcome.error = error
        finally:
            self._connected.set()
            connection.close()

    def result(self) -> Outcome:
        self._thread.join(JOIN_TIMEOUT)
        assert not self._thread.is_alive(), f"still running after {JOIN_TIMEOUT} s (deadlock?)"
        return self.outcome

    def wait_until_blocked(self) -> None:
        """Return once the call waits for a lock that another transaction holds."""
        deadline = time.monotonic() + JOIN_TIMEOUT
        while time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self.pid])
                row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            assert self._thread.is_alive(), f"finished without waiting: {self.outcome}"
            time.sleep(0.01)
        raise AssertionError(f"not blocked after {JOIN_TIMEOUT} s")


def start(call: Callable[[], Any]) -> Started:
    """Run `call` in a thread of its own and return at once (PostgreSQL only)."""
    return Started(call)


@contextmanager
def held_open(call: Callable[[], Any]) -> Iterator[None]:
    """Run `call` in a transaction of another thread and keep that transaction, with its row locks,
    open until the with-block ends; then roll it back."""
    done, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                call()
                done.set()
                release.wait(JOIN_TIMEOUT)
                transaction.set_rollback(True)
        finally:
            done.set()

    holder = start(hold)
    done.wait(JOIN_TIMEOUT)
    try:
        assert holder.outcome.ok, holder.outcome.error
        yield
    finally:
        release.set()
        assert holder.result().ok
