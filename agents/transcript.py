"""What is said in a meeting, as typed records that cross the graph boundary as plain dicts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

SpeakerRole = Literal["facilitator", "person", "engineering", "design", "business"]
Intent = Literal[
    "open",  # facilitator frames the meeting
    "turn",  # the person speaks
    "answer",  # a stakeholder shares what it knows
    "challenge",  # a stakeholder raises a new concern
    "pushback",  # a stakeholder finds an answer lacking
    "acknowledge",  # a stakeholder is satisfied
    "hint",  # facilitator whispers (coaching)
    "close",  # facilitator closes the meeting
]
StakeholderIntent = Literal["answer", "challenge", "pushback", "acknowledge"]


class Turn(BaseModel):
    """One entry of the transcript. ``round`` 0 is the opening; (round, slot) orders entries."""

    round: int
    slot: int = 0
    speaker: str
    role: SpeakerRole
    text: str
    intent: Intent
    concern_ids: list[str] = Field(default_factory=list)
    fact_ids: list[str] = Field(default_factory=list)


class StakeholderTurn(BaseModel):
    """What a stakeholder says in reply to the person, and what it changes on the board.

    Both engines return this; the board and the score are fed from it the same way.
    """

    text: str = Field(description="What the stakeholder says, in persona, 1-4 sentences.")
    intent: StakeholderIntent = Field(description="The main thing this reply does.")
    facts_revealed: list[str] = Field(default_factory=list, description="Ids of facts shared in this reply.")
    raised: list[str] = Field(default_factory=list, description="Ids of concerns raised for the first time.")
    resolved: list[str] = Field(default_factory=list, description="Ids of concerns the person's answer settled.")
    pushed_back: list[str] = Field(default_factory=list, description="Ids of concerns whose answer fell short.")

    @property
    def concern_ids(self) -> list[str]:
        return list(dict.fromkeys([*self.raised, *self.resolved, *self.pushed_back]))


def person_turns(transcript: list[dict]) -> list[tuple[int, str]]:
    """The person's turns as (turn number starting at 1, text)."""
    texts = [t["text"] for t in transcript if t["role"] == "person"]
    return list(enumerate(texts, start=1))


def order_turns(left: list[dict], right: list[dict]) -> list[dict]:
    """Reducer for the transcript: parallel replies land in routing order, whatever finishes first."""
    return sorted([*left, *right], key=lambda t: (t["round"], t["slot"]))
