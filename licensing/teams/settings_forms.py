"""Forms of Team settings: the shape of the input only. Whether a name is acceptable (not blank, not
too long, not starting like a spreadsheet formula: `validate_not_formula`) is decided by
licensing.teams.services (`_clean_team_name`), whose message the views show."""

from django import forms
from django.utils.translation import gettext_lazy as _

from licensing.teams.services import TEAM_NAME_TOO_LONG


class TeamNameForm(forms.Form):
    """ "Rename" (R-T4) and "Create team" (R-T3): a team name.

    Not required here: a blank name reaches the service, which refuses it in its own words."""

    name = forms.CharField(
        label=_("Team name"),
        max_length=100,
        required=False,
        strip=False,  # the service tidies spaces; the form gives back exactly what was typed
        error_messages={"max_length": TEAM_NAME_TOO_LONG},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
