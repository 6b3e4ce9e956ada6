"""Ciudades al Mundo: validate, package, render and publish open data on cities' international action."""

from __future__ import annotations

from toolkit.catalog import Catalog, Dataset, load_catalog
from toolkit.errors import ToolkitError, UsageError
from toolkit.report import Finding, Report
from toolkit.validate import validate

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "Dataset",
    "Finding",
    "Report",
    "ToolkitError",
    "UsageError",
    "__version__",
    "load_catalog",
    "validate",
]
