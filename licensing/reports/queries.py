"""The figures of Reporting › Seat Usage (R-R1), computed in the database.

A report covers a set of teams (one team, or every team the admin administers) and a period of whole
days. Seat usage is one row per user, product, team and day (SeatUsage, written by the licence
check, R-S3); every figure below is an aggregate over those rows (GROUP BY product, GROUP BY product
and day, GROUP BY team, user and product): Python never loops over usage rows, only over the
grouped results, whose number is bounded by products x days or by the page.

The figures, per product:

- **seats purchased**: the sum of the seats of the teams' subscriptions of the product that are
  active today (R-SE1), as on By Product;
- **seats assigned**: the teams' current assignments of the product;
- **users who used it**: distinct users with at least one day of use of the product in the period;
- **peak daily users**: the largest, over the days of the period, number of distinct users who used
  the product that day;
- **average daily users**: the sum over the days of the period of that day's distinct users, divided
  by the number of days in the period, days without any use included;
- **assigned but unused**: current assignments of the product whose user has no day of use of that
  product, in that assignment's team, in the period: the seats an admin could reclaim.

The usage is read from SeatUsageMonth, the same rows a month to a row as a bit mask of days (kept by
triggers, subscriptions/usage_months.py): a period is its months, the first and last of them masked
to the period's days, and a count of days is a count of bits. Thirty days of a team of 27,501 members
are 59,000 months to read instead of 4.8 million index entries of days.

Seats purchased and assigned are today's: assignments keep no history. Per user and product (the By
User tab): days used in the period, the last day of use on or before the period's end (for a seat
unused in the period, the last use before it, if any) and the date of the current assignment.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import (
    Case,
    Count,
    DateField,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower

from licensing.accounts.models import User
from licensing.groups.models import Group, GroupMember
from licensing.subscriptions.models import Assignment, Product, SeatUsage, SeatUsageMonth, Subscription
from licensing.subscriptions.usage_months import month_first_day, month_number
from licensing.teams.models import Member, Team, member_first_name, member_last_name, member_search


@dataclass(frozen=True)
class Period:
    """A range of whole days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


# The seat of an assignment (OuterRef) in the usage rows. The team by the assignment's own copy of
# it: the assignments are chosen by that column, so PostgreSQL knows the months' team too (team = 4
# and months.team = assignment.team), and reads only that team's months in an anti-join.
SAME_SEAT = {"user": OuterRef("member__user"), "product": OuterRef("product"), "team": OuterRef("team")}


def usage_in(teams: list[int], period: Period) -> QuerySet:
    """The seat usage of the teams `teams` (primary keys) in `period`, a row per day."""
    return SeatUsage.objects.filter(team__in=teams, day__gte=period.start, day__lte=period.end)


# --- Months of usage ----------------------------------------------------------------------------

ALL_DAYS = 2**31 - 1  # the 31 bits of a month's days


def _days_from(day: int) -> int:
    """The bits of the days `day` to 31 of a month."""
    return ALL_DAYS & ~((1 << (day - 1)) - 1)


def _days_to(day: int) -> int:
    """The bits of the days 1 to `day` of a month."""
    return (1 << day) - 1


def masked_days(period: Period, column: str = "days"):
    """The bits of `column` (a month's days) that fall in `period`: all of a month inside it, the
    days from the start in its first month, to the end in its last."""
    first, last = month_number(period.start), month_number(period.end)
    if first == last:
        return F(column).bitand(Value(_days_from(period.start.day) & _days_to(period.end.day)))
    edges = Case(
        When(month=first, then=Value(_days_from(period.start.day))),
        When(month=last, then=Value(_days_to(period.end.day))),
        default=Value(ALL_DAYS),
    )
    return F(column).bitand(edges)


def _with_days_in(months: QuerySet, period: Period) -> QuerySet:
    """`months` with at least one day in `period`, `used` their days in it."""
    first, last = month_number(period.start), month_number(period.end)
    months = months.filter(month__gte=first, month__lte=last)
    return months.alias(used=masked_days(period)).filter(used__gt=0).order_by()


def months_in(teams: list[int], period: Period) -> QuerySet:
    """The months of seat usage of `teams` with at least one day in `period`, `used` their days in it."""
    return _with_days_in(SeatUsageMonth.objects.filter(team__in=teams), period)


def seat_used_in(period: Period) -> QuerySet:
    """The months, with a day in `period`, of the seat of an assignment (OuterRef), `used` their
    days in it. Without `team__in`: a second condition on the team next to the outer one's would have
    SQLite take the index on (team, month, ...), scanning the team's months for every assignment."""
    return _with_days_in(SeatUsageMonth.objects.filter(**SAME_SEAT), period)


class BitCount(Func):
    """The number of bits set in an integer below 2**31: days of use in a month. PostgreSQL counts
    them itself; SQLite by halves, quarters and bytes (the "SWAR" popcount), in plain arithmetic."""

    arity = 1
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"bit_count(CAST(({sql}) AS bit(32)))", params

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        # x - ((x >> 1) & 0x55555555): pairs; then nibbles; then bytes, summed by a multiplication.
        pairs = f"(({sql}) - ((({sql}) >> 1) & 1431655765))"
        nibbles = f"(({pairs} & 858993459) + (({pairs} >> 2) & 858993459))"
        octets = f"(({nibbles} + ({nibbles} >> 4)) & 252645135)"
        return f"(((({octets}) * 16843009) & 4294967295) >> 24)", list(params) * 8


class LastDay(Func):
    """The highest bit set (1 to 31) of an integer above 0: the last day of use in a month.
    PostgreSQL finds the first 1 of its 32 bits; SQLite takes five comparisons down a binary tree."""

    arity = 1
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(33 - position(B'1' IN CAST(({sql}) AS bit(32))))", params

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        uses = 0

        def tree(low: int, high: int) -> str:
            nonlocal uses
            if low == high:
                return str(low)
            middle = (low + high + 1) // 2
            uses += 1
            return (
                f"CASE WHEN ({sql}) >= {1 << (middle - 1)} THEN {tree(middle, high)} ELSE {tree(low, middle - 1)} END"
            )

        text = tree(1, 31)
        return f"({text})", list(params) * uses


class DayNumberField(DateField):
    """A day as month * 32 + day in SQL (so MAX() and ORDER BY work on it), a date in Python."""

    def get_internal_type(self) -> str:
        return "IntegerField"

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, date):
            return value
        return month_first_day(value // 32).replace(day=value % 32)


def day_number(days) -> F:
    """The last day of `days`, a month's masked days, as a DayNumberField."""
    return ExpressionWrapper(F("month") * 32 + LastDay(days), output_field=DayNumberField())


# --- By Product ---------------------------------------------------------------------------------


@dataclass
class ProductUsage:
    """One product's figures in a report (see the module's docstring for their definitions)."""

    product: Product
    seats_purchased: int
    seats_assigned: int
    users: int = 0
    unused: int = 0
    daily: list[int] = field(default_factory=list)  # distinct users per day of the period, in order

    @property
    def peak(self) -> int:
        return max(self.daily, default=0)

    @property
    def average(self) -> float:
        return sum(self.daily) / len(self.daily) if self.daily else 0.0


def _count(queryset, column: str = "pk", aggregate=Count, group: str = "product"):
    """A correlated subquery: `aggregate(column)` over `queryset` grouped by `group`, 0 if no rows."""
    total = queryset.order_by().values(group).annotate(total=aggregate(column)).values("total")
    return Coalesce(Subquery(total, output_field=IntegerField()), Value(0))


def report_products(teams: list[int], period: Period, *, today: date, used: list[int] | None = None) -> QuerySet:
    """The products of the report: those the teams have an active subscription of, hold assignments
    of, or used in the period, by name. `used`: the primary keys of the products used in the period,
    when the caller has them already (the users per product): saves a pass over the period's usage."""
    active = Subscription.objects.active(today).filter(team__in=teams)
    assignments = Assignment.objects.filter(team__in=teams)
    used_products = months_in(teams, period).values("product") if used is None else used
    return Product.objects.filter(
        Q(pk__in=active.values("product")) | Q(pk__in=assignments.values("product")) | Q(pk__in=used_products)
    ).order_by("name", "pk")


def products_with_seats(teams: list[int], period: Period, *, today: date, used: list[int] | None = None) -> QuerySet:
    """`report_products` with `seats_purchased` and `seats_assigned` over the teams. The assignments
    are counted by their own copy of the team, in the index on (team, product, ...), without the
    members."""
    product = OuterRef("pk")
    active = Subscription.objects.active(today).filter(team__in=teams)
    assignments = Assignment.objects.filter(team__in=teams)
    return (
        report_products(teams, period, today=today, used=used)
        .annotate(
            seats_purchased=_count(active.filter(product=product), "seats", Sum),
            seats_assigned=_count(assignments.filter(product=product)),
        )
        .order_by("name", "pk")
    )


def unused_seats(teams: list[int], period: Period) -> dict[int, int]:
    """The assignments of the teams without a day of use of their seat in `period`, per product: one
    pass over the assignments and their members (a subquery per product would read the team's
    members once per product: PostgreSQL, 7 x 22 ms for a team of 27,501)."""
    idle = Assignment.objects.filter(team__in=teams).exclude(Exists(seat_used_in(period))).order_by()
    return dict(idle.values("product").annotate(n=Count("pk")).values_list("product", "n"))


def product_usage(teams: list[int], period: Period, *, today: date, daily: bool = True) -> list[ProductUsage]:
    """The By Product rows of a report, in four queries whatever the number of users or days: the
    products with their seats, the distinct users per product, the unused seats per product, the
    distinct users per product and day. `daily=False` leaves the last one out (and `daily` empty):
    the summary does not need it."""
    months = months_in(teams, period)
    users = dict(months.values("product").annotate(n=Count("user", distinct=True)).values_list("product", "n"))
    unused = unused_seats(teams, period)
    rows = {
        product.pk: ProductUsage(
            product=product,
            seats_purchased=product.seats_purchased,
            seats_assigned=product.seats_assigned,
            users=users.get(product.pk, 0),
            unused=unused.get(product.pk, 0),
            daily=[0] * period.days if daily else [],
        )
        for product in products_with_seats(teams, period, today=today, used=list(users))
    }
    if not daily:
        return list(rows.values())
    # From the days themselves, grouped by day first: the order of the index on (team, day, product),
    # read without a sort (SQLite: 62 ms for 30 days of 27,501 members, against 102 ms for 31 sums of
    # bits over their months). In one team a user has at most one row per product and day (SeatUsage's
    # unique constraint): counting rows is counting users, without the sort that DISTINCT costs.
    # Across teams someone may have a row in each. Count("day"), not Count("pk"): the index holds the
    # day, not the id (PostgreSQL then reads the index alone, never the table).
    users_that_day = Count("user", distinct=True) if len(teams) > 1 else Count("day")
    daily = usage_in(teams, period).order_by().values("day", "product").annotate(n=users_that_day)
    for product_id, day, n in daily.values_list("product", "day", "n"):
        rows[product_id].daily[(day - period.start).days] = n
    return list(rows.values())


@dataclass(frozen=True)
class Summary:
    """The report at a glance."""

    users: int  # distinct users who used any product in the period
    products_in_use: int  # products used on at least one day of the period
    products: int
    seats_assigned: int
    seats_purchased: int


def summary(teams: list[int], period: Period, products: list[ProductUsage]) -> Summary:
    """The summary of a report whose By Product rows are `products` (one more query)."""
    users = months_in(teams, period).aggregate(n=Count("user", distinct=True))["n"]
    return Summary(
        users=users,
        products_in_use=sum(1 for row in products if row.users),
        products=len(products),
        seats_assigned=sum(row.seats_assigned for row in products),
        seats_purchased=sum(row.seats_purchased for row in products),
    )


# --- By User ------------------------------------------------------------------------------------

# The columns of a By User row, in the order both halves of the union select them. The ids end in
# "_key": "product" or "member_id" would clash with the fields of Assignment.
USER_COLUMNS = (
    "team_key",
    "user_key",
    "product_key",
    "days_used",
    "last_used",
    "team_name",
    "email",
    "first_name",
    "last_name",
    "product_name",
    "member_key",
    "assignment_key",
    "assigned_at",
    "sort_last",
    "sort_first",
    "sort_email",
)
# People by last name, first name, e-mail whatever their case, as on By User; then product and team.
NAME_ORDER = ("sort_last", "sort_first", "sort_email", "product_name", "team_name", "team_key", "product_key")


def _filtered(
    teams: list[int], period: Period, *, search: str, product: Product | None, group: Group | None = None
) -> tuple[QuerySet, QuerySet]:
    """The usage and the assignments of By User's rows with its filters."""
    usage = months_in(teams, period)
    assignments = Assignment.objects.filter(team__in=teams)
    if product is not None:
        usage, assignments = usage.filter(product=product), assignments.filter(product=product)
    if group is not None:
        # R-GR6: the usage of the group's members now (their seats of any product, used or held).
        members = GroupMember.objects.filter(group=group)
        inside = members.filter(member__team=OuterRef("team"), member__user=OuterRef("user"))
        usage = usage.filter(Exists(inside))
        assignments = assignments.filter(member_id__in=members.values("member"))
    if search:
        # Every word must appear in the first name, last name or e-mail address, as on By User: the
        # names the team sees of its members (Member.name); of someone who is no member any more
        # (a seat used, then the member deleted), the account's, as the rows show them.
        people = User.objects.all()
        for word in search.split():
            people = people.filter(
                Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
            )
        member = Member.objects.filter(team=OuterRef("team"), user=OuterRef("user"))
        usage = usage.filter(Exists(member.filter(member_search(search))) | (~Exists(member) & Q(user__in=people)))
        assignments = assignments.filter(member_search(search, "member__"))
    return usage, assignments


def _idle(assignments: QuerySet, period: Period) -> QuerySet:
    """`assignments` whose user did not use the product in that team in the period."""
    return assignments.exclude(Exists(seat_used_in(period)))


class _Total(Func):
    """SUM() or MAX() in a subquery's SELECT without a GROUP BY: one row over the rows it finds, and
    for PostgreSQL a plain Aggregate instead of a GroupAggregate on a constant key (an Aggregate
    subclass would make Django add the GROUP BY)."""

    contains_aggregate = False


def _seat_total(months: QuerySet, function: str, expression, output_field) -> Subquery:
    """`function` (SUM, MAX) of `expression` over `months`, the months of one seat (OuterRef)."""
    total = months.annotate(total=_Total(expression, function=function, output_field=output_field))
    return Subquery(total.values("total"), output_field=output_field)


def _unassigned():
    """The usage months (OuterRef) whose user holds no seat of the product in that team now."""
    held = Assignment.objects.filter(
        member__team=OuterRef("team"), member__user=OuterRef("user"), product=OuterRef("product")
    )
    return ~Exists(held)


def user_usage(
    teams: list[int],
    period: Period,
    *,
    search: str = "",
    product: Product | None = None,
    group: Group | None = None,
    unused_only: bool = False,
    light: bool = False,
    assignments_only: list[int] | None = None,
    unheld: bool = True,
) -> QuerySet:
    """The By User rows of a report: a dict (keys USER_COLUMNS) per member (team and user) and
    product, with `days_used`, `last_used`, and `assignment_key` and `assigned_at` (None when the
    user holds no seat of the product there now), ordered by name.

    The rows are the current assignments, used in the period or not (a plain join of assignment,
    member, user, product and team, with the seat's days in the period and its last use from its own
    months, two lookups in the index on (team, user, product, month, days)), UNION ALL the seats used
    in the period that nobody holds now (unassigned since): grouped usage months of which only the
    few such groups get their names, by correlated subqueries on the group's keys.

    `unused_only`: only the assignments without use in the period, "assigned but not used in this
    range" (R-R1's seats to reclaim), with the last use before it, if any.

    For `UserUsageRows`, a page at a time: `light` leaves out of the assignments' rows what takes a
    lookup per row (days used, last used: None), to be sorted and cut to a page first;
    `assignments_only` gives the whole rows of those assignments alone (no union); `unheld=False`
    leaves out the seats held by nobody now, when the caller knows there are none (`unheld_rows`)."""
    usage, assignments = _filtered(teams, period, search=search, product=product, group=group)
    if assignments_only is not None:
        assignments = assignments.filter(pk__in=assignments_only)
    # The last use before the period: the latest month up to the period's first with a day before it.
    first = month_number(period.start)
    earlier = Case(When(month=first, then=Value(_days_to(period.start.day - 1))), default=Value(ALL_DAYS))
    before = (
        SeatUsageMonth.objects.filter(**SAME_SEAT, month__lte=first)
        .alias(earlier=F("days").bitand(earlier))
        .filter(earlier__gt=0)
        .order_by("-month")
        .values(last=day_number(F("earlier")))
    )
    if unused_only:
        assignments = _idle(assignments, period)
        days_used, last_used = Value(0), Subquery(before[:1], output_field=DayNumberField())
    else:
        in_period = seat_used_in(period)
        days_used = Coalesce(_seat_total(in_period, "SUM", BitCount(F("used")), IntegerField()), Value(0))
        last_in_period = _seat_total(in_period, "MAX", day_number(F("used")), DayNumberField())
        # COALESCE reads its second argument only when the first is NULL: for the idle seats.
        last_used = Coalesce(last_in_period, Subquery(before[:1]), output_field=DayNumberField())
    if light:
        days_used = Value(None, output_field=IntegerField())
        last_used = Value(None, output_field=DayNumberField())
    held = (
        assignments.annotate(
            team_key=F("member__team"),
            user_key=F("member__user"),
            product_key=F("product"),
            days_used=days_used,
            last_used=last_used,
            team_name=F("member__team__name"),
            email=F("member__user__email"),
            first_name=member_first_name("member__"),
            last_name=member_last_name("member__"),
            product_name=F("product__name"),
            member_key=F("member"),
            assignment_key=F("pk"),
            sort_last=Lower(member_last_name("member__")),
            sort_first=Lower(member_first_name("member__")),
            sort_email=Lower("member__user__email"),
        )
        .values(*USER_COLUMNS)
        .order_by()
    )
    if unused_only or assignments_only is not None or not unheld:
        return held.order_by(*NAME_ORDER)

    # Used in the period but held by nobody now, grouped per team, user and product. The aggregates
    # come first: the columns annotated after them are not added to the GROUP BY (their outer
    # references are the keys).
    group = {"team": OuterRef("team_key"), "user": OuterRef("user_key"), "product": OuterRef("product_key")}
    person = User.objects.filter(pk=group["user"]).order_by()
    member = Member.objects.filter(team=group["team"], user=group["user"]).order_by()

    def name(field: str, expression):
        # A member by the name the team sees (Member.name); someone who is no member any more by
        # the account's.
        return Coalesce(Subquery(member.values(name=expression)[:1]), Subquery(person.values(field)))

    gone = (
        usage.filter(_unassigned())
        .values(team_key=F("team"), user_key=F("user"), product_key=F("product"))
        .annotate(
            days_used=Sum(BitCount(masked_days(period))),
            last_used=Max(day_number(masked_days(period)), output_field=DayNumberField()),
        )
        .annotate(
            team_name=Subquery(Team.objects.filter(pk=group["team"]).order_by().values("name")),
            email=Subquery(person.values("email")),
            first_name=name("first_name", member_first_name()),
            last_name=name("last_name", member_last_name()),
            product_name=Subquery(Product.objects.filter(pk=group["product"]).order_by().values("name")),
            member_key=Subquery(member.values("pk")),
            assignment_key=Value(None, output_field=IntegerField()),
            assigned_at=Value(None, output_field=DateTimeField()),
            sort_last=Lower(name("last_name", member_last_name())),
            sort_first=Lower(name("first_name", member_first_name())),
            sort_email=Subquery(person.values(key=Lower("email"))),
        )
        .values(*USER_COLUMNS)
    )
    return held.union(gone, all=True).order_by(*NAME_ORDER)


# The columns a light row of user_usage has no value for: a sort on them needs the whole rows.
LATE_COLUMNS = ("days_used", "last_used")


def _names(ordering) -> set[str]:
    names = set()
    for key in ordering:
        if isinstance(key, str):
            names.add(key.lstrip("-"))
        else:  # OrderBy(F(name))
            names.update(ref.name for ref in key.flatten() if isinstance(ref, F))
    return names


class UserUsageRows:
    """The rows of `user_usage` for a table that shows a page of them (UserUsageTable): sorted on
    anything but days used and last used, the page is cut from the light rows (a join and the sort
    keys, no lookup per row) and only its own assignments get their days used and last use, in a
    second query of 50 rows; a sort on those two takes the whole rows, as the export does. Ordered
    like a queryset (`order_by`), sliced like one; iterating it reads the whole rows."""

    def __init__(self, teams: list[int], period: Period, ordering=NAME_ORDER, *, unheld: bool = True, **filters):
        self.teams, self.period, self.filters, self.ordering = teams, period, filters, tuple(ordering)
        self.unheld = unheld

    def rows(self, **extra) -> QuerySet:
        rows = user_usage(self.teams, self.period, **self.filters, unheld=self.unheld, **extra)
        return rows.order_by(*self.ordering)

    @property
    def query(self):
        return self.rows().query

    def order_by(self, *ordering) -> "UserUsageRows":
        return UserUsageRows(self.teams, self.period, ordering, unheld=self.unheld, **self.filters)

    def count(self) -> int:
        return user_usage_count(self.teams, self.period, **self.filters)

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self.rows())

    def __getitem__(self, index):
        if not isinstance(index, slice) or _names(self.ordering) & set(LATE_COLUMNS):
            return self.rows()[index]
        page = list(self.rows(light=True)[index])
        held = [row["assignment_key"] for row in page if row["assignment_key"] is not None]
        whole = {row["assignment_key"]: row for row in self.rows(assignments_only=held)} if held else {}
        return [whole.get(row["assignment_key"], row) if row["assignment_key"] is not None else row for row in page]


def _chosen(products: list[ProductUsage], product: Product | None) -> list[ProductUsage]:
    """The By Product rows of By User's product filter: all, or the chosen product's."""
    return [row for row in products if product is None or row.product.pk == product.pk]


def unheld_rows(
    teams: list[int],
    *,
    search: str = "",
    product: Product | None = None,
    group: Group | None = None,
    unused_only: bool = False,
    products: list[ProductUsage],
) -> bool:
    """Whether By User has rows of seats used in the period but held by nobody now, as far as the
    By Product figures of the same teams and period (`products`) tell: in one team and without a
    search, a product's users are its used seats, held or not, and its assigned seats less the
    unused ones are the held ones used, so the difference is the seats used and no longer held.
    True when the figures cannot tell (several teams, a search)."""
    if unused_only:
        return False
    if len(teams) != 1 or search or group is not None:
        return True
    return sum(row.users - (row.seats_assigned - row.unused) for row in _chosen(products, product)) > 0


def user_usage_count(
    teams: list[int],
    period: Period,
    *,
    search: str = "",
    product: Product | None = None,
    group: Group | None = None,
    unused_only: bool = False,
    products: list[ProductUsage] | None = None,
) -> int:
    """The number of rows of `user_usage` with the same arguments, for its paginator: not a COUNT(*)
    over the UNION, whose subqueries the database would compute for every row only to count them.

    With `products`, the report's By Product rows over the same teams and period, and one team and
    no search, it takes no query: in one team a user has at most one usage row per product and day,
    so a product's used rows are its users (`ProductUsage.users`) and its idle rows are its unused
    seats (`ProductUsage.unused`, the same definition). Otherwise it counts the assignments (the
    idle ones alone for `unused_only`), and the keys of the seats used but held by nobody now."""
    if products is not None and len(teams) == 1 and not search and group is None:
        return sum(row.unused + (0 if unused_only else row.users) for row in _chosen(products, product))
    usage, assignments = _filtered(teams, period, search=search, product=product, group=group)
    if unused_only:
        return _idle(assignments, period).count()
    return assignments.count() + usage.filter(_unassigned()).values("team", "user", "product").distinct().count()
