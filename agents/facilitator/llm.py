"""LLM scoring: the model judges the transcript against the rubric; quotes it cannot back are dropped."""

from __future__ import annotations

from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from agents.facilitator import prompts
from agents.facilitator.outcome import concern_outcomes, missed_questions, verified_evidence
from agents.facilitator.scorecard import DimensionScore, Evidence, Scorecard, rubric, weighted_overall
from agents.models import ask_structured
from agents.reading.guard import scorer_directed_sentences, without_scorer_directed
from agents.settings import Settings
from agents.transcript import person_turns
from scenarios import DIMENSIONS, Scenario


class JudgedDimension(BaseModel):
    # Literal, not ge/le: grammar-constrained servers (llama.cpp) enforce enums but not numeric bounds
    score: Literal[1, 2, 3, 4, 5] = Field(description="1-5 against the rubric anchors.")
    rationale: str = Field(description="One or two sentences citing behaviour.")
    evidence: list[Evidence] = Field(default_factory=list, description="Verbatim quotes with turn numbers.")


class RubricJudgement(BaseModel):
    """The model's judgement of the five rubric dimensions."""

    framing: JudgedDimension
    systems: JudgedDimension
    tradeoffs: JudgedDimension
    alignment: JudgedDimension
    collaboration: JudgedDimension
    strengths: list[str] = Field(default_factory=list, description="Up to three things done well.")
    improvements: list[str] = Field(default_factory=list, description="Up to three things to do better.")


def score_llm(
    model: BaseChatModel,
    settings: Settings,
    scenario: Scenario,
    transcript: list[dict],
    board: dict[str, dict],
    revealed: list[str],
) -> tuple[Scorecard, dict[str, int]]:
    """Score with the model; return the scorecard and the tokens used."""
    turns = person_turns(transcript)
    cleaned = [(n, without_scorer_directed(text)) for n, text in turns]
    anchors = rubric()
    rubric_text = "\n".join(
        f"- {d} ({r.name}): {r.what} 1 = {r.anchors[1]} 3 = {r.anchors[3]} 5 = {r.anchors[5]}"
        for d, r in anchors.items()
    )
    replies = [
        f"{t['speaker']} ({t['role']}): {t['text']}" for t in transcript if t["role"] not in ("person", "facilitator")
    ]
    messages = [
        SystemMessage(prompts.SCORING_SYSTEM.format(rubric=rubric_text)),
        HumanMessage(
            prompts.SCORING_HUMAN.format(
                title=scenario.title,
                brief=scenario.brief,
                turns="\n".join(f'<turn n="{n}">{text}</turn>' for n, text in cleaned) or "(none)",
                replies="\n".join(replies[-15:]) or "(none)",
                board=", ".join(f"{cid}: {c['status']}" for cid, c in board.items()),
            )
        ),
    ]
    judged, usage = ask_structured(model, RubricJudgement, messages, settings, tags=["agent:facilitator"])
    dims = {}
    for d in DIMENSIONS:
        j: JudgedDimension = getattr(judged, d)
        dims[d] = DimensionScore(
            score=j.score,
            rationale=j.rationale.strip() or "(no rationale given)",
            evidence=verified_evidence(
                verified_evidence(j.evidence, cleaned), turns
            ),  # verbatim, and not text aimed at the scorer
            anchor=anchors[d].anchor(j.score),
        )
    card = Scorecard(
        engine="llm",
        overall=weighted_overall({d: s.score for d, s in dims.items()}, scenario.rubric_emphasis),
        dimensions=dims,
        strengths=judged.strengths[:3],
        improvements=judged.improvements[:3],
        missed_questions=missed_questions(scenario, revealed),
        concerns=concern_outcomes(scenario, board),
        ignored=[s for _, text in turns for s in scorer_directed_sentences(text)],
    )
    return card, usage
