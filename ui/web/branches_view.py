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
from ui.export import escape_md
from ui.web.transcript_view import render_compact


def _select(label: str, options: list[str], default: int, key: str) -> str:
    """A selectbox that returns to ``default`` whenever its options change (a new turn, a new branch).

    Streamlit keeps a keyed widget's old choice while it is still an option, which would leave
    "rewind to turn 1" selected after turn 5; the key itself stays stable for browser tests.
    """
    seen = f"{key}::options"
    if st.session_state.get(seen) != options:
        st.session_state[seen] = options
        st.session_state[key] = options[default]
    return st.selectbox(label, options, key=key)


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
        points = meetings.rewind_points(view.session_id, at=nav.at)
    except MeetingError:
        return
    if not points:
        return
    with st.expander("Rewind: try a different answer", expanded=False, icon="⏪"):
        st.caption("Go back to just before one of your turns and answer differently. Both versions are kept.")
        # options are the labels themselves (unique by turn number): AppTest and the browser agree on them
        by_label = {f"Turn {p.turn}: {_short(p.text)}": p.checkpoint_id for p in points}
        choice = _select("Go back to before", list(by_label), len(points) - 1, f"{key_prefix}rewind_pick")
        if st.button("Try a different answer from here", key=f"{key_prefix}rewind_go", type="primary"):
            nav.go(by_label[choice])
            st.rerun()


def _branch_label(branch, index: int) -> str:
    score = f"overall {branch.overall:.2f}" if branch.overall is not None else "in progress"
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
        names = list(by_label)
        latest = next((i for i, b in enumerate(branches) if b.latest), len(branches) - 1)
        other = next(i for i in range(len(branches)) if i != latest)
        left_pick, right_pick = st.columns(2)
        with left_pick:
            left = _select("Left", names, other, f"{key_prefix}compare_a")
        with right_pick:
            right = _select("Right", names, latest, f"{key_prefix}compare_b")
        picks = [by_label[left], by_label[right]]
        views = []
        for tip in picks:
            try:
                views.append(meetings.view(view.session_id, at=tip))
            except MeetingError as exc:
                st.warning(f"Cannot show that branch: {escape_md(str(exc))}")
                return
        st.dataframe(_score_table(views, ["Left", "Right"]), hide_index=True, width="stretch")
        current = view.checkpoint_id
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
            row[label] = str(v.scorecard.dimensions[dim].score) if v.scorecard else "–"
        rows.append(row)
    overall = {"dimension": "Overall"}
    for label, v in zip(labels, views, strict=True):
        overall[label] = f"{v.scorecard.overall:.2f}" if v.scorecard else "not scored yet"
    rows.append(overall)
    return pd.DataFrame(rows)
