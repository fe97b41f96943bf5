"""Scripted candidate turns for headless runs and evaluation.

A script is a YAML file with the person's ``turns`` and, optionally, what a fair scorecard for
those turns looks like (``expect``): bands for the overall score and for any of the five
dimensions. ``roundtable eval`` fails a script whose scorecard falls outside its bands.

    name: strong            # optional; the file name without .yaml by default
    about: Frames the problem, decides, names owners.
    expect:
      overall: [3.8, 5]
      dimensions: {framing: [4, 5], tradeoffs: [4, 5]}
      unsettled: [exactly-once-payout]   # concerns these turns must not settle
    turns:
      - Before we pick a design, who are the users ...
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from scenarios.loader import read_text_file, validate_yaml
from scenarios.schema import Dimension

TurnText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]
ScriptName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=60)]


class Band(BaseModel):
    """An inclusive score range on the 1-5 scale, written ``[low, high]``."""

    model_config = ConfigDict(extra="forbid")

    low: float = Field(ge=1, le=5)
    high: float = Field(ge=1, le=5)

    @model_validator(mode="before")
    @classmethod
    def _from_pair(cls, value):
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError("a band is two numbers, [low, high]")
            return {"low": value[0], "high": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self):
        if self.low > self.high:
            raise ValueError(f"band low {self.low} is above high {self.high}")
        return self

    def holds(self, score: float) -> bool:
        return self.low <= score <= self.high

    @property
    def middle(self) -> float:
        return (self.low + self.high) / 2

    def __str__(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


class Expectation(BaseModel):
    """What a fair scorecard for the script's turns looks like.

    ``known_misses`` names bands the scorer is known to miss today, each with the reason. Such a
    miss is reported, not failed; a known miss that lands inside its band fails instead, so the
    entry is removed once the scorer is fixed (like a strict xfail).
    """

    model_config = ConfigDict(extra="forbid")

    overall: Band | None = None
    dimensions: dict[Dimension, Band] = Field(default_factory=dict)
    known_misses: dict[Literal["overall"] | Dimension, Annotated[str, StringConstraints(min_length=10)]] = Field(
        default_factory=dict
    )
    unsettled: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]] = Field(
        default_factory=list,
        description="Concern ids a fair room does not settle with these turns (an answer that takes the "
        "wrong stance, or never gives one); the check fails if any of them ends resolved.",
    )

    @model_validator(mode="after")
    def _misses_have_bands(self):
        banded = {"overall"} if self.overall else set()
        for target in self.known_misses:
            if target not in banded | set(self.dimensions):
                raise ValueError(f"known_misses.{target}: there is no band for '{target}' to miss")
        return self


class CandidateScript(BaseModel):
    """The person's turns, in order; each entry is one turn."""

    model_config = ConfigDict(extra="forbid")

    name: ScriptName | None = None
    about: str = ""
    expect: Expectation | None = None
    turns: list[TurnText] = Field(min_length=1)


def load_script(path: str | Path) -> CandidateScript:
    """Read a script; errors name the file, the field and the line (as for scenarios)."""
    path = Path(path)
    text = read_text_file(path, kind="script")  # a regular file of bounded size: never a pipe, a device or a directory
    script = validate_yaml(CandidateScript, text, str(path))
    if script.name is None:
        script = script.model_copy(update={"name": path.stem.replace("_", "-")})
    return script
