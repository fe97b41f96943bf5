"""Rubric signals read off the person's turns: which sentences frame, sketch, weigh, decide, align, lead.

Each signal has prototype sentences and word cues (``signals.yaml``). A sentence counts for a
signal when it matches a cue, or when by meaning it is closer to the signal's prototypes than to
the other signals' (see ``matching.TopicIndex``). Scorer-directed text is removed first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from agents.guard import without_scorer_directed
from agents.matching import TopicIndex, concepts, foreign_concepts, is_english, is_question, split_sentences

FRAMING_SIGNALS = ("framing_users", "framing_scale", "framing_metrics", "framing_constraints")
_SEMANTIC_NEEDS_QUESTION = set(FRAMING_SIGNALS)
# Outside English the cues (English word patterns) cannot fire, and the multilingual model's similarity
# to the English prototypes is compressed: a Spanish sentence and its English translation are 0.93-0.95
# alike, yet the Spanish one's margin over the other signals is about one margin lower. So in a turn
# that is not English, meaning alone carries a sentence: its best signal (any framing signal, for a
# question, since one question often asks about several boundaries) counts from this score up.
FOREIGN_MATCH = -0.75
# code, schemas, endpoints and config: implementation detail, whatever words surround it
_CODE = re.compile(
    r"[{}();=]|\b[a-z]+_[a-z_]+\b|`|\b(SELECT|INSERT|UPDATE|DELETE|POST|GET|PATCH|PUT)\s+[/*A-Za-z]|/v\d+/|\b[a-z]+\.[a-z]+\(",
)


# what a sketch of a system is made of: named components (a word, or a concept of agents/lexicon.yaml)
COMPONENT_CONCEPTS = frozenset({"storage", "queue", "cache", "notification", "device", "offline", "security"})
COMPONENT_WORDS = re.compile(
    r"\b(gateway|service|api|backend|server|client|database|store|queue|cache|worker|pipeline|sync|cdn|search|"
    r"index|load balancer|websocket|socket|notification|push|ledger|meter\w*|scheduler|auth\w*|webhook|event)s?\b",
    re.I,
)


def components_in(sentence: str) -> set[str]:
    """The kinds of component a sentence names (words and lexicon concepts)."""
    found = {m.lower().rstrip("s") for m in COMPONENT_WORDS.findall(sentence)}
    return found | (COMPONENT_CONCEPTS & concepts(sentence))


def names_component(sentence: str) -> bool:
    return bool(components_in(sentence))


def is_code(sentence: str) -> bool:
    return bool(_CODE.search(sentence))


def asks(sentence: str) -> bool:
    """A question, by the matcher's reading, unless it ends with a full stop or "!".

    "... and what we want to be for our customers." opens like a question but is a statement;
    typed questions drop the "?" but rarely end with a full stop.
    """
    return is_question(sentence) and not sentence.rstrip().endswith((".", "!"))


@dataclass(frozen=True)
class Signal:
    name: str
    prototypes: tuple[str, ...]
    cues: tuple[re.Pattern[str], ...]
    excludes: tuple[re.Pattern[str], ...] = ()
    requires: frozenset[str] = frozenset()
    statements_only: bool = False
    joins: tuple[frozenset[str], ...] = ()
    requires_count: int = 1
    needs_component: bool = False
    meaning_needs: re.Pattern[str] | None = None  # English sentences matched by meaning alone must also match this


@cache
def signal_defs() -> dict[str, Signal]:
    data = yaml.safe_load((Path(__file__).parent / "signals.yaml").read_text(encoding="utf-8"))

    def patterns(items) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in items)

    return {
        name: Signal(
            name,
            tuple(d["prototypes"]),
            patterns(d.get("cues", ())),
            patterns(d.get("excludes", ())),
            frozenset(d.get("requires", ())),
            bool(d.get("statements_only", False)),
            tuple(frozenset(side) for side in d.get("joins", ())),
            int(d.get("requires_count", 1)),
            bool(d.get("needs_component", False)),
            re.compile(d["meaning_needs"], re.IGNORECASE) if d.get("meaning_needs") else None,
        )
        for name, d in data.items()
    }


@cache
def _index() -> TopicIndex:
    return TopicIndex({name: s.prototypes for name, s in signal_defs().items()})


@dataclass
class Signals:
    """Sentences of the person's, per signal, as (turn number, sentence)."""

    hits: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    turns: list[tuple[int, str]] = field(default_factory=list)  # (turn number, cleaned text)
    sentences: list[tuple[int, str]] = field(default_factory=list)  # (turn number, sentence), all of them
    foreign: set[int] = field(default_factory=set)  # turns not in English (read by meaning alone)

    def of(self, name: str) -> list[tuple[int, str]]:
        return self.hits.get(name, [])

    def turns_with(self, name: str) -> set[int]:
        return {turn for turn, _ in self.of(name)}

    def upto(self, turn: int) -> Signals:
        """The signals of the first ``turn`` turns (each sentence is read on its own, so this is exact)."""
        return Signals(
            hits={k: [h for h in v if h[0] <= turn] for k, v in self.hits.items()},
            turns=[t for t in self.turns if t[0] <= turn],
            sentences=[s for s in self.sentences if s[0] <= turn],
            foreign={t for t in self.foreign if t <= turn},
        )


def read_signals(person_turns: list[tuple[int, str]]) -> Signals:
    """Classify every sentence of the person's turns against the rubric signals."""
    defs = signal_defs()
    index = _index()
    out = Signals()
    rows: list[tuple[int, str]] = []
    foreign = out.foreign
    for turn_no, text in person_turns:
        clean = without_scorer_directed(text)
        out.turns.append((turn_no, clean))
        rows.extend((turn_no, s) for s in split_sentences(clean))
        if not is_english(clean):
            foreign.add(turn_no)
    out.sentences = rows
    if not rows:
        return out
    scores = index.scores([s for _, s in rows])
    for i, (turn_no, sentence) in enumerate(rows):
        question = asks(sentence) or (turn_no in foreign and "?" in sentence)
        code = is_code(sentence)
        words = foreign_concepts(sentence) if turn_no in foreign else concepts(sentence)
        best = max(range(len(index.names)), key=lambda j: scores[i, j] if index.names[j] not in FRAMING_SIGNALS else -9)
        for j, name in enumerate(index.names):
            signal = defs[name]
            if (code and name != "depth") or (question and signal.statements_only):
                continue
            if any(x.search(sentence) for x in signal.excludes):
                continue
            by_cue = any(c.search(sentence) for c in signal.cues)
            by_join = bool(signal.joins) and all(side & words for side in signal.joins)
            if turn_no in foreign:
                bar = FOREIGN_MATCH if (j == best or (question and name in FRAMING_SIGNALS)) else 0
            else:
                bar = 0
            by_meaning = (
                scores[i, j] > bar
                and (question or name not in _SEMANTIC_NEEDS_QUESTION)
                and (not signal.requires or len(signal.requires & words) >= signal.requires_count)
                and (not signal.needs_component or names_component(sentence))
                and (signal.meaning_needs is None or turn_no in foreign or bool(signal.meaning_needs.search(sentence)))
            )
            if by_cue or by_join or by_meaning:
                out.hits.setdefault(name, []).append((turn_no, sentence))
    return out
