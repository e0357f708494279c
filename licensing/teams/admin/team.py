"""The admin of teams: created with `team_create`, renamed with `team_rename`."""

from django.contrib import admin
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Concat
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.services import user_get_or_create
from licensing.subscriptions.models import Product, Subscription
from licensing.teams.admin.base import (
    ReadOnlyInline,
    ServiceAdmin,
    admin_url,
    count_subquery,
    seats_in_use,
    team_rows_url,
)
from licensing.teams.forms_admin import TeamCreateForm
from licensing.teams.models import Member, Team
from licensing.teams.services import team_create, team_rename


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
