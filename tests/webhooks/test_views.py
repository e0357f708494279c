"""Team settings › Webhooks (R-API4) as the primary admin uses it, and the vendor's endpoints in the
Django admin: the secret shown once, the deliveries with their answers, Send again; only the primary
admin (R-PA5's holder) and support staff."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape
from standardwebhooks import Webhook

from licensing.teams.models import Member
from licensing.teams.services import member_change_role
from licensing.webhooks import dispatch, services
from licensing.webhooks.models import Delivery, Endpoint, EventType
from licensing.webhooks.sending import HTTPS_REQUIRED
from tests.teams.test_member_views import sign_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name: str, team, **kwargs) -> str:
    return reverse(f"webhooks:{name}", kwargs={"team_id": team.pk, **kwargs})


def secret_in(html: str) -> str | None:
    found = re.search(r'id="webhook-secret" type="text" value="([^"]+)"', html)
    return found.group(1) if found else None


@pytest.mark.parametrize(("persona", "status"), [("secondary", 403), ("user", 403), ("outsider", 404)])
def test_only_the_primary_admin_manages_webhooks(client, world, persona, status):
    """R-API4, R-PA5: a secondary admin sees Team settings, not its webhooks."""
    sign_in(client, world, persona)
    assert client.get(url("endpoint-list", world.team)).status_code == status
    assert client.post(url("endpoint-add", world.team), {"url": "https://x.example"}).status_code == status
    assert Endpoint.objects.count() == 0


@pytest.mark.parametrize(("persona", "shown"), [("primary", True), ("staff", True), ("secondary", False)])
def test_team_settings_link_to_webhooks_for_those_who_may(client, world, persona, shown):
    sign_in(client, world, persona)
    html = client.get(reverse("team_settings:team-settings", kwargs={"team_id": world.team.pk})).content.decode()
    assert (url("endpoint-list", world.team) in html) is shown


def test_adding_an_endpoint_shows_its_secret_once(
    client, world, private_allowed, receiver, django_capture_on_commit_callbacks
):
    """R-API4: the secret is shown once; the receiver verifies with it."""
    sign_in(client, world, "primary")
    response = client.post(
        url("endpoint-add", world.team),
        {"url": receiver.url, "description": "Our ERP", "event_types": ["member.role_changed", "seat.assigned"]},
        **HTMX,
    )
    assert response.status_code == 204
    endpoint = Endpoint.objects.get()
    assert response["HX-Redirect"] == url("endpoint-detail", world.team, endpoint_id=endpoint.pk)
    assert endpoint.team == world.team
    assert endpoint.created_by == world.primary.user
    assert endpoint.event_types == ["member.role_changed", "seat.assigned"]
    assert "whsec_" not in endpoint.secret_encrypted  # stored encrypted
    page = client.get(response["HX-Redirect"]).content.decode()
    secret = secret_in(page)
    assert secret == endpoint.secret
    assert secret_in(client.get(response["HX-Redirect"]).content.decode()) is None  # once
    receiver.secret = secret
    with django_capture_on_commit_callbacks(execute=True):  # the jobs run at once, after commit
        member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    assert len(receiver.received) == 1
    Webhook(secret)  # a valid Standard Webhooks secret


def test_a_refused_address_keeps_what_was_typed(client, world, settings):
    """Not https in production: refused in words, with the address and events kept."""
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    sign_in(client, world, "primary")
    response = client.post(
        url("endpoint-add", world.team), {"url": "http://hooks.example.com/in", "event_types": ["seat.assigned"]}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert escape(str(HTTPS_REQUIRED)) in html
    assert 'value="http://hooks.example.com/in"' in html
    assert re.search(r'value="seat.assigned"[^>]*checked', html)
    assert Endpoint.objects.count() == 0


def test_rotate_switch_off_on_and_delete(client, world, private_allowed, receiver):
    endpoint, secret = services.endpoint_create(
        team=world.team, url=receiver.url, event_types=[EventType.ROLE_CHANGED], actor=world.primary.user
    )
    sign_in(client, world, "primary")
    detail = url("endpoint-detail", world.team, endpoint_id=endpoint.pk)
    assert client.post(url("endpoint-rotate", world.team, endpoint_id=endpoint.pk)).status_code == 302
    new_secret = secret_in(client.get(detail).content.decode())
    assert new_secret
    assert new_secret != secret
    endpoint.refresh_from_db()
    assert endpoint.secret == new_secret
    client.post(url("endpoint-toggle", world.team, endpoint_id=endpoint.pk))
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "Switched off by" in endpoint.disabled_reason
    client.post(url("endpoint-toggle", world.team, endpoint_id=endpoint.pk), {"enabled": "on"})
    endpoint.refresh_from_db()
    assert endpoint.enabled
    response = client.post(url("endpoint-delete", world.team, endpoint_id=endpoint.pk))
    assert response["Location"] == url("endpoint-list", world.team)
    assert not Endpoint.objects.exists()


def test_deliveries_are_listed_with_their_codes_and_sent_again(
    client, world, private_allowed, receiver, database_tasks, django_assert_max_num_queries
):
    """R-API4: visible with their response codes, and re-sendable."""
    endpoint, receiver.secret = services.endpoint_create(
        team=world.team, url=receiver.url, event_types=[EventType.ROLE_CHANGED], actor=world.primary.user
    )
    roles = [Member.Role.SECONDARY_ADMIN, Member.Role.USER]
    for index in range(30):
        member_change_role(member=world.user, role=roles[index % 2], actor=world.primary.user)
    receiver.status = 202
    dispatch.endpoint_dispatch(endpoint.pk)
    sign_in(client, world, "primary")
    detail = url("endpoint-detail", world.team, endpoint_id=endpoint.pk)
    client.get(detail)  # the session's first queries
    with django_assert_max_num_queries(12):
        html = client.get(detail).content.decode()
    assert html.count("Role changed") >= 25
    assert ">202<" in html
    delivery = Delivery.objects.order_by("pk").first()
    response = client.post(url("delivery-resend", world.team, endpoint_id=endpoint.pk, delivery_id=delivery.pk))
    assert response.status_code == 302
    dispatch.endpoint_dispatch(endpoint.pk)
    assert [r.message_id for r in receiver.received].count(delivery.event.message_id) == 2


def test_the_vendor_adds_an_endpoint_in_the_django_admin(
    client, world, private_allowed, receiver, django_capture_on_commit_callbacks
):
    """R-API4: the vendor's endpoint (no team), its secret shown once on its admin page."""
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"team": "", "url": receiver.url, "description": "CRM", "event_types": list(EventType.values)},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    endpoint = Endpoint.objects.get()
    assert endpoint.team is None
    page = client.get(response["Location"]).content.decode()
    assert secret_in(page) == endpoint.secret
    assert secret_in(client.get(response["Location"]).content.decode()) is None
    receiver.secret = endpoint.secret
    with django_capture_on_commit_callbacks(execute=True):
        member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=world.primary.user)
    [received] = receiver.received
    assert received.payload["data"]["team"]["name"] == "Design"
    delivery = Delivery.objects.get()
    assert "Role changed" in client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).content.decode()
    changelist = reverse("admin:webhooks_delivery_changelist")
    assert client.get(changelist, {"endpoint__id__exact": endpoint.pk}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(changelist, {"action": "resend", "_selected_action": [delivery.pk]})
    assert len(receiver.received) == 2


def test_the_django_admin_refuses_a_private_address(client, world, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(world.staff)
    response = client.post(
        reverse("admin:webhooks_endpoint_add"),
        {"team": "", "url": "http://10.0.0.1/in", "event_types": ["seat.assigned"]},
    )
    assert response.status_code == 200
    assert "not a public address" in response.content.decode()
    assert not Endpoint.objects.exists()
