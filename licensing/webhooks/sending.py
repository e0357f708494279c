"""Sending one webhook: a signed POST (Standard Webhooks: `webhook-id`, `webhook-timestamp`,
`webhook-signature`, with the `standardwebhooks` package) to an address that resolves to public
hosts only, to the very address that was checked (no second lookup that DNS rebinding could
answer otherwise), within a timeout, following no redirect.

`WEBHOOKS_ALLOW_PRIVATE` lets the tests (and a vendor whose receivers are on its own network) call
private, loopback and link-local addresses."""

import http.client
import ipaddress
import json
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from standardwebhooks import Webhook

USER_AGENT = "Seatkeeper-Webhooks/1"
# What is kept of the answer: the first bytes read, and of them the first characters shown.
READ_LIMIT = 64 * 1024
EXCERPT_CHARS = 500

NOT_HTTP = _("The address must start with https:// (or http:// where allowed).")
HTTPS_REQUIRED = _("The address must start with https://.")
NO_HOST = _("The address has no host name.")
UNRESOLVED = _("The host name %(host)s cannot be resolved.")
NOT_PUBLIC = _(
    "%(host)s resolves to %(address)s, which is not a public address: webhooks are sent to the internet only."
)


class AddressRefused(Exception):
    """An address Seatkeeper does not call; `message` says why, in words."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def address_is_public(address: str) -> bool:
    """Whether `address` (an IPv4 or IPv6 address) is a public host: not private, loopback,
    link-local, reserved, multicast, unspecified or shared (carrier-grade NAT)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast or ip.is_unspecified
    )
    return ip.is_global and not blocked


@dataclass(frozen=True)
class Target:
    """A checked address: where to connect (`ip`), and what to say (`host`, `port`, `path`)."""

    scheme: str
    host: str
    port: int
    path: str
    ip: str


def url_check(url: str, *, require_https: bool | None = None) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of `url`, or AddressRefused: http(s) only, https where required."""
    if require_https is None:
        require_https = settings.WEBHOOKS_REQUIRE_HTTPS
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise AddressRefused(NOT_HTTP)
    if require_https and scheme != "https":
        raise AddressRefused(HTTPS_REQUIRED)
    host = parts.hostname
    if not host:
        raise AddressRefused(NO_HOST)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError as error:
        raise AddressRefused(NO_HOST) from error
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def resolve(url: str, *, allow_private: bool | None = None) -> Target:
    """The address to connect to for `url`: every address its host resolves to must be public
    (one private address among them is refused: the next lookup could answer that one)."""
    if allow_private is None:
        allow_private = settings.WEBHOOKS_ALLOW_PRIVATE
    scheme, host, port, path = url_check(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise AddressRefused(UNRESOLVED % {"host": host}) from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise AddressRefused(UNRESOLVED % {"host": host})
    if not allow_private:
        for address in addresses:
            if not address_is_public(address):
                raise AddressRefused(NOT_PUBLIC % {"host": host, "address": address})
    return Target(scheme=scheme, host=host, port=port, path=path, ip=addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection to `ip`, whatever `host` (the Host header) resolves to now."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned_ip = target.ip

    def connect(self):
        self.sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """An HTTPS connection to `ip`; the certificate is checked against `host` (SNI too)."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.pinned_ip = target.ip

    def connect(self):
        sock = socket.create_connection((self.pinned_ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Attempt:
    """What one POST gave: the status (None when no answer came), an excerpt of the body, the time
    taken and, for a failure, the reason in words."""

    status: int | None
    excerpt: str
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def body_of(payload: dict) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(*, secret: str, message_id: str, body: bytes, when: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers of `body`, signed with `secret` at `when` (now)."""
    when = when or datetime.now(tz=UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, when, body),
    }


def post(*, url: str, secret: str, message_id: str, payload: dict) -> Attempt:
    """POST `payload` to `url`, signed; never raises for what the network or the receiver does."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = resolve(url)
    except AddressRefused as refused:
        return Attempt(status=None, excerpt="", duration_ms=took(), error=str(refused.message)[:300])
    body = body_of(payload)
    headers = {
        **signed_headers(secret=secret, message_id=message_id, body=body),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }
    timeout = settings.WEBHOOKS_TIMEOUT_SECONDS
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read(READ_LIMIT)
        status = response.status
    except (OSError, http.client.HTTPException) as error:
        return Attempt(
            status=None, excerpt="", duration_ms=took(), error=(type(error).__name__ + ": " + str(error))[:300]
        )
    finally:
        connection.close()
    excerpt = data.decode("utf-8", "replace")[:EXCERPT_CHARS]
    error = ""
    if 300 <= status < 400:
        error = f"Redirect to {response.getheader('Location', '')[:200]} not followed"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    return Attempt(status=status, excerpt=excerpt, duration_ms=took(), error=error)
