"""Find and load a catalog: its datasets, their descriptors, schemas and codelists.

Loading never raises for bad metadata: every problem becomes a finding, and whatever can still be
checked is returned. Paths are confined to the dataset folder (data) or the project (schemas).
"""

from __future__ import annotations

import copy
import csv
import functools
import os
import re
import sys
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit.catalog import discovery, lightcheck, standard, structured
from toolkit.errors import UsageError
from toolkit.report.findings import Finding, make_finding

if TYPE_CHECKING:
    from toolkit.catalog.remote import RemoteFiles

CATALOG_FILE = "catalog.yaml"
DESCRIPTOR_NAMES = ("datapackage.yaml", "datapackage.yml", "datapackage.json")
# The data-policy profiles a dataset may name (their checks are in toolkit/validation/profiles.py).
PROFILE_NAMES = ("catalog", "cdmx")
CODELIST_COLUMNS = ["code", "label_es", "label_en", "description"]
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
FIELD_TYPES = {
    "string",
    "number",
    "integer",
    "boolean",
    "date",
    "datetime",
    "time",
    "year",
    "yearmonth",
    "duration",
    "geopoint",
    "geojson",
    "object",
    "array",
    "list",
    "any",
}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The catalog's own policy: on by default inside a catalog (a folder with catalog.yaml).
CATALOG_PROFILE = "catalog"


def display_path(path: Path) -> str:
    """A path as users should see it: relative to the working directory when inside it, or the URL
    a fetched copy came from (``--allow-remote``)."""
    # Nothing was fetched unless toolkit.catalog.remote was imported: a run without --allow-remote
    # never imports it (its sockets, hashes and temporary folders cost more than reading a catalog).
    fetcher = sys.modules.get("toolkit.catalog.remote")
    origin = fetcher.origin_of(path) if fetcher is not None else None
    if origin is not None:
        return origin
    return _relative(path, os.getcwd())


@functools.lru_cache(maxsize=4096)
def _relative(path: Path, cwd: str) -> str:
    """``path`` relative to ``cwd`` when inside it (remembered: resolving a path reads the disk,
    and a run shows the same few paths in every finding and log line)."""
    try:
        return path.resolve().relative_to(Path(cwd).resolve()).as_posix()
    except ValueError:
        return path.as_posix()


@dataclass
class Codelist:
    name: str
    codes: list[Any]
    labels: dict[Any, tuple[str, str]]
    path: Path


@dataclass
class ResourceSpec:
    """One table of a dataset, with its resolved schema (codelists inlined as enums)."""

    name: str
    path: Path
    descriptor: dict[str, Any]
    schema: dict[str, Any] | None
    schema_source: str | None = None
    # The declared CSV dialect (inline or read from its file), checked against the specification.
    dialect: dict[str, Any] | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.get("name") for f in (self.schema or {}).get("fields", [])]

    def field(self, name: str) -> dict[str, Any] | None:
        for f in (self.schema or {}).get("fields", []):
            if f.get("name") == name:
                return f
        return None


@dataclass
class Dataset:
    slug: str
    folder: Path
    descriptor_path: Path | None
    descriptor: dict[str, Any]
    resources: list[ResourceSpec] = field(default_factory=list)

    @property
    def profiles(self) -> list[str]:
        value = self.descriptor.get("policy_profiles") or []
        return [str(p) for p in value] if isinstance(value, list) else []

    def resource(self, name: str) -> ResourceSpec | None:
        for r in self.resources:
            if r.name == name:
                return r
        return None


@dataclass
class Catalog:
    folder: Path | None
    metadata: dict[str, Any]
    datasets: list[Dataset]
    schemas_dir: Path | None
    codelists: dict[str, Codelist] = field(default_factory=dict)
    schema_cache: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    # With --allow-remote: the http(s) files named by descriptors, fetched into a temporary folder.
    remote: RemoteFiles | None = None
    # The catalog's policy applies by default though there is no catalog folder: a single CSV
    # checked against one of a catalog's schemas, or a package about to be published.
    catalog_policy: bool = False
    # The folders a schema or codelist named by a slug was read from (the catalog's own schemas/,
    # the installed standard): the catalog's ``standard:`` pin is checked against them.
    standards_used: dict[Path, standard.Standard] = field(default_factory=dict)

    def find_schema(self, name: str) -> Path | None:
        """The schema called ``name``: in the catalog's own schemas/ first, then the installed standard."""
        return self._find(name, lambda std: std.schema_path(name))

    def find_codelist(self, name: str) -> Path | None:
        """The codelist called ``name``: in the catalog's own schemas/ first, then the installed standard."""
        return self._find(name, lambda std: std.codelist_path(name))

    def _find(self, name: str, look: Callable[[standard.Standard], Path | None]) -> Path | None:
        places = [standard.Standard(self.schemas_dir)] if self.schemas_dir is not None else []
        shipped = standard.installed()
        if shipped is not None:
            places.append(shipped)
        for std in places:
            found = look(std)
            if found is not None:
                if std.folder not in self.standards_used:
                    self.standards_used[std.folder] = (
                        std if std is shipped else standard.read_standard(std.folder)
                    )
                return found
        return None

    @property
    def in_catalog(self) -> bool:
        """Whether the catalog's own policy (the ``catalog`` profile) applies by default."""
        return self.folder is not None or self.catalog_policy


def applied_profiles(requested: list[str] | None, in_catalog: bool, own: list[str]) -> list[str]:
    """The policy profiles that apply to a dataset, in order, each once.

    ``requested`` ``None``: the ``catalog`` profile inside a catalog, plus the dataset's own
    ``policy_profiles``. A list replaces the dataset's own profiles and keeps the ``catalog`` profile
    inside a catalog, unless it holds ``"none"`` (or is empty): then exactly the other profiles
    listed apply, and nothing else.
    """
    if requested is None:
        chosen = ([CATALOG_PROFILE] if in_catalog else []) + own
    elif not requested or "none" in requested:
        chosen = [p for p in requested if p != "none"]
    else:
        chosen = ([CATALOG_PROFILE] if in_catalog else []) + list(requested)
    return list(dict.fromkeys(chosen))


# ── path safety ──────────────────────────────────────────────────────────────────────────────────

_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def unsafe_reason(ref: str, allow_parent: bool = False) -> tuple[str, str] | None:
    """Why a relative reference from a descriptor is refused, in (es, en), or None if it is fine."""
    decoded = urllib.parse.unquote(ref)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", decoded) or decoded.lower().startswith("file:"):
        return ("URL remota", "remote URL")
    if decoded.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(decoded):
        return ("ruta absoluta", "absolute path")
    if not allow_parent and ".." in re.split(r"[\\/]", decoded):
        return ("contiene «..»", "contains '..'")
    if "\x00" in decoded:
        return ("carácter nulo", "NUL character")
    return None


def confine(
    ref: str, base: Path, root: Path, *, allow_parent: bool = False
) -> tuple[Path | None, tuple[str, str] | None]:
    """Resolve ``ref`` against ``base`` and make sure it stays inside ``root`` (symlinks followed)."""
    reason = unsafe_reason(ref, allow_parent)
    if reason:
        return None, reason
    try:
        target = (base / ref).resolve()
        target.is_file()  # names too long for the file system fail here, not later
    except (OSError, ValueError) as ex:
        return None, (f"ruta no válida ({type(ex).__name__})", f"invalid path ({type(ex).__name__})")
    if not target.is_relative_to(root.resolve()):
        return None, ("un enlace simbólico sale de la carpeta", "a symlink leads outside the folder")
    return target, None


def _locate(
    ref: str,
    dataset: Dataset,
    catalog: Catalog,
    out: _Collector,
    where: dict[str, Any],
    *,
    schema: bool = False,
) -> Path | None:
    """A descriptor's reference as a local file: a path confined to the dataset folder, or, with
    ``--allow-remote``, the fetched copy of an http(s) URL. Every refusal is a finding."""
    if catalog.remote is not None:
        from toolkit.catalog import remote

        if remote.is_remote(ref):
            try:
                fetched = catalog.remote.get(
                    ref,
                    default_suffix=".yaml" if schema else ".csv",
                    max_bytes=remote.MAX_SCHEMA_BYTES if schema else None,
                )
            except remote.RemoteError as ex:
                out.add("remote-error", value=ref, detail=ex.reason_es, detail_en=ex.reason_en, **where)
                return None
            return fetched.path
    path, reason = confine(ref, dataset.folder, dataset.folder)
    if reason or path is None:
        from toolkit.catalog.remote import is_remote

        es, en = reason or ("", "")
        if is_remote(ref):
            es, en = (
                "URL remota; para descargarla usa --allow-remote",
                "remote URL; pass --allow-remote to download it",
            )
        elif reason and catalog.remote is not None and reason[1] == "remote URL":
            es, en = (
                "URL remota; solo se admiten http:// y https://",
                "remote URL; only http:// and https://",
            )
        out.add("unsafe-path", value=ref, detail=es, detail_en=en, **where)
        return None
    return path


# ── loading ──────────────────────────────────────────────────────────────────────────────────────


class _Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def add(self, code: str, **kw: Any) -> None:
        self.findings.append(make_finding(code, **kw))


def _read_doc(path: Path, out: _Collector, dataset: str | None) -> structured.Document | None:
    try:
        return structured.read(path)
    except structured.StructuredError as ex:
        out.add(
            "syntax-error",
            dataset=dataset,
            path=display_path(path),
            line=ex.line,
            kind=ex.kind,
            detail=ex.detail_es,
            detail_en=ex.detail,
        )
    except OSError as ex:
        out.add("file-missing", dataset=dataset, path=display_path(path), value=path.name, detail=ex.strerror)
    return None


def load_codelist(path: Path, value_type: str = "string") -> Codelist:
    """Read a codelist CSV; raise ValueError with a reason if it is malformed."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
        header = list(rows[0].keys()) if rows else []
    missing = [c for c in CODELIST_COLUMNS if c not in header]
    if missing:
        raise ValueError(f"missing columns {', '.join(missing)}")
    codes: list[Any] = []
    labels: dict[Any, tuple[str, str]] = {}
    for row in rows:
        code: Any = row["code"]
        if value_type == "integer":
            code = int(code)
        if code in labels:
            raise ValueError(f"duplicate code {code}")
        codes.append(code)
        labels[code] = (row["label_es"], row["label_en"])
    return Codelist(path.stem, codes, labels, path)


def _resolve_codelists(
    schema: dict[str, Any], catalog: Catalog, out: _Collector, where: dict[str, Any]
) -> None:
    for f in schema.get("fields") or []:
        if not isinstance(f, dict) or "codelist" not in f:
            continue
        name = str(f["codelist"])
        cl = catalog.codelists.get(name)
        if cl is None:
            path = catalog.find_codelist(name) if SLUG.match(name.replace("_", "-")) else None
            if path is None:
                out.add(
                    "codelist-error",
                    value=name,
                    field=f.get("name"),
                    detail="no existe en schemas/codelists/ ni en el estándar instalado",
                    detail_en="not found in schemas/codelists/ nor in the installed standard",
                    **where,
                )
                continue
            try:
                cl = load_codelist(path, f.get("type", "string"))
            except (ValueError, UnicodeDecodeError, OSError) as ex:
                out.add("codelist-error", value=name, path=display_path(path), detail=str(ex))
                continue
            catalog.codelists[name] = cl
        if not f.get("listSeparator"):
            f.setdefault("constraints", {})["enum"] = list(cl.codes)


def _load_schema(
    ref: Any, dataset: Dataset, catalog: Catalog, out: _Collector, where: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    if isinstance(ref, dict):
        inline = normalize_schema(copy.deepcopy(ref))
        if not _schema_ok(inline, None, lambda *_k: where.get("line"), dataset.slug, out, where):
            return None, None
        return inline, None
    if not isinstance(ref, str) or not ref:
        out.add(
            "schema-missing",
            value=str(ref),
            detail="falta o no es texto",
            detail_en="missing or not text",
            **where,
        )
        return None, None
    if SLUG.match(ref.replace("_", "-")) and "." not in ref:
        path: Path | None = catalog.find_schema(ref)
        if path is None:
            if catalog.schemas_dir is not None:
                es = f"no existe {ref}.schema.yaml en schemas/ ni en el estándar instalado"
                en = f"{ref}.schema.yaml exists neither in schemas/ nor in the installed standard"
            else:
                es = f"no hay carpeta schemas/ junto al catálogo y el estándar instalado no tiene «{ref}»"
                en = (
                    f"there is no schemas/ folder beside the catalog and no '{ref}' in the installed standard"
                )
            out.add(
                "schema-missing",
                value=ref,
                detail=es,
                detail_en=en,
                **where,
            )
            return None, None
    else:
        path = _locate(ref, dataset, catalog, out, where, schema=True)
        if path is None:
            return None, None
        if not path.is_file():
            out.add(
                "schema-missing",
                value=ref,
                detail="el archivo no existe",
                detail_en="the file does not exist",
                **where,
            )
            return None, None
    key = str(path)
    if key in catalog.schema_cache:
        cached = catalog.schema_cache[key]
        return (copy.deepcopy(cached) if cached is not None else None), display_path(path)
    catalog.schema_cache[key] = None
    doc = _read_doc(path, out, dataset.slug)
    if doc is None:
        return None, None
    if not _schema_ok(doc.data, display_path(path), doc.line, dataset.slug, out, {}):
        return None, None
    catalog.schema_cache[key] = normalize_schema(doc.data)
    return copy.deepcopy(doc.data), display_path(path)


def normalize_schema(schema: Any) -> Any:
    """The schema with the shorthands frictionless reads written out in full: a ``primaryKey`` or a
    foreign key's ``fields`` given as one field name becomes a list of one (Table Schema v1), and a
    foreign key with no ``resource`` points to its own table (v2)."""
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("primaryKey"), str):
        schema["primaryKey"] = [schema["primaryKey"]]
    keys = schema.get("foreignKeys")
    for fk in keys if isinstance(keys, list) else []:
        if not isinstance(fk, dict):
            continue
        if isinstance(fk.get("fields"), str):
            fk["fields"] = [fk["fields"]]
        reference = fk.get("reference")
        if isinstance(reference, dict) and isinstance(reference.get("fields"), str):
            reference["fields"] = [reference["fields"]]
        if isinstance(reference, dict) and "resource" not in reference:
            reference["resource"] = ""  # Data Package v2: no resource means this same table
    return schema


def _schema_ok(
    data: Any,
    shown: str | None,
    line: Any,
    dataset: str,
    out: _Collector,
    where: dict[str, Any],
) -> bool:
    """Add a ``schema-error`` finding for each Table Schema problem of ``data``; True when none.
    ``line`` maps a key path to a line of the file (or of the descriptor, for an inline schema)."""
    place = {"dataset": dataset, "path": shown or where.get("path"), "resource": where.get("resource")}
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        if isinstance(data, dict):
            es, en = "falta la lista «fields»", "the 'fields' list is missing"
        else:
            es, en = "no es un objeto", "it is not a mapping"
        out.add("schema-error", line=line("fields"), detail=es, detail_en=en, **place)
        return False
    problems = _schema_problems(normalize_schema(data))
    for keypath, es, en in problems:
        out.add("schema-error", line=line(*keypath), detail=es, detail_en=en, **place)
    return not problems


def _schema_problems(schema: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str]]:
    """Table Schema errors, located by key path, using frictionless's own metadata validation;
    each in (Spanish, English) — frictionless's own notes are English only."""
    problems: list[tuple[tuple[Any, ...], str, str]] = []
    for i, f in enumerate(schema["fields"]):
        if not isinstance(f, dict) or not f.get("name"):
            problems.append(
                (("fields", i), f"el campo {i + 1} no tiene nombre", f"field {i + 1} has no name")
            )
        elif not isinstance(f.get("type", "string"), str) or f.get("type", "string") not in FIELD_TYPES:
            problems.append(
                (
                    ("fields", i, "type"),
                    f"el campo «{f['name']}» tiene el tipo desconocido «{f.get('type')}»",
                    f'field "{f["name"]}" has the unknown type "{f.get("type")}"',
                )
            )
    keys = schema.get("foreignKeys")
    for i, fk in enumerate(keys if isinstance(keys, list) else []):
        # frictionless's own validation indexes these without checking them (a KeyError)
        if not isinstance(fk, dict) or not isinstance(fk.get("reference"), dict):
            problems.append(
                (
                    ("foreignKeys", i),
                    f"la clave foránea {i + 1} necesita «fields» y «reference» (con «resource» y «fields»)",
                    f"foreign key {i + 1} needs 'fields' and 'reference' (with 'resource' and 'fields')",
                )
            )
    if problems or lightcheck.schema_fine(schema):
        return problems
    from frictionless import FrictionlessException, Schema

    try:
        errors = list(Schema.metadata_validate(schema))
    except FrictionlessException as ex:
        note = ex.error.note or str(ex)
        return [((), f"frictionless: {note}", note)]
    for error in errors:
        note = error.note
        m = re.search(r"at property '([^']+)'", note)
        keypath: tuple[Any, ...] = (
            tuple(int(p) if p.isdigit() else p for p in m.group(1).split("/")) if m else ()
        )
        problems.append((keypath, f"frictionless: {note}", note))
    return problems or _constraint_problems(schema)


def _constraint_problems(schema: dict[str, Any]) -> list[tuple[tuple[Any, ...], str, str]]:
    """Constraints whose value the field's own type cannot read (``minimum: "x"`` on an integer)
    or whose pattern is not a regular expression: frictionless would crash on the first cell."""
    from frictionless import FrictionlessException, Schema

    try:
        fields = Schema.from_descriptor(schema).fields
    except FrictionlessException as ex:
        note = ex.error.note or str(ex)
        return [((), f"frictionless: {note}", note)]
    problems: list[tuple[tuple[Any, ...], str, str]] = []
    for i, f in enumerate(fields):
        read = f.create_value_reader()
        for name, value in (f.constraints or {}).items():
            where = ("fields", i, "constraints", name)
            if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and read(value) is None:
                problems.append(
                    (
                        where,
                        f"«{name}» de «{f.name}» vale «{value}», que no es {f.type}",
                        f"'{name}' of '{f.name}' is '{value}', which is not a {f.type}",
                    )
                )
            elif name == "pattern":
                try:
                    re.compile(str(value))
                except re.error as ex:
                    problems.append(
                        (
                            where,
                            f"el patrón de «{f.name}» no es una expresión regular válida ({ex})",
                            f"the pattern of '{f.name}' is not a valid regular expression ({ex})",
                        )
                    )
    return problems


REQUIRED_DATASET = {
    "name": ("el nombre de la carpeta", "the folder name"),
    "title": ("título en español", "title in Spanish"),
    "title_en": ("título en inglés", "title in English"),
    "description": ("descripción en español", "description in Spanish"),
    "description_en": ("descripción en inglés", "description in English"),
    "version": ("versión, p. ej. 1.0.0", "version, e.g. 1.0.0"),
    "licenses": ("lista de licencias con name y path", "list of licences with name and path"),
    "sources": ("lista de fuentes con title y path", "list of sources with title and path"),
    "modified": ("fecha de última modificación AAAA-MM-DD", "date last modified YYYY-MM-DD"),
    "resources": ("lista de tablas con name, path y schema", "list of tables with name, path and schema"),
}
RECOMMENDED_DATASET = {
    "keywords": ("palabras clave en español", "keywords in Spanish"),
    "keywords_en": ("palabras clave en inglés", "keywords in English"),
    "contributors": ("quién elaboró los datos", "who prepared the data"),
    "spatial": (
        "cobertura geográfica con country y subdivision",
        "spatial coverage with country and subdivision",
    ),
    "temporal": ("cobertura temporal con start y end", "temporal coverage with start and end"),
    "update_frequency": ("frecuencia de actualización", "update frequency"),
    "created": ("fecha de creación AAAA-MM-DD", "creation date YYYY-MM-DD"),
}
REQUIRED_CATALOG = {
    "title": ("título con es y en", "title with es and en"),
    "description": ("descripción con es y en", "description with es and en"),
    "publisher": ("publicador con name y url", "publisher with name and url"),
    "contact": ("contacto con name y email", "contact with name and email"),
    "base_url": ("URL pública del sitio", "public URL of the site"),
    "license": ("licencia por defecto, p. ej. CC-BY-4.0", "default licence, e.g. CC-BY-4.0"),
    "languages": ("idiomas, p. ej. [es, en]", "languages, e.g. [es, en]"),
}


def _check_catalog_metadata(meta: Any, path: Path, doc: structured.Document, out: _Collector) -> None:
    shown = display_path(path)
    if not isinstance(meta, dict):
        out.add(
            "metadata-invalid",
            path=shown,
            line=1,
            property="catalog",
            detail="no es un objeto",
            detail_en="not a mapping",
            expected="un objeto YAML con title, description…",
            expected_en="a YAML mapping",
        )
        return
    for key, (es, en) in REQUIRED_CATALOG.items():
        if key not in meta or meta[key] in (None, "", [], {}):
            out.add(
                "metadata-missing", path=shown, line=doc.line(key), property=key, expected=es, expected_en=en
            )
    for key in ("title", "description"):
        value = meta.get(key)
        if key in meta and not (isinstance(value, dict) and value.get("es") and value.get("en")):
            out.add(
                "metadata-invalid",
                path=shown,
                line=doc.line(key),
                property=key,
                detail="debe tener textos «es» y «en»",
                detail_en="must have 'es' and 'en' texts",
                expected="escribe es: … y en: …",
                expected_en="write es: … and en: …",
            )


def _check_standard_pin(catalog: Catalog, doc: structured.Document, path: Path, out: _Collector) -> None:
    """``standard:`` in catalog.yaml against the version of each standard a schema or codelist was
    read from (the installed one, or the catalog's own schemas/ when it carries a standard.yaml)."""
    if "standard" not in catalog.metadata:
        return
    where = {"path": display_path(path), "line": doc.line("standard")}
    pin_text = catalog.metadata["standard"]
    try:
        pin = standard.parse_pin(str(pin_text)) if isinstance(pin_text, str | int | float) else None
    except ValueError:
        pin = None
    if pin is None:
        out.add(
            "metadata-invalid",
            property="standard",
            detail=f"«{pin_text}» no es una versión ni un rango de versiones",
            detail_en=f"'{pin_text}' is not a version nor a range of versions",
            expected="una versión (1.0.0) o un rango entre comillas («>=1.0,<2»)",
            expected_en="a version (1.0.0) or a quoted range ('>=1.0,<2')",
            **where,
        )
        return
    shipped = standard.installed()
    for folder, std in catalog.standards_used.items():
        own = shipped is None or folder != shipped.folder
        if own and std.version is None:
            continue  # the catalog's own schemas, with no standard.yaml: not a copy of a standard
        if not standard.satisfies(std.version, pin):
            out.add(
                "standard-mismatch",
                value=str(pin_text),
                version=std.version or "?",
                source="de la carpeta schemas/ del catálogo"
                if own
                else "del estándar instalado con la herramienta",
                source_en="the catalog's schemas/ folder"
                if own
                else "the standard installed with the toolkit",
                folder=display_path(folder),
                **where,
            )


def _check_dataset_metadata(
    ds: Dataset, doc: structured.Document, out: _Collector, *, policy: bool = True
) -> None:
    """Check a descriptor. ``policy``: the catalog profile applies, and with it the catalog's own
    requirements (bilingual titles and descriptions, version, licences, sources, dates, the name of
    the folder); without it only what the Data Package standard requires and the values present."""
    meta = ds.descriptor
    shown = display_path(ds.descriptor_path) if ds.descriptor_path else None
    where = {"dataset": ds.slug, "path": shown}
    for key, (es, en) in REQUIRED_DATASET.items():
        if not policy and key != "resources":
            continue
        if key not in meta or meta[key] in (None, "", [], {}):
            out.add(
                "metadata-missing", line=doc.line(key), property=key, expected=es, expected_en=en, **where
            )
    for key, (es, en) in RECOMMENDED_DATASET.items() if policy else ():
        if key not in meta or meta[key] in (None, "", [], {}):
            out.add(
                "metadata-recommended",
                line=doc.line(key),
                property=key,
                expected=es,
                expected_en=en,
                **where,
            )

    def invalid(key: str, es: str, en: str, exp_es: str, exp_en: str, *keypath: Any) -> None:
        out.add(
            "metadata-invalid",
            line=doc.line(key, *keypath),
            property=key,
            detail=es,
            detail_en=en,
            expected=exp_es,
            expected_en=exp_en,
            **where,
        )

    name = meta.get("name")
    if policy and name is not None and name != ds.slug:
        invalid(
            "name",
            f"«{name}» no coincide con la carpeta «{ds.slug}»",
            f"'{name}' does not match the folder '{ds.slug}'",
            f"usa name: {ds.slug}",
            f"use name: {ds.slug}",
        )
    version = meta.get("version")
    # The standard recommends semantic versions; the catalog requires them (packages are named by them).
    if policy and version is not None and not SEMVER.match(str(version)):
        invalid(
            "version",
            f"«{version}» no es una versión semántica",
            f"'{version}' is not a semantic version",
            "usa el formato MAYOR.MENOR.PARCHE, p. ej. 1.2.0",
            "use MAJOR.MINOR.PATCH, e.g. 1.2.0",
        )
    for key in ("created", "modified"):
        value = meta.get(key)
        if value is not None and not ISO_DATE.match(str(value)[:10]):
            invalid(
                key,
                f"«{value}» no es una fecha AAAA-MM-DD",
                f"'{value}' is not a YYYY-MM-DD date",
                "escribe la fecha como AAAA-MM-DD",
                "write the date as YYYY-MM-DD",
            )
    for key, need in (("licenses", ("name", "path")), ("sources", ("title", "path"))):
        items = meta.get(key)
        if items is None:
            continue
        if not isinstance(items, list):
            invalid(key, "no es una lista", "is not a list", "escribe una lista", "write a list")
            continue
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not any(item.get(k) for k in need):
                invalid(
                    key,
                    f"el elemento {i + 1} no tiene {' ni '.join(need)}",
                    f"item {i + 1} has no {' or '.join(need)}",
                    f"cada elemento necesita {' y '.join(need)}",
                    f"each item needs {' and '.join(need)}",
                    i,
                )
    spatial = meta.get("spatial")
    if isinstance(spatial, dict):
        from toolkit.catalog.iso import country_problem, subdivision_problem

        country = spatial.get("country")
        if country and country_problem(str(country), 2):
            invalid(
                "spatial",
                f"«{country}» no es un código de país ISO 3166-1 alfa-2",
                f"'{country}' is not an ISO 3166-1 alpha-2 country code",
                "usa p. ej. MX",
                "use e.g. MX",
                "country",
            )
        sub = spatial.get("subdivision")
        if sub and subdivision_problem(str(sub), str(country) if country else None):
            invalid(
                "spatial",
                f"«{sub}» no es una subdivisión ISO 3166-2 válida",
                f"'{sub}' is not a valid ISO 3166-2 subdivision",
                "usa p. ej. MX-CMX",
                "use e.g. MX-CMX",
                "subdivision",
            )
    profiles = meta.get("policy_profiles")
    if profiles is not None:
        for p in profiles if isinstance(profiles, list) else [profiles]:
            if not isinstance(p, str) or p not in PROFILE_NAMES:
                invalid(
                    "policy_profiles",
                    f"perfil desconocido «{p}»",
                    f"unknown profile '{p}'",
                    f"perfiles disponibles: {', '.join(PROFILE_NAMES)}",
                    f"available profiles: {', '.join(PROFILE_NAMES)}",
                )


def _check_package_properties(
    ds: Dataset, doc: structured.Document, out: _Collector, *, policy: bool = True
) -> None:
    """What frictionless checks at the package level: the Data Package profile, e-mails of
    contributors and sources, and the schema properties that do nothing there (``missingValues``,
    ``fields``). ``policy``: the catalog profile applies (it checks the name and version itself)."""
    meta = ds.descriptor
    where = {"dataset": ds.slug, "path": display_path(ds.descriptor_path) if ds.descriptor_path else None}
    for key in ("contributors", "sources"):
        items = meta.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            value = item.get("email") if isinstance(item, dict) else None
            if value and _not_email(value):
                out.add(
                    "metadata-invalid",
                    line=doc.line(key, i, "email"),
                    property=f"{key}[{i}].email",
                    detail=f"«{value}» no es una dirección de correo",
                    detail_en=f"'{value}' is not an e-mail address",
                    expected="una dirección como nombre@dominio.org",
                    expected_en="an address such as name@domain.org",
                    **where,
                )
    own = _OWN_PROPERTIES | ({"name", "version"} if policy else set())
    _check_package_profile(meta, doc, out, where, own)
    for key in ("missingValues", "fields"):
        if key in meta:
            out.add(
                "metadata-invalid",
                line=doc.line(key),
                property=key,
                detail="no tiene efecto en el paquete: solo se aplica dentro del esquema de cada recurso",
                detail_en="has no effect on the package: it only applies inside each resource's schema",
                expected=f"muévelo a «schema: {{{key}: …}}» de cada recurso",
                expected_en=f"move it to each resource's 'schema: {{{key}: …}}'",
                **where,
            )


def _not_email(value: Any) -> bool:
    """Whether frictionless's ``email`` string format rejects ``value``."""
    from frictionless import fields

    return bool(fields.StringField(name="email", format="email").read_cell(value)[1])


# Properties whose problems our own checks always name (in both languages, with a fix): the Data
# Package profile's notes about them would say the same thing a second time.
_OWN_PROPERTIES = {"created", "modified", "licenses", "sources", "contributors"}


def _check_package_profile(
    meta: dict[str, Any], doc: structured.Document, out: _Collector, where: dict[str, Any], own: set[str]
) -> None:
    """The Data Package profile as frictionless checks it (``keywords`` a list, ``image`` a text,
    a resource's ``mediatype``…), for what our own checks do not already cover."""
    import json

    plain = json.loads(json.dumps(meta, default=str))  # YAML dates as the text they were written as
    resources = plain.pop("resources", None)
    # The package's own properties, then each resource's (its schema and dialect have their own
    # checks): frictionless's notes carry no resource index, so each resource is validated alone.
    # A descriptor frictionless certainly accepts is not given to it (importing it costs more
    # than validating the whole catalog).
    checks: list[tuple[tuple[Any, ...], str, Any]] = []
    package = {**plain, "resources": [{"name": "x", "path": "x"}]}
    if not lightcheck.package_fine(package):
        checks.append(((), "Package", package))
    for i, res in enumerate(resources if isinstance(resources, list) else []):
        if isinstance(res, dict):
            shape = {k: v for k, v in res.items() if k not in ("schema", "dialect")}
            if not lightcheck.resource_fine(shape):
                checks.append((("resources", i), "Resource", shape))
    if not checks:
        return
    import frictionless
    from frictionless import FrictionlessException

    for prefix, name, descriptor in checks:
        kind = getattr(frictionless, name)
        try:
            errors = list(kind.metadata_validate(descriptor))
        except FrictionlessException as ex:
            errors = [ex.error]
        for error in errors:
            note = error.note or ""
            m = re.search(r"at property '([^']+)'", note)
            keypath = tuple(int(k) if k.isdigit() else k for k in m.group(1).split("/")) if m else ()
            if not prefix and keypath[:1] and keypath[0] in own:
                continue
            if prefix and (
                keypath[:1] in (("name",), ("path",)) or re.match(r"'(name|path)' is a required", note)
            ):
                continue  # a resource's name and path have their own findings
            if "is not safe" in note or note.startswith('property "') or "should be set as" in note:
                continue  # unsafe paths, e-mails and misplaced schema properties: checked above
            _profile_finding(out, doc, where, (*prefix, *keypath), note)


def _profile_finding(
    out: _Collector, doc: structured.Document, where: dict[str, Any], keypath: tuple[Any, ...], note: str
) -> None:
    out.add(
        "descriptor-error",
        line=doc.line(*keypath) if keypath else 1,
        detail=f"frictionless: {note}",
        detail_en=note,
        **where,
    )


def _load_resources(ds: Dataset, doc: structured.Document, catalog: Catalog, out: _Collector) -> None:
    resources = ds.descriptor.get("resources")
    if not isinstance(resources, list):
        return
    shown = display_path(ds.descriptor_path) if ds.descriptor_path else None
    names: set[str] = set()
    for i, res in enumerate(resources):
        where = {"dataset": ds.slug, "path": shown, "line": doc.line("resources", i)}
        if not isinstance(res, dict):
            out.add(
                "metadata-invalid",
                property=f"resources[{i}]",
                detail="no es un objeto",
                detail_en="not a mapping",
                expected="name, path y schema",
                expected_en="name, path and schema",
                **where,
            )
            continue
        name = res.get("name")
        refused = discovery.unsupported_kind(res)
        if refused is not None:
            # Never parsed as a CSV nor left out in silence: this tool does not read it.
            detail, detail_en, fix, fix_en = refused
            out.add(
                "resource-unsupported",
                resource=name if isinstance(name, str) else None,
                name=name if isinstance(name, str) else f"resources[{i}]",
                detail=detail,
                detail_en=detail_en,
                expected=fix,
                expected_en=fix_en,
                **where,
            )
            if isinstance(name, str):
                names.add(name)
            continue
        missing = [k for k in ("name", "path", "schema") if not res.get(k)]
        for key in missing:
            out.add(
                "metadata-missing",
                property=f"resources[{i}].{key}",
                expected="obligatorio",
                expected_en="required",
                **{**where, "line": doc.line("resources", i)},
            )
        if not name or not isinstance(res.get("path"), str):
            continue
        if name in names:
            out.add(
                "metadata-invalid",
                property=f"resources[{i}].name",
                resource=name,
                detail=f"«{name}» está repetido",
                detail_en=f"'{name}' is repeated",
                expected="nombres únicos",
                expected_en="unique names",
                **where,
            )
            continue
        names.add(name)
        ref = res["path"]
        line = doc.line("resources", i, "path")
        path = _locate(ref, ds, catalog, out, {**where, "resource": name, "line": line})
        if path is None:
            continue
        schema, source = (None, None)
        if res.get("schema"):
            schema, source = _load_schema(
                res["schema"],
                ds,
                catalog,
                out,
                {**where, "resource": name, "line": doc.line("resources", i, "schema")},
            )
            if schema is not None:
                _resolve_codelists(
                    schema, catalog, out, {"dataset": ds.slug, "resource": name, "path": source or shown}
                )
        place = {**where, "resource": name}
        shape, readable = _load_dialect(res, i, ds, catalog, doc, out, place)
        if not readable or not _sizes_ok(res, i, doc, out, place):
            schema = None  # a finding says why; the table cannot be read as declared
        if not path.is_file():
            out.add("file-missing", value=ref, resource=name, **{**where, "line": line})
            ds.resources.append(ResourceSpec(name, path, res, schema, source, shape))
            continue
        ds.resources.append(ResourceSpec(name, path, res, schema, source, shape))


def _load_dialect(
    res: dict[str, Any],
    i: int,
    ds: Dataset,
    catalog: Catalog,
    doc: structured.Document,
    out: _Collector,
    where: dict[str, Any],
) -> tuple[dict[str, Any] | None, bool]:
    """The resource's declared CSV dialect, inline or from its file (confined like the data), and
    whether it can be used: an unreadable or invalid dialect is a finding, never ignored."""
    ref = res.get("dialect")
    if ref is None:
        return None, True
    from frictionless import Dialect, FrictionlessException

    line = doc.line("resources", i, "dialect")
    data: Any = ref
    shown = where.get("path")
    if isinstance(ref, str) and ref:
        path = _locate(ref, ds, catalog, out, {**where, "line": line}, schema=True)
        if path is None:
            return None, False
        if not path.is_file():
            out.add("file-missing", value=ref, **{**where, "line": line})
            return None, False
        dialect_doc = _read_doc(path, out, ds.slug)
        if dialect_doc is None:
            return None, False
        data, shown, line = dialect_doc.data, display_path(path), 1
    if not isinstance(data, dict):
        es, en = (
            "«dialect» debe ser un objeto o la ruta de un archivo",
            "'dialect' must be a mapping or a file path",
        )
        out.add("descriptor-error", detail=es, detail_en=en, **{**where, "path": shown, "line": line})
        return None, False
    problems = [e.note for e in Dialect.metadata_validate(data)]
    if not problems:
        try:  # the CSV properties (its "control") are only checked when the dialect is built
            Dialect.from_descriptor(copy.deepcopy(data))
        except FrictionlessException as ex:
            problems.extend(e.note for e in (ex.reasons or [ex.error]))
    csv_props = {**data, **(data["csv"] if isinstance(data.get("csv"), dict) else {})}
    for key in ("delimiter", "quoteChar", "escapeChar") if not problems else ():
        value = csv_props.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(f"'{key}' must be a character, not {value!r}")
        elif isinstance(value, str) and len(value) != 1 and not (key == "quoteChar" and value == ""):
            problems.append(f"'{key}' must be one character, not {value!r}")
    if isinstance(data.get("headerRows"), list) and not all(
        isinstance(n, int) and n >= 1 for n in data["headerRows"]
    ):
        problems.append("'headerRows' must list row numbers from 1")
    for note in problems:
        out.add(
            "descriptor-error",
            detail=f"dialecto CSV: {note}",
            detail_en=f"CSV dialect: {note}",
            **{**where, "path": shown, "line": line},
        )
    return (copy.deepcopy(data), True) if not problems else (None, False)


_HASH = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-fA-F]+)$")


def _sizes_ok(
    res: dict[str, Any], i: int, doc: structured.Document, out: _Collector, where: dict[str, Any]
) -> bool:
    """A declared ``bytes`` must be a whole number and ``hash`` a hex digest; frictionless checks
    md5 and sha256 digests only, so another algorithm is a warning that it was not checked."""
    ok = True
    size = res.get("bytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        out.add(
            "metadata-invalid",
            property=f"resources[{i}].bytes",
            detail=f"«{size}» no es un número entero de bytes",
            detail_en=f"'{size}' is not a whole number of bytes",
            expected="el tamaño del archivo en bytes, p. ej. 1024",
            expected_en="the file's size in bytes, e.g. 1024",
            **{**where, "line": doc.line("resources", i, "bytes")},
        )
        ok = False
    digest = res.get("hash")
    match = _HASH.match(digest) if isinstance(digest, str) else None
    if digest is not None and match is None:
        out.add(
            "metadata-invalid",
            property=f"resources[{i}].hash",
            detail=f"«{digest}» no es una suma de verificación",
            detail_en=f"'{digest}' is not a checksum",
            expected="md5:… o sha256:… seguido de los dígitos hexadecimales",
            expected_en="md5:… or sha256:… followed by the hex digits",
            **{**where, "line": doc.line("resources", i, "hash")},
        )
        ok = False
    elif match is not None and (match.group(1) or "md5") not in ("md5", "sha256"):
        out.add(
            "metadata-invalid",
            severity="warning",
            property=f"resources[{i}].hash",
            detail=f"el algoritmo «{match.group(1)}» no se comprueba",
            detail_en=f"the algorithm '{match.group(1)}' is not checked",
            expected="usa md5:… o sha256:… para que se compruebe",
            expected_en="use md5:… or sha256:… so that it is checked",
            **{**where, "line": doc.line("resources", i, "hash")},
        )
    return ok


def load_dataset(
    folder: Path, catalog: Catalog, out: _Collector, profiles: list[str] | None = None
) -> Dataset:
    """Load one dataset folder; ``profiles`` as requested (see :func:`applied_profiles`)."""
    folder = folder.resolve()
    descriptor_path = next((folder / n for n in DESCRIPTOR_NAMES if (folder / n).is_file()), None)
    ds = Dataset(folder.name, folder, descriptor_path, {})
    if descriptor_path is None:
        out.add("catalog-missing", dataset=ds.slug, name="datapackage.yaml", folder=display_path(folder))
        return ds
    doc = _read_doc(descriptor_path, out, ds.slug)
    if doc is None:
        return ds
    if not isinstance(doc.data, dict):
        out.add(
            "descriptor-error",
            dataset=ds.slug,
            path=display_path(descriptor_path),
            line=1,
            detail="el descriptor no es un objeto (name, resources…)",
            detail_en="the descriptor is not a mapping (name, resources…)",
        )
        return ds
    ds.descriptor = doc.data
    policy = CATALOG_PROFILE in applied_profiles(profiles, catalog.in_catalog, ds.profiles)
    _check_dataset_metadata(ds, doc, out, policy=policy)
    _check_package_properties(ds, doc, out, policy=policy)
    _load_resources(ds, doc, catalog, out)
    _check_key_targets(ds, doc, out)
    out.findings.extend(discovery.undeclared_files(ds))
    return ds


def _check_key_targets(ds: Dataset, doc: structured.Document, out: _Collector) -> None:
    """A foreign key to a resource the package does not declare cannot be checked: say so (it is
    frictionless's resource-error), never leave it out in silence."""
    resources = ds.descriptor.get("resources")
    declared = {
        r.get("name"): i
        for i, r in enumerate(resources if isinstance(resources, list) else [])
        if isinstance(r, dict)
    }
    shown = display_path(ds.descriptor_path) if ds.descriptor_path else None
    for spec in ds.resources:
        for fk in (spec.schema or {}).get("foreignKeys") or []:
            target = (fk.get("reference") or {}).get("resource", "") if isinstance(fk, dict) else ""
            if target in ("", spec.name) or target in declared:
                continue
            fields = ", ".join(str(f) for f in fk.get("fields") or [])
            out.add(
                "descriptor-error",
                dataset=ds.slug,
                resource=spec.name,
                path=shown,
                line=doc.line("resources", declared.get(spec.name, 0), "schema"),
                detail=f"la clave foránea ({fields}) de «{spec.name}» apunta al recurso «{target}», "
                "que este paquete no declara",
                detail_en=f"the foreign key ({fields}) of '{spec.name}' points to the resource "
                f"'{target}', which this package does not declare",
            )


def _dataset_folders(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_dir() and any((p / n).is_file() for n in DESCRIPTOR_NAMES)
    )


def schemas_folder(catalog_folder: Path) -> Path | None:
    """The catalog's own schemas folder (``schemas:`` in its catalog.yaml, ``../schemas`` by default)."""
    try:
        meta = structured.read(catalog_folder / CATALOG_FILE).data
    except (structured.StructuredError, OSError):
        meta = {}
    return _schemas_dir(catalog_folder.resolve(), meta if isinstance(meta, dict) else {})


def _schemas_dir(catalog_folder: Path | None, meta: dict[str, Any]) -> Path | None:
    if catalog_folder is None:
        return None
    ref = meta.get("schemas", "../schemas") if isinstance(meta, dict) else "../schemas"
    if not isinstance(ref, str):
        return None
    root = catalog_folder.parent
    path, reason = confine(ref, catalog_folder, root, allow_parent=True)
    try:
        if reason or path is None or not path.is_dir():
            return None
    except OSError:  # a name too long for the file system, say: no such folder
        return None
    return path


def load_catalog(
    path: Path | str | None = None,
    *,
    only: list[str] | None = None,
    allow_remote: bool = False,
    profiles: list[str] | None = None,
    publishing: bool = False,
) -> tuple[Catalog, list[Finding]]:
    """Load the catalog at ``path`` (a catalog folder, a dataset folder, or a descriptor).

    Returns the catalog and the metadata findings, among them the folders with data and no
    descriptor and the data files no resource declares. Raises :class:`UsageError` when ``path``
    itself does not exist or is not something that can be validated, and when ``only`` names a
    dataset that does not exist. ``allow_remote`` lets resources and schemas name http(s) URLs,
    fetched with the limits of :mod:`toolkit.catalog.remote`. ``profiles`` as requested (see
    :func:`applied_profiles`): the catalog's own metadata rules apply under the ``catalog`` profile.
    ``publishing`` (``package``, ``build``): the catalog profile applies by default outside a
    catalog too, since what is published must carry the metadata the packages and the site use.
    """
    target = Path(path if path is not None else "datasets")
    if not target.exists():
        raise UsageError(f"No existe «{target}».", f"'{target}' does not exist.")
    out = _Collector()
    if target.is_file():
        if target.name not in DESCRIPTOR_NAMES:
            raise UsageError(
                f"«{target}» no es una carpeta, un datapackage.yaml/.json ni un CSV con --schema.",
                f"'{target}' is not a folder, a datapackage.yaml/.json, or a CSV with --schema.",
            )
        target = target.parent
    target = target.resolve()
    if (target / CATALOG_FILE).is_file():
        catalog_folder: Path | None = target
        dataset_folders = _dataset_folders(target)
    elif any((target / n).is_file() for n in DESCRIPTOR_NAMES):
        parent = target.parent
        catalog_folder = parent if (parent / CATALOG_FILE).is_file() else None
        dataset_folders = [target]
    else:
        raise UsageError(
            f"«{display_path(target)}» no tiene catalog.yaml ni datapackage.yaml.",
            f"'{display_path(target)}' has no catalog.yaml or datapackage.yaml.",
        )
    meta: dict[str, Any] = {}
    doc: structured.Document | None = None
    if catalog_folder is not None:
        cat_path = catalog_folder / CATALOG_FILE
        doc = _read_doc(cat_path, out, None)
        if doc is not None:
            if CATALOG_PROFILE in applied_profiles(profiles, True, []):
                _check_catalog_metadata(doc.data, cat_path, doc, out)
            if isinstance(doc.data, dict):
                meta = doc.data
    catalog = Catalog(catalog_folder, meta, [], _schemas_dir(catalog_folder, meta), catalog_policy=publishing)
    if doc is not None and "schemas" in meta and catalog.schemas_dir is None:
        # A folder named on purpose and not found: never fall back to the installed standard in silence.
        out.add(
            "metadata-invalid",
            path=display_path(catalog_folder / CATALOG_FILE) if catalog_folder else None,
            line=doc.line("schemas"),
            property="schemas",
            detail=f"la carpeta «{meta['schemas']}» no existe (junto al catálogo)",
            detail_en=f"the folder '{meta['schemas']}' does not exist (beside the catalog)",
            expected="una ruta relativa a una carpeta de esquemas, o quita «schemas:» "
            "para usar el estándar instalado",
            expected_en="a relative path to a folder of schemas, or remove 'schemas:' "
            "to use the installed standard",
        )
    if allow_remote:
        from toolkit.catalog.remote import RemoteFiles

        catalog.remote = RemoteFiles()
    whole = catalog_folder is not None and target == catalog_folder
    if only:
        available = [f.name for f in dataset_folders]
        if whole:
            assert catalog_folder is not None
            available += [
                f.name
                for f in catalog_folder.iterdir()
                if f.is_dir()
                and f not in dataset_folders
                and not f.name.startswith(".")
                and discovery.data_files(f)
            ]
        discovery.check_names(only, sorted(available))
    for folder in dataset_folders:
        if only and folder.name not in only:
            continue
        catalog.datasets.append(load_dataset(folder, catalog, out, profiles))
    if doc is not None and catalog_folder is not None:
        _check_standard_pin(catalog, doc, catalog_folder / CATALOG_FILE, out)
    if whole:
        out.findings.extend(discovery.undeclared_folders(catalog, only or None))
    return catalog, out.findings


def _is_catalog_schemas(folder: Path) -> bool:
    """Whether ``folder`` is the schemas folder of a catalog beside it (a sibling folder with a
    catalog.yaml whose ``schemas`` names it): tables checked against those schemas follow the
    catalog's policy."""
    try:
        siblings = [p for p in folder.parent.iterdir() if p.is_dir() and (p / CATALOG_FILE).is_file()]
    except OSError:
        return False
    for candidate in siblings:
        try:
            meta = structured.read(candidate / CATALOG_FILE).data
        except (structured.StructuredError, OSError):
            continue
        found = _schemas_dir(candidate, meta if isinstance(meta, dict) else {})
        if found is not None and found.resolve() == folder.resolve():
            return True
    return False


def single_table_catalog(csv_path: Path, schema_path: Path) -> tuple[Catalog, list[Finding]]:
    """A catalog of one dataset holding one CSV and the schema given on the command line."""
    for p in (csv_path, schema_path):
        if not p.is_file():
            raise UsageError(f"No existe el archivo «{p}».", f"The file '{p}' does not exist.")
    out = _Collector()
    folder = csv_path.resolve().parent
    schemas_dir = schema_path.resolve().parent
    catalog = Catalog(None, {}, [], schemas_dir if (schemas_dir / "codelists").is_dir() else None)
    catalog.catalog_policy = _is_catalog_schemas(schemas_dir)
    ds = Dataset(csv_path.stem, folder, None, {})
    refused = discovery.unsupported_kind({"path": csv_path.name})
    if refused is not None:
        detail, detail_en, fix, fix_en = refused
        out.add(
            "resource-unsupported",
            dataset=ds.slug,
            path=display_path(csv_path),
            name=csv_path.name,
            detail=detail,
            detail_en=detail_en,
            expected=fix,
            expected_en=fix_en,
        )
        catalog.datasets.append(ds)
        return catalog, out.findings
    doc = _read_doc(schema_path.resolve(), out, ds.slug)
    schema = None
    if doc is not None and _schema_ok(doc.data, display_path(schema_path), doc.line, ds.slug, out, {}):
        schema = normalize_schema(copy.deepcopy(doc.data))
        _resolve_codelists(schema, catalog, out, {"dataset": ds.slug, "path": display_path(schema_path)})
    name = re.sub(r"[^a-z0-9_-]+", "-", csv_path.stem.lower()).strip("-") or "table"
    ds.resources.append(
        ResourceSpec(
            name, csv_path.resolve(), {"name": name, "path": csv_path.name}, schema, display_path(schema_path)
        )
    )
    catalog.datasets.append(ds)
    return catalog, out.findings


def schema_candidates(name: str, near: Path | None) -> list[Path]:
    """Where a schema called ``name`` may be, nearest first: ``schemas/<name>.schema.yaml`` (or .yml,
    .json) in every folder above ``near`` and above the working directory."""
    folders = [Path.cwd(), *Path.cwd().parents]
    if near is not None:
        folders = [*near.resolve().parents, *folders]
    out = []
    for folder in folders:
        for suffix in (".schema.yaml", ".schema.yml", ".schema.json"):
            out.append(folder / "schemas" / f"{name}{suffix}")
    return out
