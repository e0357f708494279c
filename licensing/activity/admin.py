"""The activity log in the admin: read only, since rows are only ever added by the services."""

import json

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from licensing.activity.models import ActivityEvent


def _compact(value) -> str:
    if value in (None, {}):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "action", "actor", "via", "team", "target", "target_user", "product", "change")
    list_select_related = ("actor", "team", "target_user", "product")
    list_filter = ("action", "via")
    search_fields = ("target", "actor__email", "target_user__email", "team__name", "team__customer__name")
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "action",
        "actor",
        "via",
        "ip_address",
        "team",
        "target",
        "target_user",
        "product",
        "before",
        "after",
    )

    @admin.display(description=_("change"))
    def change(self, obj) -> str:
        before, after = _compact(obj.before), _compact(obj.after)
        if before and after:
            return f"{before} → {after}"
        return after or before

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
