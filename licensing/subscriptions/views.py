"""Screens of the subscriptions app.

By User › a user › Products (R-P1..R-P4, R-SE1): the products section of a user's page, with
"Assign" / "Unassign" and the arrow beside them that picks the product's items. The user's page
(licensing.teams.views) includes `subscriptions/_member_products.html` inside
`<section id="member-products">` and adds `member_products_context(member)` to its context.

Each action answers an htmx request aimed at that section (`hx-target="#member-products"`) with the
section alone, its message inside it; any other request goes back to the user's page, the message
at its top. Without JavaScript the arrow is a link to a page with the same item checkboxes.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from licensing.teams.models import Member
from portal.dialogs import dialog_done, render_dialog
from portal.views import team_for_admin

from .forms import AssignmentItemsForm
from .models import Assignment, Product, ProductItem, Subscription
from .services import assignment_create, assignment_delete, assignment_update

SECTION_ID = "member-products"

ASSIGNED = _("%(product)s is assigned to %(name)s. They get an e-mail telling them how to install it.")
ITEMS_SAVED = _("The items of %(product)s for %(name)s are saved.")
NOTHING_CHANGED = _("Nothing changed: %(name)s already has these items of %(product)s.")
UNASSIGNED = _("%(product)s is unassigned from %(name)s.")
NOT_ASSIGNED = _("%(name)s does not have %(product)s, so there is nothing to unassign.")


# --- The section on the user's page -------------------------------------------------------------


@dataclass(frozen=True)
class ItemChoice:
    """One checkbox behind the arrow: an item of the product, ticked when the member holds it."""

    item: ProductItem
    checked: bool


@dataclass(frozen=True)
class ProductRow:
    """A product as the user's page shows it: `product` carries the team's seat counts
    (`Product.objects.with_seat_counts`), `assignment` is the member's seat of it or None."""

    product: Product
    assignment: Assignment | None
    choices: tuple[ItemChoice, ...]

    @property
    def is_full(self) -> bool:
        """No free seat: "Assign" is disabled for a member without one (R-SE1)."""
        return self.product.seats_free <= 0

    @property
    def full_reason(self) -> str:
        seats = self.product.seats_purchased
        return ngettext("The only seat is assigned.", "All %(seats)d seats are assigned.", seats) % {"seats": seats}


@dataclass(frozen=True)
class MemberProducts:
    """What `subscriptions/_member_products.html` shows: the member's products (`held`) and the
    products the team has an active subscription of that they do not hold (`offered`)."""

    member: Member
    held: tuple[ProductRow, ...]
    offered: tuple[ProductRow, ...]


def _product_rows(member: Member, product_ids=None) -> list[ProductRow]:
    """The member's products and the team's products with an active subscription (or the products
    `product_ids`), each with its seats, items and the member's assignment: four queries, however
    many products and items."""
    assignments = {
        a.product_id: a
        for a in Assignment.objects.filter(member=member).select_related("assigned_by").prefetch_related("items")
    }
    if product_ids is None:
        active = Subscription.objects.active().filter(team_id=member.team_id).values("product")
        products = Product.objects.filter(Q(pk__in=active) | Q(pk__in=list(assignments)))
    else:
        products = Product.objects.filter(pk__in=product_ids)
    products = products.with_seat_counts(member.team_id).prefetch_related("items").order_by("name", "pk")
    rows = []
    for product in products:
        assignment = assignments.get(product.pk)
        held = {item.pk for item in assignment.items.all()} if assignment else None
        choices = tuple(ItemChoice(item, held is None or item.pk in held) for item in product.items.all())
        rows.append(ProductRow(product, assignment, choices))
    return rows


def member_products_context(member: Member) -> dict:
    """The context of `subscriptions/_member_products.html` for `member`, under one key so that it
    cannot overwrite what the user's page has in its own context."""
    rows = _product_rows(member)
    return {
        "member_products": MemberProducts(
            member=member,
            held=tuple(row for row in rows if row.assignment is not None),
            offered=tuple(row for row in rows if row.assignment is None),
        )
    }


# --- Loading ------------------------------------------------------------------------------------


def _load(request, team_id: int, member_id: int, product_id: int) -> tuple[Member, Product]:
    """The member and product of an action, both scoped to the team: another team's member, or a
    product the team has nothing of, is 404 (UI conventions)."""
    team = team_for_admin(request, team_id)
    member = get_object_or_404(Member.objects.filter(team=team).select_related("user", "team"), pk=member_id)
    product = get_object_or_404(Product.objects.of_team(team), pk=product_id)
    return member, product


def _names(member: Member, product: Product) -> dict:
    return {"name": member.name, "product": product.name}


def _in_section(request) -> bool:
    """An htmx request from the products section itself, which wants the section back."""
    return bool(getattr(request, "htmx", False)) and request.htmx.target == SECTION_ID


def _member_url(member: Member) -> str:
    return reverse("teams:member-detail", kwargs={"team_id": member.team_id, "member_id": member.pk})


def _done(request, member: Member):
    """After an action: the section again (htmx, with the message in it) or the user's page."""
    if _in_section(request):
        context = {**member_products_context(member), "inline_messages": True}
        return render(request, "subscriptions/_member_products.html", context)
    return dialog_done(request, _member_url(member))


def _refused(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def unassign_refused(request, error: ValidationError) -> None:
    """What `assignment_delete` refused, as a message. ALREADY_UNASSIGNED (another admin or tab was
    first) is news, not an error: the seat is free, as the admin wanted."""
    level = messages.INFO if getattr(error, "code", None) == "already_unassigned" else messages.ERROR
    for message in error.messages:
        messages.add_message(request, level, message)


# --- Actions ------------------------------------------------------------------------------------


@login_required
@require_POST
def member_product_assign(request, team_id: int, member_id: int, product_id: int):
    """The "Assign" button: the member gets a seat of the product with all its items (R-P2, R-P3, R-SE1)."""
    member, product = _load(request, team_id, member_id, product_id)
    try:
        assignment_create(member=member, product=product, actor=request.user)
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, ASSIGNED % _names(member, product))
    return _done(request, member)


@login_required
@require_POST
def member_product_unassign(request, team_id: int, member_id: int, product_id: int):
    """The "Unassign" button: the member loses the product and all its items (R-P4)."""
    member, product = _load(request, team_id, member_id, product_id)
    assignment = Assignment.objects.filter(member=member, product=product).first()
    if assignment is None:  # unassigned before this request, in another tab or by another admin
        messages.info(request, NOT_ASSIGNED % _names(member, product))
        return _done(request, member)
    try:
        assignment_delete(assignment=assignment, actor=request.user)
    except ValidationError as error:  # ALREADY_UNASSIGNED: unassigned while this request waited
        unassign_refused(request, error)
    else:
        messages.success(request, UNASSIGNED % _names(member, product))
    return _done(request, member)


@login_required
def member_product_change(request, team_id: int, member_id: int, product_id: int):
    """The arrow beside "Assign" or "Unassign": tick the items, then "Save changes" (R-P2, R-P4).

    A product the member does not hold is assigned with the ticked items; for one they hold, the
    ticked items replace theirs, and none ticked unassigns it. GET is the page the arrow links to
    without JavaScript; POST comes from that page or from the menu in the products section."""
    member, product = _load(request, team_id, member_id, product_id)
    if not product.items.exists():  # nothing to choose: "Assign" and "Unassign" are all there is
        raise Http404
    assignment = Assignment.objects.filter(member=member, product=product).first()
    data = request.POST if request.method == "POST" else None
    form = AssignmentItemsForm(data, product=product, assigned=assignment is not None)
    if form.is_valid():
        try:
            message = _save_items(request, member, product, assignment, form.cleaned_data["items"])
        except ValidationError as error:
            form.add_error(None, error)
        except Assignment.DoesNotExist:  # unassigned meanwhile, in another tab or by another admin
            messages.info(request, NOT_ASSIGNED % _names(member, product))
            return _done(request, member)
        else:
            messages.success(request, message)
            return _done(request, member)
    if form.is_bound and _in_section(request):  # the section shows what went wrong as messages
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return _done(request, member)
    return _items_dialog(request, member, product, assignment, form)


def _save_items(request, member: Member, product: Product, assignment: Assignment | None, items) -> str:
    """Call the service the ticked items ask for; the message to show after it."""
    names = _names(member, product)
    if assignment is None:
        assignment_create(member=member, product=product, items=items, actor=request.user)
        return ASSIGNED % names
    before = set(assignment.items.values_list("pk", flat=True))
    if assignment_update(assignment=assignment, items=items, actor=request.user) is None:
        return UNASSIGNED % names  # every item deselected (R-P4)
    if before == {item.pk for item in items}:
        return NOTHING_CHANGED % names
    return ITEMS_SAVED % names


def _items_dialog(request, member: Member, product: Product, assignment: Assignment | None, form):
    """The items page (dialog pattern): the row of the section, ticked as typed after a failed POST."""
    row = _product_rows(member, product_ids=[product.pk])[0]
    if form.is_bound:
        ticked = {str(pk) for pk in form.data.getlist("items")}
        choices = tuple(ItemChoice(choice.item, str(choice.item.pk) in ticked) for choice in row.choices)
        row = ProductRow(row.product, row.assignment, choices)
    context = {"member": member, "team": member.team, "row": row, "form": form, "back_url": _member_url(member)}
    return render_dialog(request, "subscriptions/member_product_items.html", context)
