"""The scenario's answer key, matched by meaning: which of this scenario's parts, flows, tensions,
users, metrics and money a sentence is about.

The key comes from the scenario's ``answer_key`` (see ``scenarios.schema.AnswerKey``); an empty list
falls back on the cards, as that class documents. A sentence matches a key item when it is about the
item (margin over the pool, as everywhere in the reading) and nearer it than every generic
distractor in ``agents/reading/generic.yaml``: so the score reflects what was said about *this*
scenario. A sentence that only names the proposal's subject ("let's do usage billing") matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.reading.matching import GENERIC_PHRASES as _GENERIC
from agents.reading.matching import TopicIndex, concepts
from agents.reading.per_scenario import per_scenario
from scenarios import Scenario

CATEGORIES = ("parts", "flows", "tradeoffs", "users", "metrics", "money")


def key_items(scenario: Scenario) -> dict[str, list[str]]:
    """The answer key per category, with the documented fallbacks for empty lists."""
    key = scenario.answer_key
    eng, des, biz = (scenario.stakeholder(r) for r in ("engineering", "design", "business"))
    fallback = {
        "parts": [p for c in eng.concerns for p in c.points],
        "flows": [],
        "tradeoffs": [c.challenge for s in scenario.stakeholders for c in s.concerns],
        "users": [p for c in des.concerns for p in c.points],
        "metrics": [p for c in biz.concerns for p in c.points],
        "money": [],
    }
    return {cat: list(getattr(key, cat)) or fallback[cat] for cat in CATEGORIES}


@dataclass(frozen=True)
class KeyHit:
    category: str
    item: str


class ScenarioKey:
    """The key of one scenario as a topic index, with the generic distractors in its pool."""

    def __init__(self, scenario: Scenario):
        self.items = key_items(scenario)
        topics = {f"{cat}:{i}": [item] for cat, items in self.items.items() for i, item in enumerate(items)}
        topics |= {f"generic:{i}": [g] for i, g in enumerate(_GENERIC)}
        self.index = TopicIndex(topics)
        self._generic = np.array([n.startswith("generic:") for n in self.index.names])
        self._title = concepts(scenario.title)

    def hits(self, sentences: list[str]) -> list[list[KeyHit]]:
        """Per sentence, the key items it is about (best first), none when a generic phrase fits it better."""
        if not sentences:
            return []
        scores = self.index.scores(sentences)
        out = []
        for sentence, row in zip(sentences, scores, strict=True):
            if not concepts(sentence) - self._title:  # restating the proposal ("let's do usage billing") says nothing
                out.append([])
                continue
            bar = max(0.0, float(row[self._generic].max()))
            found = [(row[j], name) for j, name in enumerate(self.index.names) if not self._generic[j] and row[j] > bar]
            found.sort(reverse=True)
            out.append([KeyHit(n.split(":")[0], self.items[n.split(":")[0]][int(n.split(":")[1])]) for _, n in found])
        return out


scenario_key = per_scenario(ScenarioKey)  # the key of a scenario, built on first use
