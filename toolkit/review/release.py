"""A new release of each dataset: the semantic version bump its changes call for, and a changelog entry.

Each dataset is compared, with the engine of ``ciudades diff``, against its last release: the git tag
``<slug>-v<version>`` when there is one, else the commit that set the descriptor's current version
(``--since REF`` overrides both). Schema changes make a major release, rows added or removed a minor
one, corrections (and a field only reworded: its title, description or example) a patch. The
new version and the ``modified`` date are written into the descriptor by editing those lines alone
(the rest of the file stays as it was written), and a dated entry in Spanish and English goes at
the top of the dataset's ``CHANGELOG.md``.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from toolkit.catalog.history import CHANGELOG, release_point
from toolkit.catalog.history import version_of as _version_of
from toolkit.catalog.model import DESCRIPTOR_NAMES, display_path
from toolkit.errors import ToolkitError, UsageError
from toolkit.review.diff import DatasetDiff, diff

__all__ = ["BUMPS", "DatasetRelease", "ReleaseResult", "release", "render_release"]

BUMPS = ("major", "minor", "patch")
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_IGNORED_METADATA = ("version", "modified")  # what a release itself writes


@dataclass
class TableChanges:
    name: str
    status: str  # added · removed · renamed · modified
    added: int = 0
    removed: int = 0
    changed: int = 0
    schema: list[str] = field(default_factory=list)  # what changed in its schema or columns
    docs: list[str] = field(default_factory=list)  # fields whose title, description or example only changed


@dataclass
class DatasetRelease:
    slug: str
    folder: str
    status: str  # released · unchanged · no-base
    base: str | None = None  # what it was compared with
    old_version: str | None = None
    new_version: str | None = None
    proposed: str | None = None  # the bump the changes call for
    bump: str | None = None  # the bump applied (``--bump`` or the proposed one)
    metadata: list[str] = field(default_factory=list)
    tables: list[TableChanges] = field(default_factory=list)
    written: list[str] = field(default_factory=list)


@dataclass
class ReleaseResult:
    date: str
    dry_run: bool
    datasets: list[DatasetRelease]

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1} | asdict(self)


# ── what to compare with ─────────────────────────────────────────────────────────────────────────


def _descriptor(folder: Path) -> Path | None:
    for name in DESCRIPTOR_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def _parse(text: str, name: str) -> Any:
    try:
        return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError):
        return None


def _last_release(root: Path, descriptor: Path, slug: str, version: str) -> tuple[str, str] | None:
    """The ref of the last release and how to name it (see :func:`toolkit.catalog.history.release_point`)."""
    return release_point(root, descriptor.resolve().relative_to(root).as_posix(), slug, version)


# ── what changed ─────────────────────────────────────────────────────────────────────────────────


def _tables(d: DatasetDiff) -> list[TableChanges]:
    out = []
    for r in d.resources:
        if r.status == "unchanged":
            continue
        # A field whose only changes are its words (title, description, example) is documented
        # better, not changed: the data read the same, so it calls for a patch, not a major.
        wording = {n for n in r.fields_modified} - {n for n, what, _, _ in r.field_changes if not _doc(what)}
        schema = (
            [f"+{n}" for n in r.fields_added]
            + [f"-{n}" for n in r.fields_removed]
            + [f"{n}: {a} → {b}" for n, a, b in r.fields_retyped]
            + [f"~{n}" for n in r.fields_modified if n not in wording]
            + [name for name, _, _ in r.schema_properties if not _doc(name)]
            + (["primaryKey"] if r.primary_key else [])
            + [f"+{n}" for n in r.columns_added if n not in r.fields_added]
            + [f"-{n}" for n in r.columns_removed if n not in r.fields_removed]
            + [f"{a} → {b}" for a, b in r.columns_renamed]
            + (["order"] if r.columns_reordered else [])
        )
        docs = [f"~{n}" for n in r.fields_modified if n in wording]
        docs += [name for name, _, _ in r.schema_properties if _doc(name)]
        out.append(TableChanges(r.name, r.status, len(r.added), len(r.removed), len(r.changed), schema, docs))
    return out


_WORDING = ("title", "description", "example")


def _doc(prop: str) -> bool:
    """Whether a schema or field property is wording only (``title``, ``description_en``…)."""
    return prop.split("_")[0] in _WORDING


def _proposed(tables: list[TableChanges], metadata: list[str]) -> str | None:
    """Schema changes (a table added, removed or renamed, or its fields) → major; rows added or
    removed → minor; corrections (cells, metadata) → patch; nothing → None."""
    if any(t.schema or t.status in ("added", "removed", "renamed") for t in tables):
        return "major"
    if any(t.added or t.removed for t in tables):
        return "minor"
    if any(t.changed or t.docs for t in tables) or metadata or tables:
        return "patch"
    return None


def _bumped(version: str, bump: str, where: str) -> str:
    match = _SEMVER.match(version)
    if not match:
        raise UsageError(
            f"{where}: la versión «{version}» no tiene la forma MAYOR.MENOR.PARCHE; escribe, por "
            "ejemplo, version: 1.0.0.",
            f"{where}: the version '{version}' is not MAJOR.MINOR.PATCH; write, for example, version: 1.0.0.",
        )
    major, minor, patch = (int(g) for g in match.groups())
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


# ── writing ──────────────────────────────────────────────────────────────────────────────────────

_YAML_LINE = r"^({key}:[ \t]*)(['\"]?)([^'\"\s#]*)\2"


def _set_line(text: str, key: str, value: str, json_file: bool) -> tuple[str, bool]:
    """Replace one top-level property's value in place, keeping its quotes; (text, found)."""
    if json_file:
        pattern = re.compile(rf'("{key}"\s*:\s*)"[^"\n]*"')
        new, n = pattern.subn(lambda m: f'{m.group(1)}"{value}"', text, count=1)
    else:
        pattern = re.compile(_YAML_LINE.format(key=key), re.MULTILINE)
        new, n = pattern.subn(lambda m: f"{m.group(1)}{m.group(2)}{value}{m.group(2)}", text, count=1)
    return new, n == 1


def _edited_descriptor(path: Path, version: str, today: str) -> str:
    """The descriptor's text with the new version and ``modified`` date: only those lines change;
    the result is parsed again and must differ from the original in those two properties alone."""
    where = display_path(path)
    text = path.read_text(encoding="utf-8")
    json_file = path.suffix == ".json"
    new, found = _set_line(text, "version", version, json_file)
    if not found:
        raise UsageError(
            f"{where}: no hay una línea «version: …» de primer nivel que actualizar; agrégala "
            "(por ejemplo, version: 1.0.0).",
            f"{where}: there is no top-level 'version: …' line to update; add one (for example, "
            "version: 1.0.0).",
        )
    new, found = _set_line(new, "modified", today, json_file)
    if not found and not json_file:  # no date yet: it goes right after the version
        new = re.sub(
            r"^(version:.*)$", lambda m: f'{m.group(1)}\nmodified: "{today}"', new, count=1, flags=re.M
        )
    before, after = _parse(text, path.name), _parse(new, path.name)
    expected = dict(before) if isinstance(before, dict) else {}
    expected["version"] = version
    if not json_file or "modified" in expected:
        expected["modified"] = today
    if not isinstance(after, dict) or {k: str(v) if k == "modified" else v for k, v in after.items()} != {
        k: str(v) if k == "modified" else v for k, v in expected.items()
    }:
        raise ToolkitError(
            f"{where}: no se pudo cambiar solo la versión y la fecha sin tocar el resto; edítalas a "
            f"mano (version: {version}, modified: {today}).",
            f"{where}: the version and date could not be changed without touching the rest; edit "
            f"them by hand (version: {version}, modified: {today}).",
        )
    return new


_WORDS: dict[str, dict[str, Any]] = {
    "es": {
        "major": "versión mayor: cambió el esquema",
        "minor": "versión menor: filas agregadas o eliminadas",
        "patch": "parche: correcciones",
        "since": "Cambios desde {base}",
        "table": "Tabla `{name}`",
        "table_added": "nueva",
        "table_removed": "eliminada",
        "table_renamed": "renombrada",
        "table_modified": "modificada",
        "added": ("{n} fila agregada", "{n} filas agregadas"),
        "removed": ("{n} eliminada", "{n} eliminadas"),
        "changed": ("{n} corregida", "{n} corregidas"),
        "no_rows": "sin cambios en las filas",
        "schema": "esquema: {what}",
        "docs": "descripción del esquema: {what}",
        "metadata": "Metadatos: {what}",
        "released": "{slug}: {old} → {new} ({kind}; {how}), comparado con {base}",
        "proposed": "propuesta",
        "forced": "--bump {bump}; los cambios proponían {proposed}",
        "unchanged": "{slug}: sin cambios desde {base}; se deja en {old}",
        "no_base": "{slug}: no hay una versión anterior en git con qué comparar; se deja en {old}",
        "wrote": "  escrito: {files}",
        "would": "  se escribiría: {files}",
        "dry_run": "Simulación (--dry-run): no se escribió nada.",
        "ready": "Listo para confirmar: git add {files} && git commit",
    },
    "en": {
        "major": "major version: the schema changed",
        "minor": "minor version: rows added or removed",
        "patch": "patch: corrections",
        "since": "Changes since {base}",
        "table": "Table `{name}`",
        "table_added": "new",
        "table_removed": "removed",
        "table_renamed": "renamed",
        "table_modified": "modified",
        "added": ("{n} row added", "{n} rows added"),
        "removed": ("{n} removed", "{n} removed"),
        "changed": ("{n} changed", "{n} changed"),
        "no_rows": "no rows changed",
        "schema": "schema: {what}",
        "docs": "schema wording: {what}",
        "metadata": "Metadata: {what}",
        "released": "{slug}: {old} → {new} ({kind}; {how}), compared with {base}",
        "proposed": "proposed",
        "forced": "--bump {bump}; the changes proposed {proposed}",
        "unchanged": "{slug}: no changes since {base}; left at {old}",
        "no_base": "{slug}: no earlier version in git to compare with; left at {old}",
        "wrote": "  wrote: {files}",
        "would": "  would write: {files}",
        "dry_run": "Dry run (--dry-run): nothing was written.",
        "ready": "Ready to commit: git add {files} && git commit",
    },
}


def _counts(t: TableChanges, w: dict[str, Any]) -> str:
    counts = [
        w[kind][0 if n == 1 else 1].format(n=n)
        for kind, n in (("added", t.added), ("removed", t.removed), ("changed", t.changed))
        if n
    ]
    return ", ".join(counts) or w["no_rows"]


def _entry(rel: DatasetRelease, today: str) -> str:
    """The changelog entry: a heading with the version and date, then the changes in es and en."""
    lines = [f"## {rel.new_version} ({today})", ""]
    for lang in ("es", "en"):
        w = _WORDS[lang]
        lines.append(f"**{lang}**: {w[rel.bump or 'patch']}. {w['since'].format(base=rel.base)}.")
        lines.append("")
        for t in rel.tables:
            text = f"- {w['table'].format(name=t.name)} ({w['table_' + t.status]}): {_counts(t, w)}"
            if t.schema:
                text += "; " + w["schema"].format(what=", ".join(t.schema))
            if t.docs:
                text += "; " + w["docs"].format(what=", ".join(t.docs))
            lines.append(text)
        if rel.metadata:
            lines.append("- " + w["metadata"].format(what=", ".join(rel.metadata)))
        lines.append("")
    return "\n".join(lines)


def _changelog(path: Path, entry: str) -> str:
    """The changelog with ``entry`` first, below the file's title (a new file gets one)."""
    if not path.is_file():
        return f"# Changelog\n\n{entry}"
    text = path.read_text(encoding="utf-8")
    match = re.match(r"# .*\n+", text)
    head, rest = (text[: match.end()], text[match.end() :]) if match else ("", text)
    return f"{head}{entry}\n{rest}" if rest else f"{head}{entry}"


# ── the command ──────────────────────────────────────────────────────────────────────────────────


def release(
    path: str | Path = "datasets",
    slugs: list[str] | tuple[str, ...] = (),
    *,
    bump: str | None = None,
    since: str | None = None,
    dry_run: bool = False,
    today: date | None = None,
) -> ReleaseResult:
    """Release every dataset under ``path`` (or those named in ``slugs``) that changed since its
    last release: bump its version, date it, and add the changelog entry. ``dry_run`` writes nothing."""
    from toolkit.review.changes import repo_root, resolve_ref

    if bump is not None and bump not in BUMPS:
        raise UsageError(
            f"--bump: usa major, minor o patch, no «{bump}».",
            f"--bump: use major, minor or patch, not '{bump}'.",
        )
    catalog = Path(path)
    if not catalog.is_dir():
        raise UsageError(f"No existe la carpeta «{catalog}».", f"The folder '{catalog}' does not exist.")
    folders = {p.name: p for p in sorted(catalog.iterdir()) if p.is_dir() and _descriptor(p)}
    unknown = [s for s in slugs if s not in folders]
    if unknown:
        raise UsageError(
            f"No hay un conjunto de datos «{unknown[0]}» en {display_path(catalog)}; "
            f"hay: {', '.join(folders)}.",
            f"There is no dataset '{unknown[0]}' in {display_path(catalog)}; "
            f"there are: {', '.join(folders)}.",
        )
    root = repo_root(catalog)
    since_commit = resolve_ref(root, since) if since else None
    day = (today or date.today()).isoformat()
    out: list[DatasetRelease] = []
    for slug in slugs or list(folders):
        folder = folders[slug]
        descriptor = _descriptor(folder)
        assert descriptor is not None
        version = _version_of(descriptor.read_text(encoding="utf-8"), descriptor.name)
        where = display_path(descriptor)
        if version is None:
            raise UsageError(
                f"{where}: no declara «version»; agrega version: 1.0.0 y confírmalo antes de "
                "publicar versiones.",
                f"{where}: it declares no 'version'; add version: 1.0.0 and commit it before releasing.",
            )
        rel = DatasetRelease(slug, display_path(folder), "unchanged", old_version=version)
        out.append(rel)
        last = (
            (since_commit, since)
            if since_commit and since
            else _last_release(root, descriptor, slug, version)
        )
        if last is None:
            rel.status = "no-base"
            continue
        ref, rel.base = last
        result = diff(ref, None, folder)
        d = next((x for x in result.datasets if x.status != "unchanged"), None)
        if d is None or d.status == "added":
            rel.status = "unchanged" if d is None else "no-base"
            continue
        if d.unreadable:
            raise UsageError(
                f"{where}: no se pudo leer el descriptor ({d.unreadable[0][1]}); "
                "ciudades validate dice por qué.",
                f"{where}: the descriptor could not be read ({d.unreadable[0][1]}); "
                "ciudades validate says why.",
            )
        rel.tables = _tables(d)
        rel.metadata = [m[0] for m in d.metadata if m[0] not in _IGNORED_METADATA]
        rel.proposed = _proposed(rel.tables, rel.metadata)
        if rel.proposed is None:
            continue
        rel.status = "released"
        rel.bump = bump or rel.proposed
        rel.new_version = _bumped(version, rel.bump, where)
        text = _edited_descriptor(descriptor, rel.new_version, day)
        changelog = folder / CHANGELOG
        log = _changelog(changelog, _entry(rel, day))
        rel.written = [display_path(descriptor), display_path(changelog)]
        if not dry_run:
            descriptor.write_text(text, encoding="utf-8")
            changelog.write_text(log, encoding="utf-8")
    return ReleaseResult(day, dry_run, out)


def render_release(result: ReleaseResult, lang: str) -> str:
    """What ``release`` did (or, in a dry run, would do), one dataset per line."""
    w = _WORDS["es" if lang == "es" else "en"]
    out: list[str] = []
    written: list[str] = []
    for r in result.datasets:
        if r.status == "released":
            how = (
                w["proposed"]
                if r.bump == r.proposed
                else w["forced"].format(bump=r.bump, proposed=r.proposed)
            )
            out.append(
                w["released"].format(
                    slug=r.slug, old=r.old_version, new=r.new_version, kind=r.bump, how=how, base=r.base
                )
            )
            for t in r.tables:
                text = f"  {w['table'].format(name=t.name).replace('`', '')} ({w['table_' + t.status]}): "
                text += _counts(t, w)
                text += "; " + w["schema"].format(what=", ".join(t.schema)) if t.schema else ""
                out.append(text + ("; " + w["docs"].format(what=", ".join(t.docs)) if t.docs else ""))
            if r.metadata:
                out.append("  " + w["metadata"].format(what=", ".join(r.metadata)))
            out.append(w["would" if result.dry_run else "wrote"].format(files=", ".join(r.written)))
            written += r.written
        elif r.status == "unchanged":
            out.append(w["unchanged"].format(slug=r.slug, base=r.base, old=r.old_version))
        else:
            out.append(w["no_base"].format(slug=r.slug, old=r.old_version))
    if result.dry_run:
        out.append(w["dry_run"])
    elif written:
        out.append(w["ready"].format(files=" ".join(written)))
    return "\n".join(out) + "\n"
