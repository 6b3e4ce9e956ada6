"""``toolkit.packaging.safezip``: untrusted zips (``toolkit.load``, ``ciudades download``, ``ciudades diff``)
are read within limits counted on the bytes actually inflated, not only on the sizes they declare."""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import toolkit
from toolkit.catalog.model import display_path
from toolkit.cli import cli
from toolkit.errors import ToolkitError
from toolkit.packaging import safezip
from toolkit.packaging.safezip import read_zip

MiB = 1024 * 1024


def _peak(call: Callable[[], Any]) -> tuple[ToolkitError, int]:
    """The error ``call`` raises and the most memory Python held meanwhile."""
    tracemalloc.start()
    try:
        with pytest.raises(ToolkitError) as info:
            call()
        return info.value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_honest_zip_bomb_is_refused_before_it_inflates(zip_bombs: dict[str, Path]) -> None:
    error, peak = _peak(lambda: toolkit.load(zip_bombs["honest"]))
    where = display_path(zip_bombs["honest"])
    assert error.message_en == (
        f"Refused the zip '{where}': 'pkg/data.csv' expands to more than 200 MiB, the limit per file. "
        "No data package expands that much: the file is damaged or malicious."
    )
    assert error.message_es == (
        f"Se rechazó el zip «{where}»: «pkg/data.csv» al descomprimirse ocupa más de 200 MiB, el límite "
        "por archivo. Ningún paquete de datos crece tanto al descomprimirse: el archivo está dañado o es "
        "malicioso."
    )
    assert peak < 4 * MiB  # the zip itself (300 kB) and little else


def test_a_zip_that_lies_about_its_sizes_stops_while_inflating(zip_bombs: dict[str, Path]) -> None:
    # Its directory claims 40 MiB from 300 kB (ratio 140, under every limit); it really holds 300 MB.
    with zipfile.ZipFile(zip_bombs["lying"]) as archive:
        info = archive.getinfo("pkg/data.csv")
    assert (info.file_size, info.file_size / info.compress_size < safezip.MAX_RATIO) == (40 * MiB, True)
    error, peak = _peak(lambda: toolkit.load(zip_bombs["lying"]))
    assert "'pkg/data.csv' expands to more than 200 times its compressed size." in error.message_en
    assert "«pkg/data.csv» al descomprimirse ocupa más de 200 veces su tamaño comprimido." in error.message_es
    # stopped by what it inflated, before even the 40 MiB it declares (reading it whole would hold more)
    assert peak < 40 * MiB


def test_a_zip_whose_declared_size_is_too_small_is_damaged(zip_bombs: dict[str, Path]) -> None:
    error, peak = _peak(lambda: read_zip(zip_bombs["truncated"].read_bytes(), "truncated.zip"))
    assert error.message_en == (
        "The zip 'truncated.zip' is damaged: 'pkg/data.csv' cannot be decompressed (Bad CRC-32 for file "
        "'pkg/data.csv'); download or build it again."
    )
    assert error.message_es.startswith(
        "El zip «truncated.zip» está dañado: «pkg/data.csv» no se puede descomprimir ("
    )
    assert peak < 4 * MiB


def test_diff_refuses_a_zip_bomb_in_one_line(zip_bombs: dict[str, Path], runner: Any, tmp_path: Path) -> None:
    base = tmp_path / "base.zip"
    with zipfile.ZipFile(base, "w") as archive:
        archive.writestr("pkg/datapackage.json", '{"name": "pkg", "resources": []}')
    for label, why in (
        ("honest", "«pkg/data.csv» al descomprimirse ocupa más de 200 MiB, el límite por archivo"),
        ("lying", "«pkg/data.csv» al descomprimirse ocupa más de 200 veces su tamaño comprimido"),
    ):
        head = zip_bombs[label]
        result = runner.invoke(cli, ["diff", "--base", str(base), "--head", str(head), "--lang", "es"])
        assert result.exit_code == 3, result.output
        assert result.output == (
            f"Error: Se rechazó el zip «{display_path(head)}»: {why}. Ningún paquete de "
            "datos crece tanto al descomprimirse: el archivo está dañado o es malicioso.\n"
        )


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_limits_per_zip_and_for_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    noise = {f"pkg/{n}.bin": os.urandom(MiB) for n in range(3)}  # incompressible: only the total counts
    assert read_zip(_zip(noise), "ok.zip") == noise
    monkeypatch.setattr(safezip, "MAX_TOTAL_BYTES", 2 * MiB + 1)
    with pytest.raises(ToolkitError) as info:
        read_zip(_zip(noise), "three.zip")
    assert info.value.message_en.startswith(
        "Refused the zip 'three.zip': its files expand to more than 2 MiB in all, the limit per zip."
    )
    assert "sus archivos descomprimidos ocupan más de 2 MiB en total, el límite por zip." in (
        info.value.message_es
    )
    # a small file may compress far better than 200 to 1: under 1 MiB the ratio is not judged
    zeros = {"pkg/zeros.csv": bytes(MiB)}
    assert read_zip(_zip(zeros), "zeros.zip") == zeros


def test_a_hostile_name_is_shown_escaped() -> None:
    with pytest.raises(ToolkitError) as info:
        read_zip(b"PK\x03\x04 not a zip", "x\x1b[2J.zip")
    assert info.value.message_en == "'x\\x1b[2J.zip' is not a valid zip."
    assert info.value.message_es == "«x\\x1b[2J.zip» no es un zip válido."
