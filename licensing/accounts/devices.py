"""The desktop software's sign-in and licence check (R-S1..R-S3): device tokens and whether a user may
use a product. Signing in through the browser (R-ID5) is licensing/accounts/device_grant.py. The API in
licensing/accounts/api.py is glue around these functions."""

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.accounts import throttle
from licensing.accounts.mfa import user_has_second_factor
from licensing.accounts.models import ApiToken, User, hash_token, new_token
from licensing.accounts.permissions import can_sign_out_devices
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.subscriptions.models import Assignment, Product, ProductItem, SeatUsage, Subscription
from licensing.teams.models import Member, Team
from licensing.teams.services import require
from licensing.webhooks.outbox import licence_refused_emit
from portal.db import service_transaction

# The API in licensing/accounts/api.py is glue around these functions.

NOT_LICENSED = _("Contact your administrator to request permission to use this product.")
SIGNIN_FAILED = _("The e-mail address or password is not correct.")
BROWSER_SIGN_IN_REQUIRED = _(
    "Your account signs in with a second factor or single sign-on, which the software cannot ask for. "
    "Sign in through the browser instead."
)
DEVICE_NAME_REQUIRED = _("Give the device a name, like “Drawing office PC”.")
DEVICE_NAME_MAX_LENGTH = 100
# A token's "last used" is written at most this often: a device that checks every few seconds
# (a script, a misbehaving client) must not write a row on every check.
TOKEN_LAST_USED_PRECISION = timedelta(minutes=5)


def api_token_create(*, request, email: str, password: str, device_name: str) -> tuple[ApiToken, str]:
    """Sign a device in to the desktop software with an account's e-mail address and password (R-S2):
    a new token, returned once as (token row, raw token); only its hash is stored. The device sends
    it instead of the password until it expires (`API_TOKEN_DAYS`) or is signed out.

    The password is checked through the one throttle of every password (`throttle.password_sign_in`,
    counted before the check, per address, per account and address, per account), which raises
    `throttle.Throttled` with the wait when the attempt must wait, right password or not. Wrong
    credentials are refused with the same SIGNIN_FAILED whether or not the address has an account
    (and the backend takes as long either way). An account with a second factor is refused, after
    its password, with BROWSER_SIGN_IN_REQUIRED: the software cannot ask for the factor, and signs
    in through the browser instead (R-ID5, `device_authorization_create`).

    Not one transaction: the password check is slow on purpose, and on SQLite an open transaction
    holds the write lock. Each write stands alone.
    """
    device_name = " ".join((device_name or "").split())[:DEVICE_NAME_MAX_LENGTH]
    if not device_name:
        raise ValidationError({"device_name": [DEVICE_NAME_REQUIRED]}, code="device_name")
    user = throttle.password_sign_in(request, email=email, password=password)
    if user is None:
        raise ValidationError(SIGNIN_FAILED, code="signin_failed")
    if user_has_second_factor(user):
        # After the password, never before: the answer must not tell who has a second factor.
        raise ValidationError(BROWSER_SIGN_IN_REQUIRED, code="browser_sign_in_required")
    return api_token_issue(user=user, device_name=device_name)


def api_token_issue(*, user: User, device_name: str) -> tuple[ApiToken, str]:
    """A new device token for `user`, returned once as (token row, raw token); only its hash is
    stored. The one place a device is signed in, whether with a password (`api_token_create`) or
    through the browser (`device_token_poll`)."""
    now = timezone.now()
    raw, digest = new_token()
    token = ApiToken.objects.create(
        user=user, device_name=device_name, token_hash=digest, created_at=now, expires_at=ApiToken.default_expiry(now)
    )
    return token, raw


class _Rows:
    """How to read `model`'s rows from a query written out by hand (the licence check's), selected as
    `alias`.*: its columns in order, and each one's converters (SQLite hands moments back as text)."""

    def __init__(self, model, alias: str):
        quote = connection.ops.quote_name
        self.model, self.fields = model, list(model._meta.concrete_fields)
        self.columns = ", ".join(f"{alias}.{quote(field.column)}" for field in self.fields)
        self.attnames = [field.attname for field in self.fields]
        self.converters = []
        for field in self.fields:
            col = field.get_col(model._meta.db_table)
            self.converters.append((connection.ops.get_db_converters(col) + col.get_db_converters(connection), col))

    def instance(self, values):
        converted = []
        for value, (functions, col) in zip(values, self.converters, strict=True):
            for function in functions:
                value = function(value, col, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)


@functools.cache
def _token_sql(vendor: str) -> tuple[str, _Rows, _Rows]:
    """The device token lookup's one query (`api_token_authenticate`), made once per process: the
    token and its user by the token's hash, written out rather than built by the ORM on every check
    (building it cost more than running it). Parameters: the hash, now, True."""
    quote = connection.ops.quote_name
    tokens, users = _Rows(ApiToken, "t"), _Rows(User, "u")
    column = {name: quote(ApiToken._meta.get_field(name).column) for name in ("user", "token_hash", "revoked_at")}
    sql = (
        f"SELECT {tokens.columns}, {users.columns} FROM {quote(ApiToken._meta.db_table)} t"
        f" JOIN {quote(User._meta.db_table)} u ON u.{quote(User._meta.pk.column)} = t.{column['user']}"
        f" WHERE t.{column['token_hash']} = %s AND t.{column['revoked_at']} IS NULL"
        f" AND t.{quote(ApiToken._meta.get_field('expires_at').column)} > %s"
        f" AND u.{quote(User._meta.get_field('is_active').column)} = %s"
    )
    return sql, tokens, users


def api_token_authenticate(raw_token: str) -> ApiToken | None:
    """The token a device sent, with its user, if it still signs the device in: not expired, not
    signed out, and its account active (`ApiToken.objects.active()`, in one query of its own). Notes
    when it was last used (every few minutes at most)."""
    now = timezone.now()
    sql, tokens, users = _token_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [hash_token(raw_token or ""), connection.ops.adapt_datetimefield_value(now), True])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(tokens.fields)
    token = tokens.instance(row[:split])
    token.user = users.instance(row[split:])
    if token.last_used_at is None or token.last_used_at < now - TOKEN_LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


@functools.cache
def _product_sql(vendor: str) -> tuple[str, _Rows]:
    """`product_by_code`'s query, made once per process. Parameter: the code."""
    quote = connection.ops.quote_name
    rows = _Rows(Product, "p")
    code = quote(Product._meta.get_field("code").column)
    return f"SELECT {rows.columns} FROM {quote(Product._meta.db_table)} p WHERE p.{code} = %s", rows


def product_by_code(code: str) -> Product | None:
    """The product the licence check asks about (Product.code is unique), in a query written out once
    per process like the token's."""
    sql, rows = _product_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    return None if row is None else rows.instance(row)


def api_tokens_for(member: Member):
    """The devices on which `member`'s person is signed in to the desktop software, newest first:
    what the user's page lists with a "Sign out" button each."""
    return ApiToken.objects.active().filter(user_id=member.user_id).order_by("-created_at", "-pk")


@service_transaction
def api_token_revoke(*, token: ApiToken, actor, team: Team | None = None) -> ApiToken:
    """Sign a device out (R-S2): its token stops working at once, and the software asks for the
    password at its next start. Done by the person themself (the software's "Sign out"), by support,
    or by an admin of a team the person is an active member of (`can_sign_out_devices`); `team` is
    the team whose user page the admin acted on, and whose activity log shows it.

    Signing out a device that is signed out already changes nothing and records nothing."""
    require(can_sign_out_devices(actor, token.user, team))
    # Lock the row, so that two sign-outs at once record one event.
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user").get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    user = token.user
    event_record(
        action=ActivityEvent.Action.DEVICE_SIGNED_OUT,
        actor=actor,
        team=team,
        target_user=user,
        target=user.get_full_name() or user.email,
        before={"device": token.device_name, "signed_in_at": token.created_at.isoformat()},
        after={"signed_out_at": token.revoked_at.isoformat()},
    )
    return token


@service_transaction
def user_password_changed(*, user: User, actor) -> int:
    """What follows a change of `user`'s password, whoever set it (the person on "Change password",
    the reset link, support in the Django admin): every device still signed in to the desktop
    software is signed out (R-S2), one `api_token_revoke` each, audited as any sign-out. Whoever
    knew the old password keeps no working token. Returns how many devices were signed out.

    `actor` is who changed it; for a reset by e-mail link, the person themself (`user`)."""
    tokens = list(ApiToken.objects.active().filter(user=user).order_by("pk"))
    for token in tokens:
        api_token_revoke(token=token, actor=actor)
    return len(tokens)


@dataclass(frozen=True)
class Entitlement:
    """What the licence check tells the desktop software (R-S1); the API returns it as it is."""

    licensed: bool
    product: str
    items: list[str]
    team: str | None
    message: str | None
    recheck_after: datetime
    offline_until: datetime


def _day_end(day: date) -> datetime:
    """The first moment after `day`, in the portal's time zone. After the last date there is (an end
    of term of 9999-12-31) there is none: then the last moment there is, not an OverflowError."""
    if day >= date.max:
        return timezone.make_aware(datetime.max)
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@dataclass
class _Seat:
    """One of a user's assignments of a product, as the licence check reads it (`_seats_of_user`)."""

    team_id: int
    team_name: str
    order: tuple  # (assigned_at, pk): the seat held longest first
    seats: int  # of the team's product (R-SE1)
    held_before: int  # the team's assignments of the product held before this one
    term_end: date | None  # the last day of the team's active subscriptions of the product
    used_today: bool  # today's seat usage recorded in this team (R-S3)
    items: list[str]  # the codes of the items assigned


@functools.cache
def _seats_sql(vendor: str) -> str:
    """The licence check's one query (`_seats_of_user`), made once per process: written out rather than
    built with the ORM, whose building of its five subqueries cost the check more than running them.
    One row per assignment, its item codes joined by commas (codes are slugs): a join of the items
    would run every subquery once per item. Parameters: today's date (five times), the user, the
    member status, the product."""
    quote = connection.ops.quote_name
    a, m, t = (quote(model._meta.db_table) for model in (Assignment, Member, Team))
    s, u, i = (quote(model._meta.db_table) for model in (Subscription, SeatUsage, ProductItem))
    ai = quote(Assignment.items.through._meta.db_table)
    active = f"FROM {s} s WHERE s.team_id = a.team_id AND s.product_id = a.product_id"
    active += " AND s.term_start <= %s AND s.term_end >= %s"
    pool = f"FROM {a} b WHERE b.team_id = a.team_id AND b.product_id = a.product_id"
    codes = "string_agg(i.code, ',')" if vendor == "postgresql" else "group_concat(i.code, ',')"
    # The ones held before: two ranges of the index (team, product, assigned_at, id), counted in it
    # alone (`Assignment.held_before`); no ORDER BY: with one, SQLite reads the product's assignments of
    # every team in the order of the index (product, assigned_at) instead of the user's few by member.
    return f"""
        SELECT a.id, a.assigned_at, a.team_id, t.name,
            (SELECT SUM(s.seats) {active}),
            (SELECT MAX(s.term_end) {active}),
            (SELECT COUNT(*) {pool} AND b.assigned_at < a.assigned_at)
                + (SELECT COUNT(*) {pool} AND b.assigned_at = a.assigned_at AND b.id < a.id),
            EXISTS (SELECT 1 FROM {u} x WHERE x.team_id = a.team_id AND x.user_id = m.user_id
                AND x.product_id = a.product_id AND x.day = %s),
            (SELECT {codes} FROM {ai} ai JOIN {i} i ON i.id = ai.productitem_id WHERE ai.assignment_id = a.id)
        FROM {a} a
        JOIN {m} m ON m.id = a.member_id
        JOIN {t} t ON t.id = a.team_id
        WHERE m.user_id = %s AND m.status = %s AND a.product_id = %s
    """


def _seats_of_user(user: User, product, today: date) -> list[_Seat]:
    """`user`'s assignments of `product` in the teams where they are an active member, each with what
    `Assignment.holds_licensed_seat` decides by (the same rule, in one query with the items)."""
    day = connection.ops.adapt_datefield_value(today)
    date_field, moment_field = models.DateField(), models.DateTimeField()
    with connection.cursor() as cursor:
        cursor.execute(
            _seats_sql(connection.vendor), [day, day, day, day, day, user.pk, Member.Status.ACTIVE, product.pk]
        )
        return [
            _Seat(
                team_id=team_id,
                team_name=team_name,
                order=(moment_field.to_python(assigned_at), pk),
                seats=total or 0,
                held_before=held_before,
                term_end=date_field.to_python(term_end),
                used_today=bool(used_today),
                items=codes.split(",") if codes else [],
            )
            for pk, assigned_at, team_id, team_name, total, term_end, held_before, used_today, codes in cursor
        ]


def entitlement_check(*, user: User, product, token: ApiToken | None = None) -> Entitlement:
    """Whether `user` may use `product` (R-S1): licensed when they hold a seat of it in any team
    where they are an active member (guests too; invited members not yet), and that seat is within
    the team's seats (`Assignment.holds_licensed_seat`: in an over-full pool only the longest-held
    assignments are licensed). The software is told the items assigned, across all of the user's
    licensed seats of the product. Otherwise it is told NOT_LICENSED, in the active language.

    A licensed check records one day of use (R-S3) for the seat held longest, in its team, however
    often the software checks that day. The software may check again after `LICENCE_RECHECK_HOURS`
    and keep working without a connection until `offline_until`: `LICENCE_OFFLINE_DAYS` from now,
    but never past the end of the team's subscriptions of the product or the token's expiry.
    """
    now = timezone.now()
    today = timezone.localdate(now)
    recheck_after = now + timedelta(hours=settings.LICENCE_RECHECK_HOURS)
    seats = _seats_of_user(user, product, today)
    seated = sorted((seat for seat in seats if seat.held_before < seat.seats), key=lambda seat: seat.order)
    if not seated:
        # R-API4: the teams' endpoints learn of it: an over-full pool (assigned, beyond the seats) or no seat.
        licence_refused_emit(user=user, product=product, over_allocated_team_ids={seat.team_id for seat in seats})
        return Entitlement(
            licensed=False,
            product=product.code,
            items=[],
            team=None,
            message=str(NOT_LICENSED),
            recheck_after=recheck_after,
            offline_until=now,
        )
    held_longest = seated[0]
    # R-S3: one row per user, product, team and day. The insert ignores a conflict on the unique
    # constraint, so two checks at once both succeed and leave one row (INSERT OR IGNORE on SQLite,
    # ON CONFLICT DO NOTHING on PostgreSQL); `used_today` spares the later checks of the day a write.
    if not held_longest.used_today:
        SeatUsage.objects.bulk_create(
            [SeatUsage(user=user, product=product, team_id=held_longest.team_id, day=today)], ignore_conflicts=True
        )
    ends = [now + timedelta(days=settings.LICENCE_OFFLINE_DAYS)]
    if held_longest.term_end is not None:
        ends.append(_day_end(held_longest.term_end))
    if token is not None:
        ends.append(token.expires_at)
    offline_until = min(ends)
    return Entitlement(
        licensed=True,
        product=product.code,
        items=sorted({code for seat in seated for code in seat.items}),
        team=held_longest.team_name,
        message=None,
        recheck_after=min(recheck_after, offline_until),
        offline_until=offline_until,
    )
