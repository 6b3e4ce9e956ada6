"""What changed since a git ref: the files, and the datasets they touch.

``validate --changed-since REF`` checks only those datasets (plus the datasets that reference them);
``diff`` reads files at a ref through :func:`show`. git is run as a subprocess, never through a shell.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.catalog.discovery import check_names, undeclared_folders
from toolkit.catalog.history import GitFailed as _GitFailed
from toolkit.catalog.history import git, show
from toolkit.catalog.model import CATALOG_FILE, Catalog, display_path, load_catalog
from toolkit.errors import ToolkitError, UsageError

__all__ = [
    "changed_datasets",
    "changed_files",
    "git",
    "main_merge_base",
    "repo_root",
    "resolve_ref",
    "show",
    "validate_changed",
]

MAIN_BRANCHES = ("origin/main", "main", "origin/master", "master")


def repo_root(path: Path) -> Path:
    folder = path if path.is_dir() else path.parent
    return Path(git(["rev-parse", "--show-toplevel"], folder.resolve()).strip()).resolve()


def resolve_ref(root: Path, ref: str) -> str:
    """The commit a ref names; a usage error that names the ref when git does not know it."""
    if ref.startswith("-"):
        raise UsageError(f"«{ref}» no es una referencia de git válida.", f"'{ref}' is not a valid git ref.")
    try:
        return git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root).strip()
    except _GitFailed:
        raise UsageError(
            f"git no conoce la referencia «{ref}» (rama, etiqueta o commit). En CI, clona con "
            "historial (actions/checkout con fetch-depth: 0) o trae la rama base con git fetch.",
            f"git does not know the ref '{ref}' (branch, tag or commit). In CI, clone with history "
            "(actions/checkout with fetch-depth: 0) or fetch the base branch with git fetch.",
        ) from None


def main_merge_base(root: Path) -> tuple[str, str]:
    """Where the current branch left the main branch (the default base of a review): the branch's
    name and the commit."""
    for branch in MAIN_BRANCHES:
        try:
            git(["rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}"], root)
            return branch, git(["merge-base", "HEAD", branch], root).strip()
        except _GitFailed:
            continue
    raise UsageError(
        "No hay rama main ni master con la cual comparar; indica --base REF.",
        "There is no main or master branch to compare with; give --base REF.",
    )


def changed_files(root: Path, ref: str) -> list[str]:
    """Files (relative to the repository) that differ from ``ref`` in the working tree, untracked
    files included, deleted files too."""
    commit = resolve_ref(root, ref)
    try:
        tracked = git(["diff", "--name-only", "-z", commit, "--"], root).split("\0")
        untracked = git(["ls-files", "--others", "--exclude-standard", "-z"], root).split("\0")
    except _GitFailed as ex:
        raise ToolkitError(f"git falló: {ex}", f"git failed: {ex}") from None
    return sorted({p for p in tracked + untracked if p})


def list_files(root: Path, ref: str, under: str = "") -> list[str]:
    """Every file at ``ref`` (relative to the repository), optionally under a folder."""
    args = ["ls-tree", "-r", "--name-only", "-z", ref]
    if under:
        args += ["--", under]
    try:
        return [p for p in git(args, root).split("\0") if p]
    except _GitFailed as ex:
        raise ToolkitError(f"git falló: {ex}", f"git failed: {ex}") from None


def _references(catalog: Catalog) -> dict[str, set[str]]:
    """dataset → datasets it references: foreign keys to another data package, written as in the
    Data Package pattern ``reference: {package: SLUG, resource: …}``."""
    slugs = {ds.slug for ds in catalog.datasets}
    out: dict[str, set[str]] = {}
    for ds in catalog.datasets:
        for spec in ds.resources:
            schema: dict[str, Any] = spec.schema or {}
            refs = [fk.get("reference") or {} for fk in schema.get("foreignKeys") or []]
            refs += [f.get("references") or {} for f in schema.get("fields") or []]
            for ref in refs:
                target = str(ref.get("package", "")).rstrip("/").split("/")[-1]
                if target in slugs and target != ds.slug:
                    out.setdefault(ds.slug, set()).add(target)
    return out


def changed_datasets(path: Path, ref: str) -> tuple[list[str], list[str], Catalog]:
    """The datasets under ``path`` to validate after changes since ``ref`` (changed ones and those that
    reference them) and the ones skipped. A change to the schemas or to the catalog file touches all,
    and so does a removed dataset (another one may have referenced it)."""
    selected, skipped, catalog, _ = _changes(path, ref)
    return selected, skipped, catalog


def _changes(path: Path, ref: str) -> tuple[list[str], list[str], Catalog, list[Path]]:
    """:func:`changed_datasets` plus the changed files under ``path`` that belong to no declared
    dataset (nor are the catalog file or a schema)."""
    catalog, _ = load_catalog(path)
    root = repo_root(path)
    files = [(root / p).resolve() for p in changed_files(root, ref)]
    all_slugs = [ds.slug for ds in catalog.datasets]
    shared: list[Path] = []
    if catalog.schemas_dir is not None:
        shared.append(catalog.schemas_dir.resolve())
    folders = [ds.folder.resolve() for ds in catalog.datasets]
    top = (
        catalog.folder if catalog.folder is not None and path.resolve() == catalog.folder else path
    ).resolve()
    top = top if top.is_dir() else top.parent
    orphans = [
        f
        for f in files
        if f.is_relative_to(top)
        and not any(f.is_relative_to(d) for d in folders)
        and not any(f.is_relative_to(s) for s in shared)
        and f.name != CATALOG_FILE
    ]
    everything = False
    if catalog.folder is not None and (catalog.folder / CATALOG_FILE).resolve() in files:
        everything = True
    if any(f.is_relative_to(s) for f in files for s in shared):
        everything = True
    # A file gone with its folder: a dataset was removed, and the others may have referenced it.
    if any(not f.exists() and not f.parent.exists() for f in orphans):
        everything = True
    if everything:
        return all_slugs, [], catalog, orphans
    changed = {ds.slug for ds in catalog.datasets for f in files if f.is_relative_to(ds.folder.resolve())}
    references = _references(catalog)
    grew = True
    while grew:  # a dataset that references a changed one may break with it, and so on
        grew = False
        for slug, targets in references.items():
            if slug not in changed and targets & changed:
                changed.add(slug)
                grew = True
    selected = [s for s in all_slugs if s in changed]
    return selected, [s for s in all_slugs if s not in changed], catalog, orphans


def validate_changed(path: str | Path | None, ref: str, **options: Any) -> Any:
    """``toolkit.validate`` restricted to the datasets changed since ``ref``; the rest are in
    ``report.skipped``."""
    from toolkit.report.findings import make_finding
    from toolkit.validation.validator import validate

    target = Path(path if path is not None else "datasets")
    if not target.exists():
        raise UsageError(f"No existe «{target}».", f"'{target}' does not exist.")
    if target.is_file() and target.suffix.lower() in (".csv", ".tsv", ".txt"):
        raise UsageError(
            "--changed-since funciona con la carpeta del catálogo o de un conjunto de datos, no con un CSV.",
            "--changed-since works with the catalog folder or a dataset folder, not with a CSV.",
        )
    only = options.pop("datasets", None)
    selected, skipped, catalog, orphans = _changes(target, ref)
    # Changed data in a folder without a descriptor, or loose in the catalog folder: reported, never
    # passed over.
    folders = {f.relative_to(catalog.folder).parts[0] for f in orphans if catalog.folder is not None}
    undeclared = [
        f
        for f in undeclared_folders(catalog)
        if (f.code == "dataset-undeclared" and f.dataset in folders)
        or (f.code == "file-undeclared" and f.value in folders)
    ]
    if only:
        check_names(only, sorted({*selected, *skipped, *(f.dataset or "" for f in undeclared)}))
        skipped = sorted(set(skipped) | (set(selected) - set(only)))
        selected = [s for s in selected if s in only]
        undeclared = [f for f in undeclared if f.dataset in only]
    if selected:
        report = validate(target, datasets=selected, **options)
        report.skipped = skipped
        report.extend(undeclared)
        return report
    # No declared dataset changed: a run that checks nothing is never reported as valid, so the
    # whole catalog (or the datasets named with --dataset) is checked instead, and the report says so.
    report = validate(target, datasets=only, **options)
    root = repo_root(target)
    changed = [f.relative_to(root).as_posix() for f in orphans] or changed_files(root, ref)
    listed = ", ".join(changed[:10]) + (f" (+{len(changed) - 10})" if len(changed) > 10 else "")
    report.skipped = sorted(set(skipped) - set(only)) if only else []
    report.extend(
        [
            make_finding(
                "changed-nothing",
                path=display_path(target),
                value=ref,
                detail=f" ({listed})" if listed else "",
                scope="los conjuntos indicados con --dataset" if only else "todo el catálogo",
                scope_en="the datasets given with --dataset" if only else "the whole catalog",
            )
        ]
    )
    return report
