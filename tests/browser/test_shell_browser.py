"""The shell in a real browser: sign in through the form, My products, the team switcher, sign out,
with screenshots of the sign-in page, the home page and a team page in test-artifacts/screens/."""

import re

import pytest
from django.urls import reverse

from licensing.teams.models import Member
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def furnish(world):
    """Give the world what a screenshot should show: downloads, a cloud product, a second team with
    its own subscription and people."""
    world.product.download_url = "https://downloads.example.com/draftpro/setup.exe"
    world.product.save(update_fields=["download_url"])
    mine = AssignmentFactory(member=world.primary, product=world.product)
    mine.items.set(world.items)
    AssignmentFactory(member=world.user, product=world.product).items.set(world.items[:1])

    cloud = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    ProductItemFactory(product=cloud, code="render-credits", name="Render credits", kind="service")
    SubscriptionFactory(team=world.other_team, product=cloud, seats=10, contract__manager=world.primary.user)
    engineer = MemberFactory(team=world.other_team, role=Member.Role.SECONDARY_ADMIN, user__email="eng@example.com")
    AssignmentFactory(member=engineer, product=cloud)
    own = Member.objects.get(team=world.other_team, user=world.primary.user)
    AssignmentFactory(member=own, product=cloud).items.set(cloud.items.all())
    for _ in range(3):
        MemberFactory(team=world.other_team)


def test_an_admin_signs_in_sees_their_products_switches_team_and_signs_out(page, world, screenshot):
    furnish(world)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("E-mail address").fill("Primary@Example.COM")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    products = page.locator("section", has=page.get_by_role("heading", name="My products"))
    expect(products.get_by_role("heading", name="DraftPro")).to_be_visible()
    expect(products.get_by_text("Cloud rendering")).to_be_visible()
    expect(products.get_by_role("link", name=re.compile("Download"))).to_have_attribute(
        "href", "https://downloads.example.com/draftpro/setup.exe"
    )
    expect(products.get_by_role("heading", name="RenderCloud")).to_be_visible()
    expect(page.get_by_role("heading", name="Teams you manage")).to_be_visible()
    screenshot(page, "home")

    page.get_by_role("button", name=re.compile("Current team")).click()
    menu = page.locator(".sk-team-menu")
    expect(menu.get_by_role("link")).to_have_count(2)
    screenshot(page, "team-switcher", full_page=False)
    menu.get_by_role("link", name=re.compile("Engineering")).click()

    expect(page).to_have_url(re.compile(reverse("team-home", kwargs={"team_id": world.other_team.pk}) + "$"))
    expect(page.get_by_role("heading", level=1, name="Engineering")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Current team"))).to_contain_text("Engineering")
    expect(page.get_by_role("row", name=re.compile("RenderCloud"))).to_contain_text("10")
    screenshot(page, "team")

    page.locator("#sk-user-menu").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    screenshot(page, "user-menu", full_page=False)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text("You have been signed out.")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    assert page.problems == []  # no CSP violation, no JavaScript error on the way


def test_a_wrong_password_keeps_you_on_the_sign_in_page(page, world, screenshot):
    page.goto(reverse("login"))
    page.get_by_label("E-mail address").fill("user@example.com")
    page.get_by_label("Password").fill("not-it")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
    screenshot(page, "login-error")
    assert page.problems == []


def test_on_a_phone_the_navigation_opens_from_the_menu_button(page, world, screenshot):
    furnish(world)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("login"))
    page.get_by_label("E-mail address").fill("primary@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My products")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out sideways
    screenshot(page, "home-phone")

    sidebar = page.locator("#sk-sidebar")
    expect(sidebar).not_to_be_visible()
    page.get_by_role("button", name="Open navigation").click()
    expect(sidebar.get_by_role("link", name="Team overview")).to_be_visible()
    # The panel slides in (wait_for_function would need 'unsafe-eval', which the CSP refuses).
    expect(sidebar).not_to_have_class(re.compile(r"\bshowing\b"))
    expect(page.locator(".offcanvas-backdrop.show")).to_be_visible()
    page.wait_for_timeout(350)
    screenshot(page, "navigation-phone", full_page=False)
    sidebar.get_by_role("link", name="Team overview").click()
    expect(page.get_by_role("heading", level=1, name="Design")).to_be_visible()
    screenshot(page, "team-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.problems == []


def test_a_forgotten_password_is_asked_for_by_email(page, world, screenshot):
    page.goto(reverse("login"))
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    screenshot(page, "password-reset")
    page.get_by_label("E-mail address").fill("user@example.com")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()
    assert page.problems == []


def test_a_member_who_is_no_admin_is_told_so_on_a_team_page(page, world, screenshot):
    page.goto(reverse("login"))
    page.get_by_label("E-mail address").fill("user@example.com")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My products")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Current team"))).to_have_count(0)

    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    expect(page.get_by_role("heading", level=1)).to_have_text("You don't have access to this page")
    screenshot(page, "forbidden")
    assert [problem for problem in page.problems if "403" not in problem] == []


def test_every_menu_and_the_navigation_work_without_javascript_on_a_phone(browser, live_server, world, screenshot):
    # Issue 22: without JavaScript the menu buttons of the top bar are links to plain pages (the
    # account, the language, the teams) and the navigation toggle shows the sidebar (nojs.css).
    furnish(world)
    context = browser.new_context(
        base_url=live_server.url, java_script_enabled=False, viewport={"width": 375, "height": 812}, locale="en-GB"
    )
    page = context.new_page()
    try:
        page.goto(reverse("login"))
        page.get_by_label("E-mail address").fill("primary@example.com")
        page.get_by_label("Password").fill("pw")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="My products")).to_be_visible()

        # The navigation, from a team's page.
        page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
        sidebar = page.locator("#sk-sidebar")
        expect(sidebar).not_to_be_visible()
        page.get_by_role("button", name="Open navigation").click()
        expect(sidebar.get_by_role("link", name="By Product")).to_be_visible()
        screenshot(page, "nojs-navigation-phone", full_page=False)
        sidebar.get_by_role("button", name="Close navigation").click()
        expect(sidebar).not_to_be_visible()
        page.get_by_role("button", name="Open navigation").click()
        sidebar.get_by_role("link", name="By Product").click()
        expect(page.get_by_role("heading", level=1, name="By Product")).to_be_visible()

        # The team switcher: the home page's teams.
        page.get_by_role("button", name=re.compile("Current team")).click()
        expect(page.get_by_role("heading", name="Teams you manage")).to_be_visible()
        page.get_by_role("link", name="Engineering").click()
        expect(page.get_by_role("heading", level=1, name="Engineering")).to_be_visible()

        # The language: a page with the choices, back where one was, in Dutch.
        page.get_by_role("button", name="Language").click()
        expect(page.get_by_role("heading", level=1, name="Language")).to_be_visible()
        screenshot(page, "nojs-language-phone", full_page=False)
        page.get_by_role("button", name="Nederlands").click()
        expect(page.get_by_role("heading", level=1, name="Engineering")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "nl")

        # The account menu: a page with its links and Sign out.
        page.get_by_role("button", name="Accountmenu").click()
        expect(page.get_by_role("link", name="Mijn producten")).to_be_visible()
        screenshot(page, "nojs-account-phone", full_page=False)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.get_by_role("button", name="Afmelden").click()
        expect(page).to_have_url(re.compile(r"/accounts/(login|logout)/"))
    finally:
        context.close()
