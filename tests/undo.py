"""Helpers for the messages that carry an "Undo" form (portal.undo, issue 22)."""

import re

UNDO_FORM = re.compile(r'\s*<form class="sk-undo-form".*?</form>\s*', re.S)
TOKEN = re.compile(r'name="token" value="([^"]+)"')
ACTION = re.compile(r'<form class="sk-undo-form" method="post" action="([^"]+)"')


def without_undo(message) -> str:
    """A message's text without its "Undo" form."""
    return UNDO_FORM.sub("", str(message))


def undo_of(message) -> tuple[str, str] | None:
    """(the address the "Undo" form posts to, its token), or None when the message has no "Undo"."""
    text = str(message)
    action, token = ACTION.search(text), TOKEN.search(text)
    return (action.group(1), token.group(1)) if action and token else None
