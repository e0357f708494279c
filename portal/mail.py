"""Mails: rendered from templates in the recipient's language, queued in the database in the same
transaction as the change they report, and sent by a background job once that transaction has
committed (SPEC §4; portal/jobs.py).

A mail server that is down loses nothing: the message stays in django-mailer's queue, where
support staff see it (Django admin › Mailer) and the periodic command (`manage.py
seatkeeper_periodic`: retry_deferred, then the queue) sends it again.

No request sends mail any more: a change enqueues a job (`mail_deliver`) that sends the mails it
queued, by their ids in the queue, and no others. So a batch of thousands that an import queued is
never sent inside another request that happens to mail (an anonymous password reset once took 11.5 s
that way), and nobody waits for an SMTP server while a page loads.
"""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.html import escape

from portal.jobs import enqueue, job

logger = logging.getLogger(__name__)


# A batch of more mails than this (an import of thousands) is bulk: its jobs run after those of single
# changes (a lower priority), so a password reset never waits behind 5,000 invitations.
SMALL_BATCH = 50
# The mails one job sends at most: a batch of 5,000 is 25 jobs, each retried for its own mails.
MAILS_PER_JOB = 200
URGENT_PRIORITY = 10
BULK_PRIORITY = -10


def mail_send(*, to, template: str, context: dict, bulk: bool = False) -> None:
    """Queue the mail `templates/mail/<template>{_subject.txt,.txt,.html}` for the user `to`; it is
    sent once the transaction commits. `bulk`: one of many the admin sent at once (By User's "Resend
    invitation" for the selected users), sent after the mails of single changes (`mail_queue`)."""
    mail_queue([_message(to, template, context)], bulk=bulk)


def mail_queue(messages: list[EmailMessage], *, bulk: bool | None = None) -> list[int]:
    """Queue ready-made `messages` (django-mailer's queue, in the current transaction) and enqueue the
    jobs that send these messages and no others once the transaction commits (`mail_deliver`, at most
    MAILS_PER_JOB each). `bulk` (more than SMALL_BATCH messages, when None) sends them after the mails
    of single changes. Returns their ids in the queue.

    With a backend other than django-mailer's queue (the tests' memory backend) the messages go to
    that backend at once, and no ids come back."""
    from mailer.backend import DbBackend
    from mailer.models import Message

    connection = get_connection()
    if not isinstance(connection, DbBackend):
        connection.send_messages(messages)
        return []
    # What DbBackend.send_messages does, keeping the rows: their ids (which PostgreSQL and SQLite give
    # back from the INSERT) say which mails of the queue are this transaction's.
    queued = Message.objects.bulk_create(
        [Message(email=message) for message in messages], getattr(settings, "MAILER_MESSAGES_BATCH_SIZE", None)
    )
    ids = [message.pk for message in queued]
    if bulk is None:
        bulk = len(ids) > SMALL_BATCH
    deliver = mail_deliver.using(priority=BULK_PRIORITY if bulk else URGENT_PRIORITY)
    for start in range(0, len(ids), MAILS_PER_JOB):
        enqueue(deliver, ids[start : start + MAILS_PER_JOB])
    return ids


def mail_send_many(*, template: str, context: dict, recipients: Iterable[tuple], bulk: bool | None = None) -> int:
    """Queue the mail `template` for many users at once. `context` is shared by all; each
    `(user, own)` of `recipients` adds the user's own string values (their link, say). The mails are
    inserted in batches and sent by jobs after commit as `mail_send`'s are; more than SMALL_BATCH
    are bulk (`mail_queue`). A caller that queues one large batch in several calls says which with
    `bulk`. Returns the number queued.

    Rendering mails one by one is most of the cost of inviting thousands of people, so the mails of
    one language are rendered once, with stand-ins for the recipient's names and address and for the
    own values, which are then filled in per mail (escaped in the HTML part). The first mail of each
    language is also rendered in full and compared: a template that does more with those values than
    print them makes that language fall back to rendering every mail in full. A mail with an empty
    value is always rendered in full (`default` or `if` may treat an empty value apart).
    """
    by_language: dict[str, list[tuple]] = {}
    for user, own in recipients:
        language = getattr(user, "language", None) or settings.LANGUAGE_CODE
        by_language.setdefault(language, []).append((user, own))
    messages = []
    for language, group in by_language.items():
        messages += _messages_merged(template, context, language, group)
    if not messages:
        return 0
    mail_queue(messages, bulk=bulk)
    return len(messages)


# Private-use characters around a name: no template filter, escaping or translation changes them.
_STAND_IN = "\ue000{}\ue001"
_USER_FIELDS = ("first_name", "last_name", "email")


class _StandInRecipient:
    """The recipient while the mails of a batch are rendered once (see mail_send_many)."""

    first_name = _STAND_IN.format("first_name")
    last_name = _STAND_IN.format("last_name")
    email = _STAND_IN.format("email")

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def get_short_name(self) -> str:
        return self.first_name

    def __str__(self) -> str:
        return self.get_full_name()


def _fills_in(value) -> bool:
    """Whether `value` may take a stand-in's place: a string, not empty, with no stand-in in it."""
    return isinstance(value, str) and bool(value) and "\ue000" not in value


def _messages_merged(template: str, context: dict, language: str, group: list[tuple]) -> list:
    keys = set(group[0][1])
    stand_ins = {key: _STAND_IN.format(key) for key in keys}
    recipient = _StandInRecipient()
    merged_context = {"recipient": recipient, "site_url": settings.SITE_URL, **context, **stand_ins}
    with translation.override(language):
        subject = _render_plain(f"mail/{template}_subject.txt", merged_context)
        text = _render_plain(f"mail/{template}.txt", merged_context)
        html = render_to_string(f"mail/{template}.html", merged_context)

    def fill(rendered: str, values: dict, html_escaped: bool) -> str:
        for key, value in values.items():
            rendered = rendered.replace(_STAND_IN.format(key), escape(value) if html_escaped else value)
        return rendered

    def full(user, own) -> EmailMultiAlternatives:
        return _message(user, template, {**context, **own})

    messages, checked = [], False
    for index, (user, own) in enumerate(group):
        values = {**{field: getattr(user, field) for field in _USER_FIELDS}, **own}
        if set(own) != keys or not all(_fills_in(value) for value in values.values()):
            messages.append(full(user, own))
            continue
        message = EmailMultiAlternatives(
            " ".join(fill(subject, values, False).split()), fill(text, values, False), to=[user.email]
        )
        message.attach_alternative(fill(html, values, True), "text/html")
        if not checked:
            expected = full(user, own)
            if (expected.subject, expected.body, expected.alternatives) != (
                message.subject,
                message.body,
                message.alternatives,
            ):
                return messages + [expected] + [full(u, o) for u, o in group[index + 1 :]]
            checked = True
        messages.append(message)
    return messages


def _message(to, template: str, context: dict) -> EmailMultiAlternatives:
    context = {"recipient": to, "site_url": settings.SITE_URL, **context}
    with translation.override(getattr(to, "language", None) or settings.LANGUAGE_CODE):
        subject = " ".join(_render_plain(f"mail/{template}_subject.txt", context).split())
        text = _render_plain(f"mail/{template}.txt", context)
        html = render_to_string(f"mail/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to.email])
    message.attach_alternative(html, "text/html")
    return message


def _render_plain(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: "Jan's team" must not arrive as "Jan&#x27;s team"."""
    return get_template(name).template.render(Context(context, autoescape=False))


@job(priority=URGENT_PRIORITY)
def mail_deliver(ids: list[int]) -> None:
    """The job of `mail_queue`: send the queued messages `ids`."""
    mail_send_queued(ids)


@job(priority=BULK_PRIORITY)
def mail_send_waiting() -> None:
    """The periodic job (`manage.py seatkeeper_periodic`): put the mails the server refused back in the
    queue (django-mailer's retry_deferred), then send the whole queue, which also sends any mail whose
    job was lost."""
    from mailer.engine import send_all
    from mailer.models import Message

    retried = Message.objects.retry_deferred()
    if retried:
        logger.info("%d deferred mails put back in the queue", retried)
    send_all()


def mail_send_queued(ids: list[int]) -> None:
    """Send the queued messages `ids` (from `mail_queue`) that are still waiting (another sender, the
    periodic job, may have sent some meanwhile); never any other message of the queue. A failure is
    logged, never raised: the messages stay queued (deferred) for the periodic job."""
    from mailer.engine import send_all
    from mailer.models import Message

    try:
        own = Message.objects.non_deferred().filter(pk__in=ids)
        # send_all(queryset) sends the whole queue when the queryset it is given is empty (it tests its
        # truth), so it is given ours only once ours has been read and found not to be: that read is
        # what it tests, and it then sends what a fresh read of the same filter finds.
        if own:
            send_all(own)
    except Exception:  # the message stays queued; it must never break the change that sent it
        logger.exception("Sending queued mail failed; it stays in the queue.")
