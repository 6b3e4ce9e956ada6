"""Checks for what should not be published: personal data and spreadsheet formula injection.

Personal data: e-mail addresses, phone numbers, and Mexican CURP and RFC codes in text cells,
except in fields the schema declares public contact fields (``publicContact: true``).
Formula injection: text that a spreadsheet would run as a formula (starting with = + - @, a tab
or a carriage return). Both are warnings: a person decides, but nobody misses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from toolkit.catalog.model import Dataset, ResourceSpec, display_path
from toolkit.report.findings import Finding, column_letter, make_finding
from toolkit.validation.rawcsv import RawTable

# CURP: 18 characters, RENAPO's layout (letters, birth date, sex, state, consonants, check digits).
_CURP = re.compile(
    r"\b[A-Z][AEIOUX][A-Z]{2}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[HMX]"
    r"(AS|B[CS]|C[CLMSH]|D[FG]|G[TR]|HG|JC|M[CNS]|N[ETL]|OC|PL|Q[TR]|S[PLR]|T[CSL]|VZ|YN|ZS|NE)"
    r"[B-DF-HJ-NP-TV-Z]{3}[A-Z\d]\d\b"
)
# RFC of a person (13) or a company (12): letters, date, homoclave.
_RFC = re.compile(r"\b[A-ZÑ&]{3,4}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[A-Z\d]{2}[A\d]\b")
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# Phone numbers: 10+ digits, optionally with +country code, spaces, dots, dashes or parentheses.
_PHONE = re.compile(r"(?<![\w/.=-])(\+?\d{1,3}[\s.-]?)?(\(?\d{2,3}\)?[\s.-]?)\d{3,4}[\s.-]?\d{4}(?![\w/])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CODES = frozenset({"personal-data", "formula-injection"})  # not dropped where a type error is

KINDS = {
    "email": ("una dirección de correo electrónico", "an e-mail address"),
    "phone": ("un número de teléfono", "a phone number"),
    "curp": ("una CURP", "a CURP (Mexican personal ID)"),
    "rfc": ("un RFC", "an RFC (Mexican tax ID)"),
}


def personal_data_kind(text: str) -> str | None:
    """The kind of personal data ``text`` seems to hold, or None."""
    found = personal_data_span(text)
    return found[0] if found else None


def personal_data_span(text: str) -> tuple[str, int, int] | None:
    """The kind of personal data in ``text`` and where it is (start, end), or None."""
    match = _EMAIL.search(text)
    if match:
        return "email", match.start(), match.end()
    upper = text.upper()
    for kind, pattern in (("curp", _CURP), ("rfc", _RFC)):
        match = pattern.search(upper)
        if match:
            return kind, match.start(), match.end()
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if 10 <= len(digits) <= 13 and not re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])\d{2,}", digits):
            return "phone", match.start(), match.end()
    return None


def scans_for_personal_data(field: dict[str, Any]) -> bool:
    """Whether a text field's cells are scanned for personal data (not a public contact, URL or e-mail)."""
    return not field.get("publicContact") and field.get("format") not in ("uri", "email")


def looks_like_formula(text: str) -> bool:
    if not text or not text.startswith(_FORMULA_START):
        return False
    # A plain signed number (e.g. "-3.5") is not a formula in any spreadsheet.
    return not re.fullmatch(r"[+-]\d+([.,]\d+)?", text.strip())


def check_resource(ds: Dataset, spec: ResourceSpec, table: RawTable) -> list[Finding]:
    """Scan a table already read into memory."""
    rows = ((table.number(i), table.lines[i], row) for i, row in enumerate(table.rows))
    return _scan(ds, spec, table.header, rows)


def _scan(
    ds: Dataset, spec: ResourceSpec, header: list[str], rows: Iterable[tuple[int, int, list[str]]]
) -> list[Finding]:
    findings: list[Finding] = []
    schema = spec.schema or {}
    missing = set(schema.get("missingValues", [""]))
    shown = display_path(spec.path)
    columns = []
    for f in schema.get("fields", []):
        name = f.get("name", "")
        if f.get("type", "string") != "string" or name not in header:
            continue
        columns.append((header.index(name), name, scans_for_personal_data(f)))
    if not columns:
        return findings
    for number, line, row in rows:
        for index, name, scan_personal in columns:
            if index >= len(row) or row[index] in missing:
                continue
            text = row[index]
            where: dict[str, Any] = {
                "dataset": ds.slug,
                "resource": spec.name,
                "path": shown,
                "row": number,
                "line": line,
                "field": name,
                "column": column_letter(index + 1),
                "value": text,
            }
            if looks_like_formula(text):
                findings.append(make_finding("formula-injection", **where))
            if scan_personal:
                kind = personal_data_kind(text)
                if kind:
                    es, en = KINDS[kind]
                    findings.append(make_finding("personal-data", detail=es, detail_en=en, **where))
    return findings
