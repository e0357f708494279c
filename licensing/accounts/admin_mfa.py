"""The second factors of people, for support staff: who has which (an authenticator app, passkeys,
recovery codes), since when, and when last used. Support can remove one for someone who lost their
phone and their recovery codes (after checking who is asking, outside Seatkeeper); nothing else.
The secrets themselves are never shown (they are stored encrypted: licensing.accounts.adapter)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.admin.exceptions import DisallowedModelAdminLookup

# Accounts sign in by their one e-mail address (User.email); allauth's table of further addresses
# is not used, so it has no page.
if admin.site.is_registered(EmailAddress):
    admin.site.unregister(EmailAddress)
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__email",)
    list_select_related = ("user",)
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False  # only the person sets up their own

    def has_change_permission(self, request, obj=None):
        return False  # shown, never edited; removed with "Delete"

    def has_delete_permission(self, request, obj=None):
        # The second factor of an account that holds rights (staff, superuser) is removed by a
        # superuser only: otherwise one support account could strip another's and then take it over.
        if obj is not None and (obj.user.is_staff or obj.user.is_superuser) and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if lookup.split("__")[0] == "data":
            # Django allows a filter on any field of the model itself: not on the (encrypted) secrets.
            raise DisallowedModelAdminLookup(f"Filtering by {lookup} not allowed")
        return super().lookup_allowed(lookup, value, request)
