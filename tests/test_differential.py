"""The differential corpus: ``ciudades validate`` against ``frictionless validate`` on small cases.

Each folder of ``tests/fixtures/differential/`` is one case, written from the Table Schema and Data
Package specifications' examples and from frictionless's behaviour: a ``datapackage.json`` with its
files, or a ``data.csv`` with its ``schema.json``. On every case the findings that carry a
frictionless code (code, row, and field for cell errors) must equal frictionless's own errors, with
both of our engines. Where frictionless itself fails (it refuses the descriptor and checks no data),
we must refuse it too. A case whose folder holds ``difference.txt`` is a deliberate difference: the
file says why, ``ours.json`` lists the findings we give instead, and the case is listed in
``docs/frictionless-differences.md``. A case waiting for a change elsewhere holds ``pending.txt``
(its reason) and is expected to fail until then (strict, so the fix shows).
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import toolkit
from toolkit.report.messages import CODES

CORPUS = Path(__file__).resolve().parent / "fixtures" / "differential"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir())
# frictionless refused the descriptor or the file: it checked no data.
FRICTIONLESS_FAILS = {
    "package-error",
    "resource-error",
    "schema-error",
    "dialect-error",
    "control-error",
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


# frictionless on every case, in a process of its own: the toolkit registers a frictionless plugin
# (signalling NaNs read as NaN) for its own process, and the reference must be frictionless alone.
_ORACLE = """
import decimal, json, re, sys
import frictionless
from pathlib import Path

out = {}
for name in sys.argv[1:]:
    case = Path(name)
    try:
        if (case / "datapackage.json").is_file():
            report = frictionless.validate(str(case / "datapackage.json"))
        else:  # as `frictionless validate data.csv --schema schema.json` run in the case's folder
            schema = json.loads((case / "schema.json").read_text(encoding="utf-8"))
            resource = frictionless.Resource(
                path="data.csv", basepath=str(case), schema=frictionless.Schema.from_descriptor(schema)
            )
            report = resource.validate()
    # frictionless itself crashes on some cases: a constraint its field type cannot read
    # (TypeError), a pattern that is not a regular expression (re.error), a v2-only constraint,
    # a signalling NaN against a bound (decimal.InvalidOperation)
    except (TypeError, re.error, decimal.InvalidOperation, frictionless.FrictionlessException) as ex:
        out[name] = {"errors": [], "failures": ["crash: " + type(ex).__name__]}
        continue
    errors = [
        [e.type, getattr(e, "row_number", None), getattr(e, "field_name", None)]
        for task in report.tasks
        for e in task.errors
    ]
    out[name] = {"errors": errors, "failures": [e.type for e in report.errors]}
print(json.dumps(out))
"""


@functools.cache
def _oracle() -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _ORACLE, *(str(c) for c in CASES)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return dict(json.loads(done.stdout))


def _theirs(case: Path) -> tuple[Counter, set[str]]:
    found = _oracle()[str(case)]
    keys: Counter = Counter()
    failures = set(found["failures"])
    for code, row, field in found["errors"]:
        if code in FRICTIONLESS_FAILS:
            failures.add(code)
            continue
        keys[_key(code, row, field)] += 1
    return keys, failures


def _validate(case: Path, **options: Any) -> toolkit.Report:
    if (case / "datapackage.json").is_file():
        return toolkit.validate(case / "datapackage.json", **options)
    return toolkit.validate(case / "data.csv", schema=case / "schema.json", **options)


def _ours(case: Path, engine: str) -> tuple[Counter, toolkit.Report]:
    report = _validate(case, engine=engine)  # as run by hand: outside a catalog, no catalog policy
    theirs = _frictionless_codes()
    keys: Counter = Counter()
    for f in report.findings:
        spec = CODES.get(f.code)
        if f.code in theirs and (spec is None or spec.frictionless):
            keys[_key(f.code, f.row, f.field)] += 1
    return keys, report


def _param(case: Path, engine: str) -> Any:
    reason = case / "pending.txt"
    marks = []
    if reason.is_file():
        marks.append(pytest.mark.xfail(strict=True, reason=reason.read_text(encoding="utf-8").strip()))
    return pytest.param(case, engine, id=f"{case.name}-{engine}", marks=marks)


def test_every_difference_is_documented(root: Path) -> None:
    listed = (root / "docs" / "frictionless-differences.md").read_text(encoding="utf-8")
    for case in CASES:
        if (case / "difference.txt").is_file():
            assert f"`{case.name}`" in listed, f"{case.name} is a difference the docs do not list"


def test_the_corpus_is_broad() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize(("case", "engine"), [_param(c, e) for c in CASES for e in ("frictionless", "fast")])
def test_same_findings_as_frictionless(case: Path, engine: str) -> None:
    theirs, failures = _theirs(case)
    ours, report = _ours(case, engine)
    if (case / "difference.txt").is_file():
        # A deliberate difference: ours.json holds our findings (frictionless codes and the codes
        # it names), which must differ from frictionless's in the way difference.txt explains.
        wanted = [tuple(k) for k in json.loads((case / "ours.json").read_text(encoding="utf-8"))]
        named = {k[0] for k in wanted} - {k[0] for k in ours}
        extra = Counter(_key(f.code, f.row, f.field) for f in report.findings if f.code in named)
        assert ours + extra == Counter(wanted)
        assert ours != theirs
        return
    if failures:
        # frictionless refuses the case; we may check more, but must refuse it too (the catalog's
        # own policy findings do not count: they would make any standalone case invalid).
        refused = [f.code for f in report.errors if f.code in REFUSALS]
        assert refused, f"frictionless fails with {sorted(failures)}; we did not refuse the case"
        return
    assert ours == theirs
    # Where frictionless accepts the descriptor and the schema, so do we; where it finds nothing
    # wrong at all, the case is valid here too (outside a catalog no catalog policy applies).
    assert not [f.message_en for f in report.errors if f.code in REFUSALS]
    if not theirs:
        assert report.valid, [f.message_en for f in report.errors]


# ── the cases above, as a contributor meets them on the command line ────────────────────────────


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")


SCHEMA_PK = (
    '{"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}], "primaryKey": "id"}'
)


def test_a_string_primary_key_is_read_not_refused(tmp_path: Path, runner: Any) -> None:
    from toolkit.cli import cli

    _write(tmp_path, {"t.csv": "id,name\n1,a\n1,b\n", "s.json": SCHEMA_PK})
    result = runner.invoke(
        cli,
        [
            "validate",
            str(tmp_path / "t.csv"),
            "--schema",
            str(tmp_path / "s.json"),
            "--format",
            "json",
            "--lang",
            "en",
        ],
    )
    assert result.exit_code == 1
    found = json.loads(result.output)["findings"]
    assert "schema-error" not in {f["code"] for f in found}
    keys = [f for f in found if f["code"] == "primary-key"]
    assert [(k["line"], k["field"], k["column"]) for k in keys] == [(3, "id", "A")]


def test_a_string_primary_key_in_a_package_names_the_field_not_its_letters(tmp_path: Path) -> None:
    descriptor = {
        "name": "p",
        "resources": [{"name": "t", "path": "t.csv", "schema": json.loads(SCHEMA_PK)}],
    }
    _write(tmp_path, {"t.csv": "id,name\n1,a\n1,b\n", "datapackage.json": json.dumps(descriptor)})
    report = toolkit.validate(tmp_path / "datapackage.json")
    assert [f.field for f in report.findings if f.code == "primary-key"] == ["id"]


def test_schema_messages_are_in_english_with_lang_en(tmp_path: Path, runner: Any) -> None:
    from toolkit.cli import cli

    _write(tmp_path, {"t.csv": "id\n1\n", "s.json": '{"primaryKey": "id"}'})
    result = runner.invoke(
        cli, ["validate", str(tmp_path / "t.csv"), "--schema", str(tmp_path / "s.json"), "--lang", "en"]
    )
    assert result.exit_code == 1
    assert "The schema is not a valid Table Schema: the 'fields' list is missing." in result.output
    assert "falta" not in result.output


def test_a_declared_dialect_points_at_the_physical_line(tmp_path: Path) -> None:
    descriptor = {
        "name": "p",
        "resources": [
            {
                "name": "t",
                "path": "t.csv",
                "dialect": {"delimiter": ";", "commentChar": "#"},
                "schema": {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}]},
            }
        ],
    }
    _write(
        tmp_path,
        {"t.csv": "# exported\nid;name\n1;a\n# note\nx;b\n", "datapackage.json": json.dumps(descriptor)},
    )
    report = toolkit.validate(tmp_path / "datapackage.json")
    structure = [f for f in report.findings if CODES[f.code].stage == "structure"]
    assert [(f.code, f.row, f.line, f.field, f.value) for f in structure] == [("type-error", 5, 5, "id", "x")]


def test_a_header_below_line_1_is_one_finding_that_says_where(tmp_path: Path, runner: Any) -> None:
    from toolkit.cli import cli

    _write(tmp_path, {"t.csv": "# exported\n# by hand\nid,name\n1,a\n", "s.json": SCHEMA_PK})
    result = runner.invoke(
        cli,
        [
            "validate",
            str(tmp_path / "t.csv"),
            "--schema",
            str(tmp_path / "s.json"),
            "--lang",
            "en",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 1
    found = json.loads(result.output)["findings"]
    assert [(f["code"], f["line"]) for f in found] == [("header-not-first-row", 3)]
    assert "headerRows: [3]" in found[0]["hint"]


def test_an_unchecked_hash_algorithm_is_said(tmp_path: Path) -> None:
    descriptor = {
        "name": "p",
        "resources": [
            {"name": "t", "path": "t.csv", "hash": "sha1:" + "0" * 40, "schema": json.loads(SCHEMA_PK)}
        ],
    }
    _write(tmp_path, {"t.csv": "id,name\n1,a\n", "datapackage.json": json.dumps(descriptor)})
    report = toolkit.validate(tmp_path / "datapackage.json")
    warned = [f for f in report.warnings if f.code == "metadata-invalid"]
    assert len(warned) == 1 and "sha1" in warned[0].message_en


def test_a_single_csv_without_schema_points_to_describe(tmp_path: Path, runner: Any) -> None:
    from toolkit.cli import cli

    _write(tmp_path, {"t.csv": "id\n1\n"})
    for lang, words in (("en", "ciudades describe"), ("es", "ciudades describe")):
        result = runner.invoke(cli, ["validate", str(tmp_path / "t.csv"), "--lang", lang])
        assert result.exit_code == 2
        assert words in result.output


def test_our_own_findings_use_the_row_numbers_of_a_declared_dialect(tmp_path: Path) -> None:
    schema = {
        "fields": [{"name": "id", "type": "integer"}, {"name": "url", "type": "string", "format": "uri"}]
    }
    descriptor = {
        "name": "p",
        "resources": [
            {
                "name": "t",
                "path": "t.csv",
                "dialect": {"headerRows": [2], "commentChar": "#"},
                "schema": schema,
            }
        ],
    }
    text = "A title\nid,url\n1,https://example.org\n# a note\n2,mailto:someone\n"
    _write(tmp_path, {"t.csv": text, "datapackage.json": json.dumps(descriptor)})
    report = toolkit.validate(tmp_path / "datapackage.json")
    assert [(f.code, f.row, f.line) for f in report.findings if f.code == "url-invalid"] == [
        ("url-invalid", 5, 5)
    ]


def test_a_header_below_line_1_is_found_in_another_order(tmp_path: Path) -> None:
    _write(tmp_path, {"t.csv": "Cities, 2024\nname,id\na,1\n", "s.json": SCHEMA_PK})
    report = toolkit.validate(tmp_path / "t.csv", schema=tmp_path / "s.json")
    assert [(f.code, f.line) for f in report.errors] == [("header-not-first-row", 2)]


def test_a_descriptor_that_is_not_a_mapping_is_said_in_both_languages(tmp_path: Path) -> None:
    _write(tmp_path, {"datapackage.json": "[1, 2]"})
    report = toolkit.validate(tmp_path / "datapackage.json")
    found = [f for f in report.errors if f.code == "descriptor-error"]
    assert len(found) == 1
    assert "no es un objeto" in found[0].message_es
    assert "not a mapping" in found[0].message_en


def test_a_file_unreadable_with_its_dialect_is_a_finding_never_silence(tmp_path: Path) -> None:
    from toolkit.validation.rawcsv import read_table

    _write(tmp_path, {"t.csv": "id;;name\n1;;a\n"})
    table, found = read_table(tmp_path / "t.csv", "t.csv", {}, ["id", "name"], dialect={"delimiter": ";;"})
    assert table is None
    assert [f.code for f in found if f.severity == "error"][-1] == "source-error"
    assert "declared dialect" in found[-1].message_en


@pytest.mark.parametrize("engine", ["frictionless", "fast"])
def test_the_declared_size_is_not_checked_past_the_error_cap(tmp_path: Path, engine: str) -> None:
    """frictionless stops reading at the cap and then checks no hash or size: neither do we."""
    import frictionless

    rows = "".join(f"x{i},a\n" for i in range(5))
    descriptor = {
        "name": "p",
        "resources": [
            {
                "name": "t",
                "path": "t.csv",
                "bytes": 1,
                "hash": "md5:" + "0" * 32,
                "schema": json.loads(SCHEMA_PK),
            }
        ],
    }
    _write(tmp_path, {"t.csv": "id,name\n" + rows, "datapackage.json": json.dumps(descriptor)})
    for cap, wanted in ((3, set()), (50, {"hash-count", "byte-count"})):
        theirs = frictionless.validate(str(tmp_path / "datapackage.json"), limit_errors=cap)
        ours = toolkit.validate(tmp_path / "datapackage.json", engine=engine, limit_errors=cap)
        assert {e.type for e in theirs.tasks[0].errors} & {"hash-count", "byte-count"} == wanted
        assert {f.code for f in ours.findings} & {"hash-count", "byte-count"} == wanted
