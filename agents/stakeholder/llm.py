"""The LLM stakeholder engine: the same cards ground a persona on any OpenAI-compatible endpoint.

The model sees only the facts the person just asked about (found by the same reading the offline
engine uses), so it cannot leak what was not asked; its ids are checked against the board.
"""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from agents.board import open_concerns
from agents.models import ask_structured
from agents.settings import Settings
from agents.stakeholder import prompts
from agents.stakeholder.context import StakeholderContext
from agents.transcript import StakeholderTurn


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
            StakeholderTurn,
            build_messages(ctx),
            self.settings,
            tags=[f"agent:{ctx.stakeholder.role}"],
            on_text=on_text,
        )
        return checked(reply, ctx), usage


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
        next_concern=_concern_line(ctx, ctx.reading.next_concern) if ctx.reading.next_concern else prompts.NONE,
        constraints="\n".join(_constraint_line(ctx, k) for k in _held_constraints(ctx)) or prompts.NONE,
        reading=_reading_line(ctx) or prompts.NONE,
    )
    lines = [f"{t['speaker']} ({t['role']}): {t['text']}" for t in ctx.transcript[:-1][-12:]]
    human = prompts.TRANSCRIPT.format(
        transcript="\n".join(lines) or prompts.NONE, name=s.name, latest=ctx.last_person_text
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


def _concern_line(ctx: StakeholderContext, cid: str) -> str:
    _, c = ctx.scenario.concern(cid)
    points = "; ".join(_point_line(p) for p in c.must_address)
    wrong = f" If the answer takes a wrong stance: {c.objection}" if c.objection else ""
    return f"- [{c.id}] {c.challenge} A satisfying answer addresses: {points}. If weak: {c.pushback}{wrong}"


def _point_line(point) -> str:
    # one wrong example per point, so the persona knows the tempting stance; kept short for small models
    return f"{point.point} (not '{point.wrong[0]}')" if point.wrong else point.point


def _held_constraints(ctx: StakeholderContext):
    return [k for k in ctx.scenario.decisive_constraints if ctx.scenario.fact(k.fact)[0].role == ctx.stakeholder.role]


def _constraint_line(ctx: StakeholderContext, k) -> str:
    return f"- [{k.id}] {k.rule} (broken by e.g. '{k.violates[0]}'). Never accept a plan that breaks it."


def _reading_line(ctx: StakeholderContext) -> str:
    """What the offline reading found in the person's turn, as a hint the model may weigh."""
    r = ctx.reading
    notes = [f'their claim "{q}" takes the wrong stance on [{cid}]' for cid, q in r.wrong_now.items()]
    notes += [f'their claim "{q}" breaks your constraint [{kid}]' for kid, q in r.broken.items()]
    notes += [f"they brushed off [{cid}]" for cid in r.dismissed]
    notes += [f'they asked you something no fact of yours answers: "{q}"' for q in r.unanswered[:1]]
    return "; ".join(notes)
