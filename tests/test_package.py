"""``ciudades package``: complete, standard, reproducible and atomic packages."""

from __future__ import annotations

import csv
import hashlib
import importlib.resources
import json
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import frictionless
import jsonschema
import openpyxl
import pytest

from tests.conftest import SHIPPED
from toolkit.cli import cli
from toolkit.packaging import formats
from toolkit.packaging.packages import InvalidData, package, read_packages

ROOT = Path(__file__).resolve().parent.parent
KINDS = {"csv", "json", "xlsx", "sqlite", "datapackage", "dictionary", "metadata-sheet", "checksums"}


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="session")
def sources_before() -> dict[str, str]:
    return {
        **tree_hashes(ROOT / "datasets"),
        **{f"schemas/{k}": v for k, v in tree_hashes(ROOT / "schemas").items()},
    }


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, sources_before: dict[str, str]) -> Any:
    return package(ROOT / "datasets", tmp_path_factory.mktemp("run1") / "packages")


@pytest.fixture(scope="session")
def built_again(tmp_path_factory: pytest.TempPathFactory, built: Any) -> Any:
    return package(ROOT / "datasets", tmp_path_factory.mktemp("run2") / "packages")


def test_layout_follows_the_contract(built: Any) -> None:
    assert [d.slug for d in built.datasets] == SHIPPED
    assert built.combined is not None and built.combined.slug == "ciudades-al-mundo"
    assert built.report.valid
    for pkg in [*built.datasets, built.combined]:
        assert pkg.folder == built.out / pkg.slug
        assert pkg.zip.path == built.out / f"{pkg.slug}-{pkg.version}.zip"
        assert {f.kind for f in pkg.files} == KINDS
        names = [f.name for f in pkg.files]
        assert names == sorted(names) == sorted(p.name for p in pkg.folder.iterdir())
        for name in ("agreements", "funding", "partners"):
            assert pkg.file("csv", name).name == f"{name}.csv"
            assert pkg.file("json", name).name == f"{name}.json"
        assert pkg.file("xlsx").name == f"{pkg.slug}.xlsx"
        assert pkg.file("sqlite").name == f"{pkg.slug}.sqlite"
        assert pkg.file("dictionary").name == f"{pkg.slug}_diccionario_datos.csv"
        assert pkg.file("metadata-sheet").name == f"{pkg.slug}_ficha_metadatos.csv"
        for f in [*pkg.files, pkg.zip]:
            assert f.bytes == f.path.stat().st_size
            assert f.sha256 == hashlib.sha256(f.path.read_bytes()).hexdigest()
        with zipfile.ZipFile(pkg.zip.path) as z:
            top = f"{pkg.slug}-{pkg.version}/"
            assert z.namelist() == [top, *(top + n for n in names)]
            for info in z.infolist()[1:]:
                assert info.external_attr >> 16 == 0o100644
                assert z.read(info) == (pkg.folder / info.filename.split("/", 1)[1]).read_bytes()
    assert read_packages(built.out).to_dict() == built.to_dict()


def test_two_runs_are_byte_identical(built: Any, built_again: Any) -> None:
    first, second = tree_hashes(built.out), tree_hashes(built_again.out)
    assert first == second
    assert (
        sum(name.endswith(".zip") for name in first) == len(SHIPPED) + 1
    )  # one per dataset and the combined package


def test_canonical_csvs_are_the_sources_and_sources_are_untouched(
    built: Any, sources_before: dict[str, str]
) -> None:
    for pkg in built.datasets:
        for res in pkg.descriptor["resources"]:
            source = ROOT / "datasets" / pkg.slug / res["path"]
            assert (pkg.folder / res["path"]).read_bytes() == source.read_bytes()
    after = {
        **tree_hashes(ROOT / "datasets"),
        **{f"schemas/{k}": v for k, v in tree_hashes(ROOT / "schemas").items()},
    }
    assert after == sources_before


def test_checksums_cover_every_file(built: Any) -> None:
    for pkg in [*built.datasets, built.combined]:
        lines = (pkg.folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
        listed = dict(reversed(line.split("  ", 1)) for line in lines)
        assert sorted(listed) == sorted(f.name for f in pkg.files if f.kind != "checksums")
        for name, digest in listed.items():
            assert hashlib.sha256((pkg.folder / name).read_bytes()).hexdigest() == digest


def test_descriptor_is_data_package_v2_and_self_contained(built: Any) -> None:
    profile = json.loads(
        (importlib.resources.files("dplib") / "profiles/2.0/datapackage.json").read_text(encoding="utf-8")
    )
    checker = jsonschema.Draft7Validator(profile, format_checker=jsonschema.FormatChecker())
    for pkg in [*built.datasets, built.combined]:
        d = pkg.descriptor
        assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
        assert [e.message for e in checker.iter_errors(d)] == []
        for key in ("title", "title_en", "description", "description_en", "version", "licenses", "sources"):
            assert d[key], key
        for key in ("keywords", "keywords_en", "contributors", "spatial", "temporal", "update_frequency"):
            assert d[key], key
        assert d["created"].endswith("T00:00:00Z") and d["modified"].endswith("T00:00:00Z")
        assert d["catalog"]["publisher"]["name"] and d["catalog"]["title"]["en"]
        for res in d["resources"]:
            data = (pkg.folder / res["path"]).read_bytes()
            assert (res["format"], res["mediatype"], res["encoding"]) == ("csv", "text/csv", "utf-8")
            assert res["bytes"] == len(data)
            assert res["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert "$schema" not in res["schema"] and res["schema"]["fields"]
        status = next(f for f in d["resources"][0]["schema"]["fields"] if f["name"] == "status")
        assert {"value": "in_force", "label": "Vigente", "label_en": "In force"} in status["categories"]
        assert "in_force" in status["constraints"]["enum"]
        subjects = next(f for f in d["resources"][0]["schema"]["fields"] if f["name"] == "subjects")
        assert "categories" not in subjects and subjects["itemCategories"]
        for item in d["downloads"]:
            assert (
                item["hash"]
                == "sha256:" + hashlib.sha256((pkg.folder / item["path"]).read_bytes()).hexdigest()
            )


def test_frictionless_validates_every_package(built: Any) -> None:
    for pkg in [*built.datasets, built.combined]:
        report = frictionless.validate(str(pkg.folder / "datapackage.json"))
        assert report.valid, report.flatten(["type", "note"])[:5]


def test_combined_tables_are_the_union(built: Any) -> None:
    combined = built.combined
    for name in ("agreements", "funding", "partners"):
        with (combined.folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        expected = 0
        for pkg in built.datasets:
            with (pkg.folder / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
                own = list(csv.DictReader(fh))
            expected += len(own)
            mine = [{k: v for k, v in r.items() if k != "dataset"} for r in rows if r["dataset"] == pkg.slug]
            assert mine == own
        assert len(rows) == expected
        assert next(iter(rows[0])) == "dataset"
    schema = combined.descriptor["resources"][2]["schema"]
    assert schema["primaryKey"] == ["dataset", "partner_id"]
    assert [d["name"] for d in combined.descriptor["datasets"]] == SHIPPED


def test_sqlite_has_types_and_keys_that_hold(built: Any) -> None:
    for pkg in [*built.datasets, built.combined]:
        con = sqlite3.connect(pkg.file("sqlite").path)
        try:
            assert list(con.execute("PRAGMA foreign_key_check")) == []
            types = {row[1]: row[2] for row in con.execute("PRAGMA table_info(funding)")}
            assert (types["amount"], types["duration_months"], types["value_date"]) == (
                "REAL",
                "INTEGER",
                "DATE",
            )
            assert types["amount_is_approximate"] == "BOOLEAN"
            assert con.execute("PRAGMA foreign_key_list(funding)").fetchall()
            pk = [row[1] for row in con.execute("PRAGMA table_info(partners)") if row[5]]
            assert pk == (["dataset", "partner_id"] if pkg is built.combined else ["partner_id"])
            n = con.execute("SELECT count(*) FROM agreements").fetchone()[0]
            assert n == len(json.loads(pkg.file("json", "agreements").path.read_text(encoding="utf-8")))
        finally:
            con.close()


def test_json_records_are_typed(built: Any) -> None:
    pkg = built.datasets[1]
    records = json.loads(pkg.file("json", "funding").path.read_text(encoding="utf-8"))
    with pkg.file("csv", "funding").path.open(encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    assert len(records) == len(raw)
    for rec, row in zip(records, raw, strict=True):
        assert rec["funding_id"] == row["funding_id"]
        assert rec["amount"] == (None if row["amount"] == "" else float(row["amount"]))
        assert rec["value_date"] == (row["value_date"] or None)
        assert rec["amount_is_approximate"] in (None, True, False)


def test_cdmx_files_have_the_portal_fields(built: Any) -> None:
    pkg = next(d for d in built.datasets if d.slug == "ciudad-de-mexico")
    with pkg.file("metadata-sheet").path.open(encoding="utf-8", newline="") as fh:
        rows = {r["campo"]: r["valor"] for r in csv.DictReader(fh)}
    for name in (
        "Título", "Descripción", "Tema", "Palabras clave", "Desagregación geográfica", "Formato",
        "Tamaño", "Número de variables", "Número de registros", "Idioma", "Publicador",
        "Frecuencia de actualización", "Dirección del área responsable",
    ):  # fmt: skip
        assert rows[name], name
    records = 0
    for res in pkg.descriptor["resources"]:
        with (pkg.folder / res["path"]).open(encoding="utf-8", newline="") as fh:
            records += sum(1 for _ in csv.DictReader(fh))
    assert rows["Número de registros"].startswith(f"{records} ")
    with pkg.file("dictionary").path.open(encoding="utf-8", newline="") as fh:
        dictionary = list(csv.DictReader(fh))
    assert len(dictionary) == sum(len(r["schema"]["fields"]) for r in pkg.descriptor["resources"])
    kinds = next(r for r in dictionary if r["variable"] == "funding_kind")
    assert "loan = Préstamo / Loan" in kinds["valores_permitidos"]


# ── a tiny synthetic catalog, for what the shipped data does not exercise ─────────────────────────


def make_catalog(root: Path, notes: list[str]) -> Path:
    """A one-dataset catalog with every field type, a codelist and a foreign key."""
    (root / "schemas" / "codelists").mkdir(parents=True)
    (root / "datasets" / "demo").mkdir(parents=True)
    (root / "schemas" / "codelists" / "kinds.csv").write_text(
        "code,label_es,label_en,description\na,Uno,One,x\nb,Dos,Two,y\n", encoding="utf-8"
    )
    (root / "schemas" / "owners.schema.yaml").write_text(
        "primaryKey: [owner_id]\nfields:\n"
        "  - {name: owner_id, type: string, constraints: {required: true, unique: true}}\n"
        "  - {name: source_url, type: string, format: uri}\n",
        encoding="utf-8",
    )
    (root / "schemas" / "items.schema.yaml").write_text(
        "primaryKey: [item_id]\n"
        "foreignKeys:\n  - fields: [owner_id]\n    reference: {resource: owners, fields: [owner_id]}\n"
        "fields:\n"
        "  - {name: item_id, type: string, constraints: {required: true, unique: true}}\n"
        "  - {name: owner_id, type: string}\n"
        "  - {name: kind, type: string, codelist: kinds}\n"
        "  - {name: count, type: integer}\n"
        "  - {name: amount, type: number}\n"
        "  - {name: flag, type: boolean}\n"
        "  - {name: day, type: date}\n"
        "  - {name: notes, type: string}\n"
        "  - {name: source_url, type: string, format: uri}\n",
        encoding="utf-8",
    )
    (root / "datasets" / "catalog.yaml").write_text(
        "title: {es: Catálogo de prueba, en: Test catalog}\ndescription: {es: Prueba, en: Test}\n"
        "publisher: {name: Demo, url: 'https://example.org'}\n"
        "contact: {name: Demo, email: demo@example.org}\n"
        "base_url: 'https://example.org/'\nlicense: CC-BY-4.0\nlanguages: [es, en]\n",
        encoding="utf-8",
    )
    (root / "datasets" / "demo" / "datapackage.yaml").write_text(
        "name: demo\ntitle: Demo\ntitle_en: Demo\ndescription: Datos sintéticos\n"
        "description_en: Synthetic data\nversion: 0.1.0\nmodified: '2024-02-03'\n"
        "licenses: [{name: CC-BY-4.0, path: 'https://creativecommons.org/licenses/by/4.0/'}]\n"
        "sources: [{title: Demo, path: 'https://example.org'}]\n"
        "resources:\n  - {name: items, path: items.csv, schema: items}\n"
        "  - {name: owners, path: owners.csv, schema: owners}\n",
        encoding="utf-8",
    )
    with (root / "datasets" / "demo" / "items.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["item_id", "owner_id", "kind", "count", "amount", "flag", "day", "notes", "source_url"]
        )
        for i, note in enumerate(notes):
            writer.writerow(
                [f"i{i}", "o1" if i % 2 else "", "ab"[i % 2], i, f"{i}.5", ["true", "false", ""][i % 3],
                 f"2020-01-{i + 1:02d}", note, "https://example.org"]
            )  # fmt: skip
    (root / "datasets" / "demo" / "owners.csv").write_text(
        "owner_id,source_url\no1,https://example.org\n", encoding="utf-8"
    )
    return root / "datasets"


FORMULAS = ["=1+1", "+44 20 7946 0000", "-5 días", "@SUM(A1:A2)", '=HYPERLINK("http://x","y")', "plain"]


def test_xlsx_has_typed_cells_and_formula_like_text_stays_text(tmp_path: Path) -> None:
    result = package(make_catalog(tmp_path, FORMULAS), tmp_path / "out")
    pkg = result.datasets[0]
    wb = openpyxl.load_workbook(pkg.file("xlsx").path)
    try:
        assert wb.sheetnames == ["items", "owners", formats.DICTIONARY_SHEET, formats.METADATA_SHEET]
        ws = wb["items"]
        header = [c.value for c in ws[1]]
        notes = header.index("notes")
        rows = list(ws.iter_rows(min_row=2))
        assert [r[notes].value for r in rows] == FORMULAS
        for r in rows:
            assert r[notes].data_type == "s"
            assert r[notes].quotePrefix == r[notes].value.startswith(("=", "+", "-", "@"))
        first = rows[0]
        assert first[header.index("count")].value == 0
        assert first[header.index("amount")].value == 0.5
        assert first[header.index("flag")].value is True
        assert first[header.index("day")].is_date
        assert first[header.index("owner_id")].value is None
        dictionary = [[c.value for c in row] for row in wb[formats.DICTIONARY_SHEET].iter_rows(min_row=2)]
        assert any(row[1] == "kind" and "a = Uno / One" in row[10] for row in dictionary)
        assert wb.properties.modified.year == 2024
    finally:
        wb.close()
    with zipfile.ZipFile(pkg.file("xlsx").path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet
        assert {i.date_time for i in z.infolist()} == {(2024, 2, 3, 0, 0, 0)}
    combined = result.combined
    assert combined is not None
    assert frictionless.validate(str(combined.folder / "datapackage.json")).valid


def test_source_date_epoch_sets_the_timestamps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14 22:13:20 UTC
    pkg = package(make_catalog(tmp_path, ["x"]), tmp_path / "out").datasets[0]
    with zipfile.ZipFile(pkg.zip.path) as z:
        assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_invalid_data_is_refused_with_findings_and_old_output_kept(
    tmp_path: Path, catalog_copy: Path, runner: Any
) -> None:
    out = tmp_path / "out"
    first = runner.invoke(cli, ["package", str(catalog_copy), "--out", str(out), "--lang", "en"])
    assert first.exit_code == 0, first.output
    before = tree_hashes(out)
    funding = catalog_copy / "bogota" / "funding.csv"
    funding.write_text(
        funding.read_text(encoding="utf-8").replace(",150000000,", ",lots,", 1), encoding="utf-8"
    )
    result = runner.invoke(cli, ["package", str(catalog_copy), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 1
    assert "[type-error]" in result.output and "'lots'" in result.output
    assert "Error: No packages were written: validation found 1 error." in result.output
    assert tree_hashes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datasets", "out", "schemas"]
    with pytest.raises(InvalidData) as info:
        package(catalog_copy, tmp_path / "other")
    assert info.value.exit_code == 1 and info.value.report.errors[0].value == "lots"
    assert not (tmp_path / "other").exists()


def test_a_failure_midway_leaves_the_previous_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = make_catalog(tmp_path, ["x", "y"])
    out = tmp_path / "out"
    package(datasets, out)
    before = tree_hashes(out)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(formats, "write_sqlite", broken)
    with pytest.raises(KeyboardInterrupt):
        package(datasets, out)
    assert tree_hashes(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["datasets", "out", "schemas"]


def test_refuses_an_output_folder_that_is_not_its_own(tmp_path: Path, runner: Any) -> None:
    datasets = make_catalog(tmp_path, ["x"])
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "mine.txt").write_text("keep me", encoding="utf-8")
    result = runner.invoke(cli, ["package", str(datasets), "--out", str(tmp_path / "notes"), "--lang", "es"])
    assert result.exit_code == 2
    assert "ya existe y no es una salida de «ciudades package»" in result.output
    result = runner.invoke(cli, ["package", str(datasets), "--out", str(datasets / "build"), "--lang", "en"])
    assert result.exit_code == 2 and "overlaps the sources" in result.output
    assert (tmp_path / "notes" / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_cli_lists_every_file_with_its_size(tmp_path: Path, runner: Any) -> None:
    datasets = make_catalog(tmp_path, ["x"])
    result = runner.invoke(cli, ["package", str(datasets), "--out", str(tmp_path / "out"), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Packages written to" in result.output
    for path in sorted((tmp_path / "out").rglob("*")):
        if path.is_file():
            shown = path.relative_to(tmp_path / "out").as_posix()
            line = next(x for x in result.output.splitlines() if x.split()[:1] == [shown])
            assert line.split()[-2] == f"{path.stat().st_size:,}"
    as_json = runner.invoke(cli, ["package", str(datasets), "--out", str(tmp_path / "out"), "--json"])
    assert json.loads(as_json.output)["datasets"][0]["slug"] == "demo"
    shutil.rmtree(tmp_path / "out")


VALID_SPECIAL_NUMBERS = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e999",
    "9" * 400,
    "-0",
    "１２３",
    "1_000",
    " 7 ",
    "1E+3",
]


def test_valid_special_numbers_are_packaged_not_crashed_on(tmp_path: Path) -> None:
    """Numbers frictionless accepts but no float holds (Infinity, NaN, 1e999, 400 digits) used to
    crash the XLSX and SQLite writers and make invalid JSON: JSON keeps them as their text, SQLite
    stores integers beyond 64 bits as text (its REAL column then reads them as the nearest
    double), the workbook as text."""
    datasets = make_catalog(tmp_path, ["n"] * len(VALID_SPECIAL_NUMBERS))
    table = datasets / "demo" / "items.csv"
    with table.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    at = rows[0].index("amount")
    for row, number in zip(rows[1:], VALID_SPECIAL_NUMBERS, strict=True):
        row[at] = number
    with table.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    result = package(datasets, tmp_path / "out")
    pkg = result.datasets[0]

    def strict(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    records = json.loads(pkg.file("json", "items").path.read_text(encoding="utf-8"), parse_constant=strict)
    assert [r["amount"] for r in records] == [
        "Infinity", "-Infinity", "NaN", "1e999", int("9" * 400), 0, 123, 1000.0, 7, 1000.0
    ]  # fmt: skip
    con = sqlite3.connect(pkg.file("sqlite").path)
    try:
        stored = [r[0] for r in con.execute("SELECT amount FROM items ORDER BY rowid")]
    finally:
        con.close()
    # Written as text, the REAL column reads it as SQLite does: the nearest double, here infinity.
    assert stored[:5] == ["Infinity", "-Infinity", "NaN", float("inf"), float("inf")]
    assert stored[5:8] == [0, 123, 1000.0]
    wb = openpyxl.load_workbook(pkg.file("xlsx").path)
    try:
        ws = wb["items"]
        column = [c.value for c in ws[1]].index("amount") + 1
        assert [ws.cell(row=r, column=column).value for r in (2, 6, 8)] == ["Infinity", "9" * 400, 123]
    finally:
        wb.close()
