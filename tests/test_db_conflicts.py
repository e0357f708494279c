"""The services' transaction (`portal.db.service_transaction`) against real database conflicts: a
deadlock PostgreSQL detects, a write lock SQLite cannot get. The conflict is run again and answered
with the result; one that persists is answered in words (SERVICE_BUSY), never with a server error.
Nothing here is mocked: the conflicts are made by real transactions on their own connections."""

import sqlite3
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, OperationalError, connection, transaction
from django.urls import reverse
from django.utils.html import escape

from licensing.accounts.models import User
from licensing.teams.models import Member, Team
from portal.db import SERVICE_BUSY, is_conflict, run_retrying, service_transaction
from tests.concurrency import errors, run_together
from tests.conftest import on_postgresql
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(not on_postgresql(), reason="deadlocks are PostgreSQL's")
sqlite_only = pytest.mark.skipif(on_postgresql(), reason="SQLite's write lock")


@postgresql_only
def test_a_deadlock_is_run_again_and_both_transactions_succeed():
    # Two transactions lock two teams in opposite orders (the services never do: lock_teams sorts);
    # PostgreSQL aborts one of them with deadlock_detected, which runs again and succeeds.
    first, second = TeamFactory(name="First"), TeamFactory(name="Second")
    both_hold_one = threading.Barrier(2)
    attempts = []

    def rename_both(one: Team, other: Team, name: str) -> None:
        attempts.append(name)
        Team.objects.select_for_update().get(pk=one.pk)
        if len(attempts) <= 2:  # the first attempts: wait until the other holds its first row
            both_hold_one.wait(timeout=30)
        Team.objects.select_for_update().get(pk=other.pk)
        Team.objects.filter(pk__in=[one.pk, other.pk]).update(name=name)

    outcomes = run_together(
        lambda: run_retrying(lambda: rename_both(first, second, "By the first")),
        lambda: run_retrying(lambda: rename_both(second, first, "By the second")),
    )

    assert errors(outcomes) == []
    assert len(attempts) == 3  # one of the two ran twice
    names = set(Team.objects.filter(pk__in=[first.pk, second.pk]).values_list("name", flat=True))
    assert len(names) == 1  # both rows from the same, complete transaction: nothing half-written


class WriteLockElsewhere:
    """Another connection holding SQLite's write lock, as another process would: BEGIN IMMEDIATE from
    the start of the with-block until `release()` or its end."""

    def __init__(self) -> None:
        self._locked, self._released = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._hold, args=(connection.settings_dict["NAME"],), daemon=True)

    def _hold(self, path: str) -> None:
        other = sqlite3.connect(path, timeout=5, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            self._locked.set()
            self._released.wait(timeout=30)
            other.execute("ROLLBACK")
        finally:
            other.close()

    def __enter__(self) -> "WriteLockElsewhere":
        self._thread.start()
        assert self._locked.wait(timeout=10)
        return self

    def release(self) -> None:
        self._released.set()
        self._thread.join(timeout=10)

    def __exit__(self, *exc) -> None:
        self.release()


@pytest.fixture
def short_busy_timeout():
    """SQLite waits 20 s for the write lock in production; here 50 ms, so that the conflict shows
    at once."""
    connection.ensure_connection()
    connection.connection.execute("PRAGMA busy_timeout = 50")
    yield
    connection.close()


@sqlite_only
def test_a_write_lock_sqlite_could_not_get_is_tried_again(short_busy_timeout):
    team = TeamFactory(name="Before")
    refused = []

    with WriteLockElsewhere() as other_writer:

        def other_writer_finishes_after_a_refusal(execute, sql, params, many, context):
            try:
                return execute(sql, params, many, context)
            except OperationalError as error:
                refused.append(error)
                other_writer.release()
                raise

        with connection.execute_wrapper(other_writer_finishes_after_a_refusal):
            run_retrying(lambda: Team.objects.filter(pk=team.pk).update(name="After"))

    assert len(refused) == 1  # BEGIN IMMEDIATE could not get the lock
    assert is_conflict(refused[0])
    team.refresh_from_db()
    assert team.name == "After"


@sqlite_only
def test_a_conflict_that_persists_is_answered_in_words(short_busy_timeout):
    team = TeamFactory(name="Before")

    @service_transaction
    def rename(*, team: Team) -> None:
        Team.objects.filter(pk=team.pk).update(name="After")

    with WriteLockElsewhere(), pytest.raises(ValidationError) as refused:
        rename(team=team)

    assert refused.value.code == "busy"
    assert refused.value.messages == [str(SERVICE_BUSY)]
    team.refresh_from_db()
    assert team.name == "Before"


def test_an_error_that_is_no_conflict_is_not_run_again():
    calls = []

    def fails() -> None:
        calls.append(1)
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    with pytest.raises(DatabaseError) as failure:
        run_retrying(fails)

    assert calls == [1]
    assert not is_conflict(failure.value)


@postgresql_only
def test_a_deadlock_inside_a_callers_transaction_is_not_run_again():
    # Only the outermost transaction can be rolled back and run again: inside one, the conflict goes
    # up to the caller. The same staged deadlock as above, each side inside a transaction of its own.
    first, second = TeamFactory(name="First"), TeamFactory(name="Second")
    both_hold_one = threading.Barrier(2)
    attempts = []

    def rename_both(one: Team, other: Team, name: str) -> None:
        attempts.append(name)
        Team.objects.select_for_update().get(pk=one.pk)
        both_hold_one.wait(timeout=30)
        Team.objects.select_for_update().get(pk=other.pk)
        Team.objects.filter(pk__in=[one.pk, other.pk]).update(name=name)

    def inside_a_transaction(call) -> None:
        with transaction.atomic():
            run_retrying(call)

    outcomes = run_together(
        lambda: inside_a_transaction(lambda: rename_both(first, second, "By the first")),
        lambda: inside_a_transaction(lambda: rename_both(second, first, "By the second")),
    )

    (deadlocked,) = errors(outcomes)
    assert isinstance(deadlocked, OperationalError)
    assert is_conflict(deadlocked)
    assert len(attempts) == 2  # neither ran again


@sqlite_only
def test_an_import_confirmed_while_another_writer_holds_the_database_says_to_try_again(
    client, world, short_busy_timeout
):
    # R-U6 under a conflict that persists: nobody is in, the admin is told so in the import dialog
    # (not a 500 page), and the preview is kept to confirm again.
    client.force_login(world.primary.user)
    upload = reverse("accounts:invite-import", kwargs={"team_id": world.team.pk})
    confirm = reverse("accounts:invite-import-confirm", kwargs={"team_id": world.team.pk})
    csv = b"First name,Last name,E-mail address\r\nNew,Person,new.person@example.com\r\n"
    import_id = client.post(upload, {"file": SimpleUploadedFile("people.csv", csv, "text/csv")}).context["import_id"]
    connection.connection.execute("PRAGMA busy_timeout = 50")  # the client's request may have reopened it
    with WriteLockElsewhere():
        busy = client.post(confirm, {"import_id": import_id})

    assert busy.status_code == 200
    page = busy.content.decode()
    assert escape(str(SERVICE_BUSY)) in page
    assert f'value="{import_id}"' in page
    assert not User.objects.filter(email="new.person@example.com").exists()

    done = client.post(confirm, {"import_id": import_id})

    assert done.status_code == 302
    assert Member.objects.filter(team=world.team, user__email="new.person@example.com").exists()
