"""The fast engine's shortcuts: each one only ever skips work whose answer is known.

Each test pits a shortcut against the plain computation it replaces (or against ``privacy.py``,
the reference for what the privacy scan reports), on generated input.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
from hypothesis import event, given, settings
from hypothesis import strategies as st

from tests.test_fast_engine import PRIVATE_CELLS, _write, assert_same, both
from toolkit.validation import privacy
from toolkit.validation.fast import blocks
from toolkit.validation.fast import domain as fastdomain


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet='\n\r,a"', max_size=30).map(lambda s: s.encode()))
def test_blank_line_from_the_line_feeds_is_the_byte_search(data: bytes) -> None:
    """``_blank_line`` reads the line feeds' positions; it answers what the byte searches did."""
    arr = np.frombuffer(data, dtype=np.uint8)
    feeds = np.flatnonzero(arr == 10)
    searched = data.startswith((b"\n", b"\r\n")) or b"\n\n" in data or b"\n\r\n" in data
    assert blocks._blank_line(arr, feeds) == searched


_CELL = st.one_of(st.text(max_size=12), st.sampled_from(PRIVATE_CELLS), st.none())


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=12), st.integers(0, 3))
def test_first_bytes_and_lengths_of_string_cells(cells: list[str | None], start: int) -> None:
    """First byte and byte length of each cell, also for a slice of an array and null cells."""
    arr = pa.array(["x", *cells], pa.string()).slice(min(start, len(cells)) + 1)
    first, length = fastdomain._first_bytes(arr)
    expected = [c.encode() if c else b"" for c in arr.to_pylist()]
    assert length.tolist() == [len(e) for e in expected]
    assert first.tolist() == [e[0] if e else 0 for e in expected]


@settings(max_examples=2000, deadline=None)
@given(
    st.one_of(
        st.text(max_size=25),
        st.sampled_from(PRIVATE_CELLS),
        st.tuples(st.text(alphabet="=+-@\t\r ", max_size=2), st.text(max_size=8)).map("".join),
        st.from_regex(r"[a-z0-9.]{1,3}@[a-z]{1,2}\.[a-z]{2}", fullmatch=True),
    )
)
def test_privacy_never_flags_a_cell_the_byte_tests_skip(text: str) -> None:
    """A formula starts with one of the bytes ``_FORMULA_BYTES``; personal data needs at least six
    bytes: the cells skipped by these tests are never flagged by ``privacy.py``."""
    encoded = text.encode()
    if privacy.looks_like_formula(text):
        event("formula")
        assert encoded[0] in fastdomain._FORMULA_BYTES
    if privacy.personal_data_kind(text) is not None:
        event("personal")
        assert len(encoded) >= 6


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.sampled_from(["active", "x@y.zz", "=1", "5512345678", "ok", "NA", "a@b.cd e"]), min_size=4),
    st.data(),
)
def test_enum_fields_skipped_by_the_privacy_scan_give_the_same_findings(
    tmp_path_factory, statuses: list[str], data: st.DataObject
) -> None:
    """An enum field's cells that equal an enum value ``privacy.py`` clears are not scanned for
    personal data; the findings are frictionless-path's, for enum values that are flagged
    (an e-mail, a phone number, a formula) and for cells outside the enum alike."""
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
    (tmp_path / "s.yaml").write_text(json.dumps(schema), encoding="utf-8")
    cells = st.sampled_from([*PRIVATE_CELLS, "ABC", "=AB", "+1", "https://x.org/1"])
    rows: list[list[str] | None] = [
        [f"r{i}", status, data.draw(cells), data.draw(cells), data.draw(cells)]
        for i, status in enumerate(statuses)
    ]
    _write(tmp_path / "t.csv", [f["name"] for f in schema["fields"]], rows)
    slow, fast, log = both(tmp_path / "t.csv", schema=tmp_path / "s.yaml", limit_errors=10_000)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log
