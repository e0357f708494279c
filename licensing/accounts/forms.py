"""Forms of "Invite users" (single, multiple, import) and of accepting an invitation: the shape of the
input only. The rules (valid names and address, one account per address, seats) live in
licensing.accounts.services; the forms ask `person_clean` so that a row shows the service's words
before anything is sent."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from licensing.accounts.imports import FILE_EMPTY
from licensing.accounts.services import EMAIL_INVALID, NAME_MAX_LENGTH, PASSWORD_REQUIRED, person_clean
from licensing.subscriptions.models import Product, Subscription
from licensing.teams.models import Team
from portal.fields import ModelMultipleChoiceField

# "Invite Multiple": the rows an empty dialog shows, and the most one dialog sends. More people at
# once go through Import, which shows a preview first.
ROWS_INITIAL = 5
ROWS_MAX = 100

PASSWORDS_DIFFER = _("The two passwords are not the same.")
FILE_REQUIRED = _("Choose a CSV file to upload.")


class PersonForm(forms.Form):
    """First name, last name, e-mail address: one person to invite (R-U2). Whether they are valid is
    person_clean's to say (the rule of member_invite), so every field is checked at once, in its words."""

    # No max_length: person_clean refuses a name that is too long, in the words Import uses too.
    first_name = forms.CharField(
        label=_("First name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": NAME_MAX_LENGTH}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": NAME_MAX_LENGTH}),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=254,
        required=False,
        error_messages={"max_length": EMAIL_INVALID},
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean(self):
        data = super().clean()
        try:
            data["email"], data["first_name"], data["last_name"] = person_clean(
                data.get("email", ""), data.get("first_name", ""), data.get("last_name", "")
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, messages)
        return data


@dataclass(frozen=True)
class ProductOption:
    """A product checkbox of "Invite single", with the team's free seats (R-U3, R-SE1)."""

    product: Product
    checked: bool

    @property
    def full(self) -> bool:
        return self.product.seats_free <= 0


def products_to_assign(team: Team):
    """The team's products with an active subscription, with their seat counts: what may be assigned
    while inviting (R-U3)."""
    active = Subscription.objects.active().filter(team=team).values("product")
    return Product.objects.filter(pk__in=active).with_seat_counts(team).order_by("name")


class InviteForm(PersonForm):
    """ "Invite single": a person, and the products to assign at once (R-U3)."""

    products = ModelMultipleChoiceField(
        label=_("Products"), queryset=Product.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["products"].queryset = products_to_assign(team)

    def product_options(self) -> list[ProductOption]:
        chosen = {str(pk) for pk in (self["products"].value() or [])}
        return [ProductOption(product, str(product.pk) in chosen) for product in self.fields["products"].queryset]


class RowForm(PersonForm):
    """A row of "Invite Multiple". An untouched row is skipped (the formset's empty_permitted)."""


RowFormSet = formset_factory(RowForm, extra=0, max_num=ROWS_MAX, absolute_max=ROWS_MAX, validate_max=True)


def rows_formset(rows: list[dict]) -> forms.BaseFormSet:
    """A bound formset of "Invite Multiple" holding `rows` (dicts of first_name, last_name, email), as
    if they had been posted: the dialog re-renders with rows added, removed or pasted in."""
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": str(ROWS_MAX),
    }
    for index, row in enumerate(rows):
        for name in ("first_name", "last_name", "email"):
            data[f"rows-{index}-{name}"] = row.get(name, "")
    return RowFormSet(data, prefix="rows")


def row_values(form: forms.Form) -> dict:
    """What a row holds as typed, whether it is valid or not."""
    return {name: (form[name].value() or "").strip() for name in ("first_name", "last_name", "email")}


class PasteForm(forms.Form):
    """The box of "Invite Multiple" that takes `First, Last, email; First, Last, email`."""

    paste = forms.CharField(
        label=_("Paste a list"),
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )


class ImportUploadForm(forms.Form):
    """ "Import": a CSV file. Reading it is licensing.accounts.imports.parse_csv's job."""

    # An empty file is refused here, before parse_csv: in parse_csv's words, not Django's.
    file = forms.FileField(label=_("CSV file"), error_messages={"required": FILE_REQUIRED, "empty": FILE_EMPTY})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,text/csv,text/plain"


class AcceptForm(forms.Form):
    """Accepting an invitation without an account yet: one's own password, twice (R-U4). Whether it is
    strong enough is for invitation_accept to say, with the password validators of the settings."""

    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        error_messages={"required": PASSWORD_REQUIRED},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        error_messages={"required": PASSWORD_REQUIRED},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password2(self):
        first, second = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if first and second and first != second:
            raise ValidationError(PASSWORDS_DIFFER, code="password_mismatch")
        return second
