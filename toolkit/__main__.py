"""The ``ciudades`` command and ``python -m toolkit``: start the command-line interface."""

import sys


def run() -> None:
    """``python -m toolkit`` and the ``ciudades`` command: Ctrl-C while the modules are still
    being imported ends quietly too (exit 130), not with a traceback."""
    import gc
    import os

    # The toolkit never multiplies matrices; OpenBLAS, loaded with numpy, would otherwise start a
    # thread per core at import (half of numpy's import time: 60 ms of a 0.35 s run). A value the
    # user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    gc.disable()  # nothing made while the modules load is garbage: no collection could free any
    try:
        from toolkit.cli import main
    except KeyboardInterrupt:
        _interrupted()
    finally:
        gc.freeze()  # nor later: it lives until the command ends, so no collection need walk it
        # What a command makes mostly lives until it ends too: young objects are collected after
        # 10,000 allocations rather than 700 (on the shipped catalog: 6 collections, 3.5 ms, not 44, 6.5 ms).
        gc.set_threshold(10_000, *gc.get_threshold()[1:])
        gc.enable()
    main()


def _interrupted() -> None:
    import os

    from toolkit.report.messages import INTERRUPTED

    lang = "es"
    for var in ("CIUDADES_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):  # as toolkit.cli.default_lang
        if os.environ.get(var):
            lang = "es" if os.environ[var].lower().startswith("es") else "en"
            break
    sys.stderr.write(INTERRUPTED[lang] + "\n")
    sys.exit(130)


def start() -> None:
    """The ``ciudades`` command: :func:`run`, then an exit that skips tearing the interpreter down.

    Freeing numpy's and pyarrow's modules one by one at exit takes 15 to 20 ms, nearly a twentieth
    of a run on the shipped catalog, and nothing needs it. What a normal exit does first is still
    done: the exit handlers run (temporary folders removed, worker processes stopped) and the
    output is flushed. Whenever that is not the whole story (a thread still running, output that
    cannot be written, an exit status that is not a number) the normal exit takes over.
    """
    try:
        run()
    except SystemExit as ex:
        _leave(ex)
        raise


def _leave(ex: SystemExit) -> None:
    import atexit
    import os
    import threading

    status = 0 if ex.code is None else ex.code
    # The fast engine's workers (``ciudades_0``…) hold nothing the output needs, even when at work
    # on a block read ahead for nothing: they are not waited for (a spoiled table's run: 13 ms).
    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not isinstance(status, int) or any(
        t.is_alive() and not t.daemon and not t.name.startswith("ciudades_") for t in others
    ):
        return
    atexit._run_exitfuncs()
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):  # a closed pipe or stream: the normal exit reports it as it always has
        return
    os._exit(status)


if __name__ == "__main__":
    start()
