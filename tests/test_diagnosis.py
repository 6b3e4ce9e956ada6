"""One mistake, one finding, and the right one: each case is planted in a copy of the shipped
catalog and checked with both engines (the frictionless path and the fast engine must agree)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from csvedit import edit_cell

from toolkit import validate

ENGINES = ["frictionless", "fast"]


def rows_of(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def findings(catalog: Path, engine: str, table: str, *, whole: bool = False):
    """The findings about bogota's ``table`` (all the findings there are), and the log lines about
    it (which engine checked it). ``whole`` checks the whole catalog: with the frictionless engine
    its datasets then go to worker processes."""
    log: list[str] = []
    report = validate(catalog, datasets=None if whole else ["bogota"], engine=engine, log=log.append)
    mine = [f for f in report.findings if f.path and f.path.endswith(f"bogota/{table}")]
    assert len(mine) == len(report.findings), [f.message_en for f in report.findings]
    return mine, [line for line in log if line.endswith(f"bogota/{table}") or f"bogota/{table}:" in line]


def keys(found) -> list[tuple]:
    return [(f.code, f.line, f.field) for f in found]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_deleted_column_is_named_and_the_others_checked_by_name(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    rows = rows_of(path)
    gone = rows[0].index("confidence")
    write_rows(path, [row[:gone] + row[gone + 1 :] for row in rows])
    found, log = findings(catalog_copy, engine, "agreements.csv")
    # not "notes is missing", two shifted incorrect-labels and "confidence is required" on every row
    assert keys(found) == [("missing-label", 1, "confidence")]
    [missing] = found
    assert missing.column is None  # it has no place in the file
    assert missing.message_es == "Falta la columna «confidence» que pide el esquema."
    assert missing.message_en == "The column 'confidence' required by the schema is missing."
    assert (
        missing.hint_es == "Agrega la columna «confidence» (es obligatoria: escribe un valor en cada fila)."
    )
    assert missing.hint_en == "Add the column 'confidence' (it is required: write a value on every row)."
    if engine == "fast":
        assert any("fast engine" in line for line in log), log


@pytest.mark.parametrize("engine", ENGINES)
def test_a_deleted_key_column_is_one_finding(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    write_rows(path, [row[1:] for row in rows_of(path)])  # no agreement_id
    # funding.csv refers to agreements.agreement_id: no broken reference for each of its rows
    found, _ = findings(catalog_copy, engine, "agreements.csv")
    assert keys(found) == [("missing-label", 1, "agreement_id")]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_inserted_column_is_one_finding(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    rows = rows_of(path)
    write_rows(path, [[row[0], "comentarios" if i == 0 else "x", *row[1:]] for i, row in enumerate(rows)])
    found, log = findings(catalog_copy, engine, "agreements.csv")
    assert keys(found) == [("extra-label", 1, None)]
    assert found[0].column == "B" and found[0].message_es == "La columna «comentarios» no está en el esquema."
    if engine == "fast":
        assert any("fast engine" in line for line in log), log


@pytest.mark.parametrize("engine", ENGINES)
def test_moved_columns_are_one_finding_and_cells_are_checked_by_name(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    rows = rows_of(path)
    write_rows(path, [[row[1], row[0], *row[2:]] for row in rows])  # local_party_id first
    edit_cell(path, 2, "agreement_id", "Bogota Barcelona")  # now in column B
    found, log = findings(catalog_copy, engine, "agreements.csv")
    assert keys(found) == [("column-order", 1, None), ("constraint-error", 3, "agreement_id")]
    order, cell = found
    assert order.message_es == (
        "Las columnas no están en el orden del esquema; sus celdas se revisaron por el nombre de la columna."
    )
    assert order.hint_en.startswith("Put the columns in the schema's order: agreement_id, local_party_id, ")
    assert cell.column == "B" and cell.value == "Bogota Barcelona"
    if engine == "fast":
        assert any("fast engine" in line for line in log), log


@pytest.mark.parametrize("engine", ENGINES)
def test_a_repeated_id_is_one_finding_naming_both_lines(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    first = rows_of(path)[1][0]
    edit_cell(path, 3, "agreement_id", first)
    found, _ = findings(catalog_copy, engine, "agreements.csv", whole=True)
    assert keys(found) == [("primary-key", 4, "agreement_id")]  # not also a unique-error
    [dup] = found
    assert dup.message_es == f"La clave primaria (agreement_id) repite «{first}», que ya está en la línea 2."
    assert dup.message_en == f"The primary key (agreement_id) repeats '{first}', already on line 2."
    assert "línea 2" in dup.hint_es and "line 2" in dup.hint_en


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_id_is_one_finding(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    edit_cell(path, 3, "agreement_id", "")
    found, _ = findings(catalog_copy, engine, "agreements.csv")
    assert keys(found) == [("constraint-error", 4, "agreement_id")]  # not also a primary-key
    assert found[0].message_es == "«agreement_id» es obligatorio y está vacío."


@pytest.mark.parametrize("engine", ENGINES)
def test_a_country_written_as_a_name_is_one_finding_naming_the_code(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "partners.csv"
    rows = rows_of(path)
    header = rows[0]
    # two rows that have a subdivision: a country name must not also make it "of another country"
    with_subdivision = [i for i, row in enumerate(rows) if i and row[header.index("subdivision")]]
    spain, peru = with_subdivision[:2]
    assert rows[spain][header.index("country")] == "ES"
    edit_cell(path, spain, "country", "España")
    edit_cell(path, peru, "country", "Perú")
    found, _ = findings(catalog_copy, engine, "partners.csv")
    assert keys(found) == [
        ("constraint-error", spain + 1, "country"),
        ("constraint-error", peru + 1, "country"),
    ]
    es, pe = found
    assert es.hint_es == "Usa el código ISO del país en mayúsculas: «ES» para España."
    assert es.hint_en == "Use the country's ISO code in capitals: 'ES' for Spain."
    assert pe.hint_es == "Usa el código ISO del país en mayúsculas: «PE» para Perú."
    assert pe.hint_en == "Use the country's ISO code in capitals: 'PE' for Peru."


@pytest.mark.parametrize("engine", ENGINES)
def test_a_country_code_iso_does_not_use_names_the_right_one(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "partners.csv"
    edit_cell(path, 1, "country", "UK")  # fits the pattern; only the ISO check finds it
    found, _ = findings(catalog_copy, engine, "partners.csv")
    assert keys(found) == [("country-code", 2, "country")]
    assert found[0].hint_es == "Usa el código ISO del país en mayúsculas: «GB» para Reino Unido."
    assert found[0].hint_en == "Use the country's ISO code in capitals: 'GB' for United Kingdom."


@pytest.mark.parametrize("engine", ENGINES)
def test_a_currency_symbol_points_to_its_code(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "funding.csv"
    rows = rows_of(path)
    row = next(i for i, r in enumerate(rows) if i and r[rows[0].index("currency")])
    edit_cell(path, row, "currency", "US$")
    found, _ = findings(catalog_copy, engine, "funding.csv")
    assert keys(found) == [("constraint-error", row + 1, "currency")]  # not also a currency-code
    assert found[0].hint_es == "Usa el código de tres letras de la moneda: «USD» en lugar de «US$»."
    assert found[0].hint_en == "Use the three-letter currency code: 'USD' instead of 'US$'."


@pytest.mark.parametrize("engine", ENGINES)
def test_a_pattern_is_explained_in_words(catalog_copy: Path, engine: str) -> None:
    path = catalog_copy / "bogota" / "agreements.csv"
    edit_cell(path, 2, "agreement_id", "Bogota Barcelona")
    found, _ = findings(catalog_copy, engine, "agreements.csv")
    assert keys(found) == [("constraint-error", 3, "agreement_id")]
    [f] = found
    assert f.message_es == (
        "«Bogota Barcelona» no tiene el formato que pide «agreement_id»: "
        "identificador único en minúsculas con guiones."
    )
    assert f.message_en == (
        "'Bogota Barcelona' does not have the format 'agreement_id' requires: "
        "unique lowercase identifier with hyphens."
    )
    assert f.hint_es == "Escríbelo con ese formato, p. ej. cdmx-berlin-hermanamiento-1993."
    assert f.hint_en == "Write it in that format, e.g. cdmx-berlin-hermanamiento-1993."


def test_no_regular_expression_reaches_a_data_clerk(catalog_copy: Path) -> None:
    """Every pattern field of the shipped schemas, given a value that breaks it: no finding shows
    the expression."""
    for table, field in [
        ("agreements.csv", "claim_group"),
        ("agreements.csv", "other_counterpart_ids"),
        ("partners.csv", "org_identifier"),
        ("partners.csv", "wikidata_qid"),
        ("partners.csv", "subdivision"),
        ("partners.csv", "country_alpha3"),
    ]:
        edit_cell(catalog_copy / "bogota" / table, 1, field, "Valor Libre!")
    report = validate(catalog_copy, datasets=["bogota"])
    patterns = [f for f in report.findings if f.code == "constraint-error" and "formato" in f.message_es]
    assert len(patterns) == 6, [f.message_en for f in report.findings]
    regex = re.compile(r"\[[A-Za-z0-9]-|\]\+|\]\{|\)\*")
    for f in patterns:
        for text in (f.message_es, f.message_en, f.hint_es, f.hint_en):
            assert not regex.search(text), text


SCHEMA = """\
name: items
primaryKey: [id]
fields:
  - name: id
    type: string
    constraints: {required: true, pattern: "[a-z0-9-]+"}
  - name: code
    type: string
    constraints: {unique: true}
  - name: kind
    type: string
    constraints: {pattern: "[a-z]{2}", enum: [aa, bb]}
  - name: country
    type: string
    codeSystem: iso3166-1-alpha2
  - name: subdivision
    type: string
    codeSystem: iso3166-2
    countryField: country
  - name: currency
    type: string
    codeSystem: iso4217
  - name: source_url
    type: string
    format: uri
"""
TABLE = """\
id,code,kind,country,subdivision,currency,source_url
a-1,X1,aa,MX,MX-CMX,MXN,https://example.org/1
a-2,X1,aa,Perú,MX-CMX,US$,https://example.org/2
a-3,X3,Z9,MX,,MXN,https://example.org/3
A 4,X4,bb,MX,,MXN,https://example.org/4
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_someone_elses_schema_without_patterns_or_descriptions(tmp_path: Path, engine: str) -> None:
    """A schema with no description, no example and no pattern on its coded fields: the ISO checks
    still name the code meant, a repeated unique value names its first line, and a pattern is never
    shown as a regular expression."""
    (tmp_path / "items.schema.yaml").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "items.csv").write_text(TABLE, encoding="utf-8")
    report = validate(tmp_path / "items.csv", schema=tmp_path / "items.schema.yaml", engine=engine)
    found = {(f.code, f.line, f.field): f for f in report.findings}
    assert keys(report.findings) == [
        ("unique-error", 3, "code"),
        ("constraint-error", 4, "kind"),  # it breaks the pattern and the enum: one finding
        ("constraint-error", 5, "id"),
        ("country-code", 3, "country"),  # and no subdivision finding "of country Perú"
        ("currency-code", 3, "currency"),
    ]
    unique = found[("unique-error", 3, "code")]
    assert unique.message_es == "«X1» ya aparece en la línea 2 y «code» no admite valores repetidos."
    assert unique.message_en == "'X1' already appears on line 2, and 'code' does not allow repeated values."
    assert found[("constraint-error", 4, "kind")].hint_es == "Usa uno de estos códigos: aa, bb."
    pattern = found[("constraint-error", 5, "id")]
    assert pattern.message_es == "«A 4» no tiene el formato que pide «id»."
    assert pattern.hint_en == (
        "The schema does not explain the format of 'id' in words: ask whoever maintains it to add a "
        "description or an example to the field."
    )
    assert found[("country-code", 3, "country")].hint_es == (
        "Usa el código ISO del país en mayúsculas: «PE» para Perú."
    )
    assert found[("currency-code", 3, "currency")].hint_en == (
        "Use the three-letter currency code: 'USD' instead of 'US$'."
    )
