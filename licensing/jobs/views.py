"""The page of a job an admin waits for (licensing.jobs.tasks): how far it is, then the download
(an export) or the result (an import, a bulk action of By User).

Only the admin who started the job sees it, and support staff; to anyone else it does not exist
(404), as another team's pages do not. With htmx the progress asks again every second; without
JavaScript the page reloads itself (<meta refresh>) and has a Refresh link."""

import datetime

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from licensing.jobs.models import Job
from licensing.teams.bulk import BulkResult, bulk_summary, role_label
from licensing.teams.permissions import is_support
from portal.views import team_for_admin

# How often the page asks again while the job runs, in seconds.
POLL_SECONDS = 1


def _job_for(request, team_id: int, job_id) -> Job:
    team = team_for_admin(request, team_id)
    visible = Job.objects.visible_to(request.user, support=is_support(request.user))
    the_job = visible.filter(pk=job_id, team=team).defer("content").select_related("team").first()
    if the_job is None:
        raise Http404(_("This job does not exist, or its result has been deleted."))
    return the_job


@require_GET
@login_required
def job_page(request, team_id: int, job_id):
    the_job = _job_for(request, team_id, job_id)
    context = {
        "team": the_job.team,
        "job": the_job,
        "poll_seconds": POLL_SECONDS,
        "download_url": reverse("jobs:download", kwargs={"team_id": team_id, "job_id": the_job.pk}),
        "back_url": the_job.params.get("back")
        or (
            reverse("reports:seat-usage", kwargs={"team_id": team_id})
            if the_job.kind == Job.Kind.SEAT_USAGE_EXPORT
            else reverse("teams:member-list", kwargs={"team_id": team_id})
        ),
        "kept_until": the_job.finished_at + datetime.timedelta(hours=settings.JOBS_KEEP_HOURS)
        if the_job.finished_at
        else None,
        "row_count": the_job.result.get("rows", 0),
        "created_count": the_job.result.get("created", 0),
        "skipped": the_job.result.get("skipped", [])[:SKIPPED_LISTED],
        "skipped_more": max(0, len(the_job.result.get("skipped", [])) - SKIPPED_LISTED),
    }
    if the_job.kind == Job.Kind.MEMBER_BULK:
        context.update(_member_bulk_context(the_job))
    if request.htmx:
        return render(request, "jobs/job.html#progress", context)
    return render(request, "jobs/job.html", context)


def _member_bulk_context(the_job: Job) -> dict:
    """What the page of a bulk action of By User says: the action, and once done its summary."""
    params = the_job.params
    role_name = role_label(params.get("role"), params.get("is_guest"))
    context = {"bulk_action": params.get("action"), "bulk_role": role_name}
    if the_job.status == Job.Status.DONE:
        result = BulkResult.from_data(the_job.result.get("bulk", {}))
        context["bulk_summary"] = bulk_summary(
            params.get("action"), result, product_name=the_job.result.get("product", ""), role_name=role_name
        )
        context["bulk_refused"] = bool(result.refused)
    return context


# The skipped lines of an import its page lists; the rest are counted.
SKIPPED_LISTED = 50


@require_GET
@login_required
def job_download(request, team_id: int, job_id):
    the_job = _job_for(request, team_id, job_id)
    if the_job.status != Job.Status.DONE or not the_job.filename:
        raise Http404(_("This file is not ready."))
    content = Job.objects.filter(pk=the_job.pk).values_list("content", flat=True).get()
    response = HttpResponse(bytes(content or b""), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=the_job.filename)
    # The file holds names and e-mail addresses: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response
