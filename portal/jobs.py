"""Background jobs: Django's task framework (`django_tasks`, the backport of Django 6's `django.tasks`)
with the tasks kept in our own database by django-tasks-db, so that SQLite and PostgreSQL need no
other server. `manage.py db_worker` runs them; `manage.py seatkeeper_periodic` (cron or a systemd
timer) enqueues the periodic work and puts back what a dead worker held (README, "Production").

A job is a module-level function decorated with `job`, and a service starts it with `enqueue`::

    from portal.jobs import enqueue, job

    @job()
    def webhook_deliver(delivery_id: int) -> None:
        ...

    @service_transaction
    def member_invite(...):
        ...
        enqueue(webhook_deliver, delivery.pk)   # runs once this transaction has committed

Arguments are JSON (ids, not model instances): the job reads the rows afresh when it runs.

- **After commit, never lost.** With the database backend the task row is written in the caller's
  transaction: a worker sees it only once the change commits, and a rollback takes it away with the
  change (a transactional outbox). Another backend (the tests' immediate one) is called on commit.
- **Retried with back-off.** django-tasks does not retry. A `job` that raises is enqueued again, to run
  after JOBS_RETRY_SECONDS × 4^(attempt − 1), JOBS_ATTEMPTS times in all; each failed attempt stays in
  the Django admin (Tasks › Task results) with its traceback.
- **A killed worker loses nothing.** The worker marks the task RUNNING when it takes it and nothing puts
  it back if the worker dies. `jobs_recover_stale` (run by the periodic command) makes every task that
  has been RUNNING longer than JOBS_STALE_MINUTES ready again, or failed once it was taken
  JOBS_ATTEMPTS times (a task that kills its worker must not kill every worker after it). So a job
  must be safe to run twice: each of ours is (mails: only those still queued; an import: one
  transaction that skips whoever is a member already; an export: the file written again).
"""

import datetime
import functools
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task as _task
from django_tasks_db import DatabaseBackend

logger = logging.getLogger(__name__)

# The keyword through which `job` counts the attempts of a call; the job function never sees it.
ATTEMPT = "job_attempt"


def job(
    *,
    priority: int = 0,
    queue_name: str = "default",
    attempts: int | None = None,
    on_failure: Callable | None = None,
):
    """Make a module-level function a task that is retried with back-off when it raises: `attempts` in
    all (JOBS_ATTEMPTS when None), the next one after JOBS_RETRY_SECONDS × 4^(attempt − 1).
    `on_failure(error, retry_at, *args, **kwargs)` is told of each failure (`retry_at` None: the last)."""

    def decorate(func: Callable):
        @functools.wraps(func)
        def run(*args, **kwargs):
            attempt = kwargs.pop(ATTEMPT, 1)
            try:
                return func(*args, **kwargs)
            except Exception as error:
                limit = attempts or settings.JOBS_ATTEMPTS
                backend = the_task.get_backend()
                retry_at = None
                if attempt < limit and backend.supports_defer:
                    delay = settings.JOBS_RETRY_SECONDS * 4 ** (attempt - 1)
                    retry_at = timezone.now() + datetime.timedelta(seconds=delay)
                    the_task.using(run_after=retry_at).enqueue(*args, **{**kwargs, ATTEMPT: attempt + 1})
                    logger.warning(
                        "Job %s failed (attempt %d of %d); tried again in %d s", the_task.name, attempt, limit, delay
                    )
                else:
                    logger.error("Job %s failed (attempt %d of %d); not tried again", the_task.name, attempt, limit)
                if on_failure is not None:
                    on_failure(error, retry_at, *args, **kwargs)
                raise

        the_task = _task(priority=priority, queue_name=queue_name)(run)
        return the_task

    return decorate


def enqueue(the_task, *args, **kwargs) -> str:
    """Run `the_task(*args, **kwargs)` in a worker once the current transaction commits (at once when
    none is open); a rollback cancels it. Returns the task's id ("" when it is only enqueued on
    commit). See the module's docstring."""
    if isinstance(the_task.get_backend(), DatabaseBackend):
        # The task row joins the caller's transaction: committed with the change or not at all.
        return the_task.enqueue(*args, **kwargs).id
    transaction.on_commit(functools.partial(the_task.enqueue, *args, **kwargs))
    return ""


def jobs_recover_stale(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Put back the tasks a dead worker held: each RUNNING longer than JOBS_STALE_MINUTES becomes READY
    again, or FAILED once workers have taken it JOBS_ATTEMPTS times. Returns (made ready, failed)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - datetime.timedelta(minutes=settings.JOBS_STALE_MINUTES)
    ready = failed = 0
    with transaction.atomic():
        stale = DBTaskResult.objects.select_for_update().filter(status=TaskResultStatus.RUNNING, started_at__lt=cutoff)
        for result in stale:
            if len(result.worker_ids) >= settings.JOBS_ATTEMPTS:
                result.status = TaskResultStatus.FAILED
                result.finished_at = now
                result.exception_class_path = "portal.jobs.WorkerLost"
                result.traceback = (
                    f"WorkerLost: the workers {', '.join(result.worker_ids)} each stopped while running this "
                    f"task ({len(result.worker_ids)} times); it is not tried again.\n"
                )
                result.save(update_fields=["status", "finished_at", "exception_class_path", "traceback"])
                failed += 1
            else:
                # Ready at once, where it was in the queue; the worker ids it keeps count the attempts.
                result.status = TaskResultStatus.READY
                result.save(update_fields=["status"])
                ready += 1
    if ready or failed:
        logger.warning("Tasks of a stopped worker: %d made ready again, %d failed for good", ready, failed)
    return ready, failed


def tasks_prune(*, before: datetime.datetime) -> int:
    """Delete the rows of tasks that finished (successful or failed) before `before`; returns how many."""
    from django_tasks_db.models import DBTaskResult

    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=before).delete()
    return deleted


class WorkerLost(Exception):
    """The exception a task is marked failed with when its workers kept dying (jobs_recover_stale)."""
