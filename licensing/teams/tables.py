"""The By User table (R-U1): name with the guest badge, e-mail, role, status with the invitation's
expiry, and the products assigned, sortable and paginated.

`members_for_list` loads what the table shows in a fixed number of queries, whatever the number of
rows: the latest invitation's expiry and the product count are annotations, the products of the
page's rows one prefetch."""

from collections.abc import Iterator

import django_tables2 as tables
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from licensing.accounts.models import Invitation
from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member, Team, member_first_name, member_last_name
from portal.tables import email_html

PER_PAGE = 50


def members_for_list(team: Team):
    """The team's members with `invitation_expires_at` (of the latest invitation), `product_count`
    and `listed_assignments` (with their products, by product name)."""
    member = OuterRef("pk")
    latest_invitation = Invitation.objects.filter(member=member).order_by("-created_at", "-pk").values("expires_at")[:1]
    product_count = (
        Assignment.objects.filter(member=member).order_by().values("member").annotate(total=Count("pk")).values("total")
    )
    return (
        Member.objects.filter(team=team)
        .select_related("user")
        .annotate(
            invitation_expires_at=Subquery(latest_invitation),
            product_count=Coalesce(Subquery(product_count, output_field=IntegerField()), Value(0)),
        )
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=Assignment.objects.select_related("product").order_by("product__name", "pk"),
                to_attr="listed_assignments",
            )
        )
    )


# People are sorted by last name, first name, e-mail, whatever their case ("de Jong" with the Js): the
# names the team sees (Member.name), so that the order tells nothing of an account's own.
NAME_ORDER = (Lower(member_last_name()), Lower(member_first_name()), Lower("user__email"), F("pk"))


def _ordered(queryset, is_descending: bool, *keys):
    """`keys` in the direction asked, then the people's names A-Z so that pages are stable."""
    first = [key.desc(nulls_last=True) if is_descending else key.asc(nulls_last=True) for key in keys]
    return queryset.order_by(*first, *(key.asc() for key in NAME_ORDER)), True


def member_name(member: Member) -> str:
    return member.name


def invitation_expired(member: Member) -> bool:
    expires = getattr(member, "invitation_expires_at", None)
    return member.status == Member.Status.INVITED and expires is not None and expires <= timezone.now()


class SelectionColumn(tables.Column):
    """A checkbox per row for the bulk actions, named `members`, and "select all" in the header
    (static/js/teams.js makes it work; without JavaScript each row is ticked by hand)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("accessor", "pk")
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("attrs", {"th": {"class": "sk-col-select"}, "td": {"class": "sk-col-select"}})
        super().__init__(**kwargs)

    @property
    def header(self):
        return format_html(
            '<input class="form-check-input" type="checkbox" data-select-all aria-label="{}">',
            gettext("Select all users on this page"),
        )

    def render(self, value, record, table):
        # "All 1,017 users are selected" (select=all): the page's rows show ticked too.
        checked = " checked" if getattr(table, "selected_all", False) else ""
        return format_html(
            '<input class="form-check-input" type="checkbox" name="members" value="{}" data-select-row'
            ' form="sk-bulk-form" aria-label="{}"{}>',
            value,
            gettext("Select %(name)s") % {"name": member_name(record)},
            checked,
        )


class MemberTable(tables.Table):
    """One row per member of the team."""

    selection = SelectionColumn(verbose_name="")
    name = tables.Column(
        verbose_name=_("Name"),
        accessor="last_name",
        empty_values=(),  # someone without a name is shown by e-mail address
        attrs={"td": {"class": "sk-col-name"}},
    )
    email = tables.Column(
        verbose_name=_("E-mail address"),
        accessor="user__email",
        attrs={"th": {"class": "sk-col-email"}, "td": {"class": "sk-col-email"}},
    )
    role = tables.Column(verbose_name=_("Role"), attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit"}})
    status = tables.Column(
        verbose_name=_("Status"), attrs={"th": {"class": "sk-col-fit"}, "td": {"class": "sk-col-fit"}}
    )
    products = tables.Column(
        verbose_name=_("Products"),
        accessor="product_count",
        attrs={"td": {"class": "sk-col-products"}},
    )

    class Meta:
        model = Member
        fields = ()
        sequence = ("selection", "name", "email", "role", "status", "products")
        order_by = ("name",)
        template_name = "teams/_member_table.html"
        attrs = {"class": "table sk-table sk-member-table align-middle mb-0"}
        empty_text = _("No users match these filters.")
        per_page = PER_PAGE

    def __init__(self, *args, team: Team, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team

    def order_name(self, queryset, is_descending):
        keys = NAME_ORDER[:-1]
        ordered = [key.desc() if is_descending else key.asc() for key in keys]
        return queryset.order_by(*ordered, "pk"), True

    def order_email(self, queryset, is_descending):
        return _ordered(queryset, is_descending, Lower("user__email"))

    def order_role(self, queryset, is_descending):
        # The stored values sort as the roles rank: primary_admin, secondary_admin, user.
        return _ordered(queryset, is_descending, F("role"))

    def order_status(self, queryset, is_descending):
        return _ordered(queryset, is_descending, F("status"), F("invitation_expires_at"))

    def order_products(self, queryset, is_descending):
        return _ordered(queryset, is_descending, F("product_count"))

    def render_name(self, record: Member):
        url = reverse("teams:member-detail", kwargs={"team_id": self.team.pk, "member_id": record.pk})
        name = record.full_name
        you = ""
        if self.request is not None and record.user_id == self.request.user.pk:
            you = format_html(' <span class="sk-you">({})</span>', gettext("you"))
        guest = ""
        if record.is_guest:
            guest = format_html(' <span class="badge sk-guest-badge">{}</span>', gettext("Guest"))
        # On a narrow screen the e-mail column is hidden and the address shows under the name.
        return format_html(
            '<a class="sk-member-link" href="{}">{}</a>{}{}{}',
            url,
            name or record.user.email,
            you,
            guest,
            email_html(record.user.email, "sk-member-email sk-email-under-name"),
        )

    def render_email(self, value):
        return email_html(value)

    def render_role(self, record: Member):
        css = "sk-role-badge sk-role-primary" if record.is_primary_admin else "sk-role-badge"
        if record.role == Member.Role.SECONDARY_ADMIN:
            css = "sk-role-badge sk-role-secondary"
        return format_html('<span class="badge {}">{}</span>', css, record.get_role_display())

    def render_status(self, record: Member):
        if record.status == Member.Status.ACTIVE:
            return format_html('<span class="sk-status sk-status-active">{}</span>', gettext("Active"))
        expires = record.invitation_expires_at
        if invitation_expired(record):
            detail = format_html('<span class="sk-status-detail sk-status-expired">{}</span>', gettext("Expired"))
        elif expires is not None:
            detail = format_html(
                '<span class="sk-status-detail">{}</span>',
                gettext("expires %(date)s") % {"date": date_format(timezone.localtime(expires), "SHORT_DATE_FORMAT")},
            )
        else:
            detail = ""
        return format_html('<span class="sk-status sk-status-invited">{}</span>{}', gettext("Invited"), detail)

    def render_products(self, record: Member):
        assignments = record.listed_assignments
        if not assignments:
            return format_html('<span class="sk-none">{}</span>', gettext("None"))
        return format_html(
            '<ul class="sk-product-chips list-unstyled">{}</ul>',
            format_html_join("", '<li class="sk-chip">{}</li>', ((a.product.name,) for a in assignments)),
        )


# --- By User as CSV ("Export as CSV": the rows the screen shows with its filters, every page) ---------

MEMBER_CSV_HEADER = [
    "first_name",
    "last_name",
    "email",
    "role",
    "role_label",
    "guest",
    "status",
    "status_label",
    "invitation_expires_at",
    "products",
]
MEMBER_CSV_CHUNK = 2000


def member_csv_rows(queryset) -> Iterator[list]:
    """The members of `queryset` (`members_for_list`, filtered and sorted as the screen) as the cells of
    MEMBER_CSV_HEADER, read in chunks with their products prefetched per chunk, never all at once.
    Names are those the team sees (Member.first_name / last_name); products by name, "; " between."""
    for member in queryset.iterator(chunk_size=MEMBER_CSV_CHUNK):
        expires = member.invitation_expires_at if member.status == Member.Status.INVITED else None
        yield [
            member.first_name,
            member.last_name,
            member.user.email,
            member.role,
            member.get_role_display(),
            member.is_guest,
            member.status,
            member.get_status_display(),
            timezone.localtime(expires).replace(microsecond=0) if expires else None,
            "; ".join(assignment.product.name for assignment in member.listed_assignments),
        ]
