"""A job an admin started and waits for in the page: a large Seat Usage export, a large import or a
bulk action of By User on many members (licensing.jobs.tasks). The task itself is django-tasks-db's
row (`task_id`); this row is what the admin sees: how far it is, and its result or its file, kept
JOBS_KEEP_HOURS."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobQuerySet(models.QuerySet):
    def visible_to(self, user, *, support: bool):
        """The jobs `user` may see: the ones they started; support staff (`support`) see every one."""
        return self if support else self.filter(started_by=user)


class Job(models.Model):
    class Kind(models.TextChoices):
        SEAT_USAGE_EXPORT = "seat_usage_export", _("Seat Usage export")
        IMPORT = "import", _("Import")
        MEMBER_BULK = "member_bulk", _("Action on selected users")

    class Status(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    # Not a counter: the address of a job says nothing about how many there are.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.WAITING)
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", verbose_name=_("team"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("started by")
    )
    # What the task needs (JSON): the report's teams, range, filters and order; the import's rows.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("total"), default=0)
    # What the page shows when it is done: the import's counts and skipped lines.
    result = models.JSONField(_("result"), default=dict, blank=True)
    # The export's file, in the database: the worker and the web server need share no disk.
    filename = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.BinaryField(_("file"), null=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.team} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        """How far it is, 0 to 100; a job that is done is 100 whatever it counted."""
        if self.status == self.Status.DONE:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0
