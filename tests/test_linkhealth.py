"""Link health on the site: ``build`` shows what the check-links cache says, never asking the network.

The cache is written here with the same code ``check-links`` uses (``links.write_cache``), with one
URL of each result (ok, moved, gone, failing) and one the cache does not know, so no test needs a
server; the HTTP side of ``check-links`` is tested in test_check_links.py.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_site import tiny_catalog, write_csv
from toolkit.cli import cli
from toolkit.errors import UsageError
from toolkit.site.build import build
from toolkit.site.linkhealth import long_date
from toolkit.validation.links import LinkResult, write_cache

SLUG = "ciudad-prueba"
GOV = "https://www.cdmx.gob.mx/nota"
MOVED = "https://www.c40.org/nota"
MOVED_TO = "https://www.c40.org/nueva"
GONE = "https://www.europapress.es/nota"
FAILING = "https://example.org/nota"
UNKNOWN = "https://example.org/sin-comprobar"


def cite(datasets: Path) -> None:
    """Give the tiny catalog's rows five distinct source URLs (the two agreements share one)."""
    urls = {"partners": [GOV, MOVED, GONE], "agreements": [FAILING, FAILING], "funding": [UNKNOWN]}
    for table, cited in urls.items():
        path = datasets / SLUG / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        for row, url in zip(rows, cited, strict=True):
            row["source_url"] = url
        if table == "partners":
            rows[1]["website"] = "https://www.c40.org"  # c40 is a city network of the catalog
        write_csv(path, rows, table)


def write(cache: Path) -> None:
    day, earlier = "2026-12-01T09:30:00+00:00", "2026-11-28T17:00:00+00:00"
    write_cache(
        cache,
        {
            GOV: LinkResult(GOV, "ok", day, 200, GOV),
            MOVED: LinkResult(MOVED, "moved", day, 200, MOVED_TO, [MOVED_TO]),
            GONE: LinkResult(
                GONE, "gone", earlier, 404, GONE, [], "el servidor responde 404 Not Found",
                "the server answers 404 Not Found",
            ),
            FAILING: LinkResult(
                FAILING, "failing", day, 500, FAILING, [], "el servidor responde 500 Internal Server Error",
                "the server answers 500 Internal Server Error",
            ),
        },
    )  # fmt: skip


def panel(page: Path) -> str:
    """The link-health part of a dataset page, its markup and its words with spaces collapsed."""
    html = page.read_text(encoding="utf-8")
    start = html.index('<h3 id="links-title"')
    part = html[start : html.index('<dl class="facts">', start)]
    return " ".join(part.split())


def words(markup: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", markup).split())


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    datasets = tiny_catalog(tmp_path / "src")
    cite(datasets)
    return datasets


def test_a_written_cache_gives_links_json_and_the_page_figures(catalog: Path, tmp_path: Path) -> None:
    write(catalog / ".cache" / "links.json")  # the default place: build finds it with no option
    out = tmp_path / "out"
    build(catalog, out)
    doc = json.loads((out / "links.json").read_text(encoding="utf-8"))
    assert doc["checked"] is True
    assert (doc["first_checked"], doc["last_checked"]) == ("2026-11-28", "2026-12-01")
    assert doc["counts"] == {"ok": 1, "moved": 1, "gone": 1, "failing": 1, "unchecked": 1}
    by_url = {link["url"]: link for link in doc["links"]}
    assert by_url[MOVED]["final_url"] == MOVED_TO and by_url[MOVED]["archive"] is None
    assert by_url[GONE]["archive"] == "https://web.archive.org/web/*/" + GONE
    assert by_url[FAILING]["archive"] == "https://web.archive.org/web/*/" + FAILING
    assert by_url[FAILING]["detail"]["en"] == "the server answers 500 Internal Server Error"
    assert by_url[FAILING]["cited_by"] == [
        {"dataset": SLUG, "table": "agreements", "field": "source_url", "line": 2, "row": 1},
        {"dataset": SLUG, "table": "agreements", "field": "source_url", "line": 3, "row": 2},
    ]
    assert by_url[UNKNOWN]["status"] == "unchecked" and by_url[UNKNOWN]["checked"] is None
    assert by_url[GOV]["checked"] == "2026-12-01"

    es = panel(out / SLUG / "index.html")
    assert words(es).startswith(
        "Enlaces a las fuentes Fuentes comprobadas entre el 28 nov 2026 y el 1 dic 2026: 2 de 4 responden. "
        "1 se mudó a otra dirección, 1 ya no existe y 1 falla. 1 de 5 direcciones aún no se ha comprobado"
    )
    assert "Se mudaron (1)" in es and "No responden (2)" in es
    assert f'<a href="{MOVED_TO}" rel="noopener noreferrer nofollow">{MOVED_TO}</a>' in es
    assert f'href="https://web.archive.org/web/*/{GONE}"' in es
    assert "citada en agreements, líneas 2, 3" in words(es)
    assert 'href="../links.json"' in es
    en = panel(out / "en" / SLUG / "index.html")
    assert words(en).startswith(
        "Links to the sources Sources checked between 28 Nov 2026 and 1 Dec 2026: 2 of 4 answer. "
        "1 moved to another address, 1 no longer exists and 1 is failing. 1 of 5 addresses has not "
        "been checked yet"
    )
    assert "the server answers 404 Not Found · " in words(en) and "look it up in the web archive" in en
    assert 'href="../../links.json"' in en


def test_never_checked_says_so_plainly_and_names_the_command(catalog: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(catalog, out)
    assert "ciudades check-links" in panel(out / SLUG / "index.html")
    assert words(panel(out / SLUG / "index.html")).startswith(
        "Enlaces a las fuentes Los enlaces a las fuentes de este conjunto aún no se han comprobado. "
        "Para comprobarlos, ejecuta ciudades check-links y vuelve a generar el sitio."
    )
    assert words(panel(out / "en" / SLUG / "index.html")).startswith(
        "Links to the sources The links to the sources of this dataset have not been checked yet. "
        "To check them, run ciudades check-links and build the site again."
    )
    for page in (out / SLUG / "index.html", out / "en" / SLUG / "index.html"):
        assert "responden" not in panel(page) and "answer." not in panel(page)  # no figure from nothing
    doc = json.loads((out / "links.json").read_text(encoding="utf-8"))
    assert doc["checked"] is False and doc["last_checked"] is None
    assert {link["status"] for link in doc["links"]} == {"unchecked"}
    figures = json.loads((out / SLUG / "calidad.json").read_text(encoding="utf-8"))
    assert figures["links"]["checked"] is False and figures["links"]["working_share"] is None
    assert "#quality-links-working" not in (out / "catalog.ttl").read_text(encoding="utf-8")


def test_the_links_option_reads_another_file_and_refuses_a_missing_or_foreign_one(
    catalog: Path, tmp_path: Path
) -> None:
    mine = tmp_path / "mine.json"
    write(mine)
    result = CliRunner().invoke(
        cli, ["build", str(catalog), "--out", str(tmp_path / "out"), "--links", str(mine), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "2 of 4 answer" in panel(tmp_path / "out" / "en" / SLUG / "index.html")
    missing = tmp_path / "none.json"
    result = CliRunner().invoke(
        cli, ["build", str(catalog), "--out", str(tmp_path / "o2"), "--links", str(missing), "--lang", "en"]
    )
    assert result.exit_code == 2
    assert "none.json' does not exist: run 'ciudades check-links --cache FILE' first" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "o2").exists()
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"something": "else"}', encoding="utf-8")
    with pytest.raises(UsageError, match="is not a links file written by"):
        build(catalog, tmp_path / "o3", links=foreign)


def test_the_same_cache_gives_the_same_bytes(catalog: Path, tmp_path: Path) -> None:
    write(catalog / ".cache" / "links.json")
    build(catalog, tmp_path / "a")
    build(catalog, tmp_path / "b")
    first = {
        p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()
    }
    second = {
        p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*") if p.is_file()
    }
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_dates_are_written_the_way_each_language_writes_them() -> None:
    assert long_date("2026-12-01", "es") == "1 dic 2026"
    assert long_date("2026-09-30T10:00:00+00:00", "es") == "30 sept 2026"
    assert long_date("2026-05-07", "en") == "7 May 2026"


def test_a_damaged_cache_counts_as_never_checked(catalog: Path, tmp_path: Path) -> None:
    (catalog / ".cache").mkdir()
    (catalog / ".cache" / "links.json").write_text("{not json", encoding="utf-8")
    build(catalog, tmp_path / "out")
    assert "aún no se han comprobado" in panel(tmp_path / "out" / SLUG / "index.html")
    assert json.loads((tmp_path / "out" / "links.json").read_text(encoding="utf-8"))["checked"] is False
