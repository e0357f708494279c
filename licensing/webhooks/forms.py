"""The shape of an endpoint: its address, a description and the events it wants. Whether the address
may be called and the events are known is decided by licensing.webhooks.services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from licensing.webhooks.models import EventType


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=2000,
        help_text=_("Where Seatkeeper sends the events: an https:// address on the internet."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "https://"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("What receives them, for you to recognise it later."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=EventType.choices,
        required=False,  # none chosen: the service says so in its words
        widget=forms.CheckboxSelectMultiple,
    )

    def clean_url(self) -> str:
        return self.cleaned_data["url"].strip()
