"""Untrusted text (file names, cells, URLs) is printed with its control characters escaped: in the
CLI's one-line errors and in every report format, while Spanish text stays as it is."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest

from toolkit.cli import cli
from toolkit.errors import shown
from toolkit.report.findings import Report, make_finding, render_text

HOSTILE = "\x1b[2J\r\x07"  # clear the screen, go back to the start of the line, ring the bell
ESCAPED = "\\x1b[2J\\r\\x07"
SPANISH = "ñandú «centro» Peñalolén, ¿qué? ü"
MINI = Path(__file__).resolve().parent / "fixtures" / "mini.schema.yaml"
HEADER = "item_id,name,amount,currency,start_date,end_date,country,source_url\r\n"


def test_shown_escapes_controls_and_keeps_spanish() -> None:
    assert shown(f"{SPANISH} {HOSTILE}") == f"{SPANISH} {ESCAPED}"
    assert shown("a\nb\tc\x00d\x7fe\x9bf\u202eg\u2028h") == "a\\nb\\tc\\x00d\\x7fe\\x9bf\\u202eg\\u2028h"
    assert shown(SPANISH + "\u00a0€ 😀") == SPANISH + "\u00a0€ 😀"  # no-break space, symbols, emoji
    assert shown(shown(HOSTILE)) == ESCAPED


def test_an_error_message_is_printed_on_one_line_escaped(runner: Any) -> None:
    for lang, expected in (
        (
            "es",
            f"Error: «ftp://x/{SPANISH}{ESCAPED}»: solo se admiten direcciones http://, https:// y file:, o "
            "la ruta de un archivo.\n",
        ),
        (
            "en",
            f"Error: 'ftp://x/{SPANISH}{ESCAPED}': only http://, https:// and file: addresses, or a file's "
            "path, are accepted.\n",
        ),
    ):
        result = runner.invoke(cli, ["download", f"ftp://x/{SPANISH}{HOSTILE}", "--lang", lang])
        assert result.exit_code == 2
        assert result.output == expected


@pytest.fixture(scope="module")
def hostile_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CSV named and filled with control characters: the amount is not a number, so the report
    quotes the cell, and the name of the file heads the report."""
    path = tmp_path_factory.mktemp("hostile") / f"datos{HOSTILE}.csv"
    row = (
        f'mx-1,Ciudad de México,"12 {SPANISH}{HOSTILE}",MXN,2015-02-18,2016-02-18,MX,https://www.gob.mx/\r\n'
    )
    path.write_text(HEADER + row, encoding="utf-8", newline="")
    return path


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "junit", "json"])
def test_every_report_format_escapes_what_it_quotes(hostile_csv: Path, runner: Any, fmt: str) -> None:
    result = runner.invoke(
        cli, ["validate", str(hostile_csv), "--schema", str(MINI), "--format", fmt, "--lang", "es"]
    )
    assert result.exit_code == 1, result.output
    out = result.output
    if fmt == "json":  # JSON escapes control characters itself, and keeps the value exact
        assert "\x1b" not in out and "\r" not in out and "\x07" not in out
        [finding] = json.loads(out)["findings"]
        assert finding["value"] == f"12 {SPANISH}{HOSTILE}"
        return
    assert not {"\x1b", "\r", "\x07"} & set(out), repr(out)
    value = f"«12 {SPANISH}{ESCAPED}» no es un número válido en «amount»."
    name = f"datos{ESCAPED}.csv"
    if fmt == "markdown":  # Markdown escaping on top
        value, name = value.replace("[", "\\["), name.replace("[", "\\[")
    assert value in out
    assert name in out
    if fmt == "github":  # GitHub's own escaping still turns the line before the fix into %0A
        assert f"{value}%0ACómo corregirlo: " in out and out.startswith("::error file=")
    if fmt == "junit":  # well-formed XML, which raw control characters would not be
        failure = ET.fromstring(out).find("testsuite/testcase/failure")
        assert failure is not None and failure.get("message") == value


def test_colours_are_the_renderer_s_own() -> None:
    finding = make_finding(
        "type-error",
        path=f"t{HOSTILE}.csv",
        line=2,
        column="C",
        field=f"monto{HOSTILE}",
        value=HOSTILE,
        type_name="un número",
        type_name_en="a number",
    )
    text = render_text(Report(findings=[finding]), "es", color=True)
    assert "\x1b[2J" not in text and "\r" not in text and "\x07" not in text
    assert f"\x1b[1mt{ESCAPED}.csv\x1b[0m" in text  # the path, escaped, then painted bold
    assert f"columna C (monto{ESCAPED})" in text


def test_diff_output_escapes_the_cells_it_quotes(tmp_path: Path, runner: Any) -> None:
    def package_zip(version: str, rows: str) -> Path:
        target = tmp_path / f"p-{version}.zip"
        fields = [{"name": "partner_id", "type": "string"}, {"name": "name", "type": "string"}]
        descriptor = {
            "name": "p",
            "version": version,
            "resources": [
                {
                    "name": "partners",
                    "path": "partners.csv",
                    "schema": {"primaryKey": ["partner_id"], "fields": fields},
                }
            ],
        }
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"p-{version}/datapackage.json", json.dumps(descriptor))
            archive.writestr(f"p-{version}/partners.csv", "partner_id,name\n" + rows)
        return target

    base = package_zip("1.0.0", "bogota,Bogotá\n")
    head = package_zip("1.1.0", f'bogota,"Bogotá {SPANISH}{HOSTILE}"\n"x{HOSTILE}",Quito\n')
    for fmt in ("text", "markdown"):
        result = runner.invoke(
            cli, ["diff", "--base", str(base), "--head", str(head), "--format", fmt, "--lang", "es"]
        )
        assert result.exit_code == 0, result.output
        assert not {"\x1b", "\r", "\x07"} & set(result.output), repr(result.output)
        escaped = ESCAPED if fmt == "text" else ESCAPED.replace("[", "\\[")
        # a changed cell (and in Markdown any text) is shown with its white space collapsed: \r became
        # a space before the escaping
        collapsed = escaped.replace("\\r", " ")
        assert f"Bogotá {SPANISH}{collapsed}" in result.output
        assert f"x{escaped if fmt == 'text' else collapsed}: name=Quito" in result.output  # an added row
