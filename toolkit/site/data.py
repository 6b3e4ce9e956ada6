"""What the site shows, worked out once from the catalog, and how it formats it in each language.

What the site shows, worked out once from the catalog: rows, partners across cities, facets,
and the small formatting rules (numbers, sizes, dates, country names) in each language.

The data model is the project's (agreements, funding, partners); a catalog whose tables lack one of
them simply gets fewer pictures and facets.
"""

from __future__ import annotations

import csv
import functools
import gettext
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pycountry

from toolkit.catalog.model import Catalog, Dataset

AGREEMENTS, FUNDING, PARTNERS = "agreements", "funding", "partners"
SAFE_NAME = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
LIST_SEP = ";"


# ── formatting ───────────────────────────────────────────────────────────────────────────────────


def fmt_int(n: float, lang: str) -> str:
    """Digits grouped by three: a narrow no-break space in Spanish (RAE, ISO 80000), a comma in English."""
    text = f"{round(n):,}"
    return text.replace(",", "\u202f") if lang == "es" else text


def fmt_amount(value: float, lang: str) -> str:
    if value == int(value):
        return fmt_int(value, lang)
    text = f"{value:,.2f}"
    return text.replace(",", "\u202f").replace(".", ",") if lang == "es" else text


def fmt_bytes(n: int, lang: str) -> str:
    units = ["B", "kB", "MB", "GB"]
    value, unit = float(n), 0
    while value >= 1000 and unit < len(units) - 1:
        value, unit = value / 1000, unit + 1
    text = f"{int(value)}" if unit == 0 else f"{value:.1f}"
    return (text.replace(".", ",") if lang == "es" else text) + "\u00a0" + units[unit]


def fmt_date(value: str, precision: str | None) -> str:
    """An ISO date shown only as exactly as it is known (``month`` → 2013-12, ``year`` → 2013)."""
    if not value:
        return ""
    if precision == "year":
        return value[:4]
    if precision == "month":
        return value[:7]
    return value[:10]


@functools.cache
def _es_countries() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"])
    except OSError:  # pragma: no cover - pycountry always ships its Spanish catalogue
        return gettext.NullTranslations()


def country_name(code: str, lang: str) -> str:
    found = pycountry.countries.get(alpha_2=code.upper()) if code else None
    if found is None:
        return code
    name = getattr(found, "common_name", None) or found.name
    return _es_countries().gettext(found.name) if lang == "es" else name


def subdivision_name(code: str) -> str:
    found = pycountry.subdivisions.get(code=code) if code else None
    return found.name if found is not None else code


def safe_name(value: str) -> str:
    """A file name for an identifier: itself when it is a plain slug, else a stable hash."""
    return value if SAFE_NAME.match(value) else "id-" + hashlib.sha256(value.encode()).hexdigest()[:12]


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(LIST_SEP) if v.strip()]


def http_url(value: Any) -> str | None:
    """``value`` if it is an http(s) URL that may be linked to, else None (no javascript:, data:…)."""
    text = str(value or "").strip()
    return text if re.match(r"^https?://[^\s<>\"']+$", text, re.IGNORECASE) else None


def wikidata_url(qid: str) -> str | None:
    """The Wikidata page of an item ID (``Q`` and digits), else None."""
    return f"https://www.wikidata.org/wiki/{qid}" if re.fullmatch(r"Q[1-9][0-9]*", qid) else None


def org_id_list_url(identifier: str) -> str | None:
    """The org-id.guide page of the list an organisation identifier comes from (``XM-DAC`` for
    ``XM-DAC-41114``): org-id.guide describes lists, not single organisations. None when the
    identifier is not ``{country or XI/XM}-{list}-{id}``."""
    match = re.fullmatch(r"([A-Z]{2}-[A-Za-z0-9]+)-.+", identifier)
    return f"https://org-id.guide/list/{match.group(1)}" if match else None


def mapping(value: Any) -> dict[str, Any]:
    """``value`` when it is a mapping, else an empty one (metadata validation reports the rest)."""
    return value if isinstance(value, dict) else {}


def text(value: Any, lang: str) -> str:
    """A bilingual metadata value: a mapping ``{es, en}`` or a plain string."""
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("es") or value.get("en") or "")
    return "" if value is None else str(value)


# ── the catalog's rows ───────────────────────────────────────────────────────────────────────────


@dataclass
class DatasetData:
    ds: Dataset
    tables: dict[str, list[dict[str, str]]]

    @property
    def slug(self) -> str:
        return self.ds.slug

    def rows(self, name: str) -> list[dict[str, str]]:
        return self.tables.get(name, [])

    def title(self, lang: str) -> str:
        d = self.ds.descriptor
        return str(d.get("title_en") or d.get("title")) if lang == "en" else str(d.get("title") or self.slug)

    def description(self, lang: str) -> str:
        d = self.ds.descriptor
        if lang == "en":
            return str(d.get("description_en") or d.get("description") or "")
        return str(d.get("description") or "")

    @property
    def city(self) -> str:
        spatial = self.ds.descriptor.get("spatial") or {}
        return str(spatial.get("city") or self.title("es")) if isinstance(spatial, dict) else self.slug

    @property
    def local_parties(self) -> set[str]:
        return {r["local_party_id"] for r in self.rows(AGREEMENTS) if r.get("local_party_id")}

    def partner(self, pid: str) -> dict[str, str] | None:
        return self.partner_index.get(pid)

    @functools.cached_property
    def partner_index(self) -> dict[str, dict[str, str]]:
        return {r["partner_id"]: r for r in self.rows(PARTNERS) if r.get("partner_id")}

    def counterparts(self) -> dict[str, dict[str, str]]:
        """Partners other than the city itself."""
        own = self.local_parties
        return {pid: r for pid, r in self.partner_index.items() if pid not in own}


def read_rows(ds: Dataset) -> DatasetData:
    tables: dict[str, list[dict[str, str]]] = {}
    for spec in ds.resources:
        if spec.path.is_file():
            with spec.path.open(encoding="utf-8-sig", newline="") as fh:
                tables[spec.name] = [
                    {k: (v or "") for k, v in row.items() if k is not None} for row in csv.DictReader(fh)
                ]
    return DatasetData(ds, tables)


def partner_name(row: dict[str, str] | None, pid: str, lang: str) -> str:
    if not row:
        return pid
    return (
        (row.get("name_en") if lang == "en" else None) or row.get("name_es") or row.get("name_local") or pid
    )


def label(catalog: Catalog, codelist: str, code: Any, lang: str) -> str:
    cl = catalog.codelists.get(codelist)
    if cl is None:
        return str(code)
    for key in (code, _int_or_none(code)):
        if key in cl.labels:
            es, en = cl.labels[key]
            return es if lang == "es" else en
    return str(code)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}


def one_claim_per_fact(rows: list[dict[str, str]]) -> tuple[list[dict[str, str]], int]:
    """Rows with competing claims about one fact (same ``claim_group``) reduced to the most reliable
    one, so that charts never count or add up one fact twice. Returns the rows and how many were left out.
    """
    best: dict[str, dict[str, str]] = {}
    for row in rows:
        group = row.get("claim_group")
        if not group:
            continue
        current = best.get(group)
        rank = _CONFIDENCE_RANK.get(row.get("confidence", ""), 3)
        if current is None or rank < _CONFIDENCE_RANK.get(current.get("confidence", ""), 3):
            best[group] = row
    kept = [r for r in rows if not r.get("claim_group") or best[r["claim_group"]] is r]
    return kept, len(rows) - len(kept)


def amount_of(row: dict[str, str]) -> float | None:
    """The amount of a funding row; ``None`` when there is none, or none that can be summed and
    shown (``Infinity``, ``NaN``, ``1e999`` are valid numbers, not amounts)."""
    import math

    try:
        value = float(row.get("amount") or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# ── facets ───────────────────────────────────────────────────────────────────────────────────────

FACETS = ("city", "country", "partner_type", "agreement_type", "year")
FACET_DIRS = {
    "city": ("ciudad", "city"),
    "country": ("pais", "country"),
    "partner_type": ("tipo-de-contraparte", "partner-type"),
    "agreement_type": ("tipo-de-acuerdo", "agreement-type"),
    "year": ("anio", "year"),
}


@dataclass
class Facets:
    """For each facet, value → the datasets it matches and the agreement rows it selects."""

    datasets: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    rows: dict[str, dict[str, list[tuple[str, dict[str, str]]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def add(self, facet: str, value: str, slug: str, row: dict[str, str] | None = None) -> None:
        self.datasets[facet].setdefault(value, set()).add(slug)
        bucket = self.rows[facet].setdefault(value, [])
        if row is not None:
            bucket.append((slug, row))

    def values(self, facet: str) -> list[str]:
        found = self.datasets.get(facet, {})
        return sorted(found, reverse=facet == "year")

    def of(self, slug: str, facet: str) -> list[str]:
        return sorted(v for v, slugs in self.datasets.get(facet, {}).items() if slug in slugs)


def agreement_partners(row: dict[str, str]) -> list[str]:
    return [
        p for p in [row.get("counterpart_id", ""), *split_list(row.get("other_counterpart_ids", ""))] if p
    ]


def build_facets(data: list[DatasetData]) -> Facets:
    facets = Facets()
    for d in data:
        facets.add("city", d.slug, d.slug)
        counterparts = d.counterparts()
        for row in d.rows(AGREEMENTS):
            named = [counterparts[p] for p in agreement_partners(row) if p in counterparts]
            for country in sorted({p["country"] for p in named if p.get("country")}):
                facets.add("country", country.lower(), d.slug, row)
            for ptype in sorted({p["partner_type"] for p in named if p.get("partner_type")}):
                facets.add("partner_type", ptype, d.slug, row)
            if row.get("agreement_type"):
                facets.add("agreement_type", row["agreement_type"], d.slug, row)
            if row.get("date_signed"):
                facets.add("year", row["date_signed"][:4], d.slug, row)
    return facets


# ── partners across cities ───────────────────────────────────────────────────────────────────────


@dataclass
class PartnerRefs:
    """Every row of every dataset that names one partner, with the partner's rows in each dataset."""

    pid: str
    records: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (slug, partners row)
    agreements: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)  # (slug, role, row)
    funding: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def partner_refs(data: list[DatasetData]) -> dict[str, PartnerRefs]:
    refs: dict[str, PartnerRefs] = {}

    def get(pid: str) -> PartnerRefs:
        return refs.setdefault(pid, PartnerRefs(pid))

    for d in data:
        for row in d.rows(PARTNERS):
            if row.get("partner_id"):
                get(row["partner_id"]).records.append((d.slug, row))
        for row in d.rows(AGREEMENTS):
            roles = [
                ("local_party", row.get("local_party_id", "")),
                ("counterpart", row.get("counterpart_id", "")),
            ]
            roles += [("other", p) for p in split_list(row.get("other_counterpart_ids", ""))]
            for role, pid in roles:
                if pid:
                    get(pid).agreements.append((d.slug, role, row))
        for row in d.rows(FUNDING):
            for role, key in (("provider", "provider_id"), ("recipient", "recipient_id")):
                if row.get(key):
                    get(row[key]).funding.append((d.slug, role, row))
    return dict(sorted(refs.items()))
