"""CSV exports that a spreadsheet cannot turn into formulas, and safe download headers.

Every CSV the portal writes goes through :func:`csv_response`, whose cells pass through
:func:`csv_safe`: a cell that Excel, LibreOffice or Google Sheets would read as a formula
(``=``, ``+``, ``-``, ``@``, tab or carriage return first) is prefixed with a single quote, as
OWASP recommends ("CSV injection"), so ``=HYPERLINK(...)`` typed into a ticket subject stays text.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import StreamingHttpResponse

#: First characters that make a spreadsheet evaluate a cell (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # lets Excel recognise UTF-8
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()\-]+")


def csv_safe(value: Any) -> str:
    """One cell as text, neutralised when a spreadsheet would read it as a formula.

    Real numbers (``int``, ``float``, ``Decimal``) are written as they are: ``-5`` from a number
    column is a number, not a formula. Anything else becomes text and is checked, so a subject
    typed as ``-2+3`` or ``=cmd|' /C calc'!A0`` is exported as ``'-2+3`` / ``'=cmd|...``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write returns the line, for streaming through csv.writer."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The CSV text, line by line, BOM first, every cell through :func:`csv_safe`."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        yield writer.writerow([csv_safe(cell) for cell in row])


def download_disposition(filename: str, *, fallback: str = "download") -> str:
    """``Content-Disposition: attachment`` for any name, with no way to inject a header.

    An ASCII ``filename=`` for old clients (only letters, digits and ``._ ()-`` kept) and the
    exact name as RFC 5987 ``filename*=UTF-8''...``, percent-encoded, so quotes, semicolons,
    CR/LF and non-ASCII letters all arrive as data, never as syntax.
    """
    name = "".join(ch for ch in filename if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[\\/]", "_", name).strip(" .") or fallback
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = _UNSAFE_ASCII.sub("_", ascii_name)
    stem, dot, ext = ascii_name.rpartition(".")
    if not (dot and ext.isalnum() and len(ext) <= 10):
        stem, ext = ascii_name, ""
    stem = stem.strip(" ._") or fallback.rpartition(".")[0] or fallback
    ascii_name = f"{stem}.{ext}" if ext else stem
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def csv_response(
    filename: str, header: Iterable[Any], rows: Iterable[Iterable[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download (UTF-8 with BOM), every cell neutralised.

    ``rows`` may be a generator or a ``.iterator()`` queryset: nothing is held in memory.
    """
    if not filename.lower().endswith(".csv"):
        filename += ".csv"
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = download_disposition(filename, fallback="export.csv")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
