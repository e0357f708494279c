"""The activity log in words, for its table and its CSV export (`licensing.activity.tables`).

The log stores codes (`{"role": "user"}`, `{"items": ["cloud-render"]}`); `changes` turns them into
words ("Role: User → Secondary admin"). Role, status and plan codes are the models' choices; item
codes become item names with one query for a page (or a chunk of the export), never one per row."""

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from licensing.accounts.models import AccessToken
from licensing.activity.models import ActivityEvent
from licensing.groups.models import SeatWait
from licensing.subscriptions.models import ProductItem, Subscription
from licensing.teams.models import Member

EMPTY = "—"

# (product id, item code) → (kind, name): the kind orders items as the portal lists them elsewhere.
ItemNames = dict[tuple[int, str], tuple[str, str]]


def item_names(events: Iterable[ActivityEvent]) -> ItemNames:
    """(product id, item code) → (kind, name) for every item code in `events`, in one query (none
    if no event names items)."""
    codes, products = set(), set()
    for event in events:
        for side in (event.before, event.after):
            if isinstance(side, dict) and isinstance(side.get("items"), list) and event.product_id:
                codes.update(str(code) for code in side["items"])
                products.add(event.product_id)
    if not codes:
        return {}
    rows = (
        ProductItem.objects.filter(product_id__in=products, code__in=codes)
        .order_by()  # the model's ordering would join the products for nothing
        .values_list("product_id", "code", "kind", "name")
    )
    return {(product_id, code): (kind, name) for product_id, code, kind, name in rows}


# What each key of `before` / `after` is called and how its value reads, in the order a row lists
# them (PostgreSQL's jsonb keeps no order of its own). A key not listed here comes last, with its own
# name, so that a new kind of event is readable before it gets a label.
FIELDS = {
    "name": (_("Name"), "plain"),
    "email": (_("E-mail address"), "plain"),
    "role": (_("Role"), "role"),
    "guest": (_("Guest"), "yes_no"),
    "status": (_("Status"), "status"),
    "primary_admin": (_("Primary admin"), "plain"),
    "products": (_("Products"), "plain"),
    "items": (_("Items"), "items"),
    "contract": (_("Contract"), "plain"),
    "plan": (_("Plan"), "plan"),
    "seats": (_("Seats"), "plain"),
    "term_start": (_("Term starts"), "day"),
    "term_end": (_("Term ends"), "day"),
    "manager": (_("Contract manager"), "plain"),
    "team": (_("Team"), "plain"),
    "device": (_("Device"), "plain"),
    "signed_in_at": (_("Signed in"), "moment"),
    "signed_out_at": (_("Signed out"), "moment"),
    "expires_at": (_("Invitation expires"), "moment"),
    "reason": (_("Why"), "reason"),
    "address": (_("From address"), "plain"),
    "minutes": (_("Minutes to wait"), "plain"),
    "second_factor": (_("Admins must use a second factor"), "yes_no"),
    "signed_out": (_("Admins signed out"), "plain"),
    "group": (_("Group"), "plain"),
    "description": (_("Description"), "plain"),
    "members": (_("Members"), "plain"),
    "direct": (_("Assigned directly"), "yes_no"),
    "token": (_("Access token"), "plain"),
    "access": (_("Access"), "access"),
    "token_expires": (_("Token expires"), "day"),
}
FIELD_ORDER = {key: n for n, key in enumerate(FIELDS)}


@functools.lru_cache(maxsize=8)
def _words(language: str) -> dict:
    # Called with `language` active. Translated once per language, not per row: Django's
    # get_FOO_display() translates every choice on each call (20 gettext calls a row of the export).
    return {
        "action": {value: str(label) for value, label in ActivityEvent.Action.choices},
        "role": {value: str(label) for value, label in Member.Role.choices},
        "status": {value: str(label) for value, label in Member.Status.choices},
        "plan": {value: str(label) for value, label in Subscription.Plan.choices},
        "access": {value: str(label) for value, label in AccessToken.Access.choices},
        # A wait for a seat through a group (R-GR5) keeps its reason as a code; other reasons are words.
        "reason": {value: str(label) for value, label in SeatWait.Reason.choices},
        "field": {key: str(label) for key, (label, _kind) in FIELDS.items()},
        "yes": gettext("Yes"),
        "no": gettext("No"),
        "none": gettext("none"),
        "system": gettext("System"),
    }


@dataclass(frozen=True)
class Change:
    """One changed value of an event: "Role", "User", "Secondary admin". `before` is None for a value
    that was set (an invitation's e-mail address), `after` None for one that went (items unassigned)."""

    label: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.label}: {self.after}"
        return f"{self.label}: {self.before} → {self.after if self.after is not None else EMPTY}"


class LogReader:
    """Events in words, for one batch of events (a page, a chunk of the export): the item names of
    the batch in one query, the labels in the language of the request."""

    def __init__(self, events: Iterable[ActivityEvent]):
        self.names = item_names(events)
        self.words = _words(get_language() or settings.LANGUAGE_CODE)

    def action(self, event: ActivityEvent) -> str:
        return self.words["action"].get(event.action, event.action)

    def changes(self, event: ActivityEvent) -> list[Change]:
        """The values `event` changed, in words, in the order of FIELDS."""
        before = event.before if isinstance(event.before, dict) else {}
        after = event.after if isinstance(event.after, dict) else {}
        result = []
        for key in sorted({*before, *after}, key=lambda key: (FIELD_ORDER.get(key, len(FIELD_ORDER)), key)):
            label = self.words["field"].get(key) or key.replace("_", " ").capitalize()
            kind = FIELDS[key][1] if key in FIELDS else "plain"
            result.append(Change(label, self._value(before, key, kind, event), self._value(after, key, kind, event)))
        return result

    def side_text(self, event: ActivityEvent, side: str) -> str:
        """The `before` or `after` of `event` as one line of text: "Role: User; Guest: No"."""
        parts = []
        for change in self.changes(event):
            value = change.before if side == "before" else change.after
            if value is not None:
                parts.append(f"{change.label}: {value}")
        return "; ".join(parts)

    def _value(self, values: dict, key: str, kind: str, event: ActivityEvent) -> str | None:
        if key not in values:
            return None
        value = values[key]
        if value is None:
            return EMPTY
        if kind in ("role", "status", "plan", "access", "reason"):
            return self.words[kind].get(value, str(value))
        if kind == "items" and isinstance(value, list):
            # In the order the portal lists a product's items (kind, name); an item since removed
            # from the product keeps its code, at the end.
            known = [self.names.get((event.product_id, str(code)), ("~", str(code))) for code in value]
            return self._listing([name for _kind, name in sorted(known)])
        if kind == "moment":
            return _moment(value)
        if kind == "day":
            return _day(value)
        if isinstance(value, bool):
            return self.words["yes"] if value else self.words["no"]
        if isinstance(value, list):
            return self._listing(value)
        return str(value)

    def _listing(self, values: list) -> str:
        return ", ".join(str(value) for value in values) if values else self.words["none"]


def _moment(value) -> str:
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "SHORT_DATETIME_FORMAT")


def _day(value) -> str:
    try:
        return date_format(datetime.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except ValueError:
        return str(value)


def person_name(user) -> str:
    return user.get_full_name() or user.email
