"""A spoiled table stops close to the error cap: small first blocks, no block read ahead past the
cap, and its bad cells of the common kinds read without importing frictionless."""

from __future__ import annotations

import itertools
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from test_light_path import _run

from toolkit.validation.fast.blocks import FIRST_BLOCK_BYTES, CsvBlocks
from toolkit.validation.fast.run import ahead

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
