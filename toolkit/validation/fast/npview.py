"""NumPy views of pyarrow arrays, without pyarrow's conversion layer.

``Array.to_numpy`` imports pandas (0.3 to 0.6 s), even for an array of numbers: the engine reads
its masks and numbers straight from the arrays' buffers, and importing this module keeps pyarrow
from importing pandas elsewhere (:func:`arrow_without_pandas`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterator
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
        if not isinstance(fill, pa.Scalar | pa.Array):
            fill = pa.scalar(fill, type=values.type)
        elif values.type != fill.type:
            fill = pa.scalar(fill.as_py(), type=values.type)
        return _compute.call_function("coalesce", [values, fill])


pc = _Kernels()
_NAN = pa.scalar(float("nan"), pa.float64())


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


@remembered(32)
def missing_mask(arr: Any, values: list[str]) -> Any:
    """:func:`among` for a column's missing values, remembered (:func:`remembered`)."""
    return among(arr, values)


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
        arr = pc.fill_null(arr, pa.scalar(False, pa.bool_()))
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


def grouped(arr: Any, size: int) -> Any:
    """A string array whose item ``g`` is cells ``g*size`` to ``g*size+size-1`` of ``arr`` run
    together (its buffer shared, not copied): a regular expression with no anchors that finds no
    match in an item finds none in any of its cells, at a small part of the cost per cell."""
    offsets, data = spans(arr)
    edges = np.append(offsets[:-1:size], offsets[-1])
    return pa.Array.from_buffers(
        pa.large_string(), len(edges) - 1, [None, pa.py_buffer(edges), pa.py_buffer(data)]
    )


def numbers(arr: Any) -> Any:
    """A numeric array as a NumPy array of its own type; with nulls, float64 with NaN for them."""
    arr = _single(arr)
    if arr.null_count:
        arr = pc.fill_null(pc.cast(arr, pa.float64()), _NAN)
    dtype = np.dtype(arr.type.to_pandas_dtype())  # NumPy's type, without pandas
    n = len(arr)
    if n == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=n, offset=arr.offset * dtype.itemsize).copy()
