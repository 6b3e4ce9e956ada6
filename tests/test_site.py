"""The catalog site: pages, links, metadata for machines, reproducibility, overrides and safety.

The shipped catalog is built once per session; small synthetic catalogs (made here, in tmp_path)
exercise template overrides, hostile data and refusals. Browser checks are in test_site_browser.py.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import html5lib
import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SHIPPED
from toolkit.cli import cli
from toolkit.errors import UsageError
from toolkit.packaging.packages import InvalidData
from toolkit.site.build import build, make_server

ROOT = Path(__file__).resolve().parent.parent
STANDARDS = Path(__file__).resolve().parent / "standards"
BASE = "https://example.org/catalogo/"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build(ROOT / "datasets", out, base_url=BASE)
    return out


@pytest.fixture(scope="session")
def trees(site: Path) -> dict[Path, object]:
    """Every page parsed once (html5lib's lenient tree; the strict parse is its own test)."""
    return {path: parse(path) for path in pages(site)}


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def parse(path: Path):  # type: ignore[no-untyped-def]
    return html5lib.parse(path.read_bytes(), transport_encoding="utf-8", namespaceHTMLElements=False)


def hrefs(tree) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for el in tree.iter():
        for attr in ("href", "src"):
            value = el.get(attr)
            if el.tag == "link" and el.get("rel") in ("canonical", "alternate"):
                continue  # absolute by design: they name the published address
            if value and el.tag in ("a", "link", "script", "img"):
                found.append(value)
    return found


def agreements_of(slug: str) -> list[dict[str, str]]:
    with (ROOT / "datasets" / slug / "agreements.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def internal(href: str) -> bool:
    return not re.match(r"^[a-z]+:", href) and not href.startswith("#")


# ── a tiny catalog, generated ────────────────────────────────────────────────────────────────────


def write_csv(path: Path, rows: list[dict[str, str]], schema: str) -> None:
    fields = [
        f["name"] for f in yaml.safe_load((ROOT / "schemas" / f"{schema}.schema.yaml").read_text())["fields"]
    ]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in fields})


def tiny_catalog(root: Path, text: str = "Ciudad Prueba", slug: str = "ciudad-prueba") -> Path:
    """A valid one-dataset catalog whose every free text is ``text``."""
    shutil.copytree(ROOT / "schemas", root / "schemas")
    folder = root / "datasets" / slug
    folder.mkdir(parents=True)
    catalog = {
        "name": "catalogo-prueba",
        "title": {"es": text, "en": text},
        "description": {"es": text, "en": text},
        "publisher": {"name": text, "url": "https://example.org/"},
        "contact": {"name": text, "email": "datos@example.org"},
        "base_url": BASE,
        "license": "CC-BY-4.0",
        "languages": ["es", "en"],
        "schemas": "../schemas",
    }
    (root / "datasets" / "catalog.yaml").write_text(
        yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8"
    )
    descriptor = {
        "name": slug,
        "title": text,
        "title_en": text,
        "description": text,
        "description_en": text,
        "version": "1.0.0",
        "created": "2024-01-01",
        "modified": "2024-02-01",
        "keywords": [text],
        "keywords_en": [text],
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "contributors": [{"title": text, "roles": ["creator"]}],
        "sources": [{"title": text, "path": "https://example.org/fuente"}],
        "spatial": {"country": "MX", "subdivision": "MX-CMX", "city": text},
        "temporal": {"start": "2020-01-01", "end": "2021-01-01"},
        "update_frequency": "irregular",
        "resources": [
            {"name": n, "path": f"{n}.csv", "schema": n, "title": text, "title_en": text}
            for n in ("agreements", "funding", "partners")
        ],
    }
    (folder / "datapackage.yaml").write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    src = "https://example.org/nota"
    write_csv(
        folder / "partners.csv",
        [
            {
                "partner_id": "ciudad-mx",
                "name_es": text,
                "partner_type": "local_government",
                "country": "MX",
                "country_alpha3": "MEX",
                "source_url": src,
            },
            {
                "partner_id": "c40",
                "name_es": text,
                "name_en": text,
                "partner_type": "city_network",
                "source_url": src,
                "notes": text,
            },
            {
                "partner_id": "paris-fr",
                "name_es": text,
                "partner_type": "local_government",
                "country": "FR",
                "country_alpha3": "FRA",
                "source_url": src,
            },
        ],
        "partners",
    )
    write_csv(
        folder / "agreements.csv",
        [
            {
                "agreement_id": "prueba-c40-2020",
                "local_party_id": "ciudad-mx",
                "counterpart_id": "c40",
                "agreement_type": "membership",
                "title_es": text,
                "title_en": text,
                "date_signed": "2020-05-01",
                "date_precision": "month",
                "status": "in_force",
                "source_url": src,
                "source_quote": text,
                "confidence": "high",
                "notes": text,
            },
            {
                "agreement_id": "prueba-paris-2021",
                "local_party_id": "ciudad-mx",
                "counterpart_id": "paris-fr",
                "agreement_type": "sister_city",
                "title_es": text,
                "date_signed": "2021-01-01",
                "date_precision": "day",
                "status": "in_force",
                "source_url": src,
                "confidence": "medium",
            },
        ],
        "agreements",
    )
    write_csv(
        folder / "funding.csv",
        [
            {
                "funding_id": "prueba-fondo",
                "agreement_id": "prueba-c40-2020",
                "title_es": text,
                "funding_kind": "grant",
                "transaction_type": "1",
                "provider_id": "c40",
                "recipient_id": "ciudad-mx",
                "amount": "1000",
                "currency": "USD",
                "amount_is_approximate": "false",
                "value_date": "2020-06-01",
                "date_precision": "day",
                "status": "ended",
                "source_url": src,
                "confidence": "high",
            },
        ],
        "funding",
    )
    return root / "datasets"


# ── the shipped catalog ──────────────────────────────────────────────────────────────────────────


def test_both_languages_every_dataset_and_its_downloads(site: Path) -> None:
    slugs = sorted(p.name for p in (ROOT / "datasets").iterdir() if (p / "datapackage.yaml").is_file())
    assert (site / "index.html").is_file() and (site / "en" / "index.html").is_file()
    for slug in slugs:
        for page in (
            f"{slug}/index.html",
            f"{slug}/validacion.html",
            f"en/{slug}/index.html",
            f"en/{slug}/validation.html",
        ):
            assert (site / page).is_file(), page
        html = (site / slug / "index.html").read_text(encoding="utf-8")
        for name in (
            "agreements.csv",
            "agreements.json",
            f"{slug}.xlsx",
            f"{slug}.sqlite",
            "datapackage.json",
        ):
            assert f'href="../descargas/{slug}/{name}"' in html, name
            assert (site / "descargas" / slug / name).is_file()
        assert re.search(rf'href="\.\./descargas/{slug}-[0-9.]+\.zip"', html)
        sums = (site / "descargas" / slug / "SHA256SUMS").read_text(encoding="utf-8")
        for digest in re.findall(r"^([0-9a-f]{64})  ", sums, re.M):
            assert digest in html  # every checksum is shown next to its file
    for name in ("catalog.ttl", "catalog.jsonld", "data.json", "sitemap.xml", "robots.txt"):
        assert (site / name).is_file(), name


def test_every_page_is_valid_html(site: Path) -> None:
    assert len(pages(site)) > 20
    for path in pages(site):
        parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
        parser.parse(path.read_bytes(), transport_encoding="utf-8")  # raises on any parse error


def test_pages_satisfy_their_own_content_security_policy(trees: dict[Path, Any]) -> None:
    for path, tree in trees.items():
        csp = [
            m.get("content") for m in tree.iter("meta") if m.get("http-equiv") == "Content-Security-Policy"
        ]
        assert csp and "script-src 'self'" in csp[0] and "unsafe-inline" not in csp[0], path
        assert not list(tree.iter("style")), path
        for el in tree.iter():
            assert el.get("style") is None, (path, el.tag)
            assert not [a for a in el.attrib if a.startswith("on")], (path, el.tag)
        for script in tree.iter("script"):
            assert script.get("src") or script.get("type") == "application/ld+json", path


def test_links_are_relative_and_resolve_on_disk(trees: dict[Path, Any]) -> None:
    """Opened from a folder (file://) every internal link must lead to a file that exists."""
    for path, tree in trees.items():
        for href in hrefs(tree):
            assert not href.startswith(("/", BASE)), (path, href)
            if internal(href):
                target = urllib.parse.urldefrag(href.split("?")[0])[0]
                assert (path.parent / urllib.parse.unquote(target)).resolve().is_file(), (path, href)


def test_hreflang_canonical_and_open_graph(site: Path) -> None:
    tree = parse(site / "en" / "bogota" / "index.html")
    links = {(lk.get("rel"), lk.get("hreflang")): lk.get("href") for lk in tree.iter("link")}
    assert links[("canonical", None)] == BASE + "en/bogota/"
    assert links[("alternate", "es")] == BASE + "bogota/"
    assert links[("alternate", "en")] == BASE + "en/bogota/"
    og = {m.get("property"): m.get("content") for m in tree.iter("meta") if m.get("property")}
    assert og["og:url"] == BASE + "en/bogota/" and og["og:locale"] == "en_US" and og["og:title"]
    switch = next(a for a in tree.iter("a") if "lang-switch" in (a.get("class") or ""))
    assert switch.get("href") == "../../bogota/index.html" and switch.get("hreflang") == "es"


def test_dataset_page_has_schema_org_json_ld(site: Path) -> None:
    tree = parse(site / "ciudad-de-mexico" / "index.html")
    blocks = [s.text for s in tree.iter("script") if s.get("type") == "application/ld+json"]
    assert len(blocks) == 1
    doc = json.loads(blocks[0])
    assert doc["@type"] == "Dataset" and doc["name"].startswith("Ciudad de México")
    for key in ("description", "license", "creator", "spatialCoverage", "temporalCoverage", "dateModified"):
        assert doc[key], key
    assert doc["inLanguage"] == "es"
    urls = {d["contentUrl"] for d in doc["distribution"]}
    assert BASE + "descargas/ciudad-de-mexico/agreements.csv" in urls
    assert all(d["encodingFormat"] for d in doc["distribution"])


def test_data_json_matches_its_schema(site: Path) -> None:
    schema = json.loads((STANDARDS / "data-json-dcat-us-1.1.schema.json").read_text(encoding="utf-8"))
    doc = json.loads((site / "data.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
    assert [d["landingPage"] for d in doc["dataset"]] == [BASE + s + "/" for s in SHIPPED]
    bogota = doc["dataset"][0]["distribution"]
    csv_file = next(d for d in bogota if d["downloadURL"].endswith("/bogota/agreements.csv"))
    assert csv_file["byteSize"] == (ROOT / "datasets" / "bogota" / "agreements.csv").stat().st_size


def test_the_schema_rejects_a_data_json_missing_a_download_url() -> None:
    schema = json.loads((STANDARDS / "data-json-dcat-us-1.1.schema.json").read_text(encoding="utf-8"))
    broken = {
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "dataset": [
            {
                "identifier": "x",
                "title": "x",
                "description": "x",
                "keyword": ["x"],
                "modified": "2024-01-01",
                "contactPoint": {"fn": "x", "hasEmail": "mailto:x@example.org"},
                "landingPage": "https://x.org/",
                "accrualPeriodicity": "irregular",
                "publisher": {"name": "x"},
                "accessLevel": "public",
                "distribution": [{"mediaType": "text/csv", "byteSize": 1}],
            }
        ],
    }
    with pytest.raises(jsonschema.ValidationError, match="downloadURL"):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)


@pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning"
)  # rdflib's JSON-LD parser
@pytest.mark.parametrize("name", ["catalog.ttl", "catalog.jsonld"])
def test_dcat_passes_the_dcat_ap_3_shapes(site: Path, name: str) -> None:
    from pyshacl import validate
    from rdflib import Graph

    shapes = Graph()
    shapes.parse(STANDARDS / "dcat-ap-3.0.0-SHACL.ttl")
    shapes.parse(STANDARDS / "dcat-ap-3.0.0-range.ttl")
    data = Graph().parse(site / name, format="turtle" if name.endswith(".ttl") else "json-ld")
    conforms, _, text = validate(data, shacl_graph=shapes, inference="none")
    assert conforms, text
    assert len(data) > 500


def test_sitemap_and_robots(site: Path) -> None:
    import xml.etree.ElementTree as ET

    root = ET.parse(site / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {loc.text for loc in root.findall("s:url/s:loc", ns)}
    assert BASE in locs and BASE + "en/" in locs and BASE + "bogota/validacion.html" in locs
    assert len(locs) == len(pages(site))
    assert (site / "robots.txt").read_text(encoding="utf-8").endswith(f"Sitemap: {BASE}sitemap.xml\n")


def test_a_partner_page_gathers_its_rows_across_cities(site: Path) -> None:
    html = (site / "contrapartes" / "c40.html").read_text(encoding="utf-8")
    agreements = {
        slug
        for slug in SHIPPED
        if any(
            r["counterpart_id"] == "c40" or "c40" in r["other_counterpart_ids"].split(";")
            for r in agreements_of(slug)
        )
    }
    assert len(agreements) >= 2
    for slug in agreements:
        assert f'href="../{slug}/index.html"' in html
    # and dataset pages link their partner IDs to it
    assert 'href="../contrapartes/c40.html"' in (site / "bogota" / "index.html").read_text(encoding="utf-8")


def test_filter_pages_work_without_javascript(site: Path) -> None:
    page = site / "filtros" / "tipo-de-acuerdo" / "sister_city.html"
    tree = parse(page)
    cards = [li for li in tree.iter("li") if "card" in (li.get("class") or "").split()]
    expected = {
        slug for slug in SHIPPED if any(r["agreement_type"] == "sister_city" for r in agreements_of(slug))
    }
    assert {c.get("data-city") for c in cards} == expected
    rows = [tr for tr in tree.iter("tr") if tr.find("td") is not None]
    assert rows and all("Hermanamiento" in "".join(tr.itertext()) for tr in rows)
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="filtros/tipo-de-acuerdo/sister_city.html"' in index


def test_the_build_is_reproducible(site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(ROOT / "datasets", again, base_url=BASE)
    first = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_the_site_works_under_a_sub_path(site: Path, tmp_path: Path) -> None:
    """Served from /a/b/ of a host, every link of every page answers 200."""
    served = tmp_path / "www"
    shutil.copytree(site, served / "a" / "b")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/a/b/"
    try:
        seen: set[str] = set()
        queue = [base + "index.html", base + "en/index.html"]
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200, url
                body = response.read()
            if url.endswith(".html"):
                tree = html5lib.parse(body, transport_encoding="utf-8", namespaceHTMLElements=False)
                for href in hrefs(tree):
                    if internal(href):
                        target = urllib.parse.urldefrag(urllib.parse.urljoin(url, href))[0]
                        assert target.startswith(base), (url, href)
                        queue.append(target)
        assert len([u for u in seen if u.endswith(".html")]) == len(pages(site))
    finally:
        server.shutdown()
        server.server_close()


# ── overrides, hostile data, refusals ────────────────────────────────────────────────────────────


def test_a_template_folder_overrides_templates_and_static_files(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    mine = tmp_path / "mine"
    (mine / "static").mkdir(parents=True)
    (mine / "_footer.html").write_text('<footer class="mine">{{ t.footer_about }} · hecho en casa</footer>\n')
    (mine / "static" / "site.css").write_text("body { color: #000; }\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(datasets), "--out", str(out), "--templates", str(mine)])
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text(encoding="utf-8")
    assert '<footer class="mine">' in html and "hecho en casa" in html
    assert (out / "static" / "site.css").read_text() == "body { color: #000; }\n"
    assert (out / "static" / "site.js").is_file()  # what is not overridden comes from the shipped set


def test_a_template_with_an_unknown_variable_fails_the_build(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "_footer.html").write_text("<footer>{{ no_such_thing }}</footer>\n")
    from jinja2 import UndefinedError

    with pytest.raises(UndefinedError):
        build(datasets, tmp_path / "out", templates=mine)
    assert not (tmp_path / "out").exists()


PAYLOAD = (
    '<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>'
    "</script><iframe src=javascript:alert(4)></iframe>[pulsa](javascript:alert(5)) {{ 7*7 }}"
)


def test_markup_in_the_data_renders_inert(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src", text=PAYLOAD)
    out = tmp_path / "out"
    build(datasets, out)
    html_pages = pages(out)
    assert len(html_pages) > 10
    for path in html_pages:
        raw = path.read_text(encoding="utf-8")
        assert "<script>alert" not in raw and "<iframe" not in raw and "<img" not in raw, path
        tree = parse(path)
        for el in tree.iter():
            assert not [a for a in el.attrib if a.startswith("on")], (path, el.tag)
            for attr in ("href", "src"):
                assert not (el.get(attr) or "").lower().startswith("javascript:"), (path, el.tag)
            if el.tag == "svg":
                assert "chart" in (el.get("class") or ""), path
        for script in tree.iter("script"):
            if script.get("type") == "application/ld+json":
                assert json.loads(script.text)["name"] == PAYLOAD
            else:
                assert script.get("src", "").startswith(("static/", "../")), path
    dataset_html = (out / "ciudad-prueba" / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dataset_html  # shown as text, not dropped
    assert "{{ 7*7 }}" in dataset_html  # data is never evaluated as a template


def test_warnings_are_shown_on_the_report_page(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    descriptor = datasets / "ciudad-prueba" / "datapackage.yaml"
    meta = yaml.safe_load(descriptor.read_text(encoding="utf-8"))
    del meta["keywords_en"]
    descriptor.write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out"
    build(datasets, out)
    report = (out / "en" / "ciudad-prueba" / "validation.html").read_text(encoding="utf-8")
    assert "Valid, with 1 warning" in report
    assert "metadata-recommended" in report
    assert "The recommended property &#39;keywords_en&#39; is missing." in report
    index = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert "Valid, with 1 warning" in index


def test_invalid_data_stops_the_build_with_its_findings(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    rows = (datasets / "ciudad-prueba" / "agreements.csv").read_text(encoding="utf-8")
    (datasets / "ciudad-prueba" / "agreements.csv").write_text(rows.replace("2021-01-01", "2021-02-30"))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(datasets), "--out", str(out), "--lang", "es"])
    assert result.exit_code == 1
    assert "«2021-02-30» no es una fecha válida" in result.output
    assert "✗ No válido" in result.output
    assert not out.exists()
    with pytest.raises(InvalidData):
        build(datasets, out)


def test_the_build_refuses_to_replace_a_folder_it_did_not_make(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["build", str(datasets), "--out", str(precious), "--lang", "en"])
    assert result.exit_code == 2
    assert "already exists and is not a site built by 'ciudades build'" in result.output
    assert (precious / "notes.txt").read_text() == "keep me"


def test_a_rebuild_replaces_the_previous_site(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(cli, ["build", str(datasets), "--out", str(out), "--lang", "es"])
    assert first.exit_code == 0, first.output
    assert "Sitio: " in first.output and "Vista previa: ciudades serve" in first.output
    (out / "stale.html").write_text("old")
    second = runner.invoke(
        cli, ["build", str(datasets), "--out", str(out), "--base-url", "https://x.example/"]
    )
    assert second.exit_code == 0, second.output
    assert not (out / "stale.html").exists()
    assert "https://x.example/ciudad-prueba/" in (out / "data.json").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp folder left


def test_serve_needs_a_built_site(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        make_server(tmp_path, 0)
    result = CliRunner().invoke(cli, ["serve", "--dir", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 2
    assert "has no index.html; run 'ciudades build' first." in result.output


def test_competing_claims_are_counted_once() -> None:
    from toolkit.site.data import one_claim_per_fact

    rows = [
        {"id": "a", "claim_group": "", "confidence": "high"},
        {"id": "b1", "claim_group": "g", "confidence": "medium"},
        {"id": "b2", "claim_group": "g", "confidence": "high"},
        {"id": "c1", "claim_group": "h", "confidence": "low"},
        {"id": "c2", "claim_group": "h", "confidence": "low"},
    ]
    kept, left_out = one_claim_per_fact(rows)
    assert [r["id"] for r in kept] == ["a", "b2", "c1"]
    assert left_out == 2


def test_partner_identifiers_link_to_wikidata_and_org_id(catalog_copy: Path, tmp_path: Path) -> None:
    # Planted in a copy, in a city that is not the first to name the partner: whichever partners
    # table gives an identifier, the partner page shows it, linked.
    path = catalog_copy / "quito" / "partners.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["partner_id"] == "c40":
            r["wikidata_qid"], r["org_identifier"] = "Q4115189", "XI-IATI-TESTC40"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "site"
    build(catalog_copy, out, base_url=BASE)
    links = {a.get("href"): "".join(a.itertext()) for a in parse(out / "contrapartes" / "c40.html").iter("a")}
    assert links["https://www.wikidata.org/wiki/Q4115189"] == "Q4115189"
    assert links["https://org-id.guide/list/XI-IATI"] == "XI-IATI-TESTC40"


def test_amounts_no_float_can_show_are_left_out_of_totals() -> None:
    """Infinity, NaN and 1e999 are valid numbers; as amounts they cannot be summed or shown (the
    build used to crash formatting them), so they count with the rows that have no amount."""
    from toolkit.site.data import amount_of

    for text in ("Infinity", "-Infinity", "NaN", "1e999", "9" * 400):
        assert amount_of({"amount": text}) is None, text
    assert [amount_of({"amount": t}) for t in ("1_000", "１２３", "-0", "", "abc")] == [
        1000.0,
        123.0,
        -0.0,
        None,
        None,
    ]
