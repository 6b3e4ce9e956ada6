"""Fuzz targets: one per loader, shared by the hypothesis tests and the long fuzz runs.

Each target takes bytes, feeds them to a loader the way a contributor's file would reach it, and
returns normally when the loader ended in a :class:`~toolkit.report.findings.Report` (or its own result)
or in a :class:`~toolkit.errors.ToolkitError` with a message in both languages. Any other exception
propagates: that is a crash.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from toolkit.errors import ToolkitError
from toolkit.report.findings import Report

ROOT = Path(__file__).resolve().parent.parent
MINI_SCHEMA = """\
name: mini
missingValues: [""]
primaryKey: [item_id]
fields:
  - {name: item_id, type: string, constraints: {required: true, pattern: "[a-z0-9-]+"}}
  - {name: name, type: string, constraints: {required: true, maxLength: 50}}
  - {name: amount, type: number, constraints: {minimum: 0}}
  - {name: day, type: date}
  - {name: flag, type: boolean}
  - {name: count, type: integer}
  - {name: link, type: string, format: uri}
"""
CATALOG = """\
title: {es: Catálogo, en: Catalog}
description: {es: Prueba, en: Test}
publisher: {name: Pruebas, url: "https://example.org/"}
contact: {name: Pruebas, email: datos@example.org}
base_url: https://example.org/
license: CC-BY-4.0
languages: [es, en]
schemas: ../schemas
"""
DESCRIPTOR = """\
name: ds
title: Conjunto
title_en: Dataset
description: Prueba
description_en: Test
version: 1.0.0
created: "2026-01-01"
modified: "2026-01-01"
keywords: [a]
keywords_en: [a]
licenses: [{name: CC-BY-4.0, path: "https://creativecommons.org/licenses/by/4.0/"}]
contributors: [{title: Pruebas, roles: [creator]}]
sources: [{title: Fuente, path: "https://example.org/"}]
resources:
  - {name: items, path: items.csv, schema: mini}
"""
ROWS = b"item_id,name,amount,day,flag,count,link\na-1,Uno,1.5,2024-01-02,true,3,https://example.org/\n"


class Workspace:
    """A private folder holding a small valid catalog that targets overwrite one file at a time."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ciudades-fuzz-"))
        self.schemas = self.root / "schemas"
        self.catalog = self.root / "catalog"
        self.dataset = self.catalog / "ds"
        self.dataset.mkdir(parents=True)
        self.schemas.mkdir()
        self.reset()

    def reset(self) -> None:
        for stale in self.dataset.iterdir():
            stale.unlink()
        (self.schemas / "mini.schema.yaml").write_text(MINI_SCHEMA, encoding="utf-8")
        (self.catalog / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
        (self.dataset / "datapackage.yaml").write_text(DESCRIPTOR, encoding="utf-8")
        (self.dataset / "items.csv").write_bytes(ROWS)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


_workspace: Workspace | None = None


def workspace() -> Workspace:
    global _workspace
    if _workspace is None:
        _workspace = Workspace()
    return _workspace


def _checked(outcome: Callable[[], object]) -> object:
    """Run ``outcome``; a ToolkitError must carry a message in both languages."""
    try:
        return outcome()
    except ToolkitError as ex:
        assert ex.message_es.strip() and ex.message_en.strip(), "a ToolkitError without a message"
        return ex


def csv_raw(data: bytes) -> None:
    """The raw CSV reader every engine starts with: bytes, encoding, delimiter, quotes."""
    from toolkit.validation.rawcsv import read_table

    ws = workspace()
    path = ws.root / "raw.csv"
    path.write_bytes(data)
    table, findings = read_table(path, "raw.csv", {}, ["item_id", "name"])
    assert table is not None or findings, "an unreadable CSV without a finding"


def csv_validate(data: bytes) -> None:
    """A CSV through ``toolkit.validate(path, schema=...)``, the whole pipeline."""
    from toolkit.validation.validator import validate

    ws = workspace()
    path = ws.root / "items.csv"
    path.write_bytes(data)
    result = _checked(lambda: validate(path, schema=ws.schemas / "mini.schema.yaml"))
    assert isinstance(result, Report | ToolkitError)


def csv_fast(data: bytes) -> None:
    """A CSV through the vectorised engine (``engine="fast"``): it must give a report, falling
    back to frictionless on its own where it cannot read the file exactly."""
    from toolkit.validation.validator import validate

    ws = workspace()
    path = ws.root / "items.csv"
    path.write_bytes(data)
    result = _checked(lambda: validate(path, schema=ws.schemas / "mini.schema.yaml", engine="fast"))
    assert isinstance(result, Report | ToolkitError)


NUMBERS_SCHEMA = {
    "name": "numbers",
    "missingValues": ["", "NA"],
    "fields": [
        {"name": "low", "type": "number", "constraints": {"minimum": 0}},
        {"name": "high", "type": "number", "constraints": {"minimum": -1, "maximum": 100}},
        {"name": "listed", "type": "number", "constraints": {"enum": [0, 1.5, 1e3]}},
        {"name": "plain", "type": "number"},
        {"name": "comma", "type": "number", "decimalChar": ",", "groupChar": "."},
        {"name": "money", "type": "number", "bareNumber": False},
        {"name": "float", "type": "number", "floatNumber": True, "constraints": {"minimum": 0}},
        {"name": "count", "type": "integer", "constraints": {"minimum": 0}},
    ],
}
# Special numbers: each one is a value or a finding as frictionless defines it; "sNaN" is read as
# the quiet NaN it stands for (frictionless itself crashes on it).
SPECIAL_NUMBERS = [
    "NaN",
    "-NaN",
    "nan",
    "sNaN",
    "-sNaN",
    "sNaN12",
    "snan",
    "Infinity",
    "-Infinity",
    "+inf",
    "-0",
    "-0.0",
    "0e-999",
    "1e999",
    "-1e999",
    "1e-999",
    "1E+3",
    "9" * 400,
    "-" + "1" * 200 + "." + "2" * 200,
    "１２３",
    "١٢٫٥",
    "1_000",
    " 7 ",
    "0x10",
    "$ 1.5",
    "1.5 EUR",
    "1.234,5",
    "NA",
    "",
]


def csv_numbers(data: bytes) -> None:
    """Number cells (the input, one cell per line, or special numbers picked by its bytes) in
    every kind of number field, through both engines: the same findings, never a crash."""
    import json

    from toolkit.validation.validator import validate

    ws = workspace()
    text = data.decode("utf-8", errors="replace")
    # Control characters make the file binary, which sends it whole to the frictionless engine.
    text = "".join(c for c in text if c == "\n" or c.isprintable())
    cells = text.split("\n")[:40]
    cells += [SPECIAL_NUMBERS[b % len(SPECIAL_NUMBERS)] for b in data[:8]]
    width = len(NUMBERS_SCHEMA["fields"])
    rows = [",".join(_quoted(cells[(i + k) % len(cells)]) for k in range(width)) for i in range(len(cells))]
    header = ",".join(f["name"] for f in NUMBERS_SCHEMA["fields"])
    path = ws.root / "numbers.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    schema = ws.root / "numbers.schema.json"
    schema.write_text(json.dumps(NUMBERS_SCHEMA), encoding="utf-8")
    log: list[str] = []
    reports = [
        validate(path, schema=schema, engine="frictionless"),
        validate(path, schema=schema, engine="fast", log=log.append),
    ]
    assert any("fast engine" in line for line in log), log
    slow, fast = ([f.to_dict("en") for f in r.findings] for r in reports)
    assert not any(f.code == "schema-error" for f in reports[0].findings), "the schema was not read"
    assert slow == fast, "the engines differ on special numbers"


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"' if any(c in cell for c in ',"\r\n') else cell


def zip_archive(data: bytes) -> None:
    """A zip (a package, or a file given to ``diff``) through the one reader with limits."""
    from toolkit.packaging.safezip import read_zip

    result = _checked(lambda: read_zip(data, "fuzz.zip"))
    assert isinstance(result, dict | ToolkitError)


DESCRIPTOR_FILES = ("catalog.yaml", "datapackage.yaml", "datapackage.json", "mini.schema.yaml")


def descriptor(data: bytes) -> None:
    """Descriptors and schemas (YAML and JSON) through ``load_catalog`` on a temporary catalog.

    The first byte chooses which file the rest replaces.
    """
    from toolkit.catalog.model import load_catalog

    if not data:
        return
    ws = workspace()
    ws.reset()
    which = DESCRIPTOR_FILES[data[0] % len(DESCRIPTOR_FILES)]
    body = data[1:]
    if which == "catalog.yaml":
        (ws.catalog / "catalog.yaml").write_bytes(body)
    elif which == "mini.schema.yaml":
        (ws.schemas / "mini.schema.yaml").write_bytes(body)
    else:
        (ws.dataset / "datapackage.yaml").unlink()
        (ws.dataset / which).write_bytes(body)
    result = _checked(lambda: load_catalog(ws.catalog))
    assert isinstance(result, tuple | ToolkitError)


def descriptor_validate(data: bytes) -> None:
    """Like :func:`descriptor`, and then the whole validation of the catalog."""
    from toolkit.catalog.model import load_catalog
    from toolkit.validation.validator import validate_catalog

    if not data:
        return
    descriptor(data)
    ws = workspace()
    loaded = _checked(lambda: load_catalog(ws.catalog))
    if isinstance(loaded, tuple):
        result = _checked(lambda: validate_catalog(*loaded))
        assert isinstance(result, Report | ToolkitError)


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    b'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    b'<sheets><sheet name="mini" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def _zip_seed() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pkg/datapackage.json", '{"name": "pkg", "resources": []}')
        zf.writestr("pkg/items.csv", ROWS * 20)
    return out.getvalue()


ZIP_SEED = _zip_seed()
SHEET_SEED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>item_id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t>'
    b'</is></c><c r="C1" t="inlineStr"><is><t>amount</t></is></c></row>'
    b'<row r="2"><c r="A2" t="inlineStr"><is><t>a-1</t></is></c><c r="B2"><f>HYPERLINK("x")</f></c>'
    b'<c r="C2"><v>1.5</v></c></row></sheetData></worksheet>'
)


def workbook(sheet_xml: bytes) -> bytes:
    """A minimal .xlsx whose only sheet is ``sheet_xml``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def xlsx(data: bytes) -> None:
    """A workbook through the spreadsheet import: whole files (``PK…``) or a fuzzed sheet's XML."""
    from toolkit.review.importer import import_table

    ws = workspace()
    source = ws.root / "in.xlsx"
    source.write_bytes(data if data.startswith(b"PK") else workbook(data))
    result = _checked(
        lambda: import_table(source, ws.root / "out.csv", schema=ws.schemas / "mini.schema.yaml", force=True)
    )
    assert result is not None


TARGETS: dict[str, Callable[[bytes], None]] = {
    "csv_raw": csv_raw,
    "csv_validate": csv_validate,
    "csv_fast": csv_fast,
    "csv_numbers": csv_numbers,
    "descriptor": descriptor,
    "descriptor_validate": descriptor_validate,
    "xlsx": xlsx,
    "zip": zip_archive,
}
SEEDS: dict[str, list[bytes]] = {
    "csv_raw": [
        ROWS,
        ROWS.replace(b",", b";"),
        b'a,"b\n""c"\n',
        "á,é\n".encode("cp1252"),
        b"\xef\xbb\xbfa\n",
    ],
    "csv_validate": [ROWS, ROWS + b"a-1,Dos,-1,2024-02-30,maybe,1.5,javascript:x\n"],
    "csv_fast": [ROWS, ROWS + b'a-2,"=1+1 maria@example.org",5,MXN,2024-01-01,,MX,https://x.org\n'],
    "csv_numbers": [
        "\n".join(SPECIAL_NUMBERS).encode(),
        *(n.encode() for n in SPECIAL_NUMBERS if n),
        bytes(range(len(SPECIAL_NUMBERS))),
    ],
    "descriptor": [
        bytes([i]) + text.encode() for i, text in enumerate((CATALOG, DESCRIPTOR, "{}", MINI_SCHEMA))
    ],
    "descriptor_validate": [bytes([1]) + DESCRIPTOR.encode(), bytes([3]) + MINI_SCHEMA.encode()],
    "xlsx": [SHEET_SEED],
    "zip": [ZIP_SEED],
}
