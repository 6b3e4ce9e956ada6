"""Load a published data package into pandas, checking every file against its declared size and hash.

``load`` takes a package folder, a ``datapackage.json``, a package zip (each also as a ``file:``
URL), an http(s) URL of a ``datapackage.json`` or of a zip, or a source dataset folder
(``datapackage.yaml``, no hashes to check). ``download`` takes the same packages and verifies every
file before it is kept. Private and loopback addresses are refused unless ``allow_private`` is given.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import posixpath
import shutil
import tempfile
import unicodedata
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

from toolkit.catalog import remote
from toolkit.catalog.model import display_path, unsafe_reason
from toolkit.errors import ToolkitError, UsageError, shown
from toolkit.packaging.safezip import read_zip

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "download", "load"]

DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
DESCRIPTOR = "datapackage.json"
Reader = Callable[[str], bytes]


# ── fetching ─────────────────────────────────────────────────────────────────────────────────────


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme.lower() in ("http", "https")


def _as_path(source: str | Path) -> Path:
    """A local source as a path: ``file:`` URLs (on this machine) become the path they name."""
    if isinstance(source, Path):
        return source
    parts = urllib.parse.urlsplit(source)
    if len(parts.scheme) < 2:  # none, or a Windows drive letter
        return Path(source)
    if parts.scheme.lower() != "file":
        raise UsageError(
            f"«{source}»: solo se admiten direcciones http://, https:// y file:, o la ruta de un archivo.",
            f"'{source}': only http://, https:// and file: addresses, or a file's path, are accepted.",
        )
    if parts.netloc not in ("", "localhost"):
        raise UsageError(
            f"«{source}» apunta a otra máquina («{shown(parts.netloc)}»); una dirección file: solo puede "
            "nombrar un archivo de esta, como file:///ruta/al/paquete.zip.",
            f"'{source}' points at another machine ('{shown(parts.netloc)}'); a file: address can only "
            "name a file on this one, such as file:///path/to/package.zip.",
        )
    return Path(urllib.request.url2pathname(parts.path))


def _local_bytes(path: Path, max_bytes: int) -> bytes:
    if path.stat().st_size > max_bytes:
        raise _too_big(display_path(path), max_bytes)
    return path.read_bytes()


def _local_reader(base: Path, max_bytes: int) -> Reader:
    """A reader of the files a local ``datapackage.json`` names: inside its folder only (a symbolic
    link out of it is refused too), each at most ``max_bytes``."""

    def read_file(rel: str) -> bytes:
        target = base / rel
        if not target.is_file():
            raise ToolkitError(
                f"Falta el archivo «{display_path(target)}» que declara el paquete.",
                f"The file '{display_path(target)}' declared by the package is missing.",
            )
        if not target.resolve().is_relative_to(base.resolve()):
            raise _unsafe(
                rel,
                display_path(base / DESCRIPTOR),
                "sale de la carpeta del paquete",
                "it leaves the package's folder",
            )
        return _local_bytes(target, max_bytes)

    return read_file


def _local_descriptor(source: str | Path) -> Path:
    """The local file a source names: a zip or a ``datapackage.json`` (a folder stands for its own)."""
    path = _as_path(source)
    if path.is_dir():
        if (path / DESCRIPTOR).is_file():
            return path / DESCRIPTOR
        raise UsageError(
            f"«{display_path(path)}» no tiene datapackage.json.",
            f"'{display_path(path)}' has no datapackage.json.",
        )
    if not path.is_file():
        raise UsageError(f"No existe «{display_path(path)}».", f"'{display_path(path)}' does not exist.")
    return path


def fetch(
    url: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_private: bool = False,
) -> bytes:
    """GET an http(s) URL through :mod:`toolkit.catalog.remote`: public addresses only (and private or
    loopback ones with ``allow_private``), each redirect checked the same way, at most ``max_bytes``
    and ``timeout`` seconds for the whole file."""
    if not _is_url(url):
        raise UsageError(
            f"«{url}» no es una dirección http(s).",
            f"'{url}' is not an http(s) address.",
        )
    with tempfile.TemporaryDirectory(prefix="ciudades-load-") as folder:
        copy = Path(folder) / "download"
        remote.fetch(
            url,
            copy,
            max_bytes=max_bytes,
            total_timeout=timeout,
            allow_private=allow_private,
            hint=remote.DOWNLOAD_HINT,
        )
        return copy.read_bytes()


def _too_big(where: str, max_bytes: int) -> ToolkitError:
    return ToolkitError(
        f"«{where}» supera el límite de {max_bytes} bytes; usa max_bytes para aumentarlo.",
        f"'{where}' exceeds the limit of {max_bytes} bytes; pass max_bytes to raise it.",
    )


def _unsafe(path: str, where: str, es: str, en: str) -> ToolkitError:
    return ToolkitError(
        f"{where}: la ruta de recurso «{shown(path)}» no es segura ({es}); los archivos de un paquete "
        "van en la carpeta de su datapackage.json.",
        f"{where}: the resource path '{shown(path)}' is not safe ({en}); a package's files sit in the "
        "folder of its datapackage.json.",
    )


def _safe_member(path: str, where: str) -> str:
    reason = unsafe_reason(path)
    if reason or not path:
        es, en = reason or ("vacía", "empty")
        raise _unsafe(path, where, es, en)
    return path


def _member_url(package_url: str, rel: str) -> str:
    """The URL of a file a remote ``datapackage.json`` names, which must stay on the package's server
    and in its folder. URL parsers drop tabs, newlines and leading spaces, so ``"\\t//other.host/x"``
    passes a check of the text; this checks the URL that would be fetched."""
    joined = urllib.parse.urljoin(package_url, rel)
    base, target = urllib.parse.urlsplit(package_url), urllib.parse.urlsplit(joined)
    try:
        same_server = (target.scheme, target.hostname, target.port) == (base.scheme, base.hostname, base.port)
    except ValueError:  # a port out of range
        same_server = False
    if not same_server:
        host = shown(target.hostname or target.netloc or joined)
        raise _unsafe(
            rel, package_url, f"lleva a otro servidor, «{host}»", f"it leads to another server, '{host}'"
        )
    folder = base.path.rsplit("/", 1)[0] + "/"
    inside = target.path[len(folder) :] if target.path.startswith(folder) else "/"
    reason = unsafe_reason(inside) if inside else ("vacía", "empty")
    if reason:
        raise _unsafe(rel, package_url, "sale de la carpeta del paquete", "it leaves the package's folder")
    return joined


def _open_source(
    source: str | Path, timeout: float, max_bytes: int, allow_private: bool
) -> tuple[dict[str, Any], Reader, str, dict[str, bytes] | None]:
    """The descriptor, a reader of files relative to it, a name to show, and the zip's files."""
    text = str(source)
    if _is_url(text):
        data = fetch(text, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private)
        if urllib.parse.urlsplit(text).path.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
            return _from_zip(data, text)
        descriptor = _parse_descriptor(data, text)

        def read_url(rel: str) -> bytes:
            return fetch(
                _member_url(text, rel), timeout=timeout, max_bytes=max_bytes, allow_private=allow_private
            )

        return descriptor, read_url, text, None
    path = _local_descriptor(source)
    if path.suffix.lower() == ".zip":
        return _from_zip(_local_bytes(path, max_bytes), display_path(path))
    descriptor = _parse_descriptor(_local_bytes(path, max_bytes), display_path(path))
    return descriptor, _local_reader(path.parent, max_bytes), display_path(path), None


def _parse_descriptor(data: bytes, where: str) -> dict[str, Any]:
    try:
        descriptor = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as ex:
        raise ToolkitError(
            f"«{where}» no es un datapackage.json válido ({ex}).",
            f"'{where}' is not a valid datapackage.json ({ex}).",
        ) from None
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        raise ToolkitError(
            f"«{where}» no es un datapackage.json: le falta la lista «resources».",
            f"'{where}' is not a datapackage.json: it has no 'resources' list.",
        )
    return descriptor


def _from_zip(data: bytes, where: str) -> tuple[dict[str, Any], Reader, str, dict[str, bytes]]:
    members = read_zip(data, where)
    found = sorted((n for n in members if posixpath.basename(n) == DESCRIPTOR), key=lambda n: n.count("/"))
    if not found:
        raise ToolkitError(
            f"El zip «{where}» no contiene datapackage.json.",
            f"The zip '{where}' holds no datapackage.json.",
        )
    top = posixpath.dirname(found[0])
    files = {posixpath.basename(n): body for n, body in members.items() if posixpath.dirname(n) == top}
    descriptor = _parse_descriptor(files[DESCRIPTOR], f"{where}!{found[0]}")

    def read_member(rel: str) -> bytes:
        if rel not in files:
            raise ToolkitError(
                f"Falta «{rel}» en el zip «{where}».",
                f"'{rel}' is missing from the zip '{where}'.",
            )
        return files[rel]

    return descriptor, read_member, where, files


def _verify(data: bytes, resource: dict[str, Any], name: str) -> None:
    """Check the declared ``bytes`` and ``hash`` (``sha256:…``; bare hex is MD5, as the spec says)."""
    declared = resource.get("bytes")
    if declared is not None and int(declared) != len(data):
        raise ToolkitError(
            f"«{name}» no coincide con el paquete: tiene {len(data)} bytes y el paquete declara {declared}. "
            "El archivo está dañado o fue modificado; descarga el paquete de nuevo.",
            f"'{name}' does not match the package: it has {len(data)} bytes, the package declares "
            f"{declared}. The file is damaged or was modified; download the package again.",
        )
    value = resource.get("hash")
    if not value:
        return
    algorithm, _, digest = str(value).rpartition(":")
    algorithm = algorithm.lower() or "md5"
    try:
        actual = hashlib.new(algorithm, data).hexdigest()
    except ValueError:
        raise ToolkitError(
            f"«{name}»: algoritmo de hash desconocido «{algorithm}».",
            f"'{name}': unknown hash algorithm '{algorithm}'.",
        ) from None
    if actual != digest.lower():
        raise ToolkitError(
            f"«{name}» no coincide con el paquete: su {algorithm} es {actual} y el paquete declara {digest}. "
            "El archivo está dañado o fue modificado; descarga el paquete de nuevo.",
            f"'{name}' does not match the package: its {algorithm} is {actual}, the package declares "
            f"{digest}. The file is damaged or was modified; download the package again.",
        )


# ── typing ───────────────────────────────────────────────────────────────────────────────────────


def _codes(field: dict[str, Any]) -> list[Any] | None:
    if field.get("listSeparator"):
        return None
    enum = (field.get("constraints") or {}).get("enum")
    if enum:
        return list(enum)
    categories = field.get("categories")
    if categories:
        return [c["value"] if isinstance(c, dict) else c for c in categories]
    return None


def _typed(column: pd.Series, field: dict[str, Any]) -> pd.Series:
    import pandas as pd

    kind = field.get("type", "string")
    if kind in ("integer", "year"):
        out = pd.to_numeric(column).astype("Int64")
    elif kind == "number":
        out = pd.to_numeric(column).astype("Float64")
    elif kind == "boolean":
        true = set(field.get("trueValues") or ("true", "True", "TRUE", "1"))
        false = set(field.get("falseValues") or ("false", "False", "FALSE", "0"))
        mapped = [pd.NA if pd.isna(v) else True if v in true else False if v in false else v for v in column]
        out = pd.Series(mapped, index=column.index, dtype="boolean")
    elif kind == "date":
        # One resolution for every date column, whatever pandas would infer from the values.
        out = pd.to_datetime(column, format="%Y-%m-%d").astype("datetime64[ns]")
    elif kind == "datetime":
        out = pd.to_datetime(column, format="ISO8601")
    else:
        out = column.astype("string")
    codes = _codes(field)
    if codes is not None:
        values = out.astype(object).where(out.notna(), None)
        out = pd.Series(pd.Categorical(values, categories=codes), index=column.index)
    return out.rename(field["name"])


def frame(data: bytes, schema: dict[str, Any], name: str) -> pd.DataFrame:
    """A resource's CSV bytes as a DataFrame typed from its Table Schema."""
    import pandas as pd

    missing = list(schema.get("missingValues", [""]))
    raw = pd.read_csv(
        io.BytesIO(data),
        dtype=str,
        keep_default_na=False,
        na_values=[m for m in missing if m != ""] or None,
        encoding="utf-8-sig",
    )
    if "" in missing:
        raw = raw.replace("", pd.NA)
    columns = {}
    for f in schema.get("fields") or []:
        if f["name"] not in raw.columns:
            raise ToolkitError(
                f"A «{name}» le falta la columna «{f['name']}» que declara su esquema.",
                f"'{name}' lacks the column '{f['name']}' its schema declares.",
            )
        try:
            columns[f["name"]] = _typed(raw[f["name"]], f)
        except (ValueError, TypeError) as ex:
            raise ToolkitError(
                f"La columna «{f['name']}» de «{name}» no es del tipo {f.get('type')} ({ex}).",
                f"The column '{f['name']}' of '{name}' is not of type {f.get('type')} ({ex}).",
            ) from None
    return pd.DataFrame(columns, index=pd.RangeIndex(len(raw)))


def _source_dataset(folder: Path) -> dict[str, pd.DataFrame]:
    """A dataset folder from a catalog (``datapackage.yaml``): read through the catalog loader."""
    from toolkit.catalog.model import load_catalog

    catalog, findings = load_catalog(folder)
    # A data file no resource declares does not keep the declared tables from being read.
    errors = [f for f in findings if f.severity == "error" and f.code != "file-undeclared"]
    if errors:
        raise ToolkitError(
            f"No se puede leer «{display_path(folder)}»: {errors[0].message_es}",
            f"Cannot read '{display_path(folder)}': {errors[0].message_en}",
        )
    out = {}
    for ds in catalog.datasets:
        for spec in ds.resources:
            out[spec.name] = frame(spec.path.read_bytes(), spec.schema or {}, display_path(spec.path))
    return out


def load(
    source: str | Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_private: bool = False,
) -> dict[str, pd.DataFrame]:
    """The package's tables as DataFrames keyed by resource name, typed from their schemas.

    ``source`` is a package folder, a ``datapackage.json``, a zip, a ``file:`` or http(s) URL of one
    of them, or a dataset folder of a catalog. Private and loopback addresses (a ``ciudades serve``
    preview, an intranet portal) are refused unless ``allow_private=True``.

    Dates are ``datetime64``, integers ``Int64``, numbers ``Float64``, booleans ``boolean``, codelist
    fields categoricals, text ``string``; missing values are ``NA``. Every file is checked against its
    declared ``bytes`` and ``hash`` first: a mismatch raises :class:`~toolkit.errors.ToolkitError`.
    """
    text = str(source)
    if not _is_url(text):
        path = _as_path(source)
        if (
            path.is_dir()
            and not (path / DESCRIPTOR).is_file()
            and any((path / n).is_file() for n in ("datapackage.yaml", "datapackage.yml"))
        ):
            return _source_dataset(path)
    descriptor, read, where, _ = _open_source(source, timeout, max_bytes, allow_private)
    tables = {}
    for res in descriptor["resources"]:
        rel = _safe_member(str(res.get("path", "")), where)
        data = read(rel)
        _verify(data, res, rel)
        schema = res.get("schema")
        if not isinstance(schema, dict):
            raise ToolkitError(
                f"El recurso «{res.get('name')}» de «{where}» no trae su esquema en línea.",
                f"The resource '{res.get('name')}' of '{where}' has no inline schema.",
            )
        tables[str(res.get("name"))] = frame(data, schema, rel)
    return tables


def download(
    source: str | Path,
    out: str | Path = ".",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_private: bool = False,
) -> Path:
    """Fetch a package (zip or ``datapackage.json``), verify every file, and keep it in ``out``.

    ``source`` is an http(s) URL, a local zip, ``datapackage.json`` or package folder, or a ``file:``
    URL of one. A zip is saved as it is; a ``datapackage.json`` is saved with its files in a folder
    named after the package. Nothing is kept unless every declared size and hash matches. Private and
    loopback addresses are refused unless ``allow_private=True``.
    """
    text = str(source)
    target_dir = Path(out)
    target_dir.mkdir(parents=True, exist_ok=True)
    origin: Path | None = None
    if _is_url(text):
        data = fetch(text, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private)
        name = posixpath.basename(urllib.parse.urlsplit(text).path) or DESCRIPTOR
        where = text

        def read_url(rel: str) -> bytes:
            url = _member_url(text, rel)
            return fetch(url, timeout=timeout, max_bytes=max_bytes, allow_private=allow_private)

        read_member: Reader = read_url
    else:
        origin = _local_descriptor(source)
        data = _local_bytes(origin, max_bytes)
        name, where = origin.name, display_path(origin)
        read_member = _local_reader(origin.parent, max_bytes)
    if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04":
        descriptor, read, where, files = _from_zip(data, where)
        _check_all(descriptor, read, where, files)
        final = target_dir / _plain_name(
            name if name.lower().endswith(".zip") else f"{descriptor['name']}.zip"
        )
        tmp = final.with_name(f".{final.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, final)
        return final
    descriptor = _parse_descriptor(data, where)
    _one_file_per_path(descriptor, where)
    fetched = {DESCRIPTOR: data}

    def read_once(rel: str) -> bytes:
        if rel not in fetched:
            fetched[rel] = read_member(rel)
        return fetched[rel]

    _check_all(descriptor, read_once, where, None)
    final = target_dir / _plain_name(str(descriptor.get("name") or "package"))
    if origin is not None and final.resolve() == origin.parent.resolve():
        raise UsageError(
            f"«{display_path(origin.parent)}» es el mismo paquete que se descarga: guardarlo en "
            f"«{display_path(target_dir)}» lo reemplazaría. Elige otra carpeta con --out.",
            f"'{display_path(origin.parent)}' is the very package being downloaded: saving it in "
            f"'{display_path(target_dir)}' would replace it. Choose another folder with --out.",
        )
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=target_dir))
    try:
        for rel, content in fetched.items():
            (tmp / rel).write_bytes(content)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _file_key(rel: str) -> str:
    """The file ``rel`` becomes on disk: Windows and macOS ignore case and compose accents, and
    Windows drops trailing dots and spaces."""
    return unicodedata.normalize("NFC", rel).casefold().rstrip(" .")


def _one_file_per_path(descriptor: dict[str, Any], where: str) -> None:
    """A package saved as a folder holds one file per path: refuse a descriptor whose files would
    overwrite each other, or overwrite the ``datapackage.json`` saved beside them."""
    seen = {_file_key(DESCRIPTOR): DESCRIPTOR}
    for item in [*descriptor["resources"], *(descriptor.get("downloads") or [])]:
        if not isinstance(item, dict):
            continue
        rel = str(item.get("path", ""))
        key = _file_key(rel)
        if key not in seen:
            seen[key] = rel
            continue
        other = seen[key]
        if other == DESCRIPTOR:
            es = f"la ruta «{shown(rel)}» es la del propio datapackage.json"
            en = f"the path '{shown(rel)}' is that of the datapackage.json itself"
        elif other == rel:
            es = f"la ruta «{shown(rel)}» aparece más de una vez"
            en = f"the path '{shown(rel)}' appears more than once"
        else:
            es = (
                f"las rutas «{shown(other)}» y «{shown(rel)}» son el mismo archivo en un disco que no "
                "distingue mayúsculas (Windows, macOS)"
            )
            en = (
                f"the paths '{shown(other)}' and '{shown(rel)}' are one file on a case-insensitive disk "
                "(Windows, macOS)"
            )
        raise ToolkitError(
            f"{shown(where)}: {es}, así que al guardar el paquete un archivo sobrescribiría a otro; no se "
            "guardó nada. Cada archivo de un paquete necesita un nombre propio.",
            f"{shown(where)}: {en}, so saving the package would overwrite one file with another; nothing "
            "was saved. Each file of a package needs a name of its own.",
        )


def _plain_name(name: str) -> str:
    """The package's name as a folder name: one plain path part, printable (it is shown and saved)."""
    base = posixpath.basename(name.replace("\\", "/"))
    if base in ("", ".", ".."):
        raise ToolkitError(f"Nombre de paquete no válido: «{name}».", f"Invalid package name: '{name}'.")
    if shown(base) != base or not base.isprintable():
        raise ToolkitError(
            f"Nombre de paquete no válido: «{shown(name)}». Se usa como nombre de carpeta, así que no "
            "puede llevar caracteres de control.",
            f"Invalid package name: '{shown(name)}'. It becomes a folder name, so it cannot hold "
            "control characters.",
        )
    return base


def _check_all(descriptor: dict[str, Any], read: Reader, where: str, files: dict[str, bytes] | None) -> None:
    """Verify every resource and every derived download the descriptor lists, and SHA256SUMS."""
    for item in [*descriptor["resources"], *(descriptor.get("downloads") or [])]:
        rel = _safe_member(str(item.get("path", "")), where)
        if posixpath.dirname(rel):
            raise ToolkitError(
                f"{where}: «{shown(rel)}» no está junto a datapackage.json.",
                f"{where}: '{shown(rel)}' is not beside datapackage.json.",
            )
        _verify(read(rel), item, rel)
    if files is not None and "SHA256SUMS" in files:
        for line in files["SHA256SUMS"].decode("utf-8").splitlines():
            digest, _, rel = line.partition("  ")
            if rel not in files or hashlib.sha256(files[rel]).hexdigest() != digest:
                raise ToolkitError(
                    f"«{rel}» no coincide con SHA256SUMS en «{where}»; descarga el paquete de nuevo.",
                    f"'{rel}' does not match SHA256SUMS in '{where}'; download the package again.",
                )
