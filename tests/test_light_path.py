"""The default run without frictionless: what replaces it gives frictionless's answers.

A valid catalog is checked by the fast engine without importing frictionless: its header checks,
its error records, its reading of constraint values and missing cells, and the descriptor checks
of ``toolkit.catalog.lightcheck`` stand in for frictionless's. Each is compared here with
frictionless itself, and a whole run is checked to leave frictionless unimported.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.catalog import lightcheck
from toolkit.catalog.model import normalize_schema
from toolkit.validation.fast.schema import LightField, exact_header, light_schema, parse_hash

ROOT = Path(__file__).resolve().parent.parent

# ── the header ──────────────────────────────────────────────────────────────────────────────

_LABELS = st.lists(st.sampled_from(["id", "name", "amount", "", "Name", "extra", "name2"]), max_size=6)


def _frictionless_header(labels: list[str], names: list[str]) -> tuple[list[tuple[Any, ...]], list[str]]:
    from frictionless import Schema
    from frictionless.table.header import Header

    schema = Schema.from_descriptor({"fields": [{"name": n} for n in names]})
    header = Header(labels, fields=schema.fields, row_numbers=[1], fields_match=schema.fields_match)
    errors = [(e.type, e.note, e.label, e.field_name, e.field_number) for e in header.errors]
    return errors, [f.name for f in header.get_expected_fields()]


@settings(max_examples=300, deadline=None)
@given(
    labels=_LABELS, names=st.sampled_from([["id", "name", "amount"], ["id"], ["name", "id", "amount", "x"]])
)
def test_the_header_checks_are_frictionless_own(labels: list[str], names: list[str]) -> None:
    """Blank, duplicate, incorrect, extra and missing labels, in frictionless's order and words,
    and the fields in the order of the columns (a made-up field for an extra label)."""
    schema = light_schema({"fields": [{"name": n} for n in names]})
    assert schema is not None
    errors, expected = exact_header(labels, schema.fields)
    ours = [(e.type, e.note, e.label, e.field_name, e.field_number) for e in errors]
    assert (ours, [f.name for f in expected]) == _frictionless_header(labels, names)


def test_a_schema_outside_the_plain_subset_is_read_by_frictionless() -> None:
    assert light_schema({"fields": [{"name": "a"}], "fieldsMatch": "equal"}) is None
    assert (
        light_schema({"fields": [{"name": "a"}], "missingValues": [{"value": "NA", "label": "n/a"}]}) is None
    )
    assert light_schema({"fields": [{"name": "a", "type": "number", "floatNumber": True}]}) is None
    assert light_schema({"fields": [{"name": "a"}, {"name": "a"}]}) is None


def test_the_declared_hash_reads_as_frictionless_reads_it() -> None:
    from frictionless.helpers import parse_resource_hash_v1

    for text in ("abc", "md5:abc", "sha256:x:y", "", ":"):
        assert parse_hash(text) == parse_resource_hash_v1(text)


# ── constraint values and missing cells ────────────────────────────────────────────────────

_VALUES: list[Any] = [
    0,
    7,
    -3,
    10_000,
    True,
    1.5,
    2.0,
    "5",
    " 5",
    "x",
    "",
    "2024-02-29",
    "2023-02-29",
    "2024-2-9",
    dt.date(2020, 1, 1),
    dt.datetime(2020, 1, 1),
    Decimal("1.5"),
    None,
]


@pytest.mark.parametrize(
    "descriptor",
    [
        {"type": "string"},
        {"type": "string", "format": "uri"},
        {"type": "any"},
        {"type": "integer"},
        {"type": "integer", "bareNumber": False},
        {"type": "number"},
        {"type": "number", "groupChar": ","},
        {"type": "year"},
        {"type": "date"},
        {"type": "date", "format": "%d/%m/%Y"},
        {"type": "boolean"},
    ],
)
def test_constraint_values_read_as_frictionless_reads_them(descriptor: dict[str, Any]) -> None:
    from frictionless import Schema

    full = {"name": "f", **descriptor}
    real = Schema.from_descriptor({"fields": [full]}).fields[0]
    light = LightField(full, lambda: real, [""])
    ours, theirs = light.create_value_reader(), real.create_value_reader()
    for value in _VALUES:
        got, want = ours(value), theirs(value)
        assert (type(got), got) == (type(want), want), (descriptor, value)


@pytest.mark.parametrize("required", [None, False, True])
@pytest.mark.parametrize("own", [None, ["NA", "-"]])
def test_missing_cells_read_as_frictionless_reads_them(required: bool | None, own: list[str] | None) -> None:
    from frictionless import Schema

    field: dict[str, Any] = {"name": "f", "type": "integer"}
    if required is not None:
        field["constraints"] = {"required": required}
    if own is not None:
        field["missingValues"] = own
    descriptor = {"fields": [field], "missingValues": ["", "n/d"]}
    real = Schema.from_descriptor(descriptor).fields[0]
    schema = light_schema(descriptor)
    assert schema is not None
    light = schema.fields[0]
    light._real = lambda: real
    ours, theirs = light.create_cell_reader(), real.create_cell_reader()
    for cell in (None, "", "n/d", "NA", "-", "7", "x", "None"):
        assert ours(cell) == theirs(cell), cell


def test_a_date_example_reads_as_frictionless_reads_it() -> None:
    """Every day and month number from 00 to 99, in leap and common years and at the ends of the
    range: the descriptor check's reading of a date example (``date.fromisoformat``, which spares
    a run the import of ``_strptime``) accepts exactly what frictionless's date field reads."""
    from frictionless import Schema

    reader = (
        Schema.from_descriptor({"fields": [{"name": "d", "type": "date"}]}).fields[0].create_cell_reader()
    )
    for year in ("0000", "0001", "1900", "2000", "2023", "2024", "9999"):
        for text in (f"{year}-{month:02d}-{day:02d}" for month in range(100) for day in range(100)):
            assert lightcheck._reads("date", text) == (reader(text)[1] is None), text


# ── descriptors ────────────────────────────────────────────────────────────────────────────


def test_the_vendored_profiles_are_frictionless_own() -> None:
    """``frictionless_profiles.json`` is a copy: a frictionless upgrade that changes a profile fails here
    (regenerate the copy with the code below)."""
    from frictionless import Package, Resource, Schema, settings, system

    from toolkit.catalog.model import FIELD_TYPES

    fresh: dict[str, Any] = {
        "package": Package.metadata_ensure_profile(),
        "resource": Resource.metadata_ensure_profile(),
        "schema": Schema.metadata_ensure_profile(),
        "fields": {},
        "constraints": {},
        "name_pattern": settings.NAME_PATTERN,
    }
    for t in sorted(FIELD_TYPES):
        cls = system.select_field_class(t)
        fresh["fields"][t] = cls.metadata_ensure_profile()
        fresh["constraints"][t] = [*cls.supported_constraints, "unique"]
    assert json.loads(json.dumps(fresh)) == lightcheck._profiles()


def _keywords(schema: Any) -> set[str]:
    if isinstance(schema, list):
        return set().union(*map(_keywords, schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set(schema)
    for key, value in schema.items():
        found |= set().union(*map(_keywords, value.values())) if key == "properties" else _keywords(value)
    return found


def test_the_profiles_use_only_the_keywords_read_here() -> None:
    profiles = lightcheck._profiles()
    every = [profiles["package"], profiles["resource"], profiles["schema"], *profiles["fields"].values()]
    unknown = set().union(*map(_keywords, every)) - lightcheck.KEYWORDS
    assert unknown <= {"item"}  # a typo in frictionless's resource profile: jsonschema ignores it too


def _same_as_jsonschema(kind: str, descriptor: Any, name: str = "") -> None:
    from jsonschema.validators import validator_for

    profile = lightcheck._profiles()[kind][name] if name else lightcheck._profiles()[kind]
    want = validator_for(profile)(profile).is_valid(descriptor)
    assert lightcheck._validator(kind, name).is_valid(descriptor) == want, (kind, name, descriptor)


def _frictionless_schema_problems(schema: dict[str, Any]) -> list[str]:
    """What model._schema_problems asks frictionless: its notes, and constraint values it cannot read."""
    import re

    from frictionless import FrictionlessException, Schema

    try:
        notes = [e.note for e in Schema.metadata_validate(copy.deepcopy(schema))]
        if notes:
            return notes
        fields = Schema.from_descriptor(copy.deepcopy(schema)).fields
    except FrictionlessException as ex:
        return [str(ex)]
    for f in fields:
        read = f.create_value_reader()
        for name, value in (f.constraints or {}).items():
            if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum") and read(value) is None:
                notes.append(name)
            if name == "pattern":
                try:
                    re.compile(str(value))
                except re.error:
                    notes.append(name)
    return notes


def _shipped_schemas() -> list[dict[str, Any]]:
    return [
        normalize_schema(yaml.safe_load(p.read_text("utf-8")))
        for p in sorted((ROOT / "schemas").glob("*.schema.yaml"))
    ]


_ODD = st.sampled_from(
    [
        "x",
        "",
        5,
        -1,
        1.5,
        True,
        None,
        [],
        {},
        "2024-01-01",
        "2024-13-01",
        "[a-",
        ["a", "a"],
        {"value": "NA"},
        "https://datapackage.org/profiles/1.0/tableschema.json",
        "https://example.org/x.json",
    ]
)
_FIELD_KEYS = st.sampled_from(
    ["type", "format", "example", "required", "missingValues", "name", "trueValues", "groupChar", "$schema"]
)
_CONSTRAINTS = st.sampled_from(
    ["minimum", "maximum", "exclusiveMinimum", "pattern", "enum", "required", "minLength", "unique", "bogus"]
)


@settings(max_examples=250, deadline=None)
@given(data=st.data())
def test_a_schema_called_fine_has_no_frictionless_problem(data: st.DataObject) -> None:
    """A shipped schema with one property changed: when ``schema_fine`` says it is fine, frictionless
    has nothing to say either (the reverse need not hold: frictionless then words the findings)."""
    schemas = _shipped_schemas()
    schema = copy.deepcopy(data.draw(st.sampled_from(schemas)))
    field = data.draw(st.sampled_from(schema["fields"]))
    where = data.draw(st.sampled_from(["field", "constraint", "schema", "key"]))
    value = data.draw(_ODD)
    if where == "field":
        field[data.draw(_FIELD_KEYS)] = value
    elif where == "constraint":
        field.setdefault("constraints", {})[data.draw(_CONSTRAINTS)] = value
    elif where == "schema":
        schema[data.draw(st.sampled_from(["missingValues", "$schema", "primaryKey", "fieldsMatch"]))] = value
    else:
        schema["foreignKeys"] = [{"fields": [field["name"]], "reference": {"resource": "", "fields": value}}]
    _same_as_jsonschema("schema", schema)
    for f in schema["fields"]:
        if isinstance(f.get("type"), str) and f["type"] in lightcheck._profiles()["fields"]:
            _same_as_jsonschema("fields", f, f["type"])
    if lightcheck.schema_fine(schema):
        assert _frictionless_schema_problems(schema) == []


def test_the_shipped_schemas_are_fine_without_frictionless() -> None:
    for schema in _shipped_schemas():
        assert lightcheck.schema_fine(schema)
        assert _frictionless_schema_problems(schema) == []


def test_a_schema_frictionless_rejects_is_not_fine() -> None:
    schema = _shipped_schemas()[0]
    for change in (
        lambda s: s["fields"].append(dict(s["fields"][0])),  # a repeated name
        lambda s: s.update(primaryKey=["nobody"]),
        lambda s: s["fields"][0].update(type="integer", example="x"),
        lambda s: s["fields"][0].update(constraints={"minimum": "x"}),
    ):
        broken = copy.deepcopy(schema)
        change(broken)
        assert _frictionless_schema_problems(broken)
        assert not lightcheck.schema_fine(broken)


_PACKAGE_ODD = st.sampled_from(
    ["x", "", 5, [], {}, ["a"], [{"name": "x"}], [{"title": "x"}], "Bad Name", "https://example.org/x.json"]
)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_package_called_fine_has_no_frictionless_problem(data: st.DataObject) -> None:
    """The shipped packages, and their resources, with one property changed: ``package_fine`` and
    ``resource_fine`` never call fine what frictionless finds a problem in (that the catalog's own
    checks do not already word)."""
    from frictionless import Package, Resource

    slugs = sorted(p.parent.name for p in (ROOT / "datasets").glob("*/datapackage.yaml"))
    slug = data.draw(st.sampled_from(slugs))
    meta = json.loads(
        json.dumps(yaml.safe_load((ROOT / "datasets" / slug / "datapackage.yaml").read_text()), default=str)
    )
    resources = meta.pop("resources")
    key = data.draw(
        st.sampled_from(["name", "licenses", "keywords", "$schema", "profile", "image", "homepage", "x"])
    )
    if data.draw(st.booleans()):
        package = {**meta, key: data.draw(_PACKAGE_ODD), "resources": [{"name": "x", "path": "x"}]}
        _same_as_jsonschema("package", package)
        if lightcheck.package_fine(package):
            notes = [e.note for e in Package.metadata_validate(package)]
            assert [n for n in notes if not n.startswith('property "') and "should be set as" not in n] == []
    else:
        res = {
            k: v for k, v in data.draw(st.sampled_from(resources)).items() if k not in ("schema", "dialect")
        }
        res[data.draw(st.sampled_from(["mediatype", "licenses", "format", "bytes", "title", "x"]))] = (
            data.draw(_PACKAGE_ODD)
        )
        _same_as_jsonschema("resource", res)
        if lightcheck.resource_fine(res):
            notes = [e.note for e in Resource.metadata_validate(res)]
            assert [n for n in notes if "at property 'name'" not in n and "at property 'path'" not in n] == []


# ── a whole run ────────────────────────────────────────────────────────────────────────────

_IN_PROCESS = """
import json, sys
from toolkit.cli import main
sys.argv = ["ciudades", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def _modules_and_output(*args: str, cwd: Path = ROOT) -> tuple[set[str], str]:
    """``ciudades ARGS`` run in a fresh interpreter: the modules it imported and its output."""
    proc = subprocess.run(
        [sys.executable, "-c", _IN_PROCESS, *args], capture_output=True, text=True, cwd=cwd, check=False
    )
    lines = proc.stdout.strip().splitlines()
    assert lines, proc.stderr
    return set(json.loads(lines[-1])), "\n".join(lines[:-1])


def _run(*args: str, cwd: Path = ROOT) -> tuple[bool, str]:
    """Whether ``ciudades ARGS`` imported frictionless, and its output."""
    modules, out = _modules_and_output(*args, cwd=cwd)
    return "frictionless" in modules, out


def test_validating_the_shipped_catalog_never_imports_frictionless() -> None:
    imported, out = _run("validate", "datasets", "--format", "json")
    assert not imported
    fast = json.loads(out)
    assert fast["valid"]
    _, out = _run("validate", "datasets", "--format", "json", "--engine", "frictionless")
    assert json.loads(out)["findings"] == fast["findings"]


def test_validating_one_small_csv_never_imports_frictionless() -> None:
    imported, out = _run(
        "validate",
        "datasets/bogota/partners.csv",
        "--schema",
        "schemas/partners.schema.yaml",
        "--format",
        "json",
    )
    assert not imported
    assert json.loads(out)["valid"]


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "datasets"],
        ["validate", "datasets/bogota/partners.csv", "--schema", "schemas/partners.schema.yaml"],
        ["validate", "datasets", "--format", "json"],
    ],
)
def test_a_validate_run_imports_nothing_it_does_not_use(args: list[str]) -> None:
    """Downloads (``--allow-remote``: sockets, hashes, temporary folders), a catalog's ``standard:``
    pin (packaging) and JUnit XML import their modules when asked for; a run without them does not
    pay for importing them. Nor for numpy's masked arrays (10 ms), which ``pa.array`` of a NumPy
    array and ``np.unique`` import to ask whether an array is one, nor for ``pyarrow.compute``
    (20 to 30 ms of docstrings), which pyarrow's ``take``, ``filter``, ``cast``… import, nor for
    ``_strptime`` when every cell and example date reads from its digits, nor for ``hashlib``
    (OpenSSL, 3 ms) when no table declares a ``hash`` or ``bytes``."""
    imported, _ = _modules_and_output(*args)
    assert "toolkit.validation.validator" in imported
    unused = {
        "toolkit.catalog.remote",
        "packaging.specifiers",
        "xml.etree.ElementTree",
        "numpy.ma",
        "pyarrow.compute",
        "_strptime",
        "hashlib",
    }
    assert sorted(imported & unused) == []


def test_a_spoiled_catalog_gets_frictionless_findings(catalog_copy: Path) -> None:
    """Wrong cells, a renamed column and a wrong declared size: both engines find the same."""
    from csvedit import edit_cell

    edit_cell(catalog_copy / "bogota" / "funding.csv", 1, "period_end", "2019-02-30")
    edit_cell(catalog_copy / "montevideo" / "partners.csv", 2, "partner_type", "red")
    edit_cell(catalog_copy / "ciudad-de-mexico" / "agreements.csv", 3, "counterpart_id", "nadie")
    edit_cell(catalog_copy / "quito" / "funding.csv", 2, "amount", "-5")
    partners = catalog_copy / "medellin" / "partners.csv"
    header, rest = partners.read_text("utf-8").split("\n", 1)
    partners.write_text(header.replace(",notes", ",notas") + "\n" + rest, "utf-8")  # renamed in place
    modules, fast = _modules_and_output(
        "validate", str(catalog_copy), "--format", "json", cwd=catalog_copy.parent
    )
    assert sorted({"pyarrow.compute", "_strptime"} & modules) == []  # nor reading spoiled cells, a date too
    _, slow = _run(
        "validate", str(catalog_copy), "--format", "json", "--engine", "frictionless", cwd=catalog_copy.parent
    )
    found = json.loads(fast)["findings"]
    assert {f["code"] for f in found} >= {"constraint-error", "type-error", "foreign-key", "incorrect-label"}
    assert found == json.loads(slow)["findings"]


def test_the_fix_for_a_country_or_currency_name_never_imports_pycountry(tmp_path: Path) -> None:
    """The code a country or currency name stands for comes from pycountry's data files: a run
    that suggests one does not import pycountry (40 ms of imports on a spoiled table's run)."""
    (tmp_path / "t.csv").write_text("id,country,currency\n1,méxico,dólares\n2,MX,USD\n", "utf-8")
    schema = {
        "fields": [
            {"name": "id", "type": "integer"},
            {"name": "country", "codeSystem": "iso3166-1-alpha2"},
            {"name": "currency", "codeSystem": "iso4217"},
        ]
    }
    (tmp_path / "t.schema.yaml").write_text(yaml.safe_dump(schema), "utf-8")
    modules, out = _modules_and_output(
        "validate", "t.csv", "--schema", "t.schema.yaml", "--format", "json", "--lang", "es", cwd=tmp_path
    )
    assert "pycountry" not in modules
    hints = [f["hint"] for f in json.loads(out)["findings"]]
    assert any("«MX» para México" in h for h in hints), hints
    assert any("«USD» en lugar de «dólares»" in h for h in hints), hints
