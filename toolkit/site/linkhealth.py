"""Link health on the site: what ``check-links`` last found about the pages each dataset cites.

``build`` never asks the network: it reads the results ``ciudades check-links`` cached
(``.cache/links.json`` beside the catalog, or the file given with ``--links``) and writes them as
``links.json`` at the root of the site, with the rows that cite each URL and, for the dead ones, a
web-archive address to look them up. Every date comes from the cache, so the same cache gives the
same bytes. A URL the cache does not know is "unchecked", never "ok"; a catalog whose links were
never checked says so on every dataset page, with the command that checks them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit.catalog.model import Catalog, display_path
from toolkit.errors import UsageError
from toolkit.validation.links import (
    ARCHIVE,
    STATUSES,
    Citation,
    LinkResult,
    citations,
    default_cache,
    read_cache,
)

__all__ = ["MONTHS", "DatasetLinks", "LinkHealth", "long_date", "read"]

UNCHECKED = "unchecked"
DEAD = ("gone", "failing")
MONTHS = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"),
}


def long_date(iso: str, lang: str) -> str:
    """``2026-12-01`` as people write it: "1 dic 2026" in Spanish, "1 Dec 2026" in English."""
    year, month, day = iso[:10].split("-")
    return f"{int(day)} {MONTHS['es' if lang == 'es' else 'en'][int(month) - 1]} {year}"


@dataclass(frozen=True)
class LinkState:
    """One URL a dataset cites, and what its last check found (``unchecked`` when none did)."""

    url: str
    status: str  # ok · moved · gone · failing · unchecked
    checked: str | None  # the date of the check, YYYY-MM-DD
    final_url: str | None
    detail_es: str
    detail_en: str
    cited: tuple[Citation, ...]

    @property
    def archive(self) -> str | None:
        """Where to look the page up in the web archive, for a dead link (a link for a person)."""
        return ARCHIVE + self.url if self.status in DEAD else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "status": self.status,
            "checked": self.checked,
            "final_url": self.final_url if self.status == "moved" else None,
            "detail": {"es": self.detail_es, "en": self.detail_en} if self.detail_es else None,
            "archive": self.archive,
            "cited_by": [
                {"dataset": c.dataset, "table": c.resource, "field": c.field, "line": c.line, "row": c.row}
                for c in self.cited
            ],
        }


@dataclass(frozen=True)
class DatasetLinks:
    """The links one dataset cites, with their states."""

    slug: str
    checked: bool  # whether the catalog's links were ever checked (a cache was found)
    links: tuple[LinkState, ...]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys((*STATUSES, UNCHECKED), 0)
        for link in self.links:
            out[link.status] += 1
        return out

    @property
    def dates(self) -> tuple[str, str] | None:
        """The first and the last date on which this dataset's links were checked."""
        days = sorted({link.checked for link in self.links if link.checked})
        return (days[0], days[-1]) if days else None

    @property
    def working(self) -> int:
        """Links that answer: at their address (ok) or at the one they moved to (moved)."""
        counts = self.counts()
        return counts["ok"] + counts["moved"]

    def summary(self) -> dict[str, Any]:
        """The figures of ``calidad.json``: counts, dates, and the share of checked links that work."""
        counts = self.counts()
        done = len(self.links) - counts[UNCHECKED]
        dates = self.dates
        return {
            "checked": self.checked,
            "urls": len(self.links),
            **counts,
            "working": self.working,
            "working_share": round(self.working / done, 4) if done else None,
            "first_checked": dates[0] if dates else None,
            "last_checked": dates[1] if dates else None,
        }


@dataclass(frozen=True)
class LinkHealth:
    """Every cited URL of the catalog with its state, and where the results came from."""

    source: str | None  # the cache that was read, as shown to people; None: never checked
    links: tuple[LinkState, ...]

    @property
    def checked(self) -> bool:
        return self.source is not None

    def for_dataset(self, slug: str) -> DatasetLinks:
        own = []
        for link in self.links:
            cites = tuple(c for c in link.cited if c.dataset == slug)
            if cites:
                own.append(
                    LinkState(
                        link.url,
                        link.status,
                        link.checked,
                        link.final_url,
                        link.detail_es,
                        link.detail_en,
                        cites,
                    )
                )
        return DatasetLinks(slug, self.checked, tuple(own))

    def to_json(self) -> str:
        counts = dict.fromkeys((*STATUSES, UNCHECKED), 0)
        for link in self.links:
            counts[link.status] += 1
        days = sorted({link.checked for link in self.links if link.checked})
        doc = {
            "checked": self.checked,
            "first_checked": days[0] if days else None,
            "last_checked": days[-1] if days else None,
            "counts": counts,
            "how_to_check": "ciudades check-links",
            "links": [link.to_dict() for link in self.links],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _state(url: str, result: LinkResult | None, cites: list[Citation]) -> LinkState:
    if result is None:
        return LinkState(url, UNCHECKED, None, None, "", "", tuple(cites))
    final = result.final_url if result.status == "moved" else None
    return LinkState(
        url, result.status, result.checked[:10], final, result.detail_es, result.detail_en, tuple(cites)
    )


def read(catalog: Catalog, path: Path, given: Path | None = None) -> LinkHealth:
    """The link health of ``catalog`` from the check-links cache; no network.

    ``given`` is a cache file named by the user (``--links``): it must exist. Without it, the default
    cache beside the catalog is read if there is one; if not, every link is unchecked.
    """
    if given is not None and not given.is_file():
        raise UsageError(
            f"No existe el archivo de enlaces «{display_path(given)}»: ejecuta antes "
            "«ciudades check-links --cache ARCHIVO», o quita --links para leer el de siempre.",
            f"The links file '{display_path(given)}' does not exist: run "
            "'ciudades check-links --cache FILE' first, or drop --links to read the usual one.",
        )
    cache = given if given is not None else default_cache(catalog, path)
    known = read_cache(cache) if cache.is_file() else {}
    # A cache that holds nothing readable (damaged, or from another version) checked nothing: the
    # pages then say the links were never checked, rather than showing figures from nothing.
    source = display_path(cache) if known else None
    if given is not None and not known and not _empty_cache(given):
        raise UsageError(
            f"«{display_path(given)}» no es un archivo de enlaces de «ciudades check-links»: "
            "vuelve a generarlo con «ciudades check-links --cache ARCHIVO».",
            f"'{display_path(given)}' is not a links file written by 'ciudades check-links': "
            "write it again with 'ciudades check-links --cache FILE'.",
        )
    cites = citations(catalog)
    states = tuple(_state(url, known.get(url), cites[url]) for url in sorted(cites))
    return LinkHealth(source, states)


def _empty_cache(path: Path) -> bool:
    """Whether ``path`` is a readable cache that simply holds no link yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("links") == {}
