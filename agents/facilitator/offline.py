"""Offline scoring: rubric signals and the board, turned into scores by fixed, readable rules.

Deterministic for a given transcript. Each dimension adds up evidence of the behaviour its
anchors describe into a raw number, then maps it onto 1-5 with the same cut points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.facilitator.outcome import concern_outcomes, missed_questions, verified_evidence
from agents.facilitator.scorecard import DimensionScore, Evidence, Scorecard, rubric, weighted_overall
from agents.facilitator.signals import (
    COMPONENT_CONCEPTS,
    COMPONENT_WORDS,
    FRAMING_SIGNALS,
    Signals,
    asks,
    components_in,
    is_code,
    read_signals,
)
from agents.guard import scorer_directed_sentences
from agents.matching import concepts, foreign_concepts
from agents.reading import scenario_index
from agents.transcript import person_turns
from scenarios import DIMENSIONS, Dimension, Scenario

CUTS = (1.0, 2.0, 3.0, 4.0)  # raw >= cut[i] earns score i + 2
_CAUSAL = re.compile(
    r"\b(because|so that|so we|so users|since|in order to|which (means|keeps|lets)|to keep|to avoid|that way)\b", re.I
)
_SUBSTANCE = (
    "framing_users",
    "framing_scale",
    "framing_metrics",
    "framing_constraints",
    "systems",
    "tradeoff",
    "decision",
    "alignment",
)
_FRAMING_LABEL = {
    "framing_users": "who the users are and how they experience it",
    "framing_scale": "the expected scale",
    "framing_metrics": "the metrics that define success",
    "framing_constraints": "time, budget and team constraints",
}


@dataclass
class _Judgement:
    raw: float
    rationale: str
    evidence: list[tuple[int, str]]
    cap: int = 5


def score_offline(
    scenario: Scenario,
    transcript: list[dict],
    board: dict[str, dict],
    revealed: list[str],
    signals: Signals | None = None,
) -> Scorecard:
    """The offline facilitator's scorecard for a finished (or interrupted) meeting.

    ``signals``: the person's turns already read (the timeline re-scores every prefix of a meeting).
    """
    turns = person_turns(transcript)
    sig = signals if signals is not None else read_signals(turns)
    words = [len(text.split()) for _, text in sig.turns]
    # one-liners earn what they show, no less (the evidence counts already stay small); but a 5 needs
    # the reasons and the weighing that a one-liner has no room for
    terse = bool(words) and sum(words) / len(words) < 12

    judged = {
        "framing": _framing(scenario, sig, revealed),
        "systems": _systems(sig),
        "tradeoffs": _tradeoffs(sig),
        "alignment": _alignment(scenario, sig, board),
        "collaboration": _collaboration(scenario, sig, board, turns),
    }
    anchors = rubric()
    dims: dict[Dimension, DimensionScore] = {}
    for d in DIMENSIONS:
        j = judged[d]
        if d == "collaboration":
            # concerns are settled by substance: where no choice was weighed or tied to a need, the
            # room's settlements came from wording that happened to match, not from leading it there
            substance = max(dims["tradeoffs"].score, dims["alignment"].score)
            if substance + 1 < j.cap:
                j.cap = substance + 1
                j.rationale += " No choice was weighed or tied to a need, so the settlements carry little weight."
        score = min(j.cap, 4 if terse else 5, 1 + sum(j.raw >= c for c in CUTS))
        evidence = verified_evidence([Evidence(turn=t, quote=q) for t, q in j.evidence], turns, limit=3)
        dims[d] = DimensionScore(score=score, rationale=j.rationale, evidence=evidence, anchor=anchors[d].anchor(score))
    overall = weighted_overall({d: s.score for d, s in dims.items()}, scenario.rubric_emphasis)
    return Scorecard(
        engine="offline",
        overall=overall,
        dimensions=dims,
        strengths=[f"{anchors[d].name}: {dims[d].rationale}" for d in DIMENSIONS if dims[d].score >= 4],
        improvements=[_advice(d, judged[d], sig) for d in DIMENSIONS if dims[d].score <= 3],
        missed_questions=missed_questions(scenario, revealed),
        concerns=concern_outcomes(scenario, board),
        ignored=[s for _, text in turns for s in scorer_directed_sentences(text)],
    )


def _framing(scenario: Scenario, sig: Signals, revealed: list[str]) -> _Judgement:
    asked = [s for s in FRAMING_SIGNALS if sig.of(s)]
    early = any(t <= 2 for s in asked for t in sig.turns_with(s))
    total = sum(len(s.facts) for s in scenario.stakeholders)
    share = len(revealed) / total if total else 0
    raw = len(asked) * 0.8 + (0.5 if early else 0) + share * 2.5
    covered = ", ".join(_FRAMING_LABEL[s] for s in asked) or "none of the boundaries"
    rationale = (
        f"Asked about {covered}{' early' if early else ''}; learned {len(revealed)} of {total} facts the room held."
    )
    # a 5 means the answers were drawn out and used, not only that the questions were asked
    return _Judgement(raw, rationale, [hit for s in asked for hit in sig.of(s)[:1]], cap=5 if share >= 0.2 else 4)


def _systems(sig: Signals) -> _Judgement:
    # a sketch is a statement about the system's boxes (by meaning), or one that connects two of them
    # ("queued on the phone, sent by the sync service"); a question is not a sketch, and code is depth
    depth = sig.of("depth")
    named = [h for h in sig.sentences if not asks(h[1]) and len(components_in(h[1])) >= 2 and not is_code(h[1])]
    sketch = list(dict.fromkeys([*sig.of("systems"), *(h for h in named if h not in depth)]))
    # the causal words are English; in another language a sketch that also ties itself to users, cost
    # or a metric (the alignment signal, read by meaning) gives its reason
    why = set(sig.of("alignment")) | set(sig.of("tradeoff"))
    reasoned = [h for h in sketch if _CAUSAL.search(h[1]) or (h[0] in sig.foreign and h in why)]
    components = {m.lower() for _, text in sig.turns for m in COMPONENT_WORDS.findall(text)}
    components |= {
        c
        for t, text in sig.turns
        for c in (foreign_concepts(text) if t in sig.foreign else concepts(text))
        if c in COMPONENT_CONCEPTS
    }
    brought_in = [
        h for h in sig.of("collaboration") if re.search(r"\b(bring in|loop in|pull in|pair with|consult)\b", h[1], re.I)
    ]
    lecture = max(0, len(depth) - len(reasoned))
    raw = min(2.0, len(sketch) * 0.5) + min(1.5, len(reasoned) * 0.5) + min(1.0, len(components) / 5)
    raw += 0.5 if brought_in else 0
    raw -= 0.5 * lecture
    rationale = (
        f"{_n(len(sketch), 'sentence')} sketch the system, {len(reasoned)} with a reason; "
        f"{_n(len(components), 'kind')} of component named"
        + (f"; {_n(len(depth), 'sentence')} dive into implementation detail" if depth else "")
        + ("; brings in the right expert" if brought_in else "")
        + "."
    )
    # anchor 3 is components without reasons *or* a drift into detail; both at once is below it
    cap = 5 if reasoned else 2 if depth else 3
    return _Judgement(raw, rationale, reasoned[:2] + [h for h in sketch if h not in reasoned][:1], cap)


def _tradeoffs(sig: Signals) -> _Judgement:
    named, decided = sig.of("tradeoff"), sig.of("decision")
    # the first trade-off named counts most; more of them add less (rewording splits or joins sentences)
    raw = (min(2.5, 0.8 + 0.7 * len(named)) if named else 0) + min(2.0, len(decided) * 0.8)
    cap = 5 if named and decided else 3 if (named or decided) else 1
    rationale = f"Named {_n(len(named), 'trade-off')} and made {_n(len(decided), 'clear decision')}" + (
        "." if named and decided else "; " + ("never decided." if named else "decided without weighing alternatives.")
    )
    return _Judgement(raw, rationale, named[:2] + decided[:1], cap)


def _alignment(scenario: Scenario, sig: Signals, board: dict[str, dict]) -> _Judgement:
    tied = sig.of("alignment")
    business = [c.id for c in scenario.stakeholder("business").concerns]
    resolved = [cid for cid in business if board.get(cid, {}).get("status") == "resolved"]
    numbers = [
        t for t, text in sig.turns if re.search(r"\d+\s*(%|ms|k\b|m\b|million|users|seconds|\$)|\$\s*\d", text, re.I)
    ]
    raw = min(3.0, len(tied) * 0.75) + 0.6 * len(resolved) + (0.5 if numbers else 0)
    rationale = (
        f"{_n(len(tied), 'choice')} tied to users, metrics or cost; {len(resolved)} of the business lead's "
        f"{len(business)} concerns settled" + ("; uses numbers." if numbers else ".")
    )
    return _Judgement(raw, rationale, tied[:3])


def _collaboration(
    scenario: Scenario, sig: Signals, board: dict[str, dict], turns: list[tuple[int, str]]
) -> _Judgement:
    index = scenario_index(scenario)
    addressed = {role for _, text in sig.turns for role in index.addressed(text)}
    leading = sig.of("collaboration")
    raised = [c for c in board.values() if c["status"] != "unraised"]
    resolved = [c for c in raised if c["status"] == "resolved"]
    escalated = [c for c in raised if c["status"] == "escalated"]
    # a turn that agrees and adds nothing else; agreeing inside a substantive turn is fine
    substantive = {t for name in _SUBSTANCE for t in sig.turns_with(name)}
    agreeable = {t for t, text in sig.turns if t in sig.turns_with("agreeable") and t not in substantive}
    decided = sig.of("decision")
    closes = bool(sig.turns) and any(t == sig.turns[-1][0] for t, _ in [*decided, *leading])
    # naming someone is not engaging them: most of the credit is for concerns actually settled
    raw = 0.5 * len(addressed) + min(1.5, 0.4 * len(leading)) + (2.0 * len(resolved) / len(raised) if raised else 0)
    raw += 0.5 if closes and decided else 0
    raw -= 0.5 * len(escalated) + (0.5 * len(agreeable) if len(agreeable) * 2 >= max(1, len(turns)) else 0)
    rationale = (
        f"Spoke to {len(addressed)} of 3 stakeholders directly; settled {len(resolved)} of {len(raised)} concerns "
        f"raised ({len(escalated)} escalated)"
        + ("; closed with a decision or next steps." if closes and decided else "; no clear close.")
    )
    # anchor 3 needs concerns resolved: politeness alone cannot lift collaboration past 2; and a room
    # that ends without a decision is the 3 anchor, however well it was run
    return _Judgement(raw, rationale, leading[:3], cap=(5 if decided else 3) if resolved else 2)


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _advice(d: str, j: _Judgement, sig: Signals) -> str:
    if d == "framing":
        missing = [_FRAMING_LABEL[s] for s in FRAMING_SIGNALS if not sig.of(s)]
        return "Before designing, ask about " + (", ".join(missing) or "the facts each stakeholder holds") + "."
    return {
        "systems": "Sketch the main components and say why each is there; leave internals to the engineers you bring in.",
        "tradeoffs": "Name the trade-off (speed vs cost, consistency vs availability, ...), weigh it, and make a call.",
        "alignment": "Tie each choice to a user need, a metric or a cost - with numbers where you have them.",
        "collaboration": "Answer each stakeholder's concern by name, and close with a decision, owners and next steps.",
    }[d]
