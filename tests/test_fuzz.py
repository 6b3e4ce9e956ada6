"""Property tests over every loader: whatever the bytes, a report or a ToolkitError, never a crash.

The targets are those of ``fuzz/`` (the long coverage-guided runs); here hypothesis feeds them a
modest number of structured and random inputs so that CI runs a short fuzz pass. Inputs of 10 MB
must finish too: a hang would stop the suite at the alarm below.
"""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fuzz import targets

FAST = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
MB10 = 10 * 1024 * 1024


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Fail instead of hanging: no single test here may run for minutes."""

    def stop(_signum: int, _frame: object) -> None:
        raise TimeoutError("a loader did not finish")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(240)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


cells = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(',;\t|"\r\n=+-@'),
    max_size=30,
)


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    """Tables with arbitrary cells, delimiters, quoting, line ends and encodings, or raw bytes."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=400))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    width = draw(st.integers(1, 8))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=width + 2), min_size=0, max_size=8))
    header = ["item_id", "name", "amount", "day", "flag", "count", "link"][:width]
    quote = draw(st.booleans())
    lines = [delimiter.join(header)]
    for row in rows:
        lines.append(delimiter.join(f'"{c.replace(chr(34), chr(34) * 2)}"' if quote else c for c in row))
    text = end.join(lines) + draw(st.sampled_from(["", end]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@FAST
@given(csv_bytes())
def test_raw_csv_reader(data: bytes) -> None:
    targets.csv_raw(data)


@SLOW
@given(csv_bytes())
def test_validate_a_csv(data: bytes) -> None:
    targets.csv_validate(data)


@SLOW
@given(csv_bytes())
def test_fast_engine_on_a_csv(data: bytes) -> None:
    targets.csv_fast(data)


number_text = st.text(alphabet="0123456789+-.,_eE $€NnaIifsty１٢٫ ", max_size=12)


@SLOW
@given(st.lists(st.sampled_from(targets.SPECIAL_NUMBERS) | number_text, min_size=1, max_size=12))
def test_special_numbers_in_both_engines(cells: list[str]) -> None:
    targets.csv_numbers("\n".join(cells).encode())


def test_special_number_seeds() -> None:
    for seed in targets.SEEDS["csv_numbers"]:
        targets.csv_numbers(seed)


@st.composite
def zip_bytes(draw: st.DrawFn) -> bytes:
    """The seed zip with a few bytes overwritten: headers, sizes, names, compressed data."""
    data = bytearray(targets.ZIP_SEED)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        data[at] = draw(st.integers(0, 255))
    return bytes(data)


@FAST
@given(zip_bytes() | st.binary(max_size=200))
def test_zip_reader(data: bytes) -> None:
    targets.zip_archive(data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = [
    "name",
    "title",
    "resources",
    "path",
    "schema",
    "fields",
    "type",
    "constraints",
    "licenses",
    "keywords",
    "sources",
    "version",
    "created",
    "primaryKey",
    "foreignKeys",
    "missingValues",
    "schemas",
    "base_url",
    "description",
    "policy_profiles",
    "codeSystem",
    "enum",
    "pattern",
]


@st.composite
def descriptor_bytes(draw: st.DrawFn) -> bytes:
    """A descriptor, catalog or schema: valid ones with wrong types put in, or arbitrary text."""
    which = draw(st.integers(0, 3))
    base = [targets.CATALOG, targets.DESCRIPTOR, json.dumps({"name": "ds"}), targets.MINI_SCHEMA][which]
    import yaml

    doc = yaml.safe_load(base)
    mode = draw(st.sampled_from(["wrong-types", "yaml-text", "json-text", "bytes"]))
    if mode == "wrong-types":
        for _ in range(draw(st.integers(1, 4))):
            doc[draw(st.sampled_from(KEYS))] = draw(json_values)
        body = json.dumps(doc, default=str) if which == 2 else yaml.safe_dump(doc, allow_unicode=True)
        return bytes([which]) + body.encode()
    if mode == "yaml-text":
        return bytes([which]) + draw(st.text(alphabet=":-[]{}&*!|>'\"#%@`, \n\tab01.", max_size=200)).encode()
    if mode == "json-text":
        return bytes([which]) + json.dumps(draw(json_values), default=str).encode()
    return bytes([which]) + draw(st.binary(max_size=300))


@FAST
@given(descriptor_bytes())
def test_descriptors_and_schemas(data: bytes) -> None:
    targets.descriptor(data)


@SLOW
@given(descriptor_bytes())
def test_descriptors_through_validation(data: bytes) -> None:
    targets.descriptor_validate(data)


@st.composite
def sheet_xml(draw: st.DrawFn) -> bytes:
    """The seed sheet with cells, types and values changed, or its XML cut and spliced."""
    seed = targets.SHEET_SEED
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(seed)))
        return seed[:cut] + draw(st.binary(max_size=40)) + seed[cut + draw(st.integers(0, 20)) :]
    cells_xml = []
    for i in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["n", "s", "str", "b", "e", "inlineStr", "d", "zz"]))
        value = draw(st.sampled_from(["1", "-1e308", "1e999", "abc", "", "99999999999", "2024-13-45", "NaN"]))
        formula = draw(st.sampled_from(["", "<f>=1+1</f>", '<f>HYPERLINK("javascript:x")</f>']))
        ref = draw(st.sampled_from([f"{chr(65 + i)}2", "XFD1048576", "A0", "ZZZZ9", ""]))
        cells_xml.append(f'<c r="{ref}" t="{kind}">{formula}<v>{value}</v></c>')
    body = "".join(cells_xml).encode()
    return seed.replace(b"</sheetData>", b'<row r="3">' + body + b"</row></sheetData>")


@SLOW
@given(sheet_xml())
def test_xlsx_import(data: bytes) -> None:
    targets.xlsx(data)


# ── 10 MB inputs finish ─────────────────────────────────────────────────────────────────────────

BIG_CSV = {
    "one-huge-cell": b"item_id,name\na-1," + b"x" * MB10 + b"\n",
    "unclosed-quote": b'item_id,name\na-1,"' + b"y," * (MB10 // 2),
    "many-short-lines": b"item_id,name\n" + b"a,b\n" * (MB10 // 4),
    "control-bytes": bytes(range(1, 32)) * (MB10 // 31),
    "cp1252": b"item_id,name\n" + "a-1,Montevid\xe9o\n".encode("latin-1") * (MB10 // 16),
}


@pytest.mark.parametrize("name", sorted(BIG_CSV))
def test_big_csv_finishes(name: str) -> None:
    targets.csv_raw(BIG_CSV[name])


def test_big_csv_through_validate_finishes() -> None:
    """10 MB of rows through the whole validation; every row repeats the key (an error each)."""
    row = b"a-1,Un nombre de prueba bastante largo para la fila,1.5,2024-01-02,true,3,https://example.org/\n"
    head = b"item_id,name,amount,day,flag,count,link\n"
    targets.csv_validate(head + row * (MB10 // len(row)))


BIG_DESCRIPTORS = {
    "deep-yaml-lists": b"\x01" + b"[" * MB10,
    "deep-yaml-maps": b"\x01" + b"{a: " * (MB10 // 4),
    "deep-json": b"\x02" + b'{"a":' * (MB10 // 5),
    "huge-number": b"\x01name: ds\nversion: " + b"9" * MB10,
    "huge-json-number": b'\x02{"name": "ds", "resources": ' + b"1" * MB10 + b"}",
    "yaml-aliases": b"\x01a: &a [x, x, x, x, x, x, x, x, x]\n"
    + b"".join(
        b"%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c]\n" % ((98 + i,) * 2 + (97 + i,) * 6) for i in range(20)
    ),
    "long-string": b"\x01name: ds\ntitle: " + b"t" * MB10,
}


@pytest.mark.parametrize("name", sorted(BIG_DESCRIPTORS))
def test_big_descriptors_finish(name: str) -> None:
    targets.descriptor(BIG_DESCRIPTORS[name])


# ── crashes the long fuzz runs found, kept as regressions ─────────────────────────────────────────

FOUND = {
    "catalog-policy-profiles-mapping": b"\x01name: ds\npolicy_profiles: [{}]\nresources: []\n",
    "catalog-schemas-mapping": b"\x00schemas: {a: b}\n" + targets.CATALOG.encode().split(b"schemas:")[0],
    "catalog-schemas-too-long": b"\x00schemas: " + b"x" * 5000 + b"\n",
    "schema-type-mapping": b"\x03fields:\n  - {name: a, type: {minimum: 0}}\n",
    "yaml-complex-key": b"\x00? ?",
    "yaml-mapping-as-key": b"\x00{}:",
    "yaml-nested-mapping-key": b"\x00{{}}",
}


@pytest.mark.parametrize("name", sorted(FOUND))
def test_crashes_found_by_fuzzing_stay_fixed(name: str) -> None:
    targets.descriptor_validate(FOUND[name])


FOUND_FAST = {
    # a carriage return alone in the header: the csv module refused to split it (fast engine)
    "lone-cr-in-header": b"ite!m_id,name,amount\x0cday,flag,count,link\ra-1,Uno,1.5,2024-01-02,true,3,x\n",
    "lone-cr-in-a-record": b"item_id,name\na-1,Uno\rdos,3\na-2\n",
}


@pytest.mark.parametrize("name", sorted(FOUND_FAST))
def test_fast_engine_crashes_found_by_fuzzing_stay_fixed(name: str) -> None:
    targets.csv_fast(FOUND_FAST[name])


def test_zip_with_a_nameless_file_is_refused() -> None:
    """Found by fuzzing: a member with an empty name made zipfile raise IndexError."""
    import base64

    from toolkit.errors import ToolkitError

    data = base64.b64decode(ZIP_NAMELESS)
    with pytest.raises(ToolkitError, match="without a name"):
        _read(data)
    targets.zip_archive(data)  # and the fuzz target takes it as an answer


ZIP_NAMELESS = (
    "UEsDBBQAAAAIAGqYeV1+zzw8IQAAACAAAAAUAAAAcGtnL2RhdGFwYWNrYWdlrbXWWmut9T/WX1BLAQIUAxQAAAAIAGqYeV1+"
    "zzxfUEsBAgAAAAAAAAAAAIAAAAAAAHBrZy9kYXRhcGFja2FnZS5qc29uUEsBAhQDFAAAAAgAaph5XTujhINlAAAAHG9uUEsB"
    "AhQDFAAAAAgAaph5XTujhINlAAAAHPn///L////6AAAAAAAAAIABUwAAAHBrZy9pdGVtcy5jc3ZQSwUGAAAAAAIAAgB9AAAA"
    "4wAAAAAA"
)


def _read(data: bytes) -> object:
    from toolkit.packaging.safezip import read_zip

    return read_zip(data, "fuzz.zip")


def test_an_empty_sheet_is_a_usage_error() -> None:
    targets.xlsx(b"")
