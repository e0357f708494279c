"""The activity log: one row for every change of people, roles, seats, teams and subscriptions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActivityEvent(models.Model):
    """Who changed what, when, from where: the audit trail admins read under Reporting › Activity log.

    `actor` is empty for changes the system makes (a purchase arriving, an invitation accepted by
    the invited person themself is recorded with that person as actor). `before` and `after` hold
    the changed values. Rows are only ever added.
    """

    class Action(models.TextChoices):
        MEMBER_INVITED = "member_invited", _("User invited")
        INVITATION_RESENT = "invitation_resent", _("Invitation re-sent")
        INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
        MEMBER_DELETED = "member_deleted", _("User deleted")
        ROLE_CHANGED = "role_changed", _("Role changed")
        GUEST_CHANGED = "guest_changed", _("Guest flag changed")
        PRODUCT_ASSIGNED = "product_assigned", _("Product assigned")
        ASSIGNMENT_CHANGED = "assignment_changed", _("Items changed")
        PRODUCT_UNASSIGNED = "product_unassigned", _("Product unassigned")
        TEAM_CREATED = "team_created", _("Team created")
        TEAM_RENAMED = "team_renamed", _("Team renamed")
        SUBSCRIPTION_ADDED = "subscription_added", _("Subscription added")
        SEATS_CHANGED = "seats_changed", _("Seats changed")
        SUBSCRIPTION_RENEWED = "subscription_renewed", _("Subscription renewed")
        SUBSCRIPTION_MOVED = "subscription_moved", _("Subscription moved")
        CONTRACT_MANAGER_CHANGED = "contract_manager_changed", _("Contract manager changed")
        CONTRACT_ADDED = "contract_added", _("Contract added")
        SUBSCRIPTION_CANCELLED = "subscription_cancelled", _("Subscription cancelled at term end")
        SUBSCRIPTION_TERMINATED = "subscription_terminated", _("Subscription ended now")
        DEVICE_SIGNED_OUT = "device_signed_out", _("Device signed out")
        SIGN_IN_PAUSED = "sign_in_paused", _("Sign-in paused")
        SECOND_FACTOR_REQUIRED = "second_factor_required", _("Second factor required")
        GROUP_CREATED = "group_created", _("Group created")
        GROUP_RENAMED = "group_renamed", _("Group renamed")
        GROUP_DELETED = "group_deleted", _("Group deleted")
        GROUP_MEMBER_ADDED = "group_member_added", _("Added to group")
        GROUP_MEMBER_REMOVED = "group_member_removed", _("Removed from group")
        GROUP_PRODUCT_ASSIGNED = "group_product_assigned", _("Product assigned to group")
        GROUP_PRODUCT_CHANGED = "group_product_changed", _("Items of group changed")
        GROUP_PRODUCT_UNASSIGNED = "group_product_unassigned", _("Product unassigned from group")
        SEAT_WAITING = "seat_waiting", _("Waiting for a seat")
        ACCESS_TOKEN_CREATED = "access_token_created", _("Access token created")
        ACCESS_TOKEN_REVOKED = "access_token_revoked", _("Access token revoked")
        # "Undo" after an unassign or a delete (issue 22): what went, back as it was.
        ASSIGNMENT_RESTORED = "assignment_restored", _("Assignment restored")
        MEMBER_RESTORED = "member_restored", _("User restored")

    class Via(models.TextChoices):
        PORTAL = "portal", _("Portal")
        ADMIN = "admin", _("Support (Django admin)")
        API = "api", _("API")
        SYSTEM = "system", _("System")

    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("who"),
    )
    via = models.CharField(_("via"), max_length=10, choices=Via.choices, default=Via.SYSTEM)
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="activity",
        verbose_name=_("team"),
    )
    action = models.CharField(_("what"), max_length=40, choices=Action.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user concerned"),
    )
    product = models.ForeignKey(
        "subscriptions.Product",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("product"),
    )
    target = models.CharField(_("target"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity event")
        verbose_name_plural = _("activity events")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.target}"
