"""Mails: rendered from templates in the recipient's language, queued in the database in the same
transaction as the change they report, and sent once that transaction has committed (SPEC §4).

A mail server that is down loses nothing: the message stays in django-mailer's queue, where
support staff see it (Django admin › Mailer) and `manage.py retry_deferred` sends it again.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def mail_send(*, to, template: str, context: dict) -> None:
    """Queue the mail `templates/mail/<template>{_subject.txt,.txt,.html}` for the user `to`."""
    context = {"recipient": to, "site_url": settings.SITE_URL, **context}
    with translation.override(getattr(to, "language", None) or settings.LANGUAGE_CODE):
        subject = " ".join(_render_plain(f"mail/{template}_subject.txt", context).split())
        text = _render_plain(f"mail/{template}.txt", context)
        html = render_to_string(f"mail/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, to=[to.email])
    message.attach_alternative(html, "text/html")
    message.send()
    transaction.on_commit(_flush_queue)


def _render_plain(name: str, context: dict) -> str:
    """Render a plain-text template without HTML escaping: "Jan's team" must not arrive as "Jan&#x27;s team"."""
    return get_template(name).template.render(Context(context, autoescape=False))


def _flush_queue() -> None:
    from mailer.engine import send_all

    try:
        send_all()
    except Exception:  # the message stays queued; it must never break the change that sent it
        logger.exception("Sending queued mail failed; it stays in the queue.")
