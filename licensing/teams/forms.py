"""Forms of the By User screens: the shape of the input only. The rules (who may become primary
admin, that admins are never guests, that admins are not deleted) live in licensing.teams.services;
the role form only shows beforehand which choices those rules forbid, with the service's words."""

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from licensing.subscriptions.models import Product
from licensing.teams.bulk import Action as BulkAction
from licensing.teams.bulk import members_matching
from licensing.teams.filters import team_products
from licensing.teams.models import Member, Team
from licensing.teams.services import ADMIN_CANNOT_BE_GUEST, ONLY_SECONDARY_CAN_BECOME_PRIMARY, PRIMARY_ADMIN_NEEDED
from portal.fields import ModelMultipleChoiceField

# The order of the guide's "Change role" dialog.
ROLE_ORDER = (Member.Role.USER, Member.Role.SECONDARY_ADMIN, Member.Role.PRIMARY_ADMIN)
ROLE_HELP = {
    Member.Role.USER: _("Uses the products assigned to them."),
    Member.Role.SECONDARY_ADMIN: _("Manages the team's users and their products, like the primary admin."),
    Member.Role.PRIMARY_ADMIN: _(
        "The team's single main administrator. The former primary admin becomes a secondary admin."
    ),
}
SELECT_USERS = _("Select at least one user.")
USER_GONE = _("One of the selected users is no longer in this team. Reload the list and try again.")
CHOOSE_PRODUCT = _("Choose the product to assign or unassign.")
FILTERS_CHANGED = _("The filters of the list are not valid. Reload the list, select the users again and try again.")


@dataclass(frozen=True)
class RoleOption:
    """A radio button of the "Change role" dialog; `disabled_reason` says why it cannot be chosen."""

    value: str
    label: str
    help: str
    checked: bool
    disabled_reason: str = ""


def _name(member: Member) -> str:
    return member.name


class MemberRoleForm(forms.Form):
    """ "Change role": the role, the guest flag, and `confirm` for the second step that reassigns the
    primary admin (R-PA2)."""

    role = forms.ChoiceField(
        label=_("Role"), choices=[(r.value, r.label) for r in ROLE_ORDER], widget=forms.RadioSelect
    )
    is_guest = forms.BooleanField(label=_("This is a guest user"), required=False)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, member: Member, **kwargs):
        kwargs.setdefault("initial", {"role": member.role, "is_guest": member.is_guest})
        super().__init__(*args, **kwargs)
        self.member = member

    @property
    def chosen_role(self) -> str:
        if self.is_bound:
            return self.data.get("role", self.member.role)
        return self.member.role

    @property
    def guest_ticked(self) -> bool:
        if self.is_bound:
            return self.fields["is_guest"].widget.value_from_datadict(self.data, None, self.add_prefix("is_guest"))
        return self.member.is_guest

    def role_options(self) -> list[RoleOption]:
        """The three roles, with the ones the rules forbid for this member disabled and explained."""
        member, name = self.member, _name(self.member)
        options = []
        for role in ROLE_ORDER:
            reason = ""
            if member.is_primary_admin and role != Member.Role.PRIMARY_ADMIN:
                reason = PRIMARY_ADMIN_NEEDED % {"name": name}  # R-PA1
            elif role == Member.Role.PRIMARY_ADMIN and member.role == Member.Role.USER:
                reason = ONLY_SECONDARY_CAN_BECOME_PRIMARY % {"name": name}  # R-PA2
            options.append(RoleOption(role.value, role.label, ROLE_HELP[role], role == self.chosen_role, str(reason)))
        return options

    @property
    def guest_disabled_reason(self) -> str:
        """A primary admin stays an admin in this dialog, so can never be a guest (R-G3)."""
        return str(ADMIN_CANNOT_BE_GUEST) if self.member.is_primary_admin else ""


class MemberBulkForm(forms.Form):
    """The bulk actions of the list: the ticked members (or `select=all`: every member the list's
    filters match, resolved on the server from `query`, never from ids the browser sends), the action
    and, to assign or unassign, the product; to change the role, the role and the guest choice."""

    class Action(BulkAction):
        CHOICES = [
            (BulkAction.DELETE, _("Delete")),
            (BulkAction.ASSIGN, _("Assign")),
            (BulkAction.UNASSIGN, _("Unassign")),
            (BulkAction.ROLE, _("Change role")),
            (BulkAction.RESEND, _("Resend invitation")),
        ]

    # "Change role" for many: never Primary admin (R-PA2 is one person, through its own dialog).
    ROLE_CHOICES = [(r.value, r.label) for r in (Member.Role.USER, Member.Role.SECONDARY_ADMIN)]
    GUEST_KEEP, GUEST_YES, GUEST_NO = "", "yes", "no"
    GUEST_CHOICES = [
        (GUEST_KEEP, _("Keep as it is")),
        (GUEST_YES, _("Guest user")),
        (GUEST_NO, _("Not a guest")),
    ]

    members = ModelMultipleChoiceField(
        queryset=Member.objects.none(),
        error_messages={"required": SELECT_USERS, "invalid_choice": USER_GONE, "invalid_pk_value": USER_GONE},
    )
    select = forms.ChoiceField(choices=[("", ""), ("all", "all")], required=False)
    action = forms.ChoiceField(choices=Action.CHOICES)
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False, empty_label=_("Choose a product")
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, required=False, widget=forms.RadioSelect)
    guest = forms.ChoiceField(label=_("Guest"), choices=GUEST_CHOICES, required=False, widget=forms.RadioSelect)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # The list's query string (filters, sort, page), to go back to the same view of the list.
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["members"].queryset = Member.objects.filter(team=team).select_related("user", "team")
        self.fields["product"].queryset = team_products(team)
        if self.is_bound and self.data.get("select") == "all":
            # Every member the list's filters match: whatever ids came with it are not read at all.
            del self.fields["members"]

    @property
    def selects_all(self) -> bool:
        return "members" not in self.fields

    def clean(self):
        data = super().clean()
        if data.get("action") in (self.Action.ASSIGN, self.Action.UNASSIGN) and not data.get("product"):
            self.add_error("product", CHOOSE_PRODUCT)
        if self.selects_all and "query" in data:
            try:
                data["members"] = members_matching(self.team, data["query"])
            except ValueError:
                self.add_error(None, FILTERS_CHANGED)
        return data

    def role_and_guest(self) -> tuple[str, bool | None]:
        """The role asked and the guest flag to set (None: as each one is). An admin is never a guest
        (R-G3): making someone secondary admin unticks their guest flag."""
        role, guest = self.cleaned_data.get("role"), self.cleaned_data.get("guest")
        if role == Member.Role.SECONDARY_ADMIN:
            return role, False
        return role, {self.GUEST_YES: True, self.GUEST_NO: False}.get(guest)
