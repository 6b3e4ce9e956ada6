"""What a dataset page tells a reader to run works: the install line comes first, and each Python
snippet, run as it is shown (in a fresh interpreter, outside the repository) against the site
served on this machine, loads every row of the dataset's tables.

The site is built with the local server's address as its base URL, as a city previewing its own
site would; such a site's snippets pass ``allow_private=True`` themselves, so nothing here opens
127.0.0.1 behind the snippet's back.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SHIPPED
from toolkit.catalog import remote
from toolkit.site.build import build
from toolkit.site.texts import INSTALL_COMMAND, TOOLKIT_DISTRIBUTION

ROOT = Path(__file__).resolve().parent.parent
CODE = re.compile(
    r'<h3>([^<]*)</h3>\s*<pre class="code"[^>]*><code class="language-(\w+)">(.*?)</code></pre>', re.S
)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The shipped catalog's site, built for and served at http://127.0.0.1:PORT/."""
    out = tmp_path_factory.mktemp("snippets") / "site"
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        build(ROOT / "datasets", out, base_url=url)
        yield out, url
    finally:
        server.shutdown()
        server.server_close()


def snippets(page: Path) -> list[tuple[str, str, str]]:
    """(label, language, code) of each snippet of a dataset page, as a reader would copy it."""
    text = page.read_text(encoding="utf-8")
    section = text[text.index('<section id="load"') :]
    section = section[: section.index("</section>")]
    return [(html.unescape(label), lang, html.unescape(code)) for label, lang, code in CODE.findall(section)]


def csv_rows(slug: str) -> dict[str, int]:
    out = {}
    for path in sorted((ROOT / "datasets" / slug).glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            out[path.stem] = sum(1 for _ in csv.DictReader(fh))
    return out


def run(code: str, cwd: Path) -> dict[str, int]:
    """Run ``code`` in this environment's Python, from a folder outside the repository; the toolkit
    is importable as if installed (``PYTHONPATH``), nothing else of the test reaches the snippet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_install_line_comes_before_any_import_of_the_toolkit(served: tuple[Path, str]) -> None:
    site, _ = served
    assert TOOLKIT_DISTRIBUTION == "ciudades-al-mundo"
    for slug in SHIPPED:
        for page, note in (
            (
                site / slug / "index.html",
                "ciudades-al-mundo aún no está en PyPI: se instala desde su repositorio",
            ),
            (site / "en" / slug / "index.html", "ciudades-al-mundo is not on PyPI yet: it installs from"),
        ):
            found = snippets(page)
            assert [lang for _, lang, _ in found] == ["bash", "python", "python", "r"], page
            label, _, code = found[0]
            assert label in ("Instala la herramienta", "Install the toolkit")
            assert code.startswith(f"# {note}") and code.endswith(f"\n{INSTALL_COMMAND}")
            assert "import toolkit" in found[1][2]
            # the snippets are the same code in both languages but for the install note
            assert [c for _, _, c in snippets(site / slug / "index.html")][1:] == [c for _, _, c in found][1:]
    # the README and every doc whose Python code imports the toolkit show the same install line first
    shown = 0
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        code = re.search(r"```python\n(?:[^`]*\n)?(?:import toolkit|from toolkit)", text)
        if code:
            shown += 1
            assert INSTALL_COMMAND in text[: code.start()], doc.name
    assert shown >= 3  # README.md, docs/packages.md, docs/publish.md


@pytest.mark.parametrize("slug", SHIPPED)
def test_each_python_snippet_of_a_page_loads_every_row_from_the_served_site(
    served: tuple[Path, str], slug: str, tmp_path: Path
) -> None:
    site, url = served
    assert remote.ALLOWED_NETWORKS == ()  # the snippet opens 127.0.0.1 itself, the test does not
    expected = csv_rows(slug)
    found = [(label, code) for label, lang, code in snippets(site / slug / "index.html") if lang == "python"]
    assert len(found) == 2
    (label, toolkit_code), (_, frictionless_code) = found
    assert f'toolkit.load("{url}descargas/{slug}-' in toolkit_code and "allow_private=True" in toolkit_code
    counts = run(
        toolkit_code + "\nimport json\nprint(json.dumps({k: len(v) for k, v in frames.items()}))", tmp_path
    )
    assert counts == expected, label
    counts = run(
        frictionless_code
        + "\nimport json\nprint(json.dumps({r.name: len(r.to_pandas()) for r in package.resources}))",
        tmp_path,
    )
    assert counts == expected


def test_a_public_site_shows_no_allow_private(tmp_path: Path) -> None:
    """Only a site whose own address is private or loopback gets ``allow_private=True``."""
    assert not remote.private_url("https://ciudades-al-mundo.github.io/ciudades-al-mundo/x.zip")
    assert not remote.private_url("http://169.254.169.254/x.zip")  # never opened, so never suggested
    for url in ("http://127.0.0.1:8000/x.zip", "http://localhost/x.zip", "http://10.1.2.3/x.zip"):
        assert remote.private_url(url), url


def test_descargas_sha256sums_verifies_every_zip_with_sha256sum(
    served: tuple[Path, str], tmp_path: Path
) -> None:
    site, _ = served
    downloads = site / "descargas"
    listed = (downloads / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    top = sorted(p.name for p in downloads.iterdir() if p.is_file() and p.name != "SHA256SUMS")
    assert [line.split("  ", 1)[1] for line in listed] == top
    assert len([n for n in top if n.endswith(".zip")]) == len(SHIPPED) + 1  # and the combined package
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=downloads, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.splitlines() == [f"{name}: OK" for name in top]
    # and it notices a damaged download
    copy = tmp_path / "descargas"
    copy.mkdir()
    for name in [*top, "SHA256SUMS"]:
        (copy / name).write_bytes((downloads / name).read_bytes())
    damaged = next(n for n in top if n.endswith(".zip"))
    (copy / damaged).write_bytes((copy / damaged).read_bytes() + b"\0")
    checked = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=copy, capture_output=True, text=True)
    assert checked.returncode == 1
    assert f"{damaged}: FAILED" in checked.stdout.splitlines()
