"""Account menu › API tokens in a real browser (issue 21 §3): signing in again before "Create token",
the create dialog with a refusal, the secret shown once with its copy button, the list, and "Revoke"
with its confirmation; at 1280 and 375 px. Screenshots in test-artifacts/screens/api-tokens-*.png."""

import re

import pytest

from licensing.accounts.models import AccessToken, hash_token
from tests.browser.test_by_user_browser import dialog, furnish, settled, sign_in

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

WIDTHS = {"desktop": 1280, "phone": 375}


@pytest.mark.parametrize("device", WIDTHS)
def test_a_token_is_created_shown_once_and_revoked(page, world, screenshot, device):
    furnish(world)
    page.set_viewport_size({"width": WIDTHS[device], "height": 860})
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page)

    # The account menu has "API tokens".
    page.locator("#sk-user-menu").click()
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    expect(page.get_by_text("You have no tokens yet.")).to_be_visible()
    screenshot(page, f"api-tokens-empty-{device}")

    # "Create token" asks for the password again first, then comes back to the form (a page).
    page.get_by_role("link", name="Create token").click()
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Confirm").click()
    expect(page).to_have_url(re.compile(r"/account/tokens/new/"))

    # A refusal keeps what was typed.
    page.get_by_label("Name").fill("Nightly HR sync")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Choose at least one team the token may act on.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Nightly HR sync")
    screenshot(page, f"api-tokens-create-refused-{device}")

    page.get_by_role("checkbox", name="Design").check()
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
    secret = page.get_by_role("textbox", name="Token").input_value()
    assert secret.startswith("sk_pat_")
    token = AccessToken.objects.get()
    assert token.token_hash == hash_token(secret)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    screenshot(page, f"api-tokens-created-{device}")

    # Back to the list: the token by its name and first characters; the secret no more.
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_text("Nightly HR sync")).to_be_visible()
    expect(page.get_by_text(token.prefix + "…")).to_be_visible()
    assert secret not in page.content()

    # Signed in again just now: "Create token" opens in the dialog.
    page.get_by_role("link", name="Create token").click()
    expect(dialog(page).get_by_role("heading", name="Create token")).to_be_visible()
    settled(page)
    screenshot(page, f"api-tokens-create-dialog-{device}", full_page=False)
    dialog(page).get_by_role("link", name="Cancel").click()
    expect(page.locator("#sk-dialog.show")).to_have_count(0)
    screenshot(page, f"api-tokens-list-{device}")

    # Revoke, in the dialog, after a confirmation.
    page.get_by_role("link", name="Revoke Nightly HR sync").click()
    expect(dialog(page).get_by_role("heading", name="Revoke “Nightly HR sync”?")).to_be_visible()
    settled(page)
    screenshot(page, f"api-tokens-revoke-{device}", full_page=False)
    dialog(page).get_by_role("button", name="Revoke token").click()
    expect(page.get_by_role("status")).to_contain_text("The token “Nightly HR sync” is revoked")
    expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert page.problems == []


def test_without_javascript_the_dialogs_are_pages(browser, live_server, world, screenshot):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/account/tokens/new/")
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Confirm").click()
        page.get_by_label("Name").fill("Report script")
        page.get_by_label("All teams I administer, now and later").check()
        page.get_by_role("button", name="Create token").click()
        expect(page.get_by_role("heading", name="Your new token")).to_be_visible()
        page.get_by_role("link", name="Done").click()
        page.get_by_role("link", name="Revoke Report script").click()
        page.get_by_role("button", name="Revoke token").click()
        expect(page.get_by_text("Revoked", exact=True)).to_be_visible()
        assert AccessToken.objects.get().revoked_at is not None
    finally:
        context.close()
