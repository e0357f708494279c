"""Browser tests: Playwright's sync API driving Debian's Chromium (/usr/bin/chromium; never
`playwright install`) against pytest-django's live_server.

Run them with `pytest -m browser`. The live server needs a transactional database; with SQLite the
test database is a file, which the server thread shares."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
# A person waits as long as a busy server takes: this machine and CI run at a load of 10 or more, where
# a page of a fresh live server can take over 10 s. Tests wait for the next page or the text they look
# for (never a fixed pause), up to these; Playwright's default of 5 s for expect() timed out.
TIMEOUT_MS = 30_000
EXPECT_TIMEOUT_MS = 20_000


def motion(request) -> str:
    """The `reduced_motion` a test's browser asks for: "reduce" unless the test is marked `motion`.

    With reduced motion the site's stylesheet turns its transitions off, so a dialog stands still
    the moment it is shown. While Bootstrap slides it in (300 ms), a click on a loaded machine could
    press the mouse on a checkbox and release it 1 px lower, beside it: no click, "Clicking the
    checkbox did not change its state" (test_mark_and_unmark_a_guest_user failed so once in CI).
    The tests of the fade itself ask for it with `@pytest.mark.motion`."""
    return "no-preference" if request.node.get_closest_marker("motion") else "reduce"


@pytest.fixture(scope="module")
def browser():
    """Chromium, for the tests of one module.

    Playwright's sync API keeps an event loop running in this thread from start to stop, and Django
    refuses database access under a running loop ("You cannot call this from an async context")
    unless DJANGO_ALLOW_ASYNC_UNSAFE is set. It is set here, for as long as Playwright runs, and not
    for the whole session: it would leak into the other tests (`check --deploy` rejects it)."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):  # CI installs Chromium: a skip there would hide a broken set-up
            pytest.fail(f"Chromium not found at {CHROMIUM}")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    expect = pytest.importorskip("playwright.sync_api").expect
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser, live_server, request):
    """A fresh browser context (no cookies) on the live server, with CSP violations and JavaScript
    errors collected in `page.problems`: a test can assert there were none."""
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1366, "height": 860},
        locale="en-GB",
        reduced_motion=motion(request),
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: problems.append(f"console {message.type}: {message.text}") if message.type == "error" else None,
    )
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves test-artifacts/screens/name.png (the whole page) and returns its path."""
    SCREENS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save
