"""A webhook receiver on 127.0.0.1 (http.server in a thread) that verifies every request with the
`standardwebhooks` package itself, and can be told to be down (503, or no answer at all), to
redirect, or to be slow."""

import http.server
import json
import threading
from dataclasses import dataclass, field

import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from standardwebhooks.webhooks import EmptyWebhookSecretError

from licensing.webhooks import services
from licensing.webhooks.models import EventType


@dataclass
class Received:
    message_id: str
    payload: dict
    headers: dict


@dataclass
class Receiver:
    """What the receiver got, and how it answers: `status` (200), `down` (answer 503),
    `redirect_to` (a 302 there), `delay` (seconds before answering)."""

    secret: str = ""
    status: int = 200
    down: bool = False
    redirect_to: str = ""
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # requests that failed verification
    hits: int = 0
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def payloads(self, type_: str | None = None) -> list[dict]:
        with self.lock:
            return [r.payload for r in self.received if type_ is None or r.payload["type"] == type_]


def _handler(receiver: Receiver):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                receiver.hits += 1
            if receiver.delay:
                threading.Event().wait(receiver.delay)
            if receiver.down:
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"down for maintenance")
                return
            if receiver.redirect_to:
                self.send_response(302)
                self.send_header("Location", receiver.redirect_to)
                self.end_headers()
                return
            try:
                payload = Webhook(receiver.secret).verify(body, dict(self.headers.items()))
            except (WebhookVerificationError, EmptyWebhookSecretError) as error:
                with receiver.lock:
                    receiver.refused.append(str(error))
                self.send_response(401)
                self.end_headers()
                return
            with receiver.lock:
                receiver.received.append(Received(self.headers["webhook-id"], payload, dict(self.headers.items())))
            self.send_response(receiver.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"ok": True}).encode())

    return Handler


@pytest.fixture
def receiver():
    receiver = Receiver()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_REQUIRE_HTTPS = False
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2


ALL_EVENTS = list(EventType.values)


@pytest.fixture
def endpoint_of(private_allowed, receiver):
    """An endpoint of `team` (None: the vendor's) at the receiver, which learns its secret."""

    def make(team, *, actor, event_types=None):
        endpoint, secret = services.endpoint_create(
            team=team, url=receiver.url, event_types=event_types or ALL_EVENTS, actor=actor
        )
        receiver.secret = secret
        return endpoint

    return make
