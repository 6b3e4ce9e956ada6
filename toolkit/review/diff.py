"""What a change does to the data, for review: rows, cells, schemas and metadata.

Rows added, removed and changed (matched by primary key), cells as old → new, and changes to
schemas and metadata.

Both sides are file trees: a git ref (read with ``git show``), a folder (the working tree, or any
catalog folder) or a package zip (``<slug>-<version>/datapackage.json`` and its CSVs). Data packages
are found by their descriptor; schemas named by a slug are read from the catalog's ``schemas/``.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from toolkit.catalog.model import CATALOG_FILE, DESCRIPTOR_NAMES, SLUG, display_path
from toolkit.errors import UsageError
from toolkit.errors import shown as _shown
from toolkit.packaging.safezip import MAX_FILE_BYTES, read_zip

__all__ = ["DatasetDiff", "DiffResult", "ResourceDiff", "diff", "render_diff"]


# ── trees ────────────────────────────────────────────────────────────────────────────────────────


class Tree:
    """Files of one side of the comparison, by relative POSIX path."""

    label: str

    def files(self) -> list[str]:
        raise NotImplementedError

    def read(self, rel: str) -> bytes | None:
        raise NotImplementedError


class FolderTree(Tree):
    def __init__(self, root: Path, label: str | None = None, under: str = "") -> None:
        self.root = root.resolve()
        self.under = under
        self.label = label or display_path(root)

    def files(self) -> list[str]:
        base = self.root / self.under if self.under else self.root
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(self.root).parts
        )

    def read(self, rel: str) -> bytes | None:
        path = self.root / rel
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        return path.read_bytes()


class GitTree(Tree):
    def __init__(self, root: Path, ref: str, label: str, under: str = "") -> None:
        self.root, self.ref, self.label, self.under = root, ref, label, under

    def files(self) -> list[str]:
        from toolkit.review.changes import list_files

        return list_files(self.root, self.ref, self.under)

    def read(self, rel: str) -> bytes | None:
        from toolkit.review.changes import show

        return show(self.root, self.ref, rel)


class ZipTree(Tree):
    def __init__(self, path: Path) -> None:
        self.label = display_path(path)
        self._data = {
            name: data
            for name, data in read_zip(path, self.label).items()
            if not name.startswith(("/", "../"))
        }

    def files(self) -> list[str]:
        return sorted(self._data)

    def read(self, rel: str) -> bytes | None:
        return self._data.get(rel)


# ── loading one side ─────────────────────────────────────────────────────────────────────────────


@dataclass
class _Table:
    header: list[str]
    rows: list[list[str]]


@dataclass
class _Resource:
    name: str
    folder: str  # the dataset's
    path: str | None
    schema: dict[str, Any] | None
    table: _Table | None
    descriptor: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Package:
    slug: str
    folder: str
    descriptor: dict[str, Any]
    resources: dict[str, _Resource]
    unreadable: str | None = None  # the descriptor's path, when it is no YAML/JSON object
    raw: bytes = b""


def _parse(data: bytes, rel: str) -> Any:
    text = data.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text) if rel.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError):
        return None


def _csv(data: bytes) -> _Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if "," not in first and ";" in first else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return _Table(rows[0] if rows else [], rows[1:])


def _join(folder: str, ref: str) -> str:
    return posixpath.normpath(posixpath.join(folder, ref)) if folder else posixpath.normpath(ref)


def _schema(tree: Tree, folder: str, ref: Any, cache: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(ref, dict):
        return ref
    if not isinstance(ref, str) or not ref:
        return None
    if SLUG.match(ref.replace("_", "-")) and "." not in ref:
        parent = posixpath.dirname(folder)
        schemas = "../schemas"
        catalog = tree.read(_join(parent, CATALOG_FILE))
        if catalog is not None:
            meta = _parse(catalog, CATALOG_FILE)
            if isinstance(meta, dict) and isinstance(meta.get("schemas"), str):
                schemas = meta["schemas"]
        candidates = [_join(_join(parent, schemas), f"{ref}.schema.{ext}") for ext in ("yaml", "yml", "json")]
    else:
        candidates = [_join(folder, ref)]
    for rel in candidates:
        if rel not in cache:
            data = tree.read(rel)
            cache[rel] = _parse(data, rel) if data is not None else None
        if isinstance(cache[rel], dict):
            return dict(cache[rel])
    return None


def _packages(tree: Tree, under: str) -> dict[str, _Package]:
    out: dict[str, _Package] = {}
    cache: dict[str, Any] = {}
    prefix = under.strip("/") + "/" if under.strip("/.") else ""
    for rel in tree.files():
        if posixpath.basename(rel) not in DESCRIPTOR_NAMES or not rel.startswith(prefix):
            continue
        data = tree.read(rel)
        descriptor = _parse(data, rel) if data is not None else None
        folder = posixpath.dirname(rel)
        if not isinstance(descriptor, dict):
            # a broken descriptor is no dataset removed: the folder stays, its tables unread
            slug = posixpath.basename(folder) or "package"
            out[slug] = _Package(slug, folder, {}, {}, unreadable=rel, raw=data or b"")
            continue
        name = descriptor.get("name")
        slug = name if isinstance(name, str) and name else posixpath.basename(folder) or "package"
        if slug in out:  # a copied folder whose name was not changed: known by its folder instead
            slug = posixpath.basename(folder) if posixpath.basename(folder) not in out else folder
        resources: dict[str, _Resource] = {}
        listed = descriptor.get("resources")
        for res in listed if isinstance(listed, list) else []:
            if not isinstance(res, dict) or not res.get("name"):
                continue
            path = res.get("path") if isinstance(res.get("path"), str) else None
            raw = tree.read(_join(folder, path)) if path else None
            resources[str(res["name"])] = _Resource(
                str(res["name"]),
                folder,
                _join(folder, path) if path else None,
                _schema(tree, folder, res.get("schema"), cache),
                _csv(raw) if raw is not None else None,
                res,
            )
        out[slug] = _Package(slug, folder, descriptor, resources)
    return out


# ── comparing ────────────────────────────────────────────────────────────────────────────────────


@dataclass
class RowChange:
    key: str
    cells: list[tuple[str, str, str]]  # field, old, new


@dataclass
class ResourceDiff:
    name: str
    status: str  # added · removed · renamed · modified · unchanged
    path: str | None
    key: list[str] = field(default_factory=list)
    rows_base: int = 0
    rows_head: int = 0
    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    changed: list[RowChange] = field(default_factory=list)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_retyped: list[tuple[str, str, str]] = field(default_factory=list)
    fields_modified: list[str] = field(default_factory=list)
    field_changes: list[tuple[str, str, str | None, str | None]] = field(default_factory=list)  # field, what
    schema_properties: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # foreignKeys…
    metadata: list[tuple[str, str | None, str | None]] = field(default_factory=list)  # title, format…
    primary_key: tuple[list[str], list[str]] | None = None
    renamed_from: str | None = None  # the resource's name in the base, when it was renamed
    moved: tuple[str | None, str | None] | None = None  # the file's path, base → head, when it moved
    columns_added: list[str] = field(default_factory=list)  # in the CSV header
    columns_removed: list[str] = field(default_factory=list)
    columns_renamed: list[tuple[str, str]] = field(default_factory=list)  # same values, another name
    columns_reordered: bool = False
    key_unusable: list[str] = field(default_factory=list)  # a declared key missing from one version
    missing: list[tuple[str, str]] = field(default_factory=list)  # (base|head, a declared file not there)

    @property
    def schema_changed(self) -> bool:
        return bool(
            self.fields_added
            or self.fields_removed
            or self.fields_retyped
            or self.fields_modified
            or self.schema_properties
            or self.primary_key
        )

    @property
    def columns_changed(self) -> bool:
        return bool(
            self.columns_added or self.columns_removed or self.columns_renamed or self.columns_reordered
        )


@dataclass
class DatasetDiff:
    slug: str
    status: str  # added · removed · renamed · modified · unchanged
    version: tuple[str | None, str | None] | None = None
    metadata: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    resources: list[ResourceDiff] = field(default_factory=list)
    renamed_from: str | None = None  # the dataset's name in the base, when it was renamed
    moved: tuple[str, str] | None = None  # the dataset's folder, base → head, when it moved
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (base|head, descriptor path)


@dataclass
class DiffResult:
    base: str
    head: str
    datasets: list[DatasetDiff]
    base_empty: bool = False  # no dataset at all in the base (a new catalog, or a first dataset)
    head_empty: bool = False

    @property
    def changed(self) -> bool:
        return any(d.status != "unchanged" for d in self.datasets)

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "base": self.base, "head": self.head, "changed": self.changed} | {
            "base_empty": self.base_empty,
            "head_empty": self.head_empty,
            "datasets": [asdict(d) for d in self.datasets],
        }


def _short(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (date, datetime)):  # YAML reads an unquoted 2026-11-25 as a date
        return value.isoformat()
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    )
    return text if len(text) <= 80 else text[:79] + "…"


def _fields(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    listed = (schema or {}).get("fields")
    return {
        f["name"]: f
        for f in (listed if isinstance(listed, list) else [])
        if isinstance(f, dict) and isinstance(f.get("name"), str) and f["name"]
    }


def _primary_key(schema: dict[str, Any] | None) -> list[str]:
    key = (schema or {}).get("primaryKey") or []
    if isinstance(key, str):
        return [key]
    return [str(k) for k in key] if isinstance(key, list) else []


def _records(table: _Table) -> list[dict[str, str]]:
    return [{h: (row[j] if j < len(row) else "") for j, h in enumerate(table.header)} for row in table.rows]


def _keyed(records: list[dict[str, str]], key: list[str], columns: list[str]) -> dict[str, dict[str, str]]:
    """Rows by their key (the primary key's cells), or by their cells in ``columns`` when there is no
    key (whole rows, over the columns both versions share)."""
    out: dict[str, dict[str, str]] = {}
    for record in records:
        if key:
            label = " · ".join(record.get(k, "") for k in key)
        else:
            # no column in common (a table rewritten): whole rows never match, rather than by position
            label = ",".join(record.get(c, "") for c in columns) if columns else ",".join(record.values())
        name, n = label, 2
        while name in out:  # a repeated key (or identical rows) stays visible as its own row
            name = f"{label} #{n}"
            n += 1
        out[name] = record
    return out


def _usable(key: list[str], *tables: _Table) -> bool:
    """A key can match rows when every version that has a header has all its columns."""
    return bool(key) and all(not t.header or all(k in t.header for k in key) for t in tables)


def _overlap(a: _Table | None, b: _Table | None) -> float:
    """The share of rows two tables have in common (identical rows), 0 to 1."""
    if a is None or b is None or not (a.rows or b.rows):
        return 0.0
    left: dict[tuple[str, ...], int] = {}
    for row in a.rows:
        left[tuple(row)] = left.get(tuple(row), 0) + 1
    same = 0
    for row in b.rows:
        if left.get(tuple(row), 0) > 0:
            left[tuple(row)] -= 1
            same += 1
    return same / max(len(a.rows), len(b.rows))


_RENAMED = 0.5  # as git's rename detection: at least half the content is the same


def _pairs(gone: dict[str, Any], new: dict[str, Any], score: Callable[[Any, Any], float]) -> dict[str, str]:
    """Renames: each new item paired with the gone item it most resembles (new name → old name)."""
    ranked = sorted(
        ((score(gone[g], new[n]), g, n) for g in gone for n in new), key=lambda t: (-t[0], t[1], t[2])
    )
    out: dict[str, str] = {}
    for value, g, n in ranked:
        if value >= _RENAMED and n not in out and g not in out.values():
            out[n] = g
    return out


def _resource_score(old: _Resource, new: _Resource) -> float:
    if old.path is not None and old.path == new.path:
        return 1.0
    return _overlap(old.table, new.table)


def _package_score(old: _Package, new: _Package) -> float:
    if old.folder == new.folder:
        return 1.0
    names = [n for n in new.resources if n in old.resources]
    same = sum(
        _overlap(old.resources[n].table, new.resources[n].table)
        * max(len(t.rows) for t in (old.resources[n].table, new.resources[n].table) if t is not None)
        for n in names
        if old.resources[n].table is not None or new.resources[n].table is not None
    )
    total = max(
        sum(len(r.table.rows) for r in p.resources.values() if r.table is not None) for p in (old, new)
    )
    return same / total if total else 0.0


def _compare_columns(
    rd: ResourceDiff, base: _Table, head: _Table, matched: list[tuple[dict[str, str], dict[str, str]]]
) -> None:
    if not base.header or not head.header or base.header == head.header:
        return
    removed = [c for c in base.header if c not in head.header]
    added = [c for c in head.header if c not in base.header]
    for old in list(removed):
        for new in list(added):
            # a column renamed: another name, the same values in every row matched
            if any(b.get(old) for b, _ in matched) and all(
                b.get(old, "") == h.get(new, "") for b, h in matched
            ):
                rd.columns_renamed.append((old, new))
                removed.remove(old)
                added.remove(new)
                break
    rd.columns_added, rd.columns_removed = added, removed
    common = [c for c in head.header if c in base.header]
    rd.columns_reordered = common != [c for c in base.header if c in head.header]


def _compare_resource(name: str, old: _Resource | None, new: _Resource | None) -> ResourceDiff:
    current = new or old
    assert current is not None
    status = "added" if old is None else "removed" if new is None else "unchanged"
    rd = ResourceDiff(name, status, current.path)
    if old is not None and new is not None:
        if old.name != new.name:
            rd.renamed_from = old.name
        if _relative(old) != _relative(new):  # within its dataset's folder, wherever that folder is
            rd.moved = (old.path, new.path)
        rd.metadata = _properties(old.descriptor, new.descriptor, skip=("name", "path", "schema"))
    old_fields, new_fields = _fields(old.schema if old else None), _fields(new.schema if new else None)
    if old is not None and new is not None and old.schema is not None and new.schema is not None:
        rd.fields_added = [n for n in new_fields if n not in old_fields]
        rd.fields_removed = [n for n in old_fields if n not in new_fields]
        for n in new_fields:
            if n in old_fields:
                a, b = old_fields[n].get("type", "string"), new_fields[n].get("type", "string")
                if a != b:
                    rd.fields_retyped.append((n, a, b))
                changes = _properties(old_fields[n], new_fields[n], skip=("name", "type"))
                if changes:
                    rd.fields_modified.append(n)
                    rd.field_changes += [(n, what, x, y) for what, x, y in changes]
        rd.schema_properties = _properties(old.schema, new.schema, skip=("fields", "primaryKey"))
        pk_old, pk_new = _primary_key(old.schema), _primary_key(new.schema)
        if pk_old != pk_new:
            rd.primary_key = (pk_old, pk_new)
    rd.missing = [
        (side, r.path) for side, r in (("base", old), ("head", new)) if r and r.path and r.table is None
    ]
    base_table = old.table if old and old.table else _Table([], [])
    head_table = new.table if new and new.table else _Table([], [])
    rd.rows_base, rd.rows_head = len(base_table.rows), len(head_table.rows)
    declared = [_primary_key(new.schema if new else None), _primary_key(old.schema if old else None)]
    # the head's key first; after a key change, the base's key if only that one is in both versions
    key = next((k for k in declared if _usable(k, base_table, head_table)), [])
    rd.key = key
    if not key and any(declared):
        rd.key_unusable = next(k for k in declared if k)
    common = [c for c in head_table.header if c in base_table.header]
    base_records, head_records = _records(base_table), _records(head_table)
    base_rows, head_rows = _keyed(base_records, key, common), _keyed(head_records, key, common)
    rd.added = [r for k, r in head_rows.items() if k not in base_rows]
    rd.removed = [r for k, r in base_rows.items() if k not in head_rows]
    matched = [(base_rows[k], row) for k, row in head_rows.items() if k in base_rows]
    _compare_columns(rd, base_table, head_table, matched)
    # cells of the columns both versions have (a column added or removed is told once, not per row)
    columns = [(c, c) for c in common] + rd.columns_renamed
    for k, row in head_rows.items():
        before = base_rows.get(k)
        if before is None:
            continue
        cells = [
            (n, before.get(o, ""), row.get(n, "")) for o, n in columns if before.get(o, "") != row.get(n, "")
        ]
        if cells:
            rd.changed.append(RowChange(k, cells))
    if status == "unchanged":
        if rd.renamed_from:
            rd.status = "renamed"
        elif (
            rd.added
            or rd.removed
            or rd.changed
            or rd.schema_changed
            or rd.columns_changed
            or rd.moved
            or rd.metadata
            or rd.missing
            or base_table.header != head_table.header
        ):
            rd.status = "modified"
    return rd


def _properties(
    old: dict[str, Any], new: dict[str, Any], skip: tuple[str, ...] = (), prefix: str = ""
) -> list[tuple[str, str | None, str | None]]:
    """What differs between two descriptors, property by property (``constraints.required``)."""
    out: list[tuple[str, str | None, str | None]] = []
    for key in sorted({str(k) for k in (*old, *new)} - set(skip)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and not prefix:
            out += _properties(a, b, prefix=f"{key}.")
        else:
            out.append((prefix + key, _short(a), _short(b)))
    return out


def _relative(resource: _Resource) -> str | None:
    return posixpath.relpath(resource.path, resource.folder) if resource.path else None


def _compare_package(slug: str, old: _Package | None, new: _Package | None, moves: bool) -> DatasetDiff:
    status = "added" if old is None else "removed" if new is None else "unchanged"
    dd = DatasetDiff(slug, status)
    a = old.descriptor if old else {}
    b = new.descriptor if new else {}
    old_resources = dict(old.resources) if old else {}
    new_resources = dict(new.resources) if new else {}
    dd.unreadable = [(side, p.unreadable) for side, p in (("base", old), ("head", new)) if p and p.unreadable]
    if dd.unreadable:  # nothing to compare but the descriptor's bytes
        if status == "unchanged" and (old and old.raw) != (new and new.raw):
            dd.status = "modified"
        return dd
    if old is not None and new is not None:
        if old.slug != new.slug:
            dd.renamed_from = old.slug
        if moves and old.folder != new.folder:
            dd.moved = (old.folder, new.folder)
        for key in sorted((set(a) | set(b)) - {"resources", "name"}):
            if a.get(key) != b.get(key):
                dd.metadata.append((key, _short(a.get(key)), _short(b.get(key))))
        if a.get("version") != b.get("version"):
            dd.version = (_short(a.get("version")), _short(b.get("version")))
    renamed = _pairs(
        {n: r for n, r in old_resources.items() if n not in new_resources},
        {n: r for n, r in new_resources.items() if n not in old_resources},
        _resource_score,
    )
    for name, resource in new_resources.items():
        dd.resources.append(_compare_resource(name, old_resources.get(renamed.get(name, name)), resource))
    for name, resource in old_resources.items():
        if name not in new_resources and name not in renamed.values():
            dd.resources.append(_compare_resource(name, resource, None))
    if status == "unchanged":
        if dd.renamed_from:
            dd.status = "renamed"
        elif dd.metadata or dd.moved or any(r.status != "unchanged" for r in dd.resources):
            dd.status = "modified"
    return dd


def _compare(base: dict[str, _Package], head: dict[str, _Package], moves: bool = True) -> list[DatasetDiff]:
    """Datasets matched by name, then renames by content; ``moves``: whether both sides' folders are
    paths in one tree (two git refs, two folders), not the versioned folders of two zips."""
    renamed = _pairs(
        {s: p for s, p in base.items() if s not in head},
        {s: p for s, p in head.items() if s not in base},
        _package_score,
    )
    out = []
    for slug, new in head.items():
        old = base.get(renamed.get(slug, slug))
        out.append(_compare_package(old.slug if new.unreadable and old else slug, old, new, moves))
    out += [
        _compare_package(slug, old, None, moves)
        for slug, old in base.items()
        if slug not in head and slug not in renamed.values()
    ]
    return sorted(out, key=lambda d: d.slug)


def _is_side(value: str | None) -> bool:
    return value is not None and Path(value).exists() and (Path(value).is_dir() or value.endswith(".zip"))


def _side(value: str) -> Tree:
    path = Path(value)
    return ZipTree(path) if path.is_file() else FolderTree(path)


def diff(base: str | None = None, head: str | None = None, path: str | Path | None = None) -> DiffResult:
    """Compare two versions of a catalog.

    ``base`` and ``head`` are git refs (default: where the branch left main, against the working
    tree), or two folders, or two package zips. ``path`` limits a git comparison to a catalog folder
    (default ``datasets/``).
    """
    from toolkit.review.changes import main_merge_base, repo_root, resolve_ref

    if _is_side(base) or _is_side(head):
        if not (_is_side(base) and _is_side(head)):
            raise UsageError(
                "Para comparar carpetas o zips, indica los dos: --base CARPETA_O_ZIP --head CARPETA_O_ZIP.",
                "To compare folders or zips, give both: --base FOLDER_OR_ZIP --head FOLDER_OR_ZIP.",
            )
        assert base is not None and head is not None
        left, right = _side(base), _side(head)
        zips = isinstance(left, ZipTree) or isinstance(right, ZipTree)
        return _result(left.label, right.label, _packages(left, ""), _packages(right, ""), moves=not zips)
    target = Path(path) if path is not None else Path("datasets")
    if not target.exists():
        raise UsageError(f"No existe «{target}».", f"'{target}' does not exist.")
    root = repo_root(target)
    under = target.resolve().relative_to(root).as_posix()
    under = "" if under == "." else under
    if base:
        base_commit = resolve_ref(root, base)
        base_label = f"{base} ({base_commit[:7]})"
    else:
        branch, base_commit = main_merge_base(root)
        base_label = f"merge-base {branch} ({base_commit[:7]})"
    old_tree: Tree = GitTree(root, base_commit, base_label, under)
    if head:
        head_commit = resolve_ref(root, head)
        new_tree: Tree = GitTree(root, head_commit, f"{head} ({head_commit[:7]})", under)
    else:
        new_tree = FolderTree(root, "working tree", under)
    return _result(old_tree.label, new_tree.label, _packages(old_tree, under), _packages(new_tree, under))


def _result(
    base: str, head: str, old: dict[str, _Package], new: dict[str, _Package], moves: bool = True
) -> DiffResult:
    return DiffResult(base, head, _compare(old, new, moves), base_empty=not old, head_empty=not new)


# ── rendering ────────────────────────────────────────────────────────────────────────────────────

_WORDS: dict[str, dict[str, Any]] = {
    "es": {
        "title": "Cambios en los datos",
        "between": "de {base} a {head}",
        "none": "Sin cambios en los datos.",
        "added": "agregado",
        "removed": "eliminado",
        "modified": "modificado",
        "unchanged": "sin cambios",
        "dataset": "Conjunto de datos",
        "table": "Tabla",
        "rows": "filas en total: {a} → {b}",
        "n_added": ("{n} fila agregada", "{n} filas agregadas"),
        "n_removed": ("{n} eliminada", "{n} eliminadas"),
        "n_changed": ("{n} modificada", "{n} modificadas"),
        "table_added": "nueva",
        "table_removed": "eliminada",
        "table_modified": "modificada",
        "rows_added": "Filas agregadas",
        "rows_removed": "Filas eliminadas",
        "rows_changed": "Filas modificadas",
        "more": "… y {n} más",
        "version": "Versión",
        "metadata": "Metadatos",
        "fields_added": "Campos agregados",
        "fields_removed": "Campos eliminados",
        "fields_retyped": "Campos con otro tipo",
        "fields_modified": "Campos con otra definición",
        "schema_properties": "Otras propiedades del esquema",
        "primary_key": "Clave primaria",
        "key": "clave",
        "field": "campo",
        "before": "antes",
        "after": "después",
        "working tree": "los archivos actuales",
        "renamed": "renombrado",
        "n_rows_removed": ("{n} fila eliminada", "{n} filas eliminadas"),
        "missing_base": "El archivo {path} no existe en la versión base.",
        "missing_head": (
            "El archivo {path} no existe en la versión nueva: sus filas se cuentan como eliminadas."
        ),
        "unreadable_base": "No se pudo leer {path} en la versión base: sus tablas no se comparan.",
        "unreadable_head": (
            "No se pudo leer {path} en la versión nueva (ciudades validate dice por qué): "
            "sus tablas no se comparan."
        ),
        "table_renamed": "renombrada",
        "was": "antes {name}",
        "moved_folder": "Carpeta: {a} → {b}",
        "moved_file": "Archivo: {a} → {b}",
        "columns_added": "Columnas agregadas",
        "columns_removed": "Columnas eliminadas",
        "columns_renamed": "Columnas renombradas",
        "columns_reordered": "Las columnas cambiaron de orden",
        "none_key": "(ninguna)",
        "compared_by": "filas comparadas por {key}",
        "compared_whole": "filas comparadas completas, sin clave",
        "key_unusable": "La clave {key} no está en las dos versiones: filas comparadas completas",
        "base_empty": "La versión base no tiene conjuntos de datos: todo lo que sigue es nuevo.",
        "head_empty": "La versión nueva no tiene conjuntos de datos: todos se eliminaron.",
    },
    "en": {
        "title": "Changes to the data",
        "between": "from {base} to {head}",
        "none": "No changes to the data.",
        "added": "added",
        "removed": "removed",
        "modified": "modified",
        "unchanged": "unchanged",
        "dataset": "Dataset",
        "table": "Table",
        "rows": "rows in all: {a} → {b}",
        "n_added": ("{n} row added", "{n} rows added"),
        "n_removed": ("{n} removed", "{n} removed"),
        "n_changed": ("{n} changed", "{n} changed"),
        "table_added": "new",
        "table_removed": "removed",
        "table_modified": "modified",
        "rows_added": "Rows added",
        "rows_removed": "Rows removed",
        "rows_changed": "Rows changed",
        "more": "… and {n} more",
        "version": "Version",
        "metadata": "Metadata",
        "fields_added": "Fields added",
        "fields_removed": "Fields removed",
        "fields_retyped": "Fields retyped",
        "fields_modified": "Fields redefined",
        "schema_properties": "Other schema properties",
        "primary_key": "Primary key",
        "key": "key",
        "field": "field",
        "before": "before",
        "after": "after",
        "working tree": "the current files",
        "renamed": "renamed",
        "n_rows_removed": ("{n} row removed", "{n} rows removed"),
        "missing_base": "The file {path} does not exist in the base version.",
        "missing_head": "The file {path} does not exist in the new version: its rows count as removed.",
        "unreadable_base": "{path} could not be read in the base version: its tables are not compared.",
        "unreadable_head": (
            "{path} could not be read in the new version (ciudades validate says why): "
            "its tables are not compared."
        ),
        "table_renamed": "renamed",
        "was": "was {name}",
        "moved_folder": "Folder: {a} → {b}",
        "moved_file": "File: {a} → {b}",
        "columns_added": "Columns added",
        "columns_removed": "Columns removed",
        "columns_renamed": "Columns renamed",
        "columns_reordered": "The columns changed order",
        "none_key": "(none)",
        "compared_by": "rows compared by {key}",
        "compared_whole": "rows compared whole, without a key",
        "key_unusable": "The key {key} is not in both versions: rows compared whole",
        "base_empty": "The base version has no datasets: everything below is new.",
        "head_empty": "The new version has no datasets: all of them were removed.",
    },
}


def _row_text(row: dict[str, str], key: list[str], limit: int = 160) -> str:
    head = " · ".join(row.get(k, "") for k in key) if key else ""
    rest = "; ".join(f"{k}={v}" for k, v in row.items() if v and k not in key)
    text = f"{head}: {rest}" if head else rest
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _change(what: str, old: str | None, new: str | None, limit: int = 40) -> str:
    """A property changed: with its values when they are short, by its name alone when not."""
    if len(old or "") > limit or len(new or "") > limit:
        return what
    return f"{what}: {old if old is not None else '-'} → {new if new is not None else '-'}"


def _cell(value: str, limit: int = 80) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _md(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    for ch in "|*`[]":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def render_diff(result: DiffResult, lang: str, fmt: str = "text", *, first: int = 10) -> str:
    """The diff as ``text``, ``markdown`` or ``json``; long lists show their first ``first`` rows.
    Cells, names and keys come from untrusted files: each line's control characters are escaped."""
    if fmt == "json":
        return json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    w = _WORDS["es" if lang == "es" else "en"]
    md = fmt == "markdown"

    def q(text: str) -> str:
        return f"«{text}»" if lang == "es" else f"'{text}'"

    esc = _md if md else (lambda s: s)
    out: list[str] = []
    between = w["between"].format(base=w.get(result.base, result.base), head=w.get(result.head, result.head))
    out.append(f"## {w['title']}: {esc(between)}" if md else f"{w['title']}: {between}")
    changed = [d for d in result.datasets if d.status != "unchanged"]
    if not changed:
        out += ["", w["none"]]
        return "\n".join(map(_shown, out)) + "\n"
    if result.base_empty or result.head_empty:
        out += ["", w["base_empty" if result.base_empty else "head_empty"]]

    def listed(names: list[str]) -> str:
        return ", ".join(esc(n) for n in names) or w["none_key"]

    for d in changed:
        state = w[d.status] + (f"; {w['was'].format(name=d.renamed_from)}" if d.renamed_from else "")
        out += ["", f"### {w['dataset']} `{d.slug}` ({esc(state)})" if md else f"{d.slug} ({state})"]
        bullet = "- " if md else "  "
        if d.moved:
            out.append(bullet + esc(w["moved_folder"].format(a=d.moved[0] or ".", b=d.moved[1] or ".")))
        for side, where in d.unreadable:
            out.append(bullet + esc(w[f"unreadable_{side}"].format(path=where)))
        if d.version:
            out.append(f"{bullet}{w['version']}: {d.version[0]} → {d.version[1]}")
        other = [m for m in d.metadata if m[0] != "version"]
        if other:
            shown = ", ".join(f"`{k}`" if md else k for k, _, _ in other)
            out.append(f"{bullet}{w['metadata']}: {shown}")
        for r in d.resources:
            if r.status == "unchanged":
                continue
            kinds: tuple[tuple[str, int], ...] = (
                ("added", len(r.added)),
                ("removed", len(r.removed)),
                ("changed", len(r.changed)),
            )
            if r.status in ("added", "removed"):  # a new table is its rows added; a removed one, removed
                kinds = tuple(k for k in kinds if k[0] == r.status)
            counts = ", ".join(w[f"n_{kind}"][0 if n == 1 else 1].format(n=n) for kind, n in kinds)
            if r.status == "removed":
                counts = w["n_rows_removed"][0 if len(r.removed) == 1 else 1].format(n=len(r.removed))
            counts += "; " + w["rows"].format(a=r.rows_base, b=r.rows_head)
            title = f"{w['table']} `{r.name}`" if md else f"{w['table']} {r.name}"
            state = w[f"table_{r.status}"]
            if r.renamed_from:
                state += f"; {w['was'].format(name=r.renamed_from)}"
            out += ["", f"#### {title} ({esc(state)}): {counts}" if md else f"  {title} ({state}): {counts}"]
            ind = "- " if md else "    "
            if r.moved:
                out.append(ind + esc(w["moved_file"].format(a=r.moved[0] or "-", b=r.moved[1] or "-")))
            if r.metadata:
                out.append(f"{ind}{w['metadata']}: {esc(', '.join(m[0] for m in r.metadata))}")
            for side, where in r.missing:
                out.append(ind + esc(w[f"missing_{side}"].format(path=where)))
            if r.columns_added:
                out.append(f"{ind}{w['columns_added']}: {listed(r.columns_added)}")
            if r.columns_removed:
                out.append(f"{ind}{w['columns_removed']}: {listed(r.columns_removed)}")
            if r.columns_renamed:
                out.append(
                    f"{ind}{w['columns_renamed']}: "
                    + ", ".join(esc(f"{a} → {b}") for a, b in r.columns_renamed)
                )
            if r.columns_reordered:
                out.append(f"{ind}{w['columns_reordered']}")
            if r.fields_added:
                out.append(f"{ind}{w['fields_added']}: {', '.join(r.fields_added)}")
            if r.fields_removed:
                out.append(f"{ind}{w['fields_removed']}: {', '.join(r.fields_removed)}")
            if r.fields_retyped:
                retyped = ", ".join(f"{n} ({a} → {b})" for n, a, b in r.fields_retyped)
                out.append(f"{ind}{w['fields_retyped']}: {retyped}")
            if r.fields_modified:
                shown = ", ".join(
                    f"{n} ({'; '.join(_change(*c[1:]) for c in r.field_changes if c[0] == n)})"
                    for n in r.fields_modified
                )
                out.append(f"{ind}{w['fields_modified']}: {esc(shown)}")
            if r.schema_properties:
                shown = "; ".join(_change(*c) for c in r.schema_properties)
                out.append(f"{ind}{w['schema_properties']}: {esc(shown)}")
            if r.primary_key:
                how = w["compared_by"].format(key=listed(r.key)) if r.key else w["compared_whole"]
                pk = f"{listed(r.primary_key[0])} → {listed(r.primary_key[1])}"
                out.append(f"{ind}{w['primary_key']}: {pk}; {how}")
            elif r.key_unusable and r.status == "modified":
                out.append(ind + w["key_unusable"].format(key=listed(r.key_unusable)))
            for label, rows in (("rows_added", r.added), ("rows_removed", r.removed)):
                if not rows:
                    continue
                out.append(f"{ind}{w[label]} ({len(rows)}):")
                for row in rows[:first]:
                    out.append(("  - " if md else "      ") + esc(_row_text(row, r.key)))
                if len(rows) > first:
                    out.append(("  - " if md else "      ") + w["more"].format(n=len(rows) - first))
            if r.changed:
                out.append(f"{ind}{w['rows_changed']} ({len(r.changed)}):")
                if md:
                    out += [
                        "",
                        f"| {w['key']} | {w['field']} | {w['before']} | {w['after']} |",
                        "|---|---|---|---|",
                    ]
                for change in r.changed[:first]:
                    for name, old, new in change.cells:
                        if md:
                            out.append(
                                f"| {_md(change.key)} | {_md(name)} | {_md(_cell(old))} | {_md(_cell(new))} |"
                            )
                        else:
                            out.append(f"      {change.key} · {name}: {q(_cell(old))} → {q(_cell(new))}")
                if len(r.changed) > first:
                    out += (
                        ["", w["more"].format(n=len(r.changed) - first)]
                        if md
                        else ["      " + w["more"].format(n=len(r.changed) - first)]
                    )
    return "\n".join(map(_shown, out)) + "\n"
