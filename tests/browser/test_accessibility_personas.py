"""axe-core over the screens of the other personas (issue 22), beside the primary admin's matrix in
test_accessibility.py: a person without rights (home, My products, the account and language pages,
Change password, Two-step sign-in), a secondary admin (the team's screens as they see them), support
staff in the Django admin (the index, a team with its members inline, a member, a subscription, the
activity log), and a visitor (sign-in, password reset). English and Dutch, at the four widths of the
matrix (375, 768, 1280, 1920 px), no violation of any impact."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.browser.conftest import TIMEOUT_MS, motion
from tests.browser.test_accessibility import AXE_OPTIONS, LOCALES, WIDTHS, axe_violations
from tests.browser.test_by_product_browser import furnish

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

assert AXE_OPTIONS  # the same rules as the primary admin's matrix


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_screens_of_every_other_persona_have_no_axe_violation(browser, live_server, world, request, lang, width):
    furnish(world)
    team = {"team_id": world.team.pk}
    staff = world.staff
    personas = {
        "visitor": (None, [reverse("login"), reverse("password_reset")]),
        "user": (
            world.user.user,
            [
                reverse("home"),
                reverse("my-products"),
                reverse("account"),
                reverse("accounts:language-set"),
                reverse("password_change"),
                reverse("mfa_index"),
            ],
        ),
        "secondary admin": (
            world.secondary.user,
            [
                reverse("team-home", kwargs=team),
                reverse("teams:member-list", kwargs=team),
                reverse("teams:member-detail", kwargs={**team, "member_id": world.user.pk}),
                reverse("subscriptions:product-list", kwargs=team),
                reverse("subscriptions:contract-list", kwargs=team),
                reverse("team_settings:team-settings", kwargs=team),
                reverse("reports:seat-usage", kwargs=team),
            ],
        ),
        "support staff": (
            staff,
            [
                reverse("admin:index"),
                reverse("admin:teams_team_change", args=[world.team.pk]),
                reverse("admin:teams_member_change", args=[world.user.pk]),
                reverse("admin:subscriptions_subscription_change", args=[world.subscription.pk]),
                reverse("admin:teams_team_changelist"),
                reverse("admin:activity_activityevent_changelist"),
            ],
        ),
    }
    found: list[str] = []
    for persona, (user, urls) in personas.items():
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": WIDTHS.get(width, 860)},
            locale=LOCALES[lang],
            reduced_motion=motion(request),
        )
        try:
            if user is not None:
                client = Client()
                client.force_login(user)
                context.add_cookies(
                    [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
                )
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            for url in urls:
                response = page.goto(url)
                assert response.status == 200, f"{persona}: {url} answered {response.status}"
                expect(page.locator("html")).to_have_attribute("lang", lang)
                found.extend(axe_violations(page, f"{persona}: {url} [{lang}, {width} px]"))
        finally:
            context.close()
    assert not found, f"{len(found)} axe violations:\n" + "\n".join(found)
