"""The admin of subscriptions: the list, a subscription's page, and the actions and buttons that lead
to the pages of `subscription_pages`."""

from datetime import date

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.subscriptions.admin.subscription_pages import SubscriptionPages
from licensing.subscriptions.models import Assignment, Subscription
from licensing.subscriptions.services import seats_assigned, seats_purchased
from licensing.teams.admin.base import ServiceAdmin, admin_link, person, seats_in_use, team_rows_url

# A subscription's page lists this many of its team's assignments, in seat order, and links to the rest.
ASSIGNMENTS_SHOWN = 20


class TermFilter(admin.SimpleListFilter):
    title = _("term")
    parameter_name = "term"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("ended", _("Ended")), ("future", _("Not started"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        match self.value():
            case "active":
                return queryset.active()
            case "ended":
                return queryset.filter(term_end__lt=today)
            case "future":
                return queryset.filter(term_start__gt=today)
        return queryset


class LinkedFilter(admin.SimpleListFilter):
    title = _("linked to a collaboration site")
    parameter_name = "linked"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(collaboration_site="")
        if self.value() == "no":
            return queryset.filter(collaboration_site="")
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(SubscriptionPages, ServiceAdmin):
    """Subscriptions: "Add" records a purchase; seats, term and team change on the pages behind the
    actions and the buttons of a subscription's page. Plan and flags are edited directly: they
    carry no count, only decide which moves the portal leaves to support (R-T11)."""

    list_display = (
        "__str__",
        "customer",
        "team",
        "seats",
        "in_use",
        "plan",
        "term",
        "is_active",
        "sso_enabled",
        "linked",
    )
    list_select_related = ("contract", "product", "team__customer")
    list_filter = (TermFilter, "plan", "sso_enabled", LinkedFilter, "product")
    search_fields = (
        "contract__number",
        "product__name",
        "product__code",
        "team__name",
        "team__customer__name",
        "owner__email",
    )
    date_hierarchy = "term_end"
    fieldsets = (
        (None, {"fields": ("contract", "product", "team", "owner")}),
        (_("Seats and term"), {"fields": ("seats", "term_start", "term_end", "seats_in_use")}),
        (_("Plan and flags"), {"fields": ("plan", "sso_enabled", "collaboration_site")}),
        (None, {"fields": ("created_at",)}),
    )
    readonly_fields = (
        "contract",
        "product",
        "team",
        "owner",
        "seats",
        "term_start",
        "term_end",
        "seats_in_use",
        "created_at",
    )
    actions = ["move_action", "add_seats_action", "set_seats_action", "renew_action"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(in_use=seats_in_use())

    def changelist_view(self, request, extra_context=None):
        # The date drill-down reads up to the year (month, day) after the one chosen, and after 9999
        # there is none: a server error. Only an end of term stored before MAX_TERM_YEARS held has
        # that year; list those with a plain filter instead.
        if request.GET.get("term_end__year", "").strip() == str(date.max.year):
            query = request.GET.copy()
            for part in ("year", "month", "day"):
                query.pop(f"term_end__{part}", None)
            query["term_end__gte"] = date(date.max.year, 1, 1).isoformat()
            return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("customer"), ordering="team__customer__name")
    def customer(self, obj) -> str:
        return obj.team.customer.name

    @admin.display(description=_("in use"), ordering="in_use")
    def in_use(self, obj) -> int:
        return obj.in_use

    @admin.display(description=_("term"), ordering="term_end")
    def term(self, obj) -> str:
        return f"{obj.term_start:%Y-%m-%d} – {obj.term_end:%Y-%m-%d}"

    @admin.display(description=_("active"), boolean=True)
    def is_active(self, obj) -> bool:
        return obj.is_active

    @admin.display(description=_("linked"), boolean=True)
    def linked(self, obj) -> bool:
        return bool(obj.collaboration_site)

    @admin.display(description=_("seats in use"))
    def seats_in_use(self, obj) -> str:
        """The team's assignments of the product, in the order the licence check seats them: the
        first ASSIGNMENTS_SHOWN, and a link to the list of them all."""
        purchased = seats_purchased(obj.team, obj.product)
        assigned = seats_assigned(obj.team, obj.product)
        assignments = (
            Assignment.objects.filter(member__team=obj.team_id, product=obj.product_id)
            .select_related("member__user")
            .prefetch_related("items")
            .order_by("assigned_at", "pk")[:ASSIGNMENTS_SHOWN]
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    admin_link(a.member, person(a.member.user)),
                    a.member.user.email,
                    ", ".join(item.name for item in a.items.all()) or "-",
                    a.assigned_at.date(),
                    _("yes") if n < purchased else _("no: over-allocated"),
                )
                for n, a in enumerate(assignments)
            ),
        )
        summary = _("%(team)s: %(assigned)d of %(purchased)d seats of %(product)s assigned.") % {
            "team": obj.team.name,
            "assigned": assigned,
            "purchased": purchased,
            "product": obj.product.name,
        }
        if not rows:
            return summary
        more = ""
        if assigned > ASSIGNMENTS_SHOWN:
            more = format_html(
                '<p>{} <a href="{}">{}</a></p>',
                ngettext("…and %(count)s more.", "…and %(count)s more.", assigned - ASSIGNMENTS_SHOWN)
                % {"count": number_format(assigned - ASSIGNMENTS_SHOWN, force_grouping=True)},
                team_rows_url(Assignment, obj.team, product__id__exact=obj.product_id),
                _("List them all"),
            )
        return format_html(
            "<p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>{}",
            summary,
            _("Member"),
            _("E-mail address"),
            _("Items"),
            _("Assigned"),
            _("Holds a seat"),
            rows,
            more,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        # Only plan and flags are editable here; save just those, so that seats or team changed by
        # a service meanwhile are not written back.
        obj.save(update_fields=[name for name in form.changed_data if name in form.fields])

    # The pages behind the actions take the selected subscriptions as ?ids=1,2,3.

    def get_urls(self):
        views = [
            ("move", self.move_view),
            ("add-seats", self.add_seats_view),
            ("set-seats", self.set_seats_view),
            ("renew", self.renew_view),
        ]
        return [
            *[
                path(f"{slug}/", self.admin_site.admin_view(view), name=f"subscriptions_subscription_{slug}")
                for slug, view in views
            ],
            *super().get_urls(),
        ]

    def object_tools(self, request, obj):
        if not self.has_manage_permission(request, obj):
            return []
        return [
            (label, reverse(f"admin:subscriptions_subscription_{slug}") + f"?ids={obj.pk}")
            for slug, label in [
                ("move", _("Move to another team")),
                ("add-seats", _("Add seats")),
                ("set-seats", _("Set seats")),
                ("renew", _("Renew")),
            ]
        ]

    def _redirect_to(self, slug: str, queryset):
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(reverse(f"admin:subscriptions_subscription_{slug}") + f"?ids={ids}")

    @admin.action(description=_("Move to another team…"), permissions=["manage"])
    def move_action(self, request, queryset):
        return self._redirect_to("move", queryset)

    @admin.action(description=_("Add seats…"), permissions=["manage"])
    def add_seats_action(self, request, queryset):
        return self._redirect_to("add-seats", queryset)

    @admin.action(description=_("Set seats…"), permissions=["manage"])
    def set_seats_action(self, request, queryset):
        return self._redirect_to("set-seats", queryset)

    @admin.action(description=_("Renew…"), permissions=["manage"])
    def renew_action(self, request, queryset):
        return self._redirect_to("renew", queryset)
