"""The composite action: action.yml's steps run locally, as a workflow would, on a fixture repository.

The steps' ``run:`` scripts are executed with bash the way GitHub runs them (``bash --noprofile --norc
-eo pipefail``), with the ``${{ … }}`` expressions substituted. Two steps are not run here: the
``uses: actions/setup-python`` step (a JavaScript action of GitHub's) and the install step (it would
``pip install`` the toolkit, which is already installed in the environment running these tests).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=Prueba", "-c", "user.email=prueba@example.org", "-c", "commit.gpgsign=false"]
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def action() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def substitute(text: str, inputs: dict[str, str], github: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("inputs."):
            return inputs[expr.removeprefix("inputs.")]
        if expr.startswith("github."):
            return github[expr.removeprefix("github.")]
        raise AssertionError(f"expression the test does not know: {expr}")

    return EXPRESSION.sub(value, text)


def run_action(repo: Path, given: dict[str, str], github: dict[str, str]) -> list[dict[str, Any]]:
    spec = action()
    inputs = {name: str(opts.get("default", "")) for name, opts in spec["inputs"].items()}
    inputs.update(given)
    github = {"action_path": str(ROOT), "base_ref": "", **github}
    summary = repo.parent / f"{repo.name}-summary.md"
    summary.write_text("", encoding="utf-8")
    bin_dir = str(Path(sys.executable).parent)
    base_env = {
        **os.environ,
        "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""),
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        base_env.pop(key, None)
    results: list[dict[str, Any]] = []
    failed = False
    for step in spec["runs"]["steps"]:
        if "uses" in step or "pip install" in step.get("run", ""):
            continue  # see the module docstring
        condition = step.get("if", "success()")
        if failed and "always()" not in condition and "failure()" not in condition:
            continue
        env = {
            **base_env,
            **{k: substitute(str(v), inputs, github) for k, v in (step.get("env") or {}).items()},
        }
        script = substitute(step["run"], inputs, github)
        assert step.get("shell") == "bash"
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        results.append(
            {"name": step["name"], "code": proc.returncode, "out": proc.stdout, "err": proc.stderr}
        )
        failed = failed or proc.returncode != 0
    results.append({"name": "summary", "out": summary.read_text(encoding="utf-8")})
    return results


@pytest.fixture(scope="module")
def fixture_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("data-repo") / "repo"
    repo.mkdir()
    shutil.copytree(ROOT / "datasets", repo / "datasets")
    shutil.copytree(ROOT / "schemas", repo / "schemas")
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=repo, check=True)
    subprocess.run([*GIT, "commit", "-qm", "base"], cwd=repo, check=True)
    subprocess.run([*GIT, "checkout", "-qb", "contribution"], cwd=repo, check=True)
    path = repo / "datasets" / "ciudad-de-mexico" / "agreements.csv"
    path.write_text(path.read_text("utf-8").replace("2015-11-11,day", "2015-11-31,day", 1), encoding="utf-8")
    subprocess.run([*GIT, "commit", "-qam", "a broken cell"], cwd=repo, check=True)
    return repo


def test_action_declares_its_inputs_and_installs_from_its_own_checkout() -> None:
    spec = action()
    assert set(spec["inputs"]) >= {"path", "lang", "profile", "changed-since"}
    assert spec["runs"]["using"] == "composite"
    install = next(s for s in spec["runs"]["steps"] if "pip install" in s.get("run", ""))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    validate = next(s for s in spec["runs"]["steps"] if "ciudades validate" in s.get("run", ""))
    assert "--format github" in validate["run"]
    # inputs reach the scripts through env, never pasted into the script text (script injection)
    assert not any("${{" in s.get("run", "") for s in spec["runs"]["steps"])


def test_action_on_a_pull_request_with_a_broken_cell(fixture_repo: Path) -> None:
    steps = run_action(fixture_repo, {"path": "datasets", "changed-since": "main"}, {"base_ref": "main"})
    by_name = {s["name"]: s for s in steps}
    validate = by_name["Validate"]
    assert validate["code"] == 1
    assert validate["out"].splitlines()[0] == (
        "::error file=datasets/ciudad-de-mexico/agreements.csv,line=2,title=Tipo de dato incorrecto "
        "[type-error]::línea 2, columna H (date_signed): «2015-11-31» no es una fecha válida en "
        "«date_signed»."
        "%0ACómo corregirlo: Escribe la fecha como AAAA-MM-DD (p. ej. 2016-11-30), con un día que exista."
    )
    assert "Omitidos: bogota, montevideo" in validate["out"]
    assert by_name["Data diff"]["code"] == 0  # runs after the failure (if: always())
    summary = by_name["summary"]["out"]
    assert summary.startswith("## ✗ No válido: 1 error\n")
    assert (
        "| línea 2, columna H (date_signed) | «2015-11-31» no es una fecha válida en «date_signed». |"
        in summary
    )
    assert "## Cambios en los datos: de main (" in summary
    assert "| cdmx-100rc-compromiso-resiliencia-2015 | date_signed | 2015-11-11 | 2015-11-31 |" in summary


def test_action_on_a_push_validates_everything(fixture_repo: Path) -> None:
    subprocess.run([*GIT, "checkout", "-q", "main"], cwd=fixture_repo, check=True)
    try:
        steps = run_action(fixture_repo, {"lang": "en"}, {})
    finally:
        subprocess.run([*GIT, "checkout", "-q", "contribution"], cwd=fixture_repo, check=True)
    by_name = {s["name"]: s for s in steps}
    assert by_name["Validate"]["code"] == 0
    assert "Checked: 3 datasets, 9 tables, " in by_name["Validate"]["out"]
    assert by_name["Validate"]["out"].endswith("✓ Valid: no problems\n")
    assert "no data diff" in by_name["Data diff"]["out"]
    assert by_name["summary"]["out"].startswith("## ✓ Valid: no problems\n")


def test_workflow_uses_the_local_action_and_runs_the_tests() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as true
    assert {"pull_request", "push"} <= set(triggers)
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(s.get("uses") == "./" for s in steps)
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_workflow_audits_the_installed_dependencies() -> None:
    """pip-audit runs on GitHub's runners (this machine's network cannot reach its data)."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))
    runs = [s.get("run", "") for s in workflow["jobs"]["audit"]["steps"]]
    install = next(i for i, r in enumerate(runs) if "pip install -q ." in r)
    freeze = next(i for i, r in enumerate(runs) if "pip freeze" in r)
    audit = next(i for i, r in enumerate(runs) if r.startswith("pip-audit "))
    assert install < freeze < audit
    assert "--exclude ciudades-al-mundo" in runs[freeze]
    assert runs[audit].split()[1:3] == ["-r", runs[freeze].rsplit("> ", 1)[1]]
    assert "--strict" in runs[audit].split()  # an unauditable dependency fails the job too


def test_pre_commit_hook_runs_validate_on_csv_and_yaml() -> None:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"] == "ciudades validate" and hook["language"] == "python"
    pattern = re.compile(hook["files"])
    assert all(pattern.search(p) for p in ("datasets/a/x.csv", "datasets/catalog.yaml", "datapackage.yml"))
    assert not pattern.search("README.md")
