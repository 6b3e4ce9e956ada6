"""Exceptions for failures of the tool or of its input as a whole.

Problems found *in* the data are not exceptions: they are :class:`toolkit.report.Finding` values.
"""

from __future__ import annotations


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
