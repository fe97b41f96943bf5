"""Stakeholder agents: one interface, two engines (offline cards, LLM persona), the same typed turn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from agents.stakeholder.context import StakeholderContext
from agents.transcript import StakeholderTurn


class StakeholderAgent(Protocol):
    def respond(
        self, ctx: StakeholderContext, on_text: Callable[[str], None] | None = None
    ) -> tuple[StakeholderTurn, dict[str, int]]:
        """The stakeholder's reply to the person's latest turn, and the tokens it used (empty offline).

        ``on_text`` receives the reply's text as it is written, where the engine can stream it.
        """
        ...


__all__ = ["StakeholderAgent", "StakeholderContext"]
