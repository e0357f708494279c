"""By User › a user › Products: "Assign", "Unassign" and the arrow beside them that picks the
product's items, then "Save changes" (R-P1..R-P4), under the team's seat pool (R-SE1)."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.forms import CHOOSE_ITEMS_TO_ASSIGN
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import NO_FREE_SEAT, NO_SUBSCRIPTION, assignment_create
from licensing.subscriptions.views import (
    ASSIGNED,
    ITEMS_SAVED,
    NOT_ASSIGNED,
    UNASSIGNED,
    member_products_context,
)
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory
from tests.undo import without_undo

SECTION = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "member-products"}


@pytest.fixture(autouse=True)
def _mail_queued_until_commit(settings):
    # pytest-django's locmem EMAIL_BACKEND would bypass django-mailer's queue; mails go out after commit.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def url(name, world, member=None, product=None, team=None) -> str:
    member = member or world.user
    kwargs = {
        "team_id": (team or world.team).pk,
        "member_id": member.pk,
        "product_id": (product or world.product).pk,
    }
    return reverse(f"subscriptions:member-product-{name}", kwargs=kwargs)


def member_url(member) -> str:
    return reverse("teams:member-detail", kwargs={"team_id": member.team_id, "member_id": member.pk})


def login(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona).user)


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, without_undo(m.message)) for m in get_messages(response.wsgi_request)]


def names(world, member=None) -> dict:
    return {"name": (member or world.user).user.get_full_name(), "product": "DraftPro"}


def held(member, product) -> set[str] | None:
    assignment = Assignment.objects.filter(member=member, product=product).first()
    return None if assignment is None else {item.code for item in assignment.items.all()}


def give(world, member, items=None):
    return assignment_create(member=member, product=world.product, items=items, actor=world.primary.user)


# --- Who may (R-P1, SPEC §2) ---------------------------------------------------------------------

ACTIONS = [
    # (url name, method, data, whether the user holds the product before)
    ("assign", "post", {}, False),
    ("change", "get", None, False),
    ("change", "post", {"items": ["ITEM0"]}, False),
    ("change", "post", {"items": ["ITEM0"]}, True),
    ("unassign", "post", {}, True),
]


def request(client, world, name, method, data, **kwargs):
    if data is not None:
        data = {key: [str(world.items[0].pk)] if value == ["ITEM0"] else value for key, value in data.items()}
    return getattr(client, method)(url(name, world, **kwargs), data or {})


@pytest.mark.parametrize(("name", "method", "data", "before"), ACTIONS)
@pytest.mark.parametrize(
    ("persona", "status"),
    [("anonymous", 302), ("user", 403), ("guest", 403), ("outsider", 404), ("secondary", None), ("primary", None)],
)
def test_only_the_teams_admins_assign_and_unassign(client, world, name, method, data, before, persona, status):
    # R-P1
    if before:
        give(world, world.user)
    login(client, world, persona)
    response = request(client, world, name, method, data)
    if status is None:  # an admin of the team: the page, or back to the user's page
        status = 200 if method == "get" else 302
        assert response.status_code == status
        if method == "post":
            assert response.url == member_url(world.user)
    else:
        assert response.status_code == status
        if persona == "anonymous":
            assert response.url.startswith(reverse("login"))
        assert held(world.user, world.product) == ({"draftpro-desktop", "cloud-render"} if before else None)


@pytest.mark.parametrize(("name", "method", "data", "before"), ACTIONS)
def test_a_member_of_another_team_is_not_found_under_ones_own_team(client, world, name, method, data, before):
    # SPEC §2: nobody reaches another team's people through the portal.
    stranger = MemberFactory(team=world.outsider_team)
    colleague = MemberFactory(team=world.other_team)  # same company, other team
    client.force_login(world.primary.user)
    for member in (stranger, colleague):
        assert request(client, world, name, method, data, member=member).status_code == 404


@pytest.mark.parametrize(("name", "method", "data", "before"), ACTIONS)
def test_an_admin_of_another_team_cannot_reach_this_teams_users(client, world, name, method, data, before):
    client.force_login(world.outsider.user)
    assert request(client, world, name, method, data, team=world.outsider_team).status_code == 404


def test_a_product_the_team_has_nothing_of_is_not_found(client, world):
    elsewhere = ProductFactory(name="Elsewhere")
    SubscriptionFactory(team=world.outsider_team, product=elsewhere)
    client.force_login(world.primary.user)
    assert client.post(url("assign", world, product=elsewhere)).status_code == 404
    assert client.get(url("change", world, product=elsewhere)).status_code == 404
    assert not Assignment.objects.exists()


def test_the_actions_are_post_only(client, world):
    client.force_login(world.primary.user)
    assert client.get(url("assign", world)).status_code == 405
    assert client.get(url("unassign", world)).status_code == 405


# --- Assign (R-P2, R-P3) -------------------------------------------------------------------------


def test_assign_gives_all_items_and_mails_the_user(client, world, django_capture_on_commit_callbacks, mailoutbox):
    # R-P2, R-P3
    client.force_login(world.secondary.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("assign", world))
    assert response.status_code == 302
    assert response.url == member_url(world.user)
    assert held(world.user, world.product) == {"draftpro-desktop", "cloud-render"}
    assert said(response) == [("success", str(ASSIGNED % names(world)))]
    assert [(m.to, m.subject) for m in mailoutbox] == [(["user@example.com"], "DraftPro is ready for you")]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_ASSIGNED)
    assert (event.actor, event.target_user, event.via, event.after) == (
        world.secondary.user,
        world.user.user,
        ActivityEvent.Via.PORTAL,
        {"items": ["cloud-render", "draftpro-desktop"]},
    )


def test_save_changes_on_an_unassigned_product_assigns_the_ticked_items(
    client, world, django_capture_on_commit_callbacks, mailoutbox
):
    # R-P2: the arrow beside "Assign" picks items, then "Save changes".
    client.force_login(world.primary.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("change", world), {"items": [world.items[1].pk]})
    assert response.url == member_url(world.user)
    assert held(world.user, world.product) == {"cloud-render"}
    assert said(response) == [("success", str(ASSIGNED % names(world)))]
    assert [m.subject for m in mailoutbox] == ["DraftPro is ready for you"]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_ASSIGNED)
    assert event.after == {"items": ["cloud-render"]}


def test_save_changes_with_nothing_ticked_assigns_nothing(client, world):
    client.force_login(world.primary.user)
    response = client.post(url("change", world), {})
    assert response.status_code == 200  # the page again, with the reason
    assert str(CHOOSE_ITEMS_TO_ASSIGN) in response.content.decode()
    assert held(world.user, world.product) is None


def test_an_item_of_another_product_is_refused(client, world):
    stranger = ProductItemFactory(name="Foreign")
    client.force_login(world.primary.user)
    response = client.post(url("change", world), {"items": [world.items[0].pk, stranger.pk]})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert held(world.user, world.product) is None


def test_a_full_pool_refuses_assign_with_a_message(client, world, django_capture_on_commit_callbacks, mailoutbox):
    # R-SE1
    for member in (world.guest, world.secondary, world.primary):
        give(world, member)
    mailoutbox.clear()
    client.force_login(world.primary.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("assign", world))
    assert response.status_code == 302
    assert said(response) == [("error", str(NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"}))]
    assert held(world.user, world.product) is None
    assert mailoutbox == []


def test_a_full_pool_refuses_save_changes_on_the_items_page(client, world):
    # R-SE1: the page the arrow opens without JavaScript says why, and keeps the ticks.
    for member in (world.guest, world.secondary, world.primary):
        give(world, member)
    client.force_login(world.primary.user)
    response = client.post(url("change", world), {"items": [world.items[1].pk]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "All 3 seats of DraftPro in this team are assigned." in html
    assert held(world.user, world.product) is None


def test_a_full_pool_disables_assign_and_says_why(world):
    # R-SE1: the section says so before the admin tries.
    for member in (world.guest, world.secondary, world.primary):
        give(world, member)
    html = render_to_string("subscriptions/_member_products.html", member_products_context(world.user))
    assert "All 3 seats are assigned." in html
    assert f'disabled aria-describedby="member-product-{world.product.pk}-full"' in html
    assert url("assign", world) not in html
    assert url("change", world) not in html  # nor the arrow


def test_an_expired_subscription_is_not_offered(client, world):
    # R-SE1: a team's seats are those of its active subscriptions.
    old = ProductFactory(name="OldCAD")
    ProductItemFactory(product=old, name="OldCAD desktop")
    SubscriptionFactory(
        team=world.team,
        product=old,
        term_start=timezone.localdate() - timedelta(days=400),
        term_end=timezone.localdate() - timedelta(days=35),
    )
    context = member_products_context(world.user)["member_products"]
    assert [row.product.name for row in context.offered] == ["DraftPro"]

    client.force_login(world.primary.user)
    response = client.post(url("assign", world, product=old))
    assert said(response) == [("error", str(NO_SUBSCRIPTION % {"product": "OldCAD"}))]
    assert held(world.user, old) is None


# --- Change items, unassign (R-P4) ---------------------------------------------------------------


def test_save_changes_on_an_assigned_product_replaces_its_items(client, world):
    # R-P4: the arrow beside "Unassign" deselects items.
    give(world, world.user)
    client.force_login(world.primary.user)
    response = client.post(url("change", world), {"items": [world.items[0].pk]})
    assert response.url == member_url(world.user)
    assert held(world.user, world.product) == {"draftpro-desktop"}
    assert said(response) == [("success", str(ITEMS_SAVED % names(world)))]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.ASSIGNMENT_CHANGED)
    assert (event.before, event.after) == (
        {"items": ["cloud-render", "draftpro-desktop"]},
        {"items": ["draftpro-desktop"]},
    )


def test_an_item_deselected_earlier_can_be_ticked_again(client, world):
    give(world, world.user, items=[world.items[0]])
    client.force_login(world.primary.user)
    client.post(url("change", world), {"items": [item.pk for item in world.items]})
    assert held(world.user, world.product) == {"draftpro-desktop", "cloud-render"}


def test_deselecting_every_item_unassigns_the_product(client, world):
    # R-P4
    give(world, world.user)
    client.force_login(world.primary.user)
    response = client.post(url("change", world), {})
    assert response.url == member_url(world.user)
    assert held(world.user, world.product) is None
    assert said(response) == [("success", str(UNASSIGNED % names(world)))]
    assert ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED).count() == 1


def test_unassign_removes_the_product_and_its_items(client, world):
    # R-P4
    give(world, world.user)
    client.force_login(world.secondary.user)
    response = client.post(url("unassign", world))
    assert response.url == member_url(world.user)
    assert held(world.user, world.product) is None
    assert said(response) == [("success", str(UNASSIGNED % names(world)))]
    event = ActivityEvent.objects.get(action=ActivityEvent.Action.PRODUCT_UNASSIGNED)
    assert (event.actor, event.before) == (world.secondary.user, {"items": ["cloud-render", "draftpro-desktop"]})


def test_unassigning_what_is_no_longer_assigned_says_so(client, world):
    # Another admin, or another tab, was first.
    client.force_login(world.primary.user)
    response = client.post(url("unassign", world))
    assert response.status_code == 302
    assert said(response) == [("info", str(NOT_ASSIGNED % names(world)))]


def test_assigning_what_is_already_assigned_says_so(client, world):
    give(world, world.user)
    client.force_login(world.primary.user)
    response = client.post(url("assign", world))
    assert said(response) == [("error", f"{world.user.user.get_full_name()} already has DraftPro.")]


# --- The page behind the arrow without JavaScript, and the section with htmx --------------------


def test_the_items_page_ticks_what_the_user_holds(client, world):
    give(world, world.user, items=[world.items[1]])
    client.force_login(world.primary.user)
    html = client.get(url("change", world)).content.decode()
    assert f'name="items" value="{world.items[1].pk}" checked>' in html
    assert f'name="items" value="{world.items[0].pk}">' in html
    assert "Save changes" in html
    assert "Deselecting every item unassigns the product." in html


def test_the_items_page_of_a_product_without_items_does_not_exist(client, world):
    plain = ProductFactory(name="Viewer")
    SubscriptionFactory(team=world.team, product=plain, seats=1)
    client.force_login(world.primary.user)
    assert client.get(url("change", world, product=plain)).status_code == 404


def test_the_items_page_is_a_dialog_for_htmx(client, world):
    client.force_login(world.primary.user)
    response = client.get(url("change", world), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="sk-dialog-content")
    html = response.content.decode()
    assert html.lstrip().startswith('<form class="modal-content"')
    assert "<html" not in html


def test_an_action_from_the_section_answers_with_the_section_and_its_message(client, world):
    client.force_login(world.primary.user)
    response = client.post(url("assign", world), **SECTION)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert str(ASSIGNED % names(world)) in html
    assert 'id="member-products-heading"' in html
    assert url("unassign", world) in html  # the product moved to the assigned ones


def test_a_refusal_in_the_section_is_a_message_in_it(client, world):
    # R-SE1: never a 500, never a silent failure.
    for member in (world.guest, world.secondary, world.primary):
        give(world, member)
    client.force_login(world.primary.user)
    response = client.post(url("change", world), {"items": [world.items[0].pk]}, **SECTION)
    assert response.status_code == 200
    assert "All 3 seats of DraftPro in this team are assigned." in response.content.decode()
    assert held(world.user, world.product) is None


def test_the_section_shows_items_seats_and_who_assigned(world):
    # R-P2, R-P4
    give(world, world.user, items=[world.items[0]])
    html = render_to_string("subscriptions/_member_products.html", member_products_context(world.user))
    assert "2 of 3 seats free" in html
    assert f"by {world.primary.user.get_full_name()}" in html
    assert "(assigned)" in html
    assert "(not assigned)" in html
    assert "Cloud service" in html


def test_an_over_full_pool_is_flagged(world):
    for member in (world.user, world.guest, world.secondary):
        give(world, member)
    world.subscription.seats = 1
    world.subscription.save(update_fields=["seats"])
    html = render_to_string("subscriptions/_member_products.html", member_products_context(world.user))
    assert "2 over" in html
    assert "0 of 1 seat free" in html


# --- Queries ------------------------------------------------------------------------------------


def _more_products(world, count: int):
    for n in range(count):
        product = ProductFactory(name=f"Product {n:02d}")
        items = [ProductItemFactory(product=product, kind=kind) for kind in ("software", "service", "service")]
        SubscriptionFactory(team=world.team, product=product, seats=4)
        if n % 2:
            AssignmentFactory(member=world.user, product=product, assigned_by=world.primary.user).items.set(items[:2])
        MemberFactory.create_batch(1, team=world.team)


@pytest.mark.parametrize("held", [1, 30])
def test_the_section_takes_the_same_queries_however_many_seats_the_team_holds(world, held, django_assert_num_queries):
    world.subscription.seats = 40
    world.subscription.save(update_fields=["seats"])
    give(world, world.user)
    for _n in range(held - 1):
        AssignmentFactory(member=MemberFactory(team=world.team), product=world.product)
    # assignments + their items + the groups giving them (R-GR6), the waits, products + their items
    with django_assert_num_queries(6):
        section = member_products_context(world.user)["member_products"]
    rows = section.held + section.offered
    assert [(row.product.seats_assigned, row.product.seats_free) for row in rows] == [(held, 40 - held)]


@pytest.mark.parametrize("extra", [0, 12])
def test_the_section_takes_the_same_queries_however_many_products(world, extra, django_assert_num_queries):
    _more_products(world, extra)
    give(world, world.user)
    # assignments + their items + the groups giving them (R-GR6), the waits, products + their items
    with django_assert_num_queries(6):
        html = render_to_string("subscriptions/_member_products.html", member_products_context(world.user))
    assert html.count('class="sk-mp-row"') == 1 + extra


def test_an_action_from_the_section_takes_the_same_queries_however_many_products(client, world):
    client.force_login(world.primary.user)

    def queries(member) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.post(url("assign", world, member=member), **SECTION)
        assert response.status_code == 200
        return len(captured)

    few = queries(world.user)
    _more_products(world, 12)
    assert queries(world.guest) == few
