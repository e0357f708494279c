"""The second factor in a real browser, in English and in Dutch (django-allauth's mfa: its pages, in
our shell, with its own words and their Dutch from its catalogue):

- an authenticator app set up from the account menu with a code computed (pyotp) from the secret
  the page shows, its recovery codes read from the page, a sign-in that asks for the code, refuses a
  wrong one and takes the right one, and a sign-in with a recovery code that works once only;
- a security key (Chromium's virtual authenticator, CDP WebAuthn, answers as a passkey device would)
  named, renamed, used to sign in after the password, and removed;
- a team whose primary admin requires a second factor: a secondary admin without one is held on the
  set-up page until they have one.

Every page is also checked at 375 px wide (nothing sideways, no table to scroll, the secret whole);
screenshots at 1280 and 375 px in test-artifacts/screens/mfa-*.png. Adding or removing a factor asks for
the password first ("Confirm it is you")."""

import re
import time

import pyotp
import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from licensing.accounts.middleware import SETUP_REQUIRED
from tests.browser.conftest import TIMEOUT_MS, motion
from tests.teams.test_member_views import give_names

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect

LOCALES = {"en": "en-GB", "nl": "nl-NL"}
WIDE, NARROW = 1280, 375
# A code is valid in its own 30-second window only (MFA_TOTP_TOLERANCE 0). A code typed with less than
# this left could reach a loaded server after its window closed: then wait for the next one.
CODE_MARGIN_S = 8


@pytest.fixture(params=["en", "nl"])
def lang(request):
    return request.param


@pytest.fixture
def t(lang):
    """What the page shows for an English msgid in the test's language (ours or allauth's catalogue)."""

    def label(text, **values) -> str:
        with translation.override(lang):
            shown = gettext(str(text))  # a lazy string (a module's constant) becomes itself in `lang`
            return shown % values if values else shown

    return label


@pytest.fixture
def page(browser, live_server, lang, request):
    """A browser that speaks `lang`, with CSP violations and JavaScript errors in `page.problems`."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": WIDE, "height": 860},
        locale=LOCALES[lang],
        reduced_motion=motion(request),
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda msg: problems.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.problems = problems
    yield page
    context.close()


def screens(page, screenshot, name: str):
    """The page at 1280 and at 375 px wide. On the phone nothing sticks out sideways, no table needs
    scrolling, and a field to read (the authenticator's secret) shows all of its text."""
    screenshot(page, f"{name}-{WIDE}")
    page.set_viewport_size({"width": NARROW, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW, f"{name} is wider than {NARROW} px"
    clipped = page.evaluate(
        "[...document.querySelectorAll('.table-responsive')].filter(box => box.scrollWidth > box.clientWidth).length"
    )
    assert clipped == 0, f"a table of {name} scrolls sideways at {NARROW} px"
    cut = page.evaluate(
        "[...document.querySelectorAll('input[readonly], input[disabled]')]"
        ".filter(field => field.scrollWidth > field.clientWidth).map(field => field.id)"
    )
    assert cut == [], f"a field to read on {name} shows only part of its text at {NARROW} px"
    screenshot(page, f"{name}-{NARROW}")
    page.set_viewport_size({"width": WIDE, "height": 860})


def fresh_code(page, secret: str) -> str:
    """The code an authenticator app shows now; at the end of a window, the next window's code once
    it starts (a wait of at most CODE_MARGIN_S)."""
    totp = pyotp.TOTP(secret)
    left = totp.interval - time.time() % totp.interval
    if left < CODE_MARGIN_S:
        page.wait_for_timeout(left * 1000 + 50)
    return totp.now()


def other_code(code: str) -> str:
    """A code of the right shape that is not `code` (nor, but for a chance of one in a million, the
    next window's)."""
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def password_step(page, t, email: str):
    page.goto(reverse("login"))
    page.get_by_label(t("E-mail address")).fill(email)
    page.get_by_label(t("Password")).fill("pw")
    page.get_by_role("button", name=t("Sign in")).click()


def signed_in(page, t, name: str = "Jan"):
    """On the home page, signed in."""
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1, name=t("Welcome, %(name)s", name=name))).to_be_visible()


def sign_in(page, t, email: str = "primary@example.com", name: str = "Jan"):
    password_step(page, t, email)
    signed_in(page, t, name)


def sign_out(page, t):
    page.locator("#sk-user-menu").click()
    page.get_by_role("button", name=t("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))


def open_second_factor_page(page, t):
    """The account menu's "Two-step sign-in"."""
    page.locator("#sk-user-menu").click()
    page.get_by_role("link", name=t("Two-step sign-in")).click()
    expect(page).to_have_url(re.compile(reverse("mfa_index") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Two-step sign-in"))).to_be_visible()


def code_field(page, t):
    """The code field of the sign-in's second step. Its label is "Code" and the hidden asterisk of a
    required field; Playwright matches a pattern against the label's text as it stands in the HTML."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(t('Code'))}\W*$"))


def panel(page, t, title: str):
    return page.locator("section").filter(has=page.get_by_role("heading", name=t(title), exact=True))


def confirm_access(page, t):
    """allauth asks for the password again before a factor is added or removed ("Confirm it is you")."""
    expect(page).to_have_url(re.compile(reverse("account_reauthenticate") + r"\?next="))
    expect(page.get_by_role("heading", level=1, name=t("Confirm it is you"))).to_be_visible()
    page.get_by_label(t("Password")).fill("pw")
    page.get_by_role("button", name=t("Confirm")).click()


def activate_authenticator_app(page, t, screenshot=None, name: str = "") -> str:
    """From the second-factor page: the authenticator app set up with the secret the page shows, as a
    person types it into their app. Returns the secret."""
    panel(page, t, "Authenticator app").get_by_role("link", name=t("Set up an authenticator app")).click()
    if screenshot:
        expect(page.get_by_role("heading", level=1, name=t("Confirm it is you"))).to_be_visible()
        screens(page, screenshot, f"mfa-confirm-access-{name}")
    confirm_access(page, t)
    expect(page).to_have_url(re.compile(reverse("mfa_activate_totp") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Activate Authenticator App"))).to_be_visible()
    expect(page.get_by_role("img")).to_be_visible()  # the QR code
    secret = page.get_by_label(t("Authenticator secret")).input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret), secret
    if screenshot:
        screens(page, screenshot, f"mfa-totp-activate-{name}")
    page.get_by_label(t("Authenticator code")).fill(fresh_code(page, secret))
    page.get_by_role("button", name=t("Activate")).click()
    return secret


def test_an_admin_sets_up_an_authenticator_app_signs_in_with_it_and_with_a_recovery_code_once(
    page, world, t, lang, screenshot
):
    give_names(world)
    sign_in(page, t)
    open_second_factor_page(page, t)
    screens(page, screenshot, f"mfa-index-{lang}")

    secret = activate_authenticator_app(page, t, screenshot, lang)

    # The first factor set up brings recovery codes, shown at once.
    expect(page).to_have_url(re.compile(reverse("mfa_view_recovery_codes") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Recovery Codes"))).to_be_visible()
    codes = page.get_by_label(t("Unused codes")).input_value().split()
    assert len(codes) == 10, codes
    assert all(re.fullmatch(r"\d{8}", code) for code in codes), codes
    screens(page, screenshot, f"mfa-recovery-codes-{lang}")
    open_second_factor_page(page, t)
    expect(panel(page, t, "Authenticator app")).to_contain_text(
        t("On: at sign-in you type the code your authenticator app shows.")
    )
    screens(page, screenshot, f"mfa-index-active-{lang}")

    # Signing in now asks for the code after the password; a wrong one is refused, the right one lets in.
    sign_out(page, t)
    password_step(page, t, "primary@example.com")
    expect(page).to_have_url(re.compile(reverse("mfa_authenticate") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Two-step sign-in"))).to_be_visible()
    screens(page, screenshot, f"mfa-code-prompt-{lang}")
    code = fresh_code(page, secret)
    code_field(page, t).fill(other_code(code))
    page.get_by_role("button", name=t("Sign In"), exact=True).click()
    expect(page.get_by_text(t("Incorrect code."))).to_be_visible()
    expect(page).to_have_url(re.compile(reverse("mfa_authenticate") + "$"))
    screens(page, screenshot, f"mfa-code-wrong-{lang}")
    code_field(page, t).fill(fresh_code(page, secret))
    page.get_by_role("button", name=t("Sign In"), exact=True).click()
    signed_in(page, t)

    # A recovery code stands in for the app, once.
    sign_out(page, t)
    password_step(page, t, "primary@example.com")
    expect(page).to_have_url(re.compile(reverse("mfa_authenticate") + "$"))
    code_field(page, t).fill(codes[0])
    page.get_by_role("button", name=t("Sign In"), exact=True).click()
    signed_in(page, t)

    sign_out(page, t)
    password_step(page, t, "primary@example.com")
    expect(page).to_have_url(re.compile(reverse("mfa_authenticate") + "$"))
    code_field(page, t).fill(codes[0])
    page.get_by_role("button", name=t("Sign In"), exact=True).click()
    expect(page.get_by_text(t("Incorrect code."))).to_be_visible()
    expect(page).to_have_url(re.compile(reverse("mfa_authenticate") + "$"))

    assert page.problems == []


def virtual_authenticator(page) -> tuple:
    """Chromium's virtual authenticator (CDP WebAuthn): a passkey on this device, with user
    verification (a fingerprint or PIN) that always succeeds. Returns the CDP session and its id."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_an_admin_adds_a_passkey_names_it_renames_it_signs_in_with_it_and_removes_it(page, world, t, lang, screenshot):
    give_names(world)
    cdp, authenticator_id = virtual_authenticator(page)
    sign_in(page, t)
    open_second_factor_page(page, t)

    keys = panel(page, t, "Passkeys and security keys")
    expect(keys).to_contain_text(
        t("None yet. A passkey on this computer or phone (fingerprint, face or PIN), or a USB or NFC security key.")
    )
    keys.get_by_role("link", name=t("Add a key")).click()
    confirm_access(page, t)
    expect(page).to_have_url(re.compile(reverse("mfa_add_webauthn") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Add Security Key"))).to_be_visible()
    screens(page, screenshot, f"mfa-passkey-add-{lang}")
    page.get_by_label(t("Name")).fill("Jan's laptop")
    page.get_by_role("button", name=t("Add"), exact=True).click()  # the virtual authenticator answers

    # The first factor set up brings recovery codes.
    expect(page).to_have_url(re.compile(reverse("mfa_view_recovery_codes") + "$"))
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    # One credential, for this site (a second factor after the password: not a passkey that signs in alone).
    assert [credential["rpId"] for credential in credentials] == ["localhost"]

    open_second_factor_page(page, t)
    panel(page, t, "Passkeys and security keys").get_by_role("link", name=t("Manage keys")).click()
    expect(page).to_have_url(re.compile(reverse("mfa_list_webauthn") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Security Keys"))).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Jan's laptop"))
    expect(row).to_contain_text(t("Security key"))
    expect(row).to_contain_text(t("Not used."))
    screens(page, screenshot, f"mfa-passkey-list-{lang}")

    row.get_by_role("link", name=t("Edit")).click()
    expect(page.get_by_role("heading", level=1, name=t("Edit Security Key"))).to_be_visible()
    page.get_by_label(t("Name")).fill("Jan's office laptop")
    page.get_by_role("button", name=t("Save")).click()
    expect(page).to_have_url(re.compile(reverse("mfa_list_webauthn") + "$"))
    expect(page.get_by_role("row", name=re.compile("Jan's office laptop"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile(r"Jan's laptop"))).to_have_count(0)

    # Signing in: the password, then the passkey (the page's button; the virtual authenticator answers).
    sign_out(page, t)
    password_step(page, t, "primary@example.com")
    expect(page).to_have_url(re.compile(reverse("mfa_authenticate") + "$"))
    page.get_by_role("button", name=t("Use a passkey or security key")).click()
    signed_in(page, t)
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]
    assert credentials[0]["signCount"] >= 1  # the key signed the sign-in

    # Removing it (after the password again).
    page.goto(reverse("mfa_list_webauthn"))
    page.get_by_role("row", name=re.compile("Jan's office laptop")).get_by_role("link", name=t("Remove")).click()
    confirm_access(page, t)
    expect(page.get_by_role("heading", level=1, name=t("Remove Security Key"))).to_be_visible()
    page.get_by_role("button", name=t("Remove")).click()
    expect(page).to_have_url(re.compile(reverse("mfa_list_webauthn") + "$"))
    expect(page.get_by_text(t("No security keys have been added."))).to_be_visible()

    assert page.problems == []


def test_an_admin_who_must_have_a_second_factor_can_do_nothing_else_until_they_set_one_up(page, world, t, lang):
    give_names(world)
    sign_in(page, t)
    page.locator("#sk-sidebar").get_by_role("link", name=t("Team settings")).click()
    expect(page).to_have_url(
        re.compile(reverse("team_settings:team-settings", kwargs={"team_id": world.team.pk}) + "$")
    )
    security = page.get_by_role("region", name=t("Sign-in security"))
    security.get_by_role("button", name=t("Require a second factor for admins")).click()
    # The rule holds for the one who set it too: Jan has none, so he is taken to set one up (the team's
    # other admins without one have just been signed out).
    expect(page).to_have_url(re.compile(reverse("mfa_index") + "$"))
    turned_on = (
        "The admins of %(team)s now need a second factor. Those without one have been signed out, and set it "
        "up when they sign in again."
    )
    expect(page.get_by_text(t(turned_on, team=world.team.name))).to_be_visible()
    world.team.refresh_from_db()
    assert world.team.admins_need_second_factor
    sign_out(page, t)

    # Anna, secondary admin of Design, has none: after her password she is taken to set one up.
    password_step(page, t, "secondary@example.com")
    expect(page).to_have_url(re.compile(reverse("mfa_index") + "$"))
    expect(page.get_by_role("heading", level=1, name=t("Two-step sign-in"))).to_be_visible()

    # Any other page sends her back there, with the reason.
    page.locator("#sk-sidebar").get_by_role("link", name=t("By User")).click()
    expect(page).to_have_url(re.compile(reverse("mfa_index") + "$"))
    expect(page.get_by_text(t(SETUP_REQUIRED))).to_be_visible()
    page.goto(reverse("home"))
    expect(page).to_have_url(re.compile(reverse("mfa_index") + "$"))

    activate_authenticator_app(page, t)
    expect(page).to_have_url(re.compile(reverse("mfa_view_recovery_codes") + "$"))

    page.locator("#sk-sidebar").get_by_role("link", name=t("By User")).click()
    expect(page).to_have_url(re.compile(reverse("teams:member-list", kwargs={"team_id": world.team.pk}) + "$"))
    expect(page.get_by_role("heading", level=1, name=t("By User"))).to_be_visible()
    expect(page.get_by_text(t(SETUP_REQUIRED))).to_have_count(0)

    assert page.problems == []
