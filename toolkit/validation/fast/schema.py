"""The schema, the header and the error records of the fast engine, without importing frictionless.

frictionless stays the reference: a schema outside the plain subset read here (``fieldsMatch``,
missing values with labels, a ``floatNumber``…) is built by frictionless itself. The cells a
vectorised test does not clear are read by a copy of frictionless's cell reader for the common
fields (:func:`own_cell_reader`) and by frictionless's own for any other, loaded on the first such
cell. A valid table of the catalog, and a spoiled one of common fields, is then checked without
frictionless ever being imported.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

from toolkit.validation.fast.cells import CellError

# frictionless's defaults (``settings.py``), for the properties a field or a schema leaves out.
_TRUE = ["true", "True", "TRUE", "1"]
_FALSE = ["false", "False", "FALSE", "0"]


class Record(CellError):
    """A header or table error as frictionless makes it (what ``structure.to_findings`` reads)."""

    def __init__(self, type: str, note: str = "", **kw: Any) -> None:
        super().__init__(type, None, note, **kw)


def parse_hash(text: str) -> tuple[str, str]:
    """A resource's ``hash`` as frictionless reads it (``parse_resource_hash_v1``): md5 unless named."""
    parts = text.split(":", maxsplit=1)
    return ("md5", parts[0]) if len(parts) == 1 else (parts[0], parts[1])


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _lazy(make: Callable[[], Callable[[Any], Any]]) -> Callable[[Any], Any]:
    """The reader ``make()`` gives, made on the first call (to import frictionless only then)."""
    reader: Any = None

    def read(value: Any) -> Any:
        nonlocal reader
        if reader is None:
            reader = make()
        return reader(value)

    return read


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
        self.group_char: str = descriptor.get("groupChar", "")
        self.decimal_char: str = descriptor.get("decimalChar", ".")

    def has_defined(self, name: str) -> bool:
        return name == "missing_values" and self._own is not None

    def create_cell_reader(self) -> Callable[[Any], Any]:
        """frictionless's cell reader: our own copy of it for a common field, frictionless's own,
        loaded on the first cell that needs it, for any other (but for a missing cell of a field
        that is not required: frictionless reads it as ``None`` with no note)."""
        own = own_cell_reader(self.descriptor, self.missing_values)
        if own is not None:
            return own
        real = _lazy(lambda: self._real().create_cell_reader())
        missing = set(self.missing_values)
        optional = not self.constraints.get("required")

        def read(cell: Any) -> Any:
            if optional and (cell is None or str(cell) in missing):
                return None, None
            return real(cell)

        return read

    def create_value_reader(self) -> Callable[[Any], Any]:
        """A constraint value as the field reads it: by our copy of frictionless's reader for a
        common field, by frictionless's own, loaded on the first value, for any other."""
        return own_value_reader(self.descriptor) or _lazy(lambda: self._real().create_value_reader())


class LightSchema:
    """The schema properties the fast engine reads (names as frictionless's ``Schema`` has them)."""

    def __init__(self, descriptor: dict[str, Any]) -> None:
        self.descriptor = descriptor
        self.missing_values: list[str] = list(descriptor.get("missingValues", [""]))
        self._schema: Any = None
        self.fields = [
            LightField(f, partial(self._real_field, i), self.missing_values)
            for i, f in enumerate(descriptor["fields"])
        ]
        self.primary_key: list[str] = _names(descriptor.get("primaryKey") or [])
        self.foreign_keys: list[dict[str, Any]] = [
            {
                "fields": _names(fk["fields"]),
                "reference": {
                    "resource": fk["reference"].get("resource", ""),
                    "fields": _names(fk["reference"]["fields"]),
                },
            }
            for fk in descriptor.get("foreignKeys") or []
        ]

    def _real_field(self, index: int) -> Any:
        from toolkit.validation import structure

        if self._schema is None:
            self._schema = structure.to_schema(self.descriptor)
        return self._schema.fields[index]


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
    """The field frictionless makes up for a label no field pairs with (read by our own readers:
    an ``any`` field with no constraints never needs frictionless's)."""
    return LightField({"name": name, "type": "any"}, lambda: None, [""])


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
    for number, label in enumerate(labels[len(fields) :], start=len(fields) + 1):
        errors.append(Record("extra-label", label=label, field_name="", field_number=number))
    for number, f in enumerate(fields[len(labels) :], start=len(labels) + 1):
        errors.append(Record("missing-label", label="", field_name=f.name, field_number=number))
    for number, (f, label) in enumerate(zip(fields, labels, strict=False), start=1):
        if not label:
            errors.append(Record("blank-label", label="", field_name=f.name, field_number=number))
            continue
        seen = [i for i, cell in enumerate(labels[: number - 1], start=1) if cell == label]
        if seen:
            note = 'at position "{}"'.format(", ".join(map(str, seen)))
            errors.append(
                Record("duplicate-label", note, label=label, field_name=f.name, field_number=number)
            )
        elif label != f.name:
            errors.append(Record("incorrect-label", label=label, field_name=f.name, field_number=number))
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


# ── frictionless's cell reader, for the common fields ──────────────────────────────────────
#
# The value readers below read every value as frictionless's own do (``fields/*.py``, 5.x), for
# the fields read here: a string of the default or ``uri`` format, an integer that is a bare number,
# a number with no ``groupChar``, ``decimalChar`` or ``bareNumber``, a date or a datetime of the
# default format, a boolean, a year and ``any``. A spoiled cell of those is then read, notes and
# all, without importing frictionless (0.25 s); any other field still gets frictionless's reader.

_BOUNDS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]
# Each type's ``supported_constraints`` after ``required``, in frictionless's order (that of its notes).
_SUPPORTED = {
    "any": ["enum"],
    "boolean": ["enum"],
    "string": ["minLength", "maxLength", "pattern", "enum"],
    **{t: [*_BOUNDS, "enum"] for t in ("integer", "number", "year", "date", "datetime")},
}


def _read_string(cell: Any) -> Any:
    return cell if isinstance(cell, str) else None


# What frictionless's ``rfc3986`` check of a ``uri`` comes to: its URI regex (RFC 3986, appendix B)
# finds a scheme. Importing ``rfc3986`` compiles its whole grammar (0.1 s); this is its scheme part.
_URI_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


def _read_uri(cell: Any) -> Any:
    return cell if isinstance(cell, str) and _URI_SCHEME.match(cell) else None


def _read_integer(cell: Any) -> Any:
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except Exception:
            return None
    if isinstance(cell, float | Decimal) and cell % 1 == 0:
        return int(cell)
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else None


def _read_number(cell: Any) -> Any:
    if isinstance(cell, float):
        return Decimal(str(cell))
    if isinstance(cell, str):
        try:
            cell = Decimal(cell.strip())
        except Exception:
            return None
    if isinstance(cell, Decimal):  # a signalling NaN reads as the quiet NaN it stands for
        return Decimal(str(cell).replace("sNaN", "NaN")) if cell.is_snan() else cell
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else None


def _read_year(cell: Any) -> Any:
    if isinstance(cell, str) and len(cell) == 4:
        try:
            cell = int(cell)
        except ValueError:
            return None
    return cell if isinstance(cell, int) and 0 <= cell <= 9999 else None


# ``datetime.strptime(cell, "%Y-%m-%d")``'s own pattern (``\d``: any decimal digit), without the
# import of ``_strptime`` and ``calendar`` that its first call makes (6 to 9 ms of a run).
_YMD = re.compile(r"(\d\d\d\d)-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])")


def _read_date(cell: Any) -> Any:
    if isinstance(cell, dt.datetime):
        return cell.date() if (cell.hour, cell.minute, cell.second) == (0, 0, 0) else None
    if isinstance(cell, dt.date):
        return cell
    found = _YMD.fullmatch(cell) if isinstance(cell, str) else None
    try:
        return dt.date(*map(int, found.groups())) if found else None
    except ValueError:
        return None


def _read_datetime(cell: Any) -> Any:
    if not isinstance(cell, dt.datetime):
        if not isinstance(cell, str):
            return None
        try:
            # frictionless asserts these (shorter forms that dateutil reads are not datetimes)
            if cell[16] != ":" or len(cell) < 19:
                return None
            import dateutil.parser

            cell = dateutil.parser.isoparse(cell)
        except Exception:
            return None
    return cell


def own_value_reader(descriptor: dict[str, Any]) -> Callable[[Any], Any] | None:
    """frictionless's value reader of a field, when it is one of the common fields read here."""
    t = descriptor.get("type", "string")
    fmt = descriptor.get("format", "default")
    if t == "any":
        return lambda cell: cell
    if t == "string":
        return {"default": _read_string, "uri": _read_uri}.get(fmt)
    if t == "integer":
        return _read_integer if descriptor.get("bareNumber", True) is True else None
    if t == "number":
        plain = not ({"groupChar", "decimalChar", "bareNumber"} & set(descriptor))
        return _read_number if plain else None
    if t == "year":
        return _read_year
    if t == "boolean":
        mapping = dict.fromkeys(descriptor.get("trueValues", _TRUE), True)
        mapping.update(dict.fromkeys(descriptor.get("falseValues", _FALSE), False))

        def read_boolean(cell: Any) -> Any:
            if cell is True or cell is False:
                return cell
            if isinstance(cell, str):
                return mapping.get(cell)
            return None

        return read_boolean
    if fmt == "default":
        return {"date": _read_date, "datetime": _read_datetime}.get(t)
    return None


def _plain(value: Any) -> bool:
    """A constraint value as JSON or YAML gives it (whose text frictionless's note shows as is)."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def own_cell_reader(descriptor: dict[str, Any], missing: list[str]) -> Callable[[Any], Any] | None:
    """frictionless's ``field.create_cell_reader()`` for a common field (``None`` for any other):
    the same value and the same notes, in the same order and words.

    Constraint values it could not read the same way (a bound the field does not read, a pattern
    Python does not compile…) leave the field to frictionless, whatever frictionless does with them.
    """
    read = own_value_reader(descriptor)
    t = descriptor.get("type", "string")
    fmt = descriptor.get("format", "default")
    given = descriptor.get("constraints") or {}
    if read is None or not isinstance(given, dict):
        return None
    if not _plain(given.get("required")):
        return None
    # frictionless's checks (``schema/field.py``) of a cell that is not missing
    checks: list[tuple[str, Callable[[Any], Any]]] = []
    for name in _SUPPORTED[t]:
        value = given.get(name)
        if value is None:
            continue
        if not _plain(value):
            return None
        if name in ("minLength", "maxLength"):
            if type(value) is not int:
                return None
            checks.append((name, partial(_within, _COMPARE[name], value, True)))
        elif name in _BOUNDS:
            limit = read(value)
            if limit is None or limit != limit:  # frictionless cannot compare a cell to these
                return None
            checks.append((name, partial(_within, _COMPARE[name], limit, False)))
        elif name == "pattern":
            try:
                compiled = re.compile(f"^{value}$") if isinstance(value, str) else None
            except re.error:
                compiled = None
            if compiled is None:
                return None
            checks.append((name, compiled.match))
        elif name == "enum":
            if not isinstance(value, list):
                return None
            checks.append((name, [read(v) for v in value].__contains__))
    type_note = f'type is "{t}/{fmt}"'
    # A missing cell passes every check but ``required``, which any other cell passes.
    required = f'constraint "required" is "{given["required"]}"' if given.get("required") else None
    missing_set = frozenset(missing)

    def cell_reader(cell: Any) -> tuple[Any, dict[str, str] | None]:
        if cell is None or str(cell) in missing_set:
            return None, ({"required": required} if required else None)
        value = read(cell)
        if value is None:
            return None, {"type": type_note}
        notes = {
            name: f'constraint "{name}" is "{given[name]}"' for name, check in checks if not check(value)
        }
        return value, notes or None

    return cell_reader


def _within(op: Callable[[Any, Any], Any], limit: Any, length: bool, cell: Any) -> Any:
    value = len(cell) if length else cell
    return value == value and op(value, limit)  # NaN is not equal to itself and fails every bound


_COMPARE = {
    "minLength": operator.ge,
    "maxLength": operator.le,
    "minimum": operator.ge,
    "maximum": operator.le,
    "exclusiveMinimum": operator.gt,
    "exclusiveMaximum": operator.lt,
}
