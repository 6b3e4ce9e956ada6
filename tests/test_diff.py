"""diff and --changed-since on a temporary git repository with a base and a head commit."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.errors import UsageError
from toolkit.review.changes import changed_datasets, validate_changed
from toolkit.review.diff import diff, render_diff

ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Prueba", "-c", "user.email=prueba@example.org", "-c", "commit.gpgsign=false"]
SLUGS = sorted(p.parent.name for p in (ROOT / "datasets").glob("*/datapackage.yaml"))  # the shipped catalog


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """base commit: the shipped catalog on main; head commit on a branch: one changed cell, one added row,
    one removed row, a new version and a retyped field (in a private schema copy)."""
    repo = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "datasets", repo / "datasets")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    run_git(repo, "init", "-q", "-b", "main")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "base")
    run_git(repo, "checkout", "-q", "-b", "change")
    cdmx = repo / "datasets" / "ciudad-de-mexico"
    edit(cdmx / "agreements.csv", "2015-11-11,day", "2015-11-31,day")
    lines = (cdmx / "funding.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    removed_id = lines[1].split(",")[0]
    added = lines[2].replace(lines[2].split(",")[0], "cdmx-nueva-fila-2099", 1)
    (cdmx / "funding.csv").write_text("".join([lines[0], *lines[2:], added]), encoding="utf-8")
    edit(cdmx / "datapackage.yaml", "version: 1.0.1", "version: 1.1.0")
    run_git(repo, "commit", "-q", "-am", "head")
    (repo / "removed_id").write_text(removed_id, encoding="utf-8")
    return repo


def test_diff_between_two_refs(repo: Path) -> None:
    result = diff("main", "change", repo / "datasets")
    assert [(d.slug, d.status) for d in result.datasets] == [
        (slug, "modified" if slug == "ciudad-de-mexico" else "unchanged") for slug in SLUGS
    ]
    [cdmx] = [d for d in result.datasets if d.slug == "ciudad-de-mexico"]
    assert cdmx.version == ("1.0.1", "1.1.0")
    tables = {r.name: r for r in cdmx.resources}
    assert tables["partners"].status == "unchanged"
    agreements = tables["agreements"]
    assert agreements.key == ["agreement_id"]
    assert [(c.key, c.cells) for c in agreements.changed] == [
        ("cdmx-100rc-compromiso-resiliencia-2015", [("date_signed", "2015-11-11", "2015-11-31")])
    ]
    funding = tables["funding"]
    assert [r["funding_id"] for r in funding.added] == ["cdmx-nueva-fila-2099"]
    assert [r["funding_id"] for r in funding.removed] == [(repo / "removed_id").read_text("utf-8")]
    assert funding.rows_base == funding.rows_head


def test_diff_default_is_merge_base_against_working_tree(repo: Path) -> None:
    schema = repo / "schemas" / "partners.schema.yaml"
    original = schema.read_text(encoding="utf-8")
    try:
        edit(schema, "type: string", "type: integer")  # the first field changes type
        result = diff(None, None, repo / "datasets")
        assert result.base.startswith("merge-base main (") and result.head == "working tree"
        partners = {r.name: r for r in result.datasets[0].resources}["partners"]
        assert partners.fields_retyped == [("partner_id", "string", "integer")]
        text = render_diff(result, "es")
        assert "Campos con otro tipo: partner_id (string → integer)" in text
        assert "cdmx-100rc-compromiso-resiliencia-2015 · date_signed: «2015-11-11» → «2015-11-31»" in text
    finally:
        schema.write_text(original, encoding="utf-8")


def test_diff_markdown_and_json_and_large_lists(repo: Path) -> None:
    result = diff("main", "change", repo / "datasets")
    md = render_diff(result, "en", "markdown")
    assert md.startswith("## Changes to the data: from main (")
    assert "### Dataset `ciudad-de-mexico` (modified)" in md
    assert "| cdmx-100rc-compromiso-resiliencia-2015 | date_signed | 2015-11-11 | 2015-11-31 |" in md
    assert "- Version: 1.0.1 → 1.1.0" in md
    data = json.loads(render_diff(result, "en", "json"))
    [cdmx_json] = [d for d in data["datasets"] if d["slug"] == "ciudad-de-mexico"]
    assert data["changed"] is True and cdmx_json["version"] == ["1.0.1", "1.1.0"]
    # every row of a table removed: counted in full, listed only up to `first`
    gone = diff("main", "change", repo / "datasets")
    funding = {r.name: r for r in next(d for d in gone.datasets if d.slug == "ciudad-de-mexico").resources}[
        "funding"
    ]
    funding.removed = funding.removed * 30
    text = render_diff(gone, "en", first=3)
    assert "Rows removed (30):" in text and "… and 27 more" in text


def test_diff_between_folders_and_zips(tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(ROOT / "datasets", old / "datasets")
    shutil.copytree(ROOT / "schemas", old / "schemas")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    edit(new / "datasets" / "bogota" / "partners.csv", ",", ";")  # a changed header cell → columns differ
    result = diff(str(old), str(new))
    assert [d.slug for d in result.datasets if d.status == "modified"] == ["bogota"]

    def package_zip(folder: Path, version: str) -> Path:
        target = tmp_path / f"bogota-{version}.zip"
        descriptor = {
            "name": "bogota",
            "version": version,
            "resources": [
                {
                    "name": "partners",
                    "path": "partners.csv",
                    "schema": {
                        "primaryKey": ["partner_id"],
                        "fields": [
                            {"name": "partner_id", "type": "string"},
                            {"name": "name", "type": "string"},
                        ],
                    },
                }
            ],
        }
        with zipfile.ZipFile(target, "w") as z:
            z.writestr(f"bogota-{version}/datapackage.json", json.dumps(descriptor))
            z.writestr(f"bogota-{version}/partners.csv", (folder / "partners.csv").read_text("utf-8"))
        return target

    a = tmp_path / "a"
    a.mkdir()
    (a / "partners.csv").write_text("partner_id,name\nbogota,Bogotá\nmadrid,Madrid\n", encoding="utf-8")
    b = tmp_path / "b"
    b.mkdir()
    (b / "partners.csv").write_text("partner_id,name\nbogota,Bogotá D.C.\nquito,Quito\n", encoding="utf-8")
    zipped = diff(str(package_zip(a, "1.0.0")), str(package_zip(b, "1.1.0")))
    [bogota] = zipped.datasets
    [partners] = bogota.resources
    assert bogota.version == ("1.0.0", "1.1.0")
    assert [c.cells for c in partners.changed] == [[("name", "Bogotá", "Bogotá D.C.")]]
    assert [r["partner_id"] for r in partners.added] == ["quito"]
    assert [r["partner_id"] for r in partners.removed] == ["madrid"]
    # the zips' folders carry the version (bogota-1.0.0/, bogota-1.1.0/): no folder or file "moved"
    assert (bogota.status, bogota.moved, partners.moved) == ("modified", None, None)
    assert "Folder:" not in render_diff(zipped, "en") and "File:" not in render_diff(zipped, "en")


def test_changed_since_validates_only_changed_datasets(repo: Path) -> None:
    selected, skipped, _ = changed_datasets(repo / "datasets", "main")
    others = [s for s in SLUGS if s != "ciudad-de-mexico"]
    assert selected == ["ciudad-de-mexico"] and skipped == others
    report = validate_changed(repo / "datasets", "main")
    assert report.datasets == ["ciudad-de-mexico"] and report.skipped == others
    assert [(f.code, f.line, f.column) for f in report.errors] == [("type-error", 2, "H")]
    result = CliRunner().invoke(
        cli, ["validate", str(repo / "datasets"), "--changed-since", "main", "--lang", "es"]
    )
    assert result.exit_code == 1
    assert f"Omitidos: {', '.join(others)}\n" in result.output


def test_changed_since_untracked_and_schema_changes(repo: Path) -> None:
    extra = repo / "datasets" / "montevideo" / "notes.txt"
    extra.write_text("untracked\n", encoding="utf-8")
    try:
        assert changed_datasets(repo / "datasets", "change")[0] == ["montevideo"]
    finally:
        extra.unlink()
    assert changed_datasets(repo / "datasets", "change")[0] == []
    report = validate_changed(repo / "datasets", "change")
    # nothing changed: the whole catalog is checked rather than nothing (a run that checks nothing
    # is never valid), and the report says why
    assert report.datasets == SLUGS and report.skipped == []
    assert [f.code for f in report.findings] == ["type-error", "changed-nothing"]  # the head's broken cell
    codelist = repo / "schemas" / "codelists" / "statuses.csv"
    original = codelist.read_text(encoding="utf-8")
    try:
        codelist.write_text(original + "dormant,Inactivo,Dormant,x\n", encoding="utf-8")
        assert changed_datasets(repo / "datasets", "change")[0] == SLUGS
    finally:
        codelist.write_text(original, encoding="utf-8")


def three_packages(tmp_path: Path) -> Path:
    """A committed catalog of packages a, b, c where b's foreign key points into a."""
    catalog = tmp_path / "datasets"
    for slug in ("a", "b", "c"):
        (catalog / slug).mkdir(parents=True)
        (catalog / slug / "items.csv").write_text("id\nx\n", encoding="utf-8")
        fk = {"fields": ["id"], "reference": {"package": "a", "resource": "items", "fields": ["id"]}}
        schema = {
            "fields": [{"name": "id", "type": "string"}],
            **({"foreignKeys": [fk]} if slug == "b" else {}),
        }
        descriptor = {"name": slug, "resources": [{"name": "items", "path": "items.csv", "schema": schema}]}
        (catalog / slug / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (catalog / "catalog.yaml").write_text("title: {es: t, en: t}\n", encoding="utf-8")
    subprocess.run([*GIT, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=tmp_path, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=tmp_path, check=True)
    return catalog


def test_changed_since_follows_references_between_packages(tmp_path: Path) -> None:
    catalog = three_packages(tmp_path)
    (catalog / "a" / "items.csv").write_text("id\ny\n", encoding="utf-8")
    assert changed_datasets(catalog, "HEAD")[:2] == (["a", "b"], ["c"])


def test_bad_ref_and_no_repository_exit_two(repo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        cli, ["validate", str(repo / "datasets"), "--changed-since", "no-such-ref", "--lang", "en"]
    )
    assert bad.exit_code == 2
    assert "git does not know the ref 'no-such-ref'" in bad.output
    plain = tmp_path / "plain"
    shutil.copytree(ROOT / "datasets", plain / "datasets")
    outside = runner.invoke(
        cli, ["validate", str(plain / "datasets"), "--changed-since", "main", "--lang", "es"]
    )
    assert outside.exit_code == 2
    assert "no está dentro de un repositorio git" in outside.output
    with pytest.raises(UsageError):
        diff(str(plain), None)
    result = runner.invoke(cli, ["diff", str(repo / "datasets"), "--base", "main", "--head", "change"])
    assert result.exit_code == 0 and "2015-11-31" in result.output


# ── every kind of change ─────────────────────────────────────────────────────────────────────────


def rows_of(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def add_city(catalog: Path, slug: str = "ciudad-nueva", source: str = "bogota") -> Path:
    """A new dataset as a contributor adds one: a copy of another city's folder, renamed."""
    folder = catalog / slug
    shutil.copytree(catalog / source, folder)
    edit(folder / "datapackage.yaml", f"name: {source}", f"name: {slug}")
    return folder


def copy_catalog(target: Path) -> Path:
    shutil.copytree(ROOT / "datasets", target / "datasets")
    shutil.copytree(ROOT / "schemas", target / "schemas")
    return target


def test_a_new_city_is_its_rows_added_by_table(tmp_path: Path) -> None:
    """The branch that adds a dataset once ended with ValueError: 'agreement_id' is not in list."""
    work = copy_catalog(tmp_path / "repo")
    run_git(work, "init", "-q", "-b", "main")
    run_git(work, "add", "-A")
    run_git(work, "commit", "-q", "-m", "base")
    run_git(work, "checkout", "-q", "-b", "ciudad-nueva")
    folder = add_city(work / "datasets")
    run_git(work, "add", "-A")
    run_git(work, "commit", "-q", "-m", "ciudad-nueva")
    for head in ("ciudad-nueva", None):  # the branch, and the working tree
        result = diff("main", head, work / "datasets")
        assert [(d.slug, d.status) for d in result.datasets if d.status != "unchanged"] == [
            ("ciudad-nueva", "added")
        ]
        [added] = [d for d in result.datasets if d.slug == "ciudad-nueva"]
        assert [(r.name, r.status, len(r.added), r.rows_head) for r in added.resources] == [
            (name, "added", rows_of(folder / f"{name}.csv"), rows_of(folder / f"{name}.csv"))
            for name in ("agreements", "funding", "partners")
        ]
        assert all(not r.removed and not r.changed for r in added.resources)
    n = rows_of(folder / "agreements.csv")
    text = render_diff(result, "es", first=1)
    assert "\nciudad-nueva (agregado)\n" in text
    assert f"  Tabla agreements (nueva): {n} filas agregadas; filas en total: 0 → {n}\n" in text
    assert "      bogota-afd-memorando-2025: local_party_id=bogota-co; counterpart_id=afd;" in text
    assert f"      … y {n - 1} más\n" in text
    md = render_diff(result, "en", "markdown")
    assert "### Dataset `ciudad-nueva` (added)" in md
    assert f"#### Table `agreements` (new): {n} rows added; rows in all: 0 → {n}" in md
    cli_run = CliRunner().invoke(cli, ["diff", str(work / "datasets"), "--base", "main", "--lang", "en"])
    assert cli_run.exit_code == 0, cli_run.output
    assert "ciudad-nueva (added)" in cli_run.output


def test_a_removed_city_is_its_rows_removed(repo: Path) -> None:
    run_git(repo, "checkout", "-q", "-b", "remove-montevideo", "main")
    try:
        run_git(repo, "rm", "-r", "-q", "datasets/montevideo")
        run_git(repo, "commit", "-q", "-m", "remove montevideo")
        result = diff("main", "remove-montevideo", repo / "datasets")
    finally:
        run_git(repo, "checkout", "-q", "change")
    [gone] = [d for d in result.datasets if d.status != "unchanged"]
    assert (gone.slug, gone.status) == ("montevideo", "removed")
    assert {r.name: (r.status, len(r.removed), r.rows_head) for r in gone.resources} == {
        name: ("removed", rows_of(ROOT / "datasets" / "montevideo" / f"{name}.csv"), 0)
        for name in ("agreements", "funding", "partners")
    }
    text = render_diff(result, "en", first=1)
    assert "\nmontevideo (removed)\n" in text
    n = rows_of(ROOT / "datasets" / "montevideo" / "partners.csv")
    assert f"  Table partners (removed): {n} rows removed; rows in all: {n} → 0\n" in text


def test_an_empty_base_makes_everything_new(tmp_path: Path) -> None:
    """A repository whose first commit has no catalog yet (and one with an empty catalog folder)."""
    work = tmp_path / "repo"
    work.mkdir()
    (work / "README.md").write_text("datos\n", encoding="utf-8")
    run_git(work, "init", "-q", "-b", "main")
    run_git(work, "add", "-A")
    run_git(work, "commit", "-q", "-m", "nothing yet")
    copy_catalog(work)
    result = diff("main", None, work / "datasets")
    assert result.base_empty and not result.head_empty
    assert [(d.slug, d.status) for d in result.datasets] == [(slug, "added") for slug in SLUGS]
    text = render_diff(result, "es")
    assert "\nLa versión base no tiene conjuntos de datos: todo lo que sigue es nuevo.\n" in text
    assert json.loads(render_diff(result, "en", "json"))["base_empty"] is True
    (tmp_path / "nothing").mkdir()
    back = diff(str(work), str(tmp_path / "nothing"))
    assert back.head_empty and {d.status for d in back.datasets} == {"removed"}
    assert "The new version has no datasets: all of them were removed." in render_diff(back, "en")


def test_tables_added_and_removed_in_a_dataset(tmp_path: Path) -> None:
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    bogota = new / "datasets" / "bogota"
    text = (bogota / "datapackage.yaml").read_text(encoding="utf-8")
    head, tail = text.split("  - name: funding\n", 1)
    tail = tail.split("  - name: partners\n", 1)[1]
    (bogota / "datapackage.yaml").write_text(
        head
        + "  - name: partners\n"
        + tail
        + "  - name: events\n    path: events.csv\n    schema:\n      primaryKey: [event_id]\n"
        + "      fields:\n        - {name: event_id, type: string}\n        - {name: title, type: string}\n",
        encoding="utf-8",
    )
    (bogota / "funding.csv").unlink()
    (bogota / "events.csv").write_text("event_id,title\ncumbre-2016,Cumbre CGLU\n", encoding="utf-8")
    result = diff(str(old), str(new))
    [d] = [d for d in result.datasets if d.status != "unchanged"]
    tables = {r.name: r for r in d.resources}
    assert (d.slug, tables["events"].status, tables["funding"].status) == ("bogota", "added", "removed")
    assert tables["events"].added == [{"event_id": "cumbre-2016", "title": "Cumbre CGLU"}]
    assert len(tables["funding"].removed) == rows_of(old / "datasets" / "bogota" / "funding.csv")
    assert (tables["agreements"].status, tables["partners"].status) == ("unchanged", "unchanged")
    text = render_diff(result, "es")
    assert "  Tabla events (nueva): 1 fila agregada; filas en total: 0 → 1\n" in text
    assert "      cumbre-2016: title=Cumbre CGLU\n" in text


def test_columns_added_removed_renamed_and_reordered(tmp_path: Path) -> None:
    """A column added or removed is told once, not as a changed cell on every row; a renamed column
    (same values) is a rename; the other cells are still compared by name."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    path = new / "datasets" / "bogota" / "partners.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rows[0]["name_en"] = "AFD"
    columns = [c for c in rows[0] if c not in ("former_names", "website")]
    columns[1], columns[2] = columns[2], columns[1]  # name_en before name_es
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow([*columns, "web", "email"])
        for n, row in enumerate(rows):
            writer.writerow([*(row[c] for c in columns), row["website"], f"x{n}@example.org"])
    result = diff(str(old), str(new))
    [d] = [d for d in result.datasets if d.status != "unchanged"]
    partners = {r.name: r for r in d.resources}["partners"]
    assert partners.columns_added == ["email"]
    assert partners.columns_removed == ["former_names"]
    assert partners.columns_renamed == [("website", "web")]
    assert partners.columns_reordered
    assert [(c.key, c.cells) for c in partners.changed] == [
        ("afd", [("name_en", "French Development Agency (AFD)", "AFD")])
    ]
    assert not partners.added and not partners.removed
    text = render_diff(result, "es")
    assert "    Columnas agregadas: email\n" in text
    assert "    Columnas eliminadas: former_names\n" in text
    assert "    Columnas renombradas: website → web\n" in text
    assert "    Las columnas cambiaron de orden\n" in text
    assert "      afd · name_en: «French Development Agency (AFD)» → «AFD»\n" in text
    assert "Columns renamed: website → web" in render_diff(result, "en")


def test_renamed_dataset_folder_and_files(tmp_path: Path) -> None:
    """A dataset renamed (folder and name), a CSV renamed and a resource renamed: matched by content
    (at least half the rows the same, as git's rename detection), never told as everything removed and
    everything added."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    folder = new / "datasets" / "bogota-dc"
    (new / "datasets" / "bogota").rename(folder)
    edit(folder / "datapackage.yaml", "name: bogota", "name: bogota-dc")
    edit(folder / "datapackage.yaml", "path: agreements.csv", "path: acuerdos.csv")
    edit(folder / "datapackage.yaml", "- name: partners", "- name: contrapartes")
    (folder / "agreements.csv").rename(folder / "acuerdos.csv")
    edit(folder / "funding.csv", "150000000,EUR", "150000001,EUR")
    result = diff(str(old), str(new))
    [d] = [d for d in result.datasets if d.status != "unchanged"]
    assert (d.slug, d.status, d.renamed_from, d.moved) == (
        "bogota-dc",
        "renamed",
        "bogota",
        ("datasets/bogota", "datasets/bogota-dc"),
    )
    tables = {r.name: r for r in d.resources}
    assert set(tables) == {"agreements", "funding", "contrapartes"}
    assert tables["agreements"].moved == ("datasets/bogota/agreements.csv", "datasets/bogota-dc/acuerdos.csv")
    assert (tables["contrapartes"].status, tables["contrapartes"].renamed_from) == ("renamed", "partners")
    assert not tables["contrapartes"].added and not tables["contrapartes"].removed
    assert [c.cells for c in tables["funding"].changed] == [[("amount", "150000000", "150000001")]]
    text = render_diff(result, "es")
    assert "\nbogota-dc (renombrado; antes bogota)\n" in text
    assert "  Carpeta: datasets/bogota → datasets/bogota-dc\n" in text
    assert "    Archivo: datasets/bogota/agreements.csv → datasets/bogota-dc/acuerdos.csv\n" in text
    assert "  Tabla contrapartes (renombrada; antes partners): " in text
    assert "\nbogota-dc (renamed; was bogota)\n" in render_diff(result, "en")
    # a different city in the place of a removed one is no rename
    other = tmp_path / "other"
    shutil.copytree(old, other)
    shutil.rmtree(other / "datasets" / "bogota")
    add_city(other / "datasets", "ciudad-nueva", "montevideo")
    swapped = diff(str(old), str(other))
    assert [(d.slug, d.status) for d in swapped.datasets if d.status != "unchanged"] == [
        ("bogota", "removed"),
        ("ciudad-nueva", "added"),
    ]


def mini_package(folder: Path, key: list[str] | None, header: str, rows: list[str]) -> Path:
    folder.mkdir(parents=True)
    schema: dict[str, object] = {"fields": [{"name": n, "type": "string"} for n in header.split(",")]}
    if key is not None:
        schema["primaryKey"] = key
    descriptor = {"name": "ciudad", "resources": [{"name": "items", "path": "items.csv", "schema": schema}]}
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    (folder / "items.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "key", "changed", "line"),
    [
        # both keys in both versions: the new key matches the rows
        (
            (["id"], "id,code,name", ["1,a,Lima", "2,b,Quito"]),
            (["code"], "id,code,name", ["1,a,Lima", "2,b,Quito DM"]),
            ["code"],
            [("b", [("name", "Quito", "Quito DM")])],
            "Primary key: id → code; rows compared by code",
        ),
        # the new key is a new column: the rows are matched by the old key, which both versions have
        (
            (["id"], "id,name", ["1,Lima", "2,Quito"]),
            (["code"], "id,code,name", ["1,a,Lima", "2,b,Quito DM"]),
            ["id"],
            [("2", [("name", "Quito", "Quito DM")])],
            "Primary key: id → code; rows compared by id",
        ),
        # no key in common: whole rows, over the columns both versions share
        (
            (["id"], "id,name", ["1,Lima", "2,Quito"]),
            (["code"], "code,name", ["a,Lima", "b,Quito"]),
            [],
            [],
            "Primary key: id → code; rows compared whole, without a key",
        ),
        # a key declared for the first time
        (
            (None, "id,name", ["1,Lima"]),
            (["id"], "id,name", ["1,Lima del Perú"]),
            ["id"],
            [("1", [("name", "Lima", "Lima del Perú")])],
            "Primary key: (none) → id; rows compared by id",
        ),
    ],
)
def test_a_changed_primary_key(
    tmp_path: Path,
    old: tuple[list[str] | None, str, list[str]],
    new: tuple[list[str] | None, str, list[str]],
    key: list[str],
    changed: list[tuple[str, list[tuple[str, str, str]]]],
    line: str,
) -> None:
    mini_package(tmp_path / "a" / "ciudad", *old)
    mini_package(tmp_path / "b" / "ciudad", *new)
    result = diff(str(tmp_path / "a"), str(tmp_path / "b"))
    [items] = result.datasets[0].resources
    assert items.key == key
    assert [(c.key, c.cells) for c in items.changed] == changed
    assert f"    {line}\n" in render_diff(result, "en")
    assert "Clave primaria: " in render_diff(result, "es")


def test_a_key_missing_from_one_version_is_said(tmp_path: Path) -> None:
    mini_package(tmp_path / "a" / "ciudad", ["id"], "id,name", ["1,Lima"])
    mini_package(tmp_path / "b" / "ciudad", ["id"], "code,name", ["1,Lima"])
    result = diff(str(tmp_path / "a"), str(tmp_path / "b"))
    [items] = result.datasets[0].resources
    assert items.key == [] and items.columns_renamed == [("id", "code")] and not items.changed
    assert "    La clave id no está en las dos versiones: filas comparadas completas\n" in render_diff(
        result, "es"
    )


def test_metadata_with_unquoted_dates(tmp_path: Path) -> None:
    """YAML reads `modified: 2026-11-25` as a date; the diff shows it and does not crash."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    descriptor = old / "datasets" / "bogota" / "datapackage.yaml"
    [shipped] = re.findall(r'^modified: "(\d{4}-\d\d-\d\d)"$', descriptor.read_text(encoding="utf-8"), re.M)
    edit(descriptor, f'modified: "{shipped}"', "modified: 2026-11-25")
    edit(new / "datasets" / "bogota" / "datapackage.yaml", f'modified: "{shipped}"', "modified: 2026-12-01")
    [d] = [d for d in diff(str(old), str(new)).datasets if d.status != "unchanged"]
    assert d.metadata == [("modified", "2026-11-25", "2026-12-01")]


def test_changed_since_a_removed_dataset_checks_the_rest(tmp_path: Path) -> None:
    """Removing a dataset changes the catalog: the datasets left are checked (one may reference the one
    removed), never "Checked: 0 datasets ✓"."""
    catalog = three_packages(tmp_path)
    shutil.rmtree(catalog / "a")
    assert changed_datasets(catalog, "HEAD")[:2] == (["b", "c"], [])
    report = validate_changed(catalog, "HEAD")
    assert report.datasets == ["b", "c"]
    assert report.skipped == []


def test_a_broken_descriptor_is_no_dataset_removed(tmp_path: Path) -> None:
    """A YAML syntax error in a descriptor once made its dataset vanish from the head: every row
    "removed". The folder stays, said unreadable, its tables not compared."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    edit(new / "datasets" / "bogota" / "datapackage.yaml", "name: bogota", "name: [bogota")
    result = diff(str(old), str(new))
    [d] = [d for d in result.datasets if d.status != "unchanged"]
    assert (d.slug, d.status, d.resources) == ("bogota", "modified", [])
    assert d.unreadable == [("head", "datasets/bogota/datapackage.yaml")]
    text = render_diff(result, "es")
    assert (
        "  No se pudo leer datasets/bogota/datapackage.yaml en la versión nueva (ciudades validate dice"
        in text
    )
    assert "eliminad" not in text
    same = diff(str(new), str(new))
    assert not same.changed
    # a descriptor that reads but has no list of resources: no tables, no crash
    edit(new / "datasets" / "bogota" / "datapackage.yaml", "name: [bogota", "name: bogota")
    edit(new / "datasets" / "bogota" / "datapackage.yaml", "resources:\n", "resources: 5\nold_resources:\n")
    [d] = [d for d in diff(str(old), str(new)).datasets if d.status != "unchanged"]
    assert {r.status for r in d.resources} == {"removed"}


def test_a_declared_file_that_is_gone_is_said(tmp_path: Path) -> None:
    """A CSV renamed on disk but not in the descriptor: its rows count as removed, and the diff says why."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    folder = new / "datasets" / "bogota"
    (folder / "funding.csv").rename(folder / "financiamiento.csv")
    [d] = [d for d in diff(str(old), str(new)).datasets if d.status != "unchanged"]
    funding = {r.name: r for r in d.resources}["funding"]
    assert funding.missing == [("head", "datasets/bogota/funding.csv")]
    assert len(funding.removed) == rows_of(old / "datasets" / "bogota" / "funding.csv")
    text = render_diff(diff(str(old), str(new)), "en")
    assert (
        "    The file datasets/bogota/funding.csv does not exist in the new version: its rows count as"
        in text
    )


def test_a_table_with_no_column_in_common_is_rows_removed_and_added(tmp_path: Path) -> None:
    mini_package(tmp_path / "a" / "ciudad", None, "id,name", ["1,Lima", "2,Quito"])
    mini_package(tmp_path / "b" / "ciudad", None, "codigo,nombre", ["a,Bogotá", "b,Caracas"])
    [items] = diff(str(tmp_path / "a"), str(tmp_path / "b")).datasets[0].resources
    assert (items.columns_added, items.columns_removed) == (["codigo", "nombre"], ["id", "name"])
    assert (len(items.removed), len(items.added), items.changed) == (2, 2, [])


def test_schema_changes_say_what_changed(tmp_path: Path) -> None:
    """A field redefined says which properties changed (values when short); other schema properties
    (foreign keys, missing values) are changes too, never an "unchanged" table."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    schema = new / "schemas" / "partners.schema.yaml"
    edit(schema, "    constraints: {maxLength: 300}\n", "    constraints: {required: true, maxLength: 300}\n")
    edit(
        schema,
        "description: Nombre de la organización en español.",
        "description: Nombre oficial completo de la organización, en español, como lo escribe ella misma.",
    )
    edit(schema, 'missingValues: ["", "NA"]', 'missingValues: [""]')
    result = diff(str(old), str(new))
    partners = {r.name: r for r in result.datasets[0].resources}["partners"]
    assert partners.status == "modified" and not partners.changed
    assert partners.fields_modified == ["name_es", "name_en"]
    assert partners.field_changes == [
        ("name_es", "description", "Nombre de la organización en español.", partners.field_changes[0][3]),
        ("name_en", "constraints.required", None, "true"),
    ]
    assert partners.schema_properties == [("missingValues", '["", "NA"]', '[""]')]
    text = render_diff(result, "es")
    assert (
        "    Campos con otra definición: name_es (description), name_en (constraints.required: - → true)\n"
        in text
    )
    assert '    Otras propiedades del esquema: missingValues: ["", "NA"] → [""]\n' in text
    assert "Other schema properties: missingValues" in render_diff(result, "en")


def test_a_copied_city_that_kept_the_old_name(tmp_path: Path) -> None:
    """`cp -r bogota quito` without changing `name:`: two datasets named bogota. The copy is a dataset
    added (by its folder), never bogota "moved" to quito with the real bogota hidden."""
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    shutil.copytree(new / "datasets" / "bogota", new / "datasets" / "ciudad-nueva")
    result = diff(str(old), str(new))
    assert [(d.slug, d.status) for d in result.datasets if d.status != "unchanged"] == [
        ("ciudad-nueva", "added")
    ]
    assert [d.slug for d in result.datasets] == sorted([*SLUGS, "ciudad-nueva"])


def test_a_table_s_own_metadata_is_a_change(tmp_path: Path) -> None:
    old = copy_catalog(tmp_path / "old")
    new = tmp_path / "new"
    shutil.copytree(old, new)
    edit(new / "datasets" / "bogota" / "datapackage.yaml", "title_en: Partners", "title_en: Counterparts")
    result = diff(str(old), str(new))
    [d] = [d for d in result.datasets if d.status != "unchanged"]
    partners = {r.name: r for r in d.resources}["partners"]
    assert (d.slug, partners.status, partners.metadata) == (
        "bogota",
        "modified",
        [("title_en", "Partners", "Counterparts")],
    )
    assert "  Tabla partners (modificada): 0 filas agregadas, 0 eliminadas, 0 modificadas; " in render_diff(
        result, "es"
    )
    assert "    Metadata: title_en\n" in render_diff(result, "en")


@pytest.mark.parametrize(
    "schema",
    [
        {"fields": 5},
        {"fields": [{"name": ["id"], "type": "string"}, "name"]},
        {"fields": [{"name": "id", "type": ["string"]}], "primaryKey": {"id": 1}},
        {"fields": [{"name": "id"}], "primaryKey": [["id"]], "foreignKeys": "x"},
    ],
)
def test_odd_schemas_never_crash(tmp_path: Path, schema: dict[str, object]) -> None:
    """Whatever a contributor writes in a schema, the diff answers (validate says what is wrong)."""
    mini_package(tmp_path / "a" / "ciudad", ["id"], "id,name", ["1,Lima"])
    folder = mini_package(tmp_path / "b" / "ciudad", ["id"], "id,name", ["1,Lima", "2,Quito"])
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["schema"] = schema
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    result = diff(str(tmp_path / "a"), str(tmp_path / "b"))
    [items] = result.datasets[0].resources
    assert items.status == "modified" and len(items.added) + len(items.changed) >= 1
    for lang in ("es", "en"):
        for fmt in ("text", "markdown", "json"):
            assert render_diff(result, lang, fmt)
