"""Read a CSV the way a person sees it: bytes, encoding, delimiter, physical lines.

These checks run before frictionless and catch what makes a file unreadable or non-canonical
(the catalog's CSVs are UTF-8, comma-delimited). They also map each row to its physical line,
which differs from frictionless's row number when cells hold line breaks.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
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
    rows: list[list[str]]  # data rows; rows[i] is frictionless row number number(i)
    lines: list[int]  # lines[i] is the physical line of rows[i]
    encoding: str = "utf-8"
    delimiter: str = ","
    info: dict[str, Any] = field(default_factory=dict)
    # With a declared dialect (header rows, comment rows…) numbers[i] is frictionless's row number
    # of rows[i]; without one it is i + 2 and this stays None.
    numbers: list[int] | None = None
    header_line: int = 1

    def number(self, index: int) -> int:
        """frictionless's row number of ``rows[index]``."""
        return self.numbers[index] if self.numbers is not None else index + 2

    def _index(self, row_number: int) -> int:
        if self.numbers is None:
            return row_number - 2
        if "index" not in self.info:
            self.info["index"] = {n: i for i, n in enumerate(self.numbers)}
        return int(self.info["index"].get(row_number, -1))

    def line_of(self, row_number: int | None) -> int | None:
        if row_number is None:
            return None
        if row_number == 1 and self.numbers is None:
            return 1
        index = self._index(row_number)
        if index < 0 and self.numbers is not None:
            return self.header_line
        return self.lines[index] if 0 <= index < len(self.lines) else None

    def cell(self, row_number: int, index: int) -> str | None:
        """The raw text of a cell by frictionless row number and column index, if the row has it."""
        data_row = self._index(row_number)
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
                            firsts.setdefault(value, self.number(i))
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


_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


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
    controls = len(head.translate(None, _NOT_CONTROL))
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


# csv.Sniffer's four searches for quoted text, in its order (a delimiter before and after, after
# only, before only, none); and the least share of lines its delimiter test accepts (1.0, 0.99…
# down to 0.9, in its floating-point steps).
_QUOTED = [
    re.compile(p, re.DOTALL | re.MULTILINE)
    for p in (
        r"(?P<delim>[^\w\n\"\'])(?P<space> ?)(?P<quote>[\"\']).*?(?P=quote)(?P=delim)",
        r"(?:^|\n)(?P<quote>[\"\']).*?(?P=quote)(?P<delim>[^\w\n\"\'])(?P<space> ?)",
        r"(?P<delim>[^\w\n\"\'])(?P<space> ?)(?P<quote>[\"\']).*?(?P=quote)(?:$|\n)",
        r"(?:^|\n)(?P<quote>[\"\']).*?(?P=quote)(?:$|\n)",
    )
]
_CONSISTENT = 1.0
while _CONSISTENT - 0.01 >= 0.9:
    _CONSISTENT -= 0.01


def sniff(sample: str, delimiter: str) -> tuple[str, str, bool] | None:
    """``csv.Sniffer().sniff(sample, delimiter)``'s delimiter, quote character and
    ``skipinitialspace`` for a one-character ``delimiter`` (None where it raises ``csv.Error``),
    without its search for doubled quotes, which decides nothing here, and counting this one
    character per line rather than all 127 ASCII ones."""
    matches: list[Any] = []
    for regexp in _QUOTED if '"' in sample or "'" in sample else []:
        if matches := regexp.findall(sample):
            break
    quotechar = '"'
    if matches:
        at = regexp.groupindex
        quotes = [m[at["quote"] - 1] for m in matches]
        quotechar = max(dict.fromkeys(quotes), key=quotes.count)
        if "delim" in at and (count := sum(m[at["delim"] - 1] == delimiter for m in matches)):
            return delimiter, quotechar, count == sum(m[at["space"] - 1] == " " for m in matches)
    counted = _counted(sample, delimiter)
    return None if counted is None else (delimiter, quotechar, counted)


def _counted(sample: str, delimiter: str) -> bool | None:
    """csv.Sniffer's ``skipinitialspace`` from counting the delimiter line by line (its
    ``_guess_delimiter`` for one character); None when that count finds no delimiter."""
    lines = [line for line in sample.split("\n") if line]
    chunk, counts = min(10, len(lines)), dict[int, int]()
    for start in range(0, len(lines) if ord(delimiter) < 127 else 0, chunk or 1):
        for line in lines[start : start + chunk]:
            counts[line.count(delimiter)] = counts.get(line.count(delimiter), 0) + 1
        freq, most = max(counts.items(), key=lambda item: item[1])
        most -= sum(counts.values()) - most
        if freq > 0 and most > 0 and most / min(start + chunk, len(lines)) >= _CONSISTENT:
            return lines[0].count(delimiter) == lines[0].count(delimiter + " ")
    return None


# A quoted text csv.Sniffer finds holds the space it counts before its opening quote (`, "`) or
# after the character after its closing quote (`", `).
_QUOTE_THEN_SPACE = re.compile(r"[\"'][^\w\n\"'] ")


def skips_initial_space(sample: str, delimiter: str) -> bool:
    """Whether ``csv.Sniffer().sniff(sample, delimiter)`` skips spaces after delimiters (False
    where it raises). Its search for quoted text, most of :func:`sniff`'s time, can only say yes
    where a quote is next to a space, and decides nothing when the delimiter count says no."""
    spaced = ' "' in sample or " '" in sample or _QUOTE_THEN_SPACE.search(sample)
    if not spaced and not _counted(sample, delimiter):
        return False
    found = sniff(sample, delimiter)
    return found is not None and found[2]


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


def precheck(path: Path) -> tuple[str, list[tuple[str, dict[str, Any]]]] | None:
    """The delimiter and the pre-check findings (code, parameters) :func:`read_table` would give,
    from the first bytes only, for a table not read into memory; ``None`` when the file needs
    ``read_table`` itself (empty, binary, not UTF-8)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if not head.strip(b" \t\r\n") or _looks_binary(head):
        return None
    found: list[tuple[str, dict[str, Any]]] = [("utf8-bom", {"line": 1})] if head.startswith(_BOM) else []
    try:
        first_line = head.removeprefix(_BOM).split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        return None
    delimiter = _sniff_delimiter(first_line)
    if delimiter != ",":
        found.append(("wrong-delimiter", {"line": 1, "value": {"\t": "tab"}.get(delimiter, delimiter)}))
    return delimiter, found


def read_table(
    path: Path,
    shown: str,
    where: dict[str, Any],
    expected_header: list[str],
    *,
    schema: str | None = None,
    dialect: dict[str, Any] | None = None,
) -> tuple[RawTable | None, list[Finding]]:
    """Pre-check a CSV and read its cells; ``None`` when frictionless should not even try it.
    ``schema`` (the schema file as shown) completes the ``ciudades import`` command in the fixes.

    ``dialect`` is the resource's declared CSV dialect (Table Dialect / frictionless ``Dialect``
    descriptor): the delimiter, quoting, header rows and comment rows it declares are read as
    declared, and ``table.info["dialect"]`` holds the dialect frictionless must be given."""
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
    declared = declared_csv(dialect)
    delimiter = declared.get("delimiter") or _sniff_delimiter(first_line)
    if delimiter != ",":
        add("wrong-delimiter", line=1, value={"\t": "tab"}.get(delimiter, delimiter))
    if dialect is not None:
        table = _parse_declared(text, delimiter, encoding, dialect, declared, expected_header)
        if table is None:  # never silent: the file could not be read as its dialect declares
            detail = "no se puede leer con el dialecto declarado"
            add(
                "source-error", line=1, detail=detail, detail_en="it cannot be read with the declared dialect"
            )
    else:
        table = _parse(text, delimiter, encoding)
    if table is None:
        return None, findings
    if dialect is None:
        elsewhere = header_elsewhere(table.header, table.rows, table.lines, expected_header)
        if elsewhere is not None:
            # One finding instead of a label error per column and a type error per cell.
            add("header-not-first-row", line=elsewhere, value=elsewhere, expected=",".join(expected_header))
            return None, findings
    if not table.rows:
        add("no-data-rows", line=table.header_line)
    table.info["longest_line"] = longest
    return table, findings


# How far down a header that is not on line 1 is looked for (comment lines, a title, blank lines).
HEADER_SEARCH_ROWS = 20


def header_elsewhere(
    header: list[str], rows: list[list[str]], lines: list[int], expected: list[str]
) -> int | None:
    """The line of the first row that holds exactly the expected column names (in any order), when
    line 1 does not: the header sits lower down (comment lines, a title above it) and no dialect
    says so."""
    wanted = sorted(expected)
    if not expected or sorted(h.strip() for h in header) == wanted:
        return None
    for record, line in zip(rows[:HEADER_SEARCH_ROWS], lines, strict=False):
        if sorted(c.strip() for c in record) == wanted:
            return line
    return None


def header_below(path: Path, delimiter: str, header: list[str], expected: list[str]) -> bool:
    """Whether :func:`header_elsewhere` finds the header of a file not read into memory below line 1,
    from its first records (``header``: its first record, as the caller read it)."""
    if sorted(h.strip() for h in header) == sorted(expected):
        return False  # the usual case, without reading the file again
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        records = list(itertools.islice(csv.reader(fh, delimiter=delimiter), HEADER_SEARCH_ROWS + 1))
    first, *rows = records or [[]]
    return header_elsewhere(first, rows, list(range(2, len(records) + 1)), expected) is not None


def declared_csv(dialect: dict[str, Any] | None) -> dict[str, Any]:
    """The CSV properties a dialect declares (Table Dialect v1 puts them at the top level,
    frictionless v5 under ``csv``)."""
    if not isinstance(dialect, dict):
        return {}
    nested = dialect.get("csv")
    return {**dialect, **(nested if isinstance(nested, dict) else {})}


def _parse_declared(
    text: str,
    delimiter: str,
    encoding: str,
    dialect: dict[str, Any],
    declared: dict[str, Any],
    expected_header: list[str],
) -> RawTable | None:
    """Read the CSV as its declared dialect says, the way frictionless does: rows numbered from 1
    as records, comment rows and rows up to the header left out, labels joined over header rows."""
    from frictionless import Dialect

    quote = declared.get("quoteChar", '"')
    escape = declared.get("escapeChar") or None
    options: dict[str, Any] = {
        "delimiter": delimiter,
        "quotechar": quote or None,
        "quoting": csv.QUOTE_NONE if quote == "" else csv.QUOTE_MINIMAL,
        "doublequote": bool(declared.get("doubleQuote", True)) if escape else True,
        "escapechar": escape,
        "skipinitialspace": bool(declared.get("skipInitialSpace", False)),
    }
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, len(text) + 1))
    records: list[list[str]] = []
    starts: list[int] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), **options)
        previous_end = 0
        for record in reader:
            starts.append(previous_end + 1)
            previous_end = reader.line_num
            records.append(record)
    except (csv.Error, TypeError):
        return None
    finally:
        csv.field_size_limit(old_limit)
    effective = dict(dialect)
    shape = Dialect.from_descriptor(effective)
    if shape.header and "headerRows" not in dialect:
        # frictionless takes the first row that is not a comment as the header; say so explicitly,
        # so that both readers agree whatever frictionless's sample would suggest.
        keep = shape.create_comment_filter()
        first = next((n for n, cells in enumerate(records, start=1) if keep is None or keep(n, cells)), 1)
        effective["headerRows"] = [first]
        shape = Dialect.from_descriptor(effective)
    if shape.header and shape.header_rows:
        header = shape.read_labels(records)
        header_line = starts[shape.header_rows[0] - 1] if shape.header_rows[0] <= len(starts) else 1
    else:
        header, header_line = list(expected_header), 1
    rows: list[list[str]] = []
    lines: list[int] = []
    numbers: list[int] = []
    for number, cells in shape.read_enumerated_content_stream(records):
        rows.append(cells)
        lines.append(starts[number - 1])
        numbers.append(number)
    table = RawTable(header, rows, lines, encoding, delimiter, numbers=numbers, header_line=header_line)
    table.info["dialect"] = effective
    return table


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
