"""Team settings, behind the gear icon: the team's name, admins and subscriptions; "Rename" (R-T4);
Actions › "Create team" (R-T3) and "Move subscriptions to this team" (R-T8, the wizard in
licensing.subscriptions.move_views).

Each view loads the team for its admins (`team_for_admin`: 404 for outsiders, 403 for members who
are not admins) and calls a service, which decides, locks and audits. The dialogs are full pages
without JavaScript and htmx fragments with it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from licensing.accounts import mfa
from licensing.teams import services
from licensing.teams.models import Team
from licensing.teams.permissions import can_require_second_factor
from licensing.teams.settings_forms import TeamNameForm
from portal.dialogs import dialog_done, render_dialog
from portal.views import team_for_admin

RENAMED = _("The team is now called %(name)s.")
NAME_UNCHANGED = _("Nothing changed: the team is already called %(name)s.")
SECOND_FACTOR_ON = _(
    "The admins of %(team)s now need a second factor. Those without one have been signed out, and set it up "
    "when they sign in again."
)
SECOND_FACTOR_OFF = _("The admins of %(team)s no longer need a second factor.")
CREATED = _("%(name)s is created, and you are its primary admin. Invite users or move subscriptions to it.")


def settings_url(team: Team) -> str:
    return reverse("team_settings:team-settings", kwargs={"team_id": team.pk})


@login_required
def team_settings(request, team_id: int):
    """The team's name, its admins and its subscriptions, "Rename" and the Actions. A team that has
    nothing yet but its creator offers the next steps: invite users, move subscriptions to it."""
    team = team_for_admin(request, team_id)
    admins = team.members.admins().select_related("user").order_by("role", "user__last_name", "user__first_name")
    subscriptions = list(
        team.subscriptions.select_related("product", "contract", "owner").order_by(
            "product__name", "contract__number", "pk"
        )
    )
    member_count = team.members.count()
    primary_or_support = can_require_second_factor(request.user, team)
    context = {
        "team": team,
        "admins": admins,
        "subscriptions": subscriptions,
        "member_count": member_count,
        "today": timezone.localdate(),
        "is_new": not subscriptions and member_count <= 1,
        "can_require_second_factor": primary_or_support,
        # Webhooks are the same people's (licensing.webhooks.permissions); asked once, one query.
        "can_manage_webhooks": primary_or_support,
    }
    return render(request, "teams/settings.html", context)


@login_required
def team_rename(request, team_id: int):
    """ "Rename" → a new name → "Save changes" (R-T4). A refused name is shown in the dialog with what
    was typed."""
    team = team_for_admin(request, team_id)
    form = TeamNameForm(request.POST if request.method == "POST" else None, initial={"name": team.name})
    if form.is_valid():
        old_name = team.name
        try:
            team = services.team_rename(team=team, name=form.cleaned_data["name"], actor=request.user)
        except ValidationError as error:
            form.add_error("name", error)
        else:
            if team.name == old_name:
                messages.info(request, NAME_UNCHANGED % {"name": team.name})
            else:
                messages.success(request, RENAMED % {"name": team.name})
            return dialog_done(request, settings_url(team))
    return render_dialog(request, "teams/settings_rename.html", {"team": team, "form": form})


@login_required
def team_create(request, team_id: int):
    """Actions › "Create team" → a name → "Create team" (R-T3): a new team of the same customer, with
    the admin who creates it as its primary admin. They land on the new team's settings, which offer
    to invite users and to move subscriptions to it."""
    team = team_for_admin(request, team_id)
    form = TeamNameForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            created = services.team_create(
                customer=team.customer,
                name=form.cleaned_data["name"],
                primary_admin=request.user,
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            messages.success(request, CREATED % {"name": created.name})
            return dialog_done(request, settings_url(created))
    return render_dialog(request, "teams/settings_create.html", {"team": team, "form": form})


@login_required
@require_POST
def team_second_factor(request, team_id: int):
    """Team settings › Sign-in security: the primary admin requires a second factor of the team's
    admins (an authenticator app or a passkey), or stops requiring it."""
    team = team_for_admin(request, team_id)
    required = request.POST.get("required") == "on"
    team = services.team_second_factor_set(team=team, required=required, actor=request.user)
    message = SECOND_FACTOR_ON if team.admins_need_second_factor else SECOND_FACTOR_OFF
    messages.success(request, message % {"team": team.name})
    needs_one = team.admins_need_second_factor and mfa.second_factor_required(request.user)
    if needs_one and not mfa.user_has_second_factor(request.user):
        request.session[mfa.SESSION_SETUP_REQUIRED] = True  # the rule holds for the one who set it
    return redirect(settings_url(team))
