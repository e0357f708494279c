"""The pieces the admins of every licensing app share: `ServiceAdmin`, whose service pages and
actions call the services (see `licensing.teams.admin`), a read-only inline, the team filter, links
into the admin, counts as subqueries, and all-or-nothing runs of a service over several objects."""

from collections.abc import Callable, Iterable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.services import invitation_resend
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member, Team
from portal.db import run_retrying


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
