"""Vendor API keys in the Django admin: made with a name, scopes and an expiry, the key shown once on
the page that follows the save (never stored, never put in a message or the session); revoked with an
action. Idempotency keys are not shown: they are the APIs' bookkeeping."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import VendorApiKey
from .services import vendor_key_create, vendor_key_revoke


class VendorApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=VendorApiKey.Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    expires_days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        initial=365,
        help_text=_("Empty: never."),
    )

    class Meta:
        model = VendorApiKey
        fields = ["name", "scopes"]


@admin.register(VendorApiKey)
class VendorApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scope_list", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = [
        "name",
        "prefix",
        "scopes",
        "created_at",
        "created_by",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    actions = ["revoke"]

    @admin.display(description=_("scopes"))
    def scope_list(self, key: VendorApiKey) -> str:
        return ", ".join(key.scopes)

    def has_change_permission(self, request, obj=None):
        # A key is never edited: it is made, then revoked.
        return False if obj is not None else super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: what it did stays attributable

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = VendorApiKeyForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def add_view(self, request, form_url="", extra_context=None):
        if request.method != "POST":
            return super().add_view(request, form_url, extra_context)
        form = VendorApiKeyForm(request.POST)
        if form.is_valid():
            try:
                key, raw = vendor_key_create(
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_days=form.cleaned_data["expires_days"],
                    created_by=request.user,
                )
            except ValidationError as error:
                for field, messages_ in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                self.log_addition(request, key, [{"added": {}}])
                context = {
                    **self.admin_site.each_context(request),
                    "title": _("Vendor API key created"),
                    "opts": self.opts,
                    "key": key,
                    "raw": raw,
                }
                response = TemplateResponse(request, "admin/integrations/vendorapikey/created.html", context)
                response["Cache-Control"] = "no-store"
                return response
        return super().add_view(request, form_url, extra_context)

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            vendor_key_revoke(key=key)
        count = len(queryset)
        self.message_user(
            request,
            ngettext("Revoked %(count)d key.", "Revoked %(count)d keys.", count) % {"count": count},
            messages.SUCCESS,
        )
