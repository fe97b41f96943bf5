"""The offline stakeholder engine: replies built from the cards and the person's own words; deterministic.

Per turn, in this order:

1. answer the facts the person asked for; hand a direct question to the colleague who holds it, or
   say plainly that nobody has the number;
2. object, citing the fact, to a plan that breaks a decisive constraint this stakeholder holds
   (revealing the fact if it was never asked for), and accept nothing while the plan breaks it;
3. judge each open concern by the stances the person's claims took: object to a wrong stance or a
   dismissal, acknowledge with the person's words once enough points are covered on the right
   side, otherwise ask the owner's natural question for what is still missing;
4. raise the unraised concern most relevant to the turn when none of its own is open.

A reply never repeats a sentence this stakeholder has already said in the meeting.
"""

from __future__ import annotations

import re
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
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(r"\s*(?:;|,\s*(?:and|but|so)\b|\s-\s|\s—\s)\s*")


class OfflineStakeholder:
    """Card-driven stakeholder; see the module docstring for the policy."""

    def respond(self, ctx: StakeholderContext, on_text=None) -> tuple[StakeholderTurn, dict[str, int]]:
        # replies are composed at once from the cards: there is nothing to stream (on_text unused)
        return _Reply(ctx).compose(), {}


class _Reply:
    def __init__(self, ctx: StakeholderContext):
        self.ctx = ctx
        self.r = ctx.reading
        self.scenario = ctx.scenario
        self.turn = StakeholderTurn(text="", intent="answer")
        self.parts: list[str] = []
        self.said = {
            _norm(s) for t in ctx.transcript if t["role"] == ctx.stakeholder.role for s in _SENTENCE.split(t["text"])
        }
        self.objected = False
        self.quoted: set[str] = set()  # the person's sentences already restated in this reply
        self.pressed = False

    def compose(self) -> StakeholderTurn:
        self._answer_questions()
        self._constraints()
        still_open = self._judge_open_concerns()
        if not still_open and not self.objected:
            self._raise_next()
        if not self.parts:
            right = [w for words in self.r.answered_now.values() for w in words]
            if right or self.r.addressed:
                quote = _quote(right[0]) if right else ""
                self._say("agree" if quote else "nothing", "agree", quote=quote)
            if not self.parts:
                self._say("nothing", "nothing")
        t = self.turn
        t.text = " ".join(self.parts)
        t.intent = (
            "pushback"
            if t.pushed_back or self.pressed
            else "challenge"
            if t.raised
            else "acknowledge"
            if t.resolved
            else "answer"
        )
        return t

    # 1. questions
    def _answer_questions(self) -> None:
        for fact_id in self.r.facts_asked[:MAX_FACTS_PER_REPLY]:
            _, fact = self.scenario.fact(fact_id)
            self._say("answer", fact_id, fact=fact.text.strip(), quote=_quote(self.ctx.quote_for.get(fact_id)))
            self.turn.facts_revealed.append(fact_id)
        if self.r.facts_asked:
            return
        for question, role in list(self.r.handoffs.items())[:1]:
            colleague = self.scenario.stakeholder(role).name.split()[0]
            self._say("handoff", question, name=colleague)
        if self.r.unanswered and not self.r.handoffs:
            self._say("dont_know", self.r.unanswered[0])

    # 2. decisive constraints this stakeholder holds
    def _constraints(self) -> None:
        for kid, claim in list(self.r.broken.items())[:1]:
            constraint = next(k for k in self.scenario.decisive_constraints if k.id == kid)
            revealed = constraint.fact in self.ctx.revealed or constraint.fact in self.turn.facts_revealed
            if not revealed:
                _, fact = self.scenario.fact(constraint.fact)
                self._say("constraint_reveal", kid, fact=fact.text.strip())
                self.turn.facts_revealed.append(constraint.fact)
            self._say("constraint", kid, quote=_quote(claim), objection=constraint.objection.strip())
            self.objected = self.pressed = True  # an objection, whether or not a concern of theirs is open
            open_ids = open_concerns(self.ctx.board, self.ctx.stakeholder.role)
            if open_ids:
                self._push(open_ids[0])

    # 3. open concerns
    def _judge_open_concerns(self) -> list[str]:
        still_open = []
        for cid, claim in self.r.wrong_now.items():  # a settled concern reopens when the person goes back on it
            if (
                self.ctx.board.get(cid, {}).get("status") == "resolved"
                and self.scenario.concern(cid)[0].role == self.ctx.stakeholder.role
            ):
                concern = self.scenario.concern(cid)[1]
                self._say("reopen", cid, quote=_quote(claim), objection=(concern.objection or concern.pushback).strip())
                self.turn.pushed_back.append(cid)
                self.objected = True
                still_open.append(cid)
        blocked = bool(self.r.still_broken)  # never accept a plan that breaks what this stakeholder told the room
        for cid in open_concerns(self.ctx.board, self.ctx.stakeholder.role):
            _, concern = self.scenario.concern(cid)
            covered = self.r.points_covered.get(cid, set())
            wrong = self.r.points_wrong.get(cid, set())
            objection = (concern.objection or concern.pushback).strip()
            if cid in self.r.dismissed and not self.objected:
                self._say("dismissed", cid, objection=objection)
                self._push(cid)
                still_open.append(cid)
                continue
            if cid in self.r.wrong_now and not self.objected:
                self._say("object", cid, quote=_quote(self.r.wrong_now[cid]), objection=objection)
                self._push(cid)
                still_open.append(cid)
                continue
            engaged = bool(self.r.answered_now.get(cid))
            if engaged and not wrong and not blocked and len(covered) >= points_needed(len(concern.points)):
                self._acknowledge(cid, "acknowledge")
                continue
            still_open.append(cid)
            touched = cid in self.r.concerns_touched
            if self.turn.pushed_back or self.objected:
                continue
            if touched or self.r.addressed or not self.r.involved:
                if engaged:
                    self._say("partial", f"{cid}-partial", quote=_quote(_clause(self.r.answered_now[cid][0])))
                self._ask_missing(cid, covered, press=not touched)
                # counts towards escalation: an answer that fell short with no progress, or speaking to this
                # stakeholder without asking or answering anything ("Priya, it will be fine"); not an answer
                # that moved it forward, nor a reminder while the person was busy with other things
                brushed = self.r.addressed and not self.r.facts_asked and not self.r.unanswered and not self.r.handoffs
                if (touched or brushed) and not engaged:
                    self._push(cid)
                else:
                    self.pressed = True
        return still_open

    def _ask_missing(self, cid: str, covered: set[int], press: bool) -> None:
        _, concern = self.scenario.concern(cid)
        asks = [p.ask or concern.pushback for i, p in enumerate(concern.must_address) if i not in covered]
        asks += [concern.pushback]
        for ask in dict.fromkeys(a.strip() for a in asks):
            if self._fresh(ask) == ask:
                self._say("press", cid, ask=ask) if press else self._add(ask)
                return
        self._say("still_open", cid)

    def _acknowledge(self, cid: str, kind: str) -> None:
        words = [w for w in self.r.answered_now.get(cid) or self.r.support.get(cid, []) if w not in self.quoted] or [""]
        self.quoted.update(words[:2])
        self._say(kind, cid, quote=_quote(" and ".join(_clause(w) for w in words[:2] if w)))
        self.turn.resolved.append(cid)

    def _push(self, cid: str) -> None:
        if cid in self.turn.pushed_back:
            return
        self.turn.pushed_back.append(cid)
        if self.ctx.board[cid]["pushbacks"] + 1 >= ESCALATE_AFTER_PUSHBACKS:
            self._say("escalate", cid)

    # 4. a new concern
    def _raise_next(self) -> None:
        cid = self.r.next_concern
        if not cid and not self.r.dismissed:
            return
        dismissed = [c for c in self.r.dismissed if self.ctx.board.get(c, {}).get("status") == "unraised"]
        if dismissed:
            cid = dismissed[0]
        if not cid:
            return
        _, concern = self.scenario.concern(cid)
        covered = self.r.points_covered.get(cid, set())
        if cid in self.r.dismissed:
            self._say("dismissed", cid, objection=(concern.objection or concern.pushback).strip())
            self.turn.raised.append(cid)
            self.turn.pushed_back.append(cid)
            return
        if cid in self.r.wrong_now:
            self._say(
                "object",
                cid,
                quote=_quote(self.r.wrong_now[cid]),
                objection=(concern.objection or concern.pushback).strip(),
            )
            self.turn.pushed_back.append(cid)
            return
        answered = not self.r.points_wrong.get(cid) and len(covered) >= points_needed(len(concern.points))
        if answered and not self.r.still_broken:
            self._acknowledge(cid, "early_acknowledge")
            return
        quote = _quote(self.r.answered_now[cid][0] if self.r.answered_now.get(cid) else "")
        self._say("challenge", cid, challenge=concern.challenge.strip(), quote=quote)
        self.turn.raised.append(cid)

    # composing without repeating oneself
    def _say(self, kind: str, key: str, **values: str) -> None:
        variants = PHRASING[kind]
        if not values.get("quote"):
            variants = [v for v in variants if "{quote}" not in v] or variants
        seed = zlib.crc32(f"{self.ctx.stakeholder.role}|{self.ctx.round}|{key}".encode())
        ordered = variants[seed % len(variants) :] + variants[: seed % len(variants)]
        for variant in ordered:
            text = variant.format(**values)
            if self._fresh(text) == text:
                self._add(text)
                return
        # every variant used: say only the sentences not said before
        self._add(ordered[0].format(**values))

    def _fresh(self, text: str) -> str:
        """``text`` without the sentences this stakeholder has already said in the meeting."""
        return " ".join(s for s in _SENTENCE.split(text.strip()) if _norm(s) not in self.said).strip()

    def _add(self, text: str) -> None:
        text = self._fresh(text)
        if text:
            self.parts.append(text)
            self.said.update(_norm(s) for s in _SENTENCE.split(text))


def _norm(sentence: str) -> str:
    return " ".join(sentence.lower().strip().strip('"').split())


def _clause(sentence: str) -> str:
    """The first clause of a sentence, for restating it briefly."""
    return _CLAUSE.split(sentence.strip())[0].rstrip(".?!")


def _quote(sentence: str | None) -> str:
    if not sentence:
        return ""
    words = sentence.strip().rstrip(".?!").split()
    return " ".join(words[:QUOTE_WORDS]) + (" ..." if len(words) > QUOTE_WORDS else "")
