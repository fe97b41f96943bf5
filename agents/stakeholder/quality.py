"""How a room sounds, measured on its transcript: the faults a person notices in a canned room.

* a stakeholder saying the same sentence twice in one meeting;
* a stakeholder reading its card's checklist out (a must-address point, word for word);
* a concern settled although the script says a fair room would not settle it.

``roundtable eval`` reports these per meeting beside the scores.
"""

from __future__ import annotations

import re
from collections import Counter

from scenarios import Scenario

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_SPACE = re.compile(r"\s+")


def _sentences(text: str) -> list[str]:
    out = []
    for part in _SENTENCE.split(text):
        norm = _SPACE.sub(" ", part.strip().strip('"').lower())
        if len(norm.split()) >= 3:  # "Good." or "Agreed." said twice is not a canned room
            out.append(norm)
    return out


def repeated_sentences(transcript: list[dict]) -> list[str]:
    """Sentences a stakeholder said more than once in the meeting (each repeat listed once per extra time)."""
    repeats: list[str] = []
    for role in ("engineering", "design", "business"):
        said = Counter(s for t in transcript if t["role"] == role for s in _sentences(t["text"]))
        repeats += [s for s, n in said.items() for _ in range(n - 1)]
    return repeats


_QUOTED = re.compile(r'"[^"]*"')


def checklist_phrases(scenario: Scenario, transcript: list[dict]) -> list[str]:
    """Must-address points a stakeholder said out loud, word for word (reading the checklist out).

    The person's own words quoted back (inside double quotes) are not the checklist."""
    found = []
    for t in transcript:
        if t["role"] not in ("engineering", "design", "business"):
            continue
        text = _SPACE.sub(" ", _QUOTED.sub(" ", t["text"]).lower())
        person = scenario.stakeholder(t["role"])
        for concern in person.concerns:
            found += [p for p in concern.points if len(p.split()) >= 3 and p.lower() in text]
    return found
