"""Mail that did not go out, for support staff (SPEC §4: a mail server that is down loses nothing).

django-mailer keeps every mail in its queue (Mailer › Messages) until it is sent, and logs each
attempt (Mailer › Message logs, with the server's answer). A mail the server refused is "deferred":
it waits until someone retries it. Its Message admin here gets a filter on priority, to find the
deferred ones, and the action "Retry sending": it puts the chosen mails back in the queue as
`manage.py retry_deferred` does, and sends them at once.

A mail is read here by its recipient, subject, time and result, never by its body: the bodies hold
password-reset and invitation links, and whoever reads one can take the account over (issue 19).
So neither admin shows the body or the raw data the mail is kept as, nor filters on that data (a
prefix at a time, a filter in the address would read it back), and the log keeps no copy of the
mail at all (MAILER_EMAIL_LOG_MESSAGE_DATA = False). Nobody writes that data here either: it is a
pickle, which django-mailer loads to send the mail, so writing it would be running code on the
server. A queued mail is deleted or retried, never edited."""

from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from mailer import admin as mailer_admin  # noqa: F401  (registers the stock admins, replaced below)
from mailer.engine import send_all
from mailer.models import PRIORITY_DEFERRED, PRIORITY_MEDIUM, Message, MessageLog


class WithoutMessageData(admin.ModelAdmin):
    """What the Message and MessageLog admins share: no page shows, filters on or writes the
    mail's raw data."""

    def lookup_allowed(self, lookup, value, request=None) -> bool:
        if lookup.split("__")[0] == "message_data":
            # Django allows a filter on any field of the model itself: refuse this one (400).
            raise DisallowedModelAdminLookup(f"Filtering by {lookup} not allowed")
        return super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # read, retried or deleted; what a user can change here is the pickle


class MessageAdmin(WithoutMessageData):
    """The queue: what waits to be sent, and what the server refused (deferred)."""

    list_display = ("id", "recipients", "subject", "when_added", "priority", "retry_count")
    list_filter = ("priority",)
    date_hierarchy = "when_added"
    fields = ("recipients", "subject", "when_added", "priority", "retry_count")
    readonly_fields = fields
    # Not django-mailer's "send_messages": it sends for whoever may see the list; this one asks for
    # the permission to change mails, and retries deferred ones as well.
    actions = ["retry_sending"]

    @admin.display(description=_("recipients"))
    def recipients(self, obj) -> str:
        return ", ".join(obj.to_addresses)

    @admin.display(description=_("subject"))
    def subject(self, obj) -> str:
        return obj.subject

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("mailer.change_message")

    @admin.action(description=_("Retry sending"), permissions=["retry"])
    def retry_sending(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        chosen = Message.objects.filter(pk__in=pks)
        # What retry_deferred does to every deferred mail, for the chosen ones.
        chosen.filter(priority=PRIORITY_DEFERRED).update(priority=PRIORITY_MEDIUM, retry_count=F("retry_count") + 1)
        if chosen.exists():  # send_all given no mails would send the whole queue
            send_all(chosen)
        left = Message.objects.filter(pk__in=pks)
        sent, failed = len(pks) - left.count(), left.filter(priority=PRIORITY_DEFERRED).count()
        if sent:
            self.message_user(
                request, ngettext("%(count)d mail sent.", "%(count)d mails sent.", sent) % {"count": sent}
            )
        if failed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d mail could not be sent and waits in the queue; the message log says why.",
                    "%(count)d mails could not be sent and wait in the queue; the message log says why.",
                    failed,
                )
                % {"count": failed},
                messages.WARNING,
            )
        if len(pks) - sent - failed:
            self.message_user(
                request,
                _("Some mails are waiting in the queue: another sender is busy; they go out with the next run."),
                messages.WARNING,
            )


class MessageLogAdmin(WithoutMessageData):
    """Each attempt to send a mail: when, and the server's answer. The log keeps no copy of the
    mail (MAILER_EMAIL_LOG_MESSAGE_DATA = False), so a row is known by its Message-ID."""

    list_display = ("id", "message_id", "when_added", "when_attempted", "result", "log_message")
    list_filter = ("result",)
    date_hierarchy = "when_attempted"
    search_fields = ("message_id",)
    fields = ("message_id", "when_added", "when_attempted", "priority", "result", "log_message")
    readonly_fields = fields


admin.site.unregister(Message)
admin.site.register(Message, MessageAdmin)
admin.site.unregister(MessageLog)
admin.site.register(MessageLog, MessageLogAdmin)
