"""The toolkit as a stranger gets it: a wheel built from this repository, installed into a fresh
environment outside it, runs the pipeline on a catalog that has no schemas/ folder of its own."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

import pytest


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def dist(root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: the build backend (hatchling) from this environment, no download.
    run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(root)],
        cwd=out,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def root() -> Path:
    return Path(__file__).resolve().parent.parent


def test_twine_accepts_the_sdist_and_the_wheel(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    out = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)], cwd=dist)
    assert out.count("PASSED") == 2


def test_the_wheel_holds_templates_standard_map_and_metadata(dist: Path, root: Path) -> None:
    [wheel] = dist.glob("*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        [meta_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        meta = zf.read(meta_name).decode()
    for p in (root / "schemas").rglob("*"):
        if p.is_file():
            assert f"toolkit/schemas/{p.relative_to(root / 'schemas').as_posix()}" in names
    assert "toolkit/site_templates/base.html" in names
    assert "toolkit/site_templates/map/world-110m.json" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for line in ("License-Expression: MIT", "Project-URL: Source, ", "Classifier: Programming Language ::"):
        assert line in meta
    assert "Description-Content-Type: text/markdown" in meta and "# Ciudades al Mundo" in meta


def install_wheel(dist: Path, root: Path, tmp_path: Path) -> tuple[Path, Path, Path, dict[str, str]]:
    """The wheel installed into a fresh venv outside the repository: (python, ciudades, an empty
    working folder, the environment to run them in)."""
    [wheel] = dist.glob("*.whl")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    site = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path
        ).strip()
    )
    # The dependencies come from this environment (appended after the new venv's own site-packages,
    # so toolkit itself is the wheel's); a .pth line adds a folder without running its .pth files,
    # so an editable install of the repository there is not picked up.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    run([*pip, str(wheel)], cwd=tmp_path)
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env |= {"CI": "true", "LANG": "C.UTF-8"}
    where = run([str(python), "-c", "import toolkit; print(toolkit.__file__)"], cwd=work, env=env).strip()
    assert Path(where).is_relative_to(site), where
    assert not Path(where).is_relative_to(root)
    return python, venv / "bin" / "ciudades", work, env


def test_the_installed_wheel_runs_the_pipeline_without_the_repository(
    dist: Path, root: Path, tmp_path: Path
) -> None:
    python, ciudades_bin, work, env = install_wheel(dist, root, tmp_path)
    ciudades = str(ciudades_bin)

    # The shipped datasets, without schemas/ and without catalog.yaml's `schemas:` line.
    shutil.copytree(root / "datasets", work / "datasets")
    catalog = work / "datasets" / "catalog.yaml"
    lines = catalog.read_text(encoding="utf-8").splitlines()
    catalog.write_text("\n".join(x for x in lines if not x.startswith("schemas:")) + "\n", encoding="utf-8")
    assert not (work / "schemas").exists()

    out = run([ciudades, "schemas", "--lang", "en"], cwd=work, env=env)
    assert "toolkit/schemas/agreements.schema.yaml" in out and "installed" in out
    # A schema named outside any catalog comes from the installed standard too.
    run([ciudades, "template", "agreements", "--out", "agreements.xlsx", "--lang", "en"], cwd=work, env=env)
    assert (work / "agreements.xlsx").stat().st_size > 0
    out = run([ciudades, "validate", "datasets", "--lang", "en"], cwd=work, env=env)
    assert "✓ Valid" in out
    run([ciudades, "package", "datasets", "--out", "build/packages", "--lang", "en"], cwd=work, env=env)
    run([ciudades, "build", "datasets", "--out", "build/site", "--lang", "en"], cwd=work, env=env)
    assert (work / "build" / "site" / "index.html").is_file()
    assert list((work / "build" / "site" / "descargas").glob("bogota-*.zip"))
    script = (
        "import glob, toolkit\n"
        "tables = toolkit.load('build/packages/bogota')\n"
        "zipped = toolkit.load(glob.glob('build/site/descargas/bogota-*.zip')[0])\n"
        "assert sorted(tables) == sorted(zipped) == ['agreements', 'funding', 'partners'], tables\n"
        "print(len(tables['agreements']), len(zipped['partners']))\n"
    )
    counts = run([str(python), "-c", script], cwd=work, env=env).split()
    assert int(counts[0]) > 0 and int(counts[1]) > 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_new_user_from_the_wheel_init_to_load(dist: Path, root: Path, tmp_path: Path) -> None:
    """The whole journey of a city office with only the wheel: a new catalog, a dataset, rows from a
    spreadsheet, validate, package, build, then an analyst downloads from the built site and loads it."""
    from openpyxl import Workbook

    python, ciudades_bin, work, env = install_wheel(dist, root, tmp_path)
    ciudades = str(ciudades_bin)
    about = ["--publisher", "Municipalidad de Lima", "--title-es", "Lima en el mundo", "--title-en"]
    about += ["Lima in the world", "--base-url", "https://datos.example.org/lima/"]
    about += ["--email", "datos@example.org"]
    run([ciudades, "init", "lima-datos", *about, "--lang", "en"], cwd=work, env=env)
    repo = work / "lima-datos"
    assert not (repo / "schemas").exists()
    city = [
        "--city",
        "Lima",
        "--country",
        "PE",
        "--subdivision",
        "PE-LMA",
        "--website",
        "https://www.munlima.gob.pe",
    ]
    run([ciudades, "new", "lima", *city, "--lang", "en"], cwd=repo, env=env)
    # A clerk's spreadsheet: names and labels where the standard wants codes; import converts them.
    book = Workbook()
    sheet = book.active
    sheet.append(["partner_id", "name_es", "partner_type", "country", "source_url"])
    sheet.append(["madrid-es", "Ayuntamiento de Madrid", "Gobierno local", "España", "https://www.madrid.es"])
    book.save(repo / "socios.xlsx")
    out = run(
        [
            ciudades,
            "import",
            "socios.xlsx",
            "--into",
            "datasets/lima/partners.csv",
            "--append",
            "--lang",
            "en",
        ],
        cwd=repo,
        env=env,
    )
    assert "'España' → 'ES'" in out, out
    out = run([ciudades, "validate", "--lang", "en"], cwd=repo, env=env)
    assert "Checked: 1 dataset, 3 tables" in out and "✗" not in out, out
    run([ciudades, "package", "datasets", "--out", "build/packages", "--lang", "en"], cwd=repo, env=env)
    run([ciudades, "build", "datasets", "--lang", "en"], cwd=repo, env=env)
    site = repo / "build" / "site"
    [zipped] = (site / "descargas").glob("lima-[0-9]*.zip")  # the dataset's, not the whole catalog's
    port = free_port()
    server = subprocess.Popen(
        [ciudades, "serve", "--dir", str(site), "--port", str(port)],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/descargas/{zipped.name}"
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "ciudades serve did not start"
                time.sleep(0.1)
        analyst = tmp_path / "analyst"
        analyst.mkdir()
        run(
            [ciudades, "download", url, "--out", "descargas", "--allow-private", "--lang", "en"],
            cwd=analyst,
            env=env,
        )
        script = (
            "import sys, toolkit\n"
            "tables = toolkit.load(sys.argv[1], allow_private=True)\n"
            "print(len(tables['partners']), sorted(tables['partners']['country']))\n"
        )
        out = run([str(python), "-c", script, url], cwd=analyst, env=env)
        assert out.strip() == "2 ['ES', 'PE']", out
        [folder] = (analyst / "descargas").iterdir()
        local = run([str(python), "-c", script, str(folder)], cwd=analyst, env=env)
        assert local == out
    finally:
        server.terminate()
        server.wait(timeout=10)
