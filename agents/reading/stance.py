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

from agents.reading.matching import GENERIC_PHRASES, TopicIndex, concepts, embed
from scenarios import Scenario

RIGHT, WRONG = "right", "wrong"
_NEGATOR = re.compile(
    r"\b(no|not|never|without|none|nothing|neither|nor|skip|skipping|skipped|drop|dropping|forget|zero)\b|n't\b", re.I
)
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|n't", re.I)
NEGATION_REACH = 4  # a negator counts for the point's words up to this many words after it
# "we defer real-time billing", "SCIM waits for phase two": naming the tempting option only to put it
# off takes no wrong stance
_DEFERRED = re.compile(
    r"\b(defer\w*|later|phase (two|2)|v2|wait(s|ing)? (for|until)|not (now|yet|in (v1|phase one|the first))|"
    r"postpon\w*|out of scope|instead of|rather than|after (launch|the audit|the freeze)|"
    r"would have|i'd have|we'd have|could have|only (when|once|after|if)|not before)\b",  # and the road not taken: "without the audit I'd have built it"
    re.I,
)
# a change of mind said out loud: what lets a later call undo an earlier one on a decisive constraint
REVISION = re.compile(
    r"\b(changed? my mind|given (what|that|the)|now that|in light of|on reflection|having heard|after hearing|"
    r"that changes|you('ve| have) convinced me|i was wrong|scratch that|no wait|instead)\b",
    re.I,
)
RETRACTION = re.compile(
    r"^\W*(no,? wait|wait,? no|actually,? no|scratch that|on second thought|i take (that|it) back|sorry,? i mean|"
    r"correction|let me correct (that|myself)|rather)\b[\s,:;.-]*",
    re.I,
)


TOP_KEYS = 2  # a clause takes a side on at most this many points or constraints: the ones it is most about
_CLAUSE = re.compile(r"\s*(?:[;:]|\s[-–—]\s|,\s*(?=(?:and|but|so|while|whereas|plus|then)\b))\s*", re.I)
MIN_CLAUSE_WORDS = 4
WRONG_MIN = 0.5  # a clause takes the wrong side only when clearly about it (score units: 1 = one margin)
WRONG_MARGIN = 0.25  # ... and clearly nearer it than the satisfying side
CONSTRAINT_WRONG_MIN = 0.9
CONSTRAINT_WRONG_MARGIN = 0.6
# honouring a decisive constraint lifts the trade-offs cap, so a clause must be clearly about the rule's
# satisfying side too: "buy the vendor's SDK, push through our existing service" brushes "reuse the
# existing push service" at 0.17 of a margin and honours nothing
CONSTRAINT_RIGHT_MIN = 0.5
PARITY_SLACK = 0.06  # cosine by which a negated example must beat plain ones to flip a plain clause


@dataclass(frozen=True)
class Stance:
    """One claim's side on one point or constraint."""

    key: str  # "concern-id#i" for a point, the constraint id for a constraint
    side: str  # RIGHT (satisfying / honours) or WRONG (wrong stance / violates)
    sentence: str  # the whole claim (what is quoted)
    clause: str = ""  # the part of it that takes the side
    rank: int = 0  # 0: the point (or constraint) the clause is most about
    act: str = ""  # the act of the claim (decision, claim, reason, tradeoff)
    revises: bool = False  # the claim says the person's view changed ("given what Rohan said, ...")
    strength: float = 0.0  # how clearly the clause is about the key (its topic score, 1 = one margin)
    contested: bool = False  # a wrong side taken in a turn that also takes the right one on the same key


def clauses(sentence: str) -> list[str]:
    """A claim cut where it turns to another thing (";", ":", ", and ...", " - "); short bits stay attached."""
    out: list[str] = []
    for part in _CLAUSE.split(sentence):
        part = part.strip(" ,.")
        if not part:
            continue
        if out and len(part.split()) < MIN_CLAUSE_WORDS:
            out[-1] += ", " + part
        else:
            out.append(part)
    # a claim that is one clause is read as said: the sentence's own embedding serves both readings
    return [sentence.strip()] if len(out) <= 1 else out


def negated(sentence: str, topic: str) -> bool:
    """True when a negator governs one of ``topic``'s content words in ``sentence``."""
    want = concepts(topic)
    if not want:
        return False
    tokens = _TOKEN.findall(sentence.lower())
    for i, tok in enumerate(tokens):
        if _NEGATOR.fullmatch(tok) or tok.endswith("n't"):
            window = " ".join(tokens[i + 1 : i + 1 + NEGATION_REACH])
            if concepts(window) & want:
                return True
    return False


def without_retraction(sentence: str) -> tuple[str, bool]:
    """The sentence without a leading "no wait," and whether it retracts what came just before."""
    stripped = RETRACTION.sub("", sentence, count=1)
    return (stripped, True) if stripped != sentence and stripped.strip() else (sentence, False)


def side_topics(sides: dict[str, tuple[list[str], list[str]]]) -> dict[str, list[str]]:
    """The topic pool stances are read against: each key's satisfying (``+key``) and wrong (``-key``)
    examples, and generic talk ("build versus buy", "a service and a database") that takes no side."""
    topics: dict[str, list[str]] = {}
    for key, (good, bad) in sides.items():
        topics[f"+{key}"] = good
        if bad:
            topics[f"-{key}"] = bad
    return topics | {f"~{i}": [g] for i, g in enumerate(GENERIC_PHRASES)}


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
        self.index = TopicIndex(side_topics(self.sides))
        self._title = concepts(scenario.title)  # a clause that only names the proposal takes no side
        self._generic = np.array([n.startswith("~") for n in self.index.names])
        self._column = {name: j for j, name in enumerate(self.index.names)}
        self._vectors = {key: (embed(good), embed(bad) if bad else None) for key, (good, bad) in self.sides.items()}

    def topic_scores(self, scores_row: np.ndarray, key: str) -> tuple[float, float]:
        """How much a clause is about the key's satisfying and its wrong side (score units)."""
        plus = float(scores_row[self._column[f"+{key}"]])
        minus = float(scores_row[self._column[f"-{key}"]]) if f"-{key}" in self._column else -1.0
        return plus, minus

    def read(self, claims: list[str]) -> list[Stance]:
        """The sides the claims take, in order: each clause on the (at most ``TOP_KEYS``) points or
        constraints it is most about, the side being whichever of the key's two topics fits it better."""
        units = [(claim, clause) for claim in claims for clause in clauses(claim)]
        if not units:
            return []
        texts = [clause for _, clause in units]
        scores = self.index.scores(texts)
        vectors = embed(texts)
        out = []
        for i, (claim, clause) in enumerate(units):
            if not concepts(clause) - self._title:
                continue
            bar = max(0.0, float(scores[i, self._generic].max()))
            # a clause takes a side on the points it is most about and, separately, on the one
            # constraint it is most about: choosing a vendor can answer a concern and break a rule at once
            seen: dict[bool, list[str]] = {True: [], False: []}
            for j in np.argsort(-scores[i]):
                if scores[i, j] <= bar:
                    break
                key = self.index.names[j][1:]
                group = seen["#" not in key]
                if key in group or len(group) == (1 if "#" not in key else TOP_KEYS):
                    continue
                group.append(key)
                plus, minus = self.topic_scores(scores[i], key)
                side, strength = self._ruled_side(clause, vectors[i], key, plus, minus)
                # a clause is wrong only about what it is most about; what it touches in passing it can only get right
                if side is None or (side == WRONG and len(group) > 1):
                    continue
                out.append(Stance(key, side, claim, clause, rank=len(group) - 1, strength=strength))
        return out

    def _ruled_side(
        self, clause: str, vector: np.ndarray, key: str, plus: float, minus: float
    ) -> tuple[str | None, float]:
        """The side whose topic the clause is clearly nearer, flipped by negation (see ``_side``)."""
        # the wrong side must fit clearly better: embeddings blur "a fee" and "no fee"; breaking a
        # decisive constraint (which caps the score and stops the room agreeing) must be surer still
        rule = "#" not in key
        least, margin = (CONSTRAINT_WRONG_MIN, CONSTRAINT_WRONG_MARGIN) if rule else (WRONG_MIN, WRONG_MARGIN)
        wrong_topic = minus >= least and minus - plus >= margin
        if not wrong_topic and (plus <= (CONSTRAINT_RIGHT_MIN if rule else 0) or minus >= plus):
            return None, 0.0  # nearer neither side clearly: no stance
        side = self._side(clause, vector, key, wrong_topic)
        if side == WRONG and not wrong_topic and rule and plus < CONSTRAINT_WRONG_MIN:
            side = None  # a negation flips a rule's side only for a clause clearly about the rule
        return side, float(minus if wrong_topic else plus)

    def _side(self, clause: str, vector: np.ndarray, key: str, wrong_topic: bool) -> str | None:
        """The side of a clause on a key whose topic (satisfying or wrong) it is most about: that side,
        unless the clause negates what the side's nearest example asserts ("no idempotency keys"
        against "a key on every instruction"; "not a real-time stream" against "a real-time stream").
        A wrong option named only to defer it takes no side (None)."""
        good, bad = self.sides[key]
        phrases, vectors = (bad, self._vectors[key][1]) if wrong_topic else (good, self._vectors[key][0])
        # compare the clause with the side's examples that negate as it does and those that do not:
        # "records stay in India" is near "no copies in US logs" by meaning, yet it is the plain
        # "records kept in an Indian region" that it agrees with
        sims = vectors @ vector
        negates = negated(clause, phrases[0])
        same = [float(x) for x, p in zip(sims, phrases, strict=True) if negated(p, phrases[0]) == negates]
        other = [float(x) for x, p in zip(sims, phrases, strict=True) if negated(p, phrases[0]) != negates]
        # "no keys" against examples that all assert keys flips at once; a plain assertion flips only when
        # clearly nearer a negated example, since examples often carry an incidental "no" ("..., no copies abroad")
        slack = 0.0 if negates else PARITY_SLACK
        flipped = bool(other) and (not same or max(other) > max(same) + slack)
        if wrong_topic:
            return None if flipped or _DEFERRED.search(clause) else WRONG
        if flipped:
            return None if _DEFERRED.search(clause) else WRONG
        return RIGHT


def latest(stances: list[Stance]) -> dict[str, Stance]:
    """Each key's standing stance (stances in the order they were said): on a point the most recent;
    on a decisive constraint a *decision* that breaks it stands until a later call honours it and says
    the view changed: mentioning a compliant detail after choosing the option that breaks the rule does
    not undo the choice (unless the breaking turn took the rule's right side too: see ``contested``)."""
    out: dict[str, Stance] = {}
    for s in stances:
        was = out.get(s.key)
        # a turn that took both sides of the rule decided nothing that should outlast a later clear call
        chosen = was is not None and was.side == WRONG and was.act == "decision" and not was.contested
        if "#" not in s.key and chosen and s.side == RIGHT and not s.revises:
            continue
        out[s.key] = s
    return out
