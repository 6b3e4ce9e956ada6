"""A real CKAN 2.10 on 127.0.0.1 for the publishing tests, with its own PostgreSQL and Redis.

What it sets up (and tears down):

* CKAN 2.10.11 and ckanext-validation 2.2.0 (with frictionless 5.18) in their own virtual
  environment, cached in ``.cache/ckan-venv/<hash of the requirements>/`` inside the repository so
  that a second run starts in seconds; the first one installs from PyPI with uv (about a minute).
* A private PostgreSQL cluster (``initdb``, trust authentication, listening on 127.0.0.1 on a port of
  its own; as the ``postgres`` user when the tests run as root) and a Redis server without
  persistence (``--save ""``).
* ``ckan.ini``, ``ckan db init``, the validation tables, a sysadmin with an API token, and an
  organisation; then ``ckan run``.

There is no Apache Solr here. The test-only plugin in ``tests/ckan/ckanext-nosolr`` swaps CKAN's
package search index for its own no-op index, so that create, show, patch, update, delete and
uploads work; ``package_search``, ``organization_show`` and the web pages still fail, and
``organization_create`` answers 500 although the organisation is stored.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NOSOLR = HERE / "ckanext-nosolr"
CACHE = ROOT / ".cache" / "ckan-venv"
CKAN_VERSION = "2.10.11"
# Two steps: CKAN 2.10 pins an old typing-extensions that frictionless 5.18 outgrows.
# ckanext-validation 2.2.0 imports ckantoolkit, tabulator and tableschema without declaring them.
REQUIREMENTS = (
    (f"ckan[requirements]=={CKAN_VERSION}",),
    (
        "ckanext-validation==2.2.0",
        "ckantoolkit==0.0.7",
        "tabulator==1.53.5",
        "tableschema==1.21.0",
        "frictionless==5.18.1",
    ),
)
UV = "uv==0.13.8"
ORG = "ciudades-al-mundo"
SYSADMIN = "publicador"


class SetupError(RuntimeError):
    """CKAN, PostgreSQL or Redis could not be started."""


def missing_programs() -> list[str]:
    """System programs the server needs that are not installed (installed by .ci/run)."""
    missing = [p for p in ("redis-server",) if shutil.which(p) is None]
    if _pg_bindir() is None:
        missing.append("postgresql (initdb, pg_ctl)")
    return missing


def _pg_bindir() -> Path | None:
    # Debian keeps the server programs out of PATH, under /usr/lib/postgresql/<major>/bin.
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if candidates:
        return candidates[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(cmd: list[str], log: Path, **kwargs: Any) -> str:
    with log.open("a", encoding="utf-8") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    with log.open("a", encoding="utf-8") as fh:
        fh.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SetupError(f"{' '.join(cmd[:4])}… failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


# ── the cached virtual environment ──────────────────────────────────────────────────────────────


def venv_key() -> str:
    h = hashlib.sha256()
    h.update(json.dumps([REQUIREMENTS, UV, sys.version_info[:2]]).encode())
    for path in sorted(NOSOLR.rglob("*")):
        if path.is_file() and "egg-info" not in path.as_posix() and "__pycache__" not in path.parts:
            h.update(path.relative_to(NOSOLR).as_posix().encode() + path.read_bytes())
    return h.hexdigest()[:16]


def ensure_venv(log: Path) -> Path:
    """The CKAN virtual environment, created once per set of requirements."""
    CACHE.mkdir(parents=True, exist_ok=True)
    venv = CACHE / venv_key()
    with (CACHE / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs must not build the same folder at once
        if (venv / ".ready").is_file():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], log)
        python = str(venv / "bin" / "python")
        # uv installs the same pinned set as pip in about half the time (a cold CI run pays it).
        _run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", UV], log)
        install = [str(venv / "bin" / "uv"), "pip", "install", "-q", "--python", python]
        for step in REQUIREMENTS:
            _run([*install, *step], log)
        # Copied, not linked: the build writes into the source folder otherwise.
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copytree(NOSOLR, Path(tmp) / "src", ignore=shutil.ignore_patterns("*.egg-info", "build"))
            _run([*install, str(Path(tmp) / "src")], log)
        (venv / ".ready").write_text(CKAN_VERSION + "\n")
        for old in CACHE.iterdir():  # keep only the current environment
            if old.is_dir() and old != venv:
                shutil.rmtree(old, ignore_errors=True)
        return venv


# ── the running services ────────────────────────────────────────────────────────────────────────


@dataclass
class CkanServer:
    url: str
    token: str
    org: str
    sysadmin: str
    venv: Path
    ini: Path
    storage: Path
    log: Path

    def api(self, action: str, token: str | None = None, **params: Any) -> Any:
        """Call a CKAN action (GET) as the sysadmin and return its ``result``."""
        query = urllib.parse.urlencode(params)
        req = urllib.request.Request(
            f"{self.url}/api/3/action/{action}" + (f"?{query}" if query else ""),
            headers={"Authorization": token or self.token},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())["result"]

    def post(self, action: str, data: dict[str, Any]) -> Any:
        req = urllib.request.Request(
            f"{self.url}/api/3/action/{action}",
            data=json.dumps(data).encode(),
            headers={"Authorization": self.token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read())["result"]

    def ckan(self, *args: str) -> str:
        """Run the ``ckan`` command line against this server's configuration."""
        return _run([str(self.venv / "bin" / "ckan"), "-c", str(self.ini), *args], self.log)


def _wait_for(url: str, seconds: float, proc: subprocess.Popen[bytes] | None, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SetupError(f"the server exited ({proc.returncode}); see {log}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    raise SetupError(f"{url} did not answer within {seconds:.0f} s; see {log}")


def _wait_for_port(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise SetupError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


class _Services:
    """Start order PostgreSQL → Redis → CKAN; stop in reverse, whatever failed on the way."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.log = work / "setup.log"
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pg_data: Path | None = None
        self.pg_bin: Path | None = None

    def _as_postgres(self, cmd: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd

    def start_postgres(self) -> int:
        self.pg_bin = _pg_bindir()
        if self.pg_bin is None:
            raise SetupError("PostgreSQL is not installed (apt package postgresql)")
        port = free_port()
        data = self.work / "pg"
        data.mkdir()
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(data, "postgres", "postgres")
            self.work.chmod(0o755)
        _run(
            self._as_postgres(
                [str(self.pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8"]
            ),
            self.log,
        )
        self.pg_data = data
        opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run(
            self._as_postgres(
                [
                    str(self.pg_bin / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-l",
                    str(data / "log"),
                    "-w",
                    "start",
                ]
            ),
            self.log,
        )
        _run(
            [str(self.pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "ckan"],
            self.log,
        )
        return port

    def start_redis(self) -> int:
        port = free_port()
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.procs.append(proc)
        _wait_for_port(port, 20)
        return port

    def start_ckan(self, venv: Path, ini: Path, port: int) -> None:
        cmd = [
            str(venv / "bin" / "ckan"),
            "-c",
            str(ini),
            "run",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
            "-t",
            "-r",
        ]
        with (self.work / "ckan.log").open("ab") as out:  # the child keeps its own descriptor
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        _wait_for(f"http://127.0.0.1:{port}/api/3/action/status_show", 120, proc, self.work / "ckan.log")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        if self.pg_data is not None and self.pg_bin is not None:
            subprocess.run(
                self._as_postgres(
                    [str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
                check=False,
            )


def _write_ini(venv: Path, ini: Path, settings: dict[str, str], log: Path) -> None:
    ckan = str(venv / "bin" / "ckan")
    _run([ckan, "generate", "config", str(ini)], log)
    _run([ckan, "config-tool", str(ini), *(f"{k}={v}" for k, v in settings.items())], log)


@contextlib.contextmanager
def running_ckan() -> Iterator[CkanServer]:
    """Bring up PostgreSQL, Redis and CKAN; yield the server; tear everything down."""
    work = Path(tempfile.mkdtemp(prefix="ckan-test-"))
    services = _Services(work)
    try:
        venv = ensure_venv(services.log)
        pg_port = services.start_postgres()
        redis_port = services.start_redis()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        storage = work / "storage"
        storage.mkdir()
        ini = work / "ckan.ini"
        _write_ini(
            venv,
            ini,
            {
                "sqlalchemy.url": f"postgresql://postgres@127.0.0.1:{pg_port}/ckan",
                "ckan.site_url": url,
                "ckan.redis.url": f"redis://127.0.0.1:{redis_port}/0",
                "solr_url": "http://127.0.0.1:1/solr/ckan",  # never reached: see ckanext-nosolr
                "ckan.storage_path": str(storage),
                "ckan.max_resource_size": "10",
                "ckan.plugins": "nosolr validation",
                "ckanext.validation.run_on_create_sync": "true",
                "ckanext.validation.run_on_update_sync": "true",
                "ckan.auth.create_unowned_dataset": "false",
                "debug": "false",
            },
            services.log,
        )
        server = CkanServer(url, "", ORG, SYSADMIN, venv, ini, storage, services.log)
        server.ckan("db", "init")
        server.ckan("validation", "init-db")
        server.ckan("user", "add", SYSADMIN, f"email={SYSADMIN}@example.org", "password=una-clave-larga-1")
        server.ckan("sysadmin", "add", SYSADMIN)
        server.token = server.ckan("user", "token", "add", SYSADMIN, "tests").strip().splitlines()[-1].strip()
        services.start_ckan(venv, ini, port)
        _create_org(server)
        yield server
    finally:
        services.stop()
        shutil.rmtree(work, ignore_errors=True)


def _create_org(server: CkanServer) -> None:
    # Without a search index CKAN stores the organisation and then answers 500 while dictizing it.
    with contextlib.suppress(urllib.error.HTTPError):
        server.post("organization_create", {"name": server.org, "title": "Ciudades al Mundo"})
    if server.org not in server.api("organization_list"):
        raise SetupError(f"the organisation {server.org} was not created")
