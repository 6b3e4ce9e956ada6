"""Publish packaged datasets to open-data portals (CKAN)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.publish.ckan import PublishFailed, PublishResult, check_credentials, publish_ckan
from toolkit.publish.client import CkanClient, PortalError, Secret
from toolkit.publish.render import render_json, render_text

TOKEN_VARIABLE = "CKAN_API_TOKEN"

__all__ = [
    "CkanClient",
    "PortalError",
    "PublishFailed",
    "PublishResult",
    "Secret",
    "check_credentials",
    "publish_ckan",
    "read_token",
    "redacted",
    "render_json",
    "render_text",
]


def read_token(token_file: Path | None = None, environ: Mapping[str, str] | None = None) -> Secret:
    """The API token from ``token_file`` (first) or ``CKAN_API_TOKEN``; empty if neither is set."""
    if token_file is not None:
        try:
            value = token_file.read_text(encoding="utf-8").strip()
        except OSError as ex:
            raise UsageError(
                f"No se pudo leer el archivo del token «{token_file}» ({ex.strerror}).",
                f"Could not read the token file '{token_file}' ({ex.strerror}).",
            ) from None
        if not value:
            raise UsageError(
                f"El archivo del token «{token_file}» está vacío.", f"The token file '{token_file}' is empty."
            )
        return Secret(value)
    env = os.environ if environ is None else environ
    return Secret(env.get(TOKEN_VARIABLE, "").strip())


@contextlib.contextmanager
def redacted(secret: Secret) -> Iterator[None]:
    """Scrub ``secret`` from any exception raised inside (and from its causes), then re-raise it."""
    try:
        yield
    except BaseException as ex:
        seen: set[int] = set()
        current: BaseException | None = ex
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            current.args = tuple(secret.scrub(a) if isinstance(a, str) else a for a in current.args)
            for attr in ("message_es", "message_en"):
                value = getattr(current, attr, None)
                if isinstance(value, str):
                    setattr(current, attr, secret.scrub(value))
            current = current.__cause__ or current.__context__
        raise
