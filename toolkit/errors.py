"""Exceptions for failures of the tool or of its input as a whole.

Problems found *in* the data are not exceptions: they are :class:`toolkit.report.findings.Finding` values.
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC starts terminal escape sequences; CR, BS and BEL rewrite or ring the
# terminal; a newline would break a one-line message), line and paragraph separators, and the bidi
# embeddings, overrides and isolates that make text display in another order than it reads.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shown(text: str) -> str:
    """``text`` safe to print on one line: each control character becomes its Python escape
    (``\\x1b``, ``\\r``, ``\\n``, ``\\u202e``); every other character, «ñ» included, is kept."""
    return _CONTROLS.sub(lambda m: ascii(m.group())[1:-1], text)


class ToolkitError(Exception):
    """A failure the user can act on; carries a message in Spanish and English."""

    exit_code = 3

    def __init__(self, message_es: str, message_en: str | None = None) -> None:
        super().__init__(message_en or message_es)
        self.message_es = message_es
        self.message_en = message_en or message_es

    def message(self, lang: str) -> str:
        return self.message_es if lang == "es" else self.message_en


class UsageError(ToolkitError):
    """The command was called with arguments that cannot work (exit code 2)."""

    exit_code = 2
