"""The Dutch pages hold no English (issue 22): every screen and dialog of the authorization matrix that
the team's primary admin may open, read in Dutch as a person reads it (the text of the page without its
scripts and styles; the title, aria-label, placeholder and alt attributes; the value of input buttons),
has none of
- the catalogue's English strings whose Dutch differs (placeholders match anything, whole words only);
- a list of common English words ("the", "Save", "Cancel", "users", "None", ...);
- the words the catalogue's English writes and its Dutch never does ("Unassign", "Expired"): English
  that no msgid covers whole, a string put together in Python or left outside {% translate %}.
The guide's own Dutch keeps three loanwords, "seat(s)", "subscription" and "admin"; words both
languages write alike ("Software", "Filter", "Status") tell nothing alone.

The pages: each GET the primary admin is answered 200, as a page and as the htmx dialog it opens
(HX-Request), some with a query that shows another state of the screen (a tab, filters that find
nothing, a range that is not valid), and each empty POST answered 200 (a form shown again with its
errors). The Django admin (support staff's, in Django's own Dutch) and the API (JSON) are left out. What
the world of the matrix names (people, teams, products, e-mail addresses, URLs, event types, CSV
columns) is taken out of the text first: data is not to be translated. The Subscription plans
"Standard", "Premium" and "Pay Per Use" are names (SPEC's data model), the same in Dutch."""

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.test_authorization_matrix import (  # noqa: F401 (fixtures)
    EXPECT,
    ROUTES,
    Access,
    _refusals_unlogged,
    matrix,
    outcome,
    url_of,
)

pytestmark = pytest.mark.django_db

DUTCH = Path(settings.BASE_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po"
# The guide's Dutch keeps these English words.
LOANWORDS = {"seat", "seats", "subscription", "subscriptions", "admin", "admins"}
# English words that have no place in a Dutch sentence, whole words, as they are written.
ENGLISH = ["the", "Save", "Cancel", "Delete", "Search", "Next", "Previous", "Show", "users", "products", "None",
           "and", "to", "with", "your", "you", "are", "Add", "Remove", "Close", "Back", "Edit", "Yes", "Unassign",
           "Assign", "Invite", "User", "Users", "Products", "Date", "Name", "Role", "Active", "Invited", "Guest",
           "Never", "Today", "Yesterday", "Loading", "Page", "Apply", "Settings", "Sign", "Change", "Rename",
           "Create", "Confirm", "seat usage", "Seat Usage"]  # fmt: skip
# The matrix's world and what Django or a library writes that is not the portal's to translate: names
# of people, teams, products and items, devices, tokens and keys, and the words of formats and codes.
DATA = [
    r"[\w.+-]+@[\w-]+(\.[\w-]+)+",  # e-mail addresses
    r"https?://\S+",
    r"Bouwbedrijf De Vries B\.V\.",
    r"Someone else's team",
    r"Design",
    r"Engineering",
    r"Engineers",
    r"Viewers?( desktop)?",
    r"DraftPro( desktop)?",
    r"Cloud rendering",
    r"Laptop",
    r"Desktop",
    r"Script",
    r"Web shop",
    r"Support",
    r"Seatkeeper",
    r"English",  # the language menu names each language in its own words
    r"\b[a-z]+\.[a-z_]+\b",  # the webhooks' event types (member.invited)
    r"\b[a-z_]+(, [a-z_]+){3,}\b",  # the columns of a CSV file (when, who_email, who_name, ...)
]
DATA_PATTERN = re.compile("|".join(f"(?:{pattern})" for pattern in DATA))
# Words Dutch writes as English does: alone, they tell nothing.
BOTH = {"of", "in", "over", "software", "product", "team", "status", "filter", "export", "download", "contract",
        "service", "services", "code", "e-mail", "mail", "type", "items", "item", "id", "ip", "api", "csv", "token",
        "webhook", "webhooks", "details", "passkey", "passkeys", "start", "open", "is", "op", "en", "per"}  # fmt: skip
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
SKIPPED_TAGS = {"script", "style"}
READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt"}


class VisibleText(HTMLParser):
    """The pieces of text a person reads or hears: text nodes and the read attributes, each apart."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skipping += 1
        attributes = dict(attrs)
        for name in READ_ATTRIBUTES & attributes.keys():
            self.pieces.append(attributes[name] or "")
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.pieces.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.pieces.append(data)


def visible_text(html: str, data: re.Pattern = DATA_PATTERN) -> list[str]:
    parser = VisibleText()
    parser.feed(html.replace("<wbr>", ""))  # an address's line-break hint, in a word
    pieces = (data.sub(" ", " ".join(piece.split())) for piece in parser.pieces)
    return [piece for piece in pieces if re.search(r"[A-Za-z]{2}", piece)]


def _pattern(text: str) -> re.Pattern | None:
    """A catalogue's English string as a pattern of whole words, its placeholders matching anything;
    None when what is left does not tell English from Dutch: loanwords, words both languages write
    alike ("of", "over", "Software"), a word of one letter."""
    chunks = [" ".join(chunk.split()) for chunk in PLACEHOLDER.split(text)]
    words = [word for chunk in chunks for word in re.findall(r"[A-Za-z]+", chunk)]
    if not [word for word in words if word.lower() not in LOANWORDS | BOTH and len(word) > 1]:
        return None
    parts = []
    for chunk in chunks:
        if chunk.strip():
            start = r"(?<![\w-])" if chunk[0].isalnum() else ""
            end = r"(?![\w-])" if chunk[-1].isalnum() else ""
            parts.append(start + re.escape(chunk) + end)
    return re.compile(r".{1,200}?".join(parts))


@pytest.fixture(scope="module")
def english_strings() -> list[tuple[str, re.Pattern]]:
    """The catalogue's English strings whose Dutch differs, as patterns, the longest first."""
    found = {}
    for entry in polib.pofile(str(DUTCH)).translated_entries():
        pairs = [(entry.msgid, entry.msgstr)]
        if entry.msgid_plural:
            pairs = [(entry.msgid, entry.msgstr_plural[0]), (entry.msgid_plural, entry.msgstr_plural[1])]
        for english, dutch in pairs:
            if english != dutch and (pattern := _pattern(english)):
                found[english] = pattern
    return sorted(found.items(), key=lambda item: -len(item[0]))


@pytest.fixture(scope="module")
def data(matrix, django_db_blocker) -> re.Pattern:  # noqa: F811
    """DATA, and the names of the world's people, which the factories draw at random (Faker): a "Page"
    or a "Young" among them is no English on the page."""
    from licensing.accounts.models import User

    with django_db_blocker.unblock():
        names = {name for pair in User.objects.values_list("first_name", "last_name") for name in pair if name}
    people = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
    return re.compile(rf"{DATA_PATTERN.pattern}|(?<![\w-])(?:{people})(?![\w-])")


@pytest.fixture(scope="module")
def english_only_words() -> set[str]:
    """The words of the catalogue's English that its Dutch never writes ("Unassign", "Cancel"): one of
    them on a Dutch page is English that no msgid covers whole (a string put together in Python, a word
    outside {% translate %})."""
    english, dutch = set(), set()
    for entry in polib.pofile(str(DUTCH)):
        english |= set(re.findall(r"[A-Za-z]+", f"{entry.msgid} {entry.msgid_plural}"))
        dutch |= set(re.findall(r"[A-Za-z]+", " ".join([entry.msgstr, *entry.msgstr_plural.values()])))
    return {word for word in english - dutch if len(word) > 2 and word.lower() not in LOANWORDS | BOTH}


COMMON = re.compile(rf"(?<![\w-])({'|'.join(sorted(set(ENGLISH), key=len, reverse=True))})(?![\w-])")


def english_in(html: str, english_strings, english_only_words=frozenset(), data=DATA_PATTERN) -> list[str]:
    found = []
    for piece in visible_text(html, data):
        for english, pattern in english_strings:
            if pattern.search(piece):
                found.append(f"{english!r} in {piece[:120]!r}")
                break
        else:
            if match := COMMON.search(piece):
                found.append(f"the English word {match.group(1)!r} in {piece[:120]!r}")
            elif words := [word for word in re.findall(r"[A-Za-z]+", piece) if word in english_only_words]:
                found.append(f"the English word {words[0]!r} in {piece[:120]!r}")
    return found


# More states of the screens than their bare address shows: a tab, filters that find nothing, a range
# that is not valid, the suggestions of "Assign users".
QUERIES = {
    "reports:seat-usage": ["tab=users", "tab=users&unused=on", "range=custom&start=2026-02-30&end=x", "team=x-y-z"],
    "teams:member-list": ["q=nobody-at-all", "role=secondary_admin&status=invited&guests=false"],
    "subscriptions:product-list": ["q=nobody-at-all"],
    "subscriptions:product-detail": ["q=nobody-at-all"],
    "subscriptions:product-assign-suggestions": ["q=a", "q=nobody-at-all"],
    "subscriptions:contract-list": ["q=nobody-at-all"],
    "activity:event-list": ["q=nobody-at-all", "range=custom&start=x"],
    "groups:group-list": ["q=nobody-at-all"],
    "groups:group-members-candidates": ["q=a"],
}


def _cases() -> list:
    cases = []
    for route in ROUTES:
        expect = EXPECT[route.key]
        if route.key.startswith(("admin:", "api-v1:")) or expect.access in (Access.SUPPORT, Access.API):
            continue
        if outcome(expect, "primary", "get") == 200:
            cases += [
                pytest.param(route, "get", False, "", id=f"{route.key}-page"),
                pytest.param(route, "get", True, "", id=f"{route.key}-dialog"),
            ]
            cases += [pytest.param(route, "get", True, q, id=f"{route.key}?{q}") for q in QUERIES.get(route.key, [])]
        if expect.post is not None and outcome(expect, "primary", "post") == 200:
            cases.append(pytest.param(route, "post", True, "", id=f"{route.key}-errors"))
    return cases


@pytest.mark.parametrize(("route", "method", "htmx", "query"), _cases())
def test_a_dutch_page_has_no_english(
    client,
    matrix,  # noqa: F811
    data,
    english_strings,
    english_only_words,
    route,
    method,
    htmx,
    query,
):
    client.cookies[settings.SESSION_COOKIE_NAME] = matrix.sessions["primary"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "nl"
    headers = {"HX-Request": "true"} if htmx else {}
    url = url_of(route, EXPECT[route.key], "primary", matrix) + (f"?{query}" if query else "")
    response = getattr(client, method)(url, headers={"Accept-Language": "nl", **headers})
    assert response.status_code == 200, f"{method.upper()} {url}: {response.status_code}"
    if not response["Content-Type"].startswith("text/html"):
        return
    found = english_in(response.content.decode(), english_strings, english_only_words, data)
    assert found == [], f"{method.upper()} {url} in Dutch:\n" + "\n".join(found)


def test_the_check_finds_english(english_strings, english_only_words):
    # The test above would pass on a page it could not read: here it reads one.
    html = (
        '<p>Gebruikers</p><button title="Save changes">Opslaan</button><p>Geen users</p><p>jan@example.com</p>'
        "<p>Toewijzing opheffen</p><p>Seat van DraftPro: Expired</p><script>var x = 'Cancel';</script>"
    )
    assert english_in(html, english_strings, english_only_words) == [
        "'Save changes' in 'Save changes'",
        "'users' in 'Geen users'",
        "'Expired' in 'Seat van  : Expired'",
    ]
