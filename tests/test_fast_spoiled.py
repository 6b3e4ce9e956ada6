"""A spoiled table stops close to the error cap: small first blocks, blocks sized to end close past
the cap, repeated keys counted as they come, no block read ahead past the cap or waited for, and its
bad cells of the common kinds read without importing frictionless."""

from __future__ import annotations

import importlib.util
import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from csv import writer as csv_writer
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_light_path import _run

from toolkit import validate
from toolkit.validation.fast import blocks
from toolkit.validation.fast import run as fastrun
from toolkit.validation.fast import table as fasttable
from toolkit.validation.fast.blocks import FIRST_BLOCK_BYTES, CsvBlocks
from toolkit.validation.fast.run import ahead

ROOT = Path(__file__).resolve().parent.parent

_SCHEMA = {
    "fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "[a-z]+-[0-9]+"}},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "year", "type": "year"},
        {"name": "count", "type": "integer", "constraints": {"maximum": 100}},
        {"name": "signed", "type": "date"},
        {"name": "open", "type": "boolean"},
        {"name": "status", "type": "string", "constraints": {"enum": ["active", "closed"]}},
        {"name": "url", "type": "string", "format": "uri"},
        {"name": "at", "type": "datetime"},
    ]
}
_GOOD = "a-1,10.5,2024,7,2024-02-29,true,active,https://example.org/x,2024-01-02T03:04:05Z"
_BAD = [
    "A-1,-1,24,101,2023-02-29,yes,planned,www.example.org,2024-01-02",
    "a-2,1_0,0000,0x1,2021-2-3,TRUE,closed,mailto:x,2024-01-02T03:04:05",
    ",sNaN,\u0661\u0669\u0669\u0669,\u0663,2021-02-03 ,1,Active,a.b:x,2024-01-02 03:04:05",
]


def _spoiled(tmp_path: Path) -> tuple[Path, Path]:
    schema = tmp_path / "table.schema.yaml"
    schema.write_text(yaml.safe_dump(_SCHEMA), "utf-8")
    csv = tmp_path / "table.csv"
    header = ",".join(f["name"] for f in _SCHEMA["fields"])
    csv.write_text("\n".join([header, _GOOD, *_BAD, _GOOD]) + "\n", "utf-8")
    return csv, schema


def test_a_spoiled_table_of_common_fields_never_imports_frictionless(tmp_path: Path) -> None:
    csv, schema = _spoiled(tmp_path)
    imported, out = _run("validate", str(csv), "--schema", str(schema), "--format", "json")
    assert not imported
    ours = json.loads(out)
    assert not ours["valid"]
    assert len(ours["findings"]) > 15
    _, out = _run(
        "validate", str(csv), "--schema", str(schema), "--format", "json", "--engine", "frictionless"
    )
    assert ours["findings"] == json.loads(out)["findings"]


@pytest.mark.parametrize("copies", [1, 40])
def test_many_rejected_cells_of_a_block_are_read_like_a_few(tmp_path: Path, copies: int) -> None:
    """A column's cells the vectorised tests do not clear are read one by one when they are few,
    and by distinct value when there are many (here 120 in one block): the same findings as
    frictionless either way."""
    csv, schema = _spoiled(tmp_path)
    header, *rows = csv.read_text("utf-8").splitlines()
    csv.write_text("\n".join([header, *rows[:-1] * copies, rows[-1]]) + "\n", "utf-8")
    ours = validate(csv, schema=schema, engine="fast", limit_errors=0)
    theirs = validate(csv, schema=schema, engine="frictionless", limit_errors=0)
    assert [f.to_dict("en") for f in ours.findings] == [f.to_dict("en") for f in theirs.findings]
    assert len(ours.findings) > 15 * copies


def test_the_blocks_start_small_and_double(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    row = "x" * 99 + "\n"
    path.write_text("a\n" + row * 200_000, "utf-8")  # 20 MB
    sizes = [b.size for b in CsvBlocks(path, ",", block_bytes=4 << 20).blocks()]
    assert FIRST_BLOCK_BYTES - 100 <= sizes[0] <= FIRST_BLOCK_BYTES
    for before, after in itertools.pairwise(sizes[:5]):
        assert 2 * before - 100 <= after <= 2 * before + 100
    assert max(sizes) <= 4 << 20
    assert sum(sizes) == 200_000 * 100


def test_no_block_is_read_ahead_once_the_cap_is_near() -> None:
    read: list[int] = []

    def blocks():  # type: ignore[no-untyped-def]
        for i in range(10):
            read.append(i)
            yield i

    with ThreadPoolExecutor(2) as pool:
        seen = []
        for block in ahead(blocks(), pool, lambda b: b < 3):
            seen.append(block)
            if block == 4:
                break
    assert seen == [0, 1, 2, 3, 4]
    assert read == [0, 1, 2, 3, 4]  # without the guard, block 5 would have been read ahead


def _synth():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("synth", ROOT / "benchmarks" / "synth.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _bytes_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of every block the engine reads, read-ahead included: the worker threads are
    replaced by the engine's own in-thread executor, so that a block read ahead is read at once."""
    sizes: list[int] = []
    parse = blocks.CsvBlocks._parse

    def counted(self, data, *args):  # type: ignore[no-untyped-def]
        sizes.append(len(data))
        return parse(self, data, *args)

    monkeypatch.setattr(blocks.CsvBlocks, "_parse", counted)
    monkeypatch.setattr(fastrun, "_pool", lambda stream=None: fastrun._Inline())
    return sizes


def _offset_of_line(path: Path, line: int) -> int:
    data = path.read_bytes()
    at = 0
    for _ in range(line - 1):
        at = data.index(b"\n", at) + 1
    return at


def _same_and_stopped(csv: Path, schema: Path, cap: int) -> tuple[int, int]:
    """The fast engine's findings are frictionless's; the line where the check stopped and its byte."""
    slow = validate(csv, schema=schema, engine="frictionless", limit_errors=cap)
    fast = validate(csv, schema=schema, engine="fast", limit_errors=cap)
    assert [f.to_dict("en") for f in fast.findings] == [f.to_dict("en") for f in slow.findings]
    assert fast.rows == slow.rows
    (line,) = [f.line for f in fast.findings if f.code == "errors-capped"]
    assert line is not None
    return line, _offset_of_line(csv, line)


def test_a_spoiled_table_is_read_little_past_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At the rate errors came so far, the blocks near the cap are sized to end close past it: the
    engine reads at most a quarter more than frictionless (it once read on to the end of a block of
    up to 4 MiB, 60% more here, and one block more when repeated keys counted towards the cap)."""
    csv = tmp_path / "funding.csv"
    _synth().write_funding(csv, 40_000, bad=0.01, seed=5)
    sizes = _bytes_read(monkeypatch)
    for cap in (100, 150, 200, 300):
        sizes.clear()
        _line, offset = _same_and_stopped(csv, ROOT / "schemas" / "funding.schema.yaml", cap)
        assert offset > 1 << 20
        assert sum(sizes) <= 1.25 * offset + 64 * 1024, (offset, sizes)


def test_a_cap_reached_by_repeated_keys_stops_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Repeated primary keys alone reach the cap: the engine stops where frictionless does instead
    of reading the whole table to find them (the keys were once only compared at its end)."""
    schema = tmp_path / "s.yaml"
    schema.write_text(
        yaml.safe_dump({"primaryKey": ["id"], "fields": [{"name": "id"}, {"name": "nota"}]}), "utf-8"
    )
    csv = tmp_path / "t.csv"
    ids = [f"id-{i // 2 if 30_000 <= i < 31_000 else i}" for i in range(300_000)]
    csv.write_text("id,nota\n" + "".join(f"{i},nota de la fila\n" for i in ids), "utf-8")
    sizes = _bytes_read(monkeypatch)
    _line, offset = _same_and_stopped(csv, schema, 100)
    assert offset > 1 << 19 and sum(sizes) <= 3 * offset, (offset, sizes)  # the block read ahead at most


@pytest.mark.parametrize("cap", [40, 41, 42, 43, 60, 61])
def test_repeated_keys_at_the_cap_same_as_frictionless(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """Type errors, repeated keys (primary and unique, some first seen many blocks before) and rows
    with both, so that the cap falls on each kind of error in turn: the findings are frictionless's,
    in its order, with small blocks so that the cap is met in the middle of the table."""
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 16 * 1024)
    schema = tmp_path / "s.yaml"
    fields = [
        {"name": "id", "type": "integer"},
        {"name": "code", "type": "string", "constraints": {"unique": True}},
        {"name": "n", "type": "integer"},
    ]
    schema.write_text(yaml.safe_dump({"primaryKey": ["id"], "fields": fields}), "utf-8")
    lines = ["id,code,n"]
    for i in range(20_000):
        ident, code, n = str(i), f"c{i}", "1"
        if i % 500 == 7:
            n = "x"  # a type error
        if i % 500 == 9:
            ident = str(i - 1)  # the primary key of the row before
        if i % 700 == 11:
            code = f"c{i % 300}"  # a unique code first seen far before
        if i % 1000 == 13:
            ident, n = "13", "y"  # both, and a key first seen in the first block
        lines.append(f"{ident},{code},{n}")
    csv = tmp_path / "t.csv"
    csv.write_text("\n".join(lines) + "\n", "utf-8")
    line, _offset = _same_and_stopped(csv, schema, cap)
    assert line < 20_000


def test_a_block_read_ahead_for_nothing_is_not_waited_for() -> None:
    """Once the consumer stops, the block being read ahead is left to finish on its own (the
    reader is closed after it): the engine once waited for it to be parsed before going on."""
    reading, release, closed = threading.Event(), threading.Event(), threading.Event()

    def slow_blocks():  # type: ignore[no-untyped-def]
        try:
            yield 0
            reading.set()
            release.wait(10)
            yield 1
        finally:
            closed.set()

    with ThreadPoolExecutor(2) as pool:
        started = time.perf_counter()
        for _block in ahead(slow_blocks(), pool, lambda b: 1):
            assert reading.wait(5)  # the next block is being read
            break
        assert time.perf_counter() - started < 5
        assert not closed.is_set()
        release.set()
        assert closed.wait(5)


def test_the_key_store_finds_every_repeated_key() -> None:
    """Against a plain count: the rows whose hash came before (when the store looks from the
    start, from the middle, or only within blocks) and the groups of rows sharing a hash."""
    rng = np.random.default_rng(7)
    hashes = rng.integers(0, 50_000, 20_000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rows = np.arange(2, 20_002)
    seen: set[int] = set()
    repeated = []
    for h in hashes.tolist():
        repeated.append(h in seen)
        seen.add(h)
    groups: dict[int, list[int]] = {}
    for h, r in zip(hashes.tolist(), rows.tolist(), strict=True):
        groups.setdefault(h, []).append(r)
    cuts = [0, 10, 10, 3000, 3001, 9000, 15_000, 20_000]
    for look_from in (0, 3, len(cuts)):
        store = fasttable.KeyStore()
        within = 0
        for i, (a, b) in enumerate(itertools.pairwise(cuts)):
            store.add(hashes[a:b], rows[a:b], look=i >= look_from)
            within += b - a - len(set(hashes[a:b].tolist()))
        assert store.hits == (sum(repeated) if look_from < len(cuts) else within)
        for stop in (5_000, 20_001):
            expected = sorted(sorted(r for r in g if r <= stop) for g in groups.values())
            got = sorted(sorted(g) for g in store.candidate_groups(stop))
            assert got == [g for g in expected if len(g) > 1]


def test_a_header_longer_than_the_first_read_is_read_whole(tmp_path: Path) -> None:
    """The header is read from a small first chunk (a table is opened once per check and once per
    reference to it), and read on when it is longer, a quoted label over many lines included."""
    labels = [f"columna_{i}_" + "x" * 40 for i in range(2000)] + ['una\netiqueta "citada"\n' * 3000]
    path = tmp_path / "t.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv_writer(fh, lineterminator="\r\n").writerows([labels, range(len(labels))])
    stream = CsvBlocks(path, ",")
    assert stream.header == labels and stream.body_offset > 1 << 17
    assert [c.to_pylist() for c in next(stream.blocks()).columns] == [[str(i)] for i in range(len(labels))]
