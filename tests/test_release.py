"""release on a scratch git repository holding a copy of the shipped catalog."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.review.release import release

ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Prueba", "-c", "user.email=prueba@example.org", "-c", "commit.gpgsign=false"]
DAY = date(2027, 1, 15)


def run_git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def drop_row(path: Path, n: int = 1) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:n] + lines[n + 1 :]), encoding="utf-8")


def snapshot(repo: Path) -> dict[str, bytes]:
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def first_release(datasets: Path) -> None:
    """The copied catalog as at its first release: every dataset at 1.0.0, no changelog yet (the
    shipped catalog has releases of its own, which these tests must not depend on)."""
    for descriptor in datasets.glob("*/datapackage.yaml"):
        text = descriptor.read_text(encoding="utf-8")
        descriptor.write_text(re.sub(r"(?m)^version: .*$", "version: 1.0.0", text, count=1), encoding="utf-8")
        (descriptor.parent / "CHANGELOG.md").unlink(missing_ok=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    first_release(tmp_path / "datasets")
    run_git(tmp_path, "init", "-q", "-b", "main")
    run_git(tmp_path, "add", "-A")
    run_git(tmp_path, "commit", "-q", "-m", "catalog")
    return tmp_path


def test_rows_removed_make_a_minor_release_that_edits_only_the_version_lines(repo: Path) -> None:
    quito = repo / "datasets" / "quito"
    drop_row(quito / "funding.csv")
    before = (quito / "datapackage.yaml").read_text(encoding="utf-8")
    result = release(repo / "datasets", ["quito"], today=DAY)
    (rel,) = result.datasets
    assert (rel.status, rel.proposed, rel.bump, rel.old_version, rel.new_version) == (
        "released",
        "minor",
        "minor",
        "1.0.0",
        "1.1.0",
    )
    after = (quito / "datapackage.yaml").read_text(encoding="utf-8")
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [
        ("version: 1.0.0", "version: 1.1.0"),
        ('modified: "2026-12-03"', 'modified: "2027-01-15"'),
    ]
    log = (quito / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.startswith("# Changelog\n\n## 1.1.0 (2027-01-15)\n")
    assert "- Tabla `funding` (modificada): 1 eliminada" in log
    assert "- Table `funding` (modified): 1 removed" in log
    assert "partners" not in log and "agreements" not in log  # only the table that changed


def test_a_corrected_cell_makes_a_patch_and_a_retyped_field_a_major(repo: Path) -> None:
    edit(repo / "datasets" / "ciudad-de-mexico" / "agreements.csv", "2015-11-11,day", "2015-11-12,day")
    edit(
        repo / "schemas" / "funding.schema.yaml",
        "duration_months\n    type: integer",
        "duration_months\n    type: number",
    )
    result = release(repo / "datasets", ["ciudad-de-mexico", "quito"], today=DAY)
    cdmx, quito = result.datasets
    # the shared schema changed for both; the corrected cell adds nothing above a major
    assert (cdmx.bump, cdmx.new_version) == ("major", "2.0.0")
    assert (quito.bump, quito.new_version) == ("major", "2.0.0")
    assert any("duration_months: integer → number" in s for t in quito.tables for s in t.schema)
    run_git(repo, "checkout", "-q", "--", ".")
    edit(repo / "datasets" / "ciudad-de-mexico" / "agreements.csv", "2015-11-11,day", "2015-11-12,day")
    (cdmx,) = release(repo / "datasets", ["ciudad-de-mexico"], today=DAY).datasets
    assert (cdmx.bump, cdmx.new_version) == ("patch", "1.0.1")
    assert "1 corregida" in (repo / "datasets" / "ciudad-de-mexico" / "CHANGELOG.md").read_text(
        encoding="utf-8"
    )


def test_a_field_reworded_is_a_patch_and_a_new_constraint_a_major(repo: Path) -> None:
    schema = repo / "schemas" / "funding.schema.yaml"
    text = schema.read_text(encoding="utf-8")
    # a field's description (and its English one) reworded: the data read the same
    reworded = re.sub(r"(?m)^(    description: )(.*)$", r"\1\2 Reworded.", text, count=1)
    reworded = re.sub(r"(?m)^(    description_en: )(.*)$", r"\1\2 Reworded.", reworded, count=1)
    assert reworded != text
    schema.write_text(reworded, encoding="utf-8")
    (quito,) = release(repo / "datasets", ["quito"], today=DAY, dry_run=True).datasets
    assert (quito.proposed, quito.new_version) == ("patch", "1.0.1")
    assert [t.schema for t in quito.tables] == [[]]
    assert quito.tables[0].docs and quito.tables[0].docs[0].startswith("~")
    out = CliRunner().invoke(
        cli, ["release", "--path", str(repo / "datasets"), "quito", "--dry-run", "--lang", "en"]
    )
    assert "schema wording: ~" in out.output, out.output
    # a constraint is not wording: the same field made required is a major
    stricter = text.replace("constraints: {minimum: 0}", "constraints: {minimum: 1}", 1)
    assert stricter != text
    schema.write_text(stricter, encoding="utf-8")
    (quito,) = release(repo / "datasets", ["quito"], today=DAY, dry_run=True).datasets
    assert quito.proposed == "major"


def test_bump_overrides_the_proposal_and_says_so(repo: Path) -> None:
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    out = CliRunner().invoke(
        cli, ["release", "--path", str(repo / "datasets"), "quito", "--bump", "major", "--lang", "en"]
    )
    assert out.exit_code == 0, out.output
    assert "quito: 1.0.0 → 2.0.0 (major; --bump major; the changes proposed minor)" in out.output
    assert (
        yaml.safe_load((repo / "datasets" / "quito" / "datapackage.yaml").read_text(encoding="utf-8"))[
            "version"
        ]
        == "2.0.0"
    )


def test_dry_run_writes_nothing(repo: Path) -> None:
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    before = snapshot(repo)
    out = CliRunner().invoke(cli, ["release", "--path", str(repo / "datasets"), "--dry-run", "--lang", "es"])
    assert out.exit_code == 0, out.output
    assert "quito: 1.0.0 → 1.1.0 (minor; propuesta)" in out.output
    assert "se escribiría: " in out.output
    assert out.output.endswith("Simulación (--dry-run): no se escribió nada.\n")
    assert snapshot(repo) == before


def test_a_dataset_without_changes_is_left_alone_and_said_so(repo: Path) -> None:
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    bogota = snapshot(repo / "datasets" / "bogota")
    out = CliRunner().invoke(cli, ["release", "--path", str(repo / "datasets"), "--lang", "en"])
    assert out.exit_code == 0, out.output
    assert "bogota: no changes since " in out.output and "; left at 1.0.0" in out.output
    assert snapshot(repo / "datasets" / "bogota") == bogota
    assert not (repo / "datasets" / "bogota" / "CHANGELOG.md").exists()


def test_a_committed_release_is_the_next_base_and_a_tag_wins(repo: Path) -> None:
    quito = repo / "datasets" / "quito"
    drop_row(quito / "funding.csv")
    release(repo / "datasets", ["quito"], today=DAY)
    run_git(repo, "commit", "-q", "-am", "quito 1.1.0")
    run_git(repo, "add", "-A")
    run_git(repo, "commit", "-q", "-m", "changelog")
    (rel,) = release(repo / "datasets", ["quito"], today=DAY).datasets
    assert rel.status == "unchanged"  # released and committed: nothing new
    run_git(repo, "tag", "quito-v1.1.0", "HEAD~1")
    drop_row(quito / "funding.csv")
    (rel,) = release(repo / "datasets", ["quito"], today=DAY).datasets
    assert (rel.base, rel.new_version) == ("quito-v1.1.0", "1.2.0")
    log = (quito / "CHANGELOG.md").read_text(encoding="utf-8")
    assert log.index("## 1.2.0") < log.index("## 1.1.0")  # newest first, the older entry kept
    assert "Changes since quito-v1.1.0." in log


def test_since_compares_with_a_given_ref(repo: Path) -> None:
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    run_git(repo, "commit", "-q", "-am", "one row fewer")
    (rel,) = release(repo / "datasets", ["quito"], since="HEAD", today=DAY).datasets
    assert rel.status == "unchanged"
    (rel,) = release(repo / "datasets", ["quito"], since="HEAD~1", today=DAY).datasets
    assert (rel.base, rel.bump) == ("HEAD~1", "minor")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nowhere"], "There is no dataset 'nowhere' in "),
        (["--since", "no-such-ref"], "git does not know the ref 'no-such-ref'"),
    ],
)
def test_bad_arguments_are_usage_errors(repo: Path, args: list[str], message: str) -> None:
    out = CliRunner().invoke(cli, ["release", "--path", str(repo / "datasets"), "--lang", "en", *args])
    assert out.exit_code == 2
    assert message in out.output and "Traceback" not in out.output


def test_a_version_that_is_not_semver_is_refused(repo: Path) -> None:
    edit(repo / "datasets" / "quito" / "datapackage.yaml", "version: 1.0.0", "version: primera")
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    before = snapshot(repo)
    out = CliRunner().invoke(cli, ["release", "--path", str(repo / "datasets"), "quito", "--lang", "es"])
    assert out.exit_code == 2
    assert "la versión «primera» no tiene la forma MAYOR.MENOR.PARCHE" in out.output
    assert snapshot(repo) == before


def test_quotes_are_kept_and_a_missing_modified_date_goes_after_the_version(repo: Path) -> None:
    descriptor = repo / "datasets" / "quito" / "datapackage.yaml"
    edit(descriptor, "version: 1.0.0", 'version: "1.0.0" # semver')
    edit(descriptor, 'modified: "2026-12-03"\n', "")
    run_git(repo, "commit", "-q", "-am", "quoted version, no date")
    drop_row(repo / "datasets" / "quito" / "funding.csv")
    release(repo / "datasets", ["quito"], today=DAY)
    text = descriptor.read_text(encoding="utf-8")
    assert 'version: "1.1.0" # semver\nmodified: "2027-01-15"\n' in text
    assert yaml.safe_load(text)["modified"] == "2027-01-15"


def test_a_dataset_never_committed_has_no_base_and_json_says_so(repo: Path) -> None:
    shutil.copytree(repo / "datasets" / "quito", repo / "datasets" / "quito-copia")
    edit(repo / "datasets" / "quito-copia" / "datapackage.yaml", "name: quito", "name: quito-copia")
    before = snapshot(repo)
    out = CliRunner().invoke(
        cli, ["release", "--path", str(repo / "datasets"), "quito-copia", "--format", "json"]
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [(d["slug"], d["status"], d["new_version"]) for d in data["datasets"]] == [
        ("quito-copia", "no-base", None)
    ]
    out = CliRunner().invoke(
        cli, ["release", "--path", str(repo / "datasets"), "quito-copia", "--lang", "es"]
    )
    assert (
        out.output == "quito-copia: no hay una versión anterior en git con qué comparar; se deja en 1.0.0\n"
    )
    assert snapshot(repo) == before


def test_a_catalog_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    out = CliRunner().invoke(cli, ["release", "--path", str(tmp_path / "datasets"), "--lang", "en"])
    assert out.exit_code == 2
    assert "is not inside a git repository" in out.output
