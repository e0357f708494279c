"""User management › By User (R-U1): the list of a team's members, a member's page, "Change role"
(R-PA2, R-PA3, R-SA1, R-G2, R-G3), delete (R-D1..R-D3) and the bulk actions of the list.

Each view loads the team for its admins (`team_for_admin`: 404 for outsiders, 403 for members who
are not admins) and the member within that team, then calls a service, which decides, locks, audits
and mails. Every dialog is a full page without JavaScript and an htmx fragment with it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Lower
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from licensing.accounts.models import Invitation
from licensing.groups.models import GroupMember, GroupProduct
from licensing.jobs.tasks import job_url, member_bulk_start
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create, assignment_delete
from licensing.subscriptions.views import (
    UNDO_EXPIRED,
    UNDO_INVALID,
    member_products_context,
    restore_message,
    safe_back,
    unassign_undo,
)
from licensing.teams import services
from licensing.teams.bulk import LISTED, bulk_summary, members_apply, members_in_order, role_label
from licensing.teams.filters import MemberFilter
from licensing.teams.forms import MemberBulkForm, MemberRoleForm
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members
from licensing.teams.tables import (
    MEMBER_CSV_HEADER,
    NAME_ORDER,
    PER_PAGE,
    MemberTable,
    member_csv_rows,
    member_name,
    members_for_list,
)
from portal.csv_export import csv_response, team_slug
from portal.dialogs import dialog_done, render_dialog
from portal.tables import order, paginate
from portal.undo import UndoExpired, UndoInvalid, undo_message, undo_read, undo_sign
from portal.views import team_for_admin

DOES_NOT_HAVE = gettext_lazy("%(name)s does not have %(product)s.")
NONE_MATCH = gettext_lazy("No users match the list's filters any more. Reload the list and try again.")
CHOOSE_ROLE = gettext_lazy("Choose the role the selected users get.")


def _member(team: Team, member_id: int) -> Member:
    """A member of `team`; another team's member is 404."""
    return get_object_or_404(
        Member.objects.filter(team=team).select_related("user", "team", "invited_by"), pk=member_id
    )


def _list_url(team: Team, query: str = "") -> str:
    url = reverse("teams:member-list", kwargs={"team_id": team.pk})
    # Parsed and encoded again: whatever was posted, only a query string of this list comes out.
    query = QueryDict(query.lstrip("?")).urlencode()
    return f"{url}?{query}" if query else url


def _detail_url(member: Member) -> str:
    return reverse("teams:member-detail", kwargs={"team_id": member.team_id, "member_id": member.pk})


# --- The list -----------------------------------------------------------------------------------


@login_required
def member_list(request, team_id: int):
    """By User: the team's members, searched, filtered, sorted and paginated, in a fixed number of
    queries however many there are (R-U1, R-G4)."""
    team = team_for_admin(request, team_id)
    filterset = MemberFilter(request.GET, queryset=members_for_list(team), team=team)
    table = paginate(request, MemberTable(filterset.qs, team=team), per_page=PER_PAGE)
    table.selected_all = request.GET.get("select") == "all"
    counts = team.members.aggregate(
        total=Count("pk"),
        invited=Count("pk", filter=Q(status=Member.Status.INVITED)),
        guests=Count("pk", filter=Q(is_guest=True)),
    )
    context = {
        "team": team,
        "filter": filterset,
        "table": table,
        "counts": counts,
        "bulk_form": MemberBulkForm(team=team, initial={"query": request.GET.urlencode()}),
        "bulk_products": filterset.filters["product"].queryset,
        **_select_all_context(request, table),
    }
    return render(request, "teams/member_list.html", context)


def _select_all_context(request, table) -> dict:
    """ "Select all 1,017 users that match" (Gmail's, NetBox's): offered when the filtered list has more
    rows than the page. Its link reloads the list with `select=all` (no JavaScript needed; teams.js
    does it in place); "Clear selection" reloads it without."""
    matching = table.paginator.count
    on_page = table.page.end_index() - table.page.start_index() + 1 if matching else 0
    offered = matching > on_page
    query = request.GET.copy()
    query.pop("select", None)
    select_all = query.copy()
    select_all["select"] = "all"
    return {
        "select_all_offered": offered,
        "selected_all": offered and table.selected_all,
        "matching_count": matching,
        "page_count": on_page,
        "select_all_url": f"?{select_all.urlencode()}",
        "clear_selection_url": f"?{query.urlencode()}" if query else request.path,
    }


# --- A member's page ----------------------------------------------------------------------------


@login_required
def member_detail(request, team_id: int, member_id: int):
    """A user's page: contact details, role and status, "Resend invite" for an invited user (R-U5),
    the products section (R-P1..R-P4), "Change role" and the trash icon (R-D3)."""
    team = team_for_admin(request, team_id)
    member = _member(team, member_id)
    invitation = None
    if member.status == Member.Status.INVITED:
        invitation = Invitation.objects.filter(member=member).order_by("-created_at", "-pk").first()
    context = {
        "team": team,
        "member": member,
        "invitation": invitation,
        "member_groups": _member_groups(member),
        **member_products_context(member),
    }
    return render(request, "teams/member_detail.html", context)


def _member_groups(member: Member) -> list[GroupMember]:
    """R-GR6: the groups the member is in, by name, each with the products it gives: two queries."""
    return list(
        GroupMember.objects.filter(member=member)
        .select_related("group")
        .prefetch_related(Prefetch("group__products", GroupProduct.objects.select_related("product")))
        .order_by(Lower("group__name"), "group__pk")
    )


# --- Change role --------------------------------------------------------------------------------


def _role_changed_message(member: Member, old_role: str, old_guest: bool, former: Member | None) -> str:
    """What the admin reads after "Save", in their words."""
    names = {"name": member_name(member), "team": member.team.name}
    parts = []
    if member.role != old_role:
        if member.role == Member.Role.PRIMARY_ADMIN:
            parts.append(_("%(name)s is now the primary admin of %(team)s.") % names)
            if former is not None and former.pk != member.pk:
                parts.append(_("%(name)s is now a secondary admin.") % {"name": member_name(former)})
        elif member.role == Member.Role.SECONDARY_ADMIN:
            parts.append(_("%(name)s is now a secondary admin.") % names)
        else:
            parts.append(_("%(name)s is now a user.") % names)
    if member.is_guest != old_guest:
        parts.append(
            (_("%(name)s is now a guest.") if member.is_guest else _("%(name)s is no longer a guest.")) % names
        )
    return " ".join(parts)


@login_required
def member_role(request, team_id: int, member_id: int):
    """ "Change role": User, Secondary admin, Primary admin and "This is a guest user" (R-SA1, R-G2).

    Choosing Primary admin for a secondary admin asks first, in a second step of the dialog, with
    "Reassign primary admin" (R-PA2); the former primary admin becomes a secondary admin (R-PA3).
    The choices the rules forbid are disabled with the reason, and refused by the service if sent."""
    team = team_for_admin(request, team_id)
    member = _member(team, member_id)
    form = MemberRoleForm(request.POST if request.method == "POST" else None, member=member)
    context = {"team": team, "member": member, "form": form}
    if form.is_valid():
        role, is_guest = form.cleaned_data["role"], form.cleaned_data["is_guest"]
        reassigning = role == Member.Role.PRIMARY_ADMIN and member.role == Member.Role.SECONDARY_ADMIN
        former = team.primary_admin if reassigning else None
        if reassigning and not is_guest and not form.cleaned_data["confirm"]:
            # R-PA2: ask before the primary admin changes hands.
            return render_dialog(request, "teams/member_role.html", {**context, "confirming": True, "former": former})
        old_role, old_guest = member.role, member.is_guest
        try:
            member = services.member_change_role(member=member, role=role, is_guest=is_guest, actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            message = _role_changed_message(member, old_role, old_guest, former)
            if message:
                messages.success(request, message)
            else:
                messages.info(request, _("Nothing changed."))
            if not can_manage_members(request.user, team):  # an admin who made themselves a user
                messages.info(request, _("You are no longer an admin of %(team)s.") % {"team": team.name})
                return dialog_done(request, reverse("home"))
            return dialog_done(request, _detail_url(member))
    return render_dialog(request, "teams/member_role.html", context)


# --- Delete -------------------------------------------------------------------------------------


@login_required
def member_delete(request, team_id: int, member_id: int):
    """The trash icon: a confirmation that lists what the person loses in this team and says that
    their account stays (R-D1, R-D3), then "Delete". An admin is not deleted until their role is
    User (R-D2): the dialog says so and has no "Delete"."""
    team = team_for_admin(request, team_id)
    member = _member(team, member_id)
    errors = []
    if request.method == "POST":
        snapshots = []
        try:
            services.member_delete(member=member, actor=request.user, snapshot=snapshots)
        except ValidationError as error:
            errors = error.messages
            member.refresh_from_db()
        else:
            text = _("%(name)s is deleted from %(team)s.") % {"name": member_name(member), "team": team.name}
            messages.success(request, delete_undo(request, text, snapshots, team=team, back=_list_url(team)))
            return dialog_done(request, _list_url(team))
    assignments = (
        Assignment.objects.filter(member=member)
        .select_related("product")
        .prefetch_related("items")
        .order_by("product__name")
    )
    context = {
        "team": team,
        "member": member,
        "assignments": assignments,
        "errors": errors,
        "refusal": services.ADMIN_CANNOT_BE_DELETED % {"name": member_name(member)} if member.is_admin else "",
    }
    return render_dialog(request, "teams/member_delete.html", context)


# --- Bulk actions -------------------------------------------------------------------------------


def _bulk_apply(
    action: str, members: list[Member], product, actor, undo: list | None = None
) -> tuple[list[Member], list[tuple[Member, str]]]:
    """Call the service of `action` for each member, each in its own transaction: a refused row
    does not undo the others. Returns the members done and the refused ones with the reason; what
    was deleted or unassigned is appended to `undo` (snapshots for "Undo")."""
    done, refused = [], []
    for member in members:
        try:
            if action == MemberBulkForm.Action.DELETE:
                services.member_delete(member=member, actor=actor, snapshot=undo)
            elif action == MemberBulkForm.Action.ASSIGN:
                assignment_create(member=member, product=product, actor=actor)
            else:
                assignment = Assignment.objects.filter(member=member, product=product).first()
                if assignment is None:
                    raise ValidationError(DOES_NOT_HAVE % {"name": member_name(member), "product": product.name})
                snapshot = assignment_delete(assignment=assignment, actor=actor)
                if undo is not None:
                    undo.append(snapshot)
        except ValidationError as error:
            refused.append((member, " ".join(error.messages)))
        else:
            done.append(member)
    return done, refused


def _bulk_summary(action: str, product, done: int, refused: list[tuple[Member, str]]):
    """ "3 deleted; 1 not deleted:" and a line per refused row with its reason."""
    n = len(refused)
    if action == MemberBulkForm.Action.DELETE:
        done_text = ngettext("%(count)d deleted", "%(count)d deleted", done)
        refused_text = ngettext("%(count)d not deleted", "%(count)d not deleted", n)
    elif action == MemberBulkForm.Action.ASSIGN:
        done_text = ngettext("%(product)s assigned to %(count)d user", "%(product)s assigned to %(count)d users", done)
        refused_text = ngettext("%(count)d not assigned", "%(count)d not assigned", n)
    else:
        done_text = ngettext(
            "%(product)s unassigned from %(count)d user", "%(product)s unassigned from %(count)d users", done
        )
        refused_text = ngettext("%(count)d not unassigned", "%(count)d not unassigned", n)
    product_name = product.name if product else ""
    done_text = done_text % {"count": done, "product": product_name}
    refused_text = refused_text % {"count": n, "product": product_name}
    if not refused:
        return format_html("{}.", done_text)
    # A reason that names the person already says who; the others get the name in front.
    lines = [(reason if member_name(m) in reason else f"{member_name(m)}: {reason}",) for m, reason in refused]
    items = format_html_join("", "<li>{}</li>", lines)
    if done:
        return format_html('{}; {}:<ul class="sk-bulk-refusals">{}</ul>', done_text, refused_text, items)
    return format_html('{}:<ul class="sk-bulk-refusals">{}</ul>', refused_text, items)


@login_required
@require_POST
def member_bulk(request, team_id: int):
    """The bulk actions of the list for the ticked rows: delete (asked first), assign a product with
    all its items, unassign a product. Each row goes through the service on its own; the summary
    says what was done and why each refused row was refused."""
    team = team_for_admin(request, team_id)
    form = MemberBulkForm(request.POST, team=team)
    context = {"team": team, "form": form, "list_url": _list_url(team, request.POST.get("query", ""))}
    if not form.is_valid():
        return render_dialog(request, "teams/member_bulk.html", context)
    data = form.cleaned_data
    if _acts_on_many(form):
        return _member_bulk_many(request, team, form, context)
    members = list(
        data["members"]
        .prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("product").order_by("product__name"))
        )
        .order_by(*NAME_ORDER)  # the list's order
    )
    if data["action"] == MemberBulkForm.Action.DELETE and not data["confirm"]:
        deletable = [m for m in members if not m.is_admin]
        context.update(members=members, deletable=deletable, confirming=True)
        return render_dialog(request, "teams/member_bulk.html", context)
    undo = []
    done, refused = _bulk_apply(data["action"], members, data["product"], request.user, undo)
    summary = _bulk_undo(
        request,
        team,
        data["action"],
        _bulk_summary(data["action"], data["product"], len(done), refused),
        undo,
        context["list_url"],
    )
    level = messages.SUCCESS if not refused else messages.WARNING if done else messages.ERROR
    messages.add_message(request, level, summary)
    return dialog_done(request, context["list_url"])


# --- Bulk actions on all matching, change role, resend invitation, and large ones as a job ------


def _acts_on_many(form: MemberBulkForm) -> bool:
    """Whether the bulk action goes through `_member_bulk_many`: all matching members (select=all),
    "Change role" and "Resend invitation", or more ticked members than a request does at once."""
    data = form.cleaned_data
    return (
        form.selects_all
        or data["action"] in (MemberBulkForm.Action.ROLE, MemberBulkForm.Action.RESEND)
        or data["members"].count() > settings.JOBS_BULK_MEMBERS_AT_ONCE
    )


def _without_select(query: str) -> str:
    """The list's query string without `select=all`: after the action, nothing is selected."""
    data = QueryDict((query or "").lstrip("?"), mutable=True)
    data.pop("select", None)
    return data.urlencode()


def _member_bulk_many(request, team: Team, form: MemberBulkForm, context: dict):
    """A bulk action on the members of `form`: the ticked ones or all that match the list's filters,
    resolved now on the server (licensing.teams.bulk.members_matching).

    It asks first when it acts on all matching, deletes, or changes the role (whose dialog has the
    choice of User or Secondary admin and the guest flag; never Primary admin, R-PA2): the dialog
    says how many it acts on, lists the first ones and "and 967 more", and who will be refused and
    why (admins are not deleted, R-D2; the primary admin's role does not change here, R-PA1;
    invitations already accepted are not resent, R-U5). More than JOBS_BULK_MEMBERS_AT_ONCE members:
    a job with its progress page (licensing.jobs); fewer: here, each row through its service."""
    data = form.cleaned_data
    action = data["action"]
    context["list_url"] = list_url = _list_url(team, _without_select(data["query"]))
    members = data["members"]
    count = members.count()
    if not count:
        form.add_error(None, NONE_MATCH)
        return render_dialog(request, "teams/member_bulk.html", context)
    role, is_guest = form.role_and_guest()
    errors = []
    if action == MemberBulkForm.Action.ROLE and data["confirm"]:
        if not role:
            errors.append(CHOOSE_ROLE)
        elif role == Member.Role.SECONDARY_ADMIN and data["guest"] == MemberBulkForm.GUEST_YES:
            errors.append(services.ADMIN_CANNOT_BE_GUEST)  # R-G3
    asks = form.selects_all or action in (MemberBulkForm.Action.DELETE, MemberBulkForm.Action.ROLE)
    if asks and (not data["confirm"] or errors):
        return _bulk_confirm(request, team, form, {**context, "errors": errors}, members, count)
    product = data["product"]
    if count > settings.JOBS_BULK_MEMBERS_AT_ONCE:
        params = {
            "action": action,
            "members": list(members.order_by(*NAME_ORDER).values_list("pk", flat=True)),
            "product": product.pk if product else None,
            "role": role,
            "is_guest": is_guest,
            "back": list_url,
        }
        the_job = member_bulk_start(user=request.user, team=team, params=params)
        return dialog_done(request, job_url(the_job))
    result = members_apply(
        action, members_in_order(members), actor=request.user, product=product, role=role, is_guest=is_guest
    )
    summary = bulk_summary(
        action, result, product_name=product.name if product else "", role_name=role_label(role, is_guest)
    )
    level = messages.SUCCESS if not result.refused else messages.WARNING if result.done else messages.ERROR
    messages.add_message(request, level, summary)
    if result.admin_lost and not can_manage_members(request.user, team):  # made themselves a User
        messages.info(request, _("You are no longer an admin of %(team)s.") % {"team": team.name})
        return dialog_done(request, reverse("home"))
    return dialog_done(request, list_url)


def _bulk_confirm(request, team: Team, form: MemberBulkForm, context: dict, members, count: int):
    """The dialog that asks before a bulk action on `count` members (`_member_bulk_many`)."""
    action = form.cleaned_data["action"]
    listed = members.select_related("user").order_by(*NAME_ORDER)
    if action == MemberBulkForm.Action.DELETE:
        listed = listed.prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.select_related("product").order_by("product__name"))
        )
        refused = members.filter(role__in=Member.ADMIN_ROLES).count()  # R-D2
    elif action == MemberBulkForm.Action.ROLE:
        refused = members.filter(role=Member.Role.PRIMARY_ADMIN).count()  # R-PA1, R-PA2
    elif action == MemberBulkForm.Action.RESEND:
        refused = members.exclude(status=Member.Status.INVITED).count()  # R-U5: accepted already
        listed = listed.order_by("-status", *NAME_ORDER)  # "invited" before "active": who gets a mail first
    else:
        refused = 0
    listed = list(listed[:LISTED])
    context.update(
        form=form,
        listed=listed,
        more=count - len(listed),
        count=count,
        acting=count - refused,
        refused=refused,
        product=form.cleaned_data["product"],
        member_ids=[] if form.selects_all else list(members.values_list("pk", flat=True)),
        in_background=count > settings.JOBS_BULK_MEMBERS_AT_ONCE,
        at_once=settings.JOBS_BULK_MEMBERS_AT_ONCE,
    )
    return render_dialog(request, "teams/member_bulk_confirm.html", context)


# --- By User as CSV -----------------------------------------------------------------------------


@require_GET
@login_required
def member_export(request, team_id: int):
    """By User's "Export as CSV": the members the list shows with these filters, in its order, every
    page, streamed (MEMBER_CSV_HEADER; the format of portal.csv_export)."""
    team = team_for_admin(request, team_id)
    filterset = MemberFilter(request.GET, queryset=members_for_list(team), team=team)
    table = order(request, MemberTable(filterset.qs, team=team))
    filename = f"users-{team_slug(team.name, team.pk)}-{timezone.localdate().isoformat()}.csv"
    return csv_response(filename, MEMBER_CSV_HEADER, member_csv_rows(table.data.data))


# --- Undo after a delete (issue 22) -------------------------------------------------------------

# The kind of the signed token (portal.undo): its salt.
UNDO_DELETE = "delete"


def _bulk_undo(request, team: Team, action: str, summary, undo: list, back: str):
    """The bulk summary with "Undo" for what a bulk delete or unassign took away (`undo`)."""
    if action == MemberBulkForm.Action.DELETE:
        return delete_undo(request, summary, undo, team=team, back=back)
    if action == MemberBulkForm.Action.UNASSIGN:
        return unassign_undo(request, summary, {team.pk: undo}, team=team, back=back)
    return summary


def delete_undo(request, text, snapshots: list[services.MemberSnapshot], *, team: Team, back: str):
    """`text` (the message after a delete) with an "Undo" button restoring the members `snapshots`
    and coming back to `back`. Just `text` when nobody was deleted."""
    if not snapshots:
        return text
    token = undo_sign(UNDO_DELETE, {"team": team.pk, "members": [s.to_data() for s in snapshots], "back": back})
    url = reverse("teams:members-restore", kwargs={"team_id": team.pk})
    return undo_message(request, text, url=url, token=token)


@login_required
@require_POST
def members_restore(request, team_id: int):
    """ "Undo" in the message after a delete (a user's trash icon, By User's bulk delete): each
    member of the signed token back as they were (`services.member_restore`), for an admin of the
    team now (`team_for_admin`); a token older than 15 minutes, forged or of another team is refused
    and changes nothing."""
    team = team_for_admin(request, team_id)
    default = _list_url(team)
    try:
        data = undo_read(UNDO_DELETE, request.POST.get("token", ""))
        snapshots = [services.MemberSnapshot.from_data(member) for member in data["members"]]
        token_team = int(data["team"])
        back = safe_back(request, data.get("back"), default)
    except UndoExpired:
        messages.error(request, UNDO_EXPIRED)
        return redirect(default)
    except (UndoInvalid, KeyError, TypeError, ValueError):
        messages.error(request, UNDO_INVALID)
        return redirect(default)
    if token_team != team.pk:  # a token of another team's change
        messages.error(request, UNDO_INVALID)
        return redirect(default)
    restored, refused, already = [], [], 0
    for snapshot in snapshots:
        result = services.member_restore(team=team, snapshot=snapshot, actor=request.user)
        if result.restored:
            restored.append(result.name)
        elif result.already:
            already += 1
        else:
            refused.append((result.name, result.refused))
        refused += result.seats_refused
    restore_message(request, restored, refused, already)
    return redirect(back)
