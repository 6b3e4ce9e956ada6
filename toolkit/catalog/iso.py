"""The ISO standards a catalog refers to: country (3166-1), subdivision (3166-2), currency (4217) codes."""

from __future__ import annotations

import functools
from typing import Any


def _data_file(standard: str) -> bytes | None:
    """pycountry's data file for ``standard`` (``3166-1``, ``3166-2``, ``4217``), read without
    importing pycountry, whose import and objects cost about 0.1 s a run; ``None`` when it cannot
    be read (the callers then ask pycountry itself). ``tests/test_validate.py`` checks both give
    the same codes."""
    import os

    try:
        folder = _folder()
        if folder is None:
            return None
        with open(os.path.join(folder, "databases", f"iso{standard}.json"), "rb") as fh:
            return fh.read()
    except (OSError, ImportError):
        return None


def _folder() -> str | None:
    import importlib.util

    spec = importlib.util.find_spec("pycountry")
    return next(iter(spec.submodule_search_locations or []), None) if spec else None


@functools.cache
def records(standard: str) -> tuple[list[Any], str]:
    """pycountry's objects for ``standard`` (``3166-1`` or ``4217``), with the same attributes,
    and its locales folder: from its files, without importing it, when they can be read."""
    import os
    from types import SimpleNamespace

    entries = _entries(standard)
    folder = _folder() if entries is not None else None
    if entries is None or folder is None:
        import pycountry

        every = pycountry.countries if standard == "3166-1" else pycountry.currencies
        return list(every), pycountry.LOCALES_DIR
    return [SimpleNamespace(**entry) for entry in entries], os.path.join(folder, "locales")


@functools.cache
def _entries(standard: str) -> list[dict[str, Any]] | None:
    """The entries of pycountry's data file for ``standard``; ``None`` when it cannot be read."""
    import json

    raw = _data_file(standard)
    try:
        entries = json.loads(raw)[standard] if raw is not None else None
    except (ValueError, KeyError, TypeError):
        return None
    return entries if isinstance(entries, list) else None


@functools.cache
def countries(kind: int) -> frozenset[str]:
    key = "alpha_2" if kind == 2 else "alpha_3"
    entries = _entries("3166-1")
    if entries is not None:
        return frozenset(str(e[key]) for e in entries)
    import pycountry

    return frozenset(getattr(c, key) for c in pycountry.countries)


@functools.cache
def alpha3_of(alpha2: str) -> str | None:
    entries = _entries("3166-1")
    if entries is not None:
        return _alpha3().get(alpha2)
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country else None


@functools.cache
def _alpha3() -> dict[str, str]:
    return {str(e["alpha_2"]): str(e["alpha_3"]) for e in _entries("3166-1") or []}


@functools.cache
def subdivisions() -> frozenset[str]:
    """The ISO 3166-2 codes, read from pycountry's own data file: a fifth of the time of building
    its 5,000 subdivision objects (``tests/test_validate.py`` checks both give the same set)."""
    raw = _data_file("3166-2")
    if raw is not None:
        # Only the codes of its 0.5 MB are needed: found in the text, a third of the time of parsing
        # it all. Any other layout than one plain `"code": "…"` per entry is parsed instead.
        import re

        codes = re.findall(rb'"code": "([^"\\\\]*)"', raw)
        if len(codes) == raw.count(b'"code"'):
            return frozenset(code.decode("utf-8") for code in codes)
    entries = _entries("3166-2")
    if entries is not None:
        return frozenset(str(entry["code"]) for entry in entries)
    import pycountry

    return frozenset(s.code for s in pycountry.subdivisions)


@functools.cache
def currencies() -> frozenset[str]:
    entries = _entries("4217")
    if entries is not None:
        return frozenset(str(e["alpha_3"]) for e in entries)
    import pycountry

    return frozenset(c.alpha_3 for c in pycountry.currencies)


def country_problem(code: str, kind: int) -> bool:
    """Whether ``code`` is not an ISO 3166-1 code (``kind`` 2: alpha-2, 3: alpha-3)."""
    return code not in countries(kind)


def subdivision_problem(code: str, country: str | None) -> str | None:
    """``unknown`` when ``code`` is no ISO 3166-2 code, ``other-country`` when it is not in ``country``."""
    if code not in subdivisions():
        return "unknown"
    # A country that is not a code (a name, a typo) has its own finding: no follow-on one here.
    if country and country in countries(2) and not code.startswith(country + "-"):
        return "other-country"
    return None
