"""The scorecard: five rubric dimensions with rationale and quoted evidence, and the room's outcome."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from agents.facilitator.timeline import TimelinePoint
from scenarios import DIMENSIONS, Dimension, RubricEmphasis

RUBRIC_PATH = Path(__file__).parent / "rubric.yaml"


class RubricDimension(BaseModel):
    name: str
    what: str
    anchors: dict[int, str]

    def anchor(self, score: int) -> str:
        """The anchor of ``score``; 2 and 4 are described as between their neighbours."""
        if score in self.anchors:
            return self.anchors[score]
        return f"Between {score - 1} and {score + 1}: {self.anchors[score - 1]} / {self.anchors[score + 1]}"


@cache
def rubric() -> dict[Dimension, RubricDimension]:
    data = yaml.safe_load(RUBRIC_PATH.read_text(encoding="utf-8"))
    return {d: RubricDimension.model_validate(data[d]) for d in DIMENSIONS}


class Evidence(BaseModel):
    turn: int = Field(description="The person's turn number, starting at 1.")
    quote: str = Field(description="Verbatim words from that turn.")


class DimensionScore(BaseModel):
    score: int = Field(ge=1, le=5)
    rationale: str
    evidence: list[Evidence] = Field(default_factory=list)
    anchor: str = ""


class ConcernOutcome(BaseModel):
    concern_id: str
    role: str
    stakeholder: str
    challenge: str
    status: str


class Scorecard(BaseModel):
    engine: str
    overall: float
    dimensions: dict[Dimension, DimensionScore]
    strengths: list[str] = Field(default_factory=list)
    improvements: list[str] = Field(default_factory=list)
    missed_questions: list[str] = Field(default_factory=list, description="Questions worth having asked.")
    concerns: list[ConcernOutcome] = Field(default_factory=list)
    ignored: list[str] = Field(default_factory=list, description="Text aimed at the scorer, not scored.")
    timeline: list[TimelinePoint] = Field(default_factory=list, description="What each of the person's turns moved.")


def weighted_overall(scores: dict[Dimension, int], emphasis: RubricEmphasis) -> float:
    weights = emphasis.weights()
    total = sum(weights.values())
    return round(sum(scores[d] * weights[d] for d in DIMENSIONS) / total, 2)
