"""The portal's navigation, in one place.

A screen appears in the side navigation once its URL name resolves: until then reversing it raises
NoReverseMatch, which here means "not built yet", and the entry is skipped. A later screen adds its
entry to NAVIGATION (or just starts existing under the URL name already listed) and nothing else.

Team screens (`team=True`) take the current team as the `team_id` URL argument. SPEC §2 gives all of
them to the team's primary and secondary admins and to support staff, so they are listed only when
the current team is one of those; a narrower screen names its rule with `permission`. The view of
each screen still checks access itself: the navigation only decides what is worth showing.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from licensing.teams.models import Team


@dataclass(frozen=True)
class NavItem:
    """One link of the navigation: a label, the URL name of its screen and a Bootstrap Icons name."""

    label: str | Promise
    url_name: str
    icon: str
    team: bool = False
    # An extra `can_<verb>(user, team) -> bool` from a permissions module, for screens that not every
    # team admin may see. None: every admin of the team (and support staff).
    permission: Callable[..., bool] | None = None


@dataclass(frozen=True)
class NavSection:
    """A group of links under a heading (the heading may be empty)."""

    label: str | Promise | None
    items: tuple[NavItem, ...] = field(default_factory=tuple)
    icon: str = ""


NAVIGATION: tuple[NavSection, ...] = (
    NavSection(
        None,
        (
            NavItem(_("Home"), "home", "house"),
            NavItem(_("My products"), "my-products", "box-seam"),
        ),
    ),
    # The team's own landing page heads the team screens; the sidebar shows the team's name above it.
    NavSection(
        None,
        (
            NavItem(_("Team overview"), "team-home", "grid-1x2", team=True),
            NavItem(_("Team settings"), "team_settings:team-settings", "gear", team=True),
        ),
    ),
    NavSection(
        _("User management"),
        (
            NavItem(_("By User"), "teams:member-list", "person-lines-fill", team=True),
            NavItem(_("By Product"), "subscriptions:product-list", "boxes", team=True),
            NavItem(_("By Group"), "groups:group-list", "people-fill", team=True),
        ),
        icon="person-gear",
    ),
    NavSection(
        _("Billing & Orders"),
        (NavItem(_("Contracts"), "subscriptions:contract-list", "file-earmark-text", team=True),),
        icon="receipt",
    ),
    NavSection(
        _("Reporting"),
        (
            NavItem(_("Seat Usage"), "reports:seat-usage", "bar-chart-line", team=True),
            NavItem(_("Activity log"), "activity:event-list", "clock-history", team=True),
        ),
        icon="graph-up",
    ),
)


@dataclass(frozen=True)
class NavLink:
    """A navigation entry resolved for one request: where it goes and whether it is the current page."""

    label: str | Promise
    url: str
    icon: str
    active: bool


@dataclass(frozen=True)
class NavGroup:
    label: str | Promise | None
    icon: str
    links: tuple[NavLink, ...]
    team: bool  # its links are screens of the current team


def item_url(item: NavItem, team: Team | None) -> str | None:
    """The address of `item` (for `team` if it is a team screen), or None while it is not built."""
    if item.team and team is None:
        return None
    try:
        return reverse(item.url_name, kwargs={"team_id": team.pk} if item.team else None)
    except NoReverseMatch:
        return None


def is_current(item: NavItem, current_view: str | None) -> bool:
    """Whether the page `current_view` belongs under `item`: the item's own page, or a page of the
    same thing ("teams:member-detail" under "teams:member-list")."""
    if not current_view:
        return False
    if current_view == item.url_name:
        return True
    return item.url_name.endswith("-list") and current_view.startswith(item.url_name.removesuffix("list"))


def resolve(
    user, *, team: Team | None, team_admin: bool, current_view: str | None = None, personal: bool = True
) -> tuple[NavGroup, ...]:
    """The navigation for `user`: the built screens, with team screens for `team` when `team_admin`
    (the user administers it or is support staff). `personal=False` leaves out the personal links
    (Home, My products), for lists of one team's screens such as the cards on the home page."""
    groups = []
    for section in NAVIGATION:
        links = []
        for item in section.items:
            if item.team and not team_admin:
                continue
            if not item.team and not personal:
                continue
            if item.permission is not None and not item.permission(user, team):
                continue
            url = item_url(item, team)
            if url is not None:
                links.append(NavLink(item.label, url, item.icon, active=is_current(item, current_view)))
        if links:
            is_team = any(item.team for item in section.items)
            groups.append(NavGroup(section.label, section.icon, tuple(links), team=is_team))
    return tuple(groups)


def team_screen_names() -> frozenset[str]:
    """URL names of the team screens, whose only argument is `team_id`: the team switcher keeps
    an admin on the same screen when they switch teams there."""
    return frozenset(item.url_name for section in NAVIGATION for item in section.items if item.team)
