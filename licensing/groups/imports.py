"""By Group › a group › "Import members": a CSV file of e-mail addresses, read and judged line by line
for a preview before anything is written (as the invitations' import, licensing.accounts.imports).
Reads only: the confirmation adds the good lines through `groups.services.group_members_add`.

The file is a column of e-mail addresses, with or without a first line naming it ("E-mail",
"E-mail address", "E-mailadres", "Email"), or a CSV export with such a column among others (comma,
semicolon or tab). Each line is one of: to add; malformed (no e-mail address); not a member of this
team; already in the group; the same address as an earlier line. An address that is no member of
the team is said to be so in the same words whether or not it has an account elsewhere (issue 19):
the admin learns nothing of other teams' people."""

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from licensing.groups.models import Group, GroupMember
from licensing.teams.models import Member

MAX_ROWS = 10_000
MAX_BYTES = 2 * 1024 * 1024
# Lines of the preview shown; the others are counted.
PREVIEW_LINES = 100
LOOKUP_CHUNK = 500

NOT_CSV = _("This is not a CSV file. Upload a text file with one e-mail address per line.")
NOT_CSV_WORKBOOK = _(
    "This is a spreadsheet (Excel or similar), not a CSV file. Save it as “CSV (comma delimited)” and upload that."
)
FILE_EMPTY = _("The file is empty.")
FILE_TOO_BIG = _("The file is larger than %(size)s MB. Import at most %(max)s addresses at a time.")
TOO_MANY_ROWS = _("The file has %(count)s lines; import at most %(max)s addresses at a time. Split it.")
NO_ROWS = _("The file has a column name but no addresses under it.")
UNREADABLE = _('Line %(line)d cannot be read. Is a double quote (") opened there and never closed?')
MALFORMED = _("“%(value)s” is not an e-mail address.")
EMPTY_ADDRESS = _("This line has no e-mail address.")
NOT_A_MEMBER = _("Nobody in this team has the address %(email)s. Invite them to the team first.")
ALREADY_IN_GROUP = _("%(name)s is already in the group.")
DUPLICATE = _("Same e-mail address as line %(line)d.")

EMAIL_HEADERS = {"email", "e-mail", "emailaddress", "e-mailaddress", "e-mailadres", "emailadres", "mail"}
_BINARY = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")


class Outcome(models.TextChoices):
    ADD = "add", _("To add")
    MALFORMED = "malformed", _("Not an e-mail address")
    NOT_MEMBER = "not_member", _("Not a member of this team")
    ALREADY = "already", _("Already in the group")
    DUPLICATE = "duplicate", _("Duplicate line")


@dataclass
class ImportLine:
    """One line of the file: its number, the address as written, its outcome, the reason in words and,
    to add, the member."""

    line: int
    email: str
    outcome: str
    reason: str = ""
    member: Member | None = None

    @property
    def is_valid(self) -> bool:
        return self.outcome == Outcome.ADD

    def get_outcome_display(self) -> str:
        return str(Outcome(self.outcome).label)


@dataclass
class ImportPreview:
    """The judged lines, or why the file cannot be read at all (`error`)."""

    lines: list[ImportLine] = field(default_factory=list)
    error: str = ""

    @property
    def valid_lines(self) -> list[ImportLine]:
        return [line for line in self.lines if line.is_valid]

    @property
    def members(self) -> list[Member]:
        return [line.member for line in self.valid_lines]

    @property
    def invalid_lines(self) -> list[ImportLine]:
        return [line for line in self.lines if not line.is_valid]

    @property
    def lines_shown(self) -> list[ImportLine]:
        """The lines with a problem first (they need the admin), then the good ones, at most PREVIEW_LINES."""
        return (self.invalid_lines + self.valid_lines)[:PREVIEW_LINES]

    @property
    def lines_not_shown(self) -> int:
        return max(0, len(self.lines) - PREVIEW_LINES)


def _decode(data: bytes) -> str | None:
    """UTF-16 when it says so, else UTF-8 (BOM removed), else Windows-1252 (Excel on a Western PC)."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1252", errors="replace")
    except UnicodeDecodeError:
        return None
    return unicodedata.normalize("NFC", text).rstrip("\x1a")


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {sep: first.count(sep) for sep in ",;\t"}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_]+", "", cell.strip().lower())


def parse_emails(data: bytes | IO[bytes], *, group: Group) -> ImportPreview:
    """Read an uploaded file and judge every line for `group`. Writes nothing."""
    if not isinstance(data, bytes | bytearray):
        data = data.read(MAX_BYTES + 1)
    data = bytes(data)
    if len(data) > MAX_BYTES:
        size = MAX_BYTES // (1024 * 1024)
        return ImportPreview(error=FILE_TOO_BIG % {"size": size, "max": number_format(MAX_ROWS, force_grouping=True)})
    if data.startswith(_WORKBOOK_MAGIC):
        return ImportPreview(error=str(NOT_CSV_WORKBOOK))
    text = _decode(data)
    if text is None or _BINARY.search(text):
        return ImportPreview(error=str(NOT_CSV))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), skipinitialspace=True)
    records, line = [], 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        return ImportPreview(error=UNREADABLE % {"line": line})
    if not records:
        return ImportPreview(error=str(FILE_EMPTY))
    column = 0
    header = [_header_key(cell) for cell in records[0][1]]
    named = [index for index, key in enumerate(header) if key in EMAIL_HEADERS]
    if named:
        column, records = named[0], records[1:]
        if not records:
            return ImportPreview(error=str(NO_ROWS))
    if len(records) > MAX_ROWS:
        return ImportPreview(
            error=TOO_MANY_ROWS
            % {
                "count": number_format(len(records), force_grouping=True),
                "max": number_format(MAX_ROWS, force_grouping=True),
            }
        )
    pairs = [(number, (cells[column] if column < len(cells) else "").strip()) for number, cells in records]
    return ImportPreview(lines=_judge(pairs, group))


def _judge(pairs: list[tuple[int, str]], group: Group) -> list[ImportLine]:
    lines, seen, wanted = [], {}, []
    for number, email in pairs:
        if not email:
            lines.append(ImportLine(number, email, Outcome.MALFORMED, str(EMPTY_ADDRESS)))
            continue
        try:
            validate_email(email)
        except ValidationError:
            lines.append(ImportLine(number, email, Outcome.MALFORMED, str(MALFORMED % {"value": email[:254]})))
            continue
        key = email.lower()
        if key in seen:
            lines.append(ImportLine(number, email, Outcome.DUPLICATE, str(DUPLICATE % {"line": seen[key]})))
            continue
        seen[key] = number
        line = ImportLine(number, email, Outcome.ADD)
        lines.append(line)
        wanted.append(key)
    members, inside = {}, set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        part = wanted[start : start + LOOKUP_CHUNK]
        found = (
            Member.objects.filter(team=group.team)
            .alias(address=Lower("user__email"))
            .filter(address__in=part)
            .select_related("user")
        )
        found = {member.user.email.lower(): member for member in found}
        members.update(found)
        ids = [member.pk for member in found.values()]
        inside.update(GroupMember.objects.filter(group=group, member_id__in=ids).values_list("member_id", flat=True))
    for line in lines:
        if line.outcome != Outcome.ADD:
            continue
        member = members.get(line.email.lower())
        if member is None:
            line.outcome, line.reason = Outcome.NOT_MEMBER, str(NOT_A_MEMBER % {"email": line.email})
        elif member.pk in inside:
            line.outcome, line.reason = Outcome.ALREADY, str(ALREADY_IN_GROUP % {"name": member.name})
        else:
            line.member = member
    return lines
