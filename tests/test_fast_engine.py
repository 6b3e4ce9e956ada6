"""The fast engine gives the same findings as the frictionless path: differential tests.

Each test validates the same files with ``engine="frictionless"`` and ``engine="fast"`` and
compares the whole findings (code, file, row, line, field, column, value, messages, order).
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import json
import random
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from toolkit import validate
from toolkit.validation.fast import blocks
from toolkit.validation.fast import table as fasttable

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini.schema.yaml"
MINI_HEADER = "item_id,name,amount,currency,start_date,end_date,country,source_url\n"
_spec = importlib.util.spec_from_file_location("synth", ROOT / "benchmarks" / "synth.py")
assert _spec and _spec.loader
synth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(synth)


def both(path: Path, *, schema: Path | None = None, **kw):
    """Findings of both engines, and the fast engine's log (which engine checked what)."""
    log: list[str] = []
    slow = validate(path, schema=schema, engine="frictionless", **kw)
    fast = validate(path, schema=schema, engine="fast", log=log.append, **kw)
    return slow, fast, log


def assert_same(slow, fast) -> None:
    assert [f.to_dict("en") for f in fast.findings] == [f.to_dict("en") for f in slow.findings]
    assert fast.findings == slow.findings
    assert (fast.rows, fast.resources) == (slow.rows, slow.resources)


@pytest.fixture(scope="session")
def spoiled(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Synthetic catalogs from the project's schemas with about 15% of rows spoiled."""
    roots = []
    for seed in range(3):
        root = tmp_path_factory.mktemp(f"spoiled{seed}")
        synth.make_catalog(
            root,
            partners=120,
            agreements=120,
            funding=120,
            bad=0.15,
            seed=seed,
            bom=seed == 1,
            profiles=["cdmx"] if seed != 2 else [],
        )
        roots.append(root / "datasets")
    return roots


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("limit", [1000, 25])
@pytest.mark.parametrize("block_bytes", [None, 1500])
def test_spoiled_catalog_same_findings(
    spoiled: list[Path], seed: int, limit: int, block_bytes: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if block_bytes:  # many small blocks: records and quoted line breaks straddle block edges
        monkeypatch.setattr(blocks, "BLOCK_BYTES", block_bytes)
    slow, fast, log = both(spoiled[seed], limit_errors=limit)
    assert_same(slow, fast)
    assert len(slow.findings) > 40
    assert all("fast engine" in line for line in log), log


@pytest.mark.parametrize("seed", range(3))
def test_spoiled_catalog_same_findings_before_merging(
    spoiled: list[Path], seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engines agree on every frictionless error, also the ones ``one_per_mistake`` then merges
    into one finding (a repeated key's ``unique-error``, a pattern's code-system finding)."""
    monkeypatch.setattr(
        importlib.import_module("toolkit.validation.validator"), "one_per_mistake", lambda found: found
    )
    slow, fast, _ = both(spoiled[seed])
    assert_same(slow, fast)
    assert "unique-error" in {f.code for f in fast.findings}


def test_every_kind_of_seeded_error_is_covered(spoiled: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # what the engines find, before one_per_mistake merges two findings of one mistake
    monkeypatch.setattr(
        importlib.import_module("toolkit.validation.validator"), "one_per_mistake", lambda found: found
    )
    codes: set[str] = set()
    for root in spoiled:
        codes |= {f.code for f in validate(root, engine="fast", limit_errors=100_000).findings}
    expected = {
        "type-error",
        "constraint-error",
        "missing-cell",
        "extra-cell",
        "blank-row",
        "primary-key",
        "unique-error",
        "foreign-key",
        "utf8-bom",
        "url-invalid",
        "currency-code",
        "country-code",
        "claim-group-single",
        "cdmx-iso-date",
    }
    assert expected <= codes, expected - codes


def test_valid_synthetic_catalog(tmp_path: Path) -> None:
    synth.make_catalog(tmp_path, partners=80, agreements=80, funding=80, seed=7)
    slow, fast, _ = both(tmp_path / "datasets")
    assert_same(slow, fast)
    assert fast.errors == []
    assert fast.rows == 240


def test_shipped_catalog_same_findings() -> None:
    slow, fast, _ = both(ROOT / "datasets")
    assert_same(slow, fast)


@pytest.mark.parametrize(
    "path", sorted((ROOT / "tests" / "fixtures" / "csv").glob("*.csv")), ids=lambda p: p.name
)
def test_csv_fixtures_same_findings(path: Path) -> None:
    slow, fast, _ = both(path, schema=MINI)
    assert_same(slow, fast)


EDGE_SCHEMA = {
    "name": "edge",
    "missingValues": ["", "NA", "-"],
    "primaryKey": ["code", "year"],
    "foreignKeys": [{"fields": ["parent"], "reference": {"resource": "", "fields": ["code"]}}],
    "fields": [
        {
            "name": "code",
            "type": "string",
            "constraints": {"required": True, "pattern": "[a-z]+[0-9]*", "maxLength": 8},
        },
        {"name": "year", "type": "year", "constraints": {"minimum": 1900}},
        {"name": "parent", "type": "string"},
        {
            "name": "count",
            "type": "integer",
            "constraints": {"minimum": 0, "maximum": 1000000, "unique": True},
        },
        {
            "name": "share",
            "type": "number",
            "decimalChar": ",",
            "groupChar": ".",
            "constraints": {"maximum": 100},
        },
        {"name": "price", "type": "number", "bareNumber": False},
        {"name": "flag", "type": "boolean", "trueValues": ["sí", "yes"], "falseValues": ["no"]},
        {"name": "day", "type": "date", "constraints": {"minimum": "2000-01-01"}},
        {"name": "stamp", "type": "datetime"},
        {"name": "month_day", "type": "date", "format": "%d/%m/%Y"},
        {"name": "mail", "type": "string", "format": "email"},
        {"name": "web", "type": "string", "format": "uri"},
        {"name": "kind", "type": "string", "constraints": {"enum": ["a", "b", "c"], "minLength": 1}},
        {"name": "level", "type": "integer", "constraints": {"enum": [1, 2, 3]}},
        {"name": "blob", "type": "any", "constraints": {"required": True}},
    ],
}
EDGE_ROWS = [
    [
        "abc",
        "2000",
        "",
        "1",
        "1.234,5",
        "$12",
        "sí",
        "2020-02-29",
        "2020-01-01T10:00:00Z",
        "31/12/2020",
        "a@example.org",
        "https://example.org",
        "a",
        "1",
        "x",
    ],
    [
        "abd",
        "2001",
        "abc",
        "007",
        "12,50",
        "12 EUR",
        "no",
        "2020-02-30",
        "2020-01-01",
        "31/02/2020",
        "not-an-email",
        "www.example.org",
        "d",
        "4",
        "",
    ],
    [
        "ABC",
        "1899",
        "zzz",
        "1.0",
        "1.5",
        "-",
        "yes",
        "2021-2-3",
        "NA",
        "1/1/2020",
        "NA",
        "mailto:x",
        "",
        "01",
        " ",
    ],
    [
        "abc",
        "2000",
        "abd",
        "99999999999999999999",
        "١٢",
        "1e3",
        "True",
        " 2020-01-01",
        "x",
        "",
        "",
        "HTTP://X",
        "b",
        "2",
        "ñandú",
    ],
    ["abe\n", "0000", "", " 5", "100,0", "abc", "sí ", "0000-01-01", "", "", "", "h:", "c", "3", "Ω"],
    ["abf", "12", "", "5", "100,01", "-0", "", "1999-12-31", "", "", "", "", "cc", "-1", "z"],
    ["", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
    ["abg", "2002"],
    ["abh", "2003", "", "6", "1", "1", "no", "2020-01-01", "", "", "", "", "a", "1", "y", "extra", "more"],
    ["abi", "2004", "", "+7", "1_000", "Infinity", "no", "2020-01-01", "", "", "", "", "a", "1", "w"],
]


def _write(path: Path, header: list[str], rows: list[list[str] | None], *, bom: bool = False) -> None:
    synth.write_csv(path, header, rows, bom=bom)


@pytest.mark.parametrize("bom", [False, True])
def test_edge_cases_same_findings(tmp_path: Path, bom: bool) -> None:
    schema = tmp_path / "edge.schema.yaml"
    schema.write_text(yaml.safe_dump(EDGE_SCHEMA, allow_unicode=True), encoding="utf-8")
    data = tmp_path / "edge.csv"
    rows: list[list[str] | None] = [*EDGE_ROWS[:3], None, *EDGE_ROWS[3:]]
    _write(data, [f["name"] for f in EDGE_SCHEMA["fields"]], rows, bom=bom)
    slow, fast, log = both(data, schema=schema, limit_errors=10_000)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log
    assert len(slow.findings) > 40


def test_duplicate_labels_and_header_problems(tmp_path: Path) -> None:
    schema = tmp_path / "s.yaml"
    schema.write_text(
        yaml.safe_dump({"fields": [{"name": n, "type": "string"} for n in ("a", "b", "c")]}), encoding="utf-8"
    )
    data = tmp_path / "t.csv"
    data.write_text("a,a,,d\n1,2,3,4\n5,6\n", encoding="utf-8")
    slow, fast, _ = both(data, schema=schema)
    assert_same(slow, fast)
    assert {"duplicate-label", "blank-label", "extra-label"} <= {f.code for f in fast.findings}


def test_stray_quote_falls_back_to_frictionless(tmp_path: Path) -> None:
    data = tmp_path / "q.csv"
    data.write_text('item_id,name,source_url\nab"c,x,https://e.org\n', encoding="utf-8")
    slow, fast, log = both(data, schema=MINI)
    assert_same(slow, fast)
    assert any("frictionless engine" in line and "quote" in line for line in log), log


def test_bytes_not_utf8_after_the_first_megabyte_fall_back(tmp_path: Path) -> None:
    """The pre-check reads the first MiB only; the engine checks UTF-8 itself block by block (not
    pyarrow), so a Latin-1 «ñ» far into the file still sends the table to the frictionless path."""
    data = tmp_path / "late.csv"
    rows = "".join(f"i-{k},nombre {k},,,,,,https://e.org/{k}\n" for k in range(40_000))
    data.write_bytes((MINI_HEADER + rows).encode("utf-8") + b"i-x,Espa\xf1a,,,,,,https://e.org\n")
    assert data.stat().st_size > 1 << 20
    slow, fast, log = both(data, schema=MINI)
    assert_same(slow, fast)
    assert "encoding-not-utf8" in [f.code for f in fast.findings]
    assert any("frictionless engine" in line and "UTF-8" in line for line in log), log


def test_key_on_a_number_field_falls_back(tmp_path: Path) -> None:
    schema = tmp_path / "s.yaml"
    schema.write_text(
        yaml.safe_dump({"primaryKey": ["x"], "fields": [{"name": "x", "type": "number"}]}), encoding="utf-8"
    )
    data = tmp_path / "n.csv"
    data.write_text("x\n1.0\n1\n1.5\n", encoding="utf-8")
    slow, fast, log = both(data, schema=schema)
    assert_same(slow, fast)
    assert "primary-key" in [f.code for f in fast.findings]
    assert any("frictionless engine" in line for line in log), log


def test_hash_collisions_never_become_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Duplicates are found by 64-bit hashes and confirmed on the real values: with a hash that
    collides for every key the findings are still exactly frictionless's."""
    import numpy as np

    constant = lambda values: np.zeros(len(values), dtype=np.uint64)  # noqa: E731
    monkeypatch.setattr(fasttable, "hash64", constant)  # the keys' stores and the foreign keys' lookups
    folder = synth.make_catalog(tmp_path, partners=60, agreements=60, funding=60, bad=0.2, seed=3)
    slow, fast, _ = both(folder.parent)
    assert_same(slow, fast)
    assert any(f.code == "foreign-key" for f in fast.findings)


def test_key_set_is_exact_whatever_the_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    import numpy as np
    import pyarrow as pa

    keys = pa.array(["a-1", "a-2", "a-10", "ñ", ""], pa.string())
    probe = pa.array(["a-1", "a-3", "", "ñ", "a-10", "a-100", "A-1"], pa.string())
    expected = [True, False, True, True, True, False, False]
    assert fasttable.KeySet(keys).contains(probe).tolist() == expected
    monkeypatch.setattr(fasttable, "hash64", lambda values: np.zeros(len(values), dtype=np.uint64))
    assert fasttable.KeySet(keys).contains(probe).tolist() == expected
    assert fasttable.KeySet(pa.array([], pa.string())).contains(probe).tolist() == [False] * 7


def test_hash64_is_stable_and_spreads() -> None:
    import pyarrow as pa

    values = pa.array([f"id-{i}" for i in range(20_000)] + ["", "ñ", "id-1"])
    hashes = fasttable.hash64(values)
    assert len(set(hashes.tolist())) == 20_002  # only "id-1" twice
    assert hashes[1] == hashes[-1]
    assert fasttable.hash64(values.slice(5, 3)).tolist() == hashes[5:8].tolist()


def test_hash_powers_grow_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """The powers of P (and of its inverse) are doubled by multiplying the first half by P**n: each
    one is still P**i modulo 2**64, however many doublings it took to reach it."""
    import numpy as np

    monkeypatch.setattr(fasttable, "_POWERS", (np.ones(1, dtype=np.uint64),) * 2)  # as in a fresh process
    assert [len(t) for t in fasttable._powers(0)] == [1, 1]
    for n in (1, 2, 3, 1000, 70_000):
        pw, ipw = fasttable._powers(n)
        assert len(pw) > n and len(ipw) > n
        for i in {0, 1, n // 2, n - 1, n, len(pw) - 1}:
            assert int(pw[i]) == pow(fasttable._P, i, 1 << 64)
            assert int(pw[i]) * int(ipw[i]) % (1 << 64) == 1


def test_snan_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    """Accepted difference: frictionless crashes (decimal.InvalidOperation) comparing a signalling
    NaN with a bound; both engines read it as the quiet NaN it stands for and report the
    constraint error a quiet NaN gets, and the command ends with exit 1, not 3."""
    from click.testing import CliRunner

    from toolkit.cli import cli

    data = tmp_path / "n.csv"
    data.write_text(
        MINI_HEADER + "a,b,sNaN,USD,,,,https://e.org\nb,c,-snan1,USD,,,,https://e.org\n", encoding="utf-8"
    )
    slow, fast, log = both(data, schema=MINI)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log
    assert [(f.code, f.field, f.value) for f in fast.findings] == [
        ("constraint-error", "amount", "sNaN"),
        ("constraint-error", "amount", "-snan1"),
    ]
    assert fast.findings[0].message("en") == (
        "'sNaN' means 'not a number' (NaN) and cannot meet the bound of 'amount' (0)."
    )
    result = CliRunner().invoke(cli, ["validate", str(data), "--schema", str(MINI), "--lang", "en"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output


def test_snan_in_enums_and_keys(tmp_path: Path) -> None:
    """sNaN in an enum, a unique field and a primary key: frictionless raises InvalidOperation or
    TypeError ("Cannot hash a signaling NaN value"); read as NaN it fails the enum and is never a
    duplicate, as NaN is not."""
    schema = tmp_path / "s.yaml"
    schema.write_text(
        yaml.safe_dump(
            {
                "primaryKey": ["k"],
                "fields": [
                    {"name": "k", "type": "number"},
                    {"name": "e", "type": "number", "constraints": {"enum": [1, 2]}},
                    {"name": "u", "type": "number", "constraints": {"unique": True}},
                ],
            }
        ),
        encoding="utf-8",
    )
    data = tmp_path / "n.csv"
    data.write_text("k,e,u\nsNaN,sNaN,sNaN\nsNaN,1,sNaN\n1,2,3\n", encoding="utf-8")
    slow, fast, _ = both(data, schema=schema)
    assert_same(slow, fast)
    found = [(f.code, f.row, f.field) for f in fast.findings if f.code != "source-field-missing"]
    assert found == [("constraint-error", 2, "e")]


def test_special_numbers_are_what_frictionless_makes_of_them(tmp_path: Path) -> None:
    """NaN, Infinity, -0, 1e999, 400 digits, full-width and Arabic-Indic digits…: both engines give
    frictionless's own findings (sNaN as the NaN it stands for, where frictionless crashes)."""
    from frictionless import Resource, Schema

    sys.path.insert(0, str(ROOT))  # the fuzz targets hold the special numbers
    from fuzz.targets import NUMBERS_SCHEMA, SPECIAL_NUMBERS

    header = [f["name"] for f in NUMBERS_SCHEMA["fields"]]
    cells = SPECIAL_NUMBERS
    rows = [[cells[(i + k) % len(cells)] for k in range(len(header))] for i in range(len(cells))]
    schema = tmp_path / "s.json"
    schema.write_text(json.dumps(NUMBERS_SCHEMA), encoding="utf-8")
    data = tmp_path / "n.csv"
    _write(data, header, rows)
    slow, fast, log = both(data, schema=schema, limit_errors=10_000)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log
    quiet = tmp_path / "quiet.csv"
    # What frictionless reads as a Decimal sNaN (it parses floatNumber fields with float(), which
    # rejects "sNaN" as a type error) is given to it as the quiet NaN it stands for.
    decimal = [f["type"] == "number" and not f.get("floatNumber") for f in NUMBERS_SCHEMA["fields"]]
    quieted = [
        [c.replace("sNaN", "NaN").replace("snan", "nan") if d else c for c, d in zip(r, decimal, strict=True)]
        for r in rows
    ]
    _write(quiet, header, quieted)
    oracle = Resource(
        path=quiet.name, basepath=str(tmp_path), schema=Schema.from_descriptor(NUMBERS_SCHEMA)
    ).validate(limit_errors=10_000)
    expected = [(e.type, e.row_number, e.field_name) for e in oracle.tasks[0].errors]
    ours = [(f.code, f.row, f.field) for f in slow.findings if f.code in ("type-error", "constraint-error")]
    assert ours == expected
    assert {"type-error", "constraint-error"} <= {code for code, *_ in expected}


@pytest.mark.parametrize("number", ["Infinity", "-0", "1e999", "9" * 400, "１２３", "١٢", "1_000", " 7 "])
def test_unusual_numbers_that_are_valid(tmp_path: Path, number: str) -> None:
    data = tmp_path / "n.csv"
    _write(data, MINI_HEADER.strip().split(","), [["a", "b", number, "USD", "", "", "", "https://e.org"]])
    slow, fast, _ = both(data, schema=MINI)
    assert_same(slow, fast)
    assert fast.findings == []


def test_engine_option_and_debug_log(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from toolkit.cli import cli

    data = tmp_path / "t.csv"
    data.write_text(MINI_HEADER + "a,b,,,,,,https://e.org\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", str(data), "--schema", str(MINI), "--engine", "fast", "--debug"])
    assert result.exit_code == 0, result.output
    assert "fast engine, 1 rows" in result.stderr
    bad = runner.invoke(cli, ["validate", str(data), "--schema", str(MINI), "--engine", "turbo"])
    assert bad.exit_code == 2


# ── random tables and schemas ────────────────────────────────────────────────────────────────

CELLS = [
    "",
    "NA",
    " ",
    "0",
    "1",
    "-1",
    "007",
    "1.0",
    "1,5",
    "1.234,5",
    "1e3",
    "abc",
    "ABC",
    "a b",
    "ñ",
    "Ω",
    "true",
    "False",
    "yes",
    "2020-01-01",
    "2020-02-30",
    "2021-2-3",
    "0000-01-01",
    "2020",
    "99999999999999999999",
    "https://example.org",
    "mailto:x",
    "x@y.org",
    "a\nb",
    'q"q',
    "a,b",
    " 5",
    "5 ",
    "+5",
    "١",
    "NaN",
]
FIELD = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["string", "integer", "number", "boolean", "date", "year", "any", "datetime"]
        ),
        "required": st.booleans(),
        "unique": st.booleans(),
        "pattern": st.sampled_from([None, "[a-z]+", "[0-9]{1,3}", "a|b", ".*"]),
        "bounds": st.sampled_from([None, (0, 10), (-5, None)]),
        "enum": st.booleans(),
        "format": st.sampled_from([None, None, "uri", "email"]),
    }
)


def _field(i: int, spec: dict) -> dict:
    f: dict = {"name": f"f{i}", "type": spec["type"]}
    c: dict = {}
    if spec["required"]:
        c["required"] = True
    if spec["unique"] and spec["type"] in ("string", "integer", "date", "year", "boolean"):
        c["unique"] = True
    if spec["type"] == "string":
        if spec["pattern"]:
            c["pattern"] = spec["pattern"]
        if spec["format"]:
            f["format"] = spec["format"]
        if spec["enum"]:
            c["enum"] = ["a", "abc", "1"]
        if spec["bounds"]:
            c["maxLength"] = 3
    # Only integer and number bounds: frictionless itself crashes on a negative bound of a year.
    if spec["type"] in ("integer", "number") and spec["bounds"]:
        lo, hi = spec["bounds"]
        c["minimum"] = lo
        if hi is not None:
            c["maximum"] = hi
    if spec["type"] == "integer" and spec["enum"]:
        c["enum"] = [0, 1, 7]
    if c:
        f["constraints"] = c
    return f


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.lists(FIELD, min_size=1, max_size=5),
    rows=st.lists(st.lists(st.sampled_from(CELLS), min_size=0, max_size=6), min_size=0, max_size=12),
    pk=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_random_tables_same_findings(
    tmp_path_factory: pytest.TempPathFactory, fields, rows, pk, seed
) -> None:
    folder = tmp_path_factory.mktemp("random")
    schema: dict = {"fields": [_field(i, f) for i, f in enumerate(fields)]}
    keyable = [f["name"] for f in schema["fields"] if f["type"] in ("string", "integer", "date", "year")]
    if pk and keyable:
        schema["primaryKey"] = random.Random(seed).sample(keyable, min(2, len(keyable)))
    (folder / "s.yaml").write_text(json.dumps(schema), encoding="utf-8")
    header = [f["name"] for f in schema["fields"]]
    _write(folder / "t.csv", header, [r for r in rows])
    slow, fast, _ = both(folder / "t.csv", schema=folder / "s.yaml", limit_errors=50)
    assert_same(slow, fast)


PRIVATE_CELLS = [
    "escribe a maria.lopez@example.org",
    "Tel. +52 (55) 5345-8000",
    "55 1234 5678",
    "5512345678",
    "f-100000-1000",  # an id that looks like digits, not a phone
    "a.1234567890",
    "20230115123456",  # a timestamp, not a phone
    "CURP GOLM800101HDFRPR09",
    "curp golm800101hdfrpr09",
    "RFC GOLM800101AB1",
    "rfc muñe800101ab1",
    '=HYPERLINK("http://x")',
    "+5215512345678",
    "-3.5",
    "@alias",
    "\tconsigna",
    "«5512345678»",
    "teléfono\u00a055\u00a01234\u00a05678",
    "٥٥١٢٣٤٥٦٧٨",  # Arabic-Indic digits
    "ｍａｒｉａ@example.org",
    "Nota 8, con coma y «comillas»",
    "NA",
    "",
]


@pytest.mark.parametrize("public", [False, True])
def test_personal_data_and_formulas_same_findings(tmp_path: Path, public: bool) -> None:
    schema = {
        "missingValues": ["", "NA"],
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "contact", "type": "string", **({"publicContact": True} if public else {})},
            {"name": "web", "type": "string", "format": "uri"},
            {"name": "amount", "type": "number"},
            {"name": "notes", "type": "string"},
        ],
    }
    (tmp_path / "s.yaml").write_text(json.dumps(schema), encoding="utf-8")
    rng = random.Random(7)
    rows: list[list[str] | None] = [
        [f"r{i}", cell, rng.choice(PRIVATE_CELLS), "1", rng.choice(PRIVATE_CELLS)]
        for i, cell in enumerate(PRIVATE_CELLS)
    ]
    rows.append(["short"])  # missing cells are not scanned
    _write(tmp_path / "t.csv", [f["name"] for f in schema["fields"]], rows)
    slow, fast, log = both(tmp_path / "t.csv", schema=tmp_path / "s.yaml", limit_errors=10_000)
    assert_same(slow, fast)
    assert any("fast engine" in line for line in log), log
    codes = {f.code for f in fast.findings}
    assert {"personal-data", "formula-injection"} <= codes


_NOISE = st.text(alphabet=[*" .-()+@=&_/aAeExXñÑß\t\u00a0«,", "ǅ", "ı"], max_size=4)
_DIGIT = st.sampled_from([*"0123456789", "٣", "５"])
_SEP = st.sampled_from(["", "", "", " ", ".", "-", "(", ")", "\u00a0", "\x1c", "+"])
_DIGITS = st.lists(st.tuples(_DIGIT, _SEP), min_size=8, max_size=15).map(
    lambda pairs: "".join(a + b for a, b in pairs)
)
_LETTERS = st.text(alphabet=list("AEIOUXZNMHTSaeioñÑß&ǅı"), min_size=2, max_size=5)


@settings(max_examples=1500, deadline=None)
@given(
    st.tuples(
        _NOISE,
        st.one_of(
            _DIGITS,
            st.tuples(_LETTERS, _DIGITS).map("".join),
            st.sampled_from(PRIVATE_CELLS),
            st.text(max_size=20),
        ),
        _NOISE,
    ).map("".join),
    st.lists(
        st.sampled_from(["", "a", "7", "x1", "12345", "ab-", "é", "f-100000-5000", "Añil 9"]), max_size=70
    ),
    st.integers(0, 70),
    st.integers(0, 3),
)
def test_fast_privacy_prefilter_never_misses_a_cell(text: str, others: list[str], at: int, skip: int) -> None:
    """The cells picked for ``privacy.py`` include every cell it would flag, wherever the cell
    lies in a run of cells searched together (at its start, its end, alone) or searched alone (a
    small block), in a sliced array."""
    import numpy as np
    import pyarrow as pa

    from toolkit.validation import privacy
    from toolkit.validation.fast import domain as fastdomain

    formula = privacy.looks_like_formula(text)
    personal = privacy.personal_data_kind(text) is not None
    event(f"flagged: {formula or personal}")
    if not (formula or personal):
        return
    at = min(at, len(others))
    cells = ["pad"] * skip + others[:at] + [text] + others[at:]
    arr = pa.array(cells, pa.string())[skip:]
    wide = arr.cast(pa.large_string())  # a block whose columns differ in type
    mask = np.ones(len(arr), dtype=bool)
    saved = fastdomain.SMALL
    try:
        for small in (0, 10**9):  # runs of cells, then the pattern on each cell
            fastdomain.SMALL = small
            for hits in [*fastdomain._hits([arr], [True]), *fastdomain._hits([arr, wide], [True, True])]:
                assert at in fastdomain._suspects(arr, mask, hits), repr(text)
            if formula:  # in a field not scanned for personal data
                hits = fastdomain._hits([arr], [False])
                assert at in fastdomain._suspects(arr, mask, hits[0] if small else None), repr(text)
    finally:
        fastdomain.SMALL = saved


_DATEISH = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.text(alphabet="0123456789-/ +٣０x\n", min_size=8, max_size=12),
    st.tuples(st.dates(), st.integers(0, 9), st.sampled_from("0-/:x ٣０\n")).map(
        lambda t: t[0].isoformat()[: t[1]] + t[2] + t[0].isoformat()[t[1] + 1 :]  # one character replaced
    ),
    st.text(max_size=12),
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.one_of(st.none(), _DATEISH), max_size=30), st.integers(0, 3), st.booleans())
def test_iso_dates_read_from_buffers_match_python(cells: list[str | None], skip: int, large: bool) -> None:
    """``iso_days`` reads the bytes of each cell; it accepts exactly the cells that are ten
    ASCII characters ``YYYY-MM-DD`` naming a real day (what ``strptime("%Y-%m-%d")`` takes in
    that shape) and gives their day numbers, whatever the array's offset, nulls or offset width."""
    import datetime as dt
    import re

    import pyarrow as pa

    from toolkit.validation.fast.cells import iso_days

    arr = pa.array(["0000-00-00"] * skip + cells, pa.large_string() if large else pa.string())[skip:]
    ok, days = iso_days(arr)
    for i, cell in enumerate(cells):
        expected = None
        if cell is not None and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cell, re.ASCII):
            try:
                expected = (dt.datetime.strptime(cell, "%Y-%m-%d").date() - dt.date(1970, 1, 1)).days
            except ValueError:
                expected = None
        assert bool(ok[i]) == (expected is not None), repr(cell)
        if expected is not None:
            assert int(days[i]) == expected, repr(cell)


_SMALL_CELLS = [
    "1,234",
    "$ 5",
    "1 234 567.5 MXN",
    "12",
    "-7",
    "01/02/2023",
    " 3-ene-23 ",
    "3.Ábr.2024",
    "٣/٣/٢٠٢٠",  # Arabic-Indic digits: \pN for RE2, \d for Python
    "1/2/3/4",
    "2023-01-02",
    "NA",
    "",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(st.sampled_from(_SMALL_CELLS + PRIVATE_CELLS), min_size=4, max_size=4),
        min_size=1,
        max_size=30,
    )
)
def test_small_arrays_skip_the_superset_with_the_same_findings(
    tmp_path_factory: pytest.TempPathFactory, rows: list[list[str]]
) -> None:
    """Small arrays go straight to the exact profile and privacy checks (no RE2 superset): the
    findings are those of frictionless and of the superset path, cell for cell."""
    from toolkit.validation.fast import domain as fastdomain

    folder = tmp_path_factory.mktemp("small")
    schema = {
        "missingValues": ["", "NA"],
        "fields": [
            {"name": "label", "type": "string"},
            {"name": "amount", "type": "number"},
            {"name": "count", "type": "integer"},
            {"name": "notes", "type": "string"},
        ],
    }
    (folder / "s.yaml").write_text(json.dumps(schema), encoding="utf-8")
    _write(folder / "t.csv", [f["name"] for f in schema["fields"]], [list(r) for r in rows])
    kw = {"schema": folder / "s.yaml", "profiles": ["cdmx"], "limit_errors": 10_000}
    slow = validate(folder / "t.csv", engine="frictionless", **kw)
    saved = fastdomain.SMALL
    try:
        fastdomain.SMALL = 10**9
        exact = validate(folder / "t.csv", engine="fast", **kw)
        fastdomain.SMALL = 0
        superset = validate(folder / "t.csv", engine="fast", **kw)
    finally:
        fastdomain.SMALL = saved
    assert_same(slow, exact)
    assert exact.findings == superset.findings


@pytest.mark.parametrize("block_bytes", [None, 1500])
def test_kept_blocks_give_the_same_findings(
    spoiled: list[Path], block_bytes: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small table's blocks, parsed once and read again for the foreign keys and list
    references of the run, give the findings of a second parse from the file."""
    from toolkit.validation.fast import run as fastrun

    if block_bytes:
        monkeypatch.setattr(blocks, "BLOCK_BYTES", block_bytes)
    kept = validate(spoiled[0], engine="fast")
    monkeypatch.setattr(fastrun, "KEEP_BYTES", -1)
    parsed = validate(spoiled[0], engine="fast")
    assert [f.to_dict("en") for f in kept.findings] == [f.to_dict("en") for f in parsed.findings]
    assert "foreign-key" in {f.code for f in kept.findings}


def test_kept_blocks_replay_blocks_and_their_places(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    _write(path, ["a", "b"], [[f"x{i}", f"line\nbreak {i}"] for i in range(40)] + [["short"]])
    kept: dict = {}
    first = blocks.CsvBlocks(path, ",", block_bytes=200, kept=kept)
    read = list(first.blocks())
    assert len(read) > 3 and len(kept) == 1
    again = blocks.CsvBlocks(path, ",", block_bytes=200, kept=kept)
    assert list(again.blocks()) == read  # the very same objects, not parsed again
    assert again.metas == first.metas
    assert again.locate([2, 30, 42]) == first.locate([2, 30, 42])
    assert again.locate([42])[42][1] == ["short"]


@pytest.mark.parametrize("span_records", [blocks.SPAN_RECORDS, 0])
def test_locate_gives_each_record_its_line_and_cells(
    tmp_path: Path, span_records: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every record's first physical line and cells, as the csv module reads them, whether the
    block's spans were kept from its parse or it is read again (of one record a line, or with
    line breaks inside quoted cells), through blank lines, short rows and CRLF line breaks."""
    import csv

    monkeypatch.setattr(blocks, "SPAN_RECORDS", span_records)
    records = [["id", "text"]] + [[str(i), f"plain {i}"] for i in range(60)]
    records[25:25] = [["q1", "two\nlines"], [], ["short"], ["x", "y", "extra"]]
    records[50:50] = [["q2", "three\r\nline\nbreaks"], []]
    path = tmp_path / "t.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        for cells in records:
            writer.writerow(cells) if cells else fh.write("\r\n")
    expected, line = {}, 1
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        for number, cells in enumerate(reader, start=1):
            expected[number], line = (line, cells), reader.line_num + 1
    stream = blocks.CsvBlocks(path, ",", block_bytes=120)
    assert len(list(stream.blocks())) > 6
    assert {m.spans is not None for m in stream.metas} == ({True, False} if span_records else {False})
    del expected[1]
    assert stream.locate(list(expected)) == expected


def test_a_quoted_line_break_and_no_line_break_at_the_end(tmp_path: Path) -> None:
    """A last record without a line break after one with a line break in quotes: as many line
    feeds as records, yet not one record a line. The fast engine used to give the last row the
    line before its own, and to miss its repeated key (its cells were split at the quoted line
    feed)."""
    schema = tmp_path / "s.json"
    schema.write_text(
        json.dumps(
            {
                "fields": [{"name": "id", "type": "integer"}, {"name": "text", "type": "string"}],
                "primaryKey": ["id"],
            }
        ),
        encoding="utf-8",
    )
    for last in ("1,w", "x1,w"):
        (tmp_path / "t.csv").write_text(f'id,text\n1,"x\ny"\n2,z\n{last}', encoding="utf-8")
        slow, fast, log = both(tmp_path / "t.csv", schema=schema)
        assert_same(slow, fast)
        assert any("fast engine" in line for line in log), log
        assert {(f.code, f.row, f.line) for f in fast.findings} >= {("primary-key", 4, 5)}


@pytest.mark.parametrize("end", ["\n", ""])
def test_records_longer_than_a_block_are_read_whole(tmp_path: Path, end: str) -> None:
    """A record longer than a block (line feeds inside its quotes, the file's last one too) makes
    its block longer: every record comes out as the csv module reads it."""
    import csv

    long = "\n".join(f'line {i}, with ""quotes""' for i in range(40))
    path = tmp_path / "t.csv"
    path.write_text(f'id,text\n1,short\n2,"{long}"\n3,x\n\n4,"{long}"{end}', encoding="utf-8")
    got = []
    for block in blocks.CsvBlocks(path, ",", block_bytes=64).blocks():
        rows = [list(r) for r in zip(*(c.to_pylist() for c in block.columns), strict=True)]
        got += [block.irregular.get(k, rows[k]) for k in range(block.n_records)]
    with path.open(newline="", encoding="utf-8") as fh:
        assert got == list(csv.reader(fh))[1:]


def test_the_cells_of_irregular_records_are_in_the_columns(tmp_path: Path) -> None:
    """Every record of a block has its cells in the block's columns, an irregular one (a short or
    long row, a blank line) too, null where it has no such cell: the structure and the domain
    checks read the same arrays."""
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n1,2,3\nshort\n\n4,5,6,7\n8,9,10\n", encoding="utf-8")
    (block,) = blocks.CsvBlocks(path, ",").blocks()
    assert block.irregular == {1: ["short"], 2: [], 3: ["4", "5", "6", "7"]}
    assert [c.to_pylist() for c in block.columns] == [
        ["1", "short", None, "4", "8"],
        ["2", None, None, "5", "9"],
        ["3", None, None, "6", "10"],
    ]
    assert block.ragged().tolist() == [False, True, True, True, False]


def test_a_unique_field_of_empty_cells_first_in_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Empty cells of a unique string field where "" is not a missing value are keys of no bytes:
    the first table hashed in a run used to crash the fast engine ("The tool failed: TypeError")."""
    import numpy as np

    monkeypatch.setattr(fasttable, "_POWERS", (np.ones(1, dtype=np.uint64),) * 2)  # as in a fresh process
    (tmp_path / "t.csv").write_text("id,name\n1,\n2,\n", encoding="utf-8")
    schema = tmp_path / "s.json"
    schema.write_text(
        json.dumps(
            {
                "fields": [
                    {"name": "id", "type": "integer"},
                    {"name": "name", "type": "string", "constraints": {"unique": True}},
                ],
                "missingValues": ["NA"],
            }
        ),
        encoding="utf-8",
    )
    slow, fast, log = both(tmp_path / "t.csv", schema=schema)
    assert_same(slow, fast)
    assert [f.code for f in fast.findings] == ["unique-error"]
    assert not any("frictionless" in line for line in log), log


def test_codelist_and_reference_items_of_list_fields(tmp_path: Path) -> None:
    """A list field with a codelist (``subjects``) and one whose items reference another table
    (``other_counterpart_ids``): an unknown code, an unknown reference, a padded and an empty item
    give frictionless's findings on both engines (a path the seeded catalogs never take)."""
    import csv
    import shutil

    folder = tmp_path / "bogota"
    shutil.copytree(ROOT / "datasets" / "bogota", folder)
    table = folder / "agreements.csv"
    with table.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    subjects, others = rows[0].index("subjects"), rows[0].index("other_counterpart_ids")
    rows[1][subjects] = "environment;not_a_subject"
    rows[2][subjects] = "culture; education;;mobility"
    rows[3][others] = f"{rows[1][rows[0].index('counterpart_id')]};nobody-xx"
    with table.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    slow, fast, log = both(folder)
    assert_same(slow, fast)
    codes = {f.code for f in fast.findings}
    assert {"codelist-value", "list-reference"} <= codes, codes
    assert any("agreements.csv: fast engine" in line for line in log), log


def test_each_block_is_its_own_bytes_and_only_they_are_checked(tmp_path: Path) -> None:
    """A block is a view of the buffer it was read into, with the start of the next record after
    it: its bytes are the file's, and a lone carriage return or a byte that is not UTF-8 just
    after a block's end (in that buffer, as happens here) stops only the block it belongs to."""
    path = tmp_path / "t.csv"
    for bad, before, pad in itertools.product((b"\xf1", b"\r"), range(6), range(12)):
        rows = "".join(f"{i},plain text {i}\n" for i in range(before)).encode()
        path.write_bytes(b"a,b\n" + rows + b"30," + b"x" * pad + b"n" + b"a\n" + rows)
        clean = [(b.offset, b.size) for b in blocks.CsvBlocks(path, ",", block_bytes=64).blocks()]
        path.write_bytes(path.read_bytes().replace(b"n" + b"a\n", bad + b"a\n"))
        body, at, read = path.read_bytes(), path.read_bytes().index(bad), []
        with pytest.raises(blocks.Unsupported):
            for block in blocks.CsvBlocks(path, ",", block_bytes=64).blocks():
                assert bytes(block.data) == body[block.offset : block.offset + block.size]
                read.append((block.offset, block.size))
        assert read == [(o, n) for o, n in clean if o + n <= at]
