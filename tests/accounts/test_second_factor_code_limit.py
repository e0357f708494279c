"""Wrong second-factor codes at sign-in are limited per account (allauth's mfa counts them under the rate
limit "login_failed"; the password's own failures are counted by licensing/accounts/throttle.py).

Whoever has the password could otherwise try the 1,000,000 six-digit codes without end: at 50 tries a
second that is one chance in 670 per 30-second window, an even chance within four hours."""

import pyotp
from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse
from django.utils.html import escape

INCORRECT_CODE = "Incorrect code."
TOO_MANY = str(DefaultAccountAdapter.error_messages["too_many_login_attempts"])


def other_code(code: str) -> str:
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_wrong_second_factor_codes_are_limited_per_account(client, world):
    secret = generate_totp_secret()
    TOTP.activate(world.primary.user, secret)
    response = client.post(reverse("login"), {"login": "primary@example.com", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")

    wrong = other_code(pyotp.TOTP(secret).now())
    for _ in range(5):
        response = client.post(reverse("mfa_authenticate"), {"code": wrong})
        assert response.status_code == 200
        assert INCORRECT_CODE in response.content.decode()

    response = client.post(reverse("mfa_authenticate"), {"code": wrong})
    assert escape(TOO_MANY) in response.content.decode()
    # The limit holds for the right code too: the guesser cannot tell which was right.
    response = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    assert escape(TOO_MANY) in response.content.decode()
    assert "_auth_user_id" not in client.session
