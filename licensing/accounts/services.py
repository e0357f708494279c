"""Bringing people into teams: invitations (R-U2..R-U7), their acceptance, and collaborators from a
connected collaboration product (R-G1)."""

import functools
import math
import secrets
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from licensing.accounts.invitations import invitation_send
from licensing.accounts.models import ApiToken, Invitation, SignInFailure, User, hash_token, new_token
from licensing.accounts.permissions import can_sign_out_devices
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, event_record, events_record
from licensing.subscriptions.models import Assignment, Product, ProductItem, SeatUsage, Subscription
from licensing.subscriptions.services import NO_FREE_SEAT, NO_SUBSCRIPTION, assignment_create, items_for_log
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members
from licensing.teams.services import lock_teams, member_read_again, require
from portal.db import service_transaction
from portal.mail import SEND_INLINE_MAX, mail_send_many

EMAIL_INVALID = _("Enter a valid e-mail address, like david.dejong@example.com.")
FIRST_NAME_REQUIRED = _("Enter a first name.")
LAST_NAME_REQUIRED = _("Enter a last name.")
# As long as User.first_name and last_name allow: refused in words, never cut off unseen.
NAME_MAX_LENGTH = 150
FIRST_NAME_TOO_LONG = _("A first name has at most %(max)d characters.")
LAST_NAME_TOO_LONG = _("A last name has at most %(max)d characters.")
# Control characters (NUL, escape, ...) come from a broken file or a script, never from a keyboard, and
# PostgreSQL cannot store NUL. Emoji joiners and right-to-left marks are format characters: allowed.
NAME_CONTROL_CHARACTER = _("A name cannot contain invisible control characters. Type it again.")
ALREADY_MEMBER = _("%(email)s is already a member of this team.")
INVITATION_UNKNOWN = _("This invitation link is not valid. Ask the admin of your team to send you a new invitation.")
INVITATION_USED = _("This invitation has already been accepted. Sign in with your e-mail address and password.")
INVITATION_EXPIRED = _(
    "This invitation has expired. Ask %(admin)s, the admin who invited you, to send a new invitation."
)
INVITATION_REVOKED = _(
    "This invitation link has been replaced by a newer one. Use the link in the most recent invitation mail."
)
NOT_INVITED = _("%(name)s has already accepted the invitation.")
PASSWORD_REQUIRED = _("Choose a password for your new account.")
WRONG_ACCOUNT = _("This invitation is for %(email)s. Sign out and sign in with that address.")


def person_clean(email: str, first_name: str, last_name: str) -> tuple[str, str, str]:
    """The e-mail address and names as they will be stored, or a ValidationError per field."""
    email = (email or "").strip()
    first_name = " ".join((first_name or "").split())
    last_name = " ".join((last_name or "").split())
    errors = {}
    try:
        validate_email(email)
        if len(email) > User._meta.get_field("email").max_length:
            raise ValidationError(EMAIL_INVALID)
    except ValidationError:
        errors["email"] = [EMAIL_INVALID]
    if not first_name:
        errors["first_name"] = [FIRST_NAME_REQUIRED]
    elif _has_control_character(first_name):
        errors["first_name"] = [NAME_CONTROL_CHARACTER]
    elif len(first_name) > NAME_MAX_LENGTH:
        errors["first_name"] = [FIRST_NAME_TOO_LONG % {"max": NAME_MAX_LENGTH}]
    if not last_name:
        errors["last_name"] = [LAST_NAME_REQUIRED]
    elif _has_control_character(last_name):
        errors["last_name"] = [NAME_CONTROL_CHARACTER]
    elif len(last_name) > NAME_MAX_LENGTH:
        errors["last_name"] = [LAST_NAME_TOO_LONG % {"max": NAME_MAX_LENGTH}]
    if errors:
        raise ValidationError(errors)
    return email, first_name, last_name


def _has_control_character(text: str) -> bool:
    return any(unicodedata.category(character) == "Cc" for character in text)


def user_get_or_create(*, email: str, first_name: str = "", last_name: str = "") -> tuple[User, bool]:
    """The account with this e-mail address in any case (R-U7), or a new one without a password.

    Two requests inviting the same new address at once cannot make two accounts: the database's
    unique Lower(email) makes the second insert fail, and it then takes the first one's account.
    """
    existing = User.objects.with_email(email).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return User.objects.create_user(email, None, first_name=first_name, last_name=last_name), True
    except IntegrityError:
        return User.objects.with_email(email).get(), False


@service_transaction
def member_invite(
    *,
    team: Team,
    email: str,
    first_name: str,
    last_name: str,
    products: Iterable = (),
    is_guest: bool = False,
    actor,
) -> Member:
    """Invite a person to `team` (R-U2, R-T5): status "Invited" until they accept, an invitation mail
    with a link that works once (R-U4), no products unless assigned now or later (R-U3).

    An address that already has an account, in any case, uses that account (R-U7) and keeps the
    person's other teams. Products given are assigned at once, each under the seat rules (R-SE1);
    if one cannot be assigned, nothing of the invitation is written.
    """
    if actor is not None:
        require(can_manage_members(actor, team))
    email, first_name, last_name = person_clean(email, first_name, last_name)
    lock_teams(team)
    user, _created = user_get_or_create(email=email, first_name=first_name, last_name=last_name)
    if Member.objects.filter(team=team, user=user).exists():
        raise ValidationError({"email": [ALREADY_MEMBER % {"email": user.email}]}, code="already_member")
    member = Member.objects.create(
        team=team, user=user, is_guest=is_guest, status=Member.Status.INVITED, invited_by=actor
    )
    event_record(
        action=ActivityEvent.Action.MEMBER_INVITED,
        actor=actor,
        team=team,
        target_user=user,
        target=user.get_full_name() or user.email,
        after={"email": user.email, "guest": is_guest},
    )
    invitation_send(member=member, actor=actor)
    for product in products:
        assignment_create(member=member, product=product, actor=actor)
    return member


@service_transaction
def invitation_resend(*, member: Member, actor) -> Invitation:
    """Send a new invitation to a member who has not accepted yet (R-U5); the old link stops working."""
    if actor is not None:
        require(can_manage_members(actor, member.team))
    lock_teams(member.team)
    member = member_read_again(member)
    if member.status != Member.Status.INVITED:
        raise ValidationError(NOT_INVITED % {"name": member.user.get_full_name() or member.user.email})
    invitation = invitation_send(member=member, actor=actor, resent=True)
    event_record(
        action=ActivityEvent.Action.INVITATION_RESENT,
        actor=actor,
        team=member.team,
        target_user=member.user,
        target=member.user.get_full_name() or member.user.email,
        after={"expires_at": invitation.expires_at.isoformat()},
    )
    return invitation


def invitation_for_token(raw_token: str) -> Invitation:
    """The invitation whose link carries `raw_token`, if that link may still be used; otherwise a
    ValidationError that tells the person what happened and whom to ask (R-U4, R-U5)."""
    invitation = (
        Invitation.objects.select_related("member__team", "member__user", "sent_by")
        .filter(token_hash=hash_token(raw_token or ""))
        .first()
    )
    if invitation is None:
        raise ValidationError(INVITATION_UNKNOWN, code="unknown")
    state = invitation.state
    if state == Invitation.State.ACCEPTED:
        raise ValidationError(INVITATION_USED, code="used")
    if state == Invitation.State.REVOKED:
        raise ValidationError(INVITATION_REVOKED, code="revoked")
    if state == Invitation.State.EXPIRED:
        admin = invitation.sent_by or invitation.member.invited_by
        name = (
            (admin.get_full_name() or admin.email)
            if admin
            else _("an admin of %(team)s") % {"team": invitation.member.team}
        )
        raise ValidationError(INVITATION_EXPIRED % {"admin": name}, code="expired")
    return invitation


@service_transaction
def invitation_accept(*, raw_token: str, password: str | None = None, signed_in_user=None) -> Member:
    """Accept an invitation: the member becomes "Active" (R-U2) and the link is used up (R-U4).

    A person without an account yet chooses their own password here. A person who has an account
    must be signed in as that account, so a forwarded mail cannot take someone else's seat.
    """
    invitation = invitation_for_token(raw_token)
    # Lock the team first, as every service does, then the invitation row, so that two clicks on the
    # same link accept it once. Locking the member and team rows in the invitation's join instead
    # deadlocks with an admin who holds the team and assigns the invited member a product meanwhile.
    lock_teams(invitation.member.team)
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .select_related("member__user", "member__team")
        .get(pk=invitation.pk)
    )
    if invitation.state != Invitation.State.PENDING:
        invitation_for_token(raw_token)  # raises the message for what happened meanwhile
    member = invitation.member
    user = member.user
    if user.has_usable_password():
        if signed_in_user is None or signed_in_user.pk != user.pk:
            raise ValidationError(WRONG_ACCOUNT % {"email": user.email}, code="wrong_account")
    else:
        if not password:
            raise ValidationError({"password": [PASSWORD_REQUIRED]}, code="password_required")
        validate_password(password, user)
        user.set_password(password)
        user.save(update_fields=["password"])
    now = timezone.now()
    invitation.accepted_at = now
    invitation.save(update_fields=["accepted_at"])
    member.status = Member.Status.ACTIVE
    member.accepted_at = now
    member.save(update_fields=["status", "accepted_at"])
    event_record(
        action=ActivityEvent.Action.INVITATION_ACCEPTED,
        actor=user,
        team=member.team,
        target_user=user,
        target=user.get_full_name() or user.email,
        before={"status": Member.Status.INVITED},
        after={"status": Member.Status.ACTIVE},
    )
    return member


@service_transaction
def collaborator_add(*, team: Team, email: str, first_name: str, last_name: str) -> Member:
    """A person added to the team from a connected cloud-collaboration product comes in as a guest
    (R-G1). Someone who is already a member keeps their place and role."""
    user = User.objects.with_email(email.strip()).first()
    if user is not None:
        existing = Member.objects.filter(team=team, user=user).first()
        if existing is not None:
            return existing
    return member_invite(team=team, email=email, first_name=first_name, last_name=last_name, is_guest=True, actor=None)


def user_set_language(*, user: User, language: str) -> None:
    """Remember the language `user` reads the portal in, so that their mails come in it too (SPEC §4).
    A language the portal does not offer is ignored."""
    if language in dict(settings.LANGUAGES) and user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# --- Many people at once (Import, R-U6) ---------------------------------------------------------

# E-mail addresses per query when looking up accounts: below every database's limit of parameters,
# and few enough that PostgreSQL reads them through the Lower(email) index (with 900 it chose to
# scan the whole table of a large customer: 0.16 s a query instead of 0.01 s).
_EMAIL_CHUNK = 250
# People written at once: their accounts, members, invitations, activity rows and mails are built,
# inserted and let go chunk by chunk, so that an import of thousands holds a chunk in memory, not all.
_CHUNK_SIZE = 500
_BATCH_SIZE = 500


@dataclass
class InviteManyResult:
    """What `member_invite_many` did, row by row: `members[i]` is the member invited for the i-th row,
    or None when that row was refused, with the reasons in `errors[i]`. `already_members` holds the
    indexes of the rows refused because the address is a member of the team already."""

    members: list[Member | None]
    errors: list[list[str]]
    already_members: set[int] = field(default_factory=set)

    @property
    def created(self) -> list[Member]:
        return [member for member in self.members if member is not None]


@service_transaction
def member_invite_many(*, team: Team, rows: Iterable, actor) -> InviteManyResult:
    """Invite many people to `team` at once (R-U6): for every row what `member_invite` does for one,
    in one transaction, with a number of queries that does not grow with the rows (but for chunks of
    a few hundred).

    Each row has `email`, `first_name`, `last_name` and `products` (an `imports.ImportRow` has them).
    A row is invited whole or not at all. It is refused, with its reasons, while the other rows are
    still invited, when its names or address are invalid, the address is already a member (or an
    earlier row has it), or one of its products has no free seat once the earlier rows have theirs
    (R-SE1). An address that has an account, in any case, uses that account (R-U7). Everyone invited
    gets the invitation mail (R-U4) and a mail per product assigned (R-P3), and the activity log the
    rows `member_invite` writes.
    """
    if actor is not None:
        require(can_manage_members(actor, team))
    rows = list(rows)
    result = InviteManyResult(members=[None] * len(rows), errors=[[] for _row in rows])
    people = []  # (row index, e-mail address, first name, last name, products), rows that are well-formed
    for index, row in enumerate(rows):
        try:
            email, first_name, last_name = person_clean(row.email, row.first_name, row.last_name)
        except ValidationError as error:
            result.errors[index] = [str(message) for message in error.messages]
            continue
        products = list({product.pk: product for product in (getattr(row, "products", None) or ())}.values())
        people.append((index, email, first_name, last_name, products))

    # Lock the team once, as member_invite does for one: the members and seats read below stay true
    # until commit.
    lock_teams(team)
    accounts = _accounts_by_email(team, {person[1].lower() for person in people})
    product_pks = {product.pk for person in people for product in person[4]}
    pools = {product.pk: product for product in Product.objects.filter(pk__in=product_pks).with_seat_counts(team)}

    invited = {}  # lower-case address -> the address as the row that has it gives it
    taken: Counter = Counter()  # product pk -> seats the rows above take
    chosen = []
    for index, email, first_name, last_name, products in people:
        key = email.lower()
        account = accounts.get(key)
        if key in invited or (account is not None and account.is_team_member):
            known = account.email if account is not None else invited[key]
            result.errors[index] = [str(ALREADY_MEMBER % {"email": known})]
            if key not in invited:
                result.already_members.add(index)
            continue
        refusals = []
        for product in products:
            pool = pools[product.pk]
            if pool.seats_purchased == 0:
                refusals.append(str(NO_SUBSCRIPTION % {"product": pool.name}))
            elif pool.seats_assigned + taken[pool.pk] >= pool.seats_purchased:
                refusals.append(str(NO_FREE_SEAT % {"seats": pool.seats_purchased, "product": pool.name}))
        if refusals:
            result.errors[index] = refusals
            continue
        invited[key] = email
        taken.update(product.pk for product in products)
        chosen.append((index, email, first_name, last_name, [pools[product.pk] for product in products]))

    items = defaultdict(list)  # product pk -> all its items: an assignment made here has them all (R-P2)
    for item in ProductItem.objects.filter(product__in=pools.keys()):
        items[item.product_id].append(item)
    batch = _InviteBatch(
        team=team,
        actor=actor,
        now=timezone.now(),
        items=items,
        # One mail per invitation and per product: as many as mail_send_many sends at once, or fewer,
        # go after commit as one invitation's do; more wait in the queue for the mail sender (cron).
        send_inline=len(chosen) + sum(len(person[4]) for person in chosen) <= SEND_INLINE_MAX,
    )
    for start in range(0, len(chosen), _CHUNK_SIZE):
        part = chosen[start : start + _CHUNK_SIZE]
        for (index, *_person), member in zip(part, batch.invite(part, accounts), strict=True):
            result.members[index] = member
    batch.mail()
    return result


@dataclass
class _InviteBatch:
    """The writes of `member_invite_many` for one chunk of its chosen rows at a time."""

    team: Team
    actor: User | None
    now: datetime
    items: dict
    send_inline: bool
    # What the mails need, kept until every row is written: (user, raw token) of each invitation,
    # and the users each product was assigned to.
    tokens: list[tuple[User, str]] = field(default_factory=list)
    assigned: dict[Product, list[User]] = field(default_factory=lambda: defaultdict(list))

    def invite(self, chosen: list[tuple], accounts: dict[str, User]) -> list[Member]:
        team, actor, now = self.team, self.actor, self.now
        users = self.users(chosen, accounts)
        members = [
            Member(team=team, user=user, status=Member.Status.INVITED, invited_by=actor, invited_at=now)
            for user in users
        ]
        Member.objects.bulk_create(members, batch_size=_BATCH_SIZE)

        expires_at = Invitation.default_expiry(now)
        sent_by = actor.pk if actor is not None else None
        tokens, invitations = [], []
        for member in members:
            raw, digest = new_token()
            tokens.append(raw)
            invitations.append(
                Invitation(
                    member_id=member.pk, token_hash=digest, sent_by_id=sent_by, created_at=now, expires_at=expires_at
                )
            )
        Invitation.objects.bulk_create(invitations, batch_size=_BATCH_SIZE)

        assignments = [
            Assignment(member=member, product=product, assigned_by=actor, assigned_at=now)
            for member, (*_person, products) in zip(members, chosen, strict=True)
            for product in products
        ]
        if assignments:
            Assignment.objects.bulk_create(assignments, batch_size=_BATCH_SIZE)
            through = Assignment.items.through
            through.objects.bulk_create(
                [
                    through(assignment_id=assignment.pk, productitem_id=item.pk)
                    for assignment in assignments
                    for item in self.items[assignment.product_id]
                ],
                batch_size=_BATCH_SIZE,
            )

        events = []
        for user, (*_person, products) in zip(users, chosen, strict=True):
            name = user.get_full_name() or user.email
            events.append(
                event_build(
                    action=ActivityEvent.Action.MEMBER_INVITED,
                    actor=actor,
                    team=team,
                    target_user=user,
                    target=name,
                    after={"email": user.email, "guest": False},
                )
            )
            events += [
                event_build(
                    action=ActivityEvent.Action.PRODUCT_ASSIGNED,
                    actor=actor,
                    team=team,
                    target_user=user,
                    product=product,
                    target=name,
                    after=items_for_log(self.items[product.pk]),
                )
                for product in products
            ]
        events_record(events)

        self.tokens += zip(users, tokens, strict=True)
        for assignment in assignments:
            self.assigned[assignment.product].append(assignment.member.user)
        return members

    def mail(self) -> None:
        """The mails invitation_send and assignment_create send (R-U4, R-P3), queued once every row is
        written, chunk by chunk, each chunk rendered once per language by mail_send_many."""
        team, actor = self.team, self.actor
        expires_at = Invitation.default_expiry(self.now)  # every invitation of the batch expires then
        for start in range(0, len(self.tokens), _CHUNK_SIZE):
            part = self.tokens[start : start + _CHUNK_SIZE]
            for has_account in (False, True):
                mail_send_many(
                    template="invitation",
                    context={
                        "team": team,
                        "actor": actor,
                        "invitation": {"expires_at": expires_at},
                        "has_account": has_account,
                    },
                    recipients=[
                        (user, {"accept_path": f"/invitations/{raw}/"})
                        for user, raw in part
                        if user.has_usable_password() == has_account
                    ],
                    send_inline=self.send_inline,
                )
        for product, users in self.assigned.items():
            for start in range(0, len(users), _CHUNK_SIZE):
                mail_send_many(
                    template="product_assigned",
                    context={"team": team, "actor": actor, "product": product, "items": self.items[product.pk]},
                    recipients=[(user, {}) for user in users[start : start + _CHUNK_SIZE]],
                    send_inline=self.send_inline,
                )

    def users(self, chosen: list[tuple], accounts: dict[str, User]) -> list[User]:
        """The account of each chosen row: the one its address has (R-U7), or a new one."""
        new_users = []
        for _index, email, first_name, last_name, _products in chosen:
            if email.lower() not in accounts:
                user = User(email=User.objects.normalize_email(email), first_name=first_name, last_name=last_name)
                # Unusable until the invitation sets one (R-U4). What set_unusable_password() stores, with
                # a suffix from the OS's random source: 40 secrets.choice() calls a user add up for thousands.
                user.password = UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)
                new_users.append(user)
        if new_users:
            try:
                # The INSERTs return the new accounts' keys, so they need not be read again.
                with transaction.atomic():
                    User.objects.bulk_create(new_users, batch_size=_BATCH_SIZE)
            except IntegrityError:
                # An account made meanwhile by another request (the unique Lower(email) refuses the
                # second): insert the others, then use that one (R-U7), as user_get_or_create does.
                User.objects.bulk_create(new_users, batch_size=_BATCH_SIZE, ignore_conflicts=True)
                accounts.update(_accounts_by_email(self.team, {user.email.lower() for user in new_users}))
            else:
                accounts.update((user.email.lower(), user) for user in new_users)
        return [accounts[email.lower()] for _index, email, *_rest in chosen]


def _accounts_by_email(team: Team, emails: set[str]) -> dict[str, User]:
    """The accounts of these lower-case addresses, by lower-case address, each with `is_team_member`
    (of `team`). One query per _EMAIL_CHUNK addresses."""
    found = {}
    ordered = sorted(emails)
    for start in range(0, len(ordered), _EMAIL_CHUNK):
        users = (
            User.objects.alias(email_lower=Lower("email"))
            .filter(email_lower__in=ordered[start : start + _EMAIL_CHUNK])
            .annotate(is_team_member=Exists(Member.objects.filter(team=team, user=OuterRef("pk"))))
            .order_by()
        )
        found.update((user.email.lower(), user) for user in users)
    return found


# --- Desktop sign-in and the licence check (R-S1..R-S3) ------------------------------------------
# The API in licensing/accounts/api.py is glue around these functions.

NOT_LICENSED = _("Contact your administrator to request permission to use this product.")
SIGNIN_FAILED = _("The e-mail address or password is not correct.")
SIGNIN_THROTTLED = ngettext_lazy(
    "Too many failed sign-ins. Try again in %(minutes)d minute.",
    "Too many failed sign-ins. Try again in %(minutes)d minutes.",
    "minutes",
)
DEVICE_NAME_REQUIRED = _("Give the device a name, like “Drawing office PC”.")
DEVICE_NAME_MAX_LENGTH = 100
# A token's "last used" is written at most this often: a device that checks every few seconds
# (a script, a misbehaving client) must not write a row on every check.
TOKEN_LAST_USED_PRECISION = timedelta(minutes=5)


def _email_hash(email: str) -> str:
    """The e-mail address as the rate limit stores it: hashed, whatever the case (SignInFailure)."""
    return hash_token((email or "").strip().lower())


def signin_wait(*, email: str, ip_address: str | None) -> int:
    """Seconds before the desktop software may try to sign in again from `ip_address` or for
    `email`; 0 when it may now.

    Each of the two has a number of failed sign-ins it may have within the last
    `API_SIGNIN_WINDOW_MINUTES` (a sliding window); once it has that many, the next attempt waits
    until the oldest of them has left the window. A limit of 0 is no limit."""
    now = timezone.now()
    window = timedelta(minutes=settings.API_SIGNIN_WINDOW_MINUTES)
    wait = timedelta(0)
    for limit, lookup in (
        (settings.API_SIGNIN_FAILURES_PER_IP, {"ip_address": ip_address}),
        (settings.API_SIGNIN_FAILURES_PER_EMAIL, {"email_hash": _email_hash(email)}),
    ):
        if limit <= 0 or None in lookup.values():
            continue
        recent = list(
            SignInFailure.objects.filter(**lookup, created_at__gt=now - window)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            wait = max(wait, recent[-1] + window - now)
    return math.ceil(wait.total_seconds())


def api_token_create(
    *, email: str, password: str, device_name: str, ip_address: str | None = None
) -> tuple[ApiToken, str]:
    """Sign a device in to the desktop software with an account's e-mail address and password (R-S2):
    a new token, returned once as (token row, raw token); only its hash is stored. The device sends
    it instead of the password until it expires (`API_TOKEN_DAYS`) or is signed out.

    Wrong credentials are refused with the same SIGNIN_FAILED whether or not the address has an
    account (and the backend takes as long either way). Failures count towards the rate limit
    (`signin_wait`); beyond it every attempt, right or wrong, is refused with SIGNIN_THROTTLED, code
    "throttled", and `params["retry_after"]` in seconds. A successful sign-in clears the account's
    count, not the address's.

    Not one transaction: the password check is slow on purpose, and on SQLite an open transaction
    holds the write lock. Each write stands alone. Concurrent attempts may each pass the limit
    before any of them has failed, so the limit is exact only for attempts one after another.
    """
    device_name = " ".join((device_name or "").split())[:DEVICE_NAME_MAX_LENGTH]
    if not device_name:
        raise ValidationError({"device_name": [DEVICE_NAME_REQUIRED]}, code="device_name")
    wait = signin_wait(email=email, ip_address=ip_address)
    if wait:
        raise ValidationError(
            SIGNIN_THROTTLED, code="throttled", params={"minutes": math.ceil(wait / 60), "retry_after": wait}
        )
    user = authenticate(None, email=email, password=password)
    now = timezone.now()
    if user is None:
        # Forget what has left the window, so that the table stays as small as the window.
        window = timedelta(minutes=settings.API_SIGNIN_WINDOW_MINUTES)
        SignInFailure.objects.filter(created_at__lte=now - window).delete()
        SignInFailure.objects.create(ip_address=ip_address, email_hash=_email_hash(email), created_at=now)
        raise ValidationError(SIGNIN_FAILED, code="signin_failed")
    SignInFailure.objects.filter(email_hash=_email_hash(email)).delete()
    raw, digest = new_token()
    token = ApiToken.objects.create(
        user=user, device_name=device_name, token_hash=digest, created_at=now, expires_at=ApiToken.default_expiry(now)
    )
    return token, raw


def api_token_authenticate(raw_token: str) -> ApiToken | None:
    """The token a device sent, with its user, if it still signs the device in: not expired, not
    signed out, and its account active. Notes when it was last used (every few minutes at most)."""
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(token_hash=hash_token(raw_token or ""), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOKEN_LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


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
