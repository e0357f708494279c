"""Mails: rendered from templates in the recipient's language, queued in the database in the same
transaction as the change they report, and sent once that transaction has committed (SPEC §4).

A mail server that is down loses nothing: the message stays in django-mailer's queue, where
support staff see it (Django admin › Mailer) and `manage.py retry_deferred` sends it again.

A request sends the mails it queued itself, by their ids in the queue, and no others: a batch of
thousands that an import left for `manage.py send_mail` must never be sent inside the next
request that happens to mail (an anonymous password reset once took 11.5 s that way).
"""

import functools
import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.html import escape

logger = logging.getLogger(__name__)


# A batch of more mails than this (an import of thousands) is left in the queue for
# `manage.py send_mail` (cron, see README) instead of being sent in the request that queued it:
# thousands of SMTP conversations would outlast the request.
SEND_INLINE_MAX = 50


def mail_send(*, to, template: str, context: dict) -> None:
    """Queue the mail `templates/mail/<template>{_subject.txt,.txt,.html}` for the user `to`; it is
    sent once the transaction commits."""
    mail_queue([_message(to, template, context)], send_inline=True)


def mail_queue(messages: list[EmailMessage], *, send_inline: bool | None = None) -> list[int]:
    """Queue ready-made `messages` (django-mailer's queue, in the current transaction) and, once the
    transaction commits, send these messages and no others: up to SEND_INLINE_MAX of them, or as
    `send_inline` says; more wait for `manage.py send_mail` (cron). Returns their ids in the queue,
    for a caller that sends them itself, later (`mail_send_queued`).

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
    if send_inline is None:
        send_inline = len(ids) <= SEND_INLINE_MAX
    if ids and send_inline:
        transaction.on_commit(functools.partial(mail_send_queued, ids))
    return ids


def mail_send_many(
    *, template: str, context: dict, recipients: Iterable[tuple], send_inline: bool | None = None
) -> int:
    """Queue the mail `template` for many users at once. `context` is shared by all; each
    `(user, own)` of `recipients` adds the user's own string values (their link, say). The mails are
    inserted in batches; up to SEND_INLINE_MAX are sent after commit as `mail_send`'s are, and a
    larger batch waits in the queue for `manage.py send_mail` (cron). A caller that queues one
    large batch in several calls says which with `send_inline`. Returns the number queued.

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
    mail_queue(messages, send_inline=send_inline)
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


def mail_send_queued(ids: list[int]) -> None:
    """Send the queued messages `ids` (from `mail_queue`) that are still waiting (another sender, cron,
    may have sent some meanwhile); never any other message of the queue. A failure is logged, never
    raised: the messages stay queued for `manage.py retry_deferred`."""
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
