"""What a change does to the data, for review: rows added, removed and changed (matched by primary
key), cells as old → new, and changes to schemas and metadata.

Both sides are file trees: a git ref (read with ``git show``), a folder (the working tree, or any
catalog folder) or a package zip (``<slug>-<version>/datapackage.json`` and its CSVs). Data packages
are found by their descriptor; schemas named by a slug are read from the catalog's ``schemas/``.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from toolkit.callmodule import callable_module
from toolkit.catalog import CATALOG_FILE, DESCRIPTOR_NAMES, SLUG, display_path
from toolkit.errors import UsageError
from toolkit.errors import shown as _shown
from toolkit.safezip import MAX_FILE_BYTES, read_zip

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
        from toolkit.changes import list_files

        return list_files(self.root, self.ref, self.under)

    def read(self, rel: str) -> bytes | None:
        from toolkit.changes import show

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
    path: str | None
    schema: dict[str, Any] | None
    table: _Table | None


@dataclass
class _Package:
    slug: str
    folder: str
    descriptor: dict[str, Any]
    resources: dict[str, _Resource]


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
        if not isinstance(descriptor, dict):
            continue
        folder = posixpath.dirname(rel)
        name = descriptor.get("name")
        slug = name if isinstance(name, str) and name else posixpath.basename(folder) or "package"
        resources: dict[str, _Resource] = {}
        for res in descriptor.get("resources") or []:
            if not isinstance(res, dict) or not res.get("name"):
                continue
            path = res.get("path") if isinstance(res.get("path"), str) else None
            raw = tree.read(_join(folder, path)) if path else None
            resources[str(res["name"])] = _Resource(
                str(res["name"]),
                _join(folder, path) if path else None,
                _schema(tree, folder, res.get("schema"), cache),
                _csv(raw) if raw is not None else None,
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
    status: str  # added · removed · modified · unchanged
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
    primary_key: tuple[list[str], list[str]] | None = None

    @property
    def schema_changed(self) -> bool:
        return bool(
            self.fields_added
            or self.fields_removed
            or self.fields_retyped
            or self.fields_modified
            or self.primary_key
        )


@dataclass
class DatasetDiff:
    slug: str
    status: str
    version: tuple[str | None, str | None] | None = None
    metadata: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    resources: list[ResourceDiff] = field(default_factory=list)


@dataclass
class DiffResult:
    base: str
    head: str
    datasets: list[DatasetDiff]

    @property
    def changed(self) -> bool:
        return any(d.status != "unchanged" for d in self.datasets)

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "base": self.base, "head": self.head, "changed": self.changed} | {
            "datasets": [asdict(d) for d in self.datasets]
        }


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 80 else text[:79] + "…"


def _fields(schema: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in (schema or {}).get("fields") or [] if isinstance(f, dict) and f.get("name")}


def _keyed(table: _Table, key: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    positions = [table.header.index(k) for k in key] if key else []
    for row in table.rows:
        record = {h: (row[j] if j < len(row) else "") for j, h in enumerate(table.header)}
        cells = [row[p] if p < len(row) else "" for p in positions] if positions else row
        label = (" · " if positions else ",").join(cells)
        name, n = label, 2
        while name in out:  # a repeated key (or identical rows) stays visible as its own row
            name = f"{label} #{n}"
            n += 1
        out[name] = record
    return out


def _compare_resource(name: str, old: _Resource | None, new: _Resource | None) -> ResourceDiff:
    current = new or old
    assert current is not None
    status = "added" if old is None else "removed" if new is None else "unchanged"
    rd = ResourceDiff(name, status, current.path)
    old_fields, new_fields = _fields(old.schema if old else None), _fields(new.schema if new else None)
    if old is not None and new is not None and old.schema is not None and new.schema is not None:
        rd.fields_added = [n for n in new_fields if n not in old_fields]
        rd.fields_removed = [n for n in old_fields if n not in new_fields]
        for n in new_fields:
            if n in old_fields:
                a, b = old_fields[n].get("type", "string"), new_fields[n].get("type", "string")
                if a != b:
                    rd.fields_retyped.append((n, a, b))
                elif old_fields[n] != new_fields[n]:
                    rd.fields_modified.append(n)
        pk_old, pk_new = old.schema.get("primaryKey") or [], new.schema.get("primaryKey") or []
        pk_old = [pk_old] if isinstance(pk_old, str) else list(pk_old)
        pk_new = [pk_new] if isinstance(pk_new, str) else list(pk_new)
        if pk_old != pk_new:
            rd.primary_key = (pk_old, pk_new)
    base_table = old.table if old and old.table else _Table([], [])
    head_table = new.table if new and new.table else _Table([], [])
    rd.rows_base, rd.rows_head = len(base_table.rows), len(head_table.rows)
    schema = (new.schema if new else None) or (old.schema if old else None) or {}
    key = schema.get("primaryKey") or []
    key = [key] if isinstance(key, str) else [str(k) for k in key]
    if not all(k in base_table.header or not base_table.header for k in key) or not all(
        k in head_table.header or not head_table.header for k in key
    ):
        key = []  # without the key columns, rows can only be matched whole
    rd.key = key
    base_rows, head_rows = _keyed(base_table, key), _keyed(head_table, key)
    rd.added = [r for k, r in head_rows.items() if k not in base_rows]
    rd.removed = [r for k, r in base_rows.items() if k not in head_rows]
    columns = list(head_table.header) + [h for h in base_table.header if h not in head_table.header]
    for k, row in head_rows.items():
        before = base_rows.get(k)
        if before is None or before == row:
            continue
        cells = [
            (c, before.get(c, ""), row.get(c, "")) for c in columns if before.get(c, "") != row.get(c, "")
        ]
        if cells:
            rd.changed.append(RowChange(k, cells))
    if status == "unchanged" and (rd.added or rd.removed or rd.changed or rd.schema_changed):
        rd.status = "modified"
    if status == "unchanged" and base_table.header != head_table.header:
        rd.status = "modified"
    return rd


def _compare(base: dict[str, _Package], head: dict[str, _Package]) -> list[DatasetDiff]:
    out = []
    for slug in sorted(set(base) | set(head)):
        old, new = base.get(slug), head.get(slug)
        status = "added" if old is None else "removed" if new is None else "unchanged"
        dd = DatasetDiff(slug, status)
        a = old.descriptor if old else {}
        b = new.descriptor if new else {}
        if old is not None and new is not None:
            for key in sorted((set(a) | set(b)) - {"resources"}):
                if a.get(key) != b.get(key):
                    dd.metadata.append((key, _short(a.get(key)), _short(b.get(key))))
            if a.get("version") != b.get("version"):
                dd.version = (_short(a.get("version")), _short(b.get("version")))
        names = list((new.resources if new else {}).keys())
        names += [n for n in (old.resources if old else {}) if n not in names]
        for name in names:
            rd = _compare_resource(
                name,
                old.resources.get(name) if old else None,
                new.resources.get(name) if new else None,
            )
            dd.resources.append(rd)
        if status == "unchanged" and (dd.metadata or any(r.status != "unchanged" for r in dd.resources)):
            dd.status = "modified"
        out.append(dd)
    return out


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
    from toolkit.changes import main_merge_base, repo_root, resolve_ref

    if _is_side(base) or _is_side(head):
        if not (_is_side(base) and _is_side(head)):
            raise UsageError(
                "Para comparar carpetas o zips, indica los dos: --base CARPETA_O_ZIP --head CARPETA_O_ZIP.",
                "To compare folders or zips, give both: --base FOLDER_OR_ZIP --head FOLDER_OR_ZIP.",
            )
        assert base is not None and head is not None
        left, right = _side(base), _side(head)
        return DiffResult(left.label, right.label, _compare(_packages(left, ""), _packages(right, "")))
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
    return DiffResult(
        old_tree.label, new_tree.label, _compare(_packages(old_tree, under), _packages(new_tree, under))
    )


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
        "primary_key": "Clave primaria",
        "key": "clave",
        "field": "campo",
        "before": "antes",
        "after": "después",
        "working tree": "los archivos actuales",
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
        "primary_key": "Primary key",
        "key": "key",
        "field": "field",
        "before": "before",
        "after": "after",
        "working tree": "the current files",
    },
}


def _row_text(row: dict[str, str], key: list[str], limit: int = 160) -> str:
    head = " · ".join(row.get(k, "") for k in key) if key else ""
    rest = "; ".join(f"{k}={v}" for k, v in row.items() if v and k not in key)
    text = f"{head}: {rest}" if head else rest
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    for d in changed:
        out += ["", f"### {w['dataset']} `{d.slug}` ({w[d.status]})" if md else f"{d.slug} ({w[d.status]})"]
        bullet = "- " if md else "  "
        if d.version:
            out.append(f"{bullet}{w['version']}: {d.version[0]} → {d.version[1]}")
        other = [m for m in d.metadata if m[0] != "version"]
        if other:
            shown = ", ".join(f"`{k}`" if md else k for k, _, _ in other)
            out.append(f"{bullet}{w['metadata']}: {shown}")
        for r in d.resources:
            if r.status == "unchanged":
                continue
            counts = ", ".join(
                w[f"n_{kind}"][0 if n == 1 else 1].format(n=n)
                for kind, n in (
                    ("added", len(r.added)),
                    ("removed", len(r.removed)),
                    ("changed", len(r.changed)),
                )
            )
            counts += "; " + w["rows"].format(a=r.rows_base, b=r.rows_head)
            title = f"{w['table']} `{r.name}`" if md else f"{w['table']} {r.name}"
            state = w[f"table_{r.status}"]
            out += ["", f"#### {title} ({state}): {counts}" if md else f"  {title} ({state}): {counts}"]
            ind = "- " if md else "    "
            if r.fields_added:
                out.append(f"{ind}{w['fields_added']}: {', '.join(r.fields_added)}")
            if r.fields_removed:
                out.append(f"{ind}{w['fields_removed']}: {', '.join(r.fields_removed)}")
            if r.fields_retyped:
                retyped = ", ".join(f"{n} ({a} → {b})" for n, a, b in r.fields_retyped)
                out.append(f"{ind}{w['fields_retyped']}: {retyped}")
            if r.fields_modified:
                out.append(f"{ind}{w['fields_modified']}: {', '.join(r.fields_modified)}")
            if r.primary_key:
                out.append(
                    f"{ind}{w['primary_key']}: {', '.join(r.primary_key[0])} → {', '.join(r.primary_key[1])}"
                )
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


callable_module(__name__, "diff")
