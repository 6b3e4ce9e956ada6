"""Command-line interface: each command translates arguments, calls ``toolkit``, translates errors."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from toolkit import __version__
from toolkit.errors import ToolkitError

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


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into a message and an exit code; tracebacks only with --debug."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = kwargs.get("lang") or default_lang()
        debug = kwargs.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except ToolkitError as ex:
            if debug:
                raise
            click.echo("Error: " + ex.message(lang), err=True)
            sys.exit(ex.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as ex:  # the last line of defence: a message, never a traceback
            if debug:
                raise
            what = f"{type(ex).__name__}: {ex}"
            if lang == "es":
                click.echo(f"La herramienta falló: {what} (usa --debug para ver el detalle)", err=True)
            else:
                click.echo(f"The tool failed: {what} (use --debug for details)", err=True)
            sys.exit(EXIT_FAILURE)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ciudades")
def cli() -> None:
    """Ciudades al Mundo: datos abiertos de la acción internacional de las ciudades.

    Open data on the international action of cities: validate, package, publish.
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
    help="Perfil de política de datos (cdmx) o «none»; por defecto, el de cada conjunto.",
)
@click.option("--dataset", "datasets", multiple=True, help="Valida solo este conjunto (repetible).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    help="Formato de salida / output format.",
)
@click.option(
    "--limit-errors",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Máximo de errores por tabla, como frictionless / error cap per table.",
)
@lang_option
@debug_option
@handle_errors
def validate(
    path: Path | None,
    schema: Path | None,
    profiles: tuple[str, ...],
    datasets: tuple[str, ...],
    fmt: str,
    limit_errors: int,
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
    """
    from toolkit.report import render_json, render_text
    from toolkit.validate import validate as run

    lang = lang or default_lang()
    chosen: list[str] | None = None
    if profiles:
        chosen = [] if list(profiles) == ["none"] else [p for p in profiles if p != "none"]
    report = run(
        path, schema=schema, profiles=chosen, datasets=list(datasets) or None, limit_errors=limit_errors
    )
    if fmt == "json":
        click.echo(render_json(report, lang), nl=False)
    else:
        color = sys.stdout.isatty() and not in_ci() and "NO_COLOR" not in os.environ
        click.echo(render_text(report, lang, color=color), nl=False)
    sys.exit(EXIT_OK if report.valid else EXIT_INVALID)


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown")
def codes(fmt: str) -> None:
    """Lista los códigos de hallazgo / list the finding codes.

    \b
    Example:
        ciudades codes > docs/codes.md
    """
    from toolkit.docs import codes_json, codes_markdown

    click.echo(
        codes_markdown() if fmt == "markdown" else json.dumps(codes_json(), ensure_ascii=False, indent=2),
        nl=False,
    )


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        click.echo("Interrumpido / interrupted", err=True)
        sys.exit(130)
