"""What a CKAN dataset built from a data package looks like: the field mapping, in one place."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from toolkit.packaging.packages import DatasetPackage, OutputFile

# SPDX identifiers → the ids of CKAN's default licence list.
LICENSES = {
    "cc-by-4.0": "cc-by",
    "cc-by-sa-4.0": "cc-by-sa",
    "cc0-1.0": "cc-zero",
    "odc-by-1.0": "odc-by",
    "odbl-1.0": "odc-odbl",
    "odc-odbl-1.0": "odc-odbl",
    "pddl-1.0": "odc-pddl",
    "odc-pddl-1.0": "odc-pddl",
    "cc-by-nc-4.0": "cc-nc",
}
DATASET_FIELDS = (
    "title",
    "notes",
    "license_id",
    "version",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "url",
    "owner_org",
    "tags",
    "extras",
)
CKAN_TAG = re.compile(r"^[\w .-]{2,100}$")


# ── the mapping ─────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class DesiredResource:
    name: str
    kind: str
    file: OutputFile
    fields: dict[str, Any]


@dataclass(frozen=True)
class DesiredDataset:
    slug: str
    name: str
    fields: dict[str, Any]
    resources: list[DesiredResource]


def clean(value: Any) -> str:
    """``value`` as stripped text; ``None`` as an empty string."""
    return "" if value is None else str(value).strip()


def _license_id(descriptor: dict[str, Any]) -> str:
    licenses = descriptor.get("licenses") or []
    name = clean(licenses[0].get("name")) if licenses and isinstance(licenses[0], dict) else ""
    if not name:
        name = clean((descriptor.get("catalog") or {}).get("license"))
    return LICENSES.get(name.lower(), name)


def _tags(descriptor: dict[str, Any]) -> list[dict[str, str]]:
    names: list[str] = []
    for key in ("keywords", "keywords_en"):
        for word in descriptor.get(key) or []:
            word = clean(word)
            if CKAN_TAG.match(word) and word not in names:
                names.append(word)
    return [{"name": n} for n in sorted(names)]


def _notes(descriptor: dict[str, Any]) -> str:
    parts = [clean(descriptor.get("description"))]
    if descriptor.get("description_en"):
        title_en = clean(descriptor.get("title_en"))
        parts.append(f"**English{': ' + title_en if title_en else ''}**")
        parts.append(clean(descriptor.get("description_en")))
    entries = [e for e in descriptor.get("changelog") or [] if isinstance(e, dict)]
    if entries:  # the latest changelog entries, as the package carries them
        parts.append("**Cambios recientes / Recent changes**")
        parts += [f"*{clean(e.get('title'))}*\n\n{clean(e.get('notes'))}" for e in entries]
    return "\n\n".join(p for p in parts if p)


def landing_page(descriptor: dict[str, Any]) -> str:
    """The dataset's page on the catalog site (``base_url`` + slug), or its homepage."""
    base = clean((descriptor.get("catalog") or {}).get("base_url"))
    if base:
        return base.rstrip("/") + "/" + clean(descriptor.get("name")) + "/"
    return clean(descriptor.get("homepage"))


def _extras(descriptor: dict[str, Any]) -> list[dict[str, str]]:
    spatial = descriptor.get("spatial") or {}
    temporal = descriptor.get("temporal") or {}
    values = {
        "title_en": clean(descriptor.get("title_en")),
        "landing_page": landing_page(descriptor),
        "homepage": clean(descriptor.get("homepage")),
        "sources": json.dumps(descriptor.get("sources") or [], ensure_ascii=False)
        if descriptor.get("sources")
        else "",
        "spatial_text": ", ".join(
            clean(spatial.get(k)) for k in ("city", "subdivision", "country") if spatial.get(k)
        ),
        "spatial_country": clean(spatial.get("country")),
        "spatial_subdivision": clean(spatial.get("subdivision")),
        "temporal_start": clean(temporal.get("start")),
        "temporal_end": clean(temporal.get("end")),
        "frequency": clean(descriptor.get("update_frequency")),
        "modified": clean(descriptor.get("modified")),
        "language": ", ".join(clean(x) for x in (descriptor.get("catalog") or {}).get("languages") or []),
    }
    return [{"key": k, "value": v} for k, v in sorted(values.items()) if v]


def _people(descriptor: dict[str, Any]) -> dict[str, str]:
    catalog = descriptor.get("catalog") or {}
    creators = [
        c
        for c in descriptor.get("contributors") or []
        if isinstance(c, dict) and {"creator", "author"} & set(c.get("roles") or [c.get("role")])
    ]
    publisher = catalog.get("publisher") or {}
    contact = catalog.get("contact") or {}
    return {
        "author": ", ".join(clean(c.get("title")) for c in creators) or clean(publisher.get("name")),
        "author_email": next((clean(c.get("email")) for c in creators if c.get("email")), ""),
        "maintainer": clean(contact.get("name")) or clean(publisher.get("name")),
        "maintainer_email": clean(contact.get("email")),
    }


def _resource_fields(pkg: DatasetPackage, f: OutputFile) -> dict[str, Any]:
    d = pkg.descriptor
    fields: dict[str, Any] = {
        "format": {"csv": "CSV", "datapackage": "JSON", "zip": "ZIP"}[f.kind],
        "mimetype": f.mediatype,
        "hash": f.sha256,
        "size": f.bytes,
    }
    if f.kind == "csv":
        res: dict[str, Any] = next((r for r in d.get("resources") or [] if r.get("name") == f.resource), {})
        schema = res.get("schema") or {}
        lines = [
            " / ".join(t for t in (clean(res.get("title")), clean(res.get("title_en"))) if t),
            clean(schema.get("description")),
            clean(schema.get("description_en")),
        ]
        fields["description"] = "\n\n".join(x for x in lines if x)
        fields["schema"] = schema
    elif f.kind == "datapackage":
        fields["description"] = (
            "Descriptor del paquete de datos (Data Package v2), con los esquemas y catálogos de códigos "
            "incluidos.\n\nData Package v2 descriptor, with the schemas and codelists inlined."
        )
    else:
        fields["description"] = (
            f"Paquete completo {pkg.slug} {pkg.version}: tablas en CSV, JSON, XLSX y SQLite, "
            "diccionario de datos, ficha de metadatos y sumas SHA-256.\n\n"
            f"Full package {pkg.slug} {pkg.version}: tables as CSV, JSON, XLSX and SQLite, data "
            "dictionary, metadata sheet and SHA-256 checksums."
        )
    return fields


def desired_dataset(pkg: DatasetPackage, name: str, org_id: str) -> DesiredDataset:
    """What the CKAN dataset for ``pkg`` should look like (fields as CKAN returns them)."""
    d = pkg.descriptor
    fields: dict[str, Any] = {
        "title": clean(d.get("title")) or pkg.slug,
        "notes": _notes(d),
        "license_id": _license_id(d),
        "version": pkg.version,
        **_people(d),
        "url": landing_page(d),
        "owner_org": org_id,
        "tags": _tags(d),
        "extras": _extras(d),
    }
    files = sorted((f for f in pkg.files if f.kind == "csv"), key=lambda f: f.name)
    files += [pkg.file("datapackage"), pkg.zip]
    # The zip's resource keeps one name across versions, so a new version replaces its file.
    names = [f.name for f in files[:-1]] + [f"{pkg.slug}.zip"]
    resources = [
        DesiredResource(n, f.kind, f, _resource_fields(pkg, f)) for n, f in zip(names, files, strict=True)
    ]
    return DesiredDataset(pkg.slug, name, fields, resources)
