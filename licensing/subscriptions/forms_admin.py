"""Forms of the support staff's pages for purchases, seats, renewals, moves and assignments. They
check the shape of the input; the rules are the services'."""

from datetime import timedelta

from django import forms
from django.contrib.admin.widgets import AdminDateWidget
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.models import Assignment, Contract, Product, ProductItem, Subscription
from licensing.subscriptions.services import MAX_SEATS, term_end_error, term_start_error
from licensing.teams.forms_admin import PersonMixin, use_autocomplete
from licensing.teams.models import Customer, Member, Team

CUSTOMER_ONE_OF = _("Choose a customer, or enter the name of a new one (not both).")
CONTRACT_OF_OTHER_CUSTOMER = _("Contract %(number)s belongs to %(customer)s.")
CONTRACT_HAS_MANAGER = _(
    "Contract %(number)s is managed by %(manager)s. Leave this empty, or change the manager on the contract's page."
)
MANAGER_REQUIRED = _("A new contract needs a contract manager.")
CONFIRM_OVERRIDE = _("Tick the box to move it anyway, as support.")
ITEMS_REQUIRED = _("Choose at least one item. To take the product away, delete the assignment.")
# The services refuse more than MAX_SEATS in words too (SEATS_TOO_MANY); the form says it first.
SEATS_AT_MOST = _("A subscription can have at most %(limit_value)s seats. Is there a digit too many?")


def _seats_field(label, min_value: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=min_value, max_value=MAX_SEATS, error_messages={"max_value": SEATS_AT_MOST}
    )


def _today():
    return timezone.localdate()


def _a_year_on():
    return timezone.localdate() + timedelta(days=364)


class PurchaseForm(PersonMixin, forms.Form):
    """A purchase as support enters it: a new subscription, on a new or an existing contract."""

    person_prefix = "manager_"
    admin_fieldsets = [
        (
            _("Customer and contract"),
            {
                "fields": [
                    "customer",
                    "new_customer",
                    "contract_number",
                    "manager_email",
                    ("manager_first_name", "manager_last_name"),
                ]
            },
        ),
        (
            _("Subscription"),
            {"fields": ["product", "seats", "plan", "term_start", "term_end", "sso_enabled", "collaboration_site"]},
        ),
    ]

    customer = forms.ModelChoiceField(Customer.objects.all(), label=_("Customer"), required=False)
    new_customer = forms.CharField(
        label=_("or a new customer"),
        max_length=200,
        required=False,
        help_text=_("The company's name, when it has bought nothing before."),
    )
    contract_number = forms.CharField(
        label=_("Contract number"),
        max_length=40,
        help_text=_(
            "An existing contract: the subscription goes to the team that manages it. A new one: to the "
            "customer's newest team, or a new team for a new customer (R-T7, R-T2)."
        ),
    )
    manager_email = forms.EmailField(
        label=_("Contract manager's e-mail address"),
        required=False,
        help_text=_("Needed for a new contract. The contract manager owns the subscription and gets a seat (R-T6)."),
    )
    manager_first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    manager_last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    product = forms.ModelChoiceField(Product.objects.all(), label=_("Product"))
    seats = _seats_field(_("Seats"), min_value=1)
    plan = forms.ChoiceField(label=_("Plan"), choices=Subscription.Plan.choices, initial=Subscription.Plan.STANDARD)
    term_start = forms.DateField(label=_("Term start"), widget=AdminDateWidget, initial=_today)
    term_end = forms.DateField(label=_("Term end"), widget=AdminDateWidget, initial=_a_year_on)
    sso_enabled = forms.BooleanField(label=_("SSO enabled"), required=False)
    collaboration_site = forms.CharField(label=_("Linked collaboration site"), max_length=200, required=False)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self.fields["customer"], Contract, "customer", admin_site)
        self.contract: Contract | None = None

    def clean(self):
        cleaned = super().clean()
        customer = cleaned.get("customer")
        new_customer = (cleaned.get("new_customer") or "").strip()
        if bool(customer) == bool(new_customer):
            self.add_error("customer", CUSTOMER_ONE_OF)
        number = (cleaned.get("contract_number") or "").strip()
        cleaned["contract_number"] = number
        self.contract = Contract.objects.select_related("customer", "manager").filter(number=number).first()
        email = cleaned.get("manager_email")
        if self.contract is not None:
            if self.contract.customer != customer:
                self.add_error(
                    "contract_number",
                    CONTRACT_OF_OTHER_CUSTOMER % {"number": number, "customer": self.contract.customer},
                )
            if email and email.lower() != self.contract.manager.email.lower():
                self.add_error(
                    "manager_email", CONTRACT_HAS_MANAGER % {"number": number, "manager": self.contract.manager.email}
                )
        elif "manager_email" not in self.errors:
            if not email:
                self.add_error("manager_email", MANAGER_REQUIRED)
            else:
                self.clean_person()
        self._clean_term(cleaned.get("term_start"), cleaned.get("term_end"))
        return cleaned

    def _clean_term(self, term_start, term_end) -> None:
        """A far-off date is a typo: the same bounds as `purchase_record`'s."""
        if term_start is None:
            return
        if error := term_start_error(term_start):
            self.add_error("term_start", error)
        elif term_end is not None and (error := term_end_error(term_start, term_end)):
            self.add_error("term_end", error)


class SeatsAddForm(forms.Form):
    seats = _seats_field(_("Seats to add"), min_value=1)


class SeatsSetForm(forms.Form):
    seats = _seats_field(_("Seats"), min_value=0)
    allow_over_allocation = forms.BooleanField(
        label=_("Allow over-allocation"),
        required=False,
        help_text=_(
            "Lower the seats below what the team has assigned anyway. The assignments stay; the licence "
            "check seats the longest-held ones first."
        ),
    )


class RenewForm(forms.Form):
    """A new end of term for each of `subscriptions`: at most MAX_TERM_YEARS after its start or
    after today (`term_end_latest`, which `subscription_renew` holds to as well)."""

    term_end = forms.DateField(label=_("New end of term"), widget=AdminDateWidget)

    def __init__(self, *args, subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriptions = list(subscriptions)

    def clean_term_end(self):
        term_end = self.cleaned_data["term_end"]
        several = len(self.subscriptions) > 1
        errors = []
        for subscription in self.subscriptions:
            if error := term_end_error(subscription.term_start, term_end):
                errors.extend(f"{subscription}: {m}" if several else m for m in error.messages)
        if errors:
            raise forms.ValidationError(errors)
        return term_end


class MoveForm(forms.Form):
    to_team = forms.ModelChoiceField(Team.objects.none(), label=_("Move to team"))
    confirm_override = forms.BooleanField(
        label=_("Move anyway: support may do the moves that the portal refuses (R-T11)."), required=False
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_team"].queryset = teams


class ItemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.product.name}: {obj.name}"


class AssignmentCreateForm(forms.Form):
    """Give a member a seat of a product (R-P2, R-BP1)."""

    member = forms.ModelChoiceField(Member.objects.select_related("user", "team"), label=_("Member"))
    product = forms.ModelChoiceField(Product.objects.all(), label=_("Product"))
    items = ItemChoiceField(
        ProductItem.objects.select_related("product"),
        label=_("Items"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty to assign all items of the product."),
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self.fields["member"], Assignment, "member", admin_site)


class AssignmentItemsForm(forms.ModelForm):
    """Change which items of its product an assignment holds (R-P2, R-P4)."""

    items = forms.ModelMultipleChoiceField(
        ProductItem.objects.none(),
        label=_("Items"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": ITEMS_REQUIRED},
    )

    class Meta:
        model = Assignment
        fields = ("items",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "items" in self.fields and self.instance.pk:
            self.fields["items"].queryset = self.instance.product.items.all()
