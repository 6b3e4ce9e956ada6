"""The standard (schemas/ and its codelists) ships with the toolkit: a catalog with no schemas/
folder of its own reads it from the installation, may pin its version, and can copy it out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import SHIPPED_TABLES, STANDARD_VERSION
from toolkit.catalog import standard
from toolkit.cli import cli
from toolkit.validation.validator import validate


def catalog_alone(tmp_path: Path, root: Path, extra: str = "") -> Path:
    """The shipped datasets in a folder with no schemas/ beside them, catalog.yaml naming none."""
    folder = tmp_path / "datasets"
    shutil.copytree(root / "datasets", folder)
    text = (folder / "catalog.yaml").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("schemas:")]
    (folder / "catalog.yaml").write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return folder


def codes(report: object) -> list[str]:
    return [f.code for f in report.findings]  # type: ignore[attr-defined]


def test_the_installed_standard_is_the_schemas_folder_with_a_semver_version(root: Path) -> None:
    shipped = standard.installed()
    assert shipped is not None
    assert shipped.folder.resolve() == (root / "schemas").resolve()
    meta = yaml.safe_load((root / "schemas" / "standard.yaml").read_text(encoding="utf-8"))
    assert shipped.version == meta["version"]
    assert len(str(shipped.version).split(".")) == 3
    assert shipped.schema_names() == ["agreements", "funding", "partners"]
    assert "statuses" in shipped.codelist_names()


def test_a_catalog_without_schemas_reads_the_installed_standard(tmp_path: Path, root: Path) -> None:
    folder = catalog_alone(tmp_path, root)
    report = validate(folder)
    assert report.valid, codes(report)
    assert report.resources == SHIPPED_TABLES  # every table was checked, none skipped


def test_the_catalogs_own_schema_comes_before_the_installed_one(tmp_path: Path, root: Path) -> None:
    folder = catalog_alone(tmp_path, root)
    own = tmp_path / "schemas"
    own.mkdir()
    schema = yaml.safe_load((root / "schemas" / "partners.schema.yaml").read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == "name_es":
            f.setdefault("constraints", {})["maxLength"] = 3  # stricter than the standard
    (own / "partners.schema.yaml").write_text(yaml.safe_dump(schema), encoding="utf-8")
    report = validate(folder)
    # partners.csv against the catalog's stricter copy; agreements and funding from the standard.
    assert not report.valid
    too_long = [f for f in report.findings if f.code == "constraint-error"]
    assert too_long and all(f.path.endswith("partners.csv") for f in too_long)
    assert "schema-missing" not in codes(report)


@pytest.mark.parametrize("pin", ['">=1.0,<2"', STANDARD_VERSION, '"~=1.0"'])
def test_a_pin_the_standard_meets_is_valid(tmp_path: Path, root: Path, pin: str) -> None:
    report = validate(catalog_alone(tmp_path, root, f"standard: {pin}\n"))
    assert report.valid, codes(report)


def test_a_pin_the_standard_does_not_meet_is_an_error_in_both_languages(tmp_path: Path, root: Path) -> None:
    report = validate(catalog_alone(tmp_path, root, 'standard: ">=2,<3"\n'))
    assert not report.valid
    [finding] = [f for f in report.findings if f.code == "standard-mismatch"]
    assert finding.severity == "error"
    assert finding.path.endswith("catalog.yaml") and finding.line is not None
    version = standard.installed().version  # type: ignore[union-attr]
    assert finding.message_es.startswith(
        "catalog.yaml pide el estándar «>=2,<3», pero los esquemas se leyeron "
        "del estándar instalado con la herramienta ("
    )
    assert finding.message_es.endswith(f"), que tiene la versión {version}.")
    assert finding.message_en.endswith(f"), which is version {version}.")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "datasets"), "--lang", "es"])
    assert result.exit_code == 1
    assert "pide el estándar «>=2,<3»" in result.output and f"la versión {version}" in result.output
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "datasets"), "--lang", "en"])
    assert "asks for the standard '>=2,<3'" in result.output and f"version {version}" in result.output


def test_a_malformed_pin_is_named(tmp_path: Path, root: Path) -> None:
    folder = catalog_alone(tmp_path, root, "standard: 1.x\n")
    result = CliRunner().invoke(cli, ["validate", str(folder), "--lang", "en"])
    assert result.exit_code == 1
    assert "The property 'standard' is not valid: '1.x' is not a version nor a range of versions." in (
        result.output
    )


def test_a_schemas_folder_named_and_missing_is_an_error_not_a_fallback(tmp_path: Path, root: Path) -> None:
    folder = catalog_alone(tmp_path, root, "schemas: ../esquemas\n")
    result = CliRunner().invoke(cli, ["validate", str(folder), "--lang", "es"])
    assert result.exit_code == 1
    assert "La propiedad «schemas» no es válida: la carpeta «../esquemas» no existe" in result.output


def test_schemas_lists_name_version_and_source(tmp_path: Path, root: Path) -> None:
    folder = catalog_alone(tmp_path, root)
    version = standard.installed().version  # type: ignore[union-attr]
    result = CliRunner().invoke(cli, ["schemas", "--catalog", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["standard"]["version"] == version
    assert data["catalog_schemas"] is None
    rows = {(e["kind"], e["name"]): e for e in data["entries"]}
    assert rows[("schema", "agreements")]["source"] == "installed"
    assert rows[("codelist", "statuses")]["version"] == version
    # A copy in the catalog's schemas/ is listed as the catalog's.
    (tmp_path / "schemas").mkdir()
    shutil.copy(root / "schemas" / "funding.schema.yaml", tmp_path / "schemas")
    result = CliRunner().invoke(cli, ["schemas", "--catalog", str(folder), "--lang", "en"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line.split() for line in result.output.splitlines()[3:] if line.strip()}
    assert lines["funding"][3] == "catalog" and lines["agreements"][3] == "installed"


def test_schemas_export_copies_the_standard_and_refuses_to_overwrite(tmp_path: Path, root: Path) -> None:
    dest = tmp_path / "out"
    result = CliRunner().invoke(cli, ["schemas", "export", str(dest), "--lang", "en"])
    assert result.exit_code == 0, result.output
    for p in (root / "schemas").rglob("*"):
        if p.is_file():
            assert (dest / p.relative_to(root / "schemas")).read_bytes() == p.read_bytes()
    (dest / "funding.schema.yaml").write_text("edited", encoding="utf-8")
    result = CliRunner().invoke(cli, ["schemas", "export", str(dest), "--lang", "es"])
    assert result.exit_code == 2
    assert "No se sobrescribió nada" in result.output and "--force" in result.output
    assert (dest / "funding.schema.yaml").read_text(encoding="utf-8") == "edited"
    result = CliRunner().invoke(cli, ["schemas", "export", str(dest), "--force"])
    assert result.exit_code == 0
    assert (dest / "funding.schema.yaml").read_bytes() == (
        root / "schemas" / "funding.schema.yaml"
    ).read_bytes()


def test_an_exported_standard_beside_the_catalog_is_read_and_pinned(tmp_path: Path, root: Path) -> None:
    folder = catalog_alone(tmp_path, root, 'standard: ">=1,<2"\n')
    assert CliRunner().invoke(cli, ["schemas", "export", str(tmp_path / "schemas")]).exit_code == 0
    assert validate(folder).valid
    meta = tmp_path / "schemas" / "standard.yaml"
    text = meta.read_text(encoding="utf-8").replace(f"version: {STANDARD_VERSION}", "version: 7.0.0")
    meta.write_text(text, encoding="utf-8")
    report = validate(folder)
    [finding] = [f for f in report.findings if f.code == "standard-mismatch"]
    assert "se leyeron de la carpeta schemas/ del catálogo" in finding.message_es
    assert finding.message_en.endswith("which is version 7.0.0.")
