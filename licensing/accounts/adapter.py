"""Seatkeeper's hooks into django-allauth (`ACCOUNT_ADAPTER`, `MFA_ADAPTER`).

- Accounts are made by invitation (R-U2, R-U4), never by signing up.
- Every password allauth checks (sign-in, re-authentication) goes through the throttle
  (licensing.accounts.throttle), and a complete sign-in marks the browser as the owner's.
- The second factor's secrets (the TOTP key, the recovery codes' seed) are stored encrypted.
"""

import base64
import hashlib

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet, InvalidToken
from django import forms
from django.conf import settings
from django.urls import reverse

from licensing.accounts import mfa, throttle
from licensing.accounts.signin_forms import INVALID_LOGIN


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {**DefaultAccountAdapter.error_messages, "email_password_mismatch": INVALID_LOGIN}

    def is_open_for_signup(self, request) -> bool:
        return False  # by invitation only

    def authenticate(self, request, **credentials):
        """The account of these credentials, or None; a form error when the throttle says wait."""
        try:
            return throttle.password_sign_in(
                request, email=credentials.get("email") or "", password=credentials.get("password") or ""
            )
        except throttle.Throttled as refused:
            raise forms.ValidationError(refused.message, code="too_many_login_attempts") from None

    def post_login(self, request, user, **kwargs):
        """A complete sign-in (password, and second factor where set up): the browser is the owner's.
        Someone who must have a second factor and has none is taken to set it up right away."""
        response = super().post_login(request, user, **kwargs)
        throttle.remember_browser(response, user)
        if mfa.second_factor_required(user) and not mfa.user_has_second_factor(user):
            request.session[mfa.SESSION_SETUP_REQUIRED] = True
            response["Location"] = reverse("mfa_index")
        return response


def _fernet() -> Fernet:
    # From SECRET_KEY unless MFA_ENCRYPTION_KEY is set: rotating SECRET_KEY then means setting the old
    # one here, or everybody sets their authenticator up again.
    secret = settings.MFA_ENCRYPTION_KEY or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(f"seatkeeper-mfa:{secret}".encode()).digest()))


class MFAAdapter(DefaultMFAAdapter):
    def get_totp_issuer(self) -> str:
        return settings.MFA_TOTP_ISSUER

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        try:
            return _fernet().decrypt(encrypted_text.encode()).decode()
        except InvalidToken:
            return encrypted_text  # written before encryption: nothing else could have written it
