"""Checks that Table Schema cannot express: codes against ISO standards, date order and range,
monetary amounts, full web addresses, list cells against codelists and other tables.

Each check is switched on by a property of the field in the schema, so any catalog can use them:
``codeSystem`` (iso3166-1-alpha2 · iso3166-1-alpha3 · iso3166-2 · iso4217), ``sameCountryAs``,
``countryField``, ``notBefore``, ``pastOnly``, ``precisionOf``, ``currencyField``, ``claimGroup``,
``listSeparator`` with ``codelist`` or ``references``. Dates and URL fields are always checked.
"""

from __future__ import annotations

import datetime as dt
import functools
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from typing import Any

from toolkit.catalog import Catalog, Dataset, ResourceSpec, display_path
from toolkit.report import Finding, column_letter, make_finding
from toolkit.validate.rawcsv import RawTable

MIN_DATE = dt.date(1900, 1, 1)
FUTURE_YEARS = 50


@functools.cache
def _countries(kind: int) -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 if kind == 2 else c.alpha_3 for c in pycountry.countries)


@functools.cache
def _alpha3_of(alpha2: str) -> str | None:
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country else None


@functools.cache
def _subdivisions() -> frozenset[str]:
    """The ISO 3166-2 codes, read from pycountry's own data file: a fifth of the time of building
    its 5,000 subdivision objects (``tests/test_validate.py`` checks both give the same set)."""
    import json
    import os

    import pycountry

    try:
        path = os.path.join(pycountry.DATABASE_DIR, "iso3166-2.json")
        with open(path, encoding="utf-8") as fh:
            return frozenset(str(entry["code"]) for entry in json.load(fh)["3166-2"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return frozenset(s.code for s in pycountry.subdivisions)


@functools.cache
def _currencies() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def country_problem(code: str, kind: int) -> bool:
    return code not in _countries(kind)


def subdivision_problem(code: str, country: str | None) -> str | None:
    if code not in _subdivisions():
        return "unknown"
    if country and not code.startswith(country + "-"):
        return "other-country"
    return None


def url_problem(value: str) -> tuple[str, str] | None:
    try:
        parts = urllib.parse.urlsplit(value)
    except ValueError:
        return ("no se puede interpretar", "cannot be parsed")
    if parts.scheme not in ("http", "https"):
        return ("debe empezar con http:// o https://", "must start with http:// or https://")
    host = parts.hostname or ""
    if "." not in host and host != "localhost":
        return ("falta el dominio", "the domain is missing")
    if any(c.isspace() for c in value):
        return ("contiene espacios", "contains spaces")
    return None


def _parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


class _Cells:
    """Iterate a raw table's cells by field name, skipping missing values."""

    def __init__(self, table: RawTable, spec: ResourceSpec) -> None:
        self.table = table
        self.missing = set((spec.schema or {}).get("missingValues", [""]))

    def column(self, name: str) -> Iterator[tuple[int, str]]:
        index = self.table.column_index(name)
        if index is None:
            return
        for i, row in enumerate(self.table.rows):
            if index < len(row) and row[index] not in self.missing:
                yield i, row[index]

    def get(self, i: int, name: str) -> str | None:
        index = self.table.column_index(name)
        if index is None or index >= len(self.table.rows[i]):
            return None
        value = self.table.rows[i][index]
        return None if value in self.missing else value


def check_resource(
    ds: Dataset,
    spec: ResourceSpec,
    table: RawTable,
    tables: dict[str, RawTable],
    catalog: Catalog,
    today: dt.date | None = None,
) -> list[Finding]:
    today = today or dt.date.today()
    findings: list[Finding] = []
    cells = _Cells(table, spec)
    shown = display_path(spec.path)
    schema = spec.schema or {}
    fields = schema.get("fields", [])

    def add(code: str, i: int, name: str, **kw: Any) -> None:
        index = table.column_index(name)
        findings.append(
            make_finding(
                code,
                dataset=ds.slug,
                resource=spec.name,
                path=shown,
                row=table.number(i),
                line=table.lines[i],
                field=name,
                column=column_letter(index + 1 if index is not None else None),
                **kw,
            )
        )

    if fields and "source_url" not in [f.get("name") for f in fields]:
        findings.append(
            make_finding(
                "source-field-missing", dataset=ds.slug, resource=spec.name, path=shown, line=1, row=1
            )
        )
    max_date = dt.date(today.year + FUTURE_YEARS, 12, 31)
    for f in fields:
        name, ftype = f.get("name"), f.get("type", "string")
        system = f.get("codeSystem")
        if ftype == "date" and (f.get("format") in (None, "default")):
            for i, text in cells.column(name):
                day = _parse_date(text)
                if day is None:
                    continue  # frictionless reports the type error
                if day < MIN_DATE or day > max_date:
                    add(
                        "date-out-of-range",
                        i,
                        name,
                        value=text,
                        max_year=max_date.year,
                        detail="anterior a 1900" if day < MIN_DATE else "demasiado lejana en el futuro",
                        detail_en="before 1900" if day < MIN_DATE else "too far in the future",
                    )
                elif f.get("pastOnly") and day > today:
                    add("date-in-future", i, name, value=text)
                other = f.get("notBefore")
                if other:
                    start = _parse_date(cells.get(i, other) or "")
                    if start and day < start:
                        add(
                            "date-order",
                            i,
                            name,
                            value=text,
                            other_field=other,
                            other_value=start.isoformat(),
                        )
        if f.get("format") == "uri":
            for i, text in cells.column(name):
                problem = url_problem(text)
                if problem:
                    add("url-invalid", i, name, value=text, detail=problem[0], detail_en=problem[1])
        if system == "iso3166-1-alpha2" or system == "iso3166-1-alpha3":
            kind = 2 if system.endswith("2") else 3
            example = "MX, DE, US" if kind == 2 else "MEX, DEU, USA"
            same = f.get("sameCountryAs")
            for i, text in cells.column(name):
                if country_problem(text, kind):
                    add(
                        "country-code",
                        i,
                        name,
                        value=text,
                        detail=f"alfa-{kind}",
                        detail_en=f"alpha-{kind}",
                        example=example,
                    )
                elif same:
                    alpha2 = cells.get(i, same)
                    expected = _alpha3_of(alpha2) if alpha2 else None
                    if expected and expected != text:
                        add(
                            "country-mismatch",
                            i,
                            name,
                            value=text,
                            other_field=same,
                            other_value=alpha2,
                            expected=expected,
                        )
        elif system == "iso3166-2":
            country_field = f.get("countryField")
            for i, text in cells.column(name):
                country = cells.get(i, country_field) if country_field else None
                wrong = subdivision_problem(text, country)
                if wrong:
                    add(
                        "subdivision-code",
                        i,
                        name,
                        value=text,
                        detail="" if wrong == "unknown" else f"del país {country}",
                        detail_en="" if wrong == "unknown" else f"of country {country}",
                    )
        elif system == "iso4217":
            for i, text in cells.column(name):
                if text not in _currencies():
                    add("currency-code", i, name, value=text)
        currency_field = f.get("currencyField")
        if currency_field:
            has_minimum = "minimum" in (f.get("constraints") or {})
            for i, text in cells.column(name):
                if cells.get(i, currency_field) is None:
                    add("currency-missing", i, currency_field, value=text)
                if not has_minimum and text.strip().startswith("-"):
                    add("negative-amount", i, name, value=text)
        target = f.get("precisionOf")
        if target:
            for i, _text in cells.column(target):
                if cells.get(i, name) is None:
                    add("date-precision-missing", i, name, other_field=target)
        separator = f.get("listSeparator")
        if separator:
            _check_list(ds, spec, tables, catalog, f, cells, add)
        if f.get("claimGroup"):
            groups = Counter(text for _i, text in cells.column(name))
            for i, text in cells.column(name):
                if groups[text] == 1:
                    add("claim-group-single", i, name, value=text)
    return findings


def _check_list(
    ds: Dataset,
    spec: ResourceSpec,
    tables: dict[str, RawTable],
    catalog: Catalog,
    f: dict[str, Any],
    cells: _Cells,
    add: Any,
) -> None:
    name, separator = f["name"], f["listSeparator"]
    allowed: set[str] | None = None
    detail = ""
    reference = ""
    if f.get("codelist") and f["codelist"] in catalog.codelists:
        allowed = {str(c) for c in catalog.codelists[f["codelist"]].codes}
        detail = f["codelist"]
    ref = f.get("references")
    ref_values: set[str] | None = None
    if isinstance(ref, dict):
        target_name = ref.get("resource") or spec.name
        target = tables.get(target_name)
        target_spec = ds.resource(target_name)
        if target is not None and target_spec is not None:
            idx = target.column_index(ref.get("field", ""))
            if idx is not None:
                ref_values = {r[idx] for r in target.rows if idx < len(r)}
                reference = f"{target_name}.csv ({ref.get('field')})"
    for i, text in cells.column(name):
        for item in text.split(separator):
            if allowed is not None and item not in allowed:
                add(
                    "codelist-value",
                    i,
                    name,
                    value=item,
                    detail=detail,
                    separator=separator,
                    expected=", ".join(sorted(allowed)),
                )
            if ref_values is not None and item not in ref_values:
                add("list-reference", i, name, value=item, reference=reference, separator=separator)
