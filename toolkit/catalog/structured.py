"""Read YAML and JSON descriptors, keeping the line of every key so findings can point at it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MAX_DESCRIPTOR_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64


class StructuredError(Exception):
    """A descriptor that cannot be parsed; carries the line and a bilingual explanation."""

    def __init__(self, kind: str, detail: str, line: int | None) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.detail_es = spanish(detail)
        self.line = line


def spanish(detail: str) -> str:
    """The Spanish of a syntax error's explanation (PyYAML's, json's or ours).

    PyYAML writes "CONTEXT PROBLEM (opened on line N)"; each part is translated on its own. A
    part that is not known keeps its English words, marked as such."""
    import re

    from toolkit.report.messages import SYNTAX_CONTEXT_ES, SYNTAX_PROBLEM_ES, SYNTAX_TOKENS_ES

    def token(text: str) -> str:
        bare = text[1:-1] if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"" else text
        return SYNTAX_TOKENS_ES.get(bare, f"«{bare}»")

    def problem(text: str) -> str:
        for pattern, template in SYNTAX_PROBLEM_ES:
            m = re.fullmatch(pattern, text)
            if m:
                return template.format(*(token(g) if not g.isdigit() else g for g in m.groups()))
        return f"{text} (en inglés)"

    rest, opened = detail, None
    m = re.fullmatch(r"(.*) \(opened on line (\d+)\)", detail, re.S)
    if m:
        rest, opened = m.group(1), f"abierto en la línea {m.group(2)}"
    where = None
    for context, es in SYNTAX_CONTEXT_ES.items():
        if rest.startswith(context + " "):
            rest, where = rest[len(context) :].strip(), es
            break
    m = re.match(r"(.*?) at line \d+ column \d+ \(char \d+\)$", rest)  # json's messages
    said = problem(m.group(1) if m else rest)
    around = ", ".join(p for p in (where, opened) if p)
    return f"{said} ({around})" if around else said


@dataclass
class Document:
    """A parsed descriptor and the line (1-based) of each key path, e.g. ('resources', 0, 'path')."""

    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def line(self, *path: Any) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors/aliases (no entity-expansion tricks in descriptors)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                "aliases are not allowed", event.start_mark, "YAML aliases (*name) are not allowed"
            )
        return super().compose_node(parent, index)


def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise StructuredError("YAML", f"nesting deeper than {MAX_DEPTH} levels", node.start_mark.line + 1)
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):  # `? [a]: x` is YAML, but no descriptor key
                line = key_node.start_mark.line + 1
                raise StructuredError("YAML", "a key that is a list or a mapping", line)
            key = key_node.value
            out[(*path, key)] = key_node.start_mark.line + 1
            _lines(value_node, (*path, key), out, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out, depth + 1)


class _Shared(Exception):
    """A node reached twice: libyaml resolved an alias (the pure-Python loader refuses those)."""


def _tree_lines(node: yaml.Node) -> dict[tuple[Any, ...], int]:
    seen: set[int] = set()

    def walk(n: yaml.Node, depth: int) -> None:
        if id(n) in seen:
            raise _Shared
        seen.add(id(n))
        if depth > MAX_DEPTH:
            raise _Shared
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                walk(k, depth + 1)
                walk(v, depth + 1)
        elif isinstance(n, yaml.SequenceNode):
            for item in n.value:
                walk(item, depth + 1)

    walk(node, 0)
    return _walk_lines(node)


def _load(loader_class: Any, text: str, lines_of: Any) -> Document:
    """Compose ``text`` with ``loader_class``, take the key lines with ``lines_of``, construct."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return Document(None, {})
        lines = lines_of(node)
        return Document(loader.construct_document(node), lines)
    finally:
        loader.dispose()


def _walk_lines(node: yaml.Node) -> dict[tuple[Any, ...], int]:
    lines: dict[tuple[Any, ...], int] = {}
    _lines(node, (), lines, 0)
    return lines


def _fast_yaml(text: str) -> Document | None:
    """Parse with libyaml (ten times faster than the pure-Python loader) when the text is a plain,
    well-formed tree; ``None`` for anything else, which the pure-Python loader then reports in its
    own words (aliases, syntax errors, deep nesting)."""
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None:
        return None
    try:
        return _load(loader_class, text, _tree_lines)
    except (yaml.YAMLError, _Shared, StructuredError, RecursionError, ValueError, TypeError):
        return None


def _check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise StructuredError("JSON", f"nesting deeper than {MAX_DEPTH} levels", None)
    if isinstance(value, dict):
        for v in value.values():
            _check_depth(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _check_depth(v, depth + 1)


def parse(text: str, kind: str) -> Document:
    """Parse YAML or JSON text into a :class:`Document`; raise :class:`StructuredError`."""
    if kind == "JSON":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as ex:
            raise StructuredError("JSON", ex.msg, ex.lineno) from None
        except RecursionError:
            raise StructuredError("JSON", f"nesting deeper than {MAX_DEPTH} levels", None) from None
        _check_depth(data)
        lines: dict[tuple[Any, ...], int] = {}
        fast = _fast_yaml(text)  # JSON is (almost always) YAML: borrow YAML's marks for the key lines
        if fast is not None:
            return Document(data, fast.lines)
        try:
            node = yaml.compose(text, Loader=_Loader)
            if node is not None:
                _lines(node, (), lines, 0)
        except (yaml.YAMLError, StructuredError, RecursionError):
            lines = {}
        return Document(data, lines)
    fast = _fast_yaml(text)
    if fast is not None:
        return fast
    try:
        return _load(_Loader, text, _walk_lines)
    except yaml.MarkedYAMLError as ex:
        mark = ex.problem_mark or ex.context_mark
        problem = " ".join(p for p in (ex.context, ex.problem) if p)
        if ex.context_mark and mark and ex.context_mark.line != mark.line:
            problem += f" (opened on line {ex.context_mark.line + 1})"
        raise StructuredError("YAML", problem, mark.line + 1 if mark else None) from None
    except yaml.YAMLError as ex:  # a character the reader refuses: its first line says which
        raise StructuredError("YAML", str(ex).split("\n")[0], None) from None
    except RecursionError:
        raise StructuredError("YAML", f"nesting deeper than {MAX_DEPTH} levels", None) from None


def read(path: Path) -> Document:
    """Read a ``.yaml``/``.yml``/``.json`` file."""
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    size = path.stat().st_size
    if size > MAX_DESCRIPTOR_BYTES:
        raise StructuredError(kind, f"file of {size} bytes is larger than {MAX_DESCRIPTOR_BYTES}", None)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as ex:
        line = raw[: ex.start].count(b"\n") + 1
        raise StructuredError(kind, "the file is not UTF-8", line) from None
    return parse(text, kind)
