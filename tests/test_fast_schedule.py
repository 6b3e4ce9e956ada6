"""How the fast engine shares the blocks of a table among its threads: the domain checks of a block
run beside the structure checks of the next one (the main thread does not wait for them at every
block), with the findings of a single thread."""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest
import yaml

from toolkit import validate
from toolkit.validation.fast import blocks
from toolkit.validation.fast.domain import DomainCheck
from toolkit.validation.fast.table import TableCheck

_SCHEMA = {
    "fields": [
        {"name": "id", "type": "string", "constraints": {"required": True, "pattern": "[a-z]+-[0-9]+"}},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "signed", "type": "date"},
        {"name": "source_url", "type": "string", "format": "uri"},
    ]
}


def _table(tmp_path: Path) -> tuple[Path, Path]:
    """About 400 KB: structure findings (a bad id, a negative amount) and domain findings (a date
    before 1900) spread over the blocks."""
    schema = tmp_path / "table.schema.yaml"
    schema.write_text(yaml.safe_dump(_SCHEMA), "utf-8")
    lines = ["id,amount,signed,source_url"]
    for i in range(5000):
        if i % 700 == 3:
            lines.append(f"A-{i},-1,1850-01-01,https://example.org/{i}")
        else:
            lines.append(f"a-{i},{i}.5,2024-02-29,https://example.org/{i}")
    csv = tmp_path / "table.csv"
    csv.write_text("\n".join(lines) + "\n", "utf-8")
    return csv, schema


def test_the_domain_checks_of_a_block_run_beside_the_next_blocks_structure_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each block's domain checks wait (5 s at most) until the structure checks of a later block
    have started: the main thread once waited for them before it went on to the next block, so
    the domain thread sat idle while the structure checks ran and the other way round."""
    csv, schema = _table(tmp_path)
    slow = validate(csv, schema=schema, engine="frictionless")
    monkeypatch.setattr(blocks, "BLOCK_BYTES", 64 * 1024)  # several blocks, and worker threads
    monkeypatch.setattr(blocks, "FIRST_BLOCK_BYTES", 64 * 1024)
    started: list[float] = []  # first rows of the blocks whose structure checks began
    waited: list[bool] = []
    changed = threading.Condition()
    check_block, finish, domain_block = TableCheck.check_block, TableCheck.finish, DomainCheck.block

    def structure(self, block):  # type: ignore[no-untyped-def]
        with changed:
            started.append(block.first_row)
            changed.notify_all()
        return check_block(self, block)

    def finished(self):  # type: ignore[no-untyped-def]
        with changed:
            started.append(math.inf)  # the last block has no next one
            changed.notify_all()
        return finish(self)

    def domain(self, column, n, first_row):  # type: ignore[no-untyped-def]
        with changed:
            ok = all(waited) and changed.wait_for(lambda: max(started, default=0) > first_row, timeout=5)
            waited.append(ok)
        return domain_block(self, column, n, first_row)

    monkeypatch.setattr(TableCheck, "check_block", structure)
    monkeypatch.setattr(TableCheck, "finish", finished)
    monkeypatch.setattr(DomainCheck, "block", domain)
    fast = validate(csv, schema=schema, engine="fast")
    assert len(waited) > 3 and all(waited), waited
    assert [f.to_dict("en") for f in fast.findings] == [f.to_dict("en") for f in slow.findings]
    assert {"date-out-of-range", "constraint-error"} <= {f.code for f in fast.findings}
