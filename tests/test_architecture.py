"""The layout that docs/architecture.md describes: its import rules, no circles, one purpose per module."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLKIT = ROOT / "toolkit"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(TOOLKIT.rglob("*.py"))}


def package_of(module: str) -> str:
    """``toolkit.validation.fast.run`` → ``toolkit.validation``; ``toolkit.cli`` → ``toolkit.cli``."""
    return ".".join(module.split(".")[:2])


def lazy_names() -> dict[str, str]:
    """The names ``toolkit/__init__.py`` imports on first use, and the module each comes from."""
    tree = ast.parse((TOOLKIT / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign | ast.Assign) and isinstance(node.value, ast.Dict):
            targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
            if any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in targets):
                return ast.literal_eval(node.value)
    raise AssertionError("toolkit/__init__.py has no _LAZY table")


def imported_modules(path: Path, module: str) -> Iterator[tuple[int, str]]:
    """Every toolkit module ``path`` imports, at the top or inside a function: (line, module).

    ``from toolkit import validate`` counts as importing the module the public name comes from;
    ``from toolkit import __version__`` (the package's own constants) imports nothing else."""
    lazy = lazy_names()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "toolkit":
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - node.level + 1]
                base = ".".join([*here, base] if base else here)
            if base.split(".")[0] != "toolkit":
                continue
            targets = set()
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:
                    targets.add(full)
                elif base == "toolkit" and alias.name in lazy:
                    targets.add(lazy[alias.name])
                elif base != "toolkit":
                    targets.add(base)
            for target in sorted(targets):
                yield node.lineno, target


def rules() -> dict[str, set[str]]:
    """The "Import rules" table of docs/architecture.md: package → the packages it may import."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Import rules", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0].startswith("`toolkit"):
            table[cells[0].strip("`")] = set(re.findall(r"`(toolkit[\w.]*)`", cells[1]))
    assert table, "docs/architecture.md has no import rules table"
    return table


def package_imports() -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) → where, for every import that crosses packages."""
    arrows: dict[tuple[str, str], list[str]] = {}
    for module, path in MODULES.items():
        if module == "toolkit":
            continue  # the public API: imports its names lazily, on first use
        for line, target in imported_modules(path, module):
            source, dest = package_of(module), package_of(target)
            if dest not in (source, "toolkit"):
                arrows.setdefault((source, dest), []).append(
                    f"{path.relative_to(ROOT)}:{line} imports {target}"
                )
    return arrows


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The circles of ``graph`` (strongly connected parts of more than one node, or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                part.append(top)
                if top == node:
                    break
            if len(part) > 1 or node in graph.get(node, ()):
                found.append(sorted(part))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_package_has_a_row_in_the_rules() -> None:
    table = rules()
    packages = {package_of(m) for m in MODULES} - {"toolkit"}
    assert packages - set(table) == set(), "add these to docs/architecture.md's import rules"
    assert set(table) - packages == set(), "docs/architecture.md names packages that do not exist"
    for allowed in table.values():
        assert allowed <= set(table), allowed - set(table)


def test_packages_import_only_what_the_rules_allow() -> None:
    table = rules()
    wrong = [
        where
        for (source, dest), places in sorted(package_imports().items())
        if dest not in table[source]
        for where in places
    ]
    assert wrong == [], "imports that docs/architecture.md does not allow:\n" + "\n".join(wrong)


def test_no_circle_between_packages() -> None:
    graph: dict[str, set[str]] = {}
    for source, dest in package_imports():
        graph.setdefault(source, set()).add(dest)
    assert cycles(graph) == []
    assert cycles(rules()) == [], "the rules themselves must draw no circle"


def test_the_circle_finder_finds_circles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_reader_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "mod.py"
    source.write_text(
        "from toolkit.report import findings\n"
        "def f():\n"
        "    from toolkit.site.build import build\n"
        "    import toolkit.review.diff\n"
        "    from toolkit import validate, __version__\n",
        encoding="utf-8",
    )
    found = [target for _, target in imported_modules(source, "toolkit.catalog.mod")]
    assert found == [
        "toolkit.report.findings",
        "toolkit.site.build",
        "toolkit.review.diff",
        "toolkit.validation.validator",
    ]


def test_nothing_but_the_cli_imports_click() -> None:
    users = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(n.split(".")[0] == "click" for n in names):
                users.append(module)
    assert set(users) == {"toolkit.cli"}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_states_its_purpose_in_its_first_line(module: str) -> None:
    """The first line of every module's docstring is one sentence: what the module is for."""
    doc = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8")))
    assert doc, f"{module} has no docstring"
    first = doc.splitlines()[0]
    assert re.fullmatch(r"[A-Z`].*\.", first), f"{module}: {first!r} is not a sentence on one line"


def test_the_catalog_accepts_the_profiles_validation_has() -> None:
    """The model names the profiles it accepts without importing the checks: both lists agree."""
    from toolkit.catalog.model import PROFILE_NAMES
    from toolkit.validation.profiles import PROFILES

    assert tuple(PROFILES) == PROFILE_NAMES
