"""By Group › a group › its products (R-GR2..R-GR5): "Assign product" (a product of the team's
subscriptions, all its items or the ones chosen, and before "Confirm" how many members get a seat
and how many will wait: "12 of 40 will wait for a seat"), "Change items" and "Unassign" (which says
first who loses the seat and who keeps it because something else gives it, R-GR4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from licensing.groups import services
from licensing.groups.forms import ProductAssignForm
from licensing.groups.models import GroupMember, GroupProduct
from licensing.groups.views import GONE, detail_url, group_of, list_url, losses
from licensing.subscriptions.forms import AssignmentItemsForm
from licensing.subscriptions.models import Subscription
from licensing.teams.models import Team
from portal.dialogs import dialog_done, render_dialog
from portal.fields import id_from
from portal.views import team_for_admin


def _gone(request, team: Team, group, error: ValidationError):
    """The dialog's answer when the service refused because the group was deleted meanwhile."""
    if error.code == "group_gone":
        messages.info(request, GONE % {"name": group.name})
        return dialog_done(request, list_url(team))
    return None


def _assigned_message(group, product, seated: int, waiting: int) -> tuple[str, str]:
    count = {"count": number_format(seated, force_grouping=True)}
    text = _("%(product)s is assigned to %(group)s.") % {"product": product.name, "group": group.name}
    if seated:
        text += " " + ngettext("%(count)s member got a seat.", "%(count)s members got a seat.", seated) % count
    if waiting:
        text += " " + ngettext(
            "%(count)s waits for a seat: they get one, in the order they joined the group, as soon as one is free.",
            "%(count)s wait for a seat: they get one, in the order they joined the group, as soon as one is free.",
            waiting,
        ) % {"count": number_format(waiting, force_grouping=True)}
        return "warning", text
    return "success", text


@login_required
def group_product_assign(request, team_id: int, group_id: int):
    """ "Assign product": choose the product ("Continue"), then all its items or the ones chosen,
    seeing how many of the group's members get a seat and how many will wait (R-GR5); "Confirm"
    assigns, "Back" chooses again, "Cancel" leaves everything as it was."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    posted = request.method == "POST"
    form = ProductAssignForm(request.POST if posted else None, team=team, group=group)
    action = request.POST.get("action", "") if posted else ""
    context = {"team": team, "group": group, "form": form, "step": "product"}
    if posted and action != "back":
        valid = form.is_valid()
        product = form.cleaned_data.get("product")
        if valid and action == "confirm":
            try:
                seated, waiting = services.group_product_assign(
                    group=group, product=product, items=form.chosen_items(), actor=request.user
                )
            except ValidationError as error:
                done = _gone(request, team, group, error)
                if done is not None:
                    return done
                form.add_error(None, error)
            else:
                level, text = _assigned_message(group, product, len(seated), len(waiting))
                getattr(messages, level)(request, text)
                return dialog_done(request, detail_url(group))
        if product is not None and (valid or action == "confirm" or request.POST.get("step") == "items"):
            (preview,) = services.group_seats_preview(group=group, product=product)
            member_count = GroupMember.objects.filter(group=group).count()
            context.update(
                step="items",
                product=product,
                preview=preview,
                member_count=member_count,
                holding=member_count - preview.members,
                product_items=list(product.items.order_by("kind", "name")),
                chosen_ids={i.pk for i in form.cleaned_data.get("items") or []},
                scope=form.cleaned_data.get("scope") or form.ALL,
            )
    context["has_products"] = form.fields["product"].queryset.exists()
    context["has_subscriptions"] = Subscription.objects.filter(team=team).exists()
    return render_dialog(request, "groups/group_product_assign.html", context)


def _group_product(group, product_id: int) -> GroupProduct:
    """The group's share of a product; a product it does not give (or no id at all) is 404."""
    if id_from(product_id) is None:
        raise Http404
    return get_object_or_404(GroupProduct.objects.filter(group=group).select_related("product"), product_id=product_id)


@login_required
def group_product_change(request, team_id: int, group_id: int, product_id: int):
    """ "Change items": the product's items, ticked as the group gives them, then "Save changes".
    Every seat the group gives then holds the union of what each giver gives (R-GR3); no item
    ticked takes the product from the group (R-GR4)."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    group_product = _group_product(group, product_id)
    product = group_product.product
    form = AssignmentItemsForm(request.POST if request.method == "POST" else None, product=product, assigned=True)
    names = {"group": group.name, "product": product.name}
    if form.is_valid():
        try:
            kept = services.group_product_change(
                group=group, product=product, items=form.cleaned_data["items"], actor=request.user
            )
        except ValidationError as error:
            done = _gone(request, team, group, error)
            if done is not None:
                return done
            if error.code == "not_assigned":
                messages.info(request, " ".join(error.messages))
                return dialog_done(request, detail_url(group))
            form.add_error(None, error)
        else:
            if kept is None:
                messages.success(request, _("%(product)s is unassigned from %(group)s.") % names)
            else:
                messages.success(request, _("The items of %(product)s for %(group)s are saved.") % names)
            return dialog_done(request, detail_url(group))
    given = {item.pk for item in group_product.items.all()}
    if form.is_bound:
        given = {item.pk for item in form.cleaned_data.get("items", [])} if form.is_valid() else set()
    context = {
        "team": team,
        "group": group,
        "product": product,
        "form": form,
        "choices": [(item, item.pk in given) for item in product.items.order_by("kind", "name")],
        "losses": losses(group, product=product),
    }
    return render_dialog(request, "groups/group_product_change.html", context)


@login_required
def group_product_unassign(request, team_id: int, group_id: int, product_id: int):
    """ "Unassign": says first how many members lose their seat and how many keep it because a direct
    assignment or another group gives it (R-GR4), and who stops waiting; then "Unassign"."""
    team = team_for_admin(request, team_id)
    group = group_of(team, group_id)
    group_product = _group_product(group, product_id)
    product = group_product.product
    names = {"group": group.name, "product": product.name}
    if request.method == "POST":
        try:
            services.group_product_unassign(group=group, product=product, actor=request.user)
        except ValidationError as error:
            done = _gone(request, team, group, error)
            if done is not None:
                return done
            messages.info(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(product)s is unassigned from %(group)s.") % names)
        return dialog_done(request, detail_url(group))
    (loss,) = losses(group, product=product)
    holders = group.grants.filter(assignment__product=product).count()
    context = {"team": team, "group": group, "product": product, "loss": loss, "keeping": holders - loss.lost}
    return render_dialog(request, "groups/group_product_unassign.html", context)
