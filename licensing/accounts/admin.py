"""The user and invitation admin of the support staff.

Accounts sign in by e-mail address. An account that is still a member of a team cannot be deleted
here: its memberships go first, through the member admin, which applies the rules of deleting
members (R-D1, R-D2). Invitations are only shown, and re-sent through `invitation_resend` (R-U5).
Signed-in devices of the desktop software are only shown, and signed out through `api_token_revoke`
(R-S2); a password changed here signs the person's devices out, as in the portal.

Superusers stay the only ones who grant rights (issue 19): only they set who is staff or superuser,
a person's groups and permissions, and a group's permissions, and only they change an account that
holds rights (a staff or superuser account: a new e-mail address or password would make it someone
else's). To everyone else those fields and accounts are read-only, and a POST cannot set them.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.access_tokens import access_token_revoke
from licensing.accounts.devices import api_token_revoke, user_password_changed
from licensing.accounts.forms_admin import UserAdminChangeForm, UserAdminCreationForm
from licensing.accounts.models import AccessToken, ApiToken, Invitation, User
from licensing.teams.admin import ReadOnlyInline, count_subquery, resend_invitations
from licensing.teams.models import Member

admin.site.site_header = _("Seatkeeper support")
admin.site.site_title = _("Seatkeeper support")
admin.site.index_title = _("Customers, teams and subscriptions")

MEMBER_BLOCKS_DELETE = _(
    "%(user)s is a member of %(team)s (%(role)s). Delete that membership first; an admin must first be made User."
)


RIGHTS = ("is_staff", "is_superuser", "groups", "user_permissions")


def grants_rights(user) -> bool:
    """Superusers stay the only ones who grant rights: staff, superuser, groups, permissions."""
    return user.is_active and user.is_superuser


def holds_rights(account) -> bool:
    """An account that signs in to the admin; whoever could change its e-mail address or password
    would hold its rights."""
    return account.is_staff or account.is_superuser


def can_change_account(user, account) -> bool:
    """Support changes the accounts of customers' people (e-mail, name, language, password, active);
    an account that holds rights is a superuser's to change."""
    return grants_rights(user) or not holds_rights(account)


def _without_rights(fields):
    return tuple(field for field in fields if field not in RIGHTS)


class MembershipInline(ReadOnlyInline):
    model = Member
    fk_name = "user"
    fields = ("team", "role", "is_guest", "status", "invited_at", "accepted_at")
    verbose_name = _("team membership")
    verbose_name_plural = _("team memberships")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("team")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ("email", "first_name", "last_name", "teams_count", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "language", "groups")
    search_fields = ("email", "first_name", "last_name")
    ordering = ("email",)
    date_hierarchy = "date_joined"
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "language")}),
        (
            _("Permissions"),
            {
                "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
                "description": _(
                    "Staff sign in here. They act in customers' teams only with the permission “Act as "
                    "support staff in every team” (the group “Support staff” has it). Only superusers "
                    "change these fields, and the accounts of staff."
                ),
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "language",
                    "is_staff",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = [MembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(teams_count=count_subquery(Member.objects.filter(user=OuterRef("pk")), "user"))
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None and not grants_rights(request.user):
            # The add form: a new account of a customer's person; a superuser makes it staff.
            fieldsets = [
                (name, {**options, "fields": _without_rights(options["fields"])}) for name, options in fieldsets
            ]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if obj is not None and not grants_rights(request.user):
            return (*readonly, *RIGHTS)  # shown, not in the form: a POST of them is ignored
        return readonly

    def has_change_permission(self, request, obj=None) -> bool:
        # Also guards "Change password" and the add page, which ask for it.
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or can_change_account(request.user, obj))

    def has_delete_permission(self, request, obj=None) -> bool:
        # Asked per account by the delete page and the "delete selected" action alike.
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or can_change_account(request.user, obj))

    @admin.display(description=_("teams"), ordering="teams_count")
    def teams_count(self, obj) -> int:
        return obj.teams_count

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Deleting the account would silently delete its memberships and seats, and could leave a
        # team without its primary admin (R-PA1). Memberships are deleted one by one, by the rules.
        memberships = Member.objects.filter(user__in=objs).select_related("user", "team")
        refusals = [
            MEMBER_BLOCKS_DELETE % {"user": m.user, "team": m.team, "role": m.get_role_display()} for m in memberships
        ]
        return deleted, model_count, perms_needed, [*protected, *refusals]

    def user_change_password(self, request, id, form_url=""):
        """Django's "Change password" (or "disable password-based authentication"); a password
        changed there signs the person's desktop devices out, as in the portal (`user_password_changed`)."""
        user = self.get_object(request, unquote(id))
        before = user.password if user is not None else None
        response = super().user_change_password(request, id, form_url)
        if user is not None and request.method == "POST":
            user.refresh_from_db(fields=["password"])
            if user.password != before:
                user_password_changed(user=user, actor=request.user)
        return response


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    """Groups of staff members (the migrations make "Support staff"). Only superusers give a group
    permissions; others may see, name and add groups, which grants nobody anything."""

    def get_fields(self, request, obj=None):
        if grants_rights(request.user):
            return super().get_fields(request, obj)
        return ("name", "permissions_held")

    def get_readonly_fields(self, request, obj=None):
        if grants_rights(request.user):
            return super().get_readonly_fields(request, obj)
        return ("permissions_held",)

    @admin.display(description=_("permissions"))
    def permissions_held(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        held = obj.permissions.select_related("content_type").order_by("content_type__app_label", "codename")
        return ", ".join(str(permission) for permission in held) or "-"


class InvitationStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return Invitation.State.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case Invitation.State.ACCEPTED:
                return queryset.filter(accepted_at__isnull=False)
            case Invitation.State.REVOKED:
                return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=False)
            case Invitation.State.EXPIRED:
                return queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
            case Invitation.State.PENDING:
                return queryset.pending()
        return queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are written by the services only (invite, re-send, accept); here they are read,
    and re-sent with the action."""

    list_display = ("email", "member", "state", "sent_by", "created_at", "expires_at", "accepted_at")
    list_select_related = ("member__user", "member__team", "sent_by")
    list_filter = (InvitationStateFilter,)
    search_fields = ("member__user__email", "member__user__first_name", "member__user__last_name", "member__team__name")
    date_hierarchy = "created_at"
    fields = ("member", "state", "sent_by", "created_at", "expires_at", "accepted_at", "revoked_at")
    readonly_fields = ("state",)
    actions = ["resend_invitation"]

    @admin.display(description=_("e-mail address"), ordering="member__user__email")
    def email(self, obj) -> str:
        return obj.member.user.email

    @admin.display(description=_("state"))
    def state(self, obj) -> str:
        return obj.get_state_display()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("teams.change_member")

    @admin.action(description=_("Re-send invitation"), permissions=["resend"])
    def resend_invitation(self, request, queryset):
        member_ids = queryset.values_list("member_id", flat=True).distinct()
        members = Member.objects.filter(pk__in=member_ids).select_related("user", "team")
        resend_invitations(self, request, members)


class ApiTokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("signed_in", _("Signed in")), ("signed_out", _("Signed out")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        match self.value():
            case "signed_in":
                return queryset.active()
            case "signed_out":
                return queryset.filter(revoked_at__isnull=False)
            case "expired":
                return queryset.filter(revoked_at__isnull=True, expires_at__lte=timezone.now())
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """The devices signed in to the desktop software (R-S2), read only. Written by the API (sign-in,
    "last used") and signed out through `api_token_revoke`, here with the action. The token's hash
    is never shown: it is none of the support staff's business, and not needed to find a device."""

    list_display = ("device_name", "user", "email", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    list_filter = (ApiTokenStateFilter,)
    search_fields = ("user__email", "user__first_name", "user__last_name", "device_name")
    date_hierarchy = "created_at"
    fields = ("user", "device_name", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields
    actions = ["sign_out"]

    @admin.display(description=_("e-mail address"), ordering="user__email")
    def email(self, obj) -> str:
        return obj.user.email

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a device is signed out, never deleted: its row is the record of it

    def has_sign_out_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_apitoken")

    @admin.action(description=_("Sign out the selected devices"), permissions=["sign_out"])
    def sign_out(self, request, queryset):
        tokens = list(queryset.active().select_related("user").order_by("pk"))
        for token in tokens:
            api_token_revoke(token=token, actor=request.user)
        done = len(tokens)
        message = ngettext("Signed out %(count)d device.", "Signed out %(count)d devices.", done) % {"count": done}
        skipped = queryset.count() - done
        if skipped:
            message += " " + ngettext(
                "%(count)d was signed out or expired already.", "%(count)d were signed out or expired already.", skipped
            ) % {"count": skipped}
        self.message_user(request, message, messages.SUCCESS if done else messages.INFO)


class AccessTokenStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("revoked", _("Revoked")), ("expired", _("Expired"))]

    def queryset(self, request, queryset):
        match self.value():
            case "active":
                return queryset.active()
            case "revoked":
                return queryset.filter(revoked_at__isnull=False)
            case "expired":
                return queryset.filter(revoked_at__isnull=True, expires_at__lte=timezone.now())
        return queryset


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """The personal access tokens of the team-admin API (R-API3), read only: an admin makes them in the
    portal (account menu › API tokens) and only they see the secret, once. Support finds a token by
    its owner or the characters it starts with (a leaked one, quoted in a ticket) and revokes it with
    the action, through `access_token_revoke`, which writes the activity row in each of its teams. The
    hash is never shown."""

    list_display = (
        "name",
        "prefix",
        "user",
        "access",
        "all_teams",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    list_select_related = ("user",)
    list_filter = (AccessTokenStateFilter, "access")
    search_fields = ("user__email", "user__first_name", "user__last_name", "name", "=prefix")
    date_hierarchy = "created_at"
    fields = (
        "user",
        "name",
        "prefix",
        "access",
        "all_teams",
        "teams",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
    )
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False  # made by their owner only: the secret is theirs

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, never deleted: the row is the record of what it could do

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("accounts.change_accesstoken")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["revoke"])
    def revoke(self, request, queryset):
        tokens = list(queryset.filter(revoked_at__isnull=True).select_related("user").order_by("pk"))
        for token in tokens:
            access_token_revoke(token=token, actor=request.user)
        done = len(tokens)
        message = ngettext("Revoked %(count)d token.", "Revoked %(count)d tokens.", done) % {"count": done}
        skipped = queryset.count() - done
        if skipped:
            message += " " + ngettext("%(count)d was revoked already.", "%(count)d were revoked already.", skipped) % {
                "count": skipped
            }
        self.message_user(request, message, messages.SUCCESS if done else messages.INFO)


# Mailer › Messages ("Retry sending"); the second factors (shown, removable).
from licensing.accounts import admin_mailer, admin_mfa  # noqa: E402, F401
