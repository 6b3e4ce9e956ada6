"""``build`` and ``publish ckan`` show personal data in a boxed notice, before anything is uploaded.

A copy of the catalog gets an e-mail address and a CURP planted in two text fields; the commands
run in-process (click's CliRunner: standard error is not a terminal, so the notice is the plain
block). Publishing goes to a small local portal that refuses every request, which proves the notice
came out before the first upload. The shipped catalog gets no notice.
"""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from csvedit import edit_cell

from toolkit.cli import cli
from toolkit.report.findings import make_finding
from toolkit.validation.privacy_notice import mask, personal_cells, render_plain

ROOT = Path(__file__).resolve().parent.parent
EMAIL = "ana.lopez@example.com"
CURP = "GODE561231HDFRRN09"


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("planted")
    shutil.copytree(ROOT / "datasets", base / "datasets")
    shutil.copytree(ROOT / "schemas", base / "schemas")
    agreements = base / "datasets" / "bogota" / "agreements.csv"
    edit_cell(agreements, 1, "notes", f"Contacto: {EMAIL}")
    edit_cell(agreements, 3, "signatories", f"Alcaldesa (CURP {CURP})")
    return base / "datasets"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env={"CI": "true"})
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def built(planted: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    out = tmp_path_factory.mktemp("site") / "site"
    code, stdout, stderr = invoke("build", str(planted), "--out", str(out), "--lang", "es")
    return code, stdout, stderr, out


@pytest.fixture(scope="module")
def clean_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, str, Path]:
    out = tmp_path_factory.mktemp("clean") / "site"
    code, stdout, stderr = invoke("build", str(ROOT / "datasets"), "--out", str(out), "--lang", "en")
    return code, stdout, stderr, out


class Portal(http.server.ThreadingHTTPServer):
    daemon_threads = True
    requests: int


class Refuse(http.server.BaseHTTPRequestHandler):
    server: Portal

    def _answer(self) -> None:
        self.server.requests += 1
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"success": false, "error": {"__type": "Authorization Error", "message": "no"}}'
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    server = Portal(("127.0.0.1", 0), Refuse)
    server.requests = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def publish(portal: Portal, *args: str) -> tuple[int, str, str]:
    url = f"http://127.0.0.1:{portal.server_port}"
    common = ["--url", url, "--org", "org", "--retries", "0", "--timeout", "5"]
    result = CliRunner().invoke(
        cli, ["publish", "ckan", *args, *common], env={"CI": "true", "CKAN_API_TOKEN": "t0ken-" + "0" * 40}
    )
    return result.exit_code, result.stdout, result.stderr


def test_build_shows_the_notice_and_still_succeeds(built: tuple[int, str, str, Path]) -> None:
    code, stdout, stderr, out = built
    assert code == 0, stderr
    lines = stderr.splitlines()
    first = lines.index("!! AVISO: 2 celdas parecen contener datos personales")
    assert lines[first - 1] == lines[first + 1] == "!" * 78
    assert lines[first + 2].endswith(
        "bogota/agreements.csv, línea 2, columna U («notes»): "
        "una dirección de correo electrónico: a•••@example.com"
    )
    assert lines[first + 3].endswith(
        "bogota/agreements.csv, línea 4, columna N («signatories»): una CURP: GO••••••••••••••09"
    )
    assert lines[-4:] == [
        "    fields:",
        "      - name: notes",
        "        publicContact: true",
        "!" * 78,
    ]
    assert EMAIL not in stderr + stdout and CURP not in stderr + stdout
    assert (out / "index.html").is_file()


def test_a_clean_catalog_shows_no_notice(clean_build: tuple[int, str, str, Path]) -> None:
    code, stdout, stderr, _ = clean_build
    assert code == 0, stderr
    assert "personal" not in (stdout + stderr).lower()
    assert "!!" not in stderr


def test_publish_shows_the_notice_before_uploading(planted: Path, portal: Portal, tmp_path: Path) -> None:
    portal.requests = 0
    code, _, stderr = publish(portal, str(planted), "--out", str(tmp_path / "pk"), "--lang", "en")
    assert code == 3  # the portal refused
    assert portal.requests >= 1
    lines = stderr.splitlines()
    assert "!! WARNING: 2 cells look like personal data" in lines
    assert any(
        line.endswith("agreements.csv, line 2, column U ('notes'): an e-mail address: a•••@example.com")
        for line in lines
    ), stderr
    curp = (
        "agreements.csv, line 4, column N ('signatories'): a CURP (Mexican personal ID): GO••••••••••••••09"
    )
    assert any(line.endswith(curp) for line in lines), stderr
    assert stderr.index("WARNING: 2 cells") < stderr.index("Error:")  # before the failed upload


def test_publish_of_built_packages_scans_them(
    built: tuple[int, str, str, Path], clean_build: tuple[int, str, str, Path], portal: Portal
) -> None:
    code, _, stderr = publish(portal, "--packages", str(built[3] / "descargas"), "--lang", "es")
    assert code == 3
    assert "!! AVISO: 2 celdas parecen contener datos personales" in stderr.splitlines()
    curp = "bogota/agreements.csv, línea 4, columna N («signatories»): una CURP: GO••••••••••••••09"
    assert any(line.endswith(curp) for line in stderr.splitlines()), stderr
    code, _, stderr = publish(portal, "--packages", str(clean_build[3] / "descargas"), "--lang", "es")
    assert code == 3
    assert "!!" not in stderr and "AVISO" not in stderr


@pytest.mark.parametrize(
    ("value", "kind", "masked"),
    [
        ("Contacto: ana.lopez@example.com", "email", "a•••@example.com"),
        ("Tel. 55 1234 5678", "phone", "•• •••• ••78"),
        ("RFC GODE561231AB1", "rfc", "GO•••••••••B1"),
        ("\x1b[31mx", "curp", "?[•••"),  # not the kind: two characters, never an escape sequence
    ],
)
def test_masking(value: str, kind: str, masked: str) -> None:
    assert mask(value, kind) == masked


def test_the_listing_is_capped() -> None:
    findings = [
        make_finding(
            "personal-data",
            path="a.csv",
            row=i,
            line=i,
            field="notes",
            column="B",
            value=f"x{i}@example.org",
            detail="una dirección de correo electrónico",
            detail_en="an e-mail address",
        )
        for i in range(2, 40)
    ]
    text = render_plain(personal_cells(findings), "en")
    assert "!! WARNING: 38 cells look like personal data" in text
    assert "… and 13 more; 'ciudades validate' lists them all." in text
    assert render_plain(personal_cells([]), "en") == ""
