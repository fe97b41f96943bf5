"""Read-only views of participants' meetings for the facilitator: one session in full, or two side by side.

Nothing here can send a turn: the facilitator watches, the participant leads. Names and turns
are written as plain text (``st.text``) or escaped Markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from agents.facilitator import rubric
from graphs import MeetingError, Meetings, MeetingView
from graphs.workshops import STATUS_LABELS, status_of
from scenarios import DIMENSIONS
from ui.export import escape_md
from ui.web.scorecard_view import render_scorecard
from ui.web.transcript_view import render_compact, render_transcript


def _view(meetings: Meetings, session_id: str) -> MeetingView | None:
    try:
        return meetings.view(session_id)
    except MeetingError:
        st.warning("This session is not in the meeting store (was the data dir changed?).")
        return None


def _summary_line(view: MeetingView) -> str:
    return f"{STATUS_LABELS[status_of(view)]} · round {view.round}/{view.round_limit} · {view.engine_label}"


def render_session(meetings: Meetings, session_id: str, name: str, *, key_prefix: str = "ws_open_") -> None:
    """One participant's meeting as it stands: summary, scorecard once scored, the transcript."""
    view = _view(meetings, session_id)
    if view is None:
        return
    st.subheader(escape_md(name), anchor=False)
    st.caption(escape_md(f"{view.title} · {_summary_line(view)}"))
    scenario = meetings.scenarios.get(view.scenario_id)
    if view.scorecard is not None:
        with st.expander("Scorecard", expanded=True):
            turns = sum(t.role == "person" for t in view.transcript)
            render_scorecard(view.scorecard, key_prefix=key_prefix, turn_count=turns)
    else:
        st.caption("Not scored yet: the scorecard appears when the participant wraps up.")
    with st.expander("Transcript", expanded=view.scorecard is None):
        render_transcript(view.transcript, scenario, key_prefix=key_prefix)


def comparison_frame(views: list[tuple[str, MeetingView]]) -> pd.DataFrame:
    """Scores of two (or more) sessions as rows, one column per participant."""
    names = rubric()
    index = ["Status", "Round", "Overall", *(names[d].name for d in DIMENSIONS), "Concerns resolved"]
    columns = {}
    for label, view in views:
        card = view.scorecard
        resolved = sum(1 for c in view.board.values() if c.get("status") == "resolved")
        columns[label] = [
            STATUS_LABELS[status_of(view)],
            f"{view.round}/{view.round_limit}",
            f"{card.overall:.2f}" if card else "–",
            *(str(card.dimensions[d].score) if card else "–" for d in DIMENSIONS),
            f"{resolved}/{len(view.board)}",
        ]
    return pd.DataFrame(columns, index=index)


def render_compare(meetings: Meetings, a: tuple[str, str], b: tuple[str, str]) -> None:
    """Two sessions side by side: a score table, then each transcript in its own column."""
    if a[0] == b[0]:
        st.caption("Pick two different sessions.")
        return
    views = [(sid, name, _view(meetings, sid)) for sid, name in (a, b)]
    if any(v is None for _, _, v in views):
        return
    # the grid shows names as plain text; "A: name" keeps two people with one name apart
    st.dataframe(comparison_frame([(f"{tag}: {name}", v) for tag, (_, name, v) in zip("AB", views, strict=True)]))
    columns = st.columns(2)
    for column, (_, name, view) in zip(columns, views, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**{escape_md(name)}**")
            st.caption(escape_md(_summary_line(view)))
            card = view.scorecard
            if card is not None:
                for text in card.strengths[:3]:
                    st.text(f"＋ {text}")
                for text in card.improvements[:3]:
                    st.text(f"△ {text}")
            with st.expander("Transcript"):
                render_compact(view.transcript)
