"""Nothing passes unchecked, and the catalog's policy applies where it belongs.

Each case is a contribution as it arrives: a copy of the shipped catalog (or a scratch git repository
for ``--changed-since``) with one thing added, checked through the command line, with the exit code
and the finding asserted. Before these checks every one of them ended in "✓ Valid", exit 0.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SHIPPED, SHIPPED_TABLES
from toolkit import validate
from toolkit.catalog.discovery import closest
from toolkit.catalog.model import applied_profiles
from toolkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Prueba", "-c", "user.email=prueba@example.org", "-c", "commit.gpgsign=false"]


def run(*args: str) -> tuple[int, str, dict]:
    """``ciudades validate ARGS --format json --lang en``: the exit code, the text output and the
    JSON report."""
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", *args, "--lang", "en"])
    as_json = runner.invoke(cli, ["validate", *args, "--lang", "en", "--format", "json"])
    assert as_json.exit_code == result.exit_code, as_json.output
    return result.exit_code, result.output, json.loads(as_json.output) if as_json.output.strip() else {}


def codes(report: dict) -> list[str]:
    return [f["code"] for f in report["findings"]]


def descriptor(folder: Path) -> dict:
    return yaml.safe_load((folder / "datapackage.yaml").read_text(encoding="utf-8"))


def write_descriptor(folder: Path, data: dict) -> None:
    (folder / "datapackage.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


# ── a folder with data and no descriptor, a file no resource declares ───────────────────────────


def test_folder_with_csv_files_and_no_descriptor_is_an_error(catalog_copy: Path) -> None:
    undeclared = catalog_copy / "villa-nueva"
    undeclared.mkdir()
    shutil.copy(catalog_copy / "bogota" / "agreements.csv", undeclared / "agreements.csv")
    shutil.copy(catalog_copy / "bogota" / "partners.csv", undeclared / "socios.csv")
    code, text, report = run(str(catalog_copy))
    assert code == 1 and not report["valid"]
    [finding] = report["findings"]
    assert finding["code"] == "dataset-undeclared" and finding["dataset"] == "villa-nueva"
    assert finding["path"].endswith("datasets/villa-nueva")
    assert "agreements.csv, socios.csv" in finding["message"] and "no datapackage.yaml" in finding["message"]
    # the fix is a descriptor that can be pasted: valid YAML naming each file, with the catalog's
    # schema where one has the file's name
    snippet = yaml.safe_load(finding["hint"].split("at least ", 1)[1].split("}]}", 1)[0] + "}]}")
    assert snippet == {
        "name": "villa-nueva",
        "resources": [
            {"name": "agreements", "path": "agreements.csv", "schema": "agreements"},
            {"name": "socios", "path": "socios.csv", "schema": "ESQUEMA"},
        ],
    }
    assert "✓" not in text


def test_csv_no_resource_declares_is_an_error(catalog_copy: Path) -> None:
    lima = catalog_copy / "lima"
    shutil.copytree(catalog_copy / "bogota", lima)
    meta = descriptor(lima)
    meta["name"] = "lima"
    write_descriptor(lima, meta)
    shutil.copy(lima / "funding.csv", lima / "funding-2026.csv")
    code, _, report = run(str(catalog_copy))
    assert code == 1
    [finding] = report["findings"]
    assert (finding["code"], finding["dataset"], finding["value"]) == (
        "file-undeclared",
        "lima",
        "funding-2026.csv",
    )
    assert finding["path"].endswith("datasets/lima/funding-2026.csv")
    assert "not validated, packaged or published" in finding["message"]
    assert "path: funding-2026.csv" in finding["hint"]
    # also when only that dataset is checked, and in a subfolder
    (lima / "old").mkdir()
    shutil.move(lima / "funding-2026.csv", lima / "old" / "funding-2026.csv")
    code, _, report = run(str(lima))
    assert code == 1 and [(f["code"], f["value"]) for f in report["findings"]] == [
        ("file-undeclared", "old/funding-2026.csv")
    ]


# ── --dataset with a slug that does not exist ────────────────────────────────────────────────────


def test_unknown_dataset_slug_is_a_usage_error_with_the_closest_slugs(catalog_copy: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(catalog_copy), "--dataset", "cdmx", "--lang", "en"])
    assert result.exit_code == 2
    assert result.output == "Error: There is no dataset 'cdmx'. Did you mean ciudad-de-mexico?\n"
    result = runner.invoke(cli, ["validate", str(catalog_copy), "--dataset", "bogot", "--lang", "es"])
    assert result.exit_code == 2
    assert result.output == "Error: No hay ningún conjunto de datos «bogot». ¿Quisiste decir bogota?\n"
    result = runner.invoke(cli, ["validate", str(catalog_copy), "--dataset", "zzz", "--lang", "en"])
    assert result.exit_code == 2
    slugs = sorted(p.parent.name for p in catalog_copy.glob("*/datapackage.yaml"))
    assert f"Available datasets: {', '.join(slugs)}." in result.output
    # a dataset folder given as PATH with another --dataset: no longer zero datasets and valid
    result = runner.invoke(
        cli, ["validate", str(catalog_copy / "bogota"), "--dataset", "montevideo", "--lang", "en"]
    )
    assert result.exit_code == 2 and "There is no dataset 'montevideo'" in result.output


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("cdmx", ["ciudad-de-mexico"]),
        ("ciudad-mexico", ["ciudad-de-mexico"]),
        ("montevido", ["montevideo"]),
        ("mvd", ["montevideo"]),
        ("bog", ["bogota"]),
        ("lima", []),
    ],
)
def test_closest_slugs(name: str, expected: list[str]) -> None:
    assert closest(name, ["bogota", "ciudad-de-mexico", "montevideo"]) == expected


# ── --changed-since ──────────────────────────────────────────────────────────────────────────────


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "datasets", repo / "datasets")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=repo, check=True)
    return repo


def test_changed_files_in_no_declared_dataset_are_reported(repo: Path) -> None:
    undeclared = repo / "datasets" / "villa-nueva"
    undeclared.mkdir()
    shutil.copy(repo / "datasets" / "bogota" / "agreements.csv", undeclared / "agreements.csv")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "villa-nueva, no descriptor"], cwd=repo, check=True)
    code, text, report = run(str(repo / "datasets"), "--changed-since", "HEAD~1")
    assert code == 1
    assert "Checked: 0 datasets" not in text and "✓" not in text
    assert codes(report) == ["dataset-undeclared", "changed-nothing"]
    assert report["findings"][0]["dataset"] == "villa-nueva"
    assert "(datasets/villa-nueva/agreements.csv)" in report["findings"][1]["message"]


def test_changed_since_with_a_changed_and_an_undeclared_folder(repo: Path) -> None:
    meta = descriptor(repo / "datasets" / "bogota")
    meta["version"] = "1.0.1"
    write_descriptor(repo / "datasets" / "bogota", meta)
    (repo / "datasets" / "villa-nueva").mkdir()
    (repo / "datasets" / "villa-nueva" / "a.csv").write_text("x\n1\n", encoding="utf-8")
    code, _, report = run(str(repo / "datasets"), "--changed-since", "main")
    assert code == 1 and report["datasets"] == ["bogota"]
    assert [(f["code"], f["dataset"]) for f in report["findings"]] == [("dataset-undeclared", "villa-nueva")]


def test_changed_since_with_nothing_changed_checks_everything(repo: Path) -> None:
    (repo / "NOTES.md").write_text("not data\n", encoding="utf-8")
    code, text, report = run(str(repo / "datasets"), "--changed-since", "main")
    assert code == 0
    assert report["datasets"] == SHIPPED and report["stats"]["resources"] == SHIPPED_TABLES
    assert codes(report) == ["changed-nothing"]
    assert "No declared dataset changed since 'main' (NOTES.md): the whole catalog was checked." in text
    assert f"Checked: {len(SHIPPED)} datasets, {SHIPPED_TABLES} tables" in text


def test_changed_since_with_a_removed_dataset_checks_the_others(repo: Path) -> None:
    shutil.rmtree(repo / "datasets" / "montevideo")
    code, _, report = run(str(repo / "datasets"), "--changed-since", "main")
    assert code == 0 and report["datasets"] == [s for s in SHIPPED if s != "montevideo"]
    assert report["stats"]["resources"] == SHIPPED_TABLES - 3


# ── a run that checked no table ──────────────────────────────────────────────────────────────────


def test_a_catalog_without_datasets_is_not_valid(catalog_copy: Path) -> None:
    for slug in SHIPPED:
        shutil.rmtree(catalog_copy / slug)
    code, text, report = run(str(catalog_copy))
    assert code == 1 and codes(report) == ["nothing-checked"]
    assert "No table was checked: there is no declared dataset." in text
    assert "✓" not in text and not validate(catalog_copy).valid


def test_a_package_without_tables_is_not_valid(tmp_path: Path) -> None:
    (tmp_path / "datapackage.json").write_text('{"name": "empty", "resources": []}', encoding="utf-8")
    code, _, report = run(str(tmp_path))
    assert code == 1 and codes(report) == ["metadata-missing"]  # resources: required by the standard
    assert report["stats"]["resources"] == 0


# ── resources this tool does not read ────────────────────────────────────────────────────────────


def test_jsonl_multipart_and_inline_resources_are_refused(catalog_copy: Path) -> None:
    bogota = catalog_copy / "bogota"
    (bogota / "extra.jsonl").write_text('{"partner_id": "x", "name": "X"}\n', encoding="utf-8")
    (bogota / "extra.ndjson").write_text('{"partner_id": "x"}\n', encoding="utf-8")
    lines = (bogota / "partners.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (bogota / "part-1.csv").write_text("".join(lines[:3]), encoding="utf-8")
    (bogota / "part-2.csv").write_text("".join(lines[3:]), encoding="utf-8")
    meta = descriptor(bogota)
    meta["resources"] += [
        {"name": "jsonl", "path": "extra.jsonl", "schema": "partners"},
        {"name": "ndjson", "path": "extra.ndjson", "format": "ndjson", "schema": "partners"},
        {"name": "parts", "path": ["part-1.csv", "part-2.csv"], "schema": "partners"},
        {"name": "inline", "data": [{"partner_id": "x"}], "schema": "partners"},
        {"name": "sheet", "path": "partners.xlsx", "format": "xlsx", "schema": "partners"},
    ]
    write_descriptor(bogota, meta)
    code, _, report = run(str(catalog_copy))
    assert code == 1
    # one finding each, and nothing else: no false findings from reading them as CSV, no
    # "undeclared file" for what the descriptor does declare, no missing file for the inline data
    assert [(f["code"], f["resource"]) for f in report["findings"]] == [
        ("resource-unsupported", name) for name in ("jsonl", "ndjson", "parts", "inline", "sheet")
    ]
    messages = [f["message"] for f in report["findings"]]
    assert "is not a CSV table but JSON Lines (NDJSON)" in messages[0]
    assert "a resource in 2 parts ('path' is a list)" in messages[2]
    assert "data written in the descriptor ('data')" in messages[3]
    assert "ciudades import" in report["findings"][4]["hint"]
    assert report["stats"]["resources"] == SHIPPED_TABLES  # the CSV tables, and only them


def test_a_single_jsonl_file_is_refused_not_parsed(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"id": 1}\n{"id": 2}\n', encoding="utf-8")
    schema = tmp_path / "schema.json"
    schema.write_text('{"fields": [{"name": "id", "type": "integer"}]}', encoding="utf-8")
    code, _, report = run(str(data), "--schema", str(schema))
    assert code == 1 and codes(report) == ["resource-unsupported"]


# ── the catalog's policy, where it belongs ───────────────────────────────────────────────────────


def test_a_valid_csv_against_its_own_schema_gets_no_catalog_policy(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes("\ufeffid,name\n1,Ana\n2,Bruno\n".encode())
    schema = tmp_path / "their.json"
    schema.write_text(
        '{"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}',
        encoding="utf-8",
    )
    code, _, report = run(str(data), "--schema", str(schema))
    assert code == 0 and codes(report) == ["utf8-bom"]  # a warning, as frictionless reads it fine
    assert run(str(data), "--schema", str(schema), "--profile", "none")[0] == 0
    # asked for, the catalog's policy applies
    code, _, report = run(str(data), "--schema", str(schema), "--profile", "catalog")
    assert code == 1 and codes(report) == ["utf8-bom", "source-field-missing"]


def test_a_minimal_package_with_a_declared_dialect_is_valid(tmp_path: Path) -> None:
    (tmp_path / "data.csv").write_text("id;name\n1;Ana\n", encoding="utf-8")
    package = {
        "name": "minimal",
        "version": "1.0",  # recommended by the standard to be semantic, required by the catalog
        "resources": [
            {
                "name": "data",
                "path": "data.csv",
                "dialect": {"delimiter": ";"},
                "schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]},
            }
        ],
    }
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    for engine in ("frictionless", "fast"):
        code, text, report = run(str(tmp_path / "datapackage.json"), "--engine", engine)
        assert code == 0 and report["findings"] == [], text
        assert report["stats"]["rows"] == 1
    code, _, report = run(str(tmp_path), "--profile", "catalog")
    assert code == 1
    assert {"metadata-missing", "metadata-invalid", "wrong-delimiter", "source-field-missing"} <= set(
        codes(report)
    )


def test_a_csv_against_the_catalogs_schema_follows_the_catalog_policy(
    catalog_copy: Path, tmp_path: Path
) -> None:
    text = (catalog_copy / "bogota" / "agreements.csv").read_text(encoding="utf-8")
    data = tmp_path / "agreements.csv"
    data.write_text(text, encoding="utf-8")
    schema = catalog_copy.parent / "schemas" / "agreements.schema.yaml"
    assert run(str(data), "--schema", str(schema))[0] == 0
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(rows)
    data.write_text(out.getvalue(), encoding="utf-8")
    code, _, report = run(str(data), "--schema", str(schema))
    assert code == 1 and "wrong-delimiter" in codes(report)
    assert "wrong-delimiter" not in codes(run(str(data), "--schema", str(schema), "--profile", "none")[2])


def test_profile_none_turns_the_catalog_policy_off_inside_a_catalog(catalog_copy: Path) -> None:
    bogota = catalog_copy / "bogota"
    meta = descriptor(bogota)
    del meta["title_en"], meta["description_en"]
    write_descriptor(bogota, meta)
    code, _, report = run(str(catalog_copy))
    assert code == 1 and codes(report) == ["metadata-missing", "metadata-missing"]
    for profiles in (["--profile", "cdmx"], ["--profile", "catalog"]):  # naming a profile keeps it on
        assert run(str(catalog_copy), *profiles)[0] == 1
    code, _, report = run(str(catalog_copy), "--profile", "none")
    assert code == 0 and report["findings"] == []


def test_applied_profiles() -> None:
    assert applied_profiles(None, True, ["cdmx"]) == ["catalog", "cdmx"]
    assert applied_profiles(None, False, ["cdmx"]) == ["cdmx"]
    assert applied_profiles(["cdmx"], True, []) == ["catalog", "cdmx"]
    assert applied_profiles(["none"], True, ["cdmx"]) == []
    assert applied_profiles([], True, ["cdmx"]) == []
    assert applied_profiles(["none", "cdmx"], True, []) == ["cdmx"]
    assert applied_profiles(["catalog"], False, []) == ["catalog"]


# ── the GitHub Action and the pre-commit hook ────────────────────────────────────────────────────


def test_the_action_fails_a_pull_request_that_adds_a_city_without_descriptor(repo: Path) -> None:
    from test_action import run_action

    subprocess.run([*GIT, "checkout", "-qb", "villa-nueva"], cwd=repo, check=True)
    undeclared = repo / "datasets" / "villa-nueva"
    undeclared.mkdir()
    shutil.copy(repo / "datasets" / "bogota" / "agreements.csv", undeclared / "agreements.csv")
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "villa-nueva"], cwd=repo, check=True)
    steps = {
        s["name"]: s for s in run_action(repo, {"changed-since": "main", "lang": "en"}, {"base_ref": "main"})
    }
    assert steps["Validate"]["code"] == 1
    assert steps["Validate"]["out"].startswith(
        "::error file=datasets/villa-nueva,title=Folder without descriptor"
    )
    assert steps["summary"]["out"].startswith("## ✗ Invalid: 1 error\n")


def test_the_action_never_ends_valid_with_nothing_checked(repo: Path) -> None:
    from test_action import run_action

    for slug in SHIPPED:
        shutil.rmtree(repo / "datasets" / slug)
    for given in ({"lang": "en"}, {"lang": "en", "changed-since": "main"}):
        steps = {s["name"]: s for s in run_action(repo, given, {})}
        assert steps["Validate"]["code"] == 1, given
        assert "No table was checked" in steps["Validate"]["out"]
        assert not steps["summary"]["out"].startswith("## ✓")


def test_the_pre_commit_hook_starts_on_every_kind_of_data_file() -> None:
    import re

    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    pattern = re.compile(hook["files"])
    for path in (
        "datasets/lima/funding-2026.csv",
        "datasets/a/x.jsonl",
        "datasets/a/x.ndjson",
        "datasets/a/x.xlsx",
    ):
        assert pattern.search(path), path
    assert hook["pass_filenames"] is False  # the whole catalog is checked, never only the files given


def test_package_applies_the_catalog_policy_to_a_standalone_package(tmp_path: Path) -> None:
    """What is published carries the catalog's metadata: packaging a package that lacks it stops
    with the findings (exit 1), not with a broken package or a crash."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "data.csv").write_text("id,name\n1,Ana\n", encoding="utf-8")
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]}
    package = {"name": "pkg", "resources": [{"name": "data", "path": "data.csv", "schema": schema}]}
    (tmp_path / "pkg" / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    assert run(str(tmp_path / "pkg"))[0] == 0
    result = CliRunner().invoke(
        cli, ["package", str(tmp_path / "pkg"), "--out", str(tmp_path / "out"), "--lang", "en"]
    )
    assert result.exit_code == 1, result.output
    assert "[metadata-missing]" in result.output and "[source-field-missing]" in result.output
    assert not (tmp_path / "out").exists()


def test_a_data_file_loose_in_the_catalog_folder_is_reported(catalog_copy: Path) -> None:
    shutil.copy(catalog_copy / "bogota" / "funding.csv", catalog_copy / "funding-2026.csv")
    code, _, report = run(str(catalog_copy))
    assert code == 1
    [finding] = report["findings"]
    assert (finding["code"], finding["dataset"], finding["value"]) == (
        "file-undeclared",
        None,
        "funding-2026.csv",
    )
    assert "its dataset's datapackage.yaml (after moving it into that folder)" in finding["hint"]


def test_load_reads_the_declared_tables_beside_an_undeclared_file(catalog_copy: Path) -> None:
    """An undeclared file is a finding of validate; ``load`` still reads what is declared."""
    import toolkit

    bogota = catalog_copy / "bogota"
    shutil.copy(bogota / "funding.csv", bogota / "funding-2026.csv")
    frames = toolkit.load(bogota)
    assert sorted(frames) == ["agreements", "funding", "partners"]


def test_unknown_dataset_with_changed_since_is_a_usage_error(repo: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["validate", str(repo / "datasets"), "--changed-since", "main", "--dataset", "cdmx", "--lang", "en"],
    )
    assert result.exit_code == 2
    assert result.output == "Error: There is no dataset 'cdmx'. Did you mean ciudad-de-mexico?\n"
