"""Mail that did not go out (SPEC §4): support staff see the deferred mails in the Django admin
(Mailer › Messages, filtered on priority) and retry them with "Retry sending"."""

import smtplib

import pytest
from django.contrib import admin
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from mailer.models import PRIORITY_DEFERRED, PRIORITY_MEDIUM, Message, MessageLog


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every mail, as a server that is down does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPDataError(451, "try again later")


@pytest.fixture
def support(client, world):
    client.force_login(world.staff)
    return client


def deferred(to: str) -> Message:
    message = Message(priority=PRIORITY_DEFERRED, retry_count=1)
    message.email = EmailMessage("You are invited to join Design", "Hello", to=[to])
    message.save()
    return message


def retry(client, *messages):
    return client.post(
        reverse("admin:mailer_message_changelist"),
        {"action": "retry_sending", admin.helpers.ACTION_CHECKBOX_NAME: [m.pk for m in messages]},
        follow=True,
    )


def test_support_finds_the_deferred_mails(support):
    deferred("jan@example.nl")
    response = support.get(reverse("admin:mailer_message_changelist"), {"priority__exact": PRIORITY_DEFERRED})
    assert response.status_code == 200
    assert "jan@example.nl" in response.content.decode()
    assert "Retry sending" in response.content.decode()


def test_retry_sending_sends_the_chosen_deferred_mails(support, mailoutbox):
    chosen, other = deferred("jan@example.nl"), deferred("piet@example.nl")
    response = retry(support, chosen)
    assert [m.to for m in mailoutbox] == [["jan@example.nl"]]
    assert not Message.objects.filter(pk=chosen.pk).exists()
    assert Message.objects.get(pk=other.pk).priority == PRIORITY_DEFERRED
    assert MessageLog.objects.filter(result="1").count() == 1
    assert "1 mail sent." in response.content.decode()


def test_a_mail_the_server_still_refuses_waits_in_the_queue(support, settings, mailoutbox):
    settings.MAILER_EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    message = deferred("jan@example.nl")
    response = retry(support, message)
    message.refresh_from_db()
    assert message.priority == PRIORITY_DEFERRED
    assert message.retry_count == 2
    assert "could not be sent and waits in the queue" in response.content.decode()
    assert mailoutbox == []


def test_a_mail_waiting_normally_is_sent_too(support, mailoutbox):
    message = deferred("jan@example.nl")
    Message.objects.filter(pk=message.pk).update(priority=PRIORITY_MEDIUM)
    retry(support, message)
    assert len(mailoutbox) == 1


def test_only_staff_open_the_mail_queue(client, world):
    client.force_login(world.primary.user)
    response = client.get(reverse("admin:mailer_message_changelist"))
    assert response.status_code == 302
