"""Reporting › Activity log: who may read it, what a row says (who, what, target, before → after, IP),
the filters, pagination, "Export as CSV" (the same rows and filters as the screen, safe for
spreadsheets), that nobody can change the log, and query counts that do not grow with rows."""

import csv
import datetime
import io
import re

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from licensing.activity import filters
from licensing.activity.models import ActivityEvent
from licensing.activity.tables import CSV_HEADER
from licensing.subscriptions import services as subscription_services
from licensing.teams import services as team_services
from licensing.teams.models import Member
from tests.factories import ProductFactory, ProductItemFactory, UserFactory

Action = ActivityEvent.Action
DENIED = [("anonymous", 302), ("user", 403), ("guest", 403), ("outsider", 404)]
ALLOWED = ["primary", "secondary", "staff"]
VIEWS = ["activity:event-list", "activity:event-export"]


def sign_in(client, world, persona: str) -> None:
    if persona == "staff":
        client.force_login(world.staff)
    elif persona != "anonymous":
        client.force_login(getattr(world, persona).user)


def url(world, name: str = "activity:event-list", team=None, **query) -> str:
    address = reverse(name, kwargs={"team_id": (team or world.team).pk})
    if query:
        address += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return address


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def event(world, action=Action.ROLE_CHANGED, *, at=None, team=None, **fields) -> ActivityEvent:
    """An event of the world's team, as a service would have written it."""
    fields.setdefault("target", "Someone")
    return ActivityEvent.objects.create(
        action=action, team=team or world.team, created_at=at or timezone.now(), **fields
    )


@pytest.fixture
def named(world):
    for persona, (first, last) in {
        "primary": ("Jan", "de Vries"),
        "secondary": ("Anna", "Bakker"),
        "user": ("David", "de Jong"),
        "guest": ("Gerrit", "Gast"),
    }.items():
        user = getattr(world, persona).user
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    return world


def rows(response) -> list[ActivityEvent]:
    return [row.record for row in response.context["table"].paginated_rows]


def cells(response, column: str) -> list[str]:
    return [str(row.get_cell(column)) for row in response.context["table"].paginated_rows]


def text(html: str) -> str:
    """The words of a cell as a person reads them (tags left out)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def download(response) -> tuple[bytes, list[list[str]]]:
    body = b"".join(response.streaming_content)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


# --- Who may read it ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_log_and_its_export_are_only_for_the_teams_admins(client, world, name, persona, status):
    # R-R3, SPEC §2: nobody sees another team's log; members who are not admins are refused.
    event(world)
    sign_in(client, world, persona)
    response = client.get(url(world, name))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_and_support_read_and_export_the_log(client, world, name, persona):
    # R-R3
    event(world)
    sign_in(client, world, persona)
    assert client.get(url(world, name)).status_code == 200


@pytest.mark.parametrize("name", VIEWS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_nobody_can_change_the_log_through_the_portal(client, world, name, method):
    # Rows are only ever added, by the services: the screens answer GET alone.
    event(world)
    sign_in(client, world, "primary")
    response = getattr(client, method)(url(world, name))
    assert response.status_code == 405
    assert ActivityEvent.objects.count() == 1


def test_the_log_is_in_the_navigation_under_reporting(client, world):
    sign_in(client, world, "secondary")
    html = client.get(reverse("team-home", kwargs={"team_id": world.team.pk})).content.decode()
    assert f'href="{url(world)}"' in html
    assert "Activity log" in html


# --- What it shows --------------------------------------------------------------------------------


def test_the_log_shows_only_the_teams_events_newest_first(client, world):
    older = event(world, target="Older", at=timezone.now() - datetime.timedelta(days=2))
    newer = event(world, target="Newer")
    event(world, team=world.other_team, target="Other team")
    event(world, team=world.outsider_team, target="Outsider team")
    sign_in(client, world, "primary")
    response = client.get(url(world))
    assert rows(response) == [newer, older]
    assert "Outsider team" not in response.content.decode()


def test_who_is_the_admin_support_staff_or_the_system(client, named):
    world = named
    by_admin = event(world, actor=world.secondary.user, via=ActivityEvent.Via.PORTAL)
    by_support = event(world, actor=world.staff, via=ActivityEvent.Via.ADMIN)
    by_system = event(world, actor=None, via=ActivityEvent.Via.SYSTEM)
    sign_in(client, world, "primary")
    response = client.get(url(world))
    who = dict(zip(rows(response), cells(response, "who"), strict=True))
    assert text(who[by_admin]) == "Anna Bakker secondary@example.com"
    assert "Support" not in who[by_admin]
    assert "Support" in who[by_support]
    assert world.staff.email in who[by_support]
    assert text(who[by_system]) == "System"


def test_what_and_target_show_the_event_the_product_and_the_user_concerned(client, named):
    world = named
    event(world, Action.PRODUCT_ASSIGNED, target="David de Jong", target_user=world.user.user, product=world.product)
    sign_in(client, world, "primary")
    response = client.get(url(world))
    assert text(cells(response, "what")[0]) == "Product assigned DraftPro"
    assert text(cells(response, "target")[0]) == "David de Jong user@example.com"


@pytest.mark.parametrize(
    ("action", "before", "after", "expected"),
    [
        (Action.ROLE_CHANGED, {"role": "user"}, {"role": "secondary_admin"}, "Role: User → Secondary admin"),
        (Action.GUEST_CHANGED, {"guest": False}, {"guest": True}, "Guest: No → Yes"),
        (
            Action.ASSIGNMENT_CHANGED,
            {"items": ["cloud-render", "draftpro-desktop"]},
            {"items": ["draftpro-desktop"]},
            "Items: Cloud rendering, DraftPro desktop → DraftPro desktop",
        ),
        (
            Action.PRODUCT_UNASSIGNED,
            {"items": ["draftpro-desktop"]},
            None,
            "Items: DraftPro desktop → —",
        ),
        (Action.PRODUCT_ASSIGNED, None, {"items": []}, "Items: none"),
        # Items as the portal lists them (kind, name); a code the product no longer has, as it is.
        (
            Action.PRODUCT_ASSIGNED,
            None,
            {"items": ["retired-item", "draftpro-desktop"]},
            "Items: DraftPro desktop, retired-item",
        ),
        (Action.TEAM_RENAMED, {"name": "Design"}, {"name": "Ontwerp"}, "Name: Design → Ontwerp"),
        (Action.SEATS_CHANGED, {"seats": 3}, {"seats": 5}, "Seats: 3 → 5"),
        (
            Action.SUBSCRIPTION_RENEWED,
            {"term_end": "2026-12-31"},
            {"term_end": "2027-12-31"},
            "Term ends: 31 Dec 2026 → 31 Dec 2027",
        ),
        (Action.SUBSCRIPTION_MOVED, {"team": "Design"}, {"team": "Engineering"}, "Team: Design → Engineering"),
        (Action.INVITATION_ACCEPTED, {"status": "invited"}, {"status": "active"}, "Status: Invited → Active"),
        (
            Action.MEMBER_INVITED,
            None,
            {"email": "new@example.com", "guest": False},
            "E-mail address: new@example.com Guest: No",
        ),
        (
            Action.SUBSCRIPTION_ADDED,
            None,
            {"plan": "pay_per_use", "contract": "C-1"},
            "Contract: C-1 Plan: Pay Per Use",
        ),
        (
            Action.CONTRACT_MANAGER_CHANGED,
            {"manager": "a@example.com"},
            {"something_new": 1},
            "Contract manager: a@example.com → — Something new: 1",
        ),
    ],
)
def test_before_and_after_read_as_words(client, world, action, before, after, expected):
    event(world, action, product=world.product, before=before, after=after)
    sign_in(client, world, "primary")
    assert text(cells(client.get(url(world)), "change")[0]) == expected


def test_a_log_written_by_the_services_reads_as_what_happened(client, named):
    # The rows the real services write, not hand-made ones.
    world = named
    actor = world.primary.user
    team_services.member_change_role(member=world.user, role=Member.Role.SECONDARY_ADMIN, actor=actor)
    assignment = subscription_services.assignment_create(member=world.guest, product=world.product, actor=actor)
    subscription_services.assignment_update(assignment=assignment, items=[world.items[0]], actor=actor)
    team_services.team_rename(team=world.team, name="Ontwerp", actor=actor)
    sign_in(client, world, "primary")
    response = client.get(url(world))
    changes = [text(cell) for cell in cells(response, "change")]
    assert changes == [
        "Name: Design → Ontwerp",
        "Items: Cloud rendering, DraftPro desktop → DraftPro desktop",
        "Items: Cloud rendering, DraftPro desktop",
        "Role: User → Secondary admin",
    ]
    assert [text(cell) for cell in cells(response, "who")] == ["Jan de Vries primary@example.com"] * 4


def test_the_ip_address_is_shown(client, world):
    event(world, ip_address="203.0.113.7")
    event(world, ip_address=None)
    sign_in(client, world, "primary")
    assert sorted(cells(client.get(url(world)), "ip_address")) == ["203.0.113.7", "—"]


def test_a_long_ipv6_address_may_wrap_only_after_its_colons(client, world):
    event(world, ip_address="2001:db8::8a2e:370:7334")
    sign_in(client, world, "primary")
    assert cells(client.get(url(world)), "ip_address") == ["2001:<wbr>db8:<wbr>:<wbr>8a2e:<wbr>370:<wbr>7334"]


def test_a_change_made_through_the_portal_records_the_admins_address(client, named):
    world = named
    sign_in(client, world, "primary")
    client.post(
        reverse("teams:member-role", kwargs={"team_id": world.team.pk, "member_id": world.user.pk}),
        {"role": "secondary_admin"},
        REMOTE_ADDR="198.51.100.23",
    )
    response = client.get(url(world))
    assert cells(response, "ip_address") == ["198.51.100.23"]
    assert text(cells(response, "who")[0]).startswith("Jan de Vries")


# --- Filters --------------------------------------------------------------------------------------


@pytest.fixture
def log(named):
    """A few days of a team's life, in the local time zone."""
    world = named
    cloud = ProductFactory(code="rendercloud", name="RenderCloud")
    ProductItemFactory(product=cloud, code="render-credits", name="Render credits")
    world.events = {
        "invite": event(
            world, Action.MEMBER_INVITED, at=local(2026, 8, 30, 0, 5), actor=world.primary.user,
            target_user=world.user.user, target="David de Jong", ip_address="203.0.113.7",
        ),
        "assign": event(
            world, Action.PRODUCT_ASSIGNED, at=local(2026, 9, 15, 12, 0), actor=world.secondary.user,
            target_user=world.user.user, target="David de Jong", product=world.product,
        ),
        "cloud": event(
            world, Action.PRODUCT_ASSIGNED, at=local(2026, 9, 16, 9, 30), actor=world.primary.user,
            target_user=world.guest.user, target="Gerrit Gast", product=cloud,
        ),
        "role": event(
            world, Action.ROLE_CHANGED, at=local(2026, 11, 28, 23, 55), actor=world.primary.user,
            target_user=world.secondary.user, target="Anna Bakker",
            before={"role": "user"}, after={"role": "secondary_admin"},
        ),
        "renamed": event(world, Action.TEAM_RENAMED, at=local(2026, 11, 29, 0, 0), target="Ontwerp",
                         before={"name": "Design"}, after={"name": "Ontwerp"}),
    }  # fmt: skip
    world.cloud = cloud
    return world


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["renamed", "role", "cloud", "assign", "invite"]),
        # A date range counts whole local days, both ends included.
        ({"since": "2026-08-30", "until": "2026-11-28"}, ["role", "cloud", "assign", "invite"]),
        ({"since": "2026-09-16"}, ["renamed", "role", "cloud"]),
        ({"until": "2026-09-15"}, ["assign", "invite"]),
        ({"action": Action.PRODUCT_ASSIGNED}, ["cloud", "assign"]),
        ({"product": "cloud"}, ["cloud"]),
        # A user: what they did and what was done to them.
        ({"user": "secondary"}, ["role", "assign"]),
        ({"user": "user"}, ["assign", "invite"]),
        ({"q": "gast"}, ["cloud"]),
        ({"q": "secondary@EXAMPLE"}, ["role", "assign"]),
        ({"q": "203.0.113"}, ["invite"]),
        ({"q": "design"}, ["renamed"]),  # the name before
        ({"q": "david jong"}, ["assign", "invite"]),
        ({"q": "david rendercloud"}, []),
        ({"action": Action.PRODUCT_ASSIGNED, "user": "primary", "since": "2026-09-16"}, ["cloud"]),
    ],
)
def test_the_filters_narrow_the_log(client, log, query, expected):
    query = dict(query)
    if "product" in query:
        query["product"] = log.cloud.pk
    if "user" in query:
        query["user"] = getattr(log, query["user"]).user.pk
    sign_in(client, log, "primary")
    response = client.get(url(log, **query))
    names = {value.pk: key for key, value in log.events.items()}
    assert [names[record.pk] for record in rows(response)] == expected
    assert response.context["filter"].is_filtered == bool(query)


def test_a_start_date_after_the_end_date_is_explained(client, log):
    sign_in(client, log, "primary")
    response = client.get(url(log, since="2026-11-28", until="2026-08-30"))
    assert response.status_code == 200
    assert "The start date is after the end date." in response.content.decode()
    assert rows(response) == []


@pytest.mark.parametrize("name", ["activity:event-list", "activity:event-export"])
@pytest.mark.parametrize("query", [{"since": "0001-01-01"}, {"until": "9999-12-31"}, {"since": "1999-12-31"}])
def test_a_far_off_date_is_refused_not_a_server_error(client, log, name, query):
    # Year 1 or 9999 overflows midnight in the time zone; such a date is a typo, said in words.
    sign_in(client, log, "primary")
    response = client.get(url(log, name, **query))
    assert response.status_code == 200
    if name == "activity:event-list":
        assert "Choose a date between 1 Jan 2000 and" in response.content.decode()
        assert len(rows(response)) == len(log.events)  # the date is left out, the log is all there


def test_the_filter_lists_offer_the_teams_people_and_products(client, log):
    stranger = UserFactory(email="stranger@example.com")
    event(log, team=log.outsider_team, actor=stranger, product=ProductFactory(name="Elsewhere CAD"))
    sign_in(client, log, "primary")
    html = client.get(url(log)).content.decode()
    assert "Jan de Vries (primary@example.com)" in html
    assert "Gerrit Gast (guest@example.com)" in html
    assert "stranger@example.com" not in html
    assert ">DraftPro</option>" in html
    assert "Elsewhere CAD" not in html


def test_a_name_in_the_log_filters_on_that_person_also_after_they_left(client, log):
    # A deleted member is no longer in the User list, but their history is in the log: their name
    # there shows only their events, and the list then offers them as the chosen user.
    deleted = UserFactory(first_name="Piet", last_name="Weg", email="piet@example.com")
    gone = event(log, Action.MEMBER_DELETED, target_user=deleted, target="Piet Weg", actor=log.secondary.user)
    sign_in(client, log, "primary")
    response = client.get(url(log, action=Action.MEMBER_DELETED, page=1))
    link = re.search(r'<a class="sk-log-target sk-log-filter-link" href="([^"]+)"', cells(response, "target")[0])
    assert link is not None
    assert link.group(1) == f"?action=member_deleted&amp;user={deleted.pk}"
    filtered = client.get(url(log) + link.group(1).replace("&amp;", "&"))
    assert rows(filtered) == [gone]
    assert f'<option value="{deleted.pk}" selected>Piet Weg (piet@example.com)</option>' in filtered.content.decode()


def test_a_user_outside_the_teams_log_is_not_a_filter(client, log):
    # Nobody learns of another team's people through this team's log.
    sign_in(client, log, "primary")
    response = client.get(url(log, user=log.outsider.user.pk))
    assert response.status_code == 200
    assert len(rows(response)) == 5
    assert "outsider@example.com" not in response.content.decode()


def test_a_product_that_does_not_exist_is_ignored(client, log):
    sign_in(client, log, "primary")
    assert len(rows(client.get(url(log, product=999999)))) == 5


def test_a_team_too_big_for_a_user_list_is_filtered_by_clicking_names(client, world, monkeypatch):
    monkeypatch.setattr(filters, "MAX_PEOPLE_CHOICES", 3)  # the world's team has 5 members
    sign_in(client, world, "primary")
    assert "primary@example.com)</option>" not in client.get(url(world)).content.decode()
    chosen = client.get(url(world, user=world.user.user.pk)).content.decode()
    assert f'<option value="{world.user.user.pk}" selected>' in chosen


def test_the_user_list_is_the_teams_members_by_name_up_to_its_limit(world, monkeypatch):
    # By last name whatever its case, as on By User ("aalders" before "Boer", which a plain sort
    # puts the other way round); only this team's people; a team of exactly the limit still gets its
    # list, one more gets none (then the admin clicks names in the log).
    from licensing.accounts.models import User
    from tests.factories import MemberFactory

    members = list(Member.objects.filter(team=world.team).select_related("user").order_by("pk"))
    for n, member in enumerate(members):  # plain ASCII names: the same order on every database
        User.objects.filter(pk=member.user_id).update(first_name="Fay", last_name=f"Xander{n:02}")
        # The invited member is shown by the names the team invited them with (Member.name).
        Member.objects.filter(pk=member.pk).update(invited_first_name="Fay", invited_last_name=f"Xander{n:02}")
    MemberFactory(team=world.team, user__first_name="Bo", user__last_name="Boer", user__email="b@example.com")
    MemberFactory(team=world.team, user__first_name="Al", user__last_name="aalders", user__email="a@example.com")
    names = [label for _pk, label in filters.people_choices(world.team)]
    assert names[:2] == ["Al aalders (a@example.com)", "Bo Boer (b@example.com)"]
    assert names[2:] == [f"Fay Xander{n:02} ({member.user.email})" for n, member in enumerate(members)]
    assert not any("outsider@example.com" in name for name in names)
    size = len(names)
    monkeypatch.setattr(filters, "MAX_PEOPLE_CHOICES", size)
    assert len(filters.people_choices(world.team)) == size
    monkeypatch.setattr(filters, "MAX_PEOPLE_CHOICES", size - 1)
    assert filters.people_choices(world.team) == []


# --- Pagination and query counts ------------------------------------------------------------------


def many(world, count: int) -> None:
    start = timezone.now() - datetime.timedelta(days=1)
    people = [world.primary.user, world.secondary.user, world.staff, None]
    ActivityEvent.objects.bulk_create(
        ActivityEvent(
            team=world.team,
            created_at=start + datetime.timedelta(minutes=n),
            action=Action.ASSIGNMENT_CHANGED,
            actor=people[n % 4],
            via=ActivityEvent.Via.ADMIN if people[n % 4] == world.staff else ActivityEvent.Via.PORTAL,
            target_user=world.user.user,
            product=world.product,
            target=f"Event {n}",
            before={"items": ["draftpro-desktop", "cloud-render"], "role": "user"},
            after={"items": ["draftpro-desktop"], "role": "secondary_admin"},
            ip_address="192.0.2.1",
        )
        for n in range(count)
    )


def test_the_log_shows_50_events_a_page(client, world):
    many(world, 60)
    sign_in(client, world, "primary")
    first = client.get(url(world))
    assert len(rows(first)) == 50
    assert rows(first)[0].target == "Event 59"
    second = client.get(url(world, page=2))
    assert [event.target for event in rows(second)] == [f"Event {n}" for n in range(9, -1, -1)]
    oldest_first = client.get(url(world, sort="when"))
    assert rows(oldest_first)[0].target == "Event 0"


def _queries(client, address) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address)
        if isinstance(response, StreamingHttpResponse):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("query", [{}, {"q": "event", "action": Action.ASSIGNMENT_CHANGED}])
def test_the_list_takes_as_many_queries_for_60_events_as_for_5(client, world, query):
    sign_in(client, world, "primary")
    client.get(url(world))  # the first page of a visit also stores the current team in the session
    many(world, 5)
    if query:
        query["user"] = world.secondary.user.pk
    few = _queries(client, url(world, **query))
    many(world, 55)
    assert _queries(client, url(world, **query)) == few
    assert few <= 11, few


def test_the_export_takes_as_many_queries_for_60_events_as_for_5(client, world):
    sign_in(client, world, "primary")
    client.get(url(world))
    many(world, 5)
    few = _queries(client, url(world, "activity:event-export"))
    many(world, 55)
    assert _queries(client, url(world, "activity:event-export")) == few
    assert few <= 8, few


def test_the_list_stays_within_its_query_budget(client, world, django_assert_max_num_queries):
    many(world, 60)
    sign_in(client, world, "secondary")
    with django_assert_max_num_queries(14):  # the first page of a visit: 3 more for the session
        client.get(url(world, page=2))


# --- Export as CSV --------------------------------------------------------------------------------


def test_the_export_is_a_streamed_utf8_csv_with_bom_and_the_documented_columns(client, log):
    sign_in(client, log, "primary")
    response = client.get(url(log, "activity:event-export"))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body, table = download(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert table[0] == CSV_HEADER == [
        "when", "who_email", "who_name", "via", "action", "action_label",
        "target", "user_email", "product", "before", "after", "ip_address",
    ]  # fmt: skip
    assert len(table) == 6


def test_the_export_writes_each_event_in_words_and_codes(client, log):
    log.events["role"].ip_address = "203.0.113.9"
    log.events["role"].via = ActivityEvent.Via.ADMIN
    log.events["role"].save()
    sign_in(client, log, "primary")
    _, table = download(client.get(url(log, "activity:event-export")))
    by_target = {row[6]: dict(zip(CSV_HEADER, row, strict=True)) for row in table[1:]}
    assert by_target["Anna Bakker"] == {
        "when": "2026-11-28T23:55:00+01:00",  # ISO 8601 with the offset of Europe/Amsterdam in winter
        "who_email": "primary@example.com",
        "who_name": "Jan de Vries",
        "via": "admin",
        "action": "role_changed",
        "action_label": "Role changed",
        "target": "Anna Bakker",
        "user_email": "secondary@example.com",
        "product": "",
        "before": "Role: User",
        "after": "Role: Secondary admin",
        "ip_address": "203.0.113.9",
    }
    assert by_target["Ontwerp"]["who_name"] == "System"
    assert by_target["Ontwerp"]["who_email"] == ""
    assert by_target["Gerrit Gast"]["product"] == "RenderCloud"
    assert by_target["David de Jong"]["when"] in ("2026-08-30T00:05:00+02:00", "2026-09-15T12:00:00+02:00")


def test_the_export_names_items_and_holds_all_pages(client, world):
    many(world, 60)
    sign_in(client, world, "primary")
    _, table = download(client.get(url(world, "activity:event-export")))
    assert len(table) == 61
    row = dict(zip(CSV_HEADER, table[1], strict=True))
    assert row["target"] == "Event 59"
    assert row["before"] == "Role: User; Items: Cloud rendering, DraftPro desktop"  # as the portal lists items
    assert row["after"] == "Role: Secondary admin; Items: DraftPro desktop"


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"since": "2026-09-01", "until": "2026-11-28"},
        {"action": Action.PRODUCT_ASSIGNED},
        {"q": "david"},
        {"user": "primary", "sort": "when"},
        {"product": "draftpro"},
    ],
)
def test_the_export_holds_exactly_the_rows_the_screen_shows(client, log, query):
    # STYLE.md: the export is the very table the admin sees (same queryset, filters and order).
    query = dict(query)
    if "user" in query:
        query["user"] = getattr(log, query["user"]).user.pk
    if "product" in query:
        query["product"] = log.product.pk
    sign_in(client, log, "primary")
    screen = [event.target for event in rows(client.get(url(log, **query)))]
    _, table = download(client.get(url(log, "activity:event-export", **query)))
    assert [row[6] for row in table[1:]] == screen


def test_the_export_link_carries_the_screens_filters(client, log):
    sign_in(client, log, "primary")
    response = client.get(url(log, action=Action.PRODUCT_ASSIGNED, q="david", page=1))
    export = reverse("activity:event-export", kwargs={"team_id": log.team.pk})
    assert f'href="{export}?action=product_assigned&amp;q=david"' in response.content.decode()


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_neutralised(client, world):
    attacker = UserFactory(first_name="=cmd|' /C calc'!A0", last_name="", email="attacker@example.com")
    event(world, actor=attacker, target='=HYPERLINK("http://evil.example","Click")', before={"name": "+1+1"})
    event(world, target="@SUM(A1:A9)", after={"name": "-2"})
    event(world, target="\tTabbed")
    event(world, target="Plain, with a comma")
    sign_in(client, world, "primary")
    _, table = download(client.get(url(world, "activity:event-export")))
    assert [row[6] for row in table[1:]] == [  # newest first
        "Plain, with a comma",
        "'\tTabbed",
        "'@SUM(A1:A9)",
        '\'=HYPERLINK("http://evil.example","Click")',
    ]
    by_target = {row[6]: dict(zip(CSV_HEADER, row, strict=True)) for row in table[1:]}
    assert by_target['\'=HYPERLINK("http://evil.example","Click")']["who_name"] == "'=cmd|' /C calc'!A0"
    assert by_target['\'=HYPERLINK("http://evil.example","Click")']["before"] == "Name: +1+1"  # starts with N
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row


@pytest.mark.parametrize(
    ("query", "filename"),
    [
        ({"since": "2026-08-30", "until": "2026-11-28"}, "activity-design-2026-08-30-to-2026-11-28.csv"),
        ({}, "activity-design-2026-08-30-to-2026-11-29.csv"),  # the first and last event
        ({"since": "2026-09-01"}, "activity-design-2026-09-01-to-2026-11-29.csv"),
        ({"action": Action.SEATS_CHANGED}, "activity-design-{today}-to-{today}.csv"),  # nothing to export
    ],
)
def test_the_export_file_is_named_after_the_team_and_dates(client, log, query, filename):
    sign_in(client, log, "primary")
    response = client.get(url(log, "activity:event-export", **query))
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="{filename.format(today=today)}"'
