"""The admin of seat usage: the days of use the licence check writes, read only."""

from django.contrib import admin

from licensing.subscriptions.models import SeatUsage


@admin.register(SeatUsage)
class SeatUsageAdmin(admin.ModelAdmin):
    """Days of use written by the licence check (R-S3): read only."""

    list_display = ("day", "user", "product", "team")
    list_select_related = ("user", "product", "team")
    list_filter = ("product", ("day", admin.DateFieldListFilter))
    search_fields = ("user__email", "team__name", "product__name")
    # A row per user, product and day: millions. No second COUNT(*) for "N total", and no
    # date_hierarchy, whose list of months reads every row (5 s for two million); the day is a list
    # filter instead.
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
