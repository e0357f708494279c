"""The admin of groups (R-GR1..R-GR8) for the vendor's support staff: the list with team, member and
product counts; a group's page with its members, products and the members waiting for a seat; and
pages that change it through the same services as the portal (licensing.groups.services): create,
rename, delete, add and remove members, assign, change and unassign products. Every change leaves
an activity row with the staff member as actor (via "admin"); a refusal is a form error."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.groups.forms_admin import GroupCreateForm, GroupMembersForm, GroupProductChoiceForm, GroupProductForm
from licensing.groups.models import AssignmentGrant, Group, GroupMember, GroupProduct, SeatWait
from licensing.groups.services import (
    group_create,
    group_delete,
    group_members_add,
    group_members_remove,
    group_product_assign,
    group_product_change,
    group_product_unassign,
    group_rename,
    group_seats_preview,
)
from licensing.subscriptions.models import Product
from licensing.teams.admin.base import ServiceAdmin, TeamFilter, admin_link, admin_url, count_subquery, person

# The members a group's page lists; the rest are counted (a group can have tens of thousands).
MEMBERS_SHOWN = 50


@admin.register(Group)
class GroupAdmin(ServiceAdmin):
    """Groups: created with `group_create`, renamed with `group_rename`, deleted with `group_delete`;
    members and products changed on their own pages (object tools)."""

    list_display = ("name", "team_link", "customer", "members_count", "products_count", "waiting_count", "created_at")
    list_select_related = ("team__customer",)
    list_filter = (TeamFilter,)
    search_fields = ("name", "team__name", "team__customer__name")
    show_full_result_count = False
    fields = ("team", "name", "description", "created_at", "members", "products", "waiting")
    readonly_fields = ("team", "created_at", "members", "products", "waiting")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("team__customer")
            .annotate(
                members_count=count_subquery(GroupMember.objects.filter(group=OuterRef("pk")), "group"),
                products_count=count_subquery(GroupProduct.objects.filter(group=OuterRef("pk")), "group"),
                waiting_count=count_subquery(SeatWait.objects.filter(group=OuterRef("pk")), "group"),
            )
        )

    @admin.display(description=_("team"), ordering="team__name")
    def team_link(self, obj) -> str:
        return admin_link(obj.team)

    @admin.display(description=_("customer"), ordering="team__customer__name")
    def customer(self, obj) -> str:
        return obj.team.customer.name

    @admin.display(description=_("members"), ordering="members_count")
    def members_count(self, obj) -> int:
        return obj.members_count

    @admin.display(description=_("products"), ordering="products_count")
    def products_count(self, obj) -> int:
        return obj.products_count

    @admin.display(description=_("waiting for a seat"), ordering="waiting_count")
    def waiting_count(self, obj) -> int:
        return obj.waiting_count

    # --- The group's page ---------------------------------------------------------------------

    @admin.display(description=_("members"))
    def members(self, obj) -> str:
        """The first MEMBERS_SHOWN members in the order they joined, and how many there are."""
        total = GroupMember.objects.filter(group=obj).count()
        if not total:
            return _("No members.")
        shown = GroupMember.objects.filter(group=obj).select_related("member__user", "member__team")[:MEMBERS_SHOWN]
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (admin_link(m.member, person(m.member.user)), m.member.user.email, m.joined_at.date().isoformat())
                for m in shown
            ),
        )
        more = ""
        if total > MEMBERS_SHOWN:
            more = ngettext("and %(count)d more member.", "and %(count)d more members.", total - MEMBERS_SHOWN) % {
                "count": total - MEMBERS_SHOWN
            }
        return format_html(
            "<p>{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>{}",
            ngettext("%(count)d member.", "%(count)d members.", total) % {"count": total},
            _("Name"),
            _("E-mail address"),
            _("Joined"),
            rows,
            format_html("<p>{}</p>", more) if more else "",
        )

    @admin.display(description=_("products"))
    def products(self, obj) -> str:
        """The products the group gives, with their items, the seats it gives and the members waiting."""
        given = (
            GroupProduct.objects.filter(group=obj)
            .select_related("product")
            .prefetch_related("items")
            .order_by("product__name")
        )
        seats = dict(
            AssignmentGrant.objects.filter(group=obj)
            .values("assignment__product")
            .annotate(n=Count("pk"))
            .values_list("assignment__product", "n")
        )
        waits = dict(
            SeatWait.objects.filter(group=obj).values("product").annotate(n=Count("pk")).values_list("product", "n")
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    gp.product.name,
                    ", ".join(item.name for item in gp.items.all()) or "-",
                    seats.get(gp.product_id, 0),
                    waits.get(gp.product_id, 0),
                )
                for gp in given
            ),
        )
        if not rows:
            return _("No products.")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Product"),
            _("Items"),
            _("Seats given"),
            _("Waiting for a seat"),
            rows,
        )

    @admin.display(description=_("waiting for a seat"))
    def waiting(self, obj) -> str:
        """The members waiting for a seat through the group, in the order they get one (R-GR5)."""
        waits = list(
            SeatWait.objects.filter(group=obj)
            .select_related("member__user", "member__team", "product")
            .order_by("since", "pk")[:MEMBERS_SHOWN]
        )
        if not waits:
            return _("Nobody is waiting.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (admin_link(w.member, person(w.member.user)), w.product.name, w.since.date().isoformat(), w.reason_text)
                for w in waits
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
            _("Member"),
            _("Product"),
            _("Since"),
            _("Why"),
            rows,
        )

    # --- Create, rename, delete ------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        self.require(self.has_add_permission(request))
        form = GroupCreateForm(
            request.POST if request.method == "POST" else None, initial=request.GET.dict(), admin_site=self.admin_site
        )

        def create(data):
            group = group_create(
                team=data["team"], name=data["name"], description=data["description"], actor=request.user
            )
            self.log_addition(request, group, [{"added": {}}])
            return _("Group %(group)s created in %(team)s.") % {"group": group.name, "team": group.team.name}, (
                admin_url(group)
            )

        return self.service_view(
            request,
            form=form,
            title=_("Create group"),
            action=create,
            cancel_url=reverse("admin:groups_group_changelist"),
            submit_label=_("Create group"),
            intro=_("A group's name is unique in its team, in any case (R-GR1). Add members and products next."),
        )

    def save_model(self, request, obj, form, change):
        # Only the name and description are editable on the change page: a rename (R-GR1).
        group_rename(
            group=obj, name=form.cleaned_data["name"], description=form.cleaned_data["description"], actor=request.user
        )

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:  # deleted by someone else meanwhile
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:groups_group_changelist"))

    def delete_model(self, request, obj):
        group_delete(group=obj, actor=request.user)  # R-GR4: every member leaves it first

    def delete_queryset(self, request, queryset):
        for group in queryset.select_related("team"):
            try:
                group_delete(group=group, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)

    def get_deleted_objects(self, objs, request):
        # The confirmation page would list every membership, grant and wait (tens of thousands);
        # it names the groups, and the service takes the seats away (R-GR4).
        groups = list(objs)
        deleted = [format_html("{}: {}", self.opts.verbose_name.capitalize(), group) for group in groups]
        perms_needed = set() if self.has_delete_permission(request) else {self.opts.verbose_name}
        return deleted, {self.opts.verbose_name_plural: len(groups)}, perms_needed, []

    # --- Members and products --------------------------------------------------------------------

    def get_urls(self):
        pages = [
            ("members/add", self.members_add_view, "groups_group_members_add"),
            ("members/remove", self.members_remove_view, "groups_group_members_remove"),
            ("products/assign", self.product_assign_view, "groups_group_product_assign"),
            ("products/change", self.product_change_view, "groups_group_product_change"),
            ("products/unassign", self.product_unassign_view, "groups_group_product_unassign"),
        ]
        return [
            *(path(f"<path:object_id>/{slug}/", self.admin_site.admin_view(v), name=name) for slug, v, name in pages),
            *super().get_urls(),
        ]

    def object_tools(self, request, obj):
        if not self.has_manage_permission(request, obj):
            return []
        return [
            (_("Add members"), reverse("admin:groups_group_members_add", args=[obj.pk])),
            (_("Remove members"), reverse("admin:groups_group_members_remove", args=[obj.pk])),
            (_("Assign a product"), reverse("admin:groups_group_product_assign", args=[obj.pk])),
            (_("Change items"), reverse("admin:groups_group_product_change", args=[obj.pk])),
            (_("Unassign a product"), reverse("admin:groups_group_product_unassign", args=[obj.pk])),
        ]

    def _group(self, request, object_id) -> Group:
        group = self.get_object_or_404(request, object_id)
        self.require(self.has_manage_permission(request, group))
        return group

    def _names(self, group: Group) -> dict:
        return {"group": group.name, "team": group.team.name}

    def members_add_view(self, request, object_id):
        group = self._group(request, object_id)
        form = GroupMembersForm(request.POST if request.method == "POST" else None, group=group)

        def add(data):
            added = group_members_add(group=group, members=data["emails"], actor=request.user)
            waiting = SeatWait.objects.filter(group=group, member__in=[m.member_id for m in added]).count()
            self.log_change(request, group, _("Members added."))
            message = ngettext(
                "%(count)d member added to %(group)s.", "%(count)d members added to %(group)s.", len(added)
            ) % {"count": len(added), "group": group.name}
            if waiting:
                message += " " + ngettext("%(count)d waits for a seat.", "%(count)d wait for a seat.", waiting) % {
                    "count": waiting
                }
            return message, admin_url(group)

        return self.service_view(
            request,
            form=form,
            obj=group,
            title=_("Add members to %(group)s (%(team)s)") % self._names(group),
            action=add,
            cancel_url=admin_url(group),
            submit_label=_("Add members"),
            intro=_(
                "They get the group's products: a seat each while the team has free seats; the others wait for "
                "one in the order they joined (R-GR2, R-GR5). Members already in the group stay as they are."
            ),
        )

    def members_remove_view(self, request, object_id):
        group = self._group(request, object_id)
        form = GroupMembersForm(request.POST if request.method == "POST" else None, group=group)

        def remove(data):
            removed = group_members_remove(group=group, members=data["emails"], actor=request.user)
            self.log_change(request, group, _("Members removed."))
            return ngettext(
                "%(count)d member removed from %(group)s.", "%(count)d members removed from %(group)s.", removed
            ) % {"count": removed, "group": group.name}, admin_url(group)

        return self.service_view(
            request,
            form=form,
            obj=group,
            title=_("Remove members from %(group)s (%(team)s)") % self._names(group),
            action=remove,
            cancel_url=admin_url(group),
            submit_label=_("Remove members"),
            intro=_(
                "Each loses the group's seats and items only where no direct assignment or other group still "
                "gives them (R-GR4); the seats freed go to the members waiting."
            ),
        )

    def product_assign_view(self, request, object_id):
        group = self._group(request, object_id)
        products = Product.objects.of_team(group.team).exclude(group_products__group=group).order_by("name")

        def preview(product):
            (result,) = group_seats_preview(group=group, product=product)
            return result

        form = GroupProductForm(
            request.POST if request.method == "POST" else None, group=group, products=products, preview=preview
        )

        def assign(data):
            items = list(data["items"]) or None
            product = data["product"]
            _seated, waiting = group_product_assign(group=group, product=product, items=items, actor=request.user)
            self.log_change(request, group, _("Product assigned."))
            names = {**self._names(group), "product": data["product"].name}
            message = _("%(product)s assigned to %(group)s.") % names
            if waiting:
                message += " " + ngettext(
                    "%(count)d member waits for a seat.", "%(count)d members wait for a seat.", len(waiting)
                ) % {"count": len(waiting)}
            return message, admin_url(group)

        return self.service_view(
            request,
            form=form,
            obj=group,
            title=_("Assign a product to %(group)s (%(team)s)") % self._names(group),
            action=assign,
            cancel_url=admin_url(group),
            submit_label=_("Assign"),
            intro=_(
                "Every member of the group gets a seat, never over the team's seats (R-GR2, R-GR5). When too few "
                "are free, the page says how many would wait and asks first."
            ),
        )

    def product_change_view(self, request, object_id):
        group = self._group(request, object_id)
        form = GroupProductChoiceForm(request.POST if request.method == "POST" else None, group=group, with_items=True)

        def change(data):
            group_product = data["group_product"]
            items = [item for item in data["items"] if item.product_id == group_product.product_id]
            group_product_change(group=group, product=group_product.product, items=items, actor=request.user)
            self.log_change(request, group, _("Items changed."))
            return _("The items of %(product)s given by %(group)s are saved.") % {
                **self._names(group),
                "product": group_product.product.name,
            }, admin_url(group)

        return self.service_view(
            request,
            form=form,
            obj=group,
            title=_("Change the items %(group)s gives (%(team)s)") % self._names(group),
            action=change,
            cancel_url=admin_url(group),
            submit_label=_("Save"),
            intro=_("Every seat the group gives then holds the union of what each giver gives (R-GR3)."),
        )

    def product_unassign_view(self, request, object_id):
        group = self._group(request, object_id)
        form = GroupProductChoiceForm(request.POST if request.method == "POST" else None, group=group)

        def unassign(data):
            product = data["group_product"].product
            group_product_unassign(group=group, product=product, actor=request.user)
            self.log_change(request, group, _("Product unassigned."))
            return _("%(product)s unassigned from %(group)s.") % {**self._names(group), "product": product.name}, (
                admin_url(group)
            )

        return self.service_view(
            request,
            form=form,
            obj=group,
            title=_("Unassign a product from %(group)s (%(team)s)") % self._names(group),
            action=unassign,
            cancel_url=admin_url(group),
            submit_label=_("Unassign"),
            intro=_(
                "Its members lose the seat and items only where no direct assignment or other group still gives "
                "them (R-GR4)."
            ),
        )
