"""What the spreadsheet tools share: the schema they read and how they save files and workbooks."""

from __future__ import annotations

import datetime as dt
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.catalog import standard, structured
from toolkit.catalog.model import Codelist, display_path, load_codelist, schema_candidates
from toolkit.errors import UsageError

# The same input must give byte-identical workbooks: fixed timestamps inside the file and the zip.
_FIXED_TIME = dt.datetime(2000, 1, 1)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
AUTHOR = "Ciudades al Mundo"


# ── schemas ──────────────────────────────────────────────────────────────────────────────────────


@dataclass
class SchemaInfo:
    """A Table Schema as read from its file, with its codelists."""

    name: str
    path: Path
    data: dict[str, Any]
    codelists: dict[str, Codelist] = field(default_factory=dict)

    @property
    def fields(self) -> list[dict[str, Any]]:
        return [f for f in self.data.get("fields") or [] if isinstance(f, dict) and f.get("name")]

    def allowed(self, f: dict[str, Any]) -> list[str] | None:
        """The values a field accepts from a closed list (a codelist or an enum), as text."""
        if f.get("codelist") in self.codelists:
            return [str(c) for c in self.codelists[f["codelist"]].codes]
        enum = (f.get("constraints") or {}).get("enum")
        return [str(v) for v in enum] if enum else None


def load_schema(ref: str | Path, *, near: Path | None = None) -> SchemaInfo:
    """A schema by file path or by name (``agreements`` → the nearest ``schemas/agreements.schema.yaml``,
    looking up from ``near`` and from the working directory, then the installed standard)."""
    path = Path(ref)
    shipped = standard.installed()
    if not path.is_file():
        if path.suffix or "/" in str(ref) or "\\" in str(ref):
            raise UsageError(f"No existe el esquema «{ref}».", f"The schema '{ref}' does not exist.")
        found = next((p for p in schema_candidates(str(ref), near) if p.is_file()), None)
        if found is None and shipped is not None:
            found = shipped.schema_path(str(ref))
        if found is None:
            names = sorted(p.name.split(".")[0] for p in Path("schemas").glob("*.schema.*") if p.is_file())
            known_es = f" Esquemas en schemas/: {', '.join(names)}." if names else ""
            known_en = f" Schemas in schemas/: {', '.join(names)}." if names else ""
            raise UsageError(
                f"No se encontró el esquema «{ref}» (se buscó schemas/{ref}.schema.yaml).{known_es}",
                f"The schema '{ref}' was not found (looked for schemas/{ref}.schema.yaml).{known_en}",
            )
        path = found
    try:
        data = structured.read(path).data
    except structured.StructuredError as ex:
        raise UsageError(
            f"El esquema «{display_path(path)}» no es {ex.kind} válido (línea {ex.line}): {ex.detail_es}",
            f"The schema '{display_path(path)}' is not valid {ex.kind} (line {ex.line}): {ex.detail}",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise UsageError(
            f"«{display_path(path)}» no es un Table Schema: le falta la lista «fields».",
            f"'{display_path(path)}' is not a Table Schema: it has no 'fields' list.",
        )
    info = SchemaInfo(str(data.get("name") or path.name.split(".")[0]), path, data)
    for f in info.fields:
        name = f.get("codelist")
        if not name or name in info.codelists:
            continue
        cl_path = path.parent / "codelists" / f"{name}.csv"
        if not cl_path.is_file() and shipped is not None and shipped.codelist_path(name) is not None:
            cl_path = shipped.folder / "codelists" / f"{name}.csv"
        try:
            info.codelists[name] = load_codelist(cl_path, f.get("type", "string"))
        except (OSError, ValueError, UnicodeDecodeError) as ex:
            raise UsageError(
                f"No se pudo leer la lista de códigos «{name}» ({display_path(cl_path)}): {ex}",
                f"Could not read the codelist '{name}' ({display_path(cl_path)}): {ex}",
            ) from None
    return info


# ── saving ───────────────────────────────────────────────────────────────────────────────────────


def write_atomically(path: Path, data: bytes) -> None:
    """Write next to the target, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _close_abandoned_writers() -> None:
    """Collect openpyxl's half-run sheet writers now, quietly.

    Left to the end of the program, each one's failing cleanup prints a traceback after our
    one-line error message.
    """
    import gc
    import sys

    previous = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous


def save_workbook(wb: Any, path: Path) -> None:
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = AUTHOR
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    raw = io.BytesIO()
    failed: OSError | None = None
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        try:
            ExcelWriter(wb, archive).write_data()
        except OSError as ex:  # e.g. no room for openpyxl's temporary files
            failed = OSError(ex.errno, ex.strerror, ex.filename)
    if failed is not None:
        _close_abandoned_writers()
        raise failed
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    write_atomically(path, out.getvalue())


def refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError(
            f"«{path}» ya existe; usa --force para reemplazarlo.",
            f"'{path}' already exists; use --force to replace it.",
        )
