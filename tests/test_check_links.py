"""``ciudades check-links``: every cited page asked once, within limits, never inside the network.

A real HTTP server on 127.0.0.1 answers 200, permanent redirect chains, 404, 410, 500, a stall, an
endless body and a redirect to a private address. The catalog is a copy of one dataset whose
``source_url`` and ``document_url`` cells point to that server, so no test resolves or contacts a
real host. Loopback is refused like any private address: the tests open 127.0.0.1/32 through
``toolkit.catalog.remote.ALLOWED_NETWORKS`` (as ``tests/test_remote.py`` does), except the one that
checks the refusal itself.
"""

from __future__ import annotations

import csv
import http.server
import ipaddress
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.catalog import remote
from toolkit.cli import cli
from toolkit.validation import links

ROOT = Path(__file__).resolve().parent.parent
DATASET = "bogota"
LOOPBACK = (ipaddress.ip_network("127.0.0.1/32"),)
BIG = 64 * 1024 * 1024


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    release: threading.Event
    hits: list[tuple[str, str]]
    lock: threading.Lock
    active: int
    most: int
    sent: int


class Handler(http.server.BaseHTTPRequestHandler):
    server: Server

    def answer(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_one(self) -> None:
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.hits.append((self.command, self.path))
            self.server.active += 1
            self.server.most = max(self.server.most, self.server.active)
        try:
            self.route(path)
        finally:
            with self.server.lock:
                self.server.active -= 1

    def route(self, path: str) -> None:
        if path == "/ok":
            self.answer(200, {"Content-Type": "text/html"}, b"<p>ok</p>")
        elif path == "/busy":  # long enough for requests to overlap if the tool allowed it
            time.sleep(0.15)
            self.answer(200, {}, b"ok")
        elif path.startswith("/chain/"):  # /chain/3 → /chain/2 → /chain/1 → /ok, all 301
            n = int(path.rsplit("/", 1)[1])
            self.answer(301, {"Location": "/ok" if n <= 1 else f"/chain/{n - 1}"})
        elif path == "/temporary":
            self.answer(302, {"Location": "/ok"})
        elif path == "/loop":
            self.answer(301, {"Location": "/loop"})
        elif path == "/missing":
            self.answer(404, {}, b"not found")
        elif path == "/gone":
            self.answer(410, {}, b"gone")
        elif path == "/broken":
            self.answer(500, {}, b"error")
        elif path == "/head-refused":  # a server that answers GET only
            self.answer(405 if self.command == "HEAD" else 200, {}, b"ok")
        elif path == "/slow":
            self.server.release.wait(10)
            self.answer(200, {}, b"late")
        elif path == "/huge":  # HEAD refused; GET streams far more than anyone should read
            if self.command == "HEAD":
                self.answer(405)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(BIG))
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(BIG // len(chunk)):
                    self.wfile.write(chunk)
                    with self.server.lock:
                        self.server.sent += len(chunk)
            except OSError:
                pass
        elif path == "/to-private":
            self.answer(302, {"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-intranet":
            self.answer(301, {"Location": "http://10.1.2.3/admin"})
        else:
            self.answer(404)

    def do_GET(self) -> None:
        self.handle_one()

    def do_HEAD(self) -> None:
        self.handle_one()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server(("127.0.0.1", 0), Handler)
    srv.release = threading.Event()
    srv.hits, srv.lock, srv.active, srv.most, srv.sent = [], threading.Lock(), 0, 0, 0
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote, "ALLOWED_NETWORKS", LOOPBACK)
    monkeypatch.setattr(links, "DELAY", 0.01)


def base(server: Server) -> str:
    return f"http://127.0.0.1:{server.server_port}"


def catalog_citing(tmp_path: Path, sources: list[str], documents: list[str] | None = None) -> Path:
    """A copy of one dataset whose agreements cite ``sources`` (row by row, the last one repeated)
    and ``documents``; every other source_url cell is emptied, so only these URLs are asked."""
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    datasets = tmp_path / "datasets"
    datasets.mkdir()
    shutil.copy(ROOT / "datasets" / "catalog.yaml", datasets / "catalog.yaml")
    folder = datasets / DATASET
    shutil.copytree(ROOT / "datasets" / DATASET, folder)
    for table in ("agreements", "funding", "partners"):
        path = folder / f"{table}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        fields = list(rows[0])
        for i, row in enumerate(rows):
            for name in ("source_url", "document_url"):
                if name in row:
                    row[name] = ""
            if table == "agreements":
                row["source_url"] = sources[min(i, len(sources) - 1)]
                if documents and i < len(documents):
                    row["document_url"] = documents[i]
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return datasets


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["check-links", *args])
    return result.exit_code, result.stdout, result.stderr


def report(datasets: Path, *extra: str) -> tuple[int, list[dict]]:
    code, out, _ = run(str(datasets), "--format", "json", "--lang", "en", "--timeout", "1", *extra)
    return code, json.loads(out)["findings"]


def cache_of(datasets: Path) -> dict:
    return json.loads((datasets / ".cache" / "links.json").read_text(encoding="utf-8"))["links"]


# ── results per URL ─────────────────────────────────────────────────────────────────────────────


def test_each_kind_of_answer_gets_its_result(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    urls = [f"{b}/ok", f"{b}/chain/3", f"{b}/missing", f"{b}/gone", f"{b}/broken", f"{b}/head-refused"]
    datasets = catalog_citing(tmp_path, urls)
    code, found = report(datasets)
    assert code == 0  # warnings only
    by_url = {f["value"]: f for f in found}
    assert set(by_url) == {f"{b}/chain/3", f"{b}/missing", f"{b}/gone", f"{b}/broken"}
    assert by_url[f"{b}/chain/3"]["code"] == "link-moved"
    assert f"'{b}/ok'" in by_url[f"{b}/chain/3"]["message"]
    assert by_url[f"{b}/missing"]["code"] == "link-gone"
    assert by_url[f"{b}/gone"]["code"] == "link-gone"
    assert "410" in by_url[f"{b}/gone"]["message"]
    assert by_url[f"{b}/broken"]["code"] == "link-failing"
    assert "500" in by_url[f"{b}/broken"]["message"]
    assert all(f["severity"] == "warning" for f in found)
    cached = cache_of(datasets)
    assert cached[f"{b}/ok"]["status"] == "ok"
    assert cached[f"{b}/head-refused"]["status"] == "ok"  # GET after the HEAD was refused
    assert cached[f"{b}/chain/3"]["redirects"] == [f"{b}/chain/2", f"{b}/chain/1", f"{b}/ok"]
    assert cached[f"{b}/chain/3"]["final_url"] == f"{b}/ok"


def test_a_finding_names_the_file_and_the_lines_of_every_row_citing_it(
    server: Server, tmp_path: Path, loopback: None
) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/ok", f"{b}/missing", f"{b}/ok", f"{b}/missing", f"{b}/ok"])
    _, found = report(datasets)
    assert len(found) == 1  # one URL, one file: one finding, not one per row
    f = found[0]
    assert f["path"].endswith("bogota/agreements.csv")
    assert (f["line"], f["row"], f["field"]) == (3, 2, "source_url")  # header is line 1
    assert "(cited on 2 rows: lines 3 and 5; checked on 20" in f["message"]


def test_document_urls_are_checked_too(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/ok"], documents=[f"{b}/gone"])
    _, found = report(datasets)
    assert [(f["code"], f["field"], f["line"]) for f in found] == [("link-gone", "document_url", 2)]


def test_a_temporary_redirect_is_ok_and_a_loop_stops(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/temporary", f"{b}/loop"])
    _, found = report(datasets)
    assert [(f["code"], f["value"]) for f in found] == [("link-failing", f"{b}/loop")]
    assert "more than 5 redirects" in found[0]["message"]
    loops = [h for h in server.hits if h[1] == "/loop"]
    assert len(loops) == 6  # the first request and five redirects, no more


def test_dead_sources_suggest_the_web_archive_without_calling_it(
    server: Server, tmp_path: Path, loopback: None
) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/gone", f"{b}/broken"])
    _, found = report(datasets)
    assert {f["code"] for f in found} == {"link-gone", "link-failing"}
    for f in found:
        assert f"https://web.archive.org/web/*/{f['value']}" in f["hint"]
    _, out, _ = run(str(datasets), "--lang", "es")
    assert "Busca una copia archivada en https://web.archive.org/web/*/" in out
    assert "Enlace desaparecido [link-gone]" in out
    assert f"«{b}/gone» ya no existe: el servidor responde 410 Gone (citado en la línea 2; revisado el" in out


def test_strict_makes_gone_links_errors(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/gone", f"{b}/broken"])
    code, found = report(datasets, "--strict")
    assert code == 1
    assert {(f["code"], f["severity"]) for f in found} == {
        ("link-gone", "error"),
        ("link-failing", "warning"),  # a passing failure is not proof the page is gone
    }
    code, _, _ = run(str(datasets), "--strict", "--format", "github", "--lang", "en")
    assert code == 1


# ── limits ──────────────────────────────────────────────────────────────────────────────────────


def test_a_server_that_stalls_times_out(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/slow"])
    started = time.monotonic()
    _, found = report(datasets)
    assert time.monotonic() - started < 6  # HEAD and GET, one second each at most
    assert [f["code"] for f in found] == ["link-failing"]
    assert "did not finish within 1 s" in found[0]["message"]


def test_an_endless_body_is_never_read(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/huge"])
    _, found = report(datasets)
    assert found == []  # the page answers: that is all the check needs
    time.sleep(0.3)
    assert server.sent < BIG // 4, f"{server.sent} bytes sent: the body was read"


@pytest.mark.parametrize("path", ["/to-private", "/to-intranet"])
def test_a_redirect_to_a_private_address_is_refused(
    server: Server, tmp_path: Path, loopback: None, path: str
) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}{path}"])
    _, found = report(datasets)
    assert [f["code"] for f in found] == ["link-failing"]
    assert "it redirects to 'http://" in found[0]["message"]
    assert "address" in found[0]["message"] and "public" in found[0]["message"]


def test_loopback_is_refused_without_the_test_switch(server: Server, tmp_path: Path) -> None:
    datasets = catalog_citing(tmp_path, [f"{base(server)}/ok"])
    _, found = report(datasets)
    assert [f["code"] for f in found] == ["link-failing"]
    assert "loopback address 127.0.0.1" in found[0]["message"]
    assert server.hits == []  # refused before connecting


def test_at_most_two_requests_at_a_time_per_host(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/busy?n={i}" for i in range(8)])
    _, found = report(datasets)
    assert found == []
    assert len([h for h in server.hits if h[1].startswith("/busy")]) == 8  # once each, HEAD only
    assert server.most == 2


# ── the cache ───────────────────────────────────────────────────────────────────────────────────


def test_a_rerun_asks_only_what_is_older_than_max_age(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/ok", f"{b}/gone"])
    _, first = report(datasets)
    asked = len(server.hits)
    assert asked >= 2 and (datasets / ".cache" / "links.json").is_file()
    _, out, err = run(str(datasets), "--format", "json", "--lang", "en")
    assert len(server.hits) == asked  # nothing asked again
    assert "asking 0, 2 from the cache" in err
    assert json.loads(out)["findings"] == first  # the cached result still reported
    _, again = report(datasets, "--max-age", "0")
    assert len(server.hits) > asked
    assert again == first


def test_a_cached_result_past_its_age_is_asked_again(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/ok"])
    cache = tmp_path / "mine.json"
    report(datasets, "--cache", str(cache))
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["links"][f"{b}/ok"]["checked"] = "2020-01-01T00:00:00+00:00"
    cache.write_text(json.dumps(data), encoding="utf-8")
    asked = len(server.hits)
    report(datasets, "--cache", str(cache), "--max-age", "30")
    assert len(server.hits) == asked + 1
    assert not (datasets / ".cache").exists()


def test_a_damaged_cache_means_asking_again(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/gone"])
    (datasets / ".cache").mkdir()
    (datasets / ".cache" / "links.json").write_text("{not json", encoding="utf-8")
    code, found = report(datasets)
    assert code == 0 and [f["code"] for f in found] == ["link-gone"]
    assert len(server.hits) >= 1


def test_a_missing_path_is_a_usage_error() -> None:
    code, _, err = run("no-such-folder", "--lang", "en")
    assert code == 2
    assert "'no-such-folder' does not exist" in err


def test_a_failing_link_is_asked_again_on_every_run(server: Server, tmp_path: Path, loopback: None) -> None:
    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/broken", f"{b}/gone"])
    report(datasets)
    broken = len([h for h in server.hits if h[1] == "/broken"])
    gone = len([h for h in server.hits if h[1] == "/gone"])
    _, _, err = run(str(datasets), "--lang", "en")
    assert "asking 1, 1 from the cache" in err
    assert len([h for h in server.hits if h[1] == "/broken"]) == 2 * broken  # a failure may pass
    assert len([h for h in server.hits if h[1] == "/gone"]) == gone  # a 410 is trusted for --max-age


def test_a_certificate_that_does_not_verify_is_failing(tmp_path: Path, loopback: None) -> None:
    """A TLS server on 127.0.0.1 with a self-signed certificate: the link fails, it is not ok."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    srv = Server(("127.0.0.1", 0), Handler)
    srv.release = threading.Event()
    srv.hits, srv.lock, srv.active, srv.most, srv.sent = [], threading.Lock(), 0, 0, 0
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        datasets = catalog_citing(tmp_path, [f"https://127.0.0.1:{srv.server_port}/ok"])
        _, found = report(datasets)
    finally:
        srv.shutdown()
        srv.server_close()
    assert [f["code"] for f in found] == ["link-failing"]
    assert "could not connect" in found[0]["message"]
    assert "CERTIFICATE_VERIFY_FAILED" in found[0]["message"] or "certificate" in found[0]["message"]
    assert srv.hits == []  # the request never went past the handshake


def test_the_python_api_gives_every_urls_result(server: Server, tmp_path: Path, loopback: None) -> None:
    import toolkit

    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/ok", f"{b}/gone"])
    result = toolkit.check_links(datasets, cache=tmp_path / "links.json", delay=0)
    assert isinstance(result, toolkit.LinkCheck)
    assert result.counts() == {"ok": 1, "moved": 0, "gone": 1, "failing": 0}
    assert [c.line for c in result.citations[f"{b}/gone"]] == list(range(3, 35))
    assert result.report.valid and [f.code for f in result.report.findings] == ["link-gone"]


def test_an_interrupted_run_stops_soon_and_keeps_what_it_learnt(
    server: Server, tmp_path: Path, loopback: None
) -> None:
    import _thread

    b = base(server)
    datasets = catalog_citing(tmp_path, [f"{b}/gone", f"{b}/slow"])
    cache = tmp_path / "links.json"
    timer = threading.Timer(1.0, _thread.interrupt_main)  # Ctrl-C while /slow stalls
    started = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        links.check_links(datasets, cache=cache, timeout=8, delay=0)
    assert time.monotonic() - started < 4  # not the 8 s /slow could take, nor 16 for HEAD and GET
    kept = json.loads(cache.read_text(encoding="utf-8"))["links"]
    assert list(kept) == [f"{b}/gone"]
