"""Jobs the tests of the runner enqueue: module-level, so that a worker (in the test's process or a
real `manage.py db_worker`) imports them by their path, as it does ours."""

import time
from pathlib import Path

from portal.jobs import job

CALLS: list = []


@job()
def failing(note: str) -> None:
    """Always fails: the retries and their back-off."""
    CALLS.append(note)
    raise RuntimeError(f"failing job ({note})")


@job()
def chunked(path: str, chunks: int, seconds: float) -> None:
    """Works for `chunks` × `seconds`, writing a line to the file `path` when it starts, after each
    chunk and when it is done: what a test reads to kill its worker in the middle."""
    log = Path(path)
    with log.open("a") as out:
        out.write("start\n")
    for number in range(1, chunks + 1):
        time.sleep(seconds)
        with log.open("a") as out:
            out.write(f"chunk {number}\n")
    with log.open("a") as out:
        out.write("done\n")
