"""The guide's procedures by keyboard alone (issue 22): invite → assign → change role → delete, with the
focus checked after every dialog — on the field in error (its message read with it), back on the
button that opened the dialog, or, when that page is gone, on the new page's message."""

import re

import pytest
from django.urls import reverse

from licensing.subscriptions.models import Assignment
from licensing.teams.models import Member
from tests.browser.test_accessibility import signed_in, tab_to  # noqa: F401 (signed_in is a fixture)
from tests.browser.test_by_product_browser import furnish

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect


def focused(page):
    return page.locator("*:focus")


def described_by(page) -> str:
    """The text of what describes the focused element (aria-describedby), as a screen reader reads it."""
    return page.evaluate(
        """() => (document.activeElement.getAttribute("aria-describedby") || "").split(" ")
              .map(id => document.getElementById(id)).filter(Boolean).map(el => el.textContent.trim()).join(" ")"""
    )


def test_invite_assign_change_role_and_delete_by_keyboard(signed_in, world):  # noqa: F811
    furnish(world)
    page = signed_in("en", 1280)
    team = {"team_id": world.team.pk}
    dialog = page.locator("#sk-dialog")

    # Invite: sent empty, the focus is on the first field in error, which is described by its message.
    page.goto(reverse("teams:member-list", kwargs=team))
    invite = page.locator("main").get_by_role("link", name="Invite users")
    tab_to(page, invite)
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    send = dialog.get_by_role("button", name="Send invite")
    tab_to(page, send)
    page.keyboard.press("Enter")
    expect(focused(page)).to_have_attribute("aria-invalid", "true")
    assert described_by(page), "the field in error has no message read with it"
    # Filled in by keyboard, sent: By User again, with the focus on "Invite users".
    tab_to(page, dialog.get_by_label("First name"))
    page.keyboard.type("Noor")
    tab_to(page, dialog.get_by_label("Last name"))
    page.keyboard.type("Bakker")
    tab_to(page, dialog.get_by_label("E-mail address"))
    page.keyboard.type("noor.bakker@example.com")
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog")).to_be_hidden()
    expect(page.get_by_role("status").first).to_contain_text("Noor Bakker is invited.")
    expect(page.locator("main").get_by_role("link", name="Invite users")).to_be_focused()
    noor = Member.objects.get(team=world.team, user__email="noor.bakker@example.com")

    # Assign users on the product page: typed, Enter adds, Assign; the focus is on "Assign users" again.
    page.goto(reverse("subscriptions:product-detail", kwargs={**team, "product_id": world.product.pk}))
    assign = page.locator("main").get_by_role("link", name="Assign users")
    tab_to(page, assign)
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    field = dialog.get_by_label("Name or e-mail address")
    expect(field).to_be_focused()
    page.keyboard.type("noor.bakker@example.com")
    page.keyboard.press("Enter")
    expect(dialog.locator("[data-assign-list]")).to_contain_text("Noor Bakker")
    tab_to(page, dialog.get_by_role("button", name="Assign", exact=True))
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog")).to_be_hidden()
    expect(page.locator("main").get_by_role("link", name="Assign users")).to_be_focused()
    assert Assignment.objects.filter(member=noor, product=world.product).exists()

    # Change role on the person's page: arrow keys in the radio group, Save; the focus is on "Change role".
    page.goto(reverse("teams:member-detail", kwargs={**team, "member_id": noor.pk}))
    change_role = page.get_by_role("link", name="Change role")
    tab_to(page, change_role)
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    tab_to(page, dialog.get_by_role("radio", checked=True))
    while not dialog.get_by_label("Secondary admin").is_checked():
        page.keyboard.press("ArrowDown")
    tab_to(page, dialog.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("is now a secondary admin.")
    expect(page.get_by_role("link", name="Change role")).to_be_focused()
    # An admin is not deleted as such: back to User first, the same way.
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    tab_to(page, dialog.get_by_role("radio", checked=True))
    while not dialog.get_by_label("User", exact=True).is_checked():
        page.keyboard.press("ArrowUp")
    tab_to(page, dialog.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("is now a user.")
    expect(page.get_by_role("link", name="Change role")).to_be_focused()

    # Delete: the person's page is gone, By User comes, and the focus is on its message.
    tab_to(page, page.locator("main a.sk-trash"))
    page.keyboard.press("Enter")
    expect(page.locator("#sk-dialog.show")).to_be_visible()
    tab_to(page, dialog.get_by_role("button", name="Delete"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(reverse("teams:member-list", kwargs=team)))
    expect(focused(page)).to_have_class(re.compile(r"\balert\b"))
    expect(focused(page)).to_contain_text("Noor Bakker")
    assert not Member.objects.filter(pk=noor.pk).exists()
    assert page.problems == []


def test_a_button_says_it_is_busy_until_the_answer_comes_and_sends_nothing_twice(signed_in, world):  # noqa: F811
    # Issue 22: "feedback on long actions (a busy button, aria-busy)". The answer is held back (the
    # route waits) to look at the button in between; then it is let through.
    page = signed_in("en", 1280)
    team = {"team_id": world.team.pk}
    role_url = reverse("teams:member-role", kwargs={**team, "member_id": world.user.pk})
    held = []
    page.route(
        f"**{role_url}", lambda route: held.append(route) if route.request.method == "POST" else route.continue_()
    )

    # In the dialog (htmx).
    page.goto(reverse("teams:member-detail", kwargs={**team, "member_id": world.user.pk}))
    page.get_by_role("link", name="Change role").click()
    dialog = page.locator("#sk-dialog")
    dialog.get_by_label("Secondary admin").check()
    save = dialog.get_by_role("button", name="Save")
    save.click()
    expect(save).to_have_attribute("aria-busy", "true")
    expect(save).to_have_class(re.compile(r"\bsk-busy\b"))
    held.pop().continue_()
    expect(page.get_by_role("status").first).to_contain_text("is now a secondary admin.")

    # As a page (a plain post): pressed twice in a row, the form is sent once, its button busy.
    page.unroute(f"**{role_url}")
    posts = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    page.goto(role_url)
    page.get_by_label("User", exact=True).check()
    busy = page.evaluate(
        """() => {
            const form = document.querySelector("main form");
            const save = form.querySelector("button.btn-primary");
            form.requestSubmit(save);
            form.requestSubmit(save);
            return save.getAttribute("aria-busy");
        }"""
    )
    assert busy == "true"
    expect(page.get_by_role("status").first).to_contain_text("is now a user.")
    assert len(posts) == 1, "the second press sent the form again"
    assert page.problems == []
