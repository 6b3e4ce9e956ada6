"""Validate a catalog, a dataset, or a single CSV against its schema.

Order: metadata → structure and schema (frictionless) → domain checks → policy profiles.
Everything found is reported; nothing stops at the first problem.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toolkit.catalog import Catalog, display_path, load_catalog, single_table_catalog
from toolkit.errors import UsageError
from toolkit.report import Finding, Report
from toolkit.validate import domain, structure
from toolkit.validate.profiles import PROFILES
from toolkit.validate.rawcsv import RawTable, read_table

__all__ = ["PROFILES", "validate", "validate_catalog"]

Progress = Callable[[str], None]


def validate(
    path: str | Path | None = None,
    *,
    schema: str | Path | None = None,
    profiles: list[str] | None = None,
    datasets: list[str] | None = None,
    limit_errors: int = structure.LIMIT_ERRORS,
    progress: Progress | None = None,
) -> Report:
    """Validate ``path`` (default ``datasets/``) and return a :class:`Report`.

    ``profiles``: ``None`` uses each dataset's ``policy_profiles``; a list replaces them
    (``[]`` turns profiles off). ``schema`` is required when ``path`` is a single CSV file.
    """
    target = Path(path) if path is not None else Path("datasets")
    if schema is not None or target.suffix.lower() in (".csv", ".tsv", ".txt"):
        if schema is None:
            raise UsageError(
                "Para validar un solo CSV indica su esquema: "
                f"ciudades validate {target} --schema ESQUEMA.yaml",
                f"To validate a single CSV give its schema: ciudades validate {target} --schema SCHEMA.yaml",
            )
        catalog, findings = single_table_catalog(target, Path(schema))
    else:
        catalog, findings = load_catalog(target, only=datasets)
    for name in profiles or []:
        if name not in PROFILES:
            raise UsageError(
                f"Perfil desconocido «{name}»; disponibles: {', '.join(PROFILES)}.",
                f"Unknown profile '{name}'; available: {', '.join(PROFILES)}.",
            )
    return validate_catalog(
        catalog, findings, profiles=profiles, limit_errors=limit_errors, progress=progress
    )


def validate_catalog(
    catalog: Catalog,
    metadata_findings: list[Finding],
    *,
    profiles: list[str] | None = None,
    limit_errors: int = structure.LIMIT_ERRORS,
    progress: Progress | None = None,
) -> Report:
    report = Report()
    report.extend(metadata_findings)
    for ds in catalog.datasets:
        report.datasets.append(ds.slug)
        tables: dict[str, RawTable] = {}
        found: list[Finding] = []
        for spec in ds.resources:
            report.resources += 1
            if progress:
                progress(display_path(spec.path))
            if not spec.path.is_file():
                continue
            where = {"dataset": ds.slug, "resource": spec.name}
            table, pre = read_table(spec.path, display_path(spec.path), where, spec.field_names)
            found.extend(pre)
            if table is not None:
                tables[spec.name] = table
                report.rows += len(table.rows)
        found.extend(structure.check_dataset(ds, tables, limit_errors=limit_errors))
        # A cell frictionless already rejected for its type gets no second finding from us.
        typed = {(f.path, f.row, f.field) for f in found if f.code == "type-error"}
        for spec in ds.resources:
            if spec.name in tables and spec.schema is not None:
                found.extend(
                    f
                    for f in domain.check_resource(ds, spec, tables[spec.name], tables, catalog)
                    if (f.path, f.row, f.field) not in typed
                )
        for name in ds.profiles if profiles is None else profiles:
            check = PROFILES.get(name)
            if check is None:
                continue  # an unknown profile in a descriptor is a metadata finding already
            for spec in ds.resources:
                if spec.name in tables:
                    found.extend(
                        f for f in check(ds, spec, tables[spec.name]) if (f.path, f.row, f.field) not in typed
                    )
        report.extend(_ordered(found, ds.resources))
    return report


def _ordered(findings: list[Finding], resources: list) -> list[Finding]:
    """Group by file in the descriptor's order, then by stage. Within the structure stage keep
    frictionless's own order; our stages are sorted by row and column."""
    from toolkit.messages import CODES

    order = {display_path(r.path): i for i, r in enumerate(resources)}
    stages = {"metadata": 0, "structure": 1, "domain": 2, "profile": 3}

    def key(f: Finding) -> tuple:
        spec = CODES.get(f.code)
        stage = stages[spec.stage] if spec else 1
        if stage == 1 and (spec is None or spec.frictionless):
            return (order.get(f.path or "", len(order)), stage, 0, "")
        return (order.get(f.path or "", len(order)), stage, f.row or 0, f.column or "")

    return sorted(findings, key=key)
