"""By Group › a group › its members (R-GR1, R-GR4, R-GR5): "Add members" (ticked from the team's
members, found as one types, or every one matching), "Import members" from a CSV file of e-mail
addresses with a preview and its errors per line, and "Remove" (one, or the selected ones).

Adding to a group that gives products shows first, per product, how many of the new members get a
seat and how many will wait (`group_seats_preview`), with "Confirm" and "Back"; removing says who
loses a seat (R-GR4) before "Remove". The services decide; these views only ask and show."""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from licensing.groups import services
from licensing.groups.forms import CANDIDATES_MAX, ImportForm, MembersAddForm, MembersRemoveForm, candidates
from licensing.groups.imports import MAX_ROWS, parse_emails
from licensing.groups.models import Group, GroupProduct, SeatWait
from licensing.groups.seats import CHUNK
from licensing.groups.views import GONE, detail_url, group_of, list_url, losses
from licensing.teams.models import Member, Team
from portal.dialogs import dialog_done, render_dialog
from portal.views import team_for_admin

PREVIEW_GONE = gettext_lazy(
    "This preview is no longer available: it was imported already, or another file was uploaded since. "
    "Upload the file again."
)
# How many names a message lists before it counts the rest.
NAMES_LISTED = 5


def _names(members: list[Member]) -> str:
    names = [member.name for member in members[:NAMES_LISTED]]
    more = len(members) - len(names)
    if more:
        names.append(ngettext("%(count)d other", "%(count)d others", more) % {"count": more})
    return get_text_list(names, _("and"))


def _added_message(group: Group, added: int) -> str:
    return ngettext("%(count)s user is added to %(group)s.", "%(count)s users are added to %(group)s.", added) % {
        "count": number_format(added, force_grouping=True),
        "group": group.name,
    }


def _waiting_among(group: Group, member_ids: list[int]) -> int:
    """How many of `member_ids` wait for a seat of one of the group's products."""
    waiting = set()
    for start in range(0, len(member_ids), CHUNK):
        part = member_ids[start : start + CHUNK]
        waiting.update(SeatWait.objects.filter(group=group, member_id__in=part).values_list("member_id", flat=True))
    return len(waiting)


def _members(team: Team, ids: list[int]) -> list[Member]:
    """The members `ids` of the team, in that order (the order of the file: the order they wait in)."""
    found = {}
    for start in range(0, len(ids), CHUNK):
        part = ids[start : start + CHUNK]
        found.update((m.pk, m) for m in Member.objects.filter(team=team, pk__in=part).select_related("user"))
    return [found[pk] for pk in ids if pk in found]


def _gives_products(group: Group) -> bool:
    return GroupProduct.objects.filter(group=group).exists()


def _add(request, team: Team, group: Group, members: list[Member]):
    """Add `members` through the service; the message says how many, and how many now wait."""
    try:
        added = services.group_members_add(group=group, members=members, actor=request.user)
    except ValidationError as error:
        if error.code == "group_gone":
            messages.info(request, GONE % {"name": group.name})
            return dialog_done(request, list_url(team)), None
        return None, error
    if added:
        text = _added_message(group, len(added))
        waiting = _waiting_among(group, [m.member_id for m in added])
        if waiting:
            text += " " + ngettext(
                "%(count)s of them waits for a seat.", "%(count)s of them wait for a seat.", waiting
            ) % {"count": number_format(waiting, force_grouping=True)}
            messages.warning(request, text)
        else:
            messages.success(request, text)
    else:
        messages.info(request, _("Nobody was added: everyone chosen is in the group already."))
    return dialog_done(request, detail_url(group)), None


# --- Add members --------------------------------------------------------------------------------


@login_required
def group_members_add(request, team_id: int, group_id: int):
    """ "Add members": the team's members not in the group, narrowed by a search (as one types with
    JavaScript, "Search" without), ticked one by one or "all matching"; "Add" shows the seats
    preview first when the group gives products (R-GR5), then "Confirm"."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    data = request.POST if request.method == "POST" else (request.GET if "q" in request.GET else None)
    form = MembersAddForm(data, team=team, group=group)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    context = {"team": team, "group": group, "form": form}
    if action in ("add", "confirm") and form.is_valid():
        chosen = form.chosen()
        if not chosen:
            form.add_error("members", _("Nobody matches the search: there is nobody to add."))
        elif action == "add" and _gives_products(group):
            preview = services.group_seats_preview(group=group, members=chosen)
            return render_dialog(
                request,
                "groups/group_members_add.html",
                {**context, "confirming": True, "chosen": chosen, "preview": preview, "names": _names(chosen)},
            )
        else:
            done, error = _add(request, team, group, chosen)
            if done is not None:
                return done
            form.add_error(None, error)
    return render_dialog(request, "groups/group_members_add.html", {**context, **_candidates(form, team, group)})


def _candidates(form: MembersAddForm, team: Team, group: Group) -> dict:
    """The list of the dialog: the ticked members first (kept ticked), then the matches of the
    search, at most CANDIDATES_MAX; and the number of matches."""
    query = form.query
    matching = candidates(team, group, query)
    ticked_ids = form.ticked_ids()
    ticked = list(candidates(team, group).filter(pk__in=ticked_ids)) if ticked_ids else []
    shown = list(matching.exclude(pk__in=ticked_ids)[:CANDIDATES_MAX])
    match_count = matching.count()
    # The matches listed: those shown unticked, and the ticked ones that match the search too.
    listed = len(shown) + (matching.filter(pk__in=ticked_ids).count() if ticked_ids else 0)
    return {
        "ticked": ticked,
        "shown": shown,
        "listed": listed,
        "match_count": match_count,
        "query": query,
        "candidates_max": CANDIDATES_MAX,
    }


@login_required
def group_members_candidates(request, team_id: int, group_id: int):
    """The list of "Add members" for what is typed, fetched as one types (htmx): the ticked members
    stay ticked on top."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    form = MembersAddForm(request.GET, team=team, group=group)
    context = {"team": team, "group": group, "form": form, **_candidates(form, team, group)}
    return render(request, "groups/group_members_add.html#candidates", context)


# --- Remove members -----------------------------------------------------------------------------


@login_required
def group_members_remove(request, team_id: int, group_id: int):
    """ "Remove" beside a member (GET asks) or "Remove selected" (POST without `confirm` asks): says
    who loses which seat (R-GR4), then "Remove". They stay members of the team."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    form = MembersRemoveForm(request.POST if request.method == "POST" else request.GET, group=group)
    context = {"team": team, "group": group, "form": form}
    if not form.is_valid():
        return render_dialog(request, "groups/group_members_remove.html", context)
    members = list(form.cleaned_data["members"])
    if request.method == "POST" and form.cleaned_data["confirm"]:
        try:
            removed = services.group_members_remove(group=group, members=members, actor=request.user)
        except ValidationError as error:
            if error.code == "group_gone":
                messages.info(request, GONE % {"name": group.name})
                return dialog_done(request, list_url(team))
            form.add_error(None, error)
        else:
            messages.success(
                request,
                ngettext("%(names)s is removed from %(group)s.", "%(names)s are removed from %(group)s.", removed)
                % {"names": _names(members), "group": group.name},
            )
            return dialog_done(request, detail_url(group))
    context.update(
        members=members,
        names=_names(members),
        losses=losses(group, member_ids=[m.pk for m in members]),
    )
    return render_dialog(request, "groups/group_members_remove.html", context)


# --- Import members -----------------------------------------------------------------------------


def _session_key(group: Group) -> str:
    return f"groups:import:{group.pk}"


def _import_context(team: Team, group: Group, **more) -> dict:
    return {"team": team, "group": group, "max_rows": MAX_ROWS, **more}


@login_required
def group_members_import(request, team_id: int, group_id: int):
    """ "Import members": upload a CSV file of e-mail addresses; the preview shows every line's
    outcome (to add; not an e-mail address; not a member of this team; already in the group; a line
    repeated) and, when the group gives products, how many will wait for a seat (R-GR5). Nothing is
    written until "Add N members"; the good lines wait in the session for it."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    context = _import_context(team, group, form=form)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        preview = parse_emails(upload, group=group)
        if preview.error:
            form.add_error("file", preview.error)
        else:
            import_id = secrets.token_urlsafe(12)
            members = preview.members
            request.session[_session_key(group)] = {
                "id": import_id,
                "file": upload.name[:200],
                "members": [m.pk for m in members],
            }
            seats = services.group_seats_preview(group=group, members=members) if members else []
            context.update(preview=preview, import_id=import_id, file_name=upload.name, seats=seats)
    return render_dialog(request, "groups/group_members_import.html", context)


@login_required
@require_POST
def group_members_import_confirm(request, team_id: int, group_id: int):
    """Confirming an import: the good lines of the preview are added in one service call; who joined
    the group meanwhile is left as is, so confirming twice adds nobody twice."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    kept = request.session.get(_session_key(group))
    if not kept or kept.get("id") != request.POST.get("import_id"):
        context = _import_context(team, group, form=ImportForm(), gone=PREVIEW_GONE)
        return render_dialog(request, "groups/group_members_import.html", context)
    members = _members(team, [pk for pk in kept.get("members", []) if isinstance(pk, int)])
    done, error = _add(request, team, group, members)
    if done is None:
        context = _import_context(team, group, form=ImportForm(), failed=" ".join(error.messages))
        return render_dialog(request, "groups/group_members_import.html", context)
    request.session.pop(_session_key(group), None)
    return done
