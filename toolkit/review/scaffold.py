"""Start a catalog (``ciudades init``) or a dataset inside one (``ciudades new``).

What a contributor used to copy by hand and edit: the catalog's metadata, the files that run the
checks in CI and before each commit, and a dataset's descriptor with its three tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.catalog.iso import alpha3_of, country_problem, subdivision_problem
from toolkit.catalog.metadata import licence_url
from toolkit.catalog.model import CATALOG_FILE, SLUG, Catalog, load_catalog
from toolkit.errors import UsageError
from toolkit.review.workbook import load_schema

# The Action and the pre-commit hook are pinned to the release tag of the toolkit that writes the
# files, so CI runs the version the contributor runs locally. The release process creates the tag
# (see the README, "Pin the Action and the hook"). The repository address is still a placeholder.
REPOSITORY = "ciudades-al-mundo/ciudades-al-mundo"
RELEASE_TAG = f"v{__version__}"
DATASETS = "datasets"
# The three tables of the standard, in the order a dataset declares them.
TABLES = (
    ("agreements", "Acuerdos y membresías", "Agreements and memberships"),
    ("funding", "Financiamiento internacional", "International funding"),
    ("partners", "Contrapartes", "Partners"),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/?#]+\.[^\s/?#]+(/\S*)?$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass
class CatalogSettings:
    """What ``catalog.yaml`` says about the catalog (``publisher_url`` empty: the base URL)."""

    publisher: str
    title_es: str
    title_en: str
    base_url: str
    email: str
    publisher_url: str = ""
    languages: list[str] = field(default_factory=lambda: ["es", "en"])
    license: str = "CC-BY-4.0"


@dataclass
class Written:
    """The files a command wrote, and what to run next."""

    folder: Path
    files: list[Path]
    next_es: list[str]
    next_en: list[str]

    def render(self, lang: str) -> str:
        lines = [("Escrito: " if lang == "es" else "Written: ") + str(p) for p in self.files]
        lines.append("Siguientes pasos:" if lang == "es" else "Next steps:")
        lines += ["  " + step for step in (self.next_es if lang == "es" else self.next_en)]
        return "\n".join(lines) + "\n"


def _q(value: str) -> str:
    """A YAML scalar for any text: a JSON string is a valid double-quoted YAML scalar."""
    return json.dumps(value, ensure_ascii=False)


def _text(value: str, what_es: str, what_en: str) -> str:
    value = (value or "").strip()
    if not value or any(ord(c) < 32 or unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise UsageError(
            f"Falta {what_es}, o tiene saltos de línea o caracteres de control: escríbelo en una línea.",
            f"{what_en} is missing, or has line breaks or control characters: write it on one line.",
        )
    return value


def _url(value: str, option: str) -> str:
    value = (value or "").strip()
    if not _URL.match(value):
        raise UsageError(
            f"{option}: «{value}» no es una dirección http(s) completa (p. ej. https://example.org/datos/).",
            f"{option}: '{value}' is not a full http(s) address (e.g. https://example.org/data/).",
        )
    return value


def check_settings(s: CatalogSettings) -> CatalogSettings:
    """The settings cleaned, or a :class:`UsageError` that names the option to fix."""
    languages = [lang.strip() for lang in s.languages if lang.strip()]
    if not languages or not all(_LANGUAGE.match(lang) for lang in languages):
        raise UsageError(
            f"--languages: «{','.join(s.languages)}» no es una lista de códigos ISO 639-1 (p. ej. es,en).",
            f"--languages: '{','.join(s.languages)}' is not a list of ISO 639-1 codes (e.g. es,en).",
        )
    email = (s.email or "").strip()
    if not _EMAIL.match(email):
        raise UsageError(
            f"--email: «{email}» no es una dirección de correo (p. ej. datos@example.org).",
            f"--email: '{email}' is not an e-mail address (e.g. data@example.org).",
        )
    base_url = _url(s.base_url, "--base-url")
    return CatalogSettings(
        publisher=_text(s.publisher, "el publicador (--publisher)", "The publisher (--publisher)"),
        title_es=_text(s.title_es, "el título en español (--title-es)", "The Spanish title (--title-es)"),
        title_en=_text(s.title_en, "el título en inglés (--title-en)", "The English title (--title-en)"),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        email=email,
        publisher_url=_url(s.publisher_url, "--publisher-url") if s.publisher_url else base_url,
        languages=languages,
        license=_text(s.license, "la licencia (--license)", "The licence (--license)"),
    )


# ── ciudades init ────────────────────────────────────────────────────────────────────────────────


def _catalog_yaml(s: CatalogSettings) -> str:
    about_es = (
        f"Acuerdos internacionales, membresías en redes de ciudades y financiamiento internacional "
        f"publicados por {s.publisher}; cada dato con su fuente pública."
    )
    about_en = (
        f"International agreements, memberships in city networks and international funding "
        f"published by {s.publisher}; every fact with its public source."
    )
    return f"""\
# Catalog metadata, written by `ciudades init` (toolkit {__version__}). Every text in es and en.
title:
  es: {_q(s.title_es)}
  en: {_q(s.title_en)}
description:
  es: {_q(about_es)}
  en: {_q(about_en)}
publisher:
  name: {_q(s.publisher)}
  url: {_q(s.publisher_url)}
contact:
  name: {_q(s.publisher)}
  email: {_q(s.email)}
base_url: {_q(s.base_url)}
license: {_q(s.license)}
languages: [{", ".join(s.languages)}]
"""


def _workflow(ref: str, lang: str) -> str:
    return f"""\
# Validate the catalog on every pull request and push: findings as annotations on the changed
# lines, the verdict and the data diff in the run's summary. Written by `ciudades init`.
# The Action is pinned to the toolkit's release {ref}; to move to a newer release, change the
# reference here and `rev:` in .pre-commit-config.yaml together.
name: Validate the data
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0 # the base branch, for the data diff of a pull request
      - uses: {REPOSITORY}@{ref}
        id: ciudades
        with:
          path: {DATASETS}
          lang: {lang}
"""


def _pre_commit(ref: str) -> str:
    return f"""\
# Validate the catalog before each commit that touches a data file: `pip install pre-commit`,
# then `pre-commit install` once. Written by `ciudades init`; same release as the workflow.
repos:
  - repo: https://github.com/{REPOSITORY}
    rev: {ref}
    hooks:
      - id: ciudades-validate
        args: [{DATASETS}]
"""


_GITIGNORE = """\
# what `ciudades package` and `ciudades build` write
build/
# Python
.venv/
__pycache__/
# files office programs leave beside an open workbook
~$*
.~lock.*#
"""


def _readme(s: CatalogSettings) -> str:
    return f"""\
# {s.title_es} / {s.title_en}

Datos abiertos de {s.publisher}, validados con [Ciudades al Mundo](https://github.com/{REPOSITORY}).
Open data by {s.publisher}, checked with Ciudades al Mundo. English below.

## Cómo contribuir

Instala la herramienta (Python 3.11 o posterior) y, desde esta carpeta:

```bash
ciudades new mi-ciudad --city "Mi Ciudad" --country MX --subdivision MX-CMX --website https://www.example.org
ciudades template agreements --out acuerdos.xlsx
ciudades import acuerdos.xlsx --into {DATASETS}/mi-ciudad/agreements.csv --append
ciudades validate
```

`ciudades new` crea la carpeta del conjunto con su `datapackage.yaml` y sus tres tablas
(`agreements`, `funding`, `partners`); la fila del propio gobierno de la ciudad ya está en
`partners.csv`. Cada fila lleva su `source_url`, una página pública que la respalda. Llena las
tablas en el libro de `ciudades template` o directamente en los CSV (UTF-8, comas, fechas
AAAA-MM-DD) y corre `ciudades validate` antes de abrir un pull request: cada problema dice en qué
archivo, línea y columna está y cómo corregirlo. El flujo de `.github/workflows/validate.yml`
revisa cada pull request; con `pre-commit install`, la revisión corre también antes de cada commit.

## How to contribute

Install the toolkit (Python 3.11 or later) and, from this folder, run the commands above.
`ciudades new` creates the dataset's folder with its `datapackage.yaml` and its three tables
(`agreements`, `funding`, `partners`); the city government's own row is already in `partners.csv`.
Every row carries its `source_url`, a public page that supports it. Fill the tables in the
workbook `ciudades template` writes, or in the CSV files directly (UTF-8, commas, YYYY-MM-DD dates),
and run `ciudades validate` before opening a pull request: each problem says which file, line and
column it is in and how to fix it. The workflow in `.github/workflows/validate.yml` checks every
pull request; with `pre-commit install`, the check also runs before each commit.

Data licence / licencia de los datos: {s.license}.
"""


def init_catalog(
    target: Path, settings: CatalogSettings, *, force: bool = False, ref: str = RELEASE_TAG
) -> Written:
    """Write a new catalog's repository into ``target``: ``datasets/catalog.yaml``, a README for
    contributors, the CI workflow, the pre-commit configuration and ``.gitignore``.

    A folder that exists and holds anything is refused unless ``force`` (then only these files are
    replaced). ``ref``: the release (or commit) of the Action and the hook the files pin."""
    s = check_settings(settings)
    if not _REF.match(ref):
        raise UsageError(
            f"--ref: «{ref}» no es una etiqueta ni un commit de git.",
            f"--ref: '{ref}' is not a git tag or commit.",
        )
    if target.exists() and not target.is_dir():
        raise UsageError(f"«{target}» existe y no es una carpeta.", f"'{target}' exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise UsageError(
            f"«{target}» no está vacía: elige una carpeta nueva o vacía, o usa --force para escribir "
            "los archivos del catálogo encima (los demás se conservan).",
            f"'{target}' is not empty: choose a new or empty folder, or use --force to write the "
            "catalog's files over it (other files are kept).",
        )
    lang = next((lang for lang in s.languages if lang in ("es", "en")), "es")
    files = {
        Path(DATASETS) / CATALOG_FILE: _catalog_yaml(s),
        Path("README.md"): _readme(s),
        Path(".github") / "workflows" / "validate.yml": _workflow(ref, lang),
        Path(".pre-commit-config.yaml"): _pre_commit(ref),
        Path(".gitignore"): _GITIGNORE,
    }
    written = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        written.append(path)
    where = f"cd {target} && " if str(target) not in ("", ".") else ""
    new = f'{where}ciudades new SLUG --city "…" --country CC --website https://…'
    return Written(
        target,
        written,
        [f"{new}   (un conjunto de datos por ciudad)", "git init && git add -A && git commit -m catálogo"],
        [f"{new}   (one dataset per city)", "git init && git add -A && git commit -m catalog"],
    )


# ── ciudades new ─────────────────────────────────────────────────────────────────────────────────


def partner_id(city: str, country: str) -> str:
    """The city government's id in ``partners``: its name without accents, lowercase, with hyphens,
    and the country (``Bogotá``, ``CO`` → ``bogota-co``), as the shipped datasets write them."""
    plain = unicodedata.normalize("NFKD", city).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return f"{words}-{country.lower()}" if words else country.lower()


def _schema_file(catalog: Catalog, catalog_dir: Path, name: str) -> Path:
    """Where the catalog's schema ``name`` is, as validation resolves it: the catalog's own schemas/
    first, then the standard installed with the toolkit."""
    found = catalog.find_schema(name)
    if found is not None:
        return found
    raise UsageError(
        f"El catálogo «{catalog_dir}» no encuentra el esquema «{name}» (ni en su carpeta schemas/ ni en el "
        "estándar instalado con la herramienta).",
        f"The catalog '{catalog_dir}' cannot find the schema '{name}' (neither in its schemas/ folder nor "
        "in the standard installed with the toolkit).",
    )


def _descriptor(
    slug: str, city: str, country: str, subdivision: str, website: str, meta: dict[str, Any]
) -> str:
    today = dt.date.today().isoformat()
    licence = str(meta.get("license") or "CC-BY-4.0")
    given = meta.get("publisher")
    publisher: dict[str, Any] = given if isinstance(given, dict) else {}
    contributor = str(publisher.get("name") or city)
    contributor_url = str(publisher.get("url") or "")
    spatial = f"  country: {country}\n" + (f"  subdivision: {subdivision}\n" if subdivision else "")
    about_es = (
        "Acuerdos internacionales, membresías en redes de ciudades y financiamiento internacional "
        f"del gobierno de {city}, cada fila con su fuente pública."
    )
    about_en = (
        "International agreements, memberships in city networks and international funding of the "
        f"government of {city}, each row with its public source."
    )
    resources = "".join(
        f"  - name: {name}\n    path: {name}.csv\n    schema: {name}\n"
        f"    title: {_q(es)}\n    title_en: {_q(en)}\n"
        for name, es, en in TABLES
    )
    return f"""\
# {slug}/datapackage.yaml (Data Package v2), written by `ciudades new`. Spanish first; *_en = English.
# Complete the description as the tables fill up: what they cover and what is known to be missing.
$schema: https://datapackage.org/profiles/2.0/datapackage.json
name: {slug}
title: {_q(f"{city}: acuerdos, redes y financiamiento internacional")}
title_en: {_q(f"{city}: international agreements, networks and funding")}
description: {_q(about_es)}
description_en: {_q(about_en)}
version: 0.1.0
created: "{today}"
modified: "{today}"
homepage: {_q(website)}
keywords: [{_q(city)}, hermanamientos, cooperación internacional, redes de ciudades, financiamiento]
keywords_en: [{_q(city)}, sister cities, international cooperation, city networks, funding]
licenses:
  - name: {_q(licence)}
    path: {_q(licence_url(licence))}
contributors:
  - title: {_q(contributor)}
{f"    path: {_q(contributor_url)}" + chr(10) if contributor_url else ""}    roles: [creator]
sources:
  - title: {_q(f"{city}: sitio oficial del gobierno de la ciudad")}
    path: {_q(website)}
spatial:
{spatial}  city: {_q(city)}
# temporal: {{start: "AAAA-MM-DD", end: "AAAA-MM-DD"}}   (the first and last dates in the tables)
update_frequency: irregular
policy_profiles: []
resources:
{resources}"""


def new_dataset(
    catalog_dir: Path,
    slug: str,
    *,
    city: str,
    country: str,
    website: str,
    subdivision: str | None = None,
) -> Written:
    """Add the dataset ``slug`` to the catalog in ``catalog_dir``: its ``datapackage.yaml`` filled
    from the catalog's defaults (licence, publisher), the three tables with the headers of their
    schemas, and the city government's own row in ``partners.csv`` (its website as the source)."""
    if not (catalog_dir / CATALOG_FILE).is_file():
        raise UsageError(
            f"«{catalog_dir}» no tiene {CATALOG_FILE}: crea el catálogo con «ciudades init» o indica su "
            "carpeta con --catalog.",
            f"'{catalog_dir}' has no {CATALOG_FILE}: create the catalog with 'ciudades init' or give its "
            "folder with --catalog.",
        )
    if not SLUG.match(slug or ""):
        raise UsageError(
            f"«{slug}» no sirve como nombre de conjunto: usa minúsculas sin acentos, números y guiones "
            "(p. ej. ciudad-de-mexico).",
            f"'{slug}' cannot name a dataset: use lowercase letters without accents, digits and hyphens "
            "(e.g. ciudad-de-mexico).",
        )
    folder = catalog_dir / slug
    if folder.exists():
        raise UsageError(
            f"«{folder}» ya existe: elige otro nombre, o edita ese conjunto.",
            f"'{folder}' already exists: choose another name, or edit that dataset.",
        )
    city = _text(city, "el nombre de la ciudad (--city)", "The city's name (--city)")
    country = (country or "").strip().upper()
    if country_problem(country, 2):
        raise UsageError(
            f"--country: «{country}» no es un código de país ISO 3166-1 alfa-2 (p. ej. MX, CO, AR).",
            f"--country: '{country}' is not an ISO 3166-1 alpha-2 country code (e.g. MX, CO, AR).",
        )
    subdivision = (subdivision or "").strip().upper()
    if subdivision and subdivision_problem(subdivision, country):
        raise UsageError(
            f"--subdivision: «{subdivision}» no es una subdivisión ISO 3166-2 de {country} "
            f"(empieza por {country}-, p. ej. MX-CMX).",
            f"--subdivision: '{subdivision}' is not an ISO 3166-2 subdivision of {country} "
            f"(it starts with {country}-, e.g. MX-CMX).",
        )
    website = _url(website, "--website")
    catalog, _ = load_catalog(catalog_dir)
    headers = {
        name: [f["name"] for f in load_schema(_schema_file(catalog, catalog_dir, name)).fields]
        for name, *_ in TABLES
    }
    own = {
        "partner_id": partner_id(city, country),
        "name_es": city,
        "name_en": city,
        "partner_type": "local_government",
        "country": country,
        "country_alpha3": alpha3_of(country) or "",
        "subdivision": subdivision,
        "website": website,
        "source_url": website,
    }
    folder.mkdir()
    written = [folder / "datapackage.yaml"]
    written[0].write_text(
        _descriptor(slug, city, country, subdivision, website, catalog.metadata),
        encoding="utf-8",
        newline="\n",
    )
    for name, *_ in TABLES:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(headers[name])
        if name == "partners":
            writer.writerow([own.get(h, "") for h in headers[name]])
        path = folder / f"{name}.csv"
        path.write_text(text.getvalue(), encoding="utf-8", newline="")
        written.append(path)
    into = folder / "agreements.csv"
    return Written(
        folder,
        written,
        [
            "ciudades template agreements --out acuerdos.xlsx",
            f"ciudades import acuerdos.xlsx --into {into} --append",
            f"ciudades validate {catalog_dir}",
        ],
        [
            "ciudades template agreements --out agreements.xlsx",
            f"ciudades import agreements.xlsx --into {into} --append",
            f"ciudades validate {catalog_dir}",
        ],
    )
