"""Who responds to a turn, and why. No one speaks every time by rule."""

from __future__ import annotations

from dataclasses import dataclass

from agents.board import open_concerns, unraised_concerns
from agents.reading import TurnReading
from scenarios import Scenario

_SEVERITY = {"high": 2, "medium": 1, "low": 0}


@dataclass(frozen=True)
class Speaker:
    role: str
    reason: str


def route_speakers(scenario: Scenario, board: dict[str, dict], reading: TurnReading) -> list[Speaker]:
    """The stakeholders who reply to the person's turn, in speaking order.

    The addressed stakeholder goes first; then those whose facts the turn asks for or whose open
    concerns it touches. If nobody is involved, the one with the most pressing open concern
    speaks, or else the one with the most relevant unraised concern.
    """
    speakers: list[Speaker] = []
    roles = [s.role for s in scenario.stakeholders]
    for role in sorted(roles, key=lambda r: not reading.by_role[r].addressed):
        r = reading.by_role[role]
        if r.addressed:
            speakers.append(Speaker(role, "addressed by the person"))
        elif r.broken:
            speakers.append(Speaker(role, f"the plan breaks a constraint they hold ({', '.join(r.broken)})"))
        elif r.facts_asked:
            speakers.append(Speaker(role, f"asked about what they know ({', '.join(r.facts_asked)})"))
        elif r.concerns_touched:
            speakers.append(Speaker(role, f"the turn speaks to their concern ({', '.join(r.concerns_touched)})"))
        elif r.answered_now:
            speakers.append(Speaker(role, f"the proposal takes a side on their concern ({', '.join(r.answered_now)})"))
        elif r.next_concern and r.next_concern_strength > 0 and not open_concerns(board, role):
            speakers.append(Speaker(role, f"the turn touches what worries them ({r.next_concern})"))
    if speakers:
        return speakers

    pressing = [(role, cid) for role in roles for cid in open_concerns(board, role)]
    if pressing:
        role, cid = max(pressing, key=lambda rc: _SEVERITY[scenario.concern(rc[1])[1].severity])
        return [Speaker(role, f"their concern '{cid}' is still open")]
    waiting = [role for role in roles if unraised_concerns(board, role) and reading.by_role[role].next_concern]
    if waiting:
        role = max(
            waiting,
            key=lambda r: (
                _SEVERITY[scenario.concern(reading.by_role[r].next_concern)[1].severity]
                + reading.by_role[r].next_concern_strength
            ),
        )
        return [Speaker(role, f"has a concern to raise ({reading.by_role[role].next_concern})")]
    return []
