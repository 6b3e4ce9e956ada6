"""Package a validated catalog: one Data Package v2 per dataset plus a combined one.

Each package folder holds ``datapackage.json`` (schemas and codelists inlined), the canonical CSVs
byte for byte, JSON records, an XLSX workbook, a SQLite database, Mexico City's data-policy data
dictionary and metadata sheet, and ``SHA256SUMS``; beside it, a zip of the folder. The whole output
is built in a temporary folder and renamed into place, and the same input gives the same bytes.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit import atomic
from toolkit.catalog.history import CHANGELOG, changelog
from toolkit.catalog.model import Catalog, Dataset, display_path, load_catalog
from toolkit.errors import ToolkitError, UsageError
from toolkit.packaging import formats
from toolkit.packaging.formats import MEDIATYPES, Table
from toolkit.report.findings import Finding, Report

__all__ = [
    "DatasetPackage",
    "InvalidData",
    "OutputFile",
    "PackageResult",
    "package",
    "package_as_published",
    "package_dataset",
    "read_packages",
]

DATAPACKAGE_V2 = "https://datapackage.org/profiles/2.0/datapackage.json"
DESCRIPTOR = "datapackage.json"
CHECKSUMS = "SHA256SUMS"
CHANGELOG_ENTRIES = 3  # the changelog entries a package carries in its descriptor
Progress = Callable[[str], None]


class InvalidData(ToolkitError):
    """The data did not pass validation, so nothing was packaged (exit code 1)."""

    exit_code = 1

    def __init__(self, report: Report) -> None:
        n = len(report.errors)
        super().__init__(
            f"No se generaron paquetes: la validación encontró {n} "
            f"{'error' if n == 1 else 'errores'}. Corrígelos y vuelve a ejecutar «ciudades package».",
            f"No packages were written: validation found {n} error{'' if n == 1 else 's'}. "
            "Fix them and run 'ciudades package' again.",
        )
        self.report = report


@dataclass(frozen=True)
class OutputFile:
    """One file written by ``package``."""

    path: Path
    name: str
    kind: str
    resource: str | None
    mediatype: str
    bytes: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "name": self.name,
            "kind": self.kind,
            "resource": self.resource,
            "mediatype": self.mediatype,
            "bytes": self.bytes,
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class DatasetPackage:
    """The package of one dataset (or the combined package): its folder, files and zip."""

    slug: str
    version: str
    folder: Path
    descriptor: dict[str, Any]
    files: list[OutputFile]
    zip: OutputFile

    def file(self, kind: str, resource: str | None = None) -> OutputFile:
        for f in self.files:
            if f.kind == kind and f.resource == resource:
                return f
        if kind == "zip" and resource is None:
            return self.zip
        raise KeyError(f"{self.slug}: no file of kind {kind!r}" + (f" for {resource!r}" if resource else ""))

    def to_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "version": self.version,
            "folder": str(self.folder),
            "zip": self.zip.to_dict(),
            "files": [f.to_dict() for f in self.files],
        }


@dataclass(frozen=True)
class PackageResult:
    """What ``package`` wrote, and the validation report it was gated on."""

    out: Path
    datasets: list[DatasetPackage]
    combined: DatasetPackage | None
    report: Report = field(default_factory=Report)

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "datasets": [d.to_dict() for d in self.datasets],
            "combined": self.combined.to_dict() if self.combined else None,
        }


# ── helpers ──────────────────────────────────────────────────────────────────────────────────────


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def slugify(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version.split("-")[0].split("+")[0])[:3])


def _as_text(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _datetime_text(value: Any) -> str:
    """An RFC 3339 date-time, as Data Package v2 wants for ``created``."""
    text = _as_text(value)
    return text if "T" in text else f"{text[:10]}T00:00:00Z"


def build_time(modified: Any) -> dt.datetime:
    """The timestamp stamped into archives: SOURCE_DATE_EPOCH, else the ``modified`` date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
        except ValueError:
            raise UsageError(
                f"SOURCE_DATE_EPOCH=«{epoch}» no es un número entero de segundos.",
                f"SOURCE_DATE_EPOCH='{epoch}' is not a whole number of seconds.",
            ) from None
    if modified:
        try:
            return dt.datetime.fromisoformat(_as_text(modified)[:10]).replace(tzinfo=dt.UTC)
        except ValueError:
            pass
    return dt.datetime(1980, 1, 1, tzinfo=dt.UTC)


def _jsonable(value: Any) -> Any:
    return json.loads(formats.dumps(value))


# ── descriptors ──────────────────────────────────────────────────────────────────────────────────


def inline_schema(schema: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    """The resource's Table Schema made standalone: codelists as enums with their labels."""
    out = copy.deepcopy(schema)
    out.pop("$schema", None)
    for f in out.get("fields") or []:
        cl = catalog.codelists.get(str(f.get("codelist", "")))
        if cl is None:
            continue
        items = [{"value": code, "label": es, "label_en": en} for code, (es, en) in cl.labels.items()]
        # A list cell holds several codes, so the codes describe its items, not the whole cell.
        f["itemCategories" if f.get("listSeparator") else "categories"] = items
    for fk in out.get("foreignKeys") or []:
        ref = fk.get("reference") or {}
        if ref.get("resource") == "":
            ref.pop("resource")  # Data Package v2 writes a reference to the same table without it
    return _jsonable(out)


def _catalog_block(catalog: Catalog) -> dict[str, Any]:
    meta = catalog.metadata
    keys = ("title", "description", "publisher", "contact", "base_url", "license", "languages")
    return _jsonable({k: meta[k] for k in keys if k in meta})


def _top_metadata(meta: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    out: dict[str, Any] = {"$schema": DATAPACKAGE_V2}
    for key, value in meta.items():
        if key in ("$schema", "resources"):
            continue
        out[key] = _datetime_text(value) if key in ("created", "modified") else value
    if not out.get("licenses") and catalog.metadata.get("license"):
        out["licenses"] = [{"name": str(catalog.metadata["license"])}]
    block = _catalog_block(catalog)
    if block:
        out["catalog"] = block
    return _jsonable(out)


LANGUAGES = {"es": ("español", "Spanish"), "en": ("inglés", "English"), "pt": ("portugués", "Portuguese")}
FREQUENCIES = {
    "daily": ("Diaria", "Daily"),
    "weekly": ("Semanal", "Weekly"),
    "monthly": ("Mensual", "Monthly"),
    "quarterly": ("Trimestral", "Quarterly"),
    "semiannual": ("Semestral", "Semiannual"),
    "annual": ("Anual", "Annual"),
    "once": ("Única", "Once"),
    "irregular": ("No programado", "Not scheduled"),
}


def _human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _spatial_text(spatial: Any) -> str:
    items = spatial if isinstance(spatial, list) else [spatial] if spatial else []
    parts = []
    for s in items:
        if isinstance(s, dict):
            parts.append(", ".join(str(s[k]) for k in ("city", "subdivision", "country") if s.get(k)))
        else:
            parts.append(str(s))
    return "; ".join(parts)


def _temporal_text(temporal: Any) -> str:
    if isinstance(temporal, dict):
        return f"{_as_text(temporal.get('start', ''))} – {_as_text(temporal.get('end', ''))}"
    return _as_text(temporal or "")


def metadata_rows(descriptor: dict[str, Any], tables: list[Table]) -> list[tuple[str, str, Any]]:
    """The metadata sheet of the workbook: (property in Spanish, in English, value)."""
    d = descriptor
    cat = d.get("catalog") or {}
    publisher = cat.get("publisher") or {}
    contact = cat.get("contact") or {}
    freq = str(d.get("update_frequency", ""))
    rows: list[tuple[str, str, Any]] = [
        ("Nombre", "Name", d.get("name", "")),
        ("Título", "Title", d.get("title", "")),
        ("Título en inglés", "Title in English", d.get("title_en", "")),
        ("Descripción", "Description", d.get("description", "")),
        ("Descripción en inglés", "Description in English", d.get("description_en", "")),
        ("Versión", "Version", d.get("version", "")),
        ("Creado", "Created", d.get("created", "")),
        ("Modificado", "Modified", d.get("modified", "")),
        ("Palabras clave", "Keywords", ", ".join(map(str, d.get("keywords") or []))),
        ("Palabras clave en inglés", "Keywords in English", ", ".join(map(str, d.get("keywords_en") or []))),
        (
            "Licencias",
            "Licences",
            "; ".join(
                " ".join(x for x in (lic.get("name", ""), f"({lic['path']})" if lic.get("path") else "") if x)
                for lic in d.get("licenses") or []
            ),
        ),
        ("Cobertura geográfica", "Spatial coverage", _spatial_text(d.get("spatial"))),
        ("Cobertura temporal", "Temporal coverage", _temporal_text(d.get("temporal"))),
        ("Frecuencia de actualización", "Update frequency", freq),
        ("Sitio web", "Homepage", d.get("homepage", "")),
        ("Publicador", "Publisher", " ".join(x for x in (publisher.get("name"), publisher.get("url")) if x)),
        ("Contacto", "Contact", " ".join(x for x in (contact.get("name"), contact.get("email")) if x)),
        (
            "Colaboradores",
            "Contributors",
            "; ".join(
                f"{c.get('title', '')} ({', '.join(c.get('roles') or [])})".replace(" ()", "")
                for c in d.get("contributors") or []
            ),
        ),
    ]
    for t in tables:
        rows.append((f"Filas de «{t.name}»", f"Rows in '{t.name}'", len(t.rows)))
    for i, src in enumerate(d.get("sources") or [], start=1):
        rows.append((f"Fuente {i}", f"Source {i}", f"{src.get('title', '')} — {src.get('path', '')}"))
    return rows


def cdmx_sheet(descriptor: dict[str, Any], tables: list[Table], csv_bytes: int) -> list[tuple[str, str, str]]:
    """Mexico City's metadata sheet (ficha de metadatos): the portal's fields, in its order.

    ``cdmx_metadata`` in the dataset's descriptor overrides any value by its Spanish field name.
    """
    d = descriptor
    cat = d.get("catalog") or {}
    contact = cat.get("contact") or {}
    publisher = cat.get("publisher") or {}
    langs = [LANGUAGES.get(str(lang), (str(lang), str(lang)))[0] for lang in cat.get("languages") or ["es"]]
    n_vars = sum(len(t.header) for t in tables)
    n_rows = sum(len(t.rows) for t in tables)
    per = "; ".join(f"{t.name}: {len(t.rows)}" for t in tables)
    per_vars = "; ".join(f"{t.name}: {len(t.header)}" for t in tables)
    freq = FREQUENCIES.get(str(d.get("update_frequency", "")).lower(), (str(d.get("update_frequency", "")),))
    keywords = list(d.get("keywords") or [])
    theme = d.get("theme")
    rows = [
        ("Título", "Title", str(d.get("title", ""))),
        ("Descripción", "Description", str(d.get("description", ""))),
        ("Tema", "Theme", str(theme.get("es", "") if isinstance(theme, dict) else theme or "Gobierno")),
        ("Palabras clave", "Keywords", ", ".join(map(str, keywords))),
        ("Desagregación geográfica", "Geographic disaggregation", "No aplica"),
        ("Formato", "Format", "csv; xlsx; json; sqlite"),
        ("Tamaño", "Size", _human_size(csv_bytes)),
        ("Número de variables", "Number of variables", f"{n_vars} ({per_vars})"),
        ("Número de registros", "Number of records", f"{n_rows} ({per})"),
        ("Idioma", "Language", ", ".join(langs).capitalize()),
        ("Publicador", "Publisher", str(publisher.get("name", ""))),
        ("Frecuencia de actualización", "Update frequency", freq[0]),
        (
            "Dirección del área responsable",
            "Address of the responsible office",
            " ".join(
                x for x in (contact.get("name"), f"<{contact['email']}>" if contact.get("email") else "") if x
            ),
        ),
        ("Notas técnicas", "Technical notes", str(d.get("description_en", ""))),
        ("Material de referencia", "Reference material", str(d.get("homepage", ""))),
        ("Persona responsable", "Responsible person", str(contact.get("name", ""))),
        ("Correo electrónico", "Email", str(contact.get("email", ""))),
        ("Fecha de creación", "Created", _as_text(d.get("created", ""))[:10]),
        ("Fecha de actualización", "Modified", _as_text(d.get("modified", ""))[:10]),
        ("Licencia", "Licence", ", ".join(str(lic.get("name", "")) for lic in d.get("licenses") or [])),
    ]
    found = d.get("cdmx_metadata")
    overrides: dict[str, Any] = found if isinstance(found, dict) else {}
    return [(es, en, str(overrides.get(es, value))) for es, en, value in rows]


# ── building ─────────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Source:
    """What one package is made of, before anything is written."""

    slug: str
    version: str
    meta: dict[str, Any]  # top-level descriptor properties, already JSON-ready
    tables: list[Table]
    extras: dict[str, dict[str, Any]]  # per resource: properties from the source descriptor
    csv_sources: dict[str, Path]  # resources whose CSV is copied as is
    when: dt.datetime


def _dataset_source(ds: Dataset, catalog: Catalog) -> _Source:
    tables, extras, csvs = [], {}, {}
    for spec in ds.resources:
        assert spec.schema is not None  # a valid dataset has every schema
        schema = inline_schema(spec.schema, catalog)
        tables.append(formats.read_table(spec.name, spec.path, schema))
        extras[spec.name] = {
            k: v for k, v in spec.descriptor.items() if k not in ("name", "path", "schema", "$schema")
        }
        csvs[spec.name] = spec.path
    meta = _top_metadata(ds.descriptor, catalog)
    if (ds.folder / CHANGELOG).is_file():  # its latest entries, for portals (CKAN's notes)
        entries = changelog((ds.folder / CHANGELOG).read_text(encoding="utf-8"))[:CHANGELOG_ENTRIES]
        if entries:
            meta["changelog"] = [{"title": e.heading, "notes": e.body} for e in entries]
    return _Source(
        ds.slug,
        str(ds.descriptor.get("version", "0.0.0")),
        meta,
        tables,
        _jsonable(extras),
        csvs,
        build_time(ds.descriptor.get("modified") or ds.descriptor.get("created")),
    )


def _combined_source(sources: list[_Source], catalog: Catalog) -> _Source:
    """Every dataset's tables stacked, with a leading ``dataset`` column naming where a row is from."""
    meta_cat = catalog.metadata
    title = meta_cat.get("title") or {}
    description = meta_cat.get("description") or {}
    name = str(
        meta_cat.get("name") or slugify(str(title.get("es", "") if isinstance(title, dict) else title))
    )
    version = str(meta_cat.get("version") or max((s.version for s in sources), key=_version_key))
    dataset_field = {
        "name": "dataset",
        "type": "string",
        "title": "Conjunto de datos",
        "title_en": "Dataset",
        "description": "Conjunto de datos (ciudad) del que proviene la fila.",
        "description_en": "Dataset (city) the row comes from.",
        "constraints": {"required": True, "enum": [s.slug for s in sources]},
        "categories": [
            {"value": s.slug, "label": s.meta.get("title", s.slug), "label_en": s.meta.get("title_en", "")}
            for s in sources
        ],
    }
    names: list[str] = []
    for s in sources:
        names += [t.name for t in s.tables if t.name not in names]
    tables, extras = [], {}
    for rname in names:
        parts = [(s, t) for s in sources for t in s.tables if t.name == rname]
        schema = copy.deepcopy(parts[0][1].schema)
        fields: list[dict[str, Any]] = []
        for _, t in parts:
            for f in t.fields:
                known = next((g for g in fields if g["name"] == f["name"]), None)
                if known is None:
                    fields.append(copy.deepcopy(f))
                elif known.get("type", "string") != f.get("type", "string"):
                    raise ToolkitError(
                        f"No se puede combinar «{rname}»: el campo «{f['name']}» tiene tipos distintos "
                        "según el conjunto de datos.",
                        f"Cannot combine '{rname}': the field '{f['name']}' has different types "
                        "across datasets.",
                    )
        for f in fields:  # an id repeats across cities; (dataset, id) is what stays unique
            (f.get("constraints") or {}).pop("unique", None)
        schema["fields"] = [dataset_field, *fields]
        pk = schema.get("primaryKey")
        if pk:
            schema["primaryKey"] = ["dataset", *([pk] if isinstance(pk, str) else pk)]
        required = {f["name"] for f in fields if (f.get("constraints") or {}).get("required")}
        strict: list[dict[str, Any]] = []
        optional: list[dict[str, Any]] = []
        for fk in schema.pop("foreignKeys", None) or []:
            ref = fk.setdefault("reference", {})
            own = formats.keys_of(fk.get("fields"))
            fk["fields"] = ["dataset", *own]
            ref["fields"] = ["dataset", *formats.keys_of(ref.get("fields"))]
            # With `dataset` always filled, a key over an empty column is never "all empty", and
            # Table Schema checkers would report it; such keys are kept apart (SQLite still enforces
            # them: it skips a key that has an empty column).
            (strict if set(own) <= required else optional).append(fk)
        if strict:
            schema["foreignKeys"] = strict
        if optional:
            schema["optionalForeignKeys"] = optional
        header = [f["name"] for f in schema["fields"]]
        raw = []
        for s, t in parts:
            where = {n: i for i, n in enumerate(t.header)}
            for row in t.raw:
                raw.append([s.slug] + [row[where[n]] if n in where else "" for n in header[1:]])
        tables.append(formats.table_from_raw(rname, schema, header, raw))
        extras[rname] = dict(parts[0][0].extras.get(rname, {}))
    first = [s.meta for s in sources]

    def union(key: str, ident: Callable[[Any], Any] = lambda x: json.dumps(x, sort_keys=True)) -> list[Any]:
        seen: dict[Any, Any] = {}
        for m in first:
            for item in m.get(key) or []:
                seen.setdefault(ident(item), item)
        return list(seen.values())

    starts = [str(m["temporal"]["start"]) for m in first if isinstance(m.get("temporal"), dict)]
    ends = [str(m["temporal"]["end"]) for m in first if isinstance(m.get("temporal"), dict)]
    freqs = {str(m.get("update_frequency", "")) for m in first}
    meta: dict[str, Any] = {
        "$schema": DATAPACKAGE_V2,
        "name": name,
        "title": title.get("es", name) if isinstance(title, dict) else str(title or name),
        "title_en": title.get("en", "") if isinstance(title, dict) else "",
        "description": description.get("es", "") if isinstance(description, dict) else str(description),
        "description_en": description.get("en", "") if isinstance(description, dict) else "",
        "version": version,
        "created": min(str(m.get("created", m.get("modified", ""))) for m in first),
        "modified": max(str(m.get("modified", "")) for m in first),
        "homepage": str(meta_cat.get("base_url", "")) or None,
        "keywords": union("keywords", str),
        "keywords_en": union("keywords_en", str),
        "licenses": union("licenses"),
        "contributors": union("contributors"),
        "sources": union("sources", lambda s: s.get("path") or json.dumps(s, sort_keys=True)),
        "spatial": [m["spatial"] for m in first if m.get("spatial")],
        "temporal": {"start": min(starts), "end": max(ends)} if starts and ends else None,
        "update_frequency": freqs.pop() if len(freqs) == 1 else "irregular",
        "datasets": [
            {
                "name": s.slug,
                "title": s.meta.get("title"),
                "title_en": s.meta.get("title_en"),
                "version": s.version,
            }
            for s in sources
        ],
    }
    meta = {k: v for k, v in meta.items() if v not in (None, "", [])}
    block = _catalog_block(catalog)
    if block:
        meta["catalog"] = block
    when = max(s.when for s in sources)
    return _Source(name, version, _jsonable(meta), tables, _jsonable(extras), {}, when)


def _output(path: Path, kind: str, resource: str | None) -> OutputFile:
    return OutputFile(
        path=path,
        name=path.name,
        kind=kind,
        resource=resource,
        mediatype=MEDIATYPES[kind],
        bytes=path.stat().st_size,
        sha256=sha256_file(path),
    )


def _reserved_names(tables: list[Table], slug: str) -> None:
    taken = {DESCRIPTOR, CHECKSUMS, f"{slug}.xlsx", f"{slug}.sqlite"}
    for t in tables:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", t.name) or {f"{t.name}.csv", f"{t.name}.json"} & taken:
            raise ToolkitError(
                f"El nombre de tabla «{t.name}» no sirve como nombre de archivo del paquete; usa minúsculas, "
                "dígitos, «-» o «_», y evita «datapackage».",
                f"The table name '{t.name}' cannot name a file in the package; use lowercase letters, "
                "digits, '-' or '_', and avoid 'datapackage'.",
            )


def _emit(src: _Source, parent: Path) -> None:
    """Write one package folder and its zip inside ``parent``."""
    _reserved_names(src.tables, src.slug)
    folder = parent / src.slug
    folder.mkdir()
    resources = []
    for t in src.tables:
        target = folder / f"{t.name}.csv"
        if t.name in src.csv_sources:
            shutil.copyfile(src.csv_sources[t.name], target)
        else:
            formats.write_csv(target, t.header, t.raw)
        resources.append(
            {
                "name": t.name,
                "type": "table",
                "path": target.name,
                **src.extras.get(t.name, {}),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": target.stat().st_size,
                "hash": f"sha256:{sha256_file(target)}",
                "schema": t.schema,
            }
        )
    descriptor = {**src.meta, "resources": resources}
    downloads: list[tuple[Path, str, str | None]] = []
    for t in src.tables:
        formats.write_json_records(t, folder / f"{t.name}.json")
        downloads.append((folder / f"{t.name}.json", "json", t.name))
    formats.write_xlsx(
        folder / f"{src.slug}.xlsx", src.tables, descriptor, metadata_rows(descriptor, src.tables), src.when
    )
    downloads.append((folder / f"{src.slug}.xlsx", "xlsx", None))
    problems = formats.write_sqlite(folder / f"{src.slug}.sqlite", src.tables)
    if problems:
        raise ToolkitError(
            f"La base SQLite de «{src.slug}» tiene claves foráneas rotas: {problems[:3]}.",
            f"The SQLite database of '{src.slug}' has broken foreign keys: {problems[:3]}.",
        )
    downloads.append((folder / f"{src.slug}.sqlite", "sqlite", None))
    formats.write_cdmx_dictionary(folder / f"{src.slug}_diccionario_datos.csv", descriptor)
    downloads.append((folder / f"{src.slug}_diccionario_datos.csv", "dictionary", None))
    csv_bytes = sum(r["bytes"] for r in resources)
    formats.write_cdmx_metadata(
        folder / f"{src.slug}_ficha_metadatos.csv", cdmx_sheet(descriptor, src.tables, csv_bytes)
    )
    downloads.append((folder / f"{src.slug}_ficha_metadatos.csv", "metadata-sheet", None))
    descriptor["downloads"] = [
        {
            "name": path.name,
            "path": path.name,
            "kind": kind,
            **({"resource": resource} if resource else {}),
            "format": path.suffix.lstrip("."),
            "mediatype": MEDIATYPES[kind],
            "bytes": path.stat().st_size,
            "hash": f"sha256:{sha256_file(path)}",
        }
        for path, kind, resource in downloads
    ]
    (folder / DESCRIPTOR).write_bytes(formats.dumps(descriptor))
    files = sorted(p for p in folder.iterdir() if p.name != CHECKSUMS)
    (folder / CHECKSUMS).write_text(
        "".join(f"{sha256_file(p)}  {p.name}\n" for p in files), encoding="utf-8", newline="\n"
    )
    top = f"{src.slug}-{src.version}"
    formats.write_zip(parent / f"{top}.zip", top, sorted(folder.iterdir()), src.when)


def package_dataset(catalog: Catalog, slug: str, parent: Path) -> DatasetPackage:
    """Write one dataset's package (its folder and its zip) into ``parent`` without validating it:
    ``build`` packages earlier released versions with it, as they were published."""
    ds = next(d for d in catalog.datasets if d.slug == slug)
    src = _dataset_source(ds, catalog)
    _emit(src, parent)
    return _read_one(parent / src.slug, parent)


def package_as_published(catalog: Catalog, slug: str, parent: Path) -> DatasetPackage:
    """One dataset's files as they are, in a folder inside ``parent`` with their ``SHA256SUMS`` and a
    zip: its tables and its descriptor, no derived format. For a version the full package cannot be
    made of (an earlier version whose data no longer pass the checks)."""
    ds = next(d for d in catalog.datasets if d.slug == slug)
    version = str(ds.descriptor.get("version", "0.0.0"))
    folder = parent / slug
    folder.mkdir()
    files = []
    for spec in ds.resources:
        shutil.copyfile(spec.path, folder / spec.path.name)
        files.append(_output(folder / spec.path.name, "csv", spec.name))
    if ds.descriptor_path is not None:
        target = folder / ds.descriptor_path.name
        shutil.copyfile(ds.descriptor_path, target)
        yaml_file = target.suffix in (".yaml", ".yml")
        mediatype = "application/yaml" if yaml_file else "application/json"
        files.append(
            OutputFile(
                target, target.name, "descriptor", None, mediatype, target.stat().st_size, sha256_file(target)
            )
        )
    (folder / CHECKSUMS).write_text(
        "".join(f"{f.sha256}  {f.name}\n" for f in sorted(files, key=lambda f: f.name)),
        encoding="utf-8",
        newline="\n",
    )
    files.append(_output(folder / CHECKSUMS, "checksums", None))
    top = f"{slug}-{version}"
    when = build_time(ds.descriptor.get("modified") or ds.descriptor.get("created"))
    formats.write_zip(parent / f"{top}.zip", top, sorted(folder.iterdir()), when)
    zipped = _output(parent / f"{top}.zip", "zip", None)
    return DatasetPackage(slug, version, folder, dict(ds.descriptor), files, zipped)


def _is_output(folder: Path) -> bool:
    """Whether a folder looks like the output of an earlier run (safe to replace whole)."""
    for entry in folder.iterdir():
        if entry.is_dir() and (entry / CHECKSUMS).is_file() and (entry / DESCRIPTOR).is_file():
            continue
        if entry.is_file() and entry.suffix == ".zip":
            continue
        return False
    return True


def _check_out(out: Path, catalog: Catalog) -> None:
    atomic.refuse_overlap(out, catalog, "build/packages")
    if out.exists() and (not out.is_dir() or not _is_output(out)):
        raise UsageError(
            f"«{display_path(out)}» ya existe y no es una salida de «ciudades package»; "
            "elige una carpeta nueva o vacía.",
            f"'{display_path(out)}' already exists and is not the output of 'ciudades package'; "
            "choose a new or empty folder.",
        )


def _swap(tmp: Path, out: Path) -> None:
    """Put ``tmp`` where ``out`` is; the previous output stays whole until the new one is complete."""
    atomic.swap(tmp, out)


def package(
    path: str | Path = "datasets",
    out: str | Path = "build/packages",
    *,
    progress: Progress | None = None,
    allow_remote: bool = False,
    loaded: tuple[Catalog, list[Finding]] | None = None,
) -> PackageResult:
    """Validate ``path`` and, if it is valid, write every dataset's package and the combined one.

    Raises :class:`InvalidData` (exit code 1) with the report when anything is invalid; nothing is
    written then. The output replaces ``out`` atomically. ``allow_remote`` lets descriptors name
    http(s) files: the fetched copies are packaged like local files, with their sha256, so the
    package does not depend on the remote server. ``loaded`` is the catalog already loaded from
    ``path`` (by ``build``), so no file is read or fetched twice.
    """
    from toolkit.validation.validator import validate_catalog

    catalog, findings = (
        loaded if loaded is not None else load_catalog(path, allow_remote=allow_remote, publishing=True)
    )
    report = validate_catalog(catalog, findings, progress=progress)
    if not report.valid:
        raise InvalidData(report)
    if not catalog.datasets:
        raise UsageError(
            f"«{path}» no contiene conjuntos de datos que empaquetar.",
            f"'{path}' holds no datasets to package.",
        )
    target = Path(out).resolve()
    _check_out(target, catalog)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic.output_lock(target):
        _check_out(target, catalog)  # again: a run that held the lock may have changed it
        _write(catalog, target, progress)
        result = read_packages(target)  # under the lock: a run waiting for it would replace the folder
    return PackageResult(result.out, result.datasets, result.combined, report)


def _write(catalog: Catalog, target: Path, progress: Progress | None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        tmp.chmod(0o755)
        sources = []
        for ds in sorted(catalog.datasets, key=lambda d: d.slug):
            if progress:
                progress(ds.slug)
            src = _dataset_source(ds, catalog)
            _emit(src, tmp)
            sources.append(src)
        if catalog.folder is not None:
            combined = _combined_source(sources, catalog)
            if progress:
                progress(combined.slug)
            if combined.slug in {s.slug for s in sources}:
                raise ToolkitError(
                    f"El paquete combinado «{combined.slug}» tiene el nombre de un conjunto de datos; "
                    "pon otro «name» en catalog.yaml.",
                    f"The combined package '{combined.slug}' has the name of a dataset; "
                    "set another 'name' in catalog.yaml.",
                )
            _emit(combined, tmp)
        _swap(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_one(folder: Path, out: Path) -> DatasetPackage:
    descriptor = json.loads((folder / DESCRIPTOR).read_text(encoding="utf-8"))
    kinds: dict[str, tuple[str, str | None]] = {
        DESCRIPTOR: ("datapackage", None),
        CHECKSUMS: ("checksums", None),
    }
    for res in descriptor.get("resources") or []:
        kinds[str(res.get("path"))] = ("csv", res.get("name"))
    for d in descriptor.get("downloads") or []:
        kinds[str(d.get("path"))] = (str(d.get("kind")), d.get("resource"))
    files = []
    for p in sorted(folder.iterdir(), key=lambda p: p.name):
        if p.is_file() and p.name in kinds:
            files.append(_output(p, *kinds[p.name]))
    slug = str(descriptor.get("name", folder.name))
    version = str(descriptor.get("version", ""))
    zip_path = out / f"{slug}-{version}.zip"
    if not zip_path.is_file():
        raise ToolkitError(
            f"Falta «{display_path(zip_path)}»; vuelve a ejecutar «ciudades package».",
            f"'{display_path(zip_path)}' is missing; run 'ciudades package' again.",
        )
    return DatasetPackage(slug, version, folder, descriptor, files, _output(zip_path, "zip", None))


def read_packages(out: str | Path = "build/packages") -> PackageResult:
    """Read an existing output folder without rebuilding it (the report is empty)."""
    target = Path(out).resolve()
    if not target.is_dir():
        raise UsageError(
            f"No existe «{display_path(target)}»; ejecuta antes «ciudades package».",
            f"'{display_path(target)}' does not exist; run 'ciudades package' first.",
        )
    datasets, combined = [], None
    for folder in sorted(p for p in target.iterdir() if p.is_dir() and (p / DESCRIPTOR).is_file()):
        pkg = _read_one(folder, target)
        if "datasets" in pkg.descriptor:
            combined = pkg
        else:
            datasets.append(pkg)
    return PackageResult(target, sorted(datasets, key=lambda d: d.slug), combined, Report())


def render_summary(result: PackageResult, lang: str) -> str:
    """What was written, one line per file with its size, in Spanish or English."""
    es = lang == "es"
    packages = [*result.datasets, *([result.combined] if result.combined else [])]
    lines = [
        (
            f"Paquetes escritos en {display_path(result.out)}: {len(result.datasets)} conjuntos de datos"
            + (" y el paquete combinado." if result.combined else ".")
        )
        if es
        else (
            f"Packages written to {display_path(result.out)}: {len(result.datasets)} datasets"
            + (" and the combined package." if result.combined else ".")
        )
    ]
    sep = " " if es else ","
    width = max((len(p.slug) + len(f.name) + 3 for p in packages for f in p.files), default=0)
    width = max([width, *(len(p.zip.name) for p in packages)])
    for p in packages:
        lines.append("")
        lines.append(f"{p.zip.name:<{width}}  {f'{p.zip.bytes:,}'.replace(',', sep):>9} bytes")
        for f in p.files:
            name = f"  {p.slug}/{f.name}"
            lines.append(f"{name:<{width}}  {f'{f.bytes:,}'.replace(',', sep):>9} bytes")
    lines.append("")
    lines.append(
        "Verifica con: cd <carpeta> && sha256sum -c SHA256SUMS"
        if es
        else "Verify with: cd <folder> && sha256sum -c SHA256SUMS"
    )
    return "\n".join(lines) + "\n"
