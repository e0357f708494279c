"""Reporting › Seat Usage (R-R1..R-R3): who may see and export it, "All teams", the page and its
tabs, the CSV exports, "Unassign" for the seats to reclaim, and query counts that do not grow with
the number of users. The data is the hand-made week of tests/reports/conftest.py."""

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from licensing.activity.models import ActivityEvent
from licensing.reports.queries import Period, user_usage
from licensing.subscriptions.models import Assignment
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, SeatUsageFactory
from tests.teams.test_member_views import sign_in

from .conftest import d

DENIED = [("anonymous", 302), ("user", 403), ("guest", 403), ("outsider", 404)]
ALLOWED = ["primary", "secondary", "staff"]
WEEK = {"range": "custom", "start": "2025-03-03", "end": "2025-03-09"}
VIEWS = ["seat-usage", "seat-usage-export-products", "seat-usage-export-users"]
PRODUCT_HEADER = [
    "team", "product", "product_code", "seats_purchased", "seats_assigned", "users",
    "peak_daily_users", "average_daily_users", "assigned_not_used",
]  # fmt: skip
USER_HEADER = ["team", "product", "user_email", "first_name", "last_name", "days_used", "last_used", "assigned_on"]


def url(on, name: str = "seat-usage", **query) -> str:
    address = reverse(f"reports:{name}", kwargs={"team_id": on.pk})
    return f"{address}?{'&'.join(f'{k}={v}' for k, v in query.items())}" if query else address


def download(response) -> tuple[bytes, list[list[str]]]:
    body = b"".join(response.streaming_content)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def unassign(client, on, seats, confirm=True, HTTP_HX_REQUEST=None, **query):
    """The post of the confirmation dialog's "Unassign" (`confirm`), or of the list's button (not)."""
    data = {
        "assignments": [getattr(seat, "pk", seat) for seat in seats],
        "query": "&".join(f"{k}={v}" for k, v in query.items()),
        **({"confirm": "True"} if confirm else {}),
    }
    headers = {"HTTP_HX_REQUEST": HTTP_HX_REQUEST} if HTTP_HX_REQUEST else {}
    return client.post(url(on, "seat-usage-unassign"), data, **headers)


# --- Who may see and export the report (R-R3, SPEC §2) -------------------------------------------


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_report_and_its_exports_are_only_for_the_teams_admins(client, usage, name, persona, status):
    # R-R3
    sign_in(client, usage.world, persona)
    response = client.get(url(usage.world.team, name))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_and_support_see_and_export_the_report(client, usage, name, persona):
    # R-R3: secondary admins may view and export usage reports of their teams.
    sign_in(client, usage.world, persona)
    assert client.get(url(usage.world.team, name, **WEEK)).status_code == 200


@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_only_the_teams_admins_can_unassign_from_the_report(client, usage, persona, status):
    sign_in(client, usage.world, persona)
    response = unassign(client, usage.world.team, [usage.seats["gerrit-draft"]], **WEEK)
    assert response.status_code == status
    assert Assignment.objects.filter(pk=usage.seats["gerrit-draft"].pk).exists()


def test_all_teams_covers_exactly_the_teams_one_administers(client, usage):
    # Jan is primary admin of Design and Engineering; never the outsider's team.
    w = usage.world
    sign_in(client, w, "primary")
    response = client.get(url(w.team, team="all", **WEEK))
    assert {team.name for team in response.context["report"].teams} == {"Design", "Engineering"}
    assert response.context["summary"].users == 4  # Jan, David, Anna, Eva; not the outsider
    _, table = download(client.get(url(w.team, "seat-usage-export-users", team="all", **WEEK)))
    assert {row[0] for row in table[1:]} == {"Design", "Engineering"}
    assert "outsider@example.com" not in {row[2] for row in table[1:]}


def test_all_teams_is_not_offered_to_the_admin_of_one_team(client, usage):
    w = usage.world
    sign_in(client, w, "secondary")
    response = client.get(url(w.team, team="all", **WEEK))
    assert [team.name for team in response.context["report"].teams] == ["Design"]
    assert 'value="all"' not in response.content.decode()
    _, table = download(client.get(url(w.team, "seat-usage-export-users", team="all", **WEEK)))
    assert {row[0] for row in table[1:]} == {"Design"}


def test_all_teams_of_support_staff_is_still_only_what_they_administer(client, usage):
    w = usage.world
    sign_in(client, w, "staff")  # may open any team, administers none
    response = client.get(url(w.team, team="all", **WEEK))
    assert [team.name for team in response.context["report"].teams] == ["Design"]


def test_the_team_picker_goes_to_the_other_teams_report(client, usage):
    w = usage.world
    sign_in(client, w, "primary")
    response = client.get(url(w.team, team=w.other_team.pk, tab="users", page=2, **WEEK))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith(url(w.other_team) + "?")
    assert "tab=users" in location
    assert "range=custom" in location
    assert "team=" not in location
    assert "page=" not in location


def test_the_team_picker_does_not_reach_another_customers_team(client, usage):
    w = usage.world
    sign_in(client, w, "primary")
    response = client.get(url(w.team, team=w.outsider_team.pk, **WEEK))
    assert response.status_code == 200
    assert [team.name for team in response.context["report"].teams] == ["Design"]
    assert w.outsider_team.name not in response.content.decode()


# --- The page -----------------------------------------------------------------------------------


def test_the_report_shows_its_dates_summary_and_products(client, usage):
    # R-R1
    sign_in(client, usage.world, "secondary")
    response = client.get(url(usage.world.team, **WEEK))
    html = response.content.decode()
    assert "3 Mar 2025" in html
    assert "9 Mar 2025" in html
    assert "7 days" in html
    summary = response.context["summary"]
    assert (summary.users, summary.products_in_use, summary.seats_assigned, summary.seats_purchased) == (3, 2, 5, 5)
    assert [row.product.name for row in response.context["products"]] == ["DraftPro", "RenderCloud"]
    assert html.count('<svg class="sk-chart"') == 2


def test_the_page_has_no_inline_style_or_script(client, usage):
    # The CSP forbids them; the charts use SVG presentation attributes and classes.
    sign_in(client, usage.world, "primary")
    for tab in ("products", "users"):
        html = client.get(url(usage.world.team, tab=tab, **WEEK)).content.decode()
        assert " style=" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
        assert not re.search(r"\son[a-z]+=", html)


def test_the_charts_coordinates_are_not_localised(client, usage):
    # In Dutch 2.5 is "2,5": not a coordinate.
    sign_in(client, usage.world, "primary")
    html = client.get(url(usage.world.team, **WEEK), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert not re.search(r'(x|y|width|height)="\d+,\d', html)


def daily_figures(html: str, product: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The caption and the rows (date, users, share of the seats) of `product`'s "Daily figures"."""
    card = html[html.index(f'id="chart-{product}-title"') :]
    table = card[card.index('<details class="sk-chart-table">') : card.index("</details>")]
    caption = re.sub(r"\s+", " ", re.search(r"<caption>(.*?)</caption>", table, re.S).group(1)).strip()
    rows = re.findall(
        r'<time datetime="[^"]+">([^<]+)</time></th>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>([^<]+)</td>', table
    )
    return caption, rows


@pytest.mark.parametrize(
    ("lang", "caption", "monday", "wednesday"),
    [
        (
            "en",
            "Users per day of DraftPro, 3 March 2025 to 9 March 2025 · 3 seats purchased, 3 assigned",
            ("Mon 3 Mar 2025", "1", "33%"),
            ("Wed 5 Mar 2025", "3", "100%"),
        ),
        (
            "nl",
            "Gebruikers per dag van DraftPro, 3 maart 2025 tot en met 9 maart 2025 · 3 seats aangeschaft, 3 toegewezen",
            ("ma 3 mrt 2025", "1", "33%"),
            ("wo 5 mrt 2025", "3", "100%"),
        ),
    ],
)
def test_each_chart_has_its_daily_figures_as_a_table(client, usage, lang, caption, monday, wednesday):
    # R-R1, issue 22: the figures the chart draws, for whoever cannot see it: a day a row, in the
    # reader's language, the same numbers as the bars (no query of their own: tests/test_query_counts.py).
    sign_in(client, usage.world, "primary")
    html = client.get(url(usage.world.team, **WEEK), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    product = usage.world.product.pk
    found_caption, rows = daily_figures(html, product)
    assert found_caption == caption
    assert len(rows) == 7
    assert rows[0] == monday
    assert rows[2] == wednesday
    assert [users for _day, users, _share in rows] == ["1", "2", "3", "0", "0", "0", "0"]
    assert html.count('<details class="sk-chart-table">') == 2  # RenderCloud's too


def test_by_user_lists_the_rows_and_filters_the_seats_not_used(client, usage):
    sign_in(client, usage.world, "primary")
    response = client.get(url(usage.world.team, tab="users", **WEEK))
    assert response.context["table"].paginator.count == 6
    response = client.get(url(usage.world.team, tab="users", unused="on", **WEEK))
    names = re.findall(r'class="sk-member-link" href="[^"]+">([^<]+)</a>', response.content.decode())
    assert names == ["David de Jong", "Gerrit Gast"]


def test_a_custom_range_that_is_not_valid_shows_why_and_the_past_30_days(client, usage):
    sign_in(client, usage.world, "primary")
    response = client.get(url(usage.world.team, range="custom", start="2025-03-09", end="2025-03-03"))
    html = response.content.decode()
    assert "The start date must be on or before the end date." in html
    assert "The report shows the past 30 days instead." in html
    assert response.context["report"].period.days == 30


# --- Export as CSV (R-R2) -------------------------------------------------------------------------


def test_the_product_export_is_a_streamed_utf8_csv_with_bom_of_the_tabs_rows(client, usage):
    # R-R2
    sign_in(client, usage.world, "secondary")
    response = client.get(url(usage.world.team, "seat-usage-export-products", **WEEK))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="seat-usage-design-2025-03-03-to-2025-03-09-products.csv"' in response["Content-Disposition"]
    body, table = download(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert table == [
        PRODUCT_HEADER,
        ["Design", "DraftPro", "draftpro", "3", "3", "3", "3", "0.9", "1"],  # 6 / 7 = 0.857
        ["Design", "RenderCloud", "rendercloud", "2", "2", "1", "1", "0.3", "1"],  # 2 / 7 = 0.286
    ]


def test_the_user_export_has_the_documented_columns_and_every_row(client, usage):
    # R-R2
    sign_in(client, usage.world, "primary")
    response = client.get(url(usage.world.team, "seat-usage-export-users", **WEEK))
    assert 'filename="seat-usage-design-2025-03-03-to-2025-03-09-users.csv"' in response["Content-Disposition"]
    _, table = download(response)
    assert table[0] == USER_HEADER
    jan = usage.seats["jan-draft"].assigned_at.astimezone().date().isoformat()
    rows = [row[:7] for row in table[1:]]
    assert rows == [
        ["Design", "DraftPro", "secondary@example.com", "Anna", "Bakker", "1", "2025-03-05"],
        ["Design", "RenderCloud", "secondary@example.com", "Anna", "Bakker", "2", "2025-03-07"],
        ["Design", "DraftPro", "user@example.com", "David", "de Jong", "2", "2025-03-05"],
        ["Design", "RenderCloud", "user@example.com", "David", "de Jong", "0", ""],
        ["Design", "DraftPro", "primary@example.com", "Jan", "de Vries", "3", "2025-03-05"],
        ["Design", "DraftPro", "guest@example.com", "Gerrit", "Gast", "0", "2025-02-20"],
    ]
    assert table[1][7] == ""  # Anna holds no DraftPro seat now
    assert table[5][7] == jan


def test_the_user_export_has_the_filters_and_order_of_the_screen(client, usage):
    sign_in(client, usage.world, "primary")
    _, table = download(client.get(url(usage.world.team, "seat-usage-export-users", unused="on", **WEEK)))
    assert [row[2] for row in table[1:]] == ["user@example.com", "guest@example.com"]
    _, table = download(client.get(url(usage.world.team, "seat-usage-export-users", sort="-days_used", page=2, **WEEK)))
    assert [row[5] for row in table[1:]] == ["3", "2", "2", "1", "0", "0"]  # every page, in the order asked


def test_a_product_the_report_does_not_list_filters_the_export_as_it_does_the_screen(client, usage):
    # R-R2: "what the report shows". A product chosen under "All teams" and carried to a team that
    # has none of it is ignored on screen; the export must not turn it into an empty file.
    elsewhere = ProductFactory(name="Elsewhere CAD")
    sign_in(client, usage.world, "primary")
    screen = client.get(url(usage.world.team, tab="users", product=elsewhere.pk, **WEEK))
    on_screen = [row.record["email"] for row in screen.context["table"].paginated_rows]
    _, table = download(client.get(url(usage.world.team, "seat-usage-export-users", product=elsewhere.pk, **WEEK)))
    assert on_screen
    assert [row[2] for row in table[1:]] == on_screen


def test_the_exports_neutralise_formulas(client, usage):
    w = usage.world
    w.guest.user.first_name, w.guest.user.last_name = '=HYPERLINK("http://evil")', "@SUM(A1)"
    w.guest.user.save()
    w.team.name = "+Design"
    w.team.save()
    sign_in(client, w, "primary")
    _, table = download(client.get(url(w.team, "seat-usage-export-users", **WEEK)))
    gerrit = next(row for row in table if row[2] == "guest@example.com")
    assert gerrit[:5] == ["'+Design", "DraftPro", "guest@example.com", '\'=HYPERLINK("http://evil")', "'@SUM(A1)"]
    _, table = download(client.get(url(w.team, "seat-usage-export-products", **WEEK)))
    assert table[1][0] == "'+Design"


def test_the_all_teams_export_is_named_so(client, usage):
    sign_in(client, usage.world, "primary")
    response = client.get(url(usage.world.team, "seat-usage-export-products", team="all", **WEEK))
    assert "seat-usage-all-teams-2025-03-03-to-2025-03-09-products.csv" in response["Content-Disposition"]
    _, table = download(response)
    assert table[1][:6] == ["All teams", "DraftPro", "draftpro", "5", "5", "4"]


# --- Reclaiming seats not used ---------------------------------------------------------------------


def test_unassign_reclaims_the_selected_seats_not_used(client, usage):
    # R-R1's seats to reclaim, through assignment_delete: audited like every unassign.
    w = usage.world
    sign_in(client, w, "secondary")
    seats = [usage.seats["gerrit-draft"], usage.seats["david-render"]]
    response = unassign(client, w.team, seats, tab="users", unused="on", **WEEK)
    assert response.status_code == 302
    assert response["Location"].startswith(url(w.team) + "?")
    assert "unused=on" in response["Location"]
    assert not Assignment.objects.filter(pk__in=[seat.pk for seat in seats]).exists()
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED, team=w.team)
    assert {(e.target_user.email, e.product.name) for e in events} == {
        ("guest@example.com", "DraftPro"),
        ("user@example.com", "RenderCloud"),
    }
    page = client.get(response["Location"])
    assert "2 seats unassigned." in page.content.decode()
    assert page.context["table"].paginator.count == 0


def test_unassign_explains_the_seats_it_could_not_unassign(client, usage):
    w = usage.world
    sign_in(client, w, "secondary")
    gone = usage.seats["david-render"].pk
    Assignment.objects.filter(pk=gone).delete()  # unassigned meanwhile
    others = AssignmentFactory(member=w.outsider, product=w.product)  # another customer's seat
    response = unassign(client, w.team, [usage.seats["gerrit-draft"], gone, others], **WEEK)
    html = client.get(response["Location"]).content.decode()
    assert "1 seat unassigned." in html
    assert "2 selected seats are no longer assigned." in html
    assert Assignment.objects.filter(pk=others.pk).exists()


def test_unassign_with_nothing_selected_says_so(client, usage):
    sign_in(client, usage.world, "primary")
    response = unassign(client, usage.world.team, [], tab="users")
    assert "Select the seats to unassign first." in client.get(response["Location"]).content.decode()


def test_unassign_in_all_teams_reaches_every_team_one_administers(client, usage):
    w = usage.world
    sign_in(client, w, "primary")
    seats = [usage.seats["gerrit-draft"], usage.seats["eva-draft"]]
    unassign(client, w.team, seats, team="all", tab="users", **WEEK)
    assert not Assignment.objects.filter(pk__in=[seat.pk for seat in seats]).exists()


def test_unassign_in_one_team_leaves_the_others_seats(client, usage):
    w = usage.world
    sign_in(client, w, "primary")
    unassign(client, w.team, [usage.seats["eva-draft"]], tab="users", **WEEK)  # Eva is in Engineering
    assert Assignment.objects.filter(pk=usage.seats["eva-draft"].pk).exists()


def test_unassign_asks_first_listing_the_seats_and_how_many(client, usage):
    # R-P4, R-R1: "Unassign" acts only once confirmed; the dialog lists person – product and the count.
    w = usage.world
    sign_in(client, w, "secondary")
    seats = [usage.seats["gerrit-draft"], usage.seats["david-render"]]
    response = unassign(client, w.team, seats, confirm=False, tab="users", unused="on", **WEEK)
    assert response.status_code == 200
    assert response.templates[0].name == "reports/seat_usage_unassign.html"
    html = response.content.decode()
    assert "Unassign 2 seats?" in html
    assert html.count('name="assignments"') == 2
    assert 'name="confirm" value="True"' in html
    names = re.findall(r'<span class="fw-medium text-break">([^<]+)</span>', html)
    products = re.findall(r'<li class="sk-chip">([^<]+)</li>', html)
    assert sorted(zip(names, products, strict=True)) == sorted(
        [(seats[0].member.name, "DraftPro"), (seats[1].member.name, "RenderCloud")]
    )
    assert "sk-chip-team" not in html  # one team: no team column
    # "Cancel" goes back to the same view of the list, and nothing was unassigned.
    cancel = re.search(r'<a class="btn btn-outline-secondary" href="([^"]+)"', html).group(1)
    assert cancel.startswith(url(w.team) + "?")
    assert "unused=on" in cancel
    assert Assignment.objects.filter(pk__in=[seat.pk for seat in seats]).count() == 2
    assert not ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED).exists()


def test_unassign_asks_in_a_dialog_with_htmx_and_names_the_teams_of_all_teams(client, usage):
    # The dialog alone for htmx (portal.dialogs); "All teams" adds each seat's team.
    w = usage.world
    sign_in(client, w, "primary")
    seats = [usage.seats["gerrit-draft"], usage.seats["eva-draft"]]
    response = unassign(client, w.team, seats, confirm=False, team="all", tab="users", HTTP_HX_REQUEST="true", **WEEK)
    html = response.content.decode()
    assert "<html" not in html
    assert 'hx-post="' in html
    assert 'data-bs-dismiss="modal"' in html
    assert sorted(re.findall(r'<li class="sk-chip sk-chip-team">.*?</span>([^<]+)</li>', html)) == [
        "Design",
        "Engineering",
    ]
    # Confirmed with htmx: the page again, through HX-Redirect, with the message.
    response = unassign(client, w.team, seats, team="all", tab="users", HTTP_HX_REQUEST="true", **WEEK)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(url(w.team) + "?")
    assert not Assignment.objects.filter(pk__in=[seat.pk for seat in seats]).exists()


def test_unassign_of_seats_all_gone_meanwhile_asks_nothing(client, usage):
    w = usage.world
    sign_in(client, w, "secondary")
    gone = usage.seats["david-render"].pk
    Assignment.objects.filter(pk=gone).delete()
    response = unassign(client, w.team, [gone], confirm=False, tab="users", **WEEK)
    assert response.status_code == 302
    assert "1 selected seat is no longer assigned." in client.get(response["Location"]).content.decode()


def test_the_message_after_unassign_has_undo_which_restores_every_team(client, usage):
    # Issue 22: "Undo" after Seat Usage's "Unassign", across the teams of "All teams" (R-SE1 checked again).
    w = usage.world
    sign_in(client, w, "primary")
    seats = [usage.seats["gerrit-draft"], usage.seats["eva-draft"]]
    before = {seat.pk: (seat.member_id, seat.product_id, seat.assigned_at) for seat in seats}
    response = unassign(client, w.team, seats, team="all", tab="users", **WEEK)
    page = client.get(response["Location"]).content.decode()
    assert "2 seats unassigned." in page
    action = re.search(r'<form class="sk-undo-form" method="post" action="([^"]+)">', page).group(1)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = client.post(action, {"token": token})
    assert response["Location"].startswith(url(w.team) + "?")
    restored = Assignment.objects.filter(pk__in=list(before))
    assert {a.pk: (a.member_id, a.product_id, a.assigned_at) for a in restored} == before
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.ASSIGNMENT_RESTORED).count() == 2


def test_by_user_has_no_checkboxes_for_seats_one_may_not_unassign(client, usage):
    w = usage.world
    sign_in(client, w, "primary")
    html = client.get(url(w.team, tab="users", **WEEK)).content.decode()
    # Anna's DraftPro row has no seat to unassign: five checkboxes for six rows.
    assert html.count('name="assignments"') == 5


# --- Query counts ---------------------------------------------------------------------------------


def populate(usage, n: int) -> None:
    w = usage.world
    for i in range(n):
        member = MemberFactory(team=w.team)
        AssignmentFactory(member=member, product=usage.render if i % 2 else w.product)
        for day in range(1 + i % 3):
            SeatUsageFactory(user=member.user, product=usage.render, team=w.team, day=d(1 + day))


def count_queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


def test_the_reports_queries_do_not_grow_with_the_number_of_users(client, usage):
    w = usage.world
    sign_in(client, w, "secondary")
    addresses = [
        url(w.team, **WEEK),
        url(w.team, tab="users", **WEEK),
        url(w.team, tab="users", q="e", product=usage.render.pk, sort="-last_used", **WEEK),
        url(w.team, "seat-usage-export-products", **WEEK),
        url(w.team, "seat-usage-export-users", **WEEK),
    ]
    client.get(addresses[0])  # the session is loaded and saved on the first visit
    populate(usage, 5)
    few = [count_queries(client, address) for address in addresses]
    populate(usage, 60)  # the By User table now has two pages
    many = [count_queries(client, address) for address in addresses]
    assert few == many
    assert many[0] <= 12
    assert many[1] <= 15


def test_by_user_of_one_team_counts_its_rows_without_a_count_query(client, usage):
    # The paginator's count comes from the By Product figures (queries.user_usage_count): no COUNT
    # over the rows' UNION, which costs as much as the page itself. The total shown is still right.
    w = usage.world
    sign_in(client, w, "secondary")
    populate(usage, 60)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url(w.team, tab="users", **WEEK))
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"].upper()]
    assert counts == []
    total = len(list(user_usage([w.team.pk], Period(date(2025, 3, 3), date(2025, 3, 9)))))
    assert total > 50
    assert response.context["table"].paginator.count == total
    assert response.context["table"].paginator.num_pages == 2


def test_the_users_export_gives_the_day_of_assignment_in_the_portals_time_zone(client, usage):
    # R-R2: "assigned_on" is the day in the portal's time zone (Europe/Amsterdam), in both halves of
    # the rows: a seat used in the period (David) and one not used (Gerrit). 23:30 UTC is 00:30 there.
    from datetime import UTC, datetime

    w = usage.world
    late = datetime(2025, 3, 4, 23, 30, tzinfo=UTC)
    Assignment.objects.filter(pk__in=[usage.seats["david-draft"].pk, usage.seats["gerrit-draft"].pk]).update(
        assigned_at=late
    )
    sign_in(client, w, "primary")
    _, table = download(client.get(url(w.team, "seat-usage-export-users", **WEEK)))
    header, rows = table[0], table[1:]
    assert header[-1] == "assigned_on"
    assigned = {(row[1], row[2]): row[-1] for row in rows}
    assert assigned[(w.product.name, w.user.user.email)] == "2025-03-05"
    assert assigned[(w.product.name, w.guest.user.email)] == "2025-03-05"
