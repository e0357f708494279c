"""User management › By Group (R-GR1..R-GR5): the team's groups, "Create group", a group's page with
its members, products and members waiting for a seat, "Rename" and "Delete".

Each view loads the team for its admins (`team_for_admin`: 404 for outsiders, 403 for members who
are not admins) and the group within that team (another team's group is 404), then calls a service
of licensing.groups.services, which locks, decides, audits and mails. Every dialog is a full page
without JavaScript and an htmx fragment with it. The members' and products' dialogs are in
member_views.py and product_views.py."""

from contextlib import suppress
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from licensing.groups import services
from licensing.groups.forms import GroupForm, SearchForm
from licensing.groups.models import Group, GroupMember, GroupProduct, SeatWait
from licensing.groups.seats import seats_lost
from licensing.groups.tables import (
    GroupMemberTable,
    GroupTable,
    WaitTable,
    group_products,
    groups_for_list,
    members_for_list,
    waits_for_list,
)
from licensing.subscriptions.models import Product
from licensing.teams.models import Team, member_search
from portal.dialogs import dialog_done, render_dialog
from portal.tables import paginate
from portal.views import team_for_admin

CREATED = _("The group %(name)s is created. Add its members and the products they get.")
RENAMED = _("The group is now called %(name)s.")
NOTHING_CHANGED = _("Nothing changed.")
DELETED = _("The group %(name)s is deleted.")
GONE = _("The group %(name)s no longer exists: another admin has just deleted it.")


# --- Loading ------------------------------------------------------------------------------------


def group_of(team: Team, group_id: int) -> Group:
    """A group of `team`; another team's group is 404 (§2: nobody sees another team's groups)."""
    return get_object_or_404(Group.objects.filter(team=team).select_related("team"), pk=group_id)


def list_url(team: Team) -> str:
    return reverse("groups:group-list", kwargs={"team_id": team.pk})


def detail_url(group: Group) -> str:
    return reverse("groups:group-detail", kwargs={"team_id": group.team_id, "group_id": group.pk})


@dataclass(frozen=True)
class Loss:
    """What taking a group's share of `product` from some of its members does (R-GR4): `lost` seats
    go, the others keep theirs (a direct assignment or another group gives it); `waiting` members
    stop waiting for it through the group."""

    product: Product
    lost: int
    waiting: int


def losses(group: Group, *, member_ids: list[int] | None = None, product: Product | None = None) -> list[Loss]:
    """For each product of the group (or `product`): the seats the members `member_ids` (None: all)
    would lose, by the services' rule (`seats_lost`), and their waits that would end."""
    lost = seats_lost(group=group, member_ids=member_ids)
    waits = SeatWait.objects.filter(group=group)
    if member_ids is not None:
        waits = waits.filter(member_id__in=member_ids[:5000])
    waiting = dict(waits.order_by().values("product").annotate(n=Count("pk")).values_list("product", "n"))
    products = [gp.product for gp in GroupProduct.objects.filter(group=group).select_related("product")]
    if product is not None:
        products = [p for p in products if p.pk == product.pk]
    products.sort(key=lambda p: p.name.lower())
    return [Loss(p, lost.get(p.pk, 0), waiting.get(p.pk, 0)) for p in products]


# --- The list -----------------------------------------------------------------------------------


@login_required
def group_list(request, team_id: int):
    """By Group: the team's groups with their number of members, their products and how many of
    their members wait for a seat; searched by name, sorted and paginated in a fixed number of
    queries (R-GR1, R-GR2, R-GR5)."""
    team = team_for_admin(request, team_id)
    search = SearchForm(request.GET)
    groups = groups_for_list(team)
    for word in search.query.split():
        groups = groups.filter(name__icontains=word)
    table = paginate(request, GroupTable(groups, team=team))
    context = {"team": team, "search": search, "table": table}
    return render(request, "groups/group_list.html", context)


@login_required
def group_create(request, team_id: int):
    """ "Create group": a name (unique in the team, in any case, R-GR1) and a description."""
    team = team_for_admin(request, team_id)
    form = GroupForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            group = services.group_create(
                team=team,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            messages.success(request, CREATED % {"name": group.name})
            return dialog_done(request, detail_url(group))
    return render_dialog(request, "groups/group_create.html", {"team": team, "form": form})


# --- A group's page -----------------------------------------------------------------------------


@login_required
def group_detail(request, team_id: int, group_id: int):
    """A group: its name and description, its members (searched, sorted, paginated; "Add members",
    "Import members", "Remove"), its products with their items ("Assign product", "Change items",
    "Unassign"), and its members waiting for a seat in the order they will get one (R-GR5)."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    search = SearchForm(request.GET)
    memberships = members_for_list(group)
    if search.query:
        memberships = memberships.filter(member_search(search.query, prefix="member__"))
    member_count = GroupMember.objects.filter(group=group).count()
    table = paginate(request, GroupMemberTable(memberships, team=team, group=group))
    waits = paginate(request, WaitTable(waits_for_list(group), team=team, group=group, prefix="wait-"))
    context = {
        "team": team,
        "group": group,
        "search": search,
        "table": table,
        "member_count": member_count,
        "products": group_products(group),
        "waits": waits,
    }
    return render(request, "groups/group_detail.html", context)


# --- Rename and delete --------------------------------------------------------------------------


@login_required
def group_rename(request, team_id: int, group_id: int):
    """ "Rename": the name and the description (R-GR1); a refused name is shown with what was typed."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    initial = {"name": group.name, "description": group.description}
    form = GroupForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            renamed = services.group_rename(
                group=group,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                actor=request.user,
            )
        except ValidationError as error:
            if error.code == "group_gone":
                messages.info(request, GONE % {"name": group.name})
                return dialog_done(request, list_url(team))
            form.add_error("name", error)
        else:
            if (renamed.name, renamed.description) == (initial["name"], initial["description"]):
                messages.info(request, NOTHING_CHANGED)
            else:
                messages.success(request, RENAMED % {"name": renamed.name})
            return dialog_done(request, detail_url(renamed))
    return render_dialog(request, "groups/group_rename.html", {"team": team, "group": group, "form": form})


@login_required
def group_delete(request, team_id: int, group_id: int):
    """ "Delete": says what happens first, per product: how many members lose their seat, the others
    keeping it because a direct assignment or another group gives it (R-GR4), and who stops
    waiting; then "Delete group". The members stay members of the team."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    if request.method == "POST":
        # Deleted by another admin meanwhile (group_gone): it is gone all the same.
        with suppress(ValidationError):
            services.group_delete(group=group, actor=request.user)
        messages.success(request, DELETED % {"name": group.name})
        return dialog_done(request, list_url(team))
    context = {
        "team": team,
        "group": group,
        "member_count": GroupMember.objects.filter(group=group).count(),
        "losses": losses(group),
    }
    return render_dialog(request, "groups/group_delete.html", context)
