"""What every page of the shell needs: the navigation, the teams the user administers (the team
switcher) and the current team. Built lazily, so a page that shows no shell (the Django admin, a
mail) runs no query for it."""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from licensing.teams.models import Member, Team
from licensing.teams.permissions import is_support
from portal import navigation as nav

# The team an admin last worked in, so that Home and My products keep the team navigation of the
# team they came from.
SESSION_TEAM_KEY = "portal_team_id"


@dataclass(frozen=True)
class TeamChoice:
    team: Team
    url: str
    current: bool


@dataclass(frozen=True)
class Shell:
    """The shell of one request. `teams`: the teams the user administers (R-U1). `team`: the current
    team, if the user may work in it as admin or support staff."""

    teams: tuple[Team, ...]
    team: Team | None
    groups: tuple[nav.NavGroup, ...]
    team_choices: tuple[TeamChoice, ...]


def _url_team_id(request) -> int | None:
    match = getattr(request, "resolver_match", None)
    team_id = match.kwargs.get("team_id") if match else None
    try:
        return int(team_id) if team_id is not None else None
    except (TypeError, ValueError):
        return None


def _first_team(teams: tuple[Team, ...]) -> Team:
    """The team an admin starts in before they chose one: the first (by name) where they are the
    primary admin, else the first they administer."""
    return next((team for team in teams if team.is_my_primary), teams[0])


def shell_for(request) -> Shell:
    user = request.user
    primary = Member.objects.filter(
        team=OuterRef("pk"), user=user, role=Member.Role.PRIMARY_ADMIN, status=Member.Status.ACTIVE
    )
    teams = tuple(Team.objects.administered_by(user).select_related("customer").annotate(is_my_primary=Exists(primary)))
    by_id = {team.pk: team for team in teams}
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match else None

    team = None
    url_team_id = _url_team_id(request)
    if url_team_id is not None:
        team = by_id.get(url_team_id)
        if team is None and is_support(user):
            team = Team.objects.filter(pk=url_team_id).select_related("customer").first()
        if team is not None and request.session.get(SESSION_TEAM_KEY) != team.pk:
            request.session[SESSION_TEAM_KEY] = team.pk
    if team is None and teams:
        team = by_id.get(request.session.get(SESSION_TEAM_KEY)) or _first_team(teams)

    # Switching team keeps the admin on the same screen when it is a team screen with no other
    # argument (By User of team A -> By User of team B); elsewhere it goes to the team's home.
    same_screen = view_name in nav.team_screen_names() and match is not None and set(match.kwargs) == {"team_id"}
    choices = tuple(
        TeamChoice(
            choice,
            reverse(view_name if same_screen else "team-home", kwargs={"team_id": choice.pk}),
            current=team is not None and choice.pk == team.pk,
        )
        for choice in teams
    )
    groups = nav.resolve(user, team=team, team_admin=team is not None, current_view=view_name)
    return Shell(teams=teams, team=team, groups=groups, team_choices=choices)


def navigation(request) -> dict:
    """`shell` in every template rendered with a request: see Shell."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"shell": SimpleLazyObject(lambda: shell_for(request))}
