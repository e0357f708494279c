"""The administrators' guide, procedure by procedure (SPEC section 3), done the way a new admin would:
sign in, start from the home page, and click and fill only by the labels and roles the guide names,
waiting only for what a person waits for (the next thing to appear). Every test runs in English and
again in Dutch; the Dutch labels come from the catalogue (gettext), so they stay in step with it."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import MOVE_OVER_ALLOCATED, assignment_create
from licensing.teams.models import Member, Team
from tests.browser.conftest import TIMEOUT_MS, motion
from tests.factories import AssignmentFactory, ProductFactory, SubscriptionFactory
from tests.teams.test_member_views import give_names

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

LOCALES = {"en": "en-GB", "nl": "nl-NL"}


@pytest.fixture(params=["en", "nl"])
def lang(request):
    return request.param


@pytest.fixture
def t(lang):
    """The label the page shows for an English msgid, in the language of the test."""

    def label(text: str, **values) -> str:
        with translation.override(lang):
            return gettext(text) % values if values else gettext(text)

    return label


@pytest.fixture
def tn(lang):
    """The label for an English msgid with a plural, for `count`, in the language of the test."""

    def label(singular: str, plural: str, count: int, **values) -> str:
        with translation.override(lang):
            return ngettext(singular, plural, count) % {"count": count, **values}

    return label


@pytest.fixture
def guide(browser, live_server, world, lang, t, request):
    """A browser that speaks `lang`, signed in as the primary admin of Design, on the home page."""
    give_names(world)
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1366, "height": 860},
        locale=LOCALES[lang],
        reduced_motion=motion(request),
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)  # and expect() waits up to EXPECT_TIMEOUT_MS (conftest.py)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.problems = problems
    page.goto("/")
    page.get_by_label(t("E-mail address")).fill("primary@example.com")
    page.get_by_label(t("Password")).fill("pw")
    page.get_by_role("button", name=t("Sign in")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(t("Welcome, %(name)s", name="Jan"))
    yield page
    assert problems == []
    context.close()


def menu(page, t, section: str, link: str):
    """ "Click on User management > By User": the sidebar's section, then its link."""
    page.get_by_role("list", name=t(section)).get_by_role("link", name=t(link), exact=True).click()
    expect(page.get_by_role("heading", level=1, name=t(link))).to_be_visible()
    # The heading shows once parsed, before the deferred scripts have run: a dialog's link clicked
    # then would be followed as a page (as without JavaScript), not opened in the dialog.
    page.wait_for_load_state()


def open_user(page, t, name: str):
    menu(page, t, "User management", "By User")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    page.wait_for_load_state()  # the scripts have run: a dialog's link opens the dialog


def open_product(page, t, name: str):
    menu(page, t, "User management", "By Product")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    page.wait_for_load_state()  # the scripts have run: a dialog's link opens the dialog


def product_row(page, name: str):
    """A product on a user's page: the list item with the product's heading."""
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=name, exact=True))


def dialog(page):
    return page.get_by_role("dialog")


def items(member, product) -> set[str] | None:
    assignment = Assignment.objects.filter(member=member, product=product).first()
    return None if assignment is None else {item.name for item in assignment.items.all()}


# --- Sign in and Users ------------------------------------------------------------------------------


def test_sign_in_shows_user_management_of_the_primary_admins_team(guide, t, world):
    # R-U1: after sign-in, the navigation of the team where one is primary admin.
    page = guide
    expect(page.get_by_role("list", name=t("User management"))).to_be_visible()
    expect(page.locator(".sk-nav-team-name")).to_have_text("Design")


def test_invite_users_shows_the_new_person_as_invited(guide, t, world, lang, screenshot):
    # R-U2, R-U3
    page = guide
    menu(page, t, "User management", "By User")
    page.get_by_role("link", name=t("Invite users")).click()
    page.get_by_label(t("First name")).fill("Pieter")
    page.get_by_label(t("Last name")).fill("Smit")
    page.get_by_label(t("E-mail address")).fill("pieter.smit@example.com")
    page.get_by_role("button", name=t("Send invite")).click()
    expect(dialog(page)).to_be_hidden()  # the dialog closes, the list comes back with them
    row = page.get_by_role("row", name=re.compile("Pieter Smit"))
    expect(row).to_contain_text(t("Invited"))
    screenshot(page, f"guide-invite-{lang}")
    member = Member.objects.get(team=world.team, user__email="pieter.smit@example.com")
    assert member.status == Member.Status.INVITED
    assert not member.assignments.exists()


@pytest.mark.motion
def test_typing_while_the_invite_dialog_fades_in_loses_no_letters(guide, t, world):
    # A person types as soon as the fields appear; the end of the fade used to take the focus away.
    page = guide
    menu(page, t, "User management", "By User")
    page.get_by_role("link", name=t("Invite users")).click()
    field = page.get_by_label(t("First name"))
    expect(field).to_be_visible()
    field.press_sequentially("Pieter", delay=60)
    page.get_by_label(t("Last name")).press_sequentially("Smit", delay=30)
    expect(page.get_by_label(t("First name"))).to_have_value("Pieter")
    expect(page.get_by_label(t("Last name"))).to_have_value("Smit")


def test_invite_multiple_shows_everyone_as_invited(guide, t, world):
    # R-U6: "Invite Multiple", a row per person, "Send invites".
    page = guide
    people = [("Pieter", "Smit", "pieter.smit@example.com"), ("Fleur", "Mulder", "fleur.mulder@example.com")]
    menu(page, t, "User management", "By User")
    page.get_by_role("link", name=t("Invite users")).click()
    page.get_by_role("link", name=t("Invite Multiple")).click()
    for number, person in enumerate(people, start=1):
        for label, value in zip(("First name", "Last name", "E-mail address"), person, strict=True):
            field = page.get_by_label(t("%(label)s, row %(number)s", label=t(label), number=number), exact=True)
            field.fill(value)
    page.get_by_role("button", name=t("Send invites")).click()
    expect(dialog(page)).to_be_hidden()  # the dialog closes, the list comes back with them
    for first, last, _email in people:
        expect(page.get_by_role("row", name=re.compile(f"{first} {last}"))).to_contain_text(t("Invited"))
    invited = Member.objects.filter(team=world.team, user__email__in=[email for *_, email in people])
    assert sorted(invited.values_list("status", flat=True)) == [Member.Status.INVITED] * 2


def test_import_a_csv_file_through_its_preview(guide, t, tn, world, tmp_path):
    # R-U6: "Import", a CSV file, the preview, then the confirmation; nothing is written before it.
    page = guide
    path = tmp_path / "people.csv"
    header = ";".join(t(label) for label in ("First name", "Last name", "E-mail address"))
    path.write_text(
        f"{header}\r\nPieter;Smit;pieter.smit@example.com\r\nFleur;Mulder;fleur.mulder@example.com\r\n",
        encoding="utf-8",
    )
    menu(page, t, "User management", "By User")
    page.get_by_role("link", name=t("Invite users")).click()
    page.get_by_role("link", name=t("Import")).click()
    page.get_by_label(t("CSV file")).set_input_files(str(path))
    page.get_by_role("button", name=t("Upload and preview")).click()
    confirm = page.get_by_role("button", name=tn("Invite %(people)s user", "Invite %(people)s users", 2, people=2))
    expect(confirm).to_be_enabled()
    assert not Member.objects.filter(user__email="pieter.smit@example.com").exists()  # only a preview
    confirm.click()
    expect(dialog(page)).to_be_hidden()  # the dialog closes, the list comes back with them
    for name in ("Pieter Smit", "Fleur Mulder"):
        expect(page.get_by_role("row", name=re.compile(name))).to_contain_text(t("Invited"))
    assert Member.objects.get(team=world.team, user__email="fleur.mulder@example.com").status == Member.Status.INVITED


# --- Products and services per user -----------------------------------------------------------------


def deselect_cloud_rendering(page, t, world):
    """R-P2/R-P4 on a user's page: the arrow beside the product, untick an item, "Save changes"."""
    row = product_row(page, "DraftPro")
    row.get_by_role("button", name=t("Choose items of %(product)s", product="DraftPro")).click()
    row.get_by_role("checkbox", name="Cloud rendering").uncheck()
    row.get_by_role("button", name=t("Save changes")).click()
    expect(page.get_by_role("list", name=t("Items of %(product)s", product="DraftPro"))).to_contain_text(
        t("(not assigned)")
    )
    assert items(world.user, world.product) == {"DraftPro desktop"}


def test_assign_a_product_on_a_users_page(guide, t, world):
    # R-P2: "Assign" gives all items.
    page = guide
    name = world.user.user.get_full_name()
    open_user(page, t, name)
    product_row(page, "DraftPro").get_by_role("button", name=t("Assign")).click()
    expect(page.get_by_role("list", name=t("Items of %(product)s", product="DraftPro"))).to_contain_text(
        t("(assigned)")
    )
    assert items(world.user, world.product) == {"DraftPro desktop", "Cloud rendering"}


def test_assign_chosen_items_with_the_arrow_beside_assign(guide, t, world):
    # R-P2: the arrow beside "Assign", the items, "Save changes".
    page = guide
    open_user(page, t, world.user.user.get_full_name())
    deselect_cloud_rendering(page, t, world)


def test_unassign_a_product_and_deselect_items_per_user(guide, t, world):
    # R-P4
    page = guide
    assignment_create(member=world.user, product=world.product, actor=None)
    open_user(page, t, world.user.user.get_full_name())
    deselect_cloud_rendering(page, t, world)
    product_row(page, "DraftPro").get_by_role("button", name=t("Unassign")).click()
    expect(product_row(page, "DraftPro").get_by_role("button", name=t("Unassign"))).to_have_count(0)
    assert items(world.user, world.product) is None


# --- Users per product ------------------------------------------------------------------------------


def test_assign_users_add_then_assign_on_a_product_page(guide, t, world):
    # R-BP1
    page = guide
    open_product(page, t, "DraftPro")
    page.get_by_role("link", name=t("Assign users")).click()
    page.get_by_label(t("Name or e-mail address")).fill(world.user.user.email)
    page.get_by_role("button", name=t("Add"), exact=True).click()
    expect(dialog(page).locator("[data-assign-list]")).to_contain_text(world.user.user.get_full_name())
    page.get_by_role("button", name=t("Assign"), exact=True).click()
    expect(page.get_by_role("row", name=re.compile(world.user.user.get_full_name()))).to_be_visible()
    assert items(world.user, world.product) == {"DraftPro desktop", "Cloud rendering"}


def test_assign_users_customize_on_a_product_page(guide, t, world):
    # R-BP1: "Customize" to pick items.
    page = guide
    open_product(page, t, "DraftPro")
    page.get_by_role("link", name=t("Assign users")).click()
    page.get_by_label(t("Name or e-mail address")).fill(world.user.user.email)
    page.get_by_role("button", name=t("Add"), exact=True).click()
    expect(dialog(page).locator("[data-assign-list]")).to_contain_text(world.user.user.get_full_name())
    page.get_by_role("button", name=t("Customize")).click()
    page.get_by_role("checkbox", name=re.compile("Cloud rendering")).uncheck()
    page.get_by_role("button", name=t("Assign"), exact=True).click()
    expect(page.get_by_role("row", name=re.compile(world.user.user.get_full_name()))).to_be_visible()
    assert items(world.user, world.product) == {"DraftPro desktop"}


def test_unassign_a_user_on_a_product_page(guide, t, world):
    # R-BP2
    page = guide
    assignment_create(member=world.user, product=world.product, actor=None)
    name = world.user.user.get_full_name()
    open_product(page, t, "DraftPro")
    page.get_by_role("row", name=re.compile(name)).get_by_role("button", name=t("Unassign")).click()
    expect(page.get_by_role("row", name=re.compile(name))).to_have_count(0)
    assert items(world.user, world.product) is None


def test_remove_services_with_the_arrow_beside_a_user(guide, t, world):
    # R-BP2: the arrow right of the user lists the services; deselect, "Save changes".
    page = guide
    assignment_create(member=world.user, product=world.product, actor=None)
    name = world.user.user.get_full_name()
    open_product(page, t, "DraftPro")
    row = page.get_by_role("row", name=re.compile(name))
    row.get_by_role(
        "button", name=t("Choose the items of %(product)s for %(name)s", product="DraftPro", name=name)
    ).click()
    row.get_by_role("checkbox", name=re.compile("Cloud rendering")).uncheck()
    row.get_by_role("button", name=t("Save changes")).click()
    expect(page.get_by_role("row", name=re.compile(name))).to_contain_text(t("(not assigned)"))
    assert items(world.user, world.product) == {"DraftPro desktop"}


# --- Deleting users, roles --------------------------------------------------------------------------


def test_delete_a_user_with_the_trash_icon(guide, t, world):
    # R-D1, R-D3
    page = guide
    assignment_create(member=world.user, product=world.product, actor=None)
    name = world.user.user.get_full_name()
    open_user(page, t, name)
    page.get_by_role("link", name=t("Delete %(name)s", name=name)).click()
    dialog(page).get_by_role("button", name=t("Delete"), exact=True).click()
    expect(page.get_by_role("heading", level=1, name=t("By User"))).to_be_visible()
    expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    assert not Member.objects.filter(pk=world.user.pk).exists()
    assert not Assignment.objects.filter(member_id=world.user.pk).exists()


def test_make_a_user_secondary_admin(guide, t, world):
    # R-SA1
    page = guide
    open_user(page, t, world.user.user.get_full_name())
    page.get_by_role("link", name=t("Change role")).click()
    page.get_by_label(t("Secondary admin")).check()
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_role("main")).to_contain_text(t("Secondary admin"))
    world.user.refresh_from_db()
    assert world.user.role == Member.Role.SECONDARY_ADMIN


def test_change_the_primary_admin(guide, t, world):
    # R-PA2, R-PA3
    page = guide
    open_user(page, t, world.secondary.user.get_full_name())
    page.get_by_role("link", name=t("Change role")).click()
    page.get_by_label(t("Primary admin")).check()
    page.get_by_role("button", name=t("Save"), exact=True).click()
    page.get_by_role("button", name=t("Reassign primary admin")).click()
    expect(page.get_by_role("main")).to_contain_text(t("Primary admin"))
    world.secondary.refresh_from_db()
    world.primary.refresh_from_db()
    assert world.secondary.role == Member.Role.PRIMARY_ADMIN
    assert world.primary.role == Member.Role.SECONDARY_ADMIN


def test_mark_and_unmark_a_guest_user(guide, t, world):
    # R-G2
    page = guide
    open_user(page, t, world.user.user.get_full_name())
    for guest in (True, False):
        page.get_by_role("link", name=t("Change role")).click()
        page.get_by_label(t("This is a guest user")).set_checked(guest)
        page.get_by_role("button", name=t("Save"), exact=True).click()
        expect(dialog(page)).to_be_hidden()
        world.user.refresh_from_db()
        assert world.user.is_guest is guest


def slide(page) -> str:
    """How long the open dialog takes to slide in, as the browser computes it ("0s": it does not)."""
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    return page.locator("#sk-dialog .modal-dialog").evaluate("node => getComputedStyle(node).transitionDuration")


def test_a_dialog_stands_still_for_someone_who_asks_for_reduced_motion(guide, t, world):
    # The browser tests ask for reduced motion (conftest.motion); so may a person, in their system's settings.
    page = guide
    open_user(page, t, world.user.user.get_full_name())
    page.get_by_role("link", name=t("Change role")).click()
    assert slide(page) == "0s"


@pytest.mark.motion
def test_a_dialog_slides_in_for_everyone_else(guide, t, world):
    page = guide
    open_user(page, t, world.user.user.get_full_name())
    page.get_by_role("link", name=t("Change role")).click()
    assert slide(page) != "0s"


# --- Teams ------------------------------------------------------------------------------------------


def test_create_a_team(guide, t, world):
    # R-T3
    page = guide
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Team settings")).click()
    page.get_by_role("link", name=t("Create team")).click()
    page.get_by_label(t("Team name")).fill("Projecten Noord")
    dialog(page).get_by_role("button", name=t("Create team")).click()
    expect(page.get_by_role("main")).to_contain_text("Projecten Noord")
    team = Team.objects.get(name="Projecten Noord")
    assert team.members.get(role=Member.Role.PRIMARY_ADMIN).user == world.primary.user


def test_rename_a_team(guide, t, world):
    # R-T4
    page = guide
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Team settings")).click()
    page.get_by_role("link", name=t("Rename")).click()
    # exact: in Dutch the dialog itself, "Teamnaam wijzigen" (named by its title), has "Teamnaam" in its name.
    page.get_by_label(t("Team name"), exact=True).fill("Ontwerp")
    page.get_by_role("button", name=t("Save changes")).click()
    expect(page.locator(".sk-nav-team-name")).to_have_text("Ontwerp")
    world.team.refresh_from_db()
    assert world.team.name == "Ontwerp"


def test_add_a_user_to_another_team(guide, t, world):
    # R-T5: select a team, "Invite users"; they stay in their other teams.
    page = guide
    page.get_by_role("link", name="Engineering", exact=True).click()
    menu(page, t, "User management", "By User")
    page.get_by_role("link", name=t("Invite users")).click()
    page.get_by_label(t("First name")).fill("x")
    page.get_by_label(t("Last name")).fill("y")
    page.get_by_label(t("E-mail address")).fill(world.user.user.email)
    page.get_by_role("button", name=t("Send invite")).click()
    expect(dialog(page)).to_be_hidden()  # the dialog closes, the list comes back with them
    expect(page.get_by_role("row", name=re.compile(world.user.user.email))).to_contain_text(t("Invited"))
    assert Member.objects.filter(user=world.user.user).count() == 2


def test_move_a_subscription_to_this_team_past_a_dimmed_select(guide, t, lang, world, screenshot):
    # R-T8, R-T10: Engineering takes DraftPro from Design; Sketcher cannot leave Design, whose two
    # users of it would keep no seat: its "Select" is dimmed and says how many seats to unassign.
    page = guide
    sketcher = ProductFactory(name="Sketcher")
    SubscriptionFactory(team=world.team, product=sketcher, seats=2, contract=world.subscription.contract)
    for member in (world.user, world.guest):
        AssignmentFactory(member=member, product=sketcher)

    page.get_by_role("link", name="Engineering", exact=True).click()
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Team settings")).click()
    actions = page.get_by_role("region", name=t("Actions"))
    actions.get_by_role("link", name=re.compile(re.escape(t("Move subscriptions to this team")))).click()
    page.get_by_role("link", name=re.compile("Design")).click()

    def subscription(product: str):
        return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=product, exact=True))

    with translation.override(lang):
        reason = str(MOVE_OVER_ALLOCATED % {"count": 2, "team": "Design", "product": "Sketcher"})
    expect(subscription("Sketcher").get_by_role("button", name=t("Select"))).to_be_disabled()
    expect(subscription("Sketcher")).to_contain_text(reason)
    screenshot(page, f"guide-move-select-{lang}")
    page.get_by_label(t("Find a subscription by product or contract number")).fill("DraftPro")
    page.get_by_role("button", name=t("Find")).click()
    subscription("DraftPro").get_by_role("link", name=t("Select")).click()
    page.get_by_role("button", name=t("Submit")).click()
    page.get_by_role("link", name=t("Done")).click()
    expect(page.get_by_role("region", name=t("Subscriptions"))).to_contain_text("DraftPro")
    world.subscription.refresh_from_db()
    assert world.subscription.team == world.other_team


def test_which_team_a_subscription_is_in(guide, t, world):
    # R-T12: Billing & Orders > Contracts > a contract: the Teams column.
    page = guide
    menu(page, t, "Billing & Orders", "Contracts")
    page.get_by_role("link", name=world.subscription.contract.number).click()
    expect(page.get_by_role("columnheader", name=t("Teams"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("DraftPro"))).to_contain_text("Design")


def test_seat_usage_report_and_export_as_csv(guide, t, world):
    # R-R1, R-R2
    page = guide
    menu(page, t, "Reporting", "Seat Usage")
    page.get_by_label(t("Time range"), exact=True).select_option(label=t("Past 3 months"))
    expect(page.get_by_role("main")).to_contain_text("DraftPro")
    with page.expect_download() as download:
        page.get_by_role("link", name=t("Export as CSV")).click()
    assert download.value.suggested_filename.endswith(".csv")
