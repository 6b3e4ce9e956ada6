"""``ciudades publish ckan`` killed with SIGKILL at random points, then run again: the portal ends in
the same state as after an uninterrupted publish, without duplicates, and a further run writes
nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from ckan_server import CkanServer
from fault_proxy import FaultProxy
from test_publish_ckan import by_slug, download_sha256, expected_files, show

from toolkit.packaging.packages import PackageResult

ROOT = Path(__file__).resolve().parents[2]


def _start(
    server: CkanServer, packages: Path, prefix: str, url: str | None = None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CKAN_API_TOKEN": server.token, "CI": "true"}
    args = ["publish", "ckan", "--packages", str(packages), "--url", url or server.url, "--org", server.org]
    args += ["--prefix", prefix, "--dataset", "ciudad-de-mexico", "--lang", "en"]
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _state(server: CkanServer, name: str) -> dict[str, str]:
    portal = show(server, name)
    assert portal is not None
    names = [r["name"] for r in portal["resources"]]
    assert len(names) == len(set(names)), f"duplicates: {names}"
    return {r["name"]: download_sha256(server, r["url"]) for r in portal["resources"]}


def test_killed_publish_reruns_to_the_same_end_state(
    ckan_server: CkanServer, proxy: FaultProxy, shipped: PackageResult
) -> None:
    cdmx = by_slug(shipped, "ciudad-de-mexico")
    started = time.monotonic()
    reference = _start(ckan_server, shipped.out, "ref-")
    _, err = reference.communicate(timeout=300)
    assert reference.returncode == 0, err.decode()
    seconds = time.monotonic() - started
    assert _state(ckan_server, "ref-ciudad-de-mexico") == expected_files(cdmx)

    rng = random.Random("kill-publish")  # seeded: the same points on every run
    for fraction in sorted(rng.uniform(0.1, 0.9) for _ in range(3)):
        proc = _start(ckan_server, shipped.out, "k-")
        time.sleep(fraction * seconds)
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)

    rerun = _start(ckan_server, shipped.out, "k-")
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, (out + err).decode()
    assert _state(ckan_server, "k-ciudad-de-mexico") == expected_files(cdmx)

    proxy.reset()
    again = _start(ckan_server, shipped.out, "k-", url=proxy.url)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, (out + err).decode()
    assert proxy.writes() == [], "after the rerun there must be nothing left to write"
