"""The admin of members: invited with `member_invite`, their role and guest flag changed with
`member_change_role` and `member_set_guest`, deleted with `member_delete`."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.models import Invitation
from licensing.accounts.services import invitation_resend, member_invite
from licensing.subscriptions.models import Assignment
from licensing.teams.admin.base import (
    ReadOnlyInline,
    ServiceAdmin,
    TeamFilter,
    admin_url,
    count_subquery,
    person,
    resend_invitations,
)
from licensing.teams.forms_admin import ConfirmForm, MemberInviteForm, MemberRoleForm
from licensing.teams.models import Member
from licensing.teams.services import ADMIN_CANNOT_BE_DELETED, member_change_role, member_delete, member_set_guest


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
