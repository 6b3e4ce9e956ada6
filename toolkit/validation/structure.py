"""Structure and schema checks with frictionless as the engine and the reference.

Every frictionless error becomes a finding with frictionless's own code, row number and field;
we add the physical line, the spreadsheet column and a message and fix in Spanish and English.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from toolkit.catalog.model import Dataset, ResourceSpec, display_path
from toolkit.report.findings import Finding, column_letter, make_finding
from toolkit.report.messages import CODES, CONSTRAINT_TEXT, TYPE_HINTS, TYPE_NAMES_EN, TYPE_NAMES_ES, fields
from toolkit.validation.rawcsv import RawTable

# frictionless's cap on a table's errors; 0 means no cap. Only frictionless's own errors count, so
# the first N are frictionless's first N; our checks stop at the same row (see ``capped_finding``).
LIMIT_ERRORS = 1000
# Our own properties in schemas; frictionless keeps unknown properties, so they need no stripping.
_NOTE_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)
_NOTE_TYPE = re.compile(r'type is "(\w+)/([^"]*)"')
_NOTE_COUNT = re.compile(r'expected is "([^"]*)" and actual is "([^"]*)"')


def by_name(labels: list[str], names: list[str]) -> bool:
    """Whether the header's columns must be paired with the schema's fields by name.

    That is when a label names a field but stands at another field's place: columns moved, or
    shifted by a column deleted or added before them. Paired by position, every column after the
    gap would be checked as its neighbour. A header equal to the schema's names, or one that differs
    only by columns renamed in place, keeps frictionless's pairing by position (its own findings).
    Duplicate labels cannot be paired by name: frictionless reports them by position.
    """
    labels = _stripped(labels)
    if labels == names or len(set(labels)) != len(labels):
        return False
    return any(label in names and (i >= len(names) or names[i] != label) for i, label in enumerate(labels))


def _stripped(labels: list[Any]) -> list[str]:
    """Header labels as frictionless compares them."""
    return ["" if label is None else str(label).strip() for label in labels]


_QUIET = threading.Lock()
_quiet_registered = False


def to_schema(descriptor: dict[str, Any]) -> Any:
    """A frictionless ``Schema`` from a descriptor, with signalling NaNs read as quiet NaNs.

    frictionless reads ``sNaN`` in a number field as ``Decimal("sNaN")``, which then raises
    ``decimal.InvalidOperation`` (a bound or an enum) or ``TypeError`` (a unique or key field) and
    ends the whole validation. Read as the quiet NaN it stands for, the cell gets the findings
    ``NaN`` gets: the constraint errors of its bounds and enum, none for uniqueness.
    """
    from frictionless import Schema

    _register_quiet_nan()
    return Schema.from_descriptor(descriptor)


def _register_quiet_nan() -> None:
    global _quiet_registered
    from frictionless import Plugin, system
    from frictionless.fields import NumberField

    with _QUIET:
        if _quiet_registered:
            return

        class QuietNaNNumberField(NumberField):
            def create_value_reader(self) -> Any:
                read = super().create_value_reader()

                def value_reader(cell: Any) -> Any:
                    value = read(cell)
                    if isinstance(value, Decimal) and value.is_snan():
                        return Decimal(str(value).replace("sNaN", "NaN"))
                    return value

                return value_reader

        class QuietNaN(Plugin):
            def select_field_class(self, type: str | None = None) -> Any:
                return QuietNaNNumberField if type == "number" else None

        # Registered for the process: frictionless may rebuild a schema from its descriptor
        # while validating, and the fields it builds must read numbers the same way.
        system.register("ciudades-quiet-nan", QuietNaN())
        _quiet_registered = True


def frictionless_schema(
    spec: ResourceSpec,
    available: set[str],
    labels: list[str] | None = None,
    headers: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The schema as frictionless takes it: foreign keys to tables it cannot read are left out, and
    the columns are paired with the fields by name (``fieldsMatch: equal``) when ``labels``, the
    table's header, needs it (:func:`by_name`). ``headers`` (resource name → header) leaves out the
    foreign keys to a column missing from its table: the missing column is the one finding."""
    schema = dict(spec.schema or {})
    if labels is not None and "fieldsMatch" not in schema and by_name(labels, spec.field_names):
        schema["fieldsMatch"] = "equal"
    keys = []
    for fk in schema.get("foreignKeys") or []:
        target = (fk.get("reference") or {}).get("resource", "")
        header = (headers or {}).get(target or spec.name)
        fields = (fk.get("reference") or {}).get("fields") or []
        fields = [fields] if isinstance(fields, str) else fields
        if header is not None and not set(fields) <= set(_stripped(header)):
            continue
        if target in ("", spec.name) or target in available:
            keys.append(fk)
    schema["foreignKeys"] = keys
    if not keys:
        schema.pop("foreignKeys")
    return schema


def dialect(delimiter: str, declared: dict[str, Any] | None = None) -> Any:
    """The declared shape of the catalog's CSVs: one header row, the delimiter we detected.

    Without it frictionless guesses the header row from a sample and, for ragged files, can take a
    data row for the header; declaring it gives findings that point at the right row. A resource's
    own ``dialect`` (as :func:`toolkit.validation.rawcsv.read_table` completed it) is given as is.
    """
    from frictionless import Dialect
    from frictionless.formats import CsvControl

    if declared is not None:
        shape = Dialect.from_descriptor(declared)
        control = next((c for c in shape.controls if c.type == "csv"), None)
        if control is None:
            shape.add_control(CsvControl(delimiter=delimiter))
        else:
            control.set_not_defined("delimiter", delimiter)
        return shape
    return Dialect(header_rows=[1], controls=[CsvControl(delimiter=delimiter)])


def check_dataset(
    ds: Dataset,
    tables: dict[str, RawTable],
    *,
    limit_errors: int = LIMIT_ERRORS,
    only: list[str] | None = None,
    dialects: dict[str, tuple[str, str]] | None = None,
    capped: dict[str, int] | None = None,
) -> list[Finding]:
    """Validate the readable tables of a dataset as one frictionless package (foreign keys included).

    ``dialects`` names further readable tables (encoding, delimiter) that foreign keys may point
    to; ``only`` limits the validation to some tables (the others still serve as lookups).
    ``capped`` receives, for each table the error cap stopped, the row frictionless stopped at.
    """
    from frictionless import Package, Resource

    shapes = {name: (t.encoding, t.delimiter) for name, t in tables.items()}
    declared = {name: t.info.get("dialect") for name, t in tables.items()}
    shapes.update(dialects or {})
    specs = [r for r in ds.resources if r.name in shapes and r.schema is not None]
    if not specs:
        return []
    available = {s.name for s in specs}
    resources = []
    labels: dict[str, list[str]] = {}
    for spec in specs:
        encoding, delimiter = shapes[spec.name]
        table = tables.get(spec.name)
        labels[spec.name] = (
            table.header if table is not None else header_labels(spec.path, encoding, delimiter)
        )
    for spec in specs:
        encoding, delimiter = shapes[spec.name]
        schema = frictionless_schema(spec, available, labels[spec.name], labels)
        # Declared size and checksum: frictionless reports byte-count and hash-count.
        size, digest = spec.descriptor.get("bytes"), spec.descriptor.get("hash")
        resources.append(
            Resource(
                bytes=size if isinstance(size, int) and size else None,
                hash=digest if isinstance(digest, str) and digest else None,
                name=spec.name,
                # By name beside its folder: a file fetched with --allow-remote is not under ds.folder.
                path=spec.path.name,
                basepath=str(spec.path.parent),
                schema=to_schema(schema),
                format="csv",
                encoding=encoding,
                dialect=dialect(delimiter, declared.get(spec.name)),
            )
        )
    package = Package(resources=resources)
    if only is None:
        reports = [package.validate(limit_errors=limit_errors)]
    else:
        reports = [
            package.validate(name=name, limit_errors=limit_errors) for name in only if name in available
        ]
    findings: list[Finding] = []
    by_resource = {s.name: s for s in specs}
    for report in reports:
        for task in report.tasks:
            spec = by_resource[task.name]
            findings.extend(header_findings(ds, spec, labels[spec.name]))
            findings.extend(to_findings(task.errors, ds, spec, tables.get(spec.name)))
            if capped is not None and any(w.startswith("reached error limit") for w in task.warnings):
                # frictionless counts after each row: the header's errors alone stop it at row 2.
                last = getattr(task.errors[-1], "row_number", None) if task.errors else None
                capped[spec.name] = last if last is not None else 2
        for error in report.errors:  # package-level problems (rare): keep them visible
            findings.append(_generic(error, {"dataset": ds.slug}))
    return findings


def capped_finding(where: dict[str, Any], row: int, line: int | None, limit: int) -> Finding:
    """The finding of a table the error cap stopped at ``row``: what comes after was not checked
    (neither by frictionless nor by our domain checks, privacy scan and profiles)."""
    return make_finding("errors-capped", **where, row=row, line=line, value=limit, table=where.get("path"))


def header_labels(path: Path, encoding: str, delimiter: str) -> list[str]:
    """The header row of a CSV file (its first record), for a table not read into memory."""
    import csv

    try:
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            return next(csv.reader(fh, delimiter=delimiter), [])
    except (OSError, LookupError, csv.Error):
        return []


def header_findings(ds: Dataset, spec: ResourceSpec, labels: list[str]) -> list[Finding]:
    """What the header says beyond frictionless's findings when the columns are paired by name:
    one finding for columns in another order than the schema's (their cells are checked by name)."""
    names = spec.field_names
    if "fieldsMatch" in (spec.schema or {}) or not by_name(labels, names):
        return []
    present = [label for label in _stripped(labels) if label in names]
    if present == [name for name in names if name in present]:
        return []
    return [
        make_finding(
            "column-order",
            dataset=ds.slug,
            resource=spec.name,
            path=display_path(spec.path),
            line=1,
            expected=", ".join(names),
        )
    ]


def _generic(error: Any, where: dict[str, Any]) -> Finding:
    """An error without a finding code of its own, under frictionless's code."""
    from dataclasses import replace

    finding = make_finding(
        "frictionless-error", **where, value=error.type, detail=error.note or error.message
    )
    return replace(finding, code=error.type)


def _field_position(
    table: RawTable | None, spec: ResourceSpec, name: str | None, number: int | None
) -> int | None:
    if table is not None and name:
        index = table.column_index(name)
        if index is not None:
            return index + 1
    return number


def to_findings(
    errors: Iterable[Any], ds: Dataset, spec: ResourceSpec, table: RawTable | None
) -> list[Finding]:
    """Translate a table's frictionless errors into bilingual findings (its path and field names
    are worked out once: they were a third of the time of a finding)."""
    where = {"dataset": ds.slug, "resource": spec.name, "path": display_path(spec.path)}
    names = spec.field_names
    return [_to_finding(error, spec, table, where, names) for error in errors]


def _to_finding(
    error: Any, spec: ResourceSpec, table: RawTable | None, where: dict[str, Any], names: list[str]
) -> Finding:
    code = error.type
    if code not in CODES or not CODES[code].frictionless:
        return _generic(error, where)
    row = getattr(error, "row_number", None)
    field_name = getattr(error, "field_name", None)
    field_number = getattr(error, "field_number", None)
    params: dict[str, Any] = {"expected": ",".join(names)}
    value: Any = None
    if code in {"duplicate-label", "blank-label", "extra-label", "missing-label", "incorrect-label"}:
        row = 1
        value = getattr(error, "label", None)
        position = field_number
        if code == "missing-label":
            if table is not None and by_name(table.header, names):
                position = None  # paired by name, a missing column has no place in the file
            params.update(_fill(spec, field_name or ""))
        if code == "extra-label":
            field_name = None
    elif code in {"primary-key", "foreign-key", "blank-row", "row-constraint"}:
        names = list(getattr(error, "field_names", []) or [])
        if code == "primary-key":
            names = list((spec.schema or {}).get("primaryKey") or [])
            if isinstance(names, str):
                names = [names]
        field_name = ";".join(names) or None
        position = _field_position(table, spec, names[0], None) if len(names) == 1 else None
        if code == "foreign-key":
            cells = list(getattr(error, "field_cells", []) or [])
            value = ";".join(str(c) for c in cells)
            target = error.reference_name or spec.name
            ref_fields = ",".join(error.reference_field_names or [])
            params["reference"] = f"{target}.csv ({ref_fields})"
        elif code == "primary-key":
            cells = getattr(error, "cells", None) or []
            if table is not None and row is not None and len(names) == 1:
                idx = table.column_index(names[0])
                if idx is not None:
                    value = table.cell(row, idx)
            elif cells:
                value = None
            params.update(_key_problem(table, spec, row, names, value))
    else:
        value = getattr(error, "cell", None)
        position = _field_position(table, spec, field_name, field_number)
    if code == "type-error":
        field = spec.field(field_name or "") or {}
        ftype = field.get("type", "string")
        m = _NOTE_TYPE.search(error.note or "")
        fmt = m.group(2) if m else field.get("format", "default")
        key = f"{ftype}/{fmt}" if f"{ftype}/{fmt}" in TYPE_HINTS else ftype
        hint_es, hint_en = TYPE_HINTS.get(
            key,
            (
                f"Escribe {TYPE_NAMES_ES.get(ftype, ftype).replace(' válido', '').replace(' válida', '')}"
                + (f" con formato {fmt}" if fmt not in ("default", "") else "")
                + ".",
                f"Write a {ftype} value"
                + (f" in the format {fmt}" if fmt not in ("default", "") else "")
                + ".",
            ),
        )
        params.update(
            type=ftype if fmt in ("default", "") else f"{ftype} ({fmt})",
            type_es=TYPE_NAMES_ES.get(key, TYPE_NAMES_ES.get(ftype, ftype)),
            type_en=TYPE_NAMES_EN.get(key, f"a valid {ftype}"),
            type_hint_es=hint_es,
            type_hint_en=hint_en,
        )
    elif code == "constraint-error":
        _constraint_params(error, spec, field_name, value, params)
    elif code == "unique-error":
        index = table.column_index(field_name or "") if table is not None else None
        first = None
        if table is not None and index is not None and row is not None:
            first = table.first_line(row, index, _reader(spec, field_name or ""))
        params.update(
            where_es=f"en la línea {first}" if first else "en otra fila",
            where_en=f"on line {first}" if first else "in another row",
        )
    elif code in ("byte-count", "hash-count"):
        m = _NOTE_COUNT.search(error.note or "")
        params.update(declared=m.group(1) if m else "?", actual=m.group(2) if m else "?")
    return make_finding(
        code,
        row=row,
        line=(table.line_of(row) if table else None) if row else None,
        field=field_name or None,
        column=column_letter(position),
        value=value,
        detail=error.note,
        **where,
        **params,
    )


def _fill(spec: ResourceSpec, name: str) -> dict[str, str]:
    """How a missing column is to be filled: a value on every row when the field is required."""
    field = spec.field(name) or {}
    keys = (spec.schema or {}).get("primaryKey") or []
    if (field.get("constraints") or {}).get("required") or name in (
        [keys] if isinstance(keys, str) else keys
    ):
        return {
            "fill_es": "es obligatoria: escribe un valor en cada fila",
            "fill_en": "it is required: write a value on every row",
        }
    return {"fill_es": "puede quedar vacía", "fill_en": "it may stay empty"}


def _key_problem(
    table: RawTable | None, spec: ResourceSpec, row: int | None, names: list[str], value: Any
) -> dict[str, str]:
    """What is wrong with a row's primary key, in words: empty, or the value of which earlier line."""
    missing = (spec.schema or {}).get("missingValues", [""])
    if len(names) == 1 and value is not None and value in missing:
        return {
            "key_es": "está vacía",
            "key_en": "is empty",
            "fix_es": "escribe el identificador de esta fila",
            "fix_en": "write this row's identifier",
        }
    first = None
    if table is not None and row is not None and len(names) == 1 and value is not None:
        index = table.column_index(names[0])
        if index is not None:
            first = table.first_line(row, index, _reader(spec, names[0]))
    if first is None:
        return {
            "key_es": "está vacía o repite la de otra fila",
            "key_en": "is empty or repeats another row's",
            "fix_es": "corrige el ID repetido",
            "fix_en": "fix the repeated ID",
        }
    shown = str(value) if len(str(value)) <= 80 else str(value)[:80] + "…"
    return {
        "key_es": f"repite «{shown}», que ya está en la línea {first}",
        "key_en": f"repeats '{shown}', already on line {first}",
        "fix_es": f"cambia el ID de esta fila o el de la línea {first}, o borra una de las dos si son la "
        "misma",
        "fix_en": f"change the ID of this row or of line {first}, or delete one of the two if they are "
        "the same",
    }


def _reader(spec: ResourceSpec, name: str) -> Any:
    """A cell's value as frictionless reads it for comparing keys (``"01"`` and ``"1"`` are the same
    integer). The field is built on the first call: the fast engine's table view never calls it."""
    field: Any = None

    def parse(text: str) -> Any:
        nonlocal field
        if field is None:
            from frictionless import Schema

            field = Schema.from_descriptor(frictionless_schema(spec, set())).get_field(name)
        return field.read_cell(text)[0]

    return parse


def _sentence_part(text: Any) -> str:
    """A field description as the end of a sentence after a colon: first letter in lower case
    (unless it starts an acronym), no final period."""
    text = " ".join(str(text or "").split()).rstrip(".")
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        text = text[0].lower() + text[1:]
    return text


def _pattern_in_words(field: dict[str, Any], name: str, value: Any) -> dict[str, str]:
    """A pattern constraint explained without its regular expression: the field's description
    says what the format is, the fix names the code meant (countries, currencies) or an example."""
    from toolkit.validation import domain

    described_es = _sentence_part(field.get("description"))
    described_en = _sentence_part(field.get("description_en") or field.get("description"))
    out = {
        "described_es": f": {described_es}" if described_es else "",
        "described_en": f": {described_en}" if described_en else "",
    }
    system = field.get("codeSystem")
    example = field.get("example")
    text = "" if value is None else str(value)
    codes = [str(c) for c in (field.get("constraints") or {}).get("enum", [])]
    if system in ("iso3166-1-alpha2", "iso3166-1-alpha3"):
        fix = domain.country_fix(text, 2 if system.endswith("2") else 3)
        out["fix_es"] = f"Usa el código ISO del país en mayúsculas{fix['suggestion_es']}."
        out["fix_en"] = f"Use the country's ISO code in capitals{fix['suggestion_en']}."
    elif system == "iso4217":
        fix = domain.currency_fix(text)
        out["fix_es"] = f"Usa el código de tres letras de la moneda{fix['suggestion_es']}."
        out["fix_en"] = f"Use the three-letter currency code{fix['suggestion_en']}."
    elif codes:  # a codelist, inlined as an enum
        listed = ", ".join(codes[:25]) + ("…" if len(codes) > 25 else "")
        out["fix_es"] = f"Usa uno de estos códigos: {listed}."
        out["fix_en"] = f"Use one of these codes: {listed}."
    elif example:
        out["fix_es"] = f"Escríbelo con ese formato, p. ej. {example}."
        out["fix_en"] = f"Write it in that format, e.g. {example}."
    elif described_es:
        out["fix_es"] = "Escríbelo con el formato que describe el esquema."
        out["fix_en"] = "Write it in the format the schema describes."
    else:
        out["fix_es"] = (
            f"El esquema no explica con palabras el formato de «{name}»: pide a quien lo mantiene "
            "que agregue una descripción o un ejemplo del campo."
        )
        out["fix_en"] = (
            f"The schema does not explain the format of '{name}' in words: ask whoever maintains it "
            "to add a description or an example to the field."
        )
    return out


def _constraint_params(
    error: Any, spec: ResourceSpec, field_name: str | None, value: Any, params: dict[str, Any]
) -> None:
    m = _NOTE_CONSTRAINT.search(error.note or "")
    name = m.group(1) if m else "?"
    limit = m.group(2) if m else ""
    field = spec.field(field_name or "") or {}
    ctx: dict[str, Any] = {"value": value, "detail": limit, "field": field_name}
    codes = [str(c) for c in (field.get("constraints") or {}).get("enum", [])]
    if name == "pattern" and codes and str(value) not in codes:
        # frictionless reports the enum too: the same finding twice is one (see one_per_mistake)
        name = "enum"
    if name == "enum":
        ctx["expected"] = ", ".join(codes[:25]) + ("…" if len(codes) > 25 else "")
    if name == "pattern":
        ctx.update(_pattern_in_words(field, field_name or "", value))
    text = name
    if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and _is_nan(value):
        text = "nan"
    es, en, hint_es, hint_en = CONSTRAINT_TEXT.get(
        text,
        (
            error.note,
            error.note,
            "Corrige el valor para que cumpla la restricción.",
            "Fix the value so that it meets the constraint.",
        ),
    )
    filled = fields(ctx)
    params.update(
        constraint=name,
        constraint_es=es.format_map(filled),
        constraint_en=en.format_map(filled),
        constraint_hint_es=hint_es.format_map(filled),
        constraint_hint_en=hint_en.format_map(filled),
    )


def _is_nan(value: Any) -> bool:
    """Whether a cell reads as a NaN (``NaN``, ``-nan``, ``sNaN12``…), which fails every bound."""
    return str(value).strip().lstrip("+-").lower().startswith(("nan", "snan"))
