"""Modules that can be called like the function they are named after.

``toolkit.validate`` is both a module and the function users call (``toolkit.validate("datasets")``),
and so are ``package``, ``load`` and ``diff``. ``toolkit`` imports them only on first use, so that
``import toolkit`` and ``ciudades --help`` stay fast; but once Python imports a submodule it sets the
package's attribute of that name to the module, hiding the function. Each of these modules makes
itself callable instead, so the name works whichever Python sets.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def callable_module(module_name: str, function_name: str) -> None:
    """Make the module ``module_name`` call its function ``function_name`` when called."""

    class CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(self, function_name)(*args, **kwargs)

    sys.modules[module_name].__class__ = CallableModule
