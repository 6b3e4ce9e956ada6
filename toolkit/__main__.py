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


if __name__ == "__main__":
    run()
