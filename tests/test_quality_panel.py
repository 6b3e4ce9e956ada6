"""The quality panel: what the validation report records, and "Valid" only for the bytes validated."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import toolkit
from tests.test_site import tiny_catalog
from toolkit.site.build import build
from toolkit.site.evidence import Evidence, FileEvidence, matches

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
    assert record["standard"] == "ciudades-al-mundo 1.0.0"
    assert record["toolkit"] == toolkit.__version__
    assert record["engine"].startswith("frictionless ")
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
        assert "ciudades-al-mundo 1.0.0" in report
    assert badge(out / SLUG / "index.html") == "ok: Validación: Válido"
    assert badge(out / "en" / SLUG / "index.html") == "ok: Validation: Valid"


def test_source_date_epoch_sets_the_date_of_the_record(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    datasets = tiny_catalog(tmp_path / "src")
    build(datasets, tmp_path / "out")
    record = json.loads((tmp_path / "out" / SLUG / "validacion.json").read_text(encoding="utf-8"))
    assert record["date"] == "2023-11-14"


def test_a_published_file_changed_after_validation_is_not_shown_as_valid(tmp_path: Path) -> None:
    datasets = tiny_catalog(tmp_path / "src")
    out = tmp_path / "out"

    def tamper(step: str) -> None:
        # "site" comes after validation and packaging, before the pages: change a published CSV then.
        if step == "site":
            (published,) = out.parent.glob(f".{out.name}.*.tmp/descargas/{SLUG}/agreements.csv")
            published.write_bytes(published.read_bytes() + b"\n")

    build(datasets, out, progress=tamper)
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
