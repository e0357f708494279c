"""A worker killed in the middle of a job loses nothing (issue 21): a real `manage.py db_worker`, in its
own process, on the test database (a SQLite file, or PostgreSQL), takes a job that works in chunks
and is killed with SIGKILL halfway. Its task stays RUNNING, which no worker takes again by itself;
the periodic command (`manage.py seatkeeper_periodic`) puts it back once it is older than
JOBS_STALE_MINUTES, and a new worker runs it to the end."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portal.jobs import enqueue
from tests.conftest import on_postgresql
from tests.jobs import tasks_for_tests

BASE_DIR = Path(__file__).resolve().parent.parent.parent
pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("database_tasks")]


def worker_env() -> dict:
    """The environment of a worker on the test's own database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SQLITE_"))}
    db = connection.settings_dict
    if on_postgresql():
        env["DATABASE_URL"] = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
        env["SQLITE_PATH"] = str(db["NAME"])
    env["TASKS_BACKEND"] = "django_tasks_db.DatabaseBackend"
    return env


def start_worker(worker_id: str, log: Path, *extra: str) -> subprocess.Popen:
    command = [
        *(sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay"),
        *("--interval", "0.1", "--queue-name", "*", "--worker-id", worker_id, *extra),
    ]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=BASE_DIR, env=worker_env(), stdout=out, stderr=subprocess.STDOUT)


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"waited {timeout} s for {what}")


def test_a_job_whose_worker_is_killed_halfway_runs_again_to_the_end(tmp_path, settings):
    progress, log = tmp_path / "progress.txt", tmp_path / "workers.log"
    progress.touch()
    enqueue(tasks_for_tests.chunked, str(progress), 6, 0.3)
    first = start_worker("first", log)
    try:
        wait_for(lambda: "chunk 2" in progress.read_text(), timeout=60, what="the job's second chunk")
    finally:
        first.send_signal(signal.SIGKILL)  # no chance to mark anything: as the OOM killer or a power cut
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    task = DBTaskResult.objects.get(task_path=tasks_for_tests.chunked.module_path)
    assert (task.status, task.worker_ids) == (TaskResultStatus.RUNNING, ["first"])
    assert "done" not in progress.read_text()

    # A new worker alone does not take a RUNNING task; the periodic command puts it back.
    settings.JOBS_STALE_MINUTES = 0
    call_command("seatkeeper_periodic", stdout=open(os.devnull, "w"))  # noqa: SIM115
    task.refresh_from_db()
    assert task.status == TaskResultStatus.READY
    second = start_worker("second", log, "--batch")
    assert second.wait(timeout=120) == 0, log.read_text()[-3000:]

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL, task.traceback
    assert task.worker_ids == ["first", "second"]
    lines = progress.read_text().splitlines()
    assert lines.count("start") == 2  # it ran again from its start: a job must be safe to run twice
    assert lines[-1] == "done"
    assert lines[lines.index("start", 1) :] == ["start", *(f"chunk {n}" for n in range(1, 7)), "done"]
