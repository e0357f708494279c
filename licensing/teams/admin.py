"""The Django admin in which the vendor's support staff work (SPEC §2, last column): customers, teams
and members, and the pieces the other apps' admins share.

A field that carries a rule (a member's role or guest flag, who is primary admin, a team's seats) is
read-only in the change forms. It changes on a page or through an action that calls the same
service as the portal, so no path skips a check, and every change leaves an activity row with the
staff member as actor (the activity middleware marks /admin/ requests as via="admin"). A refusal
shows as a form error or an admin message, never as a server error.
"""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Concat
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.models import Invitation
from licensing.accounts.services import invitation_resend, member_invite, user_get_or_create
from licensing.subscriptions.models import Assignment, Contract, Product, Subscription
from licensing.teams.forms_admin import ConfirmForm, MemberInviteForm, MemberRoleForm, TeamCreateForm
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import (
    ADMIN_CANNOT_BE_DELETED,
    member_change_role,
    member_delete,
    member_set_guest,
    team_create,
    team_rename,
)
from portal.db import run_retrying

# --- Shared by the admins of every licensing app ----------------------------------------------


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's refusal on `form`: an error about a field the form has goes to that field,
    everything else above the form."""
    if hasattr(exc, "error_dict"):
        for field, field_messages in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, exc.messages)


def count_subquery(queryset: models.QuerySet, group_by: str) -> Coalesce:
    """The number of rows of `queryset` (filtered on an OuterRef) as a subquery. Several of these in
    one changelist do not multiply each other's joins, as several Count() annotations would."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted), 0)


def seats_in_use() -> Coalesce:
    """For a subscription row: how many seats of its product its team has assigned (R-SE1)."""
    return count_subquery(
        Assignment.objects.filter(member__team=OuterRef("team"), product=OuterRef("product")), "product"
    )


def admin_url(obj, view: str = "change") -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk])


def admin_link(obj, text=None) -> str:
    """A link to `obj`'s page in the admin, for list columns and read-only fields."""
    if obj is None:
        return "-"
    return format_html('<a href="{}">{}</a>', admin_url(obj), text if text is not None else obj)


def person(user) -> str:
    return user.get_full_name() or user.email


class ReadOnlyInline(admin.TabularInline):
    """A list of related rows on a change page, each linking to its own page, where the service
    pages and actions change them."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ServiceAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes go through the services.

    `service_view` renders a form on an admin page and, when it is valid, calls the service in a
    transaction; a ValidationError from the service becomes form errors and the page is shown
    again. Change pages list the object's service pages beside "History" (`object_tools`).
    """

    change_form_template = "admin/change_form_with_tools.html"
    service_form_template = "admin/service_form.html"

    def object_tools(self, request, obj) -> list[tuple[str, str]]:
        """(label, url) of the pages that change `obj` through a service, shown on its change page."""
        return []

    def has_manage_permission(self, request, obj=None) -> bool:
        """May use the service pages and actions: the model's "change" permission."""
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["extra_object_tools"] = self.object_tools(request, obj) if obj is not None else []
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # The form was valid, but the service refused when saving (someone changed the team
            # meanwhile). The view's transaction has rolled back: nothing was saved.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_object_or_404(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(_("%(name)s not found.") % {"name": self.opts.verbose_name})
        return obj

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise PermissionDenied

    def service_view(
        self,
        request,
        *,
        form: forms.Form,
        title: str,
        action: Callable[[dict], tuple[str, str]],
        cancel_url: str,
        submit_label: str,
        obj=None,
        intro: str = "",
        template: str | None = None,
        context: dict | None = None,
    ):
        """Show `form`; on a valid POST run `action(cleaned_data)` in a transaction. `action` calls
        the service and returns (success message, where to go next)."""
        if request.method == "POST" and form.is_valid():
            try:
                # One transaction, run again if a concurrent writer made the database refuse it.
                message, next_url = run_retrying(lambda: action(form.cleaned_data))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(next_url)
        fieldsets = getattr(form, "admin_fieldsets", None) or [(None, {"fields": list(form.fields)})]
        admin_form = helpers.AdminForm(form, fieldsets, {}, model_admin=self)
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            template or self.service_form_template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "app_label": self.opts.app_label,
                "original": obj,
                "adminform": admin_form,
                "form": form,
                "errors": form.errors if form.is_bound else None,
                "media": self.media + admin_form.media,
                "intro": intro,
                "submit_label": submit_label,
                "cancel_url": cancel_url,
                "has_view_permission": self.has_view_permission(request, obj),
                **(context or {}),
            },
        )


class TeamFilter(admin.SimpleListFilter):
    """The rows of one team, as the team's page links to them (`?team=<id>`). It offers no list of
    teams to choose from (there can be thousands): only the team chosen, to see and to clear."""

    title = _("team")
    parameter_name = "team"
    team_field = "team"

    def team_id(self) -> int | None:
        """The team chosen, if the value can be one (a number the database can hold)."""
        value = self.value() or ""
        return int(value) if value.isdigit() and int(value) < 2**63 else None

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return []  # without a choice the filter is not shown
        team = Team.objects.filter(pk=team_id).first() if (team_id := self.team_id()) is not None else None
        # An unknown team is still a choice, so that the filter applies and shows no rows.
        return [(value, team.name if team is not None else value)]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if (team_id := self.team_id()) is None:
            return queryset.none()
        return queryset.filter(**{f"{self.team_field}_id": team_id})


def team_rows_url(model, team: Team, **params) -> str:
    """The changelist of `model` filtered on `team` (by a TeamFilter) and on `params`."""
    query = "&".join(f"{key}={value}" for key, value in {"team": team.pk, **params}.items())
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist") + f"?{query}"


def each_or_none(objects: Iterable, call: Callable) -> None:
    """Run `call(obj)` for every object. If the service refuses any of them, raise one
    ValidationError that names every refusal (the object first, when there are several); the
    caller's transaction then rolls back the ones that went through: all or nothing."""
    objects = list(objects)
    errors: dict[str, list[str]] = {}
    for obj in objects:
        try:
            with transaction.atomic():
                call(obj)
        except ValidationError as exc:
            prefix = f"{obj}: " if len(objects) > 1 else ""
            by_field = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
            for field, field_messages in by_field.items():
                errors.setdefault(field, []).extend(f"{prefix}{m}" for m in field_messages)
    if errors:
        raise ValidationError(errors)


# --- Customers and teams ----------------------------------------------------------------------


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


class AdminOfTeamInline(ReadOnlyInline):
    """The team's admins. Its users can be tens of thousands: the page counts them and links to
    their list (`TeamAdmin.members`), which pages and searches."""

    model = Member
    fields = ("user", "email", "role", "is_guest", "status", "invited_at", "accepted_at")
    readonly_fields = ("email",)
    verbose_name = _("admin")
    verbose_name_plural = _("admins")

    def get_queryset(self, request):
        # Primary admin first, then secondary admins (the role values sort that way).
        return (
            super()
            .get_queryset(request)
            .filter(role__in=[Member.Role.PRIMARY_ADMIN, Member.Role.SECONDARY_ADMIN])
            .select_related("user", "team")  # str(member) names the team
            .order_by("role", "user__last_name", "pk")
        )

    @admin.display(description=_("e-mail address"))
    def email(self, obj) -> str:
        return obj.user.email


class SubscriptionOfTeamInline(ReadOnlyInline):
    model = Subscription
    fields = ("contract", "product", "seats", "in_use", "plan", "term_start", "term_end", "sso_enabled", "linked")
    readonly_fields = ("in_use", "linked")
    verbose_name_plural = _("subscriptions")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contract", "product").annotate(in_use=seats_in_use())

    @admin.display(description=_("seats in use in the team"))
    def in_use(self, obj) -> int:
        return obj.in_use

    @admin.display(description=_("collaboration site"))
    def linked(self, obj) -> str:
        return obj.collaboration_site or "-"


@admin.register(Team)
class TeamAdmin(ServiceAdmin):
    """Teams: created with `team_create`, renamed with `team_rename`; never deleted here (no rule
    says what becomes of its members' seats and history)."""

    list_display = ("name", "customer", "members_count", "primary_admin", "subscriptions_count", "created_at")
    list_select_related = ("customer",)
    search_fields = ("name", "customer__name")
    list_filter = ("created_at",)
    fields = ("customer", "name", "members", "seats", "created_at", "created_by")
    readonly_fields = ("customer", "members", "seats", "created_at", "created_by")
    inlines = [AdminOfTeamInline, SubscriptionOfTeamInline]

    def get_queryset(self, request):
        primary = Member.objects.filter(team=OuterRef("pk"), role=Member.Role.PRIMARY_ADMIN)
        return (
            super()
            .get_queryset(request)
            .annotate(
                members_count=count_subquery(Member.objects.filter(team=OuterRef("pk")), "team"),
                subscriptions_count=count_subquery(Subscription.objects.filter(team=OuterRef("pk")), "team"),
                primary_name=Subquery(
                    primary.annotate(name=Concat("user__first_name", models.Value(" "), "user__last_name")).values(
                        "name"
                    )[:1]
                ),
                primary_email=Subquery(primary.values("user__email")[:1]),
            )
        )

    @admin.display(description=_("members"), ordering="members_count")
    def members_count(self, obj) -> int:
        return obj.members_count

    @admin.display(description=_("subscriptions"), ordering="subscriptions_count")
    def subscriptions_count(self, obj) -> int:
        return obj.subscriptions_count

    @admin.display(description=_("primary admin"), ordering="primary_email")
    def primary_admin(self, obj) -> str:
        if not obj.primary_email:
            return "-"
        return format_html("{} &lt;{}&gt;", (obj.primary_name or "").strip() or obj.primary_email, obj.primary_email)

    @admin.display(description=_("members"))
    def members(self, obj) -> str:
        """How many members the team has, and a link to their list (the admins are listed below)."""
        counts = Member.objects.filter(team=obj).aggregate(
            count=Count("pk"),
            invited=Count("pk", filter=Q(status=Member.Status.INVITED)),
            guests=Count("pk", filter=Q(is_guest=True)),
        )
        summary = ngettext(
            "%(count)s member; invited (not yet accepted): %(invited)s; guests: %(guests)s.",
            "%(count)s members; invited (not yet accepted): %(invited)s; guests: %(guests)s.",
            counts["count"],
        ) % {key: number_format(value, force_grouping=True) for key, value in counts.items()}
        return format_html(
            '{} <a href="{}">{}</a>', summary, team_rows_url(Member, obj), _("List the members of this team")
        )

    @admin.display(description=_("seats"))
    def seats(self, obj) -> str:
        products = Product.objects.of_team(obj).with_seat_counts(obj).order_by("name")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((p.name, p.seats_purchased, p.seats_assigned, p.seats_free, p.seats_over or "") for p in products),
        )
        if not rows:
            return _("No subscriptions.")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("Product"),
            _("Purchased"),
            _("Assigned"),
            _("Free"),
            _("Over-allocated"),
            rows,
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def object_tools(self, request, obj):
        return [(_("Invite a user"), reverse("admin:teams_member_add") + f"?team={obj.pk}")]

    def add_view(self, request, form_url="", extra_context=None):
        self.require(self.has_add_permission(request))
        form = TeamCreateForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
        )

        def create(data):
            admin_user, _created = user_get_or_create(
                email=data["admin_email"], first_name=data["admin_first_name"], last_name=data["admin_last_name"]
            )
            team = team_create(
                customer=data["customer"], name=data["name"], primary_admin=admin_user, actor=request.user
            )
            self.log_addition(request, team, [{"added": {}}])
            return _("Team %(team)s created.") % {"team": team}, admin_url(team)

        return self.service_view(
            request,
            form=form,
            title=_("Create team"),
            action=create,
            cancel_url=reverse("admin:teams_team_changelist"),
            submit_label=_("Create team"),
            intro=_("The primary admin can then invite the team's users and receive subscriptions (R-T3)."),
        )

    def save_model(self, request, obj, form, change):
        # Only the name is editable on the change page: a rename (R-T4).
        team_rename(team=obj, name=form.cleaned_data["name"], actor=request.user)


# --- Members ----------------------------------------------------------------------------------


class AssignmentOfMemberInline(ReadOnlyInline):
    model = Assignment
    fields = ("product", "item_names", "assigned_at", "assigned_by")
    readonly_fields = ("item_names",)
    verbose_name_plural = _("products assigned")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "assigned_by").prefetch_related("items")

    @admin.display(description=_("items"))
    def item_names(self, obj) -> str:
        return ", ".join(item.name for item in obj.items.all()) or "-"


class InvitationOfMemberInline(ReadOnlyInline):
    model = Invitation
    fields = ("created_at", "sent_by", "expires_at", "accepted_at", "state")
    readonly_fields = ("state",)
    show_change_link = False
    verbose_name_plural = _("invitations")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("sent_by")

    @admin.display(description=_("state"))
    def state(self, obj) -> str:
        return obj.get_state_display()


def resend_invitations(model_admin: admin.ModelAdmin, request, members: Iterable[Member]) -> None:
    """Re-send the invitation of each member (R-U5) through `invitation_resend`; a member who has
    already accepted is named in a warning."""
    sent = 0
    for member in members:
        try:
            invitation_resend(member=member, actor=request.user)
        except ValidationError as exc:
            model_admin.message_user(request, " ".join(exc.messages), messages.WARNING)
        else:
            sent += 1
    if sent:
        model_admin.message_user(
            request,
            ngettext("Re-sent %(count)d invitation.", "Re-sent %(count)d invitations.", sent) % {"count": sent},
            messages.SUCCESS,
        )


@admin.register(Member)
class MemberAdmin(ServiceAdmin):
    """Members: invited with `member_invite`, their role and guest flag changed with
    `member_change_role`, deleted with `member_delete`. The change page itself only shows."""

    list_display = (
        "person",
        "email",
        "team",
        "customer",
        "role",
        "is_guest",
        "status",
        "products_count",
        "invited_at",
    )
    list_display_links = ("person", "email")
    list_select_related = ("user", "team__customer")
    list_filter = (TeamFilter, "role", "is_guest", "status", ("invited_at", admin.DateFieldListFilter))
    search_fields = ("user__email", "user__first_name", "user__last_name", "team__name", "team__customer__name")
    # Tens of thousands of members: no second COUNT(*) of the whole table for "N total", and no
    # date_hierarchy, whose list of months reads every row; the date is a list filter instead.
    show_full_result_count = False
    fields = ("team", "user", "role", "is_guest", "status", "invited_at", "invited_by", "accepted_at")
    readonly_fields = fields
    inlines = [AssignmentOfMemberInline, InvitationOfMemberInline]
    actions = ["resend_invitation", "mark_guest", "unmark_guest"]
    delete_confirmation_template = "admin/teams/member/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/teams/member/delete_selected_confirmation.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("user", "team__customer")
            .annotate(products_count=count_subquery(Assignment.objects.filter(member=OuterRef("pk")), "member"))
        )

    @admin.display(description=_("name"), ordering="user__last_name")
    def person(self, obj) -> str:
        return obj.user.get_full_name() or "-"

    @admin.display(description=_("e-mail address"), ordering="user__email")
    def email(self, obj) -> str:
        return obj.user.email

    @admin.display(description=_("customer"), ordering="team__customer__name")
    def customer(self, obj) -> str:
        return obj.team.customer.name

    @admin.display(description=_("products"), ordering="products_count")
    def products_count(self, obj) -> int:
        return obj.products_count

    def has_change_permission(self, request, obj=None) -> bool:
        # Nothing is saved by the plain change form: role, guest flag and deletion have their
        # own pages and actions, which go through the services.
        return False

    def get_urls(self):
        return [
            path("<path:object_id>/role/", self.admin_site.admin_view(self.role_view), name="teams_member_role"),
            path(
                "<path:object_id>/resend/",
                self.admin_site.admin_view(self.resend_view),
                name="teams_member_resend",
            ),
            *super().get_urls(),
        ]

    def object_tools(self, request, obj):
        if not self.has_manage_permission(request, obj):
            return []
        tools = [(_("Change role"), reverse("admin:teams_member_role", args=[obj.pk]))]
        if obj.status == Member.Status.INVITED:
            tools.append((_("Re-send invitation"), reverse("admin:teams_member_resend", args=[obj.pk])))
        tools.append((_("Assign a product"), reverse("admin:subscriptions_assignment_add") + f"?member={obj.pk}"))
        return tools

    def add_view(self, request, form_url="", extra_context=None):
        self.require(self.has_add_permission(request))
        form = MemberInviteForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
        )

        def invite(data):
            member = member_invite(
                team=data["team"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                products=data["products"],
                is_guest=data["is_guest"],
                actor=request.user,
            )
            self.log_addition(request, member, [{"added": {}}])
            return _("%(name)s is invited to %(team)s.") % {"name": person(member.user), "team": member.team}, (
                admin_url(member)
            )

        return self.service_view(
            request,
            form=form,
            title=_("Invite a user"),
            action=invite,
            cancel_url=reverse("admin:teams_member_changelist"),
            submit_label=_("Send invite"),
            intro=_(
                "The person gets an invitation mail and stays “Invited” until they accept (R-U2). "
                "An address that already has an account, in any case, uses that account (R-U7)."
            ),
        )

    def role_view(self, request, object_id):
        member = self.get_object_or_404(request, object_id)
        self.require(self.has_manage_permission(request, member))
        form = MemberRoleForm(request.POST if request.method == "POST" else None, member=member)

        def change(data):
            changed = member_change_role(
                member=member, role=data["role"], is_guest=data["is_guest"], actor=request.user
            )
            self.log_change(request, changed, [{"changed": {"fields": ["role", "is_guest"]}}])
            return _("%(name)s is now %(role)s%(guest)s.") % {
                "name": person(changed.user),
                "role": changed.get_role_display().lower(),
                "guest": _(", guest") if changed.is_guest else "",
            }, admin_url(changed)

        return self.service_view(
            request,
            form=form,
            obj=member,
            title=_("Change role of %(name)s in %(team)s") % {"name": person(member.user), "team": member.team},
            action=change,
            cancel_url=admin_url(member),
            submit_label=_("Save"),
        )

    def resend_view(self, request, object_id):
        member = self.get_object_or_404(request, object_id)
        self.require(self.has_manage_permission(request, member))
        form = ConfirmForm(request.POST if request.method == "POST" else None)

        def resend(data):
            invitation_resend(member=member, actor=request.user)
            self.log_change(request, member, _("Invitation re-sent."))
            return _("A new invitation was sent to %(email)s.") % {"email": member.user.email}, admin_url(member)

        return self.service_view(
            request,
            form=form,
            obj=member,
            title=_("Re-send the invitation of %(name)s") % {"name": person(member.user)},
            action=resend,
            cancel_url=admin_url(member),
            submit_label=_("Re-send invitation"),
            intro=_("The new link replaces the old one, which stops working (R-U5)."),
        )

    @admin.action(description=_("Re-send invitation"), permissions=["manage"])
    def resend_invitation(self, request, queryset):
        resend_invitations(self, request, queryset)

    @admin.action(description=_("Mark as guest"), permissions=["manage"])
    def mark_guest(self, request, queryset):
        self._set_guest(request, queryset, True)

    @admin.action(description=_("Remove the guest mark"), permissions=["manage"])
    def unmark_guest(self, request, queryset):
        self._set_guest(request, queryset, False)

    def _set_guest(self, request, queryset, is_guest: bool) -> None:
        done = 0
        for member in queryset:
            try:
                member_set_guest(member=member, is_guest=is_guest, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, f"{person(member.user)}: {' '.join(exc.messages)}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext("Changed %(count)d member.", "Changed %(count)d members.", done) % {"count": done},
                messages.SUCCESS,
            )

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # R-D2: an admin cannot be deleted until their role is User. Listing the refusal as
        # "protected" keeps the confirmation page from offering the delete button at all.
        refusals = [ADMIN_CANNOT_BE_DELETED % {"name": person(m.user)} for m in objs if m.is_admin]
        return deleted, model_count, perms_needed, [*protected, *refusals]

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:  # made an admin between the confirmation page and the POST
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_model(self, request, obj):
        member_delete(member=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for member in queryset.select_related("user", "team"):
            try:
                member_delete(member=member, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)


__all__ = [
    "ReadOnlyInline",
    "ServiceAdmin",
    "TeamFilter",
    "add_service_errors",
    "admin_link",
    "admin_url",
    "count_subquery",
    "each_or_none",
    "person",
    "resend_invitations",
    "seats_in_use",
    "team_rows_url",
]
