"""Groups of a team (User management › By Group, R-GR1..R-GR8): their members, the products they give,
the seats they give, and the members waiting for a seat.

Where a seat comes from: a member holds at most one `Assignment` per product (R-GR3), held directly
(`Assignment.direct`) and/or through groups, one `AssignmentGrant` row per group that gives it. Its
items are the union of the direct items and of each granting group's `GroupProduct.items`. The
direct items are kept apart (`Assignment.direct_items`) only while a group shares the seat: an
assignment without grants holds its direct items in `items`, as every assignment did before groups
(so the imports, the demo and the licence check need not know about groups). A seat goes when it is
neither direct nor given by any group (R-GR4).

`SeatWait` lists the members a group could not seat because the pool was full (R-GR5), with `since`
their joined_at in that group: the waiting are seated oldest first (`licensing.groups.seats`)."""

from django.db import models
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Group(models.Model):
    """A group of a team's members (guests too), and the products it gives them (R-GR1, R-GR2)."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="groups", verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["team", Lower("name"), "pk"]
        constraints = [
            # R-GR1: unique in its team, in any case.
            models.UniqueConstraint(
                F("team"),
                Lower("name"),
                name="group_name_unique_in_team",
                violation_error_message=_("This team already has a group of that name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMember(models.Model):
    """A member of the group's team in the group, since `joined_at` (the order of waiting, R-GR5).
    The member's team is the group's team: the services check it."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("group"))
    member = models.ForeignKey(
        "teams.Member", on_delete=models.CASCADE, related_name="group_memberships", verbose_name=_("member")
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["joined_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["group", "member"], name="group_member_once")]
        indexes = [models.Index(fields=["member"], name="group_member_member")]

    def __str__(self) -> str:
        return f"{self.group_id} · {self.member_id}"


class GroupProduct(models.Model):
    """A product a group gives each of its members, with the items chosen (R-GR2)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="products", verbose_name=_("group"))
    product = models.ForeignKey(
        "subscriptions.Product", on_delete=models.PROTECT, related_name="group_products", verbose_name=_("product")
    )
    items = models.ManyToManyField(
        "subscriptions.ProductItem", blank=True, related_name="group_products", verbose_name=_("items")
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("product of a group")
        verbose_name_plural = _("products of groups")
        ordering = ["group", "product"]
        constraints = [models.UniqueConstraint(fields=["group", "product"], name="group_product_once")]

    def __str__(self) -> str:
        return f"{self.group_id} · {self.product_id}"


class AssignmentGrant(models.Model):
    """A group giving a seat (R-GR2): one row per group that gives the assignment; the seat itself is
    the one `Assignment` of the member and product (R-GR3)."""

    assignment = models.ForeignKey(
        "subscriptions.Assignment", on_delete=models.CASCADE, related_name="grants", verbose_name=_("assignment")
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="grants", verbose_name=_("group"))

    class Meta:
        verbose_name = _("seat given by a group")
        verbose_name_plural = _("seats given by groups")
        constraints = [models.UniqueConstraint(fields=["assignment", "group"], name="assignment_grant_once")]
        indexes = [models.Index(fields=["group"], name="assignment_grant_group")]

    def __str__(self) -> str:
        return f"{self.assignment_id} · {self.group_id}"


class SeatWait(models.Model):
    """A member a group could not give a seat of a product because the team's seats were all taken
    (R-GR5), waiting since they joined the group, with the reason as a code: the pages and the
    activity log say it in the reader's language (`reason_text`)."""

    class Reason(models.TextChoices):
        NO_FREE_SEAT = "no_free_seat", _("All seats are assigned")
        NO_SUBSCRIPTION = "no_subscription", _("No active subscription")

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="waits", verbose_name=_("group"))
    member = models.ForeignKey(
        "teams.Member", on_delete=models.CASCADE, related_name="seat_waits", verbose_name=_("member")
    )
    product = models.ForeignKey(
        "subscriptions.Product", on_delete=models.CASCADE, related_name="seat_waits", verbose_name=_("product")
    )
    since = models.DateTimeField(_("waiting since"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, default=Reason.NO_FREE_SEAT)

    class Meta:
        verbose_name = _("member waiting for a seat")
        verbose_name_plural = _("members waiting for a seat")
        ordering = ["since", "pk"]
        constraints = [models.UniqueConstraint(fields=["group", "member", "product"], name="seat_wait_once")]
        indexes = [
            models.Index(fields=["product", "since"], name="seat_wait_product_since"),
            models.Index(fields=["member"], name="seat_wait_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} · {self.product_id} · {self.since}"

    @property
    def reason_text(self) -> str:
        """Why the member waits, in a sentence in the language of the moment (reads `product`)."""
        return seat_wait_reason_text(self.reason, self.product.name)


WAIT_NO_FREE_SEAT = _("All seats of %(product)s in this team are assigned.")
WAIT_NO_SUBSCRIPTION = _("This team has no active subscription of %(product)s.")


def seat_wait_reason_text(reason: str, product_name: str) -> str:
    """A wait's reason (a `SeatWait.Reason` code) as a sentence naming the product, translated now."""
    if reason == SeatWait.Reason.NO_SUBSCRIPTION:
        return str(WAIT_NO_SUBSCRIPTION % {"product": product_name})
    return str(WAIT_NO_FREE_SEAT % {"product": product_name})
