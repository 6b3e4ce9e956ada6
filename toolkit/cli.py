"""Command-line interface: each command translates arguments, calls ``toolkit``, translates errors."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from toolkit import __version__
from toolkit.errors import ToolkitError, UsageError, shown

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_FAILURE = 0, 1, 2, 3


def default_lang() -> str:
    for var in ("CIUDADES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "es" if value.lower().startswith("es") else "en"
    return "es"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def lang_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--lang",
        type=click.Choice(["es", "en"]),
        default=None,
        help="Idioma de los mensajes / language of messages (default: from LANG; es).",
    )(fn)


def debug_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--debug", is_flag=True, help="Muestra el traceback de errores internos / show tracebacks."
    )(fn)


def allow_remote_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--allow-remote",
        is_flag=True,
        help="Permite que descriptores y esquemas nombren URL http(s) públicas, que se descargan con "
        "límites de tiempo y tamaño y nunca desde direcciones privadas / let descriptors and schemas "
        "name public http(s) URLs, fetched with time and size limits, never from private addresses.",
    )(fn)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into a message and an exit code; tracebacks only with --debug.

    Messages quote file names, cells and URLs from untrusted input: their control characters are
    printed escaped (:func:`toolkit.errors.shown`), so a message stays one line and cannot drive the
    terminal."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang") or default_lang()
        debug = kwargs.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except ToolkitError as ex:
            _stop_if_interrupted(ex, lang)
            if debug:
                raise
            click.echo("Error: " + shown(ex.message(lang)), err=True)
            sys.exit(ex.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt as ex:  # Ctrl-C, or SIGTERM (see main): stop, and say so
            _stop_if_interrupted(ex, lang)
        except Exception as ex:  # the last line of defence: a message, never a traceback
            _stop_if_interrupted(ex, lang)
            if debug:
                raise
            from toolkit.atomic import disk_full

            full = disk_full(ex)
            if full is not None:
                click.echo("Error: " + shown(full.message(lang)), err=True)
                sys.exit(full.exit_code)
            what = shown(f"{type(ex).__name__}: {ex}")
            if lang == "es":
                click.echo(f"La herramienta falló: {what} (usa --debug para ver el detalle)", err=True)
            else:
                click.echo(f"The tool failed: {what} (use --debug for details)", err=True)
            sys.exit(EXIT_FAILURE)

    return wrapper


def _stop_if_interrupted(ex: BaseException, lang: str) -> None:
    """Exit as interrupted (130, or 143 for SIGTERM) when ``ex`` is Ctrl-C or SIGTERM, or an error
    raised while stopping for one: a zip closed with an entry half written raises ``ValueError``
    once the interrupt has left it so, and that is an interruption, not a failure of the tool."""
    seen: set[int] = set()
    cause: BaseException | None = ex
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            from toolkit.report.messages import INTERRUPTED

            click.echo(INTERRUPTED[lang], err=True)
            sys.exit(128 + getattr(cause, "signum", signal.SIGINT))
        seen.add(id(cause))
        cause = cause.__context__


def command_options(*, remote: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """What every command shares: [--allow-remote,] --lang, --debug, and errors as messages."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn = lang_option(debug_option(handle_errors(fn)))
        return allow_remote_option(fn) if remote else fn

    return decorate


def format_option(choices: list[str], help: str = "Formato de salida / output format.") -> Any:
    """``--format``, one of ``choices`` (the first is the default)."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], help=help)


def out_option(help: str, default: Path | None = None, **path: Any) -> Any:
    """``--out``: a folder with a default, or (no default) a file the command requires."""
    return click.option(
        "--out",
        type=click.Path(path_type=Path, **path),
        default=default,
        show_default=default is not None,
        required=default is None,
        help=help,
    )


def force_option(target: str) -> Any:
    return click.option(
        "--force", is_flag=True, help=f"Reemplaza {target} si ya existe / overwrite {target}."
    )


json_option = click.option(
    "--json", "as_json", is_flag=True, help="Imprime el resultado en JSON / print the result as JSON."
)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, prog_name="ciudades", help="Muestra la versión y termina. / Show the version and exit."
)
def cli() -> None:
    """Datos abiertos de la acción internacional de ciudades. / Open data on cities' international action.

    Ciudades al Mundo: valida, empaqueta y publica / validate, package, publish.
    """


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--schema",
    type=click.Path(path_type=Path),
    help="Esquema (Table Schema) para validar un solo CSV / schema for a single CSV.",
)
@click.option(
    "--profile",
    "profiles",
    multiple=True,
    help="Perfil de política de datos (catalog, cdmx) o «none», repetible; por defecto, catalog dentro "
    "de un catálogo más los de cada conjunto / data-policy profile (catalog, cdmx) or «none», "
    "repeatable; default: catalog inside a catalog plus each dataset's own.",
)
@click.option(
    "--dataset",
    "datasets",
    multiple=True,
    help="Valida solo este conjunto (repetible) / validate only this dataset (repeatable).",
)
@format_option(
    ["text", "json", "github", "markdown", "junit"],
    "Formato de salida / output format (github: anotaciones de GitHub Actions; junit: XML).",
)
@click.option(
    "--changed-since",
    metavar="REF",
    help="Valida solo los conjuntos que cambiaron desde REF de git / only datasets changed since REF.",
)
@click.option(
    "--xlsx-report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Devuelve los datos en un libro .xlsx con las celdas con problemas marcadas / write the data "
    "to an .xlsx workbook with the problem cells marked.",
)
@click.option(
    "--json-report",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Escribe además el informe en JSON (el de --format json) en este archivo / also write the "
    "report as JSON (that of --format json) to this file.",
)
@click.option(
    "--limit-errors",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Máximo de errores por tabla, como frictionless: al llegar a él se deja de leer la tabla "
    "(un hallazgo errors-capped lo dice); 0, sin límite / error cap per table, as in frictionless: "
    "on reaching it the table is read no further (an errors-capped finding says so); 0, no cap.",
)
@click.option(
    "--engine",
    type=click.Choice(["auto", "frictionless", "fast"]),
    default="auto",
    show_default=True,
    help="Motor: auto (el vectorizado, con los mismos hallazgos, en toda tabla que sabe leer; "
    "frictionless en las demás) o frictionless en todas; fast es lo mismo que auto "
    "/ engine: auto (the vectorised one, same findings, on every table it can read; frictionless "
    "on the others) or frictionless on all; fast is the same as auto.",
)
@command_options(remote=True)
def validate(
    path: Path | None,
    schema: Path | None,
    profiles: tuple[str, ...],
    datasets: tuple[str, ...],
    fmt: str,
    limit_errors: int,
    engine: str,
    changed_since: str | None,
    xlsx_report: Path | None,
    json_report: Path | None,
    allow_remote: bool,
    lang: str | None,
    debug: bool,
) -> None:
    """Valida el catálogo, un conjunto de datos o un CSV. / Validate the catalog, a dataset or a CSV.

    PATH: la carpeta del catálogo (por defecto datasets/), la carpeta de un conjunto, un
    datapackage.yaml/.json, o un CSV con --schema.

    Salida: 0 válido (se admiten advertencias), 1 datos no válidos, 2 error de uso, 3 falla de la
    herramienta.

    \b
    Example:
        ciudades validate
        ciudades validate datasets/ciudad-de-mexico --lang en
        ciudades validate datos.csv --schema schemas/agreements.schema.yaml --format json
        ciudades validate --changed-since origin/main --format github
        ciudades validate datasets/bogota --xlsx-report revision.xlsx

    Con GITHUB_STEP_SUMMARY definida, agrega además el resumen en Markdown a ese archivo.

    Una ruta de recurso o de esquema que es una URL se rechaza, salvo con --allow-remote: entonces
    se descarga (solo http/https, 30 s, 200 MiB; 5 MiB un esquema; nunca desde direcciones
    privadas, de bucle local ni de enlace local) y se valida como un archivo local.
    """
    engine_modules = ["toolkit.validation.fast.run"] if engine != "frictionless" else []
    _import_settled("toolkit.validation.validator", *engine_modules)
    from toolkit.validation.validator import validate as run

    lang = lang or default_lang()
    options: dict[str, Any] = {
        "profiles": list(profiles) or None,
        "datasets": list(datasets) or None,
        "limit_errors": limit_errors,
        "engine": engine,
        "show_progress": True,
        "log": (lambda line: click.echo(line, err=True)) if debug else None,
        "allow_remote": allow_remote,
    }
    if changed_since:
        from toolkit.review.changes import validate_changed

        report = validate_changed(path, changed_since, **options)
    else:
        report = run(path, schema=schema, **options)
    if xlsx_report:
        from toolkit.review.xlsx_report import write_xlsx_report

        write_xlsx_report(report, xlsx_report, lang)
        # On standard error: --format json keeps standard output for the report alone.
        click.echo(
            f"Libro de revisión escrito en {xlsx_report}"
            if lang == "es"
            else f"Review workbook written to {xlsx_report}",
            err=True,
        )
    if json_report:  # for a program that reads the verdict (the Action's outputs)
        from toolkit.report.findings import render_json

        json_report.write_text(render_json(report, lang), encoding="utf-8")
    echo_report(report, fmt, lang)
    sys.exit(EXIT_OK if report.valid else EXIT_INVALID)


def echo_report(report: Any, fmt: str, lang: str) -> None:
    """A validation report in the format asked for (and the GitHub step summary when there is one)."""
    from toolkit.report.findings import render_json, render_text
    from toolkit.report.renderers import RENDERERS, write_step_summary

    write_step_summary(report, lang)
    if fmt == "json":
        click.echo(render_json(report, lang), nl=False)
    elif fmt in RENDERERS:
        click.echo(RENDERERS[fmt](report, lang), nl=False)
    else:
        color = sys.stdout.isatty() and not in_ci() and "NO_COLOR" not in os.environ
        click.echo(render_text(report, lang, color=color), nl=False)


@cli.command(name="check-links")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--max-age",
    type=click.FloatRange(min=0),
    default=7,
    show_default=True,
    metavar="DAYS",
    help="Vuelve a preguntar solo los enlaces revisados hace más de DAYS días (0: todos) / ask again "
    "only the links checked more than DAYS days ago (0: all).",
)
@click.option("--strict", is_flag=True, help="Los enlaces desaparecidos son errores / gone links are errors.")
@format_option(
    ["text", "json", "github", "markdown", "junit"],
    "Formato de salida / output format (github: anotaciones de GitHub Actions; junit: XML).",
)
@click.option(
    "--cache",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Caché JSON de resultados (por defecto .cache/links.json junto al catálogo) / JSON cache of "
    "results (default: .cache/links.json beside the catalog).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=120),
    default=15,
    show_default=True,
    metavar="SECONDS",
    help="Tiempo máximo por pedido / time limit per request.",
)
@command_options()
def check_links(
    path: Path | None,
    max_age: float,
    strict: bool,
    fmt: str,
    cache: Path | None,
    timeout: float,
    lang: str | None,
    debug: bool,
) -> None:
    """Revisa que las fuentes citadas sigan en línea. / Check that the cited sources still answer.

    Pregunta una vez por cada source_url y document_url de las tablas (HEAD, o GET si HEAD falla;
    hasta 5 redirecciones; 2 pedidos a la vez por servidor; solo direcciones públicas; nunca lee
    más de 4 KB del cuerpo) y guarda los resultados en un caché: una nueva ejecución pregunta solo
    lo revisado hace más de --max-age días. Un enlace trasladado, desaparecido (404, 410) o que
    falla (5xx, tiempo agotado, TLS) es una advertencia, con las líneas de las filas que lo citan;
    con --strict, los desaparecidos son errores.

    Salida: 0 sin errores, 1 con errores (--strict), 2 error de uso, 3 falla de la herramienta.

    \b
    Example:
        ciudades check-links
        ciudades check-links datasets/bogota --max-age 0 --lang en
        ciudades check-links --strict --format github
    """
    from toolkit.validation.links import check_links as run

    lang = lang or default_lang()

    def progress(due: int, total: int) -> None:
        click.echo(
            f"Enlaces: {total}; se preguntan {due}, {total - due} vienen del caché."
            if lang == "es"
            else f"Links: {total}; asking {due}, {total - due} from the cache.",
            err=True,
        )

    result = run(path, max_age=max_age, strict=strict, cache=cache, timeout=timeout, progress=progress)
    n = result.counts()
    click.echo(
        f"Bien: {n['ok']}, trasladados: {n['moved']}, desaparecidos: {n['gone']}, fallan: {n['failing']}."
        if lang == "es"
        else f"OK: {n['ok']}, moved: {n['moved']}, gone: {n['gone']}, failing: {n['failing']}.",
        err=True,
    )
    echo_report(result.report, fmt, lang)
    sys.exit(EXIT_OK if result.report.valid else EXIT_INVALID)


@cli.command()
@format_option(["markdown", "json"])
@click.option(
    "--lang",
    type=click.Choice(["es", "en"]),
    default=None,
    help="Solo en este idioma (por defecto, en los dos) / in this language only (default: both).",
)
def codes(fmt: str, lang: str | None) -> None:
    """Lista los códigos de hallazgo. / List the finding codes.

    Sin --lang, en español y en inglés (así se genera docs/codes.md).

    \b
    Example:
        ciudades codes > docs/codes.md
        ciudades codes --lang en --format json
    """
    from toolkit.report.codes_doc import codes_json, codes_markdown

    click.echo(
        codes_markdown(lang)
        if fmt == "markdown"
        else json.dumps(codes_json(lang), ensure_ascii=False, indent=2),
        nl=False,
    )


@contextlib.contextmanager
def progress_status(lang: str) -> Iterator[Callable[[str], None] | None]:
    """A rich status line on a terminal; nothing in CI or when the output is not a terminal."""
    if in_ci() or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console

    word = "Procesando" if lang == "es" else "Working on"
    with Console(stderr=True).status(f"{word}…") as status:
        yield lambda what: status.update(f"{word} {what}…")


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@out_option(
    "Carpeta de salida (se reemplaza entera) / output folder (replaced whole).", Path("build/packages")
)
@json_option
@command_options(remote=True)
def package(
    path: Path | None, out: Path, as_json: bool, allow_remote: bool, lang: str | None, debug: bool
) -> None:
    """Valida y empaqueta cada conjunto de datos. / Validate and package every dataset.

    Escribe en OUT un Data Package v2 por conjunto (CSV, JSON, XLSX, SQLite, diccionario y ficha de
    metadatos, SHA256SUMS y un zip) y un paquete combinado. Si algo no es válido, muestra los
    hallazgos, no escribe nada y sale con 1.

    \b
    Example:
        ciudades package
        ciudades package datasets/ --out build/packages --lang en
    """
    from toolkit.packaging.packages import InvalidData, render_summary
    from toolkit.packaging.packages import package as run
    from toolkit.report.findings import render_text

    lang = lang or default_lang()
    try:
        with progress_status(lang) as progress:
            result = run(path or Path("datasets"), out, progress=progress, allow_remote=allow_remote)
    except InvalidData as ex:
        if as_json:  # the same shape as a success, nothing written, and the report
            empty: dict[str, Any] = {"out": str(out), "datasets": [], "combined": None}
            echo_json(_package_json(empty, ex.report, lang))
        else:
            click.echo(render_text(ex.report, lang), nl=False)
        raise
    if as_json:
        echo_json(_package_json(result.to_dict(), result.report, lang))
    else:
        click.echo(render_summary(result, lang), nl=False)


def _package_json(written: dict[str, Any], report: Any, lang: str) -> dict[str, Any]:
    """``package --json``: what was written (``out``, ``datasets``, ``combined``), whether the data
    was valid, and the validation report in the shape of ``validate --format json``."""
    return {"valid": report.valid, **written, "report": report.to_dict(lang)}


@cli.command()
@click.argument("source", metavar="SOURCE")
@out_option("Carpeta donde guardar el paquete / folder to keep the package in.", Path("."))
@click.option(
    "--timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Segundos por archivo, en total / seconds per file, in all.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Permite direcciones privadas y locales (una vista previa de «ciudades serve», una intranet) / "
    "allow private and loopback addresses (a 'ciudades serve' preview, an intranet).",
)
@command_options()
def download(
    source: str, out: Path, timeout: float, allow_private: bool, lang: str | None, debug: bool
) -> None:
    """Descarga y verifica un paquete. / Download and verify a package.

    SOURCE: un zip de paquete o un datapackage.json, publicado (http, https) o local (una ruta, una
    carpeta de paquete o una dirección file:). Cada archivo se compara con el tamaño y el hash que
    declara el paquete antes de guardarlo. Las direcciones privadas y locales solo se aceptan con
    --allow-private.

    \b
    Examples:
        ciudades download https://example.org/packages/bogota-1.0.0.zip --out datos/
        ciudades download http://127.0.0.1:8000/descargas/bogota-1.0.0.zip --allow-private
        ciudades download build/packages/bogota --out datos/
    """
    from toolkit.packaging.load import download as run

    lang = lang or default_lang()
    saved = run(source, out, timeout=timeout, allow_private=allow_private)
    click.echo(f"Verificado y guardado en {saved}" if lang == "es" else f"Verified and saved to {saved}")


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--base", metavar="REF", help="Versión de partida: ref de git, carpeta o zip / base version.")
@click.option("--head", metavar="REF", help="Versión nueva (por defecto, el árbol de trabajo) / new version.")
@format_option(["text", "markdown", "json"])
@click.option(
    "--first",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Filas por lista / rows per list.",
)
@command_options()
def diff(
    path: Path | None, base: str | None, head: str | None, fmt: str, first: int, lang: str | None, debug: bool
) -> None:
    """Cambios en los datos entre dos versiones. / Data changes between two versions.

    Por tabla: filas agregadas, eliminadas y modificadas (por clave primaria), celdas antes → después,
    y cambios de esquema y metadatos. Por defecto compara la rama con main (merge-base) contra el
    árbol de trabajo; --base y --head aceptan refs de git, dos carpetas o dos zips de paquete.

    \b
    Example:
        ciudades diff
        ciudades diff --base origin/main --head HEAD --format markdown
        ciudades diff --base viejo/ --head nuevo/
    """
    from toolkit.review.diff import diff as run
    from toolkit.review.diff import render_diff

    click.echo(render_diff(run(base, head, path), lang or default_lang(), fmt, first=first), nl=False)


@cli.command()
@click.argument("slugs", nargs=-1, metavar="[SLUG]...")
@click.option(
    "--path",
    "catalog",
    type=click.Path(path_type=Path),
    default=Path("datasets"),
    show_default=True,
    help="Carpeta del catálogo / catalog folder.",
)
@click.option(
    "--bump",
    type=click.Choice(["major", "minor", "patch"]),
    help="Impone el salto de versión / override the proposed version bump.",
)
@click.option("--since", metavar="REF", help="Compara con esta ref de git / compare with this git ref.")
@click.option(
    "--dry-run", is_flag=True, help="Muestra el plan sin escribir nada / print the plan, write nothing."
)
@format_option(["text", "json"])
@command_options()
def release(
    slugs: tuple[str, ...],
    catalog: Path,
    bump: str | None,
    since: str | None,
    dry_run: bool,
    fmt: str,
    lang: str | None,
    debug: bool,
) -> None:
    """Nueva versión de cada conjunto de datos que cambió. / Release each dataset that changed.

    Compara cada conjunto con su última versión (la etiqueta git SLUG-vVERSIÓN, o el commit que fijó
    su versión actual) con el motor de ciudades diff, propone el salto semántico (esquema → major;
    filas agregadas o eliminadas → minor; correcciones → patch), lo escribe en el descriptor con la
    fecha y agrega a su CHANGELOG.md una entrada fechada en español e inglés, lista para confirmar.

    \b
    Example:
        ciudades release --dry-run
        ciudades release bogota --bump minor
        ciudades release --since bogota-v1.0.0 bogota
    """
    from toolkit.review.release import release as run
    from toolkit.review.release import render_release

    result = run(catalog, slugs, bump=bump, since=since, dry_run=dry_run)
    if fmt == "json":
        echo_json(result.to_dict())
    else:
        click.echo(render_release(result, lang or default_lang()), nl=False)


@cli.command()
@click.argument("resource")
@out_option(
    "ARCHIVO.xlsx (libro de captura) o ARCHIVO.csv (solo encabezados) / FILE.xlsx or FILE.csv.",
    dir_okay=False,
)
@force_option("--out")
@command_options()
def template(resource: str, out: Path, force: bool, lang: str | None, debug: bool) -> None:
    """Libro de captura a partir de un esquema. / An entry workbook from a schema.

    RESOURCE: el nombre de un esquema de schemas/ (p. ej. agreements) o la ruta de un esquema.
    Con --out ARCHIVO.csv escribe solo la fila de encabezados del CSV canónico.

    \b
    Example:
        ciudades template agreements --out acuerdos.xlsx
        ciudades template agreements --out acuerdos.csv
    """
    from toolkit.review.template import build_template

    build_template(resource, out, force=force)
    click.echo(f"{'Escrito' if (lang or default_lang()) == 'es' else 'Written'}: {out}")


@cli.command()
@click.argument("csv_file", metavar="FILE.csv", type=click.Path(path_type=Path, dir_okay=False))
@command_options()
def describe(csv_file: Path, lang: str | None, debug: bool) -> None:
    """Esquema inicial de un CSV, con tipos inferidos. / A starting schema for a CSV, types inferred.

    Imprime un Table Schema en YAML con los nombres de las columnas, los tipos que frictionless
    infiere y títulos y descripciones vacíos para completar; guárdalo y pásalo a --schema.

    \b
    Example:
        ciudades describe datos.csv > datos.schema.yaml
        ciudades validate datos.csv --schema datos.schema.yaml
    """
    from toolkit.catalog.model import display_path
    from toolkit.review.describe import describe as run
    from toolkit.review.describe import render_schema

    schema = run(csv_file)
    click.echo(render_schema(schema, display_path(csv_file), lang or default_lang()), nl=False)


@cli.group(invoke_without_command=True)
@click.option(
    "--catalog",
    "catalog_folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Carpeta del catálogo (por omisión, datasets/ si existe) / catalog folder.",
)
@json_option
@command_options()
@click.pass_context
def schemas(
    ctx: click.Context, catalog_folder: Path | None, as_json: bool, lang: str | None, debug: bool
) -> None:
    """El estándar: esquemas y listas de códigos. / The standard: schemas and codelists.

    Lista cada esquema y lista de códigos con su versión y de dónde se lee: la carpeta schemas/
    del catálogo primero, luego el estándar instalado con la herramienta. Con «export» los copia a
    una carpeta para adaptarlos.

    \b
    Example:
        ciudades schemas
        ciudades schemas export schemas
    """
    if ctx.invoked_subcommand is not None:
        return
    from toolkit.catalog import standard
    from toolkit.catalog.model import CATALOG_FILE, display_path, schemas_folder

    lang = lang or default_lang()
    if catalog_folder is None and (Path("datasets") / CATALOG_FILE).is_file():
        catalog_folder = Path("datasets")
    if catalog_folder is not None and not (catalog_folder / CATALOG_FILE).is_file():
        raise UsageError(
            f"«{catalog_folder}» no tiene catalog.yaml.", f"'{catalog_folder}' has no catalog.yaml."
        )
    own = schemas_folder(catalog_folder) if catalog_folder is not None else None
    shipped = standard.installed()
    if shipped is None:  # pragma: no cover - only a broken installation gets here
        raise ToolkitError(
            "No se encontró el estándar instalado (toolkit/schemas/); reinstala el paquete.",
            "The installed standard (toolkit/schemas/) was not found; reinstall the package.",
        )
    found = standard.entries(own)
    if as_json:
        echo_json(
            {
                "standard": {"name": shipped.name, "version": shipped.version, "folder": str(shipped.folder)}
                if shipped
                else None,
                "catalog_schemas": display_path(own) if own else None,
                "entries": [
                    {
                        "kind": e.kind,
                        "name": e.name,
                        "version": e.version,
                        "source": e.source,
                        "path": display_path(e.path),
                    }
                    for e in found
                ],
            }
        )
        return
    es = lang == "es"
    if shipped is not None:
        label = "Estándar instalado" if es else "Installed standard"
        click.echo(f"{label}: {shipped.name} {shipped.version} ({display_path(shipped.folder)})")
    if own is not None:
        click.echo(f"{'Esquemas del catálogo' if es else 'Catalog schemas'}: {display_path(own)}")
    sources = {"catalog": "catálogo" if es else "catalog", "installed": "instalado" if es else "installed"}
    kinds = {"schema": "esquema" if es else "schema", "codelist": "lista" if es else "codelist"}
    header = (
        ("tipo", "nombre", "versión", "origen", "archivo")
        if es
        else ("kind", "name", "version", "source", "file")
    )
    rows = [header] + [
        (kinds[e.kind], e.name, e.version or "-", sources[e.source], display_path(e.path)) for e in found
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    click.echo()
    for r in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[4])


@schemas.command(name="export")
@click.argument("dest", metavar="DIR", type=click.Path(path_type=Path))
@force_option("DIR")
@command_options()
def schemas_export(dest: Path, force: bool, lang: str | None, debug: bool) -> None:
    """Copia el estándar instalado a DIR para adaptarlo. / Copy the installed standard to DIR.

    Escribe standard.yaml, los esquemas y codelists/; no sobrescribe nada sin --force. Una carpeta
    schemas/ junto al catálogo se lee antes que el estándar instalado.

    \b
    Example:
        ciudades schemas export schemas
    """
    from toolkit.catalog.standard import export

    written = export(dest, force=force)
    es = (lang or default_lang()) == "es"
    click.echo(f"{'Copiados' if es else 'Copied'} {len(written)} {'archivos a' if es else 'files to'} {dest}")


@cli.command(name="import")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--into",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV de destino / the CSV to write.",
)
@click.option(
    "--schema",
    help="Esquema: nombre o ruta (por defecto, el del nombre de --into) / schema: name or path "
    "(default: the one named like --into).",
)
@click.option("--sheet", help="Hoja del libro (por defecto, la del esquema) / workbook sheet.")
@force_option("--into")
@click.option(
    "--append",
    is_flag=True,
    help="Agrega las filas a --into, que ya existe, en vez de reemplazarla / add the rows to the "
    "existing --into instead of replacing it.",
)
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    help="Cómo leer fechas como 03/12/2025: dmy (día/mes/año) o mdy (mes/día/año); sin esta opción, "
    "se rechazan / how to read dates like 03/12/2025; without it they are refused.",
)
@json_option
@command_options()
def import_(
    source: Path,
    into: Path,
    schema: str | None,
    sheet: str | None,
    force: bool,
    append: bool,
    date_order: str | None,
    as_json: bool,
    lang: str | None,
    debug: bool,
) -> None:
    """Convierte un libro .xlsx o un CSV al CSV canónico. / Convert a workbook or a CSV to the canonical CSV.

    Fechas a AAAA-MM-DD, decimales con punto, sí/no a true/false, nombres de país y de moneda a su
    código ISO, nombres de una lista a su código, UTF-8 con comas, columnas en el orden del esquema.
    Muestra cada celda que cambió (antes → después); lo que no puede convertir se copia tal cual y
    se informa con su celda (B7) o su línea. Con --append, las filas se agregan a la tabla (nada se
    escribe si queda algo sin convertir o una clave repetida).
    Salida: 0 todo convertido, 1 quedan celdas por corregir, 2 error de uso.

    \b
    Example:
        ciudades import acuerdos.xlsx --into datasets/ciudad-de-mexico/agreements.csv --force
        ciudades import exportado.csv --into datasets/bogota/funding.csv --force --date-order dmy
        ciudades import nuevas.xlsx --into datasets/bogota/partners.csv --append
    """
    from toolkit.review.importer import import_table, render_import

    lang = lang or default_lang()
    result = import_table(
        source, into, schema=schema, sheet=sheet, force=force, date_order=date_order, append=append
    )
    if as_json:
        echo_json(result.to_dict(lang))
    else:
        click.echo(render_import(result, lang), nl=False)
    sys.exit(EXIT_OK if result.ok else EXIT_INVALID)


def ask_missing(wanted: list[tuple[str, str, str, Any]], lang: str) -> dict[str, Any]:
    """Values the command needs and was not given: asked for on a terminal, otherwise a usage
    error that names the options (a script or CI never waits on a prompt). ``wanted``: (option,
    question in Spanish, in English, the value given or None)."""
    from toolkit.errors import UsageError

    missing = [w for w in wanted if w[3] in (None, "")]
    if missing and not (sys.stdin.isatty() and not in_ci()):
        names = ", ".join(option for option, *_ in missing)
        raise UsageError(f"{'Faltan' if len(missing) > 1 else 'Falta'} {names}.", f"Missing {names}.")
    values = {option: given for option, _, _, given in wanted}
    for option, es, en in ((o, es, en) for o, es, en, given in missing):
        values[option] = click.prompt(es if lang == "es" else en)
    return values


@cli.command()
@click.argument("directory", metavar="[DIR]", required=False, type=click.Path(path_type=Path), default=".")
@click.option("--publisher", help="Quién publica el catálogo / who publishes the catalog.")
@click.option("--title-es", help="Título del catálogo en español / the catalog's title in Spanish.")
@click.option("--title-en", help="Título del catálogo en inglés / the catalog's title in English.")
@click.option("--base-url", help="URL pública del sitio del catálogo / the catalog site's public URL.")
@click.option("--email", help="Correo de contacto / contact e-mail.")
@click.option(
    "--publisher-url",
    help="Sitio del publicador (por defecto, --base-url) / the publisher's site (default: --base-url).",
)
@click.option(
    "--languages", default="es,en", show_default=True, help="Idiomas, separados por comas / languages."
)
@click.option("--license", "licence", default="CC-BY-4.0", show_default=True, help="Licencia / licence.")
@click.option(
    "--ref",
    help="Versión de la Action y del hook: etiqueta o commit (por defecto, la de esta herramienta) / "
    "the Action's and the hook's release tag or commit (default: this toolkit's).",
)
@click.option(
    "--force", is_flag=True, help="Escribe aunque DIR no esté vacía / write even if DIR is not empty."
)
@command_options()
def init(
    directory: Path,
    publisher: str | None,
    title_es: str | None,
    title_en: str | None,
    base_url: str | None,
    email: str | None,
    publisher_url: str | None,
    languages: str,
    licence: str,
    ref: str | None,
    force: bool,
    lang: str | None,
    debug: bool,
) -> None:
    """Crea un catálogo nuevo. / Create a new catalog.

    Escribe en DIR (por defecto, la carpeta actual) datasets/catalog.yaml, un README para quienes
    contribuyen, .github/workflows/validate.yml (la Action), .pre-commit-config.yaml y .gitignore.
    Lo que no se da como opción se pregunta en una terminal; fuera de una terminal (un script, CI),
    es un error de uso. Una DIR que no está vacía se rechaza, salvo con --force.

    \b
    Example:
        ciudades init mis-datos --publisher "Mi Ciudad" --title-es "Mi catálogo" \\
          --title-en "My catalog" --base-url https://example.org/datos/ --email datos@example.org
    """
    from toolkit.review.scaffold import RELEASE_TAG, CatalogSettings, init_catalog

    lang = lang or default_lang()
    given = ask_missing(
        [
            ("--publisher", "Publicador (p. ej. el gobierno de la ciudad)", "Publisher", publisher),
            ("--title-es", "Título del catálogo en español", "Catalog title in Spanish", title_es),
            ("--title-en", "Título del catálogo en inglés", "Catalog title in English", title_en),
            ("--base-url", "URL pública del sitio", "Public URL of the site", base_url),
            ("--email", "Correo de contacto", "Contact e-mail", email),
        ],
        lang,
    )
    settings = CatalogSettings(
        publisher=given["--publisher"],
        title_es=given["--title-es"],
        title_en=given["--title-en"],
        base_url=given["--base-url"],
        email=given["--email"],
        publisher_url=publisher_url or "",
        languages=languages.split(","),
        license=licence,
    )
    written = init_catalog(directory, settings, force=force, ref=ref or RELEASE_TAG)
    click.echo(written.render(lang), nl=False)


@cli.command()
@click.argument("slug")
@click.option("--city", help="Nombre de la ciudad / the city's name.")
@click.option("--country", help="País, ISO 3166-1 alfa-2 (p. ej. MX) / country, ISO 3166-1 alpha-2.")
@click.option("--subdivision", help="Subdivisión ISO 3166-2 (p. ej. MX-CMX) / ISO 3166-2 subdivision.")
@click.option(
    "--website",
    help="Sitio oficial del gobierno de la ciudad (la fuente de su fila) / the city government's "
    "official site (the source of its row).",
)
@click.option(
    "--catalog",
    "catalog_dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("datasets"),
    show_default=True,
    help="Carpeta del catálogo / the catalog folder.",
)
@command_options()
def new(
    slug: str,
    city: str | None,
    country: str | None,
    subdivision: str | None,
    website: str | None,
    catalog_dir: Path,
    lang: str | None,
    debug: bool,
) -> None:
    """Agrega un conjunto de datos al catálogo. / Add a dataset to the catalog.

    Crea CATALOGO/SLUG con su datapackage.yaml (licencia y publicador del catálogo), las tres tablas
    (agreements, funding, partners) con los encabezados de sus esquemas y, en partners.csv, la fila
    del propio gobierno de la ciudad, con su sitio oficial como fuente. Lo que no se da como opción
    se pregunta en una terminal; fuera de una terminal, es un error de uso. Una carpeta que ya
    existe se rechaza.

    \b
    Example:
        ciudades new lima --city Lima --country PE --subdivision PE-LMA --website https://www.munlima.gob.pe
    """
    from toolkit.review.scaffold import new_dataset

    lang = lang or default_lang()
    given = ask_missing(
        [
            ("--city", "Ciudad", "City", city),
            ("--country", "País (ISO 3166-1 alfa-2, p. ej. MX)", "Country (ISO 3166-1 alpha-2)", country),
            ("--website", "Sitio oficial del gobierno de la ciudad", "City government's website", website),
        ],
        lang,
    )
    written = new_dataset(
        catalog_dir,
        slug,
        city=given["--city"],
        country=given["--country"],
        website=given["--website"],
        subdivision=subdivision,
    )
    click.echo(written.render(lang), nl=False)


@cli.group()
def publish() -> None:
    """Publica los paquetes en portales de datos abiertos. / Publish the packages to open-data portals."""


@publish.command(name="ckan")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--url", required=True, help="Dirección base del portal CKAN / the CKAN portal's base URL.")
@click.option("--org", required=True, help="Organización del portal (nombre corto) / portal organisation.")
@click.option(
    "--dataset", "datasets", multiple=True, help="Publica solo este conjunto (repetible) / only this dataset."
)
@click.option("--prefix", default="", help="Prefijo del nombre en CKAN / prefix for the CKAN names.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Solo muestra el plan: no escribe en el portal ni en disco (empaqueta en una carpeta temporal) y "
    "no necesita token / plan only: writes nothing to the portal or to disk (packages into a temporary "
    "folder) and needs no token.",
)
@click.option(
    "--prune", is_flag=True, help="Borra recursos que ya no están en el paquete / delete stale ones."
)
@out_option("Carpeta de los paquetes / packages folder.", Path("build/packages"))
@click.option(
    "--packages",
    "packages_dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Publica paquetes ya generados, sin reconstruirlos / publish packages already built.",
)
@format_option(["text", "json"])
@click.option(
    "--api-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Archivo con el token (si no, CKAN_API_TOKEN) / file holding the token (else CKAN_API_TOKEN).",
)
@click.option(
    "--timeout", type=float, default=60.0, show_default=True, help="Segundos por solicitud / per request."
)
@click.option(
    "--retries", type=click.IntRange(0, 10), default=4, show_default=True, help="Reintentos / retries."
)
@command_options(remote=True)
def publish_ckan(
    path: Path | None,
    url: str,
    org: str,
    datasets: tuple[str, ...],
    prefix: str,
    dry_run: bool,
    prune: bool,
    out: Path,
    packages_dir: Path | None,
    fmt: str,
    api_token_file: Path | None,
    timeout: float,
    retries: int,
    allow_remote: bool,
    lang: str | None,
    debug: bool,
) -> None:
    """Publica en CKAN: planea, aplica y verifica. / Publish to CKAN: plan, apply, verify.

    Valida y empaqueta PATH (por defecto datasets/), o toma los paquetes ya hechos de --packages, y
    publica cada conjunto como un conjunto de datos de CKAN. Token: CKAN_API_TOKEN o
    --api-token-file; --dry-run planea sin él, con lecturas anónimas. Salida 3 si el portal falla;
    volver a ejecutar retoma desde lo que el portal ya tiene.

    \b
    Example:
        ciudades publish ckan --url https://datos.example.org --org mi-ciudad --dry-run
        CKAN_API_TOKEN=… ciudades publish ckan --url https://datos.example.org --org mi-ciudad
    """
    from toolkit.errors import UsageError
    from toolkit.packaging.packages import package as build
    from toolkit.packaging.packages import read_packages
    from toolkit.publish import (
        PublishFailed,
        check_credentials,
        read_token,
        redacted,
        render_json,
        render_text,
    )
    from toolkit.publish import publish_ckan as run
    from toolkit.publish.client import normalize_url
    from toolkit.validation.privacy_notice import scan_packages

    lang = lang or default_lang()
    if path is not None and packages_dir is not None:
        raise UsageError("Usa PATH o --packages, no ambos.", "Use PATH or --packages, not both.")
    url = normalize_url(url)  # before packaging: a usage error costs nothing
    token = read_token(api_token_file)
    check_credentials(token, dry_run)
    render = render_json if fmt == "json" else functools.partial(render_text, lang=lang)
    with redacted(token), progress_status(lang) as progress, contextlib.ExitStack() as stack:
        if packages_dir is not None:
            packages = read_packages(packages_dir)
            personal = scan_packages(packages.datasets)
        else:
            if dry_run:  # a preview writes nothing that outlives it, not even build/packages
                import tempfile

                out = (
                    Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ciudades-plan-")))
                    / "packages"
                )
            packages = build(path or Path("datasets"), out, progress=progress, allow_remote=allow_remote)
            personal = packages.report.findings
        echo_privacy_notice(personal, lang)  # before anything is uploaded
        try:
            result = run(
                packages.datasets + ([packages.combined] if packages.combined else []),
                url=url,
                org=org,
                token=token,
                datasets=list(datasets) or [d.slug for d in packages.datasets],
                prefix=prefix,
                dry_run=dry_run,
                prune=prune,
                timeout=timeout,
                retries=retries,
                progress=progress,
            )
        except PublishFailed as ex:
            if fmt == "json" or ex.result.datasets:  # a report of what was done and what was not
                click.echo(render(ex.result), nl=False)
            raise
    click.echo(render(result), nl=False)
    echo_privacy_notice(personal, lang)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@out_option("Carpeta del sitio (se reemplaza entera) / site folder (replaced whole).", Path("build/site"))
@click.option(
    "--base-url",
    help="URL pública del sitio (por defecto, base_url de catalog.yaml) / the site's public URL "
    "(default: base_url in catalog.yaml).",
)
@click.option(
    "--templates",
    type=click.Path(path_type=Path, file_okay=False),
    help="Carpeta con plantillas propias que reemplazan a las de igual nombre / template overrides.",
)
@click.option(
    "--links",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Resultados de «ciudades check-links» que mostrar (por defecto, .cache/links.json junto al "
    "catálogo); no se consulta la red / the check-links results to show (default: .cache/links.json "
    "beside the catalog); nothing is asked on the network.",
)
@command_options(remote=True)
def build(
    path: Path | None,
    out: Path,
    base_url: str | None,
    templates: Path | None,
    links: Path | None,
    allow_remote: bool,
    lang: str | None,
    debug: bool,
) -> None:
    """Valida, empaqueta y genera el sitio del catálogo. / Validate, package and build the site.

    Escribe en OUT un sitio estático bilingüe (español en la raíz, inglés en en/) con las descargas
    en descargas/ y los metadatos DCAT-AP 3, data.json y sitemap.xml. Si algo no es válido, muestra
    los hallazgos, no escribe nada y sale con 1.

    \b
    Example:
        ciudades build
        ciudades build datasets/ --out build/site --base-url https://example.org/catalogo/
        ciudades check-links && ciudades build
        ciudades serve
    """
    import time

    from toolkit.packaging.packages import InvalidData
    from toolkit.report.findings import render_text
    from toolkit.site.build import build as run
    from toolkit.site.build import render_summary

    lang = lang or default_lang()
    started = time.monotonic()
    try:
        with progress_status(lang) as progress:
            result = run(
                path or Path("datasets"),
                out,
                base_url=base_url,
                templates=templates,
                progress=progress,
                allow_remote=allow_remote,
                links=links,
            )
    except InvalidData as ex:
        click.echo(render_text(ex.report, lang), nl=False)
        echo_privacy_notice(ex.report.findings, lang)
        raise
    click.echo(render_summary(result, lang, time.monotonic() - started), nl=False)
    echo_privacy_notice(result.report.findings, lang)


@cli.command()
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Puerto / port.")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("build/site"),
    show_default=True,
    help="Carpeta del sitio / site folder.",
)
@command_options()
def serve(port: int, directory: Path, lang: str | None, debug: bool) -> None:
    """Sirve el sitio generado en 127.0.0.1 para verlo. / Serve the built site on 127.0.0.1 to preview it.

    \b
    Example:
        ciudades build && ciudades serve --port 8000
    """
    from toolkit.site.build import make_server

    lang = lang or default_lang()
    server = make_server(directory, port)
    host, real_port = server.server_address[:2]
    url = f"http://{host!s}:{real_port}/"
    click.echo(
        f"Sirviendo {directory} en {url} (Ctrl+C para terminar)"
        if lang == "es"
        else f"Serving {directory} at {url} (Ctrl+C to stop)"
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Detenido." if lang == "es" else "Stopped.")
    finally:
        server.server_close()


def echo_privacy_notice(findings: Any, lang: str) -> None:
    """The boxed personal-data notice on standard error (where --format json output never goes)."""
    from toolkit.validation.privacy_notice import personal_cells, render_plain, render_rich

    cells = personal_cells(findings)
    if not cells:
        return
    if sys.stderr.isatty() and not in_ci():
        from rich.console import Console

        Console(stderr=True).print(render_rich(cells, lang))
    else:
        click.echo(render_plain(cells, lang), err=True, nl=False)


HELP_OPTION = "Muestra esta ayuda y termina. / Show this message and exit."


def _bilingual_summaries(group: click.Group) -> None:
    """Every command's summary in ``ciudades --help`` is the first line of its help, «Español. /
    English.», whole (click would cut it to 45 characters, mostly leaving the Spanish); the help
    option says what it does in both languages too."""
    for command in group.commands.values():
        command.short_help = (command.help or "").strip().splitlines()[0]
        if command.add_help_option:
            click.help_option("-h", "--help", help=HELP_OPTION)(command)
            command.add_help_option = False
        if isinstance(command, click.Group):
            _bilingual_summaries(command)


class Terminated(KeyboardInterrupt):
    """The process received SIGTERM: stop as for Ctrl-C (clean up, then exit 143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _terminate(signum: int, _frame: object) -> None:
    raise Terminated(signum)


_bilingual_summaries(cli)
click.help_option("-h", "--help", help=HELP_OPTION)(cli)
cli.add_help_option = False


def _import_settled(*modules: str) -> None:
    """Import ``modules`` (the validator; the fast engine, with numpy and pyarrow), then leave
    everything made so far out of the garbage collector's walks (``gc.freeze``): a command runs
    once, and its modules and catalog live until it exits. The collector would otherwise walk all
    of numpy and pyarrow again and again (on the shipped catalog: 23 ms of collections, 9 ms with
    the freeze)."""
    import gc
    import importlib

    gc.disable()
    try:
        for module in modules:
            importlib.import_module(module)
    finally:
        gc.enable()
    gc.freeze()


def main() -> None:
    # SIGTERM would end the process on the spot; as an exception, temporary folders are removed
    # and worker processes stopped on the way out, as for Ctrl-C.
    signal.signal(signal.SIGTERM, _terminate)
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt as ex:  # outside a command: while click reads the arguments
        _stop_if_interrupted(ex, default_lang())
