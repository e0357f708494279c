"""A CSV import whose confirmation fails in the database half-way (R-U6, SPEC §4).

The failure is the database's own: a trigger, created here, refuses a new member of the team half-way
through, as a full disk would (PostgreSQL: SQLSTATE 53100 disk_full; SQLite: RAISE(ABORT)). Everything
goes through the real views, as the team's admin: upload, preview, confirm. `import_confirm` is one
transaction, so nobody is in.

- 5,000 people, more than JOBS_IMPORT_ROWS_AT_ONCE: the confirmation is a job (licensing.jobs), run by
  the worker; its attempt fails, its page says it is tried again, and once the disk has room the retry
  invites all 5,000.
- 400 people, answered at once: the admin is told nothing was imported, and the preview is kept to
  confirm again."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from mailer.models import Message

from licensing.accounts.imports import MAX_ROWS
from licensing.accounts.models import Invitation, User
from licensing.activity.models import ActivityEvent
from licensing.jobs.models import Job
from licensing.jobs.tasks import job_url
from licensing.teams.models import Member
from tests.conftest import on_postgresql

ROWS = MAX_ROWS  # 5,000
FAIL_AT = 2500
DOMAIN = "import.example"
IMPORT_FAILED_START = "Nothing was imported: the database failed while saving"


def people_csv(count: int) -> bytes:
    lines = ["First name,Last name,E-mail address", *(f"Person,Number {i},person{i}@{DOMAIN}" for i in range(count))]
    return ("\r\n".join(lines) + "\r\n").encode()


def fail_from_member(count: int, *, team_id: int) -> str:
    """A trigger that refuses every new member of the team once it has `count` members."""
    member = Member._meta.db_table
    if on_postgresql():
        statements = [
            f"""CREATE FUNCTION faults_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.team_id = {team_id} AND (SELECT COUNT(*) FROM {member} WHERE team_id = NEW.team_id) >= {count}
              THEN
                RAISE EXCEPTION 'could not extend file: No space left on device (faults test)'
                  USING ERRCODE = 'disk_full';
              END IF;
              RETURN NEW;
            END $$""",
            f"CREATE TRIGGER faults_disk_full BEFORE INSERT ON {member} "
            "FOR EACH ROW EXECUTE FUNCTION faults_disk_full()",
        ]
    else:
        statements = [
            f"""CREATE TRIGGER faults_disk_full BEFORE INSERT ON {member}
            WHEN NEW.team_id = {team_id} AND (SELECT COUNT(*) FROM {member} WHERE team_id = NEW.team_id) >= {count}
            BEGIN SELECT RAISE(ABORT, 'database or disk is full (faults test)'); END"""
        ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop_trigger() -> None:
    member = Member._meta.db_table
    with connection.cursor() as cursor:
        if on_postgresql():
            cursor.execute(f"DROP TRIGGER IF EXISTS faults_disk_full ON {member}")
            cursor.execute("DROP FUNCTION IF EXISTS faults_disk_full()")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS faults_disk_full")


def imported(mailoutbox) -> dict[str, int]:
    """What of the import is in the database, table by table, and the mails queued or sent."""
    return {
        "accounts": User.objects.filter(email__endswith=f"@{DOMAIN}").count(),
        "members": Member.objects.filter(user__email__endswith=f"@{DOMAIN}").count(),
        "invitations": Invitation.objects.filter(member__user__email__endswith=f"@{DOMAIN}").count(),
        "activity": ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_INVITED).count(),
        "mails": Message.objects.count() + len(mailoutbox),
    }


def failing_at(world, count: int) -> None:
    members_before = Member.objects.filter(team=world.team).count()
    fail_from_member(members_before + count - 1, team_id=world.team.pk)


@pytest.fixture
def failing_database(world):
    yield lambda count: failing_at(world, count)
    drop_trigger()


def upload_and_preview(client, world, rows: int) -> str:
    upload_url = reverse("accounts:invite-import", kwargs={"team_id": world.team.pk})
    preview = client.post(upload_url, {"file": SimpleUploadedFile("people.csv", people_csv(rows), "text/csv")})
    assert preview.status_code == 200
    assert preview.context["preview"].counts["new"] == rows
    return preview.context["import_id"]


# transaction=True: the import's transaction is a real one, committed or rolled back, not a savepoint
# inside the test's.
@pytest.mark.django_db(transaction=True)
def test_an_import_job_that_fails_half_way_imports_nobody_and_its_retry_imports_everyone(
    client, world, failing_database, mailoutbox, settings, run_jobs
):
    # 5,000 invitations by one admin: a site that lets its admins import that many turns the limits off.
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = settings.INVITATIONS_PER_TEAM_PER_DAY = 0
    failing_database(FAIL_AT)
    client.force_login(world.primary.user)
    confirm_url = reverse("accounts:invite-import-confirm", kwargs={"team_id": world.team.pk})
    Message.objects.all().delete()
    mailoutbox.clear()
    import_id = upload_and_preview(client, world, ROWS)

    started = client.post(confirm_url, {"import_id": import_id})
    the_job = Job.objects.get()
    assert started["Location"] == job_url(the_job)
    assert run_jobs() == 1  # the attempt fails half-way, in the database

    assert imported(mailoutbox) == {"accounts": 0, "members": 0, "invitations": 0, "activity": 0, "mails": 0}
    the_job.refresh_from_db()
    assert the_job.status == Job.Status.WAITING
    assert the_job.error.startswith(("IntegrityError: ", "OperationalError: ")), the_job.error  # SQLite, PostgreSQL
    page = client.get(job_url(the_job)).content.decode()
    assert "The last attempt failed; it is tried again shortly." in page

    drop_trigger()  # the disk has room again; the retry's time comes
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
    run_jobs()

    assert imported(mailoutbox) == {
        "accounts": ROWS,
        "members": ROWS,
        "invitations": ROWS,
        "activity": ROWS,
        "mails": ROWS,
    }
    page = client.get(job_url(the_job)).content.decode()
    assert f"{ROWS:,} users are invited." in page


AT_ONCE_ROWS, AT_ONCE_FAIL_AT = 400, 200


@pytest.mark.django_db(transaction=True)
def test_an_import_answered_at_once_that_fails_half_way_imports_nobody_and_can_be_confirmed_again(
    client, world, failing_database, mailoutbox, settings
):
    assert settings.JOBS_IMPORT_ROWS_AT_ONCE >= AT_ONCE_ROWS
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = settings.INVITATIONS_PER_TEAM_PER_DAY = 0
    failing_database(AT_ONCE_FAIL_AT)
    client.force_login(world.primary.user)
    confirm_url = reverse("accounts:invite-import-confirm", kwargs={"team_id": world.team.pk})
    Message.objects.all().delete()
    mailoutbox.clear()
    import_id = upload_and_preview(client, world, AT_ONCE_ROWS)

    failed = client.post(confirm_url, {"import_id": import_id})

    assert failed.status_code == 503  # the 503 of the import dialog itself, not the 500 page
    assert failed["Retry-After"]
    page = failed.content.decode()
    assert IMPORT_FAILED_START in page
    assert imported(mailoutbox) == {"accounts": 0, "members": 0, "invitations": 0, "activity": 0, "mails": 0}
    # The preview is still there: the same confirmation button, for the same rows.
    assert f'value="{import_id}"' in page
    assert f"Invite {AT_ONCE_ROWS:,} users" in page

    drop_trigger()  # the disk has room again
    again = client.post(confirm_url, {"import_id": import_id})

    assert again.status_code == 302
    assert imported(mailoutbox) == {
        "accounts": AT_ONCE_ROWS,
        "members": AT_ONCE_ROWS,
        "invitations": AT_ONCE_ROWS,
        "activity": AT_ONCE_ROWS,
        "mails": AT_ONCE_ROWS,
    }
    messages = [str(message) for message in again.wsgi_request._messages]
    assert messages == [f"{AT_ONCE_ROWS:,} users are invited."]
