"""The activity log table: when, who, what, the target, before → after, the IP address; and the same
rows as CSV (`CSV_HEADER`, `csv_rows`), so that the export is the very table the admin sees.

The before and after of each event are told in words by `LogReader` (`licensing.activity.words`).
"""

from collections.abc import Iterator
from itertools import islice

import django_tables2 as tables
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from licensing.activity.models import ActivityEvent
from licensing.activity.words import EMPTY, Change, LogReader, person_name
from licensing.teams.models import Team

PER_PAGE = 50

# --- The table ------------------------------------------------------------------------------------

ACTION_ICONS = {
    ActivityEvent.Action.MEMBER_INVITED: "person-plus",
    ActivityEvent.Action.INVITATION_RESENT: "envelope-arrow-up",
    ActivityEvent.Action.INVITATION_ACCEPTED: "person-check",
    ActivityEvent.Action.MEMBER_DELETED: "person-x",
    ActivityEvent.Action.ROLE_CHANGED: "person-gear",
    ActivityEvent.Action.GUEST_CHANGED: "briefcase",
    ActivityEvent.Action.PRODUCT_ASSIGNED: "plus-square",
    ActivityEvent.Action.ASSIGNMENT_CHANGED: "ui-checks",
    ActivityEvent.Action.PRODUCT_UNASSIGNED: "dash-square",
    ActivityEvent.Action.TEAM_CREATED: "people",
    ActivityEvent.Action.TEAM_RENAMED: "pencil",
    ActivityEvent.Action.SUBSCRIPTION_ADDED: "bag-plus",
    ActivityEvent.Action.SEATS_CHANGED: "123",
    ActivityEvent.Action.SUBSCRIPTION_RENEWED: "arrow-repeat",
    ActivityEvent.Action.SUBSCRIPTION_MOVED: "arrow-left-right",
    ActivityEvent.Action.CONTRACT_MANAGER_CHANGED: "person-vcard",
    ActivityEvent.Action.CONTRACT_ADDED: "file-earmark-plus",
    ActivityEvent.Action.SUBSCRIPTION_CANCELLED: "calendar-x",
    ActivityEvent.Action.SUBSCRIPTION_TERMINATED: "stop-circle",
    ActivityEvent.Action.DEVICE_SIGNED_OUT: "laptop",
    ActivityEvent.Action.SIGN_IN_PAUSED: "shield-lock",
    ActivityEvent.Action.SECOND_FACTOR_REQUIRED: "shield-check",
}


class ActivityTable(tables.Table):
    """One row per event of the team, newest first; only "When" sorts (the log is read in time)."""

    when = tables.Column(
        verbose_name=_("When"),
        accessor="created_at",
        order_by=("created_at", "pk"),
        attrs={"td": {"class": "sk-log-when"}},
    )
    # `data-label` names a cell where a phone shows each event as a card instead of a row.
    who = tables.Column(
        verbose_name=_("Who"),
        accessor="actor",
        empty_values=(),
        orderable=False,
        attrs={"td": {"class": "sk-log-who", "data-label": _("By")}},
    )
    what = tables.Column(
        verbose_name=_("What"), accessor="action", orderable=False, attrs={"td": {"class": "sk-log-what"}}
    )
    target = tables.Column(
        verbose_name=_("Target"),
        empty_values=(),
        orderable=False,
        attrs={"td": {"class": "sk-log-target-cell", "data-label": _("Target")}},
    )
    change = tables.Column(
        verbose_name=_("Before → after"), accessor="pk", orderable=False, attrs={"td": {"class": "sk-log-change"}}
    )
    ip_address = tables.Column(
        verbose_name=_("IP address"),
        orderable=False,
        attrs={"td": {"class": "sk-log-ip", "data-label": _("IP address")}},
    )

    class Meta:
        model = ActivityEvent
        fields = ()
        sequence = ("when", "who", "what", "target", "change", "ip_address")
        order_by = ("-when",)
        template_name = "activity/_event_table.html"
        attrs = {"class": "table sk-table sk-log-table mb-0"}
        empty_text = _("No events match these filters.")
        per_page = PER_PAGE
        default = EMPTY

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self._reader = None

    @property
    def reader(self) -> LogReader:
        """Words for the page's events: one query for the item names of the page. Iterating the
        page's queryset here fills its cache, so the rows below read the same rows, no new query."""
        if self._reader is None:
            # The page's BoundRows wrap the sliced queryset that the rows iterate: iterate that one.
            self._reader = LogReader(self.page.object_list.data if getattr(self, "page", None) else self.data)
        return self._reader

    def person_url(self, user) -> str:
        """This list filtered on `user` (what they did and what was done to them), from page 1."""
        query = self.request.GET.copy() if self.request is not None else QueryDict(mutable=True)
        query.pop(self.prefixed_page_field, None)
        query["user"] = str(user.pk)
        return f"?{query.urlencode()}"

    def _person(self, user, text: str, css: str):
        title = gettext("Show only the activity of %(name)s") % {"name": text}
        return format_html(
            '<a class="{} sk-log-filter-link" href="{}" title="{}">{}</a>', css, self.person_url(user), title, text
        )

    def render_when(self, value):
        local = timezone.localtime(value)
        return format_html(
            '<time datetime="{}" title="{}"><span class="sk-log-date">{}</span>'
            ' <span class="sk-log-time">{}</span></time>',
            local.isoformat(),
            date_format(local, "j F Y, H:i:s O"),
            date_format(local, "SHORT_DATE_FORMAT"),
            date_format(local, "H:i"),
        )

    def render_who(self, record: ActivityEvent):
        if record.actor is None:
            return format_html(
                '<span class="sk-log-system"><i class="bi bi-gear" aria-hidden="true"></i> {}</span>',
                self.reader.words["system"],
            )
        badge = ""
        if record.via == ActivityEvent.Via.ADMIN:
            badge = format_html(
                ' <span class="badge sk-log-badge sk-log-support" title="{}">{}</span>',
                gettext("Done by the vendor's support staff in the Django admin"),
                gettext("Support"),
            )
        elif record.via == ActivityEvent.Via.API:
            badge = format_html(' <span class="badge sk-log-badge">{}</span>', gettext("API"))
        actor = record.actor
        name = actor.get_full_name()
        email = format_html('<span class="sk-log-sub">{}</span>', actor.email) if name else ""
        return format_html("{}{}{}", self._person(actor, name or actor.email, "sk-log-person"), badge, email)

    def render_what(self, record: ActivityEvent):
        product = format_html('<span class="sk-log-sub">{}</span>', record.product.name) if record.product else ""
        return format_html(
            '<span class="sk-log-action"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>{}',
            ACTION_ICONS.get(record.action, "dot"),
            self.reader.action(record),
            product,
        )

    def render_target(self, record: ActivityEvent):
        user = record.target_user
        if user is None:
            return format_html('<span class="sk-log-target">{}</span>', record.target) if record.target else EMPTY
        email = format_html('<span class="sk-log-sub">{}</span>', user.email) if user.email != record.target else ""
        # The name as the team saw it then (the services write Member.name), never the account's own:
        # the person may not have joined the team.
        return format_html("{}{}", self._person(user, record.target or user.email, "sk-log-target"), email)

    def render_ip_address(self, value):
        # One line for IPv4; a long IPv6 address may wrap, but only after a colon.
        return format_html_join(mark_safe(":<wbr>"), "{}", ((part,) for part in str(value).split(":")))

    def render_change(self, record: ActivityEvent):
        lines = self.reader.changes(record)
        if not lines:
            return EMPTY
        return format_html(
            '<ul class="sk-log-changes list-unstyled mb-0">{}</ul>',
            format_html_join("", "<li>{}</li>", ((self._change_html(change),) for change in lines)),
        )

    @staticmethod
    def _change_html(change: Change):
        label = format_html('<span class="sk-change-label">{}:</span>', change.label)
        if change.before is None:
            return format_html('{} <span class="sk-change-new">{}</span>', label, change.after)
        after = change.after if change.after is not None else EMPTY
        # The arrow is read out ("right arrow") between the two values; no hidden words, which
        # would also land in a copied text.
        return format_html(
            '{} <span class="sk-change-old">{}</span> <span class="sk-change-arrow">→</span>'
            ' <span class="sk-change-new">{}</span>',
            label,
            change.before,
            after,
        )


# --- The same rows as CSV -------------------------------------------------------------------------

# The columns of "Export as CSV", in this order (documented in the template's help text too):
# when: ISO 8601 with the UTC offset; who_email / who_name: who acted ("System" for the system);
# via: portal, admin (support staff), api or system; action: the event's code; action_label: its
# name; target: whom or what it concerned; user_email: the user concerned; product: the product's
# name; before / after: the changed values in words ("Role: User"); ip_address: where it came from.
CSV_HEADER = [
    "when",
    "who_email",
    "who_name",
    "via",
    "action",
    "action_label",
    "target",
    "user_email",
    "product",
    "before",
    "after",
    "ip_address",
]
CHUNK_SIZE = 2000


def csv_row(event: ActivityEvent, reader: LogReader) -> list:
    """One event as the cells of CSV_HEADER."""
    actor = event.actor
    return [
        timezone.localtime(event.created_at).replace(microsecond=0),
        actor.email if actor else "",
        person_name(actor) if actor else reader.words["system"],
        event.via,
        event.action,
        reader.action(event),
        event.target,
        event.target_user.email if event.target_user else "",
        event.product.name if event.product else "",
        reader.side_text(event, "before"),
        reader.side_text(event, "after"),
        event.ip_address or "",
    ]


def csv_rows(queryset) -> Iterator[list]:
    """The rows of `queryset` (select_related as the table's) as CSV rows, read in chunks of
    CHUNK_SIZE with one extra query per chunk for the item names, never all at once."""
    events = queryset.iterator(chunk_size=CHUNK_SIZE)
    while chunk := list(islice(events, CHUNK_SIZE)):
        reader = LogReader(chunk)
        for event in chunk:
            yield csv_row(event, reader)
