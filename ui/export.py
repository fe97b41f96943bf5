"""A session as a file to keep: Markdown to read, JSON for tools. Pure functions, no Streamlit.

Text that people or models wrote (turns, quotes, uploaded scenario fields) is escaped in the
Markdown so that opening the file in a Markdown viewer shows it as typed: no links, images or
HTML can be smuggled in through a turn. Neither format carries settings, so no API key can leak.
While a meeting is still running, concerns nobody has raised yet are left out of both files:
the download must not spoil what the room is holding back.
"""

from __future__ import annotations

import contextlib
import json
import re

from agents.facilitator import rubric
from graphs import MeetingView
from scenarios import Scenario

# ASCII punctuation that can start Markdown, HTML, LaTeX or directives; CommonMark lets a backslash escape each
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:&\"'=^@%/])")
WORD_JOINER = "\u2060"  # invisible; splits a URL so GFM does not turn it into a link


def escape_md(text: str) -> str:
    """``text`` as literal Markdown: every character that could start markup is backslash-escaped.

    GFM also turns bare URLs, ``www.`` names and e-mail addresses into links after escapes are
    read, so an invisible word joiner (U+2060) is put inside each of them. Line breaks are kept
    (as hard breaks) so multi-line turns still read as typed.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    escaped = escaped.replace("\\:\\/\\/", "\\:" + WORD_JOINER + "\\/\\/")  # scheme://
    escaped = re.sub(r"(?i)\b(www)(\\\.)", r"\1" + WORD_JOINER + r"\2", escaped)
    escaped = escaped.replace("\\@", WORD_JOINER + "\\@")
    return "  \n".join(escaped.splitlines()) if "\n" in escaped else escaped


def visible_board(view: MeetingView) -> dict[str, dict]:
    """The board as the person may see it: every concern once the meeting is over, else only raised ones."""
    if view.phase == "done":
        return dict(view.board)
    return {cid: c for cid, c in view.board.items() if c.get("status") != "unraised"}


def to_json(view: MeetingView) -> str:
    """Transcript, board, facts learned, usage and scorecard as one JSON document."""
    data = view.model_dump(mode="json")
    data["board"] = visible_board(view)
    return json.dumps(data, indent=2, ensure_ascii=False)


def to_markdown(view: MeetingView, scenario: Scenario | None = None) -> str:
    """A readable record of the meeting: header, transcript, board and (if scored) the scorecard."""
    lines = [f"# {escape_md(view.title)}", ""]
    lines += [
        f"- Session: `{view.session_id}`",
        f"- Engine: {escape_md(view.engine_label)}",
        f"- Round: {view.round} of {view.round_limit}",
        f"- Status: {'finished' if view.phase == 'done' else 'in progress'}",
    ]
    tokens = sum(view.usage.values()) if view.usage else 0
    if tokens:
        lines.append(f"- Tokens used: {tokens:,}")
    cost = getattr(view, "cost_usd", None)
    if cost is not None:
        lines.append(f"- Estimated cost: ${cost:.4f}".replace("$", "\\$"))
    lines += ["", "## Transcript", ""]
    person_turn = 0
    for t in view.transcript:
        label = escape_md(t.speaker)
        if t.role == "person":
            person_turn += 1
            label += f" (turn {person_turn})"
        elif t.role != "facilitator":
            label += f" · {t.role}"
        if t.intent == "hint":
            label += " · hint"
        lines += [f"**{label}**", "", escape_md(t.text), ""]
    lines += _board_section(view, scenario)
    if view.scorecard:
        lines += _scorecard_section(view)
    return "\n".join(lines).rstrip() + "\n"


def _board_section(view: MeetingView, scenario: Scenario | None) -> list[str]:
    lines = ["## Board", ""]
    board = visible_board(view)
    if not board:
        lines += ["No concerns raised.", ""]
    for cid, c in board.items():
        what = cid
        if scenario is not None:
            with contextlib.suppress(KeyError):
                what = scenario.concern(cid)[1].challenge
        lines.append(f"- {escape_md(c.get('role', ''))}: {escape_md(what)} — **{c.get('status', '?')}**")
    if view.revealed:
        lines += ["", "### Facts learned", ""]
        for fid in view.revealed:
            text = fid
            if scenario is not None:
                try:
                    holder, fact = scenario.fact(fid)
                    text = f"{holder.name}: {fact.text}"
                except KeyError:
                    pass
            lines.append(f"- {escape_md(text)}")
    return [*lines, ""]


def _scorecard_section(view: MeetingView) -> list[str]:
    card = view.scorecard
    anchors = rubric()
    lines = ["## Scorecard", "", f"Overall: **{card.overall:.2f} / 5** ({escape_md(card.engine)} engine)", ""]
    lines += ["| Dimension | Score |", "|---|---|"]
    lines += [f"| {anchors[d].name} | {s.score} / 5 |" for d, s in card.dimensions.items()]
    lines.append("")
    for d, s in card.dimensions.items():
        lines += [f"### {anchors[d].name}: {s.score} / 5", "", escape_md(s.rationale), ""]
        if s.anchor:
            lines += [f"_Anchor:_ {escape_md(s.anchor)}", ""]
        lines += [f"- turn {e.turn}: “{escape_md(e.quote)}”" for e in s.evidence]
        lines.append("")
    open_concerns = [f"{c.stakeholder}: {c.challenge}" for c in card.concerns if c.status in ("open", "escalated")]
    for label, items in (
        ("Strengths", card.strengths),
        ("To improve", card.improvements),
        ("Questions worth having asked", card.missed_questions),
        ("Concerns left open", open_concerns),
    ):
        if items:
            lines += [f"### {label}", "", *[f"- {escape_md(i)}" for i in items], ""]
    timeline = getattr(card, "timeline", None) or []
    if timeline:
        lines += ["### Turn by turn", ""]
        for p in timeline:
            moved = ", ".join(f"{anchors[d].name} {v:+d}" for d, v in p.moved.items()) or "no score moved"
            settled = f"; settled: {', '.join(p.resolved)}" if p.resolved else ""
            raised = f"; raised: {', '.join(p.opened)}" if p.opened else ""
            lines.append(f"- turn {p.turn}: {escape_md(moved + raised + settled)}")
        lines.append("")
    return lines
