"""The jobs an admin starts and waits for, each with its page (licensing.jobs.views): the By User
export of Seat Usage (R-R2), the confirmation of an import (R-U6) and a bulk action of By User
(licensing.teams.bulk) when they are large (JOBS_EXPORT_ROWS_AT_ONCE, JOBS_IMPORT_ROWS_AT_ONCE,
JOBS_BULK_MEMBERS_AT_ONCE). `export_start` and `import_start` make the
job's row and enqueue its task in one transaction; the task does the work through the same code as
the page that answers at once, and writes its progress and result to the row.

A task may run twice (a retry after a failure, or after its worker died): an export writes its file
again; an import skips whoever is a member already (import_confirm), so nobody is invited twice; a
bulk action acts on those of its members still there, each row as at once (a deleted member is
gone, a role already set is skipped), but resends the invitations of a run that stopped halfway."""

import io

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from licensing.accounts.imports import import_confirm, rows_from_data
from licensing.groups.models import Group
from licensing.jobs.models import Job
from licensing.jobs.services import job_create, job_done, job_failed, job_progress, job_running
from licensing.reports.exports import (
    USER_COLUMNS,
    period_from,
    user_export_query,
    user_export_rows,
)
from licensing.subscriptions.models import Product
from licensing.teams.bulk import BulkResult, members_apply, members_in_order
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members, is_support
from licensing.teams.services import NOT_ALLOWED
from portal.csv_export import csv_rows
from portal.db import SERVICE_BUSY
from portal.jobs import enqueue, job

# The export tells its page how far it is every this many rows.
PROGRESS_EVERY = 1000


def job_url(the_job: Job) -> str:
    return reverse("jobs:job", kwargs={"team_id": the_job.team_id, "job_id": the_job.pk})


def _failed(error: Exception, retry_at, job_id: str, **kwargs) -> None:
    job_failed(job_id, error=f"{type(error).__name__}: {error}", retry_at=retry_at)


# --- The By User export of Seat Usage -----------------------------------------------------------


def export_start(*, user, team: Team, filename: str, params: dict) -> Job:
    """A job that writes the By User export of the report `params` (its teams, range, filters and
    order, as JSON) into the file `filename`."""
    with transaction.atomic():
        the_job = job_create(
            kind=Job.Kind.SEAT_USAGE_EXPORT, team=team, user=user, params={**params, "filename": filename}, total=0
        )
        the_job.task_id = enqueue(seat_usage_export, str(the_job.pk))
        the_job.save(update_fields=["task_id"])
    return the_job


@job(on_failure=_failed)
def seat_usage_export(job_id: str) -> None:
    the_job = job_running(job_id)
    if the_job is None:
        return
    params, user = the_job.params, the_job.started_by
    # Only the teams its admin still administers when it runs (support staff: every team).
    allowed = (
        set(params["team_ids"])
        if is_support(user)
        else set(Team.objects.administered_by(user).filter(pk__in=params["team_ids"]).values_list("pk", flat=True))
    )
    if not set(params["team_ids"]) <= allowed:
        job_failed(job_id, error="The admin who started it no longer administers every team of the report.")
        return
    product = Product.objects.filter(pk=params["product"]).first() if params.get("product") else None
    # The group filter (R-GR6): a group of the report's teams only, as the page's filter accepts.
    group = (
        Group.objects.filter(pk=params["group"], team_id__in=params["team_ids"]).first()
        if params.get("group")
        else None
    )
    query = user_export_query(
        params["team_ids"],
        period_from(params["start"], params["end"]),
        search=params.get("search", ""),
        product=product,
        group=group,
        unused_only=params.get("unused_only", False),
        order_by=params.get("order_by") or None,
        all_teams=params.get("all_teams", False),
    )
    total = query.count()
    job_progress(job_id, done=0, total=total)

    def counted():
        for number, row in enumerate(user_export_rows(query), start=1):
            yield row
            if number % PROGRESS_EVERY == 0:
                job_progress(job_id, done=number)

    out = io.BytesIO()
    for chunk in csv_rows(USER_COLUMNS, counted()):
        out.write(chunk)
    job_done(job_id, filename=params["filename"], content=out.getvalue(), result={"rows": total})


# --- The confirmation of an import --------------------------------------------------------------


def import_start(*, user, team: Team, file_name: str, rows: list[dict]) -> Job:
    """A job that confirms the import of `rows` (the preview's valid rows, `ImportRow.as_data`)."""
    with transaction.atomic():
        the_job = job_create(
            kind=Job.Kind.IMPORT, team=team, user=user, params={"file": file_name, "rows": rows}, total=len(rows)
        )
        the_job.task_id = enqueue(import_confirm_job, str(the_job.pk))
        the_job.save(update_fields=["task_id"])
    return the_job


@job(on_failure=_failed)
def import_confirm_job(job_id: str) -> None:
    the_job = job_running(job_id)
    if the_job is None:
        return
    # The reasons of skipped lines in the admin's language, as the page at once would say them.
    with translation.override(getattr(the_job.started_by, "language", None) or settings.LANGUAGE_CODE):
        _import(job_id, the_job)


def _import(job_id: str, the_job: Job) -> None:
    rows = rows_from_data(the_job.params["rows"], team=the_job.team)
    try:
        # One transaction (R-U6): everyone of the file is invited, or nobody; the page shows the bar
        # moving while it runs and the counts once it has committed.
        result = import_confirm(team=the_job.team, preview_rows=rows, actor=the_job.started_by)
    except PermissionDenied as refused:  # no longer an admin of the team: nothing to try again
        job_failed(job_id, error=str(refused), refused=str(refused))
        return
    except ValidationError as refused:
        if str(SERVICE_BUSY) in refused.messages:
            raise  # a conflict with another admin that persisted: tried again later
        # A rule refused the whole file (the invitation limits): in the admin's words, not tried again.
        job_failed(job_id, error=" ".join(refused.messages), refused=" ".join(refused.messages))
        return
    skipped = [
        {"line": row.line, "email": row.email, "reason": " ".join(row.errors) or str(row.get_outcome_display())}
        for row in result.skipped
    ]
    job_done(job_id, result={"created": len(result.created), "skipped": skipped})


# --- A bulk action of By User on many members ---------------------------------------------------


def member_bulk_start(*, user, team: Team, params: dict) -> Job:
    """A job that applies By User's bulk action `params` ("action", the "members" ids resolved when the
    admin confirmed, "product", "role", "is_guest", "back": the list to go back to) row by row."""
    with transaction.atomic():
        the_job = job_create(
            kind=Job.Kind.MEMBER_BULK, team=team, user=user, params=params, total=len(params["members"])
        )
        the_job.task_id = enqueue(member_bulk_job, str(the_job.pk))
        the_job.save(update_fields=["task_id"])
    return the_job


@job(on_failure=_failed)
def member_bulk_job(job_id: str) -> None:
    the_job = job_running(job_id)
    if the_job is None:
        return
    params, user, team = the_job.params, the_job.started_by, the_job.team
    if not can_manage_members(user, team):
        refused = str(NOT_ALLOWED)
        job_failed(job_id, error=refused, refused=refused)
        return
    # The members still in the team, in the list's order; whoever was deleted meanwhile is not acted on.
    members = members_in_order(Member.objects.filter(team=team, pk__in=params["members"]))
    product = Product.objects.filter(pk=params["product"]).first() if params.get("product") else None
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        result: BulkResult = members_apply(
            params["action"],
            members,
            actor=user,
            product=product,
            role=params.get("role"),
            is_guest=params.get("is_guest"),
            progress=lambda done: job_progress(job_id, done=done),
        )
    job_done(job_id, result={"bulk": result.as_data(), "product": product.name if product else ""})
