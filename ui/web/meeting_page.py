"""The meeting room page: pick a scenario and start, or resume the meeting named in the URL.

``?session=<id>`` resumes a meeting after a refresh or a server restart (the session lives in the
checkpointer, not in the browser); ``&at=<checkpoint>`` while viewing a rewind point. The id is
the meeting's secret. A workshop participant's meeting never opens here, only through that
participant's own join link; it reads "not found" like an id that does not exist, with no hint of
which it was.
"""

from __future__ import annotations

import re

import streamlit as st

from agents.settings import Settings
from graphs import MeetingError, Meetings
from scenarios import Scenario
from ui.export import escape_md
from ui.web.doctor_panel import render_doctor
from ui.web.room import render_room
from ui.web.services import DIFFICULTY_BADGE, ROLE_AVATAR, get_meetings
from ui.web.workshop_common import get_workshops

LAST_SESSION = "meeting_last_session"  # (id, title): offered again after visiting another page
NOT_FOUND = (
    "No meeting was found for this link. Check that it was copied whole, or start a new meeting. "
    "If you joined a workshop, open the link you were given when you joined."
)
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9_.:\-]{1,128}")  # session and checkpoint ids as the app makes them
POINT_NOT_FOUND = "That point of the meeting was not found; showing the latest instead."
ENGINE_HELP = {
    "offline": "Offline: the scenario's cards drive the room. No network, no key, deterministic.",
    "llm": "LLM: a model on an OpenAI-compatible endpoint plays each stakeholder (needs a key or base URL).",
}


def render() -> None:
    meetings = get_meetings()
    session_id = st.query_params.get("session")
    if session_id:
        _sidebar_for_meeting()
        if not openable(meetings, session_id):
            st.title("Meeting room", anchor=False)
            st.error(NOT_FOUND, icon="🔍")
            return
        at = st.query_params.get("at")
        if at and not (_PLAUSIBLE_ID.fullmatch(at) and meetings.exists(session_id, at=at)):
            st.warning(POINT_NOT_FOUND, icon="🔍")
            del st.query_params["at"]
        view = render_room(meetings, session_id, key_prefix="", url_state=True)
        if view is not None:
            st.session_state[LAST_SESSION] = (session_id, view.title)
    else:
        _picker(meetings)


def openable(meetings: Meetings, session_id: str) -> bool:
    """Whether this page may open ``session_id``: a stored meeting that is no workshop participant's."""
    if not _PLAUSIBLE_ID.fullmatch(session_id):
        return False  # not one of ours: no need to ask the store about it
    return meetings.exists(session_id) and get_workshops().owner(session_id) is None


def _sidebar_for_meeting() -> None:
    with st.sidebar:
        if st.button("New meeting", key="new_meeting", icon="➕", width="stretch"):
            st.query_params.clear()
            st.rerun()
        st.caption("Bookmark this page to come back to the meeting; it is saved after every turn.")


def _picker(meetings: Meetings) -> None:
    st.title("Meeting room", anchor=False)
    st.write(
        "Lead a meeting with the Engineering, Design and Business leads. Ask what you need to know, "
        "propose a direction, weigh the trade-offs, and bring the room to a decision. The facilitator "
        "scores how you led when you wrap up."
    )
    last = st.session_state.get(LAST_SESSION)
    if last and st.button(f"Back to your meeting: {escape_md(last[1])}", key="resume_last", icon="↩️"):
        st.query_params["session"] = last[0]
        st.rerun()
    if not meetings.scenarios:
        st.warning("The scenario library is empty. Add one on the Scenarios page.")
        return
    ids = sorted(meetings.scenarios, key=lambda sid: (meetings.scenarios[sid].title.lower(), sid))
    default = ids.index("chat-system") if "chat-system" in ids else 0
    scenario_id = st.radio(
        "Scenario",
        ids,
        index=default,
        format_func=lambda sid: f"{escape_md(meetings.scenarios[sid].title)} · {meetings.scenarios[sid].difficulty}",
        key="scenario_pick",
    )
    scenario = meetings.scenarios[scenario_id]
    _scenario_card(scenario)

    settings = meetings.settings
    engines = ["offline", "llm"]
    engine = st.segmented_control(
        "Engine",
        engines,
        default=settings.resolved_engine(),
        required=True,
        key="engine_pick",
        format_func=lambda e: {"offline": "Offline", "llm": "LLM"}[e],
    )
    st.caption(ENGINE_HELP[engine or "offline"])
    if engine == "llm":
        _llm_note(settings)
    coaching = st.toggle(
        "Coaching: the facilitator may whisper hints during the meeting",
        value=settings.coaching,
        key="coaching_pick",
    )
    if st.button("Start meeting", key="start_meeting", type="primary", icon="▶️"):
        try:
            view = meetings.start(scenario_id, engine=engine, coaching=coaching)
        except MeetingError as exc:
            st.error(escape_md(str(exc)))
            return
        st.query_params["session"] = view.session_id
        st.rerun()
    _resume_box(meetings)


def _scenario_card(scenario: Scenario) -> None:
    with st.container(border=True, key="scenario_card"):
        st.subheader(escape_md(scenario.title), anchor=False)
        st.caption(
            f"{DIFFICULTY_BADGE.get(scenario.difficulty, scenario.difficulty)} · "
            f"up to {scenario.round_limit} turns · id {escape_md(scenario.id)}"
        )
        st.markdown("**Your brief**")
        st.text(scenario.brief, width="stretch")
        st.markdown("**In the room**")
        for s in scenario.stakeholders:
            st.markdown(f"{ROLE_AVATAR.get(s.role, '👤')} {escape_md(s.name)}, {escape_md(s.title)}")


def _llm_note(settings: Settings) -> None:
    if not (settings.openai_api_key or settings.openai_base_url):
        st.warning(
            "No API key or base URL is set, so the LLM engine will likely fail to reach a model. "
            "Set OPENAI_API_KEY and/or OPENAI_BASE_URL where the app runs, or choose Offline."
        )
    else:
        st.caption(f"Model {escape_md(settings.model)} at {escape_md(settings.endpoint())}.")
        render_doctor(settings)


def _resume_box(meetings: Meetings) -> None:
    with st.expander("Resume a meeting by its session id", icon="🔗"):
        sid = st.text_input("Session id", key="resume_id", max_chars=64).strip()
        if st.button("Resume", key="resume_go") and sid:
            if not openable(meetings, sid):
                st.error(NOT_FOUND, icon="🔍")
                return
            st.query_params["session"] = sid
            st.rerun()
