"""Data-policy profiles: rules a publisher adopts on top of the schemas.

``catalog`` is the catalog's own policy, on by default inside a catalog (a folder with
``catalog.yaml``) and for tables checked against its schemas: every table has ``source_url``,
CSVs are comma-delimited, descriptors carry the bilingual metadata a catalog page needs.
``cdmx`` is Mexico City's open-data policy (Agencia Digital de Innovación Pública): lowercase
unaccented snake_case column names, a unique id first, UTF-8, ISO 8601 dates, numbers without
thousands separators or currency symbols, countries in ISO 3166-1 alpha-3.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from toolkit.catalog.model import Dataset, ResourceSpec, display_path
from toolkit.report.findings import Finding, column_letter, make_finding
from toolkit.validation.rawcsv import RawTable

_SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
_DATE_LIKE = re.compile(r"^(\d{1,2})[/.-](\d{1,2}|[A-Za-zÁÉÍÓÚáéíóú]+)[/.-](\d{2,4})$")
_FORMATTED_NUMBER = re.compile(r"^[-+]?[$€£¥]?\s*\d{1,3}([,' ]\d{3})+(\.\d+)?\s*([A-Z]{3})?$|^[$€£¥]|[$€£¥]$")


def suggest_name(label: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9]+", "_", plain).strip("_").lower()
    return plain or "columna"


def cdmx(ds: Dataset, spec: ResourceSpec, table: RawTable) -> list[Finding]:
    findings: list[Finding] = []
    shown = display_path(spec.path)
    where: dict[str, Any] = {"dataset": ds.slug, "resource": spec.name, "path": shown}

    def add(code: str, **kw: Any) -> None:
        findings.append(make_finding(code, **where, **kw))

    for i, label in enumerate(table.header):
        if label and not _SNAKE.match(label):
            add(
                "cdmx-column-name",
                row=1,
                line=1,
                column=column_letter(i + 1),
                value=label,
                expected=suggest_name(label),
            )
    if table.header:
        first = table.header[0]
        schema = spec.schema or {}
        pk = schema.get("primaryKey") or []
        pk = [pk] if isinstance(pk, str) else pk
        field = spec.field(first) or {}
        unique = spec.schema is None or pk == [first] or (field.get("constraints") or {}).get("unique")
        if not (first.endswith("id") and unique):
            add("cdmx-id-first", row=1, line=1, column="A", field=first, value=first)
    names = set(table.header)
    if "country" in names and not any(n.endswith("alpha3") for n in names):
        add("cdmx-country-alpha3", row=1, line=1, field="country")
    missing = set((spec.schema or {}).get("missingValues", [""]))
    for f in (spec.schema or {}).get("fields", []):
        index = table.column_index(f.get("name", ""))
        if index is None:
            continue
        ftype = f.get("type", "string")
        for i, row in enumerate(table.rows):
            if index >= len(row) or row[index] in missing:
                continue
            value = row[index].strip()
            loc = {
                "row": table.number(i),
                "line": table.lines[i],
                "field": f["name"],
                "column": column_letter(index + 1),
                "value": row[index],
            }
            if ftype in ("number", "integer") and _FORMATTED_NUMBER.search(value):
                add("cdmx-number-format", **loc)
            elif ftype == "string" and _DATE_LIKE.match(value):
                add("cdmx-iso-date", **loc)
    return findings


def catalog(ds: Dataset, spec: ResourceSpec, table: RawTable) -> list[Finding]:
    """The catalog's own policy. Its table rules are checked where the table is read, by either
    engine (the comma delimiter while reading, a ``source_url`` field with the domain checks); this
    profile decides whether they are reported (:func:`policy_filter`). Its metadata rules are
    checked while the descriptors are loaded."""
    return []


# Findings that are the catalog's policy rather than errors in any standard: reported only where the
# catalog profile applies. A CSV checked against someone else's schema, or a Data Package outside a
# catalog, gets what frictionless checks and the domain checks of the fields it has.
CATALOG_CODES = frozenset({"wrong-delimiter", "source-field-missing"})


def policy_filter(findings: list[Finding], names: list[str]) -> list[Finding]:
    """``findings`` without the catalog's policy findings when the catalog profile is off."""
    if "catalog" in names:
        return findings
    return [f for f in findings if f.code not in CATALOG_CODES]


PROFILES: dict[str, Callable[[Dataset, ResourceSpec, RawTable], list[Finding]]] = {
    "catalog": catalog,
    "cdmx": cdmx,
}
