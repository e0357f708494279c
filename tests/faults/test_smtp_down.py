"""The mail server is down while admins work (SPEC §4: "a mail server that is down loses nothing").

As in production: every mail is queued by django-mailer (EMAIL_BACKEND = DbBackend) and sent after
commit through SMTP, here to a port on 127.0.0.1 where nothing listens, so the connection is
refused. Invitations, assignments and role changes go through the views and succeed; every mail
waits in the queue, none marked as sent. Then a real SMTP server (aiosmtpd) comes up on that same
port, `retry_deferred` and `send_mail` run, twice: each mail arrives exactly once."""

import email
import email.policy
import logging
import socket
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse
from mailer.models import RESULT_SUCCESS, Message, MessageLog

from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member


def refusing_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bound, read, closed."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Recorder:
    """aiosmtpd handler: keeps every message it is given."""

    def __init__(self):
        self.messages: list[tuple[tuple[str, ...], str]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((tuple(envelope.rcpt_tos), str(parsed["Subject"])))
        return "250 OK"


@pytest.fixture
def smtp_down(settings):
    port = refusing_port()
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    settings.MAILER_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    return port


def queued() -> Counter:
    return Counter((tuple(message.to_addresses), message.subject) for message in Message.objects.all())


# transaction=True: the changes commit for real, so the mails are sent after commit as in production.
@pytest.mark.django_db(transaction=True)
def test_nothing_is_lost_while_the_mail_server_is_down_and_each_mail_goes_out_once(client, world, smtp_down, caplog):
    caplog.set_level(logging.WARNING, logger="mail.log")  # aiosmtpd's log of every SMTP command
    Message.objects.all().delete()
    client.force_login(world.primary.user)
    team = world.team.pk

    invite = client.post(
        reverse("accounts:member-invite", kwargs={"team_id": team}),
        {"first_name": "David", "last_name": "de Jong", "email": "david@example.nl"},
    )
    assign = client.post(
        reverse(
            "subscriptions:member-product-assign",
            kwargs={"team_id": team, "member_id": world.user.pk, "product_id": world.product.pk},
        )
    )
    make_admin = client.post(
        reverse("teams:member-role", kwargs={"team_id": team, "member_id": world.user.pk}),
        {"role": Member.Role.SECONDARY_ADMIN},
    )
    reassign_primary = client.post(
        reverse("teams:member-role", kwargs={"team_id": team, "member_id": world.secondary.pk}),
        {"role": Member.Role.PRIMARY_ADMIN, "confirm": "True"},
    )

    # Every change is made and the admin is told so; nothing tells them of the mail server.
    for response in (invite, assign, make_admin, reassign_primary):
        assert response.status_code == 302, response.content.decode()[:500]
    assert Member.objects.get(team=team, user__email="david@example.nl").status == Member.Status.INVITED
    assert Assignment.objects.filter(member=world.user, product=world.product).exists()
    world.user.refresh_from_db()
    world.secondary.refresh_from_db()
    assert world.user.role == Member.Role.SECONDARY_ADMIN
    assert world.secondary.role == Member.Role.PRIMARY_ADMIN
    levels = [message.level_tag for message in client.get(reverse("home")).context["messages"]]
    assert levels == ["success"] * 4

    # Every mail waits in the queue: the invitation, the product, the new admin, both parties of the
    # primary admin's change. The attempts after commit failed; none is logged as sent.
    waiting = queued()
    recipients = Counter(to for (to,), _subject in waiting)
    assert recipients == {
        "david@example.nl": 1,
        "user@example.com": 2,
        "secondary@example.com": 1,
        "primary@example.com": 1,
    }
    assert Message.objects.deferred().count() == Message.objects.count() == 5
    assert not MessageLog.objects.filter(result=RESULT_SUCCESS).exists()
    assert MessageLog.objects.exclude(result=RESULT_SUCCESS).count() >= 5

    # The mail server is back, on the same address.
    recorder = Recorder()
    server = Controller(recorder, hostname="127.0.0.1", port=smtp_down)
    server.start()
    try:
        for _run in range(2):
            call_command("retry_deferred")
            call_command("send_mail")
    finally:
        server.stop()

    assert Counter(recorder.messages) == waiting  # each mail once, none twice, none lost
    assert not Message.objects.exists()
    assert MessageLog.objects.filter(result=RESULT_SUCCESS).count() == sum(waiting.values())
    delivered = len(recorder.messages)
    print(f"\nSMTP down: {sum(waiting.values())} mails queued, {delivered} delivered once the server was back")
