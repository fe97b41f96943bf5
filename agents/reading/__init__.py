"""The offline reading of what the person said: one package, one pipeline.

A turn is read in a short list of steps, each adding one layer to the same reading:

1. ``guard``: text aimed at the scorer is set aside (and normalised first: look-alike letters,
   zero-width characters, fake transcript lines, score tables, HTML comments).
2. ``matching``: sentences are split and embedded once (the shipped multilingual e5 model).
3. ``acts``: what each sentence does (asks, claims, decides, weighs, gives a reason, acknowledges,
   dismisses, defers, speaks to the scorer, small talk), by a classifier trained on the labelled
   corpus in ``corpus/`` (``python -m agents.reading.train_acts``).
4. ``stance``: for claims only, which side of each must-address point and decisive constraint they
   take, by meaning against the card's satisfying and wrong examples, with negation and retraction.
5. ``turn``: the result per stakeholder: facts asked for, concerns engaged, points covered or
   contradicted, constraints honoured or broken.

The routing, both stakeholder engines and the offline scorer all use this one reading.
"""

from agents.reading.turn import (
    ROLE_ALIASES,
    ScenarioIndex,
    StakeholderReading,
    TurnReading,
    points_needed,
    read_turn,
    scenario_index,
)

__all__ = [
    "ROLE_ALIASES",
    "ScenarioIndex",
    "StakeholderReading",
    "TurnReading",
    "points_needed",
    "read_turn",
    "scenario_index",
]
