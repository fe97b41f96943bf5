"""The facilitator: opens the meeting and scores the person's leadership against the rubric."""

from agents.facilitator.outcome import closing_prompt, closing_text, opening_text
from agents.facilitator.scorecard import DimensionScore, Evidence, Scorecard, rubric

__all__ = ["DimensionScore", "Evidence", "Scorecard", "closing_prompt", "closing_text", "opening_text", "rubric"]
