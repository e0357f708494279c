"""Team settings › Webhooks (R-API4): the team's primary admin (and support staff) list, add, switch
off and on, and delete the team's endpoints; see each one's deliveries with the answers they got,
and send one again. The secret is shown once: after "Add endpoint" and after "Rotate secret".

Every view loads the team for its admins (`team_for_admin`: 404 for outsiders, 403 for members), then
asks `can_manage_webhooks` (403 for a secondary admin), then calls a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from licensing.webhooks import services
from licensing.webhooks.forms import EndpointForm
from licensing.webhooks.models import Delivery, Endpoint
from licensing.webhooks.permissions import can_manage_webhooks
from portal.dialogs import dialog_done, render_dialog
from portal.views import team_for_admin

ONLY_PRIMARY = _("Only the team's primary admin can manage its webhooks.")
ADDED = _("The endpoint is added. Copy its signing secret now: it is not shown again.")
ROTATED = _("The endpoint has a new signing secret. Copy it now: it is not shown again. The old one no longer signs.")
SWITCHED_OFF = _("%(url)s is switched off: nothing is sent to it.")
SWITCHED_ON = _("%(url)s is switched on again; what was waiting is sent now.")
DELETED = _("%(url)s is deleted.")
RESENT = _("The delivery is sent again, with the same webhook-id.")
SAVED = _("The endpoint is saved.")
# The secret shown once, kept in the session (server side) between the POST and the page after it.
SESSION_SECRET = "webhook_secret_{}"
PER_PAGE = 25


def team_for_webhooks(request, team_id: int):
    team = team_for_admin(request, team_id)
    if not can_manage_webhooks(request.user, team):
        raise PermissionDenied(ONLY_PRIMARY)
    return team


def endpoint_of(team, endpoint_id: int) -> Endpoint:
    return get_object_or_404(Endpoint.objects.of_team(team), pk=endpoint_id)


def list_url(team) -> str:
    return reverse("webhooks:endpoint-list", kwargs={"team_id": team.pk})


def detail_url(endpoint: Endpoint) -> str:
    return reverse("webhooks:endpoint-detail", kwargs={"team_id": endpoint.team_id, "endpoint_id": endpoint.pk})


@login_required
def endpoint_list(request, team_id: int):
    """The team's endpoints, with how their deliveries went."""
    team = team_for_webhooks(request, team_id)
    endpoints = Endpoint.objects.of_team(team).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED)),
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
    )
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"team": team, "endpoints": endpoints, "max_endpoints": services.MAX_PER_TEAM},
    )


@login_required
def endpoint_add(request, team_id: int):
    """ "Add endpoint" → address, description, events → "Add endpoint"; then its page, with the
    secret shown once. A refused address or no event chosen: the dialog again, with what was typed."""
    team = team_for_webhooks(request, team_id)
    form = EndpointForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(team=team, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            request.session[SESSION_SECRET.format(endpoint.pk)] = secret
            messages.success(request, ADDED)
            return dialog_done(request, detail_url(endpoint))
    return render_dialog(request, "webhooks/endpoint_form.html", {"team": team, "form": form, "endpoint": None})


@login_required
def endpoint_edit(request, team_id: int, endpoint_id: int):
    team = team_for_webhooks(request, team_id)
    endpoint = endpoint_of(team, endpoint_id)
    initial = {"url": endpoint.url, "description": endpoint.description, "event_types": endpoint.event_types}
    form = EndpointForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            services.endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _form_errors(form, error)
        else:
            messages.success(request, SAVED)
            return dialog_done(request, detail_url(endpoint))
    return render_dialog(request, "webhooks/endpoint_form.html", {"team": team, "form": form, "endpoint": endpoint})


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def endpoint_detail(request, team_id: int, endpoint_id: int):
    """An endpoint: its address, events and state, the secret once after it was made, and its
    deliveries, newest first, with the answer each got and "Send again"."""
    team = team_for_webhooks(request, team_id)
    endpoint = endpoint_of(team, endpoint_id)
    secret = request.session.pop(SESSION_SECRET.format(endpoint.pk), None)
    deliveries = endpoint.deliveries.select_related("event").order_by("-event_id")
    page = Paginator(deliveries, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/endpoint_detail.html",
        {"team": team, "endpoint": endpoint, "secret": secret, "page": page},
    )


@login_required
@require_POST
def endpoint_rotate(request, team_id: int, endpoint_id: int):
    team = team_for_webhooks(request, team_id)
    endpoint = endpoint_of(team, endpoint_id)
    secret = services.endpoint_secret_rotate(endpoint=endpoint, actor=request.user)
    request.session[SESSION_SECRET.format(endpoint.pk)] = secret
    messages.success(request, ROTATED)
    return redirect(detail_url(endpoint))


@login_required
@require_POST
def endpoint_toggle(request, team_id: int, endpoint_id: int):
    """Switch the endpoint off ("enabled" absent) or on ("enabled=on")."""
    team = team_for_webhooks(request, team_id)
    endpoint = endpoint_of(team, endpoint_id)
    if request.POST.get("enabled") == "on":
        services.endpoint_enable(endpoint=endpoint, actor=request.user)
        messages.success(request, SWITCHED_ON % {"url": endpoint.url})
    else:
        services.endpoint_disable(endpoint=endpoint, actor=request.user)
        messages.success(request, SWITCHED_OFF % {"url": endpoint.url})
    return redirect(detail_url(endpoint))


@login_required
def endpoint_delete(request, team_id: int, endpoint_id: int):
    """The delete confirmation; its POST deletes the endpoint and its deliveries."""
    team = team_for_webhooks(request, team_id)
    endpoint = endpoint_of(team, endpoint_id)
    if request.method == "POST":
        services.endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, DELETED % {"url": endpoint.url})
        return dialog_done(request, list_url(team))
    return render_dialog(request, "webhooks/endpoint_delete.html", {"team": team, "endpoint": endpoint})


@login_required
@require_POST
def delivery_resend(request, team_id: int, endpoint_id: int, delivery_id: int):
    team = team_for_webhooks(request, team_id)
    endpoint = endpoint_of(team, endpoint_id)
    delivery = get_object_or_404(endpoint.deliveries, pk=delivery_id)
    services.delivery_resend(delivery=delivery, actor=request.user)
    messages.success(request, RESENT)
    return redirect(detail_url(endpoint))
