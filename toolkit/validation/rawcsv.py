"""Read a CSV the way a person sees it: bytes, encoding, delimiter, physical lines.

These checks run before frictionless and catch what makes a file unreadable or non-canonical
(the catalog's CSVs are UTF-8, comma-delimited). They also map each row to its physical line,
which differs from frictionless's row number when cells hold line breaks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.catalog.model import display_path, schema_candidates
from toolkit.report.findings import Finding, make_finding

MAX_LINE_BYTES = 1024 * 1024
_CANDIDATE_DELIMITERS = (";", "\t", "|")
_BOM = b"\xef\xbb\xbf"


@dataclass
class RawTable:
    """The table's cells as text, with the physical line where each row starts."""

    header: list[str]
    rows: list[list[str]]  # data rows; rows[i] is frictionless row number i + 2
    lines: list[int]  # lines[i] is the physical line of rows[i]
    encoding: str = "utf-8"
    delimiter: str = ","
    info: dict[str, Any] = field(default_factory=dict)

    def line_of(self, row_number: int | None) -> int | None:
        if row_number is None:
            return None
        if row_number == 1:
            return 1
        index = row_number - 2
        return self.lines[index] if 0 <= index < len(self.lines) else None

    def cell(self, row_number: int, index: int) -> str | None:
        """The raw text of a cell by frictionless row number and column index, if the row has it."""
        data_row = row_number - 2
        if 0 <= data_row < len(self.rows) and index < len(self.rows[data_row]):
            return self.rows[data_row][index]
        return None

    def column_index(self, name: str) -> int | None:
        try:
            return self.header.index(name)
        except ValueError:
            return None

    def first_line(self, row_number: int, index: int, parse: Callable[[str], Any]) -> int | None:
        """The line of the first row whose cell in column ``index`` reads (``parse``) as the value in
        row ``row_number``, when that is an earlier row: where a repeated key first appears."""
        # the index of first rows, and the reader it was built with (reused: building one costs)
        firsts, parse = self.info.setdefault(f"first-rows-{index}", (None, parse))
        if firsts is None:
            firsts = {}
            for i, row in enumerate(self.rows):
                if index < len(row):
                    try:
                        value = parse(row[index])
                        if value is not None:  # missing or not of the field's type: not a key
                            firsts.setdefault(value, i + 2)
                    except TypeError:  # a value that cannot be a dictionary key
                        continue
            self.info[f"first-rows-{index}"] = (firsts, parse)
        cell = self.cell(row_number, index)
        try:
            value = parse(cell) if cell is not None else None
            first = firsts.get(value) if value is not None else None
        except TypeError:
            return None
        return self.line_of(first) if first is not None and first < row_number else None


def _guess_encoding(data: bytes) -> str:
    """The likeliest legacy encoding. Spanish text that is not UTF-8 is nearly always Windows-1252
    (Excel's "ANSI" on Windows), a superset of Latin-1's letters; other guesses come from
    charset-normalizer."""
    try:
        data.decode("cp1252")
        return "windows-1252"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    return (best.encoding if best else "latin-1").lower().replace("_", "-")


def _looks_binary(data: bytes) -> str | None:
    head = data[:8192]
    if head.startswith(b"PK\x03\x04"):  # before the NUL check: a workbook has NUL bytes too
        return "a zip archive, such as an .xlsx workbook"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "an old .xls workbook"
    if b"\x00" in head:
        return "contains NUL bytes"
    if head.startswith(b"%PDF"):
        return "a PDF document"
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    if head and controls / len(head) > 0.1:
        return "many control characters"
    return None


def _sniff_delimiter(first_line: str) -> str:
    """The delimiter of a header line: a comma unless another one clearly splits it instead."""
    counts = {d: first_line.count(d) for d in (",", *_CANDIDATE_DELIMITERS)}
    if counts[","]:
        return ","
    other = max(_CANDIDATE_DELIMITERS, key=lambda d: counts[d])
    return other if counts[other] else ","


def import_fix(path: Path, schema: str | None) -> dict[str, str]:
    """The ``command`` parameters of the findings ``ciudades import`` fixes (encoding, BOM,
    delimiter, a workbook): its exact command line for ``path`` and its ``schema`` (the schema
    file as shown), or a pattern to fill in when import cannot take that schema."""
    command = import_command(path, schema)
    if command is None:
        return {
            "command": "ciudades import ARCHIVO --into ARCHIVO.csv --schema ESQUEMA.yaml --force",
            "command_en": "ciudades import FILE --into FILE.csv --schema SCHEMA.yaml --force",
        }
    return {"command": command, "command_en": command}


def read_table(
    path: Path,
    shown: str,
    where: dict[str, Any],
    expected_header: list[str],
    *,
    schema: str | None = None,
) -> tuple[RawTable | None, list[Finding]]:
    """Pre-check a CSV and read its cells; ``None`` when frictionless should not even try it.
    ``schema`` (the schema file as shown) completes the ``ciudades import`` command in the fixes."""
    findings: list[Finding] = []

    def add(code: str, **kw: Any) -> None:
        if code in ("binary-file", "utf8-bom", "encoding-not-utf8", "wrong-delimiter"):
            kw.update(import_fix(path, schema))
        findings.append(make_finding(code, path=shown, **where, **kw))

    data = path.read_bytes()
    if not data.strip(b" \t\r\n"):
        add("empty-file", line=1, expected=",".join(expected_header))
        return None, findings
    binary = _looks_binary(data)
    if binary:
        es = {
            "contains NUL bytes": "contiene bytes nulos",
            "a zip archive, such as an .xlsx workbook": "es un archivo zip, como un libro .xlsx",
            "an old .xls workbook": "es un libro .xls antiguo",
            "a PDF document": "es un documento PDF",
            "many control characters": "tiene muchos caracteres de control",
        }[binary]
        add("binary-file", line=1, detail=es, detail_en=binary)
        return None, findings
    encoding = "utf-8"
    body = data
    if data.startswith(_BOM):
        add("utf8-bom", line=1)
        body = data[len(_BOM) :]
        encoding = "utf-8-sig"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as ex:
        encoding = _guess_encoding(body)
        line = body[: ex.start].count(b"\n") + 1
        label = {"windows-1252": "Windows-1252 (ANSI de Excel)", "latin-1": "Latin-1 (ISO-8859-1)"}
        label_en = {"windows-1252": "Windows-1252 (Excel's ANSI)", "latin-1": "Latin-1 (ISO-8859-1)"}
        add(
            "encoding-not-utf8",
            line=line,
            encoding=encoding.upper(),
            detail=label.get(encoding, encoding),
            detail_en=label_en.get(encoding, encoding),
        )
        try:
            text = body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            text = body.decode("utf-8", errors="replace")
    longest, where_long = 0, 0
    for number, raw_line in enumerate(body.split(b"\n"), start=1):
        if len(raw_line) > longest:
            longest, where_long = len(raw_line), number
    if longest > MAX_LINE_BYTES:
        add("line-too-long", line=where_long, value=longest, detail=MAX_LINE_BYTES)
    first_line = text.split("\n", 1)[0]
    delimiter = _sniff_delimiter(first_line)
    if delimiter != ",":
        add("wrong-delimiter", line=1, value={"\t": "tab"}.get(delimiter, delimiter))
    table = _parse(text, delimiter, encoding)
    if table is None:
        return None, findings
    if not table.rows:
        add("no-data-rows", line=1)
    table.info["longest_line"] = longest
    return table, findings


def _parse(text: str, delimiter: str, encoding: str) -> RawTable | None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, len(text) + 1))
    try:
        header: list[str] | None = None
        rows: list[list[str]] = []
        lines: list[int] = []
        previous_end = 0
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            if header is None:
                header = record
                continue
            rows.append(record)
            lines.append(start)
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(old_limit)
    return RawTable(header or [], rows, lines, encoding, delimiter)


def import_command(path: Path, schema: str | None) -> str | None:
    """The ``ciudades import`` command line that rewrites ``path`` (a CSV in another encoding or
    delimiter, with a BOM, or a workbook) as the canonical CSV its schema describes, ready to copy:
    the real paths, ``--schema`` only when import would not find the same schema by the table's
    name, ``--force`` when the target exists. ``None`` when import cannot take the schema (an
    inline one, or a URL)."""
    import shlex

    if not schema or "://" in schema:
        return None
    into = path if path.suffix.lower() == ".csv" else path.with_suffix(".csv")
    words_ = ["ciudades", "import", display_path(path), "--into", display_path(into)]
    found = next((c for c in schema_candidates(into.stem, into) if c.is_file()), None)
    try:
        same = found is not None and found.resolve() == Path(schema).resolve()
    except OSError:
        same = False
    if not same:
        words_ += ["--schema", schema]
    if into.exists():
        words_.append("--force")
    return shlex.join(words_)
