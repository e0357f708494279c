"""User management › By Product (R-BP1, R-BP2, R-SE1): the list of the team's products with their
seats, a product's page with its assigned users and its subscriptions, "Assign users" (Add, the
suggestions, Customize, a new e-mail address invited, the seat limit), "Unassign" and the arrow that
deselects a service; who may do each, and the query counts of both pages."""

import html
import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from mailer.models import Message as QueuedMessage

from licensing.accounts.models import Invitation, User
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.forms import CHOOSE_ITEMS_TO_ASSIGN
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.product_forms import (
    ALREADY_LISTED,
    LIST_FULL,
    NAMES_NEEDED,
    NO_MATCH,
    SEVERAL_MATCH,
    Person,
)
from licensing.subscriptions.services import ALREADY_ASSIGNED, NO_FREE_SEAT, assignment_create
from licensing.subscriptions.views import NOT_ASSIGNED, UNASSIGNED
from licensing.teams.models import Member
from tests.factories import (
    AssignmentFactory,
    MemberFactory,
    ProductFactory,
    ProductItemFactory,
    SubscriptionFactory,
    UserFactory,
)
from tests.teams.test_member_views import give_names
from tests.undo import without_undo

DENIED = [("anonymous", 302), ("user", 403), ("guest", 403), ("outsider", 404)]
ALLOWED = ["primary", "secondary"]


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    # pytest-django's locmem EMAIL_BACKEND would bypass django-mailer's queue; mails go out after commit.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


@pytest.fixture
def named(world):
    """`world` with names: Jan de Vries (primary), Anna Bakker (secondary), David de Jong (user),
    Gerrit Gast (guest), Ilse Nieuw (invited)."""
    return give_names(world)


def login(client, world, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(getattr(world, persona).user)


def list_url(team, **query) -> str:
    url = reverse("subscriptions:product-list", kwargs={"team_id": team.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def product_url(name: str, world, product=None, member=None, team=None) -> str:
    kwargs = {"team_id": (team or world.team).pk, "product_id": (product or world.product).pk}
    if member is not None:
        kwargs["member_id"] = member.pk
    return reverse(f"subscriptions:product-{name}", kwargs=kwargs)


def detail_url(world, product=None, **query) -> str:
    url = product_url("detail", world, product)
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, without_undo(m.message)) for m in get_messages(response.wsgi_request)]


def give(world, member, product=None, items=None):
    return assignment_create(member=member, product=product or world.product, items=items, actor=world.primary.user)


def held(member, product) -> set[str] | None:
    assignment = Assignment.objects.filter(member=member, product=product).first()
    return None if assignment is None else {item.code for item in assignment.items.all()}


def key(member) -> str:
    return Person(member=member).key


def listed(response) -> list[str]:
    """The people on the dialog's list: the values of its hidden `person` inputs, in order."""
    return [html.unescape(value) for value in re.findall(r'name="person" value="([^"]+)"', response.content.decode())]


def rows(response) -> list[tuple]:
    """The By Product table's products as (name, purchased, assigned, free, over, subscriptions)."""
    return [
        (p.name, p.seats_purchased, p.seats_assigned, p.seats_free, p.seats_over, p.subscription_count)
        for p in records(response)
    ]


def records(response) -> list:
    """The records of the table's page."""
    return [row.record for row in response.context["table"].page.object_list]


# --- Who may (R-U1, SPEC §2) ---------------------------------------------------------------------

PAGES = ["list", "detail", "assign-users", "assign-suggestions", "assignment-change"]
ACTIONS = [
    ("assign-users", {"action": "assign", "person": "USER"}),
    ("assignment-unassign", {}),
    ("assignment-change", {"items": "ITEM0"}),
]


def page_url(name, world, team=None, product=None):
    if name == "list":
        return list_url(team or world.team)
    member = world.user if name.startswith("assignment") else None
    return product_url(name, world, product=product, member=member, team=team)


def post_data(world, data):
    values = {"USER": key(world.user), "ITEM0": str(world.items[0].pk)}
    return {name: values.get(value, value) for name, value in data.items()}


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_pages_are_only_for_the_teams_admins(client, world, name, persona, status):
    # R-U1
    give(world, world.user)
    login(client, world, persona)
    response = client.get(page_url(name, world))
    assert response.status_code == status
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_open_the_pages(client, world, name, persona):
    # R-U1
    give(world, world.user)
    login(client, world, persona)
    assert client.get(page_url(name, world)).status_code == 200


@pytest.mark.parametrize(("name", "data"), ACTIONS)
@pytest.mark.parametrize(("persona", "status"), DENIED)
def test_the_actions_are_only_for_the_teams_admins(client, world, name, data, persona, status):
    # R-BP1, R-BP2
    give(world, world.guest)
    if name != "assign-users":
        give(world, world.user)
    before = set(Assignment.objects.values_list("member", "product"))
    login(client, world, persona)
    response = client.post(page_url(name, world), post_data(world, data))
    assert response.status_code == status
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))
    assert set(Assignment.objects.values_list("member", "product")) == before
    assert held(world.user, world.product) in (None, {"draftpro-desktop", "cloud-render"})


@pytest.mark.parametrize(("name", "data"), ACTIONS)
@pytest.mark.parametrize("persona", ALLOWED)
def test_primary_and_secondary_admins_act(client, world, name, data, persona):
    # R-BP1, R-BP2
    if name != "assign-users":
        give(world, world.user)
    login(client, world, persona)
    response = client.post(page_url(name, world), post_data(world, data))
    assert response.status_code == 302
    assert response.url == detail_url(world)
    expected = {"assign-users": {"draftpro-desktop", "cloud-render"}, "assignment-unassign": None}
    assert held(world.user, world.product) == expected.get(name, {"draftpro-desktop"})


PRODUCT_URLS = PAGES[1:] + [name for name, _data in ACTIONS]


@pytest.mark.parametrize("name", PRODUCT_URLS)
def test_a_product_the_team_has_nothing_of_is_not_found(client, world, name):
    elsewhere = ProductFactory(name="Elsewhere")
    ProductItemFactory(product=elsewhere)
    SubscriptionFactory(team=world.outsider_team, product=elsewhere)
    client.force_login(world.primary.user)
    if name != "assignment-unassign":  # POST only
        assert client.get(page_url(name, world, product=elsewhere)).status_code == 404
    assert client.post(page_url(name, world, product=elsewhere), {"action": "assign"}).status_code == 404
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("name", ["list", *PRODUCT_URLS])
def test_an_admin_of_another_team_cannot_reach_this_team(client, world, name):
    give(world, world.user)
    client.force_login(world.outsider.user)
    if name != "assignment-unassign":  # POST only
        assert client.get(page_url(name, world)).status_code == 404
    assert (
        client.post(page_url(name, world), post_data(world, {"action": "assign", "person": "USER"})).status_code == 404
    )
    if name != "list":  # nor through their own team's address: their team has nothing of DraftPro
        own = page_url(name, world, team=world.outsider_team)
        assert client.post(own, post_data(world, {"action": "assign", "person": "USER"})).status_code == 404
    assert held(world.user, world.product) == {"draftpro-desktop", "cloud-render"}


def test_a_member_of_another_team_is_not_found_beside_this_product(client, world):
    client.force_login(world.primary.user)
    colleague = MemberFactory(team=world.other_team)
    SubscriptionFactory(team=world.other_team, product=world.product)
    give(world, colleague)
    for name in ("assignment-unassign", "assignment-change"):
        url = product_url(name, world, member=colleague)
        assert client.get(url).status_code in (404, 405)
        assert client.post(url, {"items": [world.items[0].pk]}).status_code == 404
    assert held(colleague, world.product) == {"draftpro-desktop", "cloud-render"}
    # Nor is someone of another team put on the list of "Assign users".
    response = client.post(product_url("assign-users", world), {"action": "assign", "person": key(colleague)})
    assert held(colleague, world.product) == {"draftpro-desktop", "cloud-render"}
    assert Assignment.objects.filter(member__team=world.team).count() == 0
    assert "no longer in this team" in response.content.decode()


def test_the_row_actions_are_post_only(client, world):
    give(world, world.user)
    client.force_login(world.primary.user)
    assert client.get(product_url("assignment-unassign", world, member=world.user)).status_code == 405
    assert held(world.user, world.product) is not None


# --- The list (R-BP1, R-SE1) ---------------------------------------------------------------------


def test_the_list_shows_each_products_seats_and_subscriptions(client, named):
    # R-BP1, R-SE1: purchased is the sum over the active subscriptions only.
    world = named
    today = timezone.localdate()
    SubscriptionFactory(team=world.team, product=world.product, seats=2)  # 3 + 2 active
    SubscriptionFactory(  # expired: does not count
        team=world.team,
        product=world.product,
        seats=50,
        term_start=today - timedelta(400),
        term_end=today - timedelta(1),
    )
    SubscriptionFactory(  # not started yet: does not count
        team=world.team,
        product=world.product,
        seats=40,
        term_start=today + timedelta(1),
        term_end=today + timedelta(300),
    )
    SubscriptionFactory(team=world.other_team, product=world.product, seats=99)  # another team's
    give(world, world.user)
    give(world, world.guest)
    client.force_login(world.secondary.user)
    response = client.get(list_url(world.team))
    assert rows(response) == [("DraftPro", 5, 2, 3, 0, 2)]
    page = response.content.decode()
    assert "DraftPro desktop" in page
    assert "Cloud rendering" in page
    assert product_url("detail", world) in page


def test_an_over_full_pool_is_flagged(client, named):
    # R-SE1: a subscription ended, or support allowed it: more assigned than purchased.
    world = named
    viewer = ProductFactory(name="Viewer")
    subscription = SubscriptionFactory(team=world.team, product=viewer, seats=3)
    for member in (world.user, world.guest, world.secondary):
        give(world, member, product=viewer)
    subscription.seats = 1
    subscription.save(update_fields=["seats"])
    orphan = ProductFactory(name="Old CAD")  # only assignments left, its subscription is gone
    AssignmentFactory(member=world.user, product=orphan)
    client.force_login(world.primary.user)
    response = client.get(list_url(world.team))
    assert rows(response) == [
        ("DraftPro", 3, 0, 3, 0, 1),
        ("Old CAD", 0, 1, 0, 1, 0),
        ("Viewer", 1, 3, 0, 2, 1),
    ]
    page = response.content.decode()
    assert page.count("sk-bp-over") == 2
    assert "2 over" in page
    assert "1 over" in page


def test_a_full_pool_says_full(client, world):
    for member in (world.user, world.guest, world.secondary):
        give(world, member)
    client.force_login(world.primary.user)
    assert '<span class="sk-bp-full">Full</span>' in client.get(list_url(world.team)).content.decode()


def test_the_list_shows_only_the_teams_products(client, world):
    SubscriptionFactory(team=world.other_team, product=ProductFactory(name="Engineering only"))
    SubscriptionFactory(team=world.outsider_team, product=ProductFactory(name="Outsider only"))
    client.force_login(world.primary.user)
    assert [row[0] for row in rows(client.get(list_url(world.team)))] == ["DraftPro"]


@pytest.fixture
def shelf(world):
    """Three more products: RenderCloud (cloud, 10 seats, 1 used), Viewer (1 seat, full), Archive
    Suite (2 subscriptions, 8 seats, with an item "Cold storage")."""
    cloud = ProductFactory(name="RenderCloud", code="rendercloud", kind="cloud")
    SubscriptionFactory(team=world.team, product=cloud, seats=10)
    give(world, world.user, product=cloud)
    viewer = ProductFactory(name="Viewer", code="viewer")
    SubscriptionFactory(team=world.team, product=viewer, seats=1)
    give(world, world.guest, product=viewer)
    archive = ProductFactory(name="Archive Suite", code="archive-suite", kind="collection")
    ProductItemFactory(product=archive, name="Cold storage", kind="service")
    SubscriptionFactory(team=world.team, product=archive, seats=5)
    SubscriptionFactory(team=world.team, product=archive, seats=3)
    return world


@pytest.mark.parametrize(
    ("query", "expected"),
    [("draft", ["DraftPro"]), ("RENDER", ["DraftPro", "RenderCloud"]), ("cold", ["Archive Suite"]), ("xyz", [])],
)
def test_search_finds_products_by_name_code_or_item(client, shelf, query, expected):
    # "render" is in RenderCloud and in DraftPro's item "Cloud rendering".
    client.force_login(shelf.primary.user)
    response = client.get(list_url(shelf.team, q=query))
    assert [row[0] for row in rows(response)] == expected
    if not expected:
        assert "No products match this search." in response.content.decode()


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Archive Suite", "DraftPro", "RenderCloud", "Viewer"]),
        ("-name", ["Viewer", "RenderCloud", "DraftPro", "Archive Suite"]),
        ("-seats_purchased", ["RenderCloud", "Archive Suite", "DraftPro", "Viewer"]),
        ("seats_assigned", ["Archive Suite", "DraftPro", "RenderCloud", "Viewer"]),
        ("seats_free", ["Viewer", "DraftPro", "Archive Suite", "RenderCloud"]),
        ("-subscription_count", ["Archive Suite", "DraftPro", "RenderCloud", "Viewer"]),
    ],
)
def test_the_columns_sort(client, shelf, sort, expected):
    client.force_login(shelf.primary.user)
    response = client.get(list_url(shelf.team, sort=sort))
    assert [row[0] for row in rows(response)] == expected


def test_an_over_full_pool_sorts_first_by_free_seats(client, shelf):
    full = shelf.team.subscriptions.get(product__name="Viewer")
    full.seats = 0  # 1 assigned, none purchased: 1 over
    full.save(update_fields=["seats"])
    client.force_login(shelf.primary.user)
    response = client.get(list_url(shelf.team, sort="seats_free"))
    assert [row[0] for row in rows(response)][:2] == ["Viewer", "DraftPro"]


def make_products(world, count: int) -> None:
    for n in range(count):
        product = ProductFactory(name=f"Product {n:02d}")
        ProductItemFactory(product=product)
        ProductItemFactory(product=product, kind="service")
        SubscriptionFactory(team=world.team, product=product, seats=3)
        AssignmentFactory(member=world.user, product=product)


def count_queries(client, url) -> int:
    client.get(url)  # the first visit of a team also remembers it in the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_lists_queries_do_not_grow_with_the_number_of_products(client, world, django_assert_max_num_queries):
    client.force_login(world.primary.user)
    make_products(world, 2)  # with DraftPro: 3
    few = count_queries(client, list_url(world.team))
    make_products(world, 9)  # 12
    many = count_queries(client, list_url(world.team))
    assert many == few
    with django_assert_max_num_queries(8):
        client.get(list_url(world.team))


def test_the_lists_queries_and_counts_do_not_grow_with_the_seats_held(client, world, django_assert_max_num_queries):
    # The seats held are counted in the database, per product, whether 2 or 40 hold one (issue 10).
    world.subscription.seats = 40
    world.subscription.save(update_fields=["seats"])
    client.force_login(world.primary.user)
    make_assignments(world, 2)
    few = count_queries(client, list_url(world.team))
    make_assignments(world, 38)
    many = count_queries(client, list_url(world.team))
    assert many == few
    with django_assert_max_num_queries(8):
        response = client.get(list_url(world.team))
    assert rows(response)[0] == ("DraftPro", 40, 40, 0, 0, 1)


# --- A product's page (R-BP1, R-BP2) -------------------------------------------------------------


def test_the_product_page_shows_assigned_users_with_items_date_and_by_whom(client, named):
    # R-BP2
    world = named
    give(world, world.user)
    give(world, world.guest, items=[world.items[0]])
    give(world, world.invited)
    client.force_login(world.secondary.user)
    response = client.get(detail_url(world))
    page = response.content.decode()
    assert [a.member.user.get_full_name() for a in records(response)] == ["David de Jong", "Gerrit Gast", "Ilse Nieuw"]
    assert '<span class="badge sk-guest-badge">Guest</span>' in page
    assert '<span class="sk-status sk-status-invited sk-bp-invited">Invited</span>' in page
    assert "user@example.com" in page
    assert "guest@example.com" in page
    assert timezone.localdate().strftime("%-d %b %Y") in page  # assigned on
    assert "Jan de Vries" in page  # by whom
    # The guest holds the desktop program, not the service: the chip says so.
    assert re.search(r'sk-chip sk-chip-off"><i class="bi bi-dash"[^>]*></i>Cloud rendering', page)
    assert 'Unassign<span class="visually-hidden"> Gerrit Gast</span>' in page
    assert page.count("Save changes") == 3  # the arrow's menu beside each user


def test_the_product_page_shows_the_seats_and_the_subscriptions_of_the_pool(client, named):
    # R-SE1: the pool is the active subscriptions; expired ones are shown greyed.
    world = named
    today = timezone.localdate()
    world.subscription.contract.number = "1100-ACTIVE"
    world.subscription.contract.save()
    expired = SubscriptionFactory(
        team=world.team,
        product=world.product,
        seats=7,
        plan="premium",
        contract__number="1100-EXPIRED",
        term_start=today - timedelta(400),
        term_end=today - timedelta(10),
    )
    give(world, world.user)
    client.force_login(world.primary.user)
    response = client.get(detail_url(world))
    page = response.content.decode()
    assert [(row.subscription.contract.number, row.state) for row in response.context["pool"]] == [
        ("1100-ACTIVE", "active"),
        ("1100-EXPIRED", "expired"),
    ]
    assert '<tr class="sk-bp-sub-expired">' in page
    assert "Premium" in page
    assert "(7)" in page
    assert expired.owner.email in page  # the owner
    assert response.context["product"].seats_purchased == 3
    assert response.context["product"].seats_free == 2


def test_the_assigned_users_are_searched_and_paginated(client, named):
    world = named
    world.subscription.seats = 80
    world.subscription.save(update_fields=["seats"])
    for n in range(60):
        AssignmentFactory(
            member=MemberFactory(team=world.team, user__first_name="Person", user__last_name=f"{n:03d}"),
            product=world.product,
        )
    give(world, world.user)
    client.force_login(world.primary.user)
    response = client.get(detail_url(world))
    assert response.context["table"].paginator.count == 61
    assert len(records(response)) == 50
    second = client.get(detail_url(world, page=2))
    assert len(records(second)) == 11
    found = client.get(detail_url(world, q="de jong"))
    assert [a.member.pk for a in records(found)] == [world.user.pk]
    by_date = client.get(detail_url(world, sort="-assigned_at"))
    assert records(by_date)[0].member == world.user  # assigned last


def make_assignments(world, count: int) -> None:
    for _n in range(count):
        member = MemberFactory(team=world.team)
        assignment = AssignmentFactory(member=member, product=world.product, assigned_by=world.primary.user)
        assignment.items.set(world.items)


def test_the_product_pages_queries_do_not_grow_with_the_assigned_users(client, world, django_assert_max_num_queries):
    world.subscription.seats = 60
    world.subscription.save(update_fields=["seats"])
    client.force_login(world.primary.user)
    make_assignments(world, 5)
    few = count_queries(client, detail_url(world))
    make_assignments(world, 45)  # 50: one full page
    many = count_queries(client, detail_url(world))
    assert many == few
    with django_assert_max_num_queries(12):  # 11, and the members waiting for a seat through a group (R-GR5)
        client.get(detail_url(world))


# --- Assign users (R-BP1, R-SE1) -----------------------------------------------------------------


def dialog(client, world, *people, **data):
    """POST the dialog with `people` on its list."""
    payload = {"person": [key(p) if isinstance(p, Member) else p for p in people], **data}
    return client.post(product_url("assign-users", world), payload)


def test_the_dialog_shows_the_free_seats(client, named):
    give(named, named.user)
    client.force_login(named.primary.user)
    page = client.get(product_url("assign-users", named)).content.decode()
    assert "<strong>2</strong> of 3 seats free" in page
    assert re.search(r'value="assign" class="btn btn-primary" disabled', page)  # nobody on the list yet


@pytest.mark.parametrize(("query", "persona"), [("David", "user"), ("de jong", "user"), ("GUEST@example.com", "guest")])
def test_add_puts_the_only_match_on_the_list(client, named, query, persona):
    # R-BP1: name or e-mail address, then "Add".
    client.force_login(named.primary.user)
    response = dialog(client, named, action="add", query=query)
    assert response.status_code == 200
    assert listed(response) == [key(getattr(named, persona))]
    assert 'value=""' in response.content.decode().split('name="query"')[1][:200]  # the field is cleared
    assert not Assignment.objects.exists()  # nothing is written before "Assign"


def test_add_with_several_matches_shows_them_to_choose_from(client, named):
    # Without JavaScript the field submits and shows the matches; a match is then chosen.
    client.force_login(named.primary.user)
    response = dialog(client, named, action="add", query="de")
    page = response.content.decode()
    assert str(SEVERAL_MATCH % {"query": "de"}) in page
    assert f'value="pick:{named.user.pk}"' in page
    assert f'value="pick:{named.primary.pk}"' in page
    assert listed(response) == []
    chosen = dialog(client, named, action=f"pick:{named.user.pk}")
    assert listed(chosen) == [key(named.user)]


def test_add_explains_what_it_cannot_add(client, named):
    give(named, named.guest)
    client.force_login(named.primary.user)
    nothing = dialog(client, named, action="add", query="Nobody")
    assert str(NO_MATCH % {"query": "Nobody"}).split("“")[0] in nothing.content.decode()
    has_it = dialog(client, named, action="add", query="gerrit")
    assert str(ALREADY_ASSIGNED % {"name": "Gerrit Gast", "product": "DraftPro"}) in has_it.content.decode()
    twice = dialog(client, named, named.user, action="add", query="david")
    assert str(ALREADY_LISTED % {"name": "David de Jong"}) in twice.content.decode()
    assert listed(twice) == [key(named.user)]
    assert listed(has_it) == []


def test_a_person_is_removed_from_the_list(client, named):
    client.force_login(named.primary.user)
    response = dialog(client, named, named.user, named.guest, action="remove:0")
    assert listed(response) == [key(named.guest)]


def test_assign_gives_everyone_on_the_list_all_items_in_one_go(
    client, named, django_capture_on_commit_callbacks, mailoutbox
):
    # R-BP1, R-P3
    client.force_login(named.secondary.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = dialog(client, named, named.user, named.guest, action="assign")
    assert response.status_code == 302
    assert response.url == detail_url(named)
    for member in (named.user, named.guest):
        assert held(member, named.product) == {"draftpro-desktop", "cloud-render"}
    assert said(response) == [("success", "DraftPro is assigned to David de Jong and Gerrit Gast.")]
    assert sorted(m.to[0] for m in mailoutbox) == ["guest@example.com", "user@example.com"]
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_ASSIGNED)
    assert sorted(e.target_user.email for e in events) == ["guest@example.com", "user@example.com"]
    assert {e.actor for e in events} == {named.secondary.user}


def test_assign_adds_what_is_typed_but_not_added_yet(client, named):
    client.force_login(named.primary.user)
    response = dialog(client, named, named.user, action="assign", query="gerrit")
    assert response.status_code == 302
    assert held(named.guest, named.product) is not None
    assert held(named.user, named.product) is not None


def test_customize_chooses_the_items_for_everyone_on_the_list(client, named):
    # R-BP1: "Customize" (pick items), then "Assign".
    client.force_login(named.primary.user)
    step = dialog(client, named, named.user, named.guest, action="customize")
    page = step.content.decode()
    assert "Choose the items of DraftPro" in page
    assert page.count('name="items"') == 2
    assert page.count("checked") == 2
    assert listed(step) == [key(named.user), key(named.guest)]
    response = dialog(
        client,
        named,
        named.user,
        named.guest,
        action="assign",
        step="items",
        items_shown="1",
        items=[named.items[0].pk],
    )
    assert response.status_code == 302
    assert held(named.user, named.product) == {"draftpro-desktop"}
    assert held(named.guest, named.product) == {"draftpro-desktop"}
    assert said(response) == [
        ("success", "DraftPro is assigned to David de Jong and Gerrit Gast, with DraftPro desktop.")
    ]


def test_customize_needs_an_item_and_back_returns_to_the_list(client, named):
    client.force_login(named.primary.user)
    response = dialog(client, named, named.user, action="assign", step="items", items_shown="1")
    assert response.status_code == 200
    assert str(CHOOSE_ITEMS_TO_ASSIGN) in response.content.decode()
    assert not Assignment.objects.exists()
    back = dialog(client, named, named.user, action="back", step="items")
    assert "Name or e-mail address" in back.content.decode()
    assert listed(back) == [key(named.user)]
    nobody = dialog(client, named, action="customize")
    assert "Add at least one user to the list first." in nobody.content.decode()


def test_the_list_cannot_exceed_the_free_seats(client, named):
    # R-SE1: 3 seats, 1 assigned: two on the list fill the free seats; Add is disabled with the reason.
    give(named, named.secondary)
    client.force_login(named.primary.user)
    response = dialog(client, named, named.user, action="add", query="gerrit")
    page = response.content.decode()
    assert listed(response) == [key(named.user), key(named.guest)]
    reason = str(LIST_FULL % {"free": 2})
    assert reason in page
    assert re.search(r'value="add" class="btn btn-outline-primary" disabled aria-describedby="assign-full"', page)
    assert "0 seats left" in page
    refused = dialog(client, named, named.user, named.guest, action="add", query="Ilse")
    assert reason in refused.content.decode()
    assert listed(refused) == [key(named.user), key(named.guest)]


def test_a_full_pool_is_said_in_the_dialog(client, named):
    # R-SE1
    for member in (named.user, named.guest, named.secondary):
        give(named, member)
    client.force_login(named.primary.user)
    page = client.get(product_url("assign-users", named)).content.decode()
    assert str(NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"}) in page
    assert re.search(r'value="add" class="btn btn-outline-primary" disabled', page)
    refused = dialog(client, named, action="add", query="Ilse")
    assert listed(refused) == []


def test_one_refusal_undoes_the_whole_list(client, named, django_capture_on_commit_callbacks, mailoutbox):
    # R-SE1: someone took a seat meanwhile; the third on the list finds none, and nobody is assigned
    # or invited.
    client.force_login(named.primary.user)
    newcomer = Person(None, "new.person@example.com", "Nina", "Nieuw").key
    give(named, named.secondary)  # after the dialog was filled: 2 free seats, 3 people
    with django_capture_on_commit_callbacks(execute=True):
        response = dialog(client, named, named.user, newcomer, named.guest, action="assign")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Gerrit Gast: " in page
    assert "All 3 seats of DraftPro in this team are assigned." in page
    assert Assignment.objects.filter(product=named.product).count() == 1  # the secondary's only
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mailoutbox == []
    assert [m.to_addresses for m in QueuedMessage.objects.all()] == [
        ["secondary@example.com"]
    ]  # the seat taken meanwhile
    assert not ActivityEvent.objects.filter(target_user=named.user.user).exists()
    assert len(listed(response)) == 3  # the list stays, to change and try again


def test_a_new_email_address_is_asked_for_names_then_invited_and_assigned(
    client, named, django_capture_on_commit_callbacks, mailoutbox
):
    # R-BP1: "An e-mail that is not yet a member is invited at the same time."
    client.force_login(named.primary.user)
    asked = dialog(client, named, action="add", query="Nina.Nieuw@example.com")
    page = asked.content.decode()
    assert str(NAMES_NEEDED % {"email": "Nina.Nieuw@example.com"}) in page
    assert 'name="first_name"' in page
    assert 'value="Nina.Nieuw@example.com"' in page
    added = dialog(client, named, action="add", query="Nina.Nieuw@example.com", first_name="Nina", last_name="Nieuw")
    assert listed(added) == [Person(None, "Nina.Nieuw@example.com", "Nina", "Nieuw").key]
    assert "New: will be invited" in added.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = dialog(client, named, named.user, *listed(added), action="assign")
    assert response.status_code == 302
    member = Member.objects.get(team=named.team, user__email="Nina.Nieuw@example.com")
    assert member.status == Member.Status.INVITED
    assert Invitation.objects.filter(member=member).exists()
    assert held(member, named.product) == {"draftpro-desktop", "cloud-render"}
    assert said(response) == [
        (
            "success",
            "DraftPro is assigned to David de Jong and Nina Nieuw. "
            "Nina Nieuw is invited to Design and gets the invitation by e-mail.",
        )
    ]
    assert sorted(m.subject for m in mailoutbox if m.to == ["Nina.Nieuw@example.com"]) == [
        "DraftPro is ready for you",
        "You are invited to join Design",
    ]
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.MEMBER_INVITED, target_user=member.user).exists()


def test_an_address_with_an_account_elsewhere_uses_that_account(client, named):
    # R-U7: one account per address. Its names do not come with it (issue 19): the team invites the
    # person with the names the admin types, as any address that is no member.
    account = UserFactory(email="Piet@Elders.example", first_name="Piet", last_name="Elders")
    client.force_login(named.primary.user)
    added = dialog(client, named, action="add", query="piet@elders.example", first_name="P.", last_name="Elders")
    assert listed(added) == [Person(None, "piet@elders.example", "P.", "Elders").key]
    response = dialog(client, named, *listed(added), action="assign")
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="piet@elders.example").count() == 1
    assert held(Member.objects.get(team=named.team, user=account), named.product) is not None


def test_a_members_address_adds_the_member_not_an_invitation(client, named):
    client.force_login(named.primary.user)
    response = dialog(client, named, action="add", query="NEW@example.com")  # Ilse Nieuw, invited
    assert listed(response) == [key(named.invited)]


def test_an_invalid_address_is_refused(client, named):
    client.force_login(named.primary.user)
    response = dialog(client, named, action="add", query="nina@", first_name="Nina", last_name="Nieuw")
    assert "Enter a valid e-mail address" in response.content.decode()
    assert listed(response) == []


# --- The suggestions (R-BP1) ---------------------------------------------------------------------


def suggest(client, world, query, *people):
    url = product_url("assign-suggestions", world)
    return client.get(url, {"query": query, "person": [key(p) for p in people]}, HTTP_HX_REQUEST="true")


def test_suggestions_list_matching_members_and_who_has_the_product(client, named):
    give(named, named.primary)
    client.force_login(named.secondary.user)
    page = suggest(client, named, "de").content.decode()
    assert f'value="pick:{named.user.pk}"' in page
    assert "Has DraftPro" in page  # shown, not choosable
    assert re.search(rf'value="pick:{named.primary.pk}" class="sk-assign-suggestion" disabled', page)
    assert "<html" not in page  # a fragment


def test_suggestions_leave_out_the_people_on_the_list(client, named):
    client.force_login(named.primary.user)
    page = suggest(client, named, "de", named.user).content.decode()
    assert f'value="pick:{named.user.pk}"' not in page
    assert f'value="pick:{named.primary.pk}"' in page


def test_suggestions_wait_for_two_letters_and_say_when_nobody_matches(client, named):
    client.force_login(named.primary.user)
    assert "pick:" not in suggest(client, named, "d").content.decode()
    assert "No user of this team matches" in suggest(client, named, "zz").content.decode()


def test_suggestions_offer_to_invite_a_new_address(client, named):
    client.force_login(named.primary.user)
    page = suggest(client, named, "nina@example.com").content.decode()
    assert "is not a member of this team yet" in page
    assert 'name="first_name"' in page
    assert 'name="last_name"' in page
    member_page = suggest(client, named, "user@example.com").content.decode()
    assert "is not a member" not in member_page
    assert f"pick:{named.user.pk}" in member_page


def test_suggestions_show_only_this_teams_members(client, named):
    MemberFactory(team=named.other_team, user__first_name="Derk", user__last_name="Elsewhere")
    client.force_login(named.primary.user)
    assert "Elsewhere" not in suggest(client, named, "derk").content.decode()


# --- Unassign and the arrow beside a user (R-BP2) ------------------------------------------------


def test_unassign_removes_the_users_access(client, named):
    # R-BP2
    give(named, named.user)
    client.force_login(named.secondary.user)
    url = product_url("assignment-unassign", named, member=named.user)
    response = client.post(url, {"back": "page=2&sort=-assigned_at&evil=1"})
    assert response.url == detail_url(named, sort="-assigned_at", page=2)  # the same view of the page
    assert held(named.user, named.product) is None
    assert said(response) == [("success", str(UNASSIGNED % {"name": "David de Jong", "product": "DraftPro"}))]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_UNASSIGNED)
    assert (event.actor, event.target_user) == (named.secondary.user, named.user.user)


def test_unassign_twice_says_there_is_nothing_to_unassign(client, named):
    client.force_login(named.primary.user)
    response = client.post(product_url("assignment-unassign", named, member=named.user))
    assert said(response) == [("info", str(NOT_ASSIGNED % {"name": "David de Jong", "product": "DraftPro"}))]


def test_the_arrow_deselects_a_service(client, named):
    # R-BP2: the arrow lists the product's services, which can be deselected, then "Save changes".
    give(named, named.user)
    client.force_login(named.primary.user)
    url = product_url("assignment-change", named, member=named.user)
    response = client.post(url, {"items": [named.items[0].pk]})
    assert response.url == detail_url(named)
    assert held(named.user, named.product) == {"draftpro-desktop"}
    assert said(response) == [("success", "The items of DraftPro for David de Jong are saved.")]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.ASSIGNMENT_CHANGED)
    assert (event.before, event.after) == (
        {"items": ["cloud-render", "draftpro-desktop"]},
        {"items": ["draftpro-desktop"]},
    )


def test_deselecting_every_item_unassigns(client, named):
    # R-BP2, R-P4
    give(named, named.user)
    client.force_login(named.primary.user)
    response = client.post(product_url("assignment-change", named, member=named.user), {})
    assert held(named.user, named.product) is None
    assert said(response) == [("success", str(UNASSIGNED % {"name": "David de Jong", "product": "DraftPro"}))]


def test_the_arrow_without_javascript_is_a_page_with_the_items_ticked(client, named):
    give(named, named.user, items=[named.items[1]])
    client.force_login(named.primary.user)
    page = client.get(product_url("assignment-change", named, member=named.user), {"back": "page=2"}).content.decode()
    assert "DraftPro for David de Jong" in page
    assert re.search(rf'value="{named.items[1].pk}" checked', page)
    assert not re.search(rf'value="{named.items[0].pk}" checked', page)
    assert 'name="back" value="page=2"' in page


def test_the_arrow_on_a_user_who_lost_the_product_says_so(client, named):
    client.force_login(named.primary.user)
    response = client.post(product_url("assignment-change", named, member=named.user), {"items": [named.items[0].pk]})
    assert response.status_code == 302
    assert said(response) == [("info", str(NOT_ASSIGNED % {"name": "David de Jong", "product": "DraftPro"}))]
    assert held(named.user, named.product) is None
