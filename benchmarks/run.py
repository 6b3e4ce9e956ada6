"""One command for the validation benchmarks: ``python benchmarks/run.py``.

Prints, for synthetic funding tables of 10k, 100k, 1M and 10M rows (valid, and with 1% of rows
spoiled): size, wall time, rows per second and peak memory of ``ciudades validate`` and, up to
1M rows, of ``frictionless validate`` on the same file, their ratio, and whether both report the
same errors. Then: foreign keys of 1M funding rows against 100k agreements, the start-up time of
``ciudades --help`` and the validation of the shipped catalog. Every figure is measured in this
run, each command in a fresh process; nothing is extrapolated.

Options: ``--sizes 10000,100000`` to run fewer sizes, ``--data DIR`` for the generated files
(default: a folder in the system's temporary directory, reused between runs).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

BIN = Path(sys.executable).parent
CIUDADES = str(BIN / "ciudades")
FRICTIONLESS = str(BIN / "frictionless")
SCHEMA = REPO / "schemas" / "funding.schema.yaml"
_MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.buffer.write(p.stderr)\n"
    "sys.stderr.write('\\n' + json.dumps({'wall': wall, 'rss_mb': rss / 1024, 'code': p.returncode}))\n"
    "sys.stdout.buffer.write(p.stdout)\n"
)


def measure(cmd: list[str], cwd: Path = REPO, *, log: bool = False) -> tuple[float, float, bytes]:
    """Wall seconds and peak RSS (MiB) of ``cmd`` run in a fresh process, and its output (its
    standard error instead with ``log``)."""
    env = {**os.environ, "CI": "true"}
    p = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, check=False
    )
    *err, last = p.stderr.decode(errors="replace").strip().splitlines()
    stats = json.loads(last)
    return stats["wall"], stats["rss_mb"], "\n".join(err).encode() if log else p.stdout


def funding_file(data: Path, rows: int, bad: bool) -> Path:
    path = data / f"funding-{rows}{'-bad' if bad else ''}.csv"
    if path.exists():
        return path
    if rows > 1_000_000 and rows % 1_000_000 == 0:
        # 10M rows: copies of the 1M table with the ids renamed per copy (fast, bounded memory)
        base = funding_file(data, 1_000_000, bad)
        with base.open("rb") as fh:
            header = fh.readline()
            body = fh.read()
        with path.open("wb") as out:
            out.write(header)
            for copy in range(rows // 1_000_000):
                part = body.replace(b"\nf-", f"\nf{copy}-".encode())
                out.write(f"f{copy}-".encode() + part[2:] if part.startswith(b"f-") else part)
        return path
    synth.write_funding(path, rows, bad=0.01 if bad else 0.0, seed=rows)
    return path


def resolved_schema(data: Path) -> Path:
    """The funding schema as frictionless receives it from us (codelists inlined as enums)."""
    from toolkit.catalog.model import single_table_catalog
    from toolkit.validation.structure import frictionless_schema

    target = data / "funding.resolved.json"
    probe = data / "probe.csv"
    probe.write_text("funding_id\n", encoding="utf-8")
    catalog, _ = single_table_catalog(probe, SCHEMA)
    spec = catalog.datasets[0].resources[0]
    target.write_text(
        json.dumps(frictionless_schema(spec, {spec.name}), ensure_ascii=False), encoding="utf-8"
    )
    return target


def errors_ours(output: bytes) -> list[tuple[str, int | None, str | None]]:
    report = json.loads(output)
    codes = {
        "type-error",
        "constraint-error",
        "missing-cell",
        "extra-cell",
        "blank-row",
        "primary-key",
        "foreign-key",
        "unique-error",
        "duplicate-label",
        "blank-label",
        "extra-label",
        "missing-label",
        "incorrect-label",
    }
    return [
        (f["code"], f["row"], f["field"] if f["code"] not in ("primary-key", "foreign-key") else None)
        for f in report["findings"]
        if f["code"] in codes
    ]


def errors_frictionless(output: bytes) -> list[tuple[str, int | None, str | None]]:
    report = json.loads(output)
    out = []
    for task in report.get("tasks", []):
        for e in task.get("errors", []):
            code = e["type"]
            row = e.get("rowNumber") or 1
            field = e.get("fieldName") or None
            out.append((code, row, field if code not in ("primary-key", "foreign-key") else None))
    return out


def count_rows(path: Path) -> int:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--frictionless-max", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "ciudades-bench")
    args = parser.parse_args()
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    schema_json = resolved_schema(data)
    print(
        f"cores: {os.cpu_count()}   python: {sys.version.split()[0]}   "
        "data: synthetic funding tables (23 columns)"
    )
    print()
    head = (
        f"{'rows':>10} {'variant':8} {'MB':>7} | {'ciudades s':>10} {'rows/s':>10} {'RSS MiB':>8} | "
        f"{'frictionless s':>14} {'rows/s':>8} {'RSS MiB':>8} | {'ratio':>6} {'same errors':>11}"
    )
    print(head)
    print("-" * len(head))
    for rows in sizes:
        for bad in (False, True):
            path = funding_file(data, rows, bad)
            mb = path.stat().st_size / 1e6
            records = rows if not bad else None
            wall, rss, out = measure(
                [
                    CIUDADES,
                    "validate",
                    str(path),
                    "--schema",
                    str(SCHEMA),
                    "--format",
                    "json",
                    "--engine",
                    "fast",
                ]
            )
            if records is None:
                records = json.loads(out)["stats"]["rows"]
            ours = f"{wall:10.2f} {records / wall:10,.0f} {rss:8.0f}"
            theirs, ratio, same = f"{'—':>14} {'—':>8} {'—':>8}", "—", "—"
            if rows <= args.frictionless_max:
                fwall, frss, fout = measure(  # frictionless only reads paths relative to where it runs
                    [FRICTIONLESS, "validate", path.name, "--schema", schema_json.name, "--json"], cwd=data
                )
                theirs = f"{fwall:14.2f} {records / fwall:8,.0f} {frss:8.0f}"
                ratio = f"{fwall / wall:5.1f}×"
                same = "yes" if errors_ours(out) == errors_frictionless(fout) else "NO"
            print(
                f"{rows:>10,} {'1% bad' if bad else 'valid':8} {mb:7.1f} | {ours} | {theirs} | "
                f"{ratio:>6} {same:>11}",
                flush=True,
            )
    print()
    if 1_000_000 in sizes:
        root = data / "fk"
        if not (root / "datasets" / "synth" / "funding.csv").exists():
            synth.make_catalog(root, partners=1000, agreements=100_000, funding=0, seed=1)
            funding = funding_file(data, 1_000_000, False)
            (root / "datasets" / "synth" / "funding.csv").unlink()
            os.link(funding, root / "datasets" / "synth" / "funding.csv")
        wall_all, rss_all, log = measure(
            [CIUDADES, "validate", str(root / "datasets"), "--engine", "fast", "--debug"], log=True
        )
        table = root / "datasets" / "synth" / "funding.csv"
        wall_one, _, _ = measure(
            [CIUDADES, "validate", str(table), "--schema", str(SCHEMA), "--engine", "fast"]
        )
        # The engine's own account (--debug): time spent reading the referenced keys (100k
        # agreements, 1,000 partners) and checking the funding rows' references against them.
        found = re.search(
            rb"funding\.csv: fast engine, foreign keys: ([0-9.]+) s reading the referenced keys so far, "
            rb"([0-9.]+) s",
            log,
        )
        reading, checking = (float(found.group(1)), float(found.group(2))) if found else (float("nan"),) * 2
        print(
            f"foreign keys: 1,000,000 funding rows → 100,000 agreements and 1,000 partners: "
            f"reading the keys {reading:.2f} s + checking the references {checking:.2f} s = "
            f"{reading + checking:.2f} s (engine's --debug log). Whole dataset {wall_all:.2f} s "
            f"(RSS {rss_all:.0f} MiB), which also validates the 100k agreements and 1k partners in full; "
            f"funding alone, without the other tables, {wall_one:.2f} s"
        )
    helps = [measure([CIUDADES, "--help"])[0] for _ in range(5)]
    print(f"ciudades --help: median {statistics.median(helps):.3f} s of 5 runs")
    cats = [measure([CIUDADES, "validate", "datasets"])[0] for _ in range(3)]
    fast = [measure([CIUDADES, "validate", "datasets", "--engine", "fast"])[0] for _ in range(3)]
    print(
        f"shipped catalog (ciudades validate datasets): median {statistics.median(cats):.2f} s of 3 runs "
        f"(auto engine); {statistics.median(fast):.2f} s with --engine fast"
    )


if __name__ == "__main__":
    main()
