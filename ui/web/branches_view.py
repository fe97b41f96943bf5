"""Rewind and compare: go back to any of the person's turns, answer differently, set branches side by side.

Both branches stay in the session (LangGraph keeps every checkpoint of the thread); ``Meetings``
lists rewind points and branch tips, and ``view(session_id, at=...)`` shows any of them. With a
``Meetings`` that predates rewinding, both panels say so instead of failing.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.facilitator import rubric
from graphs import MeetingError, Meetings, MeetingView
from ui.web.services import call
from ui.web.transcript_view import render_compact


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_rewind(meetings: Meetings, view: MeetingView, nav, *, key_prefix: str = "") -> None:
    """Pick one of the person's earlier turns and try a different answer from just before it."""
    if nav.at is not None and st.button("Back to the latest", key=f"{key_prefix}rewind_back", icon="⏩"):
        nav.go(None)
        st.rerun()
    if not hasattr(meetings, "rewind_points"):
        return
    try:
        points = call(meetings.rewind_points, view.session_id, at=nav.at)
    except MeetingError:
        return
    if not points:
        return
    with st.expander("Rewind: try a different answer", expanded=False, icon="⏪"):
        st.caption("Go back to just before one of your turns and answer differently. Both versions are kept.")
        # options are the labels themselves (unique by turn number): AppTest and the browser agree on them
        by_label = {f"Turn {p.turn}: {_short(p.text)}": p.checkpoint_id for p in points}
        choice = st.selectbox(
            "Go back to before", list(by_label), index=len(points) - 1, key=f"{key_prefix}rewind_pick"
        )
        if st.button("Try a different answer from here", key=f"{key_prefix}rewind_go", type="primary"):
            nav.go(by_label[choice])
            st.rerun()


def _branch_label(branch, index: int) -> str:
    score = f"overall {branch.overall:.2f}" if branch.overall is not None else branch.phase
    latest = " · latest" if branch.latest else ""
    turns = branch.person_turns if isinstance(branch.person_turns, int) else len(branch.person_turns)
    return f"Branch {index}: {turns} turns, {score}{latest}"


def render_compare(meetings: Meetings, view: MeetingView, nav, *, key_prefix: str = "") -> None:
    """Two branches of the session side by side: transcripts and scores."""
    if not hasattr(meetings, "branches"):
        return
    try:
        branches = meetings.branches(view.session_id)
    except MeetingError:
        return
    if len(branches) < 2:
        return
    with st.expander(f"Compare branches ({len(branches)})", expanded=False, icon="🔀"):
        by_label = {_branch_label(b, i): b.checkpoint_id for i, b in enumerate(branches, start=1)}
        labels = {tip: label for label, tip in by_label.items()}
        names = list(by_label)
        latest = next((i for i, b in enumerate(branches) if b.latest), len(branches) - 1)
        other = next(i for i in range(len(branches)) if i != latest)
        left_pick, right_pick = st.columns(2)
        picks = [
            by_label[left_pick.selectbox("Left", names, index=other, key=f"{key_prefix}compare_a")],
            by_label[right_pick.selectbox("Right", names, index=latest, key=f"{key_prefix}compare_b")],
        ]
        views = []
        for tip in picks:
            try:
                views.append(call(meetings.view, view.session_id, at=tip))
            except MeetingError as exc:
                st.warning(f"Cannot show that branch: {exc}")
                return
        sides = [f"Left · {labels[picks[0]]}", f"Right · {labels[picks[1]]}"]
        st.dataframe(_score_table(views, sides), hide_index=True, width="stretch")
        current = getattr(view, "checkpoint_id", None)
        columns = st.columns(2)
        for i, (column, tip, branch_view) in enumerate(zip(columns, picks, views, strict=True)):
            with column:
                if st.button("Open this branch", key=f"{key_prefix}compare_open_{i}", disabled=tip == current):
                    is_latest = next((b.latest for b in branches if b.checkpoint_id == tip), False)
                    nav.go(None if is_latest else tip)
                    st.rerun()
                with st.container(height=420, border=True, key=f"{key_prefix}compare_transcript_{i}"):
                    render_compact(branch_view.transcript)


def _score_table(views: list[MeetingView], labels: list[str]) -> pd.DataFrame:
    anchors = rubric()
    rows = []
    for dim, spec in anchors.items():
        row = {"dimension": spec.name}
        for label, v in zip(labels, views, strict=True):
            row[label] = v.scorecard.dimensions[dim].score if v.scorecard else None
        rows.append(row)
    overall = {"dimension": "Overall"}
    for label, v in zip(labels, views, strict=True):
        overall[label] = v.scorecard.overall if v.scorecard else None
    rows.append(overall)
    return pd.DataFrame(rows)
