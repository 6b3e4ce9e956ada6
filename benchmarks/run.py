"""One command for the validation benchmarks: ``python benchmarks/run.py`` (``--quick``: a minute or two).

Prints, for two synthetic tables — the 23-column funding table of the catalog's schema and an
11-column funding-like table (``benchmarks/grants.schema.yaml``) — at 10k, 100k, 1M and 10M rows
(valid, and with 1% of rows spoiled): size, wall and CPU time and peak memory of ``ciudades
validate``, of ``frictionless validate`` on the same file (up to 1M rows) and of a bare
multithreaded ``pyarrow.csv.read_csv`` of it (and a bare ``polars.read_csv`` when polars can be
imported), with the ratios, and whether ``ciudades`` and frictionless report the same errors.
Then: foreign keys of 1M funding rows against 100k agreements, the start-up time of ``ciudades
--help`` and the validation of the shipped catalog. Every figure is measured in this run, each
command in a fresh process; nothing is extrapolated.

Options: ``--quick`` (100k rows, both tables), ``--sizes 10000,100000`` to run fewer sizes,
``--tables grants`` for one table, ``--variants valid`` for the valid tables only, ``--repeat 3``
to run each command three times and print the medians, ``--data DIR`` for the generated files
(default: a folder in the system's temporary directory, reused between runs). ``--against REV``
(one or more commits, tags or branches, comma-separated) also times the small runs — the shipped
catalog, one small CSV, ``--help`` — with the code of each REV on the same data, interleaved, so
a change is measured side by side with what it replaced; ``--small-only`` skips the tables.
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
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402

BIN = Path(sys.executable).parent
CIUDADES = str(BIN / "ciudades")
FRICTIONLESS = str(BIN / "frictionless")
SCHEMA = REPO / "schemas" / "funding.schema.yaml"
# name → (schema, number of columns)
TABLES = {"funding": (SCHEMA, 23), "grants": (HERE / "grants.schema.yaml", 11)}
# The floor: reading the same file with nothing checked, multithreaded. Each prints the seconds of
# the read call alone (without starting Python and importing); "text" reads every cell as a
# string, as the engine does, "typed" lets pyarrow infer the types; a third argument "1" reads in
# one thread.
_PYARROW_READ = (
    "import csv, sys, time, pyarrow as pa, pyarrow.csv as c\n"
    "names = next(csv.reader(open(sys.argv[1], encoding='utf-8'))) if sys.argv[2] == 'text' else None\n"
    "t = time.perf_counter()\n"
    "c.read_csv(sys.argv[1], read_options=c.ReadOptions(use_threads=sys.argv[3:] != ['1']),\n"
    "           parse_options=c.ParseOptions(newlines_in_values=True,\n"
    "                                        invalid_row_handler=lambda row: 'skip'),\n"
    "           convert_options=c.ConvertOptions(column_types=dict.fromkeys(names or [], pa.string())))\n"
    "print(time.perf_counter() - t)\n"
)
_POLARS_READ = (
    "import sys, time, polars\nt = time.perf_counter()\n"
    "polars.read_csv(sys.argv[1], infer_schema=False, truncate_ragged_lines=True)\n"
    "print(time.perf_counter() - t)\n"
)
_MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)\n"
    "wall = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "sys.stderr.buffer.write(p.stderr)\n"
    "cpu = u.ru_utime + u.ru_stime\n"
    "stats = {'wall': wall, 'cpu': cpu, 'rss_mb': u.ru_maxrss / 1024, 'code': p.returncode}\n"
    "sys.stderr.write('\\n' + json.dumps(stats))\n"
    "sys.stdout.buffer.write(p.stdout)\n"
)


class Run:
    """Wall and CPU seconds, peak RSS (MiB) and exit code of one command, and its output."""

    def __init__(self, stats: dict[str, float], output: bytes) -> None:
        self.wall, self.cpu, self.rss, self.code = stats["wall"], stats["cpu"], stats["rss_mb"], stats["code"]
        self.output = output


def run(cmd: list[str], cwd: Path = REPO, *, log: bool = False) -> Run:
    """``cmd`` run in a fresh process: its times, peak memory and output (its standard error
    instead with ``log``)."""
    env = {**os.environ, "CI": "true"}
    p = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], cwd=cwd, env=env, capture_output=True, check=False
    )
    *err, last = p.stderr.decode(errors="replace").strip().splitlines()
    return Run(json.loads(last), "\n".join(err).encode() if log else p.stdout)


def run_median(cmd: list[str], times: int, cwd: Path = REPO) -> Run:
    """``cmd`` run ``times`` times, one fresh process after the other: the median wall and CPU
    seconds, the largest peak memory, and the output of the run of median wall time."""
    runs = sorted((run(cmd, cwd) for _ in range(times)), key=lambda r: r.wall)
    middle = runs[(len(runs) - 1) // 2]
    stats = {
        "wall": statistics.median(r.wall for r in runs),
        "cpu": statistics.median(r.cpu for r in runs),
        "rss_mb": max(r.rss for r in runs),
        "code": middle.code,
    }
    return Run(stats, middle.output)


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


def funding_file(data: Path, rows: int, bad: bool, table: str = "funding") -> Path:
    path = data / f"{table}-{rows}{'-bad' if bad else ''}.csv"
    if path.exists():
        return path
    if rows > 1_000_000 and rows % 1_000_000 == 0:
        # 10M rows: copies of the 1M table with the ids renamed per copy (fast, bounded memory)
        base = funding_file(data, 1_000_000, bad, table)
        letter = table[0].encode()
        with base.open("rb") as fh:
            header = fh.readline()
            body = fh.read()
        with path.open("wb") as out:
            out.write(header)
            for copy in range(rows // 1_000_000):
                part = body.replace(b"\n" + letter + b"-", b"\n" + letter + f"{copy}-".encode())
                if part.startswith(letter + b"-"):
                    part = letter + f"{copy}-".encode() + part[2:]
                out.write(part)
        return path
    synth.write_funding(path, rows, bad=0.01 if bad else 0.0, seed=rows, table=table)
    return path


def resolved_schema(data: Path, schema: Path = SCHEMA) -> Path:
    """A schema as frictionless receives it from us (codelists inlined as enums)."""
    from toolkit.catalog.model import single_table_catalog
    from toolkit.validation.structure import frictionless_schema

    target = data / f"{schema.name.split('.')[0]}.resolved.json"
    probe = data / "probe.csv"
    probe.write_text("x\n", encoding="utf-8")
    catalog, _ = single_table_catalog(probe, schema)
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


def errors_frictionless(output: bytes, schema: dict[str, Any]) -> list[tuple[str, int | None, str | None]]:
    """frictionless's errors, less the ones ``ciudades`` deliberately reports once instead of
    twice (``validator.one_per_mistake``): a ``unique-error`` beside the ``primary-key`` of the
    same repeated one-field key, and a ``primary-key`` beside the required ``constraint-error`` of
    an empty one."""
    report = json.loads(output)
    pk = schema.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else pk
    at = [f["name"] for f in schema.get("fields", [])].index(pk[0]) if len(pk) == 1 else -1
    out = []
    for task in report.get("tasks", []):
        errors = task.get("errors", [])
        keyed = {e.get("rowNumber"): e.get("cells", []) for e in errors if e["type"] == "primary-key"}
        required = {
            e.get("rowNumber") for e in errors if e["type"] == "constraint-error" and e.get("fieldName") in pk
        }
        for e in errors:
            code = e["type"]
            row = e.get("rowNumber") or 1
            cells = keyed.get(row)
            key_cell = cells[at] if cells is not None and 0 <= at < len(cells) else None
            if code == "unique-error" and at >= 0 and e.get("fieldName") == pk[0] and key_cell:
                continue  # reported once, as the primary-key
            if code == "primary-key" and at >= 0 and row in required and not key_cell:
                continue  # an empty key: reported once, as the required constraint-error
            field = e.get("fieldName") or None
            out.append((code, row, field if code not in ("primary-key", "foreign-key") else None))
    return out


def count_rows(path: Path) -> int:
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.reader(fh)) - 1


def _seconds(done: Run) -> float:
    """The seconds a bare read printed (NaN if it failed: a file pyarrow or polars refuses)."""
    try:
        return float(done.output)
    except ValueError:
        return float("nan")


def floor_to_cap(data: Path, path: Path, output: bytes, times: int, theirs: float | None) -> str:
    """A spoiled table is read only up to the row where the error cap stopped the check: the floor
    for it is a bare read of those records alone (the lines before that row, cut into a file of
    their own), not of the whole file."""
    found = [f for f in json.loads(output)["findings"] if f["code"] == "errors-capped"]
    if not found:
        return "  (no error cap reached: the whole file is the floor)"
    line = found[0]["line"]
    part = data / f"{path.stem}-to-line-{line}.csv"
    if not part.exists():
        with path.open("rb") as src, part.open("wb") as out:
            for _ in range(line - 1):  # the capped row starts on ``line``: the records before it
                out.write(src.readline())
    # On a few MB, one thread reads faster than several (no pool to start): the faster of the two.
    reads = [
        run_median([sys.executable, "-c", _PYARROW_READ, str(part), "text", *t], times) for t in ([], ["1"])
    ]
    floor = min(reads, key=lambda r: r.wall)
    note = (
        f"  up to the error cap (line {line:,}, {part.stat().st_size / 1e6:.1f} MB): a bare pyarrow read "
        f"of those lines as text takes {floor.wall:.2f} s (the read call {_seconds(floor):.2f} s)"
    )
    if theirs is not None:
        note += f"; 20× frictionless would be {theirs / 20:.2f} s, {theirs / 20 / floor.wall:.1f}× that read"
    return note


def _polars_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", "import polars"], capture_output=True, check=False)
    return probe.returncode == 0


def export(rev: str, into: Path) -> Path:
    """The toolkit of commit ``rev`` (its files as committed, nothing else of the checkout)."""
    tree = into / re.sub(r"[^A-Za-z0-9._-]", "_", rev)
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "toolkit"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def small_runs_against(revs: list[str], into: Path, times: int = 5) -> None:
    """The small runs with this checkout's code and each ``rev``'s, on this checkout's data, each
    command in a fresh process, the versions interleaved run after run: medians of wall and CPU."""
    trees = {"this checkout": REPO, **{rev: export(rev, into) for rev in revs}}
    partners = REPO / "datasets" / "bogota" / "partners.csv"
    commands = {
        "validate datasets (the shipped catalog)": ["validate", str(REPO / "datasets")],
        "validate one small CSV (bogota/partners.csv)": [
            "validate",
            str(partners),
            "--schema",
            str(REPO / "schemas" / "partners.schema.yaml"),
        ],
        "--help": ["--help"],
    }
    print(
        f"Small runs, {times} times each, the versions in turn "
        "(medians; python -m toolkit with each version's code, on this checkout's data):"
    )
    head = f"{'run':46} | " + " | ".join(f"{name[:20]:>20}" for name in trees) + " | new / old"
    print(head)
    print("-" * len(head))
    for label, args in commands.items():
        got: dict[str, list[Run]] = {name: [] for name in trees}
        for _ in range(times):
            for name, tree in trees.items():
                # python -m puts the working folder first on the path: each version runs from its own
                got[name].append(run([sys.executable, "-m", "toolkit", *args], cwd=tree))
        walls = {name: statistics.median(r.wall for r in runs) for name, runs in got.items()}
        cpus = {name: statistics.median(r.cpu for r in runs) for name, runs in got.items()}
        codes = {name: {r.code for r in runs} for name, runs in got.items()}
        cells = " | ".join(
            f"{walls[n]:6.2f} s {cpus[n]:5.2f} cpu" + ("" if codes[n] <= {0} else f" exit {sorted(codes[n])}")
            for n in trees
        )
        ratios = ", ".join(f"{walls['this checkout'] / walls[rev]:.2f}" for rev in revs)
        print(f"{label:46} | {cells} | {ratios}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000,10000000")
    parser.add_argument("--quick", action="store_true", help="100k rows of each table, a minute or two")
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--frictionless-max", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "ciudades-bench")
    parser.add_argument("--repeat", type=int, default=1, help="run each command N times: medians")
    parser.add_argument("--variants", default="valid,bad", help="valid, bad (1%% of rows spoiled) or both")
    parser.add_argument(
        "--against", default="", help="commits to time the small runs against (comma-separated)"
    )
    parser.add_argument("--small-only", action="store_true", help="only the small runs (with --against)")
    args = parser.parse_args()
    times = max(1, args.repeat)
    variants = [v == "bad" for v in args.variants.split(",") if v in ("valid", "bad")]
    data: Path = args.data
    data.mkdir(parents=True, exist_ok=True)
    sizes = [100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    tables = [t for t in args.tables.split(",") if t]
    polars = _polars_available()
    print(
        f"cores: {os.cpu_count()}   python: {sys.version.split()[0]}   data: synthetic funding tables "
        f"({', '.join(f'{t}: {TABLES[t][1]} columns' for t in tables)})"
    )
    print(
        "s: wall seconds; cpu: CPU seconds (user + system) of the process and its threads; "
        "MiB: peak resident memory.\n"
        "×fl: frictionless's wall time over ciudades's; ×pa: ciudades's wall time over a bare "
        "multithreaded pyarrow read of the same file as text (the cells as strings, as the engine "
        "reads them)" + (", ×pl: over a bare polars read as text" if polars else "") + ".\n"
        "pyarrow typed: the same read letting pyarrow infer the types; "
        "read: the read call alone, without starting Python and importing pyarrow (or polars)"
        + (f"\nEach command run {times} times in turn: median seconds, largest memory." if times > 1 else "")
    )
    print()
    revs = [r for r in args.against.split(",") if r]
    if revs:
        with tempfile.TemporaryDirectory(prefix="ciudades-against-") as into:
            small_runs_against(revs, Path(into))
    if args.small_only:
        return
    head = (
        f"{'table':8} {'rows':>10} {'variant':7} {'MB':>7} | {'ciudades s':>10} {'cpu':>6} {'MiB':>5} | "
        f"{'frictionless s':>14} {'cpu':>6} {'MiB':>5} | "
        f"{'pyarrow typed s':>15} {'read':>5} | {'pyarrow text s':>14} {'read':>5} {'cpu':>5} {'MiB':>5} | "
        + (f"{'polars text s':>13} {'read':>5} {'MiB':>5} | " if polars else "")
        + f"{'×fl':>6} {'×pa':>5}"
        + (f" {'×pl':>5}" if polars else "")
        + f" {'same errors':>11}"
    )
    print(head)
    print("-" * len(head))
    for rows in sizes:
        for table in tables:
            schema = TABLES[table][0]
            schema_json = resolved_schema(data, schema)
            for bad in variants:
                path = funding_file(data, rows, bad, table)
                mb = path.stat().st_size / 1e6
                validate = [CIUDADES, "validate", str(path), "--schema", str(schema)]
                ours = run_median([*validate, "--format", "json", "--engine", "fast"], times)
                typed = run_median([sys.executable, "-c", _PYARROW_READ, str(path), "typed"], times)
                floor = run_median([sys.executable, "-c", _PYARROW_READ, str(path), "text"], times)
                line = (
                    f"{table:8} {rows:>10,} {'1% bad' if bad else 'valid':7} {mb:7.1f} | "
                    f"{ours.wall:10.2f} {ours.cpu:6.2f} {ours.rss:5.0f} | "
                )
                theirs, ratio, same = f"{'—':>14} {'—':>6} {'—':>5}", "—", "—"
                if rows <= args.frictionless_max:
                    # frictionless only reads paths relative to where it runs
                    fl_cmd = [FRICTIONLESS, "validate", path.name, "--schema", schema_json.name, "--json"]
                    fl = run_median(fl_cmd, times, cwd=data)
                    theirs = f"{fl.wall:14.2f} {fl.cpu:6.2f} {fl.rss:5.0f}"
                    ratio = f"{fl.wall / ours.wall:5.1f}×"
                    expected = errors_frictionless(fl.output, json.loads(schema_json.read_text("utf-8")))
                    same = "yes" if errors_ours(ours.output) == expected else "NO"
                read = _seconds(floor)
                line += f"{theirs} | {typed.wall:15.2f} {_seconds(typed):5.2f} | "
                line += f"{floor.wall:14.2f} {read:5.2f} {floor.cpu:5.2f} {floor.rss:5.0f} | "
                ratios = f"{ratio:>6} {ours.wall / floor.wall:4.1f}×"
                if polars:
                    pl = run_median([sys.executable, "-c", _POLARS_READ, str(path)], times)
                    line += f"{pl.wall:13.2f} {_seconds(pl):5.2f} {pl.rss:5.0f} | "
                    ratios += f" {ours.wall / pl.wall:4.1f}×" if pl.code == 0 else f" {'—':>5}"
                print(f"{line}{ratios} {same:>11}", flush=True)
                if bad:
                    print(
                        floor_to_cap(
                            data, path, ours.output, times, fl.wall if rows <= args.frictionless_max else None
                        )
                    )
    print()
    if 1_000_000 in sizes and "funding" in tables:
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
