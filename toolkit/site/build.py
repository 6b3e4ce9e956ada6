"""Build the catalog site: validate, package, and render static bilingual pages with their downloads.

``build`` writes a folder that works on any static host, under a sub-path, or opened from disk:
Spanish pages at the root, English ones under ``en/``, the packages under ``descargas/``, and the
metadata for machines (DCAT-AP 3, data.json, sitemap). Output goes to a temporary folder beside the
target and is renamed into place; the same input gives the same bytes.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from toolkit import atomic
from toolkit.catalog.metadata import (
    CatalogMeta,
    Download,
    data_json,
    dcat_graph,
    dcat_jsonld,
    dcat_turtle,
    licence_url,
    robots,
    sitemap,
)
from toolkit.catalog.model import Catalog, display_path, load_catalog
from toolkit.errors import ToolkitError, UsageError
from toolkit.packaging.packages import DatasetPackage, PackageResult, build_time, package, sha256_file
from toolkit.report.findings import Report
from toolkit.site import evidence, linkhealth, quality, versions
from toolkit.site.context import DOWNLOADS_DIR, LANGS, RESERVED, absolute, dataset_meta, page_path
from toolkit.site.data import build_facets, mapping, partner_refs, read_rows
from toolkit.site.pages import Pages
from toolkit.site.texts import texts

__all__ = ["SiteResult", "build", "default_templates", "make_server"]

Progress = Callable[[str], None]
MARKER = ".ciudades-site"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'"
)
ASSETS = {
    "css": "static/site.css",
    "print": "static/print.css",
    "js": "static/site.js",
}


@dataclass(frozen=True)
class SiteResult:
    """What ``build`` wrote."""

    out: Path
    pages: int
    files: int
    bytes: int
    packages: PackageResult
    report: Report
    versions: versions.Versions | None = None


def default_templates() -> Path:
    """The templates shipped with the toolkit (inside the installed package, or beside it in a clone)."""
    toolkit_dir = Path(__file__).resolve().parent.parent
    for candidate in (toolkit_dir / "site_templates", toolkit_dir.parent / "site_templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise ToolkitError(  # pragma: no cover - only a broken installation gets here
        "No se encontraron las plantillas del sitio (site_templates/); reinstala el paquete.",
        "The site templates (site_templates/) were not found; reinstall the package.",
    )


def environment(user_templates: Path | None = None) -> Environment:
    """The one Jinja environment: autoescaped, strict, the user's templates first."""
    loaders = [FileSystemLoader(str(user_templates))] if user_templates else []
    loaders.append(FileSystemLoader(str(default_templates())))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["csp"] = CSP
    return env


def _check_out(out: Path, catalog: Catalog) -> None:
    atomic.refuse_overlap(out, catalog, "build/site")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        raise UsageError(
            f"«{display_path(out)}» ya existe y no es un sitio de «ciudades build»; "
            "elige una carpeta nueva o vacía.",
            f"'{display_path(out)}' already exists and is not a site built by 'ciudades build'; "
            "choose a new or empty folder.",
        )
    for ds in catalog.datasets:
        if ds.slug in RESERVED:
            raise UsageError(
                f"El conjunto «{ds.slug}» tiene un nombre que el sitio usa para sus propias carpetas "
                f"({', '.join(sorted(RESERVED))}); cambia el nombre de su carpeta.",
                f"The dataset '{ds.slug}' has a name the site uses for its own folders "
                f"({', '.join(sorted(RESERVED))}); rename its folder.",
            )


def _swap(tmp: Path, out: Path) -> None:
    """Put ``tmp`` where ``out`` is; the previous site stays whole until the new one is complete."""
    atomic.swap(tmp, out)


def _downloads(pkg: DatasetPackage, root: Path, base_url: str) -> list[Download]:
    files = [*pkg.files, pkg.zip]
    out = []
    for f in files:
        path = f.path.resolve().relative_to(root).as_posix()
        out.append(
            Download(f.name, f.kind, f.resource, f.mediatype, f.bytes, f.sha256, path, base_url + path)
        )
    return out


def _copy_static(templates: list[Path], tmp: Path) -> dict[str, str]:
    """Copy ``static/`` (the user's files over the shipped ones); return asset paths with a content hash."""
    target = tmp / "static"
    target.mkdir()
    for folder in reversed(templates):
        static = folder / "static"
        if static.is_dir():
            for src in sorted(static.rglob("*")):
                if src.is_file():
                    dest = target / src.relative_to(static)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    dest.write_bytes(src.read_bytes())
    assets = {}
    for name, path in ASSETS.items():
        digest = hashlib.sha256((tmp / path).read_bytes()).hexdigest()[:10]
        assets[name] = f"{path}?v={digest}"
    return assets


def _base_url(catalog: Catalog, given: str | None) -> str:
    from urllib.parse import urlsplit

    sources = (
        (given, "--base-url"),
        (os.environ.get("CIUDADES_BASE_URL"), "CIUDADES_BASE_URL"),
        (str(catalog.metadata.get("base_url") or ""), "base_url (catalog.yaml)"),
    )
    url, origin = next(((u, o) for u, o in sources if u), ("", ""))
    if not url:
        raise UsageError(
            "Falta la URL pública del sitio: pon base_url en catalog.yaml o usa --base-url https://….",
            "The site's public URL is missing: set base_url in catalog.yaml or pass --base-url https://….",
        )
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port out of range raises here
        host = parts.hostname
    except ValueError:  # a malformed port or IPv6 address
        parts, host = None, None
    if parts is None or parts.scheme not in ("http", "https") or not host or any(c.isspace() for c in url):
        raise UsageError(
            f"La URL pública del sitio en {origin}, «{url}», no es una URL válida: escríbela completa, "
            "con http:// o https:// y el dominio, p. ej. https://datos.example.org/catalogo/.",
            f"The site's public URL in {origin}, '{url}', is not a valid URL: write it in full, with "
            "http:// or https:// and the domain, e.g. https://data.example.org/catalog/.",
        )
    return url if url.endswith("/") else url + "/"


def build(
    path: str | Path = "datasets",
    out: str | Path = "build/site",
    *,
    base_url: str | None = None,
    templates: str | Path | None = None,
    progress: Progress | None = None,
    allow_remote: bool = False,
    links: str | Path | None = None,
) -> SiteResult:
    """Validate and package ``path``, then write the site to ``out``.

    ``links`` is the cache of ``ciudades check-links`` to show (by default ``.cache/links.json``
    beside the catalog); nothing is asked on the network: links never checked are shown as such.

    Raises :class:`toolkit.packaging.packages.InvalidData` (exit code 1, carrying the report) when the data is
    invalid; nothing is written then. ``templates`` is a folder whose files override the shipped
    templates (and ``static/`` files) of the same name.
    """
    user_templates = Path(templates).resolve() if templates else None
    if user_templates is not None and not user_templates.is_dir():
        raise UsageError(
            f"No existe la carpeta de plantillas «{templates}».", f"No templates folder '{templates}'."
        )
    loaded = load_catalog(path, allow_remote=allow_remote, publishing=True)
    catalog = loaded[0]
    target = Path(out).resolve()
    _check_out(target, catalog)
    url = _base_url(catalog, base_url)
    health = linkhealth.read(catalog, Path(path), Path(links) if links is not None else None)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic.output_lock(target):
        _check_out(target, catalog)  # again: a run that held the lock may have changed it
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
        try:
            tmp.chmod(0o755)
            checked = evidence.collect(catalog)  # the bytes about to be validated
            packages = package(path, tmp / DOWNLOADS_DIR, progress=progress, loaded=loaded)
            if progress:
                progress("versions")
            history = versions.collect(catalog, tmp / DOWNLOADS_DIR, tmp.resolve(), url)
            if progress:
                progress("site")
            pages = _render(catalog, packages, tmp, url, user_templates, checked, health, history)
            _downloads_checksums(tmp / DOWNLOADS_DIR)
            _swap(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        files = [p for p in target.rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
    return SiteResult(target, pages, len(files), size, packages, packages.report, history)


def _downloads_checksums(folder: Path) -> None:
    """``descargas/SHA256SUMS``: every file at the top of the downloads folder (the zips), in the
    format of ``sha256sum``, so ``sha256sum -c SHA256SUMS`` run there checks a download (with
    ``--ignore-missing`` when only some were downloaded). Each package folder has its own."""
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    (folder / "SHA256SUMS").write_text(
        "".join(f"{sha256_file(p)}  {p.name}\n" for p in files),
        encoding="utf-8",
        newline="\n",
    )


def _render(
    catalog: Catalog,
    packages: PackageResult,
    tmp: Path,
    url: str,
    user_templates: Path | None,
    checked: dict[str, evidence.Evidence],
    health: linkhealth.LinkHealth,
    history: versions.Versions,
) -> int:
    """Write every page, the static files and the metadata into ``tmp``; return the number of pages."""
    root = tmp.resolve()
    data = [read_rows(ds) for ds in sorted(catalog.datasets, key=lambda d: d.slug)]
    downloads = {p.slug: _downloads(p, root, url) for p in packages.datasets}
    combined = None
    if packages.combined is not None:
        combined = packages.combined.slug
        downloads[combined] = _downloads(packages.combined, root, url)
    meta = catalog.metadata
    metas = [
        versions.with_versions(dataset_meta(catalog, d, url, downloads.get(d.slug, [])), history)
        for d in data
    ]
    rules = quality.source_rules(catalog, data)
    measured = {
        m.slug: quality.measure(
            d,
            rules,
            health.for_dataset(d.slug).summary(),
            modified=m.modified,
            frequency=m.frequency,
        )
        for d, m in zip(data, metas, strict=True)
    }
    extra = [absolute(url, page_path("links", LANGS[0]))]
    metas = [
        replace(
            m,
            quality=measured[m.slug].measurements(),
            quality_urls=[absolute(url, page_path("quality", LANGS[0], m.slug)), *extra],
        )
        for m in metas
    ]
    publisher = mapping(meta.get("publisher"))
    contact = mapping(meta.get("contact"))
    title = mapping(meta.get("title"))
    description = mapping(meta.get("description"))
    cmeta = CatalogMeta(
        title={lg: str(title.get(lg) or title.get("es") or "") for lg in LANGS},
        description={lg: str(description.get(lg) or description.get("es") or "") for lg in LANGS},
        publisher_name=str(publisher.get("name") or ""),
        publisher_url=str(publisher.get("url") or url),
        contact_name=str(contact.get("name") or publisher.get("name") or ""),
        contact_email=str(contact.get("email") or ""),
        base_url=url,
        licence_id=str(meta.get("license") or ""),
        licence_url=licence_url(str(meta.get("license") or "")),
        languages=[str(x) for x in meta.get("languages") or LANGS],
        modified=max((m.modified for m in metas), default=""),
        datasets=metas,
    )
    date = build_time(cmeta.modified).date().isoformat()
    checked = {slug: replace(e, date=date) for slug, e in checked.items()}
    verified = {
        slug: evidence.matches(
            checked.get(slug),
            {f.resource: root / f.path for f in files if f.kind == "csv" and f.resource},
        )
        for slug, files in downloads.items()
    }
    valid = {slug: verified.get(slug, False) and packages.report.for_dataset(slug).valid for slug in verified}
    cmeta = replace(
        cmeta, datasets=[replace(m, data_quality=valid.get(m.slug, False)) for m in cmeta.datasets]
    )
    folders = ([user_templates] if user_templates else []) + [default_templates()]
    assets = _copy_static(folders, tmp)
    pages = Pages(
        catalog=catalog,
        data=data,
        report=packages.report,
        facets=build_facets(data),
        partners=partner_refs(data),
        meta=cmeta,
        downloads=downloads,
        combined=combined,
        assets=assets,
        map_dir=default_templates() / "map",
        evidence=checked,
        verified=verified,
        quality=measured,
        links=health,
        kind_labels=rules.labels,
        versions=history,
    )
    env = environment(user_templates)
    count = 0
    sitemap_entries: list[dict[str, str]] = []

    def emit(template: str, ctx: Any) -> None:
        nonlocal count
        html = env.get_template(template).render(
            page=ctx, meta=ctx.meta, t=SimpleNamespace(**texts(ctx.meta.lang))
        )
        dest = tmp / ctx.meta.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(html, encoding="utf-8")
        count += 1
        if ctx.meta.lang == LANGS[0]:
            sitemap_entries.append({a.lang: a.url for a in ctx.meta.alternates})

    for lang in LANGS:
        emit("index.html", pages.index(lang))
        emit("partners.html", pages.partners_index(lang))
        for d in data:
            emit("dataset.html", pages.dataset(d.slug, lang))
            emit("report.html", pages.report_page(d.slug, lang))
            (tmp / page_path("badge", lang, d.slug)).write_text(pages.badge(d.slug, lang), encoding="utf-8")
            if lang == LANGS[0] and d.slug in checked:
                (tmp / page_path("evidence", lang, d.slug)).write_text(
                    checked[d.slug].to_json(), encoding="utf-8"
                )
            if lang == LANGS[0]:
                figures = pages.quality[d.slug].to_json()
                (tmp / page_path("quality", lang, d.slug)).write_text(figures, encoding="utf-8")
        for facet, values in sorted(pages.facets.datasets.items()):
            for value in sorted(values):
                emit("index.html", pages.index(lang, facet, value))
        for pid, refs in pages.partners.items():
            if refs.records:
                emit("partner.html", pages.partner(pid, lang))
    (tmp / page_path("links", LANGS[0])).write_text(health.to_json(), encoding="utf-8")
    graph = dcat_graph(cmeta)
    files = {
        "catalog.ttl": dcat_turtle(graph),
        "catalog.jsonld": dcat_jsonld(graph),
        "data.json": data_json(cmeta),
        "sitemap.xml": sitemap(sitemap_entries),
        "robots.txt": robots(url),
        MARKER: "Sitio generado por «ciudades build» / site built by 'ciudades build'.\n",
        ".nojekyll": "",
    }
    for name, content in files.items():
        (tmp / name).write_text(content, encoding="utf-8")
    for p in tmp.rglob("*"):  # fixed permissions, whatever the umask
        p.chmod(0o755 if p.is_dir() else 0o644)
    return count


def make_server(directory: str | Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """An HTTP server for ``directory`` on 127.0.0.1 (port 0 picks a free one); call ``serve_forever``."""
    folder = Path(directory)
    if not (folder / "index.html").is_file():
        raise UsageError(
            f"«{display_path(folder)}» no tiene index.html; ejecuta antes «ciudades build».",
            f"'{display_path(folder)}' has no index.html; run 'ciudades build' first.",
        )

    class Handler(http.server.SimpleHTTPRequestHandler):
        extensions_map = {  # noqa: RUF012 - the base class declares it as an instance attribute
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".jsonld": "application/ld+json",
            ".ttl": "text/turtle",
            ".sqlite": "application/vnd.sqlite3",
        }

        def log_message(self, format: str, *args: Any) -> None:
            if os.environ.get("CIUDADES_SERVE_LOG"):
                super().log_message(format, *args)

    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(Handler, directory=str(folder)))
    except OSError as ex:
        raise UsageError(
            f"No se pudo abrir el puerto {port}: {ex.strerror}; prueba otro con --port.",
            f"Could not open port {port}: {ex.strerror}; try another with --port.",
        ) from ex


def serve_in_thread(directory: str | Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start ``make_server`` in a daemon thread; return the server and its base URL."""
    server = make_server(directory, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, real_port = server.server_address[:2]
    return server, f"http://{host!s}:{real_port}/"


def render_summary(result: SiteResult, lang: str, seconds: float | None = None) -> str:
    """What ``build`` did, in a few lines, in Spanish or English."""
    from toolkit.report.findings import render_text
    from toolkit.site.data import fmt_bytes

    es = lang == "es"
    shown = display_path(result.out)
    packages = result.packages
    n_files = sum(
        len(p.files) + 1 for p in [*packages.datasets, *([packages.combined] if packages.combined else [])]
    )
    lines = [render_text(result.report, lang).rstrip("\n")]
    if es:
        lines.append(
            f"Paquetes: {len(packages.datasets)} conjuntos de datos"
            + (" y el paquete combinado" if packages.combined else "")
            + f", {n_files} archivos en {shown}/{DOWNLOADS_DIR}/."
        )
        lines.append(_versions_line(result, shown, lang))
        lines.append(
            f"Sitio: {result.pages} páginas (español en la raíz, inglés en en/) y {result.files} archivos "
            f"en {shown}/, {fmt_bytes(result.bytes, lang)} en total."
        )
        if seconds is not None:
            lines.append(f"Hecho en {seconds:.1f} s.".replace(".", ",", 1))
        lines.append(f"Vista previa: ciudades serve --dir {shown}")
    else:
        lines.append(
            f"Packages: {len(packages.datasets)} datasets"
            + (" and the combined package" if packages.combined else "")
            + f", {n_files} files in {shown}/{DOWNLOADS_DIR}/."
        )
        lines.append(_versions_line(result, shown, lang))
        lines.append(
            f"Site: {result.pages} pages (Spanish at the root, English under en/) and {result.files} files "
            f"in {shown}/, {fmt_bytes(result.bytes, lang)} in all."
        )
        if seconds is not None:
            lines.append(f"Done in {seconds:.1f} s.")
        lines.append(f"Preview: ciudades serve --dir {shown}")
    return "\n".join(lines) + "\n"


def _versions_line(result: SiteResult, shown: str, lang: str) -> str:
    """How many earlier versions the site offers, or why it offers none (never a silent gap)."""
    es = lang == "es"
    history = result.versions
    if history is None or history.state != "ok":
        shallow = history is not None and history.state == "shallow"
        if es:
            why = "el clon de git no tiene el historial completo" if shallow else "el catálogo no está en git"
            return f"Versiones anteriores: ninguna, {why}; el sitio ofrece solo la versión actual."
        why = "the git clone lacks its full history" if shallow else "the catalog is not in git"
        return f"Earlier versions: none, {why}; the site offers the current version only."
    n = sum(len(v) for v in history.earlier.values())
    datasets = sum(1 for v in history.earlier.values() if v)
    if es:
        sets = "1 conjunto de datos" if datasets == 1 else f"{datasets} conjuntos de datos"
        what = f"{n} paquete{'' if n == 1 else 's'} de {sets}"
        return f"Versiones anteriores: {what}, en {shown}/{DOWNLOADS_DIR}/<conjunto>/<versión>/."
    what = f"{n} package{'' if n == 1 else 's'} for {datasets} dataset{'' if datasets == 1 else 's'}"
    return f"Earlier versions: {what}, in {shown}/{DOWNLOADS_DIR}/<dataset>/<version>/."
