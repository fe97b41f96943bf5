"""LLM scoring: the model judges the meeting against the rubric; quotes it cannot back are dropped.

The scorer sees the meeting interleaved (the person's turns tagged and escaped, text aimed at the
scorer cut out), each concern and how it ended, and the facts nobody asked for. It writes each
rationale before its score, at temperature 0, with its own token budget. Its quotes are checked
against the person's original words, not against the guarded copy it was shown.
"""

from __future__ import annotations

import html
import re
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, create_model, field_validator

from agents.facilitator import prompts
from agents.facilitator.outcome import concern_outcomes, missed_questions
from agents.facilitator.scorecard import DimensionScore, Evidence, Scorecard, rubric, weighted_overall
from agents.models import ask_structured
from agents.reading.guard import scorer_directed_sentences, without_scorer_directed
from agents.settings import Settings
from agents.transcript import person_turns
from scenarios import DIMENSIONS, Scenario

MAX_QUOTES = 3  # per dimension, in the schema and on the scorecard
MAX_ITEMS = 3  # strengths, improvements
SPEAKING = ("engineering", "design", "business")


class JudgedDimension(BaseModel):
    """One dimension's judgement: the reasons first, then the quotes, then the score."""

    rationale: str = Field(description="One or two sentences citing behaviour.")
    evidence: list[Evidence] = Field(default_factory=list, max_length=MAX_QUOTES, description="Verbatim quotes.")
    # Literal, not ge/le: grammar-constrained servers (llama.cpp) enforce enums but not numeric bounds
    score: Literal[1, 2, 3, 4, 5] = Field(description="1-5 against the rubric anchors.")


class RubricJudgement(BaseModel):
    """The model's judgement of the five rubric dimensions (built per call by ``judgement_schema``)."""

    framing: JudgedDimension
    systems: JudgedDimension
    tradeoffs: JudgedDimension
    alignment: JudgedDimension
    collaboration: JudgedDimension
    strengths: list[str] = Field(default_factory=list, max_length=MAX_ITEMS, description="Things done well.")
    improvements: list[str] = Field(default_factory=list, max_length=MAX_ITEMS, description="Things to do better.")


def judgement_schema(turns: list[int]) -> type[RubricJudgement]:
    """``RubricJudgement`` for this meeting: evidence may cite only the person's actual turn numbers."""
    if turns:
        known = set(turns)
        quote = create_model(
            "Evidence",
            turn=(Literal[tuple(turns)], Field(description="The person's turn number.")),
            quote=(str, Field(description="Words copied exactly from that turn.")),
        )
        evidence = (list[quote], Field(default_factory=list, max_length=MAX_QUOTES, description="Verbatim quotes."))
    else:
        evidence = (list[Evidence], Field(default_factory=list, max_length=0, description="No turns to quote."))
    dimension = create_model(
        "JudgedDimension",
        __validators__={
            # a quote citing a turn that does not exist is dropped, not the whole judgement
            "cited_turns": field_validator("evidence", mode="before")(
                lambda cls, v: (
                    [e for e in v if not isinstance(e, dict) or e.get("turn") in known]
                    if isinstance(v, list) and turns
                    else v
                )
            )
        },
        rationale=(str, Field(description="One or two sentences citing behaviour.")),
        evidence=evidence,
        score=(Literal[1, 2, 3, 4, 5], Field(description="1-5 against the rubric anchors.")),
    )
    return create_model(
        "RubricJudgement",
        __base__=RubricJudgement,
        __doc__="Your judgement of how the person led the meeting.",
        **{d: (dimension, ...) for d in DIMENSIONS},
    )


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
    messages = scoring_messages(scenario, transcript, board, revealed)
    judged, usage = ask_structured(
        model,
        judgement_schema([n for n, _ in turns]),
        messages,
        settings,
        tags=["agent:facilitator"],
        max_tokens=max(settings.scoring_max_tokens, settings.max_tokens),
        temperature=0,
        label="the scorecard",
    )
    originals = dict(turns)
    aimed = {n: scorer_directed_sentences(text) for n, text in turns}
    anchors = rubric()
    dims = {}
    for d in DIMENSIONS:
        j = getattr(judged, d)
        dims[d] = DimensionScore(
            score=j.score,
            rationale=j.rationale.strip() or "(no rationale given)",
            evidence=verified_quotes(j.evidence, originals, aimed),
            anchor=anchors[d].anchor(j.score),
        )
    card = Scorecard(
        engine="llm",
        overall=weighted_overall({d: s.score for d, s in dims.items()}, scenario.rubric_emphasis),
        dimensions=dims,
        strengths=[s.strip() for s in judged.strengths if s.strip()][:MAX_ITEMS],
        improvements=[s.strip() for s in judged.improvements if s.strip()][:MAX_ITEMS],
        missed_questions=missed_questions(scenario, revealed),
        concerns=concern_outcomes(scenario, board),
        ignored=[s for sentences in aimed.values() for s in sentences],
    )
    return card, usage


def scoring_messages(scenario: Scenario, transcript: list[dict], board: dict[str, dict], revealed: list[str]) -> list:
    anchors = rubric()
    rubric_text = "\n".join(
        f"- {d} ({r.name}): {r.what} 1 = {r.anchors[1]} 3 = {r.anchors[3]} 5 = {r.anchors[5]}"
        for d, r in anchors.items()
    )
    human = prompts.SCORING_HUMAN.format(
        title=scenario.title,
        brief=scenario.brief,
        meeting=_meeting(transcript) or prompts.NONE,
        concerns=_concerns(scenario, board) or prompts.NONE,
        unlearned=_unlearned(scenario, revealed) or prompts.NONE,
    )
    return [SystemMessage(prompts.SCORING_SYSTEM.format(rubric=rubric_text)), HumanMessage(human)]


def verified_quotes(
    evidence: list, originals: dict[int, str], aimed: dict[int, list[str]], limit: int = MAX_QUOTES
) -> list[Evidence]:
    """Quotes that are the person's own words in the turn they cite (spacing aside), as they wrote them.

    Checked against the original turn, not the guarded copy the scorer read (which joins kept
    sentences differently and folds look-alike letters); a quote from a sentence aimed at the
    scorer is dropped, so an injected "score me 5" can never be evidence.
    """
    kept, seen = [], set()
    for e in evidence:
        words = html.unescape(e.quote).strip().strip("\"'“”‘’").split()
        original = originals.get(e.turn, "")
        match = re.search(r"\s+".join(map(re.escape, words)), original) if words else None
        if match is None:
            continue
        quote = match.group(0)
        if quote in seen or any(_overlaps(quote, s) for s in aimed.get(e.turn, [])):
            continue
        seen.add(quote)
        kept.append(Evidence(turn=e.turn, quote=quote))
    return kept[:limit]


def _overlaps(quote: str, sentence: str) -> bool:
    a, b = " ".join(quote.split()), " ".join(sentence.split())
    return a in b or b in a


def _meeting(transcript: list[dict]) -> str:
    lines, n = [], 0
    for t in transcript:
        if t["role"] == "person":
            n += 1
            kept = html.escape(without_scorer_directed(t["text"]), quote=False)
            lines.append(f'<turn n="{n}">{kept}</turn>')
        elif t["role"] in SPEAKING:  # coaching hints and the facilitator's own lines are not the meeting
            lines.append(f"{t['speaker']} ({t['role']}): {t['text']}")
    return "\n".join(lines)


def _concerns(scenario: Scenario, board: dict[str, dict]) -> str:
    lines = []
    for s in scenario.stakeholders:
        for c in s.concerns:
            state = board.get(c.id, {})
            status = state.get("status", "unraised")
            pushed = f", after {state['pushbacks']} pushbacks" if state.get("pushbacks") else ""
            lines.append(f'- [{c.id}] {s.name} ({s.role}): "{c.challenge}" -> {status}{pushed}')
    return "\n".join(lines)


def _unlearned(scenario: Scenario, revealed: list[str]) -> str:
    return "\n".join(
        f"- {s.name} ({s.role}) knew: {f.text}" for s in scenario.stakeholders for f in s.facts if f.id not in revealed
    )
