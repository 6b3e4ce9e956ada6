"""Derived downloads of a data package, written the same way for the same input.

Derived downloads of a data package: typed tables, JSON records, XLSX, SQLite, Mexico City's
data-policy files, and reproducible zip archives.

Everything here writes the same bytes for the same input: no clocks, no random names, stable order.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MEDIATYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "datapackage": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sqlite": "application/vnd.sqlite3",
    "dictionary": "text/csv",
    "metadata-sheet": "text/csv",
    "checksums": "text/plain",
    "zip": "application/zip",
}
FORMULA_START = ("=", "+", "-", "@")
DEFAULT_TRUE = ("true", "True", "TRUE", "1")
DEFAULT_FALSE = ("false", "False", "FALSE", "0")


# ── typed tables ─────────────────────────────────────────────────────────────────────────────────


@dataclass
class Table:
    """One resource read from its CSV: the raw texts and the values typed from the schema."""

    name: str
    schema: dict[str, Any]
    header: list[str]
    raw: list[list[str]]
    rows: list[list[Any]]

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.schema.get("fields") or [])


def is_list_field(field: dict[str, Any]) -> bool:
    return bool(field.get("listSeparator"))


def parse_cell(text: str, field: dict[str, Any], missing: Iterable[str]) -> Any:
    """The Python value of one valid cell (``None`` when missing)."""
    if text in missing:
        return None
    kind = field.get("type", "string")
    if kind in ("integer", "year"):
        return int(text)
    if kind == "number":
        return _number(text)
    if kind == "boolean":
        if text in (field.get("trueValues") or DEFAULT_TRUE):
            return True
        if text in (field.get("falseValues") or DEFAULT_FALSE):
            return False
        raise ValueError(f"not a boolean: {text!r}")
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "datetime":
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return text


def read_table(name: str, path: Path, schema: dict[str, Any]) -> Table:
    """Read a CSV that passed validation and type its cells from the schema."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        raw = [row for row in reader if row]
    return table_from_raw(name, schema, header, raw)


def table_from_raw(name: str, schema: dict[str, Any], header: list[str], raw: list[list[str]]) -> Table:
    fields = list(schema.get("fields") or [])
    missing = list(schema.get("missingValues", [""]))
    index = {label: i for i, label in enumerate(header)}
    texts: list[list[str]] = []
    rows: list[list[Any]] = []
    for row in raw:
        positions = [index.get(f["name"]) for f in fields]
        cells = [row[i] if i is not None and i < len(row) else "" for i in positions]
        texts.append(cells)
        rows.append([parse_cell(c, f, missing) for c, f in zip(cells, fields, strict=True)])
    return Table(name, schema, [f["name"] for f in fields], texts, rows)


def _number(text: str) -> int | float | str:
    """A valid number cell as an int (whole numbers, any size) or a float; a value no float can
    hold (``Infinity``, ``NaN``, ``1e999``) stays its text: JSON has no such numbers."""
    import math
    from decimal import Decimal

    text = text.strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    value = float(Decimal(text))
    return value if math.isfinite(value) else text


def json_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def dumps(data: Any) -> bytes:
    """Stable JSON text: UTF-8, two-space indent, keys in the order given, final newline."""
    return (json.dumps(data, ensure_ascii=False, indent=2, default=json_value) + "\n").encode("utf-8")


def write_json_records(table: Table, path: Path) -> None:
    records = [{name: json_value(v) for name, v in zip(table.header, row, strict=True)} for row in table.rows]
    path.write_bytes(dumps(records))


def write_csv(path: Path, header: list[str], rows: Iterable[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


# ── data dictionary, shared by XLSX and the Mexico City files ────────────────────────────────────

TYPE_NAMES = {
    "string": ("texto", "text"),
    "integer": ("entero", "integer"),
    "number": ("número decimal", "decimal number"),
    "boolean": ("booleano (true/false)", "boolean (true/false)"),
    "date": ("fecha (AAAA-MM-DD)", "date (YYYY-MM-DD)"),
    "datetime": ("fecha y hora (ISO 8601)", "date and time (ISO 8601)"),
    "year": ("año", "year"),
}


def allowed_values(field: dict[str, Any]) -> str:
    """Codes with their labels in both languages, one per line."""
    items = field.get("categories") or field.get("itemCategories") or []
    if items:
        return "\n".join(f"{c['value']} = {c.get('label', '')} / {c.get('label_en', '')}" for c in items)
    enum = (field.get("constraints") or {}).get("enum")
    return "\n".join(str(v) for v in enum) if enum else ""


def dictionary_rows(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per field of every resource of a descriptor (schemas inlined)."""
    out = []
    for res in resources:
        for f in res["schema"]["fields"]:
            cons = f.get("constraints") or {}
            kind = f.get("type", "string")
            es, en = TYPE_NAMES.get(kind, (kind, kind))
            out.append(
                {
                    "resource": res["name"],
                    "field": f["name"],
                    "title": f.get("title", ""),
                    "title_en": f.get("title_en", ""),
                    "description": f.get("description", ""),
                    "description_en": f.get("description_en", ""),
                    "type": kind,
                    "type_es": es,
                    "type_en": en,
                    "format": f.get("format", "") if f.get("format", "default") != "default" else "",
                    "required": bool(cons.get("required")),
                    "unique": bool(cons.get("unique")),
                    "max_length": cons.get("maxLength", ""),
                    "pattern": cons.get("pattern", ""),
                    "list_separator": f.get("listSeparator", ""),
                    "allowed": allowed_values(f),
                    "example": f.get("example", ""),
                }
            )
    return out


# ── XLSX ─────────────────────────────────────────────────────────────────────────────────────────


def _safe_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters cannot be stored in XLSX at all; the canonical CSV keeps them.
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _set(cell: Any, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**53:
        value = str(value)  # Excel keeps 15 digits of a number (none past 1e308): text stays exact
    if isinstance(value, str):
        cell.value = _safe_text(value)
        # openpyxl turns any text starting with "=" into a formula: force a plain string, and mark
        # formula-like text with Excel's quote prefix so that editing the cell keeps it text.
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    elif isinstance(value, dt.datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
    else:
        cell.value = value


def _sheet(wb: Any, title: str, header: list[str], rows: Iterable[list[Any]], widths: list[int]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title=title[:31])
    bold = Font(bold=True)
    for j, name in enumerate(header, start=1):
        cell = ws.cell(row=1, column=j)
        _set(cell, name)
        cell.font = bold
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            if value is not None:
                _set(ws.cell(row=i, column=j), value)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "A2"


DICTIONARY_SHEET = "Diccionario - Dictionary"
METADATA_SHEET = "Metadatos - Metadata"
DICTIONARY_HEADER = [
    ("resource", "Tabla / Table"),
    ("field", "Campo / Field"),
    ("title", "Título (es)"),
    ("title_en", "Title (en)"),
    ("type_es", "Tipo"),
    ("type_en", "Type"),
    ("required", "Obligatorio / Required"),
    ("unique", "Único / Unique"),
    ("description", "Descripción (es)"),
    ("description_en", "Description (en)"),
    ("allowed", "Valores permitidos / Allowed values"),
    ("pattern", "Patrón / Pattern"),
    ("example", "Ejemplo / Example"),
]


def write_xlsx(
    path: Path,
    tables: list[Table],
    descriptor: dict[str, Any],
    metadata_rows: list[tuple[str, str, Any]],
    when: dt.datetime,
) -> None:
    """One workbook: a sheet per resource with typed cells, the data dictionary, the metadata."""
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    wb.remove(wb.active)
    for table in tables:
        widths = [min(max(len(h) + 2, 12), 40) for h in table.header]
        _sheet(wb, table.name, table.header, table.rows, widths)
    rows = dictionary_rows(descriptor["resources"])
    _sheet(
        wb,
        DICTIONARY_SHEET,
        [title for _, title in DICTIONARY_HEADER],
        ([r[key] for key, _ in DICTIONARY_HEADER] for r in rows),
        [14, 22, 28, 28, 18, 18, 12, 10, 50, 50, 40, 24, 20],
    )
    _sheet(
        wb,
        METADATA_SHEET,
        ["Propiedad", "Property", "Valor / Value"],
        ([es, en, value] for es, en, value in metadata_rows),
        [32, 32, 100],
    )
    naive = when.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.creator = str(descriptor.get("name", ""))
    wb.properties.title = str(descriptor.get("title", ""))
    wb.properties.created = naive
    wb.properties.modified = naive
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook stamps the current time into docProps/core.xml.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    path.write_bytes(rezip(buffer.getvalue(), when))


def rezip(data: bytes, when: dt.datetime) -> bytes:
    """The same zip with every entry stamped ``when`` and fixed permissions (entry order kept)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(_zipinfo(info.filename, when), src.read(info))
    return out.getvalue()


def _zipinfo(name: str, when: dt.datetime, *, folder: bool = False) -> zipfile.ZipInfo:
    stamp = max(when.astimezone(dt.UTC), dt.datetime(1980, 1, 1, tzinfo=dt.UTC))
    info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
    info.create_system = 3  # Unix, whatever the machine, so that permissions read the same
    if folder:
        info.external_attr = (0o40755 << 16) | 0x10
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def write_zip(path: Path, top: str, files: list[Path], when: dt.datetime) -> None:
    """A reproducible zip: entries under ``top/``, sorted by name, stamped ``when``, mode 644."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(_zipinfo(f"{top}/", when, folder=True), b"")
        for file in sorted(files, key=lambda p: p.name):
            archive.writestr(_zipinfo(f"{top}/{file.name}", when), file.read_bytes(), compresslevel=9)


# ── SQLite ───────────────────────────────────────────────────────────────────────────────────────

SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "year": "INTEGER",
    "number": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "DATETIME",
}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_literal(value: Any) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value)) if isinstance(value, bool) else str(value)


def keys_of(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def create_table_sql(table: Table) -> str:
    schema = table.schema
    parts = []
    for f in table.fields:
        kind = f.get("type", "string")
        col = f"{_q(f['name'])} {SQL_TYPES.get(kind, 'TEXT')}"
        cons = f.get("constraints") or {}
        if cons.get("required"):
            col += " NOT NULL"
        enum = cons.get("enum")
        if enum and not is_list_field(f):
            col += f" CHECK ({_q(f['name'])} IN ({', '.join(_sql_literal(v) for v in enum)}))"
        elif kind == "boolean":
            col += f" CHECK ({_q(f['name'])} IN (0, 1))"
        parts.append(col)
    pk = keys_of(schema.get("primaryKey"))
    if pk:
        parts.append(f"PRIMARY KEY ({', '.join(_q(k) for k in pk)})")
    for fk in [*(schema.get("foreignKeys") or []), *(schema.get("optionalForeignKeys") or [])]:
        ref = fk.get("reference") or {}
        target = ref.get("resource") or table.name
        parts.append(
            f"FOREIGN KEY ({', '.join(_q(k) for k in keys_of(fk.get('fields')))}) "
            f"REFERENCES {_q(target)} ({', '.join(_q(k) for k in keys_of(ref.get('fields')))})"
        )
    return f"CREATE TABLE {_q(table.name)} (\n  " + ",\n  ".join(parts) + "\n)"


def _sql_value(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return str(value)  # beyond SQLite's 64-bit integers: kept exact, as text
    return value


def write_sqlite(path: Path, tables: list[Table]) -> list[tuple[Any, ...]]:
    """Write the tables with their keys; return what ``PRAGMA foreign_key_check`` reports."""
    if path.exists():
        path.unlink()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("BEGIN")
        for table in tables:
            con.execute(create_table_sql(table))
            marks = ", ".join("?" for _ in table.header)
            con.executemany(
                f"INSERT INTO {_q(table.name)} VALUES ({marks})",
                ([_sql_value(v) for v in row] for row in table.rows),
            )
        con.execute("COMMIT")
        return list(con.execute("PRAGMA foreign_key_check"))
    finally:
        con.close()


# ── Mexico City data policy ──────────────────────────────────────────────────────────────────────

CDMX_DICTIONARY_HEADER = [
    ("tabla", "resource"),
    ("variable", "field"),
    ("nombre", "title"),
    ("nombre_en", "title_en"),
    ("descripcion", "description"),
    ("descripcion_en", "description_en"),
    ("tipo_dato", "type_es"),
    ("formato", "format"),
    ("longitud_maxima", "max_length"),
    ("obligatorio", "required"),
    ("unico", "unique"),
    ("separador_lista", "list_separator"),
    ("valores_permitidos", "allowed"),
    ("patron", "pattern"),
    ("ejemplo", "example"),
]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "sí" if value else "no"
    return str(value)


def write_cdmx_dictionary(path: Path, descriptor: dict[str, Any]) -> None:
    rows = dictionary_rows(descriptor["resources"])
    write_csv(
        path,
        [name for name, _ in CDMX_DICTIONARY_HEADER],
        ([_text(r[key]) for _, key in CDMX_DICTIONARY_HEADER] for r in rows),
    )


def write_cdmx_metadata(path: Path, rows: list[tuple[str, str, str]]) -> None:
    """The portal's metadata sheet: one row per field (campo, field in English, value)."""
    write_csv(path, ["campo", "campo_en", "valor"], ([es, en, value] for es, en, value in rows))
