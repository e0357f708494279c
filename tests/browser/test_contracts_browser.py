"""Billing & Orders › Contracts in a real browser (R-T12): from the sidebar to the list, reading the
"Teams" column as the primary admin (admin of both teams) and as a secondary admin of one, the
expiring highlight, a filter that submits on change, a contract's page and a phone-sized screen.
Screenshots in test-artifacts/screens/contracts-*.png."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.subscriptions.models import Subscription
from tests.factories import ContractFactory, ProductFactory, SubscriptionFactory
from tests.teams.test_member_views import give_names

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def days(n: int):
    return timezone.localdate() + timedelta(days=n)


def furnish(world):
    """Three contracts as a customer would have them: one shared by Design and Engineering with a
    product expiring in 55 days, one managed by Engineering with a product in Design, one ended."""
    give_names(world)
    contract = world.subscription.contract
    contract.number = "1100004217"
    contract.save(update_fields=["number"])
    world.subscription.seats, world.subscription.term_start, world.subscription.term_end = 12, days(-30), days(335)
    world.subscription.save(update_fields=["seats", "term_start", "term_end"])
    render = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    suite = ProductFactory(code="bim-suite", name="BIM Collection", kind="collection")
    SubscriptionFactory(
        contract=contract,
        team=world.other_team,
        product=render,
        seats=25,
        plan=Subscription.Plan.PREMIUM,
        term_start=days(-310),
        term_end=days(55),
    )
    SubscriptionFactory(
        contract=contract, team=world.team, product=suite, seats=4, term_start=days(-30), term_end=days(335)
    )
    engineering = ContractFactory(team=world.other_team, number="1100005530", manager=world.primary.user)
    SubscriptionFactory(
        contract=engineering,
        team=world.team,
        product=render,
        seats=10,
        plan=Subscription.Plan.PAY_PER_USE,
        term_start=days(-100),
        term_end=days(265),
    )
    SubscriptionFactory(contract=engineering, team=world.other_team, product=suite, seats=8, term_end=days(265))
    SubscriptionFactory(
        team=world.team,
        product=ProductFactory(name="DraftPro 2024"),
        seats=3,
        contract__number="0900001288",
        contract__manager=world.secondary.user,
        term_start=days(-500),
        term_end=days(-135),
    )


def sign_in(page, email="primary@example.com"):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def teams_column(page, number: str) -> list[tuple[str, str]]:
    """(product, team) of each row of contract `number`, read from the "Teams" column."""
    card = page.locator("article", has=page.get_by_role("heading", name=number))
    headers = card.locator("thead th").all_inner_texts()
    teams_at = [h.strip().lower() for h in headers].index("teams")
    rows = []
    for row in card.locator("tbody tr").all():
        product = row.locator("th .sk-contract-product").inner_text().strip()
        team = row.locator("> *").nth(teams_at).locator(".sk-team-chip").inner_text().strip()
        rows.append((product, team))
    return rows


def test_the_teams_column_says_which_team_each_product_belongs_to(page, world, screenshot):
    # R-T12
    furnish(world)
    sign_in(page)
    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-sidebar").get_by_role("link", name="Contracts").click()
    expect(page.get_by_role("heading", level=1, name="Contracts")).to_be_visible()
    expect(page.locator(".sk-sidebar").get_by_role("link", name="Contracts")).to_have_class(re.compile("active"))

    assert teams_column(page, "1100004217") == [
        ("BIM Collection", "Design"),
        ("DraftPro", "Design"),
        ("RenderCloud", "Engineering"),
    ]
    assert teams_column(page, "1100005530") == [("BIM Collection", "Engineering"), ("RenderCloud", "Design")]
    shared = page.locator("article", has=page.get_by_role("heading", name="1100004217"))
    expiring = shared.locator("tr.sk-row-expiring")
    expect(expiring).to_have_count(1)
    expect(expiring).to_contain_text("RenderCloud")
    expect(expiring).to_contain_text("Expires in 55 days")
    expect(shared).to_contain_text(f"Renews on {days(335):%-d %b %Y}")
    ended = page.locator("article", has=page.get_by_role("heading", name="0900001288"))
    expect(ended).to_contain_text(f"Ended on {days(-135):%-d %b %Y}")
    screenshot(page, "contracts-list")

    # A filter submits as soon as it changes.
    page.get_by_label("Team", exact=True).select_option(label="Engineering")
    expect(page).to_have_url(re.compile(r"team=\d+"))
    assert teams_column(page, "1100004217") == [("RenderCloud", "Engineering")]
    expect(shared).to_contain_text("2 more products on this contract do not match the filters.")
    screenshot(page, "contracts-filtered")

    # A contract's page: every product with its team.
    shared.get_by_role("link", name="Show the whole contract").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contract 1100004217")
    assert teams_column(page, "1100004217") == [
        ("BIM Collection", "Design"),
        ("DraftPro", "Design"),
        ("RenderCloud", "Engineering"),
    ]
    screenshot(page, "contracts-detail")
    assert page.problems == []


def test_a_secondary_admin_reads_another_teams_product_by_its_team_only(page, world, screenshot):
    # R-T12, SPEC §2: Anna administers Design only.
    furnish(world)
    sign_in(page, "secondary@example.com")
    page.goto(reverse("subscriptions:contract-list", kwargs={"team_id": world.team.pk}))
    assert teams_column(page, "1100004217") == [
        ("BIM Collection", "Design"),
        ("DraftPro", "Design"),
        ("RenderCloud", "Engineering"),
    ]
    shared = page.locator("article", has=page.get_by_role("heading", name="1100004217"))
    restricted = shared.locator("tr.sk-row-restricted")
    expect(restricted).to_have_count(1)
    expect(restricted).to_contain_text("Seats, plan and term are shown to the admins of Engineering.")
    expect(restricted).not_to_contain_text("Premium")
    expect(shared.locator("tr.sk-row-expiring")).to_have_count(0)
    screenshot(page, "contracts-secondary")
    assert page.problems == []


def test_contracts_on_a_small_laptop_and_a_phone(page, world, screenshot):
    furnish(world)
    sign_in(page)
    url = reverse("subscriptions:contract-list", kwargs={"team_id": world.team.pk})
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(url)
    # The table fits its card (the sidebar is a panel behind the top bar's button below 1200 px).
    table = page.locator(".table-responsive").first
    assert table.evaluate("el => el.scrollWidth <= el.clientWidth")
    screenshot(page, "contracts-laptop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url)
    expect(page.get_by_role("heading", level=1, name="Contracts")).to_be_visible()
    # The page itself does not scroll sideways; wide tables scroll inside their card.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "contracts-phone")
    # Each product is a block of its own, its details labelled.
    shared = page.locator("article", has=page.get_by_role("heading", name="1100004217"))
    shared.locator("tbody tr").first.scroll_into_view_if_needed()
    expect(shared.locator("tr.sk-row-expiring td.sk-col-seats")).to_be_visible()
    screenshot(page, "contracts-phone-card", full_page=False)
    assert page.problems == []
