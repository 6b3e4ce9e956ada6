"""Personal data and formula injection are flagged as warnings naming the cell."""

from __future__ import annotations

from pathlib import Path

import pytest
from csvedit import edit_cell

from toolkit import validate
from toolkit.validation.privacy import looks_like_formula, personal_data_kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("contacto: juan.perez@gmail.com", "email"),
        ("Tel. 55 5345 8000", "phone"),
        ("+52 (55) 1234-5678", "phone"),
        ("GODE561231HDFRRN04", "curp"),
        ("RFC GODE561231GR8", "rfc"),
        ("firmado el 2015-02-18", None),
        ("USD 220000000", None),
        ("Resolución 1094/2016", None),
        ("https://x.org/a?id=5553458000", None),
        ("Acuerdo 2019-2024", None),
    ],
)
def test_personal_data_kinds(text: str, kind: str | None) -> None:
    assert personal_data_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "formula"),
    [
        ('=HYPERLINK("http://x")', True),
        ("+52 55", True),
        ("@SUM(A1)", True),
        ("\tx", True),
        ("-3.5", False),
        ("-3", False),
        ("hola", False),
        ("", False),
    ],
)
def test_formula_detection(text: str, formula: bool) -> None:
    assert looks_like_formula(text) is formula


def test_findings_name_the_cell(catalog_copy: Path) -> None:
    agreements = catalog_copy / "bogota" / "agreements.csv"
    edit_cell(agreements, 1, "notes", "Contacto: ana.lopez@example.com")
    edit_cell(agreements, 2, "signatories", '=HYPERLINK("http://evil.example","x")')
    report = validate(catalog_copy)
    got = {(f.code, f.severity, f.row, f.field, f.column) for f in report.findings}
    assert ("personal-data", "warning", 2, "notes", "U") in got
    assert ("formula-injection", "warning", 3, "signatories", "N") in got
    assert report.valid  # warnings do not fail validation


def test_shipped_catalog_has_no_personal_data(root: Path) -> None:
    report = validate(root / "datasets")
    assert not [f for f in report.findings if f.code in ("personal-data", "formula-injection")]
