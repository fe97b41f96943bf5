"""Which side a claim takes: on each must-address point, and on each decisive constraint.

Topic is not enough: "no idempotency keys, no pending state" is about the same thing as "an
idempotency key on every instruction" and means the opposite. A claim that is about a point (by
the usual margin over the scenario's pool of stances) is then placed on one side:

* by meaning: nearer the card's satisfying examples (the point and its ``says``) or its ``wrong``
  ones; and
* by negation: a claim that negates the point's own words where the nearest satisfying example does
  not ("no keys" against "a key on every instruction"), or the other way round, takes the other side.

A later claim overrides an earlier one ("we build it. No wait, we buy"): the reading keeps each
point's latest stance. Only claims are read here; questions, acknowledgements and the rest never
take a stance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from agents.reading.matching import TopicIndex, concepts, embed
from scenarios import Scenario

RIGHT, WRONG = "right", "wrong"
_NEGATOR = re.compile(
    r"\b(no|not|never|without|none|nothing|neither|nor|skip|skipping|skipped|drop|dropping|forget|zero)\b|n't\b", re.I
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|n't", re.I)
NEGATION_REACH = 4  # a negator counts for the point's words up to this many words after it
RETRACTION = re.compile(
    r"^\W*(no,? wait|wait,? no|actually,? no|scratch that|on second thought|i take (that|it) back|sorry,? i mean|"
    r"correction|let me correct (that|myself)|rather)\b[\s,:;.-]*",
    re.I,
)


@dataclass(frozen=True)
class Stance:
    """One claim's side on one point or constraint."""

    key: str  # "concern-id#i" for a point, the constraint id for a constraint
    side: str  # RIGHT (satisfying / honours) or WRONG (wrong stance / violates)
    sentence: str


def negated(sentence: str, topic: str) -> bool:
    """True when a negator governs one of ``topic``'s content words in ``sentence``."""
    want = concepts(topic)
    if not want:
        return False
    tokens = _TOKEN.findall(sentence.lower())
    for i, tok in enumerate(tokens):
        if _NEGATOR.fullmatch(tok) or tok == "n't":
            window = " ".join(tokens[i + 1 : i + 1 + NEGATION_REACH])
            if concepts(window) & want:
                return True
    return False


def without_retraction(sentence: str) -> tuple[str, bool]:
    """The sentence without a leading "no wait," and whether it retracts what came just before."""
    stripped = RETRACTION.sub("", sentence, count=1)
    return (stripped, True) if stripped != sentence and stripped.strip() else (sentence, False)


class StanceIndex:
    """Both sides of every point and constraint of a scenario, embedded once."""

    def __init__(self, scenario: Scenario):
        self.sides: dict[str, tuple[list[str], list[str]]] = {}
        for s in scenario.stakeholders:
            for c in s.concerns:
                for i, p in enumerate(c.must_address):
                    self.sides[f"{c.id}#{i}"] = (p.satisfying, list(p.wrong))
        for k in scenario.decisive_constraints:
            self.sides[k.id] = ([k.rule, *k.honours], list(k.violates))
        topics: dict[str, list[str]] = {}
        for key, (good, bad) in self.sides.items():
            topics[f"+{key}"] = good
            if bad:
                topics[f"-{key}"] = bad
        self.index = TopicIndex(topics)
        self._column = {name: j for j, name in enumerate(self.index.names)}
        self._vectors = {key: (embed(good), embed(bad) if bad else None) for key, (good, bad) in self.sides.items()}

    def read(self, claims: list[str]) -> list[Stance]:
        """Every (claim, point or constraint) pair the claim is about, with its side; claims in order."""
        if not claims:
            return []
        scores = self.index.scores(claims)
        vectors = embed(claims)
        out = []
        for i, claim in enumerate(claims):
            for key, (good, bad) in self.sides.items():
                relevant = scores[i, self._column[f"+{key}"]]
                if bad:
                    relevant = max(relevant, scores[i, self._column[f"-{key}"]])
                if relevant <= 0:
                    continue
                out.append(Stance(key, self._side(claim, vectors[i], key, good, bad), claim))
        return out

    def _side(self, claim: str, vector: np.ndarray, key: str, good: list[str], bad: list[str]) -> str:
        good_v, bad_v = self._vectors[key]
        sims = good_v @ vector
        nearest = good[int(sims.argmax())]
        if negated(claim, good[0]) != negated(nearest, good[0]):
            return WRONG
        if bad_v is not None and float((bad_v @ vector).max()) > float(sims.max()):
            return WRONG
        return RIGHT


def latest(stances: list[Stance]) -> dict[str, Stance]:
    """Each key's most recent stance (stances in the order they were said)."""
    out: dict[str, Stance] = {}
    for s in stances:
        out[s.key] = s
    return out
