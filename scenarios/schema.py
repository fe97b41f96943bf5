"""The scenario format: the single source of truth for a scenario YAML file.

A scenario is a meeting a person can practise: the brief they are given, the company around it,
and three stakeholders (engineering, design, business). Each stakeholder holds

* **facts** - things it knows and says only when someone asks a fitting question. This is how
  the meeting rewards framing: the candidate learns that the scale is 100 million users only by
  asking about scale.
* **concerns** - challenges it raises. Each says what a satisfying answer must address and how
  the stakeholder pushes back on a weak one.

Every docstring and field description here doubles as the format's documentation; see
``scenarios/library/chat_system.yaml`` for a worked example.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

Role = Literal["engineering", "design", "business"]
ROLES: tuple[Role, ...] = ("engineering", "design", "business")

Dimension = Literal["framing", "systems", "tradeoffs", "alignment", "collaboration"]
DIMENSIONS: tuple[Dimension, ...] = ("framing", "systems", "tradeoffs", "alignment", "collaboration")

Difficulty = Literal["easy", "medium", "hard"]
Severity = Literal["low", "medium", "high"]

Slug = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$"),
    Field(description="lower-case letters, digits and dashes, e.g. `message-scale`"),
]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Phrase = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=300)]


class _Card(BaseModel):
    """Base for every part of the format: unknown keys and loose types are errors, not guesses."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Fact(_Card):
    """Something a stakeholder knows and reveals only when the person asks a fitting question."""

    id: Slug
    text: Text = Field(description="What the stakeholder says when the fact is revealed, in their voice.")
    unlocked_by: list[Phrase] = Field(
        min_length=1,
        description="Question topics that unlock the fact, as short phrases "
        "(e.g. 'expected scale', 'how many users'). Matching is by meaning, not exact words.",
    )


Example = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)]


class Point(_Card):
    """One thing a satisfying answer to a concern covers, with the stance that counts.

    Written either as a plain phrase (``- an idempotency key on every payout instruction``) or as a
    mapping with examples. Without examples the point itself is the one satisfying example, and the
    offline engine judges stance by negation alone ("no idempotency keys" does not cover it). With
    examples, the point phrase names the topic and the examples carry the stance.
    """

    point: Phrase = Field(description="What the answer must address, as a short phrase.")
    says: list[Example] = Field(
        default_factory=list,
        max_length=8,
        description="Short examples of what a satisfying answer says on this point, in a person's words.",
    )
    wrong: list[Example] = Field(
        default_factory=list,
        max_length=8,
        description="The tempting wrong stance, as short examples ('retry until the partner answers'). "
        "An answer closer to these than to `says` does not cover the point.",
    )
    ask: Text | None = Field(
        default=None,
        description="The natural question the owner asks when this point is missing "
        "('And if the partner times out halfway, do we pay twice?'). Fallback: the concern's `pushback`.",
    )

    @model_validator(mode="before")
    @classmethod
    def _from_phrase(cls, value):
        return {"point": value} if isinstance(value, str) else value

    @property
    def satisfying(self) -> list[str]:
        """What an answer is compared with: the satisfying examples, or the point itself without them
        (a point is often phrased as a topic, "batch or real-time decision", which takes no side)."""
        return list(self.says) or [self.point]


class Concern(_Card):
    """A challenge a stakeholder raises, with what a satisfying answer must address."""

    id: Slug
    challenge: Text = Field(description="What the stakeholder says when raising the concern.")
    must_address: list[Point] = Field(
        min_length=1,
        description="Points a satisfying answer covers; most of them must be addressed to resolve it. "
        "Each is a phrase, or a mapping with `point`, `says`, `wrong` and `ask` (see Point).",
    )
    pushback: Text = Field(description="What the stakeholder says when an answer falls short.")
    objection: Text | None = Field(
        default=None,
        description="Optional: what the stakeholder says to an answer that takes a wrong stance "
        "(fallback: the pushback, prefixed with a plain disagreement).",
    )
    acknowledgement: Text | None = Field(
        default=None,
        description="Optional, shown to LLM personas only: what satisfaction sounds like. The offline engine "
        "acknowledges with the person's own words, never with card text they did not say.",
    )
    severity: Severity = Field(default="medium", description="How much an unresolved concern matters.")

    @property
    def points(self) -> list[str]:
        return [p.point for p in self.must_address]


class Stakeholder(_Card):
    """One person in the room: who they are, what they want, what they know, what worries them."""

    role: Role
    name: Phrase
    title: Phrase
    personality: Text = Field(description="Temperament and what they care about, for the persona.")
    speaking_style: Text = Field(description="How they talk: terse, warm, numbers-first, ...")
    goals: list[Phrase] = Field(min_length=1)
    facts: list[Fact] = Field(min_length=1)
    concerns: list[Concern] = Field(min_length=1)


class RubricEmphasis(_Card):
    """Relative weights of the five rubric dimensions in the overall score (all default to 1)."""

    framing: float = Field(default=1.0, ge=0, le=5)
    systems: float = Field(default=1.0, ge=0, le=5)
    tradeoffs: float = Field(default=1.0, ge=0, le=5)
    alignment: float = Field(default=1.0, ge=0, le=5)
    collaboration: float = Field(default=1.0, ge=0, le=5)

    @model_validator(mode="after")
    def _not_all_zero(self) -> RubricEmphasis:
        if sum(self.weights().values()) <= 0:
            raise ValueError("at least one dimension needs a weight above 0")
        return self

    def weights(self) -> dict[Dimension, float]:
        return {d: getattr(self, d) for d in DIMENSIONS}


class DecisiveConstraint(_Card):
    """A fact that changes the right answer: what honours it and what breaks it.

    The stakeholder who holds ``fact`` objects to a plan that violates it, never accepts such a plan
    once the fact is revealed, and the scorer caps trade-off judgement for a decision that breaks it.
    """

    id: Slug
    fact: Slug = Field(description="Id of the fact that holds the constraint (its holder owns it).")
    rule: Phrase = Field(description="The constraint in one line, e.g. 'payouts only through a licensed partner'.")
    honours: list[Example] = Field(min_length=1, max_length=8, description="Short examples of a plan honouring it.")
    violates: list[Example] = Field(min_length=1, max_length=8, description="Short examples of a plan breaking it.")
    objection: Text = Field(description="What the holder says to a plan that breaks it, in their voice.")


class AnswerKey(_Card):
    """What a strong answer to this scenario is made of, for the scorer (never shown to the person).

    Each list holds short phrases matched by meaning against what the person claimed. Every list is
    optional; where one is empty the scorer falls back on the cards: ``parts`` and ``flows`` on the
    engineering lead's must-address points, ``users`` on the design lead's, ``metrics`` and ``money``
    on the business lead's, ``tradeoffs`` on every concern's challenge.
    """

    parts: list[Phrase] = Field(default_factory=list, max_length=20, description="The system's own moving parts.")
    flows: list[Phrase] = Field(default_factory=list, max_length=20, description="How data or work moves between them.")
    tradeoffs: list[Phrase] = Field(
        default_factory=list, max_length=12, description="The real tensions, as 'X versus Y' phrases."
    )
    users: list[Phrase] = Field(default_factory=list, max_length=12, description="Who uses it and what they need.")
    metrics: list[Phrase] = Field(default_factory=list, max_length=12, description="The numbers that define success.")
    money: list[Phrase] = Field(default_factory=list, max_length=12, description="Budget, cost, revenue, pricing.")


class Scenario(_Card):
    """A practice meeting: the brief, the company, and the three stakeholders."""

    id: Slug
    title: Phrase
    brief: Text = Field(description="The prompt the candidate gets, e.g. 'Design a chat system.'")
    context: Text = Field(description="Company context every stakeholder shares.")
    difficulty: Difficulty = "medium"
    round_limit: int = Field(default=8, ge=2, le=30, description="Most turns the person gets.")
    rubric_emphasis: RubricEmphasis = Field(default_factory=RubricEmphasis)
    stakeholders: list[Stakeholder] = Field(
        min_length=3, max_length=3, description="Exactly one engineering, one design, one business lead."
    )
    decisive_constraints: list[DecisiveConstraint] = Field(
        default_factory=list, max_length=6, description="Optional: facts that change the right answer."
    )
    answer_key: AnswerKey = Field(default_factory=AnswerKey, description="Optional: the scorer's key.")

    @model_validator(mode="after")
    def _one_per_role_and_unique_ids(self) -> Scenario:
        # ctx["loc"] names the field judged, so the loader can point at its line
        roles = [s.role for s in self.stakeholders]
        missing = [r for r in ROLES if r not in roles]
        if missing:
            repeated = next(i for i, r in enumerate(roles) if r in roles[:i])
            raise PydanticCustomError(
                "stakeholder_roles",
                "needs one stakeholder per role; missing: {missing} (found: {found})",
                {"missing": ", ".join(missing), "found": ", ".join(roles), "loc": ("stakeholders", repeated, "role")},
            )
        seen: dict[str, str] = {}
        for i, s in enumerate(self.stakeholders):
            for kind, items in (("fact", s.facts), ("concern", s.concerns)):
                for j, item in enumerate(items):
                    where = f"{s.role} {kind}"
                    if item.id in seen:
                        raise PydanticCustomError(
                            "duplicate_id",
                            "duplicate id '{id}': used by {first} and {second}; "
                            "fact and concern ids must be unique within a scenario",
                            {
                                "id": item.id,
                                "first": seen[item.id],
                                "second": where,
                                "loc": ("stakeholders", i, f"{kind}s", j, "id"),
                            },
                        )
                    seen[item.id] = where
        facts = {f.id for s in self.stakeholders for f in s.facts}
        for i, constraint in enumerate(self.decisive_constraints):
            if constraint.fact not in facts:
                raise PydanticCustomError(
                    "unknown_fact",
                    "decisive constraint '{id}' names fact '{fact}', which no stakeholder holds",
                    {"id": constraint.id, "fact": constraint.fact, "loc": ("decisive_constraints", i, "fact")},
                )
        return self

    def stakeholder(self, role: str) -> Stakeholder:
        return next(s for s in self.stakeholders if s.role == role)

    def concern(self, concern_id: str) -> tuple[Stakeholder, Concern]:
        """The concern with this id and the stakeholder who holds it."""
        return self._find("concerns", concern_id)

    def fact(self, fact_id: str) -> tuple[Stakeholder, Fact]:
        """The fact with this id and the stakeholder who holds it."""
        return self._find("facts", fact_id)

    def _find(self, kind: str, item_id: str):
        for s in self.stakeholders:
            for item in getattr(s, kind):
                if item.id == item_id:
                    return s, item
        raise KeyError(item_id)
