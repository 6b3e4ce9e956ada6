"""The README's two commands and CI stay in step."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


def commands(readme: str) -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", readme)


def test_readme_has_exactly_two_setup_commands(root: Path) -> None:
    found = commands((root / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 2
    main, tests = found
    assert "pip install" in main and "ciudades build" in main  # build = validate + package + site
    assert tests == "scripts/test"
    script = (root / "scripts" / "test").read_text(encoding="utf-8")
    assert os.access(root / "scripts" / "test", os.X_OK)
    assert "set -euo pipefail" in script
    for pkg in ("postgresql", "redis-server", "libpq-dev", "libmagic1", "chromium"):
        assert pkg in script
    # pytest's exit code is the script's: nothing may run after it or swallow it (5 must fail).
    lines = [x for x in script.splitlines() if x.strip() and not x.lstrip().startswith("#")]
    assert lines[-3:] == [
        "python3 -m venv .venv",
        '.venv/bin/pip install -q -e ".[test]"',
        'exec .venv/bin/python -m pytest "$@"',
    ]
    assert "|| true" not in script


def _restricted_copy(tools: list[str]) -> tuple[Path, dict[str, str]]:
    """scripts/test alone in a fresh world-readable folder, with a PATH holding only ``tools``."""
    home = Path(tempfile.mkdtemp(prefix="scripts-test-"))
    (home / "scripts").mkdir()
    shutil.copy2(ROOT / "scripts" / "test", home / "scripts" / "test")
    (home / "bin").mkdir()
    for tool in tools:
        found = shutil.which(tool)
        assert found, tool
        (home / "bin" / tool).symlink_to(found)
    for p in (home, home / "scripts", home / "bin"):
        p.chmod(0o755)
    return home, {"PATH": str(home / "bin"), "LANG": "C.UTF-8"}


def test_scripts_test_stops_and_says_what_to_run_without_apt_get() -> None:
    home, env = _restricted_copy(["bash", "dirname", "id"])
    try:
        done = subprocess.run(
            ["bash", str(home / "scripts" / "test")], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 1
        missing = "postgresql redis-server libpq-dev libmagic1 chromium"
        assert f"scripts/test: missing system packages: {missing}." in done.stderr
        assert "this system has no apt-get" in done.stderr
        assert f"apt-get install -y {missing}" in done.stderr
        assert "CIUDADES_TEST_ALLOW_SKIPS=1 scripts/test" in done.stderr
        assert not (home / ".venv").exists()  # stopped before creating anything
    finally:
        shutil.rmtree(home)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to become nobody")
def test_scripts_test_stops_when_it_is_not_root() -> None:
    home, env = _restricted_copy(["bash", "dirname", "id", "apt-get"])
    try:
        nobody = [str(shutil.which("setpriv")), "--reuid=65534", "--regid=65534", "--clear-groups"]
        done = subprocess.run(
            [*nobody, "bash", str(home / "scripts" / "test")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 1, done.stderr
        assert (
            "installing them needs root (run this script as root, or with passwordless sudo)" in done.stderr
        )
        assert not (home / ".venv").exists()
    finally:
        shutil.rmtree(home)


def test_ci_runs_the_readme_test_command(root: Path) -> None:
    _, tests = commands((root / "README.md").read_text(encoding="utf-8"))
    ci = (root / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


def test_readme_row_counts_match_the_data(root: Path) -> None:
    import csv

    readme = (root / "README.md").read_text(encoding="utf-8")
    table = re.findall(r"\| \[`([a-z-]+)`\].*?\| (\d+) \| (\d+) \| (\d+) \|", readme)
    shipped = sorted(p.parent.name for p in (root / "datasets").glob("*/datapackage.yaml"))
    assert sorted(slug for slug, *_ in table) == shipped  # every dataset is in the table, once
    for slug, a, f, p in table:
        for name, expected in (("agreements", a), ("funding", f), ("partners", p)):
            with (root / "datasets" / slug / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
                assert sum(1 for _ in csv.reader(fh)) - 1 == int(expected), (slug, name)
