"""Helpers for tests that plant values in a copy of the shipped CSVs."""

from __future__ import annotations

import csv
import io
from pathlib import Path


def edit_cell(path: Path, row: int, field: str, value: str) -> None:
    """Set ``field`` of data row ``row`` (1 = first row after the header) of a UTF-8 CSV."""
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows[row][rows[0].index(field)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
