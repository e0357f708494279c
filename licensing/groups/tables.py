"""The tables of By Group (R-GR1, R-GR2, R-GR5): the team's groups, a group's members and its members
waiting for a seat. Each is loaded in a fixed number of queries whatever the number of rows: counts
are subqueries, the products of a page's groups one prefetch."""

import django_tables2 as tables
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from licensing.groups.models import Group, GroupMember, GroupProduct, SeatWait
from licensing.subscriptions.models import ProductItem
from licensing.teams.models import Member, Team, member_first_name, member_last_name
from portal.tables import email_html

GROUPS_PER_PAGE = 50
MEMBERS_PER_PAGE = 50
WAITS_PER_PAGE = 25

MEMBER_ORDER = (
    Lower(member_last_name("member__")),
    Lower(member_first_name("member__")),
    Lower("member__user__email"),
    F("pk"),
)


def _count(model, **filters):
    """The number of `model` rows of the outer row, as a subquery (0 when none)."""
    rows = model.objects.filter(**filters).order_by().values(next(iter(filters))).annotate(total=Count("pk"))
    return Coalesce(Subquery(rows.values("total"), output_field=IntegerField()), Value(0))


def groups_for_list(team: Team):
    """The team's groups with `member_count`, `waiting_count` (members waiting for a seat of one of its
    products) and `listed_products` (with their products, by name)."""
    waiting = (
        SeatWait.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(total=Count("member", distinct=True))
        .values("total")
    )
    return (
        Group.objects.filter(team=team)
        .annotate(
            member_count=_count(GroupMember, group=OuterRef("pk")),
            waiting_count=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0)),
        )
        .prefetch_related(
            Prefetch(
                "products",
                queryset=GroupProduct.objects.select_related("product").order_by(Lower("product__name"), "pk"),
                to_attr="listed_products",
            )
        )
    )


def group_products(group: Group) -> list[GroupProduct]:
    """The group's products with their items (`chosen_items`), all the product's items
    (`all_items`) and `waiting_count`, by name: three queries."""
    items = ProductItem.objects.order_by("kind", "name")
    return list(
        GroupProduct.objects.filter(group=group)
        .select_related("product")
        .annotate(waiting_count=_count(SeatWait, group=OuterRef("group"), product=OuterRef("product")))
        .prefetch_related(
            Prefetch("items", queryset=items, to_attr="chosen_items"),
            Prefetch("product__items", queryset=items, to_attr="all_items"),
        )
        .order_by(Lower("product__name"), "pk")
    )


def chips(names, label: str = ""):
    """A list of chips (the By Product and By User way of showing products or items)."""
    names = list(names)
    if not names:
        return format_html('<span class="sk-none">{}</span>', gettext("None"))
    return format_html(
        '<ul class="sk-product-chips list-unstyled"{}>{}</ul>',
        format_html(' aria-label="{}"', label) if label else "",
        format_html_join("", '<li class="sk-chip">{}</li>', ((name,) for name in names)),
    )


def _name_cell(member: Member, team: Team):
    url = reverse("teams:member-detail", kwargs={"team_id": team.pk, "member_id": member.pk})
    guest = format_html(' <span class="badge sk-guest-badge">{}</span>', gettext("Guest")) if member.is_guest else ""
    return format_html(
        '<a class="sk-member-link" href="{}">{}</a>{}{}',
        url,
        member.full_name or member.user.email,
        guest,
        email_html(member.user.email, "sk-member-email sk-email-under-name"),
    )


def _when(value):
    local = timezone.localtime(value)
    return format_html('<time datetime="{}">{}</time>', local.isoformat(), date_format(local, "SHORT_DATE_FORMAT"))


class GroupTable(tables.Table):
    """By Group: one row per group of the team."""

    name = tables.Column(verbose_name=_("Group"), attrs={"td": {"class": "sk-col-name"}})
    member_count = tables.Column(
        verbose_name=_("Members"),
        attrs={"th": {"class": "sk-col-fit text-end"}, "td": {"class": "sk-col-fit text-end sk-num"}},
    )
    products = tables.Column(
        verbose_name=_("Products"), accessor="pk", orderable=False, attrs={"td": {"class": "sk-col-products"}}
    )
    waiting_count = tables.Column(
        verbose_name=_("Waiting for a seat"),
        attrs={"th": {"class": "sk-col-fit text-end"}, "td": {"class": "sk-col-fit text-end sk-num"}},
    )

    class Meta:
        model = Group
        fields = ()
        sequence = ("name", "member_count", "products", "waiting_count")
        order_by = ("name",)
        template_name = "groups/_table.html"
        attrs = {"class": "table sk-table sk-group-table align-middle mb-0"}
        empty_text = _("No groups match this search.")
        per_page = GROUPS_PER_PAGE

    caption = _("Groups of the team")
    empty_icon = "people-fill"

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    @property
    def empty_hint(self) -> str:
        return gettext("Change the search to see more groups.")

    def order_name(self, queryset, is_descending):
        key = Lower("name")
        return queryset.order_by(key.desc() if is_descending else key.asc(), "pk"), True

    def order_member_count(self, queryset, is_descending):
        key = F("member_count")
        return queryset.order_by(key.desc() if is_descending else key.asc(), Lower("name"), "pk"), True

    def order_waiting_count(self, queryset, is_descending):
        key = F("waiting_count")
        return queryset.order_by(key.desc() if is_descending else key.asc(), Lower("name"), "pk"), True

    def render_name(self, record: Group):
        url = reverse("groups:group-detail", kwargs={"team_id": self.team.pk, "group_id": record.pk})
        description = ""
        if record.description:
            description = format_html('<span class="sk-group-description">{}</span>', record.description)
        return format_html('<a class="sk-member-link" href="{}">{}</a>{}', url, record.name, description)

    def render_products(self, record: Group):
        return chips(
            (gp.product.name for gp in record.listed_products),
            gettext("Products of %(group)s") % {"group": record.name},
        )

    def render_waiting_count(self, record: Group):
        if not record.waiting_count:
            return format_html('<span class="sk-none">{}</span>', 0)
        return format_html('<span class="badge sk-wait-badge">{}</span>', record.waiting_count)


class SelectionColumn(tables.Column):
    """A checkbox per member for "Remove selected" (static/js/teams.js: select all, the count)."""

    def __init__(self, **kwargs):
        kwargs.update(accessor="member_id", orderable=False)
        kwargs.setdefault("attrs", {"th": {"class": "sk-col-select"}, "td": {"class": "sk-col-select"}})
        super().__init__(**kwargs)

    @property
    def header(self):
        return format_html(
            '<input class="form-check-input" type="checkbox" data-select-all aria-label="{}">',
            gettext("Select all members on this page"),
        )

    def render(self, value, record):
        return format_html(
            '<input class="form-check-input" type="checkbox" name="members" value="{}" data-select-row'
            ' form="sk-bulk-form" aria-label="{}">',
            value,
            gettext("Select %(name)s") % {"name": record.member.name},
        )


class GroupMemberTable(tables.Table):
    """A group's members: name, e-mail address, joined, status, "Remove"."""

    selection = SelectionColumn(verbose_name="")
    name = tables.Column(verbose_name=_("Name"), accessor="member_id", attrs={"td": {"class": "sk-col-name"}})
    email = tables.Column(
        verbose_name=_("E-mail address"),
        accessor="member__user__email",
        attrs={"th": {"class": "sk-col-email"}, "td": {"class": "sk-col-email"}},
    )
    joined_at = tables.Column(
        verbose_name=_("Joined"), attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit sk-num"}}
    )
    status = tables.Column(
        verbose_name=_("Status"),
        accessor="member__status",
        attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit"}},
    )
    actions = tables.Column(
        verbose_name=_("Actions"),
        accessor="pk",
        orderable=False,
        attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit text-end"}},
    )

    class Meta:
        model = GroupMember
        fields = ()
        sequence = ("selection", "name", "email", "joined_at", "status", "actions")
        order_by = ("name",)
        template_name = "groups/_table.html"
        attrs = {"class": "table sk-table sk-member-table align-middle mb-0"}
        empty_text = _("No members match this search.")
        per_page = MEMBERS_PER_PAGE

    empty_icon = "people"

    def __init__(self, *args, team: Team, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.group = team, group
        self.remove_url = reverse("groups:group-members-remove", kwargs={"team_id": team.pk, "group_id": group.pk})

    @property
    def caption(self) -> str:
        return gettext("Members of %(group)s") % {"group": self.group.name}

    @property
    def empty_hint(self) -> str:
        return gettext("Change the search to see more members.")

    def order_name(self, queryset, is_descending):
        keys = [key.desc() if is_descending else key.asc() for key in MEMBER_ORDER[:-1]]
        return queryset.order_by(*keys, "pk"), True

    def order_email(self, queryset, is_descending):
        key = Lower("member__user__email")
        return queryset.order_by(key.desc() if is_descending else key.asc(), "pk"), True

    def order_joined_at(self, queryset, is_descending):
        return queryset.order_by("-joined_at" if is_descending else "joined_at", "pk"), True

    def order_status(self, queryset, is_descending):
        key = F("member__status")
        return queryset.order_by(key.desc() if is_descending else key.asc(), *MEMBER_ORDER), True

    def render_name(self, record: GroupMember):
        return _name_cell(record.member, self.team)

    def render_email(self, value):
        return format_html('<span class="sk-member-email" title="{}">{}</span>', value, value)

    def render_joined_at(self, value):
        return _when(value)

    def render_status(self, record: GroupMember):
        if record.member.status == Member.Status.ACTIVE:
            return format_html('<span class="sk-status sk-status-active">{}</span>', gettext("Active"))
        return format_html('<span class="sk-status sk-status-invited">{}</span>', gettext("Invited"))

    def render_actions(self, record: GroupMember):
        url = f"{self.remove_url}?members={record.member_id}"
        return format_html(
            '<a class="btn btn-sm btn-outline-danger" href="{}" hx-get="{}" hx-target="#sk-dialog-content"'
            ' aria-label="{}"><i class="bi bi-person-dash" aria-hidden="true"></i> {}</a>',
            url,
            url,
            gettext("Remove %(name)s from the group") % {"name": record.member.name},
            gettext("Remove"),
        )


class WaitTable(tables.Table):
    """The group's members waiting for a seat: who, for which product, why, since when; in the order
    they will be seated (the order they joined the group, R-GR5)."""

    name = tables.Column(verbose_name=_("Name"), accessor="member_id", orderable=False)
    product = tables.Column(verbose_name=_("Product"), accessor="product__name", orderable=False)
    reason = tables.Column(verbose_name=_("Reason"), orderable=False, attrs={"td": {"class": "sk-wait-reason"}})
    since = tables.Column(
        verbose_name=_("Waiting since"),
        orderable=False,
        attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit sk-num"}},
    )

    class Meta:
        model = SeatWait
        fields = ()
        sequence = ("name", "product", "reason", "since")
        template_name = "groups/_table.html"
        attrs = {"class": "table sk-table sk-wait-table align-middle mb-0"}
        empty_text = _("Nobody is waiting.")
        per_page = WAITS_PER_PAGE

    empty_icon = "hourglass-split"

    def __init__(self, *args, team: Team, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.team, self.group = team, group

    @property
    def caption(self) -> str:
        return gettext("Members of %(group)s waiting for a seat") % {"group": self.group.name}

    empty_hint = ""

    def render_name(self, record: SeatWait):
        return _name_cell(record.member, self.team)

    def render_reason(self, record: SeatWait):
        # A code (SeatWait.Reason), said in the reader's language with the product's name.
        return record.reason_text

    def render_since(self, value):
        return _when(value)


def waits_for_list(group: Group):
    return SeatWait.objects.filter(group=group).select_related("member__user", "product").order_by("since", "pk")


def members_for_list(group: Group):
    return GroupMember.objects.filter(group=group).select_related("member__user")
