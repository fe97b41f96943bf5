"""The LLM stakeholder engine: the same cards ground a persona on any OpenAI-compatible endpoint.

The model sees only the facts the person just asked about (found by the same reading the offline
engine uses), so it cannot leak what was not asked. Its reply schema is built per call: fact and
concern ids are enums of what it may use now, in arrays capped at that many, so a grammar-
constrained model cannot loop inside them; the ids are checked against the board again after.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, create_model, field_validator

from agents.board import open_concerns
from agents.models import ask_structured
from agents.settings import Settings
from agents.stakeholder import prompts
from agents.stakeholder.context import StakeholderContext
from agents.transcript import StakeholderTurn

VERBATIM = 8  # the latest transcript entries shown word for word; earlier rounds are summarised
SPEAKING = ("engineering", "design", "business")


class LLMStakeholder:
    """Persona on a chat model, with structured replies (``StakeholderTurn``)."""

    def __init__(self, model: BaseChatModel, settings: Settings):
        self.model = model
        self.settings = settings

    def respond(
        self, ctx: StakeholderContext, on_text: Callable[[str], None] | None = None
    ) -> tuple[StakeholderTurn, dict[str, int]]:
        reply, usage = ask_structured(
            self.model,
            reply_schema(ctx),
            build_messages(ctx),
            self.settings,
            tags=[f"agent:{ctx.stakeholder.role}"],
            on_text=on_text,
            label=f"{ctx.stakeholder.name}'s reply",
        )
        return checked(StakeholderTurn.model_validate(reply.model_dump()), ctx), usage


def reply_schema(ctx: StakeholderContext) -> type[BaseModel]:
    """``StakeholderTurn`` for this call: only the ids this stakeholder may use now, as enums."""
    facts = list(dict.fromkeys(ctx.reading.facts_asked))
    may_raise = [ctx.reading.next_concern] if ctx.reading.next_concern else []
    open_ids = open_concerns(ctx.board, ctx.stakeholder.role)
    intents = ["answer", "acknowledge", *(["challenge"] if may_raise else []), *(["pushback"] if open_ids else [])]
    fields: dict = {
        "text": (str, Field(description="What you say, in persona, 1-4 sentences.")),
        "intent": (Literal[tuple(intents)], Field(description="The main thing this reply does.")),
    }
    if facts:
        fields["facts_revealed"] = _ids(facts, "Ids of the facts you shared in this reply.")
    if may_raise:
        fields["raised"] = _ids(may_raise, "The new concern's id, if you raised it.")
    if open_ids:
        fields["resolved"] = _ids(open_ids, "Ids of open concerns the person's answer settled.")
        fields["pushed_back"] = _ids(open_ids, "Ids of open concerns whose answer fell short.")
    offered = {"facts_revealed": facts, "raised": may_raise, "resolved": open_ids, "pushed_back": open_ids}
    id_fields = [f for f in offered if f in fields]
    validators = (
        {"offered_ids": field_validator(*id_fields, mode="before")(_only_offered(offered))} if id_fields else {}
    )
    return create_model("StakeholderTurn", __doc__="Your reply in the meeting.", __validators__=validators, **fields)


def _ids(options: list[str], description: str):
    return (
        list[Literal[tuple(options)]],
        Field(default_factory=list, max_length=len(options), description=description),
    )


def _only_offered(offered: dict[str, list[str]]):
    """A model that is not grammar-constrained may name an id it was not offered: drop it, keep the reply."""

    def check(cls, value, info):
        if not isinstance(value, list):
            return value
        return [v for v in dict.fromkeys(x for x in value if isinstance(x, str)) if v in offered[info.field_name]]

    return check


def build_messages(ctx: StakeholderContext) -> list:
    s, scenario = ctx.stakeholder, ctx.scenario
    facts_now = [scenario.fact(fid)[1] for fid in ctx.reading.facts_asked]
    known = [fid for fid in ctx.revealed if scenario.fact(fid)[0].role == s.role]
    open_ids = open_concerns(ctx.board, s.role)
    system = prompts.SYSTEM.format(
        name=s.name,
        title=s.title,
        role=s.role,
        personality=s.personality,
        speaking_style=s.speaking_style,
        goals="; ".join(s.goals),
        context=scenario.context,
        brief=scenario.brief,
        facts_now="\n".join(f"- [{f.id}] {f.text}" for f in facts_now) or prompts.NONE,
        facts_known=", ".join(known) or prompts.NONE,
        open_concerns="\n".join(_concern_line(ctx, cid) for cid in open_ids) or prompts.NONE,
        next_concern=_concern_line(ctx, ctx.reading.next_concern, new=True)
        if ctx.reading.next_concern
        else prompts.NONE,
        constraints="\n".join(_constraint_line(ctx, k) for k in _held_constraints(ctx)) or prompts.NONE,
        reading=_reading_line(ctx) or prompts.NONE,
    )
    earlier, recent, colleagues, latest = _split_transcript(ctx)
    human = prompts.TRANSCRIPT.format(
        summary=_summary(ctx, earlier),
        transcript="\n".join(_line(t) for t in recent) or prompts.NONE,
        colleagues=prompts.COLLEAGUES.format(replies="\n".join(f"- {_line(t)}" for t in colleagues))
        if colleagues
        else "",
        name=s.name,
        latest=_line(latest) if latest else prompts.NONE,
    )
    return [SystemMessage(system), HumanMessage(human)]


def checked(reply: StakeholderTurn, ctx: StakeholderContext) -> StakeholderTurn:
    """Keep only ids the stakeholder may use now: no leaked facts, no concerns of others."""
    open_ids = set(open_concerns(ctx.board, ctx.stakeholder.role))
    may_raise = {ctx.reading.next_concern} if ctx.reading.next_concern else set()
    return reply.model_copy(
        update={
            "text": reply.text.strip() or "(no reply)",
            "facts_revealed": [f for f in dict.fromkeys(reply.facts_revealed) if f in ctx.reading.facts_asked],
            "raised": [c for c in dict.fromkeys(reply.raised) if c in may_raise],
            "resolved": [c for c in dict.fromkeys(reply.resolved) if c in open_ids],
            "pushed_back": [c for c in dict.fromkeys(reply.pushed_back) if c in open_ids],
        }
    )


def _split_transcript(ctx: StakeholderContext):
    """(earlier entries, recent entries, colleagues' replies this round, the person's latest turn).

    Only what was said in the room: coaching hints are for the person alone, and the
    facilitator's opening repeats the brief the system prompt already holds.
    """
    said = [t for t in ctx.transcript if t["role"] == "person" or t["role"] in SPEAKING]
    latest_at = max((i for i, t in enumerate(said) if t["role"] == "person"), default=None)
    if latest_at is None:
        return [], said, [], None
    before, latest, after = said[:latest_at], said[latest_at], said[latest_at + 1 :]
    colleagues = [t for t in after if t["round"] == latest["round"] and t["role"] != ctx.stakeholder.role]
    return before[:-VERBATIM] if len(before) > VERBATIM else [], before[-VERBATIM:], colleagues, latest


def _line(turn: dict) -> str:
    if turn["role"] == "person":
        # tagged and escaped: a turn cannot close its tag and speak as someone else
        return f'<person turn="{turn["round"]}">{html.escape(turn["text"], quote=False)}</person>'
    return f"{turn['speaker']} ({turn['role']}): {turn['text']}"


def _summary(ctx: StakeholderContext, earlier: list[dict]) -> str:
    """The meeting before the verbatim window, one line a round, and where the board stands."""
    if not earlier:
        return ""
    rounds: dict[int, list[str]] = {}
    for t in earlier:
        if t["role"] == "person":
            words = " ".join(t["text"].split())
            gist = words if len(words) <= 160 else words[:159] + "…"
            rounds.setdefault(t["round"], []).insert(0, f'the person said "{html.escape(gist, quote=False)}"')
        else:
            what = {
                "answer": "answered",
                "challenge": "raised",
                "pushback": "pushed back on",
                "acknowledge": "accepted",
            }
            ids = t.get("concern_ids") or t.get("fact_ids") or []
            rounds.setdefault(t["round"], []).append(
                f"{t['speaker']} {what.get(t['intent'], t['intent'])}{' ' + ', '.join(ids) if ids else ''}"
            )
    lines = "\n".join(f"- Turn {n}: " + "; ".join(parts) for n, parts in sorted(rounds.items()))
    return prompts.SUMMARY.format(rounds=lines, board=_board_line(ctx))


def _board_line(ctx: StakeholderContext) -> str:
    by_status: dict[str, list[str]] = {}
    for cid, c in ctx.board.items():
        note = f" ({c['pushbacks']} pushbacks)" if c.get("pushbacks") else ""
        by_status.setdefault(c["status"], []).append(cid + note)
    parts = [f"{status}: {', '.join(ids)}" for status, ids in by_status.items() if status != "unraised"]
    shared = ", ".join(ctx.revealed) or "none"
    return "; ".join([*parts, f"facts shared: {shared}"])


def _concern_line(ctx: StakeholderContext, cid: str, *, new: bool = False) -> str:
    _, c = ctx.scenario.concern(cid)
    pushbacks = int(ctx.board.get(cid, {}).get("pushbacks", 0))
    return prompts.CONCERN.format(
        id=c.id,
        challenge=c.challenge,
        points="; ".join(_point_line(p) for p in c.must_address),
        pushback=c.pushback,
        wrong=f" If the answer takes a wrong stance: {c.objection}" if c.objection else "",
        count="" if new else prompts.PUSHBACKS.get(pushbacks, prompts.PUSHBACKS[2]),
    ).rstrip()


def _point_line(point) -> str:
    # one wrong example per point, so the persona knows the tempting stance; kept short for small models
    return f"{point.point} (not '{point.wrong[0]}')" if point.wrong else point.point


def _held_constraints(ctx: StakeholderContext):
    return [k for k in ctx.scenario.decisive_constraints if ctx.scenario.fact(k.fact)[0].role == ctx.stakeholder.role]


def _constraint_line(ctx: StakeholderContext, k) -> str:
    return f"- [{k.id}] {k.rule} (broken by e.g. '{k.violates[0]}'). Never accept a plan that breaks it."


def _reading_line(ctx: StakeholderContext) -> str:
    """What the offline reading found in the person's turn, as a hint the model may weigh."""
    r, esc = ctx.reading, lambda q: html.escape(q, quote=False)  # the person's words, quoted
    notes = [f'their claim "{esc(q)}" takes the wrong stance on [{cid}]' for cid, q in r.wrong_now.items()]
    notes += [f'their claim "{esc(q)}" breaks your constraint [{kid}]' for kid, q in r.broken.items()]
    notes += [f"they brushed off [{cid}]" for cid in r.dismissed]
    notes += [f'they asked you something no fact of yours answers: "{esc(q)}"' for q in r.unanswered[:1]]
    return "; ".join(notes)
