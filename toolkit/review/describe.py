"""A starting Table Schema for a CSV that has none yet, with the types frictionless infers.

The column names, their inferred types, and empty titles and descriptions to fill in; ready to edit
and to pass to ``ciudades validate --schema``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toolkit.catalog.model import display_path
from toolkit.errors import UsageError

# Rows read to infer the types. Every sampled value fits the inferred type (confidence 1), so a
# file no longer than this is valid against its own description.
SAMPLE_ROWS = 10_000

_HEAD = {
    "es": "# Esquema inicial de {path}, generado por «ciudades describe»: tipos inferidos de los datos.\n"
    "# Revisa cada tipo, escribe los títulos y las descripciones, agrega las restricciones\n"
    "# (required, unique, enum…) y la clave primaria, y valida con:\n"
    "#   ciudades validate {path} --schema ESTE_ARCHIVO.yaml\n",
    "en": "# Starting schema for {path}, written by 'ciudades describe': types inferred from the data.\n"
    "# Check each type, write the titles and descriptions, add the constraints\n"
    "# (required, unique, enum…) and the primary key, and validate with:\n"
    "#   ciudades validate {path} --schema THIS_FILE.yaml\n",
}


def describe(path: str | Path) -> dict[str, Any]:
    """Infer a Table Schema for the CSV at ``path``; raise :class:`UsageError` when it cannot be
    read as a CSV (missing, empty, binary, no header)."""
    from frictionless import Detector, Dialect, Resource
    from frictionless.formats import CsvControl

    from toolkit.validation.rawcsv import read_table

    source = Path(path)
    if not source.is_file():
        raise UsageError(f"No existe el archivo «{source}».", f"The file '{source}' does not exist.")
    shown = display_path(source)
    table, problems = read_table(source, shown, {}, [])
    if table is None or not table.header:
        first = next((p for p in problems if p.severity == "error"), None)
        es = first.message_es if first else "no tiene fila de encabezados"
        en = first.message_en if first else "it has no header row"
        raise UsageError(
            f"No se puede describir «{shown}» como CSV: {es}", f"'{shown}' cannot be described as a CSV: {en}"
        )
    resource = Resource(
        path=source.name,
        basepath=str(source.resolve().parent),
        format="csv",
        encoding=table.encoding,
        dialect=Dialect(header_rows=[1], controls=[CsvControl(delimiter=table.delimiter)]),
        detector=Detector(sample_size=SAMPLE_ROWS, field_confidence=1.0),
    )
    resource.infer()
    fields = []
    for inferred in resource.schema.fields:
        # A column left empty in every sampled row is inferred as "any"; "string" says the same
        # (any text passes) and is what a person would write and then refine.
        field: dict[str, Any] = {
            "name": inferred.name,
            "type": "string" if inferred.type == "any" else inferred.type,
        }
        if inferred.format and inferred.format != "default":
            field["format"] = inferred.format
        field["title"] = ""
        field["description"] = ""
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def render_schema(schema: dict[str, Any], path: str, lang: str) -> str:
    """The schema as YAML, headed by comments that say what to do with it."""
    import yaml

    body = yaml.safe_dump(schema, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return _HEAD["es" if lang == "es" else "en"].format(path=path) + body
