"""Mail that did not go out, for support staff (SPEC §4: a mail server that is down loses nothing).

django-mailer keeps every mail in its queue (Mailer › Messages) until it is sent, and logs each
attempt (Mailer › Message logs, with the server's answer). A mail the server refused is "deferred":
it waits until someone retries it. Its Message admin here gets a filter on priority, to find the
deferred ones, and the action "Retry sending": it puts the chosen mails back in the queue as
`manage.py retry_deferred` does, and sends them at once."""

from django.contrib import admin, messages
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from mailer import admin as mailer_admin
from mailer.engine import send_all
from mailer.models import PRIORITY_DEFERRED, PRIORITY_MEDIUM, Message


class MessageAdmin(mailer_admin.MessageAdmin):
    list_filter = ("priority",)
    actions = [*mailer_admin.MessageAdmin.actions, "retry_sending"]

    @admin.action(description=_("Retry sending"), permissions=["change"])
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


admin.site.unregister(Message)
admin.site.register(Message, MessageAdmin)
