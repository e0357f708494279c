"""portal.csv_export: the shared CSV download (activity log, seat-usage report)."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.http import StreamingHttpResponse

from portal.csv_export import CHUNK_CHARS, csv_response, safe_cell


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _parse(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://evil")', "+31 6 1234", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"],
)
def test_safe_cell_neutralises_text_that_a_spreadsheet_would_evaluate(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Jan de Vries", "a=b", "mail@example.com", "", " =leading space"])
def test_safe_cell_leaves_ordinary_text_alone(text):
    assert safe_cell(text) == text


def test_safe_cell_writes_numbers_dates_and_none_as_they_are():
    assert safe_cell(None) == ""
    assert safe_cell(-3) == "-3"
    assert safe_cell(Decimal("-1.50")) == "-1.50"
    assert safe_cell(True) == "true"
    assert safe_cell(datetime.date(2026, 8, 30)) == "2026-08-30"
    when = datetime.datetime(2026, 8, 30, 14, 5, 9, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert safe_cell(when) == "2026-08-30T14:05:09+02:00"


def test_safe_cell_turns_other_objects_into_their_text():
    class Named:
        def __str__(self):
            return "=evil()"

    assert safe_cell(Named()) == "'=evil()"


def test_text_of_every_kind_is_neutralised_in_the_file_as_in_safe_cell():
    # _cell tells plain str, int and float by their exact type first (the export's speed); a str
    # subclass (a translated or "safe" string), a bool and a Decimal take the long way.
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    row = ["=1+1", mark_safe("+31 6"), gettext_lazy("-x"), "plain", 7, 2.5, True, Decimal("-1.50"), None]
    body = _body(csv_response("x.csv", ["h"], [row])).decode("utf-8-sig")
    assert body.splitlines()[1] == '"\'=1+1","\'+31 6","\'-x","plain",7,2.5,"true","-1.50",""'


def test_csv_response_is_a_streamed_utf8_download_with_bom_and_file_name():
    response = csv_response("activity-design-2026-08-30-to-2026-11-28.csv", ["who", "what"], [["Zoë", "→"]])

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="activity-design-2026-08-30-to-2026-11-28.csv"'
    body = _body(response)
    assert body.startswith(b"\xef\xbb\xbf")
    assert body.decode("utf-8-sig") == '"who","what"\r\n"Zoë","→"\r\n'


def test_every_text_is_quoted_so_a_semicolon_never_starts_a_new_cell():
    # Excel with a Dutch or German list separator splits unquoted text at ";": "Jan;=cmd|..."
    # would become a cell that begins with "=". Quoted, it stays one cell; numbers stay bare.
    response = csv_response("x.csv", ["name", "days"], [["Jan;=cmd|' /C calc'!A0", 13], ["Smit;-1+1", 2.5]])

    body = _body(response).decode("utf-8-sig")
    assert body == '"name","days"\r\n"Jan;=cmd|\' /C calc\'!A0",13\r\n"Smit;-1+1",2.5\r\n'
    as_read_with_semicolons = list(csv.reader(io.StringIO(body), delimiter=";"))
    cells = [cell for row in as_read_with_semicolons for cell in row]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@"))]


def test_csv_response_neutralises_every_cell_and_quotes_commas_and_newlines():
    response = csv_response("x.csv", ["a", "b", "c"], [["=1+1", "Vries, Jan", "two\nlines"], [None, -1, "@x"]])

    assert _parse(response) == [["a", "b", "c"], ["'=1+1", "Vries, Jan", "two\nlines"], ["", "-1", "'@x"]]


def test_csv_response_reads_the_rows_lazily_and_sends_them_in_chunks():
    consumed = []

    def rows():
        for i in range(5000):
            consumed.append(i)
            yield [i, "x" * 40]

    response = csv_response("big.csv", ["n", "text"], rows())
    assert consumed == []  # nothing read before the response is sent

    chunks = list(response.streaming_content)
    assert len(chunks) > 1
    assert all(len(chunk) <= CHUNK_CHARS * 2 for chunk in chunks)
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    assert len(parsed) == 5001
    assert parsed[-1] == ["4999", "x" * 40]


def test_csv_response_with_no_rows_still_has_its_header():
    assert _parse(csv_response("empty.csv", ["when", "who"], iter(()))) == [["when", "who"]]


def test_csv_response_file_name_with_other_characters_is_encoded():
    response = csv_response("activity-Équipe 1.csv", ["a"], [])
    assert "filename*=utf-8''activity-%C3%89quipe%201.csv" in response["Content-Disposition"]
