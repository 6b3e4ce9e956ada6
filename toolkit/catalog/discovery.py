"""What a catalog holds that its descriptors do not declare, and what this tool cannot read.

Nothing is skipped in silence: a folder with data and no descriptor, a data file no resource names,
a resource that is not a CSV table (JSON Lines, multipart, inline data, a spreadsheet) each become a
finding; a ``--dataset`` that names no dataset is a usage error with the closest slugs.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import toolkit.catalog.model as model  # the model imports this module too: names are looked up when called
from toolkit.errors import UsageError
from toolkit.report.findings import Finding, make_finding

if TYPE_CHECKING:
    from toolkit.catalog.model import Catalog, Dataset

# Files that hold data: one of them in no declared resource would never be checked or published.
DATA_SUFFIXES = (".csv", ".tsv", ".jsonl", ".ndjson", ".xlsx", ".xls", ".ods")
# What this tool reads as a table (a CSV, whatever its declared delimiter).
TABLE_FORMATS = ("csv", "tsv")
TABLE_SUFFIXES = ("", ".csv", ".tsv", ".txt")


_SHEET_FIX = (
    "Guárdalo como CSV UTF-8 separado por comas (una hoja de cálculo se convierte con "
    "«ciudades import ARCHIVO --into TABLA.csv») y declara el CSV en «path».",
    "Save it as a comma-separated UTF-8 CSV (a spreadsheet is converted with "
    "'ciudades import FILE --into TABLE.csv') and declare the CSV in 'path'.",
)


def unsupported_kind(res: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """Why this tool cannot read a resource as a table, as (what it is es, en, how to fix es, en);
    ``None`` for a CSV file. frictionless reads more kinds than this tool does: the others are
    refused with a finding, never parsed as a CSV nor skipped."""
    if "data" in res:
        return (
            "datos escritos en el descriptor («data»)",
            "data written in the descriptor ('data')",
            "Guarda las filas en un archivo CSV de la carpeta y declara ese archivo con «path» "
            "en lugar de «data».",
            "Save the rows in a CSV file in the folder and declare that file with 'path' instead of 'data'.",
        )
    path = res.get("path")
    if isinstance(path, list):
        return (
            f"un recurso en {len(path)} partes («path» es una lista)",
            f"a resource in {len(path)} parts ('path' is a list)",
            "Une las partes en un solo CSV, con un solo encabezado, y escribe su nombre en «path».",
            "Join the parts into one CSV, with a single header row, and write its name in 'path'.",
        )
    fmt = str(res.get("format") or "").lower().lstrip(".")
    media = str(res.get("mediatype") or res.get("mediaType") or "").lower()
    suffix = ""
    if isinstance(path, str):
        suffix = Path(urllib.parse.urlsplit(path).path).suffix.lower()
    if fmt in ("jsonl", "ndjson") or suffix in (".jsonl", ".ndjson") or "ndjson" in media or "jsonl" in media:
        return (
            "JSON Lines (NDJSON)",
            "JSON Lines (NDJSON)",
            "Conviértelo a CSV, con una columna por cada campo del esquema, y declara el CSV en «path».",
            "Convert it to CSV, with one column per field of the schema, and declare the CSV in 'path'.",
        )
    if res.get("compression"):
        return (
            f"un archivo comprimido ({res['compression']})",
            f"a compressed file ({res['compression']})",
            "Descomprímelo y declara el CSV en «path».",
            "Decompress it and declare the CSV in 'path'.",
        )
    if fmt and fmt not in TABLE_FORMATS:
        return (f"un archivo de formato «{fmt}»", f"a file in the '{fmt}' format", *_SHEET_FIX)
    if suffix not in TABLE_SUFFIXES:
        return (f"un archivo {suffix}", f"a {suffix} file", *_SHEET_FIX)
    return None


def data_files(folder: Path) -> list[Path]:
    """The data files under ``folder`` (any depth, hidden files and folders left out), sorted."""
    found: list[Path] = []
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir() and not entry.is_symlink():
            found.extend(data_files(entry))
        elif entry.suffix.lower() in DATA_SUFFIXES and entry.is_file():
            found.append(entry)
    return found


def _declared_paths(ds: Dataset) -> set[Path]:
    """Every local file the descriptor's resources name (parts of a multipart resource included)."""
    declared: set[Path] = set()
    resources = ds.descriptor.get("resources")
    for res in resources if isinstance(resources, list) else []:
        refs = res.get("path") if isinstance(res, dict) else None
        for ref in refs if isinstance(refs, list) else [refs]:
            if isinstance(ref, str) and ref and model.unsafe_reason(ref) is None:
                try:
                    declared.add((ds.folder / ref).resolve())
                except (OSError, ValueError):
                    continue
    return declared


def _dataset_snippet(folder: Path, files: list[Path], catalog: Catalog) -> str:
    """A minimal descriptor for an undeclared folder, in YAML flow style (one line)."""
    tables = []
    for path in files:
        stem = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-") or "table"
        known = catalog.find_schema(stem) is not None
        rel = path.relative_to(folder).as_posix()
        tables.append(f"{{name: {stem}, path: {rel}, schema: {stem if known else 'ESQUEMA'}}}")
    return f"{{name: {folder.name}, resources: [{', '.join(tables)}]}}"


def undeclared_files(ds: Dataset) -> list[Finding]:
    """A finding for each data file in the dataset's folder that no resource declares."""
    findings: list[Finding] = []
    declared = _declared_paths(ds)
    shown = model.display_path(ds.descriptor_path) if ds.descriptor_path else None
    for path in data_files(ds.folder):
        if path.resolve() in declared:
            continue
        rel = path.relative_to(ds.folder).as_posix()
        stem = re.sub(r"[^a-z0-9_-]+", "-", path.stem.lower()).strip("-") or "table"
        findings.append(
            make_finding(
                "file-undeclared",
                dataset=ds.slug,
                path=model.display_path(path),
                value=rel,
                descriptor=shown or "datapackage.yaml",
                descriptor_en=shown or "datapackage.yaml",
                snippet=f"{{name: {stem}, path: {rel}, schema: …}}",
            )
        )
    return findings


def undeclared_folders(catalog: Catalog, names: list[str] | None = None) -> list[Finding]:
    """Findings for the folders of the catalog that hold data files but no descriptor (only the
    folders in ``names`` when given) and for data files loose in the catalog folder itself."""
    findings: list[Finding] = []
    if catalog.folder is None:
        return findings
    for entry in sorted(catalog.folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if names is None and entry.suffix.lower() in DATA_SUFFIXES:
                findings.append(
                    make_finding(
                        "file-undeclared",
                        path=model.display_path(entry),
                        value=entry.name,
                        descriptor="el datapackage.yaml de su conjunto de datos (tras moverlo a esa carpeta)",
                        descriptor_en="its dataset's datapackage.yaml (after moving it into that folder)",
                        snippet=f"{{name: {entry.stem}, path: {entry.name}, schema: …}}",
                    )
                )
            continue
        if not entry.is_dir() or (names is not None and entry.name not in names):
            continue
        if any((entry / n).is_file() for n in model.DESCRIPTOR_NAMES):
            continue
        files = data_files(entry)
        if not files:
            continue
        findings.append(
            make_finding(
                "dataset-undeclared",
                dataset=entry.name,
                path=model.display_path(entry),
                value=", ".join(f.relative_to(entry).as_posix() for f in files[:5])
                + (f" (+{len(files) - 5})" if len(files) > 5 else ""),
                folder=model.display_path(entry),
                snippet=_dataset_snippet(entry, files[:5], catalog),
            )
        )
    return findings


def closest(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """The candidates a mistyped or abbreviated slug most likely means: similar spelling, one
    containing the other, the initials of the slug's words (``cdmx`` → ``ciudad-de-mexico``), or
    the letters in order from the same first letter."""
    import difflib

    wanted = name.lower().strip()
    scored: list[tuple[float, str]] = []
    for candidate in candidates:
        low = candidate.lower()
        score = difflib.SequenceMatcher(None, wanted, low).ratio()
        initials = "".join(w[0] for w in re.split(r"[-_\s]+", low) if w)
        if wanted and (wanted in low or low in wanted):
            score = max(score, 0.9)
        if (
            len(initials) >= 2
            and len(wanted) >= 2
            and (wanted.startswith(initials) or initials.startswith(wanted))
        ):
            score = max(score, 0.85)
        letters = iter(low)
        if wanted and low and wanted[0] == low[0] and all(c in letters for c in wanted):
            score = max(score, 0.7)
        if score >= 0.6:
            scored.append((-score, candidate))
    return [c for _, c in sorted(scored)[:n]]


def check_names(only: list[str], available: list[str]) -> None:
    """A usage error naming the closest slugs when ``only`` names a dataset that does not exist."""
    unknown = [name for name in only if name not in available]
    if not unknown:
        return
    name = unknown[0]
    near = closest(name, available)
    listed = ", ".join(available) or "—"
    if near:
        es = f"¿Quisiste decir {' o '.join(near)}?"
        en = f"Did you mean {' or '.join(near)}?"
    else:
        es, en = f"Conjuntos disponibles: {listed}.", f"Available datasets: {listed}."
    raise UsageError(
        f"No hay ningún conjunto de datos «{name}». {es}",
        f"There is no dataset '{name}'. {en}",
    )
