"""Descriptors that frictionless certainly accepts, told apart without importing frictionless.

frictionless is the reference for what a valid Table Schema or Data Package descriptor is, and its
notes word our findings. Most descriptors are fine, though, and importing frictionless to learn
that costs more than a whole validation of the catalog. The functions here answer ``True`` only
when frictionless's own metadata checks would find nothing to say: its JSON Schema profiles
(``frictionless_profiles.json``, copied from frictionless; ``tests/test_light_path.py`` checks
the copy and compares our reading of it with ``jsonschema``'s), then the checks it runs in
Python, on the plain subset of descriptors. Anything else (``profile``, a boolean example, a
missing value with a label…) answers ``False``, and frictionless itself checks the descriptor,
as before.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import numbers
import re
from pathlib import Path
from typing import Any


@functools.cache
def _profiles() -> dict[str, Any]:
    """The profiles; empty when the copy cannot be read (every descriptor then goes to frictionless)."""
    try:
        data = json.loads((Path(__file__).parent / "frictionless_profiles.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class _Profile:
    """One of frictionless's profiles, checked as ``jsonschema`` checks it (draft 2020-12, the
    default for a profile without ``$schema``). The profiles use a handful of keywords: ``type``,
    ``enum``, ``pattern``, ``anyOf``, ``required``, ``properties`` and ``items`` (importing
    ``jsonschema`` would cost more than the checks; the tests compare both)."""

    def __init__(self, profile: dict[str, Any]) -> None:
        self.profile = profile

    def is_valid(self, value: Any) -> bool:
        return _valid(self.profile, value)


_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool),
    "integer": lambda v: (
        not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and v.is_integer()))
    ),
}
KEYWORDS = {"type", "enum", "pattern", "anyOf", "required", "properties", "items"}


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's equality for ``enum``: ``True`` is not ``1``, containers compare item by item."""
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, bool) or isinstance(two, bool):
        return type(one) is type(two) and one == two
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_equal(one[k], two[k]) for k in one)
    return bool(one == two)


def _valid(schema: Any, value: Any) -> bool:
    if not isinstance(schema, dict):
        return schema is not False
    kind = schema.get("type")
    if kind is not None and not any(_TYPES[k](value) for k in ([kind] if isinstance(kind, str) else kind)):
        return False
    if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
        return False
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        return False
    if "anyOf" in schema and not any(_valid(s, value) for s in schema["anyOf"]):
        return False
    if isinstance(value, dict):
        if any(k not in value for k in schema.get("required", [])):
            return False
        if any(k in value and not _valid(s, value[k]) for k, s in schema.get("properties", {}).items()):
            return False
    return not (isinstance(value, list) and "items" in schema) or all(
        _valid(schema["items"], v) for v in value
    )


@functools.cache
def _validator(kind: str, name: str = "") -> _Profile:
    return _Profile(_profiles()[kind][name] if name else _profiles()[kind])


def texts(value: Any) -> bool:
    """Whether ``value`` is a list of strings."""
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _names_ok(value: Any) -> bool:
    return not isinstance(value, str) or re.search(_profiles()["name_pattern"], value) is not None


def _licenses_ok(descriptor: dict[str, Any]) -> bool:
    items = descriptor.get("licenses", [])
    return isinstance(items, list) and all(
        isinstance(i, dict) and (i.get("path") or i.get("name")) for i in items
    )


def _version(descriptor: dict[str, Any]) -> str:
    """The Data Package version frictionless reads from ``$schema``: ``v1`` when there is none,
    ``v2`` for datapackage.org's 2.x profiles, ``""`` for anything else (frictionless decides)."""
    declared = descriptor.get("$schema")
    if declared is None:
        return "v1"
    match = isinstance(declared, str) and re.fullmatch(
        r"https?://datapackage\.org/profiles/([12])\.\d+/[^?#]*", declared
    )
    return f"v{match.group(1)}" if match else ""


def package_fine(descriptor: dict[str, Any]) -> bool:
    """Whether ``Package.metadata_validate`` gives no error but the ones about ``created``, e-mails
    and misplaced schema properties (which our own checks word)."""
    if not _profiles():
        return False
    version = _version(descriptor)
    if not version or {"profile", "profiles"} & set(descriptor):
        return False
    if not _validator("package").is_valid(descriptor):
        return False
    if version == "v1" and not _names_ok(descriptor.get("name")):
        return False
    resources = descriptor["resources"]
    return _licenses_ok(descriptor) and resources == [{"name": "x", "path": "x"}]


def resource_fine(descriptor: dict[str, Any]) -> bool:
    """Whether ``Resource.metadata_validate`` gives no error about a resource without its schema
    and dialect, but the ones about its name, path, e-mails and misplaced properties."""
    if not _profiles():
        return False
    if {"$schema", "profile", "profiles", "data", "schema", "dialect"} & set(descriptor):
        return False
    if not _validator("resource").is_valid(descriptor) or "path" not in descriptor:
        return False
    return _licenses_ok(descriptor)


def _reads(ftype: str, value: Any) -> bool:
    """Whether a constraint's or an example's value is certainly read by a field of ``ftype`` (with
    the default format and number properties) without a note."""
    if ftype == "any":
        return True
    if isinstance(value, bool):
        return False
    if ftype in ("integer", "number") and isinstance(value, int):
        return True
    if ftype in ("integer", "number") and isinstance(value, str):
        return (
            re.fullmatch(r"-?[0-9]{1,15}" + (r"(\.[0-9]{1,15})?" if ftype == "number" else ""), value)
            is not None
        )
    if ftype == "number" and isinstance(value, float):
        return True
    if ftype == "year" and isinstance(value, int):
        return 0 <= value <= 9999
    if ftype == "date":
        if type(value) is dt.date:
            return True
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                dt.date.fromisoformat(value)  # strptime's answer for this shape, without importing _strptime
            except ValueError:
                return False
            return True
    return False


def _field_fine(field: Any, version: str) -> bool:
    if not isinstance(field, dict) or {"required", "missingValues", "$schema"} & set(field):
        return False
    ftype = field.get("type")
    if not isinstance(ftype, str) or ftype not in _profiles()["fields"]:
        return False
    if not _validator("fields", ftype).is_valid(field):
        return False
    plain = field.get("format", "default") == "default" and not (
        {"groupChar", "decimalChar", "bareNumber", "trueValues", "falseValues"} & set(field)
    )
    constraints = field.get("constraints", {})
    if not isinstance(constraints, dict) or not set(constraints) <= set(_profiles()["constraints"][ftype]):
        return False
    for name, value in constraints.items():
        if name in ("exclusiveMinimum", "exclusiveMaximum") and version == "v1":
            return False  # datapackage v2 only: frictionless words the note
        if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and not (
            plain and _reads(ftype, value)
        ):
            return False
        if name == "pattern":
            try:
                re.compile(str(value))
            except re.error:
                return False
    example = field.get("example")
    if example:  # frictionless reads it with a field of the type and format alone
        if ftype == "string" and field.get("format", "default") == "default":
            return isinstance(example, str)
        return plain and _reads(ftype, example)
    return True


def schema_fine(schema: dict[str, Any]) -> bool:
    """Whether ``Schema.metadata_validate`` gives no error and every constraint value reads (what
    ``model._schema_problems`` asks frictionless)."""
    if not _profiles():
        return False
    version = _version(schema)
    if not version or not _validator("schema").is_valid(schema):
        return False
    if "missingValues" in schema and not texts(schema["missingValues"]):
        return False
    fields = schema.get("fields")
    if not isinstance(fields, list):
        return False
    names = [f.get("name") for f in fields if isinstance(f, dict)]
    if len(names) != len(fields) or len(set(map(str, names))) != len(names):
        return False
    if not all(_field_fine(f, version) for f in fields):
        return False
    pk = schema.get("primaryKey", [])
    if not texts(pk) or not set(pk) <= set(names):
        return False
    for fk in schema.get("foreignKeys", []):
        ref = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(ref, dict) or not texts(fk.get("fields")) or not texts(ref.get("fields")):
            return False
        if not set(fk["fields"]) <= set(names) or len(fk["fields"]) != len(ref["fields"]):
            return False
    return True
