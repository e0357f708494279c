"""Forms of the support staff's pages in the Django admin for teams and members. They check the
shape of the input only; the rules are the services' (STYLE: "input shape: a form, nothing more")."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from licensing.accounts.models import User
from licensing.subscriptions.models import Product
from licensing.teams.models import Customer, Member, Team

NAME_NEEDED_FOR_NEW_ACCOUNT = _("%(email)s has no account yet: enter the person's first and last name.")


def use_autocomplete(field: forms.ModelChoiceField, model, field_name: str, admin_site) -> None:
    """Give `field` the admin's search-as-you-type widget of the foreign key `model.field_name`."""
    widget = AutocompleteSelect(model._meta.get_field(field_name), admin_site)
    widget.choices = field.choices
    widget.is_required = field.required
    field.widget = widget


class PersonMixin:
    """An e-mail address plus the names a new account needs. `person_prefix` names the fields."""

    person_prefix = ""

    def clean_person(self) -> None:
        p = self.person_prefix
        email = self.cleaned_data.get(f"{p}email")
        if not email or User.objects.with_email(email).exists():
            return
        for name in (f"{p}first_name", f"{p}last_name"):
            if not (self.cleaned_data.get(name) or "").strip():
                self.add_error(name, NAME_NEEDED_FOR_NEW_ACCOUNT % {"email": email})


class TeamCreateForm(PersonMixin, forms.Form):
    """Support creates a team for a customer with a named primary admin (R-T3, R-PA1)."""

    person_prefix = "admin_"
    admin_fieldsets = [
        (None, {"fields": ["customer", "name", "admin_email", ("admin_first_name", "admin_last_name")]}),
    ]

    customer = forms.ModelChoiceField(Customer.objects.all(), label=_("Customer"))
    name = forms.CharField(label=_("Team name"), max_length=100)
    admin_email = forms.EmailField(
        label=_("Primary admin's e-mail address"),
        help_text=_("Someone without an account yet gets an invitation to create one."),
    )
    admin_first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    admin_last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self.fields["customer"], Team, "customer", admin_site)

    def clean(self):
        cleaned = super().clean()
        self.clean_person()
        return cleaned


class MemberInviteForm(forms.Form):
    """Invite a person to a team (R-U2, R-T5), optionally with products (R-U3)."""

    team = forms.ModelChoiceField(Team.objects.select_related("customer"), label=_("Team"))
    email = forms.EmailField(label=_("E-mail address"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    is_guest = forms.BooleanField(label=_("This is a guest user"), required=False)
    products = forms.ModelMultipleChoiceField(
        Product.objects.all(),
        label=_("Assign products"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Optional. Each takes a free seat of the team, with all its items."),
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        use_autocomplete(self.fields["team"], Member, "team", admin_site)


class MemberRoleForm(forms.Form):
    """The "Change role" dialog (R-SA1, R-PA2, R-G2)."""

    role = forms.ChoiceField(label=_("Role"), choices=Member.Role.choices, widget=forms.RadioSelect)
    is_guest = forms.BooleanField(
        label=_("This is a guest user"),
        required=False,
        help_text=_("Primary and secondary admins cannot be guests."),
    )

    def __init__(self, *args, member: Member, **kwargs):
        kwargs.setdefault("initial", {"role": member.role, "is_guest": member.is_guest})
        super().__init__(*args, **kwargs)
        primary = member.team.primary_admin
        if primary is not None and primary.pk != member.pk:
            self.fields["role"].help_text = _(
                "Making a secondary admin primary admin makes %(name)s, the current primary admin, a secondary admin."
            ) % {"name": primary.user.get_full_name() or primary.user.email}


class ConfirmForm(forms.Form):
    """A confirmation page: nothing to fill in, one button."""
