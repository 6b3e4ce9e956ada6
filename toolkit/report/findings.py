"""Findings (problems found in the data) and the report that collects them, with its renderers.

A :class:`Finding` holds its message and fix in Spanish and English; a renderer picks one language.
The JSON shape (``Report.to_dict``) is documented in ``docs/report-format.md`` and is stable.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from toolkit.errors import shown
from toolkit.report.messages import CODES, fields

SEVERITIES = ("error", "warning", "info")
REPORT_VERSION = 1


def column_letter(position: int | None) -> str | None:
    """Spreadsheet column letter of a 1-based column position (1 → A, 27 → AA)."""
    if not position or position < 1:
        return None
    letters = ""
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class Finding:
    """One problem found in the data or its metadata."""

    code: str
    severity: str
    message_es: str
    message_en: str
    hint_es: str
    hint_en: str
    dataset: str | None = None
    resource: str | None = None
    path: str | None = None
    row: int | None = None
    line: int | None = None
    field: str | None = None
    column: str | None = None
    value: str | None = None

    def message(self, lang: str) -> str:
        return self.message_es if lang == "es" else self.message_en

    def hint(self, lang: str) -> str:
        return self.hint_es if lang == "es" else self.hint_en

    def to_dict(self, lang: str) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "dataset": self.dataset,
            "resource": self.resource,
            "path": self.path,
            "row": self.row,
            "line": self.line,
            "field": self.field,
            "column": self.column,
            "value": self.value,
            "message": self.message(lang),
            "hint": self.hint(lang),
        }

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.path or "", self.line or 0, self.row or 0, self.column or "", self.code)


MAX_VALUE_CHARS = 200


def make_finding(
    code: str,
    *,
    severity: str | None = None,
    dataset: str | None = None,
    resource: str | None = None,
    path: str | None = None,
    row: int | None = None,
    line: int | None = None,
    field: str | None = None,
    column: str | None = None,
    value: Any = None,
    **params: Any,
) -> Finding:
    """Build a finding from its code's templates; ``params`` fill the templates."""
    spec = CODES[code]
    shown = None if value is None else str(value)
    if shown is not None and len(shown) > MAX_VALUE_CHARS:
        shown = shown[:MAX_VALUE_CHARS] + "…"
    ctx = {"field": field, "column": column, "value": shown, "line": line, "row": row, **params}
    for key in ("detail", "expected"):  # English falls back to the Spanish text when not given
        ctx.setdefault(f"{key}_en", ctx.get(key))
    filled = fields(ctx)
    return Finding(
        code=code,
        severity=severity or spec.severity,
        message_es=spec.message_es.format_map(filled),
        message_en=spec.message_en.format_map(filled),
        hint_es=spec.hint_es.format_map(filled),
        hint_en=spec.hint_en.format_map(filled),
        dataset=dataset,
        resource=resource,
        path=path,
        row=row,
        line=line,
        field=field,
        column=column,
        value=shown,
    )


@dataclass
class Report:
    """The result of a validation: findings plus counts of what was checked."""

    findings: list[Finding] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    resources: int = 0
    rows: int = 0
    skipped: list[str] = field(default_factory=list)
    # dataset → resource name → file as shown to users; lets renderers list tables without findings
    tables: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def for_dataset(self, slug: str) -> Report:
        return Report(
            findings=[f for f in self.findings if f.dataset == slug],
            datasets=[slug],
        )

    def stats(self) -> dict[str, Any]:
        by_code: dict[str, int] = defaultdict(int)
        for f in self.findings:
            by_code[f.code] += 1
        return {
            "datasets": len(self.datasets),
            "resources": self.resources,
            "rows": self.rows,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "infos": len(self.findings) - len(self.errors) - len(self.warnings),
            "by_code": dict(sorted(by_code.items())),
        }

    def to_dict(self, lang: str = "es") -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "valid": self.valid,
            "lang": lang,
            "stats": self.stats(),
            "datasets": list(self.datasets),
            "skipped": list(self.skipped),
            "findings": [f.to_dict(lang) for f in self.findings],
        }


def relocate(finding: Finding, **changes: Any) -> Finding:
    return replace(finding, **changes)


# ── renderers ───────────────────────────────────────────────────────────────────────────────────


def render_json(report: Report, lang: str) -> str:
    """``json.dumps(report.to_dict(lang), ensure_ascii=False, indent=2)``, byte for byte, with the
    findings written by json's C encoder: an indent makes json use its pure-Python one (8 ms for a
    thousand findings, 2 ms this way). Only the separators carry line breaks (in a JSON string a
    line break is ``\\n``), so the ones between findings are found and indented as json would."""
    data = report.to_dict(lang)
    found = data["findings"]
    if not found or not all(found) or {type(v) for f in found for v in f.values()} - {str, int, type(None)}:
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    data["findings"] = []
    head = json.dumps(data, ensure_ascii=False, indent=2).removesuffix("[]\n}")
    body = json.JSONEncoder(ensure_ascii=False, separators=(",\n      ", ": ")).encode(found)[2:-2]
    return (
        head
        + "[\n    {\n      "
        + body.replace("},\n      {", "\n    },\n    {\n      ")
        + "\n    }\n  ]\n}\n"
    )


_WORDS: dict[str, dict[str, Any]] = {
    "es": {
        "valid": "Válido",
        "invalid": "No válido",
        "errors": "errores",
        "error": "error",
        "warnings": "advertencias",
        "warning": "advertencia",
        "infos": "avisos",
        "info": "aviso",
        "line": "línea",
        "row": "fila",
        "col": "columna",
        "more": "y {n} más",
        "fix": "Cómo corregirlo",
        "checked": "Revisado: {d}, {r}, {n}.",
        "units": ("conjunto de datos", "conjuntos de datos", "tabla", "tablas", "fila", "filas"),
        "nothing": "sin problemas",
        "skipped": "Omitidos",
    },
    "en": {
        "valid": "Valid",
        "invalid": "Invalid",
        "errors": "errors",
        "error": "error",
        "warnings": "warnings",
        "warning": "warning",
        "infos": "notices",
        "info": "notice",
        "line": "line",
        "row": "row",
        "col": "column",
        "more": "and {n} more",
        "fix": "How to fix",
        "checked": "Checked: {d}, {r}, {n}.",
        "units": ("dataset", "datasets", "table", "tables", "row", "rows"),
        "nothing": "no problems",
        "skipped": "Skipped",
    },
}


def words(lang: str) -> dict[str, Any]:
    return _WORDS["es" if lang == "es" else "en"]


def location(f: Finding, lang: str) -> str:
    """Where a finding is, in words; column and field names come from the data, printed escaped."""
    w = words(lang)
    parts = []
    if f.line:
        parts.append(f"{w['line']} {f.line}")
    if f.row and f.row != f.line:
        parts.append(f"{w['row']} {f.row}")
    if f.column:
        parts.append(f"{w['col']} {f.column}" + (f" ({f.field})" if f.field else ""))
    elif f.field:
        parts.append(f.field)
    return shown(", ".join(parts))


def count_phrase(n: int, severity: str, lang: str) -> str:
    w = words(lang)
    return f"{n} {w[severity] if n == 1 else w[severity + 's']}"


def group(findings: Iterable[Finding]) -> dict[str, dict[str, list[Finding]]]:
    """Findings grouped by file (or dataset) and then by code, in order of first appearance."""
    out: dict[str, dict[str, list[Finding]]] = {}
    for f in findings:
        key = f.path or f.dataset or "-"
        out.setdefault(key, {}).setdefault(f.code, []).append(f)
    return out


def render_text(report: Report, lang: str, *, color: bool = False, first: int = 5) -> str:
    """Readable text: per file, per code, with counts, first locations and how to fix. Text from the
    data (paths, values in messages) has its control characters escaped: it goes to a terminal."""
    w = words(lang)

    def paint(text: str, style: str) -> str:
        codes = {"red": "31", "yellow": "33", "green": "32", "bold": "1", "dim": "2", "cyan": "36"}
        return f"\x1b[{codes[style]}m{text}\x1b[0m" if color else text

    lines: list[str] = []
    for path, codes in group(report.findings).items():
        all_f = [f for fs in codes.values() for f in fs]
        n_err = sum(f.severity == "error" for f in all_f)
        n_warn = sum(f.severity == "warning" for f in all_f)
        counts = ", ".join(
            count_phrase(n, s, lang) for n, s in ((n_err, "error"), (n_warn, "warning")) if n
        ) or count_phrase(len(all_f), "info", lang)
        lines.append(paint(shown(path), "bold") + f" — {counts}")
        for code, fs in codes.items():
            spec = CODES[code]
            sev = fs[0].severity
            mark = paint("✗", "red") if sev == "error" else paint("!", "yellow") if sev == "warning" else "i"
            title = spec.title_es if lang == "es" else spec.title_en
            lines.append(f"  {mark} {title} [{code}] ×{len(fs)}")
            same_fix = len({f.hint(lang) for f in fs[:first]}) == 1
            for f in fs[:first]:
                loc = location(f, lang)
                lines.append(f"      {paint(loc, 'cyan') + ': ' if loc else ''}{shown(f.message(lang))}")
                if not same_fix:
                    lines.append(f"        → {w['fix']}: {shown(f.hint(lang))}")
            if len(fs) > first:
                lines.append("      " + paint("… " + w["more"].format(n=len(fs) - first), "dim"))
            if same_fix:
                lines.append(f"      → {w['fix']}: {shown(fs[0].hint(lang))}")
        lines.append("")
    st = report.stats()
    u = w["units"]

    def plural(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    lines.append(
        w["checked"].format(
            d=plural(st["datasets"], u[0], u[1]),
            r=plural(st["resources"], u[2], u[3]),
            n=plural(st["rows"], u[4], u[5]),
        )
    )
    if report.skipped:
        lines.append(f"{w['skipped']}: {shown(', '.join(report.skipped))}")
    verdict = w["valid"] if report.valid else w["invalid"]
    summary = (
        ", ".join(count_phrase(st[k + "s"], k, lang) for k in ("error", "warning") if st[k + "s"])
        or w["nothing"]
    )
    lines.append(
        paint(f"{'✓' if report.valid else '✗'} {verdict}", "green" if report.valid else "red")
        + f": {summary}"
    )
    return "\n".join(lines) + "\n"
