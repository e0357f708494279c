"""Jobs for support staff (Django admin › Jobs): who started which export or import, how far it got,
and why it failed. Read-only; a job may be deleted (its file with it). The tasks themselves, with
every attempt and its traceback, are django-tasks-db's admin (Tasks › Task results)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from licensing.jobs.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "team", "started_by", "status", "progress", "finished_at")
    list_filter = ("status", "kind")
    list_select_related = ("team", "started_by")
    search_fields = ("team__name", "started_by__email")
    date_hierarchy = "created_at"
    # Never the rows of an import or the file of an export: they hold customers' names and addresses.
    fields = (
        "kind",
        "team",
        "started_by",
        "status",
        "done",
        "total",
        "filename",
        "error",
        "task_id",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields

    @admin.display(description=_("progress"))
    def progress(self, obj: Job) -> str:
        return f"{obj.done} / {obj.total}" if obj.total else "–"

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "params")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
