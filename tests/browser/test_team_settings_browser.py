"""Team settings in a real browser: rename the team (R-T4) and create one (R-T3) in htmx dialogs, and
move a subscription with the wizard, with the cases that cannot move visible beside a disabled
"Select" (R-T8..R-T11); the same wizard without JavaScript. Screenshots in
test-artifacts/screens/team-settings-*.png and move-*.png."""

import re

import pytest
from django.urls import reverse

from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member, Team
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.test_by_user_browser import dialog, furnish, settled, sign_in
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SubscriptionFactory, UserFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def settings_url(team) -> str:
    return reverse("team_settings:team-settings", kwargs={"team_id": team.pk})


def stock_engineering(world):
    """Engineering, where Jan de Vries is primary admin: a subscription he can move (CadSuite, with two
    users of it on a second subscription), and one for every reason a subscription cannot move."""
    engineering, jan = world.other_team, world.primary.user
    cad = ProductFactory(code="cadsuite", name="CadSuite", kind="collection")
    movable = SubscriptionFactory(team=engineering, product=cad, seats=4, contract__manager=jan)
    SubscriptionFactory(team=engineering, product=cad, seats=2, contract__manager=jan)
    for first, last in [("Bram", "Bouwer"), ("Eva", "Ontwerp")]:
        member = MemberFactory(team=engineering, user__first_name=first, user__last_name=last)
        AssignmentFactory(member=member, product=cad)
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="Viewer"),
        contract__manager=UserFactory(first_name="Pia", last_name="Eigenaar"),
    )
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="RenderCredits", kind="cloud"),
        plan="pay_per_use",
        contract=movable.contract,
    )
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="CadSuite Premium", kind="collection"),
        plan="premium",
        sso_enabled=True,
        contract=movable.contract,
    )
    SubscriptionFactory(
        team=engineering,
        product=ProductFactory(name="BIM Collaborate", kind="cloud"),
        collaboration_site="bim.devries.example",
        contract=movable.contract,
    )
    sketcher = ProductFactory(name="Sketcher")
    SubscriptionFactory(team=engineering, product=sketcher, seats=3, contract=movable.contract)
    for first, last in [("Kees", "Schets"), ("Lot", "Lijn"), ("Mo", "Maat")]:
        member = MemberFactory(team=engineering, user__first_name=first, user__last_name=last)
        AssignmentFactory(member=member, product=sketcher)
    return movable


def test_a_team_is_renamed_and_another_created(page, world, screenshot):
    # R-T4, R-T3
    furnish(world)
    sign_in(page)

    # Team settings behind the gear icon in the navigation.
    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-sidebar").get_by_role("link", name="Team settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Design")
    expect(page.get_by_role("region", name="Administrators")).to_contain_text("Anna Bakker")
    expect(page.get_by_role("region", name="Subscriptions")).to_contain_text("DraftPro")
    screenshot(page, "team-settings")

    # Rename: a blank name is refused in the dialog, then "Save changes" (R-T4).
    page.get_by_role("link", name="Rename").click()
    name = dialog(page).get_by_label("Team name")
    expect(name).to_have_value("Design")
    name.fill("  ")
    dialog(page).get_by_role("button", name="Save changes").click()
    expect(dialog(page)).to_contain_text("Enter a name for the team.")
    expect(dialog(page).get_by_label("Team name")).to_have_value("  ")
    settled(page)
    screenshot(page, "team-settings-rename-refused", full_page=False)
    dialog(page).get_by_label("Team name").fill("Design & Build")
    settled(page)
    screenshot(page, "team-settings-rename", full_page=False)
    dialog(page).get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("The team is now called Design & Build.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Design & Build")
    expect(page.locator(".sk-team-switcher")).to_contain_text("Design & Build")
    world.team.refresh_from_db()
    assert world.team.name == "Design & Build"

    # Actions › "Create team" (R-T3): the creator becomes its primary admin, and is offered the next steps.
    page.get_by_role("region", name="Actions").get_by_role("link", name=re.compile("Create team")).click()
    dialog(page).get_by_label("Team name").fill("Marketing")
    settled(page)
    screenshot(page, "team-settings-create", full_page=False)
    dialog(page).get_by_role("button", name="Create team").click()
    expect(page.get_by_role("status")).to_contain_text("Marketing is created, and you are its primary admin.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Marketing")
    next_steps = page.get_by_role("region", name="Next steps for Marketing")
    expect(next_steps.get_by_role("link", name="Invite users")).to_be_visible()
    expect(next_steps.get_by_role("link", name="Move subscriptions to this team")).to_be_visible()
    screenshot(page, "team-settings-created")
    marketing = Team.objects.get(name="Marketing")
    assert marketing.members.get().role == Member.Role.PRIMARY_ADMIN
    assert page.url.endswith(settings_url(marketing))

    # The team switcher has the new team, and keeps the admin in Team settings.
    page.locator("#sk-team-switcher").click()
    page.locator(".sk-team-menu").get_by_role("link", name=re.compile("Design & Build")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Design & Build")
    assert page.url.endswith(settings_url(world.team))

    # "Invite users" of the new team opens its invite dialog.
    page.goto(settings_url(marketing))
    next_steps.get_by_role("link", name="Invite users").click()
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_role("button", name="Send invite")).to_be_visible()
    assert page.problems == []


def test_a_subscription_is_moved_and_the_ones_that_cannot_move_say_why(page, world, screenshot):
    # R-T8, R-T9, R-T10, R-T11
    furnish(world)
    movable = stock_engineering(world)
    sign_in(page)
    page.goto(settings_url(world.team))
    page.get_by_role("region", name="Actions").get_by_role("link", name=re.compile("Move subscriptions")).click()

    # Step 1: the team it comes from.
    expect(page.get_by_role("heading", level=1)).to_have_text("Move subscriptions to Design")
    expect(page.locator("[aria-current=step]")).to_contain_text("Team it comes from")
    screenshot(page, "move-1-team")
    page.get_by_role("link", name=re.compile("Engineering")).click()

    # Step 2: "Select", or disabled with the reason in text and on hover.
    expect(page.locator("[aria-current=step]")).to_contain_text("Subscription")
    rows = page.locator(".sk-move-row")
    expect(rows).to_have_count(7)

    def row(product, has_text=None):
        return rows.filter(has=page.get_by_role("heading", name=product, exact=True), has_text=has_text)

    cases = {
        "Viewer": "Only the subscription owner, Pia Eigenaar, can move this subscription.",
        "RenderCredits": "Pay Per Use subscriptions cannot be moved here. Contact support to move it.",
        "CadSuite Premium": "Premium subscriptions with SSO enabled cannot be moved here. Contact support",
        "BIM Collaborate": "linked to the collaboration site bim.devries.example",
        "Sketcher": "Unassign 3 seats of Sketcher in Engineering first.",
    }
    for product, reason in cases.items():
        expect(row(product).get_by_role("button", name="Select")).to_be_disabled()
        expect(row(product)).to_contain_text(reason)
        expect(row(product).locator(".sk-move-action [title]")).to_have_attribute(
            "title", re.compile(re.escape(reason))
        )
    screenshot(page, "move-2-subscriptions")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "move-2-subscriptions-phone")
    page.set_viewport_size({"width": 1366, "height": 860})
    row("Viewer").locator(".sk-move-action [title]").hover()
    page.wait_for_timeout(1200)  # the browser's own tooltip; it does not show in screenshots
    expect(row("CadSuite").get_by_role("link", name="Select")).to_have_count(2)  # 4 seats and 2 seats
    row("CadSuite", has_text=movable.contract.number).get_by_role("link", name="Select").click()

    # Step 3: the review.
    expect(page.locator("[aria-current=step]")).to_contain_text("Review")
    expect(page.get_by_text("Users do not move.")).to_be_visible()
    expect(page.locator(".sk-move-side").first).to_contain_text("6 becomes 2 seats")
    expect(page.locator(".sk-move-side").last).to_contain_text("0 becomes 4 seats")
    screenshot(page, "move-3-review")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "move-3-review-phone")
    page.set_viewport_size({"width": 1366, "height": 860})

    # Back and forth with the browser's own buttons: the wizard's state is in the address.
    page.go_back()
    expect(page.locator("[aria-current=step]")).to_contain_text("Subscription")
    page.go_forward()
    page.get_by_role("button", name="Submit").click()

    # Step 4: the confirmation; the users stayed in Engineering (R-T9).
    expect(page.get_by_role("heading", name="CadSuite now belongs to Design")).to_be_visible()
    expect(page.get_by_text("Users did not move: 2 users of CadSuite stay in Engineering.")).to_be_visible()
    screenshot(page, "move-4-done")
    movable.refresh_from_db()
    assert movable.team == world.team
    assert Assignment.objects.filter(product=movable.product, member__team=world.other_team).count() == 2

    page.get_by_role("link", name="Move another").click()
    expect(page.locator(".sk-move-row")).to_have_count(6)
    page.get_by_role("link", name="Team settings").first.click()
    expect(page.get_by_role("region", name="Subscriptions")).to_contain_text("CadSuite")
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


def test_rename_and_the_wizard_work_without_javascript(page_without_javascript, world, screenshot):
    # R-T4, R-T8: the dialogs are pages, the wizard plain links and one form.
    page = page_without_javascript
    furnish(world)
    movable = stock_engineering(world)
    sign_in(page)
    page.goto(settings_url(world.team))
    page.get_by_role("link", name="Rename").click()
    expect(page).to_have_url(re.compile(r"/settings/rename/$"))
    page.get_by_label("Team name").fill("Studio")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("The team is now called Studio.")

    page.get_by_role("region", name="Actions").get_by_role("link", name=re.compile("Move subscriptions")).click()
    page.get_by_role("link", name=re.compile("Engineering")).click()
    page.locator(".sk-move-row").filter(has_text=movable.contract.number).filter(
        has=page.get_by_role("heading", name="CadSuite", exact=True)
    ).get_by_role("link", name="Select").click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="CadSuite now belongs to Studio")).to_be_visible()
    screenshot(page, "move-nojs-done", full_page=False)
    movable.refresh_from_db()
    assert movable.team == world.team
