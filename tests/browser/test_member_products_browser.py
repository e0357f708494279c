"""By User › a user › Products in a real browser: assign a product with chosen items through the
arrow, deselect one item, unassign a product (R-P2, R-P4), a full pool (R-SE1), and the same arrow
without JavaScript. Screenshots in test-artifacts/screens/member-products-*.png."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def furnish(world):
    """DraftPro (2 items) held by the user; RenderStudio (a collection with a cloud service) free to
    assign; Viewer Plus with its only seat taken by someone else."""
    assignment_create(member=world.user, product=world.product, actor=world.primary.user)
    studio = ProductFactory(code="renderstudio", name="RenderStudio", kind="collection")
    for code, name, kind in [
        ("studio-modeler", "Studio Modeler", "software"),
        ("studio-animator", "Studio Animator", "software"),
        ("studio-cloud-storage", "Online storage", "service"),
    ]:
        ProductItemFactory(product=studio, code=code, name=name, kind=kind)
    SubscriptionFactory(team=world.team, product=studio, seats=5)
    viewer = ProductFactory(code="viewer-plus", name="Viewer Plus", kind="software")
    ProductItemFactory(product=viewer, code="viewer", name="Viewer")
    SubscriptionFactory(team=world.team, product=viewer, seats=1)
    assignment_create(member=MemberFactory(team=world.team), product=viewer, actor=None)
    return studio, viewer


def sign_in(page, live_server, user):
    """The admin's session, made by the test client and handed to the browser."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def member_page(world, member) -> str:
    return reverse("teams:member-detail", kwargs={"team_id": world.team.pk, "member_id": member.pk})


def codes(member, product) -> set[str] | None:
    assignment = Assignment.objects.filter(member=member, product=product).first()
    return None if assignment is None else {item.code for item in assignment.items.all()}


def row(page, name):
    return page.locator("#member-products li.sk-mp-row", has=page.get_by_role("heading", name=name, exact=True))


@pytest.fixture
def admin_page(page, live_server, world):
    sign_in(page, live_server, world.primary.user)
    return page


def test_an_admin_assigns_with_chosen_items_deselects_one_and_unassigns(admin_page, world, screenshot):
    page = admin_page
    studio, _viewer = furnish(world)
    page.goto(member_page(world, world.user))
    section = page.locator("#member-products")
    expect(section.get_by_role("heading", name="Products", exact=True)).to_be_visible()

    # A full pool says so instead of failing later (R-SE1).
    full = row(page, "Viewer Plus")
    expect(full.get_by_role("button", name="Assign Viewer Plus")).to_be_disabled()
    expect(full).to_contain_text("The only seat is assigned.")
    expect(row(page, "RenderStudio")).to_contain_text("5 of 5 seats free")
    screenshot(page, "member-products")

    # R-P2: the arrow beside "Assign" picks items, then "Save changes".
    studio_row = row(page, "RenderStudio")
    studio_row.get_by_role("button", name="Choose items of RenderStudio").click()
    menu = studio_row.locator(".dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_label("Studio Modeler")).to_be_checked()
    menu.get_by_label("Studio Animator").uncheck()
    expect(menu).to_be_visible()  # ticking inside the menu does not close it
    screenshot(page, "member-products-menu", full_page=False)
    menu.get_by_role("button", name="Save changes").click()

    name = world.user.user.get_full_name()
    expect(section.get_by_role("status")).to_contain_text(f"RenderStudio is assigned to {name}.")
    expect(section.get_by_role("status")).to_be_focused()  # the button that had focus is gone
    assigned = page.locator("#member-products ul[aria-labelledby='member-products-held']")
    expect(assigned.get_by_role("heading", name="RenderStudio")).to_be_visible()
    expect(row(page, "RenderStudio")).to_contain_text("4 of 5 seats free")
    assert codes(world.user, studio) == {"studio-modeler", "studio-cloud-storage"}
    screenshot(page, "member-products-assigned")

    # R-P4: the arrow beside "Unassign" deselects items.
    draft = row(page, "DraftPro")
    draft.get_by_role("button", name="Choose items of DraftPro").click()
    draft.locator(".dropdown-menu").get_by_label("Cloud rendering").uncheck()
    draft.locator(".dropdown-menu").get_by_role("button", name="Save changes").click()
    expect(section.get_by_role("status")).to_contain_text(f"The items of DraftPro for {name} are saved.")
    expect(row(page, "DraftPro").locator(".sk-chip-off")).to_contain_text("Cloud rendering")
    assert codes(world.user, world.product) == {"draftpro-desktop"}

    # R-P4: "Unassign" removes the product and all its items.
    row(page, "DraftPro").get_by_role("button", name="Unassign DraftPro").click()
    expect(section.get_by_role("status")).to_contain_text(f"DraftPro is unassigned from {name}.")
    offered = page.locator("#member-products ul[aria-labelledby='member-products-offered']")
    expect(offered.get_by_role("heading", name="DraftPro")).to_be_visible()
    assert codes(world.user, world.product) is None
    screenshot(page, "member-products-unassigned")

    assert page.problems == []  # no CSP violation, no JavaScript error on the way


def test_without_javascript_the_arrow_opens_a_page_with_the_items(browser, live_server, world, screenshot):
    furnish(world)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1366, "height": 860}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    sign_in(page, live_server, world.primary.user)
    try:
        page.goto(member_page(world, world.user))
        row(page, "DraftPro").get_by_role("button", name="Choose items of DraftPro").click()
        expect(page).to_have_url(re.compile(r"/products/\d+/items/$"))
        expect(page.get_by_role("heading", level=1)).to_have_text(f"DraftPro for {world.user.user.get_full_name()}")
        screenshot(page, "member-products-items-page")
        page.get_by_label("DraftPro desktop").uncheck()
        page.get_by_role("button", name="Save changes").click()
        expect(page).to_have_url(re.compile(member_page(world, world.user) + "$"))
        expect(page.get_by_role("status").first).to_contain_text("The items of DraftPro")
        assert codes(world.user, world.product) == {"cloud-render"}
    finally:
        context.close()


def test_on_a_phone_the_section_fits_and_the_menu_opens(admin_page, world, screenshot):
    page = admin_page
    furnish(world)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(member_page(world, world.user))
    draft = row(page, "DraftPro")
    draft.get_by_role("button", name="Choose items of DraftPro").click()
    expect(draft.locator(".dropdown-menu").get_by_label("Cloud rendering")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    screenshot(page, "member-products-phone")
    assert page.problems == []
