"""The two engines behind one interface: pick a stakeholder agent and a scorer by engine name."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from langchain_core.language_models import BaseChatModel

from agents.facilitator.llm import score_llm
from agents.facilitator.offline import score_offline
from agents.facilitator.scorecard import Scorecard
from agents.facilitator.timeline import build_timeline
from agents.models import chat_model
from agents.pricing import estimated_cost
from agents.reading import scenario_index
from agents.reading.turn import read_sentences
from agents.settings import Engine, Settings
from agents.stakeholder import StakeholderAgent
from agents.stakeholder.llm import LLMStakeholder
from agents.stakeholder.offline import OfflineStakeholder
from scenarios import Scenario


class Engines:
    """Agents for each engine, built from settings. The chat model is created on first LLM use."""

    def __init__(self, settings: Settings, model_factory: Callable[[Settings], BaseChatModel] = chat_model):
        self.settings = settings
        self._model_factory = model_factory
        self._offline = OfflineStakeholder()

    @cached_property
    def model(self) -> BaseChatModel:
        return self._model_factory(self.settings)

    def one_after_another(self, engine: Engine) -> bool:
        """Whether a round's stakeholders answer in turn, each hearing the ones before (LLM engine)."""
        return engine == "llm" and self.settings.hear_each_other

    def stakeholder(self, engine: Engine) -> StakeholderAgent:
        return LLMStakeholder(self.model, self.settings) if engine == "llm" else self._offline

    def score(
        self, engine: Engine, scenario: Scenario, transcript: list[dict], board: dict[str, dict], revealed: list[str]
    ) -> tuple[Scorecard, dict[str, int]]:
        if engine == "llm":
            card, usage = score_llm(self.model, self.settings, scenario, transcript, board, revealed)
        else:
            card, usage = score_offline(scenario, transcript, board, revealed), {}
        card.timeline = build_timeline(scenario, transcript, board)
        return card, usage

    def cost(self, usage: dict[str, int]) -> float | None:
        """Estimated USD for a session's token usage (None when the model's price is unknown)."""
        return estimated_cost(self.settings, usage)

    def prepare(self, scenario: Scenario) -> None:
        """Build the scenario's reading index (about a second) so the first turn does not wait for it."""
        scenario_index(scenario)

    def warm_up(self) -> None:
        """Load the embedding model and the rubric signals, for a long-running app before its first visitor."""
        read_sentences("How many people will use this?")

    def describe(self, engine: Engine) -> str:
        if engine == "llm":
            return f"llm: {self.settings.model} at {self.settings.endpoint()}"
        return "offline: scenario cards, no network"
