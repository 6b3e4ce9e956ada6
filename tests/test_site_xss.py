"""XSS payloads in every field of a catalog render inert in a real browser.

A catalog built in a temporary folder carries script payloads in every text field, Markdown
description, keyword, source title, file name and URL (``javascript:`` ones included). Each page of
its site is loaded in the headless Chromium of the browser tests twice: as published, to check that
the Content-Security-Policy is strict and that the site itself never violates it; and with the CSP
bypassed, so that the escaping alone must keep every payload inert. A payload that ran would set
``window.__xss`` or open a dialog.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import CHROMIUM

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).is_file(),
    reason=f"no Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does) to run them",
)

HOSTILE_NAME = "agreements'\"><img src=x onerror=alert('file')>.csv"
JS_URL = "javascript:window.__xss='url';alert('url')"
# Web addresses in the tables must be http(s) (validation refuses javascript: there): these try to
# break out of the attribute instead.
BAD_HTTP_URL = "https://example.org/?q=\"><script>alert(1)</script><a/x='"


def payload(tag: str) -> str:
    """Text that runs script wherever it is inserted as HTML, in an attribute or in a script."""
    return (
        f"X{tag}X<script>window.__xss=1;alert(1)</script>"
        '<img src=x onerror="window.__xss=1;alert(1)">'
        '"\'><svg onload=alert(1)></svg></script><iframe src="javascript:alert(1)"></iframe>'
    )


def markdown_payload(tag: str) -> str:
    return (
        f"X{tag}X paragraph.\n\n<script>window.__xss='{tag}';alert('{tag}')</script>\n\n"
        f"<img src=x onerror=\"alert('{tag}')\">\n\n[click me]({JS_URL}) "
        f"[data](data:text/html,<script>alert('{tag}')</script>) "
        f"<a href=\"{JS_URL}\">raw link</a> ![image](javascript:alert('{tag}'))\n\n"
        f"<details open ontoggle=alert('{tag}')>x</details>\n"
    )


def _poison_csv(path: Path, text_columns: set[str], url_columns: set[str]) -> None:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for i, row in enumerate(rows):
        for column in text_columns & row.keys():
            row[column] = payload(f"{path.stem}-{column}-{i}")
        for column in url_columns & row.keys():
            if row[column]:
                row[column] = BAD_HTTP_URL
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def hostile_catalog(base: Path) -> Path:
    """The catalog with one dataset whose every field that reaches the site carries a payload."""
    shutil.copytree(ROOT / "schemas", base / "schemas")
    folder = base / "datasets"
    folder.mkdir()
    shutil.copytree(ROOT / "datasets" / "bogota", folder / "bogota")
    catalog = yaml.safe_load((ROOT / "datasets" / "catalog.yaml").read_text(encoding="utf-8"))
    catalog["title"] = {"es": payload("catalog-title-es"), "en": payload("catalog-title-en")}
    catalog["description"] = {
        "es": markdown_payload("catalog-desc-es"),
        "en": markdown_payload("catalog-desc-en"),
    }
    catalog["publisher"] = {"name": payload("publisher"), "url": JS_URL}
    catalog["contact"] = {"name": payload("contact"), "email": "x@example.org"}
    (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog, allow_unicode=True), encoding="utf-8")

    ds = folder / "bogota"
    meta = yaml.safe_load((ds / "datapackage.yaml").read_text(encoding="utf-8"))
    meta["title"], meta["title_en"] = payload("ds-title"), payload("ds-title-en")
    meta["description"], meta["description_en"] = markdown_payload("ds-desc"), markdown_payload("ds-desc-en")
    meta["keywords"] = [payload("kw-es-1"), payload("kw-es-2")]
    meta["keywords_en"] = [payload("kw-en-1")]
    meta["homepage"] = JS_URL
    meta["contributors"] = [{"title": payload("contributor"), "roles": ["creator"], "path": JS_URL}]
    meta["sources"] = [
        {"title": payload("source-1"), "path": JS_URL},
        {"title": payload("source-2"), "path": "https://example.org/\"><script>alert('source-2')</script>"},
    ]
    meta["spatial"]["city"] = payload("city")
    for res in meta["resources"]:
        res["title"], res["title_en"] = payload(f"res-{res['name']}"), payload(f"res-{res['name']}-en")
        if res["name"] == "agreements":
            (ds / res["path"]).rename(ds / HOSTILE_NAME)
            res["path"] = HOSTILE_NAME
    (ds / "datapackage.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")

    text = {"title_es", "title_en", "notes", "source_quote", "signatories", "programme"}
    text |= {"name_es", "name_en", "name_local", "former_names"}
    urls = {"source_url", "document_url", "website"}
    for name in ("funding.csv", "partners.csv", HOSTILE_NAME):
        _poison_csv(ds / name, text, urls)
    return folder


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    from toolkit.site.build import build, serve_in_thread

    base = tmp_path_factory.mktemp("xss")
    build(hostile_catalog(base), base / "site", base_url="https://example.org/catalogo/")
    server, url = serve_in_thread(base / "site")
    yield base / "site", url
    server.shutdown()
    server.server_close()


FIND_ACTIVE_CONTENT = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const value = attr.value.trim().toLowerCase();
      if (attr.name.startsWith('on')) found.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attr.name)
          && /^(javascript|data|vbscript):/.test(value) && el.tagName !== 'LINK')
        found.push(el.tagName + ' ' + attr.name + '=' + value.slice(0, 40));
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'FRAME'].includes(el.tagName)
        || (el.tagName === 'IMG' && el.getAttribute('src') === 'x')) found.push('element ' + el.tagName);
    if (el.tagName === 'SCRIPT' && !el.src && el.type !== 'application/ld+json')
      found.push('inline script: ' + el.textContent.slice(0, 40));
  }
  return found;
}"""


def _pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def _sample(site: Path) -> list[str]:
    """The first and last page of every folder: every kind of page, all carrying payloads."""
    folders: dict[str, list[str]] = {}
    for page in _pages(site):
        folders.setdefault(page.rpartition("/")[0], []).append(page)
    return sorted({p for pages in folders.values() for p in (pages[0], pages[-1])})


def test_the_payloads_reach_the_pages_as_text(hostile_site: tuple[Path, str]) -> None:
    """Guard against a vacuous pass: the payloads are on the pages, escaped."""
    site, _ = hostile_site
    everything = "".join((site / p).read_text(encoding="utf-8") for p in _pages(site))
    for tag in ("catalog-title-es", "ds-title", "ds-desc", "kw-es-1", "source-1", "res-funding", "city"):
        assert f"X{tag}X" in everything, tag
    text = html.unescape(everything)
    for tag in ("funding-notes-0", "partners-name_es-0", f"{Path(HOSTILE_NAME).stem}-title_es-0"):
        assert f"X{tag}X" in text, tag
    assert HOSTILE_NAME in text  # the file name is listed with the downloads
    assert "&lt;script&gt;" in everything
    assert "<script>window.__xss" not in everything
    assert not re.search(r"""<[^<>]*\s(href|src)=["']?\s*javascript:""", everything, re.IGNORECASE)


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "csp-bypassed"])
def test_no_payload_runs_in_the_browser(
    hostile_site: tuple[Path, str], browser: Any, bypass_csp: bool
) -> None:
    site, url = hostile_site
    context = browser.new_context(bypass_csp=bypass_csp)
    page = context.new_page()
    dialogs: list[str] = []
    violations: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("dialog", on_dialog)
    page.on("console", on_console)
    try:
        pages = _sample(site)
        assert len(pages) > 10
        for path in pages:
            response = page.goto(url + path, wait_until="load")
            assert response is not None and response.status == 200, path
            search = page.query_selector("input[type=search]")
            if search is not None:  # the client-side filter handles payload text too
                search.fill("<img src=x onerror=alert('search')>")
            page.wait_for_timeout(20)
            assert page.evaluate("() => window.__xss") is None, path
            if bypass_csp:
                assert page.evaluate(FIND_ACTIVE_CONTENT) == [], path
        assert dialogs == []
        assert violations == []
    finally:
        context.close()


def test_the_content_security_policy_is_strict(hostile_site: tuple[Path, str]) -> None:
    site, _ = hostile_site
    for path in _pages(site):
        page = (site / path).read_text(encoding="utf-8")
        found = [
            html.unescape(c)
            for c in re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
        ]
        assert len(found) == 1, path
        policy = dict(
            (d.split()[0], d.split()[1:]) for d in (part.strip() for part in found[0].split(";")) if d
        )
        assert policy["default-src"] == ["'none'"]
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'none'"]
        assert "unsafe-inline" not in found[0] and "unsafe-eval" not in found[0] and "*" not in found[0]
