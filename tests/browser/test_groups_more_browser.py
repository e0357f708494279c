"""A person's page and By User with groups in a real browser (R-GR6): the groups they are in, where each
seat comes from, a seat only a group gives explained instead of "Unassign", a wait for a seat, and
By User filtered by group; the product page's members waiting (R-GR5). Screenshots at 1280 and 375 px
in test-artifacts/screens/groups-*.png."""

import pytest
from django.urls import reverse

from licensing.groups.services import group_create, group_members_add, group_product_assign
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from tests.browser import test_accessibility
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_member_products_browser import furnish, member_page, row, sign_in
from tests.factories import MemberFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

WIDTHS = {"1280": (1280, 900), "375": (375, 812)}
signed_in = test_accessibility.signed_in  # the fixture: a context in a language and width, signed in


def with_groups(world):
    """Engineering gives DraftPro to the user (a seat only the group gives) and to four more, so that
    the last waits (3 seats); Render crew gives RenderStudio to the user, who also holds it directly."""
    studio, _viewer = furnish(world)  # DraftPro held directly by the user: taken back, the group gives it
    Assignment.objects.filter(member=world.user, product=world.product).delete()
    admin = world.primary.user
    crew = [MemberFactory(team=world.team, user__first_name=f"Crew{n}", user__last_name="Member") for n in range(4)]
    engineering = group_create(team=world.team, name="Engineering", description="Drawing office", actor=admin)
    group_members_add(group=engineering, members=[world.user, *crew], actor=admin)
    group_product_assign(group=engineering, product=world.product, actor=admin)
    render = group_create(team=world.team, name="Render crew", actor=admin)
    assignment_create(member=world.user, product=studio, actor=admin)
    group_members_add(group=render, members=[world.user], actor=admin)
    group_product_assign(group=render, product=studio, actor=admin)
    return crew


@pytest.mark.parametrize("width", WIDTHS)
def test_a_persons_page_shows_groups_and_where_each_seat_comes_from(page, live_server, world, screenshot, width):
    # R-GR6
    with_groups(world)
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in(page, live_server, world.primary.user)
    page.goto(member_page(world, world.user))

    groups = page.locator("#member-groups")
    expect(groups.get_by_role("listitem")).to_have_count(2)
    expect(groups).to_contain_text("Engineering")
    draft = row(page, "DraftPro")
    expect(draft).to_contain_text("Through the group Engineering")
    expect(draft).to_contain_text("Given by the group Engineering: remove")
    expect(draft.get_by_role("button", name="Unassign DraftPro")).to_have_count(0)
    expect(draft.get_by_role("button", name="Assign directly too DraftPro")).to_be_visible()
    studio = row(page, "RenderStudio")
    expect(studio).to_contain_text("Direct and through the group Render crew")
    expect(studio.get_by_role("button", name="Unassign RenderStudio")).to_be_visible()
    screenshot(page, f"groups-person-{width}")
    assert page.problems == []


def test_assign_directly_too_makes_the_group_seat_direct_as_well(page, live_server, world):
    # R-GR6, R-GR3: one seat, now held both ways.
    with_groups(world)
    sign_in(page, live_server, world.primary.user)
    page.goto(member_page(world, world.user))
    row(page, "DraftPro").get_by_role("button", name="Assign directly too DraftPro").click()
    expect(row(page, "DraftPro")).to_contain_text("Direct and through the group Engineering")
    assert Assignment.objects.get(member=world.user, product=world.product).direct
    assert page.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_waiting_member_and_the_product_page_show_the_wait(page, live_server, world, screenshot, width):
    # R-GR5, R-GR6
    crew = with_groups(world)
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in(page, live_server, world.primary.user)
    page.goto(member_page(world, crew[-1]))
    expect(row(page, "DraftPro")).to_contain_text("Waiting for a seat")
    expect(row(page, "DraftPro")).to_contain_text("All seats of DraftPro in this team are assigned.")
    screenshot(page, f"groups-person-waiting-{width}")
    kwargs = {"team_id": world.team.pk, "product_id": world.product.pk}
    page.goto(reverse("subscriptions:product-detail", kwargs=kwargs))
    waiting = page.locator("#waiting")
    expect(waiting.get_by_role("row")).to_have_count(3)  # the heading row and the two waiting
    expect(waiting).to_contain_text("Engineering")
    screenshot(page, f"groups-product-waiting-{width}")
    assert page.problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_by_user_filters_by_group(page, live_server, world, screenshot, width):
    # R-GR6
    crew = with_groups(world)
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    sign_in(page, live_server, world.primary.user)
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    page.get_by_label("Group").select_option(label="Engineering")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**group=*")
    table = page.locator("table")
    for member in [world.user, *crew]:
        expect(table).to_contain_text(member.user.email)
    expect(table).not_to_contain_text(world.secondary.user.email)
    screenshot(page, f"groups-by-user-filter-{width}")
    assert page.problems == []


def test_the_persons_page_in_dutch(browser, live_server, world, screenshot):
    # R-GR6, in the reader's language (the browser's, as the guide's tests choose it).
    with_groups(world)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="nl-NL")
    page = context.new_page()
    try:
        sign_in(page, live_server, world.primary.user)
        page.goto(member_page(world, world.user))
        expect(row(page, "DraftPro")).to_contain_text("Via de groep Engineering")
        expect(row(page, "RenderStudio")).to_contain_text("Rechtstreeks en via de groep Render crew")
        expect(page.locator("#member-groups")).to_contain_text("Groepen")
        screenshot(page, "groups-person-nl-1280")
    finally:
        context.close()


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_group_screens_have_no_axe_violation(signed_in, world, lang, width):
    # R-GR6, R-GR5: this file's screens under axe-core, as tests/browser/test_accessibility.py checks the others.
    crew = with_groups(world)
    page = signed_in(lang, width)
    team = {"team_id": world.team.pk}
    product = {**team, "product_id": world.product.pk}
    engineering = world.team.groups.get(name="Engineering")
    found = []
    for screen, url in [
        ("a user page with groups", member_page(world, world.user)),
        ("a user page, waiting", member_page(world, crew[-1])),
        ("By User, by group", reverse("teams:member-list", kwargs=team) + f"?group={engineering.pk}"),
        ("a product page, waiting", reverse("subscriptions:product-detail", kwargs=product)),
    ]:
        page.goto(url)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        found += axe_violations(page, f"{screen} [{lang}, {width} px]")
    assert found == [], "\n".join(found)
