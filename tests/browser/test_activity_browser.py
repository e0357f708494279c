"""Reporting › Activity log in a real browser: open it from the navigation, filter it (a list filter
applies at once, the search and dates with "Filter"), narrow it to a person by their name, and
download "Export as CSV" with the same filters. Screenshots in test-artifacts/screens/activity-*.png."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.accounts.services import member_invite
from licensing.activity.models import ActivityEvent
from licensing.activity.tables import CSV_HEADER
from licensing.subscriptions.services import (
    assignment_create,
    assignment_update,
    subscription_renew,
    subscription_set_seats,
)
from licensing.teams.models import Member
from licensing.teams.services import member_change_role, member_set_guest, team_rename

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PEOPLE = [
    ("Jan", "de Vries", "primary"),
    ("Anna", "Bakker", "secondary"),
    ("David", "de Jong", "user"),
    ("Gerrit", "Gast", "guest"),
]


def furnish(world):
    """A few weeks of a team's life, written by the services themselves, then spread over days."""
    for first, last, persona in PEOPLE:
        user = getattr(world, persona).user
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    jan, anna = world.primary.user, world.secondary.user
    world.staff.first_name, world.staff.last_name = "Sam", "Support"
    world.staff.save(update_fields=["first_name", "last_name"])

    subscription_set_seats(subscription=world.subscription, seats=10, actor=world.staff)
    member_invite(team=world.team, email="sanne@example.com", first_name="Sanne", last_name="Visser", actor=jan)
    assignment = assignment_create(member=world.user, product=world.product, actor=jan)
    assignment_create(member=world.guest, product=world.product, items=[world.items[1]], actor=anna)
    assignment_update(assignment=assignment, items=[world.items[0]], actor=anna)
    member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=jan)
    member_set_guest(member=world.guest, is_guest=False, actor=anna)
    subscription_renew(subscription=world.subscription, term_end=world.subscription.term_end.replace(year=2028))
    member_change_role(member=world.user, role=Member.Role.USER, actor=anna)
    team_rename(team=world.team, name="Ontwerp", actor=anna)

    # Oldest first, one or two days apart, with the addresses and origins a real log has.
    now = timezone.localtime()
    events = list(ActivityEvent.objects.filter(team=world.team).order_by("pk"))
    for n, event in enumerate(events):
        event.created_at = (now - datetime.timedelta(days=2 * (len(events) - n), hours=n)).replace(microsecond=0)
        if event.actor_id == world.staff.pk:
            event.via, event.ip_address = ActivityEvent.Via.ADMIN, "10.20.0.5"
        elif event.actor_id:
            event.via, event.ip_address = ActivityEvent.Via.PORTAL, f"203.0.113.{10 + n}"
        event.save(update_fields=["created_at", "via", "ip_address"])
    return events


def sign_in(page, email="primary@example.com"):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def table_rows(page):
    return page.locator(".sk-log-table tbody tr")


def test_an_admin_filters_the_log_and_downloads_it_as_csv(page, world, screenshot, tmp_path):
    events = furnish(world)
    sign_in(page, "secondary@example.com")

    # From the navigation: Reporting › Activity log.
    page.goto(reverse("team-home", kwargs={"team_id": world.team.pk}))
    page.locator(".sk-sidebar").get_by_role("link", name="Activity log").click()
    expect(page.get_by_role("heading", level=1, name="Activity log")).to_be_visible()
    expect(table_rows(page)).to_have_count(len(events))
    newest = table_rows(page).first
    expect(newest).to_contain_text("Team renamed")
    expect(newest).to_contain_text("Name: Design → Ontwerp")
    expect(page.get_by_role("row", name=re.compile("Seats changed"))).to_contain_text("Support")
    expect(page.get_by_role("row", name=re.compile("Subscription renewed"))).to_contain_text("System")
    expect(page.get_by_role("row", name=re.compile("Items changed"))).to_contain_text(
        "Items: Cloud rendering, DraftPro desktop → DraftPro desktop"
    )
    screenshot(page, "activity-log")

    # A list filter applies at once; the search waits for "Filter".
    page.get_by_label("Event").select_option(label="Role changed")
    expect(page).to_have_url(re.compile(r"action=role_changed"))
    expect(table_rows(page)).to_have_count(2)
    page.get_by_label("Search the log").fill("david")
    since = (timezone.localdate() - datetime.timedelta(days=60)).isoformat()
    page.get_by_label("From").fill(since)
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"q=david"))
    expect(table_rows(page)).to_have_count(2)
    for row in range(2):
        expect(table_rows(page).nth(row)).to_contain_text("Role changed")
        expect(table_rows(page).nth(row)).to_contain_text("David de Jong")
    expect(table_rows(page).first).to_contain_text("Role: Secondary admin → User")
    expect(page.get_by_role("link", name="Clear filters")).to_be_visible()
    screenshot(page, "activity-log-filtered")
    on_screen = [table_rows(page).nth(row).locator("td").nth(3).inner_text() for row in range(2)]

    # "Export as CSV": the same rows and filters, a named UTF-8 file with BOM.
    with page.expect_download() as info:
        page.get_by_role("link", name="Export as CSV").click()
    download = info.value
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    body = path.read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == CSV_HEADER
    # From the date filtered on to the day of the newest event exported (no end date was given).
    assert download.suggested_filename == f"activity-ontwerp-{since}-to-{rows[0]['when'][:10]}.csv"
    assert [row["action"] for row in rows] == ["role_changed", "role_changed"]
    assert [row["target"] for row in rows] == [text.splitlines()[0] for text in on_screen]
    assert [(row["before"], row["after"]) for row in rows] == [
        ("Role: Secondary admin", "Role: User"),
        ("Role: User", "Role: Secondary admin"),
    ]
    assert rows[0]["who_name"] == "Anna Bakker"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", rows[0]["when"])

    # A name in the log narrows it to that person: what they did and what was done to them.
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_role("row", name=re.compile("Seats changed")).get_by_role("link", name="Sam Support").click()
    expect(page).to_have_url(re.compile(rf"user={world.staff.pk}"))
    expect(table_rows(page)).to_have_count(1)
    expect(page.get_by_label("User (who acted or whom it concerned)")).to_have_value(str(world.staff.pk))
    assert page.problems == []


def test_the_log_on_a_phone_and_with_nothing_found(page, world, screenshot):
    furnish(world)
    sign_in(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(reverse("activity:event-list", kwargs={"team_id": world.team.pk}))
    expect(page.get_by_role("heading", level=1, name="Activity log")).to_be_visible()
    screenshot(page, "activity-log-phone")
    page.get_by_label("Search the log").fill("nobody-like-this")
    page.get_by_label("Search the log").press("Enter")
    expect(page.get_by_text("No events match these filters.")).to_be_visible()
    page.set_viewport_size({"width": 1366, "height": 860})
    screenshot(page, "activity-log-empty", full_page=False)
    # Dates the wrong way round are explained, not an error page.
    page.goto(reverse("activity:event-list", kwargs={"team_id": world.team.pk}) + "?since=2026-11-28&until=2026-08-30")
    expect(page.get_by_role("alert")).to_contain_text("The start date is after the end date.")
    assert page.problems == []
