"""The Django admin's own rights (issue 19): mails are read by their subject and recipient, never by
their body, and superusers stay the only ones who grant rights.

The staff members here are not superusers: each has the Django permissions a test gives them, and
nothing more, as a support desk's clerk would."""

import base64
import importlib
import pickle
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from mailer.engine import send_all
from mailer.models import Message, MessageLog

from tests.factories import UserFactory

VIEW, CHANGE, ALL = ("view",), ("view", "change"), ("view", "change", "add", "delete")


def staff_member(*codenames: str, email: str = "clerk@vendor.example"):
    """A staff member (not a superuser) with the permissions `app_label.codename`."""
    clerk = UserFactory(email=email, is_staff=True)
    for name in codenames:
        app_label, codename = name.split(".")
        clerk.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return clerk


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def admin_url(model, page: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


# --- Mails: support sees that a mail went out, never what it says ----------------------------------


@pytest.fixture
def reset_requested(client, world, settings):
    """Someone asks the portal's password-reset page for a reset link of the superuser's account:
    the mail waits in django-mailer's queue (it is sent after the commit, which a test never has)."""
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    response = client.post(reverse("password_reset"), {"email": world.staff.email})
    assert response.status_code == 302
    message = Message.objects.get()
    assert message.to_addresses == [world.staff.email]
    return message


def secrets_of(message: Message) -> list[str]:
    """What would let a reader use the reset link: the link's token, and any line of the raw
    (base64) data the mail is kept as, which decodes to the body."""
    token = re.search(r"/accounts/password/reset/([^/\s]+)/([^/\s]+)/", message.email.body)
    assert token is not None, message.email.body
    return [token.group(2), *(line for line in message.message_data.splitlines() if len(line) > 16)]


def mail_pages(model, pk) -> dict[str, str]:
    return {
        "changelist": admin_url(model, "changelist"),
        "change": admin_url(model, "change", pk),
        "history": admin_url(model, "history", pk),
        "delete": admin_url(model, "delete", pk),
        "add": admin_url(model, "add"),
    }


def read_every_mail_page(client, model, pk, secrets) -> dict[str, int]:
    """Open every admin page of `model` and its row `pk`; fail on a page that shows a secret."""
    statuses = {}
    for page, url in mail_pages(model, pk).items():
        response = client.get(url)
        statuses[page] = response.status_code
        text = response.content.decode()
        leaked = [secret for secret in secrets if secret in text]
        assert not leaked, f"{page} of {model.__name__} shows {leaked[0]!r}"
    return statuses


@pytest.mark.parametrize("rights", [VIEW, CHANGE, ALL], ids="+".join)
def test_a_staff_user_who_may_view_mail_never_reads_a_reset_link(world, reset_requested, rights):
    clerk = staff_member(
        *(f"mailer.{right}_{model}" for right in rights for model in ("message", "messagelog", "dontsendentry"))
    )
    client = signed_in(clerk)
    secrets = secrets_of(reset_requested)

    # Waiting in the queue: support sees to whom it goes and what about, not what it says.
    statuses = read_every_mail_page(client, Message, reset_requested.pk, secrets)
    assert statuses["changelist"] == statuses["change"] == 200
    listed = client.get(admin_url(Message, "changelist")).content.decode()
    assert world.staff.email in listed

    # Sent: the log says when and with what result, and keeps no copy of the mail.
    send_all()
    log = MessageLog.objects.get()
    assert log.message_data is None
    statuses = read_every_mail_page(client, MessageLog, log.pk, secrets)
    assert statuses["changelist"] == statuses["change"] == 200


def test_the_mail_queue_cannot_be_searched_by_its_raw_data(world, reset_requested):
    # The admin filters a list on any field named in the address: a prefix at a time, the raw data
    # (and the reset link in it) could be read back without ever being shown.
    client = signed_in(staff_member("mailer.view_message", "mailer.view_messagelog"))
    fragment = reset_requested.message_data[:12]
    for model in (Message, MessageLog):
        response = client.get(admin_url(model, "changelist"), {"message_data__startswith": fragment})
        assert response.status_code == 400


def test_no_one_writes_the_raw_data_of_a_mail_in_the_admin(world, reset_requested):
    # The raw data is a pickle, which django-mailer loads to send the mail: whoever writes it runs
    # code on the server. Not even a superuser may.
    client = signed_in(world.staff)
    before = reset_requested.message_data
    forged = base64.b64encode(pickle.dumps("any object at all")).decode()
    response = client.post(admin_url(Message, "add"), {"message_data": forged, "priority": "2", "retry_count": "0"})
    assert response.status_code == 403
    response = client.post(
        admin_url(Message, "change", reset_requested.pk), {"message_data": forged, "priority": "2", "retry_count": "0"}
    )
    assert response.status_code == 403
    assert Message.objects.get().message_data == before
    assert client.post(admin_url(MessageLog, "add"), {"message_data": forged}).status_code == 403


def test_a_staff_user_who_may_only_view_mail_does_not_send_it(world, reset_requested, mailoutbox):
    client = signed_in(staff_member("mailer.view_message"))
    for action in ("send_messages", "retry_sending"):
        client.post(
            admin_url(Message, "changelist"),
            {"action": action, admin.helpers.ACTION_CHECKBOX_NAME: [reset_requested.pk]},
        )
    assert mailoutbox == []
    assert Message.objects.filter(pk=reset_requested.pk).exists()


def test_mail_logged_before_the_log_kept_no_copies_loses_its_copy(world, reset_requested, settings):
    # A log written before MAILER_EMAIL_LOG_MESSAGE_DATA = False holds the whole mail; the migration
    # that came with the setting blanks it.
    settings.MAILER_EMAIL_LOG_MESSAGE_DATA = True
    send_all()
    assert MessageLog.objects.get().message_data
    migration = importlib.import_module("licensing.teams.migrations.0002_mail_log_keeps_no_copies")

    migration.mail_copies_delete(apps, None)

    log = MessageLog.objects.get()
    assert log.message_data is None
    assert log.result == "1"  # what support reads of it stays
