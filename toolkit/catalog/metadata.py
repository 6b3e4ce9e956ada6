"""Metadata for machines: schema.org, DCAT-AP 3, data.json, sitemap.xml and robots.txt.

schema.org JSON-LD, DCAT-AP 3 (Turtle and JSON-LD), data.json (DCAT-US 1.1 as datos.gob.mx's
guide follows it), sitemap.xml and robots.txt.

Everything is written from :class:`CatalogMeta`, which the site builder fills once. Every node of the
DCAT graph has an IRI (no blank nodes), so two builds serialise to the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as xml_escape

# EU controlled vocabularies, as DCAT-AP recommends.
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY_EU = {
    "irregular": "IRREG",
    "continuous": "CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "biannual": "ANNUAL_2",
    "annual": "ANNUAL",
    "never": "NEVER",
}
# The same frequencies as ISO 8601 repeating durations, as DCAT-US 1.1 asks.
FREQUENCY_ISO = {
    "irregular": "irregular",
    "continuous": "R/PT1S",
    "daily": "R/P1D",
    "weekly": "R/P1W",
    "monthly": "R/P1M",
    "quarterly": "R/P3M",
    "biannual": "R/P6M",
    "annual": "R/P1Y",
}
LANGUAGE_EU = {"es": "SPA", "en": "ENG"}
FILE_TYPE_EU = {
    "csv": "CSV",
    "json": "JSON",
    "datapackage": "JSON",
    "xlsx": "XLSX",
    "sqlite": "SQLITE",  # not in the EU list before 2024; falls back to the media type
    "zip": "ZIP",
    "dictionary": "CSV",
    "metadata-sheet": "CSV",
    "checksums": "TXT",
}
LICENCE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
}
DCAT_US_CONTEXT = "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld"
DCAT_US_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"


@dataclass(frozen=True)
class Download:
    """One downloadable file of the site, with what a portal needs to describe it."""

    name: str
    kind: str
    resource: str | None
    mediatype: str
    bytes: int
    sha256: str
    path: str  # relative to the site root, e.g. "descargas/bogota/agreements.csv"
    url: str  # absolute


@dataclass(frozen=True)
class Measurement:
    """One figure of a dataset's quality panel, as DQV describes it (``dqv:QualityMeasurement``)."""

    metric: str  # a short name, the end of the metric's IRI: "links-working", "rows"…
    value: int | float  # an int is an xsd:integer, a float an xsd:decimal
    definition: dict[str, str]  # what the metric measures, per language


@dataclass(frozen=True)
class PreviousVersion:
    """An earlier released version of a dataset that the site still offers."""

    version: str
    modified: str
    downloads: list[Download]
    notes: dict[str, str] = field(default_factory=dict)  # its changelog entry, per language
    title: dict[str, str] = field(default_factory=dict)  # its own, per language (the current one's if empty)
    description: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DatasetMeta:
    slug: str
    title: dict[str, str]
    description: dict[str, str]
    keywords: dict[str, list[str]]
    version: str
    created: str | None
    modified: str
    frequency: str | None
    licence_id: str
    licence_url: str
    licence_title: str
    country: str | None  # ISO 3166-1 alpha-2
    country_alpha3: str | None
    subdivision: str | None
    city: str | None
    temporal: tuple[str, str] | None
    homepage: str | None
    urls: dict[str, str]  # absolute URL of the dataset page per language
    downloads: list[Download] = field(default_factory=list)
    quality: list[Measurement] = field(default_factory=list)  # the quality panel's figures
    quality_urls: list[str] = field(default_factory=list)  # calidad.json and links.json, absolute
    data_quality: bool | None = None  # valid, and the published files are the ones validated
    version_notes: dict[str, str] = field(default_factory=dict)  # the changelog entry of ``version``
    previous: list[PreviousVersion] = field(default_factory=list)  # newest first

    def download(self, kind: str) -> Download | None:
        return next((d for d in self.downloads if d.kind == kind and d.resource is None), None)


@dataclass(frozen=True)
class CatalogMeta:
    title: dict[str, str]
    description: dict[str, str]
    publisher_name: str
    publisher_url: str
    contact_name: str
    contact_email: str
    base_url: str
    licence_id: str
    licence_url: str
    languages: list[str]
    modified: str
    datasets: list[DatasetMeta]


def licence_url(licence_id: str, given: str | None = None) -> str:
    return given or LICENCE_URLS.get(licence_id, f"https://spdx.org/licenses/{licence_id}.html")


# ── schema.org ───────────────────────────────────────────────────────────────────────────────────


def schema_org(catalog: CatalogMeta, ds: DatasetMeta, lang: str) -> dict[str, Any]:
    """A schema.org ``Dataset`` for the dataset page in ``lang``."""
    place: dict[str, Any] = {"@type": "Place", "name": ds.city or ds.subdivision or ds.country}
    if ds.country:
        address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": ds.country}
        if ds.subdivision:
            address["addressRegion"] = ds.subdivision
        place["address"] = address
    publisher = {"@type": "Organization", "name": catalog.publisher_name, "url": catalog.publisher_url}
    doc: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "@id": ds.urls[lang] + "#dataset",
        "name": ds.title[lang],
        "description": ds.description[lang],
        "url": ds.urls[lang],
        "identifier": ds.slug,
        "version": ds.version,
        "keywords": ds.keywords[lang],
        "license": ds.licence_url,
        "isAccessibleForFree": True,
        "creator": publisher,
        "publisher": publisher,
        "inLanguage": lang,
        "spatialCoverage": place,
        "dateModified": ds.modified,
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": catalog.title[lang],
            "url": catalog.base_url if lang == "es" else catalog.base_url + "en/",
        },
        "distribution": [
            {
                "@type": "DataDownload",
                "name": d.name,
                "contentUrl": d.url,
                "encodingFormat": d.mediatype,
                "contentSize": f"{d.bytes} B",
                "sha256": d.sha256,
            }
            for d in ds.downloads
        ],
    }
    if ds.created:
        doc["dateCreated"] = ds.created
    if ds.temporal:
        doc["temporalCoverage"] = f"{ds.temporal[0]}/{ds.temporal[1]}"
    return doc


def script_json(data: Any) -> str:
    """JSON safe inside a ``<script type="application/ld+json">`` element: no ``<``, ``>`` or ``&``."""
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# ── DCAT-AP 3 ────────────────────────────────────────────────────────────────────────────────────


def dcat_graph(catalog: CatalogMeta) -> Any:
    """The catalog as an rdflib graph in the DCAT-AP 3 profile."""
    from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL

    vcard = Namespace("http://www.w3.org/2006/vcard/ns#")
    spdx = Namespace("http://spdx.org/rdf/terms#")
    adms = Namespace("http://www.w3.org/ns/adms#")
    dqv = Namespace("http://www.w3.org/ns/dqv#")
    skos = Namespace("http://www.w3.org/2004/02/skos/core#")
    dcat3 = Namespace(str(DCAT))  # DCAT 3 terms rdflib's DCAT (version 2) does not define
    g = Graph()
    for prefix, ns in (
        ("dcat", DCAT),
        ("dct", DCTERMS),
        ("foaf", FOAF),
        ("vcard", vcard),
        ("spdx", spdx),
        ("owl", OWL),
        ("adms", adms),
        ("dqv", dqv),
        ("skos", skos),
    ):
        g.bind(prefix, ns)
    base = catalog.base_url

    def typed(iri: str, cls: URIRef) -> URIRef:
        node = URIRef(iri)
        g.add((node, RDF.type, cls))
        return node

    def texts(node: URIRef, prop: URIRef, values: dict[str, str]) -> None:
        for lang in sorted(values):
            g.add((node, prop, Literal(values[lang], lang=lang)))

    def date(value: str) -> Literal:
        return Literal(value[:10], datatype=XSD.date)

    def versions(node: URIRef, version: str, notes: dict[str, str]) -> None:
        if version:
            g.add((node, dcat3.version, Literal(version)))
        texts(node, adms.versionNotes, {lg: n for lg, n in notes.items() if n})

    def distributions(
        node: URIRef, prefix: str, downloads: list[Download], modified: str, licence: URIRef
    ) -> None:
        for d in downloads:
            dist = typed(f"{prefix}{d.name}", DCAT.Distribution)
            g.add((node, DCAT.distribution, dist))
            g.add((dist, DCTERMS.title, Literal(d.name)))
            file_node = typed(d.url, RDFS.Resource)
            g.add((dist, DCAT.accessURL, file_node))
            g.add((dist, DCAT.downloadURL, file_node))
            g.add(
                (
                    dist,
                    DCAT.mediaType,
                    typed("https://www.iana.org/assignments/media-types/" + d.mediatype, DCTERMS.MediaType),
                )
            )
            if d.kind in FILE_TYPE_EU and FILE_TYPE_EU[d.kind] != "SQLITE":
                g.add(
                    (
                        dist,
                        DCTERMS.format,
                        typed(EU + "file-type/" + FILE_TYPE_EU[d.kind], DCTERMS.MediaTypeOrExtent),
                    )
                )
            g.add((dist, DCAT.byteSize, Literal(d.bytes, datatype=XSD.nonNegativeInteger)))
            g.add((dist, DCTERMS.license, licence))
            if modified:
                g.add((dist, DCTERMS.modified, date(modified)))
            checksum = typed(f"{prefix}{d.name}-sha256", spdx.Checksum)
            g.add(
                (checksum, spdx.algorithm, typed(str(spdx.checksumAlgorithm_sha256), spdx.ChecksumAlgorithm))
            )
            g.add((checksum, spdx.checksumValue, Literal(d.sha256, datatype=XSD.hexBinary)))
            g.add((dist, spdx.checksum, checksum))

    cat = typed(base + "#catalog", DCAT.Catalog)
    publisher = typed(base + "#publisher", FOAF.Agent)
    g.add((publisher, FOAF.name, Literal(catalog.publisher_name)))
    g.add((publisher, FOAF.homepage, typed(catalog.publisher_url, FOAF.Document)))
    contact = typed(base + "#contact", vcard.Kind)
    g.add((contact, vcard.fn, Literal(catalog.contact_name)))
    g.add((contact, vcard.hasEmail, URIRef("mailto:" + catalog.contact_email)))
    texts(cat, DCTERMS.title, catalog.title)
    texts(cat, DCTERMS.description, catalog.description)
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((cat, FOAF.homepage, typed(base, FOAF.Document)))
    g.add((cat, DCTERMS.modified, date(catalog.modified)))
    g.add((cat, DCTERMS.license, typed(catalog.licence_url, DCTERMS.LicenseDocument)))
    for lang in catalog.languages:
        if lang in LANGUAGE_EU:
            g.add(
                (cat, DCTERMS.language, typed(EU + "language/" + LANGUAGE_EU[lang], DCTERMS.LinguisticSystem))
            )

    for ds in catalog.datasets:
        node = typed(f"{base}{ds.slug}/#dataset", DCAT.Dataset)
        g.add((cat, DCAT.dataset, node))
        texts(node, DCTERMS.title, ds.title)
        texts(node, DCTERMS.description, ds.description)
        for lang, words in sorted(ds.keywords.items()):
            for word in words:
                g.add((node, DCAT.keyword, Literal(word, lang=lang)))
        g.add((node, DCTERMS.identifier, Literal(ds.slug)))
        g.add((node, OWL.versionInfo, Literal(ds.version)))
        g.add((node, DCTERMS.publisher, publisher))
        g.add((node, DCAT.contactPoint, contact))
        g.add((node, DCAT.landingPage, typed(ds.urls["es"], FOAF.Document)))
        if ds.created:
            g.add((node, DCTERMS.issued, date(ds.created)))
        g.add((node, DCTERMS.modified, date(ds.modified)))
        if ds.frequency in FREQUENCY_EU:
            g.add(
                (
                    node,
                    DCTERMS.accrualPeriodicity,
                    typed(EU + "frequency/" + FREQUENCY_EU[ds.frequency], DCTERMS.Frequency),
                )
            )
        for lang in catalog.languages:
            if lang in LANGUAGE_EU:
                g.add(
                    (
                        node,
                        DCTERMS.language,
                        typed(EU + "language/" + LANGUAGE_EU[lang], DCTERMS.LinguisticSystem),
                    )
                )
        if ds.country_alpha3:
            g.add((node, DCTERMS.spatial, typed(EU + "country/" + ds.country_alpha3, DCTERMS.Location)))
        if ds.temporal:
            period = typed(f"{base}{ds.slug}/#temporal", DCTERMS.PeriodOfTime)
            g.add((period, DCAT.startDate, date(ds.temporal[0])))
            g.add((period, DCAT.endDate, date(ds.temporal[1])))
            g.add((node, DCTERMS.temporal, period))
        licence = typed(ds.licence_url, DCTERMS.LicenseDocument)
        distributions(node, f"{base}{ds.slug}/#", ds.downloads, ds.modified, licence)
        versions(node, ds.version, ds.version_notes)
        later = node
        for old in ds.previous:  # newest first: each is the previous version of the one before it
            old_node = typed(f"{base}{ds.slug}/#dataset-{old.version}", DCAT.Dataset)
            g.add((later, dcat3.previousVersion, old_node))
            title = {lg: old.title.get(lg) or t for lg, t in ds.title.items()}
            texts(old_node, DCTERMS.title, {lg: f"{t} ({old.version})" for lg, t in title.items()})
            texts(
                old_node,
                DCTERMS.description,
                {lg: old.description.get(lg) or t for lg, t in ds.description.items()},
            )
            g.add((old_node, DCTERMS.identifier, Literal(f"{ds.slug}@{old.version}")))
            g.add((old_node, DCTERMS.publisher, publisher))
            g.add((old_node, DCAT.contactPoint, contact))
            g.add((old_node, DCAT.landingPage, typed(ds.urls["es"] + "#versions", FOAF.Document)))
            if old.modified:
                g.add((old_node, DCTERMS.modified, date(old.modified)))
            versions(old_node, old.version, old.notes)
            distributions(old_node, f"{base}{ds.slug}/#{old.version}-", old.downloads, old.modified, licence)
            later = old_node
        for m in ds.quality:  # the quality panel, in the W3C Data Quality Vocabulary
            metric = typed(f"{base}#metric-{m.metric}", dqv.Metric)
            texts(metric, skos.definition, m.definition)
            kind = XSD.integer if isinstance(m.value, int) else XSD.decimal
            g.add((metric, dqv.expectedDataType, kind))
            measure = typed(f"{base}{ds.slug}/#quality-{m.metric}", dqv.QualityMeasurement)
            g.add((measure, dqv.computedOn, node))
            g.add((measure, dqv.isMeasurementOf, metric))
            g.add((measure, dqv.value, Literal(m.value, datatype=kind)))
            g.add((node, dqv.hasQualityMeasurement, measure))
    return g


def dcat_turtle(graph: Any) -> str:
    text: str = graph.serialize(format="turtle")
    return text


def dcat_jsonld(graph: Any) -> str:
    """JSON-LD of the graph, its nodes sorted by ``@id`` so that the bytes never depend on set order."""
    context = {
        "dcat": "http://www.w3.org/ns/dcat#",
        "dct": "http://purl.org/dc/terms/",
        "foaf": "http://xmlns.com/foaf/0.1/",
        "vcard": "http://www.w3.org/2006/vcard/ns#",
        "spdx": "http://spdx.org/rdf/terms#",
        "owl": "http://www.w3.org/2002/07/owl#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "dqv": "http://www.w3.org/ns/dqv#",
        "skos": "http://www.w3.org/2004/02/skos/core#",
    }
    data = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    nodes = data.get("@graph", [data])

    def norm(value: Any) -> Any:
        if isinstance(value, list):
            return sorted((norm(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        return value

    doc = {"@context": context, "@graph": sorted((norm(n) for n in nodes), key=lambda n: n.get("@id", ""))}
    return json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


# ── data.json (DCAT-US 1.1) ──────────────────────────────────────────────────────────────────────


def data_json(catalog: CatalogMeta) -> str:
    """The catalog in the DCAT-US 1.1 form of datos.gob.mx's guide (texts in Spanish, the portal's)."""
    datasets = []
    for ds in catalog.datasets:
        item: dict[str, Any] = {
            "@type": "dcat:Dataset",
            "identifier": ds.urls["es"],
            "title": ds.title["es"],
            "description": ds.description["es"],
            "keyword": ds.keywords["es"],
            "modified": ds.modified,
            "publisher": {"@type": "org:Organization", "name": catalog.publisher_name},
            "contactPoint": {
                "@type": "vcard:Contact",
                "fn": catalog.contact_name,
                "hasEmail": "mailto:" + catalog.contact_email,
            },
            "accessLevel": "public",
            "landingPage": ds.urls["es"],
            "license": ds.licence_url,
            "accrualPeriodicity": FREQUENCY_ISO.get(ds.frequency or "", "irregular"),
            "language": list(catalog.languages),
            "distribution": [
                {
                    "@type": "dcat:Distribution",
                    "title": d.name,
                    "downloadURL": d.url,
                    "mediaType": d.mediatype,
                    "format": (FILE_TYPE_EU.get(d.kind) or d.kind).upper(),
                    "byteSize": d.bytes,
                }
                for d in ds.downloads
            ],
        }
        if ds.created:
            item["issued"] = ds.created
        if ds.subdivision or ds.country:
            item["spatial"] = ds.subdivision or ds.country
        if ds.temporal:
            item["temporal"] = f"{ds.temporal[0]}/{ds.temporal[1]}"
        if ds.version:
            item["version"] = ds.version
        if ds.data_quality is not None:  # DCAT-US: whether the data meet the publisher's quality rules
            item["dataQuality"] = ds.data_quality
        if ds.quality_urls:
            item["references"] = list(ds.quality_urls)
        datasets.append(item)
    doc = {
        "@context": DCAT_US_CONTEXT,
        "@type": "dcat:Catalog",
        "conformsTo": DCAT_US_SCHEMA,
        "describedBy": DCAT_US_SCHEMA + "/catalog.json",
        "dataset": datasets,
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# ── sitemap and robots ───────────────────────────────────────────────────────────────────────────


def sitemap(entries: list[dict[str, str]]) -> str:
    """``entries``: one mapping per page, language → absolute URL (the language versions of a page)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">',
    ]
    for versions in entries:
        for lang in sorted(versions):
            lines.append(f"  <url><loc>{xml_escape(versions[lang])}</loc>")
            for other in sorted(versions):
                href = xml_escape(versions[other])
                lines.append(f'    <xhtml:link rel="alternate" hreflang="{other}" href="{href}"/>')
            lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots(base_url: str) -> str:
    return f"User-agent: *\nAllow: /\nSitemap: {base_url}sitemap.xml\n"
