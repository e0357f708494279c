"""Undo after an unassign or a delete (issue 22): the success message gets an "Undo" button, a small
POST form inside the message that works without JavaScript.

What to undo travels in the form as a signed token (django.core.signing): the team's id, a snapshot
of what went (member, product and item ids, role, groups...) and the address to come back to. The
salt differs per kind, so a token of one kind is no token of another; it is good for
UNDO_MAX_AGE seconds. Signing proves the server wrote the snapshot; it does not prove who may use it:
the undo view checks again that the requester is an admin of the token's team now
(`portal.views.team_for_admin`) and that the team is the one of the address, and the restoring
service locks the team and checks the seat rules again. A second "Undo" finds what it would restore
there already and says so, and restores nothing twice.

The snapshot is readable by whoever holds the token (the admin who acted): it holds ids and dates
only, never a secret."""

from django.core import signing
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.html import format_html

# 15 minutes: long enough to notice a slip, short enough that the snapshot is still what was there.
UNDO_MAX_AGE = 15 * 60
SALT = "seatkeeper.undo."


class UndoInvalid(Exception):
    """A token that is not one the server wrote for this kind (forged, cut, another kind)."""


class UndoExpired(UndoInvalid):
    """A token older than UNDO_MAX_AGE."""


def undo_sign(kind: str, data: dict) -> str:
    """The token carrying `data` (JSON: ids, strings, numbers) for undoing a change of `kind`."""
    return signing.dumps(data, salt=SALT + kind, compress=True)


def undo_read(kind: str, token: str, *, max_age: int = UNDO_MAX_AGE) -> dict:
    """The data of a token of `kind`; UndoExpired when older than `max_age`, UndoInvalid otherwise."""
    try:
        data = signing.loads(token or "", salt=SALT + kind, max_age=max_age)
    except signing.SignatureExpired as error:
        raise UndoExpired(str(error)) from error
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as error:
        raise UndoInvalid(str(error)) from error
    if not isinstance(data, dict):
        raise UndoInvalid("not a snapshot")
    return data


def undo_message(request: HttpRequest, text, *, url: str, token: str):
    """`text` (a message, safe HTML or plain) followed by the "Undo" form posting `token` to `url`:
    for `messages.success`. The form carries the CSRF token of the request's session."""
    form = render_to_string("portal/_undo_form.html", {"url": url, "token": token}, request=request)
    return format_html("{} {}", text, form)
