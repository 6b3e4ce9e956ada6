"""Validate a catalog, a dataset, or a single CSV against its schema.

Order: metadata → structure and schema (frictionless) → domain checks → policy profiles.
Everything found is reported; nothing stops at the first problem.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from toolkit.catalog.model import (
    Catalog,
    Dataset,
    ResourceSpec,
    applied_profiles,
    display_path,
    load_catalog,
    single_table_catalog,
)
from toolkit.errors import UsageError
from toolkit.report.findings import Finding, Report
from toolkit.validation import crosscheck, domain, parallel, privacy, structure
from toolkit.validation.profiles import PROFILES, policy_filter
from toolkit.validation.rawcsv import RawTable, read_table

__all__ = ["ENGINES", "PROFILES", "validate", "validate_catalog"]

Progress = Callable[[str], None]


ENGINES = ("auto", "frictionless", "fast")


def validate(
    path: str | Path | None = None,
    *,
    schema: str | Path | None = None,
    profiles: list[str] | None = None,
    datasets: list[str] | None = None,
    limit_errors: int = structure.LIMIT_ERRORS,
    progress: Progress | None = None,
    engine: str = "auto",
    log: Callable[[str], None] | None = None,
    show_progress: bool = False,
    allow_remote: bool = False,
) -> Report:
    """Validate ``path`` (default ``datasets/``) and return a :class:`Report`.

    ``profiles``: ``None`` applies the ``catalog`` profile inside a catalog (and to a CSV checked
    against a catalog's schema) plus each dataset's ``policy_profiles``; a list replaces the
    dataset's own profiles, the ``catalog`` one staying on inside a catalog; ``"none"`` in the list
    (or ``[]``) turns every profile off but the others listed. ``schema`` is required when ``path``
    is a single CSV file. A run that checks no table is never valid (a ``nothing-checked`` finding).
    ``engine``: ``frictionless`` checks every table with frictionless; ``auto`` (and ``fast``, its
    old name) checks every table the vectorised engine can read with it, whatever its size (same
    findings), and hands the others (another encoding, a declared dialect…) to frictionless.
    ``log`` receives diagnostic lines (which engine checked what, and why);
    ``show_progress`` draws a progress bar with rows per second on a terminal. ``allow_remote``
    lets descriptors name http(s) files, fetched with the limits of :mod:`toolkit.catalog.remote`.
    """
    if engine not in ENGINES:
        raise UsageError(
            f"Motor desconocido «{engine}»; disponibles: {', '.join(ENGINES)}.",
            f"Unknown engine '{engine}'; available: {', '.join(ENGINES)}.",
        )
    target = Path(path) if path is not None else Path("datasets")
    if schema is not None or target.suffix.lower() in (".csv", ".tsv", ".txt"):
        if schema is None:
            raise UsageError(
                "Para validar un solo CSV indica su esquema: "
                f"ciudades validate {target} --schema ESQUEMA.yaml. Si aún no tiene uno, "
                f"«ciudades describe {target} > ESQUEMA.yaml» escribe uno inicial con los tipos "
                "inferidos de los datos, para revisar y completar.",
                f"To validate a single CSV give its schema: ciudades validate {target} --schema SCHEMA.yaml. "
                f"If it has none yet, 'ciudades describe {target} > SCHEMA.yaml' writes a starting one "
                "with the types inferred from the data, to check and complete.",
            )
        catalog, findings = single_table_catalog(target, Path(schema))
    else:
        catalog, findings = load_catalog(target, only=datasets, allow_remote=allow_remote, profiles=profiles)
    for name in profiles or []:
        if name not in PROFILES and name != "none":
            raise UsageError(
                f"Perfil desconocido «{name}»; disponibles: {', '.join(PROFILES)}, none.",
                f"Unknown profile '{name}'; available: {', '.join(PROFILES)}, none.",
            )
    return validate_catalog(
        catalog,
        findings,
        profiles=profiles,
        limit_errors=limit_errors,
        progress=progress,
        engine=engine,
        log=log,
        show_progress=show_progress,
    )


def chosen_engine(ds: Dataset, engine: str = "auto") -> str:
    """The engine that checks ``ds``: ``frictionless`` when asked for, else ``fast`` (which hands
    the tables it cannot read to frictionless itself)."""
    return "frictionless" if engine == "frictionless" else "fast"


def validate_catalog(
    catalog: Catalog,
    metadata_findings: list[Finding],
    *,
    profiles: list[str] | None = None,
    limit_errors: int = structure.LIMIT_ERRORS,
    progress: Progress | None = None,
    engine: str = "auto",
    log: Callable[[str], None] | None = None,
    show_progress: bool = False,
) -> Report:
    report = Report()
    report.extend(metadata_findings)
    say = log or (lambda _m: None)
    fast = {ds.slug for ds in catalog.datasets if chosen_engine(ds, engine) == "fast"}
    classic = [ds for ds in catalog.datasets if ds.slug not in fast]
    # Datasets on the frictionless path are independent: with two or more, worker processes
    # check them side by side (before any fast-engine thread exists), and the results are taken
    # in catalog order, so the report is the same as one dataset after another.
    done = parallel.classic_datasets(classic, catalog, profiles, limit_errors, say)
    for ds in catalog.datasets:
        report.datasets.append(ds.slug)
        report.tables[ds.slug] = {r.name: display_path(r.path) for r in ds.resources}
        names = applied_profiles(profiles, catalog.in_catalog, ds.profiles)
        if ds.slug in fast:
            found = _fast_dataset(ds, catalog, report, names, limit_errors, progress, say, show_progress)
        elif ds.slug in done:
            say(f"{ds.slug}: frictionless engine, in a worker process")
            found, resources, rows = done[ds.slug]
            report.resources += resources
            report.rows += rows
        else:
            say(f"{ds.slug}: frictionless engine")
            found = _classic(ds, catalog, report, ds.resources, names, limit_errors, progress)
        report.extend(_ordered(one_per_mistake(policy_filter(found, names)), ds.resources))
    # Across datasets, whichever engine checked each one: the same agreement seen from both sides.
    report.extend(crosscheck.check_catalog(catalog))
    if report.resources == 0 and not report.errors:
        report.extend([nothing_checked(catalog)])
    return report


def nothing_checked(catalog: Catalog) -> Finding:
    """The finding of a run that checked no table: such a run is never reported as valid."""
    from toolkit.report.findings import make_finding

    expected = (
        "Declara cada tabla en «resources» del datapackage.yaml de su conjunto (name, path y schema); "
        "un conjunto de datos es una carpeta con su datapackage.yaml."
    )
    expected_en = (
        "Declare each table under 'resources' in its dataset's datapackage.yaml (name, path and "
        "schema); a dataset is a folder with its datapackage.yaml."
    )
    if not catalog.datasets:
        detail, detail_en = "no hay ningún conjunto de datos declarado", "there is no declared dataset"
        if catalog.folder is not None:  # a catalog just made by `ciudades init`, say
            expected = (
                "Crea un conjunto con «ciudades new SLUG --city CIUDAD --country PAÍS --website URL», "
                "que escribe su datapackage.yaml y sus tablas. " + expected
            )
            expected_en = (
                "Create a dataset with 'ciudades new SLUG --city CITY --country CC --website URL', "
                "which writes its datapackage.yaml and its tables. " + expected_en
            )
    else:
        detail = "los conjuntos de datos no declaran ninguna tabla CSV"
        detail_en = "the datasets declare no CSV table"
    return make_finding(
        "nothing-checked",
        path=display_path(catalog.folder) if catalog.folder is not None else None,
        detail=detail,
        detail_en=detail_en,
        expected=expected,
        expected_en=expected_en,
    )


def _classic(
    ds: Dataset,
    catalog: Catalog,
    report: Report,
    specs: list[ResourceSpec],
    names: list[str],
    limit_errors: int,
    progress: Progress | None,
    *,
    dialects: dict[str, tuple[str, str]] | None = None,
    references: dict[str, RawTable] | None = None,
) -> list[Finding]:
    """The frictionless path for ``specs`` (all of a dataset's tables, or the ones the fast
    engine handed back; ``dialects`` then names the others for foreign keys)."""
    tables: dict[str, RawTable] = {}
    found: list[Finding] = []
    for spec in specs:
        report.resources += 1
        if progress:
            progress(display_path(spec.path))
        if not spec.path.is_file():
            continue
        where = {"dataset": ds.slug, "resource": spec.name}
        table, pre = read_table(
            spec.path,
            display_path(spec.path),
            where,
            spec.field_names,
            schema=spec.schema_source,
            dialect=spec.dialect,
        )
        found.extend(pre)
        if table is not None:
            tables[spec.name] = table
            report.rows += len(table.rows)
    only = None if dialects is None else [s.name for s in specs]
    capped: dict[str, int] = {}
    found.extend(
        structure.check_dataset(
            ds, tables, limit_errors=limit_errors, only=only, dialects=dialects, capped=capped
        )
    )
    # A cell frictionless already rejected for its type gets no second finding from us.
    typed = {(f.path, f.row, f.field) for f in found if f.code == "type-error"}
    lookups = {**(references or {}), **tables}
    # Where the error cap stopped frictionless, our checks stop too: they see the rows up to that
    # one (other tables still look up the whole table).
    checked = {
        name: _up_to(table, capped[name]) if name in capped else table for name, table in tables.items()
    }
    for name, row in capped.items():
        spec = next(s for s in specs if s.name == name)
        report.rows -= len(tables[name].rows) - len(checked[name].rows)
        where = {"dataset": ds.slug, "resource": name, "path": display_path(spec.path)}
        found.append(structure.capped_finding(where, row, tables[name].line_of(row), limit_errors))
    for spec in specs:
        if spec.name in tables and spec.schema is not None:
            found.extend(
                f
                for f in domain.check_resource(ds, spec, checked[spec.name], lookups, catalog)
                if (f.path, f.row, f.field) not in typed
                # a claim group named once in part of a table may be named again in the rest
                and not (spec.name in capped and f.code == "claim-group-single")
            )
            found.extend(privacy.check_resource(ds, spec, checked[spec.name]))
    for name in names:
        check = PROFILES.get(name)
        if check is None:
            continue  # an unknown profile in a descriptor is a metadata finding already
        for spec in specs:
            if spec.name in tables:
                found.extend(
                    f for f in check(ds, spec, checked[spec.name]) if (f.path, f.row, f.field) not in typed
                )
    return found


def _up_to(table: RawTable, row: int) -> RawTable:
    """``table``'s rows up to frictionless row number ``row``."""
    import dataclasses

    keep = sum(1 for i in range(len(table.rows)) if table.number(i) <= row)
    numbers = table.numbers[:keep] if table.numbers is not None else None
    info = {k: v for k, v in table.info.items() if k != "index"}
    return dataclasses.replace(
        table, rows=table.rows[:keep], lines=table.lines[:keep], numbers=numbers, info=info
    )


def _fast_dataset(
    ds: Dataset,
    catalog: Catalog,
    report: Report,
    names: list[str],
    limit_errors: int,
    progress: Progress | None,
    say: Callable[[str], None],
    show_progress: bool,
) -> list[Finding]:
    from toolkit.validation.fast.blocks import Unsupported
    from toolkit.validation.fast.cells import lean_memory
    from toolkit.validation.fast.run import DatasetRun

    structure_found: list[Finding] = []
    later: list[Finding] = []
    fallback: list[ResourceSpec] = []
    with lean_memory(), terminal_progress(show_progress) as bar:
        run = DatasetRun(ds, catalog, limit_errors=limit_errors, profiles=names, log=say, progress=bar)
        for spec in ds.resources:
            if spec.schema is None or not spec.path.is_file():
                fallback.append(spec)
                continue
            report.resources += 1
            if progress:
                progress(display_path(spec.path))
            try:
                pre, dom, prof, rows = run.check_table(spec)
            except Unsupported as ex:
                say(f"{display_path(spec.path)}: frictionless engine ({ex})")
                report.resources -= 1
                fallback.append(spec)
                continue
            say(f"{display_path(spec.path)}: fast engine, {rows} rows")
            report.rows += rows
            structure_found.extend(pre)
            typed = {(f.path, f.row, f.field) for f in pre if f.code == "type-error"}
            later.extend(
                f for f in dom + prof if f.code in privacy.CODES or (f.path, f.row, f.field) not in typed
            )
    if fallback:
        fast = {s.name for s in ds.resources if s not in fallback}
        dialects: dict[str, tuple[str, str]] = {}
        for name in fast:
            shape = run.shape(name)
            if shape is not None:
                bom = any(code == "utf8-bom" for code, _ in shape[1])
                dialects[name] = ("utf-8-sig" if bom else "utf-8", shape[0])
        wanted = {
            (f.get("references") or {}).get("resource") or s.name
            for s in fallback
            for f in (s.schema or {}).get("fields", [])
            if f.get("listSeparator") and isinstance(f.get("references"), dict)
        }
        references: dict[str, RawTable] = {}
        for name in sorted(wanted & fast):
            target = ds.resource(name)
            if target is not None:
                table, _ = read_table(target.path, display_path(target.path), {}, target.field_names)
                if table is not None:
                    references[name] = table
        structure_found.extend(
            _classic(
                ds,
                catalog,
                report,
                fallback,
                names,
                limit_errors,
                progress,
                dialects=dialects,
                references=references,
            )
        )
    return structure_found + later


class terminal_progress:
    """A rich progress bar (bytes, rows and rows per second) on a terminal; nothing elsewhere."""

    def __init__(self, enabled: bool) -> None:
        ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        self.enabled = enabled and not ci and sys.stderr.isatty()
        self.bar: Any = None
        self.tasks: dict[str, tuple[Any, float]] = {}  # path shown → its task, and when it started

    def __enter__(self) -> Callable[[str, int, int], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rows]:,} filas/rows"),
            TextColumn("{task.fields[speed]:,.0f} filas/s"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.bar.__enter__()
        return self.update

    def update(self, shown: str, done: int, rows: int) -> None:
        if shown not in self.tasks:
            started = time.perf_counter()
            size = Path(shown).stat().st_size if Path(shown).exists() else None
            self.tasks[shown] = (self.bar.add_task(shown, total=size, rows=0, speed=0.0), started)
        task, started = self.tasks[shown]
        speed = rows / max(time.perf_counter() - started, 1e-6)
        self.bar.update(task, completed=done, rows=rows, speed=speed)

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


# Findings of ours about a code's system (ISO 3166, ISO 4217) that a cell rejected for its pattern
# already explains: the constraint-error's fix names the right code.
_CODE_SYSTEM = {"country-code", "currency-code", "subdivision-code"}


def one_per_mistake(findings: list[Finding]) -> list[Finding]:
    """One finding for one mistake, whichever engine found them (both pass through here).

    frictionless reports a repeated one-field primary key that is also ``unique`` twice (a
    ``unique-error`` and a ``primary-key``) and an empty required one twice (a required
    ``constraint-error`` and a ``primary-key``): one of them says it all, the ``primary-key`` for a
    repeat (it names the line the value first appears on), the ``constraint-error`` for an empty
    key. A code-system finding on a cell that already has
    a ``constraint-error`` (a country written as a name fails the field's pattern too) is dropped,
    and so is a finding equal to one before it. These are deliberate differences from frictionless's
    list of errors (each one is a mistake frictionless reports twice).
    """
    keys = {
        (f.path, f.row, f.field)
        for f in findings
        if f.code == "primary-key" and f.field and ";" not in f.field
    }
    constrained = {(f.path, f.row, f.field) for f in findings if f.code == "constraint-error"}
    out = []
    seen: set[Finding] = set()
    for f in findings:
        if f in seen:  # a cell that breaks two constraints saying the same (pattern and enum)
            continue
        seen.add(f)
        where = (f.path, f.row, f.field)
        if f.code == "unique-error" and where in keys:
            continue
        if f.code == "primary-key" and where in keys and where in constrained and not f.value:
            continue
        if f.code in _CODE_SYSTEM and where in constrained:
            continue
        out.append(f)
    return out


def _ordered(findings: list[Finding], resources: list) -> list[Finding]:
    """Group by file in the descriptor's order, then by stage. Within the structure stage keep
    frictionless's own order; our stages are sorted by row and column."""
    from toolkit.report.messages import CODES

    order = {display_path(r.path): i for i, r in enumerate(resources)}
    stages = {"metadata": 0, "structure": 1, "domain": 2, "profile": 3}

    def key(f: Finding) -> tuple:
        spec = CODES.get(f.code)
        stage = stages[spec.stage] if spec else 1
        if f.code == "errors-capped":  # heads its table's findings: the rest of it was not checked
            return (order.get(f.path or "", len(order)), stage, -1, "")
        if stage == 1 and (spec is None or spec.frictionless):
            return (order.get(f.path or "", len(order)), stage, 0, "")
        return (order.get(f.path or "", len(order)), stage, f.row or 0, f.column or "")

    return sorted(findings, key=key)
