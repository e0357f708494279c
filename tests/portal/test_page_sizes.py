"""How much one page of a list may cost: `?per_page=` and `?page=` as anyone may type them (issue 19).

Every paginated table goes through `portal.tables.paginate`, which accepts only the page sizes of
PAGE_SIZES: `?per_page=1000000` rendered By User of a team of 27,501 in 18.5 s and 126 MB. The CSV
exports are meant whole and keep every row."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from licensing.activity.models import ActivityEvent
from licensing.activity.services import event_build, events_record
from licensing.subscriptions.models import SeatUsage
from portal.tables import PAGE_SIZES, page_size
from tests.factories import AssignmentFactory, MemberFactory, SubscriptionFactory

MEMBERS = max(PAGE_SIZES) + 10  # more than the largest page
HUGE = "1000000"


@pytest.fixture
def crowded(world):
    """The world's team with MEMBERS more members, each holding a seat of DraftPro used today, and an
    activity row each."""
    SubscriptionFactory(team=world.team, product=world.product, seats=MEMBERS + 10, owner=world.primary.user)
    today = timezone.localdate()
    events = []
    for n in range(MEMBERS):
        member = MemberFactory(team=world.team, user__email=f"crowd{n:03d}@example.com")
        AssignmentFactory(member=member, product=world.product)
        SeatUsage.objects.create(user=member.user, product=world.product, team=world.team, day=today)
        events.append(
            event_build(
                action=ActivityEvent.Action.PRODUCT_ASSIGNED,
                team=world.team,
                target_user=member.user,
                product=world.product,
                target=member.user.email,
            )
        )
    events_record(events)
    return world


def _week() -> str:
    today = timezone.localdate()
    return f"range=custom&start={(today - timedelta(days=7)).isoformat()}&end={today.isoformat()}"


LISTS = {
    "By User": lambda w: reverse("teams:member-list", kwargs={"team_id": w.team.pk}) + "?",
    "a product's page": lambda w: (
        reverse("subscriptions:product-detail", kwargs={"team_id": w.team.pk, "product_id": w.product.pk}) + "?"
    ),
    "Seat Usage By User": lambda w: (
        reverse("reports:seat-usage", kwargs={"team_id": w.team.pk}) + f"?tab=users&{_week()}&"
    ),
    "Activity log": lambda w: reverse("activity:event-list", kwargs={"team_id": w.team.pk}) + "?",
}


def _rows(response) -> int:
    return len(response.context["table"].page.object_list)


@pytest.mark.parametrize("page", list(LISTS))
def test_a_page_of_a_list_never_holds_more_than_the_largest_page_size(client, crowded, page):
    client.force_login(crowded.primary.user)
    address = LISTS[page](crowded)
    response = client.get(f"{address}per_page={HUGE}")
    assert response.status_code == 200
    assert _rows(response) <= max(PAGE_SIZES)
    # The whole list is still there, a page at a time.
    assert response.context["table"].paginator.count > max(PAGE_SIZES)


@pytest.mark.parametrize("page", list(LISTS))
@pytest.mark.parametrize("asked", ["0", "-5", "abc", "51"])
def test_a_page_size_that_is_not_offered_gives_the_lists_own(client, crowded, page, asked):
    client.force_login(crowded.primary.user)
    response = client.get(f"{LISTS[page](crowded)}per_page={asked}")
    assert response.status_code == 200
    table = response.context["table"]
    assert table.paginator.per_page == table._meta.per_page
    assert _rows(response) == table._meta.per_page


@pytest.mark.parametrize("page", list(LISTS))
@pytest.mark.parametrize("size", PAGE_SIZES)
def test_an_offered_page_size_is_honoured(client, crowded, page, size):
    client.force_login(crowded.primary.user)
    response = client.get(f"{LISTS[page](crowded)}per_page={size}")
    assert _rows(response) == size


@pytest.mark.parametrize("page", list(LISTS))
def test_the_page_sizes_are_offered_under_the_list_keeping_its_filters(client, crowded, page):
    # Issue 22: "a page size choice", as links that keep the rest of the query and go to page 1.
    client.force_login(crowded.primary.user)
    html = client.get(f"{LISTS[page](crowded)}sort=-name&page=2").content.decode()
    offered = html[html.index('aria-label="Rows per page"') :]
    offered = offered[: offered.index("</nav>")]
    assert 'aria-current="true">50<' in offered  # the list's own size, not a link
    for size in (25, 100):
        link = re.search(rf'href="([^"]*per_page={size}[^"]*)"', offered)
        assert link, f"no link to {size} rows per page"
        assert "sort=-name" in link.group(1)
        assert "page=1" in link.group(1).replace("per_page", "")


@pytest.mark.parametrize("page", list(LISTS))
@pytest.mark.parametrize(("asked", "shown"), [("abc", 1), ("-1", 1), ("2", 2), ("999", 3)])
def test_a_page_number_that_is_not_a_page_gives_the_first_or_the_last(client, crowded, page, asked, shown):
    client.force_login(crowded.primary.user)
    response = client.get(f"{LISTS[page](crowded)}page={asked}")
    assert response.status_code == 200
    assert response.context["table"].page.number == shown


@pytest.mark.parametrize(
    ("asked", "size"),
    [
        *[("25", 25), ("100", 100), ("50", 50), ("10", 50), (HUGE, 50), ("0", 50), ("-25", 50), ("1e9", 50)],
        *[("", 50), (None, 50), ("٢٥", 50), (" 25", 50), ("9" * 5000, 50)],
    ],
)
def test_page_size_accepts_only_the_offered_sizes(asked, size):
    assert page_size(asked, 50) == size


EXPORTS = {
    "Seat Usage By User": lambda w: (
        reverse("reports:seat-usage-export-users", kwargs={"team_id": w.team.pk}) + f"?{_week()}&"
    ),
    "Activity log": lambda w: reverse("activity:event-export", kwargs={"team_id": w.team.pk}) + "?",
}


@pytest.mark.parametrize("export", list(EXPORTS))
@pytest.mark.parametrize("query", ["", "per_page=25&page=2"])
def test_the_csv_exports_are_whole_whatever_the_page_asked(client, crowded, export, query):
    client.force_login(crowded.primary.user)
    response = client.get(EXPORTS[export](crowded) + query)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    crowd = [row for row in rows if any(cell.startswith("crowd") for cell in row)]
    assert len(crowd) == MEMBERS
