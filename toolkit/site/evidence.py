"""What a validation checked (hashes, versions, engine, date) and whether the published files match it.

``collect`` is called by ``build`` before it validates: it hashes every data file as it is about to
be checked. ``matches`` compares those hashes with the files the site publishes, read again from
disk, so the "Valid" badge stands only for the bytes that were validated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import Any

import toolkit
from toolkit.catalog import standard
from toolkit.catalog.model import Catalog
from toolkit.packaging.packages import sha256_file
from toolkit.validation.validator import chosen_engine

__all__ = ["Evidence", "FileEvidence", "collect", "matches"]


@dataclass(frozen=True)
class FileEvidence:
    """One data file as it was validated."""

    resource: str
    name: str
    sha256: str


@dataclass(frozen=True)
class Evidence:
    """What the validation of one dataset checked."""

    slug: str
    files: tuple[FileEvidence, ...]
    standard: str
    standard_pin: str
    toolkit: str
    engine: str
    date: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.slug,
            "files": [{"resource": f.resource, "name": f.name, "sha256": f.sha256} for f in self.files],
            "standard": self.standard,
            "standard_pin": self.standard_pin,
            "toolkit": self.toolkit,
            "engine": self.engine,
            "date": self.date,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _engine_text(name: str) -> str:
    if name != "frictionless":
        return f"{name} (ciudades {toolkit.__version__})"
    try:
        return f"frictionless {dist_version('frictionless')}"
    except PackageNotFoundError:  # pragma: no cover - frictionless is a dependency
        return "frictionless"


def collect(catalog: Catalog, engine: str = "auto", date: str = "") -> dict[str, Evidence]:
    """Hash every dataset's data files and note the versions, engine and ``date`` of this validation."""
    std = standard.installed()
    std_text = f"{std.name or 'standard'} {std.version or '?'}" if std else ""
    pin = str(catalog.metadata.get("standard") or "")
    out = {}
    for ds in catalog.datasets:
        files = tuple(
            FileEvidence(r.name, Path(r.path).name, sha256_file(Path(r.path)))
            for r in ds.resources
            if Path(r.path).is_file()
        )
        out[ds.slug] = Evidence(
            ds.slug,
            files,
            std_text,
            pin,
            toolkit.__version__,
            _engine_text(chosen_engine(ds, engine)),
            date,
        )
    return out


def matches(evidence: Evidence | None, published: dict[str, Path]) -> bool:
    """Whether every validated file is published (``published``: resource name → file) with the
    same bytes, read again now. No evidence, a file not published or a hash that differs: no match."""
    if evidence is None or not evidence.files:
        return False
    for f in evidence.files:
        path = published.get(f.resource)
        if path is None or not path.is_file() or sha256_file(path) != f.sha256:
            return False
    return True
