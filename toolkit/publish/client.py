"""A thin client for CKAN's action API: reads retried, writes attempted once, errors in es/en.

Reads (``package_show``…) are retried with backoff on timeouts, connection errors and 5xx answers.
Writes are attempted once: a write whose answer was lost may still have happened, so whoever
retries it must first read the portal again (see :mod:`toolkit.publish.ckan`). The API token lives
in a :class:`Secret` that never shows in a repr, a message or a log line.
"""

from __future__ import annotations

import errno
import hashlib
import json
import re
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

from toolkit.errors import ToolkitError, UsageError

RETRY_STATUS = {429, 500, 502, 503, 504}
# Seconds to wait for a TCP (and TLS) connection: a portal that does not accept one in that time
# is down or filtered, however long --timeout lets an answer take.
CONNECT_TIMEOUT = 10.0
# The shortest credential any CKAN accepts: the legacy API key of CKAN 2.9 and earlier, a UUID of
# 36 characters. An API token (CKAN 2.9+, the only kind in 2.10) is a JWT (``ckan.lib.api_token``):
# three base64url parts joined by dots, whose HS256 signature alone is 43 characters, so well over
# 100 in all. Anything shorter is not a token (a placeholder, a cut paste), and a very short one
# would make masking it hide letters inside unrelated words.
MIN_TOKEN_LENGTH = 36
_TOKEN_CHAR = "A-Za-z0-9_\\-"


class Secret:
    """A string that prints as ``***``: the API token, kept out of reprs, messages and logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with every whole occurrence of the secret replaced by ``***``.

        Whole: not inside a longer run of token characters (letters, digits, ``-``, ``_``), so a
        short secret never masks letters inside unrelated words or identifiers."""
        if not self._value:
            return text
        pattern = f"(?<![{_TOKEN_CHAR}]){re.escape(self._value)}(?![{_TOKEN_CHAR}])"
        return re.sub(pattern, "***", text)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


def check_token(secret: Secret) -> None:
    """Refuse a token that cannot be a CKAN API token: too short, or with spaces inside.

    Raises :class:`UsageError` (exit code 2); an empty secret (no token) is left to the caller."""
    value = secret.reveal()
    if not value:
        return
    if any(c.isspace() or not c.isprintable() for c in value):
        raise UsageError(
            "El token de la API tiene espacios o saltos de línea dentro: copia solo el token, tal como "
            "lo muestra CKAN (en tu perfil, «Tokens de la API»), sin «Bearer» ni comillas.",
            "The API token has spaces or line breaks inside: copy only the token, as CKAN shows it "
            "(in your profile, 'API Tokens'), without 'Bearer' or quotes.",
        )
    if len(value) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"El token de la API tiene {len(value)} caracteres y no puede ser un token de CKAN: uno de "
            "CKAN 2.9 o posterior es un JWT (tres partes separadas por puntos, más de 100 caracteres) y "
            f"una clave antigua (CKAN 2.9 o anterior) tiene {MIN_TOKEN_LENGTH}. Crea un token en tu "
            "perfil del portal («Tokens de la API») y pásalo en CKAN_API_TOKEN o con --api-token-file.",
            f"The API token has {len(value)} characters and cannot be a CKAN token: one from CKAN 2.9 or "
            "later is a JWT (three parts joined by dots, over 100 characters) and a legacy API key "
            f"(CKAN 2.9 or earlier) has {MIN_TOKEN_LENGTH}. Create a token in your profile on the portal "
            "('API Tokens') and pass it in CKAN_API_TOKEN or with --api-token-file.",
        )


class PortalError(ToolkitError):
    """The portal failed or refused a request (exit code 3)."""

    transient = False

    def __init__(self, message_es: str, message_en: str, status: int | None = None) -> None:
        super().__init__(message_es, message_en)
        self.status = status


class PortalUnavailable(PortalError):
    """A timeout, a connection failure or a 5xx answer that may pass if tried again later."""

    transient = True


class TokenRejected(PortalError):
    """The portal refused the API token (401/403)."""


class NotFound(PortalError):
    """The portal answered 404 for something that should exist."""


@dataclass
class Counter:
    """How many requests went to the portal, by kind: a run with nothing to do has no writes."""

    reads: int = 0
    writes: int = 0
    downloads: int = 0
    log: list[str] = field(default_factory=list)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """CKAN's ``Validation Error`` dict as one line: ``field: message; field: message``."""
    parts = []
    for key, value in error.items():
        if key == "__type":
            continue
        if key == "validation" and isinstance(value, list):  # ckanext-validation's report
            notes = []
            for report in value:
                for task in report.get("tasks", []) if isinstance(report, dict) else []:
                    for err in task.get("errors", [])[:3]:
                        notes.append(str(err.get("message", err.get("type", ""))))
            parts.append("validation: " + ("; ".join(notes) or "the file did not pass validation"))
            continue
        if isinstance(value, list):
            value = "; ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return _short(" · ".join(parts))


class CkanClient:
    """Calls ``/api/3/action/<action>`` on one portal; counts every request it makes."""

    def __init__(
        self,
        url: str,
        token: Secret | None,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 1.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = normalize_url(url)
        self.token = token or Secret("")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.session = session or requests.Session()
        from toolkit import __version__  # here, not at the top: toolkit/__init__ imports this module

        self.session.headers["User-Agent"] = f"ciudades/{__version__}"
        self.counter = Counter()
        # Origins that may receive the token: the portal's, and its site_url once known.
        self.trusted_origins = {_origin(self.url)}
        # Until the portal has answered once, a failed connection means a wrong address or a portal
        # that is down: retrying it only makes the user wait. After that, it is a passing failure.
        self.answered = False

    # ── errors ───────────────────────────────────────────────────────────────────────────────────

    def _scrub(self, text: str) -> str:
        return self.token.scrub(text)

    def _unavailable(
        self, what: str, detail: str, attempts: int, status: int | None = None
    ) -> PortalUnavailable:
        detail = self._scrub(_short(detail))
        tries_es = "tras 1 intento" if attempts == 1 else f"tras {attempts} intentos"
        tries_en = "after 1 attempt" if attempts == 1 else f"after {attempts} attempts"
        return PortalUnavailable(
            f"El portal {self.url} no respondió bien a {what} ({detail}) {tries_es}.",
            f"The portal {self.url} did not answer {what} properly ({detail}) {tries_en}.",
            status,
        )

    def _error_from_answer(self, action: str, resp: requests.Response) -> PortalError:
        status = resp.status_code
        try:
            body = resp.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        kind = error.get("__type", "") if isinstance(error, dict) else ""
        message = self._scrub(_short(str(error.get("message", "")) if isinstance(error, dict) else ""))
        if status == 401 or (status == 403 and kind == "Authorization Error" and not message):
            return TokenRejected(
                f"El portal rechazó el token de la API ({status} en {action}): revisa CKAN_API_TOKEN "
                "o el archivo de --api-token-file, y que el token no esté vencido ni revocado.",
                f"The portal rejected the API token ({status} on {action}): check CKAN_API_TOKEN or "
                "the --api-token-file file, and that the token has not expired or been revoked.",
                status,
            )
        if status == 403:
            return PortalError(
                f"El portal no autorizó {action} ({status}: {message or kind}): el usuario del token no "
                "tiene permiso; pide a quien administra la organización que te dé el rol de editor.",
                f"The portal did not authorise {action} ({status}: {message or kind}): the token's user "
                "lacks permission; ask the organisation's admin for the editor role.",
                status,
            )
        if status == 413:
            return PortalError(
                f"El portal rechazó el archivo por tamaño (413 en {action}): sube el límite del portal "
                "(ckan.max_resource_size o el del servidor web) o publica un archivo más chico.",
                f"The portal refused the file as too large (413 on {action}): raise the portal's limit "
                "(ckan.max_resource_size or the web server's) or publish a smaller file.",
                status,
            )
        if status == 409 and isinstance(error, dict):
            detail = self._scrub(describe_validation_error(error))
            if "too large" in detail.lower():
                return PortalError(
                    f"El portal rechazó el archivo por tamaño (409 en {action}: {detail}): sube "
                    "ckan.max_resource_size o publica un archivo más chico.",
                    f"The portal refused the file as too large (409 on {action}: {detail}): raise "
                    "ckan.max_resource_size or publish a smaller file.",
                    status,
                )
            return PortalError(
                f"El portal rechazó {action} por un conflicto (409): {detail}",
                f"The portal refused {action} with a conflict (409): {detail}",
                status,
            )
        if status == 404:
            if kind:
                return NotFound(
                    f"El portal no encontró lo que pide {action} (404: {message or kind}).",
                    f"The portal did not find what {action} asks for (404: {message or kind}).",
                    status,
                )
            return self._not_ckan(f"404 en {action}", f"404 on {action}")
        if body is None:
            return self._not_ckan(f"{status} sin JSON", f"{status} without JSON")
        return PortalError(
            f"El portal respondió {status} a {action}: {message or kind or 'sin detalle'}.",
            f"The portal answered {status} to {action}: {message or kind or 'no detail'}.",
            status,
        )

    def _not_ckan(self, detail_es: str, detail_en: str) -> PortalError:
        return PortalError(
            f"{self.url} no parece un portal CKAN ({detail_es}): usa la dirección base del portal, "
            "p. ej. https://datos.cdmx.gob.mx, sin /dataset ni /api.",
            f"{self.url} does not look like a CKAN portal ({detail_en}): use the portal's base address, "
            "e.g. https://datos.cdmx.gob.mx, without /dataset or /api.",
        )

    # ── requests ─────────────────────────────────────────────────────────────────────────────────

    def _headers(self, url: str) -> dict[str, str]:
        if self.token and _origin(url) in self.trusted_origins:
            return {"Authorization": self.token.reveal()}
        return {}

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        timeout = (min(self.timeout, CONNECT_TIMEOUT), self.timeout)
        resp = self.session.request(method, url, headers=self._headers(url), timeout=timeout, **kwargs)
        self.answered = True
        return resp

    def _attempts(self, write: bool) -> int:
        return 1 if write else self.retries + 1

    def action(
        self,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        data: Mapping[str, Any] | None = None,
        upload: Path | None = None,
        upload_type: str = "application/octet-stream",
    ) -> Any:
        """Call ``action``: a GET with ``params`` (retried), or a POST with ``data`` (once).

        With ``upload``, the POST is multipart and the file goes in CKAN's ``upload`` field.
        Returns the action's ``result``; raises :class:`PortalError` subclasses.
        """
        url = f"{self.url}/api/3/action/{action}"
        write = data is not None
        last: PortalError | None = None
        attempts = self._attempts(write)
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                if write:
                    self.counter.writes += 1
                    self.counter.log.append(f"POST {action}")
                    assert data is not None
                    if upload is not None:
                        fields = {k: _form_value(v) for k, v in data.items()}
                        with upload.open("rb") as fh:
                            files: dict[str, tuple[str, IO[bytes], str]] = {
                                "upload": (upload.name, fh, upload_type)
                            }
                            resp = self._send("POST", url, data=fields, files=files)
                    else:
                        resp = self._send("POST", url, json=dict(data))
                else:
                    self.counter.reads += 1
                    self.counter.log.append(f"GET {action}")
                    resp = self._send("GET", url, params=dict(params or {}))
            except requests.ConnectionError as ex:  # ConnectTimeout included: no connection made
                if not self.answered:
                    raise self._unreachable(ex, attempt + 1) from None
                last = self._unreachable(ex, attempts)
                continue
            except requests.Timeout as ex:
                last = self._unavailable(action, f"timeout: {type(ex).__name__}", attempts)
                continue
            if resp.status_code in RETRY_STATUS:
                last = self._unavailable(action, f"HTTP {resp.status_code}", attempts, resp.status_code)
                continue
            return self._result(action, resp)
        assert last is not None
        raise last

    def _unreachable(self, ex: Exception, attempts: int) -> PortalUnavailable:
        """One line in the user's words: why the connection failed, never the library's text."""
        why_es, why_en = _why_unreachable(ex, urllib.parse.urlsplit(self.url).hostname or "", self.timeout)
        tries_es = "tras 1 intento" if attempts == 1 else f"tras {attempts} intentos"
        tries_en = "after 1 attempt" if attempts == 1 else f"after {attempts} attempts"
        return PortalUnavailable(
            f"No se pudo conectar con el portal {self.url} {tries_es} ({why_es}): "
            "revisa la dirección, tu conexión y que el portal esté en línea.",
            f"Could not connect to the portal {self.url} {tries_en} ({why_en}): "
            "check the address, your connection and that the portal is up.",
        )

    def _result(self, action: str, resp: requests.Response) -> Any:
        if resp.status_code != 200:
            raise self._error_from_answer(action, resp)
        try:
            body = resp.json()
        except ValueError:
            raise self._not_ckan("la respuesta no es JSON", "the answer is not JSON") from None
        if not isinstance(body, dict) or "success" not in body:
            raise self._not_ckan("la respuesta no es de la API de acciones", "not an action API answer")
        if not body["success"]:
            raise self._error_from_answer(action, resp)
        return body.get("result")

    def download_sha256(self, url: str) -> tuple[str, int]:
        """Download ``url`` (streamed; retried) and return its sha256 and size in bytes."""
        last: PortalError | None = None
        attempts = self.retries + 1
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            self.counter.downloads += 1
            self.counter.log.append("GET download")
            digest, size = hashlib.sha256(), 0
            try:
                with self._send("GET", url, stream=True) as resp:
                    if resp.status_code in RETRY_STATUS:
                        last = self._unavailable(url, f"HTTP {resp.status_code}", attempts, resp.status_code)
                        continue
                    if resp.status_code != 200:
                        raise PortalError(
                            f"No se pudo descargar {url} del portal ({resp.status_code}).",
                            f"Could not download {url} from the portal ({resp.status_code}).",
                            resp.status_code,
                        )
                    for chunk in resp.iter_content(1 << 16):
                        digest.update(chunk)
                        size += len(chunk)
            except requests.ConnectionError as ex:
                last = self._unreachable(ex, attempts)
                continue
            except requests.Timeout as ex:
                last = self._unavailable(url, f"timeout: {type(ex).__name__}", attempts)
                continue
            return digest.hexdigest(), size
        assert last is not None
        raise last

    # ── what every publish starts with ───────────────────────────────────────────────────────────

    def check_portal(self) -> dict[str, Any]:
        """``status_show``: proves the URL is a CKAN portal; learns its site_url and version."""
        status = self.action("status_show")
        if not isinstance(status, dict) or "ckan_version" not in status:
            raise self._not_ckan("status_show sin ckan_version", "status_show without ckan_version")
        site = status.get("site_url")
        if isinstance(site, str) and site.startswith(("http://", "https://")):
            self.trusted_origins.add(_origin(site))
        return status


def normalize_url(url: str) -> str:
    """The portal's base address: no trailing slash, no ``/api/3/action`` suffix.

    Raises :class:`UsageError` (exit code 2) for anything that is not an http(s) address with a
    host: a missing scheme, another scheme, no host, a bad port, spaces, a query or a fragment."""
    given = url
    url = url.strip().rstrip("/")
    for suffix in ("/api/3/action", "/api/3", "/api/action", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    parts = urllib.parse.urlsplit(url)
    example_es, example_en = "(p. ej. https://datos.cdmx.gob.mx)", "(e.g. https://datos.cdmx.gob.mx)"
    problem: tuple[str, str] | None = None
    if any(c.isspace() or not c.isprintable() for c in url):
        problem = ("tiene espacios o caracteres de control", "it has spaces or control characters")
    elif not parts.scheme or "://" not in given:
        problem = (
            f"le falta el esquema: escribe https:// delante {example_es}",
            f"the scheme is missing: write https:// in front {example_en}",
        )
    elif parts.scheme.lower() not in ("http", "https"):
        problem = (
            f"el esquema es «{parts.scheme}», no http ni https",
            f"the scheme is '{parts.scheme}', not http or https",
        )
    elif not parts.hostname:
        problem = (f"no nombra un servidor {example_es}", f"it names no host {example_en}")
    elif parts.query or parts.fragment or url.endswith(("?", "#")):
        problem = (
            f"la dirección base del portal no lleva ? ni # {example_es}",
            f"a portal's base address has no ? or # {example_en}",
        )
    else:
        try:
            port = parts.port  # raises on a port that is not a number from 0 to 65535
        except ValueError:
            port = 0
        if port == 0:
            problem = ("el puerto no es un número de 1 a 65535", "the port is not a number from 1 to 65535")
    if problem is not None:
        raise UsageError(
            f"«{given}» no es la dirección http(s) de un portal CKAN (--url): {problem[0]}.",
            f"'{given}' is not the http(s) address of a CKAN portal (--url): {problem[1]}.",
        )
    return url


def _why_unreachable(ex: Exception, host: str, timeout: float) -> tuple[str, str]:
    """Why a connection failed, in es and en, from the OS error under the library's wrappers."""
    seen: set[int] = set()
    current: BaseException | None = ex
    causes: list[BaseException] = []
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        causes.append(current)
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = current.__cause__ or current.__context__ or nested or getattr(current, "reason", None)
    for cause in causes:
        if isinstance(cause, socket.gaierror):
            return (f"no se encontró el nombre «{host}»", f"the name '{host}' does not resolve")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return ("su certificado TLS no es válido", "its TLS certificate is not valid")
        if isinstance(cause, ssl.SSLError):
            return ("falló la conexión TLS", "the TLS handshake failed")
        if isinstance(cause, ConnectionRefusedError) or getattr(cause, "errno", None) == errno.ECONNREFUSED:
            return (
                "conexión rechazada: no hay ningún servicio en esa dirección y puerto",
                "connection refused: nothing listens at that address and port",
            )
        if isinstance(cause, ConnectionResetError):
            return ("el portal cortó la conexión", "the portal reset the connection")
    if isinstance(ex, requests.ConnectTimeout):
        wait = min(timeout, CONNECT_TIMEOUT)
        return (f"no aceptó la conexión en {wait:g} s", f"it did not accept a connection within {wait:g} s")
    for cause in causes:
        if isinstance(cause, OSError) and cause.strerror:
            return (f"error de red: {cause.strerror}", f"network error: {cause.strerror}")
    return ("la conexión falló", "the connection failed")


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(parts.scheme, "")
    if default and netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return parts.scheme, netloc


def _form_value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
