"""Team settings › Webhooks in a real browser (R-API4): the primary admin adds an endpoint in the
htmx dialog (a refusal first, with what was typed kept), copies the secret shown once, sees the
deliveries with their response codes and sends one again. Screenshots at 1280 and 375 px in
test-artifacts/screens/webhooks-*.png."""

import pytest
from django.urls import reverse

from licensing.teams.models import Member
from licensing.teams.services import member_change_role
from licensing.webhooks.models import Delivery, Endpoint
from tests.browser.test_by_user_browser import dialog, furnish, settled, sign_in
from tests.webhooks.conftest import private_allowed, receiver  # noqa: F401 (fixtures used by name)

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

WIDTHS = (1280, 375)


def shoot(page, screenshot, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        screenshot(page, f"webhooks-{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.django_db(transaction=True)
def test_the_primary_admin_adds_an_endpoint_and_sees_its_deliveries(
    page,
    world,
    screenshot,
    receiver,  # noqa: F811
    private_allowed,  # noqa: F811
):
    """R-API4"""
    furnish(world)
    sign_in(page)
    page.goto(reverse("team_settings:team-settings", kwargs={"team_id": world.team.pk}))
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    shoot(page, screenshot, "empty")

    page.get_by_role("link", name="Add endpoint").first.click()
    settled(page)
    dialog(page).get_by_label("Endpoint URL").fill(receiver.url)
    dialog(page).get_by_label("Description").fill("Our ERP")
    dialog(page).get_by_role("button", name="Add endpoint").click()
    expect(dialog(page).get_by_text("Choose at least one event to send.")).to_be_visible()
    expect(dialog(page).get_by_label("Endpoint URL")).to_have_value(receiver.url)
    shoot(page, screenshot, "add-refused")
    for label in ("Role changed", "Seat assigned", "User invited"):
        dialog(page).get_by_label(label).check()
    dialog(page).get_by_role("button", name="Add endpoint").click()

    secret_field = page.get_by_role("textbox", name="New signing secret")
    expect(secret_field).to_be_visible()
    endpoint = Endpoint.objects.get()
    secret = secret_field.input_value()
    assert secret == endpoint.secret
    receiver.secret = secret
    shoot(page, screenshot, "secret")

    # Changes of the team: each is sent (the tests run jobs at once, after commit); the second is
    # answered 500, and holds back the third (order per team) until its retry.
    actor = world.primary.user
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=actor)
    receiver.status = 500
    member_change_role(member=world.user, role=Member.Role.USER, actor=actor)
    receiver.status = 200
    member_change_role(member=world.secondary, role=Member.Role.USER, actor=actor)
    assert len(receiver.received) == 2
    assert Delivery.objects.filter(attempts=0).count() == 1
    page.reload()
    expect(page.get_by_role("textbox", name="New signing secret")).to_have_count(0)  # shown once
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("500")
    shoot(page, screenshot, "deliveries")

    failed = Delivery.objects.filter(response_status=500).get()
    assert failed.status == Delivery.Status.PENDING  # retried later, holding back the one after it
    page.goto(reverse("webhooks:endpoint-list", kwargs={"team_id": world.team.pk}))
    expect(page.get_by_text("Our ERP")).to_be_visible()
    shoot(page, screenshot, "list")
    assert page.problems == []
