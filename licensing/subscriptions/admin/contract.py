"""The admin of contracts: shown, and a new contract manager through `contract_change_manager`."""

from django.contrib import admin
from django.db.models import OuterRef
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.models import Contract, Subscription
from licensing.subscriptions.purchases import contract_change_manager
from licensing.teams.admin.base import ReadOnlyInline, ServiceAdmin, count_subquery, seats_in_use


class SubscriptionOfContractInline(ReadOnlyInline):
    model = Subscription
    fields = ("product", "team", "seats", "in_use", "plan", "term_start", "term_end")
    readonly_fields = ("in_use",)
    verbose_name_plural = _("products on this contract")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "team").annotate(in_use=seats_in_use())

    @admin.display(description=_("seats in use in the team"))
    def in_use(self, obj) -> int:
        return obj.in_use


@admin.register(Contract)
class ContractAdmin(ServiceAdmin):
    """Contracts arrive with a purchase. Support changes the contract manager here, which goes
    through `contract_change_manager` (R-SA4, R-PA4); the rest is shown only."""

    list_display = ("number", "customer", "manager", "team", "subscriptions_count", "created_at")
    list_select_related = ("customer", "manager", "team")
    search_fields = ("number", "customer__name", "manager__email", "manager__last_name", "team__name")
    date_hierarchy = "created_at"
    fields = ("number", "customer", "manager", "team", "created_at")
    readonly_fields = ("number", "customer", "team", "created_at")
    autocomplete_fields = ("manager",)
    inlines = [SubscriptionOfContractInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                subscriptions_count=count_subquery(Subscription.objects.filter(contract=OuterRef("pk")), "contract")
            )
        )

    @admin.display(description=_("subscriptions"), ordering="subscriptions_count")
    def subscriptions_count(self, obj) -> int:
        return obj.subscriptions_count

    def has_add_permission(self, request) -> bool:
        return False  # a contract comes with its first subscription: Subscriptions › Add

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def object_tools(self, request, obj):
        url = (
            reverse("admin:subscriptions_subscription_add")
            + f"?customer={obj.customer_id}&contract_number={obj.number}"
        )
        return [(_("Add a product to this contract"), url)]

    def save_model(self, request, obj, form, change):
        # Only the manager is editable: the new one becomes secondary admin and owner (R-SA4).
        contract_change_manager(contract=obj, manager=form.cleaned_data["manager"], actor=request.user)
