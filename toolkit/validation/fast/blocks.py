"""Read a large CSV in blocks of whole records, the way Python's csv module splits it.

Each block ends on a record boundary (a line break outside quotes), so pyarrow parses it on its
own and we always know which bytes, rows and physical lines a block covers. Physical lines and raw
cells are only worked out again, by a targeted re-read, for the few rows that have findings.

The block splitter counts quotes, which is exact when every quote either opens a field, closes it
before a delimiter or a line break, or is doubled inside a quoted field. Anything else (a quote in
the middle of an unquoted cell, a lone carriage return as a line break) is read differently by
different CSV parsers; :class:`Unsupported` then sends the table back to the frictionless path.
"""

from __future__ import annotations

import bisect
import csv
import itertools
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from toolkit.validation import rawcsv

BOM = b"\xef\xbb\xbf"
BLOCK_BYTES = 4 * 1024 * 1024
# The first block is this small and each next one twice the last, up to ``BLOCK_BYTES``: a table
# that reaches the error cap early (a spoiled one) is read not much further than where it stops.
FIRST_BLOCK_BYTES = 256 * 1024
# The smallest block asked for near the cap (smaller ones cost more in per-block work than they save).
MIN_BLOCK_BYTES = 64 * 1024
# The spans of the blocks that worked them out are kept for this many records at most: ``locate``
# then reads only the records it is asked for (24 bytes a record).
SPAN_RECORDS = 1 << 18
# pyarrow parses a block in pieces of this size: a piece that fits the CPU cache parses much
# faster (measured on 1M funding rows: 1.4 s of CPU with 1 MiB pieces, 2.3 s with 4 MiB).
PARSE_BYTES = 1 << 20
_QUOTE, _LF, _CR = 34, 10, 13


class Unsupported(Exception):
    """The table needs the frictionless path; the message says why (shown with --debug)."""


@dataclass
class BlockMeta:
    """Where a block lies in the file: what ``locate`` keeps of it once it is checked."""

    offset: int
    size: int
    first_row: int
    first_line: int
    n_records: int
    spans: Any = None  # record starts, ends and lines (see _record_spans), once worked out


@dataclass
class Block(BlockMeta):
    """Records of one block as pyarrow columns; the irregular ones (a blank line, a row of another
    number of cells) also as Python lists of their cells, null in the columns where they have none."""

    columns: list[Any] = field(default_factory=list)
    irregular: dict[int, list[str]] = field(default_factory=dict)
    longest_line: int = 0
    longest_at: int = 0  # physical line of the longest line
    line_feeds: int = 0
    data: Any = b""  # the block's bytes (a view of the buffer they were read into)

    def lines(self, records: list[int]) -> dict[int, int]:
        """Physical line where each of the given records (indices in the block) starts."""
        # Every line feed ends a record (the last record may have none): one record a line.
        if not records or self.line_feeds + (self.data[-1] != _LF) <= self.n_records:
            return {k: self.first_line + k for k in records}
        if self.spans is None:
            self.spans = _record_spans(np.frombuffer(self.data, dtype=np.uint8))
        return {k: self.first_line + int(self.spans[2][k]) for k in records}

    def ragged(self) -> Any:
        """A NumPy mask of the irregular records."""
        return np.bincount(list(self.irregular), minlength=self.n_records) > 0


def _record_spans(arr: Any, quotes: Any = None, feeds: Any = None) -> tuple[Any, Any, Any]:
    """Record starts and ends (exclusive, without the line break) of a block, and the line of each
    record counted from the block's first (the positions of its quotes and line feeds are found if
    not given)."""
    feeds = np.flatnonzero(arr == _LF) if feeds is None else feeds
    quotes = np.flatnonzero(arr == _QUOTE) if quotes is None else quotes
    ends = feeds[np.searchsorted(quotes, feeds) % 2 == 0] if len(quotes) else feeds
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(arr)]))
    if starts[-1] >= len(arr):  # the block ends with a line break
        starts, stops = starts[:-1], stops[:-1]
    return starts, stops, np.searchsorted(feeds, starts)


def check_quoting(data: bytes | bytearray, arr: Any, delimiter: int, quotes: Any) -> None:
    """Raise :class:`Unsupported` where splitting by quote parity could differ from Python's csv
    (``data``: the block, or it and more bytes; ``quotes``: the positions of the quotes)."""
    n = len(arr)
    if len(quotes):
        if len(quotes) % 2:
            raise Unsupported("an unterminated quoted cell")
        opening, closing = quotes[0::2], quotes[1::2]
        before = np.where(opening > 0, arr[np.maximum(opening - 1, 0)], _LF)
        doubled_open = np.concatenate(([False], opening[1:] - 1 == closing[:-1]))
        ok_open = (opening == 0) | (before == delimiter) | (before == _LF) | doubled_open
        after = np.where(closing + 1 < n, arr[np.minimum(closing + 1, n - 1)], _LF)
        doubled_close = np.concatenate((closing[:-1] + 1 == opening[1:], [False]))
        ok_close = (after == delimiter) | (after == _LF) | (after == _CR) | doubled_close
        if not (ok_open.all() and ok_close.all()):
            raise Unsupported("a quote inside an unquoted cell or text after a closing quote")
    if b"\r" in data:  # a third of the time of a comparison of every byte
        returns = np.flatnonzero(arr == _CR)
        nxt = np.where(returns + 1 < n, arr[np.minimum(returns + 1, n - 1)], 0)
        lone = returns[nxt != _LF]
        if len(lone) and (np.searchsorted(quotes, lone) % 2 == 0).any():
            raise Unsupported("a carriage return without a line feed used as a line break")


class CsvBlocks:
    """Iterate the data records of a CSV file (after its header record) in blocks."""

    def __init__(
        self,
        path: Path,
        delimiter: str,
        *,
        block_bytes: int | None = None,
        kept: dict[Any, list[tuple[Block, BlockMeta]]] | None = None,
    ) -> None:
        self.path = path
        self.delimiter = delimiter
        self.block_bytes = block_bytes or BLOCK_BYTES
        # Blocks parsed by an earlier full pass over the same file, shared by the readers of one
        # run (a small table is read for its own checks and again for the keys others refer to).
        self.kept = kept
        self.metas: list[BlockMeta] = []
        with path.open("rb") as fh:
            head = fh.read(1 << 16)  # the header record and the start of the next, read on if need be
            start = len(BOM) if head.startswith(BOM) else 0
            while True:
                starts, stops, _ = _record_spans(np.frombuffer(head, dtype=np.uint8)[start:])
                if len(starts) > 1 or not (more := fh.read(len(head))):
                    break
                head += more
        record = head[start : start + int(stops[0])] if len(starts) else b""  # b"": the file is empty
        self.header: list[str] = _cells(record.decode("utf-8"), delimiter) if record.strip(b"\r") else []
        self.body_offset = start + len(record) + 1
        lengths = [len(line) for line in record.split(b"\n")]
        self.first_line = 1 + len(lengths)
        self.header_longest = max(lengths)
        self.header_longest_at = 1 + lengths.index(self.header_longest)

    def blocks(self) -> Generator[Block, int | None, None]:
        """The blocks in order; a size sent in is the size of the next block (else each is twice
        the last, up to ``block_bytes``)."""
        if self.kept is None:
            yield from self._read()
            return
        key = (self.path, self.delimiter, len(self.header), self.body_offset, self.block_bytes)
        if key in self.kept:
            for block, meta in self.kept[key]:
                self.metas.append(meta)
                yield block
            return
        seen = []
        for block in self._read():
            seen.append((block, self.metas[-1]))
            yield block
        self.kept[key] = seen  # only once the whole file was read

    def _read(self) -> Generator[Block, int | None, None]:
        if not self.header:
            raise Unsupported("the header row is empty")
        offset, row, line = self.body_offset, 2, self.first_line
        want = min(FIRST_BLOCK_BYTES, self.block_bytes) // 2
        spanned = 0  # records whose spans are kept
        with self.path.open("rb") as fh:
            fh.seek(offset)
            pending, sent, eof = b"", None, False
            while not eof:
                want = min(sent or 2 * want, self.block_bytes)
                # The block's bytes are copied once, by the read; the block is a view of them.
                buf = bytearray(max(want, len(pending)))
                buf[: len(pending)] = pending
                got = len(pending) + fh.readinto(memoryview(buf)[len(pending) :])
                eof = got < len(buf)
                del buf[got:]
                if not buf:
                    return
                cut, quotes = _last_boundary(buf)
                while cut is None and not eof:  # one record longer than a block: read on
                    eof = not (more := fh.read(self.block_bytes))
                    buf += more
                    cut, quotes = _last_boundary(buf)
                cut = len(buf) if eof else cut
                data, pending = memoryview(buf)[:cut], bytes(buf[cut:])
                arr = np.frombuffer(data, dtype=np.uint8)
                quotes = quotes[: np.searchsorted(quotes, len(data))]
                check_quoting(buf, arr, ord(self.delimiter), quotes)
                block = self._parse(data, arr, quotes, offset, row, line)
                self.metas.append(BlockMeta(offset, len(data), row, line, block.n_records))
                if block.spans is not None and spanned + block.n_records <= SPAN_RECORDS:
                    self.metas[-1].spans, spanned = block.spans, spanned + block.n_records
                sent = yield block
                offset, row, line = offset + len(data), row + block.n_records, line + block.line_feeds

    def _parse(self, data: memoryview, arr: Any, quotes: Any, offset: int, row: int, line: int) -> Block:
        feeds = np.flatnonzero(arr == _LF)
        lengths = np.diff(np.concatenate(([-1], feeds, [len(arr)]))) - 1
        longest_at = int(np.argmax(lengths))
        names = [f"c{i}" for i in range(len(self.header))]
        invalid: list[tuple[int | None, str]] = []  # (number among the non-empty records, text)

        def handler(row: Any) -> str:
            invalid.append((row.number, row.text))
            return "skip"

        # Arrow checks the block as one string 2.5 times faster than decode (isascii: and its leftover)
        if not cast(bytearray, data.obj).isascii():
            whole = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
            try:
                pa.LargeStringArray.from_buffers(1, whole, pa.py_buffer(data)).validate(full=True)
            except pa.ArrowInvalid as ex:
                raise Unsupported(f"the block is not UTF-8: {ex}") from ex
        try:
            table = pcsv.read_csv(
                pa.BufferReader(data),
                read_options=pcsv.ReadOptions(column_names=names, block_size=PARSE_BYTES, use_threads=False),
                parse_options=pcsv.ParseOptions(
                    delimiter=self.delimiter,
                    newlines_in_values=True,  # quotes doubled, no escapes, empty lines skipped
                    invalid_row_handler=handler,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,  # "" and "NA" too are strings, never null
                    check_utf8=False,
                ),
            )
        except pa.ArrowInvalid as ex:
            raise Unsupported(f"pyarrow cannot read the block: {ex}") from ex
        block = Block(offset, len(data), row, line, table.num_rows, data=data, line_feeds=len(feeds))
        block.longest_line, block.longest_at = int(lengths[longest_at]), line + longest_at
        if invalid or _blank_line(arr, feeds):
            table = self._irregular(block, table, arr, _record_spans(arr, quotes, feeds), invalid)
        block.columns = [column.combine_chunks() for column in table.columns]
        return block

    def _irregular(
        self, block: Block, table: Any, arr: Any, spans: Any, invalid: list[tuple[int | None, str]]
    ) -> Any:
        """Place the records pyarrow skipped among the block's records: empty lines, and rows of
        another number of cells (split from the text pyarrow hands back); return ``table`` with
        their cells among its rows, slices of it put end to end (a tenth of the time of a take)."""
        starts, stops, _ = block.spans = spans
        empty = stops - ((stops > starts) & (arr[np.maximum(stops - 1, 0)] == _CR)) == starts
        filled = np.flatnonzero(~empty)
        block.irregular = {int(k): [] for k in np.flatnonzero(empty)}
        for number, text in invalid:
            if number is None:  # pyarrow numbers them when it parses in one thread, as here
                raise Unsupported("pyarrow did not say which row it skipped")
            block.irregular[int(filled[number - 1])] = _cells(text, self.delimiter)
        if len(starts) - len(block.irregular) != table.num_rows:
            raise Unsupported("rows of this block could not be lined up with the CSV records")
        block.n_records = len(starts)
        irregular = sorted(block.irregular)
        rows = [block.irregular[k] for k in irregular]
        columns = [[r[j] if j < len(r) else None for r in rows] for j in range(table.num_columns)]
        extra = pa.table([pa.array(c, pa.string()) for c in columns], names=table.column_names)
        pieces, start = [], 0
        for i, k in enumerate(irregular):  # k - i regular rows come before record k
            pieces += [table.slice(start, k - i - start), extra.slice(i, 1)]
            start = k - i
        return pa.concat_tables([*pieces, table.slice(start)])

    def locate(self, rows: list[int]) -> dict[int, tuple[int, list[str]]]:
        """Physical line and raw cells of the given row numbers, by re-reading only their blocks."""
        firsts = [m.first_row for m in self.metas]
        by_block: dict[int, list[int]] = {}
        for r in sorted(set(rows)):
            i = bisect.bisect_right(firsts, r) - 1
            if i >= 0 and r < self.metas[i].first_row + self.metas[i].n_records:
                by_block.setdefault(i, []).append(r)
        out: dict[int, tuple[int, list[str]]] = {}
        with self.path.open("rb") as fh:
            for i, numbers in by_block.items():
                meta, spans = self.metas[i], self.metas[i].spans
                if spans is None:  # the block is read again, and split again
                    fh.seek(meta.offset)
                    spans = _record_spans(np.frombuffer(fh.read(meta.size), dtype=np.uint8))
                starts, stops, lines = spans
                for r in numbers:
                    k = r - meta.first_row
                    fh.seek(meta.offset + int(starts[k]))
                    text = fh.read(int(stops[k] - starts[k])).removesuffix(b"\r").decode("utf-8")
                    out[r] = (meta.first_line + int(lines[k]), _cells(text, self.delimiter) if text else [])
        return out


def _cells(text: str, delimiter: str) -> list[str]:
    """The cells of one record; a record the csv module cannot split the way frictionless reads
    it (a carriage return alone inside a field, say) sends the table to the frictionless path."""
    try:
        return next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error as ex:
        raise Unsupported(f"a record the csv module cannot split: {ex}") from ex


def _blank_line(arr: Any, feeds: Any) -> bool:
    """Whether the block holds an empty line (``\\n\\n`` or ``\\n\\r\\n``, or one at its start), from
    the positions of its line feeds: a fifth of the time of two ``in`` searches of the bytes."""
    if not len(feeds):
        return False
    if feeds[0] == 0 or (feeds[0] == 1 and arr[0] == _CR):
        return True
    gaps = feeds[1:] - feeds[:-1]
    return bool((gaps == 1).any() or ((gaps == 2) & (arr[feeds[:-1] + 1] == _CR)).any())


def _last_boundary(buf: bytes | bytearray) -> tuple[int | None, Any]:
    """Position just after the last line feed of ``buf`` that lies outside quotes (``None``: no
    such line feed), and the positions of the quotes of ``buf``."""
    quotes = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == _QUOTE)
    pos = len(buf)
    while (nl := buf.rfind(b"\n", 0, pos)) >= 0:
        if np.searchsorted(quotes, nl) % 2 == 0:
            return nl + 1, quotes
        pos = nl
    return None, quotes


def sniffed_dialect_problem(path: Path, delimiter: str) -> str | None:
    """What frictionless's own sniffing of the first 100 lines would change, if anything.

    frictionless declares the delimiter but still lets :class:`csv.Sniffer` pick the quote
    character and whether spaces after a delimiter are skipped; the fast reader supports the
    defaults only.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as text:
            sample = "".join(itertools.islice(text, 100))
    except UnicodeDecodeError:
        return "the file is not UTF-8"
    if rawcsv.skips_initial_space(sample, delimiter):  # its quote is " or ', never an escape
        return "the sniffed dialect skips spaces after delimiters"
    return None
