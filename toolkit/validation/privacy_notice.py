"""The personal-data notice that ``build`` and ``publish`` show, boxed, where nobody can miss it.

Validation reports personal data as warnings among all the others; before anything goes public the
same cells are listed again on their own: how many, where (file, line, column, field), what kind,
the value partly masked, and how to fix it. A rich panel on a terminal; a plain block of lines when
the output is not a terminal or ``CI=true``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from toolkit.report.findings import Finding, Report
from toolkit.validation.privacy import KINDS, personal_data_span

__all__ = ["PersonalCell", "personal_cells", "render_plain", "render_rich", "scan_packages"]

CODE = "personal-data"
MAX_LISTED = 25
WIDTH = 78
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class PersonalCell:
    """One cell that looks like personal data, as the notice shows it."""

    path: str
    line: int | None
    row: int | None
    column: str | None
    field: str
    kind: str  # a key of toolkit.validation.privacy.KINDS
    masked: str


def _clean(text: str) -> str:
    """Data text as it may reach a terminal: no control characters (escape sequences)."""
    return _CONTROL.sub("?", text)


def mask(text: str, kind: str) -> str:
    """Enough of a value to find it in the file, not enough to read it."""
    found = personal_data_span(text)
    if found is None or found[0] != kind:  # e.g. the value was cut short in the finding
        return _clean(text[:2]) + "•••"
    piece = text[found[1] : found[2]]
    if kind == "email":
        local, _, domain = piece.partition("@")
        shown = f"{local[:1]}•••@{domain}"
    elif kind == "phone":
        digits = sum(c.isdigit() for c in piece)
        seen = 0
        chars = []
        for c in piece:
            if c.isdigit():
                seen += 1
                chars.append(c if seen > digits - 2 else "•")
            else:
                chars.append(c)
        shown = "".join(chars)
    else:  # CURP, RFC: the first two and last two characters
        shown = piece[:2] + "•" * max(len(piece) - 4, 3) + piece[-2:]
    return _clean(shown)


def _kind(finding: Finding) -> str:
    for kind, (_es, en) in KINDS.items():
        if en in finding.message_en:
            return kind
    found = personal_data_span(finding.value or "")
    return found[0] if found else "email"


def personal_cells(findings: Iterable[Finding]) -> list[PersonalCell]:
    """The personal-data findings among ``findings``, one per cell, in file and line order."""
    cells = []
    seen = set()
    for f in findings:
        if f.code != CODE:
            continue
        key = (f.path, f.row, f.field)
        if key in seen:
            continue
        seen.add(key)
        kind = _kind(f)
        cells.append(
            PersonalCell(
                path=_clean(f.path or ""),
                line=f.line,
                row=f.row,
                column=f.column,
                field=_clean(f.field or ""),
                kind=kind,
                masked=mask(f.value or "", kind),
            )
        )
    return cells


def scan_packages(packages: Iterable[object]) -> list[Finding]:
    """Scan packages already built (``publish --packages``), whose validation report is not at hand:
    every CSV against the schema its ``datapackage.json`` carries inline."""
    from toolkit.catalog.model import Dataset, ResourceSpec, display_path
    from toolkit.validation.privacy import check_resource
    from toolkit.validation.rawcsv import read_table

    found: list[Finding] = []
    for pkg in packages:
        descriptor = getattr(pkg, "descriptor", {})
        folder = getattr(pkg, "folder", None)
        if folder is None or "datasets" in descriptor:  # the combined package repeats the others
            continue
        ds = Dataset(
            str(descriptor.get("name", folder.name)), folder, folder / "datapackage.json", descriptor
        )
        for res in descriptor.get("resources") or []:
            schema = res.get("schema")
            path = folder / str(res.get("path", ""))
            if not isinstance(schema, dict) or path.parent != folder or not path.is_file():
                continue
            spec = ResourceSpec(str(res.get("name")), path, res, schema)
            table, _ = read_table(path, display_path(path), {}, spec.field_names)
            if table is not None:
                found.extend(f for f in check_resource(ds, spec, table) if f.code == CODE)
    return found


# ── rendering ────────────────────────────────────────────────────────────────────────────────────


def _texts(cells: list[PersonalCell], lang: str) -> tuple[str, list[str], list[str]]:
    """Title, one line per listed cell, and the lines saying how to fix it."""
    es = lang == "es"
    n = len(cells)
    if es:
        title = (
            "AVISO: 1 celda parece contener datos personales"
            if n == 1
            else f"AVISO: {n} celdas parecen contener datos personales"
        )
    else:
        title = (
            "WARNING: 1 cell looks like personal data"
            if n == 1
            else f"WARNING: {n} cells look like personal data"
        )
    lines = []
    for c in cells[:MAX_LISTED]:
        kind = KINDS[c.kind][0 if es else 1]
        where = [c.path]
        if c.line is not None:
            where.append(f"línea {c.line}" if es else f"line {c.line}")
        if c.column:
            where.append(f"columna {c.column}" if es else f"column {c.column}")
        field = f"«{c.field}»" if es else f"'{c.field}'"
        lines.append(f"- {', '.join(where)} ({field}): {kind}: {c.masked}")
    if n > MAX_LISTED:
        more = n - MAX_LISTED
        lines.append(
            f"… y {more} más; «ciudades validate» las muestra todas."
            if es
            else f"… and {more} more; 'ciudades validate' lists them all."
        )
    example = cells[0].field if cells else "contacto"
    if es:
        fix = [
            "Cómo corregirlo: no publiques datos personales. Quítalos del CSV o, si se trata de un",
            "contacto institucional público (un correo o teléfono de oficina), declara el campo como",
            "contacto público en su esquema (schemas/*.schema.yaml):",
            "    fields:",
            f"      - name: {example}",
            "        publicContact: true",
        ]
    else:
        fix = [
            "How to fix it: do not publish personal data. Remove it from the CSV or, if it is a public",
            "institutional contact (an office e-mail or phone), declare the field a public contact",
            "field in its schema (schemas/*.schema.yaml):",
            "    fields:",
            f"      - name: {example}",
            "        publicContact: true",
        ]
    return title, lines, fix


def render_plain(cells: list[PersonalCell], lang: str) -> str:
    """The notice as a block of plain lines (logs, CI); empty when there is nothing to say."""
    if not cells:
        return ""
    title, lines, fix = _texts(cells, lang)
    rule = "!" * WIDTH
    return "\n".join(["", rule, f"!! {title}", rule, *lines, "", *fix, rule]) + "\n"


def render_rich(cells: list[PersonalCell], lang: str) -> object | None:
    """The notice as a rich panel for a terminal, or None when there is nothing to say."""
    if not cells:
        return None
    from rich.console import Group
    from rich.panel import Panel
    from rich.text import Text

    title, lines, fix = _texts(cells, lang)
    # Text, never markup: the values come from the data and may contain "[...]".
    prose, snippet = fix[:3], fix[3:]  # the prose rewraps to the terminal; the YAML must not
    body = Group(
        Text("\n".join(lines)),
        Text(""),
        Text(" ".join(prose), style="bold"),
        Text("\n".join(snippet), no_wrap=True),
    )
    return Panel(body, title=Text(title, style="bold"), border_style="yellow", expand=False)


def cells_of(report: Report) -> list[PersonalCell]:
    return personal_cells(report.findings)
