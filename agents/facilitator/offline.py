"""Offline scoring: the person's meeting, read against this scenario, turned into scores by readable rules.

Deterministic for a given transcript. Every dimension counts what the person said about *this*
scenario (``signals.py``): its own parts and flows, its real tensions and decisive constraints, its
users, metrics and money, and the concerns the room genuinely settled (stance-aware, so a wrong
answer settles nothing). A generic meeting pasted into any scenario finds little to count. Each
dimension adds up its evidence into a raw number and maps it onto 1-5 with the same cut points;
caps encode the anchors ("names trade-offs but does not decide" is a 3, whatever else).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.facilitator.key import scenario_key
from agents.facilitator.outcome import concern_outcomes, missed_questions, verified_evidence
from agents.facilitator.scorecard import DimensionScore, Evidence, Scorecard, rubric, weighted_overall
from agents.facilitator.signals import FRAMING_SIGNALS, Signals, bringing_in, contradictions, read_signals
from agents.reading.guard import scorer_directed_sentences
from agents.reading.stance import Stance, latest
from agents.transcript import person_turns
from scenarios import DIMENSIONS, Dimension, Scenario

CUTS = (1.0, 2.0, 3.0, 4.0)  # raw >= cut[i] earns score i + 2
_FRAMING_LABEL = {
    "framing_users": "who the users are and how they experience it",
    "framing_scale": "the expected scale",
    "framing_metrics": "the metrics that define success",
    "framing_constraints": "time, budget and other constraints",
}
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


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
    sig = signals if signals is not None else read_signals(scenario, turns)
    words = [len(text.split()) for _, text in sig.turns]
    # one-liners earn what they show, no less; but a 5 needs the reasons a one-liner has no room for
    terse = bool(words) and sum(words) / len(words) < 12
    broken = _broken_constraints(scenario, sig)
    wrong_side = _mostly_wrong(sig)

    judged = {
        "framing": _framing(scenario, sig, revealed),
        "systems": _systems(scenario, sig),
        "tradeoffs": _tradeoffs(scenario, sig, broken),
        "alignment": _alignment(scenario, sig, board, revealed, broken),
        "collaboration": _collaboration(scenario, sig, board),
    }
    if wrong_side:
        # a plan that mostly takes the wrong side of the room's concerns: its sketch, its calls and its
        # ties to users are of the wrong system
        for d, cap in (("systems", 3), ("tradeoffs", 2), ("alignment", 2)):
            judged[d].cap = min(judged[d].cap, cap)
            judged[d].rationale += " Most of the plan's answers take the side the room warned against."
    anchors = rubric()
    dims: dict[Dimension, DimensionScore] = {}
    for d in DIMENSIONS:
        j = judged[d]
        if d == "collaboration":
            # concerns are settled by substance: where no choice was weighed or tied to a need, the
            # room's settlements came from wording that happened to match, not from leading it there
            substance = max(dims["tradeoffs"].score, dims["alignment"].score, dims["systems"].score)
            if substance + 1 < j.cap:
                j.cap = substance + 1
                j.rationale += " Little substance behind the room's agreement, so it carries less weight."
        score = min(j.cap, 4 if terse else 5, 1 + sum(j.raw >= c for c in CUTS))
        evidence = verified_evidence([Evidence(turn=t, quote=q) for t, q in j.evidence], turns, limit=3)
        dims[d] = DimensionScore(score=score, rationale=j.rationale, evidence=evidence, anchor=anchors[d].anchor(score))
    overall = weighted_overall({d: s.score for d, s in dims.items()}, scenario.rubric_emphasis)
    return Scorecard(
        engine="offline",
        overall=overall,
        dimensions=dims,
        strengths=[f"{anchors[d].name}: {dims[d].rationale}" for d in DIMENSIONS if dims[d].score >= 4],
        improvements=[_advice(d, sig, scenario, broken) for d in DIMENSIONS if dims[d].score <= 3],
        missed_questions=missed_questions(scenario, revealed),
        concerns=concern_outcomes(scenario, board),
        ignored=[s for _, text in turns for s in scorer_directed_sentences(text)],
    )


def _constraint_verdicts(scenario: Scenario, sig: Signals) -> dict[str, tuple[int, Stance]]:
    """Each decisive constraint's standing stance in the meeting (see ``stance.latest``), with its turn."""
    ids = {k.id for k in scenario.decisive_constraints}
    turn_of = {id(st): t for t, st in sig.stances}
    standing = latest([st for _, st in sig.stances if st.key in ids])
    return {kid: (turn_of[id(st)], st) for kid, st in standing.items()}


def _broken_constraints(scenario: Scenario, sig: Signals) -> list[tuple[str, tuple[int, str]]]:
    """Decisive constraints the meeting's plan breaks, with the claim that breaks them."""
    verdicts = _constraint_verdicts(scenario, sig).items()
    return [(kid, (t, st.sentence)) for kid, (t, st) in verdicts if st.side == "wrong"]


def _mostly_wrong(sig: Signals) -> bool:
    """At least two claims take the wrong side, and no more claims take the right one."""
    wrong = {h for h in sig.of("wrong_stance")}
    right = {(t, st.sentence) for t, st in sig.stances if st.side == "right" and st.rank == 0} - wrong
    return len(wrong) >= 2 and len(wrong) >= len(right)


def _honoured_constraints(scenario: Scenario, sig: Signals) -> list[tuple[int, str]]:
    return [(t, st.sentence) for t, st in _constraint_verdicts(scenario, sig).values() if st.side == "right"]


def _framing(scenario: Scenario, sig: Signals, revealed: list[str]) -> _Judgement:
    asked = [s for s in FRAMING_SIGNALS if sig.of(s)]
    first_decision = min(sig.turns_with("decision") | sig.turns_with("claim"), default=99)
    early = any(t <= 2 and t <= first_decision for s in asked for t in sig.turns_with(s))
    total = sum(len(s.facts) for s in scenario.stakeholders)
    share = len(revealed) / total if total else 0
    raw = len(asked) * 0.8 + (0.5 if early else 0) + share * 2.5
    covered = ", ".join(_FRAMING_LABEL[s] for s in asked) or "none of the boundaries"
    rationale = (
        f"Asked about {covered}{' early' if early else ''}; learned {len(revealed)} of {total} facts the room held."
    )
    questions_first = min((t for s in asked for t in sig.turns_with(s)), default=99)
    cap = 5 if share >= 0.2 else 4
    if questions_first > first_decision and questions_first != 99:
        cap = 3  # asked only after committing to a design
        rationale += " The questions came after the design was already set."
    return _Judgement(raw, rationale, [h for s in asked for h in sig.of(s)[:1]], cap=cap)


def _systems(scenario: Scenario, sig: Signals) -> _Judgement:
    key = scenario_key(scenario)
    wanted = len(key.items["parts"]) + len(key.items["flows"])
    covered = sig.items("systems", ("parts", "flows"))
    reasoned = sig.of("reasoned_systems")
    depth = sig.of("depth")
    generic = sig.of("generic_systems")
    brought_in = bringing_in(sig)
    coverage = min(1.0, len(covered) / max(1, min(6, wanted)))
    lecture = max(0, len(depth) - len(reasoned))
    raw = 3.0 * coverage + min(1.5, 0.5 * len(reasoned)) + (0.5 if brought_in else 0) - 0.5 * lecture
    # naming this system's own parts is the 2 anchor, even without how they connect
    raw = max(raw, 1.0) if covered else min(raw, 0.5 * min(2, len(generic)))
    rationale = (
        f"Sketched {len(covered)} of this system's {wanted} parts and flows, {_n(len(reasoned), 'sentence')} with a reason"
        + (
            f"; {_n(len(generic), 'generic component sentence')} not tied to this scenario"
            if generic and not covered
            else ""
        )
        + (f"; {_n(len(depth), 'sentence')} of implementation detail" if depth else "")
        + ("; brings in the right expert" if brought_in else "")
        + "."
    )
    cap = 5 if reasoned else 2 if lecture else 3
    if len(depth) >= 2 and len(depth) >= len(reasoned):
        cap = min(cap, 3)  # as much internals as reasons: the anchor's "drifts into implementation detail"
    if not covered:
        cap = 2
    evidence = reasoned[:2] + [h for h in sig.of("systems") if h not in reasoned][:1]
    return _Judgement(raw, rationale, evidence, cap)


def _tradeoffs(scenario: Scenario, sig: Signals, broken: list) -> _Judgement:
    real, named = sig.of("real_tradeoff"), sig.of("tradeoff")
    decided, grounded = sig.of("decision"), sig.of("grounded_decision")
    honoured = _honoured_constraints(scenario, sig)
    flips = contradictions(sig)
    asked = sig.items("question", ("tradeoffs",))  # asking about this scenario's tension is half of weighing it
    raw = (min(2.5, 0.8 + 0.7 * len(real)) if real else 0.6 if named else 0) + (
        1.0 if grounded else 0.3 if decided else 0
    )
    raw += min(0.5, 0.25 * (len(grounded) - 1)) + (0.5 if honoured else 0) - 1.0 * len(flips)
    raw += 1.0 if asked and not real else 0
    cap = 5 if real and grounded else 3 if (named or decided or asked) else 1
    parts = [
        f"Weighed {_n(len(real), 'sentence')} on this scenario's tensions"
        + (f" ({len(named) - len(real)} generic)" if len(named) > len(real) else ""),
        f"made {_n(len(grounded), 'decision')} about this scenario",
    ]
    if scenario.decisive_constraints:
        if broken:
            cap = min(cap, 2)
            parts.append("but the plan breaks a constraint the room holds: " + _rules(scenario, broken))
        elif honoured and len(honoured) < len(scenario.decisive_constraints):
            cap = min(cap, 4)  # weighed against part of the context: another constraint never entered the call
            parts.append("and the decision honours part of the context but never weighs " + _unweighed(scenario, sig))
        elif honoured:
            parts.append("and the decision honours the deciding constraints")
        else:  # weighed, but not against the context that decides this meeting: the 3 anchor
            cap = min(cap, 3)
            parts.append("without taking the deciding constraint into account")
    if flips:
        cap = min(cap, 3)
        parts.append(f"reversed an earlier stance without saying why ({_n(len(flips), 'time')})")
    if named and not decided:
        parts.append("never decided")
    evidence = [h for _, h in broken[:1]] + real[:2] + (grounded or decided)[:1]
    return _Judgement(raw, "; ".join(parts) + ".", evidence, cap)


def _alignment(
    scenario: Scenario, sig: Signals, board: dict[str, dict], revealed: list[str], broken: list
) -> _Judgement:
    tied = sig.of("alignment")
    items = sig.items("alignment", ("users", "metrics", "money"))
    generic = sig.of("generic_alignment")
    business = [c.id for c in scenario.stakeholder("business").concerns]
    resolved = [cid for cid in business if board.get(cid, {}).get("status") == "resolved"]
    numbers = _grounded_numbers(scenario, sig, revealed)
    raw = (
        min(3.0, 0.75 * len(items)) + 0.6 * len(resolved) + (0.5 if numbers else 0) + (0.25 if len(numbers) >= 3 else 0)
    )
    raw += min(1.0, 0.35 * len(generic)) if not items else 0
    asked = sig.items("question", ("users", "metrics", "money"))  # asking after this scenario's users and money
    raw += min(1.0, 0.25 * len(asked)) if not items else 0
    cap = 5 if items else 2
    rationale = (
        f"Tied choices to {len(items)} of this scenario's users, metrics or costs; "
        f"{len(resolved)} of the business lead's {len(business)} concerns settled"
        + (f"; used {len(numbers)} of the room's numbers" if numbers else "")
    )
    if broken:
        cap = min(cap, 3)
        rationale += "; the plan breaks a constraint the business depends on"
    elif scenario.decisive_constraints and not _honoured_constraints(scenario, sig):
        cap = min(cap, 3)
        rationale += "; the choices are not tied to the constraint that decides this meeting"
    return _Judgement(raw, rationale + ".", tied[:3] or generic[:1], cap)


def _collaboration(scenario: Scenario, sig: Signals, board: dict[str, dict]) -> _Judgement:
    from agents.reading.turn import scenario_index

    index = scenario_index(scenario)
    addressed = {role for _, text in sig.of("addressing") for role in index.addressed(text)}
    acknowledged = sig.of("acknowledge")
    dismissals = sig.of("dismissal")
    raised = [c for c in board.values() if c["status"] != "unraised"]
    resolved = [c for c in raised if c["status"] == "resolved"]
    escalated = [c for c in raised if c["status"] == "escalated"]
    decided = sig.of("decision")
    # the close is the last turn that says anything to the room: text aimed at the scorer is set aside
    last = max((s.turn for s in sig.sentences if s.act.act != "scorer"), default=0)
    closes = any(t == last for t, _ in sig.of("close"))
    brought_in = bringing_in(sig)
    answered = _answered_by_name(scenario, sig)
    raw = (
        0.5 * len(addressed) + min(1.0, 0.35 * len(acknowledged)) + (2.0 * len(resolved) / len(raised) if raised else 0)
    )
    raw += min(1.0, 0.25 * len(answered))
    raw += (0.5 if closes and decided else 0) + (0.25 if brought_in else 0) - min(1.0, 0.5 * len(escalated))
    cap = (5 if decided else 3) if resolved else 2
    parts = [
        f"Spoke to {len(addressed)} of 3 stakeholders by name",
        f"settled {len(resolved)} of {len(raised)} concerns raised ({len(escalated)} escalated)",
    ]
    if acknowledged:
        parts.append(f"acknowledged {_n(len(acknowledged), 'point')} by name")
    if answered:
        parts.append(f"answered {_n(len(answered), 'concern')} to its owner by name")
    if dismissals:
        cap = min(cap, 3 if len(dismissals) == 1 else 2)
        parts.append(f"brushed off {_n(len(dismissals), 'concern')}")
    parts.append("closed with a decision and next steps" if closes and decided else "no clear close")
    closing = [h for h in sig.of("close") if h[0] == last]
    evidence = [h for h in acknowledged if len(h[1].split()) >= 4][:2] + brought_in[:1] + closing[:1]
    return _Judgement(raw, "; ".join(parts) + ".", evidence, cap)


def _answered_by_name(scenario: Scenario, sig: Signals) -> set[str]:
    """Concerns the person answered on the right side in a turn that speaks to their owner by name
    ("Sofia, on the customer side: a usage page ..."): engaging a stakeholder with substance."""
    from agents.reading.turn import scenario_index

    index = scenario_index(scenario)
    owner = {c.id: s.role for s in scenario.stakeholders for c in s.concerns}
    named: dict[int, set[str]] = {}
    for t, text in sig.turns:
        named[t] = index.addressed(text)
    return {
        st.key.split("#")[0]
        for t, st in sig.stances
        if st.side == "right" and "#" in st.key and owner.get(st.key.split("#")[0]) in named.get(t, set())
    }


def _grounded_numbers(scenario: Scenario, sig: Signals, revealed: list[str]) -> set[str]:
    """Numbers of the revealed facts that the person used in a claim."""
    known = {n for fid in revealed for n in _NUMBER.findall(scenario.fact(fid)[1].text)}
    known = {n for n in known if len(n.replace(",", "").replace(".", "")) >= 2 or n not in "0123456789"}
    claims = [text for name in ("claim", "decision", "tradeoff", "reason") for _, text in sig.of(name)]
    return {n for text in claims for n in _NUMBER.findall(text) if n in known}


def _unweighed(scenario: Scenario, sig: Signals) -> str:
    verdicts = _constraint_verdicts(scenario, sig)
    return "; ".join(k.rule for k in scenario.decisive_constraints if k.id not in verdicts)


def _rules(scenario: Scenario, broken: list) -> str:
    rules = {k.id: k.rule for k in scenario.decisive_constraints}
    return "; ".join(rules[kid] for kid, _ in broken)


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _advice(d: str, sig: Signals, scenario: Scenario, broken: list) -> str:
    if d == "framing":
        missing = [_FRAMING_LABEL[s] for s in FRAMING_SIGNALS if not sig.of(s)]
        return "Before designing, ask about " + (", ".join(missing) or "the facts each stakeholder holds") + "."
    if d == "tradeoffs" and broken:
        return "Let the constraint the room told you about change the answer: " + _rules(scenario, broken) + "."
    return {
        "systems": "Sketch this system's main parts and how they connect, and say why each is there; "
        "leave internals to the engineers you bring in.",
        "tradeoffs": "Name this scenario's real trade-off, weigh it against what the room told you, and make a call.",
        "alignment": "Tie each choice to these users, this metric or this cost - with the room's numbers.",
        "collaboration": "Answer each stakeholder's concern by name without brushing any off, "
        "and close with a decision, owners and next steps.",
    }[d]
