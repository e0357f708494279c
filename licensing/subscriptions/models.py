"""What the vendor sells and what a customer bought: products, contracts, subscriptions, seats held
(assignments) and seats used (seat usage)."""

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProductQuerySet(models.QuerySet):
    def with_seat_counts(self, team) -> "ProductQuerySet":
        """Products annotated with the team's seats: `seats_purchased` (sum over active subscriptions),
        `seats_assigned`, `seats_free` (never below 0) and `seats_over` (over-allocation)."""
        today = timezone.localdate()
        purchased = (
            Subscription.objects.filter(team=team, product=OuterRef("pk"), term_start__lte=today, term_end__gte=today)
            .order_by()
            .values("product")
            .annotate(total=Sum("seats"))
            .values("total")
        )
        # One index-only count per product row: (team, product, ...) of Assignment's index.
        assigned = (
            Assignment.objects.filter(team=team, product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(
            seats_purchased=Coalesce(Subquery(purchased), Value(0)),
            seats_assigned=Coalesce(Subquery(assigned), Value(0)),
        ).annotate(
            # Each F() repeats its subquery in the SQL, and the database runs it again: one reference
            # each here (a CASE took two), so the seats held are counted three times a row, not five.
            seats_free=Greatest(F("seats_purchased") - F("seats_assigned"), Value(0)),
            seats_over=Greatest(F("seats_assigned") - F("seats_purchased"), Value(0)),
        )

    def of_team(self, team) -> "ProductQuerySet":
        """Products the team holds a subscription of (active or not) or has assignments of."""
        # Two IN subqueries rather than joins: no DISTINCT over every assignment of every team.
        bought = Subscription.objects.filter(team=team).values("product")
        held = Assignment.objects.filter(team=team).values("product")
        return self.filter(Q(pk__in=bought) | Q(pk__in=held))


class Product(models.Model):
    """Something the vendor sells: a program, a collection of programs, or a cloud product.

    `code` is the stable identifier the desktop software sends when it checks its licence (R-S1).
    """

    class Kind(models.TextChoices):
        SOFTWARE = "software", _("Software")
        COLLECTION = "collection", _("Collection")
        CLOUD = "cloud", _("Cloud product")

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SOFTWARE)
    description = models.TextField(_("description"), blank=True)
    is_collaboration = models.BooleanField(
        _("collaboration product"),
        default=False,
        help_text=_("A connected cloud-collaboration product: people it adds to a team come in as guests."),
    )
    download_url = models.URLField(_("download address"), blank=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductItem(models.Model):
    """A part of a product that can be assigned on its own: a program of a collection, or a service
    such as online storage or cloud rendering (R-P2, R-P4)."""

    class Kind(models.TextChoices):
        SOFTWARE = "software", _("Software")
        SERVICE = "service", _("Cloud service")

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="items", verbose_name=_("product"))
    code = models.SlugField(_("code"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SOFTWARE)

    class Meta:
        verbose_name = _("product item")
        verbose_name_plural = _("product items")
        ordering = ["product", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "code"], name="product_item_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Contract(models.Model):
    """What a customer bought, under one number. Its contract manager (the subscription owner) pays,
    renews and receives subscription, renewal and invoice mails (R-PA4). `team` is the team that
    manages the contract: new subscriptions on it go there (R-T7)."""

    customer = models.ForeignKey(
        "teams.Customer", on_delete=models.PROTECT, related_name="contracts", verbose_name=_("customer")
    )
    number = models.CharField(_("contract number"), max_length=40, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="managed_contracts",
        verbose_name=_("contract manager"),
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.PROTECT,
        related_name="managed_contracts",
        verbose_name=_("managing team"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class SubscriptionQuerySet(models.QuerySet):
    def active(self, on=None) -> "SubscriptionQuerySet":
        """Subscriptions whose term includes the day `on` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(term_start__lte=on, term_end__gte=on)

    def seats_of(self, team, product, on=None) -> int:
        """R-SE1: the sum of the seats of `team`'s subscriptions of `product` active on `on`."""
        total = self.active(on).filter(team=team, product=product).aggregate(total=Sum("seats"))
        return total["total"] or 0


class Subscription(models.Model):
    """One product on a contract: a number of seats for a term, belonging to one team.

    Seats are a count, never one row per seat. The team's seats of a product are the sum over its
    active subscriptions of that product (R-SE1).
    """

    class Plan(models.TextChoices):
        STANDARD = "standard", _("Standard")
        PREMIUM = "premium", _("Premium")
        PAY_PER_USE = "pay_per_use", _("Pay Per Use")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("contract")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("product")
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.PROTECT, related_name="subscriptions", verbose_name=_("team")
    )
    seats = models.PositiveIntegerField(_("seats"))
    plan = models.CharField(_("plan"), max_length=20, choices=Plan.choices, default=Plan.STANDARD)
    term_start = models.DateField(_("term start"))
    term_end = models.DateField(_("term end"))
    sso_enabled = models.BooleanField(_("SSO enabled"), default=False)
    collaboration_site = models.CharField(
        _("linked collaboration site"),
        max_length=200,
        blank=True,
        help_text=_("The BIM/collaboration site this subscription is linked to, if any."),
    )
    # Cancelled by the customer (the order system): it runs to the end of its term and is not renewed.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_subscriptions",
        verbose_name=_("subscription owner"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["contract", "product"]
        constraints = [
            models.CheckConstraint(condition=Q(seats__gte=0), name="subscription_seats_not_negative"),
            models.CheckConstraint(
                condition=Q(term_end__gte=F("term_start")),
                name="subscription_term_ends_after_start",
                violation_error_message=_("The term cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(plan__in=["standard", "premium", "pay_per_use"]), name="subscription_plan_valid"
            ),
        ]
        indexes = [models.Index(fields=["team", "product", "term_end"])]

    def __str__(self) -> str:
        return f"{self.contract.number} · {self.product.name}"

    @property
    def is_active(self) -> bool:
        return self.term_start <= timezone.localdate() <= self.term_end


def teams_fill(assignments: list["Assignment"]) -> None:
    """Set the team of each assignment that has none to its member's: from the member when it is at
    hand, else from one query per 500 members."""
    from licensing.teams.models import Member

    missing = set()
    for assignment in assignments:
        if assignment.team_id is None:
            if Assignment.member.is_cached(assignment):
                assignment.team_id = assignment.member.team_id
            else:
                missing.add(assignment.member_id)
    missing = sorted(missing)
    teams = {}
    for start in range(0, len(missing), 500):
        teams.update(Member.objects.filter(pk__in=missing[start : start + 500]).values_list("pk", "team_id"))
    for assignment in assignments:
        if assignment.team_id is None:
            assignment.team_id = teams.get(assignment.member_id)


class AssignmentQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        """Django's, with each assignment's team set to its member's (`teams_fill`)."""
        objs = list(objs)
        teams_fill(objs)
        return super().bulk_create(objs, *args, **kwargs)


class Assignment(models.Model):
    """A member holding a seat of a product in the member's team, with the items chosen (R-P2).

    One assignment per member and product. How many a team may hold is the team's seat pool
    (R-SE1), checked by the services under a lock on the team.

    `team` is always the member's team (members never change team), set on saving and in
    `bulk_create` when it is not given: a copy, so that the seats held of a team's product and the
    ones held before a given assignment are counted in the index (team, product, assigned_at, id)
    alone, without a join through the members (the licence check, the seat counts of every page).
    """

    member = models.ForeignKey(
        "teams.Member", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("member")
    )
    # No index of its own: the index below starts with the team.
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("team"),
        db_index=False,
        editable=False,
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("product")
    )
    items = models.ManyToManyField(ProductItem, blank=True, related_name="assignments", verbose_name=_("items"))
    # Groups (licensing.groups.models): whether an admin gave this seat directly, as well as or instead
    # of the groups that give it (its `grants`); and, only while a group shares the seat, the items the
    # direct assignment chose, so that a group leaving takes away only the items no one else gives.
    direct = models.BooleanField(_("assigned directly"), default=True)
    direct_items = models.ManyToManyField(
        ProductItem, blank=True, related_name="+", verbose_name=_("items assigned directly")
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned by"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["assigned_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "product"],
                name="assignment_one_per_member_and_product",
                violation_error_message=_("This member already holds a seat of this product."),
            ),
        ]
        indexes = [
            models.Index(fields=["product", "assigned_at"]),
            # The team's seats held of a product, in the order they keep their seats (R-SE1): counted
            # without reading the table (`holds_licensed_seat`, `with_seat_counts`).
            models.Index(fields=["team", "product", "assigned_at", "id"], name="assignment_team_product_held"),
        ]

    def __str__(self) -> str:
        return _("%(product)s for %(member)s") % {"product": self.product, "member": self.member.user}

    def save(self, *args, **kwargs):
        if Assignment.member.is_cached(self):
            self.team_id = self.member.team_id
        elif self.team_id is None and self.member_id is not None:
            teams_fill([self])
        super().save(*args, **kwargs)

    def held_before(self) -> tuple["AssignmentQuerySet", "AssignmentQuerySet"]:
        """The assignments of this one's team and product held before it, in two parts: those assigned
        earlier, and those assigned at the same moment with a lower pk. Each is one range of the index
        (team, product, assigned_at, id), counted without reading the table; as one filter with an OR,
        the ties would be read one by one (a seed or an import assigns thousands at once). The licence
        check counts the same in its query (`accounts.devices._seats_sql`)."""
        pool = Assignment.objects.filter(team_id=self.team_id, product_id=self.product_id).order_by()
        return pool.filter(assigned_at__lt=self.assigned_at), pool.filter(assigned_at=self.assigned_at, pk__lt=self.pk)

    def holds_licensed_seat(self, on=None) -> bool:
        """Whether this assignment is within the team's seats. A pool can end up over-full (a
        subscription ended, or support allowed it); then the longest-held assignments keep the
        seats and the newest ones wait, so the licence check never licenses more than were bought."""
        seats = Subscription.objects.seats_of(self.team_id, self.product_id, on)
        return seats > 0 and sum(held.count() for held in self.held_before()) < seats


class SeatUsage(models.Model):
    """One day on which a user used a product, seated in a team: written by the licence check (R-S3),
    read by the seat-usage reports (R-R1). Repeated checks on a day make one row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat_usage", verbose_name=_("user")
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="seat_usage", verbose_name=_("product"))
    # No index of its own: both indexes below start with the team.
    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="seat_usage", verbose_name=_("team"), db_index=False
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("seat usage")
        verbose_name_plural = _("seat usage")
        ordering = ["-day"]
        # The two indexes hold every column, so the reports never read the table itself
        # (bench/README.md: a year of 50,000 users exports in a fraction of the time):
        # - (team, user, product, day), the unique one: one row per day (the licence check's upsert),
        #   the By User tab's GROUP BY team, user and product in index order, and "last used before";
        # - (team, day, product, user): the By Product tab's users per product and day over a range.
        constraints = [
            models.UniqueConstraint(fields=["team", "user", "product", "day"], name="seat_usage_one_row_per_day"),
        ]
        indexes = [models.Index(fields=["team", "day", "product", "user"], name="seat_usage_team_day")]

    def __str__(self) -> str:
        return f"{self.user} · {self.product} · {self.day}"


class SeatUsageMonth(models.Model):
    """The days of a month on which a user used a product, seated in a team, as a bit mask: SeatUsage
    a month to a row, for the seat-usage reports (R-R1). Never written by the application: database
    triggers on SeatUsage keep it (usage_months.py)."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+", db_index=False)
    # No index of their own (a deleted user's or product's months are found by a scan, as their days
    # are): the indexes below start with the team.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.IntegerField(help_text="year * 12 + month - 1")
    days = models.IntegerField(help_text="bit d - 1 set: used on day d of the month")

    class Meta:
        constraints = [
            # One row a month per seat: the triggers' upsert relies on it.
            models.UniqueConstraint(fields=["team", "user", "product", "month"], name="seat_usage_month_one_row"),
            models.CheckConstraint(condition=Q(days__gt=0), name="seat_usage_month_some_day"),
        ]
        # Both hold every column, so a report never reads the table itself:
        # - (team, month, product, user, days): a team's months of a report;
        # - (team, user, product, month, days): one seat's months, "was this assigned seat used in the
        #   range?" for every assignment. The unique index has the same keys but not the days, and
        #   SQLite then prefers the first index, scanning the team's months once per assignment.
        indexes = [
            models.Index(fields=["team", "month", "product", "user", "days"], name="seat_usage_month_team"),
            models.Index(fields=["team", "user", "product", "month", "days"], name="seat_usage_month_seat"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.product_id} · {self.team_id} · {self.month}"
