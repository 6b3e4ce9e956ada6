"""Fetch the http(s) files a descriptor names, for ``--allow-remote``, without reaching inside the network.

A descriptor or schema from a pull request is untrusted, so a URL in it could aim the tool at a
cloud metadata service, a router or a database on the build machine's network. Every host is
resolved here, every address it resolves to is checked, and the connection goes to the checked
address itself (the name is kept for the ``Host`` header and for TLS), so a DNS answer that changes
between the check and the connection cannot reach an internal host. Redirects are followed by hand,
a few at most, each hop checked the same way. Downloads stop at a size limit and a total time limit.
"""

from __future__ import annotations

import hashlib
import ipaddress
import posixpath
import re
import shutil
import socket
import tempfile
import time
import urllib.parse
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit.catalog.structured import MAX_DESCRIPTOR_BYTES
from toolkit.errors import ToolkitError

__all__ = [
    "CONNECT_TIMEOUT",
    "MAX_REDIRECTS",
    "TOTAL_TIMEOUT",
    "Fetched",
    "RemoteError",
    "RemoteFiles",
    "fetch",
    "is_remote",
    "origin_of",
    "private_url",
    "probe",
]

# The same limits as ``ciudades download`` / ``toolkit.load`` (see SECURITY.md).
CONNECT_TIMEOUT = 10.0
TOTAL_TIMEOUT = 30.0
MAX_DATA_BYTES = 200 * 1024 * 1024
MAX_SCHEMA_BYTES = MAX_DESCRIPTOR_BYTES  # a schema cannot be read beyond this anyway
MAX_REDIRECTS = 3
SCHEMES = ("http", "https")
_CHUNK = 64 * 1024

# Networks that are reachable although not public, whatever the caller asks. Empty for every user
# (nothing a user sets, variable or file, fills it); the tests put 127.0.0.1 here to reach the server
# they start. A user opens private and loopback addresses for one download with ``allow_private``
# (``--allow-private``), which a catalog's ``--allow-remote`` never passes.
ALLOWED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class RemoteError(ToolkitError):
    """A remote file could not be fetched or was refused; says which URL, why and how to fix it."""

    def __init__(self, url: str, reason_es: str, reason_en: str) -> None:
        super().__init__(
            f"No se descargó «{url}»: {reason_es}.",
            f"'{url}' was not downloaded: {reason_en}.",
        )
        self.url = url
        self.reason_es = reason_es
        self.reason_en = reason_en


def is_remote(ref: str) -> bool:
    """Whether ``ref`` is an http(s) URL (the only remote references ``--allow-remote`` admits)."""
    parts = urllib.parse.urlsplit(ref)
    return parts.scheme.lower() in SCHEMES and bool(parts.netloc)


# ── addresses ────────────────────────────────────────────────────────────────────────────────────


def _embedded(ip: Address) -> list[Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64), which a packet
    may end up at."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    found: list[Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in ipaddress.IPv6Network("64:ff9b::/96"):
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


# What ``allow_private`` opens: the addresses of a machine or of a network the user runs (a
# ``ciudades serve`` preview, an intranet portal). Link-local (cloud metadata services), multicast,
# reserved and unspecified addresses stay refused whatever the caller says.
_OPENABLE = ("is_loopback", "is_private")


def address_refusal(ip: Address, *, allow_private: bool = False) -> tuple[str, str] | None:
    """Why the tool will not connect to ``ip``, in (es, en), or None for a public address (or, with
    ``allow_private``, a private or loopback one)."""
    refusal = _refusal(ip, allow_private)
    return refusal[:2] if refusal else None


def _refusal(ip: Address, allow_private: bool) -> tuple[str, str, bool] | None:
    """(es, en, whether ``allow_private`` would open it), or None."""
    if any(ip in net for net in ALLOWED_NETWORKS):
        return None
    checks = (
        ("is_unspecified", "no especificada", "unspecified"),
        ("is_loopback", "de bucle local (loopback)", "loopback"),
        ("is_link_local", "de enlace local", "link-local"),
        ("is_multicast", "de multidifusión", "multicast"),
        ("is_reserved", "reservada", "reserved"),
        ("is_private", "privada", "private"),
    )
    for candidate in [*_embedded(ip), ip]:
        for attribute, es, en in checks:
            if getattr(candidate, attribute):
                if allow_private and attribute in _OPENABLE:
                    break
                return (f"dirección {es} {candidate}", f"{en} address {candidate}", attribute in _OPENABLE)
        else:
            if not candidate.is_global:  # shared (100.64/10), documentation and other special ranges
                return (f"dirección no pública {candidate}", f"non-public address {candidate}", False)
    return None


def private_url(url: str) -> bool:
    """Whether an http(s) URL names, by its very text, a host only ``allow_private`` opens:
    ``localhost`` or a private or loopback IP address (a name is not resolved here)."""
    try:
        host = (urllib.parse.urlsplit(url).hostname or "").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    refusal = _refusal(ip, False)
    return bool(refusal and refusal[2])


def _resolve(url: str, host: str, port: int) -> list[Address]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as ex:
        raise RemoteError(
            url,
            f"no se encontró el servidor «{host}» ({ex})",
            f"the server '{host}' was not found ({ex})",
        ) from None
    addresses: list[Address] = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone index
        ip = ipaddress.ip_address(text)
        if ip not in addresses:
            addresses.append(ip)
    return addresses


# What a refusal suggests. A catalog (``--allow-remote``) names files a pull request may have
# written, so it never opens private addresses; ``ciudades download`` and ``toolkit.load`` fetch
# what their user asked for, who may open them with ``--allow-private`` / ``allow_private=True``.
CATALOG_HINT = (
    "Publica el archivo en un servidor público o cópialo dentro del catálogo",
    "Publish the file on a public server or copy it into the catalog",
)
DOWNLOAD_HINT = (
    "Si confías en ese servidor (tu vista previa de «ciudades serve», un portal de tu red interna), "
    "permítelo con --allow-private (allow_private=True en Python)",
    "If you trust that server (your own 'ciudades serve' preview, a portal on your internal network), "
    "allow it with --allow-private (allow_private=True in Python)",
)


def _checked_address(
    url: str, host: str, port: int, *, allow_private: bool = False, hint: tuple[str, str] | None = None
) -> Address:
    """The address to connect to, after checking every address ``host`` resolves to."""
    addresses = _resolve(url, host, port)
    if not addresses:
        raise RemoteError(url, f"«{host}» no tiene direcciones", f"'{host}' has no addresses")
    for ip in addresses:
        refusal = _refusal(ip, allow_private)
        if refusal:
            es, en, openable = refusal
            if hint is None:
                hint_es, hint_en = CATALOG_HINT
                only_es = "la herramienta solo descarga de direcciones públicas de Internet"
                only_en = "the tool only downloads from public Internet addresses"
            elif openable:
                hint_es, hint_en = hint
                only_es = "la herramienta solo descarga de direcciones privadas o locales si se le permite"
                only_en = "the tool downloads from private and loopback addresses only when allowed"
            else:
                hint_es = "Usa la dirección de un servidor público o de uno de tu propia red"
                hint_en = "Use the address of a public server or of one on your own network"
                only_es = (
                    "la herramienta nunca descarga de ese tipo de dirección, ni siquiera con --allow-private"
                )
                only_en = "the tool never downloads from that kind of address, not even with --allow-private"
            raise RemoteError(
                url,
                f"«{host}» lleva a una {es}; {only_es}. {hint_es}",
                f"'{host}' leads to a {en}; {only_en}. {hint_en}",
            )
    return addresses[0]


# ── fetching ─────────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str
    port: int
    request_path: str


def _target(url: str) -> _Target:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES or not parts.hostname:
        raise RemoteError(
            url,
            "solo se admiten direcciones http:// o https:// con un servidor",
            "only http:// or https:// addresses with a server are accepted",
        )
    if parts.username is not None or parts.password is not None:
        raise RemoteError(
            url,
            "la dirección lleva usuario o contraseña; quítalos (los archivos deben ser públicos)",
            "the address carries a user name or password; remove them (files must be public)",
        )
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise RemoteError(url, "el puerto no es válido", "the port is not valid") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(url, scheme, parts.hostname, port, path)


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: _Target, ip: Address, connect: float, read: float) -> Any:
    import urllib3

    timeout = urllib3.Timeout(connect=connect, read=read)
    common: dict[str, Any] = {"maxsize": 1, "timeout": timeout, "retries": False}
    if target.scheme == "http":
        return urllib3.HTTPConnectionPool(str(ip), target.port, **common)
    import certifi

    # The socket goes to the checked address; the certificate must still match the name.
    return urllib3.HTTPSConnectionPool(
        str(ip),
        target.port,
        server_hostname=target.host,
        assert_hostname=target.host,
        cert_reqs="CERT_REQUIRED",
        ca_certs=certifi.where(),
        **common,
    )


def _too_big(url: str, max_bytes: int) -> RemoteError:
    return RemoteError(
        url,
        f"supera el límite de {max_bytes:,} bytes".replace(",", " "),
        f"it exceeds the limit of {max_bytes:,} bytes",
    )


def fetch(
    url: str,
    destination: Path,
    *,
    max_bytes: int = MAX_DATA_BYTES,
    connect_timeout: float = CONNECT_TIMEOUT,
    total_timeout: float | None = None,
    allow_private: bool = False,
    hint: tuple[str, str] | None = None,
) -> str:
    """Download ``url`` into ``destination`` (written whole or not at all); return its sha256.

    ``allow_private`` also admits private and loopback addresses (never link-local, multicast or
    reserved ones), for the first request and every redirect alike. ``hint`` is what a refusal
    suggests instead (``DOWNLOAD_HINT`` for downloads a user asked for; the catalog's by default).

    Raises :class:`RemoteError` for a refused address or scheme, an HTTP error, a redirect loop, a
    file over ``max_bytes`` or a download over ``total_timeout`` seconds (default ``TOTAL_TIMEOUT``).
    """

    total = TOTAL_TIMEOUT if total_timeout is None else total_timeout
    deadline = time.monotonic() + total
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        target = _target(current)
        try:
            ip = _checked_address(url, target.host, target.port, allow_private=allow_private, hint=hint)
        except RemoteError as ex:
            if current == url:
                raise
            raise RemoteError(
                url,
                f"redirige a «{current}» y {ex.reason_es}",
                f"it redirects to '{current}' and {ex.reason_en}",
            ) from None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(url, total)
        pool = _pool(target, ip, min(connect_timeout, remaining), remaining)
        response = _open(pool, "GET", target, url, total, "ciudades-al-mundo")
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise RemoteError(url, "una redirección sin destino", "a redirect without a destination")
                following = urllib.parse.urljoin(current, location)
                if target.scheme == "https" and urllib.parse.urlsplit(following).scheme.lower() != "https":
                    raise RemoteError(
                        url,
                        f"redirige de https a «{following}», sin cifrar",
                        f"it redirects from https to '{following}', unencrypted",
                    )
                if not is_remote(following):
                    raise RemoteError(
                        url,
                        f"redirige a «{following}», que no es http(s)",
                        f"it redirects to '{following}', which is not http(s)",
                    )
                current = following
                continue
            if response.status != 200:
                raise RemoteError(
                    url,
                    f"el servidor respondió {response.status} {response.reason or ''}".rstrip()
                    + "; revisa que la dirección sea correcta y pública",
                    f"the server answered {response.status} {response.reason or ''}".rstrip()
                    + "; check that the address is right and public",
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(url, max_bytes)
            return _stream(response, destination, url, max_bytes, deadline, total)
        finally:
            response.close()  # an unread body is dropped with its connection, never reused
            pool.close()
    raise RemoteError(
        url,
        f"más de {MAX_REDIRECTS} redirecciones",
        f"more than {MAX_REDIRECTS} redirects",
    )


def _open(pool: Any, method: str, target: Any, url: str, timeout: float, agent: str) -> Any:
    """One request on the pinned ``pool``, redirects not followed, the body left unread; a timeout or a
    connection failure becomes a :class:`RemoteError` about ``url``."""
    import urllib3

    try:
        return pool.urlopen(
            method,
            target.request_path,
            headers={
                "Host": _host_header(target),
                "User-Agent": agent,
                "Accept-Encoding": "identity",  # the size limit counts the bytes that arrive
            },
            redirect=False,
            retries=False,
            preload_content=False,
            assert_same_host=False,
        )
    except urllib3.exceptions.TimeoutError:
        pool.close()
        raise _timed_out(url, timeout) from None
    except urllib3.exceptions.HTTPError as ex:
        pool.close()
        reason = getattr(ex, "reason", None) or ex
        raise RemoteError(
            url,
            f"no se pudo conectar con «{target.host}» ({reason}); revisa la dirección",
            f"could not connect to '{target.host}' ({reason}); check the address",
        ) from None


@dataclass(frozen=True)
class Probe:
    """What one request answered: the status, where a redirect points (absolute), and how many bytes
    of the body were read (never more than the cap)."""

    status: int
    reason: str
    location: str | None
    read: int


def probe(url: str, method: str, *, timeout: float, max_bytes: int = 4096) -> Probe:
    """One HEAD or GET request to ``url``, redirects not followed, under the same protections as
    :func:`fetch`: a public address only (checked, then connected to), no user or password, at most
    ``timeout`` seconds, and at most ``max_bytes`` of the body read before the connection is dropped.

    Raises :class:`RemoteError` for a refused address, a connection or TLS failure, or a timeout.
    """
    import urllib3

    target = _target(url)
    ip = _checked_address(url, target.host, target.port)
    deadline = time.monotonic() + timeout
    pool = _pool(target, ip, min(CONNECT_TIMEOUT, timeout), timeout)
    response = _open(pool, method, target, url, timeout, "ciudades-al-mundo (link check)")
    try:
        location = response.headers.get("Location")
        read = 0
        if method != "HEAD" and response.status < 300:
            remaining = deadline - time.monotonic()
            sock = getattr(getattr(response, "connection", None), "sock", None)
            if sock is not None and remaining > 0:
                sock.settimeout(remaining)
            try:  # a few bytes prove the body comes; the rest is never read
                read = len(response.read(max_bytes, decode_content=False) or b"")
            except (urllib3.exceptions.HTTPError, OSError):
                read = 0
        return Probe(
            response.status,
            response.reason or "",
            urllib.parse.urljoin(url, location) if location else None,
            read,
        )
    finally:
        response.close()  # the unread body goes with its connection
        pool.close()


def _timed_out(url: str, total: float) -> RemoteError:
    return RemoteError(
        url,
        f"no terminó en {total:g} s; revisa la dirección o que el servidor responda",
        f"it did not finish within {total:g} s; check the address and that the server answers",
    )


def _stream(response: Any, destination: Path, url: str, max_bytes: int, deadline: float, total: float) -> str:
    import urllib3

    digest = hashlib.sha256()
    size = 0
    partial = destination.with_name(destination.name + ".part")
    try:
        with partial.open("wb") as out:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise _timed_out(url, total)
                sock = getattr(getattr(response, "connection", None), "sock", None)
                if sock is not None:  # no single read may outlast the whole download's time
                    sock.settimeout(remaining)
                try:
                    chunk = response.read(_CHUNK, decode_content=False)  # bytes as sent: no bombs
                except (urllib3.exceptions.TimeoutError, TimeoutError):
                    raise _timed_out(url, total) from None
                except (urllib3.exceptions.HTTPError, OSError) as ex:
                    raise RemoteError(
                        url,
                        f"la conexión se cortó ({type(ex).__name__})",
                        f"the connection broke ({type(ex).__name__})",
                    ) from None
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _too_big(url, max_bytes)
                digest.update(chunk)
                out.write(chunk)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)
    return digest.hexdigest()


# ── the files of one catalog ─────────────────────────────────────────────────────────────────────

# Where each fetched copy came from, so messages name the URL and not a temporary path.
_ORIGINS: dict[str, str] = {}


def origin_of(path: Path) -> str | None:
    """The URL a fetched copy came from, or None for any other path."""
    return _ORIGINS.get(str(path)) if _ORIGINS else None


@dataclass(frozen=True)
class Fetched:
    url: str
    path: Path
    sha256: str


def _file_name(url: str, default_suffix: str) -> str:
    base = posixpath.basename(urllib.parse.urlsplit(url).path)
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "remote"
    if "." not in base:
        base += default_suffix
    return base[-100:]


def _cleanup(folder: str, paths: list[str]) -> None:
    for p in paths:
        _ORIGINS.pop(p, None)
    shutil.rmtree(folder, ignore_errors=True)


@dataclass
class RemoteFiles:
    """The remote files of one catalog load: each URL fetched once into a private temporary folder,
    which is removed when this object goes away (or when the program ends)."""

    max_bytes: int = MAX_DATA_BYTES
    fetched: dict[str, Fetched | RemoteError] = field(default_factory=dict)
    _folder: Path | None = None
    _paths: list[str] = field(default_factory=list)

    def _root(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="ciudades-remote-")).resolve()
            weakref.finalize(self, _cleanup, str(self._folder), self._paths)
        return self._folder

    def get(self, url: str, *, default_suffix: str = ".csv", max_bytes: int | None = None) -> Fetched:
        """The fetched copy of ``url``; raises :class:`RemoteError` (the same one on every call)."""
        known = self.fetched.get(url)
        if isinstance(known, RemoteError):
            raise known
        if known is not None:
            return known
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
        folder = self._root() / key
        folder.mkdir(exist_ok=True)
        path = folder / _file_name(url, default_suffix)
        try:
            digest = fetch(url, path, max_bytes=self.max_bytes if max_bytes is None else max_bytes)
        except RemoteError as ex:
            self.fetched[url] = ex
            raise
        self._paths.append(str(path))
        _ORIGINS[str(path)] = url
        result = Fetched(url, path, digest)
        self.fetched[url] = result
        return result
