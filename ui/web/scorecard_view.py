"""The scorecard in the browser: a chart of the five dimensions, then each with its evidence.

Evidence quotes link to the person's turn they came from (``#turn-N`` anchors set by the room).
Quotes and rationales are escaped: they contain the person's own words.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd
import streamlit as st

from agents.facilitator import Scorecard, rubric
from ui.export import escape_md


def dom_id(key_prefix: str, name: str) -> str:
    """An HTML id on the page; the prefix keeps two rooms on one page apart."""
    safe = re.sub(r"[^a-z0-9-]", "-", key_prefix.lower()).strip("-")
    return f"{safe}-{name}" if safe else name


def turn_anchor(key_prefix: str, turn: int) -> str:
    """The HTML id of the person's turn ``turn`` (``turn-3``)."""
    return dom_id(key_prefix, f"turn-{turn}")


def score_chart(card: Scorecard) -> alt.Chart:
    anchors = rubric()
    data = pd.DataFrame(
        [
            {"dimension": anchors[d].name, "score": s.score, "order": i}
            for i, (d, s) in enumerate(card.dimensions.items())
        ]
    )
    base = alt.Chart(data).encode(
        y=alt.Y("dimension:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=220)),
        x=alt.X("score:Q", scale=alt.Scale(domain=[0, 5]), axis=alt.Axis(tickCount=5), title="score (1-5)"),
    )
    bars = base.mark_bar(cornerRadiusEnd=3).encode(
        color=alt.Color("score:Q", scale=alt.Scale(domain=[1, 5], scheme="redyellowgreen"), legend=None),
        tooltip=["dimension", "score"],
    )
    labels = base.mark_text(align="left", dx=4).encode(text="score:Q")
    return (bars + labels).properties(height=200)


def render_scorecard(card: Scorecard, *, key_prefix: str = "", turn_count: int | None = None) -> None:
    """The whole scorecard. ``turn_count`` limits evidence links to turns the transcript shows."""
    anchors = rubric()
    st.header("Scorecard", anchor=dom_id(key_prefix, "scorecard"))
    overall, engine = st.columns([1, 3])
    overall.metric("Overall", f"{card.overall:.2f} / 5")
    engine.caption(f"Scored by the {escape_md(card.engine)} engine against the five-dimension rubric.")
    st.altair_chart(score_chart(card), width="stretch")
    for d, s in card.dimensions.items():
        with st.container(border=True, key=f"{key_prefix}dim_{d}"):
            st.markdown(f"**{escape_md(anchors[d].name)}** — {'●' * s.score}{'○' * (5 - s.score)} **{s.score} / 5**")
            st.markdown(escape_md(s.rationale))
            if s.anchor:
                st.caption(f"Anchor: {escape_md(s.anchor)}")
            for e in s.evidence:
                link = f"[turn {e.turn}](#{turn_anchor(key_prefix, e.turn)})"
                if turn_count is not None and not 1 <= e.turn <= turn_count:
                    link = f"turn {e.turn}"
                st.markdown(f"> {link}: “{escape_md(e.quote)}”")
    open_concerns = [
        f"{c.stakeholder}: {c.challenge} ({c.status})" for c in card.concerns if c.status in ("open", "escalated")
    ]
    unraised = [f"{c.stakeholder}: {c.challenge}" for c in card.concerns if c.status == "unraised"]
    left, right = st.columns(2)
    with left:
        _bullets("Strengths", card.strengths, "Nothing stood out yet.")
        _bullets("To improve", card.improvements, "Nothing to add.")
    with right:
        _bullets("Questions worth having asked", card.missed_questions, "You asked what the room knew.")
        _bullets("Concerns left open", open_concerns, "Every raised concern was settled.")
        if unraised:
            _bullets("Concerns nobody raised", unraised, "")
    if card.ignored:
        _bullets("Ignored (addressed to the scorer, not the room)", card.ignored, "")
    timeline = getattr(card, "timeline", None)
    if timeline:
        render_timeline(timeline, key_prefix=key_prefix)


def timeline_chart(points: list) -> alt.Chart:
    """Each dimension's score as the meeting stood after each of the person's turns."""
    anchors = rubric()
    rows = [
        {"turn": p.turn, "dimension": anchors[d].name, "score": score}
        for p in points
        for d, score in p.scores.items()
        if d in anchors
    ]
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(point=True)
        .encode(
            x=alt.X("turn:O", title="your turn", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("score:Q", scale=alt.Scale(domain=[1, 5]), axis=alt.Axis(tickCount=5), title="score"),
            color=alt.Color("dimension:N", legend=alt.Legend(orient="bottom", title=None)),
            tooltip=["turn", "dimension", "score"],
        )
        .properties(height=220)
    )


def render_timeline(timeline: list, *, key_prefix: str = "") -> None:
    """Per person turn: which dimensions moved and which concerns opened or closed."""
    st.subheader("Turn by turn", anchor=False)
    points = [p for p in timeline if hasattr(p, "scores") and hasattr(p, "turn")]
    if points:
        st.altair_chart(timeline_chart(points), width="stretch")
    best = max(points, key=lambda p: (sum(p.moved.values()), -p.turn), default=None)
    for p in points:
        parts = []
        if p.moved:
            parts.append(", ".join(f"{rubric()[d].name.lower()} {v:+d}" for d, v in p.moved.items()))
        for label, ids in (("raised", p.opened), ("settled", p.resolved), ("escalated", p.escalated)):
            if ids:
                parts.append(f"{label}: " + ", ".join(_humanize(i) for i in ids))
        if p.facts:
            parts.append(f"{len(p.facts)} fact{'s' if len(p.facts) != 1 else ''} learned")
        star = " ⭐ turning point" if best is p and sum(p.moved.values()) > 0 else ""
        link = f"[turn {p.turn}](#{turn_anchor(key_prefix, p.turn)})"
        st.markdown(f"- {link}{star} — “{escape_md(p.text)}”  \n  {escape_md(' · '.join(parts) or 'no change')}")


def _humanize(slug: str) -> str:
    return slug.replace("-", " ")


def _bullets(title: str, items: list[str], empty: str) -> None:
    st.markdown(f"**{title}**")
    if not items:
        if empty:
            st.caption(empty)
        return
    st.markdown("\n".join(f"- {escape_md(item)}" for item in items))
