"""Run the fast engine over a dataset: pre-checks, structure, foreign keys, domain, profiles.

A table the fast engine cannot read exactly like frictionless (another encoding, an unusual CSV
dialect, a key on a number field…) goes through the frictionless path instead; ``log`` says which
and why. Everything here streams: memory stays bounded whatever the size of the file.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from toolkit.catalog.model import Catalog, Dataset, ResourceSpec, display_path
from toolkit.report.findings import Finding, column_letter, make_finding
from toolkit.validation import rawcsv, structure
from toolkit.validation.fast.blocks import MIN_BLOCK_BYTES, CsvBlocks, Unsupported, sniffed_dialect_problem
from toolkit.validation.fast.cells import FieldPlan, among, arrow, pc
from toolkit.validation.fast.cells import text as _text
from toolkit.validation.fast.domain import DomainCheck
from toolkit.validation.fast.schema import Record, parse_hash
from toolkit.validation.fast.schema import header as read_header
from toolkit.validation.fast.table import KeySet, TableCheck, _all_null, _joined
from toolkit.validation.profiles import cdmx

Log = Callable[[str], None]
# A table up to this size keeps its parsed blocks for the run of its dataset: foreign keys and
# list references read it again (the shipped catalog: 42 parses down to 21).
KEEP_BYTES = 1 << 20
Progress = Callable[[str, int, int], None]  # path shown, bytes done, rows done
_Found = tuple[int, int, str, str | None, dict[str, Any]]  # row, line, code, field, parameters


@dataclass
class _View:
    """What ``structure.to_findings`` reads from a table, for a table that was never in memory: its
    header, and what ``check`` kept of the rows with findings."""

    header: list[str]
    check: TableCheck

    def column_index(self, name: str) -> int | None:
        return self.header.index(name) if name in self.header else None

    def line_of(self, row: int) -> int | None:
        return 1 if row == 1 else self.check.lines.get(row)

    def cell(self, row: int, index: int) -> str | None:
        return self.check.pk_cells.get(row)

    def first_line(self, row: int, index: int, parse: Callable[[str], Any]) -> int | None:
        return self.check.first_lines.get((index, row))


def declared_size_errors(spec: ResourceSpec) -> list[Any]:
    """frictionless's ``hash-count`` and ``byte-count`` errors for the resource's declared ``hash``
    (md5 or sha256; another algorithm is not checked, as in frictionless) and ``bytes``."""
    declared_hash, declared_bytes = spec.descriptor.get("hash"), spec.descriptor.get("bytes")
    algorithm, expected = parse_hash(declared_hash) if isinstance(declared_hash, str) else ("", "")
    found: list[Any] = []
    if declared_hash and algorithm in ("md5", "sha256"):
        import hashlib  # only now: a table that declares no hash never loads OpenSSL (3 ms)

        with spec.path.open("rb") as fh:
            actual = hashlib.file_digest(fh, algorithm).hexdigest()
        if actual != expected:
            found.append(Record("hash-count", f'expected is "{expected}" and actual is "{actual}"'))
    size = spec.path.stat().st_size
    if isinstance(declared_bytes, int) and declared_bytes and declared_bytes != size:
        found.append(Record("byte-count", f'expected is "{declared_bytes}" and actual is "{size}"'))
    return found


class DatasetRun:
    """The fast engine over the tables of one dataset."""

    def __init__(
        self,
        ds: Dataset,
        catalog: Catalog,
        *,
        limit_errors: int,
        profiles: list[str],
        log: Log | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.ds, self.catalog = ds, catalog
        self.limit = limit_errors
        self.profiles = profiles
        self.log = log or (lambda _m: None)
        self.progress = progress
        self.readable = {s.name for s in ds.resources if s.schema is not None and s.path.is_file()}
        self._lookups: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._lists: dict[tuple[str, str], set[str] | None] = {}
        self._shapes: dict[str, tuple[str, list[tuple[str, dict[str, Any]]]] | None] = {}
        self.fk_seconds = 0.0  # reading the referenced keys, for the --debug log
        self._headers: dict[str, list[str]] | None = None
        self._sniffed: dict[str, str | None] = {}
        self._kept: dict[Any, Any] = {}

    def headers(self) -> dict[str, list[str]]:
        """The header of every table this engine can read (for foreign keys to missing columns)."""
        if self._headers is None:
            self._headers = {}
            for spec in self.ds.resources:
                shape = self.shape(spec.name) if spec.name in self.readable else None
                # A table with a declared dialect is read by frictionless, header included.
                if shape is not None and spec.dialect is None:
                    self._headers[spec.name] = structure.header_labels(spec.path, "utf-8-sig", shape[0])
        return self._headers

    def shape(self, name: str) -> tuple[str, list[tuple[str, dict[str, Any]]]] | None:
        if name not in self._shapes:
            spec = self.ds.resource(name)
            self._shapes[name] = (
                rawcsv.precheck(spec.path) if spec is not None and spec.path.is_file() else None
            )
        return self._shapes[name]

    def _stream(self, name: str) -> CsvBlocks:
        spec = self.ds.resource(name)
        if spec is not None and spec.dialect is not None:
            raise Unsupported(f"the table «{name}» declares a CSV dialect")
        shape = self.shape(name)
        if shape is None or spec is None:
            raise Unsupported(f"the table «{name}» is empty, binary or not UTF-8")
        if name not in self._sniffed:  # once per table: a table is read again for keys and lists
            self._sniffed[name] = sniffed_dialect_problem(spec.path, shape[0])
        if self._sniffed[name]:
            raise Unsupported(self._sniffed[name])
        small = spec.path.stat().st_size <= KEEP_BYTES
        return CsvBlocks(spec.path, shape[0], kept=self._kept if small else None)

    # lookups for foreign keys and list references

    def lookup(self, source: str, source_key: list[str], classes: list[str | None]) -> Any:
        """The keys of ``source`` as frictionless's lookup holds them (parsed, all-empty left out)."""
        name = source or self._current
        cache_key = (name, tuple(source_key))
        if cache_key not in self._lookups:
            started = time.perf_counter()
            spec = self.ds.resource(name)
            if spec is None or name not in self.readable:
                raise Unsupported(f"the foreign key to «{name}»")
            stream = self._stream(name)
            labels = [str(c).strip() for c in stream.header]
            descriptor = structure.frictionless_schema(spec, self.readable, labels)
            if descriptor.get("fieldsMatch", "equal") != "equal":
                raise Unsupported(f"the schema of «{name}» sets fieldsMatch")
            schema, _errors, expected = read_header(descriptor, labels)
            names = [f.name for f in expected]
            if not set(source_key) <= set(names) or len(expected) != len(stream.header):
                raise Unsupported(f"the key fields of «{name}» are not all in its header")
            missing = [str(v) for v in schema.missing_values]
            plans = [FieldPlan(expected[names.index(k)], missing, names.index(k) + 1) for k in source_key]
            keys: list[Any] = []
            for block in stream.blocks():
                parts = []
                for plan in plans:
                    column = block.columns[plan.number - 1]
                    ok, canon = plan.certainly_valid(column, among(column, plan.missing))
                    rest = np.flatnonzero(~ok | block.ragged())
                    if canon is None:
                        canon = pa.nulls(len(column), pa.string())
                    if len(rest):  # read one by one, as frictionless does
                        exact = [
                            plan.canonical(plan.exact(v)[0]) for v in pc.take(column, arrow(rest)).to_pylist()
                        ]
                        mask = np.zeros(len(column), dtype=bool)
                        mask[rest] = True
                        canon = pc.replace_with_mask(canon, arrow(mask), pa.array(exact, pa.string()))
                    parts.append(canon)
                if parts and len(parts[0]):
                    keep = ~_all_null(parts)
                    keys.append(
                        pc.unique(pc.filter(pc.fill_null(_joined(parts), _text("\x00")), arrow(keep)))
                    )
            value_set = pc.unique(pa.chunked_array(keys, pa.string()))
            self._lookups[cache_key] = (KeySet(value_set), [p.key_class for p in plans])
            self.fk_seconds += time.perf_counter() - started
        keys_of_source, key_classes = self._lookups[cache_key]
        if key_classes != classes:
            raise Unsupported(f"the foreign key to «{name}» compares values of different types")
        return keys_of_source

    def list_values(self, target: str, field: str) -> set[str] | None:
        """Every raw cell of ``target``'s column ``field`` (what ``domain._check_list`` compares to)."""
        if (target, field) not in self._lists:
            stream = self._stream(target) if target in self.readable else None
            values: set[str] | None = None
            if stream is not None and field in stream.header:
                idx = stream.header.index(field)
                values = set()
                for block in stream.blocks():  # null: a short row's missing cell
                    values.update(pc.unique(pc.drop_null(block.columns[idx])).to_pylist())
            self._lists[target, field] = values
        return self._lists[target, field]

    # one table

    def check_table(self, spec: ResourceSpec) -> tuple[list[Finding], list[Finding], list[Finding], int]:
        """Pre-check and structure findings, domain findings and profile findings, and the row count."""
        self._current = spec.name
        stream = self._stream(spec.name)
        shape = self.shape(spec.name)
        assert shape is not None  # read by _stream
        shown = display_path(spec.path)
        where: dict[str, Any] = {"dataset": self.ds.slug, "resource": spec.name, "path": shown}
        header = stream.header
        # A header below line 1 (comment lines above it): the frictionless path gives its one
        # finding instead of a flood of label and cell errors.
        if rawcsv.header_below(spec.path, shape[0], header, spec.field_names):
            raise Unsupported("the header is not on line 1")
        schema = structure.frictionless_schema(spec, self.readable, list(header), self.headers())
        check = TableCheck(spec.name, schema, stream, limit_errors=self.limit, lookup=self.lookup)
        profile = "cdmx" in self.profiles
        dom = DomainCheck(spec, self.catalog, header, self.list_values, profile=profile)
        # Domain, profile and privacy findings (the frictionless path adds the privacy findings
        # after all the domain findings of a table).
        pending: list[list[_Found]] = [[(1, 1, code, name, kw) for _k, code, name, kw in dom.start()], [], []]
        longest, longest_at = stream.header_longest, stream.header_longest_at
        done = 0
        pool = _pool(stream)
        header_errors = check.count  # not part of a rate per byte
        checked = -1  # the offset of the last block checked (not the block: it would stay in memory)

        def size(block: Any) -> int | None:
            """Bytes to read after ``block``: the reader's own (doubling) while the table is clean;
            else what the rest of the cap needs at the rate errors came so far (short of it while
            that rate rests on few errors, whose spread is 1/√found), and nothing ahead when the
            cap may fall in ``block`` itself, not checked yet."""
            found = check.count + check.repeats - header_errors
            if not found or check.limit == sys.maxsize:
                return None
            unchecked = 0 if block.offset == checked else block.size
            left = (check.limit - check.count - check.repeats) * done / found - unchecked
            if left <= 0 and unchecked:
                return 0
            return max(int(left * max(0.5, 1.1 - 3 / found**0.5)), MIN_BLOCK_BYTES)

        unsettled: list[tuple[Any, Any]] = []  # a block, and its domain findings to come

        def settle() -> None:
            for block, later in unsettled:
                results = later.result()  # domain, profile and privacy findings
                lines = block.lines(sorted({k for found in results for k, *_ in found}))
                for out, found in zip(pending, results, strict=True):
                    out.extend((block.first_row + k, lines[k], code, name, kw) for k, code, name, kw in found)
            unsettled.clear()

        for block in ahead(stream.blocks(), pool, size):
            needed = check.check_block(block)
            # The domain checks of a block, once those of the one before are done (they keep state),
            # run in a worker beside the next block's structure checks: pyarrow releases the GIL.
            settle()
            unsettled.append(
                (block, pool.submit(dom.block, block.columns.__getitem__, block.n_records, block.first_row))
            )
            check.lines.update((block.first_row + k, line) for k, line in block.lines(needed).items())
            if block.longest_line > longest:
                longest, longest_at = block.longest_line, block.longest_at
            done += block.size
            checked = block.offset
            if self.progress:
                self.progress(shown, done, check.total_rows)
            if check.stopped is not None:
                # The error cap: like frictionless, read no further. The domain checks, the
                # privacy scan and the profiles stop with the structure checks (the domain
                # findings of this last block are taken once the structure's are made).
                break
        errors = check.finish()
        capped = check.capped
        # Once capped, nothing is reported past the row the cap stopped at (the blocks read ahead
        # of it included), and no finding about the whole table (a claim group named only once)
        # is drawn from part of it.
        rows = check.total_rows if capped is None else capped - 1
        if capped is None:
            settle()
            claims = dom.finish()
            located = stream.locate([r for r, *_ in claims])
            pending[0] += [(r, located[r][0], code, name, kw) for r, code, name, kw in claims]
            # frictionless checks the declared size only when not capped
            errors.extend(declared_size_errors(spec))
        fix: dict[str, Any] = rawcsv.import_fix(spec.path, spec.schema_source) if shape[1] else {}
        pre = [make_finding(code, **where, **kw, **fix) for code, kw in shape[1]]
        if longest > rawcsv.MAX_LINE_BYTES:  # before a delimiter's finding, as in rawcsv.read_table
            too_long = make_finding(
                "line-too-long", **where, line=longest_at, value=longest, detail=rawcsv.MAX_LINE_BYTES
            )
            pre.insert(len(pre) - sum(f.code == "wrong-delimiter" for f in pre), too_long)
        if rows == 0:
            pre.append(make_finding("no-data-rows", **where, line=1))
        view = _View(header, check)
        pre.extend(structure.header_findings(self.ds, spec, list(header)))
        pre.extend(structure.to_findings(errors, self.ds, spec, view))  # type: ignore[arg-type]
        if capped is not None:
            line = view.line_of(capped) or stream.locate([capped]).get(capped, (None, []))[0]
            pre.append(structure.capped_finding(where, capped, line, self.limit))
        settle()
        # The column letter of each field name (of its first column, for a name used twice).
        letters = {n: column_letter(i + 1) for i, n in reversed(list(enumerate(header))) if n}

        def build(items: list[_Found]) -> list[Finding]:
            return [
                make_finding(
                    code, **where, row=r, line=line, field=name, column=letters.get(name or ""), **kw
                )
                for r, line, code, name, kw in items
                if capped is None or r <= capped
            ]

        if check.groups:
            self.log(
                f"{shown}: fast engine, foreign keys: {self.fk_seconds:.2f} s reading the referenced keys "
                f"so far, {check.fk_seconds:.2f} s checking {rows} rows"
            )
        header_profile = cdmx(self.ds, spec, rawcsv.RawTable(list(header), [], [])) if profile else []
        return pre, build(pending[0] + pending[2]), header_profile + build(pending[1]), rows


_POOL: Any = None


class _Done:
    """The outcome of a task run on submission, with the part of ``Future`` the engine uses
    (``concurrent.futures`` is not imported for a run of small tables)."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.error: Exception | None = None
        try:
            self.value = fn(*args)
        except Exception as ex:
            self.error = ex

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value

    def cancel(self) -> bool:
        return True  # nothing left to run: its caller goes on at once, as after a cancelled task


class _Inline:
    """An executor that runs each task on submission, in this thread."""

    submit = _Done


def _pool(stream: CsvBlocks) -> Any:
    """Two worker threads (a block read ahead and a block's domain checks run at once), shared by
    every table of the run; none for a table of at most one full block, whose checks the hand-over
    to threads would only slow down (the shipped catalog: 0.29 s against 0.35 s)."""
    global _POOL
    if stream.path.stat().st_size <= stream.block_bytes:
        return _Inline()
    if _POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _POOL = ThreadPoolExecutor(2, thread_name_prefix="ciudades")
    return _POOL


def ahead(
    blocks: Generator[Any, int | None, None], pool: Any, size: Callable[[Any], int | None]
) -> Iterator[Any]:
    """The blocks of ``blocks``, each read and parsed in a worker while the previous one is checked.

    ``size(block)`` is sent to ``blocks`` for the size of the block after ``block`` (``None``: its
    own). It is asked before ``block`` is checked; 0 then means not to read ahead, and it is asked
    again once ``block`` has been checked. A block read ahead for nothing is not waited for.
    """
    pending: Any = pool.submit(_send, blocks, None)
    try:
        while (block := pending.result()) is not None:
            want = size(block)
            pending = pool.submit(_send, blocks, want) if want != 0 else None
            yield block
            if pending is None:
                pending = _Done(_send, blocks, size(block))
    finally:
        if pending is None or pending.cancel():
            blocks.close()
        else:
            pending.add_done_callback(lambda _f: blocks.close())


def _send(blocks: Generator[Any, int | None, None], size: int | None) -> Any:
    try:
        return blocks.send(size)
    except StopIteration:
        return None
