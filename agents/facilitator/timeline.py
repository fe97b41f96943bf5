"""The per-turn timeline: which of the person's turns moved which dimension, and what it did to the room.

Each point re-reads the meeting as it stood after that turn (the transcript up to its round and
the board as it was then) with the offline rubric reading, which is deterministic and cheap; so
a replay can show the moment a meeting turned. With the LLM engine the final scores come from the
model and the timeline's per-turn scores from this reading; both cite the same rubric anchors.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from agents.transcript import person_turns
from scenarios import DIMENSIONS, Dimension, Scenario


class TimelinePoint(BaseModel):
    turn: int = Field(description="The person's turn number, starting at 1.")
    text: str = Field(description="The start of the turn.")
    scores: dict[Dimension, int] = Field(description="Each dimension as the meeting stood after this turn.")
    moved: dict[Dimension, int] = Field(default_factory=dict, description="Change from the turn before (non-zero).")
    opened: list[str] = Field(default_factory=list, description="Concerns stakeholders raised in reply.")
    resolved: list[str] = Field(default_factory=list, description="Concerns this turn settled.")
    escalated: list[str] = Field(default_factory=list, description="Concerns that escalated after this turn.")
    facts: list[str] = Field(default_factory=list, description="Facts this turn unlocked.")


def board_at(board: dict[str, dict], round_no: int) -> dict[str, dict]:
    """The board as it stood after ``round_no``, rebuilt from when each concern was raised and settled."""
    out = {}
    for cid, c in board.items():
        settled, raised = c.get("settled_round"), c.get("raised_round")
        if settled is not None and settled <= round_no:
            status = c["status"]
        elif raised is not None and raised <= round_no:
            status = "open"
        else:
            status = "unraised"
        out[cid] = {**c, "status": status}
    return out


def build_timeline(scenario: Scenario, transcript: list[dict], board: dict[str, dict]) -> list[TimelinePoint]:
    from agents.facilitator.offline import score_offline  # offline imports the scorecard, which imports us
    from agents.facilitator.signals import read_signals

    points: list[TimelinePoint] = []
    before = dict.fromkeys(DIMENSIONS, 1)
    turns = person_turns(transcript)
    signals = read_signals(scenario, turns)  # once: every prefix's reading is a slice of it
    for turn_no, text in turns:
        upto = [t for t in transcript if t["round"] <= turn_no and t.get("intent") != "close"]
        revealed = [f for t in upto for f in t.get("fact_ids", [])]
        card = score_offline(scenario, upto, board_at(board, turn_no), revealed, signals=signals.upto(turn_no))
        scores = {d: card.dimensions[d].score for d in DIMENSIONS}
        replies = [t for t in upto if t["round"] == turn_no]
        points.append(
            TimelinePoint(
                turn=turn_no,
                text=text[:160],
                scores=scores,
                moved={d: scores[d] - before[d] for d in DIMENSIONS if scores[d] != before[d]},
                opened=[cid for cid, c in board.items() if c.get("raised_round") == turn_no],
                resolved=[
                    cid for cid, c in board.items() if c.get("settled_round") == turn_no and c["status"] == "resolved"
                ],
                escalated=[
                    cid for cid, c in board.items() if c.get("settled_round") == turn_no and c["status"] == "escalated"
                ],
                facts=[f for t in replies for f in t.get("fact_ids", [])],
            )
        )
        before = scores
    return points


def turning_point(points: list[TimelinePoint]) -> TimelinePoint | None:
    """The turn that moved the scores most (ties: the earliest), if any turn moved them."""
    best = max(points, key=lambda p: (sum(p.moved.values()), -p.turn), default=None)
    return best if best and sum(best.moved.values()) > 0 else None
