"""By Product in a real browser: the list, a product's page, "Assign users" with suggestions as one
types, Add, a new e-mail address invited, Assign and Customize (R-BP1), the seat limit in that
dialog (R-SE1), deselecting a service with the arrow beside a user (R-BP2), and the dialog without
JavaScript. Screenshots in test-artifacts/screens/by-product-*.png."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory
from tests.teams.test_member_views import give_names

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def furnish(world):
    """Names that read well; DraftPro with 6 seats, held by Jan de Vries and two more; RenderCloud
    with 2 seats, one taken; Archive Suite whose subscription ran out while one user holds it."""
    give_names(world)
    world.subscription.seats = 6
    world.subscription.save(update_fields=["seats"])
    admin = world.primary.user
    assignment_create(member=world.primary, product=world.product, actor=None)
    for first, last in [("Sanne", "Visser"), ("Pieter", "Smit")]:
        member = MemberFactory(team=world.team, user__first_name=first, user__last_name=last)
        assignment_create(member=member, product=world.product, items=[world.items[0]], actor=admin)
    MemberFactory(team=world.team, user__first_name="Fleur", user__last_name="de Boer")
    cloud = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    ProductItemFactory(product=cloud, code="render-credits", name="Render credits", kind="service")
    SubscriptionFactory(team=world.team, product=cloud, seats=2, contract__manager=admin)
    assignment_create(member=world.secondary, product=cloud, actor=admin)
    archive = ProductFactory(code="archive-suite", name="Archive Suite", kind="collection")
    ProductItemFactory(product=archive, code="archive-viewer", name="Archive viewer")
    ProductItemFactory(product=archive, code="cold-storage", name="Cold storage", kind="service")
    old = SubscriptionFactory(team=world.team, product=archive, seats=2, contract__manager=admin)
    assignment_create(member=world.user, product=archive, actor=admin)
    assignment_create(member=world.guest, product=archive, actor=admin)
    old.seats = 1  # support lowered it and allowed the over-allocation
    old.save(update_fields=["seats"])
    return cloud


def sign_in(page, live_server, user):
    """The admin's session, made by the test client and handed to the browser."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def product_page(world, product=None) -> str:
    return reverse(
        "subscriptions:product-detail", kwargs={"team_id": world.team.pk, "product_id": (product or world.product).pk}
    )


def dialog(page):
    return page.locator("#sk-dialog")


def settled(page):
    """Wait until the dialog has faded in, for a screenshot of it rather than of its fade."""
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    page.wait_for_timeout(400)


def codes(member, product) -> set[str] | None:
    assignment = Assignment.objects.filter(member=member, product=product).first()
    return None if assignment is None else {item.code for item in assignment.items.all()}


@pytest.fixture
def admin_page(page, live_server, world):
    sign_in(page, live_server, world.primary.user)
    return page


def test_assign_users_with_add_and_customize(admin_page, world, screenshot):
    # R-BP1
    page = admin_page
    furnish(world)

    # By Product from the navigation: the products with their seats, an over-full pool flagged.
    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-sidebar").get_by_role("link", name="By Product").click()
    expect(page.get_by_role("heading", level=1, name="By Product")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Archive Suite"))).to_contain_text("1 over")
    expect(page.get_by_role("row", name=re.compile("DraftPro"))).to_contain_text("Cloud rendering")
    screenshot(page, "by-product-list")

    # A product: its users, its seats, its subscriptions.
    page.get_by_role("link", name="DraftPro", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="DraftPro")).to_be_visible()
    expect(page.locator(".sk-bp-users tbody tr")).to_have_count(3)
    screenshot(page, "by-product-product-page")

    # "Assign users": type, the suggestions come, one is added.
    page.get_by_role("link", name="Assign users").click()
    expect(dialog(page)).to_be_visible()
    expect(dialog(page)).to_contain_text("3 of 6 seats free")
    field = dialog(page).get_by_label("Name or e-mail address")
    expect(field).to_be_focused()
    field.press_sequentially("de", delay=40)
    suggestions = dialog(page).locator("[data-suggestions]")
    expect(suggestions.get_by_role("button", name="David de Jong user@example.com Add")).to_be_visible()
    expect(suggestions.get_by_role("button", name="Jan de Vries primary@example.com Has DraftPro")).to_be_disabled()
    settled(page)
    screenshot(page, "by-product-assign-suggestions", full_page=False)
    suggestions.get_by_role("button", name="David de Jong user@example.com Add").click()
    people = dialog(page).locator("[data-assign-list]")
    expect(people).to_contain_text("David de Jong")
    expect(dialog(page)).to_contain_text("2 seats left")

    # A new e-mail address: invited at the same time, with the names asked for.
    field = dialog(page).get_by_label("Name or e-mail address")
    expect(field).to_be_focused()
    field.press_sequentially("nina.nieuw@example.com", delay=10)
    expect(dialog(page)).to_contain_text("nina.nieuw@example.com is not a member of this team yet.")
    dialog(page).get_by_label("First name").fill("Nina")
    dialog(page).get_by_label("Last name").fill("Nieuw")
    dialog(page).get_by_role("button", name="Add", exact=True).click()
    expect(people).to_contain_text("Nina Nieuw")
    expect(people).to_contain_text("New: will be invited")
    settled(page)
    screenshot(page, "by-product-assign-list", full_page=False)
    dialog(page).get_by_role("button", name="Assign", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text(
        "DraftPro is assigned to David de Jong and Nina Nieuw. Nina Nieuw is invited to Design"
    )
    expect(page.locator(".sk-bp-users tbody tr")).to_have_count(5)
    assert codes(world.user, world.product) == {"draftpro-desktop", "cloud-render"}
    nina = Member.objects.get(team=world.team, user__email="nina.nieuw@example.com")
    assert nina.status == Member.Status.INVITED
    assert codes(nina, world.product) is not None

    # Customize: Enter adds the only match; then the items, then "Assign".
    page.get_by_role("link", name="Assign users").click()
    field = dialog(page).get_by_label("Name or e-mail address")
    field.fill("gerrit")
    field.press("Enter")
    expect(dialog(page).locator("[data-assign-list]")).to_contain_text("Gerrit Gast")
    dialog(page).get_by_role("button", name="Customize").click()
    expect(dialog(page).get_by_role("heading", name="Choose the items of DraftPro")).to_be_visible()
    expect(dialog(page).get_by_label("DraftPro desktop")).to_be_checked()
    dialog(page).get_by_label("Cloud rendering").uncheck()
    settled(page)
    screenshot(page, "by-product-assign-customize", full_page=False)
    dialog(page).get_by_role("button", name="Assign", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("DraftPro is assigned to Gerrit Gast, with DraftPro desktop.")
    assert codes(world.guest, world.product) == {"draftpro-desktop"}
    assert page.problems == []


def test_the_dialog_does_not_take_more_people_than_free_seats(admin_page, world, screenshot):
    # R-SE1: RenderCloud has 2 seats, one taken.
    page = admin_page
    cloud = furnish(world)
    page.goto(product_page(world, cloud))
    page.get_by_role("link", name="Assign users").click()
    expect(dialog(page)).to_contain_text("1 of 2 seats free")
    field = dialog(page).get_by_label("Name or e-mail address")
    field.fill("david")
    field.press("Enter")
    expect(dialog(page).locator("[data-assign-list]")).to_contain_text("David de Jong")
    add = dialog(page).get_by_role("button", name="Add", exact=True)
    expect(add).to_be_disabled()
    expect(dialog(page)).to_contain_text("The list has as many people as there are free seats (1).")
    # The suggestions say the same: nobody can be chosen.
    dialog(page).get_by_label("Name or e-mail address").press_sequentially("gast", delay=40)
    expect(dialog(page).get_by_role("button", name="Gerrit Gast Guest guest@example.com No seat left")).to_be_disabled()
    settled(page)
    screenshot(page, "by-product-assign-full", full_page=False)

    # Remove David: room again.
    dialog(page).get_by_role("button", name="Remove David de Jong from the list").click()
    expect(dialog(page).get_by_role("button", name="Add", exact=True)).to_be_enabled()
    expect(dialog(page)).to_contain_text("Nobody on the list yet.")
    assert codes(world.user, cloud) is None
    assert page.problems == []


def test_suggestions_still_on_their_way_are_not_aborted_by_the_next(admin_page, world):
    # Someone types on (or presses Enter, which searches as well as adds) while the suggestions of what
    # they typed before are still on their way, as on a busy server. The next request waits for them
    # (hx-sync "queue last") instead of aborting them: htmx reports an aborted request as a console
    # error ("htmx:afterRequest"), which made the test above fail now and then under load.
    page = admin_page
    furnish(world)
    held = []

    def hold_the_first(route):
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route(re.compile(r"/assign/suggestions/"), hold_the_first)
    page.goto(product_page(world))
    page.get_by_role("link", name="Assign users").click()
    field = dialog(page).get_by_label("Name or e-mail address")
    expect(field).to_be_focused()
    page.evaluate("() => { window.skTriggers = 0; addEventListener('htmx:trigger', () => window.skTriggers++); }")
    with page.expect_request(re.compile(r"/assign/suggestions/")):
        field.press_sequentially("ge", delay=40)
    field.press_sequentially("rrit", delay=40)
    page.wait_for_function("() => window.skTriggers >= 2")  # the next request is due while the first is held
    held[0].continue_()
    suggestions = dialog(page).locator("[data-suggestions]")
    expect(suggestions.get_by_role("button", name="Gerrit Gast Guest guest@example.com Add")).to_be_visible()
    expect(suggestions.get_by_role("button")).to_have_count(1)
    assert page.problems == []


def test_deselecting_a_service_beside_a_user(admin_page, world, screenshot):
    # R-BP2: the arrow beside a user lists the product's services; deselect one, "Save changes".
    page = admin_page
    furnish(world)
    assignment_create(member=world.user, product=world.product, actor=world.primary.user)
    page.goto(product_page(world))
    row = page.get_by_role("row", name=re.compile("David de Jong"))
    row.get_by_role("button", name="Choose the items of DraftPro for David de Jong").click()
    menu = row.locator(".dropdown-menu")
    expect(menu).to_be_visible()
    expect(menu.get_by_label("Cloud rendering")).to_be_checked()
    menu.get_by_label("Cloud rendering").uncheck()
    expect(menu).to_be_visible()  # ticking inside the menu does not close it
    screenshot(page, "by-product-deselect-menu", full_page=False)
    menu.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("The items of DraftPro for David de Jong are saved.")
    row = page.get_by_role("row", name=re.compile("David de Jong"))
    expect(row.locator(".sk-chip-off")).to_contain_text("Cloud rendering")
    assert codes(world.user, world.product) == {"draftpro-desktop"}

    # "Unassign" beside a user.
    row.get_by_role("button", name="Unassign David de Jong").click()
    expect(page.get_by_role("status")).to_contain_text("DraftPro is unassigned from David de Jong.")
    expect(page.get_by_role("row", name=re.compile("David de Jong"))).to_have_count(0)
    assert codes(world.user, world.product) is None
    assert page.problems == []


def test_assign_users_without_javascript(browser, live_server, world, screenshot):
    # The dialog as a page: the field submits and shows the matches; a match is chosen, then Assign.
    furnish(world)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 1366, "height": 860}, locale="en-GB"
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    sign_in(page, live_server, world.primary.user)
    try:
        page.goto(product_page(world))
        page.get_by_role("link", name="Assign users").click()
        expect(page).to_have_url(re.compile(r"/assign/$"))
        page.get_by_label("Name or e-mail address").fill("de")
        page.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_text("Several users match “de”. Choose one of them below.")).to_be_visible()
        screenshot(page, "by-product-nojs-matches")
        page.get_by_role("button", name=re.compile(r"^Fleur de Boer .* Add$")).click()
        expect(page.locator("[data-assign-list]")).to_contain_text("Fleur de Boer")
        page.get_by_role("button", name="Assign", exact=True).click()
        expect(page).to_have_url(re.compile(product_page(world) + "$"))
        expect(page.get_by_role("status").first).to_contain_text("DraftPro is assigned to Fleur de Boer.")

        # The arrow beside a user is a link to a page with the same checkboxes (R-BP2).
        row = page.get_by_role("row", name=re.compile("Fleur de Boer"))
        row.get_by_role("button", name="Choose the items of DraftPro for Fleur de Boer").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("DraftPro for Fleur de Boer")
        screenshot(page, "by-product-nojs-items-page")
        page.get_by_label("Cloud rendering").uncheck()
        page.get_by_role("button", name="Save changes").click()
        expect(page).to_have_url(re.compile(product_page(world) + "$"))
        expect(page.get_by_role("status").first).to_contain_text("The items of DraftPro for Fleur de Boer are saved.")
        fleur = Member.objects.get(team=world.team, user__last_name="de Boer")
        assert codes(fleur, world.product) == {"draftpro-desktop"}
    finally:
        context.close()


def test_the_dialog_opened_as_a_page_with_javascript_stays_a_page(admin_page, world):
    # A dialog's address opened as a page with JavaScript on (a link opened in a new tab, or clicked
    # before the page's scripts ran): its buttons post the page, and no second copy of the dialog
    # opens over it. Before, "Add" swapped the answer into the hidden modal, which then showed a
    # second "Assign DraftPro" over the first (two "Customize" buttons; seen once in CI).
    page = admin_page
    furnish(world)
    page.goto(
        reverse("subscriptions:product-assign-users", kwargs={"team_id": world.team.pk, "product_id": world.product.pk})
    )
    page.get_by_label("Name or e-mail address").fill("Fleur de Boer")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("[data-assign-list]")).to_contain_text("Fleur de Boer")
    expect(page.locator("#sk-dialog")).to_be_hidden()
    page.get_by_role("button", name="Customize").click()
    page.get_by_role("checkbox", name=re.compile("Cloud rendering")).uncheck()
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page).to_have_url(re.compile(product_page(world) + "$"))
    fleur = Member.objects.get(team=world.team, user__last_name="de Boer")
    assert codes(fleur, world.product) == {"draftpro-desktop"}
