"""The README's two commands and CI stay in step."""

from __future__ import annotations

import re
from pathlib import Path


def commands(readme: str) -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", readme)


def test_readme_has_exactly_two_setup_commands(root: Path) -> None:
    found = commands((root / "README.md").read_text(encoding="utf-8"))
    assert len(found) == 2
    main, tests = found
    assert "pip install" in main and "ciudades build" in main  # build = validate + package + site
    assert "pip install" in tests and "pytest" in tests


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
