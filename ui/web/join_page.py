"""Join a workshop: type the code and your name, then hold your own meeting.

``/join?code=ABC234`` fills in the code; after joining the URL becomes
``/join?code=ABC234&session=<id>`` so a refresh (or the link, kept) brings the participant back to
their meeting. This page shows only the session in the URL or the one this browser joined with;
it never lists other participants. Names are escaped wherever Markdown is rendered.
"""

from __future__ import annotations

import streamlit as st

from graphs.workshops import NAME_MAX, Participant, Workshop, WorkshopError, normalise_code
from ui.export import escape_md
from ui.web.room import render_room
from ui.web.services import get_meetings
from ui.web.workshop_common import get_workshops, join_link

JOINED = "ws_joined"  # session_state: {workshop code: session id} joined from this browser


def _joined() -> dict[str, str]:
    return st.session_state.setdefault(JOINED, {})


def render() -> None:
    workshops = get_workshops()
    code = normalise_code(st.query_params.get("code", ""))
    session_id = st.query_params.get("session") or _joined().get(code)
    workshop = _find(code)
    if workshop and session_id:
        participant = workshops.participant(workshop.code, session_id)
        if participant is not None:
            _remember(participant)
            _meeting(workshop, participant)
            return
        st.error(
            "This link does not match anyone in this workshop. Join below with your name "
            "(if you joined before, use the link you were given then).",
            icon="🔗",
        )
        _joined().pop(workshop.code, None)
        st.query_params.pop("session", None)
    _join_form(code, workshop)


def _find(code: str) -> Workshop | None:
    if not code:
        return None
    try:
        return get_workshops().workshop(code)
    except WorkshopError as exc:
        st.title("Join a workshop", anchor=False)
        st.error(escape_md(str(exc)), icon="❓")
        return None


def _join_form(code: str, workshop: Workshop | None) -> None:
    if "ws_join_code" not in st.session_state:
        st.session_state["ws_join_code"] = code
    if workshop is None and not code:
        st.title("Join a workshop", anchor=False)
    if workshop is not None:
        st.title(f"Join {escape_md(workshop.name)}", anchor=False)
        scenario = get_meetings().scenarios.get(workshop.scenario_id)
        if scenario is not None:
            st.caption(f"Scenario: {escape_md(scenario.title)}")
        if workshop.closed:
            st.warning("This workshop is closed to new participants. Ask your facilitator.", icon="🔒")
    st.write(
        "You will lead your own meeting with the Engineering, Design and Business leads. "
        "Your facilitator sees your name, your progress and your scorecard."
    )
    with st.form("ws_join", enter_to_submit=True):
        typed_code = st.text_input("Join code", key="ws_join_code", max_chars=12, placeholder="e.g. K7M2QX")
        name = st.text_input(
            "Your name", key="ws_join_name", max_chars=NAME_MAX, placeholder="as your facilitator knows you"
        )
        submitted = st.form_submit_button("Join", type="primary")
    if not submitted:
        return
    typed = normalise_code(typed_code)
    try:
        participant = get_workshops().join(typed, name, resume_session_id=_joined().get(typed))
    except WorkshopError as exc:
        st.error(escape_md(str(exc)))
        return
    _remember(participant)
    st.query_params.from_dict({"code": participant.workshop_code, "session": participant.session_id})
    st.rerun()


def _remember(participant: Participant) -> None:
    _joined()[participant.workshop_code] = participant.session_id
    if st.query_params.get("session") != participant.session_id:
        st.query_params.from_dict({"code": participant.workshop_code, "session": participant.session_id})


def _meeting(workshop: Workshop, participant: Participant) -> None:
    with st.sidebar:
        st.markdown(f"**{escape_md(workshop.name)}**")
        st.caption(f"You joined as {escape_md(participant.name)}.")
        st.caption("Keep this link to come back to your meeting (it is saved after every turn):")
        st.code(join_link(workshop.code, participant.session_id), language=None, wrap_lines=True)
        if st.button("Not you? Join under another name", key="ws_leave"):
            _joined().pop(workshop.code, None)
            st.query_params.from_dict({"code": workshop.code})
            st.session_state.pop("ws_join_name", None)
            st.rerun()
    render_room(get_meetings(), participant.session_id, key_prefix="ws_room_")
