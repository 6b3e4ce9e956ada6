"""Checks that Table Schema cannot express, switched on by properties of the schema's fields.

Checks that Table Schema cannot express: codes against ISO standards, date order and range,
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
from collections.abc import Callable, Iterator
from typing import Any

from toolkit.catalog.iso import (
    alpha3_of,
    countries,
    country_problem,
    currencies,
    records,
    subdivision_problem,
    subdivisions,
)
from toolkit.catalog.model import Catalog, Dataset, ResourceSpec, display_path
from toolkit.report.findings import Finding, column_letter, make_finding
from toolkit.validation.rawcsv import RawTable

MIN_DATE = dt.date(1900, 1, 1)
FUTURE_YEARS = 50


def _plain(text: str) -> str:
    """``text`` as names are compared: no accents, no case, single spaces, no dots."""
    import unicodedata

    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(bare.casefold().replace(".", "").split())


# Names clerks write that ISO does not list (Spanish usage, abbreviations).
_COUNTRY_ALIASES = {
    "eeuu": "US",
    "ee uu": "US",
    "eua": "US",
    "usa": "US",
    "estados unidos de america": "US",
    "uk": "GB",
    "inglaterra": "GB",
    "gran bretana": "GB",
    "corea del sur": "KR",
    "corea del norte": "KP",
    "holanda": "NL",
    "rusia": "RU",
    "bolivia": "BO",
    "venezuela": "VE",
    "iran": "IR",
    "siria": "SY",
    "vietnam": "VN",
    "tanzania": "TZ",
    "taiwan": "TW",
    "laos": "LA",
    "moldavia": "MD",
    "el vaticano": "VA",
    "vaticano": "VA",
}


@functools.cache
def _country_names() -> dict[str, str]:
    """Plain country names in English and Spanish (and codes in any case) → ISO alpha-2."""
    spanish = _spanish("iso3166-1")
    names: dict[str, str] = {}
    ambiguous: set[str] = set()
    for c in records("3166-1")[0]:
        english = [getattr(c, k, None) for k in ("name", "official_name", "common_name")]
        for name in [n for n in english if n] + [spanish(n) for n in english if n]:
            for variant in (name, name.split(",")[0]):
                key = _plain(variant)
                if names.setdefault(key, c.alpha_2) != c.alpha_2:
                    ambiguous.add(key)
        names[c.alpha_2.casefold()] = c.alpha_2
        names[c.alpha_3.casefold()] = c.alpha_2
    for key in ambiguous:
        names.pop(key, None)
    names.update(_COUNTRY_ALIASES)
    return names


@functools.cache
def country_name(alpha2: str, lang: str) -> str:
    country = next((c for c in reversed(records("3166-1")[0]) if c.alpha_2.lower() == alpha2.lower()), None)
    if country is None:
        return alpha2
    name = getattr(country, "common_name", None) or country.name
    return _spanish("iso3166-1")(name) if lang == "es" else name


def _spanish(domain: str) -> Callable[[str], str]:
    """pycountry's Spanish names for ``domain`` (iso3166-1, iso4217); the English ones without them."""
    import gettext

    try:
        return gettext.translation(domain, records(domain.removeprefix("iso"))[1], languages=["es"]).gettext
    except OSError:
        return str


def country_fix(text: str, kind: int) -> dict[str, str]:
    """The end of the fix for a country that is not an ISO code: the code a name (Spanish or
    English, with or without accents), the other kind of code or lower case stands for."""
    alpha2 = _country_names().get(_plain(text))
    code = (alpha2 if kind == 2 else alpha3_of(alpha2)) if alpha2 else None
    if code and code != text:
        assert alpha2 is not None
        return {
            "suggestion_es": f": «{code}» para {country_name(alpha2, 'es')}",
            "suggestion_en": f": '{code}' for {country_name(alpha2, 'en')}",
        }
    example = "MX, DE, US" if kind == 2 else "MEX, DEU, USA"
    return {"suggestion_es": f" (p. ej. {example})", "suggestion_en": f" (e.g. {example})"}


# Symbols and words for currencies, as written in Latin American and Spanish tables.
_CURRENCY_ALIASES = {
    "us$": "USD",
    "u$s": "USD",
    "u$d": "USD",
    "usd$": "USD",
    "$us": "USD",
    "dolar": "USD",
    "dolares": "USD",
    "dolares estadounidenses": "USD",
    "dolares americanos": "USD",
    "€": "EUR",
    "eur€": "EUR",
    "euros": "EUR",
    "r$": "BRL",
    "reales": "BRL",
    "mx$": "MXN",
    "mxn$": "MXN",
    "$mxn": "MXN",
    "pesos mexicanos": "MXN",
    "s/": "PEN",
    "soles": "PEN",
    "col$": "COP",
    "cop$": "COP",
    "pesos colombianos": "COP",
    "clp$": "CLP",
    "pesos chilenos": "CLP",
    "ar$": "ARS",
    "pesos argentinos": "ARS",
    "$u": "UYU",
    "uyu$": "UYU",
    "pesos uruguayos": "UYU",
    "£": "GBP",
    "libras": "GBP",
    "libras esterlinas": "GBP",
    "a$": "AUD",
    "au$": "AUD",
    "ca$": "CAD",
    "yenes": "JPY",
    "yuanes": "CNY",
}


@functools.cache
def _currency_names() -> dict[str, str]:
    """Plain currency names in English and Spanish, symbols, and codes in any case → ISO 4217."""
    spanish = _spanish("iso4217")
    names: dict[str, str] = {}
    for c in records("4217")[0]:
        for name in (c.name, spanish(c.name)):
            names.setdefault(_plain(name), c.alpha_3)
        names[c.alpha_3.casefold()] = c.alpha_3
    names.update(_CURRENCY_ALIASES)
    return names


def currency_fix(text: str) -> dict[str, str]:
    """The end of the fix for a currency that is not an ISO 4217 code: the code a symbol
    (``US$``), a name or lower case stands for."""
    code = _currency_names().get(_plain(text))
    if code and code != text:
        return {
            "suggestion_es": f": «{code}» en lugar de «{text}»",
            "suggestion_en": f": '{code}' instead of '{text}'",
        }
    return {"suggestion_es": ": MXN, USD, EUR…", "suggestion_en": ": MXN, USD, EUR…"}


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


Found = list[tuple[str, dict[str, Any]]]  # (code, parameters) of the findings of one cell


def date_findings(f: dict[str, Any], text: str, day: dt.date, start: dt.date | None, today: dt.date) -> Found:
    """The findings of the date ``text`` (read as ``day``) of field ``f``; ``start``: the date in
    the same row of its ``notBefore`` field. Both engines call it on each cell they cannot clear."""
    found: Found = []
    max_date = dt.date(today.year + FUTURE_YEARS, 12, 31)
    if day < MIN_DATE or day > max_date:
        early = day < MIN_DATE
        detail = (
            ("anterior a 1900", "before 1900")
            if early
            else ("demasiado lejana en el futuro", "too far in the future")
        )
        params = {"value": text, "max_year": max_date.year, "detail": detail[0], "detail_en": detail[1]}
        found.append(("date-out-of-range", params))
    elif f.get("pastOnly") and day > today:
        found.append(("date-in-future", {"value": text}))
    if start and day < start:
        found.append(
            ("date-order", {"value": text, "other_field": f["notBefore"], "other_value": start.isoformat()})
        )
    return found


# Each code system: its codes, and the property naming the field whose cell in the same row it reads.
CODE_SYSTEMS: dict[str, tuple[Callable[[], frozenset[str]], str | None]] = {
    "iso3166-1-alpha2": (lambda: countries(2), "sameCountryAs"),
    "iso3166-1-alpha3": (lambda: countries(3), "sameCountryAs"),
    "iso3166-2": (subdivisions, "countryField"),
    "iso4217": (currencies, None),
}


def code_findings(f: dict[str, Any], text: str, related: str | None) -> Found:
    """The findings of ``text`` in a field ``f`` with one of the :data:`CODE_SYSTEMS`; ``related``:
    the cell in the same row of the field it names (a country), None where missing."""
    system = f["codeSystem"]
    if system == "iso4217":
        return [] if text in currencies() else [("currency-code", {"value": text, **currency_fix(text)})]
    if system == "iso3166-2":
        wrong = subdivision_problem(text, related)
        of = ("", "") if wrong == "unknown" else (f"del país {related}", f"of country {related}")
        return [("subdivision-code", {"value": text, "detail": of[0], "detail_en": of[1]})] if wrong else []
    kind = 2 if system.endswith("2") else 3
    if country_problem(text, kind):
        example = "MX, DE, US" if kind == 2 else "MEX, DEU, USA"
        params: dict[str, Any] = {"value": text, "detail": f"alfa-{kind}", "detail_en": f"alpha-{kind}"}
        return [("country-code", {**params, "example": example, **country_fix(text, kind)})]
    expected = alpha3_of(related) if related else None
    if expected and expected != text:
        params = {"value": text, "other_field": f["sameCountryAs"], "other_value": related}
        return [("country-mismatch", {**params, "expected": expected})]
    return []


def codelist_codes(f: dict[str, Any], catalog: Catalog) -> set[str] | None:
    """The codes of field ``f``'s codelist, None when it names none of ``catalog``'s."""
    name = f.get("codelist")
    return {str(c) for c in catalog.codelists[name].codes} if name and name in catalog.codelists else None


def list_findings(
    f: dict[str, Any], text: str, allowed: set[str] | None, ref_values: set[str] | None, reference: str
) -> Found:
    """The findings of the list cell ``text`` of field ``f``: each item must be one of the codes
    ``allowed`` and of the cells ``ref_values`` of the column ``reference`` names, where not None."""
    found: Found = []
    separator = f["listSeparator"]
    for item in text.split(separator):
        if allowed is not None and item not in allowed:
            expected = ", ".join(sorted(allowed))
            params = {"value": item, "detail": f["codelist"], "separator": separator, "expected": expected}
            found.append(("codelist-value", params))
        if ref_values is not None and item not in ref_values:
            found.append(("list-reference", {"value": item, "reference": reference, "separator": separator}))
    return found


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
    for f in fields:
        name, ftype = f.get("name"), f.get("type", "string")
        system = f.get("codeSystem")
        if ftype == "date" and (f.get("format") in (None, "default")):
            other = f.get("notBefore")
            for i, text in cells.column(name):
                day = _parse_date(text)
                if day is not None:  # else frictionless reports the type error
                    start = _parse_date(cells.get(i, other) or "") if other else None
                    for code, kw in date_findings(f, text, day, start, today):
                        add(code, i, name, **kw)
        if f.get("format") == "uri":
            for i, text in cells.column(name):
                problem = url_problem(text)
                if problem:
                    add("url-invalid", i, name, value=text, detail=problem[0], detail_en=problem[1])
        if system in CODE_SYSTEMS:
            prop = CODE_SYSTEMS[system][1]
            related = f.get(prop) if prop else None
            for i, text in cells.column(name):
                for code, kw in code_findings(f, text, cells.get(i, related) if related else None):
                    add(code, i, name, **kw)
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
    name = f["name"]
    reference = ""
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
    allowed = codelist_codes(f, catalog)
    for i, text in cells.column(name):
        for code, kw in list_findings(f, text, allowed, ref_values, reference):
            add(code, i, name, **kw)
