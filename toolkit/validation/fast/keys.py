"""Hashes of key values and the bookkeeping for duplicates, in bounded memory.

Uniqueness over millions of rows cannot keep every key as text: each key is kept as a 64-bit
hash and its row number (12 bytes a row), split into buckets by the hash's top bits so that the
final sort works one bucket at a time. Equal hashes are only candidates: the caller re-reads
those rows and compares the real values, so a hash collision never becomes a finding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from toolkit.validation.fast.npview import arrow, bools, pc, spans

_P = 0x100000001B3 | 1
_MASK = (1 << 64) - 1
_Q = pow(_P, -1, 1 << 64)
_BUCKET_BITS = 4


class _Powers:
    """P**i and P**-i modulo 2**64 for the positions of a block's bytes, doubled on demand: the
    second half is the first times P**n (a cumulative product of 4 MiB, rebuilt as blocks grew,
    cost 10 ms of a spoiled run)."""

    def __init__(self) -> None:
        self.tables = (np.ones(1, dtype=np.uint64),) * 2

    def get(self, n: int) -> tuple[Any, Any]:
        pw, ipw = self.tables
        while len(pw) <= n:
            pw = np.concatenate((pw, pw * np.uint64(int(pw[-1]) * _P & _MASK)))
            ipw = np.concatenate((ipw, ipw * np.uint64(int(ipw[-1]) * _Q & _MASK)))
            self.tables = pw, ipw
        return pw, ipw


_POWERS = _Powers()


def _mix(x: Any) -> Any:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hash64(values: Any) -> Any:
    """64-bit hashes of a pyarrow string array without nulls (a polynomial over the UTF-8 bytes,
    position-normalised with modular inverses, then mixed)."""

    if len(values) == 0:
        return np.empty(0, dtype=np.uint64)
    offsets, data = spans(values)
    base = int(offsets[0])
    size = int(offsets[-1]) - base
    data = data[base : base + size]
    pw, ipw = _POWERS.get(size)
    prefix = np.zeros(size + 1, dtype=np.uint64)
    np.cumsum(data.astype(np.uint64) * pw[:size], dtype=np.uint64, out=prefix[1:])
    starts = offsets[:-1] - base
    ends = offsets[1:] - base
    segment = (prefix[ends] - prefix[starts]) * ipw[starts]
    lengths = (ends - starts).astype(np.uint64)
    return _mix(segment + lengths * np.uint64(0x9E3779B97F4A7C15))


class KeyStore:
    """Hashes and row numbers of the non-empty keys seen so far, in runs sorted by hash (one a
    block). Once asked to look, it also counts the rows whose hash came before, as they come."""

    def __init__(self) -> None:
        self.runs: list[tuple[Any, Any]] = []
        # Rows whose hash came before (candidate duplicates): within their block until asked to
        # look, then anywhere before.
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
        spans = [(np.searchsorted(run, lo), np.searchsorted(run, hi, side="right")) for run, _ in self.runs]
        h = np.concatenate([run[a:z] for (run, _), (a, z) in zip(self.runs, spans, strict=True)])
        r = np.concatenate([rows[a:z] for (_, rows), (a, z) in zip(self.runs, spans, strict=True)])
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
    """The keys of a referenced table, for exact membership tests of many blocks.

    ``pc.is_in`` hashes its whole value set again on every call (once per block); here the keys
    are hashed once and sorted, each block is looked up with a binary search, and every hit is
    confirmed by comparing the texts, so a hash collision can never hide a broken reference.
    """

    def __init__(self, values: Any) -> None:
        hashes = hash64(values)
        order = np.argsort(hashes, kind="stable")
        self.hashes = hashes[order]
        self.values = pc.take(values, arrow(order))

    def __len__(self) -> int:
        return len(self.hashes)

    def contains(self, keys: Any) -> Any:
        """A NumPy mask: which of ``keys`` (a string array without nulls) are keys of the table."""

        out = np.zeros(len(keys), dtype=bool)
        if not len(keys) or not len(self.hashes):
            return out
        hashes = hash64(keys)
        pos = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        hit = np.flatnonzero(self.hashes[pos] == hashes)
        if not len(hit):
            return out
        same = bools(pc.equal(pc.take(keys, arrow(hit)), pc.take(self.values, arrow(pos[hit]))))
        out[hit[same]] = True
        other = hit[~same]  # equal hashes, other text: look the text up for real (a collision)
        if len(other):
            out[other] = bools(pc.is_in(pc.take(keys, arrow(other)), value_set=self.values))
        return out
