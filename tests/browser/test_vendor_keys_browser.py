"""Support staff make a vendor API key in the Django admin: the form, and the page that shows the key
once (R-API1), at 1280 and 375 px."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from licensing.integrations.models import VendorApiKey, vendor_key_hash
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 375])
def test_a_key_made_in_the_admin_is_shown_once(browser, live_server, screenshot, width):
    staff = UserFactory(email="support@vendor.example", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 860}, locale="en-GB")
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    try:
        page.goto("/admin/integrations/vendorapikey/add/")
        page.get_by_label("Name").fill("Web shop")
        page.get_by_label("Read customers, contracts and subscriptions").check()
        page.get_by_label("Create and change customers, contracts and subscriptions").check()
        screenshot(page, f"admin-vendor-key-add-{width}")
        page.get_by_role("button", name="Save", exact=True).click()
        field = page.get_by_label("API key")
        expect(field).to_be_visible()
        raw = field.input_value()
        assert VendorApiKey.objects.get().secret_hash == vendor_key_hash(raw)
        screenshot(page, f"admin-vendor-key-created-{width}")
        page.get_by_role("link", name="Done").click()
        expect(page.get_by_text(VendorApiKey.objects.get().prefix)).to_be_visible()
        assert raw not in page.content()
        screenshot(page, f"admin-vendor-key-list-{width}")
    finally:
        context.close()
