"""The vendor's webhooks in the Django admin (R-API4): its own endpoints (no team: every team's
events) and the teams' (which their primary admins see in Team settings). Adding one and "Rotate
secret" show the secret once, on the endpoint's page; its recent deliveries are listed there, and
the deliveries list sends any of them again. Every write goes through licensing.webhooks.services."""

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.teams.admin.base import add_service_errors, admin_link, admin_url
from licensing.webhooks import services
from licensing.webhooks.models import Delivery, Endpoint, Event, EventType

# The secret shown once, in the (server-side) session between the save and the page after it.
SESSION_SECRET = "admin_webhook_secret_{}"
RECENT = 25


class EndpointAdminForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        label=_("Events to send"), choices=EventType.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Endpoint
        fields = ("team", "url", "description", "event_types")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            services.events_validate(cleaned.get("event_types"))
            if not self.instance.pk or cleaned.get("url") != self.instance.url:
                services.address_validate(cleaned.get("url", ""))
        except forms.ValidationError as error:
            add_service_errors(self, error)
        return cleaned


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointAdminForm
    list_display = ("url", "owner", "enabled", "events", "delivered", "pending", "failed", "created_at")
    list_filter = ("enabled", ("team", admin.EmptyFieldListFilter))
    list_select_related = ("team",)
    search_fields = ("url", "description", "team__name")
    autocomplete_fields = ("team",)
    readonly_fields = (
        "secret_hint",
        "enabled",
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "created_by",
        "created_at",
        "recent_deliveries",
    )
    actions = ("switch_on", "switch_off", "rotate_secret")
    change_form_template = "admin/webhooks/endpoint/change_form.html"

    def get_fields(self, request, obj=None):
        fields = ["team", "url", "description", "event_types"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED)),
                n_pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
                n_failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            )
        )

    @admin.display(description=_("owner"), ordering="team__name")
    def owner(self, obj) -> str:
        return obj.team.name if obj.team_id else _("the vendor (every team)")

    @admin.display(description=_("events"))
    def events(self, obj) -> int:
        return len(obj.event_types)

    @admin.display(description=_("delivered"), ordering="n_delivered")
    def delivered(self, obj) -> int:
        return obj.n_delivered

    @admin.display(description=_("waiting"), ordering="n_pending")
    def pending(self, obj) -> int:
        return obj.n_pending

    @admin.display(description=_("failed"), ordering="n_failed")
    def failed(self, obj) -> int:
        return obj.n_failed

    @admin.display(description=_("signing secret"))
    def secret_hint(self, obj) -> str:
        return obj.secret_hint

    @admin.display(description=_("recent deliveries"))
    def recent_deliveries(self, obj) -> str:
        deliveries = list(obj.deliveries.select_related("event").order_by("-event_id")[:RECENT])
        return render_to_string(
            "admin/webhooks/endpoint/_deliveries.html",
            {"deliveries": deliveries, "endpoint": obj, "recent": RECENT},
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            services.endpoint_update(
                endpoint=obj,
                url=data["url"],
                description=data["description"],
                event_types=data["event_types"],
                actor=request.user,
            )
            return
        endpoint, secret = services.endpoint_create(
            team=data["team"],
            url=data["url"],
            description=data["description"],
            event_types=data["event_types"],
            actor=request.user,
        )
        obj.pk = endpoint.pk
        obj._state.adding = False
        request.session[SESSION_SECRET.format(endpoint.pk)] = secret

    def delete_model(self, request, obj):
        services.endpoint_delete(endpoint=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_delete(endpoint=endpoint, actor=request.user)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {})}
        secret = request.session.pop(SESSION_SECRET.format(object_id), None)
        if secret:
            extra_context["webhook_secret"] = secret
        return super().change_view(request, object_id, form_url, extra_context)

    def response_add(self, request, obj, post_url_continue=None):
        # To the endpoint's page, where its secret is shown once.
        self.message_user(request, _("The endpoint is added. Copy its signing secret now: it is not shown again."))
        return HttpResponseRedirect(admin_url(obj))

    @admin.action(description=_("Switch on the selected endpoints"), permissions=["change"])
    def switch_on(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_enable(endpoint=endpoint, actor=request.user)
        self.message_user(request, _("Switched on; what was waiting is sent now."))

    @admin.action(description=_("Switch off the selected endpoints"), permissions=["change"])
    def switch_off(self, request, queryset):
        for endpoint in queryset:
            services.endpoint_disable(endpoint=endpoint, actor=request.user)
        self.message_user(request, _("Switched off: nothing is sent to them."))

    @admin.action(description=_("Rotate the secret of the selected endpoint"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one endpoint: its new secret is shown once."), messages.WARNING)
            return None
        endpoint = queryset.get()
        request.session[SESSION_SECRET.format(endpoint.pk)] = services.endpoint_secret_rotate(
            endpoint=endpoint, actor=request.user
        )
        self.message_user(request, _("A new secret: copy it now, it is not shown again. The old one no longer signs."))
        return HttpResponseRedirect(admin_url(endpoint))


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("event_type", "endpoint_link", "status", "response_status", "attempts", "last_attempt_at", "error")
    list_filter = ("status", "event__type")
    list_select_related = ("event", "endpoint")
    search_fields = ("endpoint__url", "error")
    actions = ("resend",)
    fields = (
        "endpoint",
        "event",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "response_status",
        "response_excerpt",
        "duration_ms",
        "error",
        "created_at",
    )

    @admin.display(description=_("event"), ordering="event__type")
    def event_type(self, obj) -> str:
        return obj.event.get_type_display()

    @admin.display(description=_("endpoint"), ordering="endpoint__url")
    def endpoint_link(self, obj) -> str:
        return admin_link(obj.endpoint)

    @admin.action(description=_("Send the selected deliveries again"), permissions=["change"])
    def resend(self, request, queryset):
        count = 0
        for delivery in queryset:
            services.delivery_resend(delivery=delivery, actor=request.user)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery is sent again, with its webhook-id.",
                "%(count)d deliveries are sent again, each with its webhook-id.",
                count,
            )
            % {"count": count},
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The change page is read only; the action needs the permission.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "type", "team", "uid")
    list_filter = ("type",)
    list_select_related = ("team",)
    search_fields = ("uid", "team__name")
    fields = ("uid", "type", "team", "created_at", "payload")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
