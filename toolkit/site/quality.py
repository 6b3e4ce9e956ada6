"""Quality figures from a dataset's rows: rows, fields filled, confidence, claims, sources, freshness.

``measure`` reads nothing but the rows the site already loaded, the tables' schemas, the rules that
sort sources by kind and the link health the check-links cache gave; the figures go to the dataset
page (a table, a chart and a few sentences, in both languages) and to ``<slug>/calidad.json``.

Sources by kind: the host of each ``source_url`` and ``document_url`` is matched against the
``domains`` of the standard's ``source_kinds`` codelist (a host matches a domain when it is that
domain or ends with "." and it: ``gob.mx`` covers ``cdmx.gob.mx``), kinds in the codelist's order,
the first that matches winning; the websites of the catalog's own city networks (partners of type
``city_network``) count as ``network`` too. A host nothing matches is ``other``.

Freshness needs no clock: it states when the next update is due (``modified`` plus the declared
``update_frequency``), or that there is no schedule (``irregular``, ``continuous``, ``never``).
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from toolkit.catalog.metadata import Measurement
from toolkit.catalog.model import Catalog
from toolkit.site.data import PARTNERS, DatasetData
from toolkit.validation.links import LINK_FIELDS

__all__ = [
    "KINDS",
    "LEVELS",
    "Freshness",
    "Quality",
    "SourceRules",
    "TableQuality",
    "freshness",
    "measure",
    "share",
    "source_rules",
]

LEVELS = ("high", "medium", "low")  # the codes of the confidence codelist
KINDS = ("government", "network", "press", "other")  # the codes of the source_kinds codelist
# The figures the DCAT graph carries (DQV metrics), with what each measures.
METRICS: dict[str, tuple[str, str]] = {
    "rows": ("Filas de todas las tablas del conjunto.", "Rows of every table of the dataset."),
    "optional-filled": (
        "Parte de las celdas de los campos opcionales que tiene valor (0 a 1).",
        "Share of the cells of optional fields that have a value (0 to 1).",
    ),
    "confidence-high": (
        "Parte de las filas con confianza alta, entre las tablas que tienen el campo confidence (0 a 1).",
        "Share of rows with high confidence, among the tables that have a confidence field (0 to 1).",
    ),
    "open-competing-claims": (
        "Hechos con más de una versión (filas que comparten un claim_group).",
        "Facts with more than one version (rows that share a claim_group).",
    ),
    "sources-government": (
        "Parte de las páginas citadas que son de un gobierno (0 a 1).",
        "Share of the cited pages that belong to a government (0 to 1).",
    ),
    "sources-network": (
        "Parte de las páginas citadas que son de una red de ciudades (0 a 1).",
        "Share of the cited pages that belong to a city network (0 to 1).",
    ),
    "sources-press": (
        "Parte de las páginas citadas que son de la prensa (0 a 1).",
        "Share of the cited pages that belong to the press (0 to 1).",
    ),
    "sources-other": (
        "Parte de las páginas citadas de otro tipo (0 a 1).",
        "Share of the cited pages of another kind (0 to 1).",
    ),
    "links-working": (
        "Parte de las páginas citadas que respondieron en la última comprobación de enlaces (0 a 1).",
        "Share of the cited pages that answered at the last link check (0 to 1).",
    ),
    "links-unchecked": (
        "Páginas citadas que la última comprobación de enlaces no cubrió.",
        "Cited pages the last link check did not cover.",
    ),
}
# A declared frequency as months (or days) to add to ``modified`` for the next update's due date.
PERIODS: dict[str, tuple[int, int]] = {
    "daily": (0, 1),
    "weekly": (0, 7),
    "monthly": (1, 0),
    "quarterly": (3, 0),
    "biannual": (6, 0),
    "annual": (12, 0),
}


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to four places; ``None`` when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class TableQuality:
    """The figures of one table."""

    name: str
    rows: int
    optional_fields: int  # fields the schema does not require
    optional_cells: int  # rows × optional fields
    optional_filled: int  # of those cells, the ones with a value
    confidence: dict[str, int] | None  # rows per level; None for a table without a confidence field
    open_claims: int | None  # claim groups with more than one row; None without a claim_group field

    def to_dict(self) -> dict[str, Any]:
        conf = None
        if self.confidence is not None:
            conf = {level: {"rows": n, "share": share(n, self.rows)} for level, n in self.confidence.items()}
        return {
            "table": self.name,
            "rows": self.rows,
            "optional_fields": self.optional_fields,
            "optional_filled": {
                "cells": self.optional_filled,
                "of": self.optional_cells,
                "share": share(self.optional_filled, self.optional_cells),
            },
            "confidence": conf,
            "open_competing_claims": self.open_claims,
        }


@dataclass(frozen=True)
class Freshness:
    """When the dataset was last updated, how often it says it is, and when the next update is due."""

    modified: str
    frequency: str | None
    due: str | None  # modified + the period; None without a schedule

    def to_dict(self) -> dict[str, Any]:
        return {
            "modified": self.modified or None,
            "update_frequency": self.frequency,
            "scheduled": self.due is not None,
            "next_update_due": self.due,
        }


@dataclass(frozen=True)
class Quality:
    """The figures of one dataset, table by table, and of the dataset as a whole."""

    slug: str
    tables: tuple[TableQuality, ...]
    # kind → distinct URLs and citing cells; empty when measured without the rules
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    links: dict[str, Any] | None = None  # the link health summary (see toolkit.site.linkhealth)
    freshness: Freshness | None = None

    @property
    def open_claims(self) -> int:
        return sum(t.open_claims or 0 for t in self.tables)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dataset": self.slug, "tables": [t.to_dict() for t in self.tables]}
        if self.sources:
            urls = sum(v["urls"] for v in self.sources.values())
            out["sources_by_kind"] = {
                kind: {**v, "share": share(v["urls"], urls)} for kind, v in self.sources.items()
            }
        if self.links is not None:
            out["links"] = self.links
        if self.freshness is not None:
            out["freshness"] = self.freshness.to_dict()
        out["open_competing_claims"] = self.open_claims
        return out

    def measurements(self) -> list[Measurement]:
        """The figures for the DCAT graph (DQV); a share that cannot be computed is left out."""
        values: dict[str, int | float | None] = {
            "rows": sum(t.rows for t in self.tables),
            "optional-filled": share(
                sum(t.optional_filled for t in self.tables), sum(t.optional_cells for t in self.tables)
            ),
        }
        rated = [t for t in self.tables if t.confidence is not None]
        values["confidence-high"] = share(
            sum((t.confidence or {}).get("high", 0) for t in rated), sum(t.rows for t in rated)
        )
        values["open-competing-claims"] = self.open_claims
        urls = sum(v["urls"] for v in self.sources.values())
        for kind, v in self.sources.items():
            values[f"sources-{kind}"] = share(v["urls"], urls)
        if self.links is not None and self.links.get("last_checked"):
            values["links-working"] = self.links.get("working_share")
            values["links-unchecked"] = self.links.get("unchecked")
        return [
            Measurement(name, value, {"es": METRICS[name][0], "en": METRICS[name][1]})
            for name, value in values.items()
            if value is not None
        ]

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _required(field: dict[str, Any]) -> bool:
    constraints = field.get("constraints")
    return isinstance(constraints, dict) and bool(constraints.get("required"))


@dataclass(frozen=True)
class SourceRules:
    """Which kind of source a host is: the codelist's domains per kind, then the catalog's networks."""

    domains: tuple[tuple[str, tuple[str, ...]], ...]  # (kind, domains) in the codelist's order
    labels: dict[str, tuple[str, str]]  # kind → (es, en)

    def kind(self, url: str) -> str:
        host = _host(url)
        for kind, domains in self.domains:
            if any(host == d or host.endswith("." + d) for d in domains):
                return kind
        return "other"


def _host(url: str) -> str:
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def source_rules(catalog: Catalog, networks: list[DatasetData] | None = None) -> SourceRules:
    """The rules of ``catalog``: its ``source_kinds`` codelist (its own, else the standard's) and the
    websites of the city networks in ``networks``' partners tables."""
    path: Path | None = catalog.find_codelist("source_kinds")
    domains: dict[str, list[str]] = {kind: [] for kind in KINDS}
    labels = {kind: (kind, kind) for kind in KINDS}
    if path is not None:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                code = (row.get("code") or "").strip()
                if code not in domains:
                    continue  # a kind the site does not know is not guessed at
                labels[code] = (row.get("label_es") or code, row.get("label_en") or code)
                domains[code] += [
                    d.strip().lower() for d in (row.get("domains") or "").split(";") if d.strip()
                ]
    for d in networks or []:
        for row in d.rows(PARTNERS):
            host = _host(row.get("website") or "")
            if row.get("partner_type") == "city_network" and host and host not in domains["network"]:
                domains["network"].append(host)
    ordered = tuple((kind, tuple(domains[kind])) for kind in KINDS if kind != "other")
    return SourceRules(ordered, labels)


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def freshness(modified: str, frequency: str | None) -> Freshness:
    """The next update's due date: ``modified`` plus the period of ``frequency`` (none without one)."""
    period = PERIODS.get(frequency or "")
    due = None
    if period and modified:
        try:
            day = dt.date.fromisoformat(modified[:10])
        except ValueError:
            day = None
        if day is not None:
            due = (_add_months(day, period[0]) + dt.timedelta(days=period[1])).isoformat()
    return Freshness(modified[:10], frequency, due)


def _sources(d: DatasetData, rules: SourceRules) -> dict[str, dict[str, int]]:
    urls: dict[str, set[str]] = {kind: set() for kind in KINDS}
    cells = dict.fromkeys(KINDS, 0)
    for spec in d.ds.resources:
        for row in d.rows(spec.name):
            for name in LINK_FIELDS:
                value = (row.get(name) or "").strip()
                if value.startswith(("http://", "https://")):
                    kind = rules.kind(value)
                    urls[kind].add(value)
                    cells[kind] += 1
    return {kind: {"urls": len(urls[kind]), "cells": cells[kind]} for kind in KINDS}


def measure(
    d: DatasetData,
    rules: SourceRules | None = None,
    links: dict[str, Any] | None = None,
    *,
    modified: str | None = None,
    frequency: str | None = None,
) -> Quality:
    """The quality figures of ``d``, computed from its rows; with ``rules``, its sources by kind;
    ``links`` is its link health summary; ``modified`` its last update (freshness is measured then)."""
    out = []
    for spec in d.ds.resources:
        rows = d.rows(spec.name)
        fields = [f for f in (spec.schema or {}).get("fields", []) if isinstance(f, dict) and f.get("name")]
        optional = [f["name"] for f in fields if not _required(f)]
        filled = sum(1 for row in rows for name in optional if (row.get(name) or "").strip())
        names = {f["name"] for f in fields}
        confidence = None
        if "confidence" in names:
            counts = Counter(row.get("confidence", "") for row in rows)
            confidence = {level: counts.get(level, 0) for level in LEVELS}
        claims = None
        if "claim_group" in names:
            groups = Counter(row["claim_group"] for row in rows if row.get("claim_group"))
            claims = sum(1 for n in groups.values() if n > 1)
        out.append(
            TableQuality(
                spec.name,
                len(rows),
                len(optional),
                len(rows) * len(optional),
                filled,
                confidence,
                claims,
            )
        )
    return Quality(
        d.slug,
        tuple(out),
        _sources(d, rules) if rules is not None else {},
        links,
        freshness(modified, frequency) if modified is not None else None,
    )
