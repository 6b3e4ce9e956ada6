"""Synthetic catalogs that follow the project's schemas, valid or with seeded errors of every kind.

Used by the benchmarks (large tables) and by the differential tests (small ones). The rows are
made up — ids, amounts and dates are random — but they obey the schemas, codelists and foreign
keys, so a clean table is valid and every seeded error is a known kind of mistake.

Command line::

    python benchmarks/synth.py OUT_DIR --funding 1000000 [--agreements N] [--partners N] [--bad 0.01]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
COUNTRIES = [("MX", "MEX", "MX-CMX"), ("DE", "DEU", "DE-BE"), ("US", "USA", "US-NY"), ("UY", "URY", "UY-MO")]
CURRENCIES = ["USD", "EUR", "MXN"]

# Values that parsers disagree about: each replaces one cell of a "bad" row.
TRICKY = {
    "integer": ["1.0", "abc", " 5", "007", "99999999999999999999", "1_000", "-3", "+4", "٣", "1,000", ""],
    "number": ["1,500.00", "1e3", "NaN", "-5", "1.5.5", "١٢", "$100", " 7.5 ", "Infinity", "0x10", ".5"],
    "date": [
        "2020-02-30",
        "2021-2-3",
        "0000-01-01",
        "20200101",
        " 2020-01-01",
        "1850-01-01",
        "2999-01-01",
        "2020-13-01",
        "01/02/2020",
        "2020-01-01T00:00",
    ],
    "boolean": ["yes", "TRUE", "1", "si", "False ", "NA"],
    "uri": [
        "www.example.org/x",
        "mailto:x",
        "http://localhost",
        "https://x y.org",
        "ftp://a.b",
        "https://ñ.org",
        "HTTP://EXAMPLE.ORG/A",
        "https://example.org/a\nb",
    ],
    "string": [
        "",
        "NA",
        " ",
        "ñandú-1",
        "ABC-1",
        "abc\n",
        "abc-",
        "x" * 600,
        "  padded  ",
        "no_such_code",
        "Ω",
        "a,b",
        'say "hi"',
        "01/02/2020",
        "climate;nonsense",
        "no-such-id",
    ],
}


def _codes(name: str) -> list[str]:
    with (REPO / "schemas" / "codelists" / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
        return [row["code"] for row in csv.DictReader(fh)]


def _date(rng: random.Random, lo: int = 1990, hi: int = 2023) -> str:
    return f"{rng.randint(lo, hi):04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _notes(rng: random.Random, i: int) -> str:
    pick = rng.random()
    if pick < 0.6:
        return ""
    if pick < 0.8:
        return f"Nota {i}, con coma y «comillas»"
    if pick < 0.9:
        return f'Dijo "sí" en la fila {i}'
    return f"Primera línea {i}\nsegunda línea"


def _schema(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / "schemas" / f"{name}.schema.yaml").read_text(encoding="utf-8"))


def partners_rows(rng: random.Random, n: int) -> list[list[str]]:
    types = _codes("partner_types")
    rows = []
    for i in range(n):
        c2, c3, sub = COUNTRIES[i % len(COUNTRIES)]
        parent = f"p-{rng.randrange(i)}" if i and rng.random() < 0.2 else ""
        rows.append(
            [
                f"p-{i}",
                f"Organización {i}",
                f"Organisation {i}" if rng.random() < 0.8 else "",
                "",
                "Antiguo nombre;Otro" if rng.random() < 0.05 else "",
                rng.choice(types),
                c2,
                c3,
                sub if rng.random() < 0.5 else "",
                f"XM-DAC-{i}" if rng.random() < 0.3 else "",
                f"Q{i + 1}" if rng.random() < 0.5 else "",
                parent,
                f"https://org{i}.example.org/" if rng.random() < 0.5 else "",
                f"https://example.org/fuente/{i}",
                _notes(rng, i),
            ]
        )
    return rows


def agreements_rows(rng: random.Random, n: int, partners: int) -> list[list[str]]:
    types, statuses, subjects = _codes("agreement_types"), _codes("statuses"), _codes("subjects")
    precision, confidence = _codes("date_precision"), _codes("confidence")
    rows = []
    for i in range(n):
        signed = _date(rng) if rng.random() < 0.9 else ""
        start = _date(rng, 1990, 2005) if rng.random() < 0.5 else ""
        end = _date(rng, 2006, 2030) if start and rng.random() < 0.5 else ""
        others = (
            ";".join(f"p-{rng.randrange(partners)}" for _ in range(rng.randint(1, 2)))
            if rng.random() < 0.1
            else ""
        )
        claim = f"grupo-{i // 2}" if rng.random() < 0.02 else ""
        rows.append(
            [
                f"a-{i}",
                f"p-{rng.randrange(partners)}",
                f"p-{rng.randrange(partners)}",
                others,
                rng.choice(types),
                f"Acuerdo {i}",
                f"Agreement {i}" if rng.random() < 0.7 else "",
                signed,
                rng.choice(precision) if signed else "",
                start,
                end,
                rng.choice(statuses),
                ";".join(rng.sample(subjects, rng.randint(1, 2))) if rng.random() < 0.7 else "",
                "Persona A;Persona B" if rng.random() < 0.3 else "",
                rng.choice(["true", "false", ""]),
                "" if rng.random() < 0.5 else f"https://example.org/doc/{i}.pdf",
                f"https://example.org/fuente/{i}",
                "" if rng.random() < 0.5 else f"Cita {i}",
                rng.choice(confidence),
                claim,
                _notes(rng, i),
            ]
        )
    return rows


def funding_rows(rng: random.Random, n: int, agreements: int, partners: int) -> list[list[str]]:
    kinds, ttypes, statuses = _codes("funding_kinds"), _codes("transaction_types"), _codes("statuses")
    precision, confidence = _codes("date_precision"), _codes("confidence")
    rows = []
    for i in range(n):
        amount = f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}" if rng.random() < 0.8 else ""
        value_date = _date(rng) if rng.random() < 0.9 else ""
        start = _date(rng, 1990, 2010) if rng.random() < 0.5 else ""
        end = _date(rng, 2011, 2030) if start and rng.random() < 0.6 else ""
        rows.append(
            [
                f"f-{i}",
                f"a-{rng.randrange(agreements)}" if agreements and rng.random() < 0.7 else "",
                f"Financiamiento {i}",
                f"Funding {i}" if rng.random() < 0.7 else "",
                rng.choice(kinds),
                rng.choice(ttypes) if rng.random() < 0.8 else "",
                f"p-{rng.randrange(partners)}",
                f"p-{rng.randrange(partners)}",
                amount,
                rng.choice(CURRENCIES) if amount else "",
                rng.choice(["true", "false", ""]),
                value_date,
                rng.choice(precision) if value_date else "",
                start,
                end,
                str(rng.randint(1, 120)) if rng.random() < 0.5 else "",
                f"Programa {i % 50}" if rng.random() < 0.5 else "",
                rng.choice(statuses),
                f"https://example.org/fuente/{i}",
                "" if rng.random() < 0.5 else f"Cita {i}",
                rng.choice(confidence),
                "",
                _notes(rng, i),
            ]
        )
    return rows


_PEOPLE = ["Fundación", "Asociación Civil", "Cooperativa", "Instituto", "Colectivo", "Universidad"]
_NAMES = ["Ñandú", "Peñalolén", "São Tomé", "Çatalhöyük", "Müller", "Zoë", "Añil", "Xochimilco", "Bogotá"]
_PROVIDERS = [
    "Agencia Española de Cooperación",
    "Deutsche Gesellschaft für Internationale Zusammenarbeit",
    "Unión Europea",
    "Banco Interamericano de Desarrollo",
    "Fondation de France",
]


def grants_rows(rng: random.Random, n: int) -> list[list[str]]:
    """Rows of the 11-column benchmark table (``benchmarks/grants.schema.yaml``)."""
    rows = []
    for i in range(n):
        amount = f"{rng.randint(1, 10**7)}.{rng.randint(0, 99):02d}" if rng.random() < 0.9 else ""
        value_date = _date(rng, 1990, 2015)
        end = _date(rng, 2016, 2030) if rng.random() < 0.6 else ""
        rows.append(
            [
                f"g-{i}",
                f"{rng.choice(_PEOPLE)} {rng.choice(_NAMES)} {i % 9973}",
                rng.choice(_PROVIDERS),
                amount,
                rng.choice(CURRENCIES) if amount else "",
                value_date,
                end,
                rng.choice(["planned", "active", "closed", "cancelled"]),
                f"https://example.org/subvenciones/{i}",
                f"Apoyo a la organización comunitaria número {i}",
                _notes(rng, i),
            ]
        )
    return rows


def spoil(rng: random.Random, rows: list[list[str]], schema: dict[str, Any], rate: float) -> list[Any]:
    """Replace about ``rate`` of the rows by a row with one seeded error (a cell, or its shape)."""
    fields = schema["fields"]
    out: list[Any] = []
    for i, row in enumerate(rows):
        if rng.random() >= rate:
            out.append(row)
            continue
        row = list(row)
        pick = rng.random()
        if pick < 0.04:
            out.append([*row, "celda de más"])
        elif pick < 0.08:
            out.append(row[: rng.randint(1, len(row) - 1)])
        elif pick < 0.10:
            out.append([""] * len(row))
        elif pick < 0.12:
            out.append(None)  # an empty line
            out.append(row)
        elif pick < 0.17 and i:
            row[0] = rows[i - 1][0]  # duplicate id
            out.append(row)
        else:
            j = rng.randrange(len(fields))
            f = fields[j]
            kind = "uri" if f.get("format") == "uri" else f.get("type", "string")
            row[j] = rng.choice(TRICKY.get(kind, TRICKY["string"]) + TRICKY["string"][:4])
            out.append(row)
    return out


def write_csv(path: Path, header: list[str], rows: list[Any], *, bom: bool = False) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        if row is None:
            buf.write("\n")
        else:
            writer.writerow(row)
    data = buf.getvalue().encode("utf-8")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)


def make_catalog(
    root: Path,
    *,
    partners: int = 200,
    agreements: int = 200,
    funding: int = 200,
    bad: float = 0.0,
    seed: int = 0,
    bom: bool = False,
    profiles: list[str] | None = None,
) -> Path:
    """Write ``root/datasets`` (one dataset, ``synth``) and ``root/schemas``; return the dataset folder."""
    rng = random.Random(seed)
    if (root / "schemas").exists():
        shutil.rmtree(root / "schemas")
    shutil.copytree(REPO / "schemas", root / "schemas")
    folder = root / "datasets" / "synth"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "datasets" / "catalog.yaml", root / "datasets" / "catalog.yaml")
    descriptor = yaml.safe_load(
        (REPO / "datasets" / "ciudad-de-mexico" / "datapackage.yaml").read_text("utf-8")
    )
    descriptor["name"] = "synth"
    descriptor["policy_profiles"] = profiles if profiles is not None else []
    (folder / "datapackage.yaml").write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    tables = {
        "partners": partners_rows(rng, partners),
        "agreements": agreements_rows(rng, agreements, max(partners, 1)),
        "funding": funding_rows(rng, funding, agreements, max(partners, 1)),
    }
    for name, rows in tables.items():
        schema = _schema(name)
        header = [f["name"] for f in schema["fields"]]
        write_csv(folder / f"{name}.csv", header, spoil(rng, rows, schema, bad) if bad else rows, bom=bom)
    return folder


def write_funding(
    path: Path, rows: int, *, bad: float = 0.0, seed: int = 0, chunk: int = 100_000, table: str = "funding"
) -> None:
    """A large funding table written in chunks (bounded memory), with ids referring to
    ``a-0 … a-99999`` and ``p-0 … p-999``; with ``table="grants"``, the 11-column benchmark table."""
    rng = random.Random(seed)
    if table == "grants":
        schema = yaml.safe_load((REPO / "benchmarks" / "grants.schema.yaml").read_text(encoding="utf-8"))
    else:
        schema = _schema("funding")
    header = [f["name"] for f in schema["fields"]]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for start in range(0, rows, chunk):
            size = min(chunk, rows - start)
            block = grants_rows(rng, size) if table == "grants" else funding_rows(rng, size, 100_000, 1000)
            for row in block:
                row[0] = f"{row[0][0]}-{start}-{row[0][2:]}"
            for row in spoil(rng, block, schema, bad) if bad else block:
                if row is None:
                    fh.write("\n")
                else:
                    writer.writerow(row)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--agreements", type=int, default=1000)
    parser.add_argument("--funding", type=int, default=1000)
    parser.add_argument("--bad", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    folder = make_catalog(
        args.out,
        partners=args.partners,
        agreements=args.agreements,
        funding=args.funding,
        bad=args.bad,
        seed=args.seed,
    )
    print(folder)


if __name__ == "__main__":
    main()
