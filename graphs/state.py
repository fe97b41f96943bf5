"""The meeting's typed state. Everything in it is plain data, so any checkpointer can store it."""

from __future__ import annotations

from typing import Annotated, TypedDict

from agents.board import merge_board
from agents.transcript import order_turns


def add_revealed(left: list[str], right: list[str]) -> list[str]:
    return list(dict.fromkeys([*left, *right]))


def add_turn_points(left: list[dict], right: list[dict]) -> list[dict]:
    """Rewind points by turn; a turn answered again (a fork) replaces its point."""
    by_turn = {p["turn"]: p for p in [*left, *right]}
    return [by_turn[t] for t in sorted(by_turn)]


def add_usage(left: dict[str, int], right: dict[str, int]) -> dict[str, int]:
    return {k: left.get(k, 0) + right.get(k, 0) for k in {*left, *right}}


class MeetingState(TypedDict, total=False):
    scenario_id: str
    scenario_version: str | None  # the scenario's content hash when the session started (uploads change)
    engine: str  # "offline" | "llm", fixed when the session starts
    round_limit: int
    round: int  # the person's turns so far
    phase: str  # "meeting" | "done"
    transcript: Annotated[list[dict], order_turns]  # Turn dicts, ordered by (round, slot)
    board: Annotated[dict[str, dict], merge_board]  # concern id -> ConcernState dict
    revealed: Annotated[list[str], add_revealed]  # fact ids, in the order they were shared
    speakers: list[dict]  # this round's routing: [{"role", "reason"}]
    closing: bool  # every concern settled: the person's next turn closes the meeting
    end_reason: str | None  # "wrap_up" | "round_limit" | "settled"
    scorecard: dict | None
    usage: Annotated[dict[str, int], add_usage]  # tokens used by model calls
    coaching: bool  # the facilitator may whisper hints
    hints_given: Annotated[list[str], add_revealed]  # ids of coaching hints already whispered
    # [{"turn", "checkpoint_id"}]: the checkpoint each of the person's turns on this branch was
    # answered from, so rewinding never has to walk the checkpoint history
    turn_points: Annotated[list[dict], add_turn_points]


class StakeholderTask(MeetingState, total=False):
    """What one parallel stakeholder branch receives (via ``Send``): the state plus who it is."""

    speaker: str
    slot: int
