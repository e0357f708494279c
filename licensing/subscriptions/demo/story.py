"""The demo customer, Van der Berg Ingenieurs B.V., built through the services as the portal would
have built it over the past ten months.

`Story` holds the story clock (`Story.at`), which dates the rows each chapter writes so that the
activity log, the invitations and the assignments carry believable dates, and the verbs the
chapters are told in (invite, accept, assign, buy ...); the chapters themselves are in `chapters`.
"""

from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db.models import Q
from django.utils import timezone

from licensing.accounts.models import Invitation, User, new_token
from licensing.accounts.services import invitation_accept, member_invite, user_get_or_create
from licensing.activity.models import ActivityEvent
from licensing.groups.models import Group, GroupMember, GroupProduct, SeatWait
from licensing.subscriptions.demo.people import DEMO_CUSTOMER, FIXED_EMAILS, PEOPLE, email_of
from licensing.subscriptions.models import Assignment, Contract, Product, ProductItem, Subscription
from licensing.subscriptions.purchases import purchase_record
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import member_change_role

C1, C2, C3 = "110004821773", "110005390218", "110006117402"
HQ, INFRA, MEP = "hq", "infra", "mep"  # the teams of the story
CONNECT_SITE = "Havenkade Rotterdam (connect.tessaline.example/vdb-havenkade)"


class Story:
    """Builds the demo customer through the services, one dated chapter at a time."""

    def __init__(self, products: dict[str, Product]):
        self.today = timezone.localdate()
        self.products = products
        self.customer = Customer.objects.create(name=DEMO_CUSTOMER)
        self.users: dict[str, User] = {}
        self.teams: dict[str, Team] = {}
        self.subscriptions: dict[str, Subscription] = {}
        # assignment pk -> the last day the licence check seated it (its pool became over-full)
        self.seated_until: dict[int, date] = {}
        # One hash for every demo person but the fixed logins: a password nobody knows, hashed once
        # (hashing is slow on purpose, and forty of them would take half a minute).
        self.unknown_password = make_password(new_token()[0])
        self.support: User | None = None
        self.last_when = timezone.now() - timedelta(days=3650)

    # The story clock --------------------------------------------------------------------------

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    @contextmanager
    def at(self, days_ago: int, clock: str):
        """Date what the chapter writes: every timestamp set while it runs becomes `clock` on the day
        `days_ago` days before today (a weekend day moves to the Friday before, and the story never
        goes back in time). Invitations keep their real expiry until `finish`, so that they can
        still be accepted in a later chapter. Yields the moment."""
        started = timezone.now()
        day = self.day(days_ago)
        day -= timedelta(days=max(0, day.weekday() - 4))
        when = max(
            timezone.make_aware(datetime.combine(day, time.fromisoformat(clock))),
            self.last_when + timedelta(minutes=7),
        )
        self.last_when = when
        yield when
        c = self.customer
        dated = [
            (ActivityEvent.objects.filter(team__customer=c), ["created_at"]),
            (Team.objects.filter(customer=c), ["created_at"]),
            (Contract.objects.filter(customer=c), ["created_at"]),
            (Subscription.objects.filter(contract__customer=c), ["created_at"]),
            (Member.objects.filter(team__customer=c), ["invited_at", "accepted_at"]),
            (Invitation.objects.filter(member__team__customer=c), ["created_at", "accepted_at", "revoked_at"]),
            (Assignment.objects.filter(member__team__customer=c), ["assigned_at"]),
            (Group.objects.filter(team__customer=c), ["created_at"]),
            (GroupMember.objects.filter(group__team__customer=c), ["joined_at"]),
            (GroupProduct.objects.filter(group__team__customer=c), ["assigned_at"]),
            (SeatWait.objects.filter(group__team__customer=c), ["since"]),
            (
                User.objects.filter(Q(memberships__team__customer=c) | Q(email__in=FIXED_EMAILS)).distinct(),
                ["date_joined"],
            ),
        ]
        for queryset, fields in dated:
            for field in fields:
                pks = list(queryset.filter(**{f"{field}__gte": started}).values_list("pk", flat=True))
                queryset.model.objects.filter(pk__in=pks).update(**{field: when})

    def finish(self) -> None:
        for invitation in Invitation.objects.filter(member__team__customer=self.customer):
            invitation.expires_at = Invitation.default_expiry(invitation.created_at)
            invitation.save(update_fields=["expires_at"])

    # People -----------------------------------------------------------------------------------

    def person(self, key: str) -> User:
        if key not in self.users:
            first, last, _ = PEOPLE[key]
            user, _created = user_get_or_create(email=email_of(key), first_name=first, last_name=last)
            self.users[key] = user
        return self.users[key]

    def member(self, team: str, key: str) -> Member:
        return Member.objects.select_related("user", "team").get(team=self.teams[team], user=self.person(key))

    def invite(self, team: str, key: str, *, by: str, products: Iterable[str] = (), guest: bool = False) -> Member:
        first, last, _ = PEOPLE[key]
        member = member_invite(
            team=self.teams[team],
            email=email_of(key),
            first_name=first,
            last_name=last,
            products=[self.products[code] for code in products],
            is_guest=guest,
            actor=self.person(by),
        )
        self.users[key] = member.user
        return member

    def accept(self, team: str, key: str) -> Member:
        """The invited person follows the link in their mail. Only the mail holds the link's raw token,
        so the story gives the pending invitation a token it knows, then accepts it as the person,
        signed in: the accounts of the demo have a password already (see `unknown_password`)."""
        member = self.member(team, key)
        user = member.user
        if not user.has_usable_password():
            user.password = self.unknown_password
            user.save(update_fields=["password"])
        raw, digest = new_token()
        Invitation.objects.filter(member=member).pending().update(token_hash=digest)
        return invitation_accept(raw_token=raw, signed_in_user=user)

    def role(self, team: str, key: str, role: str, *, by: str) -> None:
        member_change_role(member=self.member(team, key), role=role, actor=self.person(by))

    def assign(self, team: str, key: str, code: str, *, by: str, items: Iterable[str] | None = None) -> Assignment:
        product = self.products[code]
        chosen = None if items is None else list(ProductItem.objects.filter(product=product, code__in=items))
        return assignment_create(member=self.member(team, key), product=product, items=chosen, actor=self.person(by))

    def buy(self, name: str, contract: str, manager: str, code: str, seats: int, start: int, end: int, **flags):
        """A purchase arrives from the order system: `start` days ago, ending `end` days from today."""
        self.subscriptions[name] = purchase_record(
            customer=self.customer,
            contract_number=contract,
            manager=self.person(manager),
            product=self.products[code],
            seats=seats,
            term_start=self.day(start),
            term_end=self.today + timedelta(days=end),
            **flags,
        )
        return self.subscriptions[name]
