"""The concern board: where each stakeholder concern stands (unraised, open, resolved, escalated)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from agents.transcript import StakeholderTurn
from scenarios import Scenario

ConcernStatus = Literal["unraised", "open", "resolved", "escalated"]
ESCALATE_AFTER_PUSHBACKS = 3


class ConcernState(BaseModel):
    """One concern's place on the board."""

    role: str
    status: ConcernStatus = "unraised"
    raised_round: int | None = None
    settled_round: int | None = None
    pushbacks: int = 0


def new_board(scenario: Scenario) -> dict[str, dict]:
    """Every concern of the scenario, unraised."""
    return {c.id: ConcernState(role=s.role).model_dump() for s in scenario.stakeholders for c in s.concerns}


def apply_turn(board: dict[str, dict], reply: StakeholderTurn, round_no: int) -> dict[str, dict]:
    """The board entries a stakeholder's reply changes (only those; merged by the graph's reducer)."""
    changed: dict[str, ConcernState] = {}

    def entry(cid: str) -> ConcernState | None:
        if cid not in board:
            return None
        return changed.setdefault(cid, ConcernState.model_validate(board[cid]))

    for cid in reply.raised:
        if (c := entry(cid)) and c.status == "unraised":
            c.status, c.raised_round = "open", round_no
    for cid in reply.pushed_back:
        if (c := entry(cid)) and c.status in ("unraised", "open", "resolved"):
            if c.status == "resolved":  # the person went back on what settled it: open again
                c.settled_round = None
            c.status = "open"
            c.raised_round = c.raised_round or round_no
            c.pushbacks += 1
            if c.pushbacks >= ESCALATE_AFTER_PUSHBACKS:
                c.status, c.settled_round = "escalated", round_no
    for cid in reply.resolved:
        if (c := entry(cid)) and c.status in ("open", "escalated", "unraised"):
            c.raised_round = c.raised_round or round_no
            c.status, c.settled_round = "resolved", round_no
    return {cid: c.model_dump() for cid, c in changed.items()}


def merge_board(left: dict[str, dict], right: dict[str, dict]) -> dict[str, dict]:
    """Reducer: stakeholders update only their own concerns, so a per-key merge is safe in parallel."""
    return {**left, **right}


def all_settled(board: dict[str, dict]) -> bool:
    """Every concern raised and then resolved or escalated: nothing left for the room to discuss."""
    return bool(board) and all(c["status"] in ("resolved", "escalated") for c in board.values())


def open_concerns(board: dict[str, dict], role: str | None = None) -> list[str]:
    return [cid for cid, c in board.items() if c["status"] == "open" and (role is None or c["role"] == role)]


def unraised_concerns(board: dict[str, dict], role: str) -> list[str]:
    return [cid for cid, c in board.items() if c["status"] == "unraised" and c["role"] == role]
