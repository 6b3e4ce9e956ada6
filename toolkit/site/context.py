"""Page contexts of the catalog site: the dataclasses its templates read, and its URLs.

Page contexts of the catalog site: small frozen dataclasses the templates read, the site's URL
scheme (Spanish at the root, English under ``en/``) and the Markdown renderer for descriptions.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from toolkit.catalog.metadata import DatasetMeta, Download, licence_url
from toolkit.catalog.model import Catalog
from toolkit.site.data import FACET_DIRS, DatasetData, http_url, mapping, safe_name, text

LANGS = ("es", "en")
PREVIEW_ROWS = 10
PREVIEW_CHARS = 90
DOWNLOADS_DIR = "descargas"
FORMAT_NAMES = {
    "csv": "CSV",
    "json": "JSON",
    "xlsx": "XLSX (Excel)",
    "sqlite": "SQLite",
    "datapackage": "Data Package (JSON)",
    "dictionary": "CSV",
    "metadata-sheet": "CSV",
    "checksums": "SHA256SUMS",
    "zip": "ZIP",
    "descriptor": "Data Package",
}
KIND_TEXT = {
    "csv": ("Tabla", "Table"),
    "json": ("Registros", "Records"),
    "xlsx": (
        "Libro con una hoja por tabla y el diccionario",
        "Workbook, a sheet per table and the dictionary",
    ),
    "sqlite": ("Base de datos con claves primarias y foráneas", "Database with primary and foreign keys"),
    "datapackage": ("Descriptor con los esquemas", "Descriptor with the schemas"),
    "dictionary": (
        "Diccionario de datos (política de datos de la CDMX)",
        "Data dictionary (CDMX data policy)",
    ),
    "metadata-sheet": (
        "Ficha de metadatos (política de datos de la CDMX)",
        "Metadata sheet (CDMX data policy)",
    ),
    "checksums": ("Huellas SHA-256 de todos los archivos", "SHA-256 of every file"),
    "zip": ("Todo lo anterior en un zip", "All of the above in one zip"),
    "descriptor": ("Descriptor tal como se publicó", "Descriptor as it was published"),
}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown(source: str) -> Markup:
    """Markdown from the data, rendered and then sanitised: only harmless tags, http(s) links."""
    html = _markdown.render(source)
    clean = nh3.clean(
        html,
        tags={"p", "a", "em", "strong", "code", "ul", "ol", "li", "blockquote", "br", "pre"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


# ── paths ────────────────────────────────────────────────────────────────────────────────────────


def page_path(kind: str, lang: str, *args: str) -> str:
    es = lang == "es"
    prefix = "" if es else "en/"
    if kind == "index":
        return prefix + "index.html"
    if kind == "dataset":
        return f"{prefix}{args[0]}/index.html"
    if kind == "report":
        return f"{prefix}{args[0]}/{'validacion' if es else 'validation'}.html"
    if kind == "evidence":  # one file for both languages, beside the Spanish report
        return f"{args[0]}/validacion.json"
    if kind == "quality":  # likewise: the quality figures of a dataset
        return f"{args[0]}/calidad.json"
    if kind == "badge":
        return f"{prefix}{args[0]}/{'insignia' if es else 'badge'}.svg"
    if kind == "links":  # one file for the whole catalog and both languages
        return "links.json"
    if kind == "partners":
        return prefix + ("contrapartes" if es else "partners") + "/index.html"
    if kind == "partner":
        return prefix + ("contrapartes" if es else "partners") + f"/{safe_name(args[0])}.html"
    if kind == "filter":
        facet_dir = FACET_DIRS[args[0]][0 if es else 1]
        return f"{prefix}{'filtros' if es else 'filters'}/{facet_dir}/{safe_name(args[1])}.html"
    raise ValueError(kind)


RESERVED = {"en", "contrapartes", "partners", "filtros", "filters", "static", DOWNLOADS_DIR}


def rel(src: str, target: str) -> str:
    """The relative link from the page at ``src`` to ``target`` (both relative to the site root)."""
    start = posixpath.dirname(src) or "."
    if target.endswith("/"):
        return posixpath.relpath(target, start) + "/"
    return posixpath.relpath(target, start)


def absolute(base_url: str, path: str) -> str:
    return base_url + (path[: -len("index.html")] if path.endswith("index.html") else path)


# ── contexts ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    current: bool = False
    count: int | None = None


@dataclass(frozen=True)
class Alternate:
    lang: str
    url: str


@dataclass(frozen=True)
class PageMeta:
    lang: str
    path: str
    title: str
    description: str
    canonical: str
    alternates: list[Alternate]
    switch: Link
    home: str
    partners: str
    assets: dict[str, str]
    machine: list[Link]
    site_title: str
    site_url: str
    breadcrumbs: list[Link] = field(default_factory=list)
    og_type: str = "website"
    jsonld: Markup | None = None


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    href: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class Card:
    slug: str
    title: str
    href: str
    city: str
    publisher: str
    summary: str
    agreements: int
    funding: int
    partners: int
    modified: str
    licence: str
    status: str
    status_href: str
    filters: dict[str, str]  # facet → space-separated values (data-* attributes for the script)
    search: str
    verified: bool = False


@dataclass(frozen=True)
class Facet:
    name: str
    label: str
    links: list[Link]
    options: list[tuple[str, str]]  # (value, label) for the script's <select>


@dataclass(frozen=True)
class Cell:
    text: str
    href: str | None = None
    full: str | None = None  # the whole text when ``text`` is shortened
    sort: str | None = None


@dataclass(frozen=True)
class Table:
    caption: str
    head: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]
    sortable: bool = False


@dataclass(frozen=True)
class IndexPage:
    meta: PageMeta
    figures: list[tuple[str, str]]
    cards: list[Card]
    facets: list[Facet]
    active: str | None
    clear: str
    agreements: Table | None
    combined: list[Link]


@dataclass(frozen=True)
class Chart:
    ident: str
    title: str
    svg: Markup
    notes: list[str]
    table: Table


@dataclass(frozen=True)
class FieldDoc:
    name: str
    title: str
    type: str
    constraints: list[str]
    description: str
    values: list[tuple[str, str]]


@dataclass(frozen=True)
class FileDoc:
    name: str
    href: str
    format: str
    what: str
    size: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class ResourceDoc:
    name: str
    anchor: str
    title: str
    description: str
    rows: int
    preview: Table
    preview_note: str
    csv_href: str | None
    fields: list[FieldDoc]
    keys: list[str]
    files: list[FileDoc]


@dataclass(frozen=True)
class Snippet:
    label: str
    language: str
    code: str


@dataclass(frozen=True)
class DeadLink:
    """A cited page that is not answering well, as the panel lists it."""

    url: str
    href: str | None  # the link to the page, when it is safe to show as one
    detail: str  # what happened (moved: the new address; dead: the server's answer)
    target: str | None  # moved: the final address; dead: the web-archive lookup
    rows: str  # the rows that cite it, e.g. "agreements, línea 4"


@dataclass(frozen=True)
class QualityPanel:
    """The rest of the quality panel: link health, sources by kind, freshness, open claims, a chart."""

    links_summary: str  # "Fuentes comprobadas el 1 dic 2026: 250 de 275 responden."
    links_checked: bool  # False: never checked, and the page names the command
    links_unchecked: str | None  # URLs the cache does not know yet
    moved: list[DeadLink]
    dead: list[DeadLink]
    links_href: str  # links.json
    facts: list[Fact]  # sources by kind, freshness, open competing claims
    chart: Chart | None


@dataclass(frozen=True)
class VersionDoc:
    """One version in a dataset page's Versions section."""

    version: str
    anchor: str
    date: str
    current: bool
    source: str  # where an earlier version was read from (tag or commit); empty for the current one
    files: list[FileDoc]
    warning: str | None
    notes: Markup | None


@dataclass(frozen=True)
class VersionsDoc:
    """A dataset page's Versions section: the versions, newest first, or why there is only one."""

    items: list[VersionDoc]
    only_current: str | None
    other: list[tuple[str, Markup]]


@dataclass(frozen=True)
class DatasetPage:
    meta: PageMeta
    title: str
    city: str
    description: Markup
    facts: list[Fact]
    licence_note: str | None
    status: str
    verified: bool
    report_href: str
    charts: list[Chart]
    resources: list[ResourceDoc]
    files: list[FileDoc]
    snippets: list[Snippet]
    sources: list[Link]
    citations: list[tuple[str, str]]
    quality: Table | None = None
    quality_href: str = ""
    badge_href: str = ""
    badge_alt: str = ""
    badge_embed: str = ""
    panel: QualityPanel | None = None
    versions: VersionsDoc | None = None


@dataclass(frozen=True)
class FindingGroup:
    title: str
    code: str
    severity: str
    severity_label: str
    items: list[tuple[str, str, str]]  # (where, message, fix)


@dataclass(frozen=True)
class ReportPage:
    meta: PageMeta
    title: str
    dataset_href: str
    status: str
    valid: bool
    stages: list[str]
    tables: Table
    files: list[tuple[str, list[FindingGroup]]]
    evidence: list[Fact]
    evidence_files: Table
    evidence_href: str


@dataclass(frozen=True)
class PartnerPage:
    meta: PageMeta
    name: str
    facts: list[Fact]
    names: Table | None
    agreements: Table
    funding: Table


@dataclass(frozen=True)
class PartnersPage:
    meta: PageMeta
    groups: list[tuple[str, list[Link]]]


def dataset_meta(
    catalog: Catalog, data: DatasetData, base_url: str, downloads: list[Download]
) -> DatasetMeta:
    desc = data.ds.descriptor
    lic = mapping(next((x for x in desc.get("licenses") or [] if isinstance(x, dict)), {}))
    lic_id = str(lic.get("name") or catalog.metadata.get("license") or "")
    spatial = mapping(desc.get("spatial"))
    temporal = mapping(desc.get("temporal"))
    country = str(spatial.get("country") or "") or None
    alpha3 = None
    if country:
        import pycountry

        found = pycountry.countries.get(alpha_2=country)
        alpha3 = found.alpha_3 if found else None
    return DatasetMeta(
        slug=data.slug,
        title={lg: data.title(lg) for lg in LANGS},
        description={lg: data.description(lg) for lg in LANGS},
        keywords={
            "es": [str(k) for k in desc.get("keywords") or []],
            "en": [str(k) for k in desc.get("keywords_en") or []],
        },
        version=str(desc.get("version") or ""),
        created=str(desc["created"])[:10] if desc.get("created") else None,
        modified=str(desc.get("modified") or "")[:10],
        frequency=str(desc["update_frequency"]) if desc.get("update_frequency") else None,
        licence_id=lic_id,
        licence_url=licence_url(lic_id, http_url(lic.get("path"))),
        licence_title=str(lic.get("title") or lic_id),
        country=country,
        country_alpha3=alpha3,
        subdivision=str(spatial.get("subdivision") or "") or None,
        city=str(spatial.get("city") or "") or None,
        temporal=(str(temporal["start"])[:10], str(temporal["end"])[:10])
        if temporal.get("start") and temporal.get("end")
        else None,
        homepage=text(desc.get("homepage"), "es") or None,
        urls={lg: absolute(base_url, page_path("dataset", lg, data.slug)) for lg in LANGS},
        downloads=downloads,
    )
