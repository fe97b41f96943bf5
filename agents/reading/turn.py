"""Reading a turn: who it addresses, what each sentence does, which facts it asks for, which side it takes.

One reading serves routing (who responds), the offline stakeholder engine (what they say), the
LLM engine (which facts it may reveal) and the offline scorer, so all of them agree about what the
person did. See the package docstring for the steps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from math import ceil

from agents.board import open_concerns, unraised_concerns
from agents.reading.acts import CLAIMS, Act, classify
from agents.reading.guard import without_scorer_directed
from agents.reading.matching import TopicIndex, embed, split_sentences
from agents.reading.per_scenario import per_scenario
from agents.reading.stance import (
    REVISION,
    RIGHT,
    WRONG,
    Stance,
    StanceIndex,
    clauses,
    latest,
    without_retraction,
)
from scenarios import Scenario, Stakeholder

ROLE_ALIASES = {
    "engineering": ("engineering", "eng", "engineers", "tech", "technical", "cto"),
    "design": ("design", "designer", "designers", "ux", "product design"),
    "business": ("business", "sales", "finance", "commercial", "biz", "go-to-market", "gtm"),
}
_VOCATIVE_TAIL = r"(?:\s+(?:lead|team|side|folks|perspective|colleagues|partners|people)\b|\s*[,:])"
RUN_ON_WORDS = 60  # a "sentence" longer than this is read clause by clause
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
    points_covered: dict[str, set[int]] = field(default_factory=dict)  # concern -> points whose latest stance is right
    points_wrong: dict[str, set[int]] = field(default_factory=dict)  # concern -> points whose latest stance is wrong
    wrong_now: dict[str, str] = field(default_factory=dict)  # concern -> this turn's claim taking the wrong side
    answered_now: dict[str, list[str]] = field(default_factory=dict)  # concern -> this turn's right claims on it
    support: dict[str, list[str]] = field(default_factory=dict)  # concern -> the claims its covered points rest on
    dismissed: dict[str, str] = field(default_factory=dict)  # concern -> the sentence brushing it off
    broken: dict[str, str] = field(default_factory=dict)  # own decisive constraint -> the claim breaking it now
    still_broken: list[str] = field(default_factory=list)  # own constraints whose latest stance breaks them
    unanswered: list[str] = field(default_factory=list)  # direct questions to this stakeholder that no fact answers
    handoffs: dict[str, str] = field(default_factory=dict)  # direct question -> the colleague (role) who holds it
    next_concern: str | None = None  # the unraised concern most relevant to this turn
    next_concern_strength: float = -1.0  # > 0: the turn is about it

    @property
    def involved(self) -> bool:
        return (
            self.addressed
            or bool(self.facts_asked)
            or bool(self.concerns_touched)
            or bool(self.broken)
            or bool(self.dismissed)
        )


@dataclass
class TurnReading:
    sentences: list[str]
    acts: list[Act]
    by_role: dict[str, StakeholderReading]
    quote_for: dict[str, str]  # concern or fact id -> the sentence of the turn most about it

    @property
    def claims(self) -> list[str]:
        return [s for s, a in zip(self.sentences, self.acts, strict=True) if a.act in CLAIMS]

    @property
    def questions(self) -> list[str]:
        return [s for s, a in zip(self.sentences, self.acts, strict=True) if a.act == "question"]


class ScenarioIndex:
    """Topic and stance indexes of one scenario, built once (embedding the cards is the costly part)."""

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.facts = TopicIndex({f.id: f.unlocked_by for s in scenario.stakeholders for f in s.facts})
        self.concerns = TopicIndex({c.id: [c.challenge, *c.points] for s in scenario.stakeholders for c in s.concerns})
        self.stances = StanceIndex(scenario)
        self.constraint_owner = {k.id: scenario.fact(k.fact)[0].role for k in scenario.decisive_constraints}
        self._names = {s.role: _name_pattern(s) for s in scenario.stakeholders}

    def addressed(self, sentence: str) -> set[str]:
        return {role for role, pattern in self._names.items() if pattern.search(sentence)}


scenario_index = per_scenario(ScenarioIndex)  # the index of a scenario, built on first use


@lru_cache(maxsize=4096)
def read_sentences(text: str) -> tuple[tuple[str, ...], tuple[Act, ...]]:
    """A turn's sentences (scorer-directed text set aside) and the act of each.

    A sentence that ends with a question mark is a question whatever else it does: the classifier's
    lexical cues are English, and "¿Cuántos usuarios...?" asks all the same."""
    # a run-on (a monologue of 100+ words without a full stop) does several things: read it as its clauses
    sentences = [
        part
        for sentence in split_sentences(without_scorer_directed(text))
        for part in (clauses(sentence) if len(sentence.split()) > RUN_ON_WORDS else [sentence])
    ]
    # one model call for the turn: the sentences (for their acts) and the clauses a claim among them
    # is read by (for its stance); a call costs about as much as three more sentences in it
    embed([*sentences, *(c for s in sentences for c in clauses(without_retraction(s)[0]))])
    acts = [
        Act("question", {**a.p, "question": max(a.prob("question"), 0.5)}) if s.rstrip().endswith("?") else a
        for s, a in zip(sentences, classify(sentences), strict=True)
    ]
    return tuple(sentences), tuple(acts)


def claims_of(text: str) -> list[tuple[str, Act]]:
    """The turn's claims (and dismissals) with their acts, in order, a retracted claim dropped
    ("we build. No wait, we buy")."""
    sentences, acts = read_sentences(text)
    out: list[tuple[str, Act]] = []
    for sentence, act in zip(sentences, acts, strict=True):
        stripped, retracts = without_retraction(sentence)
        if retracts and out:
            out.pop()
        if act.act in CLAIMS or act.act == "dismiss" or (retracts and stripped != sentence):
            out.append((stripped, act))
    return out


def stances_of(scenario: Scenario, text: str) -> list[Stance]:
    """The stances the turn's claims take, in the order they were said."""
    key = (id(scenario), text)
    if (hit := _STANCES.get(key)) is None:
        if len(_STANCES) > 2048:
            _STANCES.clear()
        claims = claims_of(text)
        act_of = {c: act.act for c, act in claims}
        # weighing an option is not choosing it: a trade-off can get a side right, never wrong; and
        # brushing a point off ("we don't need to store it first") can only get it wrong
        read = [
            replace(st, act=act_of.get(st.sentence, ""), revises=bool(REVISION.search(st.sentence)))
            for st in scenario_index(scenario).stances.read([c for c, _ in claims])
            if not (st.side == WRONG and act_of.get(st.sentence) == "tradeoff")
            and not (st.side == RIGHT and act_of.get(st.sentence) == "dismiss")
        ]
        hit = _STANCES[key] = _outvoted_wrong_dropped(read)
    return hit


def _outvoted_wrong_dropped(stances: list[Stance]) -> list[Stance]:
    """A turn whose clauses mostly take the right side of a point or constraint does not also take the
    wrong one: a lone clause that reads wrong there ("go live after February 1 only when we can
    reproduce any line", beside "shadow billing until the totals match") is the embedding blurring
    before and after, not the person contradicting themselves mid-turn. Each clause votes with how
    clearly it is about the key; a tie keeps the wrong side, so a wrong answer dressed in the right
    words ("idempotency matters, but no keys") still never settles anything."""
    votes: dict[str, float] = {}
    for st in stances:
        votes[st.key] = votes.get(st.key, 0.0) + (st.strength if st.side == RIGHT else -st.strength)
    right = {st.key for st in stances if st.side == RIGHT}
    return [
        replace(st, contested=st.side == WRONG and st.key in right)
        for st in stances
        if st.side == RIGHT or votes[st.key] <= 0
    ]


_STANCES: dict[tuple, list[Stance]] = {}


def read_turn(
    scenario: Scenario, board: dict[str, dict], revealed: list[str], text: str, earlier: list[str] = ()
) -> TurnReading:
    """Read the person's latest turn against the scenario's cards and the board.

    ``earlier`` holds the person's previous turns: points made there still count towards
    resolving a concern, so an answer may be built up over several turns, and a later claim
    overrides an earlier one on the same point.
    """
    key = (id(scenario), text, tuple(earlier), tuple(revealed), tuple((k, v["status"]) for k, v in board.items()))
    if (hit := _READINGS.get(key)) is not None:
        return hit
    if len(_READINGS) > 256:
        _READINGS.clear()
    reading = _read_turn(scenario, board, revealed, text, list(earlier))
    _READINGS[key] = reading
    return reading


_READINGS: dict[tuple, TurnReading] = {}


def _read_turn(
    scenario: Scenario, board: dict[str, dict], revealed: list[str], text: str, earlier: list[str]
) -> TurnReading:
    index = scenario_index(scenario)
    sentences, acts = read_sentences(text)
    embed(list(sentences))  # one batch for the whole turn (already done by the act classifier)
    reading = TurnReading(
        sentences=list(sentences),
        acts=list(acts),
        by_role={s.role: StakeholderReading(role=s.role) for s in scenario.stakeholders},
        quote_for={},
    )
    addressed_in = [index.addressed(s) for s in sentences]
    # a turn that names one stakeholder addresses its unnamed questions to them too
    named = set().union(*addressed_in) if addressed_in else set()
    for roles in addressed_in:
        for role in roles:
            reading.by_role[role].addressed = True
    questions = [
        (s, roles or (named if len(named) == 1 else set()))
        for s, a, roles in zip(sentences, acts, addressed_in, strict=True)
        if a.act == "question"
    ]
    _read_questions(index, reading, revealed, questions)
    if sentences:
        _read_concerns(index, reading, board, text, earlier)
    return reading


def _read_questions(
    index: ScenarioIndex, reading: TurnReading, revealed: list[str], questions: list[tuple[str, set[str]]]
) -> None:
    """Each question unlocks the unrevealed fact it is most about; a direct question nobody's fact
    answers is left for the one asked (an honest "I don't have that"), or handed to its holder."""
    if not questions:
        return
    texts = [q for q, _ in questions]
    scores = index.facts.scores(texts)
    answered: set[int] = set()
    for j, fact_id in enumerate(index.facts.names):
        best = int(scores[:, j].argmax())
        if fact_id in revealed or scores[best, j] <= 0 or scores[best].argmax() != j:
            continue
        owner, _ = index.scenario.fact(fact_id)
        reading.by_role[owner.role].facts_asked.append(fact_id)
        reading.quote_for[fact_id] = texts[best]
        answered.add(best)
        for role in questions[best][1] - {owner.role}:
            reading.by_role[role].handoffs[texts[best]] = owner.role
    column = {fid: j for j, fid in enumerate(index.facts.names)}
    for r in reading.by_role.values():
        r.facts_asked.sort(key=lambda fid: -scores[:, column[fid]].max())
    for i, (question, roles) in enumerate(questions):
        if i in answered or scores[i].max() > 0:  # about a fact already shared: nothing new to say
            continue
        for role in roles:
            reading.by_role[role].unanswered.append(question)


def _read_concerns(
    index: ScenarioIndex, reading: TurnReading, board: dict[str, dict], text: str, earlier: list[str]
) -> None:
    """Stances on points and constraints (latest wins), open concerns engaged, and what to raise next."""
    scenario, sentences = index.scenario, reading.sentences
    history = [s for turn in earlier for s in stances_of(scenario, turn)]
    now = stances_of(scenario, text)
    current = latest([*history, *now])
    for key, stance in current.items():
        if "#" not in key:
            owner = index.constraint_owner[key]
            if stance.side == WRONG:
                reading.by_role[owner].still_broken.append(key)
            continue
        cid, point = key.split("#")
        role = scenario.concern(cid)[0].role
        target = reading.by_role[role].points_covered if stance.side == RIGHT else reading.by_role[role].points_wrong
        target.setdefault(cid, set()).add(int(point))
        if stance.side == RIGHT and stance.sentence not in reading.by_role[role].support.get(cid, []):
            reading.by_role[role].support.setdefault(cid, []).append(stance.sentence)
    for stance in now:
        if "#" not in stance.key:
            owner = reading.by_role[index.constraint_owner[stance.key]]
            if stance.side == WRONG and current[stance.key] is stance:
                owner.broken.setdefault(stance.key, stance.sentence)
            continue
        cid = stance.key.split("#")[0]
        r = reading.by_role[scenario.concern(cid)[0].role]
        r.answered_now.setdefault(cid, [])
        if stance.side == RIGHT and stance.sentence not in r.answered_now[cid]:
            r.answered_now[cid].append(stance.sentence)
        if stance.side == WRONG and current[stance.key] is stance:
            r.wrong_now.setdefault(cid, stance.sentence)
        reading.quote_for.setdefault(cid, stance.sentence)

    concern_scores = index.concerns.scores(sentences)
    strength = {cid: float(concern_scores[:, j].max()) for j, cid in enumerate(index.concerns.names)}
    best_sentence = {cid: sentences[int(concern_scores[:, j].argmax())] for j, cid in enumerate(index.concerns.names)}
    dismissals = [i for i, a in enumerate(reading.acts) if a.dismisses]
    for s in scenario.stakeholders:
        r = reading.by_role[s.role]
        for j, cid in enumerate(index.concerns.names):
            if scenario.concern(cid)[0].role != s.role:
                continue
            hit = [i for i in dismissals if concern_scores[i, j] > 0]
            if hit and board.get(cid, {}).get("status") in ("open", "unraised"):
                r.dismissed[cid] = sentences[hit[0]]
        for cid in open_concerns(board, s.role):
            if strength[cid] > 0 or cid in r.answered_now or cid in r.dismissed:
                r.concerns_touched[cid] = max(strength[cid], 0.01)
                reading.quote_for.setdefault(cid, best_sentence[cid])
        # a concern the person has already answered is not raised as if they had not
        candidates = [
            cid for cid in unraised_concerns(board, s.role) if cid in r.answered_now or not _answered(scenario, r, cid)
        ] or [cid for cid in unraised_concerns(board, s.role) if not r.points_wrong.get(cid)]
        if candidates:
            best = max(candidates, key=lambda cid: strength[cid] + _SEVERITY_BONUS[scenario.concern(cid)[1].severity])
            r.next_concern, r.next_concern_strength = best, strength[best]
            if best in r.answered_now:  # the turn already takes a side on it: raise it now
                r.next_concern_strength = max(r.next_concern_strength, 0.5)


def _answered(scenario: Scenario, r: StakeholderReading, cid: str) -> bool:
    """Enough of the concern's points are covered, none on the wrong side (now or in earlier turns)."""
    return not r.points_wrong.get(cid) and len(r.points_covered.get(cid, ())) >= points_needed(
        len(scenario.concern(cid)[1].points)
    )


def _name_pattern(stakeholder: Stakeholder) -> re.Pattern[str]:
    names = {stakeholder.name, stakeholder.name.split()[0]}
    name_part = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    alias_part = "|".join(re.escape(a) for a in ROLE_ALIASES[stakeholder.role])
    return re.compile(rf"\b(?:{name_part})\b|\b(?:{alias_part}){_VOCATIVE_TAIL}", re.IGNORECASE)
