"""A validation report as a workbook: the data of every table with the bad cells marked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from toolkit.errors import ToolkitError
from toolkit.report.findings import Report, words
from toolkit.review.workbook import AUTHOR, save_workbook

_FILL = {"error": "F8CBAD", "warning": "FFE699", "info": "BDD7EE"}


def _safe_text(value: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def _sheet_titles(report: Report) -> dict[str, str]:
    """A unique worksheet title (at most 31 characters) for every file of the report."""
    titles: dict[str, str] = {}
    used: set[str] = set()
    several = len(report.tables) > 1
    for ds, tables in report.tables.items():
        for name, path in tables.items():
            base = f"{ds[:14]}-{name}" if several else name
            base = re.sub(r"[\[\]:*?/\\']", "-", base)[:31]
            title, n = base, 2
            while title.lower() in used:
                title = f"{base[:28]}-{n}"
                n += 1
            used.add(title.lower())
            titles[path] = title
    return titles


def write_xlsx_report(report: Report, out: Path, lang: str) -> Path:
    """The validated tables as a workbook: each cell with a finding filled and commented, and a first
    sheet listing every finding with a link to its cell."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink

    from toolkit.validation.rawcsv import read_table

    es = lang == "es"
    w = words(lang)
    wb = Workbook()
    summary = wb.active
    summary.title = "errores" if es else "errors"
    headers = (
        ["gravedad", "código", "archivo", "hoja", "celda", "campo", "valor", "problema", "cómo corregirlo"]
        if es
        else ["severity", "code", "file", "sheet", "cell", "field", "value", "problem", "how to fix"]
    )
    summary.append(headers)
    for cell in summary[1]:
        cell.font = Font(bold=True)
    titles = _sheet_titles(report)
    sheets: dict[str, Any] = {}
    for path, title in titles.items():
        ws = wb.create_sheet(title)
        sheets[path] = ws
        table, _ = read_table(Path(path), path, {}, [])
        if table is None:
            continue
        for row in [table.header, *table.rows]:
            ws.append([_safe_text(v) for v in row])
        for row in ws.iter_rows():
            for cell in row:
                cell.data_type = "s"  # data, never formulas: "=1+1" in a CSV stays text
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    notes: dict[tuple[str, str], list[str]] = {}
    fills: dict[tuple[str, str], str] = {}
    for f in report.findings:
        ws = sheets.get(f.path or "")
        target = None
        if ws is not None and f.row:
            target = f"{f.column or 'A'}{f.row}"
            key = (f.path or "", target)
            mark = "✗" if f.severity == "error" else "!"
            notes.setdefault(key, []).append(f"{mark} {f.message(lang)}\n→ {w['fix']}: {f.hint(lang)}")
            if fills.get(key) != "error":
                fills[key] = f.severity
        summary.append(
            [
                w.get(f.severity, f.severity),
                f.code,
                f.path or "",
                ws.title if ws is not None else "",
                target or "",
                f.field or "",
                _safe_text(f.value or ""),
                _safe_text(f.message(lang)),
                _safe_text(f.hint(lang)),
            ]
        )
        row = summary.max_row
        for cell in summary[row]:
            cell.data_type = "s"
        if target and ws is not None:
            link = summary.cell(row=row, column=5)
            # an internal link (location), not an external "#…" target: Excel and LibreOffice jump to it
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{ws.title}'!{target}")
            link.font = Font(color="0563C1", underline="single")
    for (path, ref), texts in notes.items():
        cell = sheets[path][ref]
        cell.fill = PatternFill("solid", fgColor=_FILL[fills[(path, ref)]])
        note = Comment(_safe_text("\n\n".join(texts)), AUTHOR)
        note.width, note.height = 360, 160
        cell.comment = note
    summary.freeze_panes = "A2"
    summary.auto_filter.ref = f"A1:I{max(summary.max_row, 1)}"
    for letter, width in zip("ABCDEFGHI", (11, 20, 40, 20, 8, 18, 24, 60, 60), strict=True):
        summary.column_dimensions[letter].width = width
    if not report.findings:
        summary.append(["", "", "", "", "", "", "", w["nothing"], ""])
    try:
        save_workbook(wb, out)
    except OSError as ex:
        raise ToolkitError(
            f"No se pudo escribir «{out}»: {ex.strerror}.", f"Could not write '{out}': {ex.strerror}."
        ) from None
    return out
