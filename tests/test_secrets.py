"""The CKAN token never shows: not in output, logs, exceptions, JSON reports or the built site.

A small local portal answers every request with an error that echoes the token back (in the message,
in the body, in a validation error), the way a misconfigured or hostile portal might. The command
line runs against it in a child process, with and without ``--debug``, and everything it prints is
searched for the token, as is every file of a site and packages built with the token in the
environment.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from toolkit.errors import ToolkitError
from toolkit.publish import CkanClient, Secret

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "ckan-TOKEN-6f1d0c9e2b7a4d3f8e5c1a9b0d2e4f6a"

# status, body (str.format'ed with the token the request carried)
ANSWERS: dict[str, tuple[int, str]] = {
    "401": (
        401,
        '{{"success": false, "error": {{"__type": "Authorization Error", "message": "bad key {0}"}}}}',
    ),
    "403": (
        403,
        '{{"success": false, "error": {{"__type": "Authorization Error", "message": "{0} not allowed"}}}}',
    ),
    "409": (409, '{{"success": false, "error": {{"__type": "Validation Error", "name": ["{0} in use"]}}}}'),
    "500": (500, "Internal Server Error: Authorization: {0}"),
    "html": (200, "<html><body>token {0}</body></html>"),
}


class Portal(http.server.ThreadingHTTPServer):
    mode = "401"
    seen: list[str]


class Handler(http.server.BaseHTTPRequestHandler):
    server: Portal

    def _answer(self) -> None:
        sent = self.headers.get("Authorization", "")
        self.server.seen.append(sent)
        if self.headers.get("Content-Length"):
            self.rfile.read(int(self.headers["Content-Length"]))
        status, body = ANSWERS[self.server.mode]
        data = body.format(sent).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if body.startswith("<") else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def portal() -> Iterator[Portal]:
    server = Portal(("127.0.0.1", 0), Handler)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Packages and a site built with the token in the environment."""
    base = tmp_path_factory.mktemp("secrets")
    env = {**os.environ, "CKAN_API_TOKEN": TOKEN, "CI": "true"}
    for command, out in (("package", "pk"), ("build", "site")):
        done = subprocess.run(
            [sys.executable, "-m", "toolkit", command, str(ROOT / "datasets"), "--out", str(base / out)],
            env=env,
            capture_output=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert TOKEN.encode() not in done.stdout + done.stderr
    return base


def _publish(portal: Portal, packages: Path, *extra: str, token_file: Path | None = None) -> str:
    env = {**os.environ, "CI": "true"}
    env.pop("CKAN_API_TOKEN", None)
    args = [
        sys.executable,
        "-m",
        "toolkit",
        "publish",
        "ckan",
        "--url",
        f"http://127.0.0.1:{portal.server_port}",
    ]
    args += ["--org", "org", "--packages", str(packages), "--retries", "0", "--timeout", "5", *extra]
    if token_file is None:
        env["CKAN_API_TOKEN"] = TOKEN
    else:
        args += ["--api-token-file", str(token_file)]
    done = subprocess.run(args, env=env, capture_output=True, timeout=120)
    assert done.returncode != 0
    return (done.stdout + done.stderr).decode("utf-8", "replace")


@pytest.mark.parametrize("mode", sorted(ANSWERS))
@pytest.mark.parametrize("extra", [(), ("--format", "json"), ("--debug",), ("--lang", "en")], ids=str)
def test_the_token_never_shows_in_the_output(
    portal: Portal, built: Path, mode: str, extra: tuple[str, ...]
) -> None:
    portal.mode, portal.seen = mode, []
    output = _publish(portal, built / "pk", *extra)
    assert portal.seen and all(sent == TOKEN for sent in portal.seen)  # the portal did get it, and echoed it
    assert output.strip()
    assert TOKEN not in output
    assert TOKEN[5:25] not in output  # not even a part of it


def test_the_token_file_never_shows(portal: Portal, built: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    portal.mode, portal.seen = "403", []
    output = _publish(portal, built / "pk", "--debug", token_file=token_file)
    assert portal.seen == [TOKEN] * len(portal.seen) and portal.seen
    assert TOKEN not in output


@pytest.mark.parametrize("mode", sorted(ANSWERS))
def test_exceptions_never_carry_the_token(portal: Portal, mode: str) -> None:
    portal.mode, portal.seen = mode, []
    client = CkanClient(f"http://127.0.0.1:{portal.server_port}", Secret(TOKEN), retries=0, timeout=5)
    with pytest.raises(ToolkitError) as info:
        client.action("package_create", data={"name": "x"})
    assert portal.seen == [TOKEN]
    ex = info.value
    texts = [str(ex), repr(ex), ex.message_es, ex.message_en, *traceback.format_exception(ex)]
    texts += [json.dumps(vars(ex), default=repr), repr(client), repr(client.token)]
    assert not [t for t in texts if TOKEN in t]


def test_the_built_outputs_never_carry_the_token(built: Path) -> None:
    files = [p for p in built.rglob("*") if p.is_file()]
    assert len(files) > 100
    assert [p for p in files if TOKEN.encode() in p.read_bytes()] == []
