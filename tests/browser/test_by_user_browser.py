"""By User in a real browser, with htmx dialogs: make a secondary admin, reassign the primary admin
with "Reassign primary admin", mark and unmark a guest, be refused deleting an admin, delete a user,
and a bulk delete with its summary. Screenshots in test-artifacts/screens/by-user-*.png."""

import re

import pytest
from django.urls import reverse

from licensing.teams.models import Member
from tests.browser.conftest import TIMEOUT_MS
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory
from tests.teams.test_member_views import invite_pending

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PEOPLE = [
    ("Jan", "de Vries", "primary"),
    ("Anna", "Bakker", "secondary"),
    ("David", "de Jong", "user"),
    ("Gerrit", "Gast", "guest"),
    ("Ilse", "Nieuw", "invited"),
]


def furnish(world):
    """Names that read well, products held, and a few more people, as an admin would see a team."""
    for first, last, persona in PEOPLE:
        user = getattr(world, persona).user
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    world.subscription.seats = 10
    world.subscription.save(update_fields=["seats"])
    AssignmentFactory(member=world.primary, product=world.product).items.set(world.items)
    AssignmentFactory(member=world.user, product=world.product).items.set(world.items)
    cloud = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    ProductItemFactory(product=cloud, code="render-credits", name="Render credits", kind="service")
    SubscriptionFactory(team=world.team, product=cloud, seats=5, contract__manager=world.primary.user)
    AssignmentFactory(member=world.user, product=cloud)
    AssignmentFactory(member=world.guest, product=cloud)
    invite_pending(world.invited, expires_in_days=45)
    for first, last in [("Sanne", "Visser"), ("Pieter", "Smit"), ("Fleur", "Mulder")]:
        member = MemberFactory(team=world.team, user__first_name=first, user__last_name=last)
        AssignmentFactory(member=member, product=world.product)


def sign_in(page, email="primary@example.com"):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def open_user(page, world, name):
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    # The heading shows once parsed, before the deferred scripts have run: a dialog's link clicked
    # then is followed as a page (as it should be without JavaScript), not opened in the dialog.
    page.wait_for_load_state()


def dialog(page):
    return page.locator("#sk-dialog")


def settled(page):
    """Wait until the dialog has faded in, for a screenshot of it rather than of its fade."""
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    page.wait_for_timeout(400)


def role_of(member) -> tuple[str, bool]:
    member.refresh_from_db()
    return member.role, member.is_guest


def test_roles_are_changed_in_the_change_role_dialog(page, world, screenshot):
    # R-SA1, R-PA2, R-PA3, R-G2, R-G3
    furnish(world)
    sign_in(page)

    # By User from the navigation.
    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-sidebar").get_by_role("link", name="By User").click()
    expect(page.get_by_role("heading", level=1, name="By User")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Gerrit Gast"))).to_contain_text("Guest")
    screenshot(page, "by-user-list")

    # Make a secondary admin (R-SA1).
    open_user(page, world, "David de Jong")
    expect(page.locator("#member-products")).to_contain_text("DraftPro")
    screenshot(page, "by-user-user-page")
    page.get_by_role("link", name="Change role").click()
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_label("Primary admin")).to_be_disabled()
    expect(dialog(page)).to_contain_text("Only a secondary admin can become primary admin.")
    dialog(page).get_by_label("Secondary admin").check()
    # R-G3: an admin role unticks and disables the guest box at once.
    expect(dialog(page).get_by_label("This is a guest user")).to_be_disabled()
    settled(page)
    screenshot(page, "by-user-role-dialog", full_page=False)
    dialog(page).get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("David de Jong is now a secondary admin.")
    expect(page.locator(".sk-member-badges")).to_contain_text("Secondary admin")
    assert role_of(world.user) == (Member.Role.SECONDARY_ADMIN, False)

    # Reassign the primary admin (R-PA2, R-PA3).
    open_user(page, world, "Anna Bakker")
    page.get_by_role("link", name="Change role").click()
    dialog(page).get_by_label("Primary admin").check()
    dialog(page).get_by_role("button", name="Save").click()
    expect(dialog(page).get_by_role("heading", name="Reassign primary admin?")).to_be_visible()
    expect(dialog(page)).to_contain_text("Jan de Vries, the primary admin now, becomes a secondary admin.")
    assert role_of(world.secondary) == (Member.Role.SECONDARY_ADMIN, False)
    settled(page)
    screenshot(page, "by-user-reassign-confirmation", full_page=False)
    dialog(page).get_by_role("button", name="Reassign primary admin").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Anna Bakker is now the primary admin of Design. Jan de Vries is now a secondary admin."
    )
    assert role_of(world.secondary) == (Member.Role.PRIMARY_ADMIN, False)
    assert role_of(world.primary) == (Member.Role.SECONDARY_ADMIN, False)

    # Mark and unmark a guest (R-G2).
    open_user(page, world, "Sanne Visser")
    page.get_by_role("link", name="Change role").click()
    dialog(page).get_by_label("This is a guest user").check()
    dialog(page).get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Sanne Visser is now a guest.")
    expect(page.locator(".sk-member-badges")).to_contain_text("Guest")
    page.get_by_role("link", name="Change role").click()
    expect(dialog(page).get_by_label("This is a guest user")).to_be_checked()
    dialog(page).get_by_label("This is a guest user").uncheck()
    dialog(page).get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Sanne Visser is no longer a guest.")
    expect(page.locator(".sk-member-badges")).not_to_contain_text("Guest")
    assert page.problems == []


def test_users_are_deleted_but_admins_are_not(page, world, screenshot):
    # R-D1, R-D2, R-D3
    furnish(world)
    sign_in(page)

    # An admin: the dialog explains, and has no "Delete" (R-D2).
    open_user(page, world, "Anna Bakker")
    page.get_by_role("link", name="Delete Anna Bakker").click()
    expect(dialog(page)).to_contain_text("Anna Bakker is an admin of this team.")
    expect(dialog(page).get_by_role("button", name="Delete")).to_have_count(0)
    settled(page)
    screenshot(page, "by-user-delete-refused", full_page=False)
    dialog(page).locator(".modal-footer").get_by_role("link", name="Close").click()
    expect(dialog(page)).to_be_hidden()

    # A user: what they lose, that the account stays, then "Delete" (R-D1, R-D3).
    open_user(page, world, "David de Jong")
    page.get_by_role("link", name="Delete David de Jong").click()
    expect(dialog(page)).to_contain_text("What David de Jong loses in Design")
    expect(dialog(page)).to_contain_text("RenderCloud")
    expect(dialog(page)).to_contain_text("Their own account stays")
    settled(page)
    screenshot(page, "by-user-delete-dialog", full_page=False)
    dialog(page).get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", level=1, name="By User")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("David de Jong is deleted from Design.")
    expect(page.get_by_role("link", name="David de Jong", exact=True)).to_have_count(0)
    assert not Member.objects.filter(pk=world.user.pk).exists()
    assert page.problems == []


def test_a_bulk_delete_explains_the_rows_it_refuses(page, world, screenshot):
    # R-D1, R-D2
    furnish(world)
    sign_in(page)
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    delete = page.locator("[data-bulk-form]").get_by_role("button", name="Delete")
    expect(delete).to_be_disabled()
    for name in ("Anna Bakker", "Pieter Smit", "Fleur Mulder", "Gerrit Gast"):
        page.get_by_label(f"Select {name}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("4 selected")
    delete.click()
    expect(dialog(page).get_by_role("heading", name="Delete 3 users from Design?")).to_be_visible()
    expect(dialog(page)).to_contain_text("Not deleted: Secondary admin.")
    settled(page)
    screenshot(page, "by-user-bulk-confirmation", full_page=False)
    dialog(page).get_by_role("button", name="Delete 3 users").click()
    expect(page.get_by_role("status")).to_contain_text("3 deleted; 1 not deleted:Anna Bakker is an admin of this team.")
    screenshot(page, "by-user-bulk-result", full_page=False)
    assert Member.objects.filter(team=world.team).count() == 5

    # Select all, then a bulk assign with a refused row.
    page.get_by_label("Select all users on this page").check()
    page.get_by_label("Product to assign or unassign").select_option(label="RenderCloud")
    page.locator("[data-bulk-form]").get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".sk-messages")).to_contain_text("RenderCloud assigned to 4 users; 1 not assigned:")
    screenshot(page, "by-user-bulk-assign-result", full_page=False)
    assert page.problems == []


def test_the_filters_and_the_guest_toggle(page, world, screenshot):
    # R-G4
    furnish(world)
    sign_in(page)
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    expect(page.get_by_role("link", name="Gerrit Gast", exact=True)).to_be_visible()
    page.get_by_label("Show guests").uncheck()  # submits the filters
    expect(page).to_have_url(re.compile(r"guests=false"))
    # The URL changes when the new page starts to load; Enter in the search field before the parser has
    # reached the guest switch below it would submit the form without it (guests shown: 4 rows, seen
    # once in a run of the suite). Wait for the whole page, as a person does.
    page.wait_for_load_state("load")
    expect(page.get_by_role("link", name="Gerrit Gast", exact=True)).to_have_count(0)
    page.get_by_label("Search by name or e-mail").fill("de")
    page.get_by_label("Search by name or e-mail").press("Enter")
    expect(page.locator("tbody tr")).to_have_count(3)  # de Jong, de Vries, Mulder
    page.get_by_label("Role").select_option(label="User")
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.get_by_role("link", name="David de Jong", exact=True)).to_be_visible()
    screenshot(page, "by-user-list-filtered", full_page=False)
    page.get_by_role("link", name="Clear filters").click()
    expect(page.locator("tbody tr")).to_have_count(8)
    page.get_by_role("link", name=re.compile("^Products")).click()
    expect(page.locator("th[aria-sort=ascending]")).to_contain_text("Products")
    page.get_by_role("link", name=re.compile("^Products")).click()
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Products")
    expect(page.locator("tbody tr").first).to_contain_text("David de Jong")  # the only one with two
    assert page.problems == []


@pytest.fixture
def page_without_javascript(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 860}, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def test_everything_works_without_javascript(page_without_javascript, world, screenshot):
    # Plain forms and full pages under the htmx dialogs: R-PA2, R-PA3, R-D2, R-D1.
    page = page_without_javascript
    furnish(world)
    sign_in(page)

    open_user(page, world, "Anna Bakker")
    page.get_by_role("link", name="Change role").click()
    expect(page).to_have_url(re.compile(r"/role/$"))
    page.get_by_label("Primary admin").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Reassign primary admin?")).to_be_visible()
    screenshot(page, "by-user-nojs-reassign-confirmation", full_page=False)
    page.get_by_role("button", name="Reassign primary admin").click()
    expect(page.get_by_role("status")).to_contain_text("Anna Bakker is now the primary admin of Design.")
    assert role_of(world.primary) == (Member.Role.SECONDARY_ADMIN, False)

    # Bulk: tick rows by hand, the confirmation page, the summary on the list.
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    page.get_by_label("Select Jan de Vries").check()
    page.get_by_label("Select Pieter Smit").check()
    page.locator("[data-bulk-form]").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete 1 user from Design?")).to_be_visible()
    page.get_by_role("button", name="Delete 1 user").click()
    expect(page.locator(".sk-messages")).to_contain_text("1 deleted; 1 not deleted:")
    expect(page.locator(".sk-messages")).to_contain_text("Jan de Vries is an admin of this team.")

    # Nothing ticked: the reason, and the way back.
    page.locator("[data-bulk-form]").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Select at least one user.")).to_be_visible()
    screenshot(page, "by-user-nojs-bulk-nothing-selected", full_page=False)
    page.get_by_role("link", name="Back to the list").click()
    expect(page.get_by_role("heading", level=1, name="By User")).to_be_visible()

    # Filters: the Filter button submits them.
    page.get_by_label("Show guests").uncheck()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("link", name="Gerrit Gast", exact=True)).to_have_count(0)


def test_a_ticked_box_that_has_the_focus_looks_ticked(page, world):
    # The focus ring must not paint over the tick: a ticked box keeps the accent colour while focused.
    furnish(world)
    sign_in(page)
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    box = page.get_by_label("Select Pieter Smit")
    box.focus()
    unticked = box.evaluate("element => getComputedStyle(element).backgroundColor")
    box.check()
    expect(box).to_be_focused()
    ticked = box.evaluate("element => getComputedStyle(element).backgroundColor")
    assert ticked != unticked
    assert ticked not in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
