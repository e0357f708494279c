"""A change sends the mails it queued itself, and no others (portal.mail): a batch that an import left
in django-mailer's queue is never sent with the next change that happens to mail, such as an anonymous
password reset. Here the job that sends them (`mail_deliver`) runs at once on commit (tests/conftest.py);
tests/jobs has it in the database, run by a worker.

No __init__.py in this folder on purpose: a package named `portal` here would shadow the project."""

import pytest
from django.core.mail import EmailMessage
from django.urls import reverse
from mailer.backend import DbBackend
from mailer.models import RESULT_SUCCESS, Message, MessageLog

WAITING = 200


@pytest.fixture
def queue_from_elsewhere(settings, db):
    """As in production, mails go through django-mailer's queue (pytest-django would deliver them at
    once); WAITING mails of an import are in it already, left for cron. Returns the last one's id."""
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    DbBackend().send_messages(
        [EmailMessage("You are invited", "...", to=[f"imported{n}@example.com"]) for n in range(WAITING)]
    )
    return Message.objects.order_by("pk").last().pk


def waiting() -> list[str]:
    return [address for message in Message.objects.order_by("pk") for address in message.to_addresses]


def test_a_password_reset_sends_its_own_mail_and_leaves_the_queue_of_an_import_to_cron(
    client, world, queue_from_elsewhere, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "user@example.com"})
    assert response.url == reverse("password_reset_done")
    assert [message.to for message in mailoutbox] == [["user@example.com"]]
    assert mailoutbox[0].subject == "Reset your Seatkeeper password"
    assert MessageLog.objects.filter(result=RESULT_SUCCESS).count() == 1
    assert waiting() == [f"imported{n}@example.com" for n in range(WAITING)]


def test_an_invitation_sends_its_own_mail_and_leaves_the_queue_of_an_import_to_cron(
    client, world, queue_from_elsewhere, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(world.primary.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:member-invite", kwargs={"team_id": world.team.pk}),
            {"first_name": "David", "last_name": "de Jong", "email": "david@example.nl"},
        )
    assert response.status_code == 302
    assert [message.to for message in mailoutbox] == [["david@example.nl"]]
    assert waiting() == [f"imported{n}@example.com" for n in range(WAITING)]


def test_a_mail_sent_meanwhile_by_cron_is_not_sent_again_and_nothing_else_is_sent(
    world, queue_from_elsewhere, mailoutbox, django_capture_on_commit_callbacks
):
    # send_all(queryset) sends the whole queue when its queryset is empty: the request's own mail
    # already gone (cron took it) must not make the request send the import's.
    from licensing.teams.services import member_change_role

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        member_change_role(member=world.user, role="secondary_admin", actor=world.primary.user)
    assert len(waiting()) == WAITING + 1
    Message.objects.filter(pk__gt=queue_from_elsewhere).delete()  # sent by cron meanwhile
    for callback in callbacks:
        callback()
    assert mailoutbox == []
    assert len(waiting()) == WAITING
