"""What each sentence of the person's turn does: a classifier on the shipped embedding model.

Ten acts (``ACTS``). Features are the sentence's e5 embedding (already computed for matching, so
reading acts costs one matrix product) plus a few lexical features that embeddings blur: a question
mark, a question-word opening, negation, causal and contrast connectives, first-person commitment.
The weights are a multinomial logistic regression trained by ``python -m agents.reading.train_acts``
on ``corpus/train.jsonl`` and measured on ``corpus/heldout.jsonl``; they ship as ``acts_model.npz``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from agents.reading import logreg
from agents.reading.matching import embed

ACTS = (
    "question",
    "claim",
    "decision",
    "tradeoff",
    "reason",
    "acknowledge",
    "dismiss",
    "defer",
    "scorer",
    "smalltalk",
)
# acts that say something about the system or the plan: the only ones that can cover a point,
# honour or break a constraint, or sketch the system (a question, however pointed, claims nothing)
CLAIMS = frozenset({"claim", "decision", "tradeoff", "reason"})
MODEL_PATH = Path(__file__).parent / "acts_model.npz"
DISMISS_SURE = 0.55

_LEXICAL = (
    re.compile(r"\?\s*$"),
    re.compile(
        r"^\W*(?:[\w'-]+,\s*)?(how|what|who|whom|whose|when|where|which|why|is|are|do|does|did|can|could|"
        r"should|would|will|have|has|any)\b",
        re.I,
    ),
    re.compile(r"\b(tell me|walk me through|give me|i'd like to know|i want to know|remind me)\b", re.I),
    re.compile(r"\b(no|not|never|without|none|nothing|n't|skip\w*|neither|nor)\b|n't\b", re.I),
    re.compile(r"\b(because|since|so that|so we|so users|the reason|that's why|which means|in order to)\b", re.I),
    re.compile(
        r"\b(but|versus|vs\.?|rather than|instead of|at the cost of|trade-?offs?|whereas|on the other hand)\b", re.I
    ),
    re.compile(r"\b(i'd|i will|i'll|we'll|we will|let's|my (call|recommendation|decision)|we go|go with)\b", re.I),
    re.compile(r"\b(later|next week|another time|revisit|park|circle back|not today|get back to)\b", re.I),
    re.compile(r"\b(score|rubric|facilitator|evaluator|grader|candidate|marks?|rating|5/5|out of 5)\b", re.I),
    re.compile(r"\d"),
)


def lexical_features(sentence: str) -> np.ndarray:
    """The lexical half of the features: a few 0/1 cues and the length (log words)."""
    flags = [1.0 if p.search(sentence) else 0.0 for p in _LEXICAL]
    flags.append(np.log1p(len(sentence.split())) / 4)
    return np.asarray(flags, dtype=np.float32)


def features(sentences: list[str]) -> np.ndarray:
    """Rows of [embedding | lexical features] for the classifier."""
    if not sentences:
        return np.zeros((0, 384 + len(_LEXICAL) + 1), dtype=np.float32)
    return np.hstack([embed(sentences), np.stack([lexical_features(s) for s in sentences])])


@dataclass(frozen=True)
class Act:
    """The act a sentence performs, with the classifier's probability for each act."""

    act: str
    p: dict[str, float]

    def prob(self, act: str) -> float:
        return self.p.get(act, 0.0)

    @property
    def is_claim(self) -> bool:
        return self.act in CLAIMS

    @property
    def dismisses(self) -> bool:
        """Brushes a concern or a person off, and clearly so: a tone that caps collaboration must be sure."""
        return self.act == "dismiss" and self.prob("dismiss") >= DISMISS_SURE

    @property
    def gives_reason(self) -> bool:
        """The sentence's job, or part of it, is to say why."""
        return self.act == "reason" or self.prob("reason") >= 0.25


@cache
def _model() -> logreg.Model:
    return logreg.load(MODEL_PATH)


def classify(sentences: list[str]) -> list[Act]:
    """The act of each sentence (one batched embedding for the uncached ones)."""
    if not sentences:
        return []
    probs = logreg.predict(_model(), features(sentences))
    return [Act(ACTS[int(row.argmax())], {a: float(v) for a, v in zip(ACTS, row, strict=True)}) for row in probs]
