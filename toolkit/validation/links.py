"""Check that the pages the rows cite (``source_url``, ``document_url``) still answer (check-links).

Every URL is asked once, however many rows cite it: HEAD first, GET when HEAD is refused (a few KB of
the body at most), redirects followed by hand (five at most, each recorded), two requests at a time
per host with a short pause between them, and only public addresses (the protections of
:mod:`toolkit.catalog.remote`, so a row cannot aim the tool at the machine's own network). Results
are kept in a JSON cache, so a rerun asks again only what was checked more than ``max_age`` days
ago, and what was failing. Each URL gives one of four results: ok, moved (a permanent redirect,
with the final URL), gone (404 or 410) or failing (5xx, a timeout, a TLS or connection failure, a
refused address). A link that is not ok becomes a finding per file that cites it, with the lines
of the rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from toolkit.catalog import remote
from toolkit.catalog.model import Catalog, display_path, load_catalog
from toolkit.report.findings import Finding, Report, make_finding

LINK_FIELDS = ("source_url", "document_url")
MAX_REDIRECTS = 5
TIMEOUT = 15.0
PER_HOST = 2
DELAY = 0.5  # seconds between two requests to the same host, per slot
WORKERS = 8
MAX_BODY = 4096
CACHE_VERSION = 1
ARCHIVE = "https://web.archive.org/web/*/"
GONE = (404, 410)
PERMANENT = (301, 308)
REDIRECTS = (301, 302, 303, 307, 308)
STATUSES = ("ok", "moved", "gone", "failing")


@dataclass
class LinkResult:
    """What one URL answered, as kept in the cache."""

    url: str
    status: str  # ok · moved · gone · failing
    checked: str  # ISO 8601, UTC
    http_status: int | None = None
    final_url: str | None = None
    redirects: list[str] = field(default_factory=list)
    detail_es: str = ""
    detail_en: str = ""


@dataclass
class Citation:
    dataset: str
    resource: str
    path: str
    field: str
    line: int
    row: int


@dataclass
class LinkCheck:
    """The outcome of ``check_links``: the report (findings), every URL's result and what was asked now."""

    report: Report
    results: dict[str, LinkResult]
    citations: dict[str, list[Citation]]
    asked: int
    cached: int

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for url in self.citations:
            out[self.results[url].status] += 1
        return out


# ── asking one URL ──────────────────────────────────────────────────────────────────────────────


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def check_url(url: str, *, timeout: float = TIMEOUT) -> LinkResult:
    """Ask ``url`` (HEAD, then GET if HEAD is not answered well), following redirects by hand."""
    redirects: list[str] = []
    current = url
    permanent = False
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            answer = remote.probe(current, "HEAD", timeout=timeout, max_bytes=MAX_BODY)
            if answer.status >= 400:  # many servers refuse or mishandle HEAD (405, 501, 403…)
                answer = remote.probe(current, "GET", timeout=timeout, max_bytes=MAX_BODY)
        except remote.RemoteError as ex:
            es, en = ex.reason_es, ex.reason_en
            if current != url:
                es, en = f"redirige a «{current}» y {es}", f"it redirects to '{current}' and {en}"
            return LinkResult(url, "failing", _now(), None, current, redirects, es, en)
        if answer.status in REDIRECTS:
            if not answer.location or not remote.is_remote(answer.location):
                return LinkResult(
                    url,
                    "failing",
                    _now(),
                    answer.status,
                    current,
                    redirects,
                    "una redirección sin destino http(s)",
                    "a redirect without an http(s) destination",
                )
            permanent = permanent or answer.status in PERMANENT
            current = answer.location
            redirects.append(current)
            continue
        code = f"{answer.status} {answer.reason}".strip()
        if 200 <= answer.status < 300:
            moved = permanent and current != url
            return LinkResult(url, "moved" if moved else "ok", _now(), answer.status, current, redirects)
        if answer.status in GONE:
            es, en = f"el servidor responde {code}", f"the server answers {code}"
            return LinkResult(url, "gone", _now(), answer.status, current, redirects, es, en)
        es, en = f"el servidor responde {code}", f"the server answers {code}"
        return LinkResult(url, "failing", _now(), answer.status, current, redirects, es, en)
    return LinkResult(
        url,
        "failing",
        _now(),
        None,
        current,
        redirects,
        f"más de {MAX_REDIRECTS} redirecciones",
        f"more than {MAX_REDIRECTS} redirects",
    )


def _host(url: str) -> str:
    try:
        return (urllib.parse.urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _interleaved(urls: list[str]) -> list[str]:
    """The URLs host by host in turn, so that workers waiting on one busy host are few."""
    by_host: dict[str, list[str]] = defaultdict(list)
    for url in urls:
        by_host[_host(url)].append(url)
    queues = list(by_host.values())
    out: list[str] = []
    for i in range(max((len(q) for q in queues), default=0)):
        out.extend(q[i] for q in queues if i < len(q))
    return out


def check_urls(
    urls: list[str],
    *,
    timeout: float = TIMEOUT,
    delay: float = DELAY,
    per_host: int = PER_HOST,
    out: dict[str, LinkResult] | None = None,
) -> dict[str, LinkResult]:
    """Ask every URL, at most ``per_host`` at a time per host, pausing ``delay`` s after each request.

    Results go into ``out`` as they arrive, so an interrupted run (Ctrl-C) keeps what it learnt. The
    workers are daemon threads: after Ctrl-C the program ends at once, not when hung requests time out.
    """
    results: dict[str, LinkResult] = {} if out is None else out
    slots: dict[str, threading.Semaphore] = defaultdict(lambda: threading.Semaphore(per_host))
    for url in urls:
        slots[_host(url)]  # created before the threads start: no race on the dict
    queue = _interleaved(urls)
    queue.reverse()  # popped from the end
    lock = threading.Lock()
    arrived: dict[str, LinkResult] = {}
    failures: list[BaseException] = []
    stop = threading.Event()

    def worker() -> None:
        while not stop.is_set():
            with lock:
                if not queue:
                    return
                url = queue.pop()
            try:
                with slots[_host(url)]:
                    try:
                        result = check_url(url, timeout=timeout)
                    finally:
                        time.sleep(delay)
            except Exception as ex:  # a bug, not a link's answer: the main thread raises it
                with lock:
                    failures.append(ex)
                stop.set()
                return
            with lock:
                arrived[url] = result

    def collect() -> None:
        with lock:
            results.update(arrived)
            arrived.clear()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(min(WORKERS, len(urls)))]
    for t in threads:
        t.start()
    try:
        for t in threads:
            while t.is_alive():  # short waits: the main thread must see Ctrl-C while requests hang
                t.join(0.2)
                collect()
    finally:
        stop.set()
        collect()
    if failures:
        raise failures[0]
    return results


# ── the catalog's links ─────────────────────────────────────────────────────────────────────────


def citations(catalog: Catalog) -> dict[str, list[Citation]]:
    """Every http(s) URL in a ``source_url`` or ``document_url`` cell, with the rows that cite it."""
    out: dict[str, list[Citation]] = defaultdict(list)
    for ds in catalog.datasets:
        for res in ds.resources:
            if not res.path.is_file():
                continue  # the loader already reported it
            dialect = res.dialect or {}
            delimiter = str(dialect.get("delimiter") or ",")
            with res.path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.reader(fh, delimiter=delimiter)
                header = next(reader, None)
                if not header:
                    continue
                wanted = [(i, name) for i, name in enumerate(header) if name in LINK_FIELDS]
                if not wanted:
                    continue
                start = reader.line_num + 1
                for row, cells in enumerate(reader, start=1):
                    for i, name in wanted:
                        value = cells[i].strip() if i < len(cells) else ""
                        if remote.is_remote(value):
                            out[value].append(
                                Citation(ds.slug, res.name, display_path(res.path), name, start, row)
                            )
                    start = reader.line_num + 1
    return dict(out)


def default_cache(catalog: Catalog, path: Path) -> Path:
    """``.cache/links.json`` beside the catalog (in the folder that holds catalog.yaml or the dataset)."""
    folder = catalog.folder or (path if path.is_dir() else path.parent)
    return folder / ".cache" / "links.json"


def read_cache(path: Path) -> dict[str, LinkResult]:
    """The cached results; an unreadable or foreign cache counts as empty (everything is asked again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION:
            return {}
        out = {}
        for url, item in data["links"].items():
            result = LinkResult(**item)
            if result.status in STATUSES and result.url == url:
                dt.datetime.fromisoformat(result.checked)
                out[url] = result
        return out
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def write_cache(path: Path, results: dict[str, LinkResult]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"version": CACHE_VERSION, "links": {u: asdict(r) for u, r in sorted(results.items())}}
    partial = path.with_name(path.name + ".part")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def _due(result: LinkResult | None, max_age: float, now: dt.datetime) -> bool:
    """Whether to ask a URL now: never asked, asked too long ago, or failing last time (a failure may
    pass, and a machine that was offline must not keep every link failing for ``max_age`` days)."""
    if result is None or result.status == "failing":
        return True
    checked = dt.datetime.fromisoformat(result.checked)
    if checked.tzinfo is None:
        checked = checked.replace(tzinfo=dt.UTC)
    return now - checked >= dt.timedelta(days=max_age)


def _cited(cites: list[Citation]) -> tuple[str, str]:
    """Where the rows citing a link are, in (es, en): "la línea 3", "3 filas: líneas 4, 6 y 9"."""
    if len(cites) == 1:
        return f"la línea {cites[0].line}", f"line {cites[0].line}"
    lines = [str(c.line) for c in cites[:20]]
    more_es = f" y {len(cites) - 20} más" if len(cites) > 20 else ""
    more_en = f" and {len(cites) - 20} more" if len(cites) > 20 else ""
    listed_es = ", ".join(lines[:-1]) + " y " + lines[-1] if not more_es else ", ".join(lines)
    listed_en = ", ".join(lines[:-1]) + " and " + lines[-1] if not more_en else ", ".join(lines)
    return (
        f"{len(cites)} filas: líneas {listed_es}{more_es}",
        f"{len(cites)} rows: lines {listed_en}{more_en}",
    )


def findings_for(result: LinkResult, cites: list[Citation], *, strict: bool = False) -> list[Finding]:
    """One finding per file citing a link that is not ok, at the first row, naming every row's line."""
    if result.status == "ok":
        return []
    code = {"moved": "link-moved", "gone": "link-gone", "failing": "link-failing"}[result.status]
    severity = "error" if strict and result.status == "gone" else None
    by_file: dict[str, list[Citation]] = defaultdict(list)
    for c in cites:
        by_file[c.path].append(c)
    found = []
    for path, group in by_file.items():
        first = group[0]
        cited_es, cited_en = _cited(group)
        found.append(
            make_finding(
                code,
                severity=severity,
                dataset=first.dataset,
                resource=first.resource,
                path=path,
                row=first.row,
                line=first.line,
                field=first.field,
                value=result.url,
                target=result.final_url,
                detail=result.detail_es,
                detail_en=result.detail_en,
                cited=cited_es,
                cited_en=cited_en,
                checked=result.checked[:10],
                archive=ARCHIVE + result.url,
            )
        )
    return found


def check_links(
    path: Path | str | None = None,
    *,
    max_age: float = 7.0,
    strict: bool = False,
    cache: Path | None = None,
    timeout: float = TIMEOUT,
    delay: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> LinkCheck:
    """Check the links of the catalog (or dataset) at ``path``; see the module's docstring.

    ``max_age``: days a cached result stays good (0 asks everything again). ``strict``: gone links are
    errors. ``cache``: the JSON cache (default ``.cache/links.json`` beside the catalog).
    """
    target = Path(path if path is not None else "datasets")
    catalog, loaded = load_catalog(target)
    cites = citations(catalog)
    cache_path = cache if cache is not None else default_cache(catalog, target)
    known = read_cache(cache_path)
    now = dt.datetime.now(dt.UTC)
    due = [u for u in cites if _due(known.get(u), max_age, now)]
    if progress is not None:
        progress(len(due), len(cites))
    pause = DELAY if delay is None else delay
    try:
        if due:
            check_urls(due, timeout=timeout, delay=pause, out=known)
    finally:  # even when interrupted: what was asked is not asked again
        write_cache(cache_path, known)
    report = Report(datasets=[ds.slug for ds in catalog.datasets])
    report.resources = sum(len(ds.resources) for ds in catalog.datasets)
    report.rows = len({(c.path, c.row) for group in cites.values() for c in group})
    # A table the loader could not read was not checked: its errors stay in the verdict.
    report.extend(f for f in loaded if f.severity == "error")
    results = {u: known[u] for u in cites}
    for url, group in cites.items():
        report.extend(findings_for(results[url], group, strict=strict))
    report.findings.sort(key=lambda f: f.sort_key)
    return LinkCheck(report, results, cites, len(due), len(cites) - len(due))
