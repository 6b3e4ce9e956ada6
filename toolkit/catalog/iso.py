"""The ISO standards a catalog refers to: country (3166-1), subdivision (3166-2), currency (4217) codes."""

from __future__ import annotations

import functools


@functools.cache
def countries(kind: int) -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 if kind == 2 else c.alpha_3 for c in pycountry.countries)


@functools.cache
def alpha3_of(alpha2: str) -> str | None:
    import pycountry

    country = pycountry.countries.get(alpha_2=alpha2)
    return country.alpha_3 if country else None


@functools.cache
def subdivisions() -> frozenset[str]:
    """The ISO 3166-2 codes, read from pycountry's own data file: a fifth of the time of building
    its 5,000 subdivision objects (``tests/test_validate.py`` checks both give the same set)."""
    import json
    import os

    import pycountry

    try:
        path = os.path.join(pycountry.DATABASE_DIR, "iso3166-2.json")
        with open(path, encoding="utf-8") as fh:
            return frozenset(str(entry["code"]) for entry in json.load(fh)["3166-2"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return frozenset(s.code for s in pycountry.subdivisions)


@functools.cache
def currencies() -> frozenset[str]:
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
