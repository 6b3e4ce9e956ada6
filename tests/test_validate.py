"""validate: the shipped catalog, the bad-input fixtures, and sameness with frictionless."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pytest
import yaml

from toolkit import validate
from toolkit.validate.structure import dialect

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CSV_FIXTURES = sorted((FIXTURES / "csv").glob("*.csv"))
MINI = FIXTURES / "mini.schema.yaml"
FRICTIONLESS_CODES = {
    "type-error",
    "constraint-error",
    "missing-cell",
    "extra-cell",
    "blank-row",
    "primary-key",
    "foreign-key",
    "unique-error",
    "duplicate-label",
    "blank-label",
    "extra-label",
    "missing-label",
    "incorrect-label",
    "encoding-error",
    "source-error",
}
UNREADABLE = {"binary.csv", "empty.csv"}  # frictionless cannot read them: no parity to check


def keyed(report) -> list[list]:
    return [[f.code, f.line, f.field, f.column] for f in report.findings]


def test_shipped_catalog_is_valid(root: Path) -> None:
    report = validate(root / "datasets")
    assert report.errors == [], [f.message_en for f in report.errors]
    assert report.datasets == ["bogota", "ciudad-de-mexico", "montevideo"]
    assert report.resources == 9
    assert report.rows > 200


def test_shipped_datasets_meet_minimum_sizes(root: Path) -> None:
    import csv

    def count(path: Path) -> int:
        with path.open(encoding="utf-8", newline="") as fh:
            return sum(1 for _ in csv.reader(fh)) - 1

    cdmx = root / "datasets" / "ciudad-de-mexico"
    assert count(cdmx / "agreements.csv") >= 20
    assert count(cdmx / "funding.csv") >= 6
    assert count(cdmx / "partners.csv") >= 30


@pytest.mark.parametrize("path", CSV_FIXTURES, ids=lambda p: p.name)
def test_csv_fixture_gives_its_findings(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    report = validate(path, schema=MINI)
    assert keyed(report) == expected


def _frictionless_keys(path: Path, table_encoding: str, delimiter: str) -> list[tuple]:
    schema = yaml.safe_load(MINI.read_text(encoding="utf-8"))
    resource = frictionless.Resource(
        path=path.name,
        basepath=str(path.parent),
        schema=frictionless.Schema.from_descriptor(schema),
        format="csv",
        encoding=table_encoding,
        dialect=dialect(delimiter),
    )
    report = frictionless.validate(resource)
    keys = []
    for task in report.tasks:
        for e in task.errors:
            row = getattr(e, "row_number", None) or 1  # label errors are on the header row
            field = getattr(e, "field_name", None) or None
            keys.append((e.type, row, field if e.type not in ("primary-key", "foreign-key") else None))
    return keys


@pytest.mark.parametrize("path", [p for p in CSV_FIXTURES if p.name not in UNREADABLE], ids=lambda p: p.name)
def test_findings_agree_with_frictionless(path: Path) -> None:
    """Every frictionless error appears among our findings with the same code, row and field."""
    from toolkit.validate.rawcsv import read_table

    table, _ = read_table(path, path.name, {}, [])
    assert table is not None
    theirs = _frictionless_keys(path, table.encoding, table.delimiter)
    ours = [
        (f.code, f.row, f.field if f.code not in ("primary-key", "foreign-key") else None)
        for f in validate(path, schema=MINI).findings
        if f.code in FRICTIONLESS_CODES
    ]
    assert ours == theirs


def test_latin1_names_the_encoding_and_how_to_convert() -> None:
    [finding] = validate(FIXTURES / "csv" / "latin1.csv", schema=MINI).findings
    assert finding.code == "encoding-not-utf8"
    assert "Windows-1252" in finding.message_es and finding.line == 2
    assert "iconv -f WINDOWS-1252 -t UTF-8" in finding.hint_es


def test_ten_megabyte_single_line(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("x" * 10_000_000, encoding="utf-8")
    report = validate(path, schema=MINI)
    codes = [f.code for f in report.findings]
    assert "line-too-long" in codes
    assert not report.valid


def test_quoted_newline_reports_the_physical_line() -> None:
    [finding] = validate(FIXTURES / "csv" / "multiline.csv", schema=MINI).findings
    assert (finding.row, finding.line) == (3, 4)


DATASET_CASES = {
    "bad-yaml": [("syntax-error", "bad-yaml/datapackage.yaml", 21)],
    "bad-json-schema": [("syntax-error", "bad-json-schema/schema.json", 4)],
    "unknown-type": [("schema-error", "unknown-type/schema.yaml", 13)],
    "missing-file": [("file-missing", "missing-file/datapackage.yaml", 19)],
    "escaping-path": [
        ("unsafe-path", "escaping-path/datapackage.yaml", line) for line in (20, 22, 25, 28, 31, 34)
    ],
}


@pytest.mark.parametrize("case", sorted(DATASET_CASES))
def test_dataset_fixture_gives_its_findings(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES / "datasets")  # display paths are relative to the working directory
    report = validate(FIXTURES / "datasets" / case)
    assert [(f.code, f.path, f.line) for f in report.findings] == DATASET_CASES[case]
    assert not report.valid


def test_symlink_out_of_the_dataset_is_refused(catalog_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n1,2\n", encoding="utf-8")
    data = catalog_copy / "bogota" / "partners.csv"
    data.unlink()
    data.symlink_to(outside)
    report = validate(catalog_copy)
    [finding] = [f for f in report.findings if f.code == "unsafe-path"]
    assert finding.resource == "partners" and finding.dataset == "bogota"


def test_foreign_key_and_list_reference(catalog_copy: Path) -> None:
    path = catalog_copy / "ciudad-de-mexico" / "agreements.csv"
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    lines[1] = lines[1].replace(",100rc,", ",no-such-partner,", 1)
    lines[4] = lines[4].replace("belo-horizonte-br;", "nowhere-xx;", 1)
    path.write_text("".join(lines), encoding="utf-8")
    report = validate(catalog_copy)
    got = {(f.code, f.line, f.field, f.value) for f in report.errors}
    assert ("foreign-key", 2, "counterpart_id", "no-such-partner") in got
    assert ("list-reference", 5, "other_counterpart_ids", "nowhere-xx") in got


def test_enum_from_codelist(catalog_copy: Path) -> None:
    path = catalog_copy / "montevideo" / "partners.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[1] = lines[1].replace(",city_network,", ",red,", 1).replace(",local_government,", ",red,", 1)
    path.write_text("".join(lines), encoding="utf-8")
    [finding] = validate(catalog_copy).errors
    assert finding.code == "constraint-error" and finding.field == "partner_type"
    assert "local_government" in finding.hint_es


def test_cdmx_profile(catalog_copy: Path) -> None:
    path = catalog_copy / "ciudad-de-mexico" / "funding.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    header[2] = "Título"
    lines[0] = ",".join(header)
    path.write_text("".join(lines), encoding="utf-8")
    report = validate(catalog_copy)
    codes = {f.code for f in report.findings}
    assert "cdmx-column-name" in codes
    # the same change in a city without the profile gives only the schema's own findings
    assert not any(f.code.startswith("cdmx-") for f in report.findings if f.dataset != "ciudad-de-mexico")
    off = validate(catalog_copy, profiles=[])
    assert not any(f.code.startswith("cdmx-") for f in off.findings)


def test_date_checks(catalog_copy: Path) -> None:
    path = catalog_copy / "bogota" / "funding.csv"
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header = rows[0]
    rows[1][header.index("period_start")] = "2020-01-01"
    rows[1][header.index("period_end")] = "2019-01-01"
    rows[2][header.index("value_date")] = "2999-01-01"
    rows[2][header.index("date_precision")] = "day"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    got = {(f.code, f.row, f.field) for f in validate(catalog_copy).findings}
    assert ("date-order", 2, "period_end") in got
    assert ("date-out-of-range", 3, "value_date") in got


def test_sources_are_never_modified(root: Path) -> None:
    import hashlib

    def digest() -> str:
        h = hashlib.sha256()
        for p in sorted((root / "datasets").rglob("*")) + sorted((root / "schemas").rglob("*")):
            if p.is_file():
                h.update(p.as_posix().encode() + p.read_bytes())
        return h.hexdigest()

    before = digest()
    validate(root / "datasets")
    assert digest() == before
