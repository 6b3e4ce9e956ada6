"""Replacing an output folder safely: one writer at a time, an atomic swap, recovery after a crash.

``package`` and ``build`` write into a temporary folder next to the output and swap it into place.
This module makes that hold up against the faults a user meets:

* two runs on the same output at once: an exclusive ``flock`` on ``.NAME.lock`` next to the output
  serialises them, so the second waits and then replaces the first one's complete result;
* a kill at any moment: on Linux the swap is one ``renameat2(RENAME_EXCHANGE)``, so the output path
  always holds a complete folder; elsewhere (two renames) a later run puts back a previous output
  left aside as ``.NAME.*.old`` and removes the temporary folders of dead runs;
* a full disk or a file-size limit: the error becomes a :class:`ToolkitError` with a message, the
  temporary folder is removed and the previous output stays as it was.
"""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

from toolkit.catalog.model import Catalog, display_path
from toolkit.errors import ToolkitError, UsageError

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_DISK_FULL = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}

# Writes nested in a locked write (the site's downloads/ folder is a package inside the site's
# temporary folder) need no lock of their own: nobody else knows that folder.
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("inside_output_lock", default=False)


def _libc_renameat2() -> Callable[..., int] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_renameat2 = _libc_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths; False when the system cannot (then the caller falls back)."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # old kernel or a filesystem without it
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap(tmp: Path, out: Path) -> None:
    """Put the complete folder ``tmp`` where ``out`` is and delete the previous output.

    ``out`` always names a complete folder: the previous one until the swap, the new one after.
    """
    if not out.exists():
        os.replace(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous output
        return
    old = out.parent / f".{out.name}.{os.getpid()}.old"
    shutil.rmtree(old, ignore_errors=True)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _recover(out: Path) -> None:
    """Undo what a killed run left: restore a previous output set aside, drop temporary folders."""
    mine = re.compile(rf"\.{re.escape(out.name)}\.[^.]+\.(tmp|old)")
    leftovers = sorted(
        (p for p in out.parent.iterdir() if mine.fullmatch(p.name) and p.is_dir()),
        key=lambda p: p.stat().st_mtime,
    )
    if not out.exists():
        olds = [p for p in leftovers if p.suffix == ".old"]
        if olds:
            os.replace(olds[-1], out)
            leftovers.remove(olds[-1])
    for p in leftovers:
        shutil.rmtree(p, ignore_errors=True)


def disk_full(ex: BaseException) -> ToolkitError | None:
    """The message for a write that failed for lack of room (any command), or None."""
    if not isinstance(ex, OSError) or ex.errno not in _DISK_FULL:
        return None
    where = f" «{ex.filename}»" if ex.filename else ""
    where_en = f" '{ex.filename}'" if ex.filename else ""
    return ToolkitError(
        f"No hay espacio para escribir{where} (disco lleno o límite de tamaño de archivo: {ex.strerror}); "
        "libera espacio y vuelve a ejecutar.",
        f"No room to write{where_en} (disk full or file size limit: {ex.strerror}); "
        "free some space and run again.",
    )


def _disk_full(ex: OSError, out: Path) -> ToolkitError:
    where = display_path(out)
    return ToolkitError(
        f"No hay espacio para escribir «{where}» (disco lleno o límite de tamaño de archivo: "
        f"{ex.strerror}). La salida anterior quedó intacta; libera espacio y vuelve a ejecutar.",
        f"No room to write '{where}' (disk full or file size limit: {ex.strerror}). "
        "The previous output is intact; free some space and run again.",
    )


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the exclusive lock of output folder ``out`` (its parent must exist).

    Inside, a killed earlier run has been cleaned up and a full disk surfaces as a ToolkitError.
    """
    if _inside.get():
        yield
        return
    lock = out.parent / f".{out.name}.lock"
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # The previous holder removes the file when it is done; a lock on a removed file
            # excludes nobody, so take it again on the file that is there now.
            if os.path.exists(lock) and os.stat(lock).st_ino == os.fstat(fd).st_ino:
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
    token = _inside.set(True)
    try:
        _recover(out)
        yield
    except OSError as ex:
        if ex.errno in _DISK_FULL:
            raise _disk_full(ex, out) from None
        raise
    finally:
        _inside.reset(token)
        with contextlib.suppress(OSError):
            os.unlink(lock)
        os.close(fd)


def refuse_overlap(out: Path, catalog: Catalog, example: str) -> None:
    """An output folder that is, holds or sits inside a source folder would be replaced whole or
    written into the sources: refuse it (exit 2) and suggest ``example``."""
    sources = [p for p in (catalog.folder, catalog.schemas_dir) if p is not None]
    sources += [ds.folder for ds in catalog.datasets]
    for src in sources:
        src = src.resolve()
        if out == src or out.is_relative_to(src) or src.is_relative_to(out):
            raise UsageError(
                f"La carpeta de salida «{display_path(out)}» se cruza con las fuentes "
                f"(«{display_path(src)}»); elige otra, p. ej. {example}.",
                f"The output folder '{display_path(out)}' overlaps the sources "
                f"('{display_path(src)}'); choose another, e.g. {example}.",
            )
