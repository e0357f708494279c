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
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse
from mailer.engine import send_all
from mailer.models import Message, MessageLog

from licensing.accounts.models import User
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
    migration = importlib.import_module("licensing.teams.migrations.0003_mail_log_keeps_no_copies")

    migration.mail_copies_delete(apps, None)

    log = MessageLog.objects.get()
    assert log.message_data is None
    assert log.result == "1"  # what support reads of it stays


# --- Rights: superusers stay the only ones who grant them ------------------------------------------

USER_CLERK = ("accounts.view_user", "accounts.change_user", "accounts.add_user", "accounts.delete_user")


def inline_management(response) -> dict:
    """The inline formsets' management form, as a browser posts it back with a change form."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management.initial.get(name, 0)
    return data


def every_right():
    return {
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "groups": [Group.objects.get(name="Support staff").pk],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
    }


def account_post(client, account, **fields):
    """Post `account`'s change form back as the browser would, with `fields` changed."""
    url = admin_url(User, "change", account.pk)
    shown = client.get(url)
    data = {"email": account.email, "first_name": account.first_name, "last_name": account.last_name}
    data |= {"language": account.language or "en", **fields}
    if shown.status_code == 200 and shown.context:
        data |= inline_management(shown)
    return client.post(url, data)


def rights_of(account) -> tuple:
    account.refresh_from_db()
    return (
        account.is_staff,
        account.is_superuser,
        sorted(account.groups.values_list("name", flat=True)),
        sorted(account.user_permissions.values_list("codename", flat=True)),
    )


def test_a_staff_user_who_may_change_users_does_not_make_themselves_superuser(world):
    clerk = staff_member("accounts.view_user", "accounts.change_user")
    before = rights_of(clerk)
    client = signed_in(clerk)

    response = account_post(client, clerk, **every_right())

    assert response.status_code == 403  # a staff account is a superuser's to change
    assert rights_of(clerk) == before == (True, False, [], ["change_user", "view_user"])


def test_a_staff_user_who_may_change_users_changes_a_customers_account_but_not_its_rights(world):
    client = signed_in(staff_member("accounts.view_user", "accounts.change_user"))
    customer = world.user.user

    response = account_post(client, customer, first_name="Davida", **every_right())

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.first_name == "Davida"  # what support is there for
    assert rights_of(customer) == (False, False, [], [])
    page = client.get(admin_url(User, "change", customer.pk)).content.decode()
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' not in page


@pytest.mark.parametrize("target", ["superuser", "colleague"])
def test_a_staff_user_does_not_take_over_an_account_with_rights(world, target):
    # The superuser of the demo, or a colleague in the group "Support staff": their e-mail address
    # or password changed, their account would be the clerk's, with its rights.
    client = signed_in(staff_member(*USER_CLERK))
    account = world.staff if target == "superuser" else staff_member("teams.act_as_support", email="ann@vendor.example")
    password, email = User.objects.get(pk=account.pk).password, account.email

    assert account_post(client, account, email="clerk+owned@vendor.example").status_code == 403
    url = reverse("admin:auth_user_password_change", args=[account.pk])
    response = client.post(
        url, {"usable_password": "true", "password1": "n3w-Passphrase!", "password2": "n3w-Passphrase!"}
    )
    assert response.status_code == 403
    assert client.post(admin_url(User, "delete", account.pk), {"post": "yes"}).status_code == 403
    client.post(
        admin_url(User, "changelist"),
        {"action": "delete_selected", "post": "yes", admin.helpers.ACTION_CHECKBOX_NAME: [account.pk]},
    )

    account = User.objects.get(pk=account.pk)
    assert (account.email, account.password) == (email, password)
    assert client.get(admin_url(User, "change", account.pk)).status_code == 200  # still seen


def test_a_staff_user_who_may_add_users_creates_no_staff_account(world):
    client = signed_in(staff_member(*USER_CLERK))
    response = client.post(
        admin_url(User, "add"),
        {
            "email": "helpdesk@vendor.example",
            "first_name": "Hanna",
            "last_name": "Helpdesk",
            "language": "en",
            "usable_password": "false",
            **every_right(),
        },
    )
    assert response.status_code == 302
    assert rights_of(User.objects.get(email="helpdesk@vendor.example")) == (False, False, [], [])


def test_a_staff_user_who_may_change_groups_grants_no_permissions(world):
    clerk = staff_member("auth.view_group", "auth.change_group", "auth.add_group")
    clerk.groups.add(Group.objects.create(name="Mail desk"))
    client = signed_in(clerk)
    group = Group.objects.get(name="Mail desk")
    every = list(Permission.objects.values_list("pk", flat=True))

    client.post(admin_url(Group, "change", group.pk), {"name": "Mail desk", "permissions": every})
    client.post(admin_url(Group, "add"), {"name": "Everything", "permissions": every})

    assert not group.permissions.exists()
    assert not Permission.objects.filter(group__name="Everything").exists()
    assert not clerk.has_perm("auth.change_permission")
    assert not User.objects.get(pk=clerk.pk).has_perm("teams.act_as_support")


def test_superusers_still_grant_rights(world):
    client = signed_in(world.staff)
    clerk = staff_member()
    response = account_post(client, clerk, **{**every_right(), "is_superuser": ""})
    assert response.status_code == 302
    assert rights_of(clerk)[:3] == (True, False, ["Support staff"])
    group = Group.objects.create(name="Mail desk")
    view = Permission.objects.get(codename="view_message")
    assert (
        client.post(admin_url(Group, "change", group.pk), {"name": "Mail desk", "permissions": [view.pk]}).status_code
        == 302
    )
    assert list(group.permissions.all()) == [view]
