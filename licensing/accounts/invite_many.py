"""Inviting many people at once (Invite Multiple's confirm and the CSV Import, R-U6): for every row
what `services.member_invite` does for one, in one transaction and chunk by chunk, with a number of
queries that does not grow with the rows."""

import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone

from licensing.accounts.invitations import invitations_allow
from licensing.accounts.models import Invitation, User, new_token
from licensing.accounts.services import ALREADY_MEMBER, person_clean
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, events_record
from licensing.subscriptions.models import Assignment, Product, ProductItem
from licensing.subscriptions.services import NO_FREE_SEAT, NO_SUBSCRIPTION, items_for_log
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members
from licensing.teams.services import lock_teams, require
from portal.db import service_transaction
from portal.mail import SMALL_BATCH, mail_send_many

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
    rows `member_invite` writes. If the rows to invite are more than the admin or the team may still
    be sent (`invitations_allow`), nobody is invited: a ValidationError says how many may go, and when.
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

    # All or nothing: invitations beyond the admin's or the team's limit refuse the whole batch, before
    # anything is written (an import's preview stays, to confirm later or in smaller files).
    invitations_allow(team=team, actor=actor, count=len(chosen))
    items = defaultdict(list)  # product pk -> all its items: an assignment made here has them all (R-P2)
    for item in ProductItem.objects.filter(product__in=pools.keys()):
        items[item.product_id].append(item)
    batch = _InviteBatch(
        team=team,
        actor=actor,
        now=timezone.now(),
        items=items,
        # One mail per invitation and per product: more than a small batch are bulk, sent by their jobs
        # after the mails of single changes (portal.mail).
        bulk=len(chosen) + sum(len(person[4]) for person in chosen) > SMALL_BATCH,
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
    bulk: bool
    # What the mails need, kept until every row is written: (member, raw token) of each invitation,
    # and the users each product was assigned to.
    tokens: list[tuple[Member, str]] = field(default_factory=list)
    assigned: dict[Product, list[User]] = field(default_factory=lambda: defaultdict(list))

    def invite(self, chosen: list[tuple], accounts: dict[str, User]) -> list[Member]:
        team, actor, now = self.team, self.actor, self.now
        users = self.users(chosen, accounts)
        members = [
            Member(
                team=team,
                user=user,
                status=Member.Status.INVITED,
                invited_by=actor,
                invited_at=now,
                invited_first_name=first_name,  # what this team sees until they accept (Member.name)
                invited_last_name=last_name,
            )
            for user, (_index, _email, first_name, last_name, _products) in zip(users, chosen, strict=True)
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
        for user, member, (*_person, products) in zip(users, members, chosen, strict=True):
            name = member.name
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

        self.tokens += zip(members, tokens, strict=True)
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
                        # Greeted by the name this team typed, as invitation_send does.
                        (member.user, {"accept_path": f"/invitations/{raw}/", "greeting_name": member.first_name})
                        for member, raw in part
                        if member.user.has_usable_password() == has_account
                    ],
                    bulk=self.bulk,
                )
        for product, users in self.assigned.items():
            for start in range(0, len(users), _CHUNK_SIZE):
                mail_send_many(
                    template="product_assigned",
                    context={"team": team, "actor": actor, "product": product, "items": self.items[product.pk]},
                    recipients=[(user, {}) for user in users[start : start + _CHUNK_SIZE]],
                    bulk=self.bulk,
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
