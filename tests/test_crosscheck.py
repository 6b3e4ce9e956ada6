"""The same agreement seen from two datasets of the catalog (``cross-dataset-mismatch``)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from toolkit.catalog.model import load_catalog
from toolkit.cli import cli
from toolkit.validation.crosscheck import check_catalog
from toolkit.validation.validator import validate

CODE = "cross-dataset-mismatch"
CDMX_MEMO = ("ciudad-de-mexico", "cdmx-bogota-memorando-2014")
BOGOTA_MEMO = ("bogota", "bogota-ciudad-de-mexico-memorando-2014")


def _table(datasets: Path, slug: str) -> tuple[Path, list[list[str]]]:
    path = datasets / slug / "agreements.csv"
    return path, list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _set(datasets: Path, where: tuple[str, str], **values: str) -> int:
    """Set cells of the row ``where`` (dataset, agreement_id); returns its physical line."""
    path, rows = _table(datasets, where[0])
    index = next(i for i, r in enumerate(rows) if r[0] == where[1])
    for field, value in values.items():
        rows[index][rows[0].index(field)] = value
    _write(path, rows)
    return index + 1


def _line(datasets: Path, where: tuple[str, str]) -> int:
    _path, rows = _table(datasets, where[0])
    return next(i for i, r in enumerate(rows) if r[0] == where[1]) + 1


def _mismatches(target: Path, **options: object) -> list:
    return [f for f in validate(target, **options).findings if f.code == CODE]  # type: ignore[arg-type]


def test_shipped_catalog_has_linked_rows_that_agree() -> None:
    catalog, _ = load_catalog(ROOT / "datasets")
    assert check_catalog(catalog) == []
    report = validate(ROOT / "datasets")
    assert report.valid and not [f for f in report.findings if f.code == CODE]


@pytest.mark.parametrize("engine", ["frictionless", "fast"])
def test_planted_type_mismatch_names_both_sides(catalog_copy: Path, engine: str) -> None:
    line = _set(catalog_copy, CDMX_MEMO, agreement_type="cooperation_agreement")
    found = _mismatches(catalog_copy, engine=engine)
    assert len(found) == 1, found  # one disagreement, one finding (on the first dataset's row)
    f = found[0]
    assert (f.dataset, f.field, f.line, f.severity) == (
        "bogota",
        "agreement_type",
        _line(catalog_copy, BOGOTA_MEMO),
        "error",
    )
    other = (catalog_copy / "ciudad-de-mexico" / "agreements.csv").as_posix()
    assert f.message_en == (
        f"'{BOGOTA_MEMO[1]}' and '{CDMX_MEMO[1]}' ({other}, line {line}) record the same agreement and "
        "do not agree: agreement_type 'memorandum_of_understanding' vs 'cooperation_agreement'."
    )
    assert f"{f.path}, línea {f.line}" in f.hint_es and f"{other}, línea {line}" in f.hint_es
    assert not validate(catalog_copy, engine=engine).valid


def test_one_side_selected_reports_on_that_side_reading_the_other(catalog_copy: Path) -> None:
    _set(catalog_copy, CDMX_MEMO, status="ended", end_date="2020-01-01")
    _set(catalog_copy, BOGOTA_MEMO, status="in_force")
    only_cdmx = _mismatches(catalog_copy, datasets=["ciudad-de-mexico"])
    assert [(f.dataset, f.value, f.field) for f in only_cdmx] == [
        ("ciudad-de-mexico", CDMX_MEMO[1], "status")
    ]
    only_bogota = _mismatches(catalog_copy, datasets=["bogota"])
    assert [(f.dataset, f.value) for f in only_bogota] == [("bogota", BOGOTA_MEMO[1])]
    assert _mismatches(catalog_copy / "bogota") == only_bogota  # a dataset folder inside the catalog
    assert _mismatches(catalog_copy, datasets=["montevideo"]) == []


def test_membership_dates_compared_at_their_precision(catalog_copy: Path) -> None:
    network = ("redes-de-ciudades", "iclei-montevideo-uy")  # Montevideo's own row: 2007, year
    _set(catalog_copy, network, date_signed="2007-06-15", date_precision="day")
    assert _mismatches(catalog_copy) == []  # a year agrees with any day of that year
    _set(catalog_copy, network, date_signed="2008-06-15")
    found = _mismatches(catalog_copy)
    assert [(f.dataset, f.value, f.field) for f in found] == [
        ("montevideo", "mvd-iclei-membresia-2007", "date_signed")
    ]
    assert "the same membership" in found[0].message_en
    assert "date_signed '2007 (year)' vs '2008-06-15 (day)'" in found[0].message_en
    assert "date_signed «2007 (año)» frente a «2008-06-15 (día)»" in found[0].message_es


def test_network_roles_linked_by_type_and_year(catalog_copy: Path) -> None:
    # Quito co-chaired UCLG twice; each term is in Quito's dataset and in the networks dataset.
    _set(catalog_copy, ("redes-de-ciudades", "uclg-quito-ec-copresidencia-2013"), end_date="2015-12-31")
    found = _mismatches(catalog_copy)
    assert [(f.dataset, f.value, f.field) for f in found] == [
        ("quito", "quito-uclg-copresidencia-2013", "end_date")
    ]
    assert "end_date '2016-12-31' vs '2015-12-31'" in found[0].message_en


def test_unknown_status_agrees_with_any(catalog_copy: Path) -> None:
    _set(catalog_copy, CDMX_MEMO, status="in_force")
    _set(catalog_copy, BOGOTA_MEMO, status="unknown")
    assert _mismatches(catalog_copy) == []


def test_declared_competing_claim_is_no_finding(catalog_copy: Path) -> None:
    # Mexico City's side calls it a cooperation agreement; Bogotá's version (a memorandum) is
    # recorded beside it as a separate claim in the same claim group.
    _set(catalog_copy, CDMX_MEMO, agreement_type="cooperation_agreement", claim_group="cdmx-bogota-2014-tipo")
    path, rows = _table(catalog_copy, "ciudad-de-mexico")
    original = next(r for r in rows if r[0] == CDMX_MEMO[1])
    claim = list(original)
    claim[0] = "cdmx-bogota-memorando-2014-segun-bogota"
    claim[rows[0].index("agreement_type")] = "memorandum_of_understanding"
    _write(path, [*rows, claim])
    report = validate(catalog_copy)
    assert [f for f in report.findings if f.code == CODE] == []
    assert report.valid, [f.message_en for f in report.errors]


def test_claim_group_without_the_other_sides_version_is_still_a_finding(catalog_copy: Path) -> None:
    # A claim group whose claims all differ from the other side does not declare that difference.
    _set(catalog_copy, ("ciudad-de-mexico", "cdmx-100rc-membresia-2013"), date_signed="2012-12-01")
    found = _mismatches(catalog_copy)
    assert [(f.value, f.field) for f in found] == [("cdmx-100rc-membresia-2013", "date_signed")]


def test_changed_since_one_side_reads_the_other(catalog_copy: Path) -> None:
    git = [
        "git",
        "-c",
        "user.name=Prueba",
        "-c",
        "user.email=prueba@example.org",
        "-c",
        "commit.gpgsign=false",
    ]
    repo = catalog_copy.parent
    subprocess.run([*git, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "base"], cwd=repo, check=True)
    _set(catalog_copy, CDMX_MEMO, agreement_type="friendship")
    subprocess.run([*git, "commit", "-qam", "cdmx"], cwd=repo, check=True)
    result = CliRunner().invoke(
        cli, ["validate", str(catalog_copy), "--changed-since", "HEAD~1", "--format", "json", "--lang", "en"]
    )
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    found = [(f["dataset"], f["value"]) for f in report["findings"] if f["code"] == CODE]
    assert found == [("ciudad-de-mexico", CDMX_MEMO[1])]  # bogota was read, not checked
    assert "bogota" in report["skipped"]


def test_a_date_that_is_not_a_date_has_only_its_own_finding(catalog_copy: Path) -> None:
    _set(catalog_copy, ("montevideo", "mvd-iclei-membresia-2007"), date_signed="2008-13-45")
    report = validate(catalog_copy)
    assert [f.code for f in report.errors] == ["type-error"]


def test_code_listed() -> None:
    result = CliRunner().invoke(cli, ["codes"])
    assert result.exit_code == 0 and f"`{CODE}`" in result.output
