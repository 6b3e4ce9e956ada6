"""The entry workbook: a spreadsheet built from a schema, with drop-downs, checks and bilingual notes.

Many contributors work in Excel or LibreOffice. The template guides them (drop-downs, date and number
checks, bilingual header notes); ``ciudades import`` (:mod:`toolkit.review.importer`) turns their work
into the catalog's CSV.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from toolkit.errors import UsageError
from toolkit.report.findings import column_letter
from toolkit.review.workbook import (
    AUTHOR,
    SchemaInfo,
    load_schema,
    refuse_overwrite,
    save_workbook,
    write_atomically,
)

_TYPE_WORDS = {
    "string": ("texto", "text"),
    "number": ("número con punto decimal, p. ej. 1500.50", "number with a decimal point, e.g. 1500.50"),
    "integer": ("número entero", "whole number"),
    "boolean": ("true (sí) o false (no)", "true (yes) or false (no)"),
    "date": ("fecha AAAA-MM-DD", "date YYYY-MM-DD"),
    "datetime": ("fecha y hora AAAA-MM-DDThh:mm:ss", "date and time YYYY-MM-DDThh:mm:ss"),
    "year": ("año, p. ej. 2016", "year, e.g. 2016"),
}
_CODES_SHEET = "listas"
_HEADER_FILL = "DDEBF7"
_MAX_INLINE_LIST = 255  # Excel's limit for a list typed into a data validation


def _format_words(f: dict[str, Any], info: SchemaInfo) -> tuple[str, str]:
    kind = f.get("type", "string")
    es, en = _TYPE_WORDS.get(kind, (kind, kind))
    if f.get("format") == "uri":
        es, en = "dirección web completa (https://…)", "full web address (https://…)"
    constraints = f.get("constraints") or {}
    extra_es, extra_en = [], []
    if constraints.get("required"):
        extra_es.append("obligatorio")
        extra_en.append("required")
    if constraints.get("unique"):
        extra_es.append("único")
        extra_en.append("unique")
    if f.get("codelist"):
        extra_es.append(f"lista «{f['codelist']}»")
        extra_en.append(f"list '{f['codelist']}'")
    if f.get("listSeparator"):
        sep = f["listSeparator"]
        extra_es.append(f"varios valores separados por «{sep}»")
        extra_en.append(f"several values separated by '{sep}'")
    if constraints.get("maxLength"):
        extra_es.append(f"máximo {constraints['maxLength']} caracteres")
        extra_en.append(f"at most {constraints['maxLength']} characters")
    if f.get("example"):
        extra_es.append(f"ejemplo: {f['example']}")
        extra_en.append(f"example: {f['example']}")
    return "; ".join([es, *extra_es]), "; ".join([en, *extra_en])


def _header_note(f: dict[str, Any], info: SchemaInfo) -> str:
    fmt_es, fmt_en = _format_words(f, info)
    parts = [
        f"{f.get('title') or f['name']} / {f.get('title_en') or f.get('title') or f['name']}",
        "",
        f"ES: {f.get('description', '')}".rstrip(),
        f"Formato: {fmt_es}",
        "",
        f"EN: {f.get('description_en', '')}".rstrip(),
        f"Format: {fmt_en}",
    ]
    return "\n".join(parts)


def _instructions(ws: Any, info: SchemaInfo, data_sheet: str) -> None:
    from openpyxl.styles import Alignment, Font

    title_es = info.data.get("title") or info.name
    title_en = info.data.get("title_en") or title_es
    rows: list[list[str]] = [
        [f"{title_es} / {title_en}"],
        [],
        ["Instrucciones (español)"],
        [f"1. Escribe una fila por registro en la hoja «{data_sheet}», debajo de los encabezados."],
        ["2. No cambies ni muevas los encabezados: son los nombres de los campos del esquema."],
        ["3. Pasa el cursor sobre un encabezado para ver qué va en la columna y en qué formato."],
        ["4. En las columnas con lista desplegable, elige un valor de la lista."],
        ["5. Fechas: escríbelas como AAAA-MM-DD (p. ej. 2016-11-30) o con el formato de fecha de tu hoja."],
        ["6. Números: sin separador de miles ni símbolo de moneda; la moneda va en su propia columna."],
        ["7. Escribe valores, no fórmulas: las fórmulas se importan como texto."],
        [
            "8. Guarda el libro y conviértelo: ciudades import LIBRO.xlsx "
            f"--into datasets/CONJUNTO/{info.name}.csv"
        ],
        [],
        ["Instructions (English)"],
        [f"1. Write one row per record in the '{data_sheet}' sheet, below the headers."],
        ["2. Do not change or move the headers: they are the schema's field names."],
        ["3. Hover over a header to see what goes in the column and in which format."],
        ["4. In columns with a drop-down list, pick a value from the list."],
        ["5. Dates: write them as YYYY-MM-DD (e.g. 2016-11-30) or with your sheet's date format."],
        ["6. Numbers: no thousands separator or currency symbol; the currency has its own column."],
        ["7. Write values, not formulas: formulas are imported as text."],
        [
            "8. Save the workbook and convert it: ciudades import BOOK.xlsx "
            f"--into datasets/DATASET/{info.name}.csv"
        ],
        [],
        ["columna / column", "campo / field", "título", "title", "formato", "format"],
    ]
    for i, f in enumerate(info.fields, start=1):
        fmt_es, fmt_en = _format_words(f, info)
        rows.append(
            [
                column_letter(i) or "",
                f["name"],
                str(f.get("title") or ""),
                str(f.get("title_en") or ""),
                fmt_es,
                fmt_en,
            ]
        )
    for row in rows:
        ws.append(row)
    for cell in (ws["A1"], ws["A3"], ws["A13"]):
        cell.font = Font(bold=True, size=12 if cell.row > 1 else 14)
    header_row = 23
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (14, 24, 30, 30, 50, 50), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")


def build_template(schema: str | Path, out: Path, *, force: bool = False) -> Path:
    """Write an entry workbook for ``schema`` to ``out`` (``.xlsx``), or the header row of the
    canonical CSV (``.csv``), and return it; any other file name is refused."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = Path(out).suffix.lower()
    if kind not in (".xlsx", ".csv"):
        raise UsageError(
            f"«{out}»: la plantilla se escribe como libro de Excel (.xlsx) o como CSV (.csv); "
            "termina el nombre en .xlsx o en .csv.",
            f"'{out}': the template is written as an Excel workbook (.xlsx) or as a CSV (.csv); "
            "end the name in .xlsx or .csv.",
        )
    refuse_overwrite(out, force)
    info = load_schema(schema)
    if kind == ".csv":  # the header row of the canonical CSV: UTF-8, commas, the schema's order
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow([f["name"] for f in info.fields])
        write_atomically(out, header.getvalue().encode("utf-8"))
        return out
    wb = Workbook()
    ws = wb.active
    ws.title = info.name[:31]
    instructions = wb.create_sheet("instrucciones-instructions")
    lists = wb.create_sheet(_CODES_SHEET)
    lists.sheet_state = "hidden"
    list_column = 0
    ranges: dict[str, str] = {}

    def list_range(key: str, values: list[str]) -> str:
        nonlocal list_column
        if key not in ranges:
            list_column += 1
            letter = column_letter(list_column)
            lists.cell(row=1, column=list_column, value=key)
            for r, value in enumerate(values, start=2):
                lists.cell(row=r, column=list_column, value=value).data_type = "s"
            ranges[key] = f"{_CODES_SHEET}!${letter}$2:${letter}${len(values) + 1}"
        return ranges[key]

    last_row = 1_048_576
    for i, f in enumerate(info.fields, start=1):
        letter = column_letter(i)
        cell = ws.cell(row=1, column=i, value=f["name"])
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=_HEADER_FILL)
        note = Comment(_header_note(f, info), AUTHOR)
        note.width, note.height = 420, 260
        cell.comment = note
        ws.column_dimensions[letter].width = max(14, min(40, len(f["name"]) + 4))
        area = f"{letter}2:{letter}{last_row}"
        kind = f.get("type", "string")
        constraints = f.get("constraints") or {}
        title_es = str(f.get("title") or f["name"])
        title_en = str(f.get("title_en") or title_es)
        dv: DataValidation | None = None
        allowed = info.allowed(f)
        if allowed:
            inline = ",".join(allowed)
            if len(inline) <= _MAX_INLINE_LIST and not any("," in v for v in allowed):
                formula = f'"{inline}"'
            else:
                formula = list_range(str(f.get("codelist") or f["name"]), allowed)
            several = bool(f.get("listSeparator"))
            # A cell of a list field holds several codes ("climate;mobility"): warn, do not block.
            dv = DataValidation(type="list", formula1=formula, allow_blank=True)
            dv.errorStyle = "information" if several else "stop"
        elif kind == "boolean":
            dv = DataValidation(type="list", formula1='"true,false"', allow_blank=True)
        elif kind == "date":
            dv = DataValidation(
                type="date", operator="between", formula1="DATE(1900,1,1)", formula2="DATE(2100,12,31)"
            )
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif kind in ("number", "integer"):
            low = constraints.get("minimum", -1e15)
            high = constraints.get("maximum", 1e15)
            dv = DataValidation(
                type="whole" if kind == "integer" else "decimal",
                operator="between",
                formula1=str(low),
                formula2=str(high),
            )
        elif kind == "string":
            ws.column_dimensions[letter].number_format = "@"  # IDs like 1-2 must not become dates
            if constraints.get("maxLength"):
                dv = DataValidation(
                    type="textLength", operator="lessThanOrEqual", formula1=str(constraints["maxLength"])
                )
        if dv is not None:
            fmt_es, fmt_en = _format_words(f, info)
            dv.allow_blank = True
            dv.showErrorMessage = True
            dv.showInputMessage = True
            dv.promptTitle = title_es[:32]
            dv.prompt = f"{fmt_es} / {fmt_en}"[:255]
            dv.errorTitle = "Valor no válido / invalid value"
            dv.error = f"{title_es}: {fmt_es} / {title_en}: {fmt_en}"[:255]
            ws.add_data_validation(dv)
            dv.add(area)
    ws.freeze_panes = "A2"
    _instructions(instructions, info, ws.title)
    if not ranges:
        wb.remove(lists)
    save_workbook(wb, out)
    return out
