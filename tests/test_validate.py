"""validate: the shipped catalog, the bad-input fixtures, and sameness with frictionless."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

import frictionless
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SHIPPED, SHIPPED_TABLES
from toolkit import validate
from toolkit.validation.structure import dialect

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
    assert report.datasets == SHIPPED
    assert report.resources == SHIPPED_TABLES
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
    """The fixtures hold the catalog's rules (comma delimiter): checked under its profile."""
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text(encoding="utf-8"))
    report = validate(path, schema=MINI, profiles=["catalog"])
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
    from toolkit.validation.rawcsv import read_table

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


def test_subdivision_codes_match_pycountry() -> None:
    """The ISO 3166-2 codes read from pycountry's data file are exactly pycountry's own."""
    import pycountry

    from toolkit.catalog import iso

    assert iso.subdivisions() == frozenset(s.code for s in pycountry.subdivisions)
    assert "MX-CMX" in iso.subdivisions()


def test_country_and_currency_codes_match_pycountry() -> None:
    """The ISO 3166-1 and 4217 codes read from pycountry's data files are exactly pycountry's own."""
    import pycountry

    from toolkit.catalog import iso

    assert iso.countries(2) == frozenset(c.alpha_2 for c in pycountry.countries)
    assert iso.countries(3) == frozenset(c.alpha_3 for c in pycountry.countries)
    assert iso.currencies() == frozenset(c.alpha_3 for c in pycountry.currencies)
    for country in list(pycountry.countries)[::7]:
        assert iso.alpha3_of(country.alpha_2) == country.alpha_3
    assert iso.alpha3_of("ZZ") is None


def test_country_and_currency_records_match_pycountry() -> None:
    """The countries and currencies read from pycountry's data files, whose names the fixes
    suggest, are pycountry's own objects field by field, in its order, with its translations."""
    import gettext
    import os

    import pycountry

    from toolkit.catalog import iso
    from toolkit.validation import domain

    for standard, every in (("3166-1", pycountry.countries), ("4217", pycountry.currencies)):
        read, locales = iso.records(standard)
        assert [vars(r) for r in read] == [dict(c) for c in every]
        assert os.path.samefile(locales, pycountry.LOCALES_DIR)
    spanish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["es"]).gettext
    for c in pycountry.countries:
        name = getattr(c, "common_name", None) or c.name
        assert domain.country_name(c.alpha_2, "en") == domain.country_name(c.alpha_2.lower(), "en") == name
        assert domain.country_name(c.alpha_2, "es") == spanish(name)
    assert domain.country_name("ZZ", "es") == "ZZ"


@pytest.mark.parametrize(
    "text",
    [
        b'{"3166-2": [{"code":"AA-1", "name": "x"}, {"code": "AA-2"}]}',  # another spacing
        b'{"3166-2": [{"code": "AA-1", "name": "\\"code\\": \\"ZZ-9\\""}, {"code": "AA\\u002d2"}]}',
    ],
)
def test_subdivision_codes_in_another_layout_are_parsed(monkeypatch: pytest.MonkeyPatch, text: bytes) -> None:
    """The codes are found in the data file's text only when each entry has one plain
    ``"code": "…"``; in any other layout the file is parsed, and the codes are still all found."""
    from toolkit.catalog import iso

    monkeypatch.setattr(iso, "_data_file", lambda standard: text)
    iso.subdivisions.cache_clear()
    iso._entries.cache_clear()
    try:
        assert iso.subdivisions() == frozenset({"AA-1", "AA-2"})
    finally:  # the next caller reads the real file again
        iso.subdivisions.cache_clear()
        iso._entries.cache_clear()


_BOTH_WAYS = """
import dataclasses, json, sys
from toolkit.validation import parallel
from toolkit.validation.validator import validate
out = []
for enabled in (False, True):
    parallel.ENABLED = enabled
    log = []
    report = validate(sys.argv[1], log=log.append, engine="frictionless")
    out.append({"findings": [dataclasses.asdict(f) for f in report.findings], "datasets": report.datasets,
                "resources": report.resources, "rows": report.rows, "log": log})
print(json.dumps(out))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
def test_worker_processes_give_the_same_report(catalog_copy: Path) -> None:
    """Datasets checked side by side in worker processes give the report one after another gives
    (on the frictionless path: the fast engine, the default, checks tables in this process)."""
    import subprocess

    from csvedit import edit_cell

    edit_cell(catalog_copy / "bogota" / "funding.csv", 1, "period_end", "2019-02-30")
    edit_cell(catalog_copy / "montevideo" / "partners.csv", 2, "partner_type", "red")
    edit_cell(catalog_copy / "ciudad-de-mexico" / "agreements.csv", 3, "counterpart_id", "nadie")
    run = subprocess.run(
        [sys.executable, "-c", _BOTH_WAYS, str(catalog_copy)], capture_output=True, text=True, check=True
    )
    one_by_one, side_by_side = json.loads(run.stdout)
    assert not any("worker" in line for line in one_by_one["log"])
    if (os.cpu_count() or 1) > 1:
        assert any("worker processes" in line for line in side_by_side["log"]), side_by_side["log"]
    assert {f["dataset"] for f in side_by_side["findings"]} == {"bogota", "montevideo", "ciudad-de-mexico"}
    for key in ("findings", "datasets", "resources", "rows"):
        assert side_by_side[key] == one_by_one[key], key


def test_a_failing_worker_leaves_its_dataset_to_the_main_process(
    catalog_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from csvedit import edit_cell

    from toolkit.validation import parallel

    edit_cell(catalog_copy / "montevideo" / "partners.csv", 2, "partner_type", "red")
    monkeypatch.setattr(parallel, "ENABLED", False)
    expected = validate(catalog_copy, engine="frictionless")
    monkeypatch.setattr(parallel, "ENABLED", True)
    monkeypatch.setattr(parallel, "workers", lambda n: 2)
    real = parallel._work
    monkeypatch.setattr(parallel, "_work", lambda i: None if i == 0 else real(i))
    log: list[str] = []
    got = validate(catalog_copy, log=log.append, engine="frictionless")
    assert any("checked here instead" in line for line in log), log
    assert [dataclasses.asdict(f) for f in got.findings] == [dataclasses.asdict(f) for f in expected.findings]
    assert (got.resources, got.rows) == (expected.resources, expected.rows)


_SLOW_WORKERS = """
import sys, time
from toolkit.validation import parallel
from toolkit.validation.validator import validate
parallel._work = lambda i: time.sleep(120)
validate(sys.argv[1], engine="frictionless")
"""


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="worker processes are forked on Linux only")
def test_workers_die_with_a_killed_validation(catalog_copy: Path) -> None:
    """SIGKILL on the command leaves no worker behind (nor its output pipes open)."""
    import signal
    import subprocess
    import time

    if (os.cpu_count() or 1) < 2:
        pytest.skip("one CPU: no worker processes")
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WORKERS, str(catalog_copy)], stdout=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not _children(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers, "no worker process started"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)  # returns only once no worker holds the pipe
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if _alive(w)]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it is not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_control_characters_counted_like_byte_by_byte() -> None:
    """``_looks_binary`` counts control bytes with one ``bytes.translate``: the same count as a
    byte-by-byte test, on every byte value and at the 10% boundary."""
    import random

    from toolkit.validation import rawcsv

    rng = random.Random(3)
    for _ in range(300):
        head = bytes(rng.choice(range(1, 256)) for _ in range(rng.randint(1, 300)))
        controls = sum(1 for b in head if b < 9 or 13 < b < 32)
        expected = "many control characters" if controls / len(head) > 0.1 else None
        if head.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            continue
        assert rawcsv._looks_binary(head) == expected, head
    assert rawcsv._looks_binary(b"a" * 90 + b"\x01" * 10) is None
    assert rawcsv._looks_binary(b"a" * 89 + b"\x01" * 11) == "many control characters"
    assert rawcsv._looks_binary(b"a\tb\nc\rd\x0b\x0c" * 20) is None  # tab to carriage return are text


def _sniffed(sample: str, delimiter: str) -> tuple[str, str, bool] | None:
    import csv

    try:
        found = csv.Sniffer().sniff(sample, delimiter)
    except csv.Error:
        return None
    return found.delimiter, found.quotechar, bool(found.skipinitialspace)


_SNIFF_DELIMITERS = [",", ";", "\t", "|", " ", "é"]


def _first_lines(path: Path) -> str:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        return "".join(line for _, line in zip(range(100), fh, strict=False))


def test_the_dialect_sniffed_is_csv_sniffers_on_every_real_table() -> None:
    """The fast engine's reading of frictionless's dialect sniffing (``rawcsv.sniff``, without
    csv.Sniffer's unused work) gives csv.Sniffer's delimiter, quote and skipinitialspace."""
    from toolkit.validation import rawcsv

    tables = sorted(FIXTURES.rglob("*.csv")) + sorted((ROOT / "datasets").rglob("*.csv"))
    assert len(tables) > 100
    for path in tables:
        sample = _first_lines(path)
        for delimiter in _SNIFF_DELIMITERS:
            expected = _sniffed(sample, delimiter)
            assert rawcsv.sniff(sample, delimiter) == expected, (path, delimiter)
            assert rawcsv.skips_initial_space(sample, delimiter) == bool(expected and expected[2])


_CELL = st.one_of(
    st.text(alphabet="ab1 ,;|\t\"'é", max_size=6),
    st.builds(
        lambda q, s, t: f"{s}{q}{t}{q}",
        st.sampled_from("\"'"),
        st.sampled_from(["", " "]),
        st.text("ab, ;'\"\n", max_size=5),
    ),
)


@settings(max_examples=1500, deadline=None)
@given(
    rows=st.lists(st.lists(_CELL, min_size=1, max_size=5), max_size=30),
    joiner=st.sampled_from([",", ", ", ";", "\t", "|", " "]),
    ends=st.sampled_from(["\n", "\r\n", "\n\n"]),
    lines=st.integers(0, 45),
    odd=st.tuples(st.sets(st.integers(0, 44), max_size=6), st.sampled_from([0, 1, 3])),
    noise=st.text(alphabet="ab,;|\t \"'\n\r", max_size=40),
    delimiter=st.sampled_from(_SNIFF_DELIMITERS),
)
def test_the_dialect_sniffed_is_csv_sniffers_on_generated_text(
    rows: list[list[str]],
    joiner: str,
    ends: str,
    lines: int,
    odd: tuple[set[int], int],
    noise: str,
    delimiter: str,
) -> None:
    """Quoted cells (the quote and delimiter found around them), lines with the delimiter a
    varying number of times (its share of consistent lines, chunk by chunk), and noise."""
    from toolkit.validation import rawcsv

    counts = [odd[1] if i in odd[0] else 2 for i in range(lines)]
    varying = "\n".join(
        ("a" + delimiter * k) if i % 3 else (delimiter * k + " a") for i, k in enumerate(counts)
    )
    for sample in (ends.join(joiner.join(row) for row in rows), varying, noise):
        expected = _sniffed(sample, delimiter)
        assert rawcsv.sniff(sample, delimiter) == expected
        assert rawcsv.skips_initial_space(sample, delimiter) == bool(expected and expected[2])
