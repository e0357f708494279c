"""The support staff's admin of products, contracts, subscriptions, assignments and seat usage.

What customers buy is entered here and runs through the services: a purchase (`purchase_record`),
added seats (`subscription_add_seats`), a seat count set by hand (`subscription_set_seats`, which
refuses to go below what the team has assigned unless the over-allocation is allowed on purpose),
a renewal (`subscription_renew`), a new contract manager (`contract_change_manager`) and a move to
another team (`subscription_move`, where support may do the moves of R-T11 but not those of R-T10).
Seats are assigned and unassigned through the assignment services (R-SE1).
"""

from datetime import date

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.services import user_get_or_create
from licensing.subscriptions.forms_admin import (
    CONFIRM_OVERRIDE,
    AssignmentCreateForm,
    AssignmentItemsForm,
    MoveForm,
    PurchaseForm,
    RenewForm,
    SeatsAddForm,
    SeatsSetForm,
)
from licensing.subscriptions.models import Assignment, Contract, Product, ProductItem, SeatUsage, Subscription
from licensing.subscriptions.purchases import contract_change_manager, purchase_record
from licensing.subscriptions.services import (
    assignment_create,
    assignment_delete,
    assignment_update,
    days_after,
    seats_assigned,
    seats_purchased,
    subscription_add_seats,
    subscription_move,
    subscription_renew,
    subscription_set_seats,
    subscriptions_move_blockers,
    term_end_latest,
)
from licensing.teams.admin import (
    ReadOnlyInline,
    ServiceAdmin,
    TeamFilter,
    admin_link,
    admin_url,
    count_subquery,
    each_or_none,
    person,
    seats_in_use,
    team_rows_url,
)
from licensing.teams.models import Customer, Team

NOTHING_SELECTED = _("Select one or more subscriptions first.")
ONE_CUSTOMER = _("Subscriptions can only move between teams of one customer: select subscriptions of one customer.")
# A subscription's page lists this many of its team's assignments, in seat order, and links to the rest.
ASSIGNMENTS_SHOWN = 20


def renewal_suggested_end(subscription: Subscription) -> date:
    """What the renew page offers: a year after the current end, within `term_end_latest`."""
    return min(days_after(subscription.term_end, 365), term_end_latest(subscription.term_start))


# --- Products ---------------------------------------------------------------------------------


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


# --- Contracts --------------------------------------------------------------------------------


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


# --- Subscriptions ----------------------------------------------------------------------------


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
class SubscriptionAdmin(ServiceAdmin):
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

    def _selected(self, request) -> list[Subscription]:
        ids = [part for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()]
        return list(
            self.get_queryset(request)
            .filter(pk__in=ids)
            .select_related("contract", "product", "team__customer", "owner")
            .order_by("contract__number", "product__name")
        )

    def _done_url(self, subscriptions) -> str:
        if len(subscriptions) == 1:
            return admin_url(subscriptions[0])
        return reverse("admin:subscriptions_subscription_changelist")

    def _table(self, subscriptions) -> dict:
        return {
            "headers": [_("Subscription"), _("Team"), _("Seats"), _("In use in the team"), _("Plan"), _("Term")],
            "rows": [
                (
                    admin_link(s),
                    s.team.name,
                    s.seats,
                    s.in_use,
                    s.get_plan_display(),
                    f"{s.term_start:%Y-%m-%d} – {s.term_end:%Y-%m-%d}",
                )
                for s in subscriptions
            ],
        }

    def _seats_page(
        self, request, *, form_class, title, submit_label, call, message, initial=None, intro="", form_kwargs=None
    ):
        """A page that applies one service to each selected subscription, all or nothing.
        `form_kwargs(subscriptions)` gives the form what it checks the input against."""
        self.require(self.has_manage_permission(request))
        subscriptions = self._selected(request)
        if not subscriptions:
            self.message_user(request, NOTHING_SELECTED, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:subscriptions_subscription_changelist"))
        form = form_class(
            request.POST if request.method == "POST" else None,
            initial=initial(subscriptions[0]) if initial and len(subscriptions) == 1 else None,
            **(form_kwargs(subscriptions) if form_kwargs else {}),
        )

        def apply(data):
            each_or_none(subscriptions, lambda s: call(s, data))
            for s in subscriptions:
                self.log_change(request, s, str(title))
            return message(len(subscriptions)), self._done_url(subscriptions)

        return self.service_view(
            request,
            form=form,
            obj=subscriptions[0] if len(subscriptions) == 1 else None,
            title=title,
            action=apply,
            cancel_url=self._done_url(subscriptions),
            submit_label=submit_label,
            intro=intro,
            context={"table": self._table(subscriptions)},
        )

    def add_seats_view(self, request):
        return self._seats_page(
            request,
            form_class=SeatsAddForm,
            title=_("Add seats"),
            submit_label=_("Add seats"),
            call=lambda s, data: subscription_add_seats(subscription=s, seats=data["seats"], actor=request.user),
            message=lambda n: (
                ngettext("Seats added to %(count)d subscription.", "Seats added to %(count)d subscriptions.", n)
                % {"count": n}
            ),
            intro=_("Seats added to a subscription stay in its team (R-SE2)."),
        )

    def set_seats_view(self, request):
        return self._seats_page(
            request,
            form_class=SeatsSetForm,
            title=_("Set seats"),
            submit_label=_("Set seats"),
            call=lambda s, data: subscription_set_seats(
                subscription=s,
                seats=data["seats"],
                allow_over_allocation=data["allow_over_allocation"],
                actor=request.user,
            ),
            message=lambda n: (
                ngettext("Seats set on %(count)d subscription.", "Seats set on %(count)d subscriptions.", n)
                % {"count": n}
            ),
            initial=lambda s: {"seats": s.seats},
            intro=_("A correction of the seat count. For seats bought on top, use “Add seats”."),
        )

    def renew_view(self, request):
        return self._seats_page(
            request,
            form_class=RenewForm,
            title=_("Renew"),
            submit_label=_("Renew"),
            call=lambda s, data: subscription_renew(subscription=s, term_end=data["term_end"], actor=request.user),
            message=lambda n: (
                ngettext("Renewed %(count)d subscription.", "Renewed %(count)d subscriptions.", n) % {"count": n}
            ),
            initial=lambda s: {"term_end": renewal_suggested_end(s)},
            intro=_("A renewal extends the term; the subscription stays in its team."),
            form_kwargs=lambda subscriptions: {"subscriptions": subscriptions},
        )

    def move_view(self, request):
        """Pick a team of the same customer, review what stops each subscription (R-T10) and what
        only support may do (R-T11), then move (R-T8). Users do not move with it (R-T9)."""
        self.require(self.has_manage_permission(request))
        subscriptions = self._selected(request)
        changelist = reverse("admin:subscriptions_subscription_changelist")
        if not subscriptions:
            self.message_user(request, NOTHING_SELECTED, messages.WARNING)
            return HttpResponseRedirect(changelist)
        customers = {s.team.customer_id for s in subscriptions}
        if len(customers) != 1:
            self.message_user(request, ONE_CUSTOMER, messages.ERROR)
            return HttpResponseRedirect(changelist)
        teams = Team.objects.filter(customer_id=customers.pop()).order_by("name")
        # Choosing the team and reviewing is a GET (nothing changes); the move itself a POST.
        review = request.GET if "to_team" in request.GET else None
        form = MoveForm(request.POST if request.method == "POST" else review, teams=teams)
        to_team = form.cleaned_data["to_team"] if form.is_bound and form.is_valid() else None
        rows = []
        if to_team is not None:
            as_support = subscriptions_move_blockers(subscriptions, to_team=to_team, actor=request.user)
            # What the portal would refuse even its owner (R-T11): support overrides it, knowingly.
            in_portal = subscriptions_move_blockers(subscriptions, to_team=to_team, actor=None)
        for s in subscriptions:
            row = {"subscription": s, "blockers": [], "support_only": []}
            if to_team is not None:
                row["blockers"] = as_support[s.pk]
                row["support_only"] = [b for b in in_portal[s.pk] if b.support_can_override and b.code != "not_owner"]
            rows.append(row)
        needs_confirm = any(row["support_only"] for row in rows)

        def move(data):
            if needs_confirm and not data["confirm_override"]:
                raise ValidationError({"confirm_override": [CONFIRM_OVERRIDE]})
            each_or_none(
                subscriptions, lambda s: subscription_move(subscription=s, to_team=to_team, actor=request.user)
            )
            for s in subscriptions:
                self.log_change(request, s, str(_("Moved to %(team)s.") % {"team": to_team}))
            message = ngettext(
                "Moved %(count)d subscription to %(team)s.", "Moved %(count)d subscriptions to %(team)s.", len(rows)
            ) % {"count": len(rows), "team": to_team}
            return message, self._done_url(subscriptions)

        return self.service_view(
            request,
            form=form,
            obj=subscriptions[0] if len(subscriptions) == 1 else None,
            title=_("Move to another team"),
            action=move,
            cancel_url=self._done_url(subscriptions),
            submit_label=_("Move"),
            template="admin/subscriptions/subscription/move.html",
            context={
                "rows": rows,
                "to_team": to_team,
                "blocked": any(row["blockers"] for row in rows),
                "needs_confirm": needs_confirm,
                "ids": request.GET.get("ids", ""),
            },
        )

    def add_view(self, request, form_url="", extra_context=None):
        """ "Add subscription" is a purchase: `purchase_record` decides the contract, the team and the
        admins (R-T7, R-T2, R-SA3) and gives the owner a seat (R-T6)."""
        self.require(self.has_add_permission(request))
        form = PurchaseForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
        )

        def purchase(data):
            customer = data["customer"] or Customer.objects.create(name=data["new_customer"].strip())
            if form.contract is not None:
                manager = form.contract.manager
            else:
                manager, _created = user_get_or_create(
                    email=data["manager_email"],
                    first_name=data["manager_first_name"],
                    last_name=data["manager_last_name"],
                )
            subscription = purchase_record(
                customer=customer,
                contract_number=data["contract_number"],
                manager=manager,
                product=data["product"],
                seats=data["seats"],
                plan=data["plan"],
                term_start=data["term_start"],
                term_end=data["term_end"],
                sso_enabled=data["sso_enabled"],
                collaboration_site=data["collaboration_site"].strip(),
                actor=request.user,
            )
            self.log_addition(request, subscription, [{"added": {}}])
            return _("%(subscription)s recorded in team %(team)s.") % {
                "subscription": subscription,
                "team": subscription.team,
            }, admin_url(subscription)

        return self.service_view(
            request,
            form=form,
            title=_("Record a purchase"),
            action=purchase,
            cancel_url=reverse("admin:subscriptions_subscription_changelist"),
            submit_label=_("Record purchase"),
        )


# --- Assignments and seat usage ---------------------------------------------------------------


class AssignmentTeamFilter(TeamFilter):
    team_field = "member__team"


@admin.register(Assignment)
class AssignmentAdmin(ServiceAdmin):
    """Seats held. Created with `assignment_create` (within the team's seats, R-SE1), items changed
    with `assignment_update`, deleted with `assignment_delete`."""

    form = AssignmentItemsForm
    list_display = ("member_name", "email", "team_name", "product", "item_names", "assigned_at", "assigned_by")
    list_select_related = ("member__user", "member__team", "product", "assigned_by")
    list_filter = (AssignmentTeamFilter, "product", ("assigned_at", admin.DateFieldListFilter))
    search_fields = (
        "member__user__email",
        "member__user__first_name",
        "member__user__last_name",
        "member__team__name",
        "product__name",
    )
    # One row per seat held, tens of thousands: no second COUNT(*) for "N total", and no
    # date_hierarchy, whose list of months reads every row; the date is a list filter instead.
    show_full_result_count = False
    fields = ("member", "product", "items", "assigned_at", "assigned_by")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("items")

    def get_readonly_fields(self, request, obj=None):
        readonly = ["member", "product", "assigned_at", "assigned_by"]
        if obj is not None and not obj.product.items.exists():
            readonly.append("items")
        return readonly

    @admin.display(description=_("member"), ordering="member__user__last_name")
    def member_name(self, obj) -> str:
        return person(obj.member.user)

    @admin.display(description=_("e-mail address"), ordering="member__user__email")
    def email(self, obj) -> str:
        return obj.member.user.email

    # Not named `team`: the changelist would show Assignment.team, the field, unselected (a query a row).
    @admin.display(description=_("team"), ordering="member__team__name")
    def team_name(self, obj) -> str:
        return obj.member.team.name

    @admin.display(description=_("items"))
    def item_names(self, obj) -> str:
        return ", ".join(item.name for item in obj.items.all()) or "-"

    def add_view(self, request, form_url="", extra_context=None):
        self.require(self.has_add_permission(request))
        form = AssignmentCreateForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
        )

        def assign(data):
            assignment = assignment_create(
                member=data["member"], product=data["product"], items=data["items"] or None, actor=request.user
            )
            self.log_addition(request, assignment, [{"added": {}}])
            return _("%(product)s assigned to %(name)s.") % {
                "product": assignment.product,
                "name": person(assignment.member.user),
            }, admin_url(assignment)

        return self.service_view(
            request,
            form=form,
            title=_("Assign a product"),
            action=assign,
            cancel_url=reverse("admin:subscriptions_assignment_changelist"),
            submit_label=_("Assign"),
            intro=_("The member gets a seat of the product in their team, if one is free (R-SE1), and a mail (R-P3)."),
        )

    def save_model(self, request, obj, form, change):
        if "items" in form.cleaned_data:
            assignment_update(assignment=obj, items=form.cleaned_data["items"], actor=request.user)

    def save_related(self, request, form, formsets, change):
        pass  # the items were set by assignment_update, with its audit row

    def delete_model(self, request, obj):
        self.delete_queryset(request, [obj])

    def delete_queryset(self, request, queryset):
        for assignment in queryset:
            try:
                assignment_delete(assignment=assignment, actor=request.user)
            except ValidationError as error:
                if error.code != "already_unassigned":
                    raise
                # Someone unassigned it first: what support asked for is done; say so.
                self.message_user(request, " ".join(error.messages), messages.INFO)


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
