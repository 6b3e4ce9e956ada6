"""The catalog site in a real headless Chromium: every page, every link and download, search and
filters, the language switch, keyboard use, accessibility (axe-core) and screenshots.

The browser is the system's Chromium (Debian's ``chromium`` package, which ``.ci/run`` installs),
driven by Playwright's Python package; Playwright's own browser download is never used. The site is
built once and served from 127.0.0.1 by the toolkit's own preview server.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import html5lib
import pytest

from tests.conftest import CHROMIUM, SHIPPED

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
KEY_PAGES = [
    "index.html",
    "en/index.html",
    "ciudad-de-mexico/index.html",
    "en/ciudad-de-mexico/index.html",
    "ciudad-de-mexico/validacion.html",
    "en/ciudad-de-mexico/validation.html",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does) to run them",
)


@pytest.fixture(scope="session")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from toolkit.site.build import build, serve_in_thread

    out = tmp_path_factory.mktemp("browser-site") / "site"
    build(ROOT / "datasets", out, links=_links_cache(out.parent / "links.json"))
    server, url = serve_in_thread(out)
    yield url
    server.shutdown()
    server.server_close()


def _links_cache(path: Path) -> Path:
    """A check-links cache in which every state shows (ok, moved, gone, failing, not yet checked), so
    the link-health lists of the dataset pages are in the pages the browser and axe-core look at."""
    from toolkit.catalog.model import load_catalog
    from toolkit.validation.links import LinkResult, citations, write_cache

    catalog, _ = load_catalog(ROOT / "datasets")
    results = {}
    for i, url in enumerate(sorted(citations(catalog))):
        status = ("ok", "ok", "ok", "moved", "gone", "failing", "unchecked")[i % 7]
        if status != "unchecked":
            final = url.rstrip("/") + "/nueva" if status == "moved" else url
            detail = ("el servidor responde 404 Not Found", "the server answers 404 Not Found")
            results[url] = LinkResult(
                url,
                status,
                "2026-12-01T09:00:00+00:00",
                200,
                final,
                [],
                *(detail if status == "gone" else ("", "")),
            )
    write_cache(path, results)
    return path


class Watched:
    """A page whose console errors, uncaught exceptions and failed requests are recorded."""

    def __init__(self, context: Any) -> None:
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"exception: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url} {r.failure}"))
        self.page.on(
            "response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}")
        )

    def open(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield Watched(context)
    context.close()


def links_of(html: str) -> list[str]:
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    found = []
    for el in tree.iter():
        if el.tag == "link" and el.get("rel") in ("canonical", "alternate"):
            continue
        for attr in ("href", "src"):
            value = el.get(attr)
            if value and el.tag in ("a", "link", "script") and not re.match(r"^([a-z]+:|#)", value):
                found.append(value)
    return found


def test_every_link_and_download_answers_200(site_url: str, watched: Watched) -> None:
    """Follow every internal link from both home pages through the browser's request context."""
    seen: dict[str, int] = {}
    queue = [site_url + "index.html", site_url + "en/index.html"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = watched.page.request.get(url)
        seen[url] = response.status
        assert response.status == 200, url
        assert response.body(), url
        if urllib.parse.urlsplit(url).path.endswith(".html"):
            for href in links_of(response.text()):
                target = urllib.parse.urldefrag(urllib.parse.urljoin(url, href))[0]
                assert target.startswith(site_url), (url, href)
                queue.append(target)
    pages = [u for u in seen if u.endswith(".html")]
    assert len(pages) > 100
    assert any("/descargas/" in u and u.endswith(".zip") for u in seen)
    assert any(u.endswith(".sqlite") for u in seen) and any(u.endswith(".xlsx") for u in seen)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_pages_load_without_console_errors_or_failed_requests(
    site_url: str, watched: Watched, lang: str
) -> None:
    prefix = "" if lang == "es" else "en/"
    report = "validacion" if lang == "es" else "validation"
    partners = "contrapartes" if lang == "es" else "partners"
    filters = "filtros/tipo-de-acuerdo" if lang == "es" else "filters/agreement-type"
    paths = ["index.html", f"{partners}/index.html", f"{partners}/c40.html", f"{filters}/membership.html"]
    for slug in SHIPPED:
        paths += [f"{slug}/index.html", f"{slug}/{report}.html"]
    for path in paths:
        watched.open(site_url + prefix + path)
        watched.page.wait_for_load_state("networkidle")
    assert watched.problems == []


def visible_cards(page: Any) -> list[str]:
    return page.eval_on_selector_all(".card:not([hidden])", "cards => cards.map(c => c.dataset.city)")


def test_search_and_filters(site_url: str, watched: Watched) -> None:
    page = watched.page
    watched.open(site_url + "index.html")
    assert page.is_visible("#finder")  # the script shows the form; without it the links remain
    every = visible_cards(page)
    assert every == SHIPPED
    texts = page.eval_on_selector_all(".card", "cards => cards.map(c => [c.dataset.city, c.dataset.search])")
    page.fill("#q", "intendencia montevideo")  # every word must match
    matching = [slug for slug, text in texts if "intendencia" in text and "montevideo" in text]
    assert "montevideo" in matching and len(matching) < len(SHIPPED)
    assert visible_cards(page) == matching
    expected = f"Se muestran {len(matching)} de {len(SHIPPED)} conjuntos de datos."
    assert page.text_content("#count") == expected
    page.fill("#q", "no existe tal cosa")
    assert visible_cards(page) == []
    assert page.text_content("#count") == "Ningún conjunto de datos coincide con la búsqueda."
    page.click("button[type=reset]")
    # A locator assertion, not wait_for_function: polling a string predicate is an eval, which the
    # site's Content-Security-Policy rightly blocks.
    from playwright.sync_api import expect

    expect(page.locator(".card:not([hidden])")).to_have_count(len(SHIPPED))
    # Each select agrees with the pre-rendered page of the same filter (the no-JavaScript path).
    for facet, value in (
        ("city", "bogota"),
        ("agreement_type", "sister_city"),
        ("country", "fr"),
        ("partner_type", "multilateral_bank"),
        ("year", "2015"),
    ):
        page.select_option(f"#f-{facet}", value)
        chosen = visible_cards(page)
        href = page.get_attribute(f".facet-links a[href$='/{value}.html']", "href")
        assert href, (facet, value)
        static = Watched(page.context)
        static.open(urllib.parse.urljoin(page.url, href))
        assert visible_cards(static.page) == chosen and chosen, (facet, value)
        static.page.close()
        page.select_option(f"#f-{facet}", "")
    assert watched.problems == []


def test_pages_work_without_javascript(site_url: str, browser: Any) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site_url + "index.html")
    assert not page.is_visible("#finder")
    assert len(page.query_selector_all(".card")) == len(SHIPPED)
    page.click("summary:has-text('tipo de acuerdo')")
    page.click(".facet-links a[href$='tipo-de-acuerdo/membership.html']")
    assert page.url.endswith("/filtros/tipo-de-acuerdo/membership.html")
    assert page.query_selector_all("main table tbody tr")
    context.close()


def test_language_switch_and_keyboard(site_url: str, watched: Watched) -> None:
    page = watched.page
    watched.open(site_url + "bogota/index.html")
    assert page.get_attribute("html", "lang") == "es"
    page.click("a.lang-switch")
    assert page.url == site_url + "en/bogota/index.html"
    assert page.get_attribute("html", "lang") == "en"
    assert page.text_content("h1") == "Bogotá: international agreements, networks and funding"
    page.click("a.lang-switch")
    assert page.url == site_url + "bogota/index.html"
    page.wait_for_load_state("load")  # under load, a Tab before the page is ready focuses nothing
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    # a sortable table is driven from the keyboard too
    page.focus(".resource table.sortable th:nth-child(1) button")
    page.keyboard.press("Enter")
    first = page.get_attribute(".resource table.sortable th:nth-child(1)", "aria-sort")
    page.keyboard.press("Enter")
    assert (first, page.get_attribute(".resource table.sortable th:nth-child(1)", "aria-sort")) == (
        "ascending",
        "descending",
    )
    ids = page.eval_on_selector_all(
        ".resource:first-of-type table.sortable tbody tr td:first-child",
        "cells => cells.map(c => c.textContent)",
    )
    assert ids == sorted(ids, reverse=True)
    assert watched.problems == []


@pytest.mark.parametrize("path", KEY_PAGES)
def test_axe_finds_no_serious_or_critical_violation(site_url: str, browser: Any, path: str) -> None:
    # The site's CSP rightly forbids injected scripts; this context lets the test inject axe-core.
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(site_url + path)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'], "
        "runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    context.close()
    (ARTIFACTS / "axe").mkdir(parents=True, exist_ok=True)
    name = path.replace("/", "_").replace(".html", "")
    summary = [
        {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "help": v["help"]}
        for v in results["violations"]
    ]
    (ARTIFACTS / "axe" / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(f"axe {path}: {len(results['violations'])} violations {summary}")
    serious = [v for v in summary if v["impact"] in ("serious", "critical")]
    assert serious == [], serious


@pytest.mark.parametrize("width", [1280, 360])
def test_screenshots_and_no_sideways_scrolling(site_url: str, browser: Any, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    for path in KEY_PAGES:
        page.goto(site_url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, width, overflow)
        name = path.replace("/", "_").replace(".html", "")
        page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}-{width}.png"), full_page=True)
    context.close()
