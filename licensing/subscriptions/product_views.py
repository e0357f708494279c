"""User management › By Product (R-BP1, R-BP2, R-SE1): the team's products with their seats, a
product's page with its assigned users and the subscriptions that make up its pool, "Assign users",
and per user "Unassign" and the arrow that deselects items.

Each view loads the team for its admins (`team_for_admin`: 404 for outsiders, 403 for members who
are not admins) and the product among the team's own (`Product.objects.of_team`: a product the team
has nothing of is 404), then calls the services, which lock, check the seats, audit and mail. Every
dialog is a full page without JavaScript and an htmx fragment with it."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from licensing.accounts.services import member_invite
from licensing.groups.models import SeatWait
from licensing.teams.models import Member, Team, member_search
from portal.csv_export import csv_response, team_slug
from portal.db import run_retrying
from portal.dialogs import dialog_done, render_dialog
from portal.fields import id_from
from portal.tables import order, paginate
from portal.views import team_for_admin

from .forms import AssignmentItemsForm
from .models import Assignment, Product, Subscription
from .product_forms import AssignUsersForm, Person, SearchForm, products_search
from .services import assignment_create, assignment_delete, assignment_update
from .tables import (
    PRODUCT_CSV_HEADER,
    AssignmentTable,
    ProductTable,
    assignments_for_list,
    product_csv_rows,
    products_for_list,
)
from .views import (
    ITEMS_SAVED,
    NOT_ASSIGNED,
    NOTHING_CHANGED,
    UNASSIGNED,
    ItemChoice,
    ProductRow,
    unassign_refused,
    unassign_undo,
)

ASSIGNED_TO = gettext_lazy("%(product)s is assigned to %(names)s.")
ASSIGNED_TO_WITH_ITEMS = gettext_lazy("%(product)s is assigned to %(names)s, with %(items)s.")
REFUSED_FOR = gettext_lazy("%(name)s: %(reason)s")

# The query of a product's page that its actions return to: the search, the sort and the page.
BACK_KEYS = ("q", "sort", "page")


# --- Loading ------------------------------------------------------------------------------------


def _product(team: Team, product_id: int) -> Product:
    """A product of the team with the team's seat counts; one the team has nothing of is 404."""
    return get_object_or_404(Product.objects.of_team(team).with_seat_counts(team), pk=product_id)


def _member(team: Team, member_id: int) -> Member:
    return get_object_or_404(Member.objects.filter(team=team).select_related("user", "team"), pk=member_id)


def _back(query: str) -> str:
    """Of a posted or linked query string, only the keys of the product's page, encoded again."""
    data = QueryDict(query.lstrip("?"))
    kept = QueryDict(mutable=True)
    for key in BACK_KEYS:
        if data.get(key):
            kept[key] = data[key][:200]
    return kept.urlencode()


def _detail_url(team: Team, product: Product, back: str = "") -> str:
    url = reverse("subscriptions:product-detail", kwargs={"team_id": team.pk, "product_id": product.pk})
    back = _back(back)
    return f"{url}?{back}" if back else url


def _names(member: Member, product: Product) -> dict:
    return {"name": member.name, "product": product.name}


# --- The list -----------------------------------------------------------------------------------


@login_required
def product_list(request, team_id: int):
    """By Product: every product of the team with its items, seats purchased (over its active
    subscriptions), assigned and free, and its number of active subscriptions; an over-full pool is
    flagged (R-BP1, R-SE1). Searched and sorted, in a fixed number of queries."""
    team = team_for_admin(request, team_id)
    search = SearchForm(request.GET)
    products = products_search(products_for_list(team), search.query)
    table = paginate(request, ProductTable(products, team=team))
    context = {"team": team, "search": search, "table": table}
    return render(request, "subscriptions/product_list.html", context)


@require_GET
@login_required
def product_export(request, team_id: int):
    """By Product's "Export as CSV": the products the list shows with its search, in its order
    (PRODUCT_CSV_HEADER; the format of portal.csv_export)."""
    team = team_for_admin(request, team_id)
    search = SearchForm(request.GET)
    table = order(request, ProductTable(products_search(products_for_list(team), search.query), team=team))
    filename = f"products-{team_slug(team.name, team.pk)}-{timezone.localdate().isoformat()}.csv"
    return csv_response(filename, PRODUCT_CSV_HEADER, product_csv_rows(table.data.data))


# --- A product's page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRow:
    """A subscription of the product's pool as the page shows it: `state` is "active", "upcoming"
    (its term has not started) or "expired"; only active ones count (R-SE1)."""

    subscription: Subscription
    state: str


def _pool(team: Team, product: Product) -> list[PoolRow]:
    """The team's subscriptions of the product: active ones first, then those still to start, then
    the expired ones, each by contract number."""
    today = timezone.localdate()
    rows = []
    for subscription in (
        Subscription.objects.filter(team=team, product=product)
        .select_related("contract", "owner")
        .order_by("contract__number", "pk")
    ):
        if subscription.term_end < today:
            state = "expired"
        elif subscription.term_start > today:
            state = "upcoming"
        else:
            state = "active"
        rows.append(PoolRow(subscription, state))
    order = {"active": 0, "upcoming": 1, "expired": 2}
    return sorted(rows, key=lambda row: order[row.state])


# The members waiting for a seat a product's page lists; the rest are counted (R-GR5).
WAITING_SHOWN = 50


@login_required
def product_detail(request, team_id: int, product_id: int):
    """A product: its seats, its assigned users (name, e-mail address, the items they hold, assigned
    on, by whom) with "Unassign" and the arrow beside each (R-BP2), "Assign users" (R-BP1), and the
    subscriptions that make up the pool, expired ones greyed, and the members waiting for a seat
    through a group, with the group and why (R-GR5). The users are searched, sorted and paginated: a
    product can have thousands."""
    team = team_for_admin(request, team_id)
    product = _product(team, product_id)
    search = SearchForm(request.GET)
    assignments = assignments_for_list(team, product)
    if search.query:
        assignments = assignments.filter(member_search(search.query, prefix="member__"))
    back = _back(request.GET.urlencode())
    table = paginate(request, AssignmentTable(assignments, team=team, product=product, back=back))
    pool = _pool(team, product)
    # R-GR5: the members waiting for a seat through a group, in the order they get one; counted only
    # when some wait (one query for a product nobody waits for).
    waits = SeatWait.objects.filter(group__team=team, product=product)
    waiting = list(waits.select_related("member__user", "group", "product").order_by("since", "pk")[:WAITING_SHOWN])
    context = {
        "team": team,
        "product": product,
        "search": search,
        "table": table,
        "pool": pool,
        "active_count": sum(1 for row in pool if row.state == "active"),
        "waiting": waiting,
        "waiting_count": waits.count() if waiting else 0,
    }
    return render(request, "subscriptions/product_detail.html", context)


# --- Assign users -------------------------------------------------------------------------------


def _refusal(person: Person, error: ValidationError) -> str:
    """A refusal of the services, with the person's name in front unless it already says who."""
    reason = " ".join(error.messages)
    if person.name in reason or person.address in reason:
        return reason
    return str(REFUSED_FOR % {"name": person.name, "reason": reason})


def _assign_people(team: Team, product: Product, people: list[Person], items, actor) -> list[Person]:
    """Everyone on the list gets a seat of `product`, with `items` (None: all of them); an address
    that is not a member yet is invited first (R-BP1, R-U2). One transaction: if the services refuse
    anyone (no free seat left, R-SE1; already assigned meanwhile), nothing is written, no mail goes,
    and the refusal names the person."""

    def assign_all() -> None:
        for person in people:
            try:
                member = person.member
                if member is None:
                    member = member_invite(
                        team=team,
                        email=person.email,
                        first_name=person.first_name,
                        last_name=person.last_name,
                        actor=actor,
                    )
                assignment_create(member=member, product=product, items=items, actor=actor)
            except ValidationError as error:
                raise ValidationError(_refusal(person, error), code="refused") from error

    # Run again from the start if a concurrent writer made the database refuse the transaction.
    run_retrying(assign_all)
    return people


def _assigned_message(team: Team, product: Product, people: list[Person], items) -> str:
    """ "DraftPro is assigned to Anna Bakker and David de Jong. Ilse Nieuw is invited to Design.",
    naming everyone."""
    names = get_text_list([person.name for person in people], _("and"))
    if items is not None and len(items) < product.items.count():
        text = ASSIGNED_TO_WITH_ITEMS % {
            "product": product.name,
            "names": names,
            "items": get_text_list([item.name for item in items], _("and")),
        }
    else:
        text = ASSIGNED_TO % {"product": product.name, "names": names}
    new = [person.name for person in people if person.is_new]
    if new:
        invited = ngettext(
            "%(names)s is invited to %(team)s and gets the invitation by e-mail.",
            "%(names)s are invited to %(team)s and get the invitation by e-mail.",
            len(new),
        ) % {"names": get_text_list(new, _("and")), "team": team.name}
        text = f"{text} {invited}"
    return text


@login_required
def product_assign_users(request, team_id: int, product_id: int):
    """ "Assign users" (R-BP1): a name or e-mail address, "Add" (or a suggestion chosen), as often as
    there are free seats; then "Assign" with all items, or "Customize" to choose them and "Assign".

    Every button posts the whole dialog (`action`), which comes back with the list changed, so that
    it works without JavaScript; with it, htmx swaps the dialog and fetches suggestions as one types
    (`product_assign_suggestions`)."""
    team = team_for_admin(request, team_id)
    product = _product(team, product_id)
    if request.method != "POST":
        return _assign_dialog(request, team, product, AssignUsersForm(team=team, product=product))
    form = AssignUsersForm(request.POST, team=team, product=product)
    action = request.POST.get("action", "add")
    if action == "add":
        form.add_typed()
    elif action.startswith("pick:"):
        form.add_member(action.removeprefix("pick:"))
    elif action.startswith("remove:"):
        form.remove(action.removeprefix("remove:"))
    elif action == "back":
        form.step = form.STEP_PEOPLE
    elif action == "customize":
        if form.check_assign():
            form.step = form.STEP_ITEMS
    elif action == "assign":
        # Someone typed but not added yet is what the admin means: add them first.
        typed = form.step == form.STEP_PEOPLE and form.typed["query"]
        if (not typed or form.add_typed()) and form.check_assign():
            items = form.chosen_items()
            try:
                people = _assign_people(team, product, form.people, items, request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _assigned_message(team, product, people, items))
                return dialog_done(request, _detail_url(team, product, request.POST.get("back", "")))
    return _assign_dialog(request, team, product, form)


def _assign_dialog(request, team: Team, product: Product, form: AssignUsersForm):
    suggestions_url = reverse(
        "subscriptions:product-assign-suggestions", kwargs={"team_id": team.pk, "product_id": product.pk}
    )
    back = request.POST.get("back", "") if request.method == "POST" else request.GET.urlencode()
    context = {
        "team": team,
        "product": product,
        "form": form,
        "suggestions_url": suggestions_url,
        "back": _back(back),
        "back_url": _detail_url(team, product, back),
        "gone": form.dropped,
    }
    return render_dialog(request, "subscriptions/product_assign_users.html", context)


@login_required
def product_assign_suggestions(request, team_id: int, product_id: int):
    """The members matching what is typed in "Assign users", fetched as one types (htmx `hx-get`):
    a few at most, those on the list left out, those who have the product already shown as such; an
    e-mail address that is not a member yet is offered to invite, with fields for the names."""
    team = team_for_admin(request, team_id)
    product = _product(team, product_id)
    form = AssignUsersForm(request.GET, team=team, product=product)
    form.suggest()
    return render(request, "subscriptions/product_assign_suggestions.html", {"form": form, "product": product})


# --- Unassign and the arrow beside a user -------------------------------------------------------


@login_required
@require_POST
def product_assignment_unassign(request, team_id: int, product_id: int, member_id: int):
    """ "Unassign" beside a user: they lose the product and all its items (R-BP2)."""
    team = team_for_admin(request, team_id)
    product = _product(team, product_id)
    member = _member(team, member_id)
    assignment = Assignment.objects.filter(member=member, product=product).first()
    if assignment is None:  # unassigned before this request, in another tab or by another admin
        messages.info(request, NOT_ASSIGNED % _names(member, product))
    else:
        try:
            snapshot = assignment_delete(assignment=assignment, actor=request.user)
        except ValidationError as error:  # ALREADY_UNASSIGNED: unassigned while this request waited
            unassign_refused(request, error)
        else:
            back = _detail_url(team, product, request.POST.get("back", ""))
            text = UNASSIGNED % _names(member, product)
            messages.success(request, unassign_undo(request, text, {team.pk: [snapshot]}, team=team, back=back))
    return dialog_done(request, _detail_url(team, product, request.POST.get("back", "")))


@login_required
def product_assignment_change(request, team_id: int, product_id: int, member_id: int):
    """The arrow beside a user: the product's items and services, ticked as they hold them, to
    deselect, then "Save changes" (R-BP2). Deselecting every item unassigns the product (R-P4).

    POST comes from the menu on the product's page; GET is the page the arrow links to without
    JavaScript."""
    team = team_for_admin(request, team_id)
    product = _product(team, product_id)
    member = _member(team, member_id)
    back = request.POST.get("back", "") if request.method == "POST" else request.GET.get("back", "")
    back_url = _detail_url(team, product, back)
    if not product.items.exists():  # nothing to choose: "Unassign" is all there is
        raise Http404
    assignment = Assignment.objects.filter(member=member, product=product).prefetch_related("items").first()
    if assignment is None:  # unassigned meanwhile: nothing to change
        messages.info(request, NOT_ASSIGNED % _names(member, product))
        return dialog_done(request, back_url)
    form = AssignmentItemsForm(request.POST if request.method == "POST" else None, product=product, assigned=True)
    if form.is_valid():
        names = _names(member, product)
        before = {item.pk for item in assignment.items.all()}
        try:
            kept = assignment_update(assignment=assignment, items=form.cleaned_data["items"], actor=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        except Assignment.DoesNotExist:
            messages.info(request, NOT_ASSIGNED % names)
            return dialog_done(request, back_url)
        else:
            if kept is None:
                messages.success(request, UNASSIGNED % names)
            elif before == {item.pk for item in form.cleaned_data["items"]}:
                messages.info(request, NOTHING_CHANGED % names)
            else:
                messages.success(request, ITEMS_SAVED % names)
            return dialog_done(request, back_url)
    held = {item.pk for item in assignment.items.all()}
    if form.is_bound:
        held = {id_from(pk) for pk in form.data.getlist("items")} - {None}
    row = ProductRow(product, assignment, tuple(ItemChoice(item, item.pk in held) for item in product.items.all()))
    context = {"member": member, "team": team, "row": row, "form": form, "back": _back(back), "back_url": back_url}
    return render_dialog(request, "subscriptions/product_assignment_items.html", context)
