"""Structure and schema checks with frictionless as the engine and the reference.

Every frictionless error becomes a finding with frictionless's own code, row number and field;
we add the physical line, the spreadsheet column and a message and fix in Spanish and English.
"""

from __future__ import annotations

import re
from typing import Any

from toolkit.catalog import Dataset, ResourceSpec, display_path
from toolkit.messages import CODES, CONSTRAINT_TEXT, TYPE_HINTS, TYPE_NAMES_EN, TYPE_NAMES_ES, render
from toolkit.report import Finding, column_letter, make_finding
from toolkit.validate.rawcsv import RawTable

LIMIT_ERRORS = 1000
# Our own properties in schemas; frictionless keeps unknown properties, so they need no stripping.
_NOTE_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)
_NOTE_TYPE = re.compile(r'type is "(\w+)/([^"]*)"')
_NOTE_COUNT = re.compile(r'expected is "([^"]*)" and actual is "([^"]*)"')


def frictionless_schema(spec: ResourceSpec, available: set[str]) -> dict[str, Any]:
    """The schema as frictionless takes it: foreign keys to tables it cannot read are left out."""
    schema = dict(spec.schema or {})
    keys = []
    for fk in schema.get("foreignKeys") or []:
        target = (fk.get("reference") or {}).get("resource", "")
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
    own ``dialect`` (as :func:`toolkit.validate.rawcsv.read_table` completed it) is given as is.
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
) -> list[Finding]:
    """Validate the readable tables of a dataset as one frictionless package (foreign keys included).

    ``dialects`` names further readable tables (encoding, delimiter) that foreign keys may point
    to; ``only`` limits the validation to some tables (the others still serve as lookups).
    """
    from frictionless import Package, Resource, Schema

    shapes = {name: (t.encoding, t.delimiter) for name, t in tables.items()}
    declared = {name: t.info.get("dialect") for name, t in tables.items()}
    shapes.update(dialects or {})
    specs = [r for r in ds.resources if r.name in shapes and r.schema is not None]
    if not specs:
        return []
    available = {s.name for s in specs}
    resources = []
    for spec in specs:
        encoding, delimiter = shapes[spec.name]
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
                schema=Schema.from_descriptor(frictionless_schema(spec, available)),
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
    by_name = {s.name: s for s in specs}
    for report in reports:
        for task in report.tasks:
            spec = by_name[task.name]
            for error in task.errors:
                findings.append(to_finding(error, ds, spec, tables.get(spec.name)))
        for error in report.errors:  # package-level problems (rare): keep them visible
            findings.append(_generic(error, ds, None, None))
    return findings


def _generic(error: Any, ds: Dataset, spec: ResourceSpec | None, table: RawTable | None) -> Finding:
    finding = make_finding(
        "frictionless-error",
        dataset=ds.slug,
        resource=spec.name if spec else None,
        path=display_path(spec.path) if spec else None,
        value=error.type,
        detail=error.note or error.message,
    )
    return _recode(finding, error.type)


def _recode(finding: Finding, code: str) -> Finding:
    from dataclasses import replace

    return replace(finding, code=code)


def _field_position(
    table: RawTable | None, spec: ResourceSpec, name: str | None, number: int | None
) -> int | None:
    if table is not None and name:
        index = table.column_index(name)
        if index is not None:
            return index + 1
    return number


def to_finding(error: Any, ds: Dataset, spec: ResourceSpec, table: RawTable | None) -> Finding:
    """Translate one frictionless error into a bilingual finding."""
    code = error.type
    if code not in CODES or not CODES[code].frictionless:
        return _generic(error, ds, spec, table)
    where: dict[str, Any] = {
        "dataset": ds.slug,
        "resource": spec.name,
        "path": display_path(spec.path),
    }
    row = getattr(error, "row_number", None)
    field_name = getattr(error, "field_name", None)
    field_number = getattr(error, "field_number", None)
    expected = ",".join(spec.field_names)
    params: dict[str, Any] = {"expected": expected}
    value: Any = None
    if code in {"duplicate-label", "blank-label", "extra-label", "missing-label", "incorrect-label"}:
        row = 1
        value = getattr(error, "label", None)
        position = field_number
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


def _constraint_params(
    error: Any, spec: ResourceSpec, field_name: str | None, value: Any, params: dict[str, Any]
) -> None:
    m = _NOTE_CONSTRAINT.search(error.note or "")
    name = m.group(1) if m else "?"
    limit = m.group(2) if m else ""
    field = spec.field(field_name or "") or {}
    ctx: dict[str, Any] = {"value": value, "detail": limit, "field": field_name}
    if name == "enum":
        codes = [str(c) for c in (field.get("constraints") or {}).get("enum", [])]
        ctx["expected"] = ", ".join(codes[:25]) + ("…" if len(codes) > 25 else "")
    if name == "pattern":
        example = field.get("example")
        ctx["example_es"] = f", p. ej. {example}" if example else ""
        ctx["example_en"] = f", e.g. {example}" if example else ""
    es, en, hint_es, hint_en = CONSTRAINT_TEXT.get(
        name,
        (
            error.note,
            error.note,
            "Corrige el valor para que cumpla la restricción.",
            "Fix the value so that it meets the constraint.",
        ),
    )
    params.update(
        constraint=name,
        constraint_es=render(es, ctx),
        constraint_en=render(en, ctx),
        constraint_hint_es=render(hint_es, ctx),
        constraint_hint_en=render(hint_en, ctx),
    )
