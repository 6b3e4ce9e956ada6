"""A thin client for CKAN's action API: reads retried, writes attempted once, errors in es/en.

Reads (``package_show``…) are retried with backoff on timeouts, connection errors and 5xx answers.
Writes are attempted once: a write whose answer was lost may still have happened, so whoever
retries it must first read the portal again (see :mod:`toolkit.publish.ckan`). The API token lives
in a :class:`Secret` that never shows in a repr, a message or a log line.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

from toolkit.errors import ToolkitError

RETRY_STATUS = {429, 500, 502, 503, 504}


class Secret:
    """A string that prints as ``***``: the API token, kept out of reprs, messages and logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with every occurrence of the secret replaced by ``***``."""
        return text.replace(self._value, "***") if self._value else text

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


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
        return self.session.request(method, url, headers=self._headers(url), timeout=self.timeout, **kwargs)

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
            except requests.Timeout as ex:
                last = self._unavailable(action, f"timeout: {type(ex).__name__}", attempts)
                continue
            except requests.ConnectionError as ex:
                last = self._unreachable(ex, attempts)
                continue
            if resp.status_code in RETRY_STATUS:
                last = self._unavailable(action, f"HTTP {resp.status_code}", attempts, resp.status_code)
                continue
            return self._result(action, resp)
        assert last is not None
        raise last

    def _unreachable(self, ex: Exception, attempts: int) -> PortalUnavailable:
        detail = self._scrub(_short(type(ex).__name__ + ": " + str(ex), 200))
        tries_es = "tras 1 intento" if attempts == 1 else f"tras {attempts} intentos"
        tries_en = "after 1 attempt" if attempts == 1 else f"after {attempts} attempts"
        return PortalUnavailable(
            f"No se pudo conectar con el portal {self.url} {tries_es} ({detail}): "
            "revisa la dirección, tu conexión y que el portal esté en línea.",
            f"Could not connect to the portal {self.url} {tries_en} ({detail}): "
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
            except requests.Timeout as ex:
                last = self._unavailable(url, f"timeout: {type(ex).__name__}", attempts)
                continue
            except requests.ConnectionError as ex:
                last = self._unreachable(ex, attempts)
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
    """The portal's base address: no trailing slash, no ``/api/3/action`` suffix."""
    url = url.strip().rstrip("/")
    for suffix in ("/api/3/action", "/api/3", "/api/action", "/api"):
        if url.endswith(suffix):
            url = url[: -len(suffix)]
            break
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ToolkitError(
            f"«{url}» no es una dirección http(s) de un portal CKAN (p. ej. https://datos.cdmx.gob.mx).",
            f"'{url}' is not the http(s) address of a CKAN portal (e.g. https://datos.cdmx.gob.mx).",
        )
    return url


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
