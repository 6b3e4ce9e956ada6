"""Check the datasets of a catalog that take the frictionless path in worker processes.

frictionless spends most of its time on small catalogs copying and re-validating metadata, all
of it Python holding the GIL, so threads would not help; processes forked from this one start
with everything already imported and the catalog already read, and cost a few milliseconds.

Workers are used only where that is safe and useful: on Linux (``fork``), with two or more CPUs,
and while this process runs no other thread (a fork copies only the calling thread; a lock held
by another one would stay locked in the child). A worker that fails, or a pool that breaks,
leaves its datasets to be checked here, one after another, so errors surface exactly as they
would without workers.

The fast engine, the default, does not use them: on the shipped catalog (7 datasets of small
tables, 2 cores) its checks took 0.39 to 0.41 s in forked workers against 0.27 to 0.31 s in one
process, each worker paying again the first calls of the compute kernels.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

from toolkit.catalog.model import Catalog, Dataset
from toolkit.report.findings import Finding

Result = tuple[list[Finding], int, int]  # findings, tables checked, rows
ENABLED = True  # tests turn workers off to compare with one dataset after another

_JOB: tuple[list[Dataset], Catalog, list[str] | None, int] | None = None


def workers(n_jobs: int) -> int:
    """How many worker processes to use for ``n_jobs`` datasets (0: none)."""
    if not ENABLED or n_jobs < 2 or sys.platform != "linux":
        return 0
    if threading.active_count() > 1:
        return 0
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    # One more than the CPUs: the last datasets to finish are then not left to one worker alone.
    return min(cpus + 1, n_jobs) if cpus > 1 else 0


def classic_datasets(
    datasets: list[Dataset],
    catalog: Catalog,
    profiles: list[str] | None,
    limit_errors: int,
    say: Callable[[str], None],
) -> dict[str, Result]:
    """The frictionless-path results of ``datasets`` by slug, for those a worker checked."""
    global _JOB
    n = workers(len(datasets))
    if not n:
        return {}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    say(f"{len(datasets)} datasets on the frictionless path: {n} worker processes")
    _JOB = (datasets, catalog, profiles, limit_errors)
    results: dict[str, Result] = {}
    try:
        pool = ProcessPoolExecutor(
            max_workers=n,
            mp_context=multiprocessing.get_context("fork"),
            initializer=_worker_start,
            initargs=(os.getpid(),),
        )
        try:
            # The workers are forked by the first submit. Until each has set its own signal
            # handlers, Ctrl-C or SIGTERM must not reach it with this process's handlers: they
            # are held (blocked) across the fork and delivered here right after.
            with _signals_held():
                futures = [pool.submit(_run, i) for i in range(len(datasets))]
            for ds, future in zip(datasets, futures, strict=True):
                try:
                    got = future.result()
                except Exception as ex:  # a broken pool (BrokenProcessPool), a result it could not send…
                    say(f"{ds.slug}: the worker process failed ({type(ex).__name__}); checked here instead")
                    continue
                if got is None:
                    say(f"{ds.slug}: the worker stopped on an error; checked here instead")
                    continue
                results[ds.slug] = got
            # Inside: a signal while the pool winds down must stop it too, not leave its manager
            # thread closing pipes as the interpreter exits.
            pool.shutdown(wait=True)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM) or failing: the work still queued or running is no
            # longer wanted. Leaving the pool the usual way would wait for all of it, minutes on a
            # large catalog; the workers are stopped now instead.
            _stop(pool)
            raise
    except OSError as ex:  # no processes left to fork, say
        say(f"worker processes unavailable ({ex}); datasets checked one after another")
    finally:
        _JOB = None
    return results


_HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _stop(pool: Any) -> None:
    """Kill the workers of ``pool`` and drop its queued work, without waiting for any of it."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)  # shutdown forgets it
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(1)
    # The pool's manager thread closes its wake-up pipe as it ends, while Python 3.11 writes to that
    # pipe as the interpreter exits, unlocked: when the two meet, "OSError: Bad file descriptor" is
    # printed with a traceback after the "Interrupted" line. The manager has nothing left to do:
    # wait for it briefly and forget its pipe.
    from concurrent.futures import process as futures_process

    if manager is not None:
        manager.join(0.5)
        with contextlib.suppress(AttributeError, TypeError):
            futures_process._threads_wakeups.pop(manager, None)


def _worker_start(parent: int) -> None:
    """A worker dies with this process (killed, even with SIGKILL, it would otherwise keep running
    and keep the caller's output pipes open) and leaves Ctrl-C to it (no traceback from workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM kills a worker at once, whatever handler the parent had installed.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent was already gone
        os._exit(1)


def _run(i: int) -> Result | None:
    return _work(i)  # looked up when called, in the worker


def _work(i: int) -> Result | None:
    """In a worker: the frictionless path for dataset ``i`` of the job (``None`` on any error)."""
    from toolkit.report.findings import Report
    from toolkit.validation.validator import _classic

    assert _JOB is not None
    datasets, catalog, profiles, limit_errors = _JOB
    from toolkit.catalog.model import applied_profiles

    ds = datasets[i]
    names = applied_profiles(profiles, catalog.in_catalog, ds.profiles)
    report = Report()
    try:
        found = _classic(ds, catalog, report, ds.resources, names, limit_errors, None)
    except Exception:
        return None
    return found, report.resources, report.rows
