"""The admin of customers: their teams and contracts, shown only."""

from django.contrib import admin
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.models import Contract
from licensing.teams.admin.base import ReadOnlyInline, count_subquery
from licensing.teams.models import Customer, Team


class TeamOfCustomerInline(ReadOnlyInline):
    model = Team
    fields = ("name", "created_at")
    verbose_name_plural = _("teams")


class ContractOfCustomerInline(ReadOnlyInline):
    model = Contract
    fk_name = "customer"
    fields = ("number", "manager", "team", "created_at")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("manager", "team")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "teams_count", "contracts_count", "created_at")
    search_fields = ("name",)
    date_hierarchy = "created_at"
    fields = ("name", "created_at")
    readonly_fields = ("created_at",)
    inlines = [TeamOfCustomerInline, ContractOfCustomerInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                teams_count=count_subquery(Team.objects.filter(customer=OuterRef("pk")), "customer"),
                contracts_count=count_subquery(Contract.objects.filter(customer=OuterRef("pk")), "customer"),
            )
        )

    @admin.display(description=_("teams"), ordering="teams_count")
    def teams_count(self, obj) -> int:
        return obj.teams_count

    @admin.display(description=_("contracts"), ordering="contracts_count")
    def contracts_count(self, obj) -> int:
        return obj.contracts_count
