"""Spreadsheets: the entry template, the import back to CSV, and the validation report workbook."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit import validate
from toolkit.cli import cli
from toolkit.errors import UsageError
from toolkit.spreadsheet import build_template, import_table, render_import, write_xlsx_report

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="module")
def funding_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("template") / "funding.xlsx"
    build_template(ROOT / "schemas" / "funding.schema.yaml", out)
    return out


def validations(ws) -> dict[str, tuple[str, str | None]]:
    out = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            out[ref.split(":")[0].rstrip("0123456789")] = (dv.type, dv.formula1)
    return out


def test_template_has_headers_notes_dropdowns_and_checks(funding_template: Path) -> None:
    wb = openpyxl.load_workbook(funding_template)
    assert wb.sheetnames == ["funding", "instrucciones-instructions"]
    ws = wb["funding"]
    header = [c.value for c in ws[1]]
    assert header[:6] == [
        "funding_id",
        "agreement_id",
        "title_es",
        "title_en",
        "funding_kind",
        "transaction_type",
    ]
    assert ws.freeze_panes == "A2"
    note = ws["I1"].comment.text  # amount
    assert note.startswith("Monto / Amount") or "Amount" in note.splitlines()[0]
    assert "ES: " in note and "EN: " in note and "Formato: número" in note and "Format: number" in note
    checks = validations(ws)
    assert checks["E"] == ("list", '"grant,loan,donation,technical_assistance,prize,in_kind,other"')
    assert checks["F"][0] == "list" and checks["F"][1].startswith('"1,2,')
    assert checks["I"][0] == "decimal"
    assert checks["L"] == ("date", "DATE(1900,1,1)")
    assert checks["K"] == ("list", '"true,false"')
    assert checks["P"][0] == "whole"
    text = "\n".join(
        str(c.value) for row in wb["instrucciones-instructions"].iter_rows() for c in row if c.value
    )
    assert "Instrucciones (español)" in text and "Instructions (English)" in text
    assert "ciudades import" in text


def test_long_codelists_go_to_a_hidden_sheet(tmp_path: Path) -> None:
    (tmp_path / "schemas" / "codelists").mkdir(parents=True)
    codes = [f"codigo-largo-numero-{i:02d}" for i in range(40)]  # far over Excel's 255 characters
    (tmp_path / "schemas" / "codelists" / "long.csv").write_text(
        "code,label_es,label_en,description\n" + "".join(f"{c},E {c},E {c},\n" for c in codes),
        encoding="utf-8",
    )
    schema = tmp_path / "schemas" / "things.schema.yaml"
    schema.write_text(
        "name: things\nfields:\n  - {name: id, type: string}\n"
        "  - {name: kind, type: string, codelist: long}\n",
        encoding="utf-8",
    )
    out = tmp_path / "things.xlsx"
    build_template(schema, out)
    wb = openpyxl.load_workbook(out)
    lists = wb["listas"]
    assert lists.sheet_state == "hidden"
    assert [c.value for c in lists["A"]][1:] == codes
    assert validations(wb["things"])["B"] == ("list", "listas!$A$2:$A$41")


def test_template_is_reproducible_and_never_overwrites(tmp_path: Path, funding_template: Path) -> None:
    again = tmp_path / "again.xlsx"
    build_template(ROOT / "schemas" / "funding.schema.yaml", again)
    assert again.read_bytes() == funding_template.read_bytes()
    with pytest.raises(UsageError):
        build_template(ROOT / "schemas" / "funding.schema.yaml", again)
    result = CliRunner().invoke(cli, ["template", "no-such-schema", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2 and "no-such-schema" in result.output


def fill(template: Path, target: Path, rows: list[dict[str, object]]) -> None:
    wb = openpyxl.load_workbook(template)
    ws = wb["funding"]
    header = [c.value for c in ws[1]]
    for r, values in enumerate(rows, start=2):
        for name, value in values.items():
            ws.cell(row=r, column=header.index(name) + 1, value=value)
    wb.save(target)


GOOD = {
    "funding_id": "prueba-credito-2016",
    "title_es": "Crédito de prueba",
    "funding_kind": "Préstamo",  # a label, in Spanish: becomes its code
    "transaction_type": 11,
    "provider_id": "afd",
    "recipient_id": "bogota-co",
    "amount": "1.500.000,50",
    "currency": "EUR",
    "amount_is_approximate": "sí",
    "value_date": dt.datetime(2016, 11, 30),  # an Excel date cell
    "date_precision": "day",
    "period_start": "30/noviembre/2016",
    "period_end": "1/12/2017",
    "status": "in_force",
    "source_url": "https://example.org/credito",
    "confidence": "Alta",
}


@pytest.fixture(scope="module")
def imported(funding_template: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    base = tmp_path_factory.mktemp("import")
    shutil.copytree(ROOT / "datasets", base / "datasets")
    shutil.copytree(ROOT / "schemas", base / "schemas")
    filled = base / "filled.xlsx"
    bad = {**GOOD, "funding_id": "prueba-mala-2017", "value_date": "31/02/2017", "amount": "1,500"}
    bad["notes"] = "=1+1"
    last = {**GOOD, "funding_id": "prueba-otra-2018", "amount": 2500.25, "amount_is_approximate": False}
    fill(funding_template, filled, [GOOD, bad, {}, last])
    into = base / "datasets" / "bogota" / "funding.csv"
    result = import_table(filled, into, force=True, date_order="dmy")  # 1/12/2017 is 1 December
    return into, result


def test_import_round_trips_a_filled_template(imported: tuple[Path, object]) -> None:
    into, result = imported
    with into.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert result.rows == 3 and result.blank_rows == 1 and len(rows) == 3  # no row lost, blank row skipped
    good = rows[0]
    assert (good["funding_kind"], good["transaction_type"], good["amount"]) == ("loan", "11", "1500000.50")
    assert (good["amount_is_approximate"], good["value_date"]) == ("true", "2016-11-30")
    assert (good["period_start"], good["period_end"], good["confidence"]) == (
        "2016-11-30",
        "2017-12-01",
        "high",
    )
    assert rows[2]["amount"] == "2500.25" and rows[2]["amount_is_approximate"] == "false"
    bad = rows[1]
    assert (bad["value_date"], bad["amount"], bad["notes"]) == ("31/02/2017", "1,500", "=1+1")  # as they were
    where = [(f.code, f"{f.column}{f.row}") for f in result.findings if f.code != "import-column"]
    assert where == [("import-ambiguous", "I3"), ("import-unconverted", "L3"), ("import-formula", "W3")]
    text = render_import(result, "es")
    assert (
        "✗ Hoja «funding», celda L3 (value_date): «31/02/2017» no se pudo convertir en una fecha AAAA-MM-DD"
        in text
    )
    assert "celda W3" in text and "se importó como texto, sin calcularla" in text
    assert "Importado: " in text and "3 filas" in text


def test_imported_file_validates_except_the_reported_cells(imported: tuple[Path, object]) -> None:
    into, _ = imported
    report = validate(into.parent)
    assert sorted((f.code, f.line, f.column) for f in report.errors) == [
        ("type-error", 3, "I"),
        ("type-error", 3, "L"),
    ]


def test_import_never_overwrites_without_force(imported: tuple[Path, object], funding_template: Path) -> None:
    into, _ = imported
    before = into.read_bytes()
    result = CliRunner().invoke(cli, ["import", str(funding_template), "--into", str(into), "--lang", "en"])
    assert result.exit_code == 2 and "already exists; use --force" in result.output
    assert into.read_bytes() == before


def test_import_windows_1252_semicolon_csv(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    text = (
        "partner_id;name_es;partner_type\n"
        "bogota-co;Alcaldía de Bogotá;Gobierno local\n"
        "paris;Ville de Paris;local_government\n"
    )
    source.write_bytes(text.encode("cp1252"))
    schema = tmp_path / "mini.schema.yaml"
    schema.write_text(
        "name: partners\nfields:\n  - {name: partner_id, type: string}\n  - {name: name_es, type: string}\n"
        "  - {name: partner_type, type: string}\n  - {name: joined, type: date}\n",
        encoding="utf-8",
    )
    into = tmp_path / "out" / "partners.csv"
    result = CliRunner().invoke(
        cli, ["import", str(source), "--into", str(into), "--schema", str(schema), "--lang", "es"]
    )
    assert into.read_text(encoding="utf-8") == (
        "partner_id,name_es,partner_type,joined\n"
        "bogota-co,Alcaldía de Bogotá,Gobierno local,\n"
        "paris,Ville de Paris,local_government,\n"
    )
    assert "Codificación convertida: WINDOWS-1252 → UTF-8." in result.output
    assert "Separador convertido: «;» → «,»." in result.output
    assert "Falta la columna «joined»; se dejó vacía." in result.output
    assert result.exit_code == 0


def test_import_refuses_absurd_workbooks(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/sharedStrings.xml", b"\0" * (4 * 1024 * 1024))  # compresses ~1000:1
    with pytest.raises(UsageError, match="expand"):
        import_table(bomb, tmp_path / "out.csv", schema=ROOT / "schemas" / "funding.schema.yaml")
    fake = tmp_path / "old.xlsx"
    fake.write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    with pytest.raises(UsageError, match="xlsx"):
        import_table(fake, tmp_path / "out.csv", schema=ROOT / "schemas" / "funding.schema.yaml")
    assert not (tmp_path / "out.csv").exists()


def test_xlsx_report_highlights_cells_and_links_findings(tmp_path: Path) -> None:
    source = FIXTURES / "csv" / "cells.csv"
    report = validate(source, schema=FIXTURES / "mini.schema.yaml")
    out = tmp_path / "revision.xlsx"
    write_xlsx_report(report, out, "es")
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["errores", "cells"]
    errors = wb["errores"]
    assert errors.max_row == 1 + len(report.findings) == 15
    header = [c.value for c in errors[1]]
    assert header[:5] == ["gravedad", "código", "archivo", "hoja", "celda"]
    row = next(r for r in errors.iter_rows(min_row=2) if r[4].value == "E2")
    assert row[4].hyperlink.location == "'cells'!E2"
    data = wb["cells"]
    cell = data["E2"]
    assert cell.value == "2015-02-30"
    assert cell.fill.fgColor.rgb.endswith("F8CBAD")
    assert "«2015-02-30» no es una fecha válida" in cell.comment.text
    assert "Cómo corregirlo: Escribe la fecha como AAAA-MM-DD" in cell.comment.text
    assert data["B2"].comment is None and data["B2"].fill.fgColor.rgb in ("00000000", None)
    again = tmp_path / "again.xlsx"
    write_xlsx_report(report, again, "es")
    assert again.read_bytes() == out.read_bytes()


def test_validate_cli_writes_the_xlsx_report(tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            "validate",
            str(FIXTURES / "csv" / "ragged.csv"),
            "--schema",
            str(FIXTURES / "mini.schema.yaml"),
            "--xlsx-report",
            str(out),
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "errors"
    assert wb["ragged"]["I3"].comment is not None  # the extra cell, beyond the header
