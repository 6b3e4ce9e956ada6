"""Ciudades al Mundo: validate, package, render and publish open data on cities' international action."""

from __future__ import annotations

from typing import Any

from toolkit.diff import DiffResult, diff
from toolkit.errors import ToolkitError, UsageError
from toolkit.load import load
from toolkit.package import DatasetPackage, OutputFile, PackageResult, package, read_packages
from toolkit.validate import validate

# Everything else is imported on first use, so that `import toolkit` (and `ciudades --help`)
# stays fast: the site, publishing and spreadsheet stages pull in heavy libraries. Functions named
# like their module (validate, package, load, diff) stay eager: once a submodule is imported,
# Python sets the package attribute of that name to the module, hiding a lazy function.
_LAZY = {
    "Catalog": "toolkit.catalog",
    "Dataset": "toolkit.catalog",
    "Finding": "toolkit.report",
    "PublishResult": "toolkit.publish",
    "Report": "toolkit.report",
    "SiteResult": "toolkit.site",
    "build": "toolkit.site",
    "build_template": "toolkit.spreadsheet",
    "import_table": "toolkit.spreadsheet",
    "load_catalog": "toolkit.catalog",
    "publish_ckan": "toolkit.publish",
    "write_xlsx_report": "toolkit.spreadsheet",
}

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "Dataset",
    "DatasetPackage",
    "DiffResult",
    "Finding",
    "OutputFile",
    "PackageResult",
    "PublishResult",
    "Report",
    "SiteResult",
    "ToolkitError",
    "UsageError",
    "__version__",
    "build",
    "build_template",
    "diff",
    "import_table",
    "load",
    "load_catalog",
    "package",
    "publish_ckan",
    "read_packages",
    "validate",
    "write_xlsx_report",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
