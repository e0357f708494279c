"""The rows of the jobs an admin waits for (licensing.jobs.models.Job): made with their task, told how
far they are, and finished with a result or a file. Each write is one short statement of its own:
the page that polls sees the progress at once, and no team lock is taken (a job's own row is all
they change; the work itself goes through the services of its app, licensing.jobs.tasks)."""

import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from licensing.jobs.models import Job
from licensing.teams.models import Team


def job_create(*, kind: str, team: Team, user, params: dict, total: int) -> Job:
    """A job of `kind` started by `user` in `team`, waiting for its task (which the caller enqueues in
    the same transaction, `Job.task_id`)."""
    return Job.objects.create(kind=kind, team=team, started_by=user, params=params, total=total)


def job_running(job_id: str) -> Job | None:
    """Mark the job running (again, after a failed attempt or a worker that died) and return it; None
    when it is gone (expired) or finished."""
    updated = Job.objects.filter(pk=job_id).exclude(status__in=[Job.Status.DONE, Job.Status.FAILED])
    if not updated.update(status=Job.Status.RUNNING, done=0, error=""):
        return None
    return Job.objects.select_related("team", "started_by").get(pk=job_id)


def job_progress(job_id: str, *, done: int, total: int | None = None) -> None:
    changes = {"done": done} if total is None else {"done": done, "total": total}
    Job.objects.filter(pk=job_id).update(**changes)


def job_done(job_id: str, *, result: dict | None = None, filename: str = "", content: bytes | None = None) -> None:
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.DONE,
        result=result or {},
        filename=filename,
        content=content,
        finished_at=timezone.now(),
        error="",
    )


def job_failed(job_id: str, *, error: str, retry_at: datetime.datetime | None = None, refused: str = "") -> None:
    """A failed attempt: the job waits for `retry_at`, or (None) has failed for good. `refused`: the
    reason in the admin's words, which their page shows (a limit, a right lost meanwhile)."""
    if retry_at is None:
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED,
            error=error,
            finished_at=timezone.now(),
            result={"refused": refused} if refused else {},
        )
    else:
        Job.objects.filter(pk=job_id).update(status=Job.Status.WAITING, error=error)


def jobs_clean_up(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """The periodic clean-up: jobs finished more than JOBS_KEEP_HOURS ago are deleted with their files,
    and a job whose task failed for good without saying so (its workers kept dying: portal.jobs
    `jobs_recover_stale`) is marked failed. Returns (deleted, failed)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    expired = Job.objects.filter(
        Q(finished_at__lt=now - datetime.timedelta(hours=settings.JOBS_KEEP_HOURS))
        # A job left unfinished a week (its task deleted from the admin, say) goes too.
        | Q(created_at__lt=now - datetime.timedelta(days=7))
    )
    deleted, _ = expired.delete()
    # Each task of a job (a retry is a new one) has the job's id as its first argument.
    pending = list(
        Job.objects.exclude(status__in=[Job.Status.DONE, Job.Status.FAILED])
        .filter(created_at__lt=now - datetime.timedelta(minutes=1))
        .values_list("pk", flat=True)
    )
    alive = {
        str(args["args"][0])
        for args in DBTaskResult.objects.filter(
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
            task_path__startswith="licensing.jobs.tasks.",
        ).values_list("args_kwargs", flat=True)
        if args.get("args")
    }
    lost = [pk for pk in pending if str(pk) not in alive]
    failed = Job.objects.filter(pk__in=lost).update(
        status=Job.Status.FAILED, error="No task is left to run this job (its workers kept stopping).", finished_at=now
    )
    return deleted, failed
