"""Run one fuzz target with atheris (coverage-guided, libFuzzer options) or replay inputs.

    python fuzz/run.py csv_raw -runs=500000 -timeout=30 fuzz/corpus/csv_raw
    python fuzz/run.py --replay csv_raw crash-0123abcd

Seeds are written to the corpus folder given (created if missing) before the run starts. A crash is
any exception other than a ToolkitError with a message (see ``fuzz/targets.py``); libFuzzer saves
the input as ``crash-*`` and ``timeout-*`` files for the ``-timeout`` it is given.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--replay":
        from fuzz.targets import TARGETS

        target = TARGETS[args[1]]
        for name in args[2:]:
            print(name, flush=True)
            target(Path(name).read_bytes())
        return
    import atheris

    with atheris.instrument_imports(include=["toolkit"]):
        import toolkit.catalog.model
        import toolkit.review.importer
        import toolkit.validation.validator  # noqa: F401
        from fuzz.targets import SEEDS, TARGETS

    name = args[0]
    target = TARGETS[name]
    for folder in (a for a in args[1:] if not a.startswith("-")):
        Path(folder).mkdir(parents=True, exist_ok=True)
        for seed in SEEDS[name]:
            (Path(folder) / hashlib.sha1(seed).hexdigest()).write_bytes(seed)
    atheris.Setup([sys.argv[0], *args[1:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
