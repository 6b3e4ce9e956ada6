"""Cell checks of the fast engine: a vectorised test, then frictionless's reading of the rest.

The vectorised tests only accept, and only a subset of what frictionless accepts (plain decimal numbers,
ISO dates that survive a round trip, patterns RE2 and Python read alike…). Any other cell (``007``, `` 5``,
every invalid one) is read once per distinct value by the field's cell reader (frictionless's, or its copy
``schema.own_cell_reader``): every type and constraint error is frictionless's own.

They stand on NumPy views of pyarrow arrays, read straight from the arrays' buffers without pyarrow's
conversion layer (``Array.to_numpy`` imports pandas, 0.3 to 0.6 s, even for an array of numbers), and
on pyarrow's kernels called without importing ``pyarrow.compute`` (``pc``): the first half of this module.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pyarrow as pa
from pyarrow import _compute


def arrow_without_pandas() -> None:
    """Keep pyarrow from importing pandas (0.3 to 0.6 s) just to ask whether a list is a pandas object.

    pyarrow asks once, at its first conversion of a list; ``to_pandas`` still imports pandas when
    it needs it. The engine names the type of every array it builds, so none needs pandas to infer."""
    if "pandas" in sys.modules:
        return

    class _NotYet:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name == "pandas" or name.startswith("pandas."):
                raise ImportError("pandas is not needed to validate")

    blocker = _NotYet()
    sys.meta_path.insert(0, blocker)
    try:
        pa.array([], pa.string())
    finally:
        sys.meta_path.remove(blocker)


arrow_without_pandas()


class _Kernels:
    """pyarrow's compute functions by ``pyarrow.compute``'s names and arguments, without its import (20
    to 30 ms: some 290 docstrings written), which the arrays' ``take``, ``cast``… methods make."""

    def __getattr__(self, name: str) -> Any:
        func = _compute.get_function(name)
        arity, options = func.arity, func._doc.options_class

        def call(*args: Any, **kwargs: Any) -> Any:  # as pyarrow.compute's own wrappers call it
            given, extra = (args, ()) if arity is Ellipsis else (args[:arity], args[arity:])
            return func.call(given, getattr(_compute, options)(*extra, **kwargs) if extra or kwargs else None)

        setattr(self, name, call)
        return call

    def fill_null(self, values: Any, fill: Any) -> Any:  # pyarrow.compute's own, not a kernel
        fill = fill.as_py() if isinstance(fill, pa.Scalar) else fill  # a value, never an array here
        return _compute.call_function("coalesce", [values, pa.scalar(fill, type=values.type)])


pc = _Kernels()


def text(value: str) -> Any:
    """A string scalar for compute functions (for a bare ``str`` pyarrow infers a type, importing pandas)."""
    return pa.scalar(value, pa.string())


def arrow(values: Any) -> Any:
    """A NumPy mask or positions (or a list of them) as a pyarrow bool or int64 array, from its buffer:
    ``pa.array`` of a NumPy array imports ``numpy.ma`` (10 ms of every run) to ask if it is masked."""
    a = np.asarray(values)
    if a.dtype == bool:
        bits = np.packbits(a, bitorder="little")
        return pa.Array.from_buffers(pa.bool_(), len(a), [None, pa.py_buffer(bits)])
    a = np.ascontiguousarray(a, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(a), [None, pa.py_buffer(a)])


@contextlib.contextmanager
def lean_memory() -> Iterator[None]:
    """Allocate Arrow memory from jemalloc while the engine runs (unless ``ARROW_DEFAULT_MEMORY_POOL``
    names a pool): it returns freed pages, which the default mimalloc keeps (110 MiB more on 1M rows)."""
    previous = pa.default_memory_pool()
    with contextlib.suppress(NotImplementedError):  # a pyarrow build without jemalloc
        if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def among(arr: Any, values: list[str]) -> Any:
    """A NumPy mask: which cells of a string array equal one of ``values`` (null: False). Where few
    cells are as long as a value (the offsets say), only their bytes are compared (a third of pc.equal)."""
    if len(arr) <= 128:  # Python's == costs less than the calls below (a third at 40 cells)
        return np.array([cell in values for cell in arr.to_pylist()], dtype=bool)
    if len(values) > 4:
        return bools(pc.is_in(arr, value_set=pa.array(values, pa.string())))
    offsets, data = spans(arr)
    size = offsets[1:] - offsets[:-1]
    out = size == 0 if "" in values else np.zeros(len(size), dtype=bool)
    for value in set(values) - {""}:
        token = value.encode()
        hit = size == len(token)
        if np.count_nonzero(hit) * len(token) > len(size) // 8:  # many: pc.equal skips the rest as fast
            out |= bools(pc.equal(arr, text(value)))
            continue
        at = np.flatnonzero(hit)
        for k, byte in enumerate(token):
            at = at[data[offsets[at] + k] == byte]
        out[at] = True
    return out & bools(pc.is_valid(arr)) if arr.null_count else out


def remembered(size: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A function of an array, remembered for its last ``size`` arrays and arguments: the structure
    and the domain checks of a block ask it of the same columns, in two threads (the second waits
    for the first). The arrays it returns are shared, so read-only."""

    def wrap(compute: Callable[..., Any]) -> Callable[..., Any]:
        memo: dict[tuple[int, str], tuple[Any, Any]] = {}
        lock = threading.Lock()

        @functools.wraps(compute)
        def remember(arr: Any, *args: Any) -> Any:
            key = (id(arr), repr(args))  # a list of missing values cannot be hashed
            with lock:
                hit = memo.get(key)
                if hit is None or hit[0] is not arr:  # not an array since collected that had its id
                    hit = memo[key] = (arr, compute(arr, *args))
                    for out in hit[1] if isinstance(hit[1], tuple) else (hit[1],):
                        out.flags.writeable = False
                    if len(memo) > size:
                        memo.pop(next(iter(memo)))
            return hit[1]

        return remember

    return wrap


missing_mask = remembered(32)(among)  # a column's missing values, asked by every check of a block


def _single(arr: Any) -> Any:
    if isinstance(arr, pa.ChunkedArray):
        return arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    return arr


def bools(arr: Any) -> Any:
    """A boolean array as a NumPy bool array, null as False."""
    arr = _single(arr)
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if arr.null_count:
        arr = pc.fill_null(arr, False)
    bits = np.frombuffer(arr.buffers()[1], dtype=np.uint8)
    return np.unpackbits(bits, bitorder="little", count=arr.offset + n)[arr.offset :].astype(bool)


def spans(arr: Any) -> tuple[Any, Any]:
    """A string array's bytes: the int64 offsets of its cells in its data buffer (one more than cells; a
    null cell spans whatever bytes the buffer holds) and the buffer as uint8."""
    arr = _single(arr)
    n = len(arr)
    bufs = arr.buffers()
    if n == 0 or bufs[1] is None or bufs[2] is None:
        return np.zeros(n + 1, dtype=np.int64), np.zeros(0, dtype=np.uint8)
    width = np.dtype(np.int64 if pa.types.is_large_string(arr.type) else np.int32)
    offsets = np.frombuffer(bufs[1], dtype=width, count=n + 1, offset=arr.offset * width.itemsize)
    return offsets.astype(np.int64), np.frombuffer(bufs[2], dtype=np.uint8)


def numbers(arr: Any) -> Any:
    """A numeric array as a NumPy array of its own type; with nulls, float64 with NaN for them."""
    arr = _single(arr)
    if arr.null_count:
        arr = pc.fill_null(pc.cast(arr, pa.float64()), float("nan"))
    dtype = np.dtype(arr.type.to_pandas_dtype())  # NumPy's type, without pandas
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=n, offset=arr.offset * dtype.itemsize).copy()


# cell checks

# Types whose parsed values compare by their string form; number and datetime keys fall back.
KEY_CLASSES = {
    "string": "str",
    "any": "str",
    "integer": "int",
    "year": "int",
    "date": "date",
    "boolean": "bool",
}
_INT = "^-?[0-9]{1,18}$"
_URI_SCHEME = "^[a-zA-Z][a-zA-Z0-9+.-]*:"
_BOUNDS = {
    "minimum": np.greater_equal,
    "maximum": np.less_equal,
    "exclusiveMinimum": np.greater,
    "exclusiveMaximum": np.less,
}
_INT64 = (1 << 63) - 1
_EPOCH = dt.date(1970, 1, 1)


@dataclass(eq=False)
class CellError:
    """The attributes of a frictionless error that ``structure.to_finding`` reads."""

    type: str
    row_number: int | None
    note: str = ""
    field_name: str | None = None
    field_number: int | None = None
    cell: str | None = None
    label: str | None = None
    field_names: list[str] = field(default_factory=list)
    field_cells: list[str] = field(default_factory=list)
    reference_name: str | None = None
    reference_field_names: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        return self.note


@functools.lru_cache(maxsize=256)  # the same schemas' patterns, table after table
def _safe_pattern(pattern: str) -> bool:
    """Whether RE2 accepting ``^pattern$`` implies that Python's ``re.match`` accepts it too."""
    import re._parser as sre_parse

    try:
        parsed = sre_parse.parse(pattern)
    except re.error:
        return False
    if parsed.state.flags & ~re.UNICODE:
        return False

    def walk(items: Any, top: bool = False) -> bool:
        return all(allowed(str(op), arg, top) for op, arg in items)

    def allowed(name: str, arg: Any, top: bool) -> bool:
        if name == "BRANCH":  # at the top, "^a|b$" is (^a)|(b$): RE2 would anchor it otherwise
            return not top and all(map(walk, arg[1]))
        if name == "IN":  # a class's \d, \w or \s is refused below, with every such escape
            return all(str(o) in ("LITERAL", "RANGE") for o, _a in arg)
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            return walk(arg[2])
        if name == "SUBPATTERN":
            return not arg[1] and not arg[2] and walk(arg[3])
        return name in ("LITERAL", "ANY", "RANGE")

    return walk(parsed, True) and not re.search(r"\\[pPbBAZzdDwWsS]", pattern.replace("\\\\", ""))


def _plain_digits(value: Any) -> bool:
    """A number constraint whose comparisons float64 reproduces exactly (at most 15 digits)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    d = Decimal(str(value))
    return d.is_finite() and len(d.as_tuple().digits) <= 15 and abs(d) < Decimal(10) ** 15


class FieldPlan:
    """How one expected field's cells are checked: the fast test and the exact reader."""

    def __init__(self, field: Any, schema_missing: list[str], number: int) -> None:
        self.field = field
        self.name: str = field.name
        self.number = number
        self.type: str = field.type
        self.format: str = getattr(field, "format", "default") or "default"
        own = field.missing_values if field.has_defined("missing_values") else schema_missing
        self.missing: list[str] = [str(v) for v in own]
        self.constraints: dict[str, Any] = dict(field.constraints or {})
        self.reader = field.create_cell_reader()
        self.value_reader = field.create_value_reader()
        self.exact = functools.lru_cache(maxsize=200_000)(self._exact)
        self.vectorised = self._plan()
        # A missing value frictionless reads with no note needs no exact reading outside a key. A
        # required field never takes one (asking would load frictionless's reader for nothing).
        self.missing_fine = not self.constraints.get("required") and not any(
            self.exact(v)[1] for v in self.missing
        )
        self.key_class = KEY_CLASSES.get(self.type)

    def _exact(self, source: Any) -> tuple[Any, list[tuple[str, str]]]:
        """frictionless's reading of one cell (``exact``, cached by cell): the parsed value and its
        notes in their order (a type note comes alone: only a value is checked for constraints)."""
        target, notes = self.reader(source)
        return target, [
            ("type-error" if k == "type" else "constraint-error", n) for k, n in (notes or {}).items()
        ]

    def canonical(self, target: Any) -> str | None:
        return None if target is None else str(target)

    def _plan(self) -> bool:
        c = self.constraints
        t, fmt = self.type, self.format
        self.enum_strings: list[str] | None = None
        if "enum" in c:
            try:
                self.enum_targets = [self.value_reader(v) for v in c["enum"]]
            except (TypeError, ValueError, InvalidOperation):
                return False
        if t in ("string", "any"):
            if t == "string" and fmt not in ("default", "uri"):
                return False
            if "pattern" in c and not (isinstance(c["pattern"], str) and _safe_pattern(c["pattern"])):
                return False
            if "enum" in c:
                self.enum_strings = [v for v in self.enum_targets if isinstance(v, str)]
            return True
        if t in ("integer", "year"):
            return self._limits(int)
        if t == "number":
            group = getattr(self.field, "group_char", "") or ""
            decimal = getattr(self.field, "decimal_char", ".") or "."
            if len(decimal) != 1 or len(group) > 1 or group == decimal:
                return False
            if any(c == "-" or c.isdigit() for c in group + decimal):
                return False
            groups = f"(?:{re.escape(group)}[0-9]+)*" if group else ""
            self.number_regex = f"^-?[0-9]+{groups}(?:{re.escape(decimal)}[0-9]+)?$"
            self.group, self.decimal = group, decimal
            return self._limits(float)
        if t == "boolean":
            return "enum" not in c
        if t == "date":
            return fmt == "default" and self._limits(dt.date)
        return False

    def _limits(self, kind: type) -> bool:
        """Read the bounds and the enum members as what :meth:`_compare` compares the cells'
        values with (a date as days since 1970), or say that the comparison would not be exact:
        a bound beyond int64 or a member that is not plainly of ``kind``."""

        def number(value: Any) -> Any:
            if kind is int:
                return value if isinstance(value, int) and not isinstance(value, bool) else None
            if kind is float:
                return float(value) if _plain_digits(value) else None
            plain = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
            return (value - _EPOCH).days if plain else None

        c = self.constraints
        self.bounds: list[tuple[Any, Any]] = []
        for name, op in _BOUNDS.items():
            if name in c:
                limit = number(self.value_reader(c[name]))
                if limit is None or not -_INT64 <= limit <= _INT64:
                    return False
                self.bounds.append((op, limit))
        self.members: list[Any] | None = None
        if "enum" in c:
            self.members = [number(v) for v in self.enum_targets]
            if None in self.members:
                return False
            self.members = [m for m in self.members if -_INT64 <= m <= _INT64]
        return True

    def certainly_valid(self, raw: Any, missing: Any, *, keyed: bool = True) -> tuple[Any, Any]:
        """A mask of cells that are certainly valid with no notes, and their canonical key text
        (only built for a field in a key: ``keyed``)."""
        n = len(raw)
        if not self.vectorised or n == 0:
            return np.zeros(n, dtype=bool), None
        ok = ~missing
        c = self.constraints
        t = self.type
        canon = raw if t in ("string", "any", "date") else None  # else built below, where needed
        if t in ("string", "any"):
            if self.format == "uri":  # http and https by a prefix test, any other scheme by RE2
                web = bools(pc.starts_with(raw, "http:")) | bools(pc.starts_with(raw, "https:"))
                ok &= web | _where(
                    raw, ok & ~web, lambda sub: bools(pc.match_substring_regex(sub, _URI_SCHEME))
                )
            if "minLength" in c:
                ok &= numbers(pc.utf8_length(raw)) >= c["minLength"]
            if "maxLength" in c:  # no more characters than bytes: only longer cells are counted
                most = c["maxLength"]
                offsets, _data = spans(raw)
                long = offsets[1:] - offsets[:-1] > most
                ok &= ~long | _where(raw, ok & long, lambda sub: numbers(pc.utf8_length(sub)) <= most)
            if "pattern" in c:
                ok &= bools(pc.match_substring_regex(raw, "^" + c["pattern"] + "$"))
            if self.enum_strings is not None:
                ok &= missing_mask(raw, self.enum_strings)  # among, shared with the privacy scan
        elif t in ("integer", "year"):  # digits alone from a kernel a fifth the cost of RE2
            offsets, _data = spans(raw)
            size = offsets[1:] - offsets[:-1]
            digits = bools(pc.ascii_is_decimal(raw)) & (size <= 18 if t == "integer" else size == 4)
            if t == "integer":  # a sign: RE2 on those cells only
                digits |= _where(raw, ok & ~digits, lambda sub: bools(pc.match_substring_regex(sub, _INT)))
            ok &= digits
            values = pc.fill_null(pc.cast(_kept(raw, ok), pa.int64()), 0)
            ok &= self._compare(numbers(values))
            canon = pc.cast(values, pa.string()) if keyed else None
        elif t == "number":
            ok &= bools(pc.match_substring_regex(raw, self.number_regex))
            offsets, _data = spans(raw)
            long = offsets[1:] - offsets[:-1] > 15  # no more digits than bytes: count those of longer cells
            ok &= ~long | _where(raw, ok & long, self._few_digits)
            values = numbers(pc.cast(self._plain(_kept(raw, ok)), pa.float64()))
            ok &= self._compare(values)
        elif t == "boolean":
            truthy = [str(v) for v in self.field.true_values]
            ok &= among(raw, truthy + [str(v) for v in self.field.false_values])
            if keyed:
                canon = pc.if_else(arrow(among(raw, truthy)), text("True"), text("False"))
        elif t == "date":
            valid, days = iso_days(raw)
            ok &= valid & self._compare(days)
        return ok, canon

    def _plain(self, text: Any) -> Any:
        """Numbers as Python writes them: no group character, a decimal point."""
        if self.group:
            text = pc.replace_substring(text, self.group, "")
        return pc.replace_substring(text, self.decimal, ".") if self.decimal != "." else text

    def _few_digits(self, text: Any) -> Any:
        """Which numbers (of the shape ``number_regex`` accepts) have at most 15 digits."""
        text = self._plain(text)
        starts = bools(pc.starts_with(text, "-"))
        return numbers(pc.utf8_length(text)) - starts - bools(pc.match_substring(text, ".")) <= 15

    def _compare(self, values: Any) -> Any:
        ok = np.ones(len(values), dtype=bool)
        for op, limit in self.bounds:
            ok &= op(values, limit)
        if self.members is not None:
            ok &= np.isin(values, np.array(self.members, dtype=values.dtype))
        return ok


@remembered(16)  # the structure and the domain checks read the same date columns
def iso_days(values: Any) -> tuple[Any, Any]:
    """For a pyarrow string array: which cells are ``YYYY-MM-DD`` calendar dates from year 1 on (what
    ``strptime("%Y-%m-%d")`` and ``date.fromisoformat`` accept in that shape) and their days since
    1970-01-01, read from each cell's ten bytes (a quarter of the time of a regular expression)."""
    ok, days = np.zeros(len(values), dtype=bool), np.zeros(len(values), dtype=np.int64)
    offsets, data = spans(values)  # no bytes: no cell is ten bytes long
    cand = (offsets[1:] - offsets[:-1]) == 10
    if values.null_count:
        cand &= bools(pc.is_valid(values))
    at = np.flatnonzero(cand)
    if not len(at):
        return ok, days
    first = int(offsets[at[0]])
    if int(offsets[at[-1]]) - first == 10 * (len(at) - 1):
        # The usual column: only empty cells between the ten-byte ones, which lie back to back.
        cells = data[first : first + 10 * len(at)].reshape(-1, 10)
    else:
        cells = data[offsets[at][:, None] + np.arange(10)]
    # Bytes 0 to 7 and 8 to 9 as integers, each byte XOR its expected "0" (or "-"): a digit
    # becomes 0 to 9 and a dash 0; adding 0x76 to a byte sets its high bit from 10 up.
    both = np.ascontiguousarray(cells).view(np.dtype([("a", "<u8"), ("b", "<u2")])).ravel()
    x, z = both["a"] ^ _DASHES, (both["b"] ^ np.uint16(0x3030)).astype(np.uint64)
    high = np.uint64(0x8080808080808080)
    shaped = ((x + np.uint64(0x7676767676767676)) | x) & high == 0
    shaped &= (x & np.uint64(0xFF0000FF00000000) == 0) & (((z + np.uint64(0x7676)) | z) & high == 0)
    x, z = x[shaped].astype(np.int64), z[shaped].astype(np.int64)

    def byte(v: Any, i: int) -> Any:
        return (v >> (8 * i)) & 0xFF

    y = byte(x, 0) * 1000 + byte(x, 1) * 100 + byte(x, 2) * 10 + byte(x, 3)
    m, d = byte(x, 5) * 10 + byte(x, 6), byte(z, 0) * 10 + byte(z, 1)
    good = (y >= 1) & (d >= 1) & (d <= _MONTH_DAYS[m] + (_LEAP[y] & (m == 2)))
    at, y, m, d = at[shaped][good], y[good], m[good], d[good]
    ok[at] = True
    days[at] = _JAN_1[y] + _DAYS_BEFORE[m] + (_LEAP[y] & (m > 2)) + d - 1
    return ok, days


# By year (0 to 9999): whether it is a leap year, and the days from 1970-01-01 to its 1 January;
# by month (0 to 99, a month outside 1 to 12 has no days): its days, and the days before it.
_LEAP = (np.arange(10_000) % 4 == 0) & ((np.arange(10_000) % 100 != 0) | (np.arange(10_000) % 400 == 0))
_JAN_1 = np.concatenate(([0], np.cumsum(365 + _LEAP[:-1], dtype=np.int64)))
_JAN_1 -= _JAN_1[1970]
_MONTH_DAYS = np.zeros(100, dtype=np.int64)
_MONTH_DAYS[1:13] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
_DAYS_BEFORE = np.concatenate(([0, 0], np.cumsum(_MONTH_DAYS[1:12]), np.zeros(87, dtype=np.int64)))
_DASHES = np.uint64(0x2D30302D30303030)  # "0000-00-" as a little-endian integer


def _kept(raw: Any, ok: Any) -> Any:
    """``raw`` with the cells ``ok`` does not keep made null, its bytes shared (what a cast reads)."""
    bits = np.packbits(np.concatenate((np.zeros(raw.offset, dtype=bool), ok)), bitorder="little")
    return pa.Array.from_buffers(
        raw.type, len(raw), [pa.py_buffer(bits), *raw.buffers()[1:]], offset=raw.offset
    )


def _where(raw: Any, rows: Any, test: Callable[[Any], Any]) -> Any:
    """A mask: ``test`` of the cells of ``raw`` at ``rows`` (a mask), False elsewhere."""
    out = np.zeros(len(raw), dtype=bool)
    at = np.flatnonzero(rows)
    if len(at):
        out[at] = test(pc.take(raw, arrow(at)))
    return out
