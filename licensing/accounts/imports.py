"""Many people into a team at once (R-U6): a CSV file ("Import") or rows typed into a box ("Invite
Multiple").

Reading writes nothing: `parse_csv` and `parse_pasted` judge every row and return a preview with each
row's outcome and line number, in the admin's words. Only `import_confirm` writes, in one transaction,
through `member_invite_many`, so an import follows the same rules as one invitation: one account per
e-mail address in any case (R-U7) and no more seats than the team has (R-SE1).

Files come as people really have them: UTF-8 with or without BOM, Windows-1252 (Excel on a Dutch
PC), UTF-16 (Excel's "Unicode text"), separated by commas, semicolons or tabs, with CRLF, LF or CR
line ends, blank lines, and column names in any case, in English or Dutch.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import IO

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from licensing.accounts.invite_many import member_invite_many
from licensing.accounts.services import person_clean
from licensing.subscriptions.models import Product
from licensing.subscriptions.services import NO_FREE_SEAT, NO_SUBSCRIPTION
from licensing.teams.models import Member, Team
from licensing.teams.permissions import can_manage_members
from licensing.teams.services import FORMULA, require, validate_not_formula  # noqa: F401  FORMULA: the import's words, named here too
from portal.db import service_transaction

MAX_ROWS = 5000
MAX_BYTES = 2 * 1024 * 1024
MAX_PASTED_CHARS = MAX_BYTES
# E-mail addresses per query when looking up accounts: below every database's limit of parameters.
LOOKUP_CHUNK = 900
# Lines of a file that the preview lists one by one (the first ones): enough to see that the columns
# were read right. Every line is counted, and every line that will not be imported is listed.
PREVIEW_LINES = 100

NOT_CSV_WORKBOOK = _(
    "This is a spreadsheet workbook (like .xlsx or .xls), not a CSV file. Open it in Excel, choose "
    "File › Save As › “CSV UTF-8 (comma delimited)”, and upload that file."
)
NOT_CSV_ARCHIVE = _("This is a compressed (zip) file, not a CSV file. Unzip it and upload the CSV file that is in it.")
NOT_CSV = _("This is not a CSV file. Upload a text file with the columns First name, Last name and E-mail address.")
FILE_EMPTY = _("The file is empty.")
FILE_TOO_BIG = _("The file is larger than %(size)s MB. Import at most %(max)s people at a time.")
TOO_MANY_ROWS = _("The file has %(count)s people; import at most %(max)s at a time. Split it into smaller files.")
NO_ROWS = _("The file has column names but nobody in it.")
MISSING_COLUMNS = _(
    "The file has no column %(columns)s. Its first line must name the columns: First name, Last name, "
    "E-mail address, and if you like Products."
)
HEADER_LOOKS_LIKE_DATA = _(
    "The first line of the file must name the columns (First name, Last name, E-mail address), but it "
    "looks like a person. Add a line with the column names at the top."
)
DUPLICATE_COLUMN = _("The column %(column)s appears twice in the first line.")
UNREADABLE = _('Line %(line)d cannot be read. Is a double quote (") opened there and never closed?')
UNCLOSED_QUOTE = _(
    'A double quote (") on this line is not closed, so lines %(line)d to %(end)d were read as one value. '
    "Remove the quote or close it."
)
TOO_MANY_VALUES = _(
    "This line has %(count)d values but the first line names %(columns)d columns. Is there a comma or "
    "semicolon in a name? Then put that name between double quotes."
)
TOO_FEW_VALUES = _("This line has %(count)d values but the first line names %(columns)d columns.")
DUPLICATE_EMAIL = _("Same e-mail address as line %(line)d.")
PRODUCT_UNKNOWN = _("%(product)s is not a product of this team. Its products: %(products)s.")
PRODUCT_UNKNOWN_NO_PRODUCTS = _("%(product)s is not a product of this team; this team has no subscriptions.")
NO_SEAT_LEFT = _(
    "No free seat of %(product)s left for this line: the team has %(free)d free, and the lines above take them."
)
PASTE_EMPTY = _("Type or paste at least one person: First name, Last name, E-mail address.")
PASTE_TOO_LONG = _("That is too much text at once. Import at most %(max)s people at a time.")
PASTE_VALUES = _("Write First name, Last name, E-mail address, separated by commas; this row has %(count)d values.")


class Outcome(models.TextChoices):
    # Whether an address that is no member of the team has an account elsewhere is none of the
    # team's business (issue 19): it is a new user of the team either way, and is invited.
    NEW = "new", _("New user")
    MEMBER = "member", _("Already a member: skipped")
    INVALID = "invalid", _("Not imported")


VALID_OUTCOMES = (Outcome.NEW,)

COLUMN_LABELS = {
    "first_name": _("First name"),
    "last_name": _("Last name"),
    "email": _("E-mail address"),
    "products": _("Products"),
    "prefix": _("Tussenvoegsel"),
}
REQUIRED_COLUMNS = ("first_name", "last_name", "email")
# Column names as people write them, after _header_key (lower case, no spaces, dashes or underscores).
COLUMN_ALIASES = {
    "first_name": {"firstname", "first", "givenname", "forename", "voornaam", "roepnaam"},
    "last_name": {"lastname", "last", "surname", "familyname", "achternaam", "familienaam"},
    "email": {"email", "emailaddress", "mail", "mailaddress", "emailadres", "mailadres"},
    "products": {"products", "product", "producten", "licenses", "licences", "licenties"},
    # Dutch surnames are often split: "Jan" "de" "Vries". The prefix goes before the last name.
    "prefix": {"tussenvoegsel", "tussenvoegsels", "voorvoegsel"},
}
_COLUMN_BY_ALIAS = {alias: column for column, aliases in COLUMN_ALIASES.items() for alias in aliases}
_CHECKED_COLUMNS = ("first_name", "prefix", "last_name", "email", "products")
_WORKBOOK_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
_WORKBOOK_PARTS = (b"xl/", b"[Content_Types].xml", b"application/vnd.oasis.opendocument.spreadsheet")
# Control characters that never occur in a text file (tab, line ends, form feeds and Ctrl-Z do).
_BINARY = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f\x7f]")
_SEP_LINE = re.compile(r"\A[ \t]*sep=([,;\t|])[ \t]*(?:\r\n|\r|\n|\Z)", re.IGNORECASE)


@dataclass
class ImportRow:
    """One person of an import, as the preview shows them. `line` is the physical line in the file
    (the first line of the file is 1), or the row number of pasted text. The names and e-mail address
    are as `member_invite` will store them (or as written, when the row is invalid)."""

    line: int
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    products: list[Product] = field(default_factory=list)
    outcome: str = Outcome.INVALID
    errors: list[str] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return self.outcome in VALID_OUTCOMES

    def get_outcome_display(self) -> str:
        return Outcome(self.outcome).label

    def as_data(self) -> dict:
        """The row as JSON-able data, to keep in the session between preview and confirm."""
        return {
            "line": self.line,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "products": [product.pk for product in self.products],
            "outcome": str(self.outcome),
        }


@dataclass
class ImportPreview:
    """What an import would do. `error` says why the file as a whole cannot be read; otherwise every
    row has its outcome. Columns the import does not read are listed in `ignored_columns`."""

    rows: list[ImportRow] = field(default_factory=list)
    error: str | None = None
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.is_valid]

    @property
    def invalid_rows(self) -> list[ImportRow]:
        return [row for row in self.rows if row.outcome == Outcome.INVALID]

    @property
    def rows_shown(self) -> list[ImportRow]:
        """The first PREVIEW_LINES rows, which the preview lists one by one: a table of 5,000 lines is
        slow to send and to read, and says no more than the counts and the problems."""
        return self.rows[:PREVIEW_LINES]

    @property
    def rows_not_shown(self) -> int:
        return max(0, len(self.rows) - PREVIEW_LINES)

    @property
    def counts(self) -> dict[str, int]:
        """How many rows have each outcome, every outcome present."""
        found = Counter(str(row.outcome) for row in self.rows)
        return {outcome.value: found[outcome.value] for outcome in Outcome}


@dataclass
class ImportResult:
    """What a confirmed import did: the members invited, and the rows skipped because things changed
    since the preview (someone became a member, a seat was taken), each with its reason."""

    created: list[Member]
    skipped: list[ImportRow]


@dataclass
class _Raw:
    """A row as read, before judging: the cell of each known column, or why its shape is wrong."""

    line: int
    cells: dict[str, str]
    shape_error: str | None = None


# --- Reading a file ---------------------------------------------------------------------------------


def parse_csv(data: bytes | IO[bytes], *, team: Team) -> ImportPreview:
    """Read an uploaded CSV file and judge every row for `team`. Writes nothing. Pass the bytes or the
    uploaded file; of a file no more than MAX_BYTES (+1, to notice a bigger one) is read."""
    if not isinstance(data, bytes | bytearray):
        data = data.read(MAX_BYTES + 1)
    data = bytes(data)
    if len(data) > MAX_BYTES:
        return ImportPreview(
            error=FILE_TOO_BIG
            % {"size": MAX_BYTES // (1024 * 1024), "max": number_format(MAX_ROWS, force_grouping=True)}
        )
    if data.startswith(_WORKBOOK_MAGIC):
        return ImportPreview(error=str(NOT_CSV_WORKBOOK if _is_workbook(data) else NOT_CSV_ARCHIVE))
    text = _decode(data)
    if text is None or _BINARY.search(text):
        return ImportPreview(error=str(NOT_CSV))
    sep_line = _SEP_LINE.match(text)
    if sep_line:  # Excel's "sep=;" first line; keep a blank line in its place so line numbers stay true
        delimiter, text = sep_line.group(1), "\n" + text[sep_line.end() :]
    else:
        delimiter = _sniff_delimiter(text)

    records = []
    # skipinitialspace: people type "Jan, de Vries" and quote after the space: Jan, "Berg, van den"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                records.append((line, reader.line_num, cells))
            line = reader.line_num + 1
    except csv.Error:  # a field beyond csv's size limit: an unclosed quote swallowed the file
        return ImportPreview(error=UNREADABLE % {"line": line})
    if not records:
        return ImportPreview(error=str(FILE_EMPTY))

    _line, _end, header = records[0]
    columns: dict[str, int] = {}
    ignored = []
    for index, name in enumerate(header):
        column = _COLUMN_BY_ALIAS.get(_header_key(name))
        if column is None:
            if name.strip():
                ignored.append(name.strip())
        elif column in columns:
            return ImportPreview(error=DUPLICATE_COLUMN % {"column": name.strip()})
        else:
            columns[column] = index
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        if any("@" in cell for cell in header):
            return ImportPreview(error=str(HEADER_LOOKS_LIKE_DATA))
        names = ", ".join(str(COLUMN_LABELS[column]) for column in missing)
        return ImportPreview(error=MISSING_COLUMNS % {"columns": names})
    people = records[1:]
    if not people:
        return ImportPreview(error=str(NO_ROWS))
    if len(people) > MAX_ROWS:
        return ImportPreview(
            error=TOO_MANY_ROWS
            % {
                "count": number_format(len(people), force_grouping=True),
                "max": number_format(MAX_ROWS, force_grouping=True),
            }
        )

    width = max(index for index, name in enumerate(header) if name.strip()) + 1
    needed = max(columns[column] for column in REQUIRED_COLUMNS) + 1
    raws = []
    for line, end, cells in people:
        values = {column: cells[index] if index < len(cells) else "" for column, index in columns.items()}
        raw = _Raw(line=line, cells=values)
        if end > line and _swallowed_lines(values, cells):
            raw.shape_error = UNCLOSED_QUOTE % {"line": line, "end": end}
        elif len(cells) < needed:
            raw.shape_error = TOO_FEW_VALUES % {"count": len(cells), "columns": width}
        elif any(cell.strip() for cell in cells[width:]):  # trailing empty cells are Excel's, not an error
            raw.shape_error = TOO_MANY_VALUES % {"count": len(cells), "columns": width}
        raws.append(raw)
    return ImportPreview(rows=_judge(raws, team=team), ignored_columns=ignored)


def _swallowed_lines(values: dict[str, str], cells: list[str]) -> bool:
    """Whether a value that spans lines holds what an unclosed quote swallowed: a line break in a
    name or address (where it never belongs), or one followed by an e-mail address (the next rows)."""
    return any(re.search(r"[\r\n]", values.get(column, "")) for column in ("first_name", "last_name", "email")) or any(
        re.search(r"[\r\n].*@", cell, re.DOTALL) for cell in cells
    )


def _is_workbook(data: bytes) -> bool:
    """Whether a zip or OLE file is a spreadsheet: an old .xls (OLE), or a zip with the parts of an
    .xlsx or an .ods, whose names its headers carry in plain bytes."""
    return not data.startswith(b"PK") or any(part in data for part in _WORKBOOK_PARTS)


def _decode(data: bytes) -> str | None:
    """The text of the file: UTF-16 when it says so, else UTF-8 (BOM removed), else Windows-1252,
    which is what Excel writes on a Western European PC. None if it is no text at all."""
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                # The five bytes Windows-1252 leaves undefined become U+FFFD rather than refusing the file.
                text = data.decode("cp1252", errors="replace")
    except UnicodeDecodeError:
        return None
    # Names typed on a Mac may arrive decomposed (e + ´); compare and store them composed.
    return unicodedata.normalize("NFC", text).rstrip("\x1a")  # Ctrl-Z: old DOS end of file


def _sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab: whichever the first non-blank line (the column names) uses most,
    outside quotes. A tie or none of them means comma."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = dict.fromkeys(",;\t", 0)
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-.*:'\"\ufeff]", "", name.casefold())


# --- Reading pasted text ----------------------------------------------------------------------------


def parse_pasted(text: str, *, team: Team) -> ImportPreview:
    """Read people typed or pasted into "Invite Multiple": `First, Last, email; First, Last, email`.
    Rows are separated by semicolons or line breaks, fields by commas or tabs (rows copied from a
    spreadsheet). Rows are numbered from 1, blank ones not counted. Writes nothing."""
    text = unicodedata.normalize("NFC", text or "")
    if len(text) > MAX_PASTED_CHARS:
        return ImportPreview(error=PASTE_TOO_LONG % {"max": number_format(MAX_ROWS, force_grouping=True)})
    pieces = [piece for piece in re.split(r"[;\r\n]", text) if piece.strip()]
    if not pieces:
        return ImportPreview(error=str(PASTE_EMPTY))
    if len(pieces) > MAX_ROWS:
        return ImportPreview(error=PASTE_TOO_LONG % {"max": number_format(MAX_ROWS, force_grouping=True)})
    raws = []
    for number, piece in enumerate(pieces, start=1):
        cells = piece.split("\t" if "\t" in piece else ",")
        while cells and not cells[-1].strip():  # "Jan, Bos, jan@example.com," is still three values
            cells.pop()
        raw = _Raw(line=number, cells=dict(zip(REQUIRED_COLUMNS, cells, strict=False)))
        if len(cells) != len(REQUIRED_COLUMNS):
            raw.shape_error = PASTE_VALUES % {"count": len(cells)}
        raws.append(raw)
    return ImportPreview(rows=_judge(raws, team=team))


# --- Judging rows (shared) --------------------------------------------------------------------------


def _judge(raws: list[_Raw], *, team: Team) -> list[ImportRow]:
    """Every row's outcome, in file order: the rules of one invitation (names and address as
    `member_invite` checks them), no formulas, each address once, and seats while they last."""
    catalogue = _catalogue(team) if any(raw.cells.get("products", "").strip() for raw in raws) else {}
    rows = [_check_row(raw, catalogue) for raw in raws]
    members = _members_by_email(team, {row.email.lower() for row in rows if not row.errors})

    seen: dict[str, int] = {}  # address -> line of the row that has it
    taken: Counter = Counter()  # product pk -> seats the rows above take
    for row in rows:
        if row.errors:
            continue
        key = row.email.lower()
        if key in seen:
            row.errors.append(DUPLICATE_EMAIL % {"line": seen[key]})
            continue
        if key in members:
            row.outcome = Outcome.MEMBER
            seen[key] = row.line
            continue
        for product in row.products:
            if taken[product.pk] >= product.seats_free:
                row.errors.append(_seat_message(product))
        if row.errors:
            continue
        taken.update(product.pk for product in row.products)
        row.outcome = Outcome.NEW
        seen[key] = row.line
    return rows


def _check_row(raw: _Raw, catalogue: dict[str, Product]) -> ImportRow:
    """What can be said of a row on its own: its shape, formulas, names, address and products."""
    cells = {column: " ".join(raw.cells.get(column, "").split()) for column in _CHECKED_COLUMNS}
    cells["products"] = raw.cells.get("products", "").strip()  # keeps its line breaks: they separate products
    last_name = f"{cells['prefix']} {cells['last_name']}".strip() if cells["last_name"] else ""
    row = ImportRow(line=raw.line, first_name=cells["first_name"], last_name=last_name, email=cells["email"])
    if raw.shape_error:
        row.errors.append(str(raw.shape_error))
        return row
    formulas = set()
    for column in _CHECKED_COLUMNS:
        try:
            validate_not_formula(cells[column], label=COLUMN_LABELS[column])
        except ValidationError as error:
            formulas.add("last_name" if column == "prefix" else column)
            row.errors.extend(error.messages)
    try:
        row.email, row.first_name, row.last_name = person_clean(row.email, row.first_name, row.last_name)
    except ValidationError as error:
        messages = error.message_dict
        row.errors.extend(
            message for column in REQUIRED_COLUMNS if column not in formulas for message in messages.get(column, [])
        )
    if "products" not in formulas:
        row.products, unknown = _products_named(cells["products"], catalogue)
        row.errors.extend(_unknown_message(name, catalogue) for name in unknown)
    return row


def _catalogue(team: Team) -> dict[str, Product]:
    """The team's products by lower-case code and name, with their seat counts: one query."""
    products = Product.objects.filter(subscriptions__team=team).distinct().with_seat_counts(team)
    catalogue = {}
    for product in products:
        catalogue.setdefault(product.code.casefold(), product)
        catalogue.setdefault(product.name.casefold(), product)
    return catalogue


def _products_named(text: str, catalogue: dict[str, Product]) -> tuple[list[Product], list[str]]:
    """The products a cell names, by code or name in any case, separated by ; , | or line breaks;
    and the names that are not products of the team."""
    if not text:
        return [], []
    if text.casefold() in catalogue:  # a product whose name has a comma in it
        return [catalogue[text.casefold()]], []
    products, unknown = [], []
    for name in (part.strip() for part in re.split(r"[;,|\r\n]", text)):
        product = catalogue.get(name.casefold())
        if product is not None and product not in products:
            products.append(product)
        elif product is None and name:
            unknown.append(name)
    return products, unknown


def _unknown_message(name: str, catalogue: dict[str, Product]) -> str:
    names = sorted({product.name for product in catalogue.values()})
    if not names:
        return PRODUCT_UNKNOWN_NO_PRODUCTS % {"product": name}
    return PRODUCT_UNKNOWN % {"product": name, "products": ", ".join(names)}


def _seat_message(product: Product) -> str:
    if product.seats_purchased == 0:
        return NO_SUBSCRIPTION % {"product": product.name}
    if product.seats_free == 0:
        return NO_FREE_SEAT % {"seats": product.seats_purchased, "product": product.name}
    return NO_SEAT_LEFT % {"product": product.name, "free": product.seats_free}


def _members_by_email(team: Team, emails: set[str]) -> set[str]:
    """Those of these lower-case addresses that are members of `team`: only the team's own members
    are looked up, never whether an address has an account elsewhere (issue 19). One query per
    LOOKUP_CHUNK addresses, whatever the number of rows."""
    found = set()
    ordered = sorted(emails)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        found.update(
            Member.objects.filter(team=team)
            .annotate(email_lower=Lower("user__email"))
            .filter(email_lower__in=ordered[start : start + LOOKUP_CHUNK])
            .values_list("email_lower", flat=True)
            .order_by()
        )
    return found


# --- Confirming --------------------------------------------------------------------------------------


def rows_from_data(data: Iterable[dict], *, team: Team) -> list[ImportRow]:
    """Rows kept with `ImportRow.as_data` between preview and confirm, with their products loaded
    (one query). `import_confirm` checks them all again; nothing here is trusted."""
    data = list(data)
    pks = {pk for item in data for pk in item.get("products", [])}
    products = Product.objects.in_bulk(pks) if pks else {}
    return [
        ImportRow(
            line=item["line"],
            first_name=item["first_name"],
            last_name=item["last_name"],
            email=item["email"],
            products=[products[pk] for pk in item.get("products", []) if pk in products],
            outcome=item["outcome"],
        )
        for item in data
    ]


@service_transaction
def import_confirm(*, team: Team, preview_rows: Iterable[ImportRow], actor) -> ImportResult:
    """Invite every valid row of a preview into `team` (R-U6), in one transaction, through
    `member_invite_many`: the rules of `member_invite` for each row (R-U7, R-SE1) at the cost of a few
    queries for the whole file. A row whose address became a member since the preview is skipped, so
    confirming the same rows twice, or a re-upload of the same file, adds nobody twice. A row refused
    now (its seat was taken meanwhile) is skipped with the reason; the other rows are still invited."""
    if actor is not None:
        require(can_manage_members(actor, team))
    rows = [row for row in preview_rows if row.is_valid]
    # member_invite_many locks the team, then reads who is a member: a row whose address became one
    # since the preview comes back among `already_members`.
    invited = member_invite_many(team=team, rows=rows, actor=actor)
    skipped = []
    for index, (row, member, errors) in enumerate(zip(rows, invited.members, invited.errors, strict=True)):
        if index in invited.already_members:
            skipped.append(replace(row, outcome=Outcome.MEMBER, errors=[]))
        elif member is None:
            skipped.append(replace(row, outcome=Outcome.INVALID, errors=errors))
    skipped.sort(key=lambda row: row.line)
    return ImportResult(created=invited.created, skipped=skipped)
