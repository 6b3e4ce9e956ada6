"""Earlier versions on the site: packaged again from git, listed with the changelog, and in DCAT.

Each test builds a scratch git repository holding a copy of the shipped catalog and releases one of
its datasets with ``ciudades release``, as a catalog's maintainers would.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from markupsafe import escape

from tests.test_release import ROOT, drop_row, edit, first_release, run_git
from toolkit.catalog.history import changelog
from toolkit.catalog.model import display_path
from toolkit.review.release import release
from toolkit.site.build import build, render_summary
from toolkit.site.texts import texts

BASE = "https://example.org/catalogo/"
STANDARDS = Path(__file__).resolve().parent / "standards"


def copy_catalog(target: Path) -> Path:
    shutil.copytree(ROOT / "datasets", target / "datasets")
    shutil.copytree(ROOT / "schemas", target / "schemas")
    first_release(target / "datasets")
    return target


def commit(repo: Path, message: str) -> None:
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def two_releases(tmp_path: Path) -> Path:
    """quito released as 1.0.0, then a row removed and released as 1.1.0."""
    repo = copy_catalog(tmp_path / "repo")
    run_git(repo, "init", "-q", "-b", "main")
    commit(repo, "catalog")
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    release(repo / "datasets", ["quito"], today=date(2027, 1, 15))
    commit(repo, "Release quito 1.1.0")
    return repo


def text_of(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def versions_block(page: Path) -> str:
    html = page.read_text(encoding="utf-8")
    start = html.index('<section id="versions"')
    return html[start : html.index("</section>", start)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_earlier_release_is_packaged_with_its_checksums_and_listed_with_the_changelog(
    two_releases: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    result = build(two_releases / "datasets", site, base_url=BASE)
    summary = render_summary(result, "en")
    assert f"Earlier versions: 1 package for 1 dataset, in {display_path(site)}/descargas/" in summary
    old = site / "descargas" / "quito" / "1.0.0"
    # the earlier version's data are the bytes of the commit that released it
    first = run_git(two_releases, "rev-list", "--max-parents=0", "HEAD").strip()
    shown = subprocess.run(
        ["git", "show", f"{first}:datasets/quito/funding.csv"],
        cwd=two_releases,
        capture_output=True,
        check=True,
    ).stdout
    assert (old / "funding.csv").read_bytes() == shown
    assert (old / "funding.csv").read_bytes() != (site / "descargas" / "quito" / "funding.csv").read_bytes()
    assert (old / "quito-1.0.0.zip").is_file() and (site / "descargas" / "quito-1.1.0.zip").is_file()
    sums = dict(
        reversed(line.split("  ")) for line in (old / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    )
    assert set(sums) == {p.name for p in old.iterdir()} - {"SHA256SUMS"}
    assert all(sums[name] == sha256(old / name) for name in sums)  # what sha256sum -c checks
    for lang, page in (("es", site / "quito" / "index.html"), ("en", site / "en" / "quito" / "index.html")):
        t = texts(lang)
        block = versions_block(page)
        assert block.index('id="version-1.1.0"') < block.index('id="version-1.0.0"')  # newest first
        assert t["versions_current"] in block
        assert sums["quito-1.0.0.zip"] in block and sums["funding.csv"] in block  # the page shows them
        assert "../descargas/quito/1.0.0/quito-1.0.0.zip" in block
        removed = "1 eliminada" if lang == "es" else "1 removed"
        assert f"Tabla <code>funding</code> (modificada): {removed}" in block or (
            f"Table <code>funding</code> (modified): {removed}" in block
        )
        assert t["versions_only_first"] not in block
    assert "(modified)" not in versions_block(site / "quito" / "index.html")  # es page: only es notes


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
def test_dcat_has_the_version_properties_and_passes_the_shapes(two_releases: Path, tmp_path: Path) -> None:
    from pyshacl import validate
    from rdflib import Graph, Literal, Namespace, URIRef

    site = tmp_path / "site"
    build(two_releases / "datasets", site, base_url=BASE)
    data = Graph().parse(site / "catalog.ttl", format="turtle")
    adms = Namespace("http://www.w3.org/ns/adms#")
    DCAT = Namespace("http://www.w3.org/ns/dcat#")
    current = URIRef(f"{BASE}quito/#dataset")
    earlier = URIRef(f"{BASE}quito/#dataset-1.0.0")
    assert (current, DCAT.version, Literal("1.1.0")) in data
    assert (current, DCAT.previousVersion, earlier) in data
    assert (earlier, DCAT.version, Literal("1.0.0")) in data
    notes = {str(o) for o in data.objects(current, adms.versionNotes)}
    assert any("1 eliminada" in n for n in notes) and any("1 removed" in n for n in notes)
    old_zip = URIRef(f"{BASE}descargas/quito/1.0.0/quito-1.0.0.zip")
    assert (None, DCAT.downloadURL, old_zip) in data
    assert (URIRef(f"{BASE}bogota/#dataset"), DCAT.previousVersion, None) not in data  # one version only
    shapes = Graph()
    shapes.parse(STANDARDS / "dcat-ap-3.0.0-SHACL.ttl")
    shapes.parse(STANDARDS / "dcat-ap-3.0.0-range.ttl")
    conforms, _, report = validate(data, shacl_graph=shapes, inference="none")
    assert conforms, report


def test_building_twice_gives_the_same_bytes(two_releases: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    build(two_releases / "datasets", one, base_url=BASE)
    build(two_releases / "datasets", two, base_url=BASE)
    assert (one / "descargas" / "quito" / "1.0.0").is_dir()
    proc = subprocess.run(["diff", "-r", str(one), str(two)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[:2000]


def test_without_git_the_page_says_only_the_current_version_is_here(tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path / "plain")
    site = tmp_path / "site"
    result = build(catalog / "datasets", site, base_url=BASE)
    assert (
        "Versiones anteriores: ninguna, el catálogo no está en git; el sitio ofrece solo la versión actual."
        in render_summary(result, "es")
    )
    for lang, page in (("es", site / "quito" / "index.html"), ("en", site / "en" / "quito" / "index.html")):
        block = versions_block(page)
        assert str(escape(texts(lang)["versions_only_no_git"])) in block
        assert block.count('class="version"') == 1
    assert not (site / "descargas" / "quito" / "1.0.0").exists()


def test_a_shallow_clone_says_so(two_releases: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", two_releases.as_uri(), str(clone)],
        check=True,
        capture_output=True,
    )
    site = tmp_path / "site"
    result = build(clone / "datasets", site, base_url=BASE)
    assert "Earlier versions: none, the git clone lacks its full history;" in render_summary(result, "en")
    block = versions_block(site / "en" / "quito" / "index.html")
    assert str(escape(texts("en")["versions_only_shallow"])) in block
    assert not (site / "descargas" / "quito" / "1.0.0").exists()


def test_a_dataset_never_released_again_says_it_has_no_earlier_version(
    two_releases: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    build(two_releases / "datasets", site, base_url=BASE)
    assert str(escape(texts("es")["versions_only_first"])) in versions_block(site / "bogota" / "index.html")


def test_an_earlier_version_that_no_longer_validates_is_offered_but_marked(tmp_path: Path) -> None:
    repo = copy_catalog(tmp_path / "repo")
    funding = repo / "datasets" / "quito" / "funding.csv"
    edit(funding, '",medium,,Sin monto', '",dudosa,,Sin monto')  # not a confidence level
    run_git(repo, "init", "-q", "-b", "main")
    commit(repo, "catalog, with a mistake")
    edit(funding, '",dudosa,,Sin monto', '",medium,,Sin monto')
    release(repo / "datasets", ["quito"], today=date(2027, 1, 15))
    commit(repo, "Release quito 1.0.1")
    site = tmp_path / "site"
    build(repo / "datasets", site, base_url=BASE)
    old = site / "descargas" / "quito" / "1.0.0"
    assert b"dudosa" in (old / "funding.csv").read_bytes()  # the bytes published, not corrected
    assert {p.name for p in old.iterdir()} == {
        "agreements.csv",
        "funding.csv",
        "partners.csv",
        "datapackage.yaml",
        "SHA256SUMS",
        "quito-1.0.0.zip",
    }  # a database with a CHECK constraint cannot hold the wrong value, so only the files as published
    for lang, page in (("es", site / "quito" / "index.html"), ("en", site / "en" / "quito" / "index.html")):
        t = texts(lang)
        block = versions_block(page)
        warning = str(escape(t["versions_invalid"].format(n=t["badge_error"]) + " " + t["versions_partial"]))
        assert warning in block
        assert block.index('id="version-1.0.0"') < block.index(warning)  # on the old one, not the current


def test_a_bilingual_changelog_entry_gives_each_language_its_part() -> None:
    (entry, other) = changelog(
        "# Changelog\n\n## 1.1.0 (2027-01-15)\n\n**es**: menor.\n\n- uno\n\n**en**: minor.\n\n- one\n\n"
        "## Antes\n\nTexto libre.\n"
    )
    assert (entry.version, entry.notes("es"), entry.notes("en")) == (
        "1.1.0",
        "menor.\n\n- uno",
        "minor.\n\n- one",
    )
    assert (other.version, other.notes("en")) == (None, "Texto libre.")
