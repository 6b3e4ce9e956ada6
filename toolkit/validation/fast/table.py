"""The fast engine: frictionless's findings for large tables, from vectorised checks on blocks.

frictionless reads a row at a time and, for each row, reports (``table/row.py``): per field its
type error or its constraint errors, then extra cells, then missing cells — a blank row replaces
them all — and the integrity checks (unique fields, primary key, foreign keys) after them. The
integrity checks read their fields first, so those fields' cell errors come first when one of them
fails. It stops reading once the error cap is reached. This module reproduces that order exactly
(:func:`_row_errors`) but only for the rows that have something to report; every other row is
cleared by vectorised checks on whole columns of a block.

Uniqueness over millions of rows cannot keep every key as text: each key is kept as a 64-bit hash
and its row number (12 bytes a row), split into buckets by the hash's top bits so that the final
sort works one bucket at a time. Equal hashes are only candidates: their rows are read again and
the real values compared, so a hash collision never becomes a finding.
"""

from __future__ import annotations

import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from toolkit.validation.fast.blocks import Block, CsvBlocks, Unsupported
from toolkit.validation.fast.cells import CellError, FieldPlan, arrow, bools, missing_mask, numbers, pc, spans
from toolkit.validation.fast.cells import text as _text
from toolkit.validation.fast.schema import header as read_header

# keys: hashes, the store of a table's keys, the set of a referenced table's keys

_P = 0x100000001B3 | 1
_MASK = (1 << 64) - 1
_Q = pow(_P, -1, 1 << 64)
_BUCKET_BITS = 4
_POWERS = (np.ones(1, dtype=np.uint64),) * 2  # P**i and P**-i modulo 2**64, i below their length


def _powers(n: int) -> tuple[Any, Any]:
    """``_POWERS`` for the positions of ``n`` bytes at least, doubled on demand: the second half is
    the first times P**n (a cumulative product rebuilt as blocks grew cost more)."""
    global _POWERS
    pw, ipw = _POWERS
    while len(pw) <= n:
        pw = np.concatenate((pw, pw * np.uint64(int(pw[-1]) * _P & _MASK)))
        ipw = np.concatenate((ipw, ipw * np.uint64(int(ipw[-1]) * _Q & _MASK)))
        _POWERS = pw, ipw
    return pw, ipw


def hash64(values: Any) -> Any:
    """64-bit hashes of a pyarrow string array without nulls (a polynomial over the UTF-8 bytes,
    position-normalised with modular inverses, then mixed)."""
    offsets, data = spans(values)
    base = int(offsets[0])
    size = int(offsets[-1]) - base
    data = data[base : base + size]
    pw, ipw = _powers(size)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * pw[:size], dtype=np.uint64, out=prefix[1:])
    starts = offsets[:-1] - base
    ends = offsets[1:] - base
    segment = (prefix[ends] - prefix[starts]) * ipw[starts]
    x = segment + (ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)  # splitmix64's finaliser
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


class KeyStore:
    """Hashes and row numbers of the non-empty keys seen so far, in runs sorted by hash (one a
    block), and ``hits``: the rows whose hash came before (candidate duplicates), within their
    block until asked to look, then anywhere before."""

    def __init__(self) -> None:
        self.runs: list[tuple[Any, Any]] = []
        self.hits = 0
        self.looking = False

    def add(self, hashes: Any, rows: Any, look: bool = False) -> None:
        """Add the keys of rows after every row added so far; ``look``: from now on, look each one
        up among all the keys before it."""
        if look and not self.looking:  # one sorted run, and the repeats so far, to look in
            self.looking = True
            if self.runs:
                hr = list(zip(*(self._bucket(b) for b in range(1 << _BUCKET_BITS)), strict=True))
                self.runs = [(np.concatenate(hr[0]), np.concatenate(hr[1]))]
                self.hits = int(np.count_nonzero(self.runs[0][0][1:] == self.runs[0][0][:-1]))
        if not len(hashes):
            return
        order = np.argsort(hashes)
        hs, rs = hashes[order], rows[order].astype(np.uint32)
        hit = np.zeros(len(hs), dtype=bool)
        hit[1:] = hs[1:] == hs[:-1]
        for run, _ in self.runs if self.looking else []:
            hit |= run[np.minimum(np.searchsorted(run, hs), len(run) - 1)] == hs
        self.hits += int(np.count_nonzero(hit))
        self.runs.append((hs, rs))
        while self.looking and len(self.runs) > 1 and len(self.runs[-2][0]) <= 2 * len(self.runs[-1][0]):
            (h1, r1), (h2, r2) = self.runs.pop(-2), self.runs.pop()
            h = np.concatenate((h1, h2))
            merged = np.argsort(h, kind="stable")  # two sorted runs: a merge
            self.runs.append((h[merged], np.concatenate((r1, r2))[merged]))

    def _bucket(self, b: int) -> tuple[Any, Any]:
        """The hashes (sorted) and rows of one range of hashes (by their top bits), from every run."""
        lo, hi = np.uint64(b << 64 - _BUCKET_BITS), np.uint64(((b + 1) << 64 - _BUCKET_BITS) - 1)
        ranges = [(np.searchsorted(run, lo), np.searchsorted(run, hi, side="right")) for run, _ in self.runs]
        h = np.concatenate([run[a:z] for (run, _), (a, z) in zip(self.runs, ranges, strict=True)])
        r = np.concatenate([rows[a:z] for (_, rows), (a, z) in zip(self.runs, ranges, strict=True)])
        order = np.argsort(h)
        return h[order], r[order]

    def candidate_groups(self, stop_row: int) -> list[list[int]]:
        """Row numbers (up to ``stop_row``) that share a hash with another row, grouped by hash."""
        groups: list[list[int]] = []
        for b in range(1 << _BUCKET_BITS if self.runs else 0):
            hs, rs = self._bucket(b)
            keep = rs <= stop_row
            hs, rs = hs[keep], rs[keep]
            cuts = np.flatnonzero(np.concatenate(([True], hs[1:] != hs[:-1], [True])))
            groups.extend(rs[cuts[i] : cuts[i + 1]].tolist() for i in np.flatnonzero(np.diff(cuts) > 1))
        return groups


class KeySet:
    """The keys of a referenced table, hashed and sorted once (``pc.is_in`` hashes its value set
    again for every block); a block's hits by binary search are confirmed on the texts, so a hash
    collision never hides a broken reference."""

    def __init__(self, values: Any) -> None:
        hashes = hash64(values)
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.values = pc.take(values, arrow(order))

    def contains(self, keys: Any) -> Any:
        """A NumPy mask: which of ``keys`` (a string array without nulls) are keys of the table."""
        out = np.zeros(len(keys), dtype=bool)
        if not len(keys) or not len(self.hashes):
            return out
        hashes = hash64(keys)
        pos = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        hit = np.flatnonzero(self.hashes[pos] == hashes)
        same = bools(pc.equal(pc.take(keys, arrow(hit)), pc.take(self.values, arrow(pos[hit]))))
        out[hit[same]] = True
        other = hit[~same]  # equal hashes, other text: look the text up for real (a collision)
        if len(other):
            out[other] = bools(pc.is_in(pc.take(keys, arrow(other)), value_set=self.values))
        return out


# the checks of a table


@dataclass
class _Row:
    """What one row with something to report needs for frictionless's ordering."""

    number: int = 0
    cell_errors: dict[int, list[CellError]] = field(default_factory=dict)
    extras: list[CellError] = field(default_factory=list)
    missings: list[CellError] = field(default_factory=list)
    blank: bool = False
    failed: dict[Any, CellError] = field(default_factory=dict)  # by the names of TableCheck.integrity


def _cell_error(code: str, number: int, plan: FieldPlan, cell: str, note: str = "") -> CellError:
    return CellError(code, number, note, cell=cell, field_name=plan.name, field_number=plan.number)


def _joined(parts: list[Any]) -> Any:
    """One text per row for a composite key: each part length-prefixed, null as its own mark."""
    if len(parts) == 1:
        return parts[0]
    pieces = []
    for part in parts:
        text = pc.binary_join_element_wise(pc.cast(pc.utf8_length(part), pa.string()), part, _text(":"))
        pieces.append(pc.fill_null(text, _text("\x00")))
    return pc.binary_join_element_wise(*pieces, _text("|"))


def _all_null(parts: list[Any]) -> Any:
    out = np.ones(len(parts[0]), dtype=bool)
    for part in parts:
        out &= bools(pc.is_null(part))
    return out


class TableCheck:
    """Validate one table: header, cells, integrity checks, with frictionless's cap on errors."""

    def __init__(
        self,
        name: str,
        schema: dict[str, Any],
        stream: CsvBlocks,
        *,
        limit_errors: int,
        lookup: Callable[[str, list[str], list[str | None]], Any],
    ) -> None:
        self.name = name
        self.stream = stream
        # 0 means no cap, as in frictionless (``if limit_errors:``).
        self.limit = limit_errors if limit_errors > 0 else sys.maxsize
        # "equal" (columns paired by name, see structure.by_name) is the only other pairing the
        # header below reproduces as frictionless does.
        if schema.get("fieldsMatch", "equal") != "equal":
            raise Unsupported("the schema sets fieldsMatch")
        labels = ["" if c is None else str(c).strip() for c in stream.header]
        if not labels:
            raise Unsupported("the header row is empty")
        fl_schema, self.header_errors, expected = read_header(schema, labels)
        if len(expected) != len(stream.header):
            raise Unsupported("the header and the expected fields differ in number")
        missing = [str(v) for v in fl_schema.missing_values]
        self.plans = [FieldPlan(f, missing, i + 1) for i, f in enumerate(expected)]
        self.names = names = [p.name for p in self.plans]
        self.unique = [j for j, p in enumerate(self.plans) if p.constraints.get("unique")]
        pk = list(fl_schema.primary_key)
        self.pk = [names.index(n) for n in pk] if pk and set(pk) <= set(names) else []
        self.groups: list[tuple[str, list[str], list[int], Any]] = []
        for fk in fl_schema.foreign_keys:
            target = list(fk["fields"])
            if not set(target) <= set(names):
                continue
            source = fk["reference"]["resource"]
            source_key = list(fk["reference"]["fields"])
            idx = [names.index(n) for n in target]
            classes = [self.plans[j].key_class for j in idx]
            self.groups.append((source, source_key, idx, lookup(source, source_key, classes)))
        # frictionless's integrity checks in its order, each with the fields it reads first
        self.integrity = [(("unique", j), [j]) for j in self.unique] + [("primary-key", self.pk)]
        self.integrity += [(("foreign-key", g), group[2]) for g, group in enumerate(self.groups)]
        self.key_fields = sorted({j for _name, fields in self.integrity for j in fields})
        for j in self.key_fields:
            if self.plans[j].key_class is None:
                raise Unsupported(f"a key on the {self.plans[j].type} field «{names[j]}»")
        # each key's roles: 2 for a primary key of one field that is also unique
        self.roles = Counter([(j,) for j in self.unique] + ([tuple(self.pk)] if self.pk else []))
        self.stores = {key: KeyStore() for key in self.roles}
        self.rows: list[_Row] = []
        self.count = len(self.header_errors)
        self.repeats = 0  # errors of the keys found repeated so far (see KeyStore.hits)
        self.stopped: int | None = None  # a row at or after the one the cap stops at
        self.capped: int | None = None  # the row the cap stopped at, once ``finish`` has run
        self.settled = 0  # duplicate keys resolved up to this row
        self.lines: dict[int, int] = {}
        self.pk_cells: dict[int, str | None] = {}
        # (column, row) of a repeated one-field key (primary or unique) → line of its first row
        self.first_lines: dict[tuple[int, int], int] = {}
        self.total_rows = 0
        self.fk_seconds = 0.0  # checking the references, for the --debug log

    def check_block(self, block: Block) -> list[int]:
        """Check a block's records; return the record indices that need their physical line."""
        n = block.n_records
        self.total_rows = block.first_row - 2 + n
        ragged = block.ragged()
        rows: defaultdict[int, _Row] = defaultdict(_Row)  # numbered once all are known
        blank = np.ones(n, dtype=bool)
        canon: dict[int, Any] = {}
        for j, plan in enumerate(self.plans):
            raw = block.columns[j]
            keyed = j in self.key_fields
            missing = missing_mask(raw, plan.missing) if plan.missing else np.zeros(n, dtype=bool)
            blank &= missing
            ok, fast_canon = plan.certainly_valid(raw, missing, keyed=keyed)
            if plan.missing_fine and not keyed:
                ok |= missing
            rest = np.flatnonzero(~ok | ragged)  # every cell of an irregular record read exactly
            if keyed:
                canon[j] = pa.nulls(n, pa.string()) if fast_canon is None else fast_canon
            if len(rest):
                values = pc.take(raw, arrow(rest))
                if len(rest) > 64:  # each distinct value read once (``exact`` has a cache too)
                    distinct = pc.unique(values)
                    ids, texts = numbers(pc.index_in(values, value_set=distinct)), distinct.to_pylist()
                else:
                    ids, texts = np.arange(len(rest)), values.to_pylist()
                results = [plan.exact(v) for v in texts]
                bad = np.array([bool(r[1]) for r in results], dtype=bool)
                for i in np.flatnonzero(bad[ids]):
                    k = int(rest[i])
                    cell = str(texts[ids[i]])
                    rows[k].cell_errors[j] = [
                        _cell_error(code, block.first_row + k, plan, cell, note)
                        for code, note in results[ids[i]][1]
                    ]
                if keyed:
                    mask = np.zeros(n, dtype=bool)
                    mask[rest] = True
                    exact = pa.array([plan.canonical(results[i][0]) for i in ids], pa.string())
                    canon[j] = pc.replace_with_mask(canon[j], arrow(mask), exact)
        for i in np.flatnonzero(blank):
            rows[int(i)].blank = True
        self._irregular(block, rows)
        self._integrity(block, rows, canon)
        needed: list[int] = []
        for k in sorted(rows):
            row = rows[k]
            row.number = block.first_row + k
            self.rows.append(row)
            needed.append(k)
            if len(self.pk) == 1:
                self.pk_cells[row.number] = block.columns[self.pk[0]][k].as_py()
            self.count += len(_row_errors(self, row))
            if self.count >= self.limit:
                self.stopped = row.number
                break
        # Each key repeated so far is an error (two when the key is both primary and unique): with
        # them the cap may be reached, and settling them says at which row.
        self.repeats = sum(s.hits * self.roles[key] for key, s in self.stores.items())
        if self.stopped is None and self.count + self.repeats >= self.limit:
            self.finish(block.first_row + n - 1)
            self.stopped = self.capped
        return needed

    def _irregular(self, block: Block, rows: dict[int, _Row]) -> None:
        """The extra and missing cells of the irregular records (their cells are read with the
        others), and which of them are blank."""
        n_fields = len(self.plans)
        for k, cells in sorted(block.irregular.items()):
            number = block.first_row + k
            row = rows[k]
            readings = (plan.exact(cells[j] if j < len(cells) else None) for j, plan in enumerate(self.plans))
            row.blank = all(
                target is None and all(c != "type-error" for c, _ in notes) for target, notes in readings
            )
            for number_, cell in enumerate(cells[n_fields:], start=n_fields + 1):
                row.extras.append(
                    CellError("extra-cell", number, "", cell=str(cell), field_name="", field_number=number_)
                )
            row.missings.extend(
                _cell_error("missing-cell", number, plan, "") for plan in self.plans[len(cells) :]
            )

    def _integrity(self, block: Block, rows: dict[int, _Row], canon: dict[int, Any]) -> None:
        numbers = np.arange(block.first_row, block.first_row + block.n_records, dtype=np.int64)
        if self.pk:
            for k in np.flatnonzero(_all_null([canon[j] for j in self.pk])):
                rows[int(k)].failed["primary-key"] = self._pk_error(block.first_row + int(k))
        for key, store in self.stores.items():
            parts = [canon[j] for j in key]
            valid = ~_all_null(parts)
            joined = pc.filter(_joined(parts), arrow(valid))
            store.add(hash64(joined), numbers[valid], look=4 * (self.count + self.repeats) >= self.limit)
        started = time.perf_counter()
        for g, (source, source_key, idx, lookup) in enumerate(self.groups):
            parts = [canon[j] for j in idx]
            found = lookup.contains(pc.fill_null(_joined(parts), _text("\x00")))
            for k in np.flatnonzero(~found & ~_all_null(parts)):
                rows[int(k)].failed[("foreign-key", g)] = CellError(
                    "foreign-key",
                    block.first_row + int(k),
                    "",
                    field_names=[self.names[j] for j in idx],
                    field_cells=[p[int(k)].as_py() or "" for p in parts],
                    reference_name=source,
                    reference_field_names=source_key,
                )
        self.fk_seconds += time.perf_counter() - started

    def _pk_error(self, number: int) -> CellError:
        return CellError("primary-key", number, "", field_names=[self.names[j] for j in self.pk])

    def finish(self, stop: int | None = None) -> list[Any]:
        """Resolve duplicate keys, rebuild each row's errors in frictionless's order up to row
        ``stop`` (the cap's, else the last), apply the cap (``capped``: its row, if reached)."""
        stop = stop or self.stopped or self.total_rows + 1
        by_number = {r.number: r for r in self.rows if r.number <= stop}
        if self.stores and stop > self.settled:
            self._duplicates(stop, by_number)
            self.settled = stop
        errors: list[Any] = list(self.header_errors)
        for number in sorted(by_number):
            errors.extend(_row_errors(self, by_number[number]))
            if len(errors) >= self.limit:
                break
        if len(errors) >= self.limit and self.total_rows:
            # frictionless counts after each row it reads: the header's errors alone stop it
            # after the first row.
            last = getattr(errors[self.limit - 1], "row_number", None)
            self.capped = last if last is not None else 2
            return errors[: self.limit]
        return errors

    def _duplicates(self, stop: int, by_number: dict[int, _Row]) -> None:
        candidates = [(key, g) for key, store in self.stores.items() for g in store.candidate_groups(stop)]
        if not candidates:
            return
        located = self.stream.locate([r for _, g in candidates for r in g])
        for key, group in candidates:
            seen: dict[tuple[str | None, ...], int] = {}
            for number in sorted(group):
                line, cells = located[number]
                value = tuple(
                    self.plans[j].canonical(self.plans[j].exact(cells[j] if j < len(cells) else None)[0])
                    for j in key
                )
                if value not in seen:
                    seen[value] = line
                    continue
                if len(key) == 1:
                    self.first_lines[(key[0], number)] = seen[value]
                row = by_number.get(number)
                if row is None:
                    row = by_number[number] = _Row(number)
                    self.rows.append(row)  # found again by a later settling, not made twice
                    self.lines[number] = line
                if key == tuple(self.pk):
                    row.failed["primary-key"] = self._pk_error(number)
                    if len(self.pk) == 1:
                        self.pk_cells[number] = cells[self.pk[0]] if self.pk[0] < len(cells) else None
                if len(key) == 1 and key[0] in self.unique:
                    failed = _cell_error("unique-error", number, self.plans[key[0]], str(value[0]))
                    row.failed[("unique", key[0])] = failed


def _row_errors(check: TableCheck, row: _Row) -> list[Any]:
    """The errors of one row in frictionless's order (see ``Row.__process`` and the row stream): the
    cell errors of the fields each integrity check reads, up to the first that fails, then those of
    every other field, the extra and missing cells (or a blank row instead of them all), and the
    failed checks."""
    first: list[int] = []
    failed: list[CellError] = []
    for name, fields in check.integrity:
        if not failed:
            first += fields
        if name in row.failed:
            failed.append(row.failed[name])
    order = dict.fromkeys([*first, *sorted(row.cell_errors)])
    errs = [e for j in order for e in row.cell_errors.get(j, ())] + row.extras + row.missings
    return ([CellError("blank-row", row.number, "")] if row.blank else errs) + failed
