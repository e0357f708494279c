"""The bad-input catalogue of "Import" (R-U6), through the real upload view as the team's admin: files
as people really get them wrong, made here from bytes (nothing big is committed). Each one gives the
preview or the upload page (200, never a 500) with the admin's words, per file or per line with its
line number, and nothing is written before the admin confirms. The valid ones that look odd (UTF-16,
Windows-1252 with semicolons, old Mac line ends, emoji and right-to-left names) import as written."""

import codecs
import csv
import io
import re
import struct
import zipfile
import zlib

import pytest
from django.urls import reverse
from django.utils.html import escape
from mailer.models import Message

from licensing.accounts.forms import FILE_REQUIRED
from licensing.accounts.imports import (
    DUPLICATE_COLUMN,
    DUPLICATE_EMAIL,
    FILE_EMPTY,
    FILE_TOO_BIG,
    FORMULA,
    HEADER_LOOKS_LIKE_DATA,
    MAX_BYTES,
    MAX_ROWS,
    MISSING_COLUMNS,
    NO_ROWS,
    NOT_CSV,
    NOT_CSV_ARCHIVE,
    NOT_CSV_WORKBOOK,
    TOO_FEW_VALUES,
    TOO_MANY_ROWS,
    TOO_MANY_VALUES,
    UNCLOSED_QUOTE,
    UNREADABLE,
    Outcome,
)
from licensing.accounts.models import Invitation, User
from licensing.accounts.services import EMAIL_INVALID, FIRST_NAME_TOO_LONG, LAST_NAME_REQUIRED
from licensing.activity.models import ActivityEvent
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import assignment_create
from licensing.teams.models import Member
from tests.factories import MemberFactory, UserFactory

HEADER = "First name,Last name,Email"


def csv_bytes(*rows: str, header: str = HEADER, end: str = "\r\n", encoding: str = "utf-8") -> bytes:
    return (end.join([header, *rows]) + end).encode(encoding)


def png_bytes() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0\0\0\0")) + chunk(b"IEND", b"")
    )


def zip_bytes(names: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in names.items():
            archive.writestr(name, content)
    return out.getvalue()


def upload(client, team, content: bytes, name: str = "people.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("accounts:invite-import", kwargs={"team_id": team.pk})
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def written() -> tuple[int, ...]:
    """Everything an import could write: accounts, members, invitations, mails, seats, audit rows."""
    return (
        User.objects.count(),
        Member.objects.count(),
        Invitation.objects.count(),
        Message.objects.count(),
        Assignment.objects.count(),
        ActivityEvent.objects.count(),
    )


def shown(response, message) -> bool:
    return escape(str(message)) in response.content.decode()


def file_error(response) -> list[str]:
    """The message under the file field of the upload page (the file as a whole is refused)."""
    return [str(error) for error in response.context["form"].errors.get("file", [])]


def line_errors(response) -> dict[int, list[str]]:
    """Each refused line of the preview, with its reasons."""
    return {row.line: [str(e) for e in row.errors] for row in response.context["preview"].rows if row.errors}


def outcomes(response) -> dict[int, str]:
    return {row.line: str(row.outcome) for row in response.context["preview"].rows}


@pytest.fixture
def admin(client, world):
    client.force_login(world.primary.user)
    return world


# --- The file as a whole is refused: the upload page again, the reason under the field -----------------

many_rows = "\r\n".join([HEADER, *(f"P,N{i},p{i}@example.nl" for i in range(MAX_ROWS + 1))]).encode()
FILE_REFUSED = [
    pytest.param(b"", FILE_EMPTY, id="empty-file"),
    pytest.param(codecs.BOM_UTF8, FILE_EMPTY, id="bom-only"),
    pytest.param(b"\r\n \r\n\t\r\n", FILE_EMPTY, id="blank-lines-only"),
    pytest.param(csv_bytes(), NO_ROWS, id="header-only"),
    pytest.param(csv_bytes(header="First name;Last name;Email"), NO_ROWS, id="header-only-semicolons"),
    pytest.param(
        many_rows,
        TOO_MANY_ROWS % {"count": f"{MAX_ROWS + 1:,}", "max": f"{MAX_ROWS:,}"},
        id="5001-rows",
    ),
    pytest.param(
        b"x" * (20 * 1024 * 1024),
        FILE_TOO_BIG % {"size": MAX_BYTES // (1024 * 1024), "max": f"{MAX_ROWS:,}"},
        id="20-MB",
    ),
    pytest.param(png_bytes(), NOT_CSV, id="png"),
    pytest.param(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04", NOT_CSV, id="gif"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nstream\n\x00\x01\x02", NOT_CSV, id="pdf"),
    pytest.param(zip_bytes({"people.csv": csv_bytes("Jan,Bos,jan@example.nl")}), NOT_CSV_ARCHIVE, id="zip"),
    pytest.param(
        zip_bytes({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
        NOT_CSV_WORKBOOK,
        id="xlsx-renamed",
    ),
    pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, NOT_CSV_WORKBOOK, id="xls-renamed"),
    pytest.param(b"\x1f\x8b\x08\x00" + b"\x00" * 20, NOT_CSV, id="gzip"),
    pytest.param(csv_bytes("Jan,Bos,jan@example.nl") + b"\x00\x00", NOT_CSV, id="nul-bytes-in-text"),
    pytest.param(codecs.BOM_UTF16_LE + b"F\x00i\x00r", NOT_CSV, id="utf16-cut-in-half"),
    pytest.param(
        csv_bytes("Jan,Bos", header="First name,Last name"),
        MISSING_COLUMNS % {"columns": "E-mail address"},
        id="no-email",
    ),
    pytest.param(
        csv_bytes("Bos,jan@example.nl", header="Last name,Email"),
        MISSING_COLUMNS % {"columns": "First name"},
        id="no-first",
    ),
    pytest.param(
        csv_bytes("Piet,Bos,piet@example.nl", header="Jan,Bos,jan@example.nl"), HEADER_LOOKS_LIKE_DATA, id="no-header"
    ),
    pytest.param(
        csv_bytes("Jan,Bos,jan@example.nl,j@example.nl", header="First name,Last name,Email,E-mail"),
        DUPLICATE_COLUMN % {"column": "E-mail"},
        id="column-twice",
    ),
    pytest.param(csv_bytes('"' + "x" * 200_000), UNREADABLE % {"line": 2}, id="quote-never-closed-to-the-end"),
]


@pytest.mark.parametrize(("content", "message"), FILE_REFUSED)
def test_a_file_that_cannot_be_imported_is_refused_with_the_reason(admin, client, content, message):
    # R-U6
    before = written()

    response = upload(client, admin.team, content)

    assert response.status_code == 200
    assert file_error(response) == [str(message)]
    assert shown(response, message)
    assert "preview" not in response.context
    assert written() == before


def test_no_file_at_all(admin, client):
    url = reverse("accounts:invite-import", kwargs={"team_id": admin.team.pk})
    before = written()

    response = client.post(url, {"file": "people.csv"})  # a text field, not a file

    assert response.status_code == 200
    assert file_error(response) == [str(FILE_REQUIRED)]
    assert written() == before


def test_a_file_name_of_thousands_of_characters_is_shown_without_harm(admin, client):
    response = upload(client, admin.team, csv_bytes("Jan,Bos,jan@example.nl"), name="ä" * 5000 + ".csv")
    assert response.status_code == 200
    assert outcomes(response) == {2: Outcome.NEW}


# --- Files that are fine, however they look ---------------------------------------------------------

READABLE = [
    pytest.param(codecs.BOM_UTF8 + csv_bytes("José,Müller,jose@example.nl"), id="utf8-bom"),
    pytest.param(codecs.BOM_UTF16_LE + csv_bytes("José,Müller,jose@example.nl", encoding="utf-16-le"), id="utf16-le"),
    pytest.param(codecs.BOM_UTF16_BE + csv_bytes("José,Müller,jose@example.nl", encoding="utf-16-be"), id="utf16-be"),
    pytest.param(
        csv_bytes("José\tMüller\tjose@example.nl", header="First name\tLast name\tEmail", encoding="utf-16"),
        id="utf16-tabs-excel-unicode-text",
    ),
    pytest.param(
        csv_bytes("José;Müller;jose@example.nl", header="Voornaam;Achternaam;E-mailadres", encoding="cp1252"),
        id="windows-1252-semicolons",
    ),
    pytest.param(csv_bytes("José,Müller,jose@example.nl", end="\r"), id="mac-cr-only"),
    pytest.param(csv_bytes("José,Müller,jose@example.nl", end="\n"), id="unix-lf"),
    pytest.param(
        b"sep=;\r\n" + csv_bytes("José;Müller;jose@example.nl", header="First name;Last name;Email"), id="sep"
    ),
]


@pytest.mark.parametrize("content", READABLE)
def test_a_file_in_any_encoding_separator_or_line_end_is_read(admin, client, content):
    before = written()

    response = upload(client, admin.team, content)

    assert response.status_code == 200
    preview = response.context["preview"]
    assert [(r.first_name, r.last_name, r.email, r.outcome) for r in preview.rows] == [
        ("José", "Müller", "jose@example.nl", Outcome.NEW)
    ]
    assert written() == before


# --- Lines that are refused: the preview, each with its line number and reason; the others stay --------

LONG_EMAIL = "a" * 250 + "@example.nl"  # 261 characters; an address has at most 254


def formula(column: str, text: str):
    return str(FORMULA % {"column": column, "char": text[0]})


LINE_REFUSED = [
    pytest.param(
        ["Jan,Bos,jan@example.nl", "Jan,Bos,JAN@Example.NL"], {4: [str(DUPLICATE_EMAIL % {"line": 3})]}, id="dup-email"
    ),
    pytest.param([f"Jan,Bos,{LONG_EMAIL}"], {3: [str(EMAIL_INVALID)]}, id="email-255-plus"),
    pytest.param(["Jan,Bos,not-an-address"], {3: [str(EMAIL_INVALID)]}, id="email-invalid"),
    pytest.param(
        [f"{'J' * 151},Bos,jan@example.nl"], {3: [str(FIRST_NAME_TOO_LONG % {"max": 150})]}, id="first-name-151"
    ),
    pytest.param(["\"=cmd|' /C calc'!A0\",Bos,jan@example.nl"], {3: [formula("First name", "=")]}, id="formula-cmd"),
    pytest.param(["Jan,+31 6 12345678,jan@example.nl"], {3: [formula("Last name", "+")]}, id="formula-plus"),
    pytest.param(["-2+3,Bos,jan@example.nl"], {3: [formula("First name", "-")]}, id="formula-minus"),
    pytest.param(["Jan,Bos,@SUM(1+1)"], {3: [formula("E-mail address", "@")]}, id="formula-at"),
    pytest.param(
        ['Jan,=HYPERLINK("http://evil.example"),jan@example.nl'], {3: [formula("Last name", "=")]}, id="hyperlink"
    ),
    pytest.param(
        ['"Jan,Bos,jan@example.nl', "Piet,Bos,piet@example.nl"],
        {3: [str(UNCLOSED_QUOTE % {"line": 3, "end": 4})]},
        id="quote-never-closed",
    ),
    pytest.param(
        ["Jan,Bos,jan@example.nl,extra"],
        {3: [str(TOO_MANY_VALUES % {"count": 4, "columns": 3})]},
        id="extra-column",
    ),
    pytest.param(["Jan,Bos"], {3: [str(TOO_FEW_VALUES % {"count": 2, "columns": 3})]}, id="missing-column"),
    pytest.param(["Jan,,jan@example.nl"], {3: [str(LAST_NAME_REQUIRED)]}, id="empty-last-name"),
]


@pytest.mark.parametrize(("rows", "expected"), LINE_REFUSED)
def test_a_bad_line_is_reported_with_its_number_and_reason_and_the_good_lines_stay(admin, client, rows, expected):
    # R-U6: every bad row with its line number and reason; valid rows are not lost because of bad ones.
    content = csv_bytes("Good,Person,good@example.nl", *rows)
    before = written()

    response = upload(client, admin.team, content)

    assert response.status_code == 200
    assert line_errors(response) == expected
    for messages in expected.values():
        for message in messages:
            assert shown(response, message)
    assert outcomes(response)[2] == Outcome.NEW
    assert written() == before


def test_existing_members_are_skipped_and_nothing_is_written_before_confirm(admin, client):
    MemberFactory(team=admin.team, user__email="already@example.nl")
    UserFactory(email="elsewhere@example.nl")
    before = written()

    response = upload(client, admin.team, csv_bytes("A,Member,ALREADY@example.nl", "Has,Account,elsewhere@example.nl"))

    assert response.status_code == 200
    assert outcomes(response) == {2: Outcome.MEMBER, 3: Outcome.NEW}
    assert shown(response, Outcome.MEMBER.label)
    assert written() == before


# --- Names with emoji and right-to-left text are valid and round-trip ----------------------------------

NAMES = [
    ("Zoë 😀", "van 🏗️ Bouw", "zoe@example.nl"),
    ("محمد", "العربي", "mohammed@example.nl"),
    ("אבי", "כהן", "avi@example.nl"),
    ("👩🏽‍💻", "Family 👨‍👩‍👧‍👦", "family@example.nl"),
]


def test_names_with_emoji_and_right_to_left_text_import_and_come_back_as_written(admin, client):
    lines = [f"{first},{last},{email},DraftPro" for first, last, email in NAMES[:3]]
    body = "\r\n".join(["First name,Last name,Email,Products", *lines, ",".join(NAMES[3])])
    response = upload(client, admin.team, codecs.BOM_UTF8 + body.encode())
    assert response.status_code == 200
    assert [(r.first_name, r.last_name, r.email) for r in response.context["preview"].rows] == NAMES
    assert not line_errors(response)
    import_id = re.search(r'name="import_id" value="([^"]+)"', response.content.decode()).group(1)

    confirm = reverse("accounts:invite-import-confirm", kwargs={"team_id": admin.team.pk})
    assert client.post(confirm, {"import_id": import_id}).status_code == 302

    for first, last, email in NAMES:
        user = User.objects.get(email=email)
        assert (user.first_name, user.last_name) == (first, last)
        assert Member.objects.filter(team=admin.team, user=user).exists()
    member_list = client.get(reverse("teams:member-list", kwargs={"team_id": admin.team.pk}))
    for first, last, _email in NAMES:
        assert escape(f"{first} {last}") in member_list.content.decode()
    export = client.get(
        reverse("reports:seat-usage-export-users", kwargs={"team_id": admin.team.pk}), {"team": str(admin.team.pk)}
    )
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    exported = {(row[3], row[4], row[2]) for row in rows[1:]}
    assert set(NAMES[:3]) <= exported


def test_a_formula_in_the_name_of_an_account_from_before_the_rule_is_exported_as_text(admin, client):
    # Import refuses formula cells (above), and so does every other way a name comes in now
    # (tests/accounts/test_name_formulas.py); an account named so before that rule, or in the Django
    # admin, is written by every export as text that a spreadsheet shows and never evaluates.
    name = "=cmd|' /C calc'!A0"
    member = MemberFactory(
        team=admin.team, user__email="calc@example.nl", user__first_name=name, user__last_name="+Bos"
    )
    assignment_create(member=member, product=admin.product, actor=admin.primary.user)

    export = client.get(
        reverse("reports:seat-usage-export-users", kwargs={"team_id": admin.team.pk}), {"team": str(admin.team.pk)}
    )
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    row = next(row for row in csv.reader(io.StringIO(text)) if "calc@example.nl" in row)
    assert row[3:5] == ["'" + name, "'+Bos"]
    # Quoted too: a spreadsheet that splits on semicolons or pipes cannot cut a formula out of it.
    assert f'"\'{name}"' in text
