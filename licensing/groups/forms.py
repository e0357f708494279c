"""Forms of By Group (R-GR1, R-GR2, R-GR5): input shape only. Whether a name is free, a member may
join, a product may be given and who would wait are the services' rules (licensing.groups.services);
the forms turn what was posted into objects of the team and say in words what is missing."""

from django import forms
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from licensing.groups.models import Group, GroupMember, GroupProduct
from licensing.subscriptions.models import Product, ProductItem, Subscription
from licensing.teams.models import Member, Team, member_search
from licensing.teams.tables import NAME_ORDER
from portal.fields import ModelMultipleChoiceField

DESCRIPTION_MAX = 1000
# How many of the team's members "Add members" lists at once; more are found by searching.
CANDIDATES_MAX = 50

DESCRIPTION_TOO_LONG = _("A description can be at most %(max)d characters.")
CHOOSE_MEMBERS = _("Tick at least one user to add to the group.")
MEMBER_GONE = _("One of the chosen users is no longer in this team, or already in the group. Choose again.")
CHOOSE_MEMBERS_TO_REMOVE = _("Select at least one member of the group to remove.")
MEMBER_LEFT = _("One of the selected users is no longer in this group. Reload the page and try again.")
CHOOSE_PRODUCT = _("Choose a product to assign to the group.")
PRODUCT_NOT_CHOOSABLE = _("Choose one of the team's products that the group does not have yet.")
CHOOSE_ITEMS = _("Choose at least one item, or choose “All items”.")
ITEM_NOT_OF_PRODUCT = _("One of the chosen items is not an item of this product. Choose again.")


class SearchForm(forms.Form):
    """The search box of the By Group list and of a group's members."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    @property
    def query(self) -> str:
        return (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""


class GroupForm(forms.Form):
    """ "Create group" and "Rename": a name and a description. The name's rules (required, at most 100
    characters, unique in the team in any case, R-GR1) are the service's: its messages are shown on
    the field with what was typed."""

    name = forms.CharField(label=_("Name"), required=False, max_length=10_000)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: what the group is for, who belongs in it."),
    )

    def clean_description(self):
        description = self.cleaned_data["description"].strip()
        if len(description) > DESCRIPTION_MAX:
            raise forms.ValidationError(DESCRIPTION_TOO_LONG % {"max": DESCRIPTION_MAX}, code="too_long")
        return description


def candidates(team: Team, group: Group, query: str = ""):
    """The team's members (guests and invited people too, R-GR1) not in `group`, matching `query`,
    by name."""
    inside = GroupMember.objects.filter(group=group).values("member")
    members = Member.objects.filter(team=team).exclude(pk__in=inside).select_related("user")
    if query:
        members = members.filter(member_search(query))
    return members.order_by(*NAME_ORDER)


class MembersAddForm(forms.Form):
    """ "Add members": the ticked members of the team not yet in the group, or every one matching the
    search; `q` narrows the list shown."""

    q = forms.CharField(label=_("Search by name or e-mail"), required=False, max_length=200)
    members = ModelMultipleChoiceField(
        queryset=Member.objects.none(),
        required=False,
        error_messages={"invalid_choice": MEMBER_GONE, "invalid_pk_value": MEMBER_GONE},
    )
    all_matching = forms.BooleanField(required=False)

    def __init__(self, *args, team: Team, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.group = team, group
        self.fields["members"].queryset = candidates(team, group)

    @property
    def query(self) -> str:
        if self.is_bound:
            return " ".join(str(self.data.get("q", ""))[:200].replace("\x00", "").split())
        return ""

    def chosen(self) -> list[Member]:
        """The members to add, in the order of the list (by name)."""
        if not self.is_valid():
            return []
        if self.cleaned_data["all_matching"]:
            return list(candidates(self.team, self.group, self.cleaned_data["q"].strip()))
        return list(self.cleaned_data["members"].order_by(*NAME_ORDER))

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("all_matching") and not data.get("members"):
            self.add_error("members", forms.ValidationError(CHOOSE_MEMBERS, code="required"))
        return data

    def ticked_ids(self) -> set[int]:
        """The ids of the members ticked (as posted, the valid ones), to keep them ticked when the
        dialog comes back."""
        if not self.is_bound:
            return set()
        if self.is_valid():
            return {m.pk for m in self.cleaned_data["members"]}
        return set()


class MembersRemoveForm(forms.Form):
    """ "Remove" beside a member, or "Remove selected": the members of the group to remove."""

    members = ModelMultipleChoiceField(
        queryset=Member.objects.none(),
        error_messages={
            "required": CHOOSE_MEMBERS_TO_REMOVE,
            "invalid_choice": MEMBER_LEFT,
            "invalid_pk_value": MEMBER_LEFT,
        },
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        inside = GroupMember.objects.filter(group=group).values("member")
        self.fields["members"].queryset = Member.objects.filter(team=group.team, pk__in=inside).select_related("user")


class ImportForm(forms.Form):
    """ "Import members": a CSV file of e-mail addresses."""

    file = forms.FileField(
        label=_("CSV file"),
        error_messages={"required": _("Choose a CSV file to upload."), "empty": _("The file is empty.")},
    )


def products_to_assign(team: Team, group: Group):
    """The products the team has subscriptions of (active or not) that the group does not have yet."""
    bought = Subscription.objects.filter(team=team).values("product")
    given = GroupProduct.objects.filter(group=group).values("product")
    return Product.objects.filter(pk__in=bought).exclude(pk__in=given).order_by(Lower("name"), "pk")


class ProductAssignForm(forms.Form):
    """ "Assign product": a product of the team's subscriptions, then "All items" (the default) or the
    ones chosen."""

    ALL, CHOOSE = "all", "choose"

    product = forms.ModelChoiceField(
        label=_("Product"),
        queryset=Product.objects.none(),
        empty_label=_("Choose a product"),
        error_messages={"required": CHOOSE_PRODUCT, "invalid_choice": PRODUCT_NOT_CHOOSABLE},
    )
    scope = forms.ChoiceField(
        label=_("Items"),
        choices=[(ALL, _("All items")), (CHOOSE, _("Choose items"))],
        required=False,
        widget=forms.RadioSelect,
    )
    items = ModelMultipleChoiceField(
        label=_("Items"),
        queryset=ProductItem.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": ITEM_NOT_OF_PRODUCT, "invalid_pk_value": ITEM_NOT_OF_PRODUCT},
    )

    def __init__(self, *args, team: Team, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products_to_assign(team, group)

    def chosen_items(self):
        """The items chosen: None for all of them."""
        if self.cleaned_data.get("scope") != self.CHOOSE:
            return None
        return list(self.cleaned_data["items"])

    def clean(self):
        data = super().clean()
        product = data.get("product")
        if product is None or data.get("scope") != self.CHOOSE:
            return data
        items = data.get("items")
        if items is None:
            return data
        if not items:
            self.add_error("items", forms.ValidationError(CHOOSE_ITEMS, code="no_items"))
        elif any(item.product_id != product.pk for item in items):
            self.add_error("items", forms.ValidationError(ITEM_NOT_OF_PRODUCT, code="other_product"))
        return data
