"""Quality figures from a dataset's rows: rows, optional fields filled, confidence, open competing claims.

``measure`` reads nothing but the rows the site already loaded and the tables' schemas; the figures
go to the dataset page (a small table, in both languages) and to ``<slug>/calidad.json``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolkit.site.data import DatasetData

__all__ = ["LEVELS", "Quality", "TableQuality", "measure", "share"]

LEVELS = ("high", "medium", "low")  # the codes of the confidence codelist


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
class Quality:
    """The figures of one dataset, table by table."""

    slug: str
    tables: tuple[TableQuality, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.slug, "tables": [t.to_dict() for t in self.tables]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _required(field: dict[str, Any]) -> bool:
    constraints = field.get("constraints")
    return isinstance(constraints, dict) and bool(constraints.get("required"))


def measure(d: DatasetData) -> Quality:
    """The quality figures of ``d``, computed from its rows."""
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
    return Quality(d.slug, tuple(out))
