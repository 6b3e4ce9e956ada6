"""`ciudades init` and `ciudades new`: a catalog and a dataset that validate, every refusal a message."""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from toolkit import __version__
from toolkit.cli import cli
from toolkit.review.scaffold import RELEASE_TAG, REPOSITORY, partner_id

ROOT = Path(__file__).resolve().parent.parent
OPTIONS = [
    "--publisher",
    "Intendencia de Montevideo",
    "--title-es",
    'Montevideo: "datos" #1',  # quotes, a colon and a hash: YAML must keep them as text
    "--title-en",
    "Montevideo in the world",
    "--base-url",
    "https://datos.example.org/mvd",
    "--email",
    "datos@example.org",
]
NEW = [
    "--city",
    "Montevideo",
    "--country",
    "uy",
    "--subdivision",
    "UY-MO",
    "--website",
    "https://montevideo.gub.uy",
]


def init(runner: CliRunner, target: Path, *extra: str, lang: str = "es") -> object:
    return runner.invoke(cli, ["init", str(target), *OPTIONS, *extra, "--lang", lang])


@pytest.fixture
def repo(runner: CliRunner, tmp_path: Path) -> Path:
    target = tmp_path / "datos"
    result = init(runner, target)
    assert result.exit_code == 0, result.output
    return target


def test_init_writes_the_repository_of_a_catalog(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "datos"
    result = init(runner, target)
    assert result.exit_code == 0, result.output
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert files == [
        ".github/workflows/validate.yml",
        ".gitignore",
        ".pre-commit-config.yaml",
        "README.md",
        "datasets/catalog.yaml",
    ]
    assert result.output.startswith(f"Escrito: {target / 'datasets' / 'catalog.yaml'}\n")
    meta = yaml.safe_load((target / "datasets" / "catalog.yaml").read_text(encoding="utf-8"))
    assert meta["title"] == {"es": 'Montevideo: "datos" #1', "en": "Montevideo in the world"}
    assert meta["publisher"] == {"name": "Intendencia de Montevideo", "url": "https://datos.example.org/mvd"}
    assert meta["contact"] == {"name": "Intendencia de Montevideo", "email": "datos@example.org"}
    assert meta["base_url"] == "https://datos.example.org/mvd/"
    assert meta["languages"] == ["es", "en"] and meta["license"] == "CC-BY-4.0"
    assert "schemas" not in meta  # the catalog finds the standard; no ../schemas of this repository
    readme = (target / "README.md").read_text(encoding="utf-8")
    assert "## Cómo contribuir" in readme and "## How to contribute" in readme


def test_init_pins_the_action_and_the_hook_to_this_release() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nversion = "{__version__}"\n' in pyproject  # the tag the release process makes
    assert f"v{__version__}" == RELEASE_TAG


def test_init_pre_commit_config_names_the_shipped_hook(repo: Path) -> None:
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [entry] = config["repos"]
    assert entry["repo"] == f"https://github.com/{REPOSITORY}" and entry["rev"] == RELEASE_TAG
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert [h["id"] for h in entry["hooks"]] == ["ciudades-validate"] and "ciudades-validate" in hooks


def test_init_ref_pins_a_commit(runner: CliRunner, tmp_path: Path) -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    assert init(runner, tmp_path / "d", "--ref", sha).exit_code == 0
    assert f"uses: {REPOSITORY}@{sha}\n" in (tmp_path / "d/.github/workflows/validate.yml").read_text("utf-8")
    assert f"rev: {sha}\n" in (tmp_path / "d/.pre-commit-config.yaml").read_text("utf-8")
    bad = init(runner, tmp_path / "e", "--ref", "v1; rm -rf /")
    assert bad.exit_code == 2
    assert bad.output == "Error: --ref: «v1; rm -rf /» no es una etiqueta ni un commit de git.\n"


def test_init_refuses_a_folder_that_is_not_empty(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notas.txt").write_text("mías", encoding="utf-8")
    result = init(runner, tmp_path)
    assert result.exit_code == 2
    assert result.output == (
        f"Error: «{tmp_path}» no está vacía: elige una carpeta nueva o vacía, o usa --force para "
        "escribir los archivos del catálogo encima (los demás se conservan).\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notas.txt"]
    forced = init(runner, tmp_path, "--force", lang="en")
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "notas.txt").read_text(encoding="utf-8") == "mías"
    assert (tmp_path / "datasets" / "catalog.yaml").is_file()


def test_init_off_a_terminal_names_what_is_missing(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["init", str(tmp_path / "d"), "--publisher", "X", "--lang", "en"])
    assert result.exit_code == 2
    assert result.output == "Error: Missing --title-es, --title-en, --base-url, --email.\n"
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--email",
            "datos",
            "Error: --email: «datos» no es una dirección de correo (p. ej. datos@example.org).\n",
        ),
        (
            "--base-url",
            "example.org",
            "Error: --base-url: «example.org» no es una dirección http(s) completa (p. ej. https://example.org/datos/).\n",
        ),
        (
            "--languages",
            "español",
            "Error: --languages: «español» no es una lista de códigos ISO 639-1 (p. ej. es,en).\n",
        ),
        (
            "--publisher",
            "Línea\nNueva",
            "Error: Falta el publicador (--publisher), o tiene saltos de línea o caracteres de control: "
            "escríbelo en una línea.\n",
        ),
    ],
)
def test_init_refuses_bad_settings(
    runner: CliRunner, tmp_path: Path, option: str, value: str, message: str
) -> None:
    result = init(runner, tmp_path / "d", option, value)
    assert result.exit_code == 2
    assert result.output == message
    assert not (tmp_path / "d").exists()


def test_init_asks_on_a_terminal(tmp_path: Path) -> None:
    """On a real terminal (a pseudo-terminal) the missing values are asked for, one by one."""
    leader, follower = pty.openpty()
    env = {**os.environ, "CI": "", "CIUDADES_LANG": "en"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", "init", str(tmp_path / "d"), "--publisher", "Quito"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    os.close(follower)
    os.write(leader, b"Quito al mundo\nQuito to the world\nhttps://example.org/quito\nq@example.org\n")
    out, err = proc.communicate(timeout=120)
    os.close(leader)
    assert proc.returncode == 0, out.decode() + err.decode()
    assert out.decode().startswith(
        "Catalog title in Spanish: Catalog title in English: Public URL of the site: Contact e-mail: "
    )
    meta = yaml.safe_load((tmp_path / "d" / "datasets" / "catalog.yaml").read_text(encoding="utf-8"))
    assert meta["title"] == {"es": "Quito al mundo", "en": "Quito to the world"}
    assert meta["contact"]["email"] == "q@example.org"


# ── ciudades new ─────────────────────────────────────────────────────────────────────────────────


def test_new_dataset_validates_with_warnings_only(runner: CliRunner, repo: Path) -> None:
    catalog = repo / "datasets"
    result = runner.invoke(cli, ["new", "montevideo", *NEW, "--catalog", str(catalog), "--lang", "en"])
    assert result.exit_code == 0, result.output
    folder = catalog / "montevideo"
    assert sorted(p.name for p in folder.iterdir()) == [
        "agreements.csv",
        "datapackage.yaml",
        "funding.csv",
        "partners.csv",
    ]
    for table in ("agreements", "funding", "partners"):
        schema = yaml.safe_load((ROOT / "schemas" / f"{table}.schema.yaml").read_text(encoding="utf-8"))
        with (folder / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == [f["name"] for f in schema["fields"]]
        assert len(rows) == (2 if table == "partners" else 1)
    with (folder / "partners.csv").open(encoding="utf-8", newline="") as fh:
        [own] = list(csv.DictReader(fh))
    assert {k: v for k, v in own.items() if v} == {
        "partner_id": "montevideo-uy",
        "name_es": "Montevideo",
        "name_en": "Montevideo",
        "partner_type": "local_government",
        "country": "UY",
        "country_alpha3": "URY",
        "subdivision": "UY-MO",
        "website": "https://montevideo.gub.uy",
        "source_url": "https://montevideo.gub.uy",
    }
    descriptor = yaml.safe_load((folder / "datapackage.yaml").read_text(encoding="utf-8"))
    assert descriptor["name"] == "montevideo"
    assert descriptor["licenses"] == [
        {"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}
    ]
    assert descriptor["contributors"][0]["title"] == "Intendencia de Montevideo"
    assert descriptor["spatial"] == {"country": "UY", "subdivision": "UY-MO", "city": "Montevideo"}
    report = runner.invoke(cli, ["validate", str(catalog), "--format", "json", "--lang", "en"])
    assert report.exit_code == 0, report.output
    data = yaml.safe_load(report.output)
    assert data["valid"] is True and data["stats"]["errors"] == 0
    # honest warnings, each saying what is still missing: no silent pass
    assert sorted((f["code"], f["path"].rsplit("/", 1)[-1]) for f in data["findings"]) == [
        ("metadata-recommended", "datapackage.yaml"),  # temporal: known once the tables have rows
        ("no-data-rows", "agreements.csv"),
        ("no-data-rows", "funding.csv"),
    ]
    assert all(f["severity"] == "warning" for f in data["findings"])


def test_new_then_template_and_import_take_it_from_there(runner: CliRunner, repo: Path) -> None:
    catalog = repo / "datasets"
    assert runner.invoke(cli, ["new", "montevideo", *NEW, "--catalog", str(catalog)]).exit_code == 0
    header = repo / "partners-header.csv"
    assert (
        runner.invoke(
            cli,
            ["template", "partners", "--out", str(header)],  # by name: the installed standard
        ).exit_code
        == 0
    )
    first_line = (catalog / "montevideo" / "partners.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.read_text(encoding="utf-8") == first_line + "\n"  # the same canonical header
    source = repo / "socios.csv"
    source.write_text(
        "partner_id,name_es,partner_type,country,source_url\n"
        "mercociudades,Mercociudades,Red de ciudades,,https://mercociudades.org\n",
        encoding="utf-8",
    )
    into = catalog / "montevideo" / "partners.csv"
    result = runner.invoke(cli, ["import", str(source), "--into", str(into), "--append", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert len(into.read_text(encoding="utf-8").splitlines()) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["Montevideo", *NEW],
            "Error: «Montevideo» no sirve como nombre de conjunto: usa minúsculas sin acentos, números y "
            "guiones (p. ej. ciudad-de-mexico).\n",
        ),
        (
            ["mvd", *NEW[:2], "--country", "Uruguay", *NEW[4:]],
            "Error: --country: «URUGUAY» no es un código de país ISO 3166-1 alfa-2 (p. ej. MX, CO, AR).\n",
        ),
        (
            ["mvd", *NEW[:4], "--subdivision", "AR-C", *NEW[6:]],
            "Error: --subdivision: «AR-C» no es una subdivisión ISO 3166-2 de UY (empieza por UY-, p. ej. "
            "MX-CMX).\n",
        ),
        (
            ["mvd", *NEW[:6], "--website", "montevideo.gub.uy"],
            "Error: --website: «montevideo.gub.uy» no es una dirección http(s) completa (p. ej. "
            "https://example.org/datos/).\n",
        ),
        (["mvd", "--city", "Montevideo"], "Error: Faltan --country, --website.\n"),
        (["mvd", *NEW[:4]], "Error: Falta --website.\n"),
    ],
)
def test_new_refuses_bad_input(runner: CliRunner, repo: Path, args: list[str], message: str) -> None:
    catalog = repo / "datasets"
    result = runner.invoke(cli, ["new", *args, "--catalog", str(catalog), "--lang", "es"])
    assert result.exit_code == 2
    assert result.output == message
    assert sorted(p.name for p in catalog.iterdir()) == ["catalog.yaml"]  # nothing written


def test_new_refuses_an_existing_folder_and_a_missing_catalog(runner: CliRunner, repo: Path) -> None:
    catalog = repo / "datasets"
    (catalog / "montevideo").mkdir()
    (catalog / "montevideo" / "mio.csv").write_text("a\n1\n", encoding="utf-8")
    result = runner.invoke(cli, ["new", "montevideo", *NEW, "--catalog", str(catalog), "--lang", "en"])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: '{catalog / 'montevideo'}' already exists: choose another name, or edit that dataset.\n"
    )
    assert [p.name for p in (catalog / "montevideo").iterdir()] == ["mio.csv"]
    elsewhere = runner.invoke(cli, ["new", "x", *NEW, "--catalog", str(repo), "--lang", "en"])
    assert elsewhere.exit_code == 2
    assert elsewhere.output == (
        f"Error: '{repo}' has no catalog.yaml: create the catalog with 'ciudades init' or give its "
        "folder with --catalog.\n"
    )


def test_new_without_schemas_uses_the_installed_standard(runner: CliRunner, repo: Path) -> None:
    assert not (repo / "schemas").exists()  # init writes no schemas/: the toolkit carries the standard
    catalog = repo / "datasets"
    result = runner.invoke(cli, ["new", "montevideo", *NEW, "--catalog", str(catalog), "--lang", "en"])
    assert result.exit_code == 0, result.output
    report = runner.invoke(cli, ["validate", str(catalog), "--format", "json", "--lang", "en"])
    assert report.exit_code == 0, report.output
    assert json.loads(report.output)["stats"]["resources"] == 3


@pytest.mark.parametrize(
    ("city", "country", "expected"),
    [
        ("Bogotá", "CO", "bogota-co"),
        ("Ciudad de México", "MX", "ciudad-de-mexico-mx"),
        ("São Paulo", "BR", "sao-paulo-br"),
    ],
)
def test_partner_id_as_the_shipped_datasets_write_it(city: str, country: str, expected: str) -> None:
    assert partner_id(city, country) == expected


def test_a_catalog_with_no_dataset_yet_is_not_valid_and_says_how_to_start(
    runner: CliRunner, repo: Path
) -> None:
    """Right after `init`: nothing was checked, so never «valid»; the fix names `ciudades new`."""
    result = runner.invoke(cli, ["validate", str(repo / "datasets"), "--lang", "en"])
    assert result.exit_code == 1
    assert (
        "✗ Nothing checked [nothing-checked] ×1\n      No table was checked: there is no declared dataset."
        in (result.output)
    )
    assert (
        "→ How to fix: Create a dataset with 'ciudades new SLUG --city CITY --country CC --website URL', "
        "which writes its datapackage.yaml and its tables." in result.output
    )
