"""The sign-in form: django-allauth's, with our words (`ACCOUNT_FORMS["login"]`)."""

from allauth.account.forms import LoginForm
from django import forms
from django.utils.translation import gettext_lazy as _

INVALID_LOGIN = _("This e-mail address and password do not match an account. Check both and try again.")


class SignInForm(LoginForm):
    """Sign in with an e-mail address (any case) and a password."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("E-mail address")
        login.max_length = 254
        login.widget = forms.EmailInput(
            attrs={"autofocus": True, "autocomplete": "email", "maxlength": 254, "spellcheck": "false"}
        )
        password = self.fields["password"]
        password.help_text = ""  # "Forgot your password?" stands below the form
        password.widget.attrs.pop("placeholder", None)
        self.fields["login"].widget.attrs.pop("placeholder", None)
