"""``toolkit.load`` and ``ciudades download``: typed frames from verified packages, local or remote."""

from __future__ import annotations

import csv
import functools
import ipaddress
import json
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
from tests.conftest import SHIPPED
from toolkit.catalog import remote
from toolkit.cli import cli
from toolkit.errors import ToolkitError
from toolkit.packaging.load import download

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return toolkit.package(ROOT / "datasets", tmp_path_factory.mktemp("load") / "packages")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    extra: dict[str, bytes]  # files served besides the build folder
    redirects: dict[str, str]  # path → Location
    seen: list[str]  # every path asked for
    release: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading (the size-limit test) is expected, not an error


class _Handler(SimpleHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.server.seen.append(path)
        if path in self.server.redirects:
            self.send_response(302)
            self.send_header("Location", self.server.redirects[path])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/stall.zip":
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"PK")
            self.wfile.flush()
            self.server.release.wait(20)  # until the session ends
        elif path in self.server.extra:
            body = self.server.extra[path]
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _start(directory: Path) -> _Server:
    httpd = _Server(("127.0.0.1", 0), functools.partial(_Handler, directory=str(directory)))
    httpd.extra, httpd.redirects, httpd.seen, httpd.release = {}, {}, [], threading.Event()
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _stop(httpd: _Server) -> None:
    httpd.release.set()
    httpd.shutdown()
    httpd.server_close()


def _url(httpd: _Server) -> str:
    return f"http://127.0.0.1:{httpd.server_address[1]}"


@pytest.fixture(scope="session")
def httpd(packages: Any) -> Iterator[_Server]:
    """An HTTP server on 127.0.0.1 serving the build folder, as the catalog site would."""
    server = _start(packages.out)
    yield server
    _stop(server)


@pytest.fixture
def server(httpd: _Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """The server's address, with 127.0.0.1 opened to the downloader for this test only (a user can
    never open it: loopback, private and link-local addresses are refused, see ``toolkit.catalog.remote``)."""
    monkeypatch.setattr(remote, "ALLOWED_NETWORKS", (ipaddress.ip_network("127.0.0.1/32"),))
    httpd.seen.clear()
    return _url(httpd)


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
        assert list(df["dataset"].cat.categories) == SHIPPED
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
    with pytest.raises(ToolkitError, match="exceeds the limit of 1,000 bytes"):
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
    assert missing.output == (
        f"Error: No se descargó «{server}/nope.zip»: el servidor respondió 404 File not found; "
        "revisa que la dirección sea correcta y pública.\n"
    )


# ── what a remote package may not reach ──────────────────────────────────────────────────────────


def test_loopback_is_refused_without_allow_private_and_accepted_with_it(
    packages: Any, httpd: _Server, tmp_path: Path, runner: Any
) -> None:
    """No test switch here: 127.0.0.1 is what a ``ciudades serve`` preview is, and only the user's
    ``--allow-private`` / ``allow_private=True`` opens it."""
    assert remote.ALLOWED_NETWORKS == ()
    pkg = packages.datasets[0]
    url = f"{_url(httpd)}/{pkg.zip.name}"
    with pytest.raises(remote.RemoteError) as info:
        toolkit.load(url)
    assert info.value.message_en == (
        f"'{url}' was not downloaded: '127.0.0.1' leads to a loopback address 127.0.0.1; the tool downloads "
        "from private and loopback addresses only when allowed. If you trust that server (your own "
        "'ciudades serve' preview, a portal on your internal network), allow it with --allow-private "
        "(allow_private=True in Python)."
    )
    result = runner.invoke(cli, ["download", url, "--out", str(tmp_path / "out"), "--lang", "es"])
    assert result.exit_code == 3
    assert result.output == (
        f"Error: No se descargó «{url}»: «127.0.0.1» lleva a una dirección de bucle local (loopback) "
        "127.0.0.1; la herramienta solo descarga de direcciones privadas o locales si se le permite. Si "
        "confías en ese servidor (tu vista previa de «ciudades serve», un portal de tu red interna), "
        "permítelo con --allow-private (allow_private=True en Python).\n"
    )
    assert not list((tmp_path / "out").iterdir())

    expected = toolkit.load(pkg.folder)
    for source in (url, f"{_url(httpd)}/{pkg.slug}/datapackage.json"):
        frames = toolkit.load(source, allow_private=True)
        for name, df in expected.items():
            pd.testing.assert_frame_equal(frames[name], df)
    result = runner.invoke(
        cli, ["download", url, "--out", str(tmp_path / "out"), "--allow-private", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / pkg.zip.name).read_bytes() == pkg.zip.path.read_bytes()


def test_allow_private_keeps_every_other_protection(packages: Any, httpd: _Server, tmp_path: Path) -> None:
    """The flag opens private and loopback addresses, nothing else: link-local (cloud metadata) stays
    refused, every redirect is checked, resource paths stay in the package's folder, limits hold."""
    for n, target in enumerate(["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x.json"]):
        httpd.redirects[f"/private-{n}/datapackage.json"] = target
        url = f"{_url(httpd)}/private-{n}/datapackage.json"
        with pytest.raises(remote.RemoteError) as info:
            toolkit.load(url, allow_private=True)
        assert info.value.message_en.startswith(
            f"'{url}' was not downloaded: it redirects to '{target}' and "
        )
        assert info.value.message_en.endswith(
            "the tool never downloads from that kind of address, not even with --allow-private. Use the "
            "address of a public server or of one on your own network."
        )
        assert "ni siquiera con --allow-private" in info.value.message_es
    internal = _start(tmp_path)
    internal.extra["/secret.csv"] = b"token\nsecreto\n"
    try:
        url = _hostile(
            packages, httpd, "private-hostile", f"http://127.0.0.1:{internal.server_address[1]}/s.csv"
        )
        for attempt in (toolkit.load, functools.partial(download, out=tmp_path / "out")):
            with pytest.raises(ToolkitError, match="is not safe"):
                attempt(url, allow_private=True)
        assert internal.seen == []
    finally:
        _stop(internal)
    with pytest.raises(ToolkitError, match="exceeds the limit of 1,000 bytes"):
        toolkit.load(f"{_url(httpd)}/{packages.datasets[0].zip.name}", max_bytes=1000, allow_private=True)


def test_download_takes_a_folder_a_zip_a_descriptor_and_a_file_url(
    packages: Any, tmp_path: Path, runner: Any
) -> None:
    pkg = packages.datasets[1]
    expected = toolkit.load(pkg.folder)
    kept = sorted(f.name for f in pkg.files if f.kind != "checksums")
    sources = {
        "folder": (str(pkg.folder), pkg.slug),
        "descriptor": (str(pkg.folder / "datapackage.json"), pkg.slug),
        "zip": (str(pkg.zip.path), pkg.zip.name),
        "file-zip": (pkg.zip.path.as_uri(), pkg.zip.name),
        "file-folder": (pkg.folder.as_uri(), pkg.slug),
    }
    for label, (source, saved) in sources.items():
        out = tmp_path / label
        result = runner.invoke(cli, ["download", source, "--out", str(out), "--lang", "en"])
        assert result.exit_code == 0, (label, result.output)
        assert result.output == f"Verified and saved to {out / saved}\n"
        if saved.endswith(".zip"):
            assert (out / saved).read_bytes() == pkg.zip.path.read_bytes()
        else:
            assert sorted(p.name for p in (out / saved).iterdir()) == kept
        frames = toolkit.load(out / saved)
        for name, df in expected.items():
            pd.testing.assert_frame_equal(frames[name], df)
    for source in (pkg.folder.as_uri(), pkg.zip.path.as_uri(), (pkg.folder / "datapackage.json").as_uri()):
        frames = toolkit.load(source)
        pd.testing.assert_frame_equal(frames["funding"], expected["funding"])


def test_a_local_download_is_verified_like_a_remote_one(packages: Any, tmp_path: Path, runner: Any) -> None:
    pkg = packages.datasets[0]
    copy = tmp_path / "copy"
    shutil.copytree(pkg.folder, copy)
    (copy / "funding.csv").write_bytes((copy / "funding.csv").read_bytes().replace(b"1", b"7", 1))
    out = tmp_path / "out"
    result = runner.invoke(cli, ["download", str(copy), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 3
    assert result.output.startswith("Error: 'funding.csv' does not match the package: ")
    assert not list(out.iterdir())
    # a symbolic link out of the package's folder is refused like a path that leaves it
    shutil.copy(pkg.folder / "funding.csv", copy / "funding.csv")
    (tmp_path / "outside.csv").write_bytes((copy / "partners.csv").read_bytes())
    (copy / "partners.csv").unlink()
    (copy / "partners.csv").symlink_to(tmp_path / "outside.csv")
    result = runner.invoke(cli, ["download", str(copy), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 3
    assert "the resource path 'partners.csv' is not safe (it leaves the package's folder)" in result.output
    with pytest.raises(ToolkitError, match="it leaves the package's folder"):
        toolkit.load(copy)
    assert not list(out.iterdir())
    result = runner.invoke(cli, ["download", str(pkg.zip.path), "--out", str(out), "--lang", "en"])
    assert result.exit_code == 0
    # the size limit holds for a local file too
    with pytest.raises(ToolkitError, match="exceeds the limit of 1000 bytes"):
        download(pkg.zip.path, out, max_bytes=1000)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "file://server.example/share/p.zip",
            "'file://server.example/share/p.zip' points at another machine ('server.example'); a file: "
            "address can only name a file on this one, such as file:///path/to/package.zip.",
        ),
        (
            "ftp://example.org/p.zip",
            "'ftp://example.org/p.zip': only http://, https:// and file: addresses, or a file's path, are "
            "accepted.",
        ),
        ("no-such-package.zip", "'no-such-package.zip' does not exist."),
    ],
)
def test_a_source_that_is_not_a_package_is_a_usage_error(
    source: str, message: str, tmp_path: Path, runner: Any
) -> None:
    result = runner.invoke(cli, ["download", source, "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 2
    assert result.output == f"Error: {message}\n"


def test_download_refuses_to_replace_its_own_source(packages: Any, tmp_path: Path, runner: Any) -> None:
    copy = tmp_path / packages.datasets[0].slug
    shutil.copytree(packages.datasets[0].folder, copy)
    before = sorted(p.name for p in copy.iterdir())
    result = runner.invoke(cli, ["download", str(copy), "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: '{copy}' is the very package being downloaded: saving it in '{tmp_path}' would replace "
        "it. Choose another folder with --out.\n"
    )
    assert sorted(p.name for p in copy.iterdir()) == before


def _hostile(packages: Any, httpd: _Server, name: str, path: str) -> str:
    """The URL of a package on the test server whose first table's path is ``path``."""
    descriptor = json.loads((packages.datasets[0].folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = path
    httpd.extra[f"/{name}/datapackage.json"] = json.dumps(descriptor).encode()
    return f"{_url(httpd)}/{name}/datapackage.json"


def test_resource_paths_of_a_remote_package_never_reach_another_server(
    packages: Any, httpd: _Server, server: str, tmp_path: Path, runner: Any
) -> None:
    """The test policy opens 127.0.0.1, so only the package's own folder on its own server (not the
    address check) stands between a hostile descriptor and the internal service on another port."""
    internal = _start(tmp_path)
    internal.extra["/secret.csv"] = b"token\nsecreto\n"
    port = internal.server_address[1]
    cases = [
        (f"http://127.0.0.1:{port}/secret.csv", "remote URL"),
        ("http://169.254.169.254/latest/meta-data/", "remote URL"),
        (f"//127.0.0.1:{port}/secret.csv", "absolute path"),
        # URL parsers drop tabs, newlines and leading spaces: the text looks relative, the URL is not
        (f"\t//127.0.0.1:{port}/secret.csv", "it leads to another server, '127.0.0.1'"),
        (" //169.254.169.254/latest/meta-data/", "it leads to another server, '169.254.169.254'"),
        (f"h\nttp://127.0.0.1:{port}/secret.csv", "it leads to another server, '127.0.0.1'"),
        ("x/.\t./.\t./secret.csv", "it leaves the package's folder"),
    ]
    try:
        for n, (path, why) in enumerate(cases):
            url = _hostile(packages, httpd, f"hostile-{n}", path)
            shown = path.replace("\t", "\\t").replace("\n", "\\n")
            with pytest.raises(ToolkitError) as info:
                toolkit.load(url)
            assert info.value.message_en == (
                f"{url}: the resource path '{shown}' is not safe ({why}); a package's files sit in the "
                "folder of its datapackage.json."
            ), path
            assert f"{url}: la ruta de recurso «{shown}» no es segura (" in info.value.message_es
            # download also keeps every file beside the descriptor, so a path with a slash may stop there
            result = runner.invoke(cli, ["download", url, "--out", str(tmp_path / "out"), "--lang", "en"])
            assert result.exit_code == 3, result.output
            assert result.output.startswith(f"Error: {url}: ") and result.output.count("\n") == 1
            assert f"'{shown}' is not " in result.output
        assert internal.seen == []
        assert httpd.seen == [f"/hostile-{n}/datapackage.json" for n in range(len(cases)) for _ in "ld"]
        assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    finally:
        _stop(internal)


def test_a_redirect_to_a_private_address_is_refused(
    packages: Any, httpd: _Server, server: str, tmp_path: Path
) -> None:
    for n, (location, why) in enumerate(
        [
            ("http://169.254.169.254/latest/meta-data/", "'169.254.169.254' leads to a link-local address"),
            ("http://10.0.0.5/datapackage.json", "'10.0.0.5' leads to a private address"),
            ("http://[::1]/datapackage.json", "'::1' leads to a loopback address"),
        ]
    ):
        moved = f"/moved-{n}/datapackage.json"
        httpd.redirects[moved] = location
        with pytest.raises(remote.RemoteError) as info:
            toolkit.load(server + moved)
        assert info.value.message_en.startswith(
            f"'{server}{moved}' was not downloaded: it redirects to '{location}' and {why}"
        )
    # a table of a package that redirects elsewhere is checked the same way
    url = _hostile(packages, httpd, "moved-table", "moved.csv")
    httpd.redirects["/moved-table/moved.csv"] = "http://169.254.169.254/latest/meta-data/"
    for attempt in (toolkit.load, functools.partial(download, out=tmp_path)):
        with pytest.raises(remote.RemoteError) as info:
            attempt(url)
        assert info.value.message_en.startswith(
            f"'{server}/moved-table/moved.csv' was not downloaded: it redirects to "
            "'http://169.254.169.254/latest/meta-data/' and '169.254.169.254' leads to a link-local address"
        )


def test_the_timeout_covers_the_whole_file(server: str) -> None:
    with pytest.raises(remote.RemoteError, match="it did not finish within 1 s"):
        toolkit.load(f"{server}/stall.zip", timeout=1)


def test_download_refuses_a_zip_that_expands_too_much(
    zip_bombs: dict[str, Path], httpd: _Server, server: str, tmp_path: Path, runner: Any
) -> None:
    httpd.extra["/bomb.zip"] = zip_bombs["lying"].read_bytes()
    result = runner.invoke(cli, ["download", f"{server}/bomb.zip", "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 3
    assert result.output == (
        f"Error: Refused the zip '{server}/bomb.zip': 'pkg/data.csv' expands to more than 200 times its "
        "compressed size. No data package expands that much: the file is damaged or malicious.\n"
    )
    assert not list(tmp_path.iterdir())


def test_download_refuses_paths_that_would_overwrite_another_file(
    packages: Any, httpd: _Server, server: str, tmp_path: Path, runner: Any
) -> None:
    """A package saved as a folder has one file per path: the descriptor's own name, a path listed
    twice, or two paths one case-insensitive disk takes for one file are refused before any download."""
    original = json.loads((packages.datasets[0].folder / "datapackage.json").read_text(encoding="utf-8"))
    first = original["resources"][0]["path"]
    cases = [
        ({0: "datapackage.json"}, "the path 'datapackage.json' is that of the datapackage.json itself"),
        ({0: "DataPackage.JSON"}, "the path 'DataPackage.JSON' is that of the datapackage.json itself"),
        ({1: first}, f"the path '{first}' appears more than once"),
        (
            {1: first.upper()},
            f"the paths '{first}' and '{first.upper()}' are one file on a case-insensitive disk "
            "(Windows, macOS)",
        ),
    ]
    out = tmp_path / "out"
    for n, (paths, why) in enumerate(cases):
        descriptor = json.loads(json.dumps(original))
        for index, path in paths.items():
            descriptor["resources"][index]["path"] = path
        httpd.extra[f"/clash-{n}/datapackage.json"] = json.dumps(descriptor).encode()
        url = f"{server}/clash-{n}/datapackage.json"
        httpd.seen.clear()
        result = runner.invoke(cli, ["download", url, "--out", str(out), "--lang", "en"])
        assert result.exit_code == 3, result.output
        assert result.output == (
            f"Error: {url}: {why}, so saving the package would overwrite one file with another; nothing was "
            "saved. Each file of a package needs a name of its own.\n"
        )
        assert httpd.seen == [f"/clash-{n}/datapackage.json"]  # no table was even fetched
    assert not list(out.iterdir())
    result = runner.invoke(cli, ["download", url, "--out", str(out), "--lang", "es"])
    assert result.output == (
        f"Error: {url}: las rutas «{first}» y «{first.upper()}» son el mismo archivo en un disco que no "
        "distingue mayúsculas (Windows, macOS), así que al guardar el paquete un archivo sobrescribiría a "
        "otro; no se guardó nada. Cada archivo de un paquete necesita un nombre propio.\n"
    )


@pytest.mark.parametrize("name", ["a\x1b[2Jb", "x\ny", "a\u202eb", "bell\x07"])
def test_a_package_name_with_control_characters_is_refused(name: str) -> None:
    """The name becomes the folder ``download`` saves into and is printed: no control characters."""
    from toolkit.packaging.load import _plain_name

    with pytest.raises(ToolkitError, match="control characters"):
        _plain_name(name)
    assert _plain_name("ciudad-de-méxico") == "ciudad-de-méxico"
