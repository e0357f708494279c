"""The large customer of `seed_demo --users N`, Rijnmond Infra Groep N.V., for benchmarks.

Written with bulk inserts, under the same invariants as the services keep (one primary admin per
team, admins are not guests, seats >= assignments in every pool) and with a minimal activity log.
"""

import random
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import repeat

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from licensing.accounts.models import Invitation, User, new_token
from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_record
from licensing.subscriptions.demo.catalogue import catalogue_upsert
from licensing.subscriptions.demo.people import FIXED_EMAILS, ascii_lower
from licensing.subscriptions.demo.usage import (
    BATCH_SIZE,
    USAGE_DAYS,
    days_used,
    fast_writes,
    indexes_built_after,
    insert_many,
    person_habits,
    usage_window,
)
from licensing.subscriptions.models import Assignment, Contract, Product, SeatUsage, Subscription
from licensing.subscriptions.usage_months import months_suspended
from licensing.teams.models import Customer, Member, Team

BULK_CUSTOMER = "Rijnmond Infra Groep N.V."
BULK_DOMAIN = "rijnmond-infra.example"

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
            self._habits = person_habits(self.email, window[0][0], len(window))
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


def _usage_rows(
    pairs: list[tuple[_Person, Product, int]], window: list, db_days: dict, team_ids: list[int]
) -> Iterator[tuple]:
    """The seat usage of `pairs` (person, product, its pk) as rows of database values; made by `zip` and
    `repeat`, in C, since there are millions."""
    for person, product, product_id in pairs:
        if not person.active or not window:
            continue
        keen, holiday = person.habits(window)
        used = days_used(
            window,
            seed=f"usage|{person.email}|{product.code}",
            code=product.code,
            start=window[0][0],
            end=window[-1][0],
            keen=keen,
            holiday=holiday,
        )
        yield from zip(
            repeat(person.user_id), repeat(product_id), repeat(team_ids[person.team]), map(db_days.get, used)
        )


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
    known_password = make_password(new_token()[0])  # see Story.unknown_password

    with fast_writes(), transaction.atomic():
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
                person.email = f"{ascii_lower(first)}.{ascii_lower(last)}.{start + offset}@{BULK_DOMAIN}"
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
                    invited_first_name=user.first_name,  # as the invitation services keep them
                    invited_last_name=user.last_name,
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

        # Assignments with all their items, and the seat usage, a batch at a time. The usage is history
        # (what the licence checks would have recorded), written in bulk: see demo/usage.py.
        Through = Assignment.items.through
        usage = assignments_made = 0
        window = usage_window(today - timedelta(days=usage_days), today - timedelta(days=1)) if usage_days else []
        day_value = SeatUsage._meta.get_field("day")
        db_days = {day: day_value.get_db_prep_save(day, connection) for day, _weekday in window}
        team_ids = [team.pk for team in teams]

        # Neither the plain indexes nor the months (usage_months.py) row by row: each once at the end.
        loading = indexes_built_after(SeatUsage) if window else nullcontext()
        months = months_suspended(team_ids) if window else nullcontext()
        with loading, months:
            for start in range(0, len(plan), BATCH_SIZE):
                chunk = plan[start : start + BATCH_SIZE]
                pairs = [(person, products[code], products[code].pk) for person in chunk for code in person.products]
                assignments = [
                    Assignment(member_id=person.member_id, product_id=product_id, assigned_at=since)
                    for person, _product, product_id in pairs
                ]
                Assignment.objects.bulk_create(assignments, batch_size=BATCH_SIZE)
                assignments_made += len(assignments)
                insert_many(
                    Through,
                    ["assignment", "productitem"],
                    (
                        (a.pk, item)
                        for a, (_person, product, _id) in zip(assignments, pairs, strict=True)
                        for item in items[product.code]
                    ),
                )
                usage += insert_many(
                    SeatUsage, ["user", "product", "team", "day"], _usage_rows(pairs, window, db_days, team_ids)
                )
    out(
        f"Built {BULK_CUSTOMER}: {len(teams)} teams, {len(plan)} members, {assignments_made} assignments, "
        f"{usage} days of seat usage."
    )
    return customer, True
