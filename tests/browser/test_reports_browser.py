"""Reporting › Seat Usage in a real browser (R-R1..R-R3): choosing a range, switching tabs,
downloading the CSV and reclaiming a seat not used. Screenshots in
test-artifacts/screens/reports-*.png."""

import csv
import io
import random
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from licensing.reports.forms import past_days, past_months
from licensing.subscriptions.models import Assignment
from tests.browser.conftest import SCREENS
from tests.factories import (
    AssignmentFactory,
    MemberFactory,
    ProductFactory,
    SeatUsageFactory,
    SubscriptionFactory,
)
from tests.teams.test_member_views import give_names

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PEOPLE = [
    ("Sanne", "Visser"), ("Pieter", "Smit"), ("Fleur", "Mulder"), ("Bram", "Bos"), ("Noor", "Kok"),
    ("Lars", "Maas"), ("Iris", "Prins"), ("Ruben", "Vos"),
]  # fmt: skip


def furnish(world):
    """A team that worked with two products over the past four months, on weekdays mostly; Gerrit
    Gast holds a DraftPro seat he has not used for months."""
    give_names(world)
    today = timezone.localdate()
    world.subscription.seats = 12
    world.subscription.save(update_fields=["seats"])
    render = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    SubscriptionFactory(team=world.team, product=render, seats=6, contract__manager=world.primary.user)
    members = [world.primary, world.secondary, world.user]
    members += [MemberFactory(team=world.team, user__first_name=f, user__last_name=last) for f, last in PEOPLE]
    rng = random.Random("reports-browser")
    for n, member in enumerate(members):
        products = [world.product] + ([render] if n % 3 == 0 else [])
        for product in products:
            AssignmentFactory(member=member, product=product, assigned_at=timezone.now() - timedelta(days=150))
            keen = rng.uniform(0.4, 0.95) * (0.5 if product == render else 1)
            for ago in range(1, 125):
                day = today - timedelta(days=ago)
                if rng.random() < keen * (0.08 if day.weekday() >= 5 else 1):
                    SeatUsageFactory(user=member.user, product=product, team=world.team, day=day)
    AssignmentFactory(member=world.guest, product=world.product, assigned_at=timezone.now() - timedelta(days=200))
    SeatUsageFactory(user=world.guest.user, product=world.product, team=world.team, day=today - timedelta(days=140))
    return render


def sign_in(page, email="primary@example.com"):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def dates(period) -> str:
    return f"{date_format(period.start, 'j M Y')} – {date_format(period.end, 'j M Y')}"


def test_an_admin_reads_the_report_over_a_range_and_switches_tabs(page, world, screenshot):
    # R-R1, R-R3
    furnish(world)
    today = timezone.localdate()
    sign_in(page, "secondary@example.com")
    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-sidebar").get_by_role("link", name="Seat Usage").click()
    expect(page.get_by_role("heading", level=1, name="Seat Usage")).to_be_visible()
    lede = page.locator("[data-report-period]")
    expect(lede).to_contain_text(dates(past_days(30, today=today)))
    expect(lede).to_contain_text("30 days")
    expect(page.locator("svg.sk-chart")).to_have_count(2)
    screenshot(page, "reports-by-product")
    page.locator(f"#chart-{world.product.pk}").screenshot(path=str(SCREENS / "reports-chart.png"))

    # A range applies as soon as it is chosen, and the page says which dates it covers.
    page.get_by_label("Time range", exact=True).select_option(label="Past 3 months")
    expect(lede).to_contain_text(dates(past_months(3, today=today)))
    expect(page).to_have_url(re.compile(r"range=3m"))
    assert "start=" not in page.url  # the hidden dates are not sent

    # A custom range shows its dates first.
    page.get_by_label("Time range", exact=True).select_option(label="Custom range")
    start, end = today - timedelta(days=60), today - timedelta(days=47)
    page.get_by_label("From", exact=True).fill(start.isoformat())
    page.get_by_label("To", exact=True).fill(end.isoformat())
    page.get_by_role("button", name="Show report").click()
    expect(lede).to_contain_text(f"{date_format(start, 'j M Y')} – {date_format(end, 'j M Y')}")
    expect(lede).to_contain_text("14 days")

    # By User keeps the range.
    tabs = page.get_by_role("navigation", name="Report views")
    tabs.get_by_role("link", name="By User").click()
    expect(tabs.get_by_role("link", name="By User")).to_have_attribute("aria-current", "page")
    expect(lede).to_contain_text("14 days")
    expect(page.get_by_role("row", name=re.compile("Gerrit Gast"))).to_contain_text("before this range")
    screenshot(page, "reports-by-user")
    tabs.get_by_role("link", name="By Product").click()
    expect(page.locator("svg.sk-chart")).to_have_count(2)
    assert page.problems == []


def test_an_admin_downloads_the_by_user_csv(page, world):
    # R-R2
    furnish(world)
    sign_in(page)
    page.goto(reverse("reports:seat-usage", kwargs={"team_id": world.team.pk}) + "?tab=users&q=gast")
    with page.expect_download() as info:
        page.get_by_role("link", name="Export as CSV").click()
    download = info.value
    today = timezone.localdate()
    period = past_days(30, today=today)
    assert download.suggested_filename == f"seat-usage-design-{period.start}-to-{period.end}-users.csv"
    body = download.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == [
        "team", "product", "user_email", "first_name", "last_name", "days_used", "last_used", "assigned_on",
    ]  # fmt: skip
    assert [row[:6] for row in table[1:]] == [["Design", "DraftPro", "guest@example.com", "Gerrit", "Gast", "0"]]
    assert page.problems == []


def test_an_admin_reclaims_a_seat_not_used(page, world, screenshot):
    # R-R1: the seats assigned but not used, "Unassign" for the selected rows.
    furnish(world)
    sign_in(page)
    page.goto(reverse("reports:seat-usage", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-kpi-link").click()  # "Assigned but not used": the By User tab, filtered
    expect(page.get_by_label("Assigned but not used in this range")).to_be_checked()
    row = page.get_by_role("row", name=re.compile("Gerrit Gast"))
    expect(row).to_contain_text("DraftPro")
    unassign = page.locator("[data-bulk-form]").get_by_role("button", name="Unassign")
    expect(unassign).to_be_disabled()
    page.get_by_label("Select DraftPro of Gerrit Gast").check()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    # A focused checkbox is painted white by portal.css (".form-check-input:focus"), ticked or not.
    page.evaluate("document.activeElement.blur()")
    page.wait_for_timeout(300)  # the checkbox's transition, for the screenshot
    screenshot(page, "reports-reclaim-selected", full_page=False)
    unassign.click()
    # It asks first (issue 22): the seat ticked, and "Cancel" changes nothing.
    confirm = page.get_by_role("dialog", name="Unassign 1 seat?")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Gerrit Gast")
    expect(confirm).to_contain_text("DraftPro")
    screenshot(page, "reports-reclaim-confirm", full_page=False)
    confirm.get_by_role("link", name="Cancel").click()
    expect(confirm).to_be_hidden()
    assert Assignment.objects.filter(member=world.guest).exists()
    unassign.click()
    confirm.get_by_role("button", name="Unassign 1 seat").click()
    expect(page.get_by_role("status")).to_contain_text("1 seat unassigned.")
    expect(page.get_by_role("row", name=re.compile("Gerrit Gast"))).to_have_count(0)
    expect(page.get_by_label("Assigned but not used in this range")).to_be_checked()  # still filtered
    assert not Assignment.objects.filter(member=world.guest).exists()
    screenshot(page, "reports-reclaim-done", full_page=False)
    # "Undo" in the message: the seat back, and the row with it.
    page.get_by_role("status").get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text("1 restored: Gerrit Gast – DraftPro.")
    expect(page.get_by_role("row", name=re.compile("Gerrit Gast"))).to_have_count(1)
    assert Assignment.objects.filter(member=world.guest).exists()
    screenshot(page, "reports-reclaim-undone", full_page=False)
    assert page.problems == []


@pytest.mark.parametrize(("lang", "width"), [("en", 1280), ("nl", 375)])
def test_the_daily_figures_open_without_javascript_and_fit_the_card(browser, live_server, world, lang, width):
    # R-R1, issue 22: the chart's figures as a table for whoever cannot see the SVG: a <details>, which
    # opens without JavaScript; the table stays inside its card on a phone, and axe finds nothing.
    from django.test import Client

    from tests.browser.test_accessibility import LOCALES, axe_violations

    furnish(world)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 860},
        locale=LOCALES[lang],
        java_script_enabled=False,
        reduced_motion="reduce",
    )
    client = Client()
    client.force_login(world.primary.user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(reverse("reports:seat-usage", kwargs={"team_id": world.team.pk}))
    chart = page.locator(f"#chart-{world.product.pk}")
    summary = chart.locator("summary")
    expect(summary).to_have_text("Daily figures" if lang == "en" else "Cijfers per dag")
    table = chart.get_by_role("table")
    expect(table).to_be_hidden()
    summary.click()
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_contain_text("DraftPro")
    expect(table.locator("tbody tr")).to_have_count(30)  # the past 30 days, a row each
    assert chart.locator("svg.sk-chart").get_attribute("role") == "img"
    # The card clips what overflows it: the table's right edge must be inside the box around it.
    over = table.evaluate(
        """t => {
          const box = t.closest("details");
          const inside = box.getBoundingClientRect().right - parseFloat(getComputedStyle(box).paddingRight);
          return t.getBoundingClientRect().right - inside;
        }"""
    )
    assert over <= 0.5, f"the table is {over} px wider than its box"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # axe-core runs as a script of the page: it needs JavaScript, which a second context has.
    context.close()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": width, "height": 860}, locale=LOCALES[lang]
    )
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(reverse("reports:seat-usage", kwargs={"team_id": world.team.pk}))
    page.locator(f"#chart-{world.product.pk} summary").click()
    assert axe_violations(page, f"Seat Usage, daily figures open [{lang}, {width} px]") == []
    context.close()
