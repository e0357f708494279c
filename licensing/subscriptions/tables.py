"""The tables of By Product (R-BP1, R-BP2): the team's products with their seat pool, and a product's
assigned users with their items and the actions beside each.

Both render with `subscriptions/product_table.html` (sortable headers, pagination) and are loaded in
a fixed number of queries, whatever the number of rows: seat counts are annotations
(`Product.objects.with_seat_counts`), items one prefetch per page."""

from collections.abc import Iterator

import django_tables2 as tables
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from licensing.teams.models import Member, Team, member_first_name, member_last_name

from .models import Assignment, Product, ProductItem, Subscription
from .views import ItemChoice, ProductRow

PRODUCTS_PER_PAGE = 50
ASSIGNMENTS_PER_PAGE = 50

# People by last name, first name, e-mail address, whatever their case (as By User sorts them, by the
# names the team sees: Member.name).
MEMBER_ORDER = (
    Lower(member_last_name("member__")),
    Lower(member_first_name("member__")),
    Lower("member__user__email"),
    F("pk"),
)
# As narrow as their content, numbers right-aligned.
NUMBER = {"th": {"class": "sk-col-fit text-end"}, "td": {"class": "sk-col-fit text-end sk-num"}}


def products_for_list(team: Team):
    """The products of the team (`Product.objects.of_team`: a subscription of them, active or not,
    or assignments) with the team's seat counts, `subscription_count` (active subscriptions) and
    their items."""
    active = (
        Subscription.objects.active()
        .filter(team=team, product=OuterRef("pk"))
        .order_by()
        .values("product")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return (
        Product.objects.of_team(team)
        .with_seat_counts(team)
        .annotate(subscription_count=Coalesce(Subquery(active, output_field=IntegerField()), Value(0)))
        .prefetch_related(Prefetch("items", queryset=ProductItem.objects.order_by("kind", "name")))
    )


def assignments_for_list(team: Team, product: Product):
    """The product's assignments in the team, with member, account, who assigned and the items held."""
    return (
        Assignment.objects.filter(team=team, product=product)
        .select_related("member__user", "assigned_by")
        .prefetch_related("items")
    )


def _then_by(queryset, is_descending: bool, key, *tie_breakers):
    """`key` in the direction asked, then the tie breakers A-Z, so that pages are stable."""
    first = key.desc(nulls_last=True) if is_descending else key.asc(nulls_last=True)
    return queryset.order_by(first, *tie_breakers), True


class ProductTable(tables.Table):
    """By Product: one row per product of the team, with its seats (R-BP1, R-SE1)."""

    name = tables.Column(
        verbose_name=_("Product"), attrs={"th": {"class": "sk-bp-col-product"}, "td": {"class": "sk-bp-col-product"}}
    )
    seats_purchased = tables.Column(verbose_name=_("Purchased"), attrs=NUMBER)
    seats_assigned = tables.Column(verbose_name=_("Assigned"), attrs=NUMBER)
    seats_free = tables.Column(verbose_name=_("Free"), attrs=NUMBER)
    usage = tables.Column(
        verbose_name=_("Seats in use"),
        accessor="pk",
        orderable=False,
        attrs={
            "th": {"class": "sk-col-meter d-none d-md-table-cell"},
            "td": {"class": "sk-col-meter d-none d-md-table-cell"},
        },
    )
    subscription_count = tables.Column(verbose_name=_("Subscriptions"), attrs=NUMBER)

    class Meta:
        model = Product
        fields = ()
        sequence = ("name", "seats_purchased", "seats_assigned", "seats_free", "usage", "subscription_count")
        order_by = ("name",)
        template_name = "subscriptions/product_table.html"
        attrs = {"class": "table sk-table sk-bp-table align-middle mb-0"}
        empty_text = _("No products match this search.")
        per_page = PRODUCTS_PER_PAGE

    caption = _("Products and seats")
    empty_icon = "boxes"

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    @property
    def empty_hint(self) -> str:
        return gettext("Change the search to see more products.")

    def order_name(self, queryset, is_descending):
        return _then_by(queryset, is_descending, Lower("name"), "pk")

    def _by_number(self, queryset, is_descending, field):
        return _then_by(queryset, is_descending, F(field), Lower("name"), "pk")

    def order_seats_purchased(self, queryset, is_descending):
        return self._by_number(queryset, is_descending, "seats_purchased")

    def order_seats_assigned(self, queryset, is_descending):
        return self._by_number(queryset, is_descending, "seats_assigned")

    def order_seats_free(self, queryset, is_descending):
        # An over-full pool has no free seat and sorts before the full ones: it is the worst.
        ordered = F("seats_free") - F("seats_over")
        return _then_by(queryset, is_descending, ordered, Lower("name"), "pk")

    def order_subscription_count(self, queryset, is_descending):
        return self._by_number(queryset, is_descending, "subscription_count")

    def render_name(self, record: Product):
        url = reverse("subscriptions:product-detail", kwargs={"team_id": self.team.pk, "product_id": record.pk})
        icon = {"cloud": "bi-cloud", "collection": "bi-collection"}.get(record.kind, "bi-window-stack")
        items = record.items.all()
        chips = ""
        if items:
            chips = format_html(
                '<ul class="sk-chips sk-bp-items list-unstyled" aria-label="{}">{}</ul>',
                gettext("Items of %(product)s") % {"product": record.name},
                format_html_join(
                    "",
                    '<li class="sk-chip sk-chip-plain"><i class="bi {}" aria-hidden="true"></i>{}</li>',
                    (("bi-cloud" if item.kind == "service" else "bi-window", item.name) for item in items),
                ),
            )
        return format_html(
            '<div class="sk-bp-product"><span class="sk-product-icon sk-kind-{}" aria-hidden="true">'
            '<i class="bi {}"></i></span><div class="min-w-0"><a class="sk-bp-link" href="{}">{}</a>'
            ' <span class="badge sk-badge-muted">{}</span>{}</div></div>',
            record.kind,
            icon,
            url,
            record.name,
            record.get_kind_display(),
            chips,
        )

    def render_seats_purchased(self, record: Product):
        if record.seats_purchased == 0:
            return format_html(
                '<span class="sk-none" title="{}">0</span>', gettext("No active subscription in this team")
            )
        return format_html("{}", record.seats_purchased)

    def render_seats_free(self, record: Product):
        return seats_free_badge(record)

    def render_usage(self, record: Product):
        return format_html(
            '<meter class="sk-meter{}" min="0" max="{}" value="{}" aria-label="{}">{} / {}</meter>',
            " sk-meter-over" if record.seats_over else "",
            record.seats_purchased or 1,
            record.seats_assigned,
            gettext("%(assigned)s of %(purchased)s seats assigned")
            % {"assigned": record.seats_assigned, "purchased": record.seats_purchased},
            record.seats_assigned,
            record.seats_purchased,
        )


def seats_free_badge(product: Product):
    """The free seats of a pool; an over-full one flagged with how many too many are assigned, a full
    one marked full."""
    if product.seats_over:
        over = product.seats_over
        return format_html(
            '<span class="badge text-bg-danger sk-bp-over" title="{}"><i class="bi bi-exclamation-triangle" '
            'aria-hidden="true"></i> {}</span>',
            gettext("More seats are assigned than purchased. The users assigned last wait for a seat."),
            ngettext("%(count)d over", "%(count)d over", over) % {"count": over},
        )
    if product.seats_purchased and not product.seats_free:
        return format_html('<span class="sk-bp-full">{}</span>', gettext("Full"))
    return format_html("{}", product.seats_free)


class AssignmentTable(tables.Table):
    """A product's page: one row per user holding a seat of it, with the items they hold, when and by
    whom it was assigned, and "Unassign" with the arrow that deselects items (R-BP2)."""

    name = tables.Column(
        verbose_name=_("Name"),
        accessor="member__last_name",
        empty_values=(),
        attrs={"td": {"class": "sk-col-name"}},
    )
    items = tables.Column(
        verbose_name=_("Items"), accessor="pk", orderable=False, attrs={"td": {"class": "sk-bp-col-items"}}
    )
    assigned_at = tables.Column(
        verbose_name=_("Assigned on"),
        attrs={"th": {"class": "sk-col-fit sk-bp-wide-only"}, "td": {"class": "sk-col-fit sk-bp-wide-only"}},
    )
    assigned_by = tables.Column(
        verbose_name=_("By"),
        empty_values=(),
        attrs={"th": {"class": "sk-bp-wide-only"}, "td": {"class": "sk-bp-col-by sk-bp-wide-only"}},
    )
    actions = tables.Column(
        verbose_name=_("Actions"),
        accessor="pk",
        orderable=False,
        attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit text-end sk-bp-col-actions"}},
    )

    class Meta:
        model = Assignment
        fields = ()
        sequence = ("name", "items", "assigned_at", "assigned_by", "actions")
        order_by = ("name",)
        template_name = "subscriptions/product_table.html"
        attrs = {"class": "table sk-table sk-bp-table sk-bp-users align-middle mb-0"}
        empty_text = _("No users match this search.")
        per_page = ASSIGNMENTS_PER_PAGE

    empty_icon = "people"

    def __init__(self, *args, team: Team, product: Product, back: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.product = product
        self.product_items = list(product.items.all())
        self.back = back
        self.caption = gettext("Users of %(product)s") % {"product": product.name}

    @property
    def empty_hint(self) -> str:
        return gettext("Change the search to see more users.")

    def order_name(self, queryset, is_descending):
        keys = MEMBER_ORDER[:-1]
        return queryset.order_by(*(key.desc() if is_descending else key.asc() for key in keys), "pk"), True

    def order_assigned_at(self, queryset, is_descending):
        return _then_by(queryset, is_descending, F("assigned_at"), *MEMBER_ORDER)

    def order_assigned_by(self, queryset, is_descending):
        return _then_by(queryset, is_descending, Lower("assigned_by__last_name"), *MEMBER_ORDER)

    def render_name(self, record: Assignment):
        member = record.member
        url = reverse("teams:member-detail", kwargs={"team_id": self.team.pk, "member_id": member.pk})
        you = ""
        if self.request is not None and member.user_id == self.request.user.pk:
            you = format_html(' <span class="sk-you">({})</span>', gettext("you"))
        guest = invited = ""
        if member.is_guest:
            guest = format_html(' <span class="badge sk-guest-badge">{}</span>', gettext("Guest"))
        if member.status == Member.Status.INVITED:
            invited = format_html(
                ' <span class="sk-status sk-status-invited sk-bp-invited">{}</span>', gettext("Invited")
            )
        full_name = member.full_name
        email = ""
        if full_name:
            email = format_html(
                '<span class="sk-member-email sk-bp-email" title="{}">{}</span>', member.user.email, member.user.email
            )
        return format_html(
            '<a class="sk-member-link" href="{}">{}</a>{}{}{}{}',
            url,
            full_name or member.user.email,
            you,
            guest,
            invited,
            email,
        )

    def held(self, record: Assignment) -> list[tuple[ProductItem, bool]]:
        """The product's items, each with whether this user holds it."""
        held = {item.pk for item in record.items.all()}
        return [(item, item.pk in held) for item in self.product_items]

    def render_items(self, record: Assignment):
        choices = self.held(record)
        if not choices:
            return format_html('<span class="sk-none">{}</span>', gettext("The whole product"))
        service = format_html(
            ' <i class="bi bi-cloud sk-mp-service" aria-hidden="true" title="{}"></i>', gettext("Cloud service")
        )
        chips = format_html_join(
            "",
            '<li class="sk-chip{}"><i class="bi {}" aria-hidden="true"></i>{}{}'
            '<span class="visually-hidden"> {}</span></li>',
            (
                (
                    "" if checked else " sk-chip-off",
                    "bi-check2" if checked else "bi-dash",
                    item.name,
                    service if item.kind == ProductItem.Kind.SERVICE else "",
                    gettext("(assigned)") if checked else gettext("(not assigned)"),
                )
                for item, checked in choices
            ),
        )
        return format_html('<ul class="sk-chips sk-bp-items list-unstyled">{}</ul>', chips)

    def render_assigned_at(self, value):
        local = timezone.localtime(value)
        return format_html('<time datetime="{}">{}</time>', local.isoformat(), date_format(local, "SHORT_DATE_FORMAT"))

    def render_assigned_by(self, record: Assignment):
        by = record.assigned_by
        if by is None:
            return format_html('<span class="sk-none">{}</span>', gettext("Automatically"))
        return format_html('<span class="sk-bp-by" title="{}">{}</span>', by.email, by.get_full_name() or by.email)

    def render_actions(self, record: Assignment):
        # A template per row, for the forms; the CSRF token is passed in, not a RequestContext, so
        # that the context processors do not run once per row.
        member = record.member
        kwargs = {"team_id": self.team.pk, "product_id": self.product.pk, "member_id": member.pk}
        context = {
            "assignment": record,
            "product": self.product,
            "name": member.name,
            "row": ProductRow(self.product, record, tuple(ItemChoice(item, held) for item, held in self.held(record))),
            "unassign_url": reverse("subscriptions:product-assignment-unassign", kwargs=kwargs),
            "change_url": reverse("subscriptions:product-assignment-change", kwargs=kwargs),
            "back": self.back,
            "csrf_token": get_token(self.request) if self.request is not None else "",
        }
        return render_to_string("subscriptions/product_assignment_actions.html", context)


# --- By Product as CSV ("Export as CSV": the products the screen shows with its search) -------------

PRODUCT_CSV_HEADER = [
    "product",
    "code",
    "kind",
    "items",
    "seats_purchased",
    "seats_assigned",
    "seats_free",
    "seats_over",
    "active_subscriptions",
]


def product_csv_rows(queryset) -> Iterator[list]:
    """The products of `queryset` (`products_for_list`, searched and sorted as the screen) as the cells
    of PRODUCT_CSV_HEADER; a team has tens of products, not thousands, so they are read at once."""
    for product in queryset:
        yield [
            product.name,
            product.code,
            product.get_kind_display(),
            "; ".join(item.name for item in product.items.all()),
            product.seats_purchased,
            product.seats_assigned,
            product.seats_free,
            max(product.seats_assigned - product.seats_purchased, 0),
            product.subscription_count,
        ]
