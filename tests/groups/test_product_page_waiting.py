"""By Product › a product lists the members waiting for a seat through a group, with the group, since
when and why, in the order they get a seat (R-GR5), in a fixed number of queries however many wait."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from licensing.groups.services import group_create, group_members_add, group_product_assign
from tests.factories import MemberFactory


def product_url(world) -> str:
    return reverse("subscriptions:product-detail", kwargs={"team_id": world.team.pk, "product_id": world.product.pk})


def crew_waiting(world, size: int):
    """A group of `size` given DraftPro (3 seats): the first three are seated, the rest wait."""
    group = group_create(team=world.team, name="Crew", actor=None)
    crew = [MemberFactory(team=world.team) for _ in range(size)]
    group_members_add(group=group, members=crew, actor=None)
    group_product_assign(group=group, product=world.product, actor=None)
    return crew


def test_the_product_page_lists_the_members_waiting_with_group_and_reason(client, world):
    # R-GR5
    crew = crew_waiting(world, 5)
    client.force_login(world.primary.user)

    page = client.get(product_url(world)).content.decode()

    section = page.split('id="waiting"')[1].split("</section>")[0]
    assert "Waiting for a seat" in page
    assert section.index(crew[3].user.email) < section.index(crew[4].user.email)  # the order they get one
    for member in crew[:3]:
        assert member.user.email not in section
    assert "Crew" in section
    assert "All seats of DraftPro in this team are assigned." in section


def test_the_reason_is_in_the_readers_language(client, world):
    # R-GR5: a code kept with the wait, said in Dutch to a Dutch reader.
    crew_waiting(world, 4)
    client.force_login(world.primary.user)
    with translation.override("nl"):
        page = client.get(product_url(world), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Alle seats van DraftPro in dit team zijn toegewezen." in page


def test_no_waiting_section_when_nobody_waits(client, world):
    crew_waiting(world, 2)
    client.force_login(world.primary.user)
    assert 'id="waiting"' not in client.get(product_url(world)).content.decode()


def queries(client, address) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        page = client.get(address).content.decode()
    return len(captured.captured_queries), page


def test_the_waiting_list_takes_the_same_queries_however_many_wait(client, world):
    # 2 and then 57 waiting: the first 50 listed and the rest counted, in the same number of queries.
    crew_waiting(world, 5)
    client.force_login(world.primary.user)
    client.get(product_url(world))  # the session and caches warm
    few, _page = queries(client, product_url(world))
    group = world.team.groups.get()
    group_members_add(group=group, members=[MemberFactory(team=world.team) for _ in range(55)], actor=None)
    many, page = queries(client, product_url(world))
    assert "The first 50 of 57 members waiting are listed." in page
    assert many == few
