"""Coaching mode: the facilitator's whispered hints when the person misses something that matters.

The rules live in ``coaching.yaml``; the person's turns are read with the rubric signals, so a
hint appears only when the behaviour it asks for is missing from what they actually said.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

from agents.facilitator.signals import read_signals
from agents.transcript import person_turns
from scenarios import Scenario

COACHING_PATH = Path(__file__).with_name("coaching.yaml")


class HintRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    after_round: int | None = None
    before_end: int | None = None
    unless: list[str] = []
    when: Literal["escalated"] | None = None


@cache
def hint_rules() -> tuple[HintRule, ...]:
    data = yaml.safe_load(COACHING_PATH.read_text(encoding="utf-8"))
    return tuple(HintRule.model_validate(h) for h in data["hints"])


def next_hint(
    scenario: Scenario,
    transcript: list[dict],
    board: dict[str, dict],
    round_no: int,
    round_limit: int,
    given: list[str],
) -> tuple[str, str] | None:
    """(hint id, text) of the first rule that fires now and has not been given, else None."""
    signals = None
    for rule in hint_rules():
        if rule.id in given:
            continue
        if rule.when == "escalated":
            escalated = [cid for cid, c in board.items() if c["status"] == "escalated"]
            if escalated:
                who = scenario.stakeholder(board[escalated[0]]["role"]).name
                return rule.id, rule.text.format(stakeholder=who)
            continue
        due = (rule.after_round is not None and round_no >= rule.after_round) or (
            rule.before_end is not None and round_limit - round_no == rule.before_end
        )
        if not due:
            continue
        signals = signals or read_signals(scenario, person_turns(transcript))
        if not any(signals.of(name) for name in rule.unless):
            return rule.id, rule.text.format(stakeholder="")
    return None
