"""Renderers for CI: GitHub workflow commands, a Markdown summary, JUnit XML.

``render_text`` and ``render_json`` live in :mod:`toolkit.report.findings`; these build on the same grouping
(``group``), locations (``location``) and words (``words``) so every format says the same thing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from toolkit.errors import shown
from toolkit.report.findings import Finding, Report, count_phrase, group, location, words
from toolkit.report.messages import CODES

__all__ = [
    "github_escape_data",
    "github_escape_property",
    "render_github",
    "render_junit",
    "render_markdown",
    "verdict",
    "write_step_summary",
]

_EXTRA: dict[str, dict[str, str]] = {
    "es": {
        "catalog": "Catálogo",
        "dataset": "Conjunto de datos",
        "where": "Dónde",
        "problem": "Problema",
        "file": "archivo",
        "how_to_read": (
            "Cada problema dice en qué archivo, línea y columna está (la columna es la letra de la "
            "hoja de cálculo) y cómo corregirlo. Corrige esas celdas y sube el cambio: la revisión "
            "se repite sola."
        ),
        "with": "con",
        "github_more": (
            "GitHub muestra sobre el código solo las primeras {n} anotaciones de cada tipo; "
            "el resumen de la ejecución las lista todas."
        ),
    },
    "en": {
        "catalog": "Catalog",
        "dataset": "Dataset",
        "where": "Where",
        "problem": "Problem",
        "file": "file",
        "how_to_read": (
            "Each problem says which file, line and column it is in (the column is the spreadsheet "
            "letter) and how to fix it. Fix those cells and push the change: the check runs again "
            "by itself."
        ),
        "with": "with",
        "github_more": (
            "GitHub shows only the first {n} annotations of each kind on the code; the run's summary "
            "lists them all."
        ),
    },
}
# GitHub shows at most this many error (and warning) annotations of a step on the changed files.
GITHUB_ANNOTATION_LIMIT = 10


def _extra(lang: str) -> dict[str, str]:
    return _EXTRA["es" if lang == "es" else "en"]


def _title(code: str, lang: str) -> str:
    spec = CODES.get(code)
    if spec is None:
        return code
    return spec.title_es if lang == "es" else spec.title_en


def verdict(report: Report, lang: str) -> str:
    """One line: ✓/✗, valid or not, and the counts."""
    w = words(lang)
    st = report.stats()
    counts = (
        ", ".join(count_phrase(st[k + "s"], k, lang) for k in ("error", "warning") if st[k + "s"])
        or w["nothing"]
    )
    return f"{'✓' if report.valid else '✗'} {w['valid'] if report.valid else w['invalid']}: {counts}"


def _checked(report: Report, lang: str) -> str:
    w = words(lang)
    st = report.stats()
    u = w["units"]

    def plural(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    return str(
        w["checked"].format(
            d=plural(st["datasets"], u[0], u[1]),
            r=plural(st["resources"], u[2], u[3]),
            n=plural(st["rows"], u[4], u[5]),
        )
    )


# ── GitHub workflow commands ─────────────────────────────────────────────────────────────────────


def github_escape_data(text: str) -> str:
    """Escape a workflow command's message the way GitHub's own toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    """Escape a workflow command's property value: as the message, plus ``:`` and ``,``."""
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def _github_line(f: Finding, lang: str) -> str:
    """A workflow command (``file``, ``line``, ``title``; never ``col``, see below). Data text is
    escaped first (:func:`~toolkit.errors.shown`: a log shows ANSI colours too), then GitHub's
    escaping turns the newline before the fix into ``%0A``."""
    w = words(lang)
    props: list[tuple[str, str]] = []
    if f.path:
        props.append(("file", shown(f.path)))
    if f.line:
        props.append(("line", str(f.line)))
    # No ``col``: GitHub reads it as a character position in the line, and a finding knows the
    # cell's field (column H, the 8th), not where the cell starts in the line's text. The message
    # names the column.
    props.append(("title", f"{_title(f.code, lang)} [{f.code}]"))
    where = location(f, lang)
    text = shown(f.message(lang))
    message = f"{where}: {text}" if where else text
    message += f"\n{w['fix']}: {shown(f.hint(lang))}"
    rendered = ",".join(f"{k}={github_escape_property(v)}" for k, v in props)
    return f"::{_GITHUB_LEVEL.get(f.severity, 'notice')} {rendered}::{github_escape_data(message)}"


def render_github(report: Report, lang: str) -> str:
    """One workflow command per finding, then the counts and the verdict as plain log lines."""
    lines = [_github_line(f, lang) for f in report.findings]
    if len(report.errors) > GITHUB_ANNOTATION_LIMIT or len(report.warnings) > GITHUB_ANNOTATION_LIMIT:
        lines.append(_extra(lang)["github_more"].format(n=GITHUB_ANNOTATION_LIMIT))
    lines.append(_checked(report, lang))
    if report.skipped:
        lines.append(f"{words(lang)['skipped']}: {shown(', '.join(report.skipped))}")
    lines.append(verdict(report, lang))
    return "\n".join(lines) + "\n"


# ── Markdown summary ─────────────────────────────────────────────────────────────────────────────

_MD_SPECIAL = str.maketrans({"|": "\\|", "*": "\\*", "`": "\\`", "[": "\\[", "]": "\\]"})


def md_escape(text: str) -> str:
    """Text safe inside a Markdown table cell: no table breaks, no markup, no HTML, no control
    characters (the summary is also printed to a terminal by ``--format markdown``)."""
    text = shown(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.translate(_MD_SPECIAL).split())


def _by_dataset(findings: Iterable[Finding]) -> dict[str | None, list[Finding]]:
    out: dict[str | None, list[Finding]] = {}
    for f in findings:
        out.setdefault(f.dataset, []).append(f)
    return out


def _counts(findings: list[Finding], lang: str) -> str:
    n_err = sum(f.severity == "error" for f in findings)
    n_warn = sum(f.severity == "warning" for f in findings)
    return ", ".join(
        count_phrase(n, s, lang) for n, s in ((n_err, "error"), (n_warn, "warning")) if n
    ) or count_phrase(len(findings), "info", lang)


LinkFn = Callable[[Finding], str | None]


def render_markdown(report: Report, lang: str, *, first: int = 5, link: LinkFn | None = None) -> str:
    """A summary for a pull request: the verdict first, then per dataset, file and code the count,
    the first locations and how to fix. ``link`` may turn a finding into a URL of its line."""
    w = words(lang)
    x = _extra(lang)
    mark = "✓" if report.valid else "✗"
    head = verdict(report, lang).split(" ", 1)[1]
    lines = [f"## {mark} {head}", "", _checked(report, lang)]
    if report.skipped:
        lines += ["", f"{w['skipped']}: {', '.join(f'`{shown(s)}`' for s in report.skipped)}"]
    if report.findings:
        lines += ["", x["how_to_read"]]
    for dataset, found in _by_dataset(report.findings).items():
        name = f"{x['dataset']} `{shown(dataset)}`" if dataset else x["catalog"]
        lines += ["", f"### {name}: {_counts(found, lang)}"]
        for path, codes in group(found).items():
            lines += ["", f"**{md_escape(path)}**"]
            for code, fs in codes.items():
                sev = fs[0].severity
                icon = "✗" if sev == "error" else "⚠️" if sev == "warning" else "ℹ️"
                lines += ["", f"#### {icon} {_title(code, lang)} (`{code}`) ×{len(fs)}", ""]
                same_fix = len({f.hint(lang) for f in fs[:first]}) == 1
                header = [x["where"], x["problem"]] + ([] if same_fix else [w["fix"]])
                lines.append("| " + " | ".join(header) + " |")
                lines.append("|" + "---|" * len(header))
                for f in fs[:first]:
                    where = md_escape(location(f, lang) or "—")
                    url = link(f) if link else None
                    if url:
                        where = f"[{where}]({url})"
                    cells = [where, md_escape(f.message(lang))]
                    if not same_fix:
                        cells.append(md_escape(f.hint(lang)))
                    lines.append("| " + " | ".join(cells) + " |")
                if len(fs) > first:
                    lines += ["", "… " + w["more"].format(n=len(fs) - first)]
                if same_fix:
                    lines += ["", f"**{w['fix']}:** {md_escape(fs[0].hint(lang))}"]
    return "\n".join(lines) + "\n"


def github_line_link(server: str, repository: str, sha: str) -> LinkFn:
    """Links to the line of a finding in the commit under review (paths relative to the repository)."""

    def link(f: Finding) -> str | None:
        if not f.path or f.path.startswith(("/", "..")):
            return None
        anchor = f"#L{f.line}" if f.line else ""
        return f"{server.rstrip('/')}/{repository}/blob/{sha}/{f.path}{anchor}"

    return link


# ── JUnit XML ────────────────────────────────────────────────────────────────────────────────────


def render_junit(report: Report, lang: str) -> str:
    """JUnit XML: a test suite per dataset, a test case per table, a failure per error.
    Warnings and notices go to the test case's ``system-out``: JUnit has no such level. Data text is
    escaped (:func:`~toolkit.errors.shown`): XML 1.0 cannot hold most control characters at all."""
    import xml.etree.ElementTree as ET  # here: every other format goes without it

    w = words(lang)
    x = _extra(lang)
    suites: dict[str, dict[str, list[Finding]]] = {}
    files: dict[tuple[str, str], str] = {}
    for ds in report.datasets:
        suites[ds] = {}
        for name, path in report.tables.get(ds, {}).items():
            suites[ds][name] = []
            files[(ds, name)] = path
    for f in report.findings:
        suite = f.dataset or x["catalog"].lower()
        case = f.resource or ("datapackage" if f.dataset else "catalog")
        suites.setdefault(suite, {}).setdefault(case, []).append(f)
        if f.path and (suite, case) not in files:
            files[(suite, case)] = f.path
    root = ET.Element("testsuites", name="ciudades validate")
    total_tests = total_failures = 0
    for suite, cases in suites.items():
        node = ET.SubElement(root, "testsuite", name=shown(suite))
        failing = 0
        for case, fs in cases.items():
            attrs = {"classname": shown(suite), "name": shown(case)}
            if (suite, case) in files:
                attrs["file"] = shown(files[(suite, case)])
            tc = ET.SubElement(node, "testcase", attrs)
            notes = []
            for f in fs:
                where = location(f, lang)
                place = f"{shown(f.path or '')}{' ' + where if where else ''}"
                detail = f"{place}\n{w['fix']}: {shown(f.hint(lang))}".strip()
                if f.severity == "error":
                    failure = ET.SubElement(tc, "failure", message=shown(f.message(lang)), type=f.code)
                    failure.text = detail
                else:
                    notes.append(f"[{w[f.severity]}] {f.code}: {shown(f.message(lang))} ({detail})")
            if notes:
                ET.SubElement(tc, "system-out").text = "\n".join(notes)
            failing += any(f.severity == "error" for f in fs)
        node.set("tests", str(len(cases)))
        node.set("failures", str(failing))
        node.set("errors", "0")
        total_tests += len(cases)
        total_failures += failing
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS: dict[str, Callable[[Report, str], str]] = {
    "github": render_github,
    "markdown": render_markdown,
    "junit": render_junit,
}


def link_from_env(env: Mapping[str, str]) -> LinkFn | None:
    """Line links for the summary when running in GitHub Actions (its standard variables are set)."""
    server, repository, sha = (env.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    if server and repository and sha:
        return github_line_link(server, repository, sha)
    return None


def write_step_summary(report: Report, lang: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` when it is set (GitHub Actions)."""
    env = os.environ if env is None else env
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(render_markdown(report, lang, link=link_from_env(env)) + "\n")
    return path
