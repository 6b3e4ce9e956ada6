"""A dataset's released versions, read from the catalog's git history, and its changelog.

A version was released at the git tag ``<slug>-v<version>`` when there is one, else at the commit
that set it: the oldest commit of the latest run of commits whose descriptor carries that version.
``ciudades release`` compares with the current version's release point; ``ciudades build`` exports
every earlier one to package it again. git is run as a subprocess, never through a shell.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from packaging.version import InvalidVersion, Version

from toolkit.errors import ToolkitError, UsageError

__all__ = [
    "CHANGELOG",
    "Entry",
    "GitFailed",
    "Release",
    "changelog",
    "export",
    "git",
    "history_state",
    "release_point",
    "releases",
    "show",
    "version_of",
]


CHANGELOG = "CHANGELOG.md"


class GitFailed(Exception):
    """git answered with an error other than 'not a repository'."""


def git(args: list[str], cwd: Path) -> str:
    """Run git and return its output; a clear error when git is missing or the folder is no repository."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, encoding="utf-8", check=False
        )
    except FileNotFoundError as ex:
        raise ToolkitError(
            "No se encontró el programa git; instálalo para usar esta opción.",
            "The git program was not found; install it to use this option.",
        ) from ex
    if proc.returncode != 0:
        if "not a git repository" in proc.stderr:
            raise UsageError(
                f"«{cwd}» no está dentro de un repositorio git; esta opción compara con versiones de git.",
                f"'{cwd}' is not inside a git repository; this option compares with git versions.",
            )
        raise GitFailed(proc.stderr.strip())
    return proc.stdout


def show(root: Path, ref: str, path: str) -> bytes | None:
    """A file's bytes at ``ref`` (``None`` when it does not exist there)."""
    proc = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=root, capture_output=True, check=False)
    return proc.stdout if proc.returncode == 0 else None


def version_of(text: str | bytes | None, name: str) -> str | None:
    """The ``version`` a descriptor's text declares (``None`` when it cannot be read or has none)."""
    if text is None:
        return None
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig", errors="replace")
    try:
        data: Any = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError):
        return None
    value = data.get("version") if isinstance(data, dict) else None
    return str(value) if value is not None else None


def _history(root: Path, rel: str) -> list[tuple[str, str | None]]:
    """Every commit that touched the descriptor ``rel``, newest first, with the version it carries."""
    name = PurePosixPath(rel).name
    commits = git(["log", "--format=%H", "--", rel], root).split()
    return [(c, version_of(show(root, c, rel), name)) for c in commits]


def release_point(
    root: Path,
    rel: str,
    slug: str,
    version: str,
    history: list[tuple[str, str | None]] | None = None,
) -> tuple[str, str] | None:
    """Where ``version`` of the dataset whose descriptor is ``rel`` (relative to the repository) was
    released, and how to name it: the tag ``<slug>-v<version>``, else the oldest commit of the latest
    run of commits whose descriptor carries ``version``. A version no commit carries (changed by hand
    since the last commit) gives the newest commit; a descriptor never committed gives ``None``."""
    tag = f"{slug}-v{version}"
    if git(["tag", "--list", tag], root).strip() == tag:
        return f"refs/tags/{tag}", tag
    commits = history if history is not None else _history(root, rel)
    found: str | None = None
    for commit, carried in commits:  # newest first
        if carried == version:
            found = commit
        elif found is not None:
            break
    if found is None:
        found = commits[0][0] if commits else None
    return (found, found[:7]) if found else None


@dataclass(frozen=True)
class Release:
    """An earlier released version of a dataset."""

    version: str
    ref: str  # what git reads it from: the tag or the commit
    label: str  # the tag's name or the commit's short hash
    commit: str  # the full commit
    date: str  # the commit's date, YYYY-MM-DD


def _earlier_than(version: str, current: str | None) -> bool:
    """Whether ``version`` comes before ``current``; a version that is not a version number, or a
    missing current one, cannot be compared and counts as earlier."""
    try:
        return current is None or Version(version) < Version(current)
    except InvalidVersion:
        return version != current


def releases(root: Path, rel: str, slug: str, current: str | None) -> list[Release]:
    """Every version before ``current`` that the descriptor ``rel`` carried in a commit, newest first,
    each at its release point. A higher version a commit carried and a later one undid (a bump
    reverted by hand) was never the catalog's release, and is left out."""
    commits = _history(root, rel)
    seen: list[str] = []
    for _, version in commits:  # newest first
        if version is not None and version not in seen and _earlier_than(version, current):
            seen.append(version)
    out = []
    for version in seen:
        point = release_point(root, rel, slug, version, commits)
        assert point is not None  # the version is in the history
        ref, label = point
        commit, day = git(["log", "-1", "--format=%H %cs", ref], root).split()
        out.append(Release(version, ref, label, commit, day))
    return out


def history_state(folder: Path) -> tuple[Path | None, str]:
    """The repository that holds ``folder`` and whether its history can be read: ``ok``, ``no-git``
    (git missing, or the folder in no repository) or ``shallow`` (a clone without full history)."""
    try:
        root = Path(git(["rev-parse", "--show-toplevel"], folder.resolve()).strip()).resolve()
        shallow = git(["rev-parse", "--is-shallow-repository"], root).strip() == "true"
    except (ToolkitError, GitFailed):  # git missing (ToolkitError) or no repository (UsageError)
        return None, "no-git"
    return root, "shallow" if shallow else "ok"


def export(root: Path, ref: str, paths: list[str], dest: Path) -> None:
    """Write the files under ``paths`` (relative to the repository) as they were at ``ref`` into
    ``dest``, keeping their relative paths; paths that did not exist at ``ref`` are left out."""
    present = [p for p in paths if git(["ls-tree", "--name-only", ref, "--", p], root).strip()]
    if not present:
        return
    proc = subprocess.run(
        ["git", "archive", "--format=tar", ref, "--", *present], cwd=root, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise GitFailed(proc.stderr.decode("utf-8", errors="replace").strip())
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        for member in tar.getmembers():
            parts = PurePosixPath(member.name).parts
            if not member.isfile() or member.name.startswith("/") or ".." in parts:
                continue  # folders are made as needed; links and odd names are not data
            source = tar.extractfile(member)
            assert source is not None
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())


# ── the changelog ─────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Entry:
    """One entry of a dataset's ``CHANGELOG.md``: its heading (``1.1.0 (2026-12-03)``) and body."""

    heading: str
    version: str | None
    body: str

    def notes(self, lang: str) -> str:
        """The body in one language: the ``**es**:`` or ``**en**:`` part of a bilingual entry, else all."""
        parts = re.split(r"(?m)^\*\*(es|en)\*\*:\s*", self.body)
        if len(parts) < 3:
            return self.body.strip()
        found = dict(zip(parts[1::2], parts[2::2], strict=True))
        return (found.get(lang) or found.get("es") or "").strip()


def changelog(text: str) -> list[Entry]:
    """The entries of a changelog: each ``## `` heading and what follows it, in the file's order."""
    chunks = re.split(r"(?m)^## +(.*)$", text)
    out = []
    for heading, body in zip(chunks[1::2], chunks[2::2], strict=True):
        match = re.match(r"v?(\d+\.\d+\.\d+\S*)", heading.strip())
        out.append(Entry(heading.strip(), match.group(1) if match else None, body.strip()))
    return out
