"""The person's meeting, read for scoring: each sentence's act, the scenario's key it is about, its stance.

Built on the same reading as the stakeholders (``agents.reading``): the act classifier says what a
sentence does; the answer key (``key.py``) says which of this scenario's parts, flows, tensions,
users, metrics and money it is about; the stance index says which side of each point and
decisive constraint it takes. Framing boundaries and implementation detail are read by meaning
against the prototypes in ``signals.yaml``. Scorer-directed text is set aside before any of it.

The result is a list of named hits, ``(turn, sentence)``, that the scorer's rules and the coaching
rules count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from agents.facilitator.key import scenario_key
from agents.reading.acts import CLAIMS, Act
from agents.reading.guard import without_scorer_directed
from agents.reading.matching import TopicIndex, concepts, is_english
from agents.reading.stance import REVISION, Stance
from agents.reading.turn import read_sentences, scenario_index, stances_of
from scenarios import Scenario

FRAMING_SIGNALS = ("framing_users", "framing_scale", "framing_metrics", "framing_constraints")
FOREIGN_MATCH = -0.75
# code, schemas, endpoints and config: implementation detail, whatever words surround it (a plain
# parenthesis is not code, nor notes' shorthand "everyone else = push": a semicolon or an equals sign
# counts only glued to what follows, "i++;j", "retries=3", or doubled, "a == b")
_CODE = re.compile(
    r"[{}`]|[=!]=|=>|\w=\w|;\S|\w\(\)|\b[a-z]+_[a-z_]+\b|\b(SELECT|INSERT|UPDATE|DELETE|POST|GET|PATCH|PUT)\s+[/*A-Za-z]|/v\d+/|\b[a-z]+\.[a-z]+\(",
)
_CAUSAL = re.compile(
    r"\b(because|so that|so we|so users|so the|so a|so no|so it|so every|since|in order to|which (means|keeps|lets)|"
    r"to keep|to avoid|to make sure|that way|otherwise)\b",
    re.I,
)
_BRING_IN = re.compile(r"\b(bring in|loop in|pull in|pair with|consult|ask (our|the) \w+ (team|counsel|lead))\b", re.I)
_CLOSE = re.compile(
    r"\b(next steps?|action items?|owners?|owns|by (friday|monday|next week|end of)|to summari[sz]e|in summary|"
    r"so the decision|the decision is|we('ve| have) agreed|can everyone (commit|live with))\b",
    re.I,
)
COMPONENT_WORDS = re.compile(
    r"\b(gateway|service|api|backend|server|client|database|store|queue|cache|worker|pipeline|cdn|index|"
    r"load balancer|websocket|microservices?|ledger|scheduler|webhook)s?\b",
    re.I,
)
_VALUE_CONCEPTS = frozenset({"user", "metric", "cost", "revenue", "experience"})


@dataclass(frozen=True)
class Sentence:
    turn: int
    text: str
    act: Act


@dataclass
class Signals:
    """The person's sentences, per named hit, as (turn number, sentence)."""

    hits: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    turns: list[tuple[int, str]] = field(default_factory=list)  # (turn number, text with scorer-directed parts cut)
    sentences: list[Sentence] = field(default_factory=list)
    foreign: set[int] = field(default_factory=set)  # turns not in English
    stances: list[tuple[int, Stance]] = field(default_factory=list)  # every stance taken, in order
    key_hits: dict[tuple[int, str], list[tuple[str, str]]] = field(default_factory=dict)  # (turn, sentence) -> items

    def of(self, name: str) -> list[tuple[int, str]]:
        return self.hits.get(name, [])

    def turns_with(self, name: str) -> set[int]:
        return {turn for turn, _ in self.of(name)}

    def items(self, name: str, categories: tuple[str, ...]) -> set[str]:
        """Distinct key items of ``categories`` that the sentences of hit ``name`` are about."""
        return {item for h in self.of(name) for cat, item in self.key_hits.get(h, []) if cat in categories}

    def upto(self, turn: int) -> Signals:
        """The reading of the first ``turn`` turns (each sentence is read on its own, so this is exact)."""
        return Signals(
            hits={k: [h for h in v if h[0] <= turn] for k, v in self.hits.items()},
            turns=[t for t in self.turns if t[0] <= turn],
            sentences=[s for s in self.sentences if s.turn <= turn],
            foreign={t for t in self.foreign if t <= turn},
            stances=[s for s in self.stances if s[0] <= turn],
            key_hits=self.key_hits,
        )


@cache
def _defs() -> dict:
    return yaml.safe_load((Path(__file__).parent / "signals.yaml").read_text(encoding="utf-8"))


@cache
def _framing_index() -> TopicIndex:
    d = _defs()
    return TopicIndex({name: d[name]["prototypes"] for name in (*FRAMING_SIGNALS, "other_question")})


@cache
def _depth_index() -> TopicIndex:
    d = _defs()
    return TopicIndex({name: d[name]["prototypes"] for name in ("depth", "framing_users", "system_level")})


@cache
def _cues(name: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in _defs()[name]["cues"])


def is_code(sentence: str) -> bool:
    return bool(_CODE.search(sentence))


def read_signals(scenario: Scenario, person_turns: list[tuple[int, str]]) -> Signals:
    """Read every sentence of the person's turns for the scorer and the coaching rules."""
    out = Signals()
    for turn_no, text in person_turns:
        clean = without_scorer_directed(text)
        out.turns.append((turn_no, clean))
        if not is_english(clean):
            out.foreign.add(turn_no)
        sentences, acts = read_sentences(text)
        out.sentences += [Sentence(turn_no, s, a) for s, a in zip(sentences, acts, strict=True)]
        out.stances += [(turn_no, st) for st in stances_of(scenario, text)]
    if not out.sentences:
        return out
    hits = out.hits
    texts = [s.text for s in out.sentences]
    index = scenario_index(scenario)
    key = scenario_key(scenario).hits(texts)
    framing = _framing_index().scores(texts)
    depth = _depth_index().scores(texts)
    wrong = {(t, st.sentence) for t, st in out.stances if st.side == "wrong" and st.rank == 0}
    wrong -= {(t, st.sentence) for t, st in out.stances if st.side == "right" and st.rank == 0}
    for i, s in enumerate(out.sentences):
        h = (s.turn, s.text)
        act = s.act.act
        hits.setdefault(act, []).append(h)
        if s.act.dismisses:
            hits.setdefault("dismissal", []).append(h)
        out.key_hits[h] = [(k.category, k.item) for k in key[i]]
        if index.addressed(s.text):
            hits.setdefault("addressing", []).append(h)
        if act == "question":
            # across languages the model's margins are compressed: a question not in English counts for
            # the framing boundary it is most about from a lower score (measured on the calibration set)
            best = int(framing[i, : len(FRAMING_SIGNALS)].argmax())
            for j, name in enumerate(FRAMING_SIGNALS):
                bar = FOREIGN_MATCH if s.turn in out.foreign and j == best else 0
                if framing[i, j] > bar or any(c.search(s.text) for c in _cues(name)):
                    hits.setdefault(name, []).append(h)
            continue
        if act not in CLAIMS:
            if act == "acknowledge" or _BRING_IN.search(s.text):
                hits.setdefault("collaboration", []).append(h)
            continue
        cats = {c for c, _ in out.key_hits[h]}
        if h in wrong:  # a sketch or a tie that contradicts the scenario earns nothing for it
            hits.setdefault("wrong_stance", []).append(h)
            cats = set()
        following = out.sentences[i + 1] if i + 1 < len(out.sentences) else None
        reasoned = (
            s.act.gives_reason
            or bool(_CAUSAL.search(s.text))
            or (following is not None and following.turn == s.turn and following.act.act == "reason")
        )
        if is_code(s.text) or depth[i, 0] > 0 or any(c.search(s.text) for c in _cues("depth")):
            hits.setdefault("depth", []).append(h)
        if cats & {"parts", "flows"}:
            hits.setdefault("systems", []).append(h)
            if reasoned:
                hits.setdefault("reasoned_systems", []).append(h)
        elif COMPONENT_WORDS.search(s.text):
            hits.setdefault("generic_systems", []).append(h)
        if act == "tradeoff" or s.act.prob("tradeoff") >= 0.3:
            hits.setdefault("tradeoff", []).append(h)
            # this scenario's tension: one of its own trade-offs, or a side taken on one of its points
            if "tradeoffs" in cats or any(st.sentence == s.text for _, st in out.stances):
                hits.setdefault("real_tradeoff", []).append(h)
        if act == "decision" and (cats or any(st.sentence == s.text for _, st in out.stances)):
            hits.setdefault("grounded_decision", []).append(h)
        if cats & {"users", "metrics", "money"}:
            hits.setdefault("alignment", []).append(h)
        elif concepts(s.text) & _VALUE_CONCEPTS:
            hits.setdefault("generic_alignment", []).append(h)
        if reasoned:
            hits.setdefault("reasoned", []).append(h)
        if _BRING_IN.search(s.text):
            hits.setdefault("collaboration", []).append(h)
        if _CLOSE.search(s.text) or act == "decision":
            hits.setdefault("close", []).append(h)
        if REVISION.search(s.text):
            hits.setdefault("revision", []).append(h)
    return out


def contradictions(sig: Signals) -> list[tuple[int, str]]:
    """Decisions that break a decisive constraint the person had honoured in an earlier turn, without
    saying why the view changed ("given what Rohan said, ..."). Points are left out: a claim's side on
    a point is read less surely than a call on the constraint that decides the meeting."""
    before: dict[str, tuple[int, str]] = {}
    revised = sig.turns_with("revision")
    decisions = {h[1] for h in sig.of("decision")}
    out = []
    for turn, st in sig.stances:
        if st.rank:  # only what a clause is most about
            continue
        was = before.get(st.key)
        # going back on a right call: a decision that now takes the wrong side of what was right before
        reversed_call = was and was[1] == "right" and st.side == "wrong" and turn > was[0] and turn not in revised
        if reversed_call and st.sentence in decisions and "#" not in st.key:  # only a decisive constraint's call
            out.append((turn, st.sentence))
        before[st.key] = (turn, st.side)
    return list(dict.fromkeys(out))


def bringing_in(sig: Signals) -> list[tuple[int, str]]:
    return [h for h in sig.of("collaboration") if _BRING_IN.search(h[1])]
