"""What the join page and the facilitator dashboard share: the workshop store, links and the results table.

The store is held in ``st.cache_resource`` next to the page's ``Meetings`` (same settings
fingerprint), so every browser session of the server uses one SQLite connection.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from agents.facilitator import rubric
from agents.settings import Settings
from graphs import Meetings
from graphs.passcode import FacilitatorPasscode
from graphs.workshops import ParticipantResult, Workshops
from scenarios import DIMENSIONS
from ui.web.services import get_meetings, settings_fingerprint

JOIN_PATH = "join"
DASHBOARD_PATH = "dashboard"
STATUS_BADGE = {
    "waiting": "⏳ waiting for first turn",
    "in_meeting": "💬 in meeting",
    "replies_pending": "⌛ replies pending",
    "wrapped_up": "✅ wrapped up",
    "unavailable": "⚠️ session unavailable",
}


@st.cache_resource(show_spinner=False)
def _workshops_for(fingerprint: str, _meetings: Meetings) -> Workshops:
    return Workshops(_meetings)


def get_workshops() -> Workshops:
    """The process's workshop store, over the same ``Meetings`` the meeting room uses."""
    meetings = get_meetings()
    return _workshops_for(settings_fingerprint(meetings.settings), meetings)


def get_passcode() -> FacilitatorPasscode:
    return FacilitatorPasscode(Settings())


def app_base_url() -> str | None:
    """``scheme://host[:port][/base]`` of this app as the browser sees it, or None when unknown.

    ``st.context.url`` is the current page's URL (query removed); its last path segment is the
    page (``/dashboard``), which is dropped so the join page's path can be put in its place.
    """
    try:
        url = st.context.url
    except Exception:
        url = None
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.rsplit("/", 1)[-1] in (DASHBOARD_PATH, JOIN_PATH):
        path = path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def join_link(code: str, session_id: str | None = None) -> str:
    """The link a participant opens: absolute when the app's URL is known, else a path."""
    query = {"code": code} | ({"session": session_id} if session_id else {})
    return f"{app_base_url() or ''}/{JOIN_PATH}?{urlencode(query)}"


def results_frame(results: list[ParticipantResult]) -> pd.DataFrame:
    """The dashboard's table: one row per participant; text cells are shown as plain text by the grid."""
    names = rubric()
    rows = []
    for r in results:
        row = {
            "Name": r.participant.name,
            "Status": STATUS_BADGE[r.status],
            "Round": f"{r.round}/{r.round_limit}" if r.round_limit else "",
            "Overall": r.overall,
        }
        row |= {names[d].name: r.dimensions.get(d) for d in DIMENSIONS}
        row["Concerns resolved"] = f"{r.concerns_resolved}/{r.concerns_total}" if r.concerns_total else ""
        row["Session"] = r.participant.session_id
        rows.append(row)
    columns = [
        "Name",
        "Status",
        "Round",
        "Overall",
        *(names[d].name for d in DIMENSIONS),
        "Concerns resolved",
        "Session",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    scores = ["Overall", *(names[d].name for d in DIMENSIONS)]
    frame[scores] = frame[scores].astype("float64")  # not yet scored: an empty cell, not "None"
    return frame


def score_columns() -> dict:
    """Column settings for ``results_frame``: scores as numbers, not text."""
    names = rubric()
    config = {"Overall": st.column_config.NumberColumn("Overall", format="%.2f", help="Weighted, 1 to 5")}
    for d in DIMENSIONS:
        config[names[d].name] = st.column_config.NumberColumn(names[d].name, format="%d", help=names[d].what)
    return config
