"""The headers every answer carries (issue 19: `Permissions-Policy` was missing)."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("name", ["login", "password_reset"])
def test_every_answer_says_what_the_page_may_use_of_the_browser(client, db, name):
    policy = client.get(reverse(name))["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    # Passkeys and security keys on our own origin only (the second factor).
    assert "publickey-credentials-get=(self)" in policy
    assert "publickey-credentials-create=(self)" in policy


def test_the_api_answers_carry_it_too(client, db):
    assert "camera=()" in client.get("/api/v1/openapi.json")["Permissions-Policy"]
