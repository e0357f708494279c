"""Forms of the support staff's pages for groups in the Django admin (R-GR1, R-GR2, R-GR5). They check
the shape of the input; the rules are the services' (licensing.groups.services)."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from licensing.groups.models import Group, GroupProduct
from licensing.subscriptions.forms_admin import ItemChoiceField
from licensing.subscriptions.models import Product, ProductItem
from licensing.teams.forms_admin import use_autocomplete
from licensing.teams.models import Member, Team

EMAILS_REQUIRED = _("Enter at least one e-mail address.")
EMAILS_NOT_IN_TEAM = _("Not members of %(team)s: %(emails)s.")
WILL_WAIT = _(
    "%(waiting)d of %(members)d members will wait for a seat of %(product)s: the team has too few free seats. "
    "Tick the box to go ahead; they get a seat, in the order they joined the group, as soon as one is free."
)
CONFIRM_WAITING_LABEL = _("Go ahead: the members without a free seat wait for one")


class GroupCreateForm(forms.Form):
    """A new group of a team (R-GR1)."""

    team = forms.ModelChoiceField(Team.objects.select_related("customer"), label=_("Team"))
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self.fields["team"], Group, "team", admin_site)


class GroupMembersForm(forms.Form):
    """Members of the group's team, by their e-mail addresses (one a line, or separated by commas or
    spaces), to add to the group or remove from it."""

    emails = forms.CharField(
        label=_("E-mail addresses"),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60}),
        help_text=_("One a line, or separated by commas. Members of the group's team only, guests too."),
    )

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group

    def clean_emails(self) -> list[Member]:
        addresses = list(dict.fromkeys(a.lower() for a in re.split(r"[\s,;]+", self.cleaned_data["emails"]) if a))
        if not addresses:
            raise forms.ValidationError(EMAILS_REQUIRED, code="required")
        found = {}
        for start in range(0, len(addresses), 500):
            part = addresses[start : start + 500]
            members = Member.objects.filter(team=self.group.team_id, user__email__in=part).select_related("user")
            found.update((member.user.email.lower(), member) for member in members)
            # An address stored in another case: looked up one by one, only for the few not found.
            for address in part:
                if address not in found:
                    member = (
                        Member.objects.filter(team=self.group.team_id, user__email__iexact=address)
                        .select_related("user")
                        .first()
                    )
                    if member is not None:
                        found[address] = member
        missing = [a for a in addresses if a not in found]
        if missing:
            raise forms.ValidationError(
                EMAILS_NOT_IN_TEAM % {"team": self.group.team.name, "emails": ", ".join(missing)}, code="not_in_team"
            )
        return [found[a] for a in addresses]


class GroupProductForm(forms.Form):
    """A product (and its items) to give the group's members (R-GR2). When the team has too few free
    seats, the page says how many would wait and asks to confirm first (R-GR5)."""

    product = forms.ModelChoiceField(Product.objects.none(), label=_("Product"))
    items = ItemChoiceField(
        ProductItem.objects.none(),
        label=_("Items"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to give all items of the product."),
    )
    confirm_waiting = forms.BooleanField(label=CONFIRM_WAITING_LABEL, required=False)

    def __init__(self, *args, group: Group, products, preview=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        self.preview = preview  # (product) → licensing.groups.services.SeatsPreview
        self.fields["product"].queryset = products
        self.fields["items"].queryset = ProductItem.objects.filter(product__in=products).select_related("product")

    def clean(self):
        cleaned = super().clean()
        product = cleaned.get("product")
        if product is None or self.preview is None or cleaned.get("confirm_waiting"):
            return cleaned
        preview = self.preview(product)
        if preview.waiting:
            self.add_error(
                "confirm_waiting",
                WILL_WAIT % {"waiting": preview.waiting, "members": preview.members, "product": product.name},
            )
        return cleaned


class GroupProductChoiceForm(forms.Form):
    """One of the products the group gives: to take from it, or to change its items (`items`)."""

    group_product = forms.ModelChoiceField(GroupProduct.objects.none(), label=_("Product"))

    def __init__(self, *args, group: Group, with_items: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["group_product"]
        field.queryset = GroupProduct.objects.filter(group=group).select_related("product").order_by("product__name")
        field.label_from_instance = lambda gp: gp.product.name
        if with_items:
            self.fields["items"] = ItemChoiceField(
                ProductItem.objects.filter(product__group_products__group=group).select_related("product"),
                label=_("Items"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("No items at all takes the product from the group."),
            )
