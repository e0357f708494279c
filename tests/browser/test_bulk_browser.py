"""By User's "Select all 30 users that match" and the bulk actions on them in a real browser (issue 22):
tick the page, the banner offers all that match, "Change role" for all of them, in English and Dutch; and
the same without JavaScript through plain links and pages. Screenshots in
test-artifacts/screens/bulk-*.png (the banner and the dialogs at 1280 and 375 px are also the axe
matrix's, a11y-*.png)."""

import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from licensing.teams.models import Member
from tests.browser.conftest import TIMEOUT_MS, motion
from tests.factories import MemberFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

LOCALES = {"en": "en-GB", "nl": "nl-NL"}


def crowd(world) -> list[Member]:
    """Thirty users at crowd.example: more than a page of 25."""
    return [
        MemberFactory(
            team=world.team, user__email=f"c{n:02}@crowd.example", user__first_name="Crowd", user__last_name=f"{n:02}"
        )
        for n in range(30)
    ]


@pytest.fixture
def admin_page(browser, live_server, world, request):
    """`admin_page(lang, width)`: the primary admin's browser in `lang` at `width` px."""
    contexts = []

    def make(lang: str, width: int = 1280, *, javascript: bool = True):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 860},
            locale=LOCALES[lang],
            reduced_motion=motion(request),
            java_script_enabled=javascript,
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


def settled(page):
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    page.wait_for_timeout(400)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_select_all_that_match_then_change_their_role(admin_page, world, lang, screenshot):
    # R-SA1: all 30 that match the search become secondary admins; nobody else changes (R-PA1).
    people = crowd(world)

    def t(text: str, **values) -> str:
        with translation.override(lang):
            return gettext(text) % values if values else gettext(text)

    def n(singular: str, plural: str, number: int, **values) -> str:
        with translation.override(lang):
            return ngettext(singular, plural, number) % values

    for width in (1280, 375):
        page = admin_page(lang, width)
        page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}) + "?q=crowd&per_page=25")
        banner = page.locator("[data-select-banner]")
        expect(banner).to_be_hidden()
        page.get_by_label(t("Select all users on this page")).check()
        expect(banner).to_contain_text(
            n(
                "The %(people)s user on this page is selected.",
                "All %(people)s users on this page are selected.",
                25,
                people="25",
            )
        )
        screenshot(page, f"bulk-banner-page-{lang}-{width}", full_page=False)
        page.get_by_role("link", name=t("Select all %(total)s users that match", total="30")).click()
        expect(banner).to_contain_text(t("All %(total)s users that match are selected.", total="30"))
        expect(page.locator("[data-selected-count]")).to_have_text(t("All %(total)s selected", total="30"))
        expect(page.get_by_role("link", name=t("Clear selection"))).to_be_focused()
        screenshot(page, f"bulk-banner-all-{lang}-{width}", full_page=False)
        page.locator("[data-bulk-form] button[value=role]").click()
        heading = n("Change the role of %(people)s user", "Change the role of %(people)s users", 30, people="30")
        expect(page.locator("#sk-dialog").get_by_role("heading", name=heading)).to_be_visible()
        settled(page)
        screenshot(page, f"bulk-role-dialog-{lang}-{width}", full_page=False)
        if width == 375:  # the narrow one only looks; the wide one acts
            page.locator("#sk-dialog .modal-header .btn-close").click()
            expect(page.locator("#sk-dialog")).to_be_hidden()
            assert page.problems == []
            continue
        page.locator("#sk-dialog").get_by_label(t("Secondary admin")).check()
        page.locator("#sk-dialog").get_by_role("button", name=t("Change role")).click()
        expect(page.locator(".sk-messages")).to_contain_text(
            n(
                "%(count)d user is now %(role)s",
                "%(count)d users are now %(role)s",
                30,
                count=30,
                role=t("Secondary admin"),
            )
        )
        expect(page).to_have_url(re.compile(r"\?q=crowd&per_page=25$"))
        screenshot(page, f"bulk-role-result-{lang}-{width}", full_page=False)
        assert page.problems == []

    assert Member.objects.filter(pk__in=[m.pk for m in people], role=Member.Role.SECONDARY_ADMIN).count() == 30
    world.user.refresh_from_db()
    assert world.user.role == Member.Role.USER


def test_select_all_that_match_and_delete_without_javascript(admin_page, world, screenshot):
    # R-D1, R-D2: the link reloads the list with select=all; the confirmation is a page that counts them.
    people = crowd(world)
    page = admin_page("en", 1280, javascript=False)
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}) + "?q=crowd&per_page=25")
    page.get_by_role("link", name="Select all 30 users that match").click()
    expect(page).to_have_url(re.compile(r"select=all"))
    expect(page.locator("[data-select-banner]")).to_contain_text("All 30 users that match are selected.")
    screenshot(page, "bulk-nojs-all-selected", full_page=False)
    page.locator("[data-bulk-form]").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete 30 users?")).to_be_visible()
    expect(page.get_by_text("and 10 more")).to_be_visible()
    screenshot(page, "bulk-nojs-delete-confirmation", full_page=False)
    page.get_by_role("button", name="Delete 30 users").click()
    expect(page.locator(".sk-messages")).to_contain_text("30 deleted.")
    assert not Member.objects.filter(pk__in=[m.pk for m in people]).exists()
    assert Member.objects.filter(pk=world.user.pk).exists()
