"""The admin of the vendor's catalogue: products and their items."""

from django.contrib import admin
from django.db import models
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.models import Product, ProductItem, Subscription
from licensing.teams.admin.base import count_subquery


class ProductItemInline(admin.TabularInline):
    model = ProductItem
    extra = 0
    fields = ("name", "code", "kind")
    prepopulated_fields = {"code": ("name",)}


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """The vendor's catalogue. Products and items carry no customer's rule and are edited directly;
    one that is subscribed or assigned cannot be deleted (the database protects it)."""

    list_display = ("name", "code", "kind", "is_collaboration", "items_count", "subscriptions_count")
    list_filter = ("kind", "is_collaboration")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    inlines = [ProductItemInline]
    # A download address typed without a scheme is an https one (Django 6's default, today).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                items_count=count_subquery(ProductItem.objects.filter(product=OuterRef("pk")), "product"),
                subscriptions_count=count_subquery(Subscription.objects.filter(product=OuterRef("pk")), "product"),
            )
        )

    @admin.display(description=_("items"), ordering="items_count")
    def items_count(self, obj) -> int:
        return obj.items_count

    @admin.display(description=_("subscriptions"), ordering="subscriptions_count")
    def subscriptions_count(self, obj) -> int:
        return obj.subscriptions_count


@admin.register(ProductItem)
class ProductItemAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "product", "kind")
    list_select_related = ("product",)
    list_filter = ("kind", "product")
    search_fields = ("name", "code", "product__name")
