"""A hand-made week of seat usage whose figures are worked out by hand in the tests.

The week is Monday 3 to Sunday 9 March 2025 (d1..d7). In Design (world.team):

    DraftPro (3 seats): Jan de Vries (primary) d1 d2 d3; David de Jong (user) d2 d3; Anna Bakker
    (secondary, who holds no DraftPro seat now) d3; Gerrit Gast (guest) holds a seat but last used
    it on 20 February, before the week. Jan also on 10 March, after it.
    RenderCloud (2 seats): Anna Bakker d1 d5; David de Jong holds a seat and never used it.

In Engineering (world.other_team, where Jan is primary admin too): DraftPro (2 seats) held by Eva
Eng, who used it d1 d4, and by David de Jong, who used it there d2 (also a day he used it in Design).

Someone else's team used DraftPro on d1: it must never show.
"""

from dataclasses import dataclass
from datetime import date

import pytest

from licensing.reports.queries import Period
from licensing.subscriptions.models import Assignment, Product
from licensing.teams.models import Member
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SeatUsageFactory, SubscriptionFactory
from tests.teams.test_member_views import give_names

WEEK = Period(date(2025, 3, 3), date(2025, 3, 9))


def d(n: int) -> date:
    """Day n of the week (d1 is Monday 3 March 2025)."""
    return date(2025, 3, 2 + n)


@dataclass
class Usage:
    world: object
    render: Product
    eva: Member
    david_in_engineering: Member
    seats: dict[str, Assignment]


def used(member_or_user, product, team, *days):
    user = getattr(member_or_user, "user", member_or_user)
    for day in days:
        SeatUsageFactory(user=user, product=product, team=team, day=day)


@pytest.fixture
def usage(world) -> Usage:
    w = give_names(world)
    draft, team, other = w.product, w.team, w.other_team
    render = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    SubscriptionFactory(team=team, product=render, seats=2, contract__manager=w.primary.user)
    SubscriptionFactory(team=other, product=draft, seats=2, contract__manager=w.primary.user)
    eva = MemberFactory(team=other, user__first_name="Eva", user__last_name="Eng", user__email="eva@example.com")
    david_eng = MemberFactory(team=other, user=w.user.user)
    seats = {
        "jan-draft": AssignmentFactory(member=w.primary, product=draft),
        "david-draft": AssignmentFactory(member=w.user, product=draft),
        "gerrit-draft": AssignmentFactory(member=w.guest, product=draft),
        "anna-render": AssignmentFactory(member=w.secondary, product=render),
        "david-render": AssignmentFactory(member=w.user, product=render),
        "eva-draft": AssignmentFactory(member=eva, product=draft),
        "david-eng-draft": AssignmentFactory(member=david_eng, product=draft),
    }
    used(w.primary, draft, team, d(1), d(2), d(3), date(2025, 3, 10))
    used(w.user, draft, team, d(2), d(3))
    used(w.secondary, draft, team, d(3))
    used(w.guest, draft, team, date(2025, 2, 20))
    used(w.secondary, render, team, d(1), d(5))
    used(eva, draft, other, d(1), d(4))
    used(w.user, draft, other, d(2))
    used(w.outsider, draft, w.outsider_team, d(1))
    return Usage(world=w, render=render, eva=eva, david_in_engineering=david_eng, seats=seats)
