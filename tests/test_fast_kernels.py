"""The fast engine's shortcuts: each one only ever skips work whose answer is known.

Each test pits a shortcut against the plain computation it replaces (or against ``privacy.py``,
the reference for what the privacy scan reports), on generated input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_fast_engine import PRIVATE_CELLS, _write, assert_same, both
from toolkit.validation.fast import blocks
from toolkit.validation.fast import cells as kernels


def _engines_agree(folder: Path, schema: dict[str, Any], rows: list[list[str] | None], limit: int) -> None:
    """Both engines give the same findings on ``rows`` under ``schema``, and the fast one checked them."""
    (folder / "s.yaml").write_text(json.dumps(schema), encoding="utf-8")
    _write(folder / "t.csv", [f["name"] for f in schema["fields"]], rows)
    slow, fast, log = both(folder / "t.csv", schema=folder / "s.yaml", limit_errors=limit)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='\n\r,a"', max_size=30).map(lambda s: s.encode()))
def test_blank_line_from_the_line_feeds_is_the_byte_search(data: bytes) -> None:
    """``_blank_line`` reads the line feeds' positions; it answers what the byte searches did."""
    arr = np.frombuffer(data, dtype=np.uint8)
    feeds = np.flatnonzero(arr == 10)
    searched = data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data
    assert blocks._blank_line(arr, feeds) == searched


_CODES = {
    "country": ["MX", "DE", "mx", "Mexico", "XX", "NA", ""],
    "country_alpha3": ["MEX", "DEU", "USA", "mex", "MX", "NA"],
    "alpha3": ["MEX", "DEU", "Alemania", "NA"],
    "state": ["MX-CMX", "DE-BE", "XX-YY", "mx-cmx", "NA"],
    "region": ["MX-CMX", "XX-YY", "NA"],
    "currency": ["MXN", "usd", "US$", "XYZ", "NA"],
}


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(*[st.sampled_from(cells) for cells in _CODES.values()]), min_size=1, max_size=40))
def test_code_systems_beside_their_related_fields_give_the_same_findings(
    tmp_path_factory: pytest.TempPathFactory, rows: list[tuple[str, ...]]
) -> None:
    """Country, subdivision and currency codes give the frictionless path's findings, alone and
    beside the field they are checked against (``sameCountryAs``, ``countryField``): the fast
    engine clears the known codes of a field that names no such field in one look-up."""
    systems = [
        "iso3166-1-alpha2",
        "iso3166-1-alpha3",
        "iso3166-1-alpha3",
        "iso3166-2",
        "iso3166-2",
        "iso4217",
    ]
    fields: list[dict[str, Any]] = [
        {"name": name, "type": "string", "codeSystem": system}
        for name, system in zip(_CODES, systems, strict=True)
    ]
    fields[1]["sameCountryAs"] = fields[3]["countryField"] = "country"
    schema = {"missingValues": ["", "NA"], "fields": [{"name": "id", "type": "string"}, *fields]}
    tmp_path: Path = tmp_path_factory.mktemp("codes")
    _engines_agree(tmp_path, schema, [[f"r{i}", *row] for i, row in enumerate(rows)], 10_000)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(["active", "x@y.zz", "=1", "5512345678", "ok", "NA", "a@b.cd e"]), min_size=4),
    st.data(),
)
def test_privacy_scan_of_enum_pattern_and_uri_fields_gives_the_same_findings(
    tmp_path_factory, statuses: list[str], data: st.DataObject
) -> None:
    """The privacy scan gives the frictionless path's findings for enum values that are flagged
    (an e-mail, a phone number, a formula), short pattern fields and URLs alike: the fields a
    prefilter could be tempted to skip (in a block of more than ``SMALL`` rows, only those that
    cannot hold personal data are: see the test of ``_harmless`` below)."""
    tmp_path: Path = tmp_path_factory.mktemp("enum")
    enum = ["active", "x@y.zz", "=1", "5512345678", "a@b.cd e"]
    schema = {
        "missingValues": ["", "NA"],
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "status", "type": "string", "constraints": {"enum": enum}},
            {"name": "code", "type": "string", "constraints": {"pattern": "[A-Z]{3}"}},
            {"name": "web", "type": "string", "format": "uri"},
            {"name": "notes", "type": "string"},
        ],
    }
    cells = st.sampled_from([*PRIVATE_CELLS, "ABC", "=AB", "+1", "https://x.org/1"])
    rows: list[list[str] | None] = [
        [f"r{i}", status, data.draw(cells), data.draw(cells), data.draw(cells)]
        for i, status in enumerate(statuses)
    ]
    _engines_agree(tmp_path, schema, rows, 10_000)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(["", "NA", "x", "na"]), st.text(max_size=3), st.none()), max_size=20)
)
def test_missing_masks_are_shared_read_only_and_right(cells: list[str | None]) -> None:
    """The structure and the domain checks share one missing-value mask per column: the same
    answer as :func:`among`, computed once, and read-only so that neither can change it."""
    arr = pa.array(cells, pa.string())
    mask = kernels.missing_mask(arr, ["", "NA"])
    assert mask.tolist() == kernels.among(arr, ["", "NA"]).tolist()
    assert kernels.missing_mask(arr, ["", "NA"]) is mask
    assert kernels.missing_mask(arr, ["NA"]).tolist() == kernels.among(arr, ["NA"]).tolist()
    assert not mask.flags.writeable


@pytest.mark.parametrize("limit_errors", [10_000, 3])
def test_integer_and_boolean_keys_still_get_their_canonical_text(tmp_path: Path, limit_errors: int) -> None:
    """The canonical key text of integers and booleans is only built for fields in a key; in a
    key, repeated values (``1`` and ``01``, ``true`` and ``True``) are still found."""
    schema = {
        "primaryKey": ["n"],
        "fields": [
            {"name": "n", "type": "integer"},
            {"name": "flag", "type": "boolean", "constraints": {"unique": True}},
            {"name": "count", "type": "integer"},
            {"name": "other", "type": "boolean"},
        ],
    }
    (tmp_path / "s.json").write_text(json.dumps(schema), encoding="utf-8")
    rows: list[list[str] | None] = [
        ["1", "true", "5", "true"],
        ["2", "false", "5", "false"],
        ["01", "True", "6", "true"],
        ["3", "FALSE", "7", "x"],
        ["3", "1", "7", "0"],
    ]
    _write(tmp_path / "t.csv", ["n", "flag", "count", "other"], rows)
    slow, fast, log = both(tmp_path / "t.csv", schema=tmp_path / "s.json", limit_errors=limit_errors)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log
    assert {f.code for f in fast.findings} >= {"primary-key"}


_URIISH = st.one_of(
    st.sampled_from(
        ["http:", "https:", "http://x.org", "https://x.org/ñ", "htt:", "HTTP://X", "ftp://x", "s:"]
    ),
    st.text(alphabet="htps:/x.Hñ0+-\n", max_size=9),
    st.text(max_size=8),
)


def _with_nulls(cells: list[str], nulls: list[bool], skip: int, large: bool) -> pa.Array:
    """``cells`` as a string array (sliced past ``skip`` cells) in which the cells marked in
    ``nulls`` are null but keep their bytes in the buffer, as Arrow allows."""
    full = pa.array(["pad"] * skip + cells, pa.large_string() if large else pa.string())
    valid = pa.array([True] * skip + [not n for n in nulls], pa.bool_())
    buffers = [valid.buffers()[1], *full.buffers()[1:]]
    return pa.Array.from_buffers(full.type, len(full), buffers)[skip:]


@settings(max_examples=800, deadline=None)
@given(
    st.lists(st.tuples(_URIISH, st.booleans()), max_size=40),
    st.integers(0, 3),
    st.booleans(),
    st.integers(0, 8),
)
def test_uri_and_length_tests_from_the_bytes_match_python(
    cells: list[tuple[str, bool]], skip: int, large: bool, most: int
) -> None:
    """A ``uri`` field with a ``maxLength``: the cells its vectorised test accepts (schemes read
    from the bytes for http and https, lengths from the offsets but for cells longer in bytes) are
    exactly those Python's scheme match and ``len`` accept, whatever the array's offset, nulls
    (never accepted, whatever bytes they span) or offset width."""
    import re

    from toolkit.validation.fast.cells import FieldPlan
    from toolkit.validation.fast.schema import LightField

    descriptor = {"name": "web", "type": "string", "format": "uri", "constraints": {"maxLength": most}}
    plan = FieldPlan(LightField(descriptor, lambda: None, [""]), [""], 1)
    arr = _with_nulls([c for c, _ in cells], [n for _, n in cells], skip, large)
    ok, _canon = plan.certainly_valid(arr, np.zeros(len(arr), dtype=bool))
    expected = [
        not null and bool(re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", c)) and len(c) <= most for c, null in cells
    ]
    assert ok.tolist() == expected


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(alphabet="0123456789-.,'٫", max_size=20),
            st.from_regex(r"\A-?[0-9]{1,17}([.,'٫][0-9]{1,3})?\Z"),  # about 15 digits
        ),
        max_size=30,
    ),
    st.sampled_from([("", "."), (",", "."), ("'", ","), ("", "٫")]),
    st.integers(0, 3),
)
def test_number_digit_count_from_the_bytes_matches_python(
    cells: list[str], chars: tuple[str, str], skip: int
) -> None:
    """A number field's vectorised test accepts exactly the cells of its plain shape that have
    at most 15 digits and meet its minimum (digits counted only in cells longer than 15 bytes)."""
    import re
    from decimal import Decimal

    from toolkit.validation.fast.cells import FieldPlan
    from toolkit.validation.fast.schema import light_schema

    group, decimal = chars
    descriptor: dict[str, object] = {"name": "n", "type": "number", "constraints": {"minimum": 0}}
    if group:
        descriptor["groupChar"] = group
    if decimal != ".":
        descriptor["decimalChar"] = decimal
    schema = light_schema({"fields": [descriptor]})
    assert schema is not None
    plan = FieldPlan(schema.fields[0], [""], 1)
    arr = pa.array(["pad"] * skip + cells, pa.string())[skip:]
    ok, _canon = plan.certainly_valid(arr, np.zeros(len(arr), dtype=bool))
    g, d = re.escape(group), re.escape(decimal)
    shape = re.compile(rf"-?[0-9]+(?:{g}[0-9]+)*(?:{d}[0-9]+)?" if group else rf"-?[0-9]+(?:{d}[0-9]+)?")
    expected = []
    for cell in cells:
        plain = cell.replace(group, "") if group else cell
        plain = plain.replace(decimal, ".")
        digits = sum(ch.isdigit() for ch in plain)
        expected.append(bool(shape.fullmatch(cell)) and digits <= 15 and Decimal(plain) >= 0)
    assert ok.tolist() == expected


@pytest.mark.parametrize("date", ["2020-02-29", "1970-01-01", "0001-12-31", "9999-12-31", "2023-02-28"])
def test_iso_dates_from_the_bytes_reject_every_other_character_anywhere(date: str) -> None:
    """Each character of a date replaced by every other character (ASCII, and a few beyond): the
    dates read from the bytes are exactly those ``strptime`` reads in the ``YYYY-MM-DD`` shape."""
    import contextlib
    import datetime as dt
    import re

    from toolkit.validation.fast.cells import iso_days

    others = [chr(c) for c in range(128)] + ["é", "٣", "０", "\u00a0"]
    cells = [date[:i] + c + date[i + 1 :] for i in range(10) for c in others]
    ok, days = iso_days(pa.array(cells, pa.string()))
    for cell, accepted, day in zip(cells, ok.tolist(), days.tolist(), strict=True):
        expected = None
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cell, re.ASCII):
            with contextlib.suppress(ValueError):
                expected = (dt.datetime.strptime(cell, "%Y-%m-%d").date() - dt.date(1970, 1, 1)).days
        assert accepted == (expected is not None), repr(cell)
        assert not accepted or day == expected, repr(cell)


def test_a_missing_value_that_reads_as_a_date_or_a_code_is_not_checked(tmp_path: Path) -> None:
    """Missing values that are themselves an early date, a bad currency code or a bad URL are
    not checked by the domain checks, which read their columns whole (not only present cells)."""
    schema = {
        "missingValues": ["", "1899-12-31", "XXX", "nowhere", "http:/x.org"],
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "day", "type": "date", "pastOnly": True},
            {"name": "end", "type": "date", "notBefore": "day"},
            {"name": "currency", "type": "string", "codeSystem": "iso4217"},
            {"name": "source_url", "type": "string", "format": "uri"},
        ],
    }
    (tmp_path / "s.yaml").write_text(json.dumps(schema), encoding="utf-8")
    days = ["1899-12-31", "", "2020-01-02", "1899-12-30", "nowhere"]
    codes = ["XXX", "", "MXN", "ZZZ", "1899-12-31"]
    urls = ["nowhere", "", "https://x.org", "https://x", "http:/x.org"]
    rows: list[list[str] | None] = [
        [f"r{i}", days[i % 5], days[(i // 5) % 5], codes[(i // 3) % 5], urls[(i // 2) % 5]] for i in range(50)
    ]
    _write(tmp_path / "t.csv", [f["name"] for f in schema["fields"]], rows)
    slow, fast, _log = both(tmp_path / "t.csv", schema=tmp_path / "s.yaml", limit_errors=10_000)
    assert_same(slow, fast)
    assert {"date-out-of-range", "currency-code", "url-invalid"} <= {f.code for f in fast.findings}


@settings(max_examples=600, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.from_regex(r"\A-?[0-9]{1,20}\Z"),
                st.sampled_from(["9" * 18, "-" + "9" * 18, "1" * 19, "-0", "0042", "1999", "٣"]),
                st.text(alphabet="0123456789-+ _٣x", max_size=6),
            ),
            st.booleans(),
        ),
        max_size=30,
    ),
    st.integers(0, 3),
    st.booleans(),
    st.sampled_from(["integer", "year"]),
    st.sampled_from([{}, {"minimum": 0}, {"maximum": 99, "enum": [1, 7, 42, 1999]}]),
)
def test_integer_and_year_tests_from_digits_match_python(
    cells: list[tuple[str, bool]], skip: int, large: bool, kind: str, constraints: dict[str, object]
) -> None:
    """An integer (or year) field's vectorised test accepts exactly the cells written as plain
    decimal digits (a minus sign for an integer; at most 18 digits, a year four) whose value
    meets the constraints, whatever the array's offset, nulls or offset width."""
    import re

    from toolkit.validation.fast.cells import FieldPlan
    from toolkit.validation.fast.schema import LightField

    descriptor = {"name": "n", "type": kind, "constraints": constraints}
    plan = FieldPlan(LightField(descriptor, lambda: None, [""]), [""], 1)
    arr = _with_nulls([c for c, _ in cells], [n for _, n in cells], skip, large)
    ok, canon = plan.certainly_valid(arr, np.zeros(len(arr), dtype=bool))
    shape = re.compile(r"-?[0-9]{1,18}" if kind == "integer" else "[0-9]{4}", re.ASCII)
    expected = []
    for cell, null in cells:
        good = not null and bool(shape.fullmatch(cell))
        if good and "minimum" in constraints:
            good = int(cell) >= 0
        if good and "enum" in constraints:
            good = int(cell) <= 99 and int(cell) in [1, 7, 42, 1999]
        expected.append(good)
    assert ok.tolist() == expected
    texts = canon.to_pylist() if cells else []
    assert [t for t, good in zip(texts, expected, strict=True) if good] == [
        str(int(c)) for (c, _), good in zip(cells, expected, strict=True) if good
    ]


def test_no_text_of_five_bytes_or_fewer_is_personal_data() -> None:
    """The privacy scan's premise for a column of short cells: an e-mail takes six characters,
    and a CURP, an RFC or a phone number six digits (``\\d``, a decimal character, which
    ``upper()`` makes of no other character): none fits in five bytes of UTF-8."""
    import sys

    from toolkit.validation import privacy

    for code in range(sys.maxunicode + 1):
        c = chr(code)
        assert sum(ch.isdecimal() for ch in c.upper()) <= c.isdecimal(), hex(code)
    for text in ["a@b.c", "a@b.cc"[:5], "12345", "٣٣٣", "+5255", "ÑÑ1"]:
        assert len(text.encode()) > 5 or privacy.personal_data_kind(text) is None


@settings(max_examples=12, deadline=None)
@given(st.data())
def test_privacy_scan_skips_only_columns_that_hold_no_personal_data(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    """In a block of more than ``SMALL`` rows, the privacy scan does not search a column whose
    every cell is at most five bytes or a member of an enum none of whose members is personal
    data; a column with a longer cell outside the enum (personal data or not) is searched. The
    findings are the frictionless path's either way."""
    from toolkit.validation.fast.domain import SMALL

    tmp_path: Path = tmp_path_factory.mktemp("harmless")
    enum = ["active", "closed", "=1", "12345678901"[:5]]
    schema = {
        "missingValues": ["", "NA"],
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "status", "type": "string", "constraints": {"enum": enum}},
            {"name": "code", "type": "string"},
            {"name": "open", "type": "string", "constraints": {"enum": [*enum, "x@y.zz"]}},
        ],
    }
    odd = st.sampled_from([*PRIVATE_CELLS, "x@y.zz", "a-much-longer-cell", "NA", ""])
    rare = st.one_of(*[st.sampled_from(enum)] * 30, odd)  # mostly harmless, now and then not
    short = st.one_of(*[st.text(alphabet="ab1=+-@ñ", max_size=5)] * 30, odd)
    n = data.draw(st.integers(SMALL + 1, 2 * SMALL))
    rows: list[list[str] | None] = [
        [f"r{i}", data.draw(rare), data.draw(short), data.draw(st.sampled_from([*enum, "x@y.zz"]))]
        for i in range(n)
    ]
    _engines_agree(tmp_path, schema, rows, 100_000)


@settings(max_examples=800, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(["https://x.org", "http://a.b:8080/p?q#f", "https://x.org/ñ", "https://x"]),
                st.from_regex(r"\Ahttps?://[a-z0-9.-]{1,8}(:[0-9]{1,6})?([/?#][ -\x7f]{0,6})?\Z"),
                st.text(alphabet="htps:/x.o-é \t", max_size=12),
            ),
            st.booleans(),
        ),
        max_size=30,
    ),
    st.integers(0, 3),
    st.booleans(),
)
def test_urls_cleared_from_their_start_and_bytes_are_those_of_the_whole_pattern(
    cells: list[tuple[str, bool]], skip: int, large: bool
) -> None:
    """The URLs the domain checks clear without ``url_problem`` (RE2 up to the host and port,
    printable ASCII to the end from the bytes) are exactly those the whole pattern matches (its
    host, port and path ``[!-~]*`` to the end); a null cell is never looked at."""
    import re

    from toolkit.validation import domain
    from toolkit.validation.fast.domain import _urls_ok

    whole = r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]{1,5})?(?:[/?#][!-~]*)?"
    arr = _with_nulls([c for c, _ in cells], [n for _, n in cells], skip, large)
    ok = _urls_ok(arr)
    for (cell, null), cleared in zip(cells, ok.tolist(), strict=True):
        if not null:
            assert cleared == bool(re.fullmatch(whole, cell)), repr(cell)
            assert not cleared or domain.url_problem(cell) is None, repr(cell)


_CELLS = pa.array(["12", None, "", "-3.5", "ab;cd", "ñandú", "1,000", "a", "12"], pa.string())
_MASK = pa.array([True, False, True, None, False, True, True, False, True], pa.bool_())
_EVERY_OTHER = pa.array([True, False] * 4 + [True], pa.bool_())


@pytest.mark.parametrize(
    ("name", "args", "kwargs"),
    [
        ("match_substring_regex", [_CELLS, "^[0-9]+$"], {}),
        ("match_substring", [_CELLS, "."], {}),
        ("starts_with", [_CELLS, "-"], {}),
        ("utf8_length", [_CELLS], {}),
        ("replace_substring", [_CELLS, ",", ""], {}),
        ("split_pattern", [_CELLS, ";"], {}),
        ("list_flatten", [pa.array([["a"], None, [], ["b", "c"]])], {}),
        ("list_parent_indices", [pa.array([["a"], None, [], ["b", "c"]])], {}),
        ("unique", [_CELLS], {}),
        ("is_in", [_CELLS], {"value_set": pa.array(["a", "12", "zz"])}),
        ("index_in", [_CELLS], {"value_set": pa.array(["a", "12"])}),
        ("equal", [_CELLS, kernels.text("a")], {}),
        ("if_else", [_MASK, _CELLS, kernels.text("0")], {}),
        ("binary_join_element_wise", [_CELLS, _CELLS, kernels.text("|")], {}),
        ("binary_join_element_wise", [_CELLS, kernels.text("|")], {"null_handling": "replace"}),
        ("replace_with_mask", [_CELLS, _EVERY_OTHER, pa.array(["w", "x", "y", "z", "v"])], {}),
        ("take", [_CELLS, pa.array([8, 0, 1])], {}),
        ("filter", [_CELLS, _MASK], {}),
        ("is_null", [_CELLS], {}),
        ("is_valid", [_CELLS], {}),
        ("fill_null", [_CELLS, kernels.text("\x00")], {}),
        ("fill_null", [_CELLS.cast(pa.large_string()), kernels.text("-")], {}),
        ("fill_null", [_MASK, pa.scalar(False)], {}),
        ("fill_null", [pa.array([1, None, 3]), 0], {}),
        ("cast", [pa.array(["1", "-20", None]), pa.int64()], {}),
        ("cast", [pa.array([1.5, None]), pa.string()], {}),
    ],
)
def test_the_kernels_called_without_pyarrow_compute_answer_as_pyarrow_compute(
    name: str, args: list[object], kwargs: dict[str, object]
) -> None:
    """``kernels.pc`` calls pyarrow's functions without importing ``pyarrow.compute`` (whose import
    writes some 290 docstrings): each kind of call the engine makes gives what pyarrow.compute's."""
    import pyarrow.compute

    expected = getattr(pyarrow.compute, name)(*args, **kwargs)
    got = getattr(kernels.pc, name)(*args, **kwargs)
    assert got.type == expected.type
    assert got.equals(expected)


def test_a_cast_that_fails_fails_as_pyarrow_compute_fails() -> None:
    import pyarrow.compute

    with pytest.raises(pa.ArrowInvalid) as expected:
        pyarrow.compute.cast(_CELLS, pa.int64())
    with pytest.raises(pa.ArrowInvalid) as got:
        kernels.pc.cast(_CELLS, pa.int64())
    assert str(got.value) == str(expected.value)


_TOKENS = st.text(alphabet="NAañ\x00 ", max_size=3)


@settings(max_examples=800, deadline=None)
@given(
    st.lists(st.tuples(_TOKENS, st.booleans()), max_size=40),
    st.lists(_TOKENS, max_size=6),
    st.integers(0, 3),
    st.booleans(),
    st.integers(0, 400),
)
def test_among_compares_bytes_as_python_compares_text(
    cells: list[tuple[str, bool]], values: list[str], skip: int, large: bool, longer: int
) -> None:
    """:func:`kernels.among` compares a short array's cells in Python; in a longer one it reads the
    lengths from the offsets and compares the bytes of the cells of a value's length when they are
    few (``longer`` cells of seven bytes make them few), else calls ``pc.equal``: the cells it finds
    are exactly those equal to a value in Python (a null never, whatever bytes it spans), at any
    offset and offset width, in one chunk or several."""
    cells = cells + [("NAANAAN", False)] * longer
    arr = _with_nulls([c for c, _ in cells], [n for _, n in cells], skip, large)
    expected = [not null and c in values for c, null in cells]
    assert kernels.among(arr, values).tolist() == expected
    chunked = pa.chunked_array([arr[: len(arr) // 2], arr[len(arr) // 2 :]], arr.type)
    assert kernels.among(chunked, values).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["", "", "ab", "ñ"]), st.booleans()), max_size=20), st.integers(1, 5)
)
def test_grouped_runs_cells_together_even_with_no_bytes_at_all(
    cells: list[tuple[str, bool]], size: int
) -> None:
    """:func:`domain._grouped` item ``g`` is the text of cells ``g*size`` on, run together (a null
    adds the bytes it spans): also when no cell has a byte, and the data buffer is empty or absent."""
    from toolkit.validation.fast.domain import _grouped

    arr = _with_nulls([c for c, _ in cells], [n for _, n in cells], 0, False)
    texts = [c for c, _ in cells]
    want = ["".join(texts[i : i + size]) for i in range(0, len(texts), size)]
    assert _grouped(arr, size).to_pylist() == want
    assert _grouped(pa.array([""] * len(cells), pa.string()), size).to_pylist() == [""] * len(want)
