"""The standard that ships with the toolkit: its schemas, codelists and version.

The Table Schemas and codelists every dataset of a catalog follows are ``schemas/`` in the
repository and ``toolkit/schemas/`` inside the installed wheel.

A schema named in a descriptor (``schema: agreements``) is read from the catalog's own ``schemas/``
folder first, then from the installed standard; a codelist likewise. A catalog pins the versions
of the standard it is written for with ``standard:`` in ``catalog.yaml`` (a version specifier such
as ``">=1.0,<2"``, or one version, ``1.0.0``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.catalog import structured
from toolkit.errors import ToolkitError, UsageError

if TYPE_CHECKING:
    from packaging.specifiers import SpecifierSet

STANDARD_FILE = "standard.yaml"
SCHEMA_SUFFIXES = (".schema.yaml", ".schema.yml", ".schema.json")


@dataclass(frozen=True)
class Standard:
    """A folder of Table Schemas (``<name>.schema.yaml``) and ``codelists/<name>.csv``."""

    folder: Path
    name: str | None = None
    version: str | None = None

    def schema_path(self, name: str) -> Path | None:
        for suffix in SCHEMA_SUFFIXES:
            path = self.folder / f"{name}{suffix}"
            if path.is_file():
                return path
        return None

    def codelist_path(self, name: str) -> Path | None:
        path = self.folder / "codelists" / f"{name}.csv"
        return path if path.is_file() else None

    def schema_names(self) -> list[str]:
        names = {p.name.split(".")[0] for s in SCHEMA_SUFFIXES for p in self.folder.glob(f"*{s}")}
        return sorted(names)

    def codelist_names(self) -> list[str]:
        return sorted(p.stem for p in (self.folder / "codelists").glob("*.csv"))


def read_standard(folder: Path) -> Standard:
    """The schemas in ``folder``, with the name and version its ``standard.yaml`` gives, if any."""
    try:
        data = structured.read(folder / STANDARD_FILE).data
    except (structured.StructuredError, OSError):
        data = None
    if not isinstance(data, dict):
        return Standard(folder)
    version = data.get("version")
    name = data.get("name")
    return Standard(folder, str(name) if name else None, str(version) if version is not None else None)


def _shipped_folder() -> Path | None:
    # Inside an installed wheel the standard is package data (pyproject.toml's force-include);
    # in a clone it is the top-level schemas/ folder beside the package.
    package = Path(__file__).parent.parent  # toolkit/, as importlib.resources.files("toolkit") says
    for candidate in (package / "schemas", package.parent / "schemas"):
        if (candidate / STANDARD_FILE).is_file():
            return candidate
    return None


@functools.cache
def installed() -> Standard | None:
    """The standard shipped with this toolkit; None only in a broken installation."""
    folder = _shipped_folder()
    return read_standard(folder) if folder is not None else None


def parse_pin(text: str) -> SpecifierSet:
    """``">=1.0,<2"`` or one version (``1.0.0``, meaning exactly it); ValueError if malformed."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet  # only for a catalog with a pin
    from packaging.version import InvalidVersion, Version

    text = text.strip()
    if not text:
        raise ValueError("empty")
    if text[0].isdigit():
        try:
            Version(text)
        except InvalidVersion as ex:
            raise ValueError(str(ex)) from None
        text = f"=={text}"
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as ex:
        raise ValueError(str(ex)) from None


def satisfies(version: str | None, pin: SpecifierSet) -> bool:
    """Whether a standard of ``version`` meets the pin (a standard with no version never does)."""
    from packaging.version import InvalidVersion, Version

    if version is None:
        return False
    try:
        return pin.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


@dataclass(frozen=True)
class Entry:
    """One schema or codelist as a catalog resolves it."""

    kind: str  # schema · codelist
    name: str
    version: str | None
    source: str  # catalog · installed
    path: Path


def entries(own: Path | None) -> list[Entry]:
    """Every schema and codelist a catalog whose own schemas folder is ``own`` (or None) can name,
    each from where a descriptor's reference resolves: the catalog's folder first, then the
    installed standard."""
    places = [(read_standard(own), "catalog")] if own is not None and own.is_dir() else []
    shipped = installed()
    if shipped is not None:
        places.append((shipped, "installed"))
    found: dict[tuple[str, str], Entry] = {}
    for std, source in places:
        for kind, names, look in (
            ("schema", std.schema_names(), std.schema_path),
            ("codelist", std.codelist_names(), std.codelist_path),
        ):
            for name in names:
                path = look(name)
                if path is not None and (kind, name) not in found:
                    found[(kind, name)] = Entry(kind, name, std.version, source, path)
    return sorted(found.values(), key=lambda e: (e.kind != "schema", e.name))


def export(dest: Path, *, force: bool = False) -> list[Path]:
    """Copy the installed standard (schemas, codelists/, standard.yaml) into ``dest`` to customise;
    raise :class:`UsageError` if a file would be overwritten without ``force``. Returns the files."""
    shipped = installed()
    if shipped is None:  # pragma: no cover - only a broken installation gets here
        raise ToolkitError(
            "No se encontró el estándar instalado (toolkit/schemas/); reinstala el paquete.",
            "The installed standard (toolkit/schemas/) was not found; reinstall the package.",
        )
    files = [shipped.folder / STANDARD_FILE]
    files += [p for name in shipped.schema_names() if (p := shipped.schema_path(name)) is not None]
    files += [shipped.folder / "codelists" / f"{name}.csv" for name in shipped.codelist_names()]
    targets = [dest / f.relative_to(shipped.folder) for f in files]
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"«{dest}» existe y no es una carpeta.", f"'{dest}' exists and is not a folder.")
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        shown = ", ".join(str(t) for t in existing[:3]) + (
            f" (+{len(existing) - 3})" if len(existing) > 3 else ""
        )
        raise UsageError(
            f"No se sobrescribió nada: ya existen {shown}. Usa --force para reemplazarlos.",
            f"Nothing was overwritten: {shown} already exist. Use --force to replace them.",
        )
    import shutil

    for source, target in zip(files, targets, strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return targets
