"""Faults: killed runs, a full disk, concurrent runs, and sources that no command touches.

Every scenario runs the real command line in a child process on a private copy of the catalog and
compares the output folder with a reference build of the same catalog, file by file and byte by byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import atomic
from toolkit.cli import cli

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("package", "build")


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with its SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sources_state(catalog: Path) -> dict[str, tuple[str, int, int]]:
    """Content, permissions and modification time of every entry under datasets/ and schemas/."""
    state = {}
    for top in ("datasets", "schemas"):
        for p in sorted((catalog / top).rglob("*")):
            st = p.lstat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            state[p.relative_to(catalog).as_posix()] = (digest, st.st_mode, st.st_mtime_ns)
    return state


def run(cwd: Path, command: str, out: str, **kwargs: object) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CI": "true", "CIUDADES_LANG": "es"}
    return subprocess.Popen(
        [sys.executable, "-m", "toolkit", command, "datasets", "--out", out],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,  # type: ignore[call-overload]
    )


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, dict[str, str]], dict[str, float]]:
    """A catalog copy, the reference output of each command and how long each took."""
    base = tmp_path_factory.mktemp("faults")
    shutil.copytree(ROOT / "datasets", base / "datasets")
    shutil.copytree(ROOT / "schemas", base / "schemas")
    trees, seconds = {}, {}
    for command in COMMANDS:
        started = time.monotonic()
        proc = run(base, command, f"ref-{command}")
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
        seconds[command] = time.monotonic() - started
        trees[command] = tree(base / f"ref-{command}")
    return base, trees, seconds


@pytest.mark.parametrize("command", COMMANDS)
def test_sigkill_at_random_points_keeps_the_previous_output(
    reference: tuple[Path, dict[str, dict[str, str]], dict[str, float]], command: str
) -> None:
    base, trees, seconds = reference
    work = base / f"kill-{command}"
    work.mkdir()
    out = work / "out"
    shutil.copytree(base / f"ref-{command}", out)
    rng = random.Random(f"kill-{command}")  # seeded: the same points on every run
    points = sorted(rng.uniform(0.05, 0.95) for _ in range(3))
    for fraction in points:
        proc = run(base, command, str(out))
        time.sleep(fraction * seconds[command])
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        assert tree(out) == trees[command], f"output changed after a kill at {fraction:.0%} of the run"
    proc = run(base, command, str(out))
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    assert tree(out) == trees[command]
    assert leftovers(work) == []  # the temporary folders of the killed runs are gone too


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing us
    resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))


@pytest.mark.parametrize("command", COMMANDS)
def test_disk_full_is_a_clear_error_and_keeps_the_previous_output(
    reference: tuple[Path, dict[str, dict[str, str]], dict[str, float]], command: str
) -> None:
    base, trees, _ = reference
    work = base / f"full-{command}"
    work.mkdir()
    out = work / "out"
    shutil.copytree(base / f"ref-{command}", out)
    proc = run(base, command, str(out), preexec_fn=_limit_file_size)
    _, err = proc.communicate(timeout=300)
    message = err.decode()
    assert proc.returncode == 3
    assert "Traceback" not in message
    assert "No hay espacio para escribir" in message and "La salida anterior quedó intacta" in message
    assert len(message.strip().splitlines()) == 1
    assert tree(out) == trees[command]
    assert leftovers(work) == []


@pytest.mark.parametrize("command", COMMANDS)
def test_concurrent_runs_on_one_output_leave_a_complete_output(
    reference: tuple[Path, dict[str, dict[str, str]], dict[str, float]], command: str
) -> None:
    base, trees, _ = reference
    work = base / f"twice-{command}"
    work.mkdir()
    out = work / "out"
    procs = [run(base, command, str(out)) for _ in range(2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.decode()
    assert tree(out) == trees[command]
    assert leftovers(work) == []


def test_a_run_killed_between_two_renames_is_recovered(tmp_path: Path) -> None:
    """Where the atomic exchange is missing, the swap is two renames; a kill between them is undone."""
    previous = tmp_path / ".out.4242.old"
    previous.mkdir()
    (previous / "a.txt").write_text("previous output")
    partial = tmp_path / ".out.x1y2z3.tmp"
    partial.mkdir()
    (partial / "half").write_text("half")
    other = tmp_path / ".out-other.abc.tmp"  # another output's folder: not ours to remove
    other.mkdir()
    with atomic.output_lock(tmp_path / "out"):
        assert (tmp_path / "out" / "a.txt").read_text() == "previous output"
    assert leftovers(tmp_path) == [".out-other.abc.tmp"]


def test_the_two_rename_swap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "_renameat2", None)
    out, new = tmp_path / "out", tmp_path / ".out.n.tmp"
    for folder, text in ((out, "old"), (new, "new")):
        folder.mkdir()
        (folder / "f").write_text(text)
    atomic.swap(new, out)
    assert (out / "f").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    """A second process waits for the first holder; the lock file is gone once both are done."""
    script = (
        "import sys, time; from pathlib import Path; from toolkit import atomic\n"
        "with atomic.output_lock(Path(sys.argv[1])):\n"
        "    print('got', flush=True)\n"
    )
    with atomic.output_lock(tmp_path / "out"):
        child = subprocess.Popen(
            [sys.executable, "-c", script, str(tmp_path / "out")], stdout=subprocess.PIPE, text=True
        )
        with pytest.raises(subprocess.TimeoutExpired):
            child.communicate(timeout=1.5)  # still waiting for the lock we hold
    out, _ = child.communicate(timeout=60)
    assert out == "got\n"
    assert leftovers(tmp_path) == []


def _commands(tmp: Path) -> list[tuple[str, list[str]]]:
    """Every command that reads the catalog, with arguments that make it write what it can."""
    return [
        ("validate", ["validate", "datasets"]),
        ("validate json", ["validate", "datasets", "--format", "json"]),
        ("validate xlsx", ["validate", "datasets/bogota", "--xlsx-report", str(tmp / "r.xlsx")]),
        (
            "validate csv",
            ["validate", "datasets/bogota/agreements.csv", "--schema", "schemas/agreements.schema.yaml"],
        ),
        ("package", ["package", "datasets", "--out", str(tmp / "pk")]),
        ("build", ["build", "datasets", "--out", str(tmp / "site")]),
        ("diff", ["diff", "--base", str(tmp / "base"), "--head", "datasets"]),
        ("template", ["template", "agreements", "--out", str(tmp / "t.xlsx")]),
        (
            "import",
            ["import", "datasets/bogota/agreements.csv", "--into", str(tmp / "agreements.csv")],
        ),
        ("codes", ["codes"]),
        ("describe", ["describe", "datasets/bogota/agreements.csv"]),
    ]


def test_no_command_modifies_the_sources(
    tmp_path: Path, catalog_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = catalog_copy.parent
    shutil.copytree(catalog / "datasets", tmp_path / "base")
    monkeypatch.chdir(catalog)
    runner = CliRunner()
    for name, args in _commands(tmp_path):
        before = sources_state(catalog)
        result = runner.invoke(cli, [*args, "--lang", "en"] if name != "codes" else args)
        assert result.exit_code in (0, 1), f"{name}: {result.output}"
        assert sources_state(catalog) == before, f"«{name}» modified the sources"
    assert leftovers(catalog) == []


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "datasets/bogota", "--xlsx-report", "{tmp}/r.xlsx"],
        ["template", "agreements", "--out", "{tmp}/t.xlsx"],
        ["import", "datasets/bogota/agreements.csv", "--into", "{tmp}/agreements.csv"],
    ],
    ids=lambda a: a[0],
)
def test_disk_full_in_other_commands_is_a_one_line_error(
    reference: tuple[Path, dict[str, dict[str, str]], dict[str, float]], tmp_path: Path, args: list[str]
) -> None:
    base, _, _ = reference
    size_limit = 2_000

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size_limit, size_limit))

    done = subprocess.run(
        [sys.executable, "-m", "toolkit", *(a.format(tmp=tmp_path) for a in args), "--lang", "en"],
        cwd=base,
        env={**os.environ, "CI": "true"},
        capture_output=True,
        preexec_fn=limit,
        timeout=300,
    )
    message = done.stderr.decode()
    assert done.returncode == 3
    assert "Traceback" not in message and len(message.strip().splitlines()) == 1, message
    assert "File too large" in message
    assert [p.name for p in tmp_path.iterdir()] == []  # no half-written file left


# ── Ctrl-C and SIGTERM ──────────────────────────────────────────────────────────────────────────


def group_processes(pgid: int) -> list[str]:
    """The live processes (zombies excluded) of process group ``pgid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        state, _ppid, group = text.rsplit(")", 1)[1].split()[:3]
        if int(group) == pgid and state != "Z":
            found.append(text.split(" ", 1)[0])
    return found


def interrupt(
    cwd: Path, args: list[str], after: float, signum: int, *, group: bool
) -> tuple[int, float, str, str]:
    """Run ``ciudades ARGS`` in its own process group, send ``signum`` after ``after`` seconds (to
    the whole group, as a terminal does for Ctrl-C, or to the main process only, as ``kill``
    does), and return the exit code, the seconds it took to end after the signal, stdout and
    stderr.
    Every process of the group must be gone by then."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "toolkit", *args],
        cwd=cwd,
        env={**os.environ, "CI": "true", "CIUDADES_LANG": "en"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(after)
    sent = time.monotonic()
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=10)
    finally:
        ended = time.monotonic() - sent
        left = group_processes(proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert left == [], f"processes left after the signal: {left}"
    return proc.returncode, ended, out.decode(), err.decode()


def before_the_toolkit(err: str) -> bool:
    """Whether a Ctrl-C landed while Python itself was starting, before any code of the toolkit
    ran (its traceback names no file of the package): no program written in Python can turn that
    one into a quiet exit, so the test tries that point again a little later."""
    lines = err.strip().splitlines()
    return (
        bool(lines)
        and lines[-1] == "KeyboardInterrupt"
        and not any(f"{os.sep}toolkit{os.sep}" in line for line in lines if line.lstrip().startswith("File "))
    )


STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}
# The last line each command prints once its work is done.
DONE = {"validate": "Checked: ", "package": "Verify with: ", "build": "Preview: "}


@pytest.mark.parametrize("command", ("validate", *COMMANDS))
def test_sigint_and_sigterm_at_random_points(
    reference: tuple[Path, dict[str, dict[str, str]], dict[str, float]], command: str
) -> None:
    """Ctrl-C or SIGTERM at any moment: every process ends within 2 s, none is left, the exit code
    says why (130, 143; 0 or 1 when the run had already ended) and the previous output is intact."""
    base, trees, seconds = reference
    work = base / f"stop-{command}"
    work.mkdir()
    out = work / "out"
    args = ["validate", "datasets"]
    if command != "validate":
        shutil.copytree(base / f"ref-{command}", out)
        args = [command, "datasets", "--out", str(out)]
    duration = seconds.get(command, 1.0)
    rng = random.Random(f"stop-{command}")  # seeded: the same points on every run
    for _ in range(6):
        fraction = rng.uniform(0.02, 1.0)
        signum = rng.choice([signal.SIGINT, signal.SIGTERM])
        group = rng.random() < 0.5
        after = fraction * duration
        for _retry in range(5):
            code, ended, printed, err = interrupt(base, args, after, signum, group=group)
            if not before_the_toolkit(err):
                break
            after += 0.05  # the interpreter was still starting (a loaded machine): a bit later
        where = f"{signal.Signals(signum).name} to the {'group' if group else 'process'} at {fraction:.0%}"
        assert ended < 2, (
            f"{where}: ended {ended:.1f} s after the signal, exit {code}\n{err}\n{printed[-500:]}"
        )
        assert "Traceback" not in err, f"{where}:\n{err}"
        if DONE[command] in printed:  # the work was done before the signal came
            assert code in (0, 1, -signum), f"{where}: exit {code}\n{err}"
        else:
            # 130/143, or killed by the signal itself if it comes again while Python shuts down
            assert code in (STOPPED[signum], -signum), f"{where}: exit {code}\n{err}"
            assert err.strip().endswith("Interrupted; any previous output is intact."), f"{where}:\n{err}"
        if command != "validate":
            assert tree(out) == trees[command], f"{where}: the previous output changed"
            assert leftovers(work) == [], f"{where}: temporary folders left"


def test_ctrl_c_does_not_wait_for_the_worker_processes(tmp_path: Path) -> None:
    """Ctrl-C while worker processes check datasets: the queued and running work is dropped (it
    used to be waited for, minutes on a large catalog, and the run ended with exit 1). Worker
    processes check datasets on the frictionless path only, so the run asks for it (the fast
    engine, the default, checks these datasets in about the time the signal waits for)."""
    spec = importlib.util.spec_from_file_location("synth", ROOT / "benchmarks" / "synth.py")
    assert spec and spec.loader
    synth = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(synth)
    first = synth.make_catalog(tmp_path, partners=1500, agreements=1500, funding=1500, seed=1)
    for k in range(2, 6):  # five datasets on the frictionless path: more than the workers
        copy = first.parent / f"synth{k}"
        shutil.copytree(first, copy)
        text = (copy / "datapackage.yaml").read_text("utf-8")
        (copy / "datapackage.yaml").write_text(text.replace("name: synth\n", f"name: synth{k}\n"), "utf-8")
    for signum in (signal.SIGINT, signal.SIGTERM):
        code, ended, _, err = interrupt(
            tmp_path,
            ["validate", "datasets", "--engine", "frictionless"],
            1.2,
            signum,
            group=signum == signal.SIGINT,
        )
        assert code in (STOPPED[signum], -signum) and "Traceback" not in err, err
        assert err.strip().endswith("Interrupted; any previous output is intact."), err
        assert ended < 2, f"{signal.Signals(signum).name}: ended {ended:.1f} s after the signal"
