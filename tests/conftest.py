from __future__ import annotations

import os
import shutil
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The shipped catalog as it stands: tests count from it, so adding a dataset or a row breaks none.
SHIPPED = sorted(p.parent.name for p in (ROOT / "datasets").glob("*/datapackage.yaml"))
SHIPPED_TABLES = sum(
    len(list(yaml.safe_load(p.read_text(encoding="utf-8"))["resources"]))
    for p in (ROOT / "datasets").glob("*/datapackage.yaml")
)
# The version of the standard in schemas/standard.yaml (a release of the standard changes it).
STANDARD_VERSION = str(
    yaml.safe_load((ROOT / "schemas" / "standard.yaml").read_text(encoding="utf-8"))["version"]
)
# Debian's chromium (installed by .ci/run), driven by Playwright; Playwright's own browser is never used.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped catalog (datasets/ and schemas/) that a test may break."""
    shutil.copytree(ROOT / "datasets", tmp_path / "datasets")
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    return tmp_path / "datasets"


def _declare_size(data: bytes, name: str, size: int) -> bytes:
    """The zip ``data`` with the uncompressed size of ``name`` rewritten in its local header and its
    central directory entry: the lie a hostile zip tells."""
    out, encoded = bytearray(data), name.encode()
    for signature, name_at, size_at, header in ((b"PK\x03\x04", 26, 22, 30), (b"PK\x01\x02", 28, 24, 46)):
        at = out.find(signature)
        while at >= 0:
            length = struct.unpack_from("<H", out, at + name_at)[0]
            if out[at + header : at + header + length] == encoded:
                struct.pack_into("<I", out, at + size_at, size)
            at = out.find(signature, at + 4)
    return bytes(out)


@pytest.fixture(scope="session")
def zip_bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Package zips whose ``pkg/data.csv`` is 300 MB of zeros in about 300 kB, generated here (never
    committed). ``honest`` declares its real size; ``lying`` declares 40 MiB, within every limit
    (200 MiB a file, ratio 200); ``truncated`` declares 1,000 bytes."""
    folder = tmp_path_factory.mktemp("zip-bombs")
    honest = folder / "honest.zip"
    descriptor = '{"name": "pkg", "resources": [{"name": "data", "path": "data.csv"}]}'
    with zipfile.ZipFile(honest, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("pkg/datapackage.json", descriptor)
        with archive.open("pkg/data.csv", "w") as member:
            zeros = bytes(1024 * 1024)
            for _ in range(300):
                member.write(zeros)
    data = honest.read_bytes()
    out = {"honest": honest}
    for label, size in (("lying", 40 * 1024 * 1024), ("truncated", 1000)):
        out[label] = folder / f"{label}.zip"
        out[label].write_bytes(_declare_size(data, "pkg/data.csv", size))
    return out


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for every browser test (Playwright allows one sync instance at a time)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()
