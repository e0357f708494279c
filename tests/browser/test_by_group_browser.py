"""User management › By Group in a real browser, in English and in Dutch, the way the guide's tests walk
(tests/browser/test_guide.py: labels from the catalogue): create a group, add members, assign a product
seeing first who will wait for a seat, see the waiting member, remove a member (the waiting one gets
the seat), delete the group. Screenshots at 1280 and 375 px in test-artifacts/screens/by-group-*."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from licensing.groups.models import Group, GroupMember, SeatWait
from licensing.subscriptions.models import Assignment
from tests.browser.test_guide import dialog, guide, lang, menu, t, tn  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def shoot(page, screenshot, name: str, language: str) -> None:
    """The page at 1280 px and at 375 px, then back to the guide's size."""
    for width, height in ((1280, 860), (375, 740)):
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"by-group-{name}-{language}-{width}")
    page.set_viewport_size({"width": 1366, "height": 860})


def holders(world) -> set[str]:
    return {a.member.name for a in Assignment.objects.filter(product=world.product).select_related("member__user")}


def test_create_fill_assign_wait_remove_and_delete_a_group(guide, t, tn, lang, world, screenshot):  # noqa: F811
    page = guide
    menu(page, t, "User management", "By Group")
    expect(page.get_by_role("heading", name=t("No groups in this team yet"))).to_be_visible()
    shoot(page, screenshot, "empty", lang)

    # R-GR1: create a group, with a description.
    page.locator("main").get_by_role("link", name=t("Create group")).first.click()
    dialog(page).get_by_label(t("Name"), exact=True).fill("CAD")
    dialog(page).get_by_label(t("Description")).fill("Drawings and models")
    shoot(page, screenshot, "create", lang)
    dialog(page).get_by_role("button", name=t("Create group")).click()
    expect(page.get_by_role("heading", level=1, name="CAD")).to_be_visible()
    group = Group.objects.get(team=world.team, name="CAD")

    # Add four members (the guest too, R-GR1), the list narrowed as one types.
    page.get_by_role("link", name=t("Add members")).click()
    search = dialog(page).get_by_label(t("Search by name or e-mail"))
    search.press_sequentially("de", delay=40)
    expect(dialog(page).get_by_label("Gerrit Gast")).to_be_hidden()
    dialog(page).get_by_label("David de Jong").check()
    search.fill("")
    search.press_sequentially("a", delay=40)
    expect(dialog(page).get_by_label("Gerrit Gast")).to_be_visible()
    expect(dialog(page).get_by_label("David de Jong")).to_be_checked()  # ticked stays ticked
    for name in ("Anna Bakker", "Gerrit Gast", "Jan de Vries"):
        dialog(page).get_by_label(name).check()
    shoot(page, screenshot, "add-members", lang)
    dialog(page).get_by_role("button", name=t("Add"), exact=True).click()
    expect(dialog(page)).to_be_hidden()
    expect(page.get_by_role("link", name="Gerrit Gast", exact=True)).to_be_visible()
    assert GroupMember.objects.filter(group=group).count() == 4

    # R-GR2, R-GR5: DraftPro (3 seats) to the group of 4: "1 of 4 will wait for a seat" before confirming.
    page.get_by_role("link", name=t("Assign product")).click()
    dialog(page).get_by_label(t("Product"), exact=True).select_option(label="DraftPro")
    dialog(page).get_by_role("button", name=t("Continue")).click()
    wait_text = tn(
        "%(waiting)s of %(members)s will wait for a seat.",
        "%(waiting)s of %(members)s will wait for a seat.",
        4,
        waiting=1,
        members=4,
    )
    expect(dialog(page)).to_contain_text(wait_text)
    shoot(page, screenshot, "assign-preview", lang)
    assert not Assignment.objects.filter(product=world.product).exists()  # nothing before Confirm
    dialog(page).get_by_role("button", name=t("Confirm")).click()
    expect(dialog(page)).to_be_hidden()

    # The one who waits is listed with the reason; three hold a seat, never more than the pool (R-GR5).
    waiting = page.locator("section").filter(has=page.get_by_role("heading", name=t("Waiting for a seat")))
    expect(waiting.get_by_role("link", name="Gerrit Gast", exact=True)).to_be_visible()  # added last (by name)
    with translation.override(lang):
        reason = gettext("All seats of %(product)s in this team are assigned.") % {"product": "DraftPro"}
    # The reason is kept as a code and said in the reader's language (issue 20, item 4).
    assert SeatWait.objects.get(group=group).reason == SeatWait.Reason.NO_FREE_SEAT
    expect(waiting).to_contain_text(reason)
    assert holders(world) == {"Anna Bakker", "David de Jong", "Jan de Vries"}
    shoot(page, screenshot, "group", lang)

    # Remove a member (R-GR4): they lose the seat, and the waiting member gets it at once (R-GR5).
    page.get_by_role("link", name=t("Remove %(name)s from the group", name="David de Jong")).click()
    expect(dialog(page)).to_contain_text(
        tn(
            "%(count)s member loses their seat of %(product)s.",
            "%(count)s members lose their seat of %(product)s.",
            1,
            product="DraftPro",
        )
    )
    shoot(page, screenshot, "remove", lang)
    dialog(page).get_by_role("button", name=t("Remove"), exact=True).click()
    expect(dialog(page)).to_be_hidden()
    expect(waiting).to_contain_text(t("Nobody is waiting: every member has the group's products."))
    assert holders(world) == {"Anna Bakker", "Gerrit Gast", "Jan de Vries"}

    # Import members from a CSV file: every line's outcome first, then "Add 1 member"; David joins again
    # and waits, the pool being full (R-GR5).
    page.get_by_role("link", name=t("Import members")).click()
    csv = "E-mail\nuser@example.com\nnot-an-address\nnobody@example.com\nguest@example.com\n"
    dialog(page).get_by_label(t("CSV file")).set_input_files(
        files=[{"name": "members.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    dialog(page).get_by_role("button", name=t("Upload and preview")).click()
    expect(dialog(page)).to_contain_text(t("Not a member of this team"))
    expect(dialog(page)).to_contain_text(t("Already in the group"))
    expect(dialog(page)).to_contain_text(
        tn(
            "%(waiting)s of %(members)s will wait for a seat.",
            "%(waiting)s of %(members)s will wait for a seat.",
            1,
            waiting=1,
            members=1,
        )
    )
    shoot(page, screenshot, "import-preview", lang)
    dialog(page).get_by_role("button", name=tn("Add %(count)s member", "Add %(count)s members", 1)).click()
    expect(dialog(page)).to_be_hidden()
    expect(waiting.get_by_role("link", name="David de Jong", exact=True)).to_be_visible()

    # Delete the group: it says what happens, then every member leaves and the seats go (R-GR4).
    page.locator("main .sk-page-actions").get_by_role("link", name=t("Delete")).click()
    expect(dialog(page)).to_contain_text(
        tn(
            "%(count)s member loses their seat of %(product)s.",
            "%(count)s members lose their seat of %(product)s.",
            3,
            product="DraftPro",
        )
    )
    shoot(page, screenshot, "delete", lang)
    dialog(page).get_by_role("button", name=t("Delete group")).click()
    expect(page.get_by_role("heading", name=t("No groups in this team yet"))).to_be_visible()
    assert not Group.objects.filter(team=world.team).exists()
    assert holders(world) == set()
