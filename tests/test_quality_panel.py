"""The quality panel: what the validation report records, and "Valid" only for the bytes validated."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import jsonschema
import yaml

import toolkit
from tests.conftest import STANDARD_VERSION
from tests.test_linkhealth import cite
from tests.test_linkhealth import write as write_links
from tests.test_site import BASE, ROOT, STANDARDS, tiny_catalog, write_csv
from toolkit.catalog.model import load_catalog
from toolkit.site.build import build
from toolkit.site.charts import BADGE_COLOURS
from toolkit.site.charts import badge as svg_badge
from toolkit.site.data import read_rows
from toolkit.site.evidence import Evidence, FileEvidence, matches
from toolkit.site.pages import badge_message
from toolkit.site.quality import freshness, measure, source_rules

SLUG = "ciudad-prueba"
TABLES = ("agreements", "funding", "partners")


def badge(page: Path) -> str:
    """The status badge at the top of a dataset page: its class and its words."""
    found = re.search(r'<a class="badge (\w+)" href="[^"]*">([^<]*)</a>', page.read_text(encoding="utf-8"))
    assert found, page
    return f"{found[1]}: {found[2]}"


def test_the_report_records_the_hashes_versions_engine_and_date(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"
    build(datasets, out)
    hashes = {t: hashlib.sha256((datasets / SLUG / f"{t}.csv").read_bytes()).hexdigest() for t in TABLES}
    record = json.loads((out / SLUG / "validacion.json").read_text(encoding="utf-8"))
    assert record["files"] == [{"resource": t, "name": f"{t}.csv", "sha256": hashes[t]} for t in TABLES]
    assert record["standard"] == f"ciudades-al-mundo {STANDARD_VERSION}"
    assert record["toolkit"] == toolkit.__version__
    assert record["engine"] == f"fast (ciudades {toolkit.__version__})"  # the default: every table
    assert record["date"] == "2024-02-01"  # the data's `modified`, not the clock: same input, same bytes
    for path, words in (
        (out / SLUG / "validacion.html", ("Qué se validó", "Motor de validación", "validacion.json")),
        (
            out / "en" / SLUG / "validation.html",
            ("What was validated", "Validation engine", "validacion.json"),
        ),
    ):
        report = path.read_text(encoding="utf-8")
        assert all(h in report for h in hashes.values())
        assert all(w in report for w in words)
        assert f"ciudades-al-mundo {STANDARD_VERSION}" in report
    assert badge(out / SLUG / "index.html") == "ok: Validación: Válido"
    assert badge(out / "en" / SLUG / "index.html") == "ok: Validation: Valid"


def test_source_date_epoch_sets_the_date_of_the_record(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    datasets = tiny_catalog(tmp_path / "src")
    build(datasets, tmp_path / "out")
    record = json.loads((tmp_path / "out" / SLUG / "validacion.json").read_text(encoding="utf-8"))
    assert record["date"] == "2023-11-14"


def tamper(out: Path, name: str) -> Callable[[str], None]:
    """A progress hook for ``build`` that changes a published CSV after validation and packaging
    ("site" comes then, before the pages are written)."""

    def hook(step: str) -> None:
        if step == "site":
            (published,) = out.parent.glob(f".{out.name}.*.tmp/descargas/{SLUG}/{name}")
            published.write_bytes(published.read_bytes() + b"\n")

    return hook


def test_a_published_file_changed_after_validation_is_not_shown_as_valid(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"

    build(datasets, out, progress=tamper(out, "agreements.csv"))
    for page, words in (
        (out / SLUG / "index.html", "Validación: Sin verificar"),
        (out / "en" / SLUG / "index.html", "Validation: Not verified"),
    ):
        assert badge(page) == f"bad: {words}"
    es_report = (out / SLUG / "validacion.html").read_text(encoding="utf-8")
    assert '<span class="badge bad">Sin verificar</span>' in es_report
    assert '<span class="badge ok">' not in es_report
    assert re.search(r"coinciden con los validados</dt>\s*<dd>No<", es_report)
    en_index = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert '<span class="badge bad">Not verified</span>' in en_index
    assert ">Valid<" not in en_index


def test_evidence_whose_hash_differs_or_is_missing_does_not_match(tmp_path: Path) -> None:
    csv = tmp_path / "agreements.csv"
    csv.write_bytes(b"id\n1\n")
    right = hashlib.sha256(b"id\n1\n").hexdigest()

    def evidence(*files: FileEvidence) -> Evidence:
        return Evidence(SLUG, files, "ciudades-al-mundo 1.0.0", "", "0", "frictionless", "2024-02-01")

    assert matches(evidence(FileEvidence("agreements", "agreements.csv", right)), {"agreements": csv})
    assert not matches(evidence(FileEvidence("agreements", "agreements.csv", "0" * 64)), {"agreements": csv})
    assert not matches(evidence(FileEvidence("funding", "funding.csv", right)), {"agreements": csv})
    assert not matches(evidence(), {"agreements": csv})  # nothing validated is nothing to vouch for
    assert not matches(None, {"agreements": csv})


# ── quality figures ──────────────────────────────────────────────────────────────────────────────


def _with_competing_claims(datasets: Path) -> None:
    """Both agreement rows of the tiny catalog share a claim group (one open competing claim)."""
    path = datasets / SLUG / "agreements.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["claim_group"] = "grupo-a"
    write_csv(path, rows, "agreements")


def _optional_share(datasets: Path, table: str) -> float:
    """Counted here independently: the cells of the fields the schema does not require that have a value."""
    schema = yaml.safe_load((ROOT / "schemas" / f"{table}.schema.yaml").read_text(encoding="utf-8"))
    optional = [f["name"] for f in schema["fields"] if not (f.get("constraints") or {}).get("required")]
    with (datasets / SLUG / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    filled = sum(1 for r in rows for name in optional if r[name])
    return round(filled / (len(rows) * len(optional)), 4)


def test_quality_figures_are_computed_from_the_rows(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    _with_competing_claims(datasets)
    catalog, _ = load_catalog(datasets)
    q = measure(read_rows(catalog.datasets[0])).to_dict()
    by_table = {t["table"]: t for t in q["tables"]}
    assert {name: t["rows"] for name, t in by_table.items()} == {"agreements": 2, "funding": 1, "partners": 3}
    agreements = by_table["agreements"]
    assert agreements["confidence"] == {
        "high": {"rows": 1, "share": 0.5},
        "medium": {"rows": 1, "share": 0.5},
        "low": {"rows": 0, "share": 0.0},
    }
    assert agreements["open_competing_claims"] == 1
    assert by_table["funding"]["open_competing_claims"] == 0  # a claim group of one row is no competition
    assert by_table["partners"]["confidence"] is None  # the table has no confidence field
    assert by_table["partners"]["open_competing_claims"] is None
    for table in TABLES:
        assert by_table[table]["optional_filled"]["share"] == _optional_share(datasets, table)
    assert 0 < by_table["partners"]["optional_filled"]["share"] < 1


def test_the_dataset_page_shows_the_quality_figures_in_both_languages(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"
    build(datasets, out)
    figures = json.loads((out / SLUG / "calidad.json").read_text(encoding="utf-8"))
    catalog, _ = load_catalog(datasets)
    assert figures["tables"] == measure(read_rows(catalog.datasets[0])).to_dict()["tables"]
    es = (out / SLUG / "index.html").read_text(encoding="utf-8")
    en = (out / "en" / SLUG / "index.html").read_text(encoding="utf-8")
    for page, words in (
        (es, ("Calidad", "Campos opcionales con valor", "Confianza alta", "50,0 %", 'href="calidad.json"')),
        (
            en,
            (
                "Quality",
                "Optional fields filled",
                "High confidence",
                "50.0%",
                'href="../../ciudad-prueba/calidad.json"',
            ),
        ),
    ):
        section = page[page.index('<section id="quality"') :]
        section = section[: section.index("</section>")]
        assert all(w in section for w in words), words


# ── the badge ────────────────────────────────────────────────────────────────────────────────────


def _badge_text(svg: Path) -> tuple[str, str]:
    """The badge's accessible title and the colour of its message, read as XML (it must parse)."""
    root = ET.fromstring(svg.read_text(encoding="utf-8"))
    ns = {"s": "http://www.w3.org/2000/svg"}
    title = root.find("s:title", ns)
    assert title is not None and title.text
    return title.text, root.findall("s:rect", ns)[1].get("fill", "")


def test_each_dataset_has_an_svg_badge_to_embed_in_both_languages(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"
    build(datasets, out)
    assert _badge_text(out / SLUG / "insignia.svg") == ("validación: válido · v1.0.0", BADGE_COLOURS["ok"])
    assert _badge_text(out / "en" / SLUG / "badge.svg") == ("validation: valid · v1.0.0", BADGE_COLOURS["ok"])
    page = (out / "en" / SLUG / "index.html").read_text(encoding="utf-8")
    assert '<a href="badge.svg" type="image/svg+xml">See the badge (SVG)</a>' in page
    assert "(validation: valid · v1.0.0)" in page
    embed = f"&lt;img src=&#34;{BASE}en/{SLUG}/badge.svg&#34;"  # the code to copy names the public address
    assert embed in page


def test_the_badge_of_a_changed_file_does_not_say_valid(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"

    def tamper(step: str) -> None:
        if step == "site":
            (published,) = out.parent.glob(f".{out.name}.*.tmp/descargas/{SLUG}/funding.csv")
            published.write_bytes(published.read_bytes().replace(b"1000", b"9000"))

    build(datasets, out, progress=tamper)
    assert _badge_text(out / SLUG / "insignia.svg") == (
        "validación: sin verificar · v1.0.0",
        BADGE_COLOURS["unknown"],
    )


def test_badge_text_is_escaped_and_the_svg_parses(tmp_path: Path) -> None:
    svg = tmp_path / "b.svg"
    svg.write_text(svg_badge("<x> & y", "3 errors · v2.0.0", "bad"), encoding="utf-8")
    assert _badge_text(svg) == ("<x> & y: 3 errors · v2.0.0", BADGE_COLOURS["bad"])


def test_the_badge_message_puts_errors_first_then_verification() -> None:
    assert badge_message(0, True, "1.2.0", "es") == ("válido · v1.2.0", "ok")
    assert badge_message(0, False, "1.2.0", "en") == ("not verified · v1.2.0", "unknown")
    assert badge_message(1, True, "1.2.0", "es") == ("1 error · v1.2.0", "bad")
    assert badge_message(1234, False, "2.0.0", "es") == (
        "1\u202f234 errores · v2.0.0",
        "bad",
    )  # grouped like every number of the site
    assert badge_message(3, True, "2.0.0", "en") == ("3 errors · v2.0.0", "bad")


# ── sources by kind, freshness, DCAT and data.json ───────────────────────────────────────────────


def test_sources_are_sorted_by_kind_from_the_codelist_and_the_catalogs_networks(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    cite(datasets)  # a gob.mx page, the c40 network's site, a newspaper, example.org twice
    catalog, _ = load_catalog(datasets)
    data = [read_rows(ds) for ds in catalog.datasets]
    rules = source_rules(catalog, data)
    assert rules.kind("https://internacionales.cdmx.gob.mx/x") == "government"  # a suffix of the host
    assert rules.kind("https://notgob.mx/x") == "other"  # only whole labels match
    assert rules.kind("https://www.c40.org/y") == "network"  # c40 is a city network in partners.csv
    assert rules.kind("https://bogota.gov.co./z") == "government"  # a trailing dot is the same host
    assert source_rules(catalog).kind("https://www.c40.org/y") == "other"  # without the catalog's rows
    q = measure(data[0], rules).to_dict()
    assert q["sources_by_kind"] == {
        "government": {"urls": 1, "cells": 1, "share": 0.2},
        "network": {"urls": 1, "cells": 1, "share": 0.2},
        "press": {"urls": 1, "cells": 1, "share": 0.2},
        "other": {"urls": 2, "cells": 3, "share": 0.4},
    }
    # The catalog's own codelist wins over the standard's: the rule is data.
    own = datasets.parent / "schemas" / "codelists" / "source_kinds.csv"
    own.write_text(
        "code,label_es,label_en,description,domains\npress,Prensa,Press,x,example.org\n", encoding="utf-8"
    )
    catalog, _ = load_catalog(datasets)
    assert source_rules(catalog).kind("https://example.org/nota") == "press"
    assert source_rules(catalog).kind("https://www.cdmx.gob.mx/nota") == "other"


def test_freshness_says_when_the_next_update_is_due_without_the_clock() -> None:
    assert freshness("2024-02-29", "annual").due == "2025-02-28"
    assert freshness("2024-01-31", "monthly").due == "2024-02-29"
    assert freshness("2024-11-15", "quarterly").due == "2025-02-15"
    assert freshness("2024-01-01", "weekly").due == "2024-01-08"
    assert freshness("2024-01-01", "irregular").to_dict() == {
        "modified": "2024-01-01",
        "update_frequency": "irregular",
        "scheduled": False,
        "next_update_due": None,
    }
    assert freshness("2024-01-01", None).due is None


def test_the_page_states_freshness_for_annual_and_irregular(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    _with_competing_claims(datasets)
    build(datasets, tmp_path / "irregular")
    page = (tmp_path / "irregular" / SLUG / "index.html").read_text(encoding="utf-8")
    assert "<dd>1 hecho con más de una versión</dd>" in page
    assert (
        "Actualizado el 1 feb 2024; frecuencia declarada: irregular, cuando hay datos nuevos. No hay un "
        "calendario, así que no hay una fecha prevista para la próxima actualización." in page
    )
    descriptor = datasets / SLUG / "datapackage.yaml"
    data = yaml.safe_load(descriptor.read_text(encoding="utf-8"))
    data["update_frequency"] = "annual"
    descriptor.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    build(datasets, tmp_path / "annual")
    en = (tmp_path / "annual" / "en" / SLUG / "index.html").read_text(encoding="utf-8")
    assert "Updated on 1 Feb 2024; declared frequency: annual. The next update is due by 1 Feb 2025." in en
    assert "<dd>1 fact with more than one version</dd>" in en
    figures = json.loads((tmp_path / "annual" / SLUG / "calidad.json").read_text(encoding="utf-8"))
    assert figures["freshness"]["next_update_due"] == "2025-02-01"


def test_the_panel_goes_to_data_json_and_to_dcat_as_dqv_measurements(tmp_path: Path) -> None:
    from pyshacl import validate
    from rdflib import Graph, Literal, Namespace, URIRef

    datasets = tiny_catalog(tmp_path / "src")
    cite(datasets)
    write_links(datasets / ".cache" / "links.json")
    out = tmp_path / "out"
    build(datasets, out)
    item = json.loads((out / "data.json").read_text(encoding="utf-8"))["dataset"][0]
    assert item["dataQuality"] is True
    assert item["references"] == [f"{BASE}{SLUG}/calidad.json", f"{BASE}links.json"]
    schema = json.loads((STANDARDS / "data-json-dcat-us-1.1.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(json.loads((out / "data.json").read_text(encoding="utf-8")), schema)

    dqv = Namespace("http://www.w3.org/ns/dqv#")
    graph = Graph().parse(out / "catalog.ttl", format="turtle")
    dataset = URIRef(f"{BASE}{SLUG}/#dataset")
    values = {
        str(graph.value(m, dqv.isMeasurementOf)).rsplit("#metric-", 1)[1]: graph.value(
            m, dqv.value
        ).toPython()
        for m in graph.objects(dataset, dqv.hasQualityMeasurement)
    }
    assert values["rows"] == 6
    assert values["links-working"] == Decimal("0.5")  # ok and moved, of the four checked
    assert values["links-unchecked"] == 1
    assert values["sources-network"] == Decimal("0.2")
    assert values["open-competing-claims"] == 0
    metric = URIRef(f"{BASE}#metric-links-working")
    definitions = {
        d.language for d in graph.objects(metric, URIRef("http://www.w3.org/2004/02/skos/core#definition"))
    }
    assert definitions == {"es", "en"} and isinstance(graph.value(metric, dqv.expectedDataType), URIRef)
    assert isinstance(graph.value(URIRef(f"{BASE}{SLUG}/#quality-rows"), dqv.value), Literal)

    shapes = Graph()
    shapes.parse(STANDARDS / "dcat-ap-3.0.0-SHACL.ttl")
    shapes.parse(STANDARDS / "dcat-ap-3.0.0-range.ttl")
    conforms, _, text = validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text


def test_data_quality_is_false_when_the_published_files_are_not_the_validated_ones(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"

    build(datasets, out, progress=tamper(out, "funding.csv"))
    assert json.loads((out / "data.json").read_text(encoding="utf-8"))["dataset"][0]["dataQuality"] is False
