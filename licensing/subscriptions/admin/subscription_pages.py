"""The pages behind the subscription admin's actions and buttons, each through a service: add seats,
set seats, renew, move to another team, and "Add", which records a purchase."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from licensing.accounts.services import user_get_or_create
from licensing.subscriptions.forms_admin import (
    CONFIRM_OVERRIDE,
    MoveForm,
    PurchaseForm,
    RenewForm,
    SeatsAddForm,
    SeatsSetForm,
)
from licensing.subscriptions.models import Subscription
from licensing.subscriptions.purchases import purchase_record
from licensing.subscriptions.services import (
    days_after,
    subscription_add_seats,
    subscription_move,
    subscription_renew,
    subscription_set_seats,
    subscriptions_move_blockers,
    term_end_latest,
)
from licensing.teams.admin.base import admin_link, admin_url, each_or_none
from licensing.teams.models import Customer, Team

NOTHING_SELECTED = _("Select one or more subscriptions first.")
ONE_CUSTOMER = _("Subscriptions can only move between teams of one customer: select subscriptions of one customer.")


def renewal_suggested_end(subscription: Subscription) -> date:
    """What the renew page offers: a year after the current end, within `term_end_latest`."""
    return min(days_after(subscription.term_end, 365), term_end_latest(subscription.term_start))


class SubscriptionPages:
    """The pages of `SubscriptionAdmin` (a ServiceAdmin) that take the selected subscriptions as
    ?ids=1,2,3 and apply a service to each, all or nothing."""

    def _selected(self, request) -> list[Subscription]:
        ids = [part for part in request.GET.get("ids", "").split(",") if part.strip().isdigit()]
        return list(
            self.get_queryset(request)
            .filter(pk__in=ids)
            .select_related("contract", "product", "team__customer", "owner")
            .order_by("contract__number", "product__name")
        )

    def _done_url(self, subscriptions) -> str:
        if len(subscriptions) == 1:
            return admin_url(subscriptions[0])
        return reverse("admin:subscriptions_subscription_changelist")

    def _table(self, subscriptions) -> dict:
        return {
            "headers": [_("Subscription"), _("Team"), _("Seats"), _("In use in the team"), _("Plan"), _("Term")],
            "rows": [
                (
                    admin_link(s),
                    s.team.name,
                    s.seats,
                    s.in_use,
                    s.get_plan_display(),
                    f"{s.term_start:%Y-%m-%d} – {s.term_end:%Y-%m-%d}",
                )
                for s in subscriptions
            ],
        }

    def _seats_page(
        self, request, *, form_class, title, submit_label, call, message, initial=None, intro="", form_kwargs=None
    ):
        """A page that applies one service to each selected subscription, all or nothing.
        `form_kwargs(subscriptions)` gives the form what it checks the input against."""
        self.require(self.has_manage_permission(request))
        subscriptions = self._selected(request)
        if not subscriptions:
            self.message_user(request, NOTHING_SELECTED, messages.WARNING)
            return HttpResponseRedirect(reverse("admin:subscriptions_subscription_changelist"))
        form = form_class(
            request.POST if request.method == "POST" else None,
            initial=initial(subscriptions[0]) if initial and len(subscriptions) == 1 else None,
            **(form_kwargs(subscriptions) if form_kwargs else {}),
        )

        def apply(data):
            each_or_none(subscriptions, lambda s: call(s, data))
            for s in subscriptions:
                self.log_change(request, s, str(title))
            return message(len(subscriptions)), self._done_url(subscriptions)

        return self.service_view(
            request,
            form=form,
            obj=subscriptions[0] if len(subscriptions) == 1 else None,
            title=title,
            action=apply,
            cancel_url=self._done_url(subscriptions),
            submit_label=submit_label,
            intro=intro,
            context={"table": self._table(subscriptions)},
        )

    def add_seats_view(self, request):
        return self._seats_page(
            request,
            form_class=SeatsAddForm,
            title=_("Add seats"),
            submit_label=_("Add seats"),
            call=lambda s, data: subscription_add_seats(subscription=s, seats=data["seats"], actor=request.user),
            message=lambda n: (
                ngettext("Seats added to %(count)d subscription.", "Seats added to %(count)d subscriptions.", n)
                % {"count": n}
            ),
            intro=_("Seats added to a subscription stay in its team (R-SE2)."),
        )

    def set_seats_view(self, request):
        return self._seats_page(
            request,
            form_class=SeatsSetForm,
            title=_("Set seats"),
            submit_label=_("Set seats"),
            call=lambda s, data: subscription_set_seats(
                subscription=s,
                seats=data["seats"],
                allow_over_allocation=data["allow_over_allocation"],
                actor=request.user,
            ),
            message=lambda n: (
                ngettext("Seats set on %(count)d subscription.", "Seats set on %(count)d subscriptions.", n)
                % {"count": n}
            ),
            initial=lambda s: {"seats": s.seats},
            intro=_("A correction of the seat count. For seats bought on top, use “Add seats”."),
        )

    def renew_view(self, request):
        return self._seats_page(
            request,
            form_class=RenewForm,
            title=_("Renew"),
            submit_label=_("Renew"),
            call=lambda s, data: subscription_renew(subscription=s, term_end=data["term_end"], actor=request.user),
            message=lambda n: (
                ngettext("Renewed %(count)d subscription.", "Renewed %(count)d subscriptions.", n) % {"count": n}
            ),
            initial=lambda s: {"term_end": renewal_suggested_end(s)},
            intro=_("A renewal extends the term; the subscription stays in its team."),
            form_kwargs=lambda subscriptions: {"subscriptions": subscriptions},
        )

    def move_view(self, request):
        """Pick a team of the same customer, review what stops each subscription (R-T10) and what
        only support may do (R-T11), then move (R-T8). Users do not move with it (R-T9)."""
        self.require(self.has_manage_permission(request))
        subscriptions = self._selected(request)
        changelist = reverse("admin:subscriptions_subscription_changelist")
        if not subscriptions:
            self.message_user(request, NOTHING_SELECTED, messages.WARNING)
            return HttpResponseRedirect(changelist)
        customers = {s.team.customer_id for s in subscriptions}
        if len(customers) != 1:
            self.message_user(request, ONE_CUSTOMER, messages.ERROR)
            return HttpResponseRedirect(changelist)
        teams = Team.objects.filter(customer_id=customers.pop()).order_by("name")
        # Choosing the team and reviewing is a GET (nothing changes); the move itself a POST.
        review = request.GET if "to_team" in request.GET else None
        form = MoveForm(request.POST if request.method == "POST" else review, teams=teams)
        to_team = form.cleaned_data["to_team"] if form.is_bound and form.is_valid() else None
        rows = []
        if to_team is not None:
            as_support = subscriptions_move_blockers(subscriptions, to_team=to_team, actor=request.user)
            # What the portal would refuse even its owner (R-T11): support overrides it, knowingly.
            in_portal = subscriptions_move_blockers(subscriptions, to_team=to_team, actor=None)
        for s in subscriptions:
            row = {"subscription": s, "blockers": [], "support_only": []}
            if to_team is not None:
                row["blockers"] = as_support[s.pk]
                row["support_only"] = [b for b in in_portal[s.pk] if b.support_can_override and b.code != "not_owner"]
            rows.append(row)
        needs_confirm = any(row["support_only"] for row in rows)

        def move(data):
            if needs_confirm and not data["confirm_override"]:
                raise ValidationError({"confirm_override": [CONFIRM_OVERRIDE]})
            each_or_none(
                subscriptions, lambda s: subscription_move(subscription=s, to_team=to_team, actor=request.user)
            )
            for s in subscriptions:
                self.log_change(request, s, str(_("Moved to %(team)s.") % {"team": to_team}))
            message = ngettext(
                "Moved %(count)d subscription to %(team)s.", "Moved %(count)d subscriptions to %(team)s.", len(rows)
            ) % {"count": len(rows), "team": to_team}
            return message, self._done_url(subscriptions)

        return self.service_view(
            request,
            form=form,
            obj=subscriptions[0] if len(subscriptions) == 1 else None,
            title=_("Move to another team"),
            action=move,
            cancel_url=self._done_url(subscriptions),
            submit_label=_("Move"),
            template="admin/subscriptions/subscription/move.html",
            context={
                "rows": rows,
                "to_team": to_team,
                "blocked": any(row["blockers"] for row in rows),
                "needs_confirm": needs_confirm,
                "ids": request.GET.get("ids", ""),
            },
        )

    def add_view(self, request, form_url="", extra_context=None):
        """ "Add subscription" is a purchase: `purchase_record` decides the contract, the team and the
        admins (R-T7, R-T2, R-SA3) and gives the owner a seat (R-T6)."""
        self.require(self.has_add_permission(request))
        form = PurchaseForm(
            request.POST if request.method == "POST" else None,
            initial=request.GET.dict(),
            admin_site=self.admin_site,
        )

        def purchase(data):
            customer = data["customer"] or Customer.objects.create(name=data["new_customer"].strip())
            if form.contract is not None:
                manager = form.contract.manager
            else:
                manager, _created = user_get_or_create(
                    email=data["manager_email"],
                    first_name=data["manager_first_name"],
                    last_name=data["manager_last_name"],
                )
            subscription = purchase_record(
                customer=customer,
                contract_number=data["contract_number"],
                manager=manager,
                product=data["product"],
                seats=data["seats"],
                plan=data["plan"],
                term_start=data["term_start"],
                term_end=data["term_end"],
                sso_enabled=data["sso_enabled"],
                collaboration_site=data["collaboration_site"].strip(),
                actor=request.user,
            )
            self.log_addition(request, subscription, [{"added": {}}])
            return _("%(subscription)s recorded in team %(team)s.") % {
                "subscription": subscription,
                "team": subscription.team,
            }, admin_url(subscription)

        return self.service_view(
            request,
            form=form,
            title=_("Record a purchase"),
            action=purchase,
            cancel_url=reverse("admin:subscriptions_subscription_changelist"),
            submit_label=_("Record purchase"),
        )
