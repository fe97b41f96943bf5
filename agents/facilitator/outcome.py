"""Parts of the facilitator's work that do not depend on the engine: opening, room outcome, evidence checks."""

from __future__ import annotations

from agents.facilitator.scorecard import ConcernOutcome, Evidence
from scenarios import Scenario


def opening_text(scenario: Scenario) -> str:
    """The facilitator's opening: the brief and who is in the room."""
    people = "; ".join(f"{s.name}, {s.title} ({s.role})" for s in scenario.stakeholders)
    return (
        f"Welcome. Today's topic: {scenario.title}. {scenario.context} "
        f'Your brief: "{scenario.brief}" In the room: {people}. '
        f"You have {scenario.round_limit} turns. Lead the discussion: ask what you need to know, "
        "propose a direction, and bring the room to a decision. Type /done when you want to wrap up."
    )


def closing_prompt() -> str:
    return (
        "Every concern in the room is settled. Close the meeting: state the decision, "
        "who owns what, and the next steps."
    )


def closing_text(overall: float, reason: str) -> str:
    why = {
        "wrap_up": "You wrapped up the meeting.",
        "round_limit": "We have reached the round limit.",
        "settled": "Every concern in the room has been settled.",
    }.get(reason, "The meeting is over.")
    return f"{why} Thank you all. Overall score: {overall:.1f} / 5. The scorecard follows."


def concern_outcomes(scenario: Scenario, board: dict[str, dict]) -> list[ConcernOutcome]:
    out = []
    for s in scenario.stakeholders:
        for c in s.concerns:
            status = board.get(c.id, {}).get("status", "unraised")
            out.append(
                ConcernOutcome(concern_id=c.id, role=s.role, stakeholder=s.name, challenge=c.challenge, status=status)
            )
    return out


def missed_questions(scenario: Scenario, revealed: list[str]) -> list[str]:
    """Questions worth having asked: one for each fact the person never unlocked."""
    return [
        f"Ask {s.name} ({s.role}) about {f.unlocked_by[0]}."
        for s in scenario.stakeholders
        for f in s.facts
        if f.id not in revealed
    ]


def verified_evidence(evidence: list[Evidence], person_turns: list[tuple[int, str]], limit: int = 4) -> list[Evidence]:
    """Only quotes that are verbatim substrings of the turn they cite; duplicates dropped."""
    texts = dict(person_turns)
    seen, kept = set(), []
    for e in evidence:
        quote = e.quote.strip()
        if quote and quote in texts.get(e.turn, "") and quote not in seen:
            seen.add(quote)
            kept.append(Evidence(turn=e.turn, quote=quote))
    return kept[:limit]
