"""Ciudades al Mundo: validate, package, render and publish open data on cities' international action."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from toolkit.errors import ToolkitError, UsageError

if TYPE_CHECKING:
    from toolkit.catalog import Catalog, Dataset, load_catalog
    from toolkit.describe import describe
    from toolkit.diff import DiffResult, diff
    from toolkit.load import load
    from toolkit.package import DatasetPackage, OutputFile, PackageResult, package, read_packages
    from toolkit.publish import PublishResult, publish_ckan
    from toolkit.report import Finding, Report
    from toolkit.site import SiteResult, build
    from toolkit.spreadsheet import build_template, import_table, write_xlsx_report
    from toolkit.validate import validate

# Everything is imported on first use, so that `import toolkit` (and `ciudades --help`) stays fast.
# validate, package, load, diff and describe are also the names of their modules: those modules can be
# called like their function (see toolkit/callmodule.py), whichever of the two Python binds here.
_LAZY = {
    "Catalog": "toolkit.catalog",
    "Dataset": "toolkit.catalog",
    "DatasetPackage": "toolkit.package",
    "DiffResult": "toolkit.diff",
    "Finding": "toolkit.report",
    "OutputFile": "toolkit.package",
    "PackageResult": "toolkit.package",
    "PublishResult": "toolkit.publish",
    "Report": "toolkit.report",
    "SiteResult": "toolkit.site",
    "build": "toolkit.site",
    "build_template": "toolkit.spreadsheet",
    "describe": "toolkit.describe",
    "diff": "toolkit.diff",
    "import_table": "toolkit.spreadsheet",
    "load": "toolkit.load",
    "load_catalog": "toolkit.catalog",
    "package": "toolkit.package",
    "publish_ckan": "toolkit.publish",
    "read_packages": "toolkit.package",
    "validate": "toolkit.validate",
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
    "describe",
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
