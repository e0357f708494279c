"""Forms of the subscriptions screens: input shape only; the rules live in services.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.fields import ModelMultipleChoiceField

from .models import Product, ProductItem

CHOOSE_ITEMS_TO_ASSIGN = _("Choose at least one item to assign, or close this without saving.")


class AssignmentItemsForm(forms.Form):
    """The items of one product for one member: the checkboxes behind the arrow beside "Assign" or
    "Unassign" (R-P2, R-P4). For a product the member holds, no item ticked means unassign (R-P4);
    for one they do not hold yet, at least one item is needed."""

    items = ModelMultipleChoiceField(
        label=_("Items"),
        queryset=ProductItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, product: Product, assigned: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.assigned = assigned
        self.fields["items"].queryset = product.items.all()

    def clean_items(self):
        items = self.cleaned_data["items"]
        if not self.assigned and not items:
            raise forms.ValidationError(CHOOSE_ITEMS_TO_ASSIGN, code="no_items")
        return items
