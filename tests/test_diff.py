"""diff and --changed-since on a temporary git repository with a base and a head commit."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.changes import changed_datasets, validate_changed
from toolkit.cli import cli
from toolkit.diff import diff, render_diff
from toolkit.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Prueba", "-c", "user.email=prueba@example.org", "-c", "commit.gpgsign=false"]


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
    edit(cdmx / "datapackage.yaml", "version: 1.0.0", "version: 1.1.0")
    run_git(repo, "commit", "-q", "-am", "head")
    (repo / "removed_id").write_text(removed_id, encoding="utf-8")
    return repo


def test_diff_between_two_refs(repo: Path) -> None:
    result = diff("main", "change", repo / "datasets")
    assert [(d.slug, d.status) for d in result.datasets] == [
        ("bogota", "unchanged"),
        ("ciudad-de-mexico", "modified"),
        ("montevideo", "unchanged"),
    ]
    cdmx = result.datasets[1]
    assert cdmx.version == ("1.0.0", "1.1.0")
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
    assert "- Version: 1.0.0 → 1.1.0" in md
    data = json.loads(render_diff(result, "en", "json"))
    assert data["changed"] is True and data["datasets"][1]["version"] == ["1.0.0", "1.1.0"]
    # every row of a table removed: counted in full, listed only up to `first`
    gone = diff("main", "change", repo / "datasets")
    funding = {r.name: r for r in gone.datasets[1].resources}["funding"]
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


def test_changed_since_validates_only_changed_datasets(repo: Path) -> None:
    selected, skipped, _ = changed_datasets(repo / "datasets", "main")
    assert selected == ["ciudad-de-mexico"] and skipped == ["bogota", "montevideo"]
    report = validate_changed(repo / "datasets", "main")
    assert report.datasets == ["ciudad-de-mexico"] and report.skipped == ["bogota", "montevideo"]
    assert [(f.code, f.line, f.column) for f in report.errors] == [("type-error", 2, "H")]
    result = CliRunner().invoke(
        cli, ["validate", str(repo / "datasets"), "--changed-since", "main", "--lang", "es"]
    )
    assert result.exit_code == 1
    assert "Omitidos: bogota, montevideo" in result.output


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
    assert report.datasets == ["bogota", "ciudad-de-mexico", "montevideo"] and report.skipped == []
    assert [f.code for f in report.findings] == ["type-error", "changed-nothing"]  # the head's broken cell
    codelist = repo / "schemas" / "codelists" / "statuses.csv"
    original = codelist.read_text(encoding="utf-8")
    try:
        codelist.write_text(original + "dormant,Inactivo,Dormant,x\n", encoding="utf-8")
        assert changed_datasets(repo / "datasets", "change")[0] == [
            "bogota",
            "ciudad-de-mexico",
            "montevideo",
        ]
    finally:
        codelist.write_text(original, encoding="utf-8")


def test_changed_since_follows_references_between_packages(tmp_path: Path) -> None:
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
