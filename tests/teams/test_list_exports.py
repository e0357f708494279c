"""By User and By Product as CSV (issue 22: "CSV export of By User and By Product, the visible table"):
the rows the screen shows with its filters and order, every page, not only the one on screen; the
names the team sees; cells a spreadsheet never evaluates; a fixed number of queries however many rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from tests.factories import MemberFactory, SubscriptionFactory


def rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def members_url(world, query: str = "") -> str:
    return reverse("teams:member-export", kwargs={"team_id": world.team.pk}) + (f"?{query}" if query else "")


def test_by_user_exports_every_row_the_filters_select_in_the_screens_order(client, world):
    # R-U1: the list's search, filters and sort, all pages (60 members; the screen shows 50).
    SubscriptionFactory(team=world.team, product=world.product, seats=100, owner=world.primary.user)
    for n in range(60):
        # Addresses without digits: the factory's numbered ones may hold a "1" and match the search below.
        member = MemberFactory(
            team=world.team,
            user__first_name="Crowd",
            user__last_name=f"Member {n:02d}",
            user__email=f"crowd.{chr(97 + n // 26)}{chr(97 + n % 26)}@example.com",
        )
        if n % 2:
            assignment_create(member=member, product=world.product, actor=None)
    client.force_login(world.primary.user)
    everyone = rows(client.get(members_url(world)))
    assert len(everyone) == Member.objects.filter(team=world.team).count()
    holders = rows(client.get(members_url(world, f"product={world.product.pk}&sort=-name")))
    assert len(holders) == 30
    assert {row["products"] for row in holders} == {"DraftPro"}
    assert [row["last_name"] for row in holders] == sorted((row["last_name"] for row in holders), reverse=True)
    # A search: the very rows of the screen, in its order.
    query = "q=Member 1&sort=email"
    screen = client.get(reverse("teams:member-list", kwargs={"team_id": world.team.pk}) + f"?{query}&per_page=100")
    shown = [row.record.user.email for row in screen.context["table"].page.object_list]
    assert 0 < len(shown) < 60
    assert [row["email"] for row in rows(client.get(members_url(world, query)))] == shown


def test_by_user_export_names_as_the_team_sees_them_and_never_as_formulas(client, world):
    # Names per team (issue 19): an invited person as this team invited them; a name that starts
    # with "=" is text in a spreadsheet.
    world.invited.invited_first_name = "=HYPERLINK(1)"
    world.invited.save(update_fields=["invited_first_name"])
    client.force_login(world.primary.user)
    response = client.get(members_url(world, "status=invited"))
    (row,) = rows(response)
    assert row["first_name"] == "'=HYPERLINK(1)"
    assert row["status"] == "invited"
    assert response["Content-Disposition"].startswith('attachment; filename="users-design-')


@pytest.mark.parametrize("members", [10, 120])
def test_by_user_export_costs_the_same_queries_for_10_or_120_members(client, world, members):
    for _ in range(members):
        MemberFactory(team=world.team)
    client.force_login(world.primary.user)
    with CaptureQueriesContext(connection) as queries:
        assert len(rows(client.get(members_url(world)))) >= members
    assert len(queries) <= 12, [q["sql"][:120] for q in queries]


def test_by_product_exports_the_searched_products_with_their_seats(client, world):
    # R-BP1, R-SE1: purchased, assigned, free and over, as By Product shows them.
    assignment_create(member=world.user, product=world.product, actor=None)
    client.force_login(world.primary.user)
    url = reverse("subscriptions:product-export", kwargs={"team_id": world.team.pk})
    (row,) = rows(client.get(url))
    assert row["product"] == "DraftPro"
    assert row["items"] == "Cloud rendering; DraftPro desktop"  # as By Product lists them: by kind, then name
    assert (row["seats_purchased"], row["seats_assigned"], row["seats_free"], row["seats_over"]) == ("3", "1", "2", "0")
    assert rows(client.get(url + "?q=nothing-like-it")) == []


def test_an_admin_of_another_team_gets_nothing(client, world):
    client.force_login(world.outsider.user)
    assert client.get(members_url(world)).status_code == 404
    assert client.get(reverse("subscriptions:product-export", kwargs={"team_id": world.team.pk})).status_code == 404
