"""CI renderers: GitHub workflow commands, the Markdown summary, JUnit XML, the step summary file."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import SHIPPED, SHIPPED_TABLES
from toolkit import validate
from toolkit.catalog.model import display_path
from toolkit.cli import cli
from toolkit.report.findings import Report, make_finding
from toolkit.report.renderers import (
    github_escape_data,
    github_escape_property,
    render_github,
    render_junit,
    render_markdown,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini.schema.yaml"


@pytest.fixture(scope="module")
def ragged() -> Report:
    return validate(FIXTURES / "csv" / "ragged.csv", schema=MINI)


def test_github_escaping_follows_githubs_rules() -> None:
    assert github_escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert github_escape_property("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext%3A a%2C b"


def test_github_format_exact_output_latin1() -> None:
    path = display_path(FIXTURES / "csv" / "latin1.csv")
    report = validate(FIXTURES / "csv" / "latin1.csv", schema=MINI)
    assert render_github(report, "es") == (
        f"::error file={github_escape_property(path)},line=2,title=El archivo no está en UTF-8 "
        "[encoding-not-utf8]::línea 2: El archivo no está en UTF-8; parece estar en Windows-1252 "
        "(ANSI de Excel) "
        "(primer byte no válido en la línea 2).%0ACómo corregirlo: Conviértelo a UTF-8 con: "
        f"ciudades import {path} --into {path} --schema {display_path(MINI)} --force (o guárdalo "
        "como «CSV UTF-8» en Excel: Guardar como → CSV UTF-8; o usa iconv -f WINDOWS-1252 -t UTF-8).\n"
        "Revisado: 1 conjunto de datos, 1 tabla, 2 filas.\n"
        "✗ No válido: 1 error\n"
    )


def test_github_format_exact_output_ragged(ragged: Report) -> None:
    path = github_escape_property(display_path(FIXTURES / "csv" / "ragged.csv"))
    lines = render_github(ragged, "en").splitlines()
    assert lines[0] == (
        f"::error file={path},line=2,title=Constraint not met [constraint-error]::line 2, column H "
        "(source_url): 'source_url' is required and is empty.%0AHow to fix: Write a value in this cell; "
        "if it is truly unknown, check whether the field should be required."
    )
    assert lines[4] == (
        f"::error file={path},line=3,title=Extra cell [extra-cell]::line 3, column I: The row has "
        "more cells than headers (extra value 'extra').%0AHow to fix: Probably a text with commas is not "
        'quoted: write "text, with commas" in double quotes, or remove the extra comma.'
    )
    assert lines[5] == (  # a whole-row finding has a line but no column
        f"::error file={path},line=4,title=Blank row [blank-row]::line 4: The row is empty.%0AHow to fix: "
        "Delete the empty row."
    )
    assert lines[-2:] == ["Checked: 1 dataset, 1 table, 4 rows.", "✗ Invalid: 7 errors"]
    assert len(lines) == 7 + 2


def test_github_properties_are_escaped() -> None:
    finding = make_finding(
        "type-error",
        path="datos/a,b: c%.csv",
        line=3,
        column="B",
        field="x",
        value="1\n2",
        type_name="número",
        type_name_en="number",
    )
    line = render_github(Report(findings=[finding]), "en").splitlines()[0]
    assert line.startswith("::error file=datos/a%2Cb%3A c%25.csv,line=3,title=")
    assert "\n" not in line and "%0A" in line


def test_github_annotations_give_no_field_number_as_a_character_column(ragged: Report) -> None:
    """GitHub's ``col`` is a character position in the line: the 8th field of a line does not start
    at its 8th character, so an annotation leaves ``col`` out and its message names the column."""
    lines = [line for line in render_github(ragged, "en").splitlines() if line.startswith("::")]
    assert any(f.column for f in ragged.findings)
    assert lines and not any(",col=" in line.split("::")[1] for line in lines)
    assert "column H (source_url)" in lines[0]


def test_github_mentions_the_annotation_limit() -> None:
    many = [make_finding("blank-row", path="t.csv", line=n, row=n) for n in range(2, 14)]
    text = render_github(Report(findings=many), "en")
    assert "GitHub shows only the first 10 annotations of each kind" in text
    assert text.count("::error ") == 12


def test_markdown_exact_output_latin1() -> None:
    path = display_path(FIXTURES / "csv" / "latin1.csv")
    report = validate(FIXTURES / "csv" / "latin1.csv", schema=MINI)
    assert render_markdown(report, "en") == (
        "## ✗ Invalid: 1 error\n"
        "\n"
        "Checked: 1 dataset, 1 table, 2 rows.\n"
        "\n"
        "Each problem says which file, line and column it is in (the column is the spreadsheet letter) "
        "and how to fix it. Fix those cells and push the change: the check runs again by itself.\n"
        "\n"
        "### Dataset `latin1`: 1 error\n"
        "\n"
        f"**{path}**\n"
        "\n"
        "#### ✗ File is not UTF-8 (`encoding-not-utf8`) ×1\n"
        "\n"
        "| Where | Problem |\n"
        "|---|---|\n"
        "| line 2 | The file is not UTF-8; it looks like Windows-1252 (Excel's ANSI) (first invalid byte "
        "on line 2). |\n"
        "\n"
        f"**How to fix:** Convert it to UTF-8 with: ciudades import {path} --into {path} --schema "
        f"{display_path(MINI)} --force (or save it as 'CSV UTF-8' in Excel: Save as → CSV UTF-8; or use "
        "iconv -f WINDOWS-1252 -t UTF-8).\n"
    )


def test_markdown_groups_by_dataset_and_code_with_first_locations(ragged: Report) -> None:
    text = render_markdown(ragged, "es", first=2)
    assert text.startswith("## ✗ No válido: 7 errores\n\nRevisado: 1 conjunto de datos, 1 tabla, 4 filas.\n")
    assert "### Conjunto de datos `ragged`: 7 errores" in text
    assert "#### ✗ Celda faltante (`missing-cell`) ×3" in text or "(`missing-cell`) ×3" in text
    # three missing cells, two shown, then the rest counted
    section = text.split("(`missing-cell`) ×3")[1].split("####")[0]
    assert section.count("| línea 2, columna") == 2
    assert "… y 1 más" in section


def test_markdown_valid_report_and_escaping() -> None:
    assert render_markdown(Report(datasets=["a"]), "es").startswith("## ✓ Válido: sin problemas\n")
    finding = make_finding("blank-row", path="x|y.csv", line=2, row=2)
    finding = type(finding)(**{**finding.__dict__, "message_en": "a | b <script> *c*"})
    text = render_markdown(Report(findings=[finding]), "en")
    assert "a \\| b &lt;script&gt; \\*c\\*" in text


def test_junit_one_suite_per_dataset_one_case_per_table(ragged: Report, root: Path) -> None:
    tree = ET.fromstring(render_junit(ragged, "en"))
    [suite] = tree.findall("testsuite")
    assert suite.get("name") == "ragged" and suite.get("tests") == "1" and suite.get("failures") == "1"
    [case] = suite.findall("testcase")
    assert len(case.findall("failure")) == 7
    shipped = ET.fromstring(render_junit(validate(root / "datasets"), "en"))
    assert [s.get("name") for s in shipped.findall("testsuite")] == SHIPPED
    assert all(s.get("tests") == "3" and s.get("failures") == "0" for s in shipped.findall("testsuite"))
    assert shipped.get("tests") == str(SHIPPED_TABLES)


def test_cli_formats_and_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# before\n", encoding="utf-8")
    runner = CliRunner()
    args = ["validate", str(FIXTURES / "csv" / "ragged.csv"), "--schema", str(MINI), "--lang", "en"]
    result = runner.invoke(cli, [*args, "--format", "github"], env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 1
    assert result.output.startswith("::error file=")
    written = summary.read_text(encoding="utf-8")
    assert written.startswith("# before\n## ✗ Invalid: 7 errors\n")
    junit = runner.invoke(cli, [*args, "--format", "junit"], env={"GITHUB_STEP_SUMMARY": ""})
    assert junit.exit_code == 1 and ET.fromstring(junit.output).get("failures") == "1"


def test_step_summary_links_to_the_line_in_github(tmp_path: Path) -> None:
    from toolkit.report.renderers import write_step_summary

    summary = tmp_path / "s.md"
    finding = make_finding("blank-row", path="datasets/x/a.csv", line=4, row=4, dataset="x")
    env = {
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "o/r",
        "GITHUB_SHA": "abc123",
    }
    write_step_summary(Report(findings=[finding]), "en", env)
    assert "[line 4](https://github.com/o/r/blob/abc123/datasets/x/a.csv#L4)" in summary.read_text("utf-8")


_TEXT = st.one_of(
    st.none(), st.text(max_size=12), st.sampled_from(['"', "\\", "\n", "},\n      {", "\x00", "ñ€😀"])
)


@settings(max_examples=300, deadline=None)
@given(
    cells=st.lists(st.tuples(_TEXT, _TEXT, st.one_of(st.none(), st.integers(-5, 10**12))), max_size=6),
    odd=st.sampled_from([None, ["a", 1], {"k": "v"}, [], 1.5, True]),
)
def test_the_json_report_is_json_dumps_own_indented_output(
    cells: list[tuple[str | None, str | None, int | None]], odd: object
) -> None:
    """The JSON report, whose findings json's C encoder writes, is byte for byte what
    ``json.dumps(..., indent=2)`` writes: any text in a finding (quotes, backslashes, line
    breaks, text that looks like the separators), and a finding with any other value."""
    import dataclasses
    import json

    from toolkit.report.findings import render_json

    report = Report(datasets=["d"], resources=1, rows=len(cells))
    for value, field, row in cells:
        report.findings.append(make_finding("type-error", path="a.csv", row=row, field=field, value=value))
    if odd is not None and report.findings:
        report.findings[0] = dataclasses.replace(report.findings[0], value=odd)
    for lang in ("es", "en"):
        assert (
            render_json(report, lang) == json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2) + "\n"
        )
