"""Bringing people in: "Invite users" with its three tabs (Invite single, Invite Multiple, Import;
R-U2, R-U3, R-U6, R-U7), "Resend invite" (R-U5), the page the invitation mail links to (R-U4), and
the language menu that remembers a person's language for their mails (SPEC §4).

Each team view loads the team for its admins (`team_for_admin`: 404 for outsiders, 403 for members
who are not admins) and calls a service, which decides, locks, audits and mails. Every dialog is a
full page without JavaScript and an htmx fragment with it."""

import csv
import io
import logging
import secrets

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language

from licensing.accounts import devices, services
from licensing.accounts.forms import (
    ROWS_INITIAL,
    ROWS_MAX,
    AcceptForm,
    ImportUploadForm,
    InviteForm,
    PasteForm,
    products_to_assign,
    row_values,
    rows_formset,
)
from licensing.accounts.imports import (
    MAX_ROWS,
    ImportPreview,
    Outcome,
    import_confirm,
    parse_csv,
    parse_pasted,
    rows_from_data,
)
from licensing.accounts.models import ApiToken
from licensing.accounts.signin_forms import SignInForm
from licensing.teams.models import Member, Team
from portal.db import run_retrying
from portal.dialogs import dialog_done, render_dialog
from portal.views import team_for_admin

INVITED = gettext_lazy("%(name)s is invited.")
INVITED_WITH_PRODUCTS = gettext_lazy("%(name)s is invited and has %(products)s.")
RESENT = gettext_lazy("A new invitation is on its way to %(email)s; the previous link no longer works.")
ROWS_EMPTY = gettext_lazy("Fill in at least one row: first name, last name and e-mail address.")
ROWS_TOO_MANY = gettext_lazy("Invite at most %(max)d people at once here. For more, use Import.")
PASTED_CHECK = gettext_lazy("The pasted people are in the rows below. Check them, then choose “Send invites”.")
PREVIEW_GONE = gettext_lazy(
    "This preview is no longer available: it was imported already, or another file was uploaded since. "
    "Upload the file again."
)
IMPORT_FAILED = gettext_lazy(
    "Nothing was imported: the database failed while saving, so nobody was added and no mail was sent. "
    "The file is kept: try again in a minute."
)
NOTHING_TO_IMPORT = gettext_lazy("Nobody in this file can be invited. Fix the file and upload it again.")
WELCOME = gettext_lazy("Welcome to %(team)s. Here you find the products assigned to you, in every team.")
ROW_ALREADY_MEMBER = gettext_lazy("Already a member of this team.")
INVALID_TOKEN_CODES = {"unknown", "used", "revoked", "expired"}
# How many skipped lines of an import the message after it lists; the rest is counted.
SKIPPED_LISTED = 10

logger = logging.getLogger(__name__)


def _members_url(team: Team) -> str:
    """By User when it is built, else the team's page."""
    try:
        return reverse("teams:member-list", kwargs={"team_id": team.pk})
    except NoReverseMatch:
        return reverse("team-home", kwargs={"team_id": team.pk})


def _member_url(member: Member) -> str:
    try:
        return reverse("teams:member-detail", kwargs={"team_id": member.team_id, "member_id": member.pk})
    except NoReverseMatch:
        return _members_url(member.team)


def _tab(team: Team, tab: str) -> dict:
    """What every tab of "Invite users" shows: the team, which tab is open, where Cancel goes."""
    return {"team": team, "tab": tab, "members_url": _members_url(team)}


# --- Invite single ------------------------------------------------------------------------------


@login_required
def member_invite(request, team_id: int):
    """ "Invite users" › Invite single: first name, last name, e-mail address and, if wished, the
    products to assign at once (R-U2, R-U3). A refusal keeps what was typed."""
    team = team_for_admin(request, team_id)
    form = InviteForm(request.POST if request.method == "POST" else None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            member = services.member_invite(
                team=team,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                products=data["products"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            name = member.name  # the names typed here, not those of an account the address may have
            if data["products"]:
                products = ", ".join(product.name for product in data["products"])
                messages.success(request, INVITED_WITH_PRODUCTS % {"name": name, "products": products})
            else:
                messages.success(request, INVITED % {"name": name})
            return dialog_done(request, _members_url(team))
    return render_dialog(request, "accounts/member_invite.html", {**_tab(team, "single"), "form": form})


# --- Invite Multiple ----------------------------------------------------------------------------


@login_required
def invite_multiple(request, team_id: int):
    """ "Invite users" › Invite Multiple (R-U6): rows of first name, last name and e-mail address, and a
    box for pasted `First, Last, email; First, Last, email`.

    Without JavaScript every button posts the whole form: "Add row" and the remove buttons give it
    back with a row more or less, "Add to the list" parses the box into rows (bad ones marked), and
    "Send invites" invites every good row. The bad rows stay in the dialog with their reasons, and
    the good ones are invited all the same: a bad row never costs the others."""
    team = team_for_admin(request, team_id)
    context = {**_tab(team, "multiple"), "max_rows": ROWS_MAX}
    if request.method != "POST":
        return _multiple_dialog(request, context, rows_formset([{}] * ROWS_INITIAL), PasteForm())

    # The rows as posted, rebuilt: however the management form was tampered with, at most ROWS_MAX.
    formset = rows_formset(_posted_rows(request))
    paste = PasteForm(request.POST)
    paste.is_valid()
    action = request.POST.get("action", "send")
    if action == "add":
        rows = [row_values(form) for form in formset] + [{}]
        return _multiple_dialog(request, context, rows_formset(rows[:ROWS_MAX]), paste)
    if action.startswith("remove-"):
        index = action.removeprefix("remove-")
        rows = [row_values(form) for i, form in enumerate(formset) if str(i) != index] or [{}]
        return _multiple_dialog(request, context, rows_formset(rows), paste)
    if action == "paste" or paste.cleaned_data.get("paste", "").strip():
        # Pasted text goes into the rows first, to be checked, even when "Send invites" was chosen.
        return _multiple_paste(request, context, team, formset, paste)
    return _multiple_send(request, context, team, formset)


def _posted_rows(request) -> list[dict]:
    try:
        count = int(request.POST.get("rows-TOTAL_FORMS", ROWS_INITIAL))
    except ValueError:
        count = ROWS_INITIAL
    return [
        {name: request.POST.get(f"rows-{index}-{name}", "") for name in ("first_name", "last_name", "email")}
        for index in range(max(0, min(count, ROWS_MAX)))
    ]


def _multiple_dialog(request, context, formset, paste, *, shown=(), notice="", notice_level="info", rows_error=""):
    """The dialog with `formset`; the rows whose indexes are in `shown` show their errors (a row the
    admin is still typing does not)."""
    for index, form in enumerate(formset):
        form.show_errors = index in shown
        form.row_number = index + 1
    context = {
        **context,
        "formset": formset,
        "paste": paste,
        "notice": notice,
        "notice_level": notice_level,
        "rows_error": rows_error,
        "can_add": len(formset.forms) < ROWS_MAX,
    }
    return render_dialog(request, "accounts/invite_multiple.html", context)


def _multiple_paste(request, context, team, formset, paste):
    """Parse the box into rows: the rows already typed stay, the pasted ones follow, each marked with
    what is wrong with it (the words of parse_pasted)."""
    preview = parse_pasted(paste.cleaned_data.get("paste", ""), team=team)
    typed = [row_values(form) for form in formset if any(row_values(form).values())]
    if preview.error:
        paste.add_error("paste", preview.error)
    elif len(typed) + len(preview.rows) > ROWS_MAX:
        paste.add_error("paste", ROWS_TOO_MANY % {"max": ROWS_MAX})
    if paste.errors:
        return _multiple_dialog(request, context, formset, paste)
    pasted = [{"first_name": r.first_name, "last_name": r.last_name, "email": r.email} for r in preview.rows]
    rows = typed + pasted
    filled = rows_formset(rows + [{}] * max(0, ROWS_INITIAL - len(rows)))
    filled.is_valid()
    shown = set()
    for index, row in enumerate(preview.rows, start=len(typed)):
        form = filled.forms[index]
        reasons = [*row.errors, *([str(ROW_ALREADY_MEMBER)] if row.outcome == Outcome.MEMBER else [])]
        known = {str(message) for field_errors in form.errors.values() for message in field_errors}
        for reason in reasons:
            if reason not in known:
                form.add_error(None, reason)
        if form.errors:
            shown.add(index)
    return _multiple_dialog(request, context, filled, PasteForm(), shown=shown, notice=PASTED_CHECK)


def _multiple_send(request, context, team, formset):
    """Invite every good row; give back the bad ones with their reasons, and say how many went."""
    formset.is_valid()
    filled = [form for form in formset if form.has_changed()]
    if not filled:
        return _multiple_dialog(request, context, formset, PasteForm(), rows_error=ROWS_EMPTY)

    def invite_all() -> tuple[list, list]:
        invited, bad = [], []
        for form in filled:
            if not form.is_valid():
                bad.append((row_values(form), None))
                continue
            data = form.cleaned_data
            try:
                member = services.member_invite(
                    team=team,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    actor=request.user,
                )
            except ValidationError as error:
                bad.append((row_values(form), error))
            else:
                invited.append(member)
        return invited, bad

    # One transaction: the mails leave once everything is written. Each member_invite is atomic in
    # itself, so a refused row rolls back alone and the good rows stay invited. A transaction that a
    # concurrent writer made the database refuse runs again from the start.
    try:
        invited, bad = run_retrying(invite_all)
    except ValidationError as error:  # still refused after the retries: every row comes back
        bad = [(row_values(form), error) for form in filled]
        invited = []
    if not bad:
        messages.success(
            request,
            ngettext("%(count)d user is invited.", "%(count)d users are invited.", len(invited))
            % {"count": len(invited)},
        )
        return dialog_done(request, _members_url(team))
    again = rows_formset([values for values, _error in bad])
    again.is_valid()  # the rows that were invalid show the same errors again
    for form, (_values, error) in zip(again.forms, bad, strict=True):
        if error is not None:
            form.add_error(None, error)
    notice = ""
    if invited:
        notice = ngettext(
            "%(invited)d invited; fix the %(bad)d row below.",
            "%(invited)d invited; fix the %(bad)d rows below.",
            len(bad),
        ) % {"invited": len(invited), "bad": len(bad)}
    return _multiple_dialog(
        request, context, again, PasteForm(), shown=set(range(len(bad))), notice=notice, notice_level="warning"
    )


# --- Import -------------------------------------------------------------------------------------


def _session_key(team: Team) -> str:
    return f"accounts:import:{team.pk}"


@login_required
def invite_import(request, team_id: int):
    """ "Invite users" › Import (R-U6): upload a CSV file; the preview shows every row's outcome with
    its line number, and nothing is written until the admin confirms. The good rows of the preview
    wait in the session for the confirmation, which checks them all again."""
    team = team_for_admin(request, team_id)
    form = ImportUploadForm(request.POST, request.FILES) if request.method == "POST" else ImportUploadForm()
    context = {**_tab(team, "import"), "form": form, "max_rows": MAX_ROWS}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        preview = parse_csv(upload, team=team)
        if preview.error:
            form.add_error("file", preview.error)
        else:
            import_id = secrets.token_urlsafe(12)
            request.session[_session_key(team)] = {
                "id": import_id,
                "file": upload.name,
                "rows": [row.as_data() for row in preview.valid_rows],
            }
            return render_dialog(
                request,
                "accounts/invite_import.html",
                {**context, "preview": preview, "import_id": import_id, "file_name": upload.name},
            )
    return render_dialog(request, "accounts/invite_import.html", context)


@login_required
@require_POST
def invite_import_confirm(request, team_id: int):
    """Confirming an import: every good row of the preview is invited in one transaction; a row that
    became a member meanwhile is skipped, so confirming twice or re-uploading adds nobody twice (R-U7)."""
    team = team_for_admin(request, team_id)
    kept = request.session.get(_session_key(team))
    if not kept or kept.get("id") != request.POST.get("import_id"):
        context = {**_tab(team, "import"), "form": ImportUploadForm(), "max_rows": MAX_ROWS, "gone": PREVIEW_GONE}
        return render_dialog(request, "accounts/invite_import.html", context)
    rows = rows_from_data(kept["rows"], team=team)
    try:
        result = import_confirm(team=team, preview_rows=rows, actor=request.user)
    except (DatabaseError, ValidationError) as error:
        # import_confirm is one transaction, rolled back whole: nobody is in. The preview stays in the
        # session, so confirming again (once the database is back) needs no new upload. A
        # ValidationError here is SERVICE_BUSY: a conflict with another admin that persisted.
        busy = isinstance(error, ValidationError)
        if not busy:
            logger.exception("Import into team %s failed in the database; nothing was imported", team.pk)
        context = {
            **_tab(team, "import"),
            "preview": ImportPreview(rows=rows),
            "import_id": kept["id"],
            "file_name": kept.get("file", ""),
            "failed": " ".join(error.messages) if busy else IMPORT_FAILED,
        }
        response = render_dialog(request, "accounts/invite_import.html", context, status=200 if busy else 503)
        if not busy:
            response["Retry-After"] = "30"
        return response
    request.session.pop(_session_key(team), None)
    count = len(result.created)
    if count:
        messages.success(
            request,
            ngettext("%(count)s user is invited.", "%(count)s users are invited.", count)
            % {"count": number_format(count, force_grouping=True)},
        )
    else:
        messages.info(request, _("Nobody was invited: everyone in the file is a member of the team already."))
    if result.skipped:
        lines = [
            _("Line %(line)d: %(reason)s")
            % {"line": row.line, "reason": " ".join(row.errors) or row.get_outcome_display()}
            for row in result.skipped[:SKIPPED_LISTED]
        ]
        more = len(result.skipped) - SKIPPED_LISTED
        if more > 0:
            lines.append(ngettext("and %(count)d more line.", "and %(count)d more lines.", more) % {"count": more})
        messages.warning(request, _("Not invited: %(lines)s") % {"lines": " ".join(lines)})
    return dialog_done(request, _members_url(team))


@login_required
def invite_import_example(request, team_id: int):
    """An example file with the column names, to fill in with a spreadsheet."""
    team = team_for_admin(request, team_id)
    product = _example_product(team)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("First name"), _("Last name"), _("E-mail address"), _("Products")])
    writer.writerow(["David", "de Jong", "david.dejong@example.com", product])
    writer.writerow(["Fleur", "Bakker", "fleur.bakker@example.com", ""])
    # A BOM, so that Excel reads the file as UTF-8 (parse_csv reads it with or without).
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="invite-users.csv"'
    return response


def _example_product(team: Team) -> str:
    first = products_to_assign(team).first()
    return first.name if first else ""


# --- Resend invite ------------------------------------------------------------------------------


@login_required
@require_POST
def invitation_resend(request, team_id: int, member_id: int):
    """ "Resend invite" (R-U5): a new link for an invited member; the old one stops working."""
    team = team_for_admin(request, team_id)
    member = get_object_or_404(Member.objects.filter(team=team).select_related("user", "team"), pk=member_id)
    try:
        services.invitation_resend(member=member, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, RESENT % {"email": member.user.email})
    return dialog_done(request, _member_url(member))


# --- Accepting an invitation --------------------------------------------------------------------


@never_cache
def invitation_accept(request, token: str):
    """The page the invitation mail links to (R-U4). A person without an account chooses a password
    and is signed in; a person with one signs in (here, or is signed in already as that account).
    Then My products. A link that was used, replaced or has expired says so and whom to ask (R-U5)."""
    try:
        invitation = services.invitation_for_token(token)
    except ValidationError as error:
        return _invitation_unusable(request, error)
    invited = invitation.member.user
    context = {"invitation": invitation, "team": invitation.member.team, "invited": invited}
    if not invited.has_usable_password():
        return _accept_new_account(request, token, invitation, context)
    if request.user.is_authenticated and request.user.pk != invited.pk:
        context["wrong_account"] = services.WRONG_ACCOUNT % {"email": invited.email}
        return render(request, "accounts/invitation_accept.html", context)
    return _accept_existing_account(request, token, invitation, context)


def _accept_new_account(request, token, invitation, context):
    invited = invitation.member.user
    form = AcceptForm(request.POST if request.method == "POST" else None, user=invited)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.invitation_accept(raw_token=token, password=form.cleaned_data["password1"])
        except ValidationError as error:
            if _token_error(error):
                return _invitation_unusable(request, error)
            form.add_error("password1", error.messages)
        else:
            # The language the page was read in is the one they want their mails in (SPEC §4).
            services.user_set_language(user=member.user, language=get_language())
            login(request, member.user)
            return _accepted(request, member)
    return render(request, "accounts/invitation_accept.html", {**context, "form": form, "new_account": True})


def _accept_existing_account(request, token, invitation, context):
    """Someone who has an account accepts as that account: signed in already, or signing in here with
    the password of the invited address (a forwarded mail cannot take someone else's seat).

    Signing in here is the portal's sign-in (allauth's, through the throttle): someone with a second
    factor is asked for it next and comes back here to accept."""
    invited = invitation.member.user
    form = None
    if not request.user.is_authenticated:
        if request.method == "POST":
            data = {"login": invited.email, "password": request.POST.get("password", "")}
            form = SignInForm(data=data, request=request)
            if form.is_valid():
                signed_in = form.login(request, redirect_url=request.get_full_path())
                if not request.user.is_authenticated:  # a second factor comes first
                    return signed_in
                return _accept_signed_in(request, token, context, cookies=signed_in.cookies)
        else:
            form = SignInForm(request=request, initial={"login": invited.email})
    if request.method == "POST" and request.user.is_authenticated:
        return _accept_signed_in(request, token, context)
    return render(request, "accounts/invitation_accept.html", {**context, "form": form})


def _accept_signed_in(request, token, context, cookies=None):
    try:
        member = services.invitation_accept(raw_token=token, signed_in_user=request.user)
    except ValidationError as error:
        if _token_error(error):
            return _invitation_unusable(request, error)
        context["wrong_account"] = " ".join(error.messages)
        return render(request, "accounts/invitation_accept.html", context)
    response = _accepted(request, member)
    for cookie in (cookies or {}).values():  # the sign-in's own (the browser is the owner's)
        response.cookies[cookie.key] = cookie
    return response


def _accepted(request, member: Member):
    messages.success(request, WELCOME % {"team": member.team.name})
    return redirect("my-products")


def _token_error(error: ValidationError) -> bool:
    return any(e.code in INVALID_TOKEN_CODES for e in error.error_list) if hasattr(error, "error_list") else False


def _invitation_unusable(request, error: ValidationError):
    code = error.error_list[0].code if hasattr(error, "error_list") else ""
    context = {"message": " ".join(error.messages), "code": code}
    return render(request, "accounts/invitation_invalid.html", context, status=404 if code == "unknown" else 410)


# --- Language -----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def language_set(request):
    """The language menu: Django's set_language (cookie and redirect), and for a signed-in person the
    language remembered on their account, so that their mails come in it too (SPEC §4). Opened as a
    page (the menu's button without JavaScript), it shows the choices."""
    if request.method != "POST":
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = ""
        return render(request, "accounts/language.html", {"next": next_url})
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    return response


# --- Signed-in devices (R-S2) -------------------------------------------------------------------

DEVICE_SIGNED_OUT = gettext_lazy(
    "%(device)s is signed out. The software on it asks %(name)s for their password at its next start."
)


@login_required
@require_POST
def device_sign_out(request, team_id: int, member_id: int, token_id: int):
    """ "Sign out" beside a device on a user's page (templates/accounts/_devices.html): the desktop
    software on it stops being signed in with the person's account (R-S2). A device signed out
    already stays so."""
    team = team_for_admin(request, team_id)
    member = get_object_or_404(Member.objects.filter(team=team).select_related("user"), pk=member_id)
    token = get_object_or_404(ApiToken.objects.filter(user=member.user), pk=token_id)
    devices.api_token_revoke(token=token, actor=request.user, team=team)
    name = member.name
    messages.success(request, DEVICE_SIGNED_OUT % {"device": token.device_name, "name": name})
    return redirect("teams:member-detail", team_id=team.pk, member_id=member.pk)
