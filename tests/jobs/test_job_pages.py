"""A large Seat Usage export (R-R2) and a large import confirm (R-U6) as jobs (licensing.jobs): the
page starts the job, shows it waiting and running (htmx polls every second; without JavaScript the
page reloads itself), then the download or the result. Only the admin who started it and support
staff see it (the authorization matrix has every persona); the file is kept JOBS_KEEP_HOURS."""

import datetime
import re
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from licensing.accounts.imports import import_confirm
from licensing.jobs import tasks
from licensing.jobs.models import Job
from licensing.jobs.services import jobs_clean_up
from licensing.teams.models import Member
from licensing.teams.services import member_change_role
from tests.factories import MemberFactory, SeatUsageFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def report_url(team, **query) -> str:
    url = reverse("reports:seat-usage", kwargs={"team_id": team.pk})
    return url + "?" + "&".join(f"{key}={value}" for key, value in query.items()) if query else url


def export_url(team, query: str = "") -> str:
    return reverse("reports:seat-usage-export-users", kwargs={"team_id": team.pk}) + query


def page(client, the_job: Job, **extra):
    return client.get(reverse("jobs:job", kwargs={"team_id": the_job.team_id, "job_id": the_job.pk}), **extra)


def download(client, the_job: Job):
    return client.get(reverse("jobs:download", kwargs={"team_id": the_job.team_id, "job_id": the_job.pk}))


@pytest.fixture
def usage(world):
    """Twelve members holding DraftPro and using it: 12 + the world's rows on By User."""
    world.subscription.seats = 20
    world.subscription.save()
    from licensing.subscriptions.models import Assignment

    for number in range(12):
        member = MemberFactory(team=world.team, user__email=f"m{number:02}@example.nl", user__last_name=f"M{number:02}")
        Assignment.objects.create(member=member, product=world.product)
        SeatUsageFactory(user=member.user, product=world.product, team=world.team, day=timezone.localdate())
    return world


def test_a_small_export_is_a_download_and_a_large_one_a_job(client, usage, settings):
    # R-R2: small ones answer at once, as before; past the setting the button starts a job.
    client.force_login(usage.primary.user)
    settings.JOBS_EXPORT_ROWS_AT_ONCE = 1000
    html = client.get(report_url(usage.team, tab="users")).content.decode()
    assert re.search(r'<a class="btn btn-outline-secondary" href="[^"]*users\.csv[^"]*" download>', html)
    settings.JOBS_EXPORT_ROWS_AT_ONCE = 5
    html = client.get(report_url(usage.team, tab="users")).content.decode()
    assert re.search(r'<form method="post" action="[^"]*users\.csv[^"]*">', html)


def test_an_export_job_from_waiting_to_its_download_holds_the_rows_of_the_download_at_once(
    client, usage, run_jobs, monkeypatch
):
    # R-R2: the same columns, filters and order as the file at once.
    client.force_login(usage.primary.user)
    query = "?tab=users&sort=-name&q=example.nl"
    response = client.post(export_url(usage.team, query))
    the_job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job", kwargs={"team_id": usage.team.pk, "job_id": the_job.pk})
    assert (the_job.kind, the_job.status, the_job.started_by) == ("seat_usage_export", "waiting", usage.primary.user)

    waiting = page(client, the_job).content.decode()
    assert "Waiting for its turn" in waiting
    assert '<meta http-equiv="refresh"' in waiting  # without JavaScript, inside <noscript>
    assert 'hx-trigger="every 1s"' in waiting
    assert ">Refresh</a>" in waiting
    polled = page(client, the_job, **HTMX).content.decode()
    assert polled.lstrip().startswith("<section")  # the progress card alone

    progress = []
    monkeypatch.setattr(tasks, "PROGRESS_EVERY", 5)
    original = tasks.job_progress
    monkeypatch.setattr(tasks, "job_progress", lambda job_id, **kw: (progress.append(kw), original(job_id, **kw)))
    assert run_jobs() == 1
    assert progress == [{"done": 0, "total": 12}, {"done": 5}, {"done": 10}]

    done = page(client, the_job).content.decode()
    assert "Your file is ready" in done
    assert "12 rows, in seat-usage-design-" in done
    assert "http-equiv" not in done
    assert "hx-trigger" not in done
    file = download(client, the_job)
    assert file["Content-Type"] == "text/csv; charset=utf-8"
    assert file["Cache-Control"] == "private, no-store"
    assert 'attachment; filename="seat-usage-design-' in file["Content-Disposition"]
    at_once = b"".join(client.get(export_url(usage.team, query)).streaming_content)
    assert file.content == at_once
    assert at_once.count(b"\r\n") == 13  # the header and 12 rows, M11 first (-name)
    assert at_once.splitlines()[1].split(b",")[2] == b'"m11@example.nl"'


def test_only_the_admin_who_started_it_and_support_see_a_job(client, usage, run_jobs):
    client.force_login(usage.primary.user)
    client.post(export_url(usage.team, "?tab=users"))
    run_jobs()
    the_job = Job.objects.get()
    client.force_login(usage.secondary.user)  # an admin of the same team
    assert page(client, the_job).status_code == 404
    assert download(client, the_job).status_code == 404
    client.force_login(usage.staff)
    assert page(client, the_job).status_code == 200
    assert download(client, the_job).status_code == 200


def test_an_export_of_an_admin_who_lost_the_team_meanwhile_makes_no_file(client, usage, run_jobs):
    client.force_login(usage.secondary.user)
    client.post(export_url(usage.team, "?tab=users"))
    member_change_role(member=usage.secondary, role=Member.Role.USER, actor=usage.primary.user)
    run_jobs()
    the_job = Job.objects.get()
    assert (the_job.status, the_job.content) == ("failed", None)


def import_csv(count: int) -> SimpleUploadedFile:
    lines = ["First name,Last name,Email", *(f"Person,Number {i},person{i}@example.nl" for i in range(count))]
    return SimpleUploadedFile("people.csv", ("\r\n".join(lines) + "\r\n").encode(), content_type="text/csv")


def confirm_import(client, team, count: int):
    preview = client.post(reverse("accounts:invite-import", kwargs={"team_id": team.pk}), {"file": import_csv(count)})
    import_id = re.search(r'name="import_id" value="([^"]+)"', preview.content.decode()).group(1)
    return client.post(reverse("accounts:invite-import-confirm", kwargs={"team_id": team.pk}), {"import_id": import_id})


def test_a_large_import_is_a_job_whose_page_gives_the_result(client, world, run_jobs, settings):
    # R-U6: one transaction; the page shows it running, then who was invited and who not.
    settings.JOBS_IMPORT_ROWS_AT_ONCE = 2
    client.force_login(world.primary.user)
    response = confirm_import(client, world.team, 3)
    the_job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:job", kwargs={"team_id": world.team.pk, "job_id": the_job.pk})
    assert not Member.objects.filter(user__email__startswith="person").exists()
    assert "Inviting 3 users…" in page(client, the_job).content.decode()
    # Meanwhile one of them became a member: skipped, with the reason (R-U7).
    MemberFactory(team=world.team, user__email="person1@example.nl")
    assert run_jobs() == 1
    assert Member.objects.filter(user__email__startswith="person").count() == 3
    done = page(client, the_job).content.decode()
    assert "The import is done" in done
    assert "2 users are invited." in done
    assert "Line 3: Already a member" in done


def test_a_small_import_still_answers_at_once(client, world, settings):
    settings.JOBS_IMPORT_ROWS_AT_ONCE = 500
    client.force_login(world.primary.user)
    confirm_import(client, world.team, 3)
    assert not Job.objects.exists()
    assert Member.objects.filter(user__email__startswith="person").count() == 3


def test_a_failed_attempt_is_retried_and_the_page_says_so(client, world, run_jobs, settings, monkeypatch):
    settings.JOBS_IMPORT_ROWS_AT_ONCE = 2
    client.force_login(world.primary.user)
    confirm_import(client, world.team, 3)

    def database_down(**kwargs):
        raise OSError("the database went away")

    monkeypatch.setattr(tasks, "import_confirm", database_down)
    run_jobs()
    the_job = Job.objects.get()
    assert (the_job.status, the_job.error) == ("waiting", "OSError: the database went away")
    assert "The last attempt failed; it is tried again shortly." in page(client, the_job).content.decode()
    monkeypatch.setattr(tasks, "import_confirm", import_confirm)  # the database is back
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())  # its time came
    run_jobs()
    assert Job.objects.get().status == "done"
    assert Member.objects.filter(user__email__startswith="person").count() == 3


def test_finished_jobs_are_deleted_after_the_keeping_time_and_lost_ones_fail(world, settings):
    settings.JOBS_KEEP_HOURS = 24
    now = timezone.now()
    old, recent, lost = (
        Job.objects.create(kind="seat_usage_export", team=world.team, started_by=world.primary.user) for _ in range(3)
    )
    Job.objects.filter(pk=old.pk).update(status="done", finished_at=now - datetime.timedelta(hours=25))
    Job.objects.filter(pk=recent.pk).update(status="done", finished_at=now - datetime.timedelta(hours=23))
    Job.objects.filter(pk=lost.pk).update(created_at=now - datetime.timedelta(minutes=5))  # no task runs it
    assert jobs_clean_up(now=now) == (1, 1)
    assert set(Job.objects.values_list("pk", "status")) == {(recent.pk, "done"), (lost.pk, "failed")}


def test_an_export_job_of_bad_filters_makes_the_file_the_download_at_once_makes(client, usage, run_jobs):
    # What scripts send (test_bad_forms): a NUL (which PostgreSQL's JSON cannot store), letters for a
    # product, a sort of 10,000 characters: the job runs and its file is the one of the GET.
    client.force_login(usage.primary.user)
    query = "?" + urlencode({"tab": "users", "q": "M0\x00", "product": "abc", "sort": "x" * 10_000})
    assert client.post(export_url(usage.team, query)).status_code == 302
    assert run_jobs() == 1
    the_job = Job.objects.get()
    assert the_job.status == "done", the_job.error
    assert download(client, the_job).content == b"".join(client.get(export_url(usage.team, query)).streaming_content)


def test_an_import_job_over_the_invitation_limit_is_refused_in_words_and_not_tried_again(
    client, world, run_jobs, settings
):
    # The limits refuse a whole file (R-U6, invitation limits): the page says why; nothing is retried.
    settings.JOBS_IMPORT_ROWS_AT_ONCE, settings.INVITATIONS_PER_ADMIN_PER_HOUR = 2, 2
    client.force_login(world.primary.user)
    confirm_import(client, world.team, 3)
    assert run_jobs() == 1
    the_job = Job.objects.get()
    assert the_job.status == "failed"
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()
    assert not Member.objects.filter(user__email__startswith="person").exists()
    html = page(client, the_job).content.decode()
    assert the_job.result["refused"].startswith("An admin may send 2 invitations an hour, and these are 3.")
    assert f"Nothing was done: {escape(the_job.result['refused'])}" in html


def test_the_job_page_and_its_poll_take_a_few_queries_whatever_the_import(
    client, world, run_jobs, settings, django_assert_max_num_queries
):
    # The page reads one job row (without its file); the skipped lines come from its result, at most
    # SKIPPED_LISTED of them listed.
    settings.JOBS_IMPORT_ROWS_AT_ONCE = 2
    client.force_login(world.primary.user)
    confirm_import(client, world.team, 80)
    for number in range(60):
        MemberFactory(team=world.team, user__email=f"person{number}@example.nl")
    run_jobs()
    the_job = Job.objects.get()
    assert len(the_job.result["skipped"]) == 60
    with django_assert_max_num_queries(12):
        html = page(client, the_job).content.decode()
    assert html.count("Already a member") == 50
    assert "and 10 more lines." in html
    with django_assert_max_num_queries(12):
        page(client, the_job, **HTMX)
