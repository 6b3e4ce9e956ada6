"""``--allow-remote``: http(s) resources and schemas, fetched within limits, never from inside the network.

A real HTTP server on 127.0.0.1 serves a CSV and a schema. Loopback is refused like any private
address, so the positive tests open 127.0.0.1/32 through ``toolkit.catalog.remote.ALLOWED_NETWORKS``, a
module setting users cannot reach. The command line runs in-process through click's CliRunner.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from toolkit.catalog import remote
from toolkit.catalog.model import load_catalog
from toolkit.cli import cli
from toolkit.validation.validator import validate

ROOT = Path(__file__).resolve().parent.parent
DATASET = "bogota"
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    files: dict[str, bytes]
    release: threading.Event


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/redirect/"):  # /redirect/<host>/<rest>: a Location to that host
            host, _, rest = urllib.parse.unquote(path[len("/redirect/") :]).partition("/")
            self.send_response(302)
            self.send_header("Location", f"http://{host}/{rest}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if path == "/slow.csv":
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            self.wfile.write(b"a,b\n")
            self.wfile.flush()
            self.server.release.wait(20)  # until the test is over
            return
        if path == "/endless.csv":  # no Content-Length: only streaming can stop it
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.end_headers()
            try:
                for _ in range(2000):
                    self.wfile.write(b"x" * 1024)
            except OSError:
                pass
            return
        body = self.server.files.get(path)
        if body is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server(("127.0.0.1", 0), Handler)
    csv_bytes = (ROOT / "datasets" / DATASET / "partners.csv").read_bytes()
    schema_bytes = (ROOT / "schemas" / "partners.schema.yaml").read_bytes()
    srv.files = {"/data/partners.csv": csv_bytes, "/schemas/partners.schema.yaml": schema_bytes}
    srv.release = threading.Event()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


def base(server: Server) -> str:
    return f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "ALLOWED_NETWORKS", LOOPBACK)


def remote_catalog(tmp_path: Path, path_ref: str, schema_ref: str = "partners") -> Path:
    """A copy of one dataset whose partners table is named by ``path_ref`` (and ``schema_ref``)."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    shutil.copy(ROOT / "datasets" / "catalog.yaml", datasets / "catalog.yaml")
    folder = datasets / DATASET
    shutil.copytree(ROOT / "datasets" / DATASET, folder)
    descriptor_path = folder / "datapackage.yaml"
    descriptor = yaml.safe_load(descriptor_path.read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        if res["name"] == "partners":
            res["path"] = path_ref
            res["schema"] = schema_ref
    (folder / "partners.csv").unlink()
    descriptor_path.write_text(
        yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return datasets


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def findings(datasets: Path, *extra: str) -> list[dict]:
    _, out = run("validate", str(datasets), "--format", "json", "--lang", "en", *extra)
    return [f for f in json.loads(out)["findings"] if f["code"] in ("unsafe-path", "remote-error")]


# ── refusals ─────────────────────────────────────────────────────────────────────────────────────


def test_a_url_is_refused_without_the_flag(server: Server, tmp_path: Path) -> None:
    url = f"{base(server)}/data/partners.csv"
    datasets = remote_catalog(tmp_path, url)
    code, out = run("validate", str(datasets), "--lang", "en")
    assert code == 1
    assert f"The path '{url}' leaves the dataset folder" in out
    assert "remote URL; pass --allow-remote to download it" in out
    code, out = run("validate", str(datasets), "--lang", "es")
    assert "URL remota; para descargarla usa --allow-remote" in out


def test_loopback_is_refused_even_with_the_flag(server: Server, tmp_path: Path) -> None:
    url = f"{base(server)}/data/partners.csv"
    datasets = remote_catalog(tmp_path, url)
    found = findings(datasets, "--allow-remote")
    assert [f["code"] for f in found] == ["remote-error"]
    assert found[0]["value"] == url
    assert "'127.0.0.1' leads to a loopback address 127.0.0.1" in found[0]["message"]
    assert "only downloads from public Internet addresses" in found[0]["message"]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:9/x.csv", "loopback address 127.0.0.1"),
        ("http://[::1]:9/x.csv", "loopback address ::1"),
        ("http://10.1.2.3/x.csv", "private address 10.1.2.3"),
        ("http://192.168.0.10/x.csv", "private address 192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
        ("http://0.0.0.0:9/x.csv", "unspecified address 0.0.0.0"),
        ("http://[::ffff:127.0.0.1]:9/x.csv", "loopback address 127.0.0.1"),
        ("http://[::ffff:169.254.169.254]/x.csv", "link-local address 169.254.169.254"),
        ("http://[fe80::1]/x.csv", "link-local address fe80::1"),
        ("http://[fd00::1]/x.csv", "private address fd00::1"),
        ("http://224.0.0.1/x.csv", "multicast address 224.0.0.1"),
        ("http://240.0.0.1/x.csv", "reserved address 240.0.0.1"),
        ("http://100.64.0.1/x.csv", "non-public address 100.64.0.1"),
        ("http://localhost:9/x.csv", "loopback address"),
    ],
)
def test_private_addresses_are_refused_before_connecting(url: str, why: str, tmp_path: Path) -> None:
    with pytest.raises(remote.RemoteError) as caught:
        remote.fetch(url, tmp_path / "x.csv")
    assert why in caught.value.message("en")
    assert "leads to" in caught.value.message("en") and "dirección" in caught.value.message("es")
    assert not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize(
    ("path_ref", "schema_ref"),
    [("file:///etc/passwd", "partners"), ("agreements.csv", "ftp://example.org/s.yaml")],
)
def test_other_schemes_stay_refused_with_the_flag(path_ref: str, schema_ref: str, tmp_path: Path) -> None:
    found = findings(remote_catalog(tmp_path, path_ref, schema_ref), "--allow-remote")
    refused = path_ref if schema_ref == "partners" else schema_ref
    assert [(f["code"], f["value"]) for f in found] == [("unsafe-path", refused)]
    assert "remote URL; only http:// and https://" in found[0]["message"]
    with pytest.raises(remote.RemoteError, match="only http:// or https://"):
        remote.fetch("ftp://example.org/a.csv", tmp_path / "a.csv")


# ── with the test policy ─────────────────────────────────────────────────────────────────────────


@pytest.mark.usefixtures("allow_loopback")
def test_a_remote_csv_and_schema_validate_like_local_ones(server: Server, tmp_path: Path) -> None:
    url = f"{base(server)}/data/partners.csv"
    schema_url = f"{base(server)}/schemas/partners.schema.yaml"
    datasets = remote_catalog(tmp_path, url, schema_ref=schema_url)
    code, out = run("validate", str(datasets), "--allow-remote", "--lang", "en")
    assert code == 0, out
    report = validate(datasets, allow_remote=True)
    assert report.valid
    assert report.tables[DATASET]["partners"] == url  # the URL, not a temporary path


@pytest.mark.usefixtures("allow_loopback")
def test_findings_in_a_remote_file_name_its_url(server: Server, tmp_path: Path) -> None:
    text = (ROOT / "datasets" / DATASET / "partners.csv").read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("partner_id")] = ""  # a required key left empty
    server.files["/data/broken.csv"] = "\n".join([text[0], ",".join(row), *text[2:]]).encode() + b"\n"
    url = f"{base(server)}/data/broken.csv"
    datasets = remote_catalog(tmp_path, url)
    report = json.loads(run("validate", str(datasets), "--allow-remote", "--format", "json")[1])
    broken = [f for f in report["findings"] if f["severity"] == "error" and f["resource"] == "partners"]
    assert broken and all(f["path"] == url for f in broken)
    assert any(f["row"] == 2 and f["field"] == "partner_id" for f in broken)


@pytest.mark.usefixtures("allow_loopback")
def test_package_includes_the_fetched_copy_with_its_hash(server: Server, tmp_path: Path) -> None:
    import hashlib

    url = f"{base(server)}/data/partners.csv"
    datasets = remote_catalog(tmp_path, url)
    out = tmp_path / "packages"
    code, text = run("package", str(datasets), "--out", str(out), "--allow-remote", "--json")
    assert code == 0, text
    folder = out / DATASET
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    partners = next(r for r in descriptor["resources"] if r["name"] == "partners")
    served = server.files["/data/partners.csv"]
    assert partners["path"] == "partners.csv"
    assert partners["hash"] == "sha256:" + hashlib.sha256(served).hexdigest()
    assert (folder / "partners.csv").read_bytes() == served
    assert not list(tmp_path.glob("datasets/**/partners.csv"))  # the source folder gets no copy


@pytest.mark.usefixtures("allow_loopback")
def test_a_missing_remote_file_is_a_clear_finding(server: Server, tmp_path: Path) -> None:
    url = f"{base(server)}/data/nothing.csv"
    found = findings(remote_catalog(tmp_path, url), "--allow-remote")
    assert [f["code"] for f in found] == ["remote-error"]
    assert found[0]["message"] == (
        f"'{url}' was not downloaded: the server answered 404 Not Found; "
        "check that the address is right and public."
    )


@pytest.mark.usefixtures("allow_loopback")
def test_the_size_limit_stops_the_download(server: Server, tmp_path: Path) -> None:
    declared = f"{base(server)}/data/partners.csv"
    with pytest.raises(remote.RemoteError, match="exceeds the limit of 100 bytes"):
        remote.fetch(declared, tmp_path / "a.csv", max_bytes=100)
    with pytest.raises(remote.RemoteError, match="exceeds the limit of 65,536 bytes"):
        remote.fetch(f"{base(server)}/endless.csv", tmp_path / "b.csv", max_bytes=65536)
    assert not list(tmp_path.iterdir())  # nothing half-written is left


@pytest.mark.usefixtures("allow_loopback")
def test_a_schema_over_the_descriptor_limit_is_a_finding(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "MAX_SCHEMA_BYTES", 200)
    schema_url = f"{base(server)}/schemas/partners.schema.yaml"
    found = findings(remote_catalog(tmp_path, "partners.csv", schema_ref=schema_url), "--allow-remote")
    assert [f["code"] for f in found] == ["remote-error"]
    assert "exceeds the limit of 200 bytes" in found[0]["message"]


@pytest.mark.usefixtures("allow_loopback")
def test_a_server_that_stalls_times_out(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(remote, "TOTAL_TIMEOUT", 1.0)
    url = f"{base(server)}/slow.csv"
    found = findings(remote_catalog(tmp_path, url), "--allow-remote")
    assert [f["code"] for f in found] == ["remote-error"]
    assert "it did not finish within 1 s" in found[0]["message"]


@pytest.mark.usefixtures("allow_loopback")
def test_a_redirect_to_a_private_address_is_refused(server: Server, tmp_path: Path) -> None:
    for host, why in (("169.254.169.254", "link-local"), ("10.0.0.5", "private"), ("[::1]", "loopback")):
        url = f"{base(server)}/redirect/{host}/latest/meta-data/"
        with pytest.raises(remote.RemoteError) as caught:
            remote.fetch(url, tmp_path / "a.csv")
        message = caught.value.message("en")
        assert message.startswith(
            f"'{url}' was not downloaded: it redirects to 'http://{host}/latest/meta-data/' "
            f"and '{host.strip('[]')}' leads to a {why} address"
        )


@pytest.mark.usefixtures("allow_loopback")
def test_redirects_are_followed_a_few_times_only(server: Server, tmp_path: Path) -> None:
    port = server.server_port
    good = f"{base(server)}/redirect/127.0.0.1:{port}/data/partners.csv"
    digest = remote.fetch(good, tmp_path / "p.csv")
    assert (tmp_path / "p.csv").read_bytes() == server.files["/data/partners.csv"]
    assert len(digest) == 64
    with pytest.raises(remote.RemoteError, match="more than 3 redirects"):
        remote.fetch(f"{base(server)}/loop", tmp_path / "loop.csv")


def test_the_host_header_keeps_the_name(server: Server, tmp_path: Path) -> None:
    """The connection goes to the checked address; the request still names the host it asked for."""
    assert remote._host_header(remote._target("https://example.org/a.csv")) == "example.org"
    assert remote._host_header(remote._target("http://example.org:8080/a")) == "example.org:8080"
    assert remote._host_header(remote._target("http://[2001:db8::1]:81/a")) == "[2001:db8::1]:81"
    with pytest.raises(remote.RemoteError, match="user name or password"):
        remote.fetch("http://user:secret@example.org/a.csv", tmp_path / "a.csv")


def test_fetched_copies_go_away_with_the_catalog(server: Server, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(remote, "ALLOWED_NETWORKS", LOOPBACK)
    url = f"{base(server)}/data/partners.csv"
    catalog, found = load_catalog(remote_catalog(tmp_path, url), allow_remote=True)
    assert not [f for f in found if f.severity == "error"]
    spec = catalog.datasets[0].resource("partners")
    assert spec is not None and spec.path.is_file()
    folder = spec.path.parent.parent
    assert remote.origin_of(spec.path) == url
    del catalog, spec
    import gc

    gc.collect()
    assert not folder.exists()
