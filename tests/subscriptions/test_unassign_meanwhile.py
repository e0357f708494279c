"""Unassigning a seat that someone else unassigned first (another admin, another tab, a double click,
a stale bulk form): `assignment_delete` refuses with ALREADY_UNASSIGNED, and every "Unassign" of the
portal shows that message instead of a server error, with nothing else changed (R-P4, R-BP2).

The race is staged on the database connection (`unassigned_by_another_admin`), not by mocking our
code: the request reads the seat, then another admin unassigns it through the same service, just
before `assignment_delete` reads it again under the team's lock."""

from contextlib import contextmanager

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import ALREADY_UNASSIGNED, assignment_create, assignment_delete
from licensing.teams.services import member_delete
from tests.teams.test_member_views import give_names, sign_in
from tests.undo import without_undo

SECTION = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "member-products"}


@pytest.fixture
def named(world):
    """`world` with names; David de Jong (user) and Gerrit Gast (guest) hold a seat of DraftPro."""
    give_names(world)
    for member in (world.user, world.guest):
        assignment_create(member=member, product=world.product, actor=world.primary.user)
    return world


def seat(member, product) -> Assignment | None:
    return Assignment.objects.filter(member=member, product=product).first()


def gone_message(world, member=None) -> str:
    name = (member or world.user).user.get_full_name()
    return str(ALREADY_UNASSIGNED % {"name": name, "product": world.product.name})


def unassign_events() -> list[tuple[str, str]]:
    """Who unassigned whom: (actor, target) of every PRODUCT_UNASSIGNED row."""
    events = ActivityEvent.objects.filter(action=ActivityEvent.Action.PRODUCT_UNASSIGNED).order_by("pk")
    return [(event.actor.email, event.target_user.email) for event in events.select_related("actor", "target_user")]


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, without_undo(m.message)) for m in get_messages(response.wsgi_request)]


@contextmanager
def unassigned_by_another_admin(assignment: Assignment, admin):
    """Another admin unassigns `assignment` at the worst moment: after the request has read it, just
    before the transaction of the `assignment_delete` that follows starts. Their unassign goes
    through `assignment_delete` too (audited as any other) and is done, whatever the request's
    service then decides, as it would be by another admin's request.

    Staged on the database connection: armed by the request's read of this seat (by member and
    product, or by keys), it fires at the next savepoint, which is the service's."""
    table = f'"{Assignment._meta.db_table}"'
    state = {"armed": False, "done": False}

    def reads_this_seat(sql: str, params) -> bool:
        params = list(params or ())
        if f"FROM {table}" not in sql:
            return False
        by_member_and_product = f'{table}."member_id" = %s AND {table}."product_id" = %s' in sql
        if by_member_and_product and params[:2] == [assignment.member_id, assignment.product_id]:
            return True
        return f'{table}."id" IN (' in sql and assignment.pk in params

    def execute(execute, sql, params, many, context):
        if not state["done"] and not state["armed"] and reads_this_seat(sql, params):
            state["armed"] = True
        elif state["armed"] and sql.startswith("SAVEPOINT"):
            state["armed"], state["done"] = False, True  # first: the other admin's queries pass through
            assignment_delete(assignment=Assignment.objects.get(pk=assignment.pk), actor=admin)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(execute):
        yield
    assert state["done"], "the request never went on to unassign the seat it read: the race was not staged"


# --- The service -----------------------------------------------------------------------------------


def test_unassigning_a_seat_unassigned_already_is_refused_with_the_reason(named):
    # R-P4: a double click, or another admin first.
    stale = Assignment.objects.select_related("member__user", "product").get(pk=seat(named.user, named.product).pk)
    assignment_delete(assignment=stale, actor=named.primary.user)

    with pytest.raises(ValidationError) as refused:
        assignment_delete(assignment=stale, actor=named.secondary.user)

    assert refused.value.code == "already_unassigned"
    assert refused.value.messages == [gone_message(named)]
    assert unassign_events() == [("primary@example.com", "user@example.com")]  # no second audit row
    assert seat(named.guest, named.product) is not None


@pytest.mark.parametrize(
    ("loaded", "name"),
    [(("member__user",), "David de Jong"), ((), "This user")],
    ids=["read with the member", "read alone"],
)
def test_unassigning_the_seat_of_a_member_deleted_meanwhile_is_refused_the_same_way(named, loaded, name):
    # R-D1: deleting a member deletes their seats; the admin's page still showed one.
    seats = Assignment.objects.select_related(*loaded) if loaded else Assignment.objects.all()
    stale = seats.get(pk=seat(named.user, named.product).pk)
    member_delete(member=named.user, actor=named.primary.user)

    with pytest.raises(ValidationError) as refused:
        assignment_delete(assignment=stale, actor=named.secondary.user)

    assert refused.value.code == "already_unassigned"
    assert refused.value.messages == [str(ALREADY_UNASSIGNED % {"name": name, "product": "DraftPro"})]


# --- Every "Unassign" of the portal shows it -----------------------------------------------------


def test_unassign_on_the_users_page_says_someone_was_first(client, named):
    # By User › a user › Products › "Unassign" (R-P4).
    sign_in(client, named, "secondary")
    url = reverse(
        "subscriptions:member-product-unassign",
        kwargs={"team_id": named.team.pk, "member_id": named.user.pk, "product_id": named.product.pk},
    )
    with unassigned_by_another_admin(seat(named.user, named.product), named.primary.user):
        response = client.post(url)

    assert response.status_code == 302
    assert response.url == reverse("teams:member-detail", kwargs={"team_id": named.team.pk, "member_id": named.user.pk})
    assert said(response) == [("info", gone_message(named))]
    assert unassign_events() == [("primary@example.com", "user@example.com")]
    assert seat(named.guest, named.product) is not None


def test_unassign_in_the_users_products_section_says_someone_was_first(client, named):
    # The same button, answered with the section alone (htmx).
    sign_in(client, named, "secondary")
    url = reverse(
        "subscriptions:member-product-unassign",
        kwargs={"team_id": named.team.pk, "member_id": named.user.pk, "product_id": named.product.pk},
    )
    with unassigned_by_another_admin(seat(named.user, named.product), named.primary.user):
        response = client.post(url, **SECTION)

    assert response.status_code == 200
    assert escape(gone_message(named)) in response.content.decode()


def test_unassign_on_the_products_page_says_someone_was_first(client, named):
    # By Product › a product › "Unassign" beside a user (R-BP2).
    sign_in(client, named, "secondary")
    url = reverse(
        "subscriptions:product-assignment-unassign",
        kwargs={"team_id": named.team.pk, "product_id": named.product.pk, "member_id": named.user.pk},
    )
    with unassigned_by_another_admin(seat(named.user, named.product), named.primary.user):
        response = client.post(url, {"back": "page=2"})

    assert response.status_code == 302
    detail = reverse("subscriptions:product-detail", kwargs={"team_id": named.team.pk, "product_id": named.product.pk})
    assert response.url == f"{detail}?page=2"
    assert said(response) == [("info", gone_message(named))]
    assert unassign_events() == [("primary@example.com", "user@example.com")]
    assert seat(named.guest, named.product) is not None


def test_a_bulk_unassign_names_the_seat_someone_unassigned_first_and_does_the_others(client, named):
    # By User › bulk action "Unassign" (R-P4): one row refused with the reason, the others done.
    sign_in(client, named, "secondary")
    data = {"members": [named.user.pk, named.guest.pk], "action": "unassign", "product": named.product.pk}
    with unassigned_by_another_admin(seat(named.user, named.product), named.primary.user):
        response = client.post(reverse("teams:member-bulk", kwargs={"team_id": named.team.pk}), data)

    assert response.status_code == 302
    [(level, summary)] = said(response)
    assert level == "warning"
    assert summary == (
        'DraftPro unassigned from 1 user; 1 not unassigned:<ul class="sk-bulk-refusals">'
        f"<li>{escape(gone_message(named))}</li></ul>"
    )
    assert unassign_events() == [
        ("primary@example.com", "user@example.com"),  # the other admin, first
        ("secondary@example.com", "guest@example.com"),
    ]
    assert not Assignment.objects.filter(product=named.product).exists()


def test_unassign_on_the_seat_usage_report_counts_the_seat_someone_unassigned_first_as_gone(client, named):
    # Reporting › Seat Usage › By User › "Unassign" (R-R1's seats to reclaim): the admin wanted the
    # seat reclaimed and it is, so it is no refusal, but it is not counted as theirs either.
    sign_in(client, named, "secondary")
    user_seat, guest_seat = seat(named.user, named.product), seat(named.guest, named.product)
    url = reverse("reports:seat-usage-unassign", kwargs={"team_id": named.team.pk})
    with unassigned_by_another_admin(user_seat, named.primary.user):
        response = client.post(
            url, {"assignments": [user_seat.pk, guest_seat.pk], "query": "tab=users", "confirm": "True"}
        )

    assert response.status_code == 302
    assert said(response) == [("success", "1 seat unassigned."), ("info", "1 selected seat is no longer assigned.")]
    assert unassign_events() == [
        ("primary@example.com", "user@example.com"),
        ("secondary@example.com", "guest@example.com"),
    ]


def test_support_deleting_seats_in_the_admin_that_an_admin_unassigned_first_is_told_so(client, named):
    # The Django admin's "Delete selected" goes through assignment_delete too (R-P4).
    client.force_login(named.staff)
    user_seat, guest_seat = seat(named.user, named.product), seat(named.guest, named.product)
    url = reverse("admin:subscriptions_assignment_changelist")
    with unassigned_by_another_admin(user_seat, named.primary.user):
        response = client.post(
            url, {"action": "delete_selected", "_selected_action": [user_seat.pk, guest_seat.pk], "post": "yes"}
        )

    assert response.status_code == 302
    assert ("info", gone_message(named)) in said(response)
    assert not Assignment.objects.filter(product=named.product).exists()
    assert unassign_events() == [
        ("primary@example.com", "user@example.com"),
        ("support@vendor.example", "guest@example.com"),
    ]
