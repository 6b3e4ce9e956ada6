"""The schema, the header and the error records of the fast engine, without importing frictionless.

frictionless stays the reference: a schema outside the plain subset read here (``fieldsMatch``,
missing values with labels, a ``floatNumber``…), and a field of a kind :func:`own_cell_reader` does
not read, are read by frictionless itself, imported on the first such schema or cell.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache, cached_property, partial
from typing import Any

from toolkit.catalog.lightcheck import texts
from toolkit.validation import structure
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


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


class LightField:
    """The properties of a field the fast engine reads, from its descriptor. ``real`` gives frictionless's
    own field, whose readers read what ours may not read the same way."""

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
        """frictionless's cell reader: our copy for a common field, frictionless's own, loaded on the
        first cell that needs it, for any other (a missing cell of an optional field needs none: it
        reads as ``None`` with no note)."""
        own = own_cell_reader(self.descriptor, self.missing_values)
        if own is not None:
            return own
        real = cache(lambda: self._real().create_cell_reader())
        missing = set(self.missing_values)
        optional = not self.constraints.get("required")

        def read(cell: Any) -> Any:
            if optional and (cell is None or str(cell) in missing):
                return None, None
            return real()(cell)

        return read

    def create_value_reader(self) -> Callable[[Any], Any]:
        """A constraint value as the field reads it: by our copy of frictionless's reader for a
        common field, by frictionless's own, loaded on the first value, for any other."""
        real = cache(lambda: self._real().create_value_reader())
        return own_value_reader(self.descriptor) or (lambda value: real()(value))


class LightSchema:
    """The schema properties the fast engine reads (names as frictionless's ``Schema`` has them)."""

    def __init__(self, descriptor: dict[str, Any]) -> None:
        self.descriptor = descriptor
        self.missing_values: list[str] = list(descriptor.get("missingValues", [""]))
        self.fields = [
            LightField(f, partial(lambda i: self._real.fields[i], i), self.missing_values)
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

    @cached_property
    def _real(self) -> Any:
        """frictionless's schema, built for the first field that needs it."""
        return structure.to_schema(self.descriptor)


def light_schema(descriptor: dict[str, Any]) -> LightSchema | None:
    """The schema read here, or ``None`` when it is outside the plain subset (frictionless reads it)."""
    fields = descriptor.get("fields")
    if "fieldsMatch" in descriptor or not isinstance(fields, list) or not fields:
        return None
    if "missingValues" in descriptor and not texts(descriptor["missingValues"]):
        return None
    for f in fields:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            return None
        if not isinstance(f.get("type", "string"), str) or not isinstance(f.get("format", "default"), str):
            return None
        if any(k in f and not texts(f[k]) for k in ("missingValues", "trueValues", "falseValues")):
            return None
        if not isinstance(f.get("constraints", {}), dict) or not isinstance(f.get("bareNumber", True), bool):
            return None
        if any(k in f and not isinstance(f[k], str) for k in ("groupChar", "decimalChar")):
            return None
        if any(k.startswith("float") for k in f):
            return None
    if len({f["name"] for f in fields}) != len(fields):
        return None
    pk = descriptor.get("primaryKey", [])
    if not (isinstance(pk, str) or texts(pk)):
        return None
    keys = descriptor.get("foreignKeys", [])
    if not isinstance(keys, list):
        return None
    for fk in keys:
        ref = fk.get("reference") if isinstance(fk, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("resource", ""), str):
            return None
        if any(not (isinstance(v, str) or texts(v)) for v in (fk.get("fields"), ref.get("fields"))):
            return None
    return LightSchema(descriptor)


def _deduplicated(names: list[str]) -> list[str]:
    """frictionless's ``deduplicate_names``: a later duplicate becomes ``name2``, ``name3``…"""
    used: dict[str, None] = {}  # the names given so far, in order
    for name in names:
        new, suffix = name, 2
        while new in used:
            new, suffix = f"{name}{suffix}", suffix + 1
        used[new] = None
    return list(used)


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
    # an ``any`` field with no constraints: our own readers read it, never frictionless's
    made_up = [LightField({"name": name, "type": "any"}, lambda: None, [""]) for name in names[len(fields) :]]
    return errors, fields[: len(labels)] + made_up


def header(descriptor: dict[str, Any], labels: list[str]) -> tuple[Any, list[Any], list[Any]]:
    """The schema, the header errors and the expected fields of a table whose header is ``labels``:
    read here for a plain schema, by frictionless (its ``Schema`` and ``Header``) otherwise."""
    light = light_schema(descriptor)
    if light is not None:
        return light, *exact_header(labels, light.fields)
    from frictionless.table.header import Header

    schema = structure.to_schema(descriptor)
    head = Header(labels, fields=schema.fields, row_numbers=[1], fields_match=schema.fields_match)
    return schema, list(head.errors), head.get_expected_fields()


# ── frictionless's cell reader, for the common fields ──────────────────────────────────────
# Copies of frictionless's value readers and checks (``fields/*.py``, ``schema/field.py``, 5.x): a
# spoiled cell of a common field is read, notes and all, without importing frictionless.

# Each type's ``supported_constraints`` after ``required``, in frictionless's order (that of its notes);
# the numbers and the dates (the other types read here) support the bounds and ``enum``.
_SUPPORTED = {"any": ["enum"], "boolean": ["enum"], "string": ["minLength", "maxLength", "pattern", "enum"]}
_BOUNDED = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"]
_COMPARE = {
    "minLength": operator.ge,
    "maxLength": operator.le,
    "minimum": operator.ge,
    "maximum": operator.le,
    "exclusiveMinimum": operator.gt,
    "exclusiveMaximum": operator.lt,
}
# What frictionless's ``rfc3986`` check of a ``uri`` comes to: its URI regex (RFC 3986, appendix B)
# finds a scheme. Importing ``rfc3986`` compiles its whole grammar (0.1 s); this is its scheme part.
_URI_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")
# ``datetime.strptime(cell, "%Y-%m-%d")``'s own pattern (``\d``: any decimal digit), without the
# import of ``_strptime`` and ``calendar`` that its first call makes (6 to 9 ms of a run).
_YMD = re.compile(r"(\d\d\d\d)-(1[0-2]|0[1-9]|[1-9])-(3[01]|[12]\d|0[1-9]|[1-9]| [1-9])")


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
    if isinstance(cell, dt.datetime):
        return cell
    # frictionless asserts these (shorter forms that dateutil reads are not datetimes)
    if not isinstance(cell, str) or len(cell) < 19 or cell[16] != ":":
        return None
    import dateutil.parser

    try:
        return dateutil.parser.isoparse(cell)
    except Exception:
        return None


def _read_boolean(mapping: dict[str, bool], cell: Any) -> Any:
    if cell is True or cell is False:
        return cell
    return mapping.get(cell) if isinstance(cell, str) else None


# The readers by type and format ("" for a type whose reader ignores the format).
_READERS: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("any", ""): lambda cell: cell,
    ("string", "default"): lambda cell: cell if isinstance(cell, str) else None,
    ("string", "uri"): lambda cell: cell if isinstance(cell, str) and _URI_SCHEME.match(cell) else None,
    ("integer", ""): _read_integer,
    ("number", ""): _read_number,
    ("year", ""): _read_year,
    ("date", "default"): _read_date,
    ("datetime", "default"): _read_datetime,
}


def own_value_reader(descriptor: dict[str, Any]) -> Callable[[Any], Any] | None:
    """frictionless's value reader of a field, when it is one of the common fields read here."""
    t = descriptor.get("type", "string")
    if t == "boolean":
        mapping = dict.fromkeys(descriptor.get("trueValues", _TRUE), True)
        mapping.update(dict.fromkeys(descriptor.get("falseValues", _FALSE), False))
        return partial(_read_boolean, mapping)
    if t == "integer" and descriptor.get("bareNumber", True) is not True:
        return None
    if t == "number" and {"groupChar", "decimalChar", "bareNumber"} & set(descriptor):
        return None
    return _READERS.get((t, descriptor.get("format", "default")), _READERS.get((t, "")))


def _plain(value: Any) -> bool:
    """A constraint value as JSON or YAML gives it (whose text frictionless's note shows as is)."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def _check(name: str, value: Any, read: Callable[[Any], Any]) -> Callable[[Any], Any] | None:
    """frictionless's test of a value against the constraint ``name``, or ``None`` where ours could
    differ from it (a bound the field does not read, a pattern Python does not compile…)."""
    if not _plain(value):
        return None
    if name == "pattern":
        try:
            return re.compile(f"^{value}$").match if isinstance(value, str) else None
        except re.error:
            return None
    if name == "enum":
        return [read(v) for v in value].__contains__ if isinstance(value, list) else None
    length = name in ("minLength", "maxLength")
    limit = (value if type(value) is int else None) if length else read(value)
    if limit is None or limit != limit:  # frictionless cannot compare a cell to these
        return None
    op = _COMPARE[name]
    if length:
        return lambda cell: op(len(cell), limit)
    return lambda cell: cell == cell and op(cell, limit)  # NaN is not equal to itself: it fails every bound


def own_cell_reader(descriptor: dict[str, Any], missing: list[str]) -> Callable[[Any], Any] | None:
    """frictionless's ``field.create_cell_reader()`` for a common field (``None`` for any other, or for
    a constraint :func:`_check` leaves to frictionless): the same value and notes, in the same words."""
    read = own_value_reader(descriptor)
    t = descriptor.get("type", "string")
    given = descriptor.get("constraints") or {}
    if read is None or not isinstance(given, dict) or not _plain(given.get("required")):
        return None
    # frictionless's checks of a cell that is not missing
    checks: list[tuple[str, Callable[[Any], Any]]] = []
    for name in _SUPPORTED.get(t, _BOUNDED):
        if given.get(name) is None:
            continue
        check = _check(name, given[name], read)
        if check is None:
            return None
        checks.append((name, check))
    type_note = f'type is "{t}/{descriptor.get("format", "default")}"'
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
