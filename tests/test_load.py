"""``toolkit.load`` and ``ciudades download``: typed frames from verified packages, local or remote."""

from __future__ import annotations

import csv
import functools
import shutil
import threading
import zipfile
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import toolkit
from toolkit.cli import cli
from toolkit.errors import ToolkitError

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return toolkit.package(ROOT / "datasets", tmp_path_factory.mktemp("load") / "packages")


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading (the size-limit test) is expected, not an error


@pytest.fixture(scope="session")
def server(packages: Any) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving the build folder, as the catalog site would."""
    handler = functools.partial(_Quiet, directory=str(packages.out))
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _texts(series: pd.Series, field: dict[str, Any]) -> list[str]:
    """A typed column written back as the CSV's text."""
    kind = field.get("type", "string")
    out = []
    for value in series.astype(object):
        if pd.isna(value):
            out.append("")
        elif kind == "date":
            out.append(value.strftime("%Y-%m-%d"))
        elif kind == "boolean":
            out.append("true" if value else "false")
        elif kind == "number":
            out.append(repr(float(value)))
        else:
            out.append(str(value))
    return out


def test_round_trip_equals_the_source_csvs_with_the_right_dtypes(packages: Any) -> None:
    for pkg in packages.datasets:
        frames = toolkit.load(pkg.folder)
        assert list(frames) == ["agreements", "funding", "partners"]
        for res in pkg.descriptor["resources"]:
            df = frames[res["name"]]
            with (ROOT / "datasets" / pkg.slug / res["path"]).open(encoding="utf-8", newline="") as fh:
                raw = list(csv.DictReader(fh))
            assert len(df) == len(raw)
            for field in res["schema"]["fields"]:
                column = [r[field["name"]] for r in raw]
                if field.get("type") == "number":
                    column = [repr(float(v)) if v else "" for v in column]
                assert _texts(df[field["name"]], field) == column, (pkg.slug, field["name"])
        funding = frames["funding"]
        assert str(funding["amount"].dtype) == "Float64"
        assert str(funding["duration_months"].dtype) == "Int64"
        assert str(funding["amount_is_approximate"].dtype) == "boolean"
        assert str(funding["value_date"].dtype) == "datetime64[ns]"
        assert str(funding["title_es"].dtype) == "string"
        assert isinstance(funding["funding_kind"].dtype, pd.CategoricalDtype)
        assert list(funding["transaction_type"].cat.categories)[:2] == [1, 2]
        assert str(frames["agreements"]["subjects"].dtype) == "string"  # a list cell is text
        assert funding["amount"].isna().any()
        assert all(v is pd.NA for v in funding["amount"][funding["amount"].isna()].astype(object))


def test_folder_zip_descriptor_and_source_give_the_same_frames(packages: Any) -> None:
    pkg = packages.datasets[0]
    expected = toolkit.load(pkg.folder)
    for source in (
        pkg.folder / "datapackage.json",
        pkg.zip.path,
        str(pkg.zip.path),
        ROOT / "datasets" / pkg.slug,
    ):
        frames = toolkit.load(source)
        for name, df in expected.items():
            pd.testing.assert_frame_equal(frames[name], df)


def test_combined_package_loads_with_a_dataset_column(packages: Any) -> None:
    frames = toolkit.load(packages.combined.zip.path)
    for name, df in frames.items():
        assert df.columns[0] == "dataset"
        assert list(df["dataset"].cat.categories) == ["bogota", "ciudad-de-mexico", "montevideo"]
        assert len(df) == sum(len(toolkit.load(p.folder)[name]) for p in packages.datasets)


def test_a_tampered_file_is_refused(packages: Any, tmp_path: Path) -> None:
    pkg = packages.datasets[0]
    copy = tmp_path / pkg.slug
    shutil.copytree(pkg.folder, copy)
    data = (copy / "funding.csv").read_bytes()
    (copy / "funding.csv").write_bytes(data.replace(b"150000000", b"950000000", 1))
    with pytest.raises(ToolkitError) as info:
        toolkit.load(copy)
    assert "'funding.csv' does not match the package: its sha256 is" in info.value.message_en
    assert "«funding.csv» no coincide con el paquete" in info.value.message_es
    (copy / "partners.csv").write_bytes((copy / "partners.csv").read_bytes() + b"x\n")
    (copy / "funding.csv").write_bytes(data)
    with pytest.raises(ToolkitError, match=r"'partners\.csv' does not match the package: it has"):
        toolkit.load(copy)

    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(pkg.zip.path) as src, zipfile.ZipFile(tampered, "w") as dst:
        for info_ in src.infolist():
            body = src.read(info_)
            if info_.filename.endswith("/agreements.csv"):
                body = body.replace(b"high", b"low", 1)
            dst.writestr(info_, body)
    with pytest.raises(ToolkitError, match=r"'agreements\.csv' does not match the package"):
        toolkit.load(tampered)


def test_unsafe_resource_paths_are_refused(packages: Any, tmp_path: Path) -> None:
    import json

    copy = tmp_path / "pkg"
    shutil.copytree(packages.datasets[0].folder, copy)
    descriptor = json.loads((copy / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = "../../etc/passwd"
    (copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(ToolkitError, match="is not safe"):
        toolkit.load(copy)


def test_load_over_http(packages: Any, server: str) -> None:
    pkg = packages.datasets[1]
    expected = toolkit.load(pkg.folder)
    for url in (f"{server}/{pkg.slug}/datapackage.json", f"{server}/{pkg.zip.name}"):
        frames = toolkit.load(url, timeout=10)
        for name, df in expected.items():
            pd.testing.assert_frame_equal(frames[name], df)


def test_remote_limits_and_errors(packages: Any, server: str) -> None:
    with pytest.raises(ToolkitError, match="exceeds the limit of 1000 bytes"):
        toolkit.load(f"{server}/{packages.datasets[0].zip.name}", max_bytes=1000)
    with pytest.raises(ToolkitError, match="the server answered 404"):
        toolkit.load(f"{server}/nothing/datapackage.json")


def test_download_verifies_and_keeps_the_package(
    packages: Any, server: str, tmp_path: Path, runner: Any
) -> None:
    pkg = packages.datasets[2]
    result = runner.invoke(
        cli, ["download", f"{server}/{pkg.zip.name}", "--out", str(tmp_path), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == f"Verified and saved to {tmp_path / pkg.zip.name}\n"
    assert (tmp_path / pkg.zip.name).read_bytes() == pkg.zip.path.read_bytes()
    assert list(toolkit.load(tmp_path / pkg.zip.name)) == ["agreements", "funding", "partners"]
    folder = runner.invoke(cli, ["download", f"{server}/{pkg.slug}/datapackage.json", "--out", str(tmp_path)])
    assert folder.exit_code == 0, folder.output
    assert sorted(p.name for p in (tmp_path / pkg.slug).iterdir()) == sorted(
        f.name for f in pkg.files if f.kind != "checksums"
    )
    missing = runner.invoke(cli, ["download", f"{server}/nope.zip", "--out", str(tmp_path), "--lang", "es"])
    assert missing.exit_code == 3
    assert missing.output.startswith("Error: No se pudo descargar")
