"""WCAG 2.2 AA checked by axe-core (issue 22): every screen of the primary admin and every htmx dialog,
in English and Dutch, at 375, 768, 1280 and 1920 px, with no violation of any impact; and the keyboard's focus
when a dialog closes. axe-core comes from the axe-playwright-python package (its axe.min.js): nothing
is fetched at run time. Screenshots of the dialogs in test-artifacts/screens/a11y-*.png."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.teams.models import Member
from tests.browser.conftest import TIMEOUT_MS, motion
from tests.browser.test_by_product_browser import furnish
from tests.factories import MemberFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

LOCALES = {"en": "en-GB", "nl": "nl-NL"}
WIDTHS = {375: 740, 768: 1024, 1280: 860, 1920: 1080}  # width: height

# The rules that axe runs: all of WCAG 2.0, 2.1 and 2.2 A and AA, and axe's best practices (which
# include heading-order, landmark and region rules), and the experimental ones (label-content-name-mismatch
# is one). One is switched off, below, with its reason.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice", "experimental"],
    },
    "resultTypes": ["violations"],
    "rules": {
        # Experimental (axe runs it only when asked): it wants a widget or landmark role on whatever takes the
        # focus. A table or chart that scrolls sideways takes it (tabindex="0", for scrollable-region-focusable)
        # as a group named by its card's heading; as a region landmark it would repeat the card's own region
        # of the same name, and a screen reader's list of landmarks would have every card twice.
        "focus-order-semantics": {"enabled": False},
    },
}


# The screens whose look this test's fixes changed (colours, underlines, widths), pictured in
# test-artifacts/screens/a11y-<screen>-<lang>-<width>.png.
PICTURED = {
    "By User, a row selected",
    "By User, the page selected",
    "By User, all that match selected",
    "Delete all that match",
    "Change role of all that match",
    "Resend invitation to all that match",
    "Invite single",
    "a user page",
    "a product page",
    "Seat Usage",
    "Seat Usage, Unassign confirmation",
    "Seat Usage, a message with Undo",
    "my products",
    "By Group",
    "a group page",
    "Add members, the seats preview",
}


# The pictured dialogs: shown as the viewport has them (a full-page picture of a fixed modal is torn).
DIALOGS = ("Invite", "Assign", "confirmation")


def axe_violations(page, screen: str) -> list[str]:
    """axe-core's violations on the page as it is, one readable line per element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    lines = []
    for violation in results.response["violations"]:
        for node in violation["nodes"]:
            lines.append(
                f"{screen}: {violation['id']} ({violation['impact']}): {violation['help']}"
                f"\n    at {' '.join(node['target'])}: {node['failureSummary'].replace(chr(10), ' ')}"
            )
    return lines


def dialog(page):
    return page.locator("#sk-dialog")


def open_dialog(page, opener):
    """Click `opener` and wait until the dialog has faded in (reduced motion: at once)."""
    opener.click()
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    expect(dialog(page).locator(".modal-title")).to_be_visible()


def close_dialog(page):
    """The dialog's × (Escape is the keyboard test's, below)."""
    dialog(page).locator(".modal-header .btn-close").click()
    expect(dialog(page)).to_be_hidden()


@pytest.fixture
def signed_in(browser, live_server, world, request):
    """`signed_in(lang, width)`: a browser context in `lang` at `width` px with the primary admin's session
    (made by the test client, as in the other browser tests), one per language and width."""
    from django.test import Client

    contexts = []

    def make(lang: str, width: int):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": WIDTHS.get(width, 860)},
            locale=LOCALES[lang],
            reduced_motion=motion(request),
        )
        contexts.append(context)
        client = Client()
        client.force_login(world.primary.user)
        context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        problems = []
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.problems = problems
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [375, 768, 1280, 1920])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_every_screen_and_dialog_of_an_admin_has_no_axe_violation(signed_in, world, lang, width, screenshot):
    cloud = furnish(world)
    page = signed_in(lang, width)
    team = {"team_id": world.team.pk}

    def t(text: str) -> str:
        with translation.override(lang):
            return gettext(text)

    found: list[str] = []

    def check(screen: str):
        found.extend(axe_violations(page, f"{screen} [{lang}, {width} px]"))
        if screen in PICTURED:
            name = screen.lower().replace(",", "").replace(" ", "-")
            screenshot(page, f"a11y-{name}-{lang}-{width}", full_page=not any(w in screen for w in DIALOGS))

    def visit(screen: str, url: str):
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        check(screen)

    visit("home", reverse("home"))
    visit("team home", reverse("team-home", kwargs=team))
    visit("my products", reverse("my-products"))

    # By User, with a row selected (the selected row's colours), and Invite's two tabs.
    visit("By User", reverse("teams:member-list", kwargs=team))
    page.locator("tbody input[type=checkbox]").first.check()
    # Ticking scrolled the row into view just enough; at 375 px the sticky top bar then lies over the
    # filters' guest switch, which axe's target-size counts as its neighbour. Checked from the top.
    page.evaluate("window.scrollTo(0, 0)")
    check("By User, a row selected")
    open_dialog(page, page.locator("main").get_by_role("link", name=t("Invite users")))
    check("Invite single")
    dialog(page).get_by_role("link", name=t("Invite Multiple")).click()
    expect(dialog(page).get_by_role("link", name=t("Invite Multiple"))).to_have_attribute("aria-current", "page")
    check("Invite Multiple")
    close_dialog(page)

    # By User, more than a page (issue 22): the banner that offers all that match, then all selected, and
    # the bulk dialogs on all of them: delete, Change role, Resend invitation.
    crowd = [MemberFactory(team=world.team, user__email=f"a11y{n:02}@crowd.example") for n in range(26)]
    visit("By User, more than a page", reverse("teams:member-list", kwargs=team) + "?per_page=25")
    page.locator("input[data-select-all]").check()
    expect(page.locator("[data-select-matching]")).to_be_visible()
    check("By User, the page selected")
    page.locator("[data-select-matching]").click()
    expect(page.locator("[data-select-clear]")).to_be_visible()
    check("By User, all that match selected")
    for action, screen in [
        ("delete", "Delete all that match"),
        ("role", "Change role of all that match"),
        ("resend", "Resend invitation to all that match"),
    ]:
        open_dialog(page, page.locator(f"[data-bulk-form] button[value={action}]"))
        check(screen)
        close_dialog(page)
    Member.objects.filter(pk__in=[m.pk for m in crowd]).delete()

    # A user page, with Change role and Delete.
    visit("a user page", reverse("teams:member-detail", kwargs={**team, "member_id": world.user.pk}))
    open_dialog(page, page.get_by_role("link", name=t("Change role")))
    check("Change role")
    close_dialog(page)
    open_dialog(page, page.locator("main a.sk-trash"))
    check("Delete")
    close_dialog(page)

    # By Product, a product page and Assign users with its suggestions.
    visit("By Product", reverse("subscriptions:product-list", kwargs=team))
    visit("a product page", reverse("subscriptions:product-detail", kwargs={**team, "product_id": world.product.pk}))
    open_dialog(page, page.get_by_role("link", name=t("Assign users")))
    check("Assign users")
    dialog(page).get_by_label(t("Name or e-mail address")).press_sequentially("de", delay=40)
    expect(dialog(page).locator("[data-suggestions] button").first).to_be_visible()
    check("Assign users, suggestions")
    close_dialog(page)

    visit("Seat Usage", reverse("reports:seat-usage", kwargs=team))
    # Seat Usage › By User › "Unassign" asks first (issue 22); the message after it has "Undo", which
    # gives the seats back (the screens below see the team as it was).
    visit("Seat Usage, By User", reverse("reports:seat-usage", kwargs=team) + "?tab=users")
    # DraftPro's seats: Archive Suite's pool is over-full, and R-SE1 would refuse its seat back (as it should).
    ticks = page.locator("main tbody tr").filter(has_text="DraftPro").locator("input[name=assignments]")
    ticks.nth(0).check()
    ticks.nth(1).check()
    open_dialog(page, page.locator("#sk-unassign-form").get_by_role("button", name=t("Unassign")))
    check("Seat Usage, Unassign confirmation")
    dialog(page).locator(".modal-footer button[type=submit]").click()
    expect(page.locator(".sk-messages .sk-undo-form")).to_be_visible()
    check("Seat Usage, a message with Undo")
    page.locator(".sk-messages .sk-undo-form").get_by_role("button", name=t("Undo")).click()
    expect(page.locator(".sk-messages .alert-success")).to_be_visible()
    expect(page.locator(".sk-messages .sk-undo-form")).to_have_count(0)
    check("Seat Usage, undone")
    visit("Activity log", reverse("activity:event-list", kwargs=team))
    visit("Contracts", reverse("subscriptions:contract-list", kwargs=team))

    # Team settings, with Rename and Create team.
    visit("Team settings", reverse("team_settings:team-settings", kwargs=team))
    open_dialog(page, page.get_by_role("link", name=t("Rename")))
    check("Rename")
    close_dialog(page)
    open_dialog(page, page.locator("main a[href$='/settings/create/']"))
    check("Create team")
    close_dialog(page)

    # By Group (issue 20): the list, a group's page (members, a product, a member waiting for a seat)
    # and its dialogs, the seats preview of "Assign product" among them.
    group = group_create(team=world.team, name="CAD", description="Drawings and models", actor=None)
    group_members_add(group=group, members=[world.primary, world.secondary, world.user, world.guest], actor=None)
    group_product_assign(group=group, product=world.product, actor=None)
    group_product_assign(group=group, product=cloud, actor=None)  # 1 seat free for 3: 2 wait
    group_create(team=world.team, name="Empty group", actor=None)
    visit("By Group", reverse("groups:group-list", kwargs=team))
    open_dialog(page, page.locator("main").get_by_role("link", name=t("Create group")))
    check("Create group")
    close_dialog(page)
    visit("a group page", reverse("groups:group-detail", kwargs={**team, "group_id": group.pk}))
    open_dialog(page, page.get_by_role("link", name=t("Add members")))
    check("Add members")
    dialog(page).get_by_label(t("Search by name or e-mail")).press_sequentially("ni", delay=40)
    expect(dialog(page).locator("input[name=members]").first).to_be_visible()
    dialog(page).locator("input[name=members]").first.check()
    dialog(page).get_by_role("button", name=t("Add"), exact=True).click()
    expect(dialog(page).get_by_role("button", name=t("Confirm"))).to_be_visible()
    check("Add members, the seats preview")
    close_dialog(page)
    open_dialog(page, page.get_by_role("link", name=t("Import members")))
    check("Import members")
    close_dialog(page)
    open_dialog(page, page.get_by_role("link", name=t("Assign product")))
    check("Assign product")
    close_dialog(page)
    open_dialog(page, page.locator("main a[href$='/items/']").first)
    check("Change items of a group")
    close_dialog(page)
    open_dialog(page, page.locator("main a[href$='/unassign/']").first)
    check("Unassign from a group")
    close_dialog(page)
    open_dialog(page, page.locator("main td a[href*='/members/remove/']").first)
    check("Remove from group")
    close_dialog(page)
    open_dialog(page, page.locator("main .sk-page-actions").get_by_role("link", name=t("Delete")))
    check("Delete group")
    close_dialog(page)

    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
    assert page.problems == []


def tab_to(page, locator, *, most: int = 60):
    """Press Tab until `locator` has the focus, as someone with a keyboard would (at most `most` times)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{locator} never had the focus after {most} presses of Tab")


def test_focus_goes_back_to_the_button_that_opened_a_dialog(signed_in, world):
    furnish(world)
    page = signed_in("en", 1280)
    team = {"team_id": world.team.pk}

    # Change role, opened with the keyboard and closed with Escape: the focus is on "Change role" again.
    page.goto(reverse("teams:member-detail", kwargs={**team, "member_id": world.user.pk}))
    change_role = page.get_by_role("link", name="Change role")
    tab_to(page, change_role)
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    expect(page.get_by_role("dialog", name="Change role")).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    expect(change_role).to_be_focused()

    # Save: the page loads again, and the focus is on "Change role" there.
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    dialog(page).get_by_label("Secondary admin").check()
    dialog(page).get_by_role("button", name="Save").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("is now a secondary admin.")
    expect(page.get_by_role("link", name="Change role")).to_be_focused()

    # A tab of Invite swapped in the dialog: the focus is on the dialog's title, so Escape still closes it.
    page.goto(reverse("teams:member-list", kwargs=team))
    invite = page.locator("main").get_by_role("link", name="Invite users")
    tab_to(page, invite)
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    dialog(page).get_by_role("link", name="Invite Multiple").focus()
    page.keyboard.press("Enter")
    expect(dialog(page).get_by_role("link", name="Invite Multiple")).to_have_attribute("aria-current", "page")
    expect(dialog(page).locator("#sk-dialog-title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    expect(invite).to_be_focused()
    assert page.problems == []
