"""The error cap (``--limit-errors``): it ends the work on a table, in both engines.

frictionless stops reading a table once it has ``limit_errors`` errors. Our domain checks, privacy
scan and profiles stop at the same row, the first N structure findings are frictionless's first N,
an ``errors-capped`` finding says where the check stopped, and ``0`` means no cap.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import frictionless
import pytest
from click.testing import CliRunner

from toolkit import validate
from toolkit.catalog.model import single_table_catalog
from toolkit.cli import cli
from toolkit.validation.fast import blocks
from toolkit.validation.fast.run import DatasetRun

ROOT = Path(__file__).resolve().parent.parent
ROWS = 20_000
CAP = 50
# Rows (frictionless row numbers) with a personal e-mail and a date in the future (pastOnly).
BEFORE, AFTER = 10, 15_000
# Rows with a type error: CAP of them before AFTER (the cap stops at the last one), more after it.
SPOILED = [*range(100, 100 + CAP), *range(AFTER + 1, AFTER + 11)]
STOP = 100 + CAP - 1

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "fecha", "type": "date", "pastOnly": True},
        {"name": "nota", "type": "string"},
    ]
}


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 20k-row table with a privacy and a domain problem before the cap point and after it."""
    folder = tmp_path_factory.mktemp("cap")
    future = f"{dt.date.today().year + 1}-01-01"
    lines = ["id,fecha,nota"]
    for row in range(2, ROWS + 2):
        ident = "x" if row in SPOILED else str(row)
        if row in (BEFORE, AFTER):
            lines.append(f"{ident},{future},escribe a maria.lopez@example.org")
        else:
            lines.append(f"{ident},2020-01-01,sin novedad")
    (folder / "t.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "s.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    return folder / "t.csv", folder / "s.json"


def _where(report, code: str) -> list[int | None]:
    return [f.row for f in report.findings if f.code == code]


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_the_cap_stops_the_domain_checks_and_the_privacy_scan(
    table: tuple[Path, Path], engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 16 * 1024)
    csv, schema = table
    report = validate(csv, schema=schema, engine=engine, limit_errors=CAP)
    assert _where(report, "type-error") == SPOILED[:CAP]
    # before the cap point: reported; after it: never checked
    assert _where(report, "personal-data") == [BEFORE]
    assert _where(report, "date-in-future") == [BEFORE]
    assert _where(report, "errors-capped") == [STOP]
    capped = next(f for f in report.findings if f.code == "errors-capped")
    assert report.findings.index(capped) == 0  # it heads the table's findings
    assert capped.line == STOP and capped.severity == "error"
    assert capped.message_es == (
        f"Se detuvo la revisión de «{csv}» en la línea {STOP} al llegar a {CAP} errores; el resto "
        "del archivo no se revisó (ni su estructura, ni las reglas del dominio, ni los datos personales)."
    )
    assert capped.hint_en == "Fix these errors and validate again, or use --limit-errors 0 to see them all."
    assert report.rows == STOP - 1  # rows checked
    assert not report.valid


@pytest.mark.parametrize("engine", ["fast", "frictionless"])
def test_no_cap_with_zero_reads_everything(
    table: tuple[Path, Path], engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``limit_errors=0`` is no cap, as in frictionless (the fast engine once read it as a cap of
    zero errors and reported none)."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 16 * 1024)
    csv, schema = table
    report = validate(csv, schema=schema, engine=engine, limit_errors=0)
    assert _where(report, "type-error") == SPOILED
    assert _where(report, "personal-data") == [BEFORE, AFTER]
    assert _where(report, "date-in-future") == [BEFORE, AFTER]
    assert _where(report, "errors-capped") == []
    assert report.rows == ROWS


def test_the_first_findings_are_frictionless_own(table: tuple[Path, Path]) -> None:
    csv, schema = table
    ours = validate(csv, schema=schema, engine="fast", limit_errors=CAP)
    theirs = frictionless.Resource(
        path=csv.name, basepath=str(csv.parent), schema=frictionless.Schema.from_descriptor(SCHEMA)
    ).validate(limit_errors=CAP)
    assert theirs.tasks[0].warnings == [f"reached error limit: {CAP}"]
    expected = [(e.type, e.row_number, e.field_name) for e in theirs.tasks[0].errors]
    got = [(f.code, f.row, f.field) for f in ours.findings if f.code == "type-error"]
    assert got == expected and len(got) == CAP


def test_the_fast_engine_stops_reading_at_the_cap(
    table: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The block loop ends at the block where the cap is reached: the rest of the file is never
    read (the progress hook sees how far it went)."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 16 * 1024)
    csv, schema = table
    catalog, _ = single_table_catalog(csv, schema)
    ds = catalog.datasets[0]
    seen: list[tuple[int, int]] = []

    def progress(_shown: str, done: int, rows: int) -> None:
        seen.append((done, rows))

    for limit, read_all in ((CAP, False), (0, True)):
        seen.clear()
        run = DatasetRun(ds, catalog, limit_errors=limit, profiles=[], progress=progress)
        pre, dom, _prof, rows = run.check_table(ds.resources[0])
        done, rows_read = seen[-1]
        assert sorted({f.row for f in dom if (f.row or 0) > 1}) == ([BEFORE, AFTER] if read_all else [BEFORE])
        if read_all:
            assert (done, rows_read) == (csv.stat().st_size - len("id,fecha,nota\n"), ROWS)
        else:
            assert rows_read < 2_000 and done < csv.stat().st_size / 10, seen
            assert rows == STOP - 1
            assert [f.row for f in pre if f.code == "errors-capped"] == [STOP]


def test_spoiled_funding_table_both_engines_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A generated funding table with 1% of rows spoiled: the same findings from both engines
    under the cap, the errors-capped one included, far before the end of the file."""
    spec = importlib.util.spec_from_file_location("synth", ROOT / "benchmarks" / "synth.py")
    assert spec and spec.loader
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 64 * 1024)
    csv = tmp_path / "funding.csv"
    synth.write_funding(csv, ROWS, bad=0.01, seed=3)
    schema = ROOT / "schemas" / "funding.schema.yaml"
    slow = validate(csv, schema=schema, engine="frictionless", limit_errors=CAP)
    fast = validate(csv, schema=schema, engine="fast", limit_errors=CAP)
    assert [f.to_dict("en") for f in fast.findings] == [f.to_dict("en") for f in slow.findings]
    assert (fast.rows, fast.resources) == (slow.rows, slow.resources)
    stops = [f.row for f in fast.findings if f.code == "errors-capped"]
    assert len(stops) == 1 and stops[0] < ROWS / 2
    assert all((f.row or 0) <= stops[0] for f in fast.findings)


FORMATS = {
    "text": "[errors-capped]",
    "json": '"code": "errors-capped"',
    "github": "[errors-capped]",
    "markdown": "(`errors-capped`)",
    "junit": 'type="errors-capped"',
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_says_the_check_stopped(table: tuple[Path, Path], fmt: str) -> None:
    csv, schema = table
    args = ["validate", str(csv), "--schema", str(schema), "--lang", "en", "--format", fmt]
    result = CliRunner().invoke(cli, [*args, "--limit-errors", str(CAP)])
    assert result.exit_code == 1, result.output
    assert FORMATS[fmt] in result.output
    assert f"stopped at line {STOP} on reaching {CAP} errors" in result.output


def test_limit_errors_zero_on_the_command_line(table: tuple[Path, Path]) -> None:
    csv, schema = table
    args = ["validate", str(csv), "--schema", str(schema), "--format", "json", "--limit-errors", "0"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    codes = [f["code"] for f in json.loads(result.output)["findings"]]
    assert codes.count("type-error") == len(SPOILED) and "errors-capped" not in codes


def test_header_errors_alone_reach_the_cap(tmp_path: Path) -> None:
    """frictionless counts after each row it reads: three wrong labels and a cap of two stop it
    after the first data row, with two errors (the fast engine once reported all three)."""
    (tmp_path / "t.csv").write_text("a,b,c\n1,2,3\n4,5,6\n", encoding="utf-8")
    fields = [{"name": n, "type": "integer"} for n in "xyz"]
    (tmp_path / "s.json").write_text(json.dumps({"fields": fields}), encoding="utf-8")
    slow, fast = (
        validate(tmp_path / "t.csv", schema=tmp_path / "s.json", engine=engine, limit_errors=2)
        for engine in ("frictionless", "fast")
    )
    assert fast.findings == slow.findings and fast.rows == slow.rows == 1
    assert [(f.code, f.row) for f in fast.findings] == [
        ("errors-capped", 2),
        ("incorrect-label", 1),
        ("incorrect-label", 1),
    ]
