"""The job runner (portal/jobs.py) on the database backend: a job enqueued in a transaction runs only
if it commits; a failing job is tried again with back-off, a bounded number of times, each failure
kept for support staff; a task a dead worker held goes back to the queue (or fails for good once it
has been taken too often); and the periodic command (`manage.py seatkeeper_periodic`)."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from mailer.models import PRIORITY_DEFERRED, Message

from licensing.teams.services import member_change_role
from portal.jobs import ATTEMPT, enqueue, jobs_recover_stale
from portal.mail import BULK_PRIORITY, URGENT_PRIORITY, mail_send_waiting
from tests.jobs import tasks_for_tests

pytestmark = pytest.mark.usefixtures("database_tasks")


@pytest.fixture(autouse=True)
def _calls():
    tasks_for_tests.CALLS.clear()


def test_a_job_enqueued_in_a_transaction_that_rolls_back_never_runs(db):
    with transaction.atomic():
        enqueue(tasks_for_tests.failing, "rolled back")
        transaction.set_rollback(True)
    assert not DBTaskResult.objects.exists()
    with transaction.atomic():
        enqueue(tasks_for_tests.failing, "committed")
    assert DBTaskResult.objects.get().args_kwargs == {"args": ["committed"], "kwargs": {}}


def test_a_failing_job_is_tried_again_later_each_time_and_then_stays_failed(db, run_jobs, settings):
    # A failure is retried after 30 s, 2 min, 8 min ... (JOBS_RETRY_SECONDS × 4^(attempt − 1)),
    # JOBS_ATTEMPTS times in all; every failed attempt stays with its traceback (Django admin).
    settings.JOBS_ATTEMPTS, settings.JOBS_RETRY_SECONDS = 3, 30
    enqueue(tasks_for_tests.failing, "x")
    before = timezone.now()
    assert run_jobs() == 1
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert retry.args_kwargs == {"args": ["x"], "kwargs": {ATTEMPT: 2}}
    assert before + datetime.timedelta(seconds=29) < retry.run_after < timezone.now() + datetime.timedelta(seconds=31)
    assert run_jobs() == 0  # not before its time
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    assert failed.exception_class_path == "builtins.RuntimeError"
    assert "failing job (x)" in failed.traceback
    # Its time comes: the second attempt fails, and the third is set 4 × 30 s later.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    assert run_jobs() == 1
    third = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert third.args_kwargs["kwargs"] == {ATTEMPT: 3}
    assert third.run_after > timezone.now() + datetime.timedelta(seconds=110)
    DBTaskResult.objects.filter(pk=third.pk).update(run_after=timezone.now())
    assert run_jobs() == 1  # the last attempt: nothing is enqueued after it
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3
    assert not DBTaskResult.objects.exclude(status=TaskResultStatus.FAILED).exists()
    assert tasks_for_tests.CALLS == ["x", "x", "x"]


def test_a_task_a_dead_worker_held_goes_back_to_the_queue(db, settings):
    settings.JOBS_STALE_MINUTES, settings.JOBS_ATTEMPTS = 15, 3
    enqueue(tasks_for_tests.failing, "held")
    now = timezone.now()
    long_ago, just_now = now - datetime.timedelta(minutes=16), now - datetime.timedelta(minutes=14)
    DBTaskResult.objects.update(status=TaskResultStatus.RUNNING, started_at=long_ago, worker_ids=["dead"])
    running = enqueue(tasks_for_tests.failing, "running")  # a worker that is alive holds this one
    DBTaskResult.objects.filter(pk=running).update(
        status=TaskResultStatus.RUNNING, started_at=just_now, worker_ids=["alive"]
    )
    assert jobs_recover_stale(now=now) == (1, 0)
    back = DBTaskResult.objects.get(args_kwargs__args=["held"])
    assert back.status == TaskResultStatus.READY
    assert back.worker_ids == ["dead"]  # the attempts so far
    assert DBTaskResult.objects.get(pk=running).status == TaskResultStatus.RUNNING


def test_a_task_whose_workers_keep_dying_fails_for_good(db, settings):
    # A task that kills its worker (out of memory, say) must not kill every worker after it.
    settings.JOBS_STALE_MINUTES, settings.JOBS_ATTEMPTS = 15, 3
    enqueue(tasks_for_tests.failing, "poison")
    DBTaskResult.objects.update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - datetime.timedelta(hours=1),
        worker_ids=["one", "two", "three"],
    )
    assert jobs_recover_stale() == (0, 1)
    lost = DBTaskResult.objects.get()
    assert lost.status == TaskResultStatus.FAILED
    assert lost.exception_class_path == "portal.jobs.WorkerLost"


def test_a_change_queues_its_mail_and_a_job_and_sends_nothing_itself(world, run_jobs, settings, mailoutbox):
    # SPEC §4: mails after commit, by the worker; nothing is sent inside the request.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    member_change_role(member=world.user, role="secondary_admin", actor=world.primary.user)
    assert mailoutbox == []
    (queued,) = Message.objects.values_list("pk", flat=True)
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.priority) == ("portal.mail.mail_deliver", URGENT_PRIORITY)
    assert task.args_kwargs["args"] == [[queued]]
    assert run_jobs() == 1
    assert [message.to for message in mailoutbox] == [["user@example.com"]]
    assert not Message.objects.exists()


def test_bulk_mails_wait_behind_a_single_change(world, run_jobs, settings):
    from portal.mail import mail_deliver

    enqueue(mail_deliver.using(priority=BULK_PRIORITY), [1])
    enqueue(mail_deliver.using(priority=URGENT_PRIORITY), [2])
    first = DBTaskResult.objects.ready().first()
    assert first.args_kwargs["args"] == [[2]]


def test_the_periodic_command_sends_deferred_mails_again(world, run_jobs, settings, mailoutbox):
    # SPEC §4: a mail the server refused waits (deferred); the periodic command retries it.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    member_change_role(member=world.user, role="secondary_admin", actor=world.primary.user)
    DBTaskResult.objects.all().delete()  # its own job was lost, or the server refused it
    Message.objects.update(priority=PRIORITY_DEFERRED)
    call_command("seatkeeper_periodic", stdout=io.StringIO())
    task = DBTaskResult.objects.get()
    assert task.task_path == mail_send_waiting.module_path
    run_jobs()
    assert [message.to for message in mailoutbox] == [["user@example.com"]]
    assert not Message.objects.exists()


def test_the_periodic_command_prunes_old_finished_tasks(db, run_jobs, settings):
    settings.JOBS_RESULTS_KEEP_DAYS = 14
    enqueue(tasks_for_tests.failing, "old")
    enqueue(tasks_for_tests.failing, "recent")
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    DBTaskResult.objects.filter(args_kwargs__args=["old"]).update(
        finished_at=timezone.now() - datetime.timedelta(days=15)
    )
    call_command("seatkeeper_periodic", stdout=io.StringIO())
    assert sorted(r.args_kwargs["args"][0] for r in DBTaskResult.objects.exclude(task_path__endswith="waiting")) == [
        "recent"
    ]
