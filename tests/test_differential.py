"""The differential corpus: ``ciudades validate`` against ``frictionless validate`` on small cases.

Each folder of ``tests/fixtures/differential/`` is one case, written from the Table Schema and Data
Package specifications' examples and from frictionless's behaviour: a ``datapackage.json`` with its
files, or a ``data.csv`` with its ``schema.json``. On every case the findings that carry a
frictionless code (code, row, and field for cell errors) must equal frictionless's own errors, with
both of our engines. Where frictionless itself fails (it refuses the descriptor and checks no data),
we must not say "valid" either. A case whose folder holds ``difference.txt`` is a known difference:
the file says why, and the test is expected to fail until it is resolved (strict, so a fix shows).
The deliberate differences are listed in ``docs/frictionless-differences.md``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import toolkit
from toolkit.messages import CODES

CORPUS = Path(__file__).resolve().parent / "fixtures" / "differential"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
# frictionless refused the descriptor or the file: it checked no data.
FRICTIONLESS_FAILS = {
    "package-error",
    "resource-error",
    "schema-error",
    "dialect-error",
    "field-error",
    "general-error",
    "scheme-error",
    "format-error",
    "source-error",
}
# Our findings that refuse a descriptor or a schema, as frictionless's failures do.
REFUSALS = {"schema-error", "descriptor-error", "metadata-invalid", "schema-missing", "syntax-error"}
# Codes whose frictionless error names one field: the field is part of the comparison.
CELL_CODES = {"type-error", "constraint-error", "missing-cell", "unique-error"}
LABEL_CODES = {"duplicate-label", "blank-label", "extra-label", "missing-label", "incorrect-label"}


def _frictionless_codes() -> set[str]:
    import frictionless.errors as errors

    found = set()
    for name in dir(errors):
        kind = getattr(errors, name)
        if isinstance(kind, type) and isinstance(getattr(kind, "type", None), str):
            found.add(kind.type)
    return found


def _key(code: str, row: int | None, field: str | None) -> tuple[Any, ...]:
    if code in LABEL_CODES:
        row = None
    return (code, row, field if code in CELL_CODES else None)


def _theirs(case: Path) -> tuple[Counter, set[str]]:
    import frictionless

    try:
        if (case / "datapackage.json").is_file():
            report = frictionless.validate(str(case / "datapackage.json"))
        else:  # as `frictionless validate data.csv --schema schema.json` run in the case's folder
            schema = json.loads((case / "schema.json").read_text(encoding="utf-8"))
            resource = frictionless.Resource(
                path="data.csv", basepath=str(case), schema=frictionless.Schema.from_descriptor(schema)
            )
            report = resource.validate()
    except Exception as ex:  # frictionless itself crashes on some invalid schemas
        return Counter(), {f"crash: {type(ex).__name__}"}
    keys: Counter = Counter()
    failures = {e.type for e in report.errors}
    for task in report.tasks:
        for e in task.errors:
            if e.type in FRICTIONLESS_FAILS:
                failures.add(e.type)
                continue
            keys[_key(e.type, getattr(e, "row_number", None), getattr(e, "field_name", None))] += 1
    return keys, failures


def _ours(case: Path, engine: str) -> tuple[Counter, toolkit.Report]:
    if (case / "datapackage.json").is_file():
        report = toolkit.validate(case / "datapackage.json", profiles=[], engine=engine)
    else:
        report = toolkit.validate(case / "data.csv", schema=case / "schema.json", profiles=[], engine=engine)
    theirs = _frictionless_codes()
    keys: Counter = Counter()
    for f in report.findings:
        spec = CODES.get(f.code)
        if f.code in theirs and (spec is None or spec.frictionless):
            keys[_key(f.code, f.row, f.field)] += 1
    return keys, report


def _param(case: Path, engine: str) -> Any:
    reason = case / "difference.txt"
    marks = []
    if reason.is_file():
        marks.append(pytest.mark.xfail(strict=True, reason=reason.read_text(encoding="utf-8").strip()))
    return pytest.param(case, engine, id=f"{case.name}-{engine}", marks=marks)


def test_the_corpus_is_broad() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("case", "engine"), [_param(c, e) for c in CASES for e in ("frictionless", "fast")])
def test_same_findings_as_frictionless(case: Path, engine: str) -> None:
    theirs, failures = _theirs(case)
    ours, report = _ours(case, engine)
    if failures:
        # frictionless refuses the case; we may check more, but must refuse it too (the catalog's
        # own policy findings do not count: they would make any standalone case invalid).
        refused = [f.code for f in report.errors if f.code in REFUSALS]
        assert refused, f"frictionless fails with {sorted(failures)}; we did not refuse the case"
        return
    assert ours == theirs
