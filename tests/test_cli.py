"""The command line: exit codes, messages in both languages, JSON shape, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import SHIPPED, SHIPPED_TABLES
from toolkit.cli import cli

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = str(FIXTURES / "mini.schema.yaml")


def test_validate_shipped_catalog_exits_zero(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(cli, ["validate", str(root / "datasets"), "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("✓ Válido: sin problemas\n")
    assert f"Revisado: {len(SHIPPED)} conjuntos de datos, {SHIPPED_TABLES} tablas," in result.output


def test_invalid_csv_exits_one_with_location_and_fix(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["validate", str(FIXTURES / "csv" / "cells.csv"), "--schema", MINI, "--lang", "es"]
    )
    assert result.exit_code == 1
    expected = "línea 2, columna E (start_date): «2015-02-30» no es una fecha válida en «start_date»"
    assert expected in result.output
    assert "→ Cómo corregirlo: Escribe la fecha como AAAA-MM-DD" in result.output
    english = runner.invoke(
        cli, ["validate", str(FIXTURES / "csv" / "cells.csv"), "--schema", MINI, "--lang", "en"]
    )
    assert "line 2, column E (start_date): '2015-02-30' is not a valid date in 'start_date'" in english.output
    assert english.output.rstrip().endswith("✗ Invalid: 14 errors")


def test_json_format_is_the_documented_shape(runner: CliRunner) -> None:
    result = runner.invoke(
        cli,
        [
            "validate",
            str(FIXTURES / "csv" / "ragged.csv"),
            "--schema",
            MINI,
            "--format",
            "json",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert set(data) == {"version", "valid", "lang", "stats", "datasets", "skipped", "findings"}
    assert data["valid"] is False and data["stats"]["errors"] == 7
    assert set(data["findings"][0]) == {
        "code",
        "severity",
        "dataset",
        "resource",
        "path",
        "row",
        "line",
        "field",
        "column",
        "value",
        "message",
        "hint",
    }


def test_language_defaults_from_lang(runner: CliRunner) -> None:
    args = ["validate", str(FIXTURES / "csv" / "bom.csv"), "--schema", MINI]
    spanish = runner.invoke(
        cli, args, env={"LANG": "es_MX.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "CIUDADES_LANG": ""}
    )
    english = runner.invoke(
        cli, args, env={"LANG": "en_US.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "CIUDADES_LANG": ""}
    )
    assert "Válido: 1 advertencia" in spanish.output
    assert "Valid: 1 warning" in english.output


def test_missing_path_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["validate", str(tmp_path / "nope"), "--lang", "en"])
    assert result.exit_code == 2
    assert result.output == f"Error: '{tmp_path / 'nope'}' does not exist.\n"


def test_csv_without_schema_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(FIXTURES / "csv" / "valid.csv"), "--lang", "es"])
    assert result.exit_code == 2
    assert "indica su esquema" in result.output


def test_unknown_profile_is_a_usage_error(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(cli, ["validate", str(root / "datasets"), "--profile", "xyz", "--lang", "en"])
    assert result.exit_code == 2
    assert "Unknown profile 'xyz'; available: catalog, cdmx, none." in result.output


def test_every_bad_fixture_ends_without_traceback() -> None:
    """Run the installed command as a user would: messages and exit codes, never a traceback."""
    cases = [[str(p), "--schema", MINI] for p in sorted((FIXTURES / "csv").glob("*.csv"))]
    cases += [[str(p)] for p in sorted((FIXTURES / "datasets").iterdir())]
    for args in cases:
        proc = subprocess.run(
            [sys.executable, "-m", "toolkit", "validate", *args, "--lang", "en"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode in (0, 1), (args, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr, args


def test_internal_error_has_no_traceback_unless_debug(runner: CliRunner, monkeypatch) -> None:
    v = sys.modules["toolkit.validate"]

    def boom(*args, **kwargs):
        raise ValueError("kaput")

    monkeypatch.setattr(v, "validate", boom)
    result = runner.invoke(cli, ["validate", "--lang", "en"])
    assert result.exit_code == 3
    assert result.output == "The tool failed: ValueError: kaput (use --debug for details)\n"
    debug = runner.invoke(cli, ["validate", "--lang", "en", "--debug"])
    assert isinstance(debug.exception, ValueError)


def test_help_and_version(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["-h"]).exit_code == 0
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("ciudades, version ")


def test_codes_doc_is_generated_from_the_code(runner: CliRunner, root: Path) -> None:
    result = runner.invoke(cli, ["codes"])
    assert (root / "docs" / "codes.md").read_text(encoding="utf-8") == result.output, (
        "docs/codes.md is stale: run `ciudades codes > docs/codes.md`"
    )


_LAZY_CHECK = """
import sys
import toolkit.cli
names = ("toolkit.catalog", "toolkit.validate", "toolkit.package", "toolkit.diff", "yaml", "frictionless",
         "numpy", "pyarrow", "pandas", "jinja2")
heavy = sorted(m for m in names if m in sys.modules)
import toolkit.validate.parallel  # the module first: Python binds toolkit.validate to the module
import toolkit
import toolkit.package
from toolkit import diff, load, validate
report = toolkit.validate(sys.argv[1])
same = validate is toolkit.validate
print(heavy, report.valid, callable(toolkit.package), callable(load), callable(diff), same)
"""


def test_import_is_lazy_and_the_functions_stay_callable(root: Path) -> None:
    """`ciudades --help` imports no data library; toolkit.validate/package/load/diff can be called
    whether Python bound the name to the function or to its module."""
    args = [sys.executable, "-c", _LAZY_CHECK, str(root / "datasets")]
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[] True True True True True"
