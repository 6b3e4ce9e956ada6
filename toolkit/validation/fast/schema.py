"""The schema, the header and the error records of the fast engine, without importing frictionless.

frictionless stays the reference: a schema outside the plain subset read here (``fieldsMatch``,
missing values with labels, a ``floatNumber``…) is built by frictionless itself, and the cell
reader of every field is frictionless's own, loaded on the first cell a vectorised test does not
clear. A valid table of the catalog is then checked without frictionless ever being imported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from toolkit.validation.fast.cells import CellError

# frictionless's defaults (``settings.py``), for the properties a field or a schema leaves out.
_TRUE = ["true", "True", "TRUE", "1"]
_FALSE = ["false", "False", "FALSE", "0"]
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class Record(CellError):
    """A header or table error as frictionless makes it (what ``structure.to_finding`` reads)."""

    def __init__(self, type: str, note: str = "", *, label: str | None = None, **kw: Any) -> None:
        super().__init__(type, kw.pop("row_number", None), note, **kw)
        self.label = label


def parse_hash(text: str) -> tuple[str, str]:
    """A resource's ``hash`` as frictionless reads it (``parse_resource_hash_v1``): md5 unless named."""
    parts = text.split(":", maxsplit=1)
    return ("md5", parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


class LightField:
    """The properties of a field the fast engine reads, from its descriptor.

    ``real`` gives frictionless's own field, built on the first call; its readers are used for
    every cell and every constraint value not certainly read here the same way."""

    def __init__(
        self, descriptor: dict[str, Any], real: Callable[[], Any], schema_missing: list[str]
    ) -> None:
        self.descriptor = descriptor
        self._real = real
        self._own = descriptor.get("missingValues")
        self.name: str = descriptor["name"]
        self.type: str = descriptor.get("type", "string")
        self.format: str = descriptor.get("format", "default")
        self.constraints: dict[str, Any] = dict(descriptor.get("constraints") or {})
        self.missing_values: list[str] = list(self._own if self._own is not None else schema_missing)
        self.true_values: list[str] = list(descriptor.get("trueValues", _TRUE))
        self.false_values: list[str] = list(descriptor.get("falseValues", _FALSE))
        self.bare_number: bool = descriptor.get("bareNumber", True)
        self.group_char: str = descriptor.get("groupChar", "")
        self.decimal_char: str = descriptor.get("decimalChar", ".")
        self.required = bool(self.constraints.get("required"))

    def has_defined(self, name: str) -> bool:
        return name == "missing_values" and self._own is not None

    def create_cell_reader(self) -> Callable[[Any], Any]:
        """frictionless's cell reader, but for a missing cell of a field that is not required:
        frictionless reads it as ``None`` with no note (every check but ``required`` passes)."""
        reader: Any = None
        missing = set(self.missing_values)
        optional = not self.constraints.get("required")

        def read(cell: Any) -> Any:
            nonlocal reader
            if optional and (cell is None or str(cell) in missing):
                return None, None
            if reader is None:
                reader = self._real().create_cell_reader()
            return reader(cell)

        return read

    def create_value_reader(self) -> Callable[[Any], Any]:
        """A constraint value as the field reads it: plain values here, any other by frictionless."""
        real: Any = None
        t, fmt = self.type, self.format
        plain_number = not ({"groupChar", "decimalChar", "bareNumber"} & set(self.descriptor))

        def read(value: Any) -> Any:
            nonlocal real
            if t == "any" or (t == "string" and fmt == "default" and isinstance(value, str)):
                return value
            if t in ("integer", "number") and type(value) is int and plain_number:
                return value
            if t == "year" and type(value) is int and 0 <= value <= 9999:
                return value
            if t == "number" and plain_number and type(value) is float:
                return Decimal(str(value))
            if t == "date" and fmt == "default":
                if type(value) is dt.date:
                    return value
                if isinstance(value, str) and _DATE.fullmatch(value):
                    try:
                        return dt.datetime.strptime(value, "%Y-%m-%d").date()
                    except ValueError:
                        return None
            if real is None:
                real = self._real().create_value_reader()
            return real(value)

        return read


class LightSchema:
    """The schema properties the fast engine reads (names as frictionless's ``Schema`` has them)."""

    def __init__(self, descriptor: dict[str, Any]) -> None:
        self.descriptor = descriptor
        self.missing_values: list[str] = list(descriptor.get("missingValues", [""]))
        self._schema: Any = None
        self.fields = [
            LightField(f, self._real_field(i), self.missing_values)
            for i, f in enumerate(descriptor["fields"])
        ]
        pk = descriptor.get("primaryKey") or []
        self.primary_key: list[str] = [pk] if isinstance(pk, str) else list(pk)
        self.foreign_keys: list[dict[str, Any]] = []
        for fk in descriptor.get("foreignKeys") or []:
            ref = fk["reference"]
            self.foreign_keys.append(
                {
                    "fields": [fk["fields"]] if isinstance(fk["fields"], str) else list(fk["fields"]),
                    "reference": {
                        "resource": ref.get("resource", ""),
                        "fields": [ref["fields"]] if isinstance(ref["fields"], str) else list(ref["fields"]),
                    },
                }
            )

    def has_defined(self, name: str) -> bool:
        return False  # a schema with fieldsMatch is not read here

    def _real_field(self, index: int) -> Callable[[], Any]:
        def real() -> Any:
            from toolkit.validation import structure

            if self._schema is None:
                self._schema = structure.to_schema(self.descriptor)
            return self._schema.fields[index]

        return real


def light_schema(descriptor: dict[str, Any]) -> LightSchema | None:
    """The schema read here, or ``None`` when it is outside the plain subset (frictionless reads it)."""
    fields = descriptor.get("fields")
    if "fieldsMatch" in descriptor or not isinstance(fields, list) or not fields:
        return None
    if "missingValues" in descriptor and not _texts(descriptor["missingValues"]):
        return None
    names = []
    for f in fields:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            return None
        if not isinstance(f.get("type", "string"), str) or not isinstance(f.get("format", "default"), str):
            return None
        if any(k in f and not _texts(f[k]) for k in ("missingValues", "trueValues", "falseValues")):
            return None
        if not isinstance(f.get("constraints", {}), dict) or not isinstance(f.get("bareNumber", True), bool):
            return None
        if any(k in f and not isinstance(f[k], str) for k in ("groupChar", "decimalChar")):
            return None
        if any(k.startswith("float") for k in f):
            return None
        names.append(f["name"])
    if len(set(names)) != len(names):
        return None
    pk = descriptor.get("primaryKey", [])
    if not (isinstance(pk, str) or _texts(pk)):
        return None
    keys = descriptor.get("foreignKeys", [])
    if not isinstance(keys, list):
        return None
    for fk in keys:
        ref = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("resource", ""), str):
            return None
        if any(not (isinstance(v, str) or _texts(v)) for v in (fk.get("fields"), ref.get("fields"))):
            return None
    return LightSchema(descriptor)


def _any_field(name: str) -> LightField:
    """The field frictionless makes up for a label no field pairs with."""

    def real() -> Any:
        from frictionless import Field

        return Field.from_descriptor({"name": name, "type": "any"})

    return LightField({"name": name, "type": "any"}, real, [""])


def _deduplicated(names: list[str]) -> list[str]:
    """frictionless's ``deduplicate_names``: a later duplicate becomes ``name2``, ``name3``…"""
    out: list[str] = []
    used: set[str] = set()
    for name in names:
        new, suffix = name, 2
        while new in used:
            new, suffix = f"{name}{suffix}", suffix + 1
        out.append(new)
        used.add(new)
    return out


def exact_header(labels: list[str], fields: list[LightField]) -> tuple[list[Record], list[LightField]]:
    """The errors of frictionless's ``Header`` for a header paired by position (no ``fieldsMatch``),
    in its order, and the fields in the order of the columns (a made-up ``any`` field for a label
    no field pairs with)."""
    if not labels:  # no header: frictionless reports nothing and expects every field
        return [], list(fields)
    errors: list[Record] = []
    every: dict[str, Any] = {"labels": [str(label) for label in labels], "row_numbers": [1]}
    for number, label in enumerate(labels[len(fields) :], start=len(fields) + 1):
        errors.append(Record("extra-label", label=label, field_name="", field_number=number, **every))
    for number, f in enumerate(fields[len(labels) :], start=len(labels) + 1):
        errors.append(Record("missing-label", label="", field_name=f.name, field_number=number, **every))
    for number, (f, label) in enumerate(zip(fields, labels, strict=False), start=1):
        if not label:
            errors.append(Record("blank-label", label="", field_name=f.name, field_number=number, **every))
            continue
        seen = [i for i, cell in enumerate(labels[: number - 1], start=1) if cell == label]
        if seen:
            note = 'at position "{}"'.format(", ".join(map(str, seen)))
            errors.append(
                Record("duplicate-label", note, label=label, field_name=f.name, field_number=number, **every)
            )
        elif label != f.name:
            errors.append(
                Record("incorrect-label", label=label, field_name=f.name, field_number=number, **every)
            )
    names = _deduplicated([fields[i].name if i < len(fields) else label for i, label in enumerate(labels)])
    expected = [fields[i] if i < len(fields) else _any_field(names[i]) for i in range(len(labels))]
    return errors, expected


def header(descriptor: dict[str, Any], labels: list[str]) -> tuple[Any, list[Any], list[Any]]:
    """The schema, the header errors and the expected fields of a table whose header is ``labels``:
    read here for a plain schema, by frictionless (its ``Schema`` and ``Header``) otherwise."""
    light = light_schema(descriptor)
    if light is not None:
        errors, expected = exact_header(labels, light.fields)
        return light, errors, expected
    from frictionless.table.header import Header

    from toolkit.validation import structure

    schema = structure.to_schema(descriptor)
    head = Header(
        labels, fields=schema.fields, row_numbers=[1], ignore_case=False, fields_match=schema.fields_match
    )
    return schema, list(head.errors), head.get_expected_fields()
