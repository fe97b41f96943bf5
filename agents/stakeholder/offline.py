"""The offline stakeholder engine: replies driven by the scenario's cards, no network, deterministic.

Per turn, in this order: answer the facts the person asked about; judge each open concern
against its must-address points (acknowledge when enough are covered, push back when the turn
tried and fell short, press when the person spoke to this stakeholder and ignored it); then, if
nothing of its own is left open, raise the unraised concern most relevant to what was said.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import yaml

from agents.board import ESCALATE_AFTER_PUSHBACKS, open_concerns
from agents.reading import points_needed
from agents.stakeholder.context import StakeholderContext
from agents.transcript import StakeholderTurn

PHRASING = yaml.safe_load((Path(__file__).parent / "phrasing.yaml").read_text(encoding="utf-8"))
MAX_FACTS_PER_REPLY = 2
QUOTE_WORDS = 14


class OfflineStakeholder:
    """Card-driven stakeholder; see the module docstring for the policy."""

    def respond(self, ctx: StakeholderContext, on_text=None) -> tuple[StakeholderTurn, dict[str, int]]:
        # replies are composed at once from the cards: there is nothing to stream (on_text unused)
        reading, scenario = ctx.reading, ctx.scenario
        parts: list[str] = []
        reply = StakeholderTurn(text="", intent="answer")

        for fact_id in reading.facts_asked[:MAX_FACTS_PER_REPLY]:
            _, fact = scenario.fact(fact_id)
            parts.append(_say(ctx, "answer", fact_id, fact=fact.text, quote=_quote(ctx.quote_for.get(fact_id))))
            reply.facts_revealed.append(fact_id)

        still_open = []
        for cid in open_concerns(ctx.board, ctx.stakeholder.role):
            _, concern = scenario.concern(cid)
            covered = reading.points_covered.get(cid, set())
            quote = _quote(ctx.quote_for.get(cid) or ctx.last_person_text)
            # settled only by a turn that engages the concern; earlier turns may supply points
            if cid in reading.concerns_touched and len(covered) >= points_needed(len(concern.must_address)):
                reply.resolved.append(cid)
                parts.append(concern.acknowledgement or _say(ctx, "acknowledge", cid, quote=quote))
                continue
            still_open.append(cid)
            # covered earlier but not taken up since: ask for the whole answer again
            missing = [p for i, p in enumerate(concern.must_address) if i not in covered] or list(concern.must_address)
            # pressed when spoken to, or when routed in only because this concern is still open
            kind = (
                "pushback"
                if cid in reading.concerns_touched
                else "press"
                if reading.addressed or not reading.involved
                else None
            )
            if kind and not reply.pushed_back:
                reply.pushed_back.append(cid)
                text = _say(ctx, kind, cid, quote=quote, pushback=concern.pushback, points=_join(missing))
                if ctx.board[cid]["pushbacks"] + 1 >= ESCALATE_AFTER_PUSHBACKS:
                    text += " " + PHRASING["escalate"]
                parts.append(text)

        if not still_open and reading.next_concern:
            cid = reading.next_concern
            _, concern = scenario.concern(cid)
            quote = _quote(ctx.quote_for.get(cid) or ctx.last_person_text)
            parts.append(_say(ctx, "challenge", cid, challenge=concern.challenge, quote=quote))
            reply.raised.append(cid)

        if not parts:
            parts.append(PHRASING["nothing"])
        reply.text = " ".join(parts)
        reply.intent = (
            "pushback"
            if reply.pushed_back
            else "challenge"
            if reply.raised
            else "acknowledge"
            if reply.resolved
            else "answer"
        )
        return reply, {}


def _say(ctx: StakeholderContext, kind: str, key: str, **values: str) -> str:
    variants = PHRASING[kind]
    if not values.get("quote"):
        variants = [v for v in variants if "{quote}" not in v] or variants
    seed = zlib.crc32(f"{ctx.stakeholder.role}|{ctx.round}|{key}".encode())
    return variants[seed % len(variants)].format(**values)


def _quote(sentence: str | None) -> str:
    if not sentence:
        return ""
    words = sentence.strip().rstrip(".?!").split()
    return " ".join(words[:QUOTE_WORDS]) + (" ..." if len(words) > QUOTE_WORDS else "")


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
