"""Spreadsheets: the entry template, the import back to CSV, and the validation report workbook."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit import validate
from toolkit.cli import cli
from toolkit.errors import UsageError
from toolkit.review.importer import import_table, render_import
from toolkit.review.template import build_template
from toolkit.review.xlsx_report import write_xlsx_report

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


# ── hints that name `ciudades import`, and what import reports ───────────────────────────────────


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [*args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def scratch_catalog(tmp_path: Path) -> Path:
    """A catalog with one real dataset (bogota), its schemas and codelists."""
    (tmp_path / "datasets").mkdir()
    shutil.copy(ROOT / "datasets" / "catalog.yaml", tmp_path / "datasets" / "catalog.yaml")
    shutil.copytree(ROOT / "datasets" / "bogota", tmp_path / "datasets" / "bogota")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path / "datasets" / "bogota"


def fix_commands(output: str) -> list[str]:
    """The `ciudades import …` command lines the hints give, in order, without repeats."""
    import re

    found = re.findall(r"with: (ciudades import .*?) \(or ", output)
    return list(dict.fromkeys(found))


@pytest.mark.parametrize("engine", ["frictionless", "fast"])
def test_encoding_delimiter_and_bom_hints_give_the_import_command_that_fixes_them(
    tmp_path: Path, engine: str
) -> None:
    folder = scratch_catalog(tmp_path)
    partners, funding = folder / "partners.csv", folder / "funding.csv"
    original = {p: p.read_bytes() for p in (partners, funding)}
    # Excel on a Spanish Windows: ANSI (Windows-1252) with ";"; and a CSV saved "UTF-8 with BOM"
    with partners.open(encoding="utf-8", newline="") as fh:
        table = list(csv.reader(fh))
    text = "".join(";".join(row) + "\r\n" for row in table)
    partners.write_bytes(text.encode("cp1252", errors="replace"))
    funding.write_bytes(b"\xef\xbb\xbf" + original[funding])
    code, output = run_cli("validate", str(folder), "--engine", engine, "--lang", "en")
    assert code == 1
    shown_p, shown_f = (p.as_posix() for p in (partners, funding))
    expected = {
        f"ciudades import {shown_p} --into {shown_p} --force",
        f"ciudades import {shown_f} --into {shown_f} --force",
    }
    assert set(fix_commands(output)) == expected
    assert "Convert it to UTF-8 with: ciudades import" in output  # encoding-not-utf8
    assert "Change the delimiter to commas with: ciudades import" in output  # wrong-delimiter
    assert "Remove the BOM with: ciudades import" in output  # utf8-bom
    for command in sorted(expected):
        code, output = run_cli(*command.split()[1:], "--lang", "en")
        assert code == 0, output
    assert funding.read_bytes() == original[funding]  # the BOM removed, nothing else touched
    assert partners.read_text(encoding="utf-8").splitlines()[0] == ",".join(table[0])
    code, output = run_cli("validate", str(folder), "--engine", engine, "--lang", "en")
    assert not {"encoding-not-utf8", "wrong-delimiter", "utf8-bom"} & set(
        f.code for f in validate(folder).findings
    ), output


def test_a_workbook_saved_as_csv_gets_the_import_command_and_import_reads_it(tmp_path: Path) -> None:
    folder = scratch_catalog(tmp_path)
    partners = folder / "partners.csv"
    good = partners.read_bytes()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "partners"
    with partners.open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            ws.append(row)
    wb.save(partners)  # an .xlsx under the resource's .csv name
    code, output = run_cli("validate", str(folder), "--lang", "en")
    assert code == 1 and "(a zip archive, such as an .xlsx workbook)" in output
    shown = partners.as_posix()
    assert (
        f"If it is an .xlsx workbook, convert it with: ciudades import {shown} --into {shown} --force"
        in output
    )
    code, output = run_cli("import", shown, "--into", shown, "--force", "--lang", "en")
    assert code == 0, output
    assert partners.read_bytes() == good
    assert validate(folder).valid


def test_a_standalone_csv_hint_names_its_schema(tmp_path: Path) -> None:
    source = tmp_path / "their.csv"
    source.write_bytes("id;name\n1;Bogotá\n".encode("cp1252"))
    schema = tmp_path / "defs" / "theirs.json"
    schema.parent.mkdir()
    schema.write_text(
        '{"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}',
        encoding="utf-8",
    )
    code, output = run_cli("validate", str(source), "--schema", str(schema), "--lang", "es")
    command = (
        f"ciudades import {source.as_posix()} --into {source.as_posix()} --schema {schema.as_posix()} --force"
    )
    assert code == 1 and f"Conviértelo a UTF-8 con: {command} (o guárdalo" in output
    code, output = run_cli(*command.split()[1:], "--lang", "es")
    assert code == 0 and source.read_text(encoding="utf-8") == "id,name\n1,Bogotá\n"


def partners_workbook(path: Path, rows: list[list[object]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "partners"
    ws.append(["partner_id", "name_es", "partner_type", "country", "source_url"])
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_import_lists_every_change_and_never_passes_a_country_name_in_silence(tmp_path: Path) -> None:
    book = partners_workbook(
        tmp_path / "socios.xlsx",
        [
            ["lima-pe", "Municipalidad de Lima", "Gobierno local", "Perú", "https://example.org/a"],
            ["madrid-es", "Ayuntamiento de Madrid", " local_government", "España", "https://example.org/b"],
            ["narnia-x", "Narnia", "ciudad", "Narnia", "https://example.org/c"],
        ],
    )
    into = tmp_path / "out" / "partners.csv"
    schema = str(ROOT / "schemas" / "partners.schema.yaml")
    code, output = run_cli("import", str(book), "--into", str(into), "--schema", schema, "--lang", "es")
    assert code == 1
    assert "✓" not in output
    assert (
        "Celdas cambiadas (4):\n"
        "  celda  campo         antes → después\n"
        "  C2     partner_type  «Gobierno local» → «local_government»\n"
        "  D2     country       «Perú» → «PE»\n"
        "  C3     partner_type  « local_government» → «local_government»\n"
        "  D3     country       «España» → «ES»\n"
    ) in output
    assert (
        "✗ Hoja «partners», celda D4 (country): «Narnia» no se pudo convertir en un código de país "
        "ISO 3166-1 alfa-2: no es un país que se reconozca; se copió tal cual.\n"
        "    → Cómo corregirlo: Corrige la celda y vuelve a importar: escribe el código ISO 3166-1 "
        "alfa-2 del país (PE para Perú, ES para España).\n"
    ) in output
    assert "✗ Hoja «partners», celda C4 (partner_type): «ciudad» no se pudo convertir" in output
    assert "usa estos códigos: local_government, subnational_government" in output
    assert "✗ 2 celdas sin convertir: se copiaron tal cual; corrígelas antes de validar." in output
    with into.open(encoding="utf-8", newline="") as fh:
        rows = [(r["partner_type"], r["country"]) for r in csv.DictReader(fh)]
    assert rows == [("local_government", "PE"), ("local_government", "ES"), ("ciudad", "Narnia")]
    code, output = run_cli(
        "import", str(book), "--into", str(into), "--schema", schema, "--force", "--json", "--lang", "en"
    )
    data = json.loads(output)
    assert code == 1 and data["ok"] is False and data["written"] is True
    assert data["changes"][1] == {
        "line": 2,
        "column": "D",
        "field": "country",
        "before": "Perú",
        "after": "PE",
    }
    wrong = [
        (f["code"], f["column"], f["row"], f["field"]) for f in data["findings"] if f["severity"] == "error"
    ]
    assert wrong == [
        ("import-unconverted", "C", 4, "partner_type"),
        ("import-unconverted", "D", 4, "country"),
    ]


def test_import_csv_changes_are_located_by_physical_line(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes(
        'funding_id;notes;amount;currency\nf-1;"dos\nlíneas";1.500,50;US$\nf-2;;2.000;eur\n'.encode("cp1252")
    )
    into = tmp_path / "funding.csv"
    schema = str(ROOT / "schemas" / "funding.schema.yaml")
    code, output = run_cli("import", str(source), "--into", str(into), "--schema", schema, "--lang", "en")
    assert (
        "Cells changed (3):\n"
        "  line  column  field     before → after\n"
        "  2     C       amount    '1.500,50' → '1500.50'\n"
        "  2     D       currency  'US$' → 'USD'\n"
        "  4     D       currency  'eur' → 'EUR'\n"
    ) in output
    # line 4, not row 3: the cell above spans two lines; "2.000" is ambiguous, so it is not guessed
    assert f"✗ {source.as_posix()} line 4, column C (amount): '2.000' can be read two ways" in output
    assert "✓" not in output and code == 1


def test_import_refuses_an_ambiguous_number_with_exit_1(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text('funding_id,amount\nf-1,"1,500"\n', encoding="utf-8")
    schema = str(ROOT / "schemas" / "funding.schema.yaml")
    code, output = run_cli(
        "import", str(source), "--into", str(tmp_path / "f.csv"), "--schema", schema, "--lang", "en"
    )
    assert code == 1 and "✓ Everything converted" not in output
    assert "✗ 1 cell not converted: copied as it is; fix it before validating." in output


def test_ambiguous_day_month_dates_need_date_order(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text(
        "funding_id,value_date,period_start,period_end\nf-1,03/12/2025,30/11/2016,04/04/2020\n",
        encoding="utf-8",
    )
    schema = str(ROOT / "schemas" / "funding.schema.yaml")

    def run(*extra: str) -> tuple[int, str, dict[str, str]]:
        into = tmp_path / "funding.csv"
        code, output = run_cli(
            "import", str(source), "--into", str(into), "--schema", schema, "--force", *extra
        )
        with into.open(encoding="utf-8", newline="") as fh:
            return code, output, next(csv.DictReader(fh))

    code, output, row = run("--lang", "es")
    assert code == 1 and row["value_date"] == "03/12/2025"  # copied as it is, not guessed
    assert (
        "línea 2, columna B (value_date): «03/12/2025» puede ser el 3 de diciembre o el 12 de marzo "
        "de 2025; se copió tal cual.\n"
        "    → Cómo corregirlo: La herramienta no adivina el orden: vuelve a importar con --date-order "
        "dmy (día/mes/año) o --date-order mdy (mes/día/año), o escribe la fecha como AAAA-MM-DD."
    ) in output
    assert (row["period_start"], row["period_end"]) == ("2016-11-30", "2020-04-04")  # one reading only
    code, output, row = run("--date-order", "dmy", "--lang", "en")
    assert code == 0 and row["value_date"] == "2025-12-03"
    assert "2     B       value_date    '03/12/2025' → '2025-12-03'" in output
    code, output, row = run("--date-order", "mdy", "--lang", "en")
    assert code == 1 and row["value_date"] == "2025-03-12"
    assert "'30/11/2016' could not be converted into a YYYY-MM-DD date: read as month/day/year" in output
    code, output = run_cli("import", str(source), "--into", str(tmp_path / "x.csv"), "--date-order", "ymd")
    assert code == 2


def test_append_adds_rows_in_the_tables_order_and_checks_keys(tmp_path: Path) -> None:
    folder = scratch_catalog(tmp_path)
    table = folder / "partners.csv"
    before = table.read_bytes()
    header = before.decode("utf-8").splitlines()[0]
    existing_id = before.decode("utf-8").splitlines()[1].split(",")[0]
    batch = partners_workbook(
        tmp_path / "nuevos.xlsx",
        [
            ["lima-pe", "Municipalidad de Lima", "Gobierno local", "Perú", "https://example.org/a"],
            ["ejemplo-ec", "Municipio de Ejemplo", "local_government", "EC", "https://example.org/b"],
        ],
    )
    code, output = run_cli("import", str(batch), "--into", str(table), "--append", "--lang", "en")
    assert code == 0, output
    assert "Appended: " in output and "2 new rows" in output
    after = table.read_bytes()
    assert after.startswith(before)  # the existing rows byte for byte
    added = after[len(before) :].decode("utf-8").splitlines()
    names = header.split(",")
    assert len(added) == 2 and header not in added
    assert dict(zip(names, added[0].split(","), strict=True)) | {} == {
        **dict.fromkeys(names, ""),
        "partner_id": "lima-pe",
        "name_es": "Municipalidad de Lima",
        "partner_type": "local_government",
        "country": "PE",
        "source_url": "https://example.org/a",
    }
    assert not [f for f in validate(folder).errors if f.path and f.path.endswith("partners.csv")]
    # the same batch again, plus a key the table has and one repeated inside the batch
    again = partners_workbook(
        tmp_path / "otra-vez.xlsx",
        [
            ["lima-pe", "Municipalidad de Lima", "local_government", "PE", "https://example.org/a"],
            [existing_id, "Otro", "local_government", "FR", "https://example.org/c"],
            ["cusco-pe", "Cusco", "local_government", "PE", "https://example.org/d"],
            ["cusco-pe", "Cusco bis", "local_government", "PE", "https://example.org/e"],
        ],
    )
    code, output = run_cli("import", str(again), "--into", str(table), "--append", "--lang", "en")
    assert code == 1 and table.read_bytes() == after  # nothing written
    lines = len(before.decode("utf-8").splitlines())
    assert (
        f"✗ Sheet 'partners', cell A2 (partner_id): 'lima-pe' (partner_id) is already on line "
        f"{lines + 1} of {table.as_posix()}: a table cannot have two rows with the same key."
    ) in output
    assert f"cell A3 (partner_id): '{existing_id}' (partner_id) is already on line 2 of " in output
    assert "cell A5 (partner_id): 'cusco-pe' (partner_id) is already on line 4 of this file" in output
    assert output.endswith(
        f"✗ Nothing was added to {table.as_posix()}: fix what is shown above and import again with "
        "--append.\n"
    )


def test_append_usage_errors(tmp_path: Path) -> None:
    batch = partners_workbook(tmp_path / "b.xlsx", [["a", "A", "local_government", "PE", "https://e.org"]])
    schema = str(ROOT / "schemas" / "partners.schema.yaml")
    missing = tmp_path / "partners.csv"
    code, output = run_cli("import", str(batch), "--into", str(missing), "--append", "--schema", schema)
    assert code == 2 and "--append adds rows to a table that exists" in output and not missing.exists()
    missing.write_text("partner_id;name_es\nx;X\n", encoding="utf-8")
    code, output = run_cli(
        "import", str(batch), "--into", str(missing), "--append", "--force", "--lang", "en"
    )
    assert code == 2 and "not both" in output
    code, output = run_cli(
        "import", str(batch), "--into", str(missing), "--append", "--schema", schema, "--lang", "en"
    )
    assert (
        code == 2 and f"convert it first with: ciudades import {missing} --into {missing} --force" in output
    )
    missing.write_text("partner_id,name_es\nx,X\n", encoding="utf-8")
    code, output = run_cli(
        "import", str(batch), "--into", str(missing), "--append", "--schema", schema, "--lang", "en"
    )
    assert code == 2 and "has no columns partner_type, country, source_url, which hold data" in output
    assert missing.read_text(encoding="utf-8") == "partner_id,name_es\nx,X\n"


def test_import_explains_a_pattern_in_words_and_a_list_with_its_separator(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    source.write_text("agreement_id,subjects\nAcuerdo Lima 1,clima;mobility\n", encoding="utf-8")
    schema = str(ROOT / "schemas" / "agreements.schema.yaml")
    code, output = run_cli(
        "import", str(source), "--into", str(tmp_path / "a.csv"), "--schema", schema, "--lang", "es"
    )
    assert code == 1
    assert (
        "(agreement_id): «Acuerdo Lima 1» no se pudo convertir en un valor con el formato de "
        "«agreement_id»: ninguna conversión automática lo logra; se copió tal cual.\n"
        "    → Cómo corregirlo: Corrige la celda y vuelve a importar: el campo «agreement_id» pide: "
        "identificador único en minúsculas con guiones; por ejemplo, cdmx-berlin-hermanamiento-1993.\n"
    ) in output
    assert "[a-z0-9]" not in output  # never the regular expression
    assert "usa estos códigos (varios, separados por «;»): climate, environment, mobility" in output
