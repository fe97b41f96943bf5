"""Scripted candidate turns for headless runs: a YAML file ``turns: [text, ...]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from scenarios.loader import ScenarioError, ScenarioIssue, validate_yaml

TurnText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]


class CandidateScript(BaseModel):
    """The person's turns, in order; each entry is one turn."""

    model_config = ConfigDict(extra="forbid", strict=True)

    turns: list[TurnText] = Field(min_length=1)


def load_script(path: str | Path) -> CandidateScript:
    """Read a script; errors name the file, the field and the line (as for scenarios)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [ScenarioIssue("", None, f"cannot read script: {exc}")]) from exc
    return validate_yaml(CandidateScript, text, str(path))
