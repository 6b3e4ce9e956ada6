"""The fast engine's own cell reader gives frictionless's reading of every cell: the same value and
the same notes, in the same order and words, so that a spoiled table of common fields is checked
without importing frictionless."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from toolkit.validation.fast.schema import own_cell_reader

# Cells frictionless reads in surprising ways (Python's Decimal, int and strptime underneath).
_TRICKY = [
    None,
    "",
    "NA",
    "n/d",
    "None",
    " 5",
    "5 ",
    "007",
    "+5",
    "-0",
    "1_000",
    "1__0",
    "_1",
    "1,000",
    "1.5",
    "5.",
    ".5",
    "1e3",
    "1E400",
    "0x10",
    "\u0663",  # Arabic-Indic three
    "\u0661\u0662.\u0665",
    "\u0660\u0660\u0660\u0660",
    "\U0001d7d7",  # mathematical bold nine
    "\u00b2",  # superscript two
    "NaN",
    "nan",
    "-NaN",
    "sNaN",
    "-sNaN",
    "sNaN123",
    "Infinity",
    "-inf",
    "2021-02-03",
    "2021-2-3",
    "2021-02- 3",
    " 2021-02-03",
    "0000-01-01",
    "0001-01-01",
    "2024-02-29",
    "2023-02-29",
    "9999-12-31",
    "2021-02-03T10:20:30",
    "2021-02-03T10:20:30Z",
    "2021-02-03T10:20:30+05:00",
    "2021-02-03 10:20:30",
    "2021-02-03T10:20",
    "2021-02-03T10:20:30.123456",
    "2021-02-03T24:00:00",
    "20210203T10:20:30.123",
    "2021-02-03T102030.123",
    "0000",
    "0999",
    "2024",
    "10000",
    "-001",
    "true",
    "True",
    "TRUE",
    "yes",
    "1",
    "0",
    "abc",
    "ABC",
    "ABC\n",
    "abc\n",
    "ab-c",
    "a\u00f1o",
    "mailto:x",
    "www.example.org/x",
    "https://example.org/a b",
    "https://example.org/x",
    "http://",
    "1:2",
    "a.b+c-d:x",
    "a_b:x",
    "\u00e9:x",
    ":x",
    "a:",
    "a",
]
_CELLS = st.one_of(
    st.sampled_from(_TRICKY),
    st.text(max_size=12),
    st.text("0123456789-.eE_ :TZ+", max_size=20),
    st.text("aZ9+.-:/?#@ \u00e9%", max_size=10),  # schemes and what is not one
)

_BOUND_VALUES: dict[str, list[Any]] = {
    "integer": [0, 10, -3, "7", 2.0, 1.5, "x", True],
    "number": [0, -1.5, 1000, 2.5, "5", "1e2", "NaN", "x", 10**20],
    "year": [0, 2000, "1999", 10000],
    "date": ["2020-01-01", "2021-2-3", "2020-13-01", 5],
    "datetime": ["2021-01-01T00:00:00", "2021-01-01T00:00:00Z", "x"],
}
_ENUMS: dict[str, list[Any]] = {
    "string": [["abc", "ABC", "x"], ["a\u00f1o"], [], "abc"],
    "any": [["abc", "5", 5], []],
    "integer": [[1, 7, "10"], [0, 1.0], ["x"]],
    "number": [[1, 1.5, "2.50"], ["NaN", 3], [0]],
    "year": [[2024, "0999"], [1999]],
    "date": [["2021-02-03", "2024-02-29"], ["x"]],
    "datetime": [["2021-02-03T10:20:30"]],
    "boolean": [[True], [False, "true"], ["yes"]],
}
_PATTERNS = ["[A-Z]{3}", "abc", "[a-z0-9]+(-[a-z0-9]+)*", "a|b", r"\d+", ".*", "(", "[a-z]{2,}\n?"]


@st.composite
def _descriptors(draw: st.DrawFn) -> dict[str, Any]:
    t = draw(st.sampled_from(["string", "any", "integer", "number", "year", "date", "datetime", "boolean"]))
    field: dict[str, Any] = {"name": "f", "type": t}
    if t == "string" and draw(st.booleans()):
        field["format"] = draw(st.sampled_from(["default", "uri"]))
    if t == "integer" and draw(st.integers(0, 4)) == 0:
        field["bareNumber"] = True
    if t == "boolean" and draw(st.booleans()):
        field["trueValues"] = draw(st.sampled_from([["yes", "1"], ["s\u00ed"], ["x", "y"]]))
        field["falseValues"] = draw(st.sampled_from([["no", "0"], ["x"], ["yes"]]))
    if draw(st.booleans()):
        field["missingValues"] = draw(st.sampled_from([[""], ["NA", "n/d"], [], ["None", "-"]]))
    constraints: dict[str, Any] = {}
    if draw(st.booleans()):
        constraints["required"] = draw(st.booleans())
    if t == "string":
        for name in ("minLength", "maxLength"):
            if draw(st.booleans()):
                constraints[name] = draw(st.integers(0, 5))
        if draw(st.booleans()):
            constraints["pattern"] = draw(st.sampled_from(_PATTERNS))
    if t in _BOUND_VALUES:
        for name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if draw(st.integers(0, 3)) == 0:
                constraints[name] = draw(st.sampled_from(_BOUND_VALUES[t]))
    if draw(st.integers(0, 2)) == 0:
        constraints["enum"] = draw(st.sampled_from(_ENUMS[t]))
    if constraints:
        field["constraints"] = constraints
    return field


def _frictionless_reader(field: dict[str, Any], schema_missing: list[str]) -> Any:
    from frictionless import FrictionlessException

    from toolkit.validation import structure

    try:
        schema = structure.to_schema({"fields": [copy.deepcopy(field)], "missingValues": schema_missing})
        return schema.fields[0].create_cell_reader()
    except (FrictionlessException, TypeError, ValueError, ArithmeticError, re.error):
        return None


def _reading(reader: Any, cell: Any) -> tuple[Any, ...]:
    try:
        value, notes = reader(cell)
    except Exception as ex:  # the same crash counts as the same reading
        return ("raised", type(ex))
    # str() so that NaN compares equal to itself
    return (type(value), str(value), None if notes is None else list(notes.items()))


@settings(max_examples=1500, deadline=None)
@given(
    field=_descriptors(),
    schema_missing=st.sampled_from([[""], ["", "NA"], []]),
    cells=st.lists(_CELLS, max_size=8),
)
def test_our_cell_reader_is_frictionless_own(
    field: dict[str, Any], schema_missing: list[str], cells: list[Any]
) -> None:
    theirs = _frictionless_reader(field, schema_missing)
    missing = field.get("missingValues", schema_missing)
    ours = own_cell_reader(field, missing)
    if theirs is None or ours is None:
        return  # a field frictionless does not build, or one left to frictionless's reader
    for cell in [*cells, *_TRICKY]:
        assert _reading(ours, cell) == _reading(theirs, cell), (field, cell)


@pytest.mark.parametrize(
    "field",
    [
        {
            "name": "f",
            "type": "string",
            "constraints": {"required": True, "pattern": "[A-Z]{3}", "maxLength": 3},
        },
        {"name": "f", "type": "string", "format": "uri", "constraints": {"required": True}},
        {"name": "f", "type": "string", "constraints": {"enum": ["planned", "active"]}},
        {"name": "f", "type": "integer", "constraints": {"minimum": 0}},
        {"name": "f", "type": "number", "constraints": {"minimum": 0, "maximum": 1.5}},
        {"name": "f", "type": "date", "constraints": {"minimum": "2000-01-01"}},
        {"name": "f", "type": "datetime"},
        {"name": "f", "type": "boolean"},
        {"name": "f", "type": "year", "constraints": {"enum": [2020, 2021]}},
    ],
)
def test_the_common_fields_are_read_here(field: dict[str, Any]) -> None:
    """The kinds of field a spoiled table usually has get our reader (not frictionless's)."""
    assert own_cell_reader(field, [""]) is not None


@pytest.mark.parametrize(
    "field",
    [
        {"name": "f", "type": "number", "groupChar": ","},
        {"name": "f", "type": "number", "bareNumber": False},
        {"name": "f", "type": "integer", "bareNumber": False},
        {"name": "f", "type": "date", "format": "%d/%m/%Y"},
        {"name": "f", "type": "string", "format": "email"},
        {"name": "f", "type": "number", "constraints": {"minimum": "NaN"}},
        {"name": "f", "type": "string", "constraints": {"pattern": "("}},
        {"name": "f", "type": "geopoint"},
    ],
)
def test_other_fields_are_left_to_frictionless(field: dict[str, Any]) -> None:
    assert own_cell_reader(field, [""]) is None


@settings(max_examples=3000, deadline=None)
@example("2024-01-1٣")
@example("٢٠٢٤-1- 5")
@example("2024-02-29")
@example("2023-02-29")
@example("0000-01-01")
@example("2024-01-39")
@example("2024-01-15\n")
@example("2024-13-01")
@example("2024-1-05")
@given(
    st.one_of(
        st.from_regex(r"\A[0-9]{4}-[0-9 ]{1,2}-[0-9 ]{1,3}\Z"),
        st.from_regex(r"\A[0-9٠-٩]{3,5}-[01١]?[0-9٣]-[ 0-3٣]?[0-9٣]\s?\Z"),
        st.text(alphabet="0123456789- ٣T:\n", max_size=12),
    )
)
def test_dates_read_as_strptime_reads_them(cell: str) -> None:
    """The engine's date reader gives ``datetime.strptime(cell, "%Y-%m-%d")``'s date, or nothing
    where strptime raises (a day past the month's end, year 0, other digits, leftovers)."""
    import datetime as dt

    from toolkit.validation.fast.schema import _read_date

    try:
        expected = dt.datetime.strptime(cell, "%Y-%m-%d").date()
    except ValueError:
        expected = None
    assert _read_date(cell) == expected
