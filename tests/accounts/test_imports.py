"""Import and Invite Multiple (R-U6, R-U7): the preview of a CSV file or pasted rows, against a
catalogue of files as people really have them (tests/data/imports/), and the confirm that invites.

Every file gives the preview the admin would expect, with true line numbers, and none raises."""

import random
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from mailer.models import Message

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
    NO_SEAT_LEFT,
    NOT_CSV,
    NOT_CSV_WORKBOOK,
    PASTE_EMPTY,
    PASTE_VALUES,
    PRODUCT_UNKNOWN,
    TOO_FEW_VALUES,
    TOO_MANY_ROWS,
    TOO_MANY_VALUES,
    UNCLOSED_QUOTE,
    ImportPreview,
    Outcome,
    import_confirm,
    parse_csv,
    parse_pasted,
    rows_from_data,
)
from licensing.accounts.models import Invitation, User
from licensing.accounts.services import EMAIL_INVALID, FIRST_NAME_REQUIRED, LAST_NAME_REQUIRED
from licensing.subscriptions.models import Assignment
from licensing.subscriptions.services import NO_FREE_SEAT, assignment_create
from licensing.teams.models import Member
from tests.factories import MemberFactory, ProductFactory, SubscriptionFactory, UserFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
NEW, MEMBER, INVALID = Outcome.NEW, Outcome.MEMBER, Outcome.INVALID


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def outcomes(preview: ImportPreview) -> dict[int, str]:
    assert preview.error is None, preview.error
    return {row.line: row.outcome for row in preview.rows}


def errors(preview: ImportPreview) -> dict[int, list[str]]:
    return {row.line: row.errors for row in preview.rows if row.errors}


def people(preview: ImportPreview) -> dict[int, tuple[str, str, str]]:
    return {row.line: (row.first_name, row.last_name, row.email) for row in preview.rows}


def csv_of(rows: list[str], header: str = "First name,Last name,Email") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode()


# --- Encodings, separators, line ends ------------------------------------------------------------


def test_utf8_with_bom_keeps_accented_names_and_reads_the_first_column_name(world):
    preview = parse_csv(read("utf8_bom.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW, 3: NEW}
    assert people(preview) == {
        2: ("José", "Müller", "jose.muller@example.nl"),
        3: ("Zoë", "Çelik", "zoe.celik@example.nl"),
    }


def test_windows_1252_with_semicolons_and_dutch_column_names_is_read_like_dutch_excel_wrote_it(world):
    preview = parse_csv(read("windows1252_semicolon.csv"), team=world.team)
    # Line 5 is ";;", the empty row Excel writes: skipped, not an error.
    assert outcomes(preview) == {2: NEW, 3: NEW, 4: NEW}
    assert people(preview)[2] == ("José", "Müller", "jose.muller@example.nl")
    assert people(preview)[3] == ("Zoë", "Çelik", "zoe.celik@example.nl")
    assert people(preview)[4] == ("Ingrid", "Søndergård", "ingrid@example.nl")


def test_crlf_and_blank_lines_keep_the_true_line_numbers(world):
    preview = parse_csv(read("crlf_blank_lines.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW, 4: NEW, 7: NEW}
    assert people(preview)[7] == ("Carla", "Visser", "carla@example.nl")


def test_old_mac_line_ends_are_lines_too(world):
    preview = parse_csv(read("cr_only.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW, 4: NEW}


def test_tab_separated_file_with_a_quoted_comma(world):
    preview = parse_csv(read("tab_separated.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW, 3: NEW}
    assert people(preview)[3] == ("Anna", "Berg, van den", "anna@example.nl")


def test_spaces_after_the_commas_and_a_quoted_value_after_a_space(world):
    preview = parse_csv(
        csv_of(['Anna, "Berg, van den", anna@example.nl'], header="First name, Last name, Email"), team=world.team
    )
    assert people(preview) == {2: ("Anna", "Berg, van den", "anna@example.nl")}


def test_excel_sep_line_sets_the_separator_and_counts_as_a_line(world):
    preview = parse_csv(read("sep_line.csv"), team=world.team)
    assert outcomes(preview) == {3: NEW}
    assert people(preview)[3] == ("Jan", "de Vries", "jan@example.nl")


def test_excel_unicode_text_utf16_is_read(world):
    preview = parse_csv(read("utf16_tab.csv"), team=world.team)
    assert people(preview) == {2: ("José", "Müller", "jose@example.nl")}


def test_decomposed_accents_from_a_mac_are_stored_composed(world):
    preview = parse_csv(csv_of(["Jose\u0301,Mu\u0308ller,jose@example.nl"]), team=world.team)
    assert people(preview)[2] == ("José", "Müller", "jose@example.nl")


# --- Column names --------------------------------------------------------------------------------


def test_header_names_in_any_case_and_order_and_other_columns_are_listed_as_ignored(world):
    preview = parse_csv(read("header_variants.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW}
    assert people(preview)[2] == ("Jan", "de Vries", "jan@example.nl")
    # "+31 6 1234" is in a column the import does not read: no formula error for it.
    assert preview.ignored_columns == ["Phone", "Department"]


@pytest.mark.parametrize(
    "header",
    [
        "First name,Last name,Email",
        "FIRST NAME,LAST NAME,E-MAIL",
        "first_name,last_name,email",
        "Firstname,Lastname,E-mail address",
        "Given name,Surname,Mail",
        "Voornaam,Achternaam,Emailadres",
        "Voornaam,Achternaam,E-mailadres",
        '"First Name","Last Name","Email Address"',
        "First name*,Last name*,E-mail*",
    ],
)
def test_header_spellings_people_use(world, header):
    preview = parse_csv(csv_of(["Jan,de Vries,jan@example.nl"], header=header), team=world.team)
    assert people(preview) == {2: ("Jan", "de Vries", "jan@example.nl")}


def test_a_missing_column_is_named(world):
    preview = parse_csv(read("missing_column.csv"), team=world.team)
    assert preview.error == MISSING_COLUMNS % {"columns": "Last name"}
    assert preview.rows == []


def test_a_file_without_column_names_is_told_to_add_them(world):
    preview = parse_csv(b"Jan,de Vries,jan@example.nl\r\nPiet,Bos,piet@example.nl\r\n", team=world.team)
    assert preview.error == HEADER_LOOKS_LIKE_DATA


def test_a_column_named_twice_is_refused(world):
    preview = parse_csv(
        csv_of(["Jan,de Vries,jan@example.nl,x"], header="First name,Last name,Email,E-mail"), team=world.team
    )
    assert preview.error == DUPLICATE_COLUMN % {"column": "E-mail"}


def test_dutch_tussenvoegsel_column_goes_before_the_last_name(world):
    preview = parse_csv(read("tussenvoegsel.csv"), team=world.team)
    assert people(preview) == {2: ("Jan", "de Vries", "jan@example.nl"), 3: ("Piet", "Bos", "piet@example.nl")}


# --- Rows ----------------------------------------------------------------------------------------


def test_duplicate_email_in_any_case_makes_the_later_lines_invalid(world):
    # R-U7: one account per address, whatever its case.
    preview = parse_csv(read("duplicate_emails_case.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW, 3: NEW, 4: INVALID, 5: INVALID}
    same = DUPLICATE_EMAIL % {"line": 2}
    assert errors(preview) == {4: [same], 5: [same]}


def test_members_are_skipped_and_accounts_elsewhere_are_added(world):
    # R-U7: a member (invited or active) is skipped; an address with an account elsewhere is a new user
    # of the team like any other (issue 19: the preview does not tell that it has an account).
    preview = parse_csv(read("existing_member.csv"), team=world.team)
    assert outcomes(preview) == {2: MEMBER, 3: MEMBER, 4: NEW, 5: NEW, 6: MEMBER}
    assert errors(preview) == {}
    assert preview.counts == {"new": 2, "member": 3, "invalid": 0}
    assert [row.line for row in preview.valid_rows] == [4, 5]


def test_invalid_rows_say_why_and_valid_rows_are_kept(world):
    # R-U6: every bad row with its line number and reason; the good ones are not lost.
    preview = parse_csv(read("invalid_email.csv"), team=world.team)
    assert outcomes(preview) == {2: INVALID, 3: INVALID, 4: INVALID, 5: INVALID, 6: INVALID, 7: INVALID, 8: NEW}
    assert errors(preview) == {
        2: [EMAIL_INVALID],
        3: [EMAIL_INVALID],
        4: [FIRST_NAME_REQUIRED],
        5: [LAST_NAME_REQUIRED],
        6: [EMAIL_INVALID],
        7: [EMAIL_INVALID],
    }
    # An invalid row shows what the file said.
    assert people(preview)[2] == ("Jan", "de Vries", "jan.devries.example.nl")


def test_spreadsheet_formulas_are_refused_with_the_column_and_the_character(world):
    preview = parse_csv(read("hyperlink_formula.csv"), team=world.team)
    assert outcomes(preview) == {2: INVALID, 3: INVALID, 4: INVALID, 5: INVALID, 6: INVALID, 7: NEW}
    assert errors(preview) == {
        # Only the formula is reported, not also "Enter a valid e-mail address".
        2: [FORMULA % {"column": "E-mail address", "char": "="}],
        3: [FORMULA % {"column": "First name", "char": "="}],
        4: [FORMULA % {"column": "Last name", "char": "+"}],
        5: [FORMULA % {"column": "First name", "char": "@"}],
        6: [FORMULA % {"column": "Last name", "char": "-"}],
    }


def test_too_many_and_too_few_values_on_a_line(world):
    preview = parse_csv(read("too_many_columns.csv"), team=world.team)
    assert outcomes(preview) == {2: INVALID, 3: NEW, 4: INVALID, 5: NEW}
    assert errors(preview) == {
        2: [TOO_MANY_VALUES % {"count": 4, "columns": 3}],
        4: [TOO_FEW_VALUES % {"count": 2, "columns": 3}],
    }
    assert people(preview)[5] == ("Anna", "Berg, van den", "anna@example.nl")


def test_an_unclosed_quote_is_reported_where_it_opens(world):
    preview = parse_csv(read("unclosed_quote.csv"), team=world.team)
    assert outcomes(preview) == {2: INVALID}
    assert errors(preview) == {2: [UNCLOSED_QUOTE % {"line": 2, "end": 4}]}


def test_a_quoted_line_break_in_another_column_keeps_the_line_numbers_true(world):
    data = csv_of(
        ['Jan,de Vries,jan@example.nl,"Street 1\r\nCity"', "Piet,Bos,piet@example.nl,"],
        header="First name,Last name,Email,Address",
    )
    preview = parse_csv(data, team=world.team)
    assert outcomes(preview) == {2: NEW, 4: NEW}


# --- Products and seats --------------------------------------------------------------------------


def test_products_by_name_or_code_in_any_case_while_seats_last(world):
    # R-SE1: the team has 3 free seats of DraftPro; the fourth row asking for one cannot have it.
    sketch = ProductFactory(code="sketchmaster", name="SketchMaster")
    SubscriptionFactory(team=world.outsider_team, product=sketch)  # another team's product
    preview = parse_csv(read("products_column.csv"), team=world.team)
    assert outcomes(preview) == {2: NEW, 3: NEW, 4: NEW, 5: MEMBER, 6: NEW, 7: INVALID, 8: INVALID}
    assert {row.line: row.products for row in preview.rows if row.outcome == NEW} == {
        2: [world.product],
        3: [world.product],
        4: [],
        6: [world.product],
    }
    assert errors(preview) == {
        7: [NO_SEAT_LEFT % {"product": "DraftPro", "free": 3}],
        8: [PRODUCT_UNKNOWN % {"product": "SketchMaster", "products": "DraftPro"}],
    }


def test_products_in_one_cell_on_separate_lines(world):
    data = csv_of(
        ['Jan,de Vries,jan@example.nl,"DraftPro\nSketchMaster"', "Piet,Bos,piet@example.nl,draftpro"],
        header="First name,Last name,Email,Products",
    )
    preview = parse_csv(data, team=world.team)
    assert outcomes(preview) == {2: INVALID, 4: NEW}
    assert errors(preview) == {2: [PRODUCT_UNKNOWN % {"product": "SketchMaster", "products": "DraftPro"}]}


def test_a_product_without_a_free_seat_says_all_seats_are_assigned(world):
    for member in (world.user, world.guest, world.secondary):
        assignment_create(member=member, product=world.product, actor=None)
    data = csv_of(["Jan,de Vries,jan@example.nl,DraftPro"], header="First name,Last name,Email,Products")
    preview = parse_csv(data, team=world.team)
    assert errors(preview) == {2: [NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"}]}


# --- Files that are not a CSV, or too much ---------------------------------------------------------


def test_an_excel_workbook_renamed_to_csv_is_refused(world):
    assert zipfile.is_zipfile(DATA / "renamed_xlsx.csv")  # a real workbook
    preview = parse_csv(read("renamed_xlsx.csv"), team=world.team)
    assert preview.error == NOT_CSV_WORKBOOK
    assert preview.rows == []


def test_an_old_excel_workbook_is_refused(world):
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert parse_csv(ole, team=world.team).error == NOT_CSV_WORKBOOK


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b"First name,Last name,Email\r\nJan,de\x00Vries,jan@example.nl\r\n",
        b"%PDF-1.7\n\x01\x02\x03\x04",
    ],
    ids=["png", "nul-byte", "pdf"],
)
def test_binary_files_are_not_csv(world, data):
    assert parse_csv(data, team=world.team).error == NOT_CSV


@pytest.mark.parametrize(
    ("data", "error"), [(b"", FILE_EMPTY), (b"\r\n \r\n;;\r\n", FILE_EMPTY), (b"\xef\xbb\xbf", FILE_EMPTY)]
)
def test_an_empty_file(world, data, error):
    assert parse_csv(data, team=world.team).error == error


def test_a_file_with_column_names_only(world):
    assert parse_csv(b"First name,Last name,Email\r\n\r\n", team=world.team).error == NO_ROWS


def test_more_than_the_maximum_number_of_rows_is_refused(world):
    data = csv_of([f"Person,Number {n},p{n}@example.nl" for n in range(MAX_ROWS + 1)])
    preview = parse_csv(data, team=world.team)
    assert preview.error == TOO_MANY_ROWS % {"count": "5,001", "max": "5,000"}
    assert preview.rows == []


def test_the_maximum_number_of_rows_is_accepted(world):
    data = csv_of([f"Person,Number {n},p{n}@example.nl" for n in range(MAX_ROWS)])
    preview = parse_csv(data, team=world.team)
    assert preview.counts["new"] == MAX_ROWS
    assert preview.rows[-1].line == MAX_ROWS + 1


def test_a_file_over_the_size_limit_is_refused_without_reading_it_all(world):
    class Upload:
        read_sizes = []

        def read(self, size=-1):
            self.read_sizes.append(size)
            return b"x" * (MAX_BYTES + 1)

    preview = parse_csv(Upload(), team=world.team)
    assert preview.error == FILE_TOO_BIG % {"size": 2, "max": "5,000"}
    assert Upload.read_sizes == [MAX_BYTES + 1]


def test_no_file_in_the_catalogue_or_damaged_from_it_raises(world):
    # Never a 500: whatever bytes arrive, the answer is a preview (with an error, or rows).
    rng = random.Random(20240101)
    damage = [b'"', b",", b";", b"\t", b"\r", b"\n", b"\x00", b"\xff", b"\xe9", b"=", b"@", b"PK\x03\x04"]
    for path in sorted(DATA.glob("*.csv")):
        original = path.read_bytes()
        assert isinstance(parse_csv(original, team=world.team), ImportPreview)
        for _ in range(25):
            data = bytearray(original)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(data) + 1)
                data[at : at + rng.randint(0, 3)] = rng.choice(damage)
            preview = parse_csv(bytes(data[: rng.randint(0, len(data))]), team=world.team)
            assert isinstance(preview, ImportPreview), path.name
            assert all(row.outcome in Outcome.values for row in preview.rows)


def test_the_preview_queries_do_not_grow_with_the_rows(world, django_assert_max_num_queries):
    for n in range(0, 500, 10):  # some rows are people with an account, some members
        MemberFactory(team=world.team if n % 20 else world.other_team, user__email=f"p{n}@example.nl")
    rows = [f"Person,Number {n},P{n}@Example.nl,{'DraftPro' if n < 5 else ''}" for n in range(500)]
    data = csv_of(rows, header="First name,Last name,Email,Products")
    with django_assert_max_num_queries(2):  # the members of all addresses, the team's products
        preview = parse_csv(data, team=world.team)
    assert preview.counts == {"new": 473, "member": 25, "invalid": 2}


# --- Invite Multiple: pasted text ----------------------------------------------------------------


def test_pasted_rows_separated_by_semicolons(world):
    preview = parse_pasted("Jan, de Vries, jan@x.nl; Piet, Bos, not-an-email", team=world.team)
    assert outcomes(preview) == {1: NEW, 2: INVALID}
    assert people(preview)[1] == ("Jan", "de Vries", "jan@x.nl")
    assert errors(preview) == {2: [EMAIL_INVALID]}


def test_pasted_rows_from_a_spreadsheet_are_tab_separated_lines(world):
    text = "Jan\tde Vries\tjan@example.nl\r\n\r\nAnna\tBerg, van den\tanna@example.nl\r\n"
    preview = parse_pasted(text, team=world.team)
    assert people(preview) == {
        1: ("Jan", "de Vries", "jan@example.nl"),
        2: ("Anna", "Berg, van den", "anna@example.nl"),
    }


def test_pasted_rows_share_the_rules_of_the_file(world):
    text = "Jan, de Vries, jan@example.nl;\nUna, User, USER@example.com;\nJan, Bos, JAN@example.nl;\n=1+1, Kok, k@x.nl;"
    preview = parse_pasted(text, team=world.team)
    assert outcomes(preview) == {1: NEW, 2: MEMBER, 3: INVALID, 4: INVALID}
    assert errors(preview) == {
        3: [DUPLICATE_EMAIL % {"line": 1}],
        4: [FORMULA % {"column": "First name", "char": "="}],
    }


@pytest.mark.parametrize(
    ("text", "count"), [("Jan de Vries, jan@example.nl", 2), ("Jan, de, Vries, jan@example.nl", 4)]
)
def test_a_pasted_row_needs_three_values(world, text, count):
    preview = parse_pasted(text, team=world.team)
    assert errors(preview) == {1: [PASTE_VALUES % {"count": count}]}


def test_a_trailing_comma_in_pasted_text_is_no_fourth_value(world):
    assert outcomes(parse_pasted("Jan, de Vries, jan@example.nl,", team=world.team)) == {1: NEW}


@pytest.mark.parametrize("text", ["", "  \n ; ;\n"])
def test_nothing_pasted(world, text):
    assert parse_pasted(text, team=world.team).error == PASTE_EMPTY


# --- Confirming ----------------------------------------------------------------------------------


@pytest.fixture
def mail_queue(settings):
    # pytest-django delivers mail at once (locmem); put django-mailer's queue back, so a mail reaches
    # the outbox only when the transaction that queued it commits (SPEC §4).
    settings.EMAIL_BACKEND = "mailer.backend.DbBackend"


def test_confirm_invites_every_valid_row_and_a_second_confirm_adds_nobody(
    world, mail_queue, django_capture_on_commit_callbacks, mailoutbox
):
    # R-U6, R-U7
    preview = parse_csv(read("existing_member.csv"), team=world.team)
    users_before = User.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        result = import_confirm(team=world.team, preview_rows=preview.rows, actor=world.secondary.user)
        # One transaction: both invitations are queued, and leave only once the whole import commits.
        assert Message.objects.count() == 2
        assert mailoutbox == []
    assert sorted(m.user.email for m in result.created) == ["fleur@example.nl", "outsider@example.com"]
    assert all(m.status == Member.Status.INVITED for m in result.created)
    assert result.skipped == []
    assert User.objects.count() == users_before + 1  # Otto Outsider keeps his one account
    assert Member.objects.get(team=world.team, user=world.outsider.user).invited_by == world.secondary.user
    assert sorted(m.to[0] for m in mailoutbox) == ["fleur@example.nl", "outsider@example.com"]

    again = import_confirm(team=world.team, preview_rows=preview.rows, actor=world.secondary.user)
    assert again.created == []
    assert [(row.line, row.outcome) for row in again.skipped] == [(4, MEMBER), (5, MEMBER)]
    assert User.objects.count() == users_before + 1
    # A re-upload of the same file shows them as members now.
    assert outcomes(parse_csv(read("existing_member.csv"), team=world.team)) == dict.fromkeys(range(2, 7), MEMBER)


def test_confirm_assigns_the_products_of_each_row(world):
    preview = parse_csv(read("products_column.csv"), team=world.team)
    result = import_confirm(team=world.team, preview_rows=preview.rows, actor=world.primary.user)
    assert sorted(m.user.email for m in result.created) == [
        "anna@example.nl",
        "bram@example.nl",
        "carla@example.nl",
        "daan@example.nl",
    ]
    assigned = Assignment.objects.filter(member__team=world.team, product=world.product)
    assert sorted(a.member.user.email for a in assigned) == ["anna@example.nl", "bram@example.nl", "daan@example.nl"]


def test_a_seat_taken_since_the_preview_skips_that_row_and_keeps_the_others(world):
    # R-SE1 at confirm time; R-U6: the other rows are not lost.
    data = csv_of(
        ["Anna,de Boer,anna@example.nl,DraftPro", "Bram,Jansen,bram@example.nl,", "Daan,Smit,daan@example.nl,DraftPro"],
        header="First name,Last name,Email,Products",
    )
    preview = parse_csv(data, team=world.team)
    assert preview.counts["new"] == 3
    assignment_create(member=world.user, product=world.product, actor=None)
    assignment_create(member=world.guest, product=world.product, actor=None)
    result = import_confirm(team=world.team, preview_rows=preview.rows, actor=world.primary.user)
    assert sorted(m.user.email for m in result.created) == ["anna@example.nl", "bram@example.nl"]
    assert [(row.line, row.outcome) for row in result.skipped] == [(4, INVALID)]
    assert result.skipped[0].errors == [NO_FREE_SEAT % {"seats": 3, "product": "DraftPro"}]
    assert not User.objects.with_email("daan@example.nl").exists()


def test_someone_who_became_a_member_since_the_preview_is_skipped(world):
    preview = parse_pasted("Jan, de Vries, jan@example.nl; Piet, Bos, piet@example.nl", team=world.team)
    MemberFactory(team=world.team, user=UserFactory(email="PIET@example.nl"))
    result = import_confirm(team=world.team, preview_rows=preview.rows, actor=world.primary.user)
    assert [m.user.email for m in result.created] == ["jan@example.nl"]
    assert [(row.line, row.outcome) for row in result.skipped] == [(2, MEMBER)]


def test_invalid_and_member_rows_are_never_invited(world):
    preview = parse_csv(read("invalid_email.csv"), team=world.team)
    result = import_confirm(team=world.team, preview_rows=preview.rows, actor=world.primary.user)
    assert [m.user.email for m in result.created] == ["tom.kok@example.nl"]
    assert result.skipped == []


def test_only_an_admin_confirms_an_import(world):
    preview = parse_pasted("Jan, de Vries, jan@example.nl", team=world.team)
    with pytest.raises(PermissionDenied):
        import_confirm(team=world.team, preview_rows=preview.rows, actor=world.user.user)
    assert not User.objects.with_email("jan@example.nl").exists()
    assert not Invitation.objects.exists()


def test_rows_kept_in_the_session_confirm_like_the_preview(world):
    preview = parse_csv(read("products_column.csv"), team=world.team)
    kept = [row.as_data() for row in preview.rows]
    rows = rows_from_data(kept, team=world.team)
    assert [(r.line, r.email, r.products, r.outcome) for r in rows] == [
        (r.line, r.email, r.products, r.outcome) for r in preview.rows
    ]
    result = import_confirm(team=world.team, preview_rows=rows, actor=world.primary.user)
    assert len(result.created) == 4
