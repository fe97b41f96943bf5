"""Helpers for the scenario-format tests: mutate the library's chat scenario and check reported errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from scenarios import (
    LIBRARY_DIR,
    ScenarioError,
    ScenarioIssue,
    load_scenario,
)

CHAT_FILE = LIBRARY_DIR / "chat_system.yaml"
LIBRARY_FILES = sorted(LIBRARY_DIR.glob("*.y*ml"))
SCRIPTS_DIR = LIBRARY_DIR.parent / "scripts"
STRONG_SCRIPT = SCRIPTS_DIR / "chat-system" / "strong.yaml"

# -----------------------------------------------------------------------------------


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def dump(data: object) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def line_of(text: str, pattern: str, occurrence: int = 0) -> int:
    """1-based number of the ``occurrence``-th line matching ``pattern`` (a regex on one line)."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if re.search(pattern, line)]
    assert len(hits) > occurrence, f"no line #{occurrence} matching {pattern!r}"
    return hits[occurrence]


def replace_line(text: str, pattern: str, new: str, occurrence: int = 0) -> tuple[str, int]:
    """Replace one line matching ``pattern``; returns the new text and that line's number."""
    number = line_of(text, pattern, occurrence)
    lines = text.splitlines(keepends=True)
    lines[number - 1] = new + "\n"
    return "".join(lines), number


def set_top_level(text: str, key: str, value: str) -> tuple[str, int]:
    """Set a one-line top-level ``key: value`` (replacing the key's line, or adding it before the
    stakeholders); returns the new text and that line's number."""
    if re.search(rf"^{key}:", text, re.M):
        return replace_line(text, rf"^{key}:", f"{key}: {value}")
    text = re.sub(r"^stakeholders:", f"{key}: {value}\nstakeholders:", text, count=1, flags=re.M)
    return text, line_of(text, rf"^{key}:")


def role_index(data: dict) -> dict[str, int]:
    return {s["role"]: i for i, s in enumerate(data["stakeholders"])}


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def issue_at(error: ScenarioError, field: str) -> ScenarioIssue:
    matching = [i for i in error.issues if i.field == field]
    assert len(matching) == 1, f"expected one issue for {field!r}, got {error.issues}"
    return matching[0]


def assert_reported(error: ScenarioError, source: str | Path, field: str, line: int | None, expect: str) -> None:
    """The issue for ``field`` has ``line``, says ``expect``, and the message names file, line and field."""
    issue = issue_at(error, field)
    assert error.source == str(source)
    assert issue.line == line, f"{field}: expected line {line}, got {issue.line} ({issue.message})"
    assert expect.lower() in issue.message.lower()
    where = f"line {line}" if line else "file"
    rendered = f"{source}: {where}:" + (f" {field}:" if field else "")
    assert rendered in str(error), str(error)
