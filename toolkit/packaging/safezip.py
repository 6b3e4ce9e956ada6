"""Reading an untrusted zip whole, with limits on what it may expand to.

A zip's directory declares each file's sizes, but whoever made the zip wrote those numbers. The
limits are checked twice: against the declared sizes before anything is inflated (an honest zip bomb
is refused at once), and against the bytes actually inflated and the compressed bytes actually read
while each file streams out (a zip that lies about its sizes stops at the limit, not after).
"""

from __future__ import annotations

import io
import lzma
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from toolkit.errors import ToolkitError, shown

__all__ = ["MAX_FILE_BYTES", "MAX_RATIO", "MAX_TOTAL_BYTES", "RATIO_FLOOR", "read_zip"]

MAX_TOTAL_BYTES = 1024 * 1024 * 1024  # inflated from one zip, all its files together
MAX_FILE_BYTES = 200 * 1024 * 1024  # inflated from one file of a zip
MAX_RATIO = 200  # inflated bytes per compressed byte
# A small file may compress very well (a column of zeros): only larger ones are judged by ratio.
RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024
# What a damaged or hostile zip raises as it is opened or inflated: a bad CRC or header, an offset
# before the start of the file, a truncated or corrupt stream (deflate, bzip2, lzma), an encrypted
# member, a zip version or compression method Python does not have.
_DAMAGED = (
    zipfile.BadZipFile,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
)


class _Counted:
    """The zip as a file that counts what is read from it: while one member streams out, the count
    is the compressed bytes it really took, whatever its directory entry says."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def read(self, n: int = -1, /) -> bytes:
        data = self._raw.read(n)
        self.count += len(data)
        return data

    def seek(self, offset: int, whence: int = 0, /) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return True


def _refused(where: str, es: str, en: str) -> ToolkitError:
    return ToolkitError(
        f"Se rechazó el zip «{shown(where)}»: {es}. Ningún paquete de datos crece tanto al "
        "descomprimirse: el archivo está dañado o es malicioso.",
        f"Refused the zip '{shown(where)}': {en}. No data package expands that much: the file is "
        "damaged or malicious.",
    )


def _check(where: str, name: str, size: int, packed: int, total: int) -> None:
    """Refuse a file of ``size`` inflated bytes from ``packed`` compressed ones, ``total`` so far."""
    member = shown(name)
    if size > MAX_FILE_BYTES:
        raise _refused(
            where,
            f"«{member}» al descomprimirse ocupa más de {MAX_FILE_BYTES // 1_048_576} MiB, el límite "
            "por archivo",
            f"'{member}' expands to more than {MAX_FILE_BYTES // 1_048_576} MiB, the limit per file",
        )
    if size > RATIO_FLOOR and size > MAX_RATIO * max(packed, 1):
        raise _refused(
            where,
            f"«{member}» al descomprimirse ocupa más de {MAX_RATIO} veces su tamaño comprimido",
            f"'{member}' expands to more than {MAX_RATIO} times its compressed size",
        )
    if total > MAX_TOTAL_BYTES:
        raise _refused(
            where,
            f"sus archivos descomprimidos ocupan más de {MAX_TOTAL_BYTES // 1_048_576} MiB en total, el "
            "límite por zip",
            f"its files expand to more than {MAX_TOTAL_BYTES // 1_048_576} MiB in all, the limit per zip",
        )


def read_zip(source: bytes | Path, where: str) -> dict[str, bytes]:
    """Every file of the zip ``source`` (its bytes, or its path), by name; folders are left out.

    Raises :class:`~toolkit.errors.ToolkitError` naming ``where`` when the zip is not valid, is
    damaged, or would expand beyond :data:`MAX_FILE_BYTES` a file, :data:`MAX_TOTAL_BYTES` in all or
    :data:`MAX_RATIO` times a file's compressed size (files over :data:`RATIO_FLOOR`).
    """
    raw: BinaryIO = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    with raw:
        counted = _Counted(raw)
        try:
            archive = zipfile.ZipFile(counted)
        except _DAMAGED:
            raise ToolkitError(
                f"«{shown(where)}» no es un zip válido.", f"'{shown(where)}' is not a valid zip."
            ) from None
        with archive:
            if any(not i.filename for i in archive.infolist()):
                raise ToolkitError(
                    f"El zip «{shown(where)}» está dañado: tiene un archivo sin nombre; "
                    "descárgalo o genéralo de nuevo.",
                    f"The zip '{shown(where)}' is damaged: it holds a file without a name; "
                    "download or build it again.",
                )
            infos = [i for i in archive.infolist() if not i.is_dir()]
            declared = 0
            for info in infos:
                declared += info.file_size
                _check(where, info.filename, info.file_size, info.compress_size, declared)
            files: dict[str, bytes] = {}
            total = 0
            for info in infos:
                files[info.filename] = _inflate(archive, info, counted, where, total)
                total += len(files[info.filename])
    return files


def _inflate(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, counted: _Counted, where: str, before: int
) -> bytes:
    data = bytearray()
    try:
        with archive.open(info) as member:
            start = counted.count  # the local header is read by open(): not part of the compressed data
            while chunk := member.read(_CHUNK):
                data += chunk
                _check(where, info.filename, len(data), counted.count - start, before + len(data))
    except _DAMAGED as ex:
        raise ToolkitError(
            f"El zip «{shown(where)}» está dañado: «{shown(info.filename)}» no se puede descomprimir "
            f"({shown(str(ex))}); descárgalo o genéralo de nuevo.",
            f"The zip '{shown(where)}' is damaged: '{shown(info.filename)}' cannot be decompressed "
            f"({shown(str(ex))}); download or build it again.",
        ) from None
    return bytes(data)
