"""The demo data of `manage.py seed_demo`: a believable customer, and a large one for benchmarks.

The demo customer, Van der Berg Ingenieurs B.V., is built through the services, chapter by chapter,
as the portal would have built it over the past ten months: purchases arrive, admins invite people
who accept, roles change, seats are handed out, a subscription moves, support allows an
over-allocation. A story clock (`_Story.at`) dates the rows each chapter writes, so the activity
log, the invitations and the assignments carry believable dates. Only the seat usage (90 days of it,
with a weekday rhythm) is written in bulk.

The large customer of `--users N` is written with bulk inserts, under the same invariants (one
primary admin per team, admins are not guests, seats >= assignments in every pool) and with a
minimal activity log.

The catalogue is that of a fictional CAD vendor, Tessaline Software. Product codes are stable: the
desktop licence check sends them.
"""

import random
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from mailer.models import Message

from licensing.accounts.models import Invitation, User, new_token
from licensing.accounts.services import collaborator_add, invitation_accept, member_invite, user_get_or_create
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.subscriptions.models import Assignment, Contract, Product, ProductItem, SeatUsage, Subscription
from licensing.subscriptions.purchases import purchase_record
from licensing.subscriptions.services import (
    assignment_create,
    assignment_delete,
    assignment_update,
    subscription_move,
    subscription_set_seats,
)
from licensing.teams.models import Customer, Member, Team
from licensing.teams.services import member_change_role, member_set_guest, team_create

DEMO_CUSTOMER = "Van der Berg Ingenieurs B.V."
BULK_CUSTOMER = "Rijnmond Infra Groep N.V."
DEMO_PASSWORD = "demo"
USAGE_DAYS = 90
BATCH_SIZE = 5000
COMPANY_DOMAIN = "vanderberg-ingenieurs.example"
BULK_DOMAIN = "rijnmond-infra.example"

# --- The catalogue of Tessaline Software (fictional) -------------------------------------------

SOFTWARE, SERVICE = ProductItem.Kind.SOFTWARE, ProductItem.Kind.SERVICE
CATALOGUE = [
    # code, name, kind, is_collaboration, description, items (code, name, kind)
    (
        "tessaline-aec-collection",
        "Tessaline AEC Collection",
        Product.Kind.COLLECTION,
        False,
        "Draftline, Structa, Terrain Studio and Solvista Render in one subscription, with cloud rendering "
        "and online storage.",
        [
            ("draftline", "Draftline", SOFTWARE),
            ("structa", "Structa", SOFTWARE),
            ("terrain-studio", "Terrain Studio", SOFTWARE),
            ("solvista-render", "Solvista Render", SOFTWARE),
            ("cloud-rendering", "Cloud rendering", SERVICE),
            ("online-storage", "Online storage (1 TB)", SERVICE),
        ],
    ),
    (
        "draftline",
        "Draftline",
        Product.Kind.SOFTWARE,
        False,
        "2D drafting and 3D modelling for buildings and infrastructure.",
        [
            ("draftline-desktop", "Draftline desktop", SOFTWARE),
            ("draftline-web", "Draftline Web & Mobile", SERVICE),
            ("online-storage", "Online storage (100 GB)", SERVICE),
        ],
    ),
    (
        "structa",
        "Structa",
        Product.Kind.SOFTWARE,
        False,
        "Structural analysis and design of steel, concrete and timber structures.",
        [("structa-desktop", "Structa desktop", SOFTWARE), ("cloud-analysis", "Cloud analysis", SERVICE)],
    ),
    (
        "terrain-studio",
        "Terrain Studio",
        Product.Kind.SOFTWARE,
        False,
        "Civil design: roads, dikes, terrain models and drainage.",
        [
            ("terrain-studio-desktop", "Terrain Studio desktop", SOFTWARE),
            ("point-cloud-processing", "Point cloud processing", SERVICE),
        ],
    ),
    (
        "solvista-render",
        "Solvista Render",
        Product.Kind.SOFTWARE,
        False,
        "Photorealistic visualisation and animation of designs.",
        [
            ("solvista-render-desktop", "Solvista Render desktop", SOFTWARE),
            ("cloud-rendering", "Cloud rendering", SERVICE),
        ],
    ),
    (
        "pipeflow-mep",
        "Pipeflow MEP",
        Product.Kind.SOFTWARE,
        False,
        "Design of mechanical, electrical and plumbing systems.",
        [("pipeflow-desktop", "Pipeflow desktop", SOFTWARE)],
    ),
    (
        "tessaline-connect",
        "Tessaline Connect",
        Product.Kind.CLOUD,
        True,
        "Shared project sites for documents, design review and model coordination with partners.",
        [
            ("document-management", "Document management", SERVICE),
            ("design-review", "Design review", SERVICE),
            ("model-coordination", "Model coordination", SERVICE),
        ],
    ),
]


def catalogue_upsert() -> dict[str, Product]:
    """Create or update the vendor's products and items by code; returns the products by code."""
    products = {}
    for code, name, kind, is_collaboration, description, items in CATALOGUE:
        product, _created = Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "is_collaboration": is_collaboration,
                "description": description,
                "download_url": f"https://downloads.tessaline.example/{code}/",
            },
        )
        for item_code, item_name, item_kind in items:
            ProductItem.objects.update_or_create(
                product=product, code=item_code, defaults={"name": item_name, "kind": item_kind}
            )
        products[code] = product
    return products


# --- The people ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    email: str
    who: str


LOGINS = [
    Login("admin@example.com", "Sanne Bakker: primary admin of the first team, secondary admin of Infra & Waterbouw"),
    Login("secondary@example.com", "Daan Visser: secondary admin of the first team"),
    Login("user@example.com", "Lotte de Boer: a user with Draftline and Solvista Render, not the other products"),
    Login("support@example.com", "support staff of the vendor: the Django admin at /admin/"),
]
FIXED_EMAILS = [login.email for login in LOGINS]

# key: first name, last name, e-mail (None: firstname.lastname at the company's domain)
PEOPLE = {
    "sanne": ("Sanne", "Bakker", "admin@example.com"),
    "daan": ("Daan", "Visser", "secondary@example.com"),
    "lotte": ("Lotte", "de Boer", "user@example.com"),
    "thijs": ("Thijs", "Hendriks", None),
    "noor": ("Noor", "El Amrani", None),
    "jeroen": ("Jeroen", "van Dijk", None),
    "anouk": ("Anouk", "Vermeulen", None),
    "pieter": ("Pieter", "de Graaf", None),
    "femke": ("Femke", "Jacobs", None),
    "ruben": ("Ruben", "Kok", None),
    "marloes": ("Marloes", "van Leeuwen", None),
    "sven": ("Sven", "Dekker", None),
    "esther": ("Esther", "Kuipers", None),
    "wouter": ("Wouter", "Peeters", None),
    "tomasz": ("Tomasz", "Nowak", "t.nowak@nowak-constructieadvies.example"),
    "koen": ("Koen", "van den Heuvel", None),
    "ilse": ("Ilse", "Brouwer", None),
    "bram": ("Bram", "Mulder", None),
    "yara": ("Yara", "Bosman", None),
    "hannah": ("Hannah", "Schmidt", None),
    "joost": ("Joost", "Willems", None),
    "lieke": ("Lieke", "Verbeek", None),
    "mehmet": ("Mehmet", "Yılmaz", "mehmet.yilmaz@vanderberg-ingenieurs.example"),
    "kees": ("Kees", "Koster", None),
    "roel": ("Roel", "Smeets", None),
    "lars": ("Lars", "Johansson", "lars.johansson@nordhavn-hydro.example"),
    "amelie": ("Amélie", "Dubois", "a.dubois@atelier-dubois.example"),
    "jan": ("Jan", "Pauwels", "jan@pauwels-landmeters.example"),
    "marta": ("Marta", "Kowalczyk", "marta.kowalczyk@baltic-geotech.example"),
    "fleur": ("Fleur", "Smit", None),
    "gijs": ("Gijs", "van der Linden", None),
    "emma": ("Emma", "Janssen", None),
    "lucas": ("Lucas", "Maes", None),
    "saskia": ("Saskia", "Hoekstra", None),
    "niels": ("Niels", "Prins", None),
    "ahmed": ("Ahmed", "Bouzid", None),
    "rik": ("Rik", "de Wit", "rik@dewit-installatieadvies.example"),
    "vera": ("Vera", "Claes", None),
}
SUPPORT = ("Tessaline", "Support", "support@example.com")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


def _email(key: str) -> str:
    first, last, email = PEOPLE[key]
    return email or f"{_ascii(first)}.{_ascii(last)}@{COMPANY_DOMAIN}"


def demo_emails() -> list[str]:
    return [_email(key) for key in PEOPLE] + [SUPPORT[2]]


# --- Seat usage: a weekday rhythm, people's habits and holidays, one product barely used ---------

# Monday .. Sunday: engineers work weekdays, Fridays a little less, weekends hardly.
WEEKDAY_FACTOR = (1.0, 1.0, 0.95, 0.95, 0.7, 0.04, 0.02)
PRODUCT_FACTOR = {
    "tessaline-aec-collection": 0.95,
    "draftline": 1.0,
    "structa": 0.65,
    "terrain-studio": 0.8,
    "solvista-render": 0.4,
    "pipeflow-mep": 0.08,  # bought on Pay Per Use, and barely used
    "tessaline-connect": 0.85,
}


def _habits(email: str, first_day: date, days: int) -> tuple[float, set[date]]:
    """How keen a person is (works with the product on 55-95% of the days they could) and the
    days of their holiday, if they took one in the period."""
    rng = random.Random(f"habits|{email}")
    keen = rng.uniform(0.55, 0.95)
    holiday = set()
    if rng.random() < 0.6 and days > 9:
        start = first_day + timedelta(days=rng.randrange(days - 9))
        holiday = {start + timedelta(days=i) for i in range(9)}
    return keen, holiday


def _window(first_day: date, last_day: date) -> list[tuple[date, float]]:
    """The days of the usage period with their weekday factor."""
    days = [first_day + timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return [(day, WEEKDAY_FACTOR[day.weekday()]) for day in days]


def _days_used(
    window: list[tuple[date, float]], *, seed: str, code: str, start: date, end: date, keen: float, holiday: set
) -> list[date]:
    """The days of `window` from `start` to `end` on which the person used the product."""
    rng = random.Random(seed)
    chance = keen * PRODUCT_FACTOR.get(code, 0.7)
    ramps = code == "tessaline-connect"  # a new collaboration product catches on over a month
    used = []
    for day, weekday in window:
        if day < start or day > end or day in holiday:
            continue
        ramp = min(1.0, 0.3 + (day - start).days / 30) if ramps else 1.0
        if rng.random() < chance * weekday * ramp:
            used.append(day)
    return used


def _bulk_insert(model, rows: Iterable, batch_size: int = BATCH_SIZE) -> int:
    """Insert `rows` (an iterable of unsaved instances) in batches; returns how many."""
    count = 0
    for batch in _batches(rows, batch_size):
        model.objects.bulk_create(batch, batch_size=batch_size)
        count += len(batch)
    return count


def _insert_many(model, fields: list[str], rows: Iterable[tuple]) -> int:
    """INSERT `rows`, tuples of database values for `fields`, into the model's table.

    For the millions of seat-usage rows of a large customer: bulk_create builds a model instance per
    row, which costs three times the CPU of the insert itself. On PostgreSQL the rows are sent with
    COPY, five times faster than batched INSERTs. Values must be what the database takes
    (`Field.get_db_prep_save`); nothing here validates them.
    """
    opts = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column) for name in fields)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql" and hasattr(raw, "copy"):  # psycopg 3
            with raw.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
        for batch in _batches(rows, BATCH_SIZE):
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _batches(rows: Iterable, size: int) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- The story of Van der Berg Ingenieurs B.V. ---------------------------------------------------

C1, C2, C3 = "110004821773", "110005390218", "110006117402"
HQ, INFRA, MEP = "hq", "infra", "mep"  # the teams of the story
CONNECT_SITE = "Havenkade Rotterdam (connect.tessaline.example/vdb-havenkade)"


class _Story:
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
            user, _created = user_get_or_create(email=_email(key), first_name=first, last_name=last)
            self.users[key] = user
        return self.users[key]

    def member(self, team: str, key: str) -> Member:
        return Member.objects.select_related("user", "team").get(team=self.teams[team], user=self.person(key))

    def invite(self, team: str, key: str, *, by: str, products: Iterable[str] = (), guest: bool = False) -> Member:
        first, last, _ = PEOPLE[key]
        member = member_invite(
            team=self.teams[team],
            email=_email(key),
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

    # The chapters -----------------------------------------------------------------------------

    def tell(self) -> None:
        self.first_team()
        self.infra_team()
        self.installations_team()
        self.collaboration()
        self.lately()
        self.finish()

    def first_team(self) -> None:
        """Ten months ago: the first purchase creates the first team; Sanne invites her colleagues."""
        with self.at(310, "09:12"):
            for key in ("sanne", "daan", "lotte"):
                self.person(key).set_password(DEMO_PASSWORD)  # the validators would refuse "demo"
                self.users[key].save(update_fields=["password"])
            support, _created = user_get_or_create(email=SUPPORT[2], first_name=SUPPORT[0], last_name=SUPPORT[1])
            support.is_staff = support.is_superuser = True
            support.set_password(DEMO_PASSWORD)
            support.save(update_fields=["is_staff", "is_superuser", "password"])
            self.support = support
            # The first contract creates the first team, named after Sanne, its primary admin (R-T2).
            self.buy("structa-hq", C1, "sanne", "structa", 3, start=310, end=55)  # expires within 90 days
            self.teams[HQ] = Team.objects.get(customer=self.customer)
        first_colleagues = ("daan", "lotte", "thijs", "noor", "jeroen", "anouk", "pieter", "femke")
        with self.at(306, "10:05"):
            for key in first_colleagues:
                self.invite(HQ, key, by="sanne")
        with self.at(305, "08:47"):
            for key in first_colleagues:
                self.accept(HQ, key)
        with self.at(304, "11:30"):
            self.role(HQ, "daan", Member.Role.SECONDARY_ADMIN, by="sanne")
            for key in ("pieter", "jeroen"):
                self.assign(HQ, key, "structa", by="sanne")

        with self.at(200, "08:40"):
            self.buy("collection-hq", C1, "sanne", "tessaline-aec-collection", 10, start=200, end=165)
            self.buy("draftline-hq", C1, "sanne", "draftline", 6, start=200, end=165, plan="premium", sso_enabled=True)
            self.buy("solvista-hq", C1, "sanne", "solvista-render", 4, start=200, end=165)
        with self.at(199, "14:20"):
            for key in ("ruben", "marloes", "sven"):
                self.invite(HQ, key, by="sanne")
            for key in ("esther", "wouter"):
                self.invite(HQ, key, by="daan")
            self.invite(HQ, "tomasz", by="daan", guest=True)  # a structural engineer hired in
        with self.at(198, "09:02"):
            for key in ("ruben", "marloes", "sven", "esther", "wouter", "tomasz"):
                self.accept(HQ, key)
        with self.at(197, "10:15"):
            for key in ("daan", "anouk", "femke", "ruben", "marloes", "wouter"):
                self.assign(HQ, key, "tessaline-aec-collection", by="daan")
            self.assign(
                HQ, "noor", "tessaline-aec-collection", by="daan", items=["draftline", "structa", "online-storage"]
            )
            for key in ("lotte", "thijs", "sven", "esther", "tomasz"):
                self.assign(HQ, key, "draftline", by="sanne")
            for key in ("lotte", "esther", "sven"):  # Sven last: his is the seat the pool later lacks
                self.assign(HQ, key, "solvista-render", by="sanne")

    def infra_team(self) -> None:
        """Six months ago: Sanne sets up Infra & Waterbouw and hands it to Bram; a subscription moves."""
        with self.at(180, "13:00"):
            self.teams[INFRA] = team_create(
                customer=self.customer,
                name="Infra & Waterbouw",
                primary_admin=self.person("sanne"),
                actor=self.person("sanne"),
            )
            for key in ("bram", "yara", "hannah", "joost", "lieke", "mehmet", "kees"):
                self.invite(INFRA, key, by="sanne")
        with self.at(179, "08:55"):
            for key in ("bram", "yara", "hannah", "joost", "lieke", "mehmet", "kees"):
                self.accept(INFRA, key)
        with self.at(178, "16:10"):
            # Sanne hands the new team to Bram; she stays on as secondary admin (R-PA2, R-PA3).
            self.role(INFRA, "bram", Member.Role.SECONDARY_ADMIN, by="sanne")
            self.role(INFRA, "bram", Member.Role.PRIMARY_ADMIN, by="sanne")

        with self.at(150, "09:30"):
            self.buy("structa-infra", C2, "sanne", "structa", 4, start=150, end=215)
            self.buy("draftline-infra-project", C2, "sanne", "draftline", 3, start=150, end=-20)  # expired
            # Terrain Studio bought on the first contract lands in the first team (R-T7) ...
            self.buy("terrain", C1, "sanne", "terrain-studio", 5, start=150, end=215)
        with self.at(149, "10:45"):
            # ... so Sanne gives back the seat she got (R-T6) and moves it to Infra (R-T8).
            terrain = self.products["terrain-studio"]
            assignment_delete(
                assignment=Assignment.objects.get(member=self.member(HQ, "sanne"), product=terrain),
                actor=self.person("sanne"),
            )
            subscription_move(
                subscription=self.subscriptions["terrain"], to_team=self.teams[INFRA], actor=self.person("sanne")
            )
        with self.at(148, "11:20"):
            for key in ("bram", "yara", "joost", "kees"):
                self.assign(INFRA, key, "terrain-studio", by="bram")
            for key in ("bram", "hannah", "lieke"):
                self.assign(INFRA, key, "structa", by="bram")

    def installations_team(self) -> None:
        """Four months ago: support sets up Installatietechniek for Fleur, whose contract follows."""
        with self.at(121, "15:40"):
            self.teams[MEP] = team_create(
                customer=self.customer,
                name="Installatietechniek",
                primary_admin=self.person("fleur"),
                actor=self.support,
            )
        with self.at(120, "09:05"):
            self.accept(MEP, "fleur")
            self.buy("pipeflow-mep", C3, "fleur", "pipeflow-mep", 5, start=120, end=245, plan="pay_per_use")
            self.buy("draftline-mep", C3, "fleur", "draftline", 4, start=120, end=245)
            self.buy("collection-mep", C3, "fleur", "tessaline-aec-collection", 3, start=120, end=245)
        with self.at(119, "10:30"):
            for key in ("gijs", "emma", "lucas", "saskia", "niels", "ahmed", "rik"):
                self.invite(MEP, key, by="fleur")
        with self.at(118, "08:50"):
            for key in ("gijs", "emma", "lucas", "saskia", "niels", "ahmed", "rik"):
                self.accept(MEP, key)
        with self.at(117, "13:15"):
            self.role(MEP, "gijs", Member.Role.SECONDARY_ADMIN, by="fleur")
            for key in ("gijs", "emma", "lucas"):
                self.assign(MEP, key, "draftline", by="fleur")
            for key in ("saskia", "ahmed"):
                self.assign(MEP, key, "tessaline-aec-collection", by="gijs")
            for key in ("niels", "rik"):
                self.assign(MEP, key, "pipeflow-mep", by="gijs")
        with self.at(110, "11:00"):
            self.invite(HQ, "koen", by="daan")  # never accepted: the invitation has expired (R-U5)

    def collaboration(self) -> None:
        """Two months ago: a project site in Tessaline Connect brings partners in as guests (R-G1)."""
        with self.at(60, "09:00"):
            self.buy(
                "connect", C2, "sanne", "tessaline-connect", 10, start=60, end=305, collaboration_site=CONNECT_SITE
            )
        with self.at(59, "14:35"):
            for key in ("lars", "amelie", "jan", "marta"):
                first, last, _ = PEOPLE[key]
                self.users[key] = collaborator_add(
                    team=self.teams[INFRA], email=_email(key), first_name=first, last_name=last
                ).user
        with self.at(58, "08:20"):
            for key in ("lars", "amelie", "jan"):
                self.accept(INFRA, key)
        with self.at(57, "10:10"):
            for key in ("bram", "lars", "amelie", "jan", "mehmet", "lieke"):
                self.assign(INFRA, key, "tessaline-connect", by="bram")
        with self.at(45, "09:40"):
            self.invite(INFRA, "thijs", by="bram")  # Thijs already has an account: the same one (R-U7)
        with self.at(44, "08:30"):
            self.accept(INFRA, "thijs")
            self.assign(INFRA, "thijs", "tessaline-connect", by="bram")

    def lately(self) -> None:
        """The last month: an over-full pool, seats to move, a guest marked, new people invited."""
        with self.at(30, "16:45") as when:
            # At the renewal talks the firm dropped a Solvista seat before anyone was unassigned;
            # support allowed the pool to be over-full for now.
            subscription_set_seats(
                subscription=self.subscriptions["solvista-hq"], seats=3, allow_over_allocation=True, actor=self.support
            )
            sven = Assignment.objects.get(member=self.member(HQ, "sven"), product=self.products["solvista-render"])
            self.seated_until[sven.pk] = timezone.localdate(when) - timedelta(days=1)
        with self.at(12, "10:00"):
            # Two more Structa seats, meant for Infra: a subscription ready to be moved (R-T8).
            self.buy("structa-hq-extra", C1, "sanne", "structa", 2, start=12, end=353)
        with self.at(10, "11:25"):
            member_set_guest(member=self.member(MEP, "rik"), is_guest=True, actor=self.person("fleur"))  # R-G2
            ruben = Assignment.objects.get(
                member=self.member(HQ, "ruben"), product=self.products["tessaline-aec-collection"]
            )
            assignment_update(
                assignment=ruben, items=ruben.items.exclude(code="cloud-rendering"), actor=self.person("daan")
            )
        with self.at(6, "09:15"):
            self.invite(MEP, "vera", by="gijs")
        with self.at(4, "13:50"):
            self.invite(HQ, "ilse", by="sanne", products=["tessaline-aec-collection"])  # R-U3
        with self.at(2, "10:05"):
            self.invite(INFRA, "roel", by="bram")

    def usage(self) -> int:
        """90 days of seat usage of the active members, from the day they held the seat, as long as
        the licence check seated them (R-S3)."""
        first_day, yesterday = self.day(USAGE_DAYS), self.day(1)
        window = _window(first_day, yesterday)
        assignments = (
            Assignment.objects.filter(member__team__customer=self.customer, member__status=Member.Status.ACTIVE)
            .select_related("member__user", "member__team", "product")
            .order_by("pk")
        )
        rows = []
        for a in assignments:
            user, team = a.member.user, a.member.team
            keen, holiday = _habits(user.email, first_day, USAGE_DAYS)
            for day in _days_used(
                window,
                seed=f"usage|{user.email}|{a.product.code}|{team.name}",
                code=a.product.code,
                start=max(timezone.localdate(a.assigned_at), timezone.localdate(a.member.accepted_at)),
                end=self.seated_until.get(a.pk, yesterday),
                keen=keen,
                holiday=holiday,
            ):
                rows.append(SeatUsage(user=user, product=a.product, team=team, day=day))
        return _bulk_insert(SeatUsage, rows, batch_size=2000)


def demo_build(out: Callable[[str], None] = print) -> tuple[Customer, bool]:
    """Build the demo customer unless it exists. Returns the customer and whether it was built now."""
    existing = Customer.objects.filter(name=DEMO_CUSTOMER).first()
    if existing is not None:
        out(f"The demo customer {DEMO_CUSTOMER} exists already: nothing changed (--reset builds it again).")
        return existing, False
    with transaction.atomic():
        last_mail = Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        story = _Story(catalogue_upsert())
        story.tell()
        usage = story.usage()
        # The services queued their mails (invitations, products assigned, roles); nobody is to get
        # them. Deleting them before commit leaves the queue as it was, other people's mail included.
        people = {email.lower() for email in demo_emails()}
        Message.objects.filter(
            pk__in=[
                message.pk
                for message in Message.objects.filter(pk__gt=last_mail)
                if {address.lower() for address in message.to_addresses} <= people
            ]
        ).delete()
    teams = story.customer.teams.count()
    members = Member.objects.filter(team__customer=story.customer).count()
    out(f"Built {DEMO_CUSTOMER}: {teams} teams, {members} members, {usage} days of seat usage.")
    return story.customer, True


# --- The large customer of --users N -------------------------------------------------------------

BULK_TEAMS = [("Projecten", 0.55), ("Ontwerp & Engineering", 0.25), ("Beheer & Onderhoud", 0.12), ("Tekenkamer", 0.08)]
BULK_ODDS = {  # the chance that an employee holds a seat of the product
    "draftline": 0.45,
    "tessaline-aec-collection": 0.25,
    "terrain-studio": 0.15,
    "structa": 0.12,
    "solvista-render": 0.08,
    "tessaline-connect": 0.10,
    "pipeflow-mep": 0.02,
}
BULK_GUEST_ODDS = {"tessaline-connect": 0.8, "draftline": 0.2}
FIRST_NAMES = [
    "Jan", "Piet", "Kees", "Daan", "Bram", "Sem", "Lucas", "Finn", "Milan", "Levi", "Noah", "Thijs", "Ruben",
    "Jesse", "Luuk", "Stijn", "Tim", "Lars", "Bas", "Joris", "Emma", "Julia", "Sophie", "Tess", "Zoë", "Sara",
    "Anna", "Eva", "Fenna", "Lotte", "Noor", "Lisa", "Fleur", "Iris", "Saar", "Roos", "Femke", "Anouk", "Isa",
    "Yara", "Mohammed", "Ahmed", "Yusuf", "Mehmet", "Tomasz", "Piotr", "Hannah", "Lukas", "Amélie", "Ines",
]  # fmt: skip
LAST_NAMES = [
    "de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer",
    "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer",
    "de Wit", "Dijkstra", "Smits", "de Graaf", "van der Meer", "van der Linden", "Kok", "Jacobs", "de Haan",
    "Vermeulen", "van den Heuvel", "van der Veen", "van den Broek", "de Bruijn", "de Bruin", "van der Heijden",
    "Schouten", "van Beek", "Willems", "van Vliet", "Hoekstra", "Maas", "Verhoeven", "Koster", "Prins", "Kaya",
    "El Idrissi", "Nowak", "Schmidt", "Peeters", "Claes", "Öztürk",
]  # fmt: skip


@dataclass
class _Person:
    """A person planned for the large customer: their team, role and products; their ids once written."""

    team: int
    role: str
    guest: bool
    active: bool
    products: tuple[str, ...]
    member_id: int = 0
    user_id: int = 0
    email: str = ""
    _habits: tuple[float, set[date]] | None = None

    def habits(self, window: list[tuple[date, float]]) -> tuple[float, set[date]]:
        if self._habits is None:
            self._habits = _habits(self.email, window[0][0], len(window))
        return self._habits


def _bulk_plan(n: int, rng: random.Random) -> tuple[list[int], list[_Person]]:
    shares = BULK_TEAMS[: max(1, min(len(BULK_TEAMS), n))]
    total = sum(share for _name, share in shares)
    sizes = [max(1, int(n * share / total)) for _name, share in shares]
    sizes[0] += n - sum(sizes)
    plan = []
    for team, size in enumerate(sizes):
        for i in range(size):
            role = Member.Role.PRIMARY_ADMIN if i == 0 else Member.Role.SECONDARY_ADMIN if i % 400 == 1 else "user"
            guest = role == "user" and rng.random() < 0.04
            active = role != "user" or rng.random() >= 0.03
            odds = BULK_GUEST_ODDS if guest else BULK_ODDS
            products = tuple(code for code, chance in odds.items() if rng.random() < chance)
            plan.append(_Person(team, role, guest, active, products))
    return sizes, plan


def bulk_build(n: int, out: Callable[[str], None] = print, *, usage_days: int = USAGE_DAYS) -> tuple[Customer, bool]:
    """Build the large customer with `n` members in four teams (fewer if n < 4), with bulk inserts.

    admin@example.com (from the demo) is a secondary admin of its largest team, so that the demo
    logins can open it. Every team has one primary admin, admins are never guests, and every pool
    has at least as many seats as assignments. The activity log holds only the teams and purchases.
    """
    existing = Customer.objects.filter(name=BULK_CUSTOMER).first()
    if existing is not None:
        members = Member.objects.filter(team__customer=existing).count()
        out(f"The large customer {BULK_CUSTOMER} exists already ({members} members): nothing changed.")
        return existing, False
    rng = random.Random(f"bulk|{n}")
    today = timezone.localdate()
    now = timezone.now()
    since = now - timedelta(days=100)
    sizes, plan = _bulk_plan(n, rng)
    known_password = make_password(new_token()[0])  # see _Story.unknown_password

    with transaction.atomic():
        products = catalogue_upsert()
        items = {code: list(product.items.values_list("pk", flat=True)) for code, product in products.items()}
        customer = Customer.objects.create(name=BULK_CUSTOMER)
        teams = [
            Team.objects.create(customer=customer, name=name, created_at=since)
            for name, _share in BULK_TEAMS[: len(sizes)]
        ]
        # People and members, a batch at a time.
        for start in range(0, len(plan), BATCH_SIZE):
            chunk = plan[start : start + BATCH_SIZE]
            users = []
            for offset, person in enumerate(chunk):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                person.email = f"{_ascii(first)}.{_ascii(last)}.{start + offset}@{BULK_DOMAIN}"
                users.append(
                    User(
                        email=person.email,
                        first_name=first,
                        last_name=last,
                        password=known_password if person.active else make_password(None),
                        date_joined=since,
                    )
                )
            User.objects.bulk_create(users, batch_size=BATCH_SIZE)
            members = [
                Member(
                    team=teams[person.team],
                    user=user,
                    role=person.role,
                    is_guest=person.guest,
                    status=Member.Status.ACTIVE if person.active else Member.Status.INVITED,
                    invited_at=since,
                    accepted_at=since if person.active else None,
                )
                for person, user in zip(chunk, users, strict=True)
            ]
            Member.objects.bulk_create(members, batch_size=BATCH_SIZE)
            for person, user, member in zip(chunk, users, members, strict=True):
                person.user_id, person.member_id = user.pk, member.pk
            invited_at = now - timedelta(days=5)
            Invitation.objects.bulk_create(
                [
                    Invitation(
                        member_id=person.member_id,
                        token_hash=new_token()[1],
                        created_at=invited_at,
                        expires_at=Invitation.default_expiry(invited_at),
                    )
                    for person in chunk
                    if not person.active
                ],
                batch_size=BATCH_SIZE,
            )
        admin = User.objects.with_email(FIXED_EMAILS[0]).first()
        if admin is not None:
            Member.objects.create(
                team=teams[0],
                user=admin,
                role=Member.Role.SECONDARY_ADMIN,
                status=Member.Status.ACTIVE,
                accepted_at=now,
            )

        # One contract per team, managed by its primary admin; one subscription per product the team
        # uses, with a few seats to spare.
        primaries = {person.team: person for person in plan if person.role == Member.Role.PRIMARY_ADMIN}
        wanted: dict[tuple[int, str], int] = {}
        for person in plan:
            for code in person.products:
                wanted[person.team, code] = wanted.get((person.team, code), 0) + 1
        for t, team in enumerate(teams):
            event_record(
                action=ActivityEvent.Action.TEAM_CREATED,
                team=team,
                target=team.name,
                after={"name": team.name, "primary_admin": primaries[t].email},
            )
            contract = Contract.objects.create(
                customer=customer,
                number=f"2200{t + 1:08d}",
                manager_id=primaries[t].user_id,
                team=team,
                created_at=since,
            )
            for code, product in products.items():
                count = wanted.get((t, code), 0)
                if not count:
                    continue
                plan_kind = Subscription.Plan.PAY_PER_USE if code == "pipeflow-mep" else Subscription.Plan.STANDARD
                subscription = Subscription.objects.create(
                    contract=contract,
                    product=product,
                    team=team,
                    seats=count + max(1, count // 10),
                    plan=plan_kind,
                    term_start=today - timedelta(days=100),
                    term_end=today + timedelta(days=265),
                    owner_id=primaries[t].user_id,
                    created_at=since,
                )
                event_record(
                    action=ActivityEvent.Action.SUBSCRIPTION_ADDED,
                    team=team,
                    product=product,
                    target=f"{contract.number} · {product.name}",
                    after={"contract": contract.number, "seats": subscription.seats, "plan": plan_kind},
                )

        # Assignments with all their items, and the seat usage, a batch at a time.
        Through = Assignment.items.through
        usage = assignments_made = 0
        window = _window(today - timedelta(days=usage_days), today - timedelta(days=1)) if usage_days else []
        day_value = SeatUsage._meta.get_field("day")
        db_days = {day: day_value.get_db_prep_save(day, connection) for day, _weekday in window}
        for start in range(0, len(plan), BATCH_SIZE):
            chunk = plan[start : start + BATCH_SIZE]
            pairs = [(person, products[code]) for person in chunk for code in person.products]
            assignments = [
                Assignment(member_id=person.member_id, product_id=product.pk, assigned_at=since)
                for person, product in pairs
            ]
            Assignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
            assignments_made += len(assignments)
            _insert_many(
                Through,
                ["assignment", "productitem"],
                (
                    (a.pk, item)
                    for a, (_person, product) in zip(assignments, pairs, strict=True)
                    for item in items[product.code]
                ),
            )
            usage += _insert_many(
                SeatUsage,
                ["user", "product", "team", "day"],
                (
                    (person.user_id, product.pk, teams[person.team].pk, db_days[day])
                    for person, product in pairs
                    if person.active and window
                    for day in _days_used(
                        window,
                        seed=f"usage|{person.email}|{product.code}",
                        code=product.code,
                        start=window[0][0],
                        end=window[-1][0],
                        keen=person.habits(window)[0],
                        holiday=person.habits(window)[1],
                    )
                ),
            )
    out(
        f"Built {BULK_CUSTOMER}: {len(teams)} teams, {len(plan)} members, {assignments_made} assignments, "
        f"{usage} days of seat usage."
    )
    return customer, True


# --- Removing the demo ---------------------------------------------------------------------------


@transaction.atomic
def demo_delete(out: Callable[[str], None] = print) -> None:
    """Delete the demo and the large customer with everything of theirs, and the demo's people
    (unless they are members of another customer's team). The catalogue stays: it is the vendor's."""
    customers = list(Customer.objects.filter(name__in=[DEMO_CUSTOMER, BULK_CUSTOMER]))
    teams = Team.objects.filter(customer__in=customers)
    # The demo's people, except anyone who also has a place at another customer.
    people = set(
        User.objects.filter(Q(email__in=demo_emails()) | Q(email__iendswith=f"@{BULK_DOMAIN}")).values_list(
            "pk", flat=True
        )
    )
    people -= set(Member.objects.exclude(team__customer__in=customers).values_list("user_id", flat=True))
    people -= set(Contract.objects.exclude(customer__in=customers).values_list("manager_id", flat=True))
    people -= set(Subscription.objects.exclude(contract__customer__in=customers).values_list("owner_id", flat=True))
    SeatUsage.objects.filter(team__in=teams).delete()
    Assignment.items.through.objects.filter(assignment__member__team__in=teams).delete()
    Assignment.objects.filter(member__team__in=teams).delete()
    Subscription.objects.filter(Q(team__in=teams) | Q(contract__customer__in=customers)).delete()
    Contract.objects.filter(customer__in=customers).delete()
    Invitation.objects.filter(member__team__in=teams).delete()
    Member.objects.filter(team__in=teams).delete()
    ActivityEvent.objects.filter(team__in=teams).delete()
    teams.delete()
    Customer.objects.filter(pk__in=[c.pk for c in customers]).delete()
    removed = 0
    people = sorted(people)
    for start in range(0, len(people), BATCH_SIZE):
        removed += User.objects.filter(pk__in=people[start : start + BATCH_SIZE]).delete()[1].get("accounts.User", 0)
    out(f"Deleted {len(customers)} demo customers and {removed} of their people.")
