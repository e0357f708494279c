"""Screens of the subscriptions app.

By User › a user › Products (R-P1..R-P4, R-SE1): the products section of a user's page, with
"Assign" / "Unassign" and the arrow beside them that picks the product's items. The user's page
(licensing.teams.views) includes `subscriptions/_member_products.html` inside
`<section id="member-products">` and adds `member_products_context(member)` to its context.

Each action answers an htmx request aimed at that section (`hx-target="#member-products"`) with the
section alone, its message inside it; any other request goes back to the user's page, the message
at its top. Without JavaScript the arrow is a link to a page with the same item checkboxes.
"""

from collections import defaultdict
from dataclasses import dataclass, replace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from licensing.groups.models import AssignmentGrant, SeatWait
from licensing.teams.models import Member, Team
from portal.dialogs import dialog_done, render_dialog
from portal.undo import UndoExpired, UndoInvalid, undo_message, undo_read, undo_sign
from portal.views import team_for_admin

from .forms import AssignmentItemsForm
from .models import Assignment, Product, ProductItem, Subscription
from .services import (
    RestoreResult,
    SeatSnapshot,
    assignment_create,
    assignment_delete,
    assignment_restore,
    assignment_update,
)

SECTION_ID = "member-products"

ASSIGNED = _("%(product)s is assigned to %(name)s. They get an e-mail telling them how to install it.")
ITEMS_SAVED = _("The items of %(product)s for %(name)s are saved.")
NOTHING_CHANGED = _("Nothing changed: %(name)s already has these items of %(product)s.")
UNASSIGNED = _("%(product)s is unassigned from %(name)s.")
NOT_ASSIGNED = _("%(name)s does not have %(product)s, so there is nothing to unassign.")
# R-GR4, R-GR6: unassigning a seat that groups give too takes the direct part only.
DIRECT_UNASSIGNED = _(
    "%(product)s is no longer assigned directly to %(name)s. They keep it through the group %(groups)s."
)
DIRECT_ITEMS_SAVED = _(
    "The items of %(product)s assigned directly to %(name)s are saved. The group %(groups)s gives its items too."
)


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
    # Where the seat comes from (R-GR6): the names of the groups that give it (empty: direct only),
    # the items the admin chose directly when groups share the seat (the menu's ticks), and the
    # member's waits for a seat of the product through groups (licensing.groups.models.SeatWait).
    groups: tuple = ()
    direct_choices: tuple[ItemChoice, ...] | None = None
    waits: tuple = ()

    @property
    def is_direct(self) -> bool:
        return self.assignment is not None and self.assignment.direct

    @property
    def groups_only(self) -> bool:
        """Held through groups alone: "Unassign" would be refused (GIVEN_BY_GROUP); the page says why."""
        return self.assignment is not None and not self.assignment.direct and bool(self.groups)

    @property
    def shared(self) -> bool:
        """Held directly and through groups: unassigning takes the direct part only, the seat stays."""
        return self.is_direct and bool(self.groups)

    @property
    def menu_choices(self) -> tuple[ItemChoice, ...]:
        """The ticks behind the arrow: the direct items when groups share the seat, else the items."""
        return self.direct_choices if self.direct_choices is not None else self.choices

    @property
    def groups_text(self) -> str:
        return ", ".join(group.name for group in self.groups)

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
    `product_ids`), each with its seats, items and the member's assignment, the groups that give it
    and the member's waits for a seat (R-GR6): six queries, however many products, items and groups
    (seven when groups share a seat the admin also assigned directly)."""
    assignments = {
        a.product_id: a
        for a in Assignment.objects.filter(member=member)
        .select_related("assigned_by")
        .prefetch_related("items", Prefetch("grants", AssignmentGrant.objects.select_related("group")))
    }
    # The items chosen directly, only of seats groups share (the menu's ticks, R-GR6): no query without.
    shared = [a.pk for a in assignments.values() if a.direct and a.grants.all()]
    direct_items = defaultdict(set)
    if shared:
        through = Assignment.direct_items.through
        for assignment_id, item_id in through.objects.filter(assignment_id__in=shared).values_list(
            "assignment_id", "productitem_id"
        ):
            direct_items[assignment_id].add(item_id)
    waits = defaultdict(list)
    for wait in SeatWait.objects.filter(member=member).select_related("group").order_by("since", "pk"):
        waits[wait.product_id].append(wait)
    if product_ids is None:
        active = Subscription.objects.active().filter(team_id=member.team_id).values("product")
        # The products waited for through a group too, even without an active subscription (R-GR5).
        products = Product.objects.filter(Q(pk__in=active) | Q(pk__in=list(assignments)) | Q(pk__in=list(waits)))
    else:
        products = Product.objects.filter(pk__in=product_ids)
    products = products.with_seat_counts(member.team_id).prefetch_related("items").order_by("name", "pk")
    rows = []
    for product in products:
        assignment = assignments.get(product.pk)
        held = {item.pk for item in assignment.items.all()} if assignment else None
        choices = tuple(ItemChoice(item, held is None or item.pk in held) for item in product.items.all())
        given = (grant.group for grant in assignment.grants.all()) if assignment else ()
        groups = tuple(sorted(given, key=lambda group: (group.name.lower(), group.pk)))
        direct_choices = None
        if groups and assignment.direct:
            chosen = direct_items[assignment.pk]
            direct_choices = tuple(ItemChoice(item, item.pk in chosen) for item in product.items.all())
        rows.append(ProductRow(product, assignment, choices, groups, direct_choices, tuple(waits[product.pk])))
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
        snapshot = assignment_delete(assignment=assignment, actor=request.user)
    except ValidationError as error:  # ALREADY_UNASSIGNED: unassigned while this request waited; GIVEN_BY_GROUP
        unassign_refused(request, error)
    else:
        text = _unassigned_message(member, product)
        back = _member_url(member)
        messages.success(
            request, unassign_undo(request, text, {member.team_id: [snapshot]}, team=member.team, back=back)
        )
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


def _giving_groups(member: Member, product: Product) -> list[str]:
    """The names of the groups that give the member's seat of `product` now (R-GR6)."""
    grants = AssignmentGrant.objects.filter(assignment__member=member, assignment__product=product)
    return sorted(grants.values_list("group__name", flat=True), key=str.lower)


def _unassigned_message(member: Member, product: Product) -> str:
    """After "Unassign" (or every item deselected): the seat is gone, or only its direct part when
    groups give it too (R-GR4)."""
    groups = _giving_groups(member, product)
    if groups:
        return DIRECT_UNASSIGNED % {**_names(member, product), "groups": ", ".join(groups)}
    return UNASSIGNED % _names(member, product)


def _save_items(request, member: Member, product: Product, assignment: Assignment | None, items) -> str:
    """Call the service the ticked items ask for; the message to show after it."""
    names = _names(member, product)
    if assignment is None:
        assignment_create(member=member, product=product, items=items, actor=request.user)
        return ASSIGNED % names
    shared = assignment.direct and assignment.grants.exists()
    before = set((assignment.direct_items if shared else assignment.items).values_list("pk", flat=True))
    if assignment_update(assignment=assignment, items=items, actor=request.user) is None:
        return _unassigned_message(member, product)  # every item deselected (R-P4)
    if before == {item.pk for item in items}:
        return NOTHING_CHANGED % names
    if shared:
        return DIRECT_ITEMS_SAVED % {**names, "groups": ", ".join(_giving_groups(member, product))}
    return ITEMS_SAVED % names


def _items_dialog(request, member: Member, product: Product, assignment: Assignment | None, form):
    """The items page (dialog pattern): the row of the section, ticked as typed after a failed POST."""
    row = _product_rows(member, product_ids=[product.pk])[0]
    if form.is_bound:
        ticked = {str(pk) for pk in form.data.getlist("items")}
        choices = tuple(ItemChoice(choice.item, str(choice.item.pk) in ticked) for choice in row.menu_choices)
        field = "choices" if row.direct_choices is None else "direct_choices"
        row = replace(row, **{field: choices})
    context = {"member": member, "team": member.team, "row": row, "form": form, "back_url": _member_url(member)}
    return render_dialog(request, "subscriptions/member_product_items.html", context)


# --- Undo after "Unassign" (issue 22) -----------------------------------------------------------

# The kind of the signed token (portal.undo): its salt.
UNDO_UNASSIGN = "unassign"
UNDO_EXPIRED = _("Undo is no longer possible: it can be used for 15 minutes after the change. Nothing was changed.")
UNDO_INVALID = _("This undo link is not valid. Nothing was changed.")
ALREADY_UNDONE = _("Already undone: nothing to restore.")
# Names listed in the message after an undo; beyond, only the count.
NAMES_LISTED = 5


def unassign_undo(request, text, seats: dict[int, list[SeatSnapshot]], *, team: Team, back: str):
    """`text` (the message after an unassign) with an "Undo" button that restores `seats` (team id →
    the seats unassigned in that team) and comes back to `back`. Just `text` when nothing went."""
    parts = [[team_id, [seat.to_data() for seat in snapshots]] for team_id, snapshots in seats.items() if snapshots]
    if not parts:
        return text
    token = undo_sign(UNDO_UNASSIGN, {"teams": parts, "back": back})
    url = reverse("subscriptions:assignments-restore", kwargs={"team_id": team.pk})
    return undo_message(request, text, url=url, token=token)


def safe_back(request, back, default: str) -> str:
    """`back` when it is an address of this site (it comes signed; checked all the same), else `default`."""
    if isinstance(back, str) and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return back
    return default


def restore_summary(restored: list[str], refused: list[tuple[str, str]]):
    """ "2 restored: Anna – Photoshop, Bob – Figma." and, for the refused, a line each with why."""
    n = len(restored)
    done_text = ngettext("%(count)d restored", "%(count)d restored", n) % {"count": n}
    if n and n <= NAMES_LISTED:
        done_text = format_html("{}: {}", done_text, ", ".join(restored))
    if not refused:
        return format_html("{}.", done_text)
    items = format_html_join("", "<li>{}: {}</li>", refused)
    refused_text = ngettext("%(count)d not restored", "%(count)d not restored", len(refused)) % {"count": len(refused)}
    if n:
        return format_html('{}; {}:<ul class="sk-bulk-refusals">{}</ul>', done_text, refused_text, items)
    return format_html('{}:<ul class="sk-bulk-refusals">{}</ul>', refused_text, items)


def restore_message(request, restored: list[str], refused: list[tuple[str, str]], already: int) -> None:
    """The message after "Undo": what came back, what could not and why, or that it was undone before."""
    if restored or refused:
        level = messages.SUCCESS if not refused else messages.WARNING if restored else messages.ERROR
        messages.add_message(request, level, restore_summary(restored, refused))
    elif already:
        messages.info(request, ALREADY_UNDONE)


@login_required
@require_POST
def assignments_restore(request, team_id: int):
    """ "Undo" in the message after an unassign (a user's page, a product's page, By User's bulk
    "Unassign", Seat Usage): the seats of the signed token back as they were (`assignment_restore`),
    for an admin of each team concerned now (`team_for_admin`); a token older than 15 minutes, forged
    or of another team is refused and changes nothing."""
    team = team_for_admin(request, team_id)
    default = reverse("team-home", kwargs={"team_id": team.pk})
    try:
        data = undo_read(UNDO_UNASSIGN, request.POST.get("token", ""))
        parts = [
            (int(part_team), [SeatSnapshot.from_data(seat) for seat in seats]) for part_team, seats in data["teams"]
        ]
        back = safe_back(request, data.get("back"), default)
    except UndoExpired:
        messages.error(request, UNDO_EXPIRED)
        return redirect(default)
    except (UndoInvalid, KeyError, TypeError, ValueError):
        messages.error(request, UNDO_INVALID)
        return redirect(default)
    if team.pk not in {part_team for part_team, _seats in parts}:  # a token of another team's change
        messages.error(request, UNDO_INVALID)
        return redirect(default)
    # Every team concerned, checked first: nothing is restored unless the admin may restore it all.
    teams = {part_team: team if part_team == team.pk else team_for_admin(request, part_team) for part_team, _ in parts}
    total = RestoreResult()
    for part_team, seats in parts:
        result = assignment_restore(team=teams[part_team], seats=seats, actor=request.user)
        total.restored += result.restored
        total.already += result.already
        total.refused += result.refused
    restore_message(request, total.restored, total.refused, len(total.already))
    return redirect(back)
