"""The second factors of people, for support staff: who has which (an authenticator app, passkeys,
recovery codes), since when, and when last used. Support can remove one for someone who lost their
phone and their recovery codes (after checking who is asking, outside Seatkeeper); nothing else.
The secrets themselves are never shown (they are stored encrypted: licensing.accounts.adapter)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin

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
