"""Earlier released versions of each dataset, packaged again from git, and its changelog.

``build`` finds each dataset's earlier versions in the catalog's git history (the release points of
:mod:`toolkit.catalog.history`), exports each into a temporary folder with the schemas of its commit,
checks it with today's checks, and packages it with the same code as the current version into
``descargas/<slug>/<version>/`` (its files, its zip and its ``SHA256SUMS``). A version that no longer
passes the checks is still offered, since it was published, but marked with its number of errors.
Without git, in a shallow clone, or with no earlier version, the site says that only the current
version is available.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from markupsafe import Markup

from toolkit.catalog import structured
from toolkit.catalog.history import CHANGELOG, Entry, GitFailed, changelog, export, history_state, releases
from toolkit.catalog.metadata import DatasetMeta, Download, PreviousVersion
from toolkit.catalog.model import CATALOG_FILE, Catalog, Dataset, load_catalog
from toolkit.errors import ToolkitError
from toolkit.packaging.packages import (
    CHECKSUMS,
    DatasetPackage,
    package_as_published,
    package_dataset,
    sha256_file,
)
from toolkit.site.context import FileDoc, VersionDoc, VersionsDoc, markdown
from toolkit.site.texts import pick, texts

__all__ = ["Earlier", "Versions", "collect", "section", "with_versions"]

_SAFE_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.+_-]*$")


@dataclass(frozen=True)
class Earlier:
    """One earlier version of a dataset, as the site offers it."""

    version: str
    date: str  # its descriptor's ``modified`` date, else the date of its commit
    label: str  # the git tag or the commit it was read from
    downloads: list[Download] = field(default_factory=list)  # the zip first; empty when it failed
    errors: int = 0  # errors today's checks find in it
    problem: tuple[str, str] | None = None  # (es, en) why it could not be packaged
    partial: bool = False  # only its files as published: the derived formats could not be made
    texts: dict[str, str] = field(default_factory=dict)  # its own title, title_en, description…


@dataclass(frozen=True)
class Versions:
    """What the site knows of the datasets' versions."""

    state: str  # ok · no-git · shallow (see toolkit.catalog.history.history_state)
    earlier: dict[str, list[Earlier]] = field(default_factory=dict)
    changelogs: dict[str, list[Entry]] = field(default_factory=dict)


def _read_changelog(ds: Dataset) -> list[Entry]:
    path = ds.folder / CHANGELOG
    return changelog(path.read_text(encoding="utf-8")) if path.is_file() else []


def _schemas_folder(base: Path, base_rel: str) -> str | None:
    """The schemas folder the exported ``catalog.yaml`` names, relative to the repository."""
    try:
        data = structured.read(base / CATALOG_FILE).data
    except (structured.StructuredError, OSError):
        return None
    named = data.get("schemas") if isinstance(data, dict) else None
    if not isinstance(named, str) or "://" in named:
        return None
    parts: list[str] = []
    for part in PurePosixPath(base_rel, named).parts:
        if part == "..":
            if not parts:
                return None  # outside the repository
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or None


def _earlier(
    root: Path, base_rel: str, slug: str, release_ref: str, version: str, work: Path
) -> tuple[Path | None, Catalog | None, int, tuple[str, str] | None, str | None]:
    """Export one earlier version and check it: (package folder parent, catalog, errors, problem, date)."""
    from toolkit.validation.validator import validate_catalog

    tree = work / "tree"
    export(root, release_ref, [base_rel], tree)
    schemas = _schemas_folder(tree / base_rel, base_rel)
    if schemas:
        export(root, release_ref, [schemas], tree)
    try:
        old, findings = load_catalog(tree / base_rel, only=[slug], publishing=True)
    except ToolkitError as ex:
        return None, None, 0, (ex.message_es, ex.message_en), None
    ds = next((d for d in old.datasets if d.slug == slug), None)
    if ds is None or any(r.schema is None for r in ds.resources):
        problem = (
            "no se pudieron leer sus esquemas en esa versión",
            "its schemas could not be read in that version",
        )
        return None, None, 0, problem, None
    report = validate_catalog(old, findings).for_dataset(slug)
    modified = str(ds.descriptor.get("modified") or "")[:10] or None
    return tree, old, len(report.errors), None, modified


def _package(old: Catalog, slug: str, work: Path) -> DatasetPackage:
    """The full package of an earlier version; when its data no longer allow one (a value the
    database's checks now refuse, a table that cannot be read with its schema), its files as they
    were published."""
    try:
        (work / "out").mkdir()
        return package_dataset(old, slug, work / "out")
    except (ToolkitError, ValueError, sqlite3.Error):
        shutil.rmtree(work / "out")
        (work / "out").mkdir()
        return package_as_published(old, slug, work / "out")


def _place(package: Path, zip_path: Path, dest: Path) -> None:
    """Move a package folder's files and its zip into ``dest``; its ``SHA256SUMS`` covers them all."""
    dest.mkdir(parents=True)
    for p in sorted(package.iterdir()):
        shutil.move(str(p), dest / p.name)
    shutil.move(str(zip_path), dest / zip_path.name)
    files = sorted(p for p in dest.iterdir() if p.name != CHECKSUMS)
    (dest / CHECKSUMS).write_text(
        "".join(f"{sha256_file(p)}  {p.name}\n" for p in files), encoding="utf-8", newline="\n"
    )


def collect(catalog: Catalog, downloads: Path, site_root: Path, base_url: str) -> Versions:
    """Package every dataset's earlier versions under ``downloads/<slug>/<version>/`` and read the
    changelogs; nothing earlier when the history cannot be read."""
    changelogs = {ds.slug: _read_changelog(ds) for ds in catalog.datasets}
    folder = catalog.folder or (catalog.datasets[0].folder if catalog.datasets else None)
    if folder is None:
        return Versions("no-git", {}, changelogs)
    root, state = history_state(folder)
    if root is None or state != "ok":
        return Versions(state, {}, changelogs)
    try:
        base_rel = folder.resolve().relative_to(root).as_posix()
    except ValueError:
        return Versions("no-git", {}, changelogs)
    earlier: dict[str, list[Earlier]] = {}
    for ds in sorted(catalog.datasets, key=lambda d: d.slug):
        if ds.descriptor_path is None:
            continue
        rel = ds.descriptor_path.resolve().relative_to(root).as_posix()
        current = str(ds.descriptor.get("version") or "") or None
        try:
            found = releases(root, rel, ds.slug, current)
        except GitFailed:
            found = []
        out = []
        for r in found:
            if not _SAFE_VERSION.match(r.version):
                continue  # not a name a folder can take; the changelog still tells of it
            work = Path(tempfile.mkdtemp(prefix=".versions."))
            try:
                tree, old, errors, problem, modified = _earlier(
                    root, base_rel, ds.slug, r.ref, r.version, work
                )
                files: list[Download] = []
                if old is not None and tree is not None:
                    pkg = _package(old, ds.slug, work)
                    dest = downloads / ds.slug / r.version
                    _place(pkg.folder, pkg.zip.path, dest)
                    files = _downloads(dest, pkg, site_root, base_url)
                partial = any(f.kind == "descriptor" for f in files)
                own = {
                    k: str(v)
                    for k, v in (old.datasets[0].descriptor if old and old.datasets else {}).items()
                    if k in ("title", "title_en", "description", "description_en") and v
                }
                out.append(
                    Earlier(r.version, modified or r.date, r.label, files, errors, problem, partial, own)
                )
            finally:
                shutil.rmtree(work, ignore_errors=True)
        earlier[ds.slug] = out
    return Versions("ok", earlier, changelogs)


def _downloads(dest: Path, pkg: DatasetPackage, site_root: Path, base_url: str) -> list[Download]:
    """The files of an earlier version, now in ``dest``, described for the page and the metadata:
    the zip first, then the package's files as ``package_dataset`` named them."""
    out = []
    for f in [pkg.zip, *pkg.files]:
        p = dest / f.name
        path = p.resolve().relative_to(site_root).as_posix()
        sha = sha256_file(p)  # SHA256SUMS was written again in dest
        out.append(
            Download(f.name, f.kind, f.resource, f.mediatype, p.stat().st_size, sha, path, base_url + path)
        )
    return out


def _notes(entries: list[Entry], version: str) -> dict[str, str]:
    entry = next((e for e in entries if e.version == version), None)
    return {lang: entry.notes(lang) for lang in ("es", "en")} if entry else {}


def with_versions(meta: DatasetMeta, history: Versions) -> DatasetMeta:
    """``meta`` with its changelog notes and the earlier versions the site offers (for DCAT)."""
    entries = history.changelogs.get(meta.slug, [])
    previous = [
        PreviousVersion(
            e.version,
            e.date,
            e.downloads,
            _notes(entries, e.version),
            {"es": e.texts.get("title", ""), "en": e.texts.get("title_en", "")},
            {"es": e.texts.get("description", ""), "en": e.texts.get("description_en", "")},
        )
        for e in history.earlier.get(meta.slug, [])
        if e.downloads
    ]
    return replace(meta, version_notes=_notes(entries, meta.version), previous=previous)


def section(
    meta: DatasetMeta,
    history: Versions,
    files: Callable[[Download], FileDoc],
    lang: str,
) -> VersionsDoc:
    """The Versions section of a dataset page: the current version, then the earlier ones, each with
    its changelog entry; or the sentence saying why only the current version is offered."""
    t = texts(lang)
    entries = history.changelogs.get(meta.slug, [])

    def notes(version: str) -> Markup | None:
        entry = next((e for e in entries if e.version == version), None)
        return markdown(entry.notes(lang)) if entry else None

    current = [files(f) for f in meta.downloads if f.kind in ("zip", "checksums") and f.resource is None]
    items = [
        VersionDoc(
            meta.version,
            f"version-{meta.version}",
            meta.modified,
            True,
            "",
            current,
            None,
            notes(meta.version),
        )
    ]
    for e in history.earlier.get(meta.slug, []):
        warning = None
        if e.problem:
            warning = t["versions_failed"].format(why=pick(e.problem, lang))
        elif e.errors:
            count = t["badge_error"] if e.errors == 1 else t["badge_errors"].format(n=e.errors)
            warning = t["versions_invalid"].format(n=count)
            if e.partial:
                warning += " " + t["versions_partial"]
        items.append(
            VersionDoc(
                e.version,
                f"version-{e.version}",
                e.date,
                False,
                t["versions_from"].format(label=e.label),
                [files(f) for f in e.downloads],
                warning,
                notes(e.version),
            )
        )
    only = None
    if len(items) == 1:
        state = history.state if history.state in ("no-git", "shallow") else "first"
        only = t[f"versions_only_{state.replace('-', '_')}"]
    shown = {i.version for i in items}
    other = [(e.heading, markdown(e.notes(lang))) for e in entries if e.version not in shown]
    return VersionsDoc(items, only, other)
