"""The composite action: action.yml's steps run locally, as a workflow would, on a fixture repository.

The steps' ``run:`` scripts are executed with bash the way GitHub runs them (``bash --noprofile --norc
-eo pipefail``), with the ``${{ … }}`` expressions substituted. Two steps are not run here: the
``uses: actions/setup-python`` step (a JavaScript action of GitHub's) and the install step (it would
``pip install`` the toolkit, which is already installed in the environment running these tests).
"""

from __future__ import annotations

import json
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
# the shipped catalog: dataset → number of tables
TABLES = {
    p.parent.name: len(yaml.safe_load(p.read_text(encoding="utf-8"))["resources"])
    for p in sorted((ROOT / "datasets").glob("*/datapackage.yaml"))
}


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
        "GITHUB_WORKSPACE": str(repo),
        "RUNNER_TEMP": str(repo.parent),
    }
    for key in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"):
        base_env.pop(key, None)
    results: list[dict[str, Any]] = []
    step_outputs: dict[str, dict[str, str]] = {}
    failed = False
    for number, step in enumerate(spec["runs"]["steps"]):
        if "uses" in step or "pip install" in step.get("run", ""):
            continue  # see the module docstring
        condition = step.get("if", "success()")
        if failed and "always()" not in condition and "failure()" not in condition:
            continue
        output = repo.parent / f"{repo.name}-output-{number}.txt"  # one file per step, as on a runner
        output.write_text("", encoding="utf-8")
        env = {
            **base_env,
            "GITHUB_OUTPUT": str(output),
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
        if "id" in step:
            step_outputs[step["id"]] = read_outputs(output)
    results.append({"name": "summary", "out": summary.read_text(encoding="utf-8")})
    results.append({"name": "outputs", "out": action_outputs(spec, step_outputs)})
    return results


def read_outputs(path: Path) -> dict[str, str]:
    """A step's ``$GITHUB_OUTPUT`` file as the runner reads it: ``name=value`` lines and
    ``name<<DELIMITER`` … ``DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def action_outputs(spec: dict[str, Any], steps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The action's ``outputs``, each ``${{ steps.ID.outputs.NAME }}`` read from its step (an
    output the step did not write is empty, as on GitHub)."""
    pattern = re.compile(r"^\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}$")
    values = {}
    for name, opts in (spec.get("outputs") or {}).items():
        match = pattern.match(str(opts["value"]))
        assert match, f"output expression the test does not know: {opts['value']}"
        values[name] = steps.get(match.group(1), {}).get(match.group(2), "")
    return values


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
    assert f"Omitidos: {', '.join(s for s in TABLES if s != 'ciudad-de-mexico')}\n" in validate["out"]
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
    assert f"Checked: {len(TABLES)} datasets, {sum(TABLES.values())} tables, " in by_name["Validate"]["out"]
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


# ── pull requests end to end: a city added, changed, removed ─────────────────────────────────────
# As GitHub runs them: the data repository is on a remote ("origin") with its main branch; the
# contributor pushes a branch; the runner clones with history (actions/checkout, fetch-depth: 0),
# checks out the pull request's merge commit, and the action runs with changed-since: origin/main
# (as this repository's own workflow passes it) and github.base_ref = main.


def git(repo: Path, *args: str) -> None:
    subprocess.run([*GIT, *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("origin")
    work = base / "seed"
    shutil.copytree(ROOT / "datasets", work / "datasets")
    shutil.copytree(ROOT / "schemas", work / "schemas")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "the catalog")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(base / "data.git")], check=True)
    return base / "data.git"


def pull_request(origin: Path, tmp_path: Path, change: Any) -> Path:
    """The contributor's branch (made by ``change`` on a clone), then the runner's checkout of the merge."""
    contributor = tmp_path / "contributor"
    subprocess.run(["git", "clone", "-q", str(origin), str(contributor)], check=True)
    branch = tmp_path.name  # one branch per pull request on the shared remote
    git(contributor, "checkout", "-q", "-b", branch)
    change(contributor / "datasets")
    git(contributor, "add", "-A")
    git(contributor, "commit", "-qm", "contribution")
    git(contributor, "push", "-q", "origin", branch)
    runner = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", str(origin), str(runner)], check=True)
    git(runner, "checkout", "-q", "--detach", "origin/main")
    git(runner, "merge", "-q", "--no-ff", "-m", f"Merge {branch} into main", f"origin/{branch}")
    return runner


def on_pull_request(runner: Path) -> dict[str, dict[str, Any]]:
    steps = run_action(runner, {"path": "datasets", "changed-since": "origin/main"}, {"base_ref": "main"})
    by_name = {s["name"]: s for s in steps}
    assert by_name["Data diff"]["code"] == 0
    assert "::warning" not in by_name["Data diff"]["out"]  # the diff was computed, not given up on
    return by_name


def rows(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def new_city(catalog: Path) -> None:
    """A new city, added as a contributor would: another city's folder copied and its descriptor adapted."""
    folder = catalog / "ciudad-nueva"
    shutil.copytree(catalog / "bogota", folder)
    descriptor = folder / "datapackage.yaml"
    text = descriptor.read_text(encoding="utf-8")
    for old, new in (
        ("name: bogota", "name: ciudad-nueva"),
        ('title: "Bogotá: acuerdos', 'title: "Quito: acuerdos'),
        ('title_en: "Bogotá: international', 'title_en: "Quito: international'),
        (
            "  country: CO\n  subdivision: CO-DC\n  city: Bogotá",
            "  country: EC\n  subdivision: EC-P\n  city: Quito",
        ),
    ):
        assert old in text
        text = text.replace(old, new, 1)
    descriptor.write_text(text, encoding="utf-8")


def test_pull_request_that_adds_a_city(origin: Path, tmp_path: Path) -> None:
    runner = pull_request(origin, tmp_path, new_city)
    steps = on_pull_request(runner)
    validate = steps["Validate"]
    assert validate["code"] == 0, validate["out"]
    assert "::error" not in validate["out"]
    assert "Revisado: 1 conjunto de datos, 3 tablas, " in validate["out"]
    assert f"Omitidos: {', '.join(TABLES)}\n" in validate["out"]
    summary = steps["summary"]["out"]
    assert summary.startswith("## ✓ Válido")
    assert "## Cambios en los datos: de origin/main (" in summary
    assert "### Conjunto de datos `ciudad-nueva` (agregado)" in summary
    added = runner / "datasets" / "ciudad-nueva"
    for table in ("agreements", "funding", "partners"):
        n = rows(added / f"{table}.csv")
        assert f"#### Tabla `{table}` (nueva): {n} filas agregadas; filas en total: 0 → {n}" in summary
    assert "  - bogota-afd-memorando-2025: local\\_party\\_id=bogota-co" not in summary  # markdown kept plain
    assert "  - bogota-afd-memorando-2025: local_party_id=bogota-co; counterpart_id=afd;" in summary
    assert summary.count("### Conjunto de datos") == 1  # nothing else reported as changed


def test_pull_request_that_adds_a_broken_city(origin: Path, tmp_path: Path) -> None:
    def broken(catalog: Path) -> None:
        new_city(catalog)
        path = catalog / "ciudad-nueva" / "agreements.csv"
        text = path.read_text(encoding="utf-8")
        assert ",2025-10-30,day," in text
        path.write_text(text.replace(",2025-10-30,day,", ",2025-10-32,day,", 1), encoding="utf-8")

    steps = on_pull_request(pull_request(origin, tmp_path, broken))
    validate = steps["Validate"]
    assert validate["code"] == 1
    [error] = [line for line in validate["out"].splitlines() if line.startswith("::error")]
    assert error.startswith("::error file=datasets/ciudad-nueva/agreements.csv,line=2,")
    assert "«2025-10-32» no es una fecha válida en «date_signed»" in error
    summary = steps["summary"]["out"]
    assert summary.startswith("## ✗ No válido: 1 error\n")
    # the diff still runs after the failure
    assert (
        "### Conjunto de datos `ciudad-nueva` (agregado)" in summary
    )  # the diff still runs after the failure


def test_pull_request_that_changes_a_city(origin: Path, tmp_path: Path) -> None:
    def change(catalog: Path) -> None:
        path = catalog / "montevideo" / "funding.csv"
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        assert lines[1].startswith("aecid-municipia,") and lines[2].startswith("bid-linea-saneamiento-2006,")
        lines[2] = lines[2].replace(",220000000,USD,", ",230000000,USD,", 1)
        added = lines[2].replace("bid-linea-saneamiento-2006,", "bid-linea-saneamiento-2016,", 1)
        path.write_text("".join([lines[0], *lines[2:], added]), encoding="utf-8")  # aecid-municipia removed

    steps = on_pull_request(pull_request(origin, tmp_path, change))
    funding = (ROOT / "datasets" / "montevideo" / "funding.csv").read_text(encoding="utf-8")
    funding_rows = len(funding.splitlines()) - 1  # one line a row in this table
    assert steps["Validate"]["code"] == 0, steps["Validate"]["out"]
    assert f"Omitidos: {', '.join(s for s in TABLES if s != 'montevideo')}\n" in steps["Validate"]["out"]
    summary = steps["summary"]["out"]
    assert summary.startswith("## ✓ Válido")
    assert "### Conjunto de datos `montevideo` (modificado)" in summary
    assert (
        "#### Tabla `funding` (modificada): 1 fila agregada, 1 eliminada, 1 modificada; "
        f"filas en total: {funding_rows} → {funding_rows}" in summary
    )
    assert "| bid-linea-saneamiento-2006 | amount | 220000000 | 230000000 |" in summary
    assert "- Filas agregadas (1):\n  - bid-linea-saneamiento-2016: agreement\\_id=" not in summary
    assert (
        "- Filas agregadas (1):\n  - bid-linea-saneamiento-2016: agreement_id=mvd-bid-linea-credito-2006;"
        in summary
    )
    assert "- Filas eliminadas (1):\n  - aecid-municipia: title_es=Financiamiento de la AECID" in summary
    assert summary.count("### Conjunto de datos") == 1


def test_pull_request_that_removes_a_city(origin: Path, tmp_path: Path) -> None:
    steps = on_pull_request(
        pull_request(origin, tmp_path, lambda catalog: shutil.rmtree(catalog / "montevideo"))
    )
    validate = steps["Validate"]
    assert validate["code"] == 0, validate["out"]
    # a dataset removed: the datasets left are checked (one may have referenced it), nothing skipped
    left = {s: n for s, n in TABLES.items() if s != "montevideo"}
    assert f"Revisado: {len(left)} conjuntos de datos, {sum(left.values())} tablas, " in validate["out"]
    assert "Omitidos" not in validate["out"]
    summary = steps["summary"]["out"]
    assert summary.startswith("## ✓ Válido")
    assert "### Conjunto de datos `montevideo` (eliminado)" in summary
    for table in ("agreements", "funding", "partners"):
        n = rows(ROOT / "datasets" / "montevideo" / f"{table}.csv")
        assert f"#### Tabla `{table}` (eliminada): {n} filas eliminadas; filas en total: {n} → 0" in summary
    assert summary.count("### Conjunto de datos") == 1


def test_a_diff_that_cannot_run_says_why_in_the_chosen_language(fixture_repo: Path) -> None:
    """No origin/main fetched (a shallow checkout): the warning carries the tool's own message."""
    steps = {s["name"]: s for s in run_action(fixture_repo, {"path": "datasets"}, {"base_ref": "main"})}
    diff_step = steps["Data diff"]
    assert diff_step["code"] == 0
    assert diff_step["out"] == (
        "::warning title=ciudades diff::Error: git no conoce la referencia «origin/main» (rama, etiqueta o "
        "commit). En CI, clona con historial (actions/checkout con fetch-depth: 0) o trae la rama base con "
        "git fetch.\n"
    )
    subprocess.run([*GIT, "checkout", "-q", "main"], cwd=fixture_repo, check=True)
    try:
        quiet = {s["name"]: s for s in run_action(fixture_repo, {"lang": "es"}, {})}["Data diff"]
    finally:
        subprocess.run([*GIT, "checkout", "-q", "contribution"], cwd=fixture_repo, check=True)
    assert quiet["out"].startswith("No hay versión base con la cual comparar")


# ── in another repository: a catalog made with `ciudades init` and `ciudades new` ────────────────
# What a city that adopts the toolkit has: only the files `init` and `new` wrote (and, until the
# standard ships inside the toolkit, the schemas copied beside the catalog), on a remote with its
# main branch; the Action runs with the inputs of the workflow `init` wrote.

EUROPA_PRESS = (
    "https://www.europapress.es/madrid/noticia-nueva-york-caracas-habana-nowakchott-malabo-sarajevo-"
    "rabat-tripoli-kiev-tienen-denominador-comun-madrid-20260301101348.html"
)


def ciudades(cwd: Path, *args: str, code: int = 0) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "toolkit", *args, "--lang", "es"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CI": "true"},
    )
    assert proc.returncode == code, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("adopted")
    ciudades(
        base,
        "init",
        "lima-datos",
        "--publisher",
        "Municipalidad Metropolitana de Lima",
        "--title-es",
        "Lima en el mundo",
        "--title-en",
        "Lima in the world",
        "--base-url",
        "https://datos.example.org/lima/",
        "--email",
        "datos@example.org",
    )
    work = base / "lima-datos"
    ciudades(
        work, "new", "lima", "--city", "Lima", "--country", "PE", "--subdivision", "PE-LMA",
        "--website", "https://www.munlima.gob.pe",
    )  # fmt: skip
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "ciudades init and ciudades new")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(base / "data.git")], check=True)
    return base / "data.git"


def workflow_inputs(repo: Path) -> dict[str, str]:
    """The ``with:`` of the Action's step in the workflow ``ciudades init`` wrote."""
    from toolkit.review.scaffold import RELEASE_TAG, REPOSITORY

    workflow = yaml.safe_load((repo / ".github" / "workflows" / "validate.yml").read_text(encoding="utf-8"))
    [step] = [s for job in workflow["jobs"].values() for s in job["steps"] if s.get("id") == "ciudades"]
    assert step["uses"] == f"{REPOSITORY}@{RELEASE_TAG}"
    assert set(step["with"]) <= set(action()["inputs"])
    return {k: str(v) for k, v in step["with"].items()}


def import_rows(catalog: Path) -> None:
    """Two real rows, entered as a contributor would (labels, a country name), added by `import`."""
    repo = catalog.parent
    (repo / "socios.csv").write_text(
        "partner_id,name_es,name_en,partner_type,country,subdivision,wikidata_qid,source_url\n"
        "madrid-es,Ayuntamiento de Madrid,Madrid City Council,Gobierno local,España,ES-MD,Q2807,"
        f"{EUROPA_PRESS}\n",
        encoding="utf-8",
    )
    (repo / "acuerdos.csv").write_text(
        "agreement_id,local_party_id,counterpart_id,agreement_type,title_es,title_en,date_signed,"
        "date_precision,status,subjects,source_url,source_quote,confidence,notes\n"
        "lima-ucci-hermanamiento-multiple-1982,lima-pe,madrid-es,Hermanamiento,"
        "Hermanamiento Múltiple y Solidario de las Capitales Iberoamericanas (UCCI),"
        f"Multiple and Solidarity Twinning of Ibero-American Capitals (UCCI),1982-01-01,year,vigente,"
        f"cooperation,{EUROPA_PRESS},Fue en el año 82 cuando el Ayuntamiento de Madrid firmó una amplia "
        "declaración de Hermanamiento Múltiple y Solidario de todas las Capitales de Iberoamérica-UCCI,"
        "medium,La lista de Europa Press incluye a Lima entre las capitales hermanadas con Madrid.\n",
        encoding="utf-8",
    )
    for source, table in (("socios.csv", "partners"), ("acuerdos.csv", "agreements")):
        ciudades(repo, "import", source, "--into", f"datasets/lima/{table}.csv", "--append")
        (repo / source).unlink()


def test_action_on_a_new_catalog_pushed_to_main(adopted: Path, tmp_path: Path) -> None:
    """Right after `init` and `new`: valid with warnings only (empty tables), and the outputs say so."""
    runner = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", str(adopted), str(runner)], check=True)
    steps = {s["name"]: s for s in run_action(runner, workflow_inputs(runner), {})}
    assert steps["Validate"]["code"] == 0, steps["Validate"]["out"]
    assert "::error" not in steps["Validate"]["out"]
    assert steps["Validate"]["out"].count("::warning") == 3
    assert "Revisado: 1 conjunto de datos, 3 tablas, 1 fila." in steps["Validate"]["out"]
    assert steps["summary"]["out"].startswith("## ✓ Válido: 3 advertencias\n")
    outputs = steps["outputs"]["out"]
    assert {k: outputs[k] for k in ("valid", "errors", "warnings")} == {
        "valid": "true",
        "errors": "0",
        "warnings": "3",
    }
    report = json.loads(Path(outputs["report"]).read_text(encoding="utf-8"))
    assert report["valid"] is True and report["stats"]["warnings"] == 3
    assert sorted(f["code"] for f in report["findings"]) == [
        "metadata-recommended",
        "no-data-rows",
        "no-data-rows",
    ]


def test_action_on_a_pull_request_to_a_new_catalog(adopted: Path, tmp_path: Path) -> None:
    runner = pull_request(adopted, tmp_path, import_rows)
    steps = on_pull_request_with(runner, workflow_inputs(runner))
    validate = steps["Validate"]
    assert validate["code"] == 0, validate["out"]
    assert "Revisado: 1 conjunto de datos, 3 tablas, 3 filas." in validate["out"]
    summary = steps["summary"]["out"]
    assert summary.startswith("## ✓ Válido: 2 advertencias\n")
    assert "#### Tabla `agreements` (modificada): 1 fila agregada, 0 eliminadas" in summary
    outputs = steps["outputs"]["out"]
    assert (outputs["valid"], outputs["errors"], outputs["warnings"]) == ("true", "0", "2")


def test_action_outputs_on_a_broken_pull_request_to_a_new_catalog(adopted: Path, tmp_path: Path) -> None:
    def broken(catalog: Path) -> None:
        import_rows(catalog)
        path = catalog / "lima" / "agreements.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(",1982-01-01,year,", ",1982-02-31,day,"))

    steps = on_pull_request_with(pull_request(adopted, tmp_path, broken), {"path": "datasets"})
    assert steps["Validate"]["code"] == 1
    [error] = [line for line in steps["Validate"]["out"].splitlines() if line.startswith("::error")]
    assert error.startswith("::error file=datasets/lima/agreements.csv,line=2,")
    outputs = steps["outputs"]["out"]
    assert (outputs["valid"], outputs["errors"], outputs["warnings"]) == ("false", "1", "2")
    assert json.loads(Path(outputs["report"]).read_text(encoding="utf-8"))["stats"]["errors"] == 1
    assert steps["summary"]["out"].startswith("## ✗ No válido: 1 error, 2 advertencias\n")


def test_action_outputs_when_validation_cannot_run(adopted: Path, tmp_path: Path) -> None:
    runner = tmp_path / "runner"
    subprocess.run(["git", "clone", "-q", str(adopted), str(runner)], check=True)
    steps = {s["name"]: s for s in run_action(runner, {"path": "no-such-folder"}, {})}
    assert steps["Validate"]["code"] == 2
    assert steps["outputs"]["out"] == {"valid": "false", "errors": "", "warnings": "", "report": ""}


def on_pull_request_with(runner: Path, inputs: dict[str, str]) -> dict[str, dict[str, Any]]:
    steps = {s["name"]: s for s in run_action(runner, inputs, {"base_ref": "main"})}
    assert steps["Data diff"]["code"] == 0
    assert "::warning" not in steps["Data diff"]["out"]  # the diff was computed, not given up on
    return steps


def test_every_snippet_pins_the_release_tag() -> None:
    """README, action.yml and the hook's comments name the tag the release process makes (no `v1`)."""
    from toolkit.review.scaffold import RELEASE_TAG, REPOSITORY

    for name in ("README.md", "action.yml", ".pre-commit-hooks.yaml"):
        text = (ROOT / name).read_text(encoding="utf-8")
        uses = re.findall(rf"uses: {REPOSITORY}@(\S+)", text)
        revs = re.findall(r"\brev: (\S+)", text)
        assert uses or revs, name
        assert set(uses + revs) == {RELEASE_TAG}, (name, uses, revs)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (
        f'git tag -a {RELEASE_TAG} -m "ciudades-al-mundo {RELEASE_TAG[1:]}" && git push origin {RELEASE_TAG}'
        in readme
    )


def test_pre_commit_hook_as_init_configures_it(adopted: Path, tmp_path: Path) -> None:
    """The hook run as pre-commit runs it (its entry and the args of the configuration `init`
    wrote, no file names, from the repository's root) on the files `init` and `new` wrote."""
    repo = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(adopted), str(repo)], check=True)
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [entry] = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    [configured] = entry["hooks"]
    assert configured["id"] == hook["id"] and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert all(files.search(p) for p in ("datasets/catalog.yaml", "datasets/lima/partners.csv"))
    command = [*hook["entry"].split(), *configured.get("args", [])]
    env = {**os.environ, "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"]}
    ok = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    partners = repo / "datasets" / "lima" / "partners.csv"
    partners.write_text(
        partners.read_text(encoding="utf-8").replace(",PE,PER,", ",PE,PRU,"), encoding="utf-8"
    )
    broken = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "datasets/lima/partners.csv" in broken.stdout
