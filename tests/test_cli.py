"""The command line: exit codes, messages in both languages, JSON shape, no tracebacks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
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
    v = sys.modules["toolkit.validation.validator"]

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
names = ("toolkit.catalog.model", "toolkit.validation.validator", "toolkit.packaging.packages",
         "toolkit.review.diff", "toolkit.site.build",
         "yaml", "frictionless", "numpy", "pyarrow", "pandas", "jinja2")
heavy = sorted(m for m in names if m in sys.modules)
import toolkit.validation.parallel
import toolkit
import toolkit.packaging.packages
from toolkit import diff, load, validate
report = toolkit.validate(sys.argv[1])
same = validate is toolkit.validate
print(heavy, report.valid, callable(toolkit.package), callable(load), callable(diff), same)
"""


def test_import_is_lazy_and_the_functions_stay_callable(root: Path) -> None:
    """`ciudades --help` imports no data library; toolkit.validate/package/load/diff are the functions,
    whatever submodules were imported before."""
    args = [sys.executable, "-c", _LAZY_CHECK, str(root / "datasets")]
    proc = subprocess.run(args, capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[] True True True True True"


def test_import_toolkit_imports_nothing(root: Path) -> None:
    """`ciudades` and `python -m toolkit` import the package before they can turn Ctrl-C into a
    quiet exit: it loads no other module, and its names still resolve on first use."""
    check = (
        "import sys; before = set(sys.modules); import toolkit; "
        "new = sorted(m for m in set(sys.modules) - before if m != '__future__'); "
        "print(new, toolkit.UsageError.__module__, issubclass(toolkit.UsageError, toolkit.ToolkitError))"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-c", check], capture_output=True, text=True, check=True, cwd=root
    )
    assert proc.stdout.strip() == "['toolkit'] toolkit.errors True"


# ── small things: --json when invalid, codes --lang, --base-url, template .csv, messages ─────────


def test_package_json_is_json_also_when_the_data_is_invalid(runner: CliRunner, catalog_copy: Path) -> None:
    table = catalog_copy / "bogota" / "agreements.csv"
    lines = table.read_text(encoding="utf-8").splitlines(keepends=True)
    table.write_text(lines[0] + ",".join(["x"] * 3) + "\n" + "".join(lines[1:]), encoding="utf-8")
    out = catalog_copy.parent / "out"
    result = runner.invoke(cli, ["package", str(catalog_copy), "--out", str(out), "--json", "--lang", "en"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["valid"], data["datasets"], data["combined"], data["out"]) == (False, [], None, str(out))
    assert data["report"]["valid"] is False and data["report"]["findings"]
    assert "No packages were written" in result.stderr and not out.exists()
    good = runner.invoke(
        cli, ["package", str(FIXTURES.parent.parent / "datasets"), "--out", str(out), "--json"]
    )
    assert good.exit_code == 0, good.output
    data = json.loads(good.stdout)
    assert data["valid"] is True and data["report"]["valid"] is True and len(data["datasets"]) == len(SHIPPED)


def test_codes_takes_lang(runner: CliRunner) -> None:
    english = runner.invoke(cli, ["codes", "--lang", "en"])
    spanish = runner.invoke(cli, ["codes", "--lang", "es"])
    assert english.exit_code == spanish.exit_code == 0
    assert english.output.startswith("# Finding codes\n") and "| `type-error` |" in english.output
    assert "Falta el catálogo" not in english.output and "Catalog missing" in english.output
    assert spanish.output.startswith("# Códigos de hallazgo\n") and "Catalog missing" not in spanish.output
    rows = json.loads(runner.invoke(cli, ["codes", "--format", "json", "--lang", "en"]).output)
    first = rows[0]
    assert (first["code"], first["title"], "title_es" in first) == (
        "catalog-missing",
        "Catalog missing",
        False,
    )
    assert first["message"].startswith("No ") and first["hint"]


def test_a_malformed_base_url_is_called_malformed(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    for url in (
        "notaurl",
        "https://",
        "ftp://example.org/",
        "https://exa mple.org/",
        "https://example.org:99999/",
    ):
        result = runner.invoke(
            cli, ["build", str(root / "datasets"), "--out", str(out), "--base-url", url, "--lang", "en"]
        )
        assert result.exit_code == 2, (url, result.output)
        assert result.output == (
            f"Error: The site's public URL in --base-url, '{url}', is not a valid URL: write it in full, "
            "with http:// or https:// and the domain, e.g. https://data.example.org/catalog/.\n"
        )
        assert "missing" not in result.output and not out.exists()


def test_template_writes_a_csv_or_refuses(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    csv_out = tmp_path / "agreements.csv"
    result = runner.invoke(cli, ["template", "agreements", "--out", str(csv_out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    header = (root / "datasets" / "ciudad-de-mexico" / "agreements.csv").read_bytes().split(b"\n")[0]
    assert csv_out.read_bytes() == header + b"\n"  # the canonical header, UTF-8, nothing else
    assert result.output == f"Written: {csv_out}\n"
    odd = tmp_path / "agreements.txt"
    refused = runner.invoke(cli, ["template", "agreements", "--out", str(odd), "--lang", "en"])
    assert refused.exit_code == 2 and not odd.exists()
    assert "the template is written as an Excel workbook (.xlsx) or as a CSV (.csv)" in refused.output


def test_xlsx_report_says_where_it_wrote(runner: CliRunner, root: Path, tmp_path: Path) -> None:
    target = tmp_path / "review.xlsx"
    args = ["validate", str(root / "datasets" / "bogota"), "--xlsx-report", str(target), "--format", "json"]
    result = runner.invoke(cli, [*args, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert target.is_file() and json.loads(result.stdout)["valid"] is True  # stdout stays JSON
    assert result.stderr == f"Review workbook written to {target}\n"
    spanish = runner.invoke(cli, [*args, "--lang", "es"])
    assert spanish.stderr == f"Libro de revisión escrito en {target}\n"


YAML_MISTAKES = [
    "title: {es: a, en: b\nx: 1\n",
    "title: [a, b\nx: 1\n",
    "title: a\n  x: 1\n",
    "title:\n  - a\n  x: 1\n",
    "title: 'a\n",
    'title: "\\q"\n',
    "\ttitle: a\n",
    "title: *x\n",
    "title: a\n---\nx: 1\n",
    "title: &x a\nx: &x b\n",
    "title: |x\n  a\n",
    '"title": "a" "b"\n',
    "title: a\x07\n",
    "title: [\n",
]


def test_yaml_syntax_errors_are_translated(runner: CliRunner, tmp_path: Path) -> None:
    """PyYAML explains a syntax error in English; the Spanish message says it in Spanish."""
    english_words = re.compile(r"\b(while|parsing|scanning|expected|found|but|got|not allowed|opened)\b")
    for text in YAML_MISTAKES:
        folder = tmp_path / "datasets"
        folder.mkdir(exist_ok=True)
        (folder / "catalog.yaml").write_text(text, encoding="utf-8")
        spanish = runner.invoke(cli, ["validate", str(folder), "--lang", "es", "--format", "json"])
        english = runner.invoke(cli, ["validate", str(folder), "--lang", "en", "--format", "json"])
        found_es = json.loads(spanish.output)["findings"]
        found_en = json.loads(english.output)["findings"]
        assert [f["code"] for f in found_es] == ["syntax-error"], (text, found_es)
        message = found_es[0]["message"]
        assert message.startswith("El archivo no es YAML válido: ") and not english_words.search(message), (
            text,
            message,
        )
        assert found_en[0]["message"].startswith("The file is not valid YAML: ")


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = [(path, group)]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


BILINGUAL = re.compile(r"[A-ZÁÉÍÓÚ¿][^/]*[.?] / [A-Z][^/]*[.?]")


@pytest.mark.parametrize("path", [p for p, _ in _commands(cli)], ids=lambda p: " ".join(p) or "ciudades")
def test_every_help_is_bilingual_the_same_way(runner: CliRunner, path: tuple[str, ...]) -> None:
    """Every command's summary is «Español. / English.», shown whole in its group's list; every
    option's help has both languages, «español / english»."""
    command = dict(_commands(cli))[path]
    summary = (command.help or "").strip().splitlines()[0]
    assert BILINGUAL.fullmatch(summary), summary
    result = runner.invoke(cli, [*path, "--help"], terminal_width=400)
    assert result.exit_code == 0
    for name, sub in getattr(command, "commands", {}).items():  # the list of subcommands
        listed = next(line for line in result.output.splitlines() if line.strip().startswith(name + " "))
        assert listed.split(None, 1)[1].strip() == sub.help.strip().splitlines()[0]
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help and " / " in param.help, (param.opts, param.help)


def test_json_report_is_the_json_format_beside_any_other(runner: CliRunner, tmp_path: Path) -> None:
    """``--json-report FILE``: what ``--format json`` prints, written to FILE whatever ``--format``
    (the Action reads its outputs from it while printing annotations)."""
    args = ["validate", str(FIXTURES / "csv" / "ragged.csv"), "--schema", MINI, "--lang", "en"]
    report = tmp_path / "report.json"
    github = runner.invoke(cli, [*args, "--format", "github", "--json-report", str(report)])
    assert github.exit_code == 1 and github.output.startswith("::error ")
    as_json = runner.invoke(cli, [*args, "--format", "json"])
    assert report.read_text(encoding="utf-8") == as_json.output


_START_CHECK = """
import gc, os, sys
sys.argv = ["ciudades", "validate", sys.argv[1], "--lang", "en"]
from toolkit.__main__ import run
try:
    run()
except SystemExit as ex:
    code = ex.code
print(os.environ.get("OPENBLAS_NUM_THREADS"), gc.isenabled(), gc.get_freeze_count() > 0, code)
"""


@pytest.mark.parametrize("preset", [None, "3"])
def test_command_start_up_leaves_blas_threads_and_gc_settled(root: Path, preset: str | None) -> None:
    """The command runs OpenBLAS on one thread unless the user chose a number, freezes what the
    start-up made once the engine is imported, and leaves the collector on."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if preset:
        env["OPENBLAS_NUM_THREADS"] = preset
    args = [sys.executable, "-c", _START_CHECK, str(root / "datasets")]
    proc = subprocess.run(args, capture_output=True, text=True, check=True, env=env)
    assert proc.stdout.splitlines()[-1] == f"{preset or '1'} True True 0"


_EXIT_CHECK = """
import atexit, sys, threading, time, weakref
atexit.register(lambda: print("exit handler ran", file=sys.stderr))
held = type("Held", (), {})()  # alive to the end, as the temporary folder of --allow-remote
weakref.finalize(held, print, "finalizer ran", file=sys.stderr)
if sys.argv[3] == "thread":  # a thread still at work when the command is done
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread done", file=sys.stderr))).start()
sys.argv = ["ciudades", "validate", sys.argv[1], "--schema", sys.argv[2], "--lang", "en"]
from toolkit.__main__ import start
start()
"""


@pytest.mark.parametrize(("table", "status"), [("cells.csv", 1), ("valid.csv", 0)])
@pytest.mark.parametrize("thread", ["none", "thread"])
def test_the_command_ends_as_a_normal_exit_does(
    runner: CliRunner, table: str, status: int, thread: str
) -> None:
    """The command leaves without tearing the interpreter down, after all a normal exit does first:
    the whole report is written, the exit handlers and finalizers run (a temporary folder is
    removed), a thread still at work is waited for, and the exit status is the command's."""
    csv = str(FIXTURES / "csv" / table)
    proc = subprocess.run(
        [sys.executable, "-c", _EXIT_CHECK, csv, MINI, thread], capture_output=True, text=True, check=False
    )
    in_process = runner.invoke(cli, ["validate", csv, "--schema", MINI, "--lang", "en"])
    assert (proc.returncode, proc.stdout) == (status, in_process.output)
    done = "thread done\n" if thread == "thread" else ""
    assert proc.stderr == done + "finalizer ran\nexit handler ran\n"


_ENGINE_EXIT = """
import os, sys
leave = os._exit
os._exit = lambda status: (print("no teardown", file=sys.stderr), sys.stderr.flush(), leave(status))
from toolkit.validation.fast import blocks
blocks.BLOCK_BYTES = blocks.FIRST_BLOCK_BYTES = 1024  # several blocks: the worker threads run
sys.argv = ["ciudades", "validate", sys.argv[1], "--schema", sys.argv[2], "--lang", "en"]
from toolkit.__main__ import start
start()
"""


def test_the_engines_worker_threads_do_not_hold_up_the_exit(runner: CliRunner, tmp_path: Path) -> None:
    """A table of several blocks leaves the fast engine's worker threads alive and idle (one maybe
    still reading a block past the error cap): the command still leaves without the teardown."""
    rows = [f"x-{i},Name {i},{i},MXN,2015-02-18,2016-02-18,MX,https://example.org/{i}" for i in range(300)]
    rows[5] = "x-5,,-3,ZZZ,2015-02-18,2014-02-18,XX,www.example.org"
    table = tmp_path / "items.csv"
    table.write_text(
        "item_id,name,amount,currency,start_date,end_date,country,source_url\n" + "\n".join(rows)
    )
    args = [sys.executable, "-c", _ENGINE_EXIT, str(table), MINI]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    in_process = runner.invoke(cli, ["validate", str(table), "--schema", MINI, "--lang", "en"])
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, in_process.output, "no teardown\n")


@pytest.mark.parametrize("debug", [False, True])
def test_a_zip_left_half_written_by_sigterm_ends_as_an_interruption(
    capsys: pytest.CaptureFixture[str], debug: bool
) -> None:
    """SIGTERM (or Ctrl-C) while an entry of a zip is being written: closing the zip on the way
    out raises ``ValueError`` (an entry is still open), which used to end the run as «The tool
    failed: ValueError» with exit 3; it is the interruption, and says so with 143."""
    import io
    import signal
    import zipfile

    from toolkit.cli import Terminated, handle_errors

    entries: list = []

    @handle_errors
    def package(lang: str, debug: bool) -> None:
        with zipfile.ZipFile(io.BytesIO(), "w") as archive:
            entries.extend([archive.open("a.csv", "w"), archive])  # the signal lands while it is written
            entries[0].write(b"id\n")
            raise Terminated(signal.SIGTERM)

    with pytest.raises(SystemExit) as ended:
        package(lang="en", debug=debug)
    assert ended.value.code == 143
    err = capsys.readouterr().err
    assert "failed" not in err and err.strip().endswith("Interrupted; any previous output is intact.")
    for opened in entries:  # the entry first: then the zip closes
        opened.close()
