"""``ciudades describe``: a starting schema inferred from a CSV, ready to pass to ``--schema``."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

import toolkit
from toolkit.cli import cli

CSV = (
    "id,name,amount,signed,ok,period,notes,source_url\n"
    "1,Lima,1.5,2024-01-02,true,2024,,https://example.org/a\n"
    "2,Quito,3,2024-02-03,false,2025,,https://example.org/b\n"
    "3,Bogotá,,2024-03-04,true,2026,,https://example.org/c\n"
)


def test_describe_then_validate_is_valid(tmp_path: Path, runner: CliRunner) -> None:
    data = tmp_path / "cities.csv"
    data.write_text(CSV, encoding="utf-8")
    described = runner.invoke(cli, ["describe", str(data), "--lang", "en"])
    assert described.exit_code == 0, described.output
    schema = yaml.safe_load(described.output)
    assert [(f["name"], f["type"], f["title"]) for f in schema["fields"]] == [
        ("id", "integer", ""),
        ("name", "string", ""),
        ("amount", "number", ""),
        ("signed", "date", ""),
        ("ok", "boolean", ""),
        ("period", "integer", ""),
        ("notes", "string", ""),  # empty in every row: a string to refine, not "any"
        ("source_url", "string", ""),
    ]
    assert described.output.startswith("# Starting schema for ")
    path = tmp_path / "cities.schema.yaml"
    path.write_text(described.output, encoding="utf-8")
    checked = runner.invoke(cli, ["validate", str(data), "--schema", str(path), "--lang", "en"])
    assert checked.exit_code == 0, checked.output
    assert "✓ Valid: no problems" in checked.output


def test_describe_is_in_the_python_api(tmp_path: Path) -> None:
    data = tmp_path / "t.csv"
    data.write_text("code;value\nA;1\nB;2\n", encoding="utf-8")
    schema = toolkit.describe(data)
    assert [(f["name"], f["type"]) for f in schema["fields"]] == [("code", "string"), ("value", "integer")]


def test_describe_refuses_what_is_not_a_csv(tmp_path: Path, runner: CliRunner) -> None:
    book = tmp_path / "book.csv"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    for path, words in (
        (book, "cannot be described as a CSV"),
        (empty, "cannot be described as a CSV"),
        (tmp_path / "missing.csv", "does not exist"),
    ):
        result = runner.invoke(cli, ["describe", str(path), "--lang", "en"])
        assert result.exit_code == 2, result.output
        assert words in result.output
        assert "Traceback" not in result.output
