"""Sending one webhook (R-API4): signed per Standard Webhooks and verified with the package itself;
only public addresses, the checked address connected to, no redirects followed, a timeout."""

import socket

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from licensing.webhooks import sending
from licensing.webhooks.models import new_secret


def test_a_delivery_is_signed_per_standard_webhooks(receiver, private_allowed):
    """R-API4: the receiver verifies webhook-id, webhook-timestamp and webhook-signature with the
    standardwebhooks package."""
    receiver.secret = new_secret()
    attempt = sending.post(url=receiver.url, secret=receiver.secret, message_id="msg_1", payload={"type": "x"})
    assert attempt.ok, attempt
    assert attempt.status == 200
    assert receiver.refused == []
    [got] = receiver.received
    assert got.message_id == "msg_1"
    assert got.payload == {"type": "x"}
    assert got.headers["Content-Type"] == "application/json"


def test_a_signature_with_another_secret_does_not_verify():
    body = sending.body_of({"type": "x"})
    headers = sending.signed_headers(secret=new_secret(), message_id="msg_2", body=body)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(body, headers)
    with pytest.raises(WebhookVerificationError):  # the body changed on the way
        Webhook(new_secret()).verify(body + b" ", headers)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud's metadata service
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_private_and_special_addresses_are_not_public(address):
    assert not sending.address_is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are(address):
    assert sending.address_is_public(address)


def test_an_address_that_resolves_to_a_private_host_is_refused(settings, monkeypatch):
    """R-API4: only addresses that resolve to public hosts are called; one private address among the
    answers is enough to refuse (DNS could answer that one next time)."""
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    def resolver(host, port, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port)),
        ]

    monkeypatch.setattr(sending.socket, "getaddrinfo", resolver)
    with pytest.raises(sending.AddressRefused, match=r"10\.0\.0\.5"):
        sending.resolve("https://hooks.example.com/in")
    attempt = sending.post(url="https://hooks.example.com/in", secret=new_secret(), message_id="m", payload={})
    assert not attempt.ok
    assert attempt.status is None
    assert "not a public address" in attempt.error


def test_loopback_is_refused_without_the_setting(receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    attempt = sending.post(url=receiver.url, secret=new_secret(), message_id="m", payload={})
    assert "not a public address" in attempt.error
    assert receiver.hits == 0


def test_the_checked_address_is_the_one_connected_to(receiver, private_allowed, monkeypatch):
    """No second lookup for DNS rebinding to answer: the host name resolves once, to 127.0.0.1 here,
    and the connection goes there with the name in the Host header."""
    receiver.secret = new_secret()
    lookups = []
    real = socket.getaddrinfo

    def resolver(host, port, *args, **kwargs):
        if host == "127.0.0.1":  # the connection to the checked address: no lookup
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return real("127.0.0.1", port, *args, **kwargs)

    monkeypatch.setattr(sending.socket, "getaddrinfo", resolver)
    attempt = sending.post(
        url=f"http://hooks.example.test:{receiver.port}/x", secret=receiver.secret, message_id="m", payload={}
    )
    assert attempt.ok, attempt
    assert lookups == ["hooks.example.test"]
    assert receiver.received[0].headers["Host"] == f"hooks.example.test:{receiver.port}"


def test_a_redirect_is_not_followed(receiver, private_allowed):
    """R-API4: no redirects followed; the 302 is a failed attempt, retried later."""
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    attempt = sending.post(url=receiver.url, secret=new_secret(), message_id="m", payload={})
    assert attempt.status == 302
    assert not attempt.ok
    assert "not followed" in attempt.error
    assert receiver.hits == 1


def test_a_receiver_that_does_not_answer_in_time_is_a_failure(receiver, private_allowed, settings):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.3
    receiver.delay = 1.0
    attempt = sending.post(url=receiver.url, secret=new_secret(), message_id="m", payload={})
    assert not attempt.ok
    assert attempt.status is None
    assert "timed out" in attempt.error.lower()
    assert attempt.duration_ms < 1000


def test_nothing_listening_is_a_failure_not_an_exception(private_allowed):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempt = sending.post(url=f"http://127.0.0.1:{port}/", secret=new_secret(), message_id="m", payload={})
    assert not attempt.ok
    assert "ConnectionRefused" in attempt.error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/x", "must start with"),
        ("http://example.com/x", "https://"),
        ("https:///nohost", "no host"),
        ("https://no-such-host.invalid/x", "cannot be resolved"),
    ],
)
def test_addresses_refused_before_any_lookup_or_call(settings, url, message):
    settings.WEBHOOKS_REQUIRE_HTTPS = True
    with pytest.raises(sending.AddressRefused, match=message):
        sending.resolve(url)
