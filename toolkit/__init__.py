"""Ciudades al Mundo: validate, package, render and publish open data on cities' international action."""

from __future__ import annotations

# typing.TYPE_CHECKING without importing typing: `ciudades` and `python -m toolkit` import this
# package before they can turn Ctrl-C into a quiet exit, so it imports nothing at all.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from toolkit.catalog.model import Catalog, Dataset, load_catalog
    from toolkit.errors import ToolkitError, UsageError
    from toolkit.packaging.load import load
    from toolkit.packaging.packages import DatasetPackage, OutputFile, PackageResult, package, read_packages
    from toolkit.publish import PublishResult, publish_ckan
    from toolkit.report.findings import Finding, Report
    from toolkit.review.describe import describe
    from toolkit.review.diff import DiffResult, diff
    from toolkit.review.importer import import_table
    from toolkit.review.template import build_template
    from toolkit.review.xlsx_report import write_xlsx_report
    from toolkit.site.build import SiteResult, build
    from toolkit.validation.links import LinkCheck, check_links
    from toolkit.validation.validator import validate

# Everything is imported on first use, so that `import toolkit` (and `ciudades --help`) stays fast.
# The packages are named by nouns (validation, packaging, review…) and the functions by verbs, so no
# submodule of toolkit shares a function's name: toolkit.validate is always the function.
_LAZY = {
    "Catalog": "toolkit.catalog.model",
    "Dataset": "toolkit.catalog.model",
    "describe": "toolkit.review.describe",
    "DatasetPackage": "toolkit.packaging.packages",
    "DiffResult": "toolkit.review.diff",
    "LinkCheck": "toolkit.validation.links",
    "Finding": "toolkit.report.findings",
    "OutputFile": "toolkit.packaging.packages",
    "PackageResult": "toolkit.packaging.packages",
    "PublishResult": "toolkit.publish",
    "Report": "toolkit.report.findings",
    "SiteResult": "toolkit.site.build",
    "ToolkitError": "toolkit.errors",
    "UsageError": "toolkit.errors",
    "build": "toolkit.site.build",
    "build_template": "toolkit.review.template",
    "check_links": "toolkit.validation.links",
    "diff": "toolkit.review.diff",
    "import_table": "toolkit.review.importer",
    "load": "toolkit.packaging.load",
    "load_catalog": "toolkit.catalog.model",
    "package": "toolkit.packaging.packages",
    "publish_ckan": "toolkit.publish",
    "read_packages": "toolkit.packaging.packages",
    "validate": "toolkit.validation.validator",
    "write_xlsx_report": "toolkit.review.xlsx_report",
}

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "Dataset",
    "DatasetPackage",
    "DiffResult",
    "Finding",
    "LinkCheck",
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
    "check_links",
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
