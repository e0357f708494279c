""" "Invite users" and accepting an invitation in a real browser, with htmx dialogs: invite one user and
see them Invited, invite several with a bad row and the paste box, import a CSV file through its
preview, and accept an invitation as the invited person up to My products. Screenshots of every tab,
the preview and the accept page in test-artifacts/screens/invite-*.png."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from mailer.models import Message

from licensing.accounts.models import Invitation
from licensing.accounts.services import member_invite
from licensing.teams.models import Member
from tests.factories import AssignmentFactory, MemberFactory, ProductFactory, ProductItemFactory, SubscriptionFactory

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "a-Long-passphrase-42"


@pytest.fixture(autouse=True)
def _mail_into_the_outbox(settings):
    # The live server's mails: queued by django-mailer, "sent" after commit into mail.outbox. Without
    # django-mailer's lock file, which test runs on the same machine would otherwise queue on.
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"
    settings.MAILER_USE_FILE_LOCK = False


def furnish(world):
    """Names that read well, a second product, and seats to hand out."""
    for persona, (first, last) in {
        "primary": ("Jan", "de Vries"),
        "secondary": ("Anna", "Bakker"),
        "user": ("Sanne", "Visser"),
        "guest": ("Gerrit", "Gast"),
        "invited": ("Ilse", "Nieuw"),
    }.items():
        user = getattr(world, persona).user
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])
    world.subscription.seats = 10
    world.subscription.save(update_fields=["seats"])
    world.product.download_url = "https://downloads.example.com/draftpro/setup.exe"
    world.product.save(update_fields=["download_url"])
    AssignmentFactory(member=world.user, product=world.product).items.set(world.items)
    cloud = ProductFactory(code="rendercloud", name="RenderCloud", kind="cloud")
    ProductItemFactory(product=cloud, code="render-credits", name="Render credits", kind="service")
    SubscriptionFactory(team=world.team, product=cloud, seats=2, contract__manager=world.primary.user)
    for member in (world.user, world.guest):
        AssignmentFactory(member=member, product=cloud)


def sign_in(page, email="primary@example.com", password="pw"):
    page.goto(reverse("login"))
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))


def open_invite(page, world):
    page.goto(reverse("teams:member-list", kwargs={"team_id": world.team.pk}))
    page.get_by_role("link", name="Invite users").click()
    dialog = page.locator("#sk-dialog")
    expect(dialog.get_by_role("heading", name="Invite users")).to_be_visible()
    page.wait_for_timeout(300)  # the modal fades in
    return dialog


def test_an_admin_invites_one_user_with_a_product_and_sees_them_invited(page, world, screenshot):
    furnish(world)
    sign_in(page)
    dialog = open_invite(page, world)
    expect(dialog.get_by_role("link", name="Invite single")).to_have_attribute("aria-current", "page")
    expect(dialog.get_by_text("9 of 10 seats free")).to_be_visible()
    expect(dialog.get_by_text("No free seats: all 2 are assigned")).to_be_visible()
    expect(dialog.get_by_role("checkbox", name=re.compile("RenderCloud"))).to_be_disabled()
    screenshot(page, "invite-single", full_page=False)

    dialog.get_by_label("First name").fill("David")
    dialog.get_by_label("Last name").fill("de Jong")
    dialog.get_by_label("E-mail address").fill("not-an-address")
    dialog.get_by_role("checkbox", name=re.compile("DraftPro")).check()
    dialog.get_by_role("button", name="Send invite").click()
    expect(dialog.get_by_text("Enter a valid e-mail address")).to_be_visible()
    expect(dialog.get_by_label("First name")).to_have_value("David")
    expect(dialog.get_by_role("checkbox", name=re.compile("DraftPro"))).to_be_checked()
    screenshot(page, "invite-single-error", full_page=False)

    dialog.get_by_label("E-mail address").fill("david.dejong@example.com")
    dialog.get_by_role("button", name="Send invite").click()
    expect(page.get_by_text("David de Jong is invited and has DraftPro.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("David de Jong"))
    expect(row).to_contain_text("Invited")
    member = Member.objects.get(team=world.team, user__email="david.dejong@example.com")
    assert member.status == Member.Status.INVITED
    assert member.assignments.get().product == world.product
    screenshot(page, "invite-single-done")
    assert page.problems == []


def test_an_admin_invites_several_users_and_fixes_the_bad_row(page, world, screenshot):
    furnish(world)
    sign_in(page, "secondary@example.com")
    dialog = open_invite(page, world)
    dialog.get_by_role("link", name="Invite Multiple").click()
    expect(dialog.get_by_role("link", name="Invite Multiple")).to_have_attribute("aria-current", "page")
    expect(dialog.get_by_label("First name, row 5")).to_be_visible()
    screenshot(page, "invite-multiple", full_page=False)

    dialog.get_by_label("First name, row 1").fill("Pieter")
    dialog.get_by_label("Last name, row 1").fill("Smit")
    dialog.get_by_label("E-mail address, row 1").fill("pieter@example.com")
    dialog.get_by_role("button", name="Add row").click()
    expect(dialog.get_by_label("First name, row 6")).to_be_visible()
    expect(dialog.get_by_label("First name, row 1")).to_have_value("Pieter")

    dialog.get_by_label("Or paste a list").fill(
        "Fleur, Mulder, fleur@example.com; Kees, kees@example.com\nLotte, Bos, lotte@example.com"
    )
    dialog.get_by_role("button", name="Add to the list").click()
    expect(dialog.get_by_text("The pasted people are in the rows below.")).to_be_visible()
    expect(dialog.get_by_label("E-mail address, row 2")).to_have_value("fleur@example.com")
    expect(dialog.locator(".sk-invite-row-bad")).to_have_count(1)
    screenshot(page, "invite-multiple-pasted", full_page=False)

    dialog.get_by_role("button", name="Send invites").click()
    expect(dialog.get_by_text("3 invited; fix the 1 row below.")).to_be_visible()
    expect(dialog.get_by_label("First name, row 1")).to_have_value("Kees")
    screenshot(page, "invite-multiple-bad-row", full_page=False)
    assert Member.objects.filter(team=world.team, user__email="lotte@example.com").exists()

    dialog.get_by_label("Last name, row 1").fill("Jansen")
    dialog.get_by_label("E-mail address, row 1").fill("kees@example.com")
    dialog.get_by_role("button", name="Send invites").click()
    expect(page.get_by_text("1 user is invited.")).to_be_visible()
    for name in ("Pieter Smit", "Fleur Mulder", "Lotte Bos", "Kees Jansen"):
        expect(page.get_by_role("row", name=re.compile(name))).to_contain_text("Invited")
    assert page.problems == []


def test_an_admin_imports_a_csv_file_through_the_preview(page, world, screenshot, tmp_path):
    furnish(world)
    MemberFactory(team=world.other_team, user__email="Pieter@Example.com", user__first_name="Pieter")
    path = tmp_path / "people.csv"
    path.write_text(
        "First name;Last name;E-mail;Products\r\n"
        "Fleur;Mulder;fleur@example.com;DraftPro\r\n"
        "Pieter;Smit;pieter@example.com;\r\n"
        "Sanne;Visser;USER@example.com;\r\n"
        "Kees;;kees@example;\r\n"
        "Lotte;Bos;lotte@example.com;Nonexistent\r\n",
        encoding="utf-8",
    )
    sign_in(page)
    dialog = open_invite(page, world)
    dialog.get_by_role("link", name="Import").click()
    expect(dialog.get_by_role("link", name="Import")).to_have_attribute("aria-current", "page")
    screenshot(page, "invite-import", full_page=False)

    dialog.get_by_label("CSV file").set_input_files(str(path))
    dialog.get_by_role("button", name="Upload and preview").click()
    expect(dialog.get_by_text("2 lines will not be imported")).to_be_visible()
    expect(dialog.get_by_role("row", name=re.compile(r"^5 Kees")).first).to_contain_text("Enter a last name.")
    expect(dialog.get_by_role("row", name=re.compile(r"^6 Lotte")).first).to_contain_text(
        "Nonexistent is not a product"
    )
    expect(dialog.get_by_role("button", name="Invite 2 users")).to_be_enabled()
    assert not Member.objects.filter(user__email="fleur@example.com").exists()  # nothing written yet
    screenshot(page, "invite-import-preview", full_page=False)
    dialog.locator(".modal-body").evaluate("body => body.scrollTo(0, body.scrollHeight)")
    screenshot(page, "invite-import-preview-rows", full_page=False)

    dialog.get_by_role("button", name="Invite 2 users").click()
    expect(page.get_by_text("2 users are invited.")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Fleur Mulder"))).to_contain_text("Invited")
    assert Member.objects.get(team=world.team, user__email__iexact="pieter@example.com").user.first_name == "Pieter"
    screenshot(page, "invite-import-done")

    # The same file again adds nobody.
    dialog = open_invite(page, world)
    dialog.get_by_role("link", name="Import").click()
    dialog.get_by_label("CSV file").set_input_files(str(path))
    dialog.get_by_role("button", name="Upload and preview").click()
    expect(dialog.get_by_role("button", name="Invite 0 users")).to_be_disabled()
    expect(dialog.get_by_text("Already a member: skipped").first).to_be_visible()
    assert page.problems == []


def test_a_bad_file_is_refused_in_the_dialog(page, world, screenshot, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    sign_in(page)
    dialog = open_invite(page, world)
    dialog.get_by_role("link", name="Import").click()
    dialog.get_by_label("CSV file").set_input_files(str(path))
    dialog.get_by_role("button", name="Upload and preview").click()
    expect(dialog.get_by_text("This is a compressed (zip) file")).to_be_visible()
    screenshot(page, "invite-import-bad-file", full_page=False)
    assert page.problems == []


def test_the_invited_person_accepts_and_sees_my_products(page, world, screenshot, live_server):
    furnish(world)
    sign_in(page)
    dialog = open_invite(page, world)
    dialog.get_by_label("First name").fill("David")
    dialog.get_by_label("Last name").fill("de Jong")
    dialog.get_by_label("E-mail address").fill("david.dejong@example.com")
    dialog.get_by_role("checkbox", name=re.compile("DraftPro")).check()
    dialog.get_by_role("button", name="Send invite").click()
    expect(page.get_by_text("David de Jong is invited and has DraftPro.")).to_be_visible()

    # The mail went out after commit; its link is the only place the token is.
    invitation_mail = next(m for m in mail.outbox if m.to == ["david.dejong@example.com"] and "/invitations/" in m.body)
    link = re.search(r"https?://\S+/invitations/\S+/", invitation_mail.body).group(0)
    path = "/invitations/" + link.split("/invitations/")[1]
    assert Message.objects.count() == 0  # nothing waits in the queue

    page.context.clear_cookies()  # the invited person, in their own browser
    page.goto(path)
    expect(page.get_by_role("heading", name="Join Design")).to_be_visible()
    expect(page.get_by_text("Jan de Vries has invited you to Design.")).to_be_visible()
    screenshot(page, "invite-accept")
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD + "!")
    page.get_by_role("button", name="Create account and join").click()
    expect(page.get_by_text("The two passwords are not the same.")).to_be_visible()
    page.get_by_label(re.compile(r"^\s*Password\W*$")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()

    expect(page).to_have_url(re.compile(reverse("my-products") + "$"))
    expect(page.get_by_text("Welcome to Design.")).to_be_visible()
    expect(page.get_by_role("heading", name="DraftPro")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Download"))).to_have_attribute(
        "href", "https://downloads.example.com/draftpro/setup.exe"
    )
    expect(page.locator("#sk-user-menu")).to_contain_text("David de Jong")
    screenshot(page, "invite-accepted-my-products")

    page.goto(path)  # the link works once
    expect(page.get_by_role("heading", name="Invitation already accepted")).to_be_visible()
    screenshot(page, "invite-link-used")
    assert Invitation.objects.get(member__user__email="david.dejong@example.com").accepted_at is not None
    # The used link's page is "410 Gone", which Chromium logs; nothing else may be there.
    assert [p for p in page.problems if "status of 410" not in p] == []


def test_someone_with_an_account_signs_in_on_the_accept_page(page, world, screenshot):
    furnish(world)
    existing = MemberFactory(team=world.other_team, user__email="pieter@example.com", user__first_name="Pieter")
    member_invite(team=world.team, email="Pieter@example.com", first_name="Pieter", last_name="Smit", actor=None)
    path = "/invitations/" + re.search(r"/invitations/(\S+)/", mail.outbox[-1].body).group(1) + "/"
    page.goto(path)
    expect(page.get_by_role("heading", name="Sign in to accept")).to_be_visible()
    screenshot(page, "invite-accept-existing")
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in and join").click()
    expect(page).to_have_url(re.compile(reverse("my-products") + "$"))
    expect(page.get_by_text("Welcome to Design.")).to_be_visible()
    existing.refresh_from_db()
    assert Member.objects.get(team=world.team, user=existing.user).status == Member.Status.ACTIVE
    assert page.problems == []


def test_on_a_phone_the_rows_stack_and_nothing_sticks_out(page, world, screenshot):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page)
    dialog = open_invite(page, world)
    dialog.get_by_role("link", name="Invite Multiple").click()
    dialog.get_by_label("First name, row 1").fill("Kees")
    dialog.get_by_label("E-mail address, row 1").fill("kees@example")
    dialog.get_by_role("button", name="Send invites").click()
    expect(dialog.locator(".sk-invite-row-bad")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "invite-multiple-phone", full_page=False)

    page.goto(reverse("accounts:member-invite", kwargs={"team_id": world.team.pk}))  # without htmx: a page
    expect(page.get_by_role("button", name="Send invite")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "invite-single-page-phone")
    assert page.problems == []
