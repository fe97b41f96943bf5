"""What a stakeholder agent is given to reply with: the same for both engines."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.reading import StakeholderReading
from scenarios import Scenario, Stakeholder


@dataclass
class StakeholderContext:
    scenario: Scenario
    stakeholder: Stakeholder
    transcript: list[dict]  # plain Turn dicts, oldest first; the last person turn is the one to answer
    board: dict[str, dict]
    revealed: list[str]
    round: int
    reading: StakeholderReading
    quote_for: dict[str, str] = field(default_factory=dict)

    @property
    def last_person_text(self) -> str:
        return next((t["text"] for t in reversed(self.transcript) if t["role"] == "person"), "")
