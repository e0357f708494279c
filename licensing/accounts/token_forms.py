"""The form of "Create token" (account menu › API tokens): the shape of the input only. Whether the
name, teams and end day are allowed is `access_tokens.access_token_create`'s to say."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.accounts.access_tokens import expiry_latest
from licensing.accounts.models import AccessToken
from licensing.teams.models import Team
from portal.fields import ModelMultipleChoiceField

ALL_TEAMS, CHOSEN_TEAMS = "all", "chosen"
DEFAULT_DAYS = 90
DATE_INVALID = _("Enter a day, like 2027-03-31.")


class AccessTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        required=False,
        help_text=_("What the token is for, so that you recognise it later."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 100}),
    )
    scope = forms.ChoiceField(
        label=_("Teams"),
        choices=[
            (ALL_TEAMS, _("All teams I administer, now and later")),
            (CHOSEN_TEAMS, _("Only the teams I choose")),
        ],
        initial=CHOSEN_TEAMS,
        widget=forms.RadioSelect,
    )
    teams = ModelMultipleChoiceField(
        label=_("Teams the token may act on"),
        queryset=Team.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    access = forms.ChoiceField(
        label=_("Access"),
        choices=AccessToken.Access.choices,
        initial=AccessToken.Access.READ,
        widget=forms.RadioSelect,
        help_text=_("Read only: lists and reports. Read and write: also invite, delete, change roles and seats."),
    )
    expires_on = forms.DateField(
        label=_("Expires on"),
        error_messages={"invalid": DATE_INVALID, "required": DATE_INVALID},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teams"].queryset = (
            Team.objects.administered_by(user).select_related("customer").distinct().order_by("name", "pk")
        )
        today = timezone.localdate()
        self.fields["expires_on"].initial = today + timedelta(days=DEFAULT_DAYS)
        self.fields["expires_on"].widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(), max=expiry_latest(today).isoformat()
        )

    def chosen_teams(self):
        """None for all the teams one administers, else the teams ticked."""
        if self.cleaned_data.get("scope") == ALL_TEAMS:
            return None
        return list(self.cleaned_data.get("teams") or [])
