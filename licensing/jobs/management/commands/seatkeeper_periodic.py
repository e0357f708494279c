"""`manage.py seatkeeper_periodic`: the periodic work, run by cron or a systemd timer every few
minutes (README, "Production"). It does nothing slow itself: it enqueues the jobs the worker runs
(`manage.py db_worker`) and puts back what a dead worker held.

- tasks RUNNING longer than JOBS_STALE_MINUTES go back to the queue (portal.jobs.jobs_recover_stale);
- the mails: deferred ones back in the queue, then the queue sent (portal.mail.mail_send_waiting);
- webhooks: the endpoints with a delivery due and no worker on it are started again
  (licensing.webhooks.outbox.webhooks_sweep: a worker that died mid-delivery, a retry never enqueued);
- jobs finished more than JOBS_KEEP_HOURS ago are deleted with their files, and finished task rows
  older than JOBS_RESULTS_KEEP_DAYS too (licensing.jobs.services.jobs_clean_up, tasks_prune)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from licensing.jobs.services import jobs_clean_up
from licensing.webhooks.outbox import webhooks_sweep
from portal.jobs import enqueue, jobs_recover_stale, tasks_prune
from portal.mail import mail_send_waiting


class Command(BaseCommand):
    help = "Enqueue the periodic work (mails to retry and send) and put back the jobs of a worker that died."

    def handle(self, *args, **options):
        now = timezone.now()
        ready, failed = jobs_recover_stale(now=now)
        enqueue(mail_send_waiting)
        endpoints = webhooks_sweep()
        deleted, lost = jobs_clean_up(now=now)
        pruned = tasks_prune(before=now - datetime.timedelta(days=settings.JOBS_RESULTS_KEEP_DAYS))
        self.stdout.write(
            f"Tasks of stopped workers: {ready} ready again, {failed} failed; mails: sending enqueued; "
            f"webhooks: {endpoints} endpoints started; "
            f"jobs: {deleted} expired deleted, {lost} without a task failed; {pruned} finished tasks pruned."
        )
