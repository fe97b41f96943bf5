"""Reading a turn: who it addresses, which facts it asks for, which concerns it answers.

One reading serves routing (who responds), the offline stakeholder engine (what they say) and
the LLM engine (which facts it may reveal), so all of them agree about what the person did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from math import ceil

from agents.board import open_concerns, unraised_concerns
from agents.guard import without_scorer_directed
from agents.matching import TopicIndex, embed, is_question, split_sentences
from scenarios import Scenario, Stakeholder

ROLE_ALIASES = {
    "engineering": ("engineering", "eng", "engineers", "tech", "technical", "cto"),
    "design": ("design", "designer", "designers", "ux", "product design"),
    "business": ("business", "sales", "finance", "commercial", "biz", "go-to-market", "gtm"),
}
_VOCATIVE_TAIL = r"(?:\s+(?:lead|team|side|folks|perspective|colleagues|partners|people)\b|\s*[,:])"
RESOLVE_SHARE = 0.6  # share of must-address points that settles a concern
_SEVERITY_BONUS = {"high": 0.2, "medium": 0.1, "low": 0.0}  # ties between relevant concerns go to the graver


def points_needed(concern_points: int) -> int:
    return max(1, ceil(concern_points * RESOLVE_SHARE))


@dataclass
class StakeholderReading:
    """What one turn means for one stakeholder."""

    role: str
    addressed: bool = False
    facts_asked: list[str] = field(default_factory=list)  # unrevealed facts asked about, best first
    concerns_touched: dict[str, float] = field(default_factory=dict)  # open concern -> strength
    points_covered: dict[str, set[int]] = field(default_factory=dict)  # concern -> must_address indexes
    next_concern: str | None = None  # the unraised concern most relevant to this turn
    next_concern_strength: float = -1.0  # > 0: the turn is about it

    @property
    def involved(self) -> bool:
        return self.addressed or bool(self.facts_asked) or bool(self.concerns_touched)


@dataclass
class TurnReading:
    sentences: list[str]
    by_role: dict[str, StakeholderReading]
    quote_for: dict[str, str]  # concern or fact id -> the sentence of the turn most about it


class ScenarioIndex:
    """Topic indexes of one scenario, built once (embedding the cards is the costly part)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.facts = TopicIndex({f.id: f.unlocked_by for s in scenario.stakeholders for f in s.facts})
        self.points = TopicIndex(
            {
                f"{c.id}#{i}": [p]
                for s in scenario.stakeholders
                for c in s.concerns
                for i, p in enumerate(c.must_address)
            }
        )
        self.concerns = TopicIndex(
            {c.id: [c.challenge, *c.must_address] for s in scenario.stakeholders for c in s.concerns}
        )
        self._names = {s.role: _name_pattern(s) for s in scenario.stakeholders}

    def addressed(self, sentence: str) -> set[str]:
        return {role for role, pattern in self._names.items() if pattern.search(sentence)}


_INDEXES: dict[int, tuple[Scenario, ScenarioIndex]] = {}


def scenario_index(scenario: Scenario) -> ScenarioIndex:
    """The cached index of a scenario object (scenarios are immutable and loaded once)."""
    hit = _INDEXES.get(id(scenario))
    if hit is None or hit[0] is not scenario:
        hit = _INDEXES[id(scenario)] = (scenario, ScenarioIndex(scenario))
    return hit[1]


def read_turn(
    scenario: Scenario, board: dict[str, dict], revealed: list[str], text: str, earlier: list[str] = ()
) -> TurnReading:
    """Read the person's latest turn against the scenario's cards and the board.

    ``earlier`` holds the person's previous turns: points made there still count towards
    resolving a concern, so an answer may be built up over several turns.
    """
    key = (id(scenario), text, tuple(earlier), tuple(revealed), tuple((k, v["status"]) for k, v in board.items()))
    if (hit := _READINGS.get(key)) is not None:
        return hit
    if len(_READINGS) > 256:
        _READINGS.clear()
    reading = _read_turn(scenario, board, revealed, text, earlier)
    _READINGS[key] = reading
    return reading


_READINGS: dict[tuple, TurnReading] = {}


def _read_turn(
    scenario: Scenario, board: dict[str, dict], revealed: list[str], text: str, earlier: list[str]
) -> TurnReading:
    index = scenario_index(scenario)
    sentences = split_sentences(without_scorer_directed(text))
    embed(sentences)  # one batch for the whole turn; the matchers below read the cache
    reading = TurnReading(
        sentences=sentences,
        by_role={s.role: StakeholderReading(role=s.role) for s in scenario.stakeholders},
        quote_for={},
    )
    for sentence in sentences:
        for role in index.addressed(sentence):
            reading.by_role[role].addressed = True
    _read_questions(index, reading, revealed, [s for s in sentences if is_question(s)])
    if sentences:
        history = [s for turn in earlier for s in split_sentences(without_scorer_directed(turn))]
        _read_concerns(index, reading, board, history)
    return reading


def _read_questions(index: ScenarioIndex, reading: TurnReading, revealed: list[str], questions: list[str]) -> None:
    """Each question unlocks the unrevealed fact it is most about, if it is about one at all."""
    if not questions:
        return
    scores = index.facts.scores(questions)
    for j, fact_id in enumerate(index.facts.names):
        best = int(scores[:, j].argmax())
        if fact_id in revealed or scores[best, j] <= 0 or scores[best].argmax() != j:
            continue
        owner, _ = index.scenario.fact(fact_id)
        reading.by_role[owner.role].facts_asked.append(fact_id)
        reading.quote_for[fact_id] = questions[best]
    column = {fid: j for j, fid in enumerate(index.facts.names)}
    for r in reading.by_role.values():
        r.facts_asked.sort(key=lambda fid: -scores[:, column[fid]].max())


def _read_concerns(index: ScenarioIndex, reading: TurnReading, board: dict[str, dict], history: list[str]) -> None:
    """Points covered (now or earlier), open concerns the turn engages, and what to raise next."""
    scenario, sentences = index.scenario, reading.sentences
    point_scores = index.points.scores(sentences)
    past_scores = index.points.scores(history) if history else None
    concern_scores = index.concerns.scores(sentences)
    touched_now: set[str] = set()
    for j, key in enumerate(index.points.names):
        cid, point = key.split("#")
        now = point_scores[:, j].max()
        before = past_scores[:, j].max() if past_scores is not None else -1
        if max(now, before) > 0:
            owner, _ = scenario.concern(cid)
            reading.by_role[owner.role].points_covered.setdefault(cid, set()).add(int(point))
        if now > 0:
            touched_now.add(cid)
            reading.quote_for.setdefault(cid, sentences[int(point_scores[:, j].argmax())])

    strength = {cid: float(concern_scores[:, j].max()) for j, cid in enumerate(index.concerns.names)}
    best_sentence = {cid: sentences[int(concern_scores[:, j].argmax())] for j, cid in enumerate(index.concerns.names)}
    for s in scenario.stakeholders:
        r = reading.by_role[s.role]
        for cid in open_concerns(board, s.role):
            if strength[cid] > 0 or cid in touched_now:
                r.concerns_touched[cid] = max(strength[cid], 0.01)
                reading.quote_for.setdefault(cid, best_sentence[cid])
        candidates = unraised_concerns(board, s.role)
        if candidates:
            best = max(candidates, key=lambda cid: strength[cid] + _SEVERITY_BONUS[scenario.concern(cid)[1].severity])
            r.next_concern, r.next_concern_strength = best, strength[best]


def _name_pattern(stakeholder: Stakeholder) -> re.Pattern[str]:
    names = {stakeholder.name, stakeholder.name.split()[0]}
    name_part = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    alias_part = "|".join(re.escape(a) for a in ROLE_ALIASES[stakeholder.role])
    return re.compile(rf"\b(?:{name_part})\b|\b(?:{alias_part}){_VOCATIVE_TAIL}", re.IGNORECASE)
