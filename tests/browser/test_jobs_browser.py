"""A large export and a large import as jobs, in a real browser (licensing.jobs): the admin presses
Export, waits on the job's page while htmx asks every second how far it is, and downloads the file
when it is done; the import's page gives the result. Screenshots at 1280 and 375 px in
test-artifacts/screens/jobs-*.png."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.jobs.models import Job
from licensing.subscriptions.models import Assignment
from tests.browser.test_accessibility import axe_violations
from tests.factories import MemberFactory, SeatUsageFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

WIDE, NARROW = {"width": 1280, "height": 800}, {"width": 375, "height": 740}


def sign_in(page, email="primary@example.com"):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def both_widths(page, screenshot, name: str) -> None:
    """Screenshots at both widths, and axe-core's WCAG 2.2 AA check at each (issue 22)."""
    for label, size in (("1280", WIDE), ("375", NARROW)):
        page.set_viewport_size(size)
        screenshot(page, f"jobs-{name}-{label}")
        assert axe_violations(page, f"job page {name} [{label} px]") == []
    page.set_viewport_size(WIDE)


def test_an_admin_waits_for_a_large_export_and_downloads_it(page, world, run_jobs, settings, screenshot):
    # R-R2: past JOBS_EXPORT_ROWS_AT_ONCE rows the export is a job with a progress page.
    settings.JOBS_EXPORT_ROWS_AT_ONCE = 5
    world.subscription.seats = 20
    world.subscription.save()
    for number in range(12):
        member = MemberFactory(team=world.team, user__email=f"m{number:02}@example.nl", user__last_name=f"M{number:02}")
        Assignment.objects.create(member=member, product=world.product)
        SeatUsageFactory(user=member.user, product=world.product, team=world.team, day=timezone.localdate())
    sign_in(page)
    page.goto(reverse("reports:seat-usage", kwargs={"team_id": world.team.pk}) + "?tab=users")
    page.get_by_role("button", name="Export as CSV").click()
    expect(page.get_by_role("heading", level=1, name="Seat Usage export")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Waiting for its turn…")

    # The worker has written 5 of the 12 rows: htmx shows it within a second, without a reload.
    the_job = Job.objects.get()
    Job.objects.filter(pk=the_job.pk).update(status=Job.Status.RUNNING, done=5, total=12)
    expect(page.get_by_role("status")).to_contain_text("5 of 12 rows (41%)")
    expect(page.locator("progress.sk-progress")).to_have_attribute("value", "5")
    both_widths(page, screenshot, "export-running")

    assert run_jobs() == 1
    expect(page.get_by_role("heading", name="Your file is ready")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("12 rows, in seat-usage-design-")
    both_widths(page, screenshot, "export-done")
    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    body = info.value.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.count(b"\r\n") == 13
    assert page.problems == []


def test_an_admin_reads_the_result_of_a_large_import(page, world, run_jobs, settings, screenshot, tmp_path):
    # R-U6: the import confirm as a job; the page tells who was invited and which lines were not.
    settings.JOBS_IMPORT_ROWS_AT_ONCE = 2
    sign_in(page)
    lines = ["First name,Last name,Email", *(f"Person,Number {i},person{i}@example.nl" for i in range(6))]
    file = tmp_path / "people.csv"
    file.write_text("\r\n".join(lines) + "\r\n")
    page.goto(reverse("accounts:invite-import", kwargs={"team_id": world.team.pk}))
    page.locator('input[type="file"]').set_input_files(str(file))
    page.get_by_role("button", name="Upload and preview").click()
    page.get_by_role("button", name=re.compile(r"Invite 6 users")).click()
    expect(page.get_by_role("heading", level=1, name="Import")).to_be_visible()
    expect(page.get_by_role("heading", name="Inviting 6 users…")).to_be_visible()
    both_widths(page, screenshot, "import-waiting")
    MemberFactory(team=world.team, user__email="person4@example.nl")  # a member meanwhile: skipped
    assert run_jobs() == 1
    expect(page.get_by_role("heading", name="The import is done")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("5 users are invited.")
    expect(page.locator(".sk-job-skipped")).to_contain_text("Line 6: Already a member")
    both_widths(page, screenshot, "import-done")
    assert page.problems == []
