"""The facilitator's dashboard: create workshops, watch participants live, open and compare sessions, export.

Behind a passcode that whoever runs the server sets (``ROUNDTABLE_FACILITATOR_PASSCODE``,
``roundtable passcode set``, or the one ``roundtable web`` prints); a visitor can never choose it.
Wrong guesses are rate limited (``graphs.passcode``). Only a flag that the passcode was given lives
in ``st.session_state``; the passcode itself is never kept or shown.
Participant names and everything they typed are shown as plain text or escaped Markdown.
"""

from __future__ import annotations

import time
from datetime import datetime

import streamlit as st

from agents.settings import Settings
from graphs.workshops import Workshop, WorkshopError, Workshops
from ui.export import escape_md
from ui.web.services import get_meetings
from ui.web.workshop_common import get_passcode, get_workshops, join_link, results_frame, score_columns
from ui.web.workshop_views import render_compare, render_session

UNLOCKED = "ws_facilitator_unlocked"
REFRESH_SECONDS = 3
WRONG_PASSCODE_DELAY = 0.5  # seconds: slows guessing without bothering a person who mistyped


def render() -> None:
    st.title("Facilitator dashboard")
    if not st.session_state.get(UNLOCKED):
        _passcode_gate()
        return
    workshops = get_workshops()
    with st.sidebar:
        if st.button("Lock dashboard", key="ws_lock", icon="🔒"):
            st.session_state.pop(UNLOCKED, None)
            st.rerun()
    _create_form(workshops)
    listed = workshops.all()
    if not listed:
        st.info("No workshops yet. Create one above to get a join code for your participants.")
        return
    by_code = {w.code: w for w in listed}
    if st.session_state.get("ws_selected") not in by_code:
        st.session_state["ws_selected"] = listed[0].code
    code = st.selectbox("Workshop", list(by_code), key="ws_selected", format_func=lambda c: _workshop_label(by_code[c]))
    _workshop_header(workshops, by_code[code])
    _live_participants(code)
    _sessions(code)


def _passcode_gate() -> None:
    gate = get_passcode()
    if not gate.configured:
        st.warning(
            "No facilitator passcode is set on this server, so the dashboard stays locked. "
            "Whoever runs the server sets one, in a terminal where the app runs:",
            icon="🔒",
        )
        st.code("roundtable passcode set", language=None)
        st.caption(
            "Or set ROUNDTABLE_FACILITATOR_PASSCODE in the app's environment. "
            "Starting the app with `roundtable web` (or `make run`) also generates one and prints it once. "
            "Then reload this page."
        )
        return
    with st.form("ws_unlock", enter_to_submit=True):
        passcode = st.text_input("Passcode", type="password", key="ws_passcode")
        unlock = st.form_submit_button("Unlock", type="primary")
    if unlock:
        attempt = gate.attempt(passcode)
        if attempt.ok:
            st.session_state[UNLOCKED] = True
            st.rerun()
        time.sleep(WRONG_PASSCODE_DELAY)
        st.error(attempt.retry_message(time.time()))


def _create_form(workshops: Workshops) -> None:
    meetings = get_meetings()
    settings: Settings = meetings.settings
    scenarios = meetings.scenarios
    llm_ready = bool(settings.openai_api_key or settings.openai_base_url)
    with (
        st.expander("Create workshop", expanded=not workshops.all(), icon="➕"),
        st.form("ws_create", border=False, clear_on_submit=True),
    ):
        name = st.text_input("Workshop name", key="ws_new_name", placeholder="e.g. PM guild, 14 May")
        scenario_id = st.selectbox(
            "Scenario", sorted(scenarios), key="ws_new_scenario", format_func=lambda s: scenarios[s].title
        )
        round_limit = st.number_input(
            "Round limit",
            min_value=2,
            max_value=30,
            value=None,
            step=1,
            key="ws_new_rounds",
            placeholder="the scenario's own limit",
            help="How many turns each participant gets. Empty: the scenario's own limit.",
        )
        engine = st.selectbox(
            "Engine",
            ["offline", "llm"],
            index=0 if settings.resolved_engine() == "offline" else 1,
            key="ws_new_engine",
            format_func=lambda e: (
                "Offline (scenario cards, no API key)" if e == "offline" else f"LLM ({settings.model})"
            ),
        )
        coaching = st.toggle("Coaching hints", value=settings.coaching, key="ws_new_coaching")
        submitted = st.form_submit_button("Create workshop", type="primary")
    if not submitted:
        return
    if engine == "llm" and not llm_ready:
        st.error("The LLM engine needs OPENAI_API_KEY or OPENAI_BASE_URL on the server; choose Offline or set one.")
        return
    try:
        created = workshops.create(
            name, scenario_id, round_limit=int(round_limit) if round_limit else None, engine=engine, coaching=coaching
        )
    except WorkshopError as exc:
        st.error(escape_md(str(exc)))
        return
    st.session_state["ws_selected"] = created.code
    st.success(f"Workshop created. Join code: {created.code}", icon="✅")


def _workshop_label(w: Workshop) -> str:
    closed = " · closed" if w.closed else ""
    return f"{w.name} · {w.code} · {w.created_at.astimezone():%d %b %H:%M}{closed}"


def _workshop_header(workshops: Workshops, w: Workshop) -> None:
    scenario = get_meetings().scenarios.get(w.scenario_id)
    title = scenario.title if scenario else w.scenario_id
    code_col, link_col = st.columns([1, 3])
    code_col.metric("Join code", w.code)
    with link_col:
        st.caption("Participants open this link (or the Join page and type the code):")
        st.code(join_link(w.code), language=None)
    rounds = f"{w.round_limit} rounds" if w.round_limit else "the scenario's round limit"
    coaching = "coaching hints on" if w.coaching else "no coaching hints"
    st.caption(f"Scenario: {escape_md(title)} · {rounds} · {w.engine} engine · {coaching}")
    if w.closed:
        st.warning("Closed to new participants. Those who joined can still finish their meetings.", icon="🔒")
        if st.button("Reopen to new participants", key="ws_toggle_closed"):
            workshops.set_closed(w.code, False)
            st.rerun()
    elif st.button("Close to new participants", key="ws_toggle_closed", icon="🔒"):
        workshops.set_closed(w.code, True)
        st.rerun()


@st.fragment(run_every=REFRESH_SECONDS)
def _live_participants(code: str) -> None:
    """Refreshes on its own every few seconds: status, rounds and scores come fresh from each meeting."""
    workshops = get_workshops()
    workshop = workshops.workshop(code)
    results = workshops.results(code)
    st.subheader(f"Participants ({len(results)})", anchor=False)
    if not results:
        st.caption("Nobody has joined yet. Share the code or the link above.")
    else:
        st.dataframe(
            results_frame(results),
            hide_index=True,
            column_config=score_columns(),
            placeholder="–",
            key="ws_participants",
        )
    done = sum(r.status == "wrapped_up" for r in results)
    st.caption(
        f"{done} of {len(results)} wrapped up · updated {datetime.now():%H:%M:%S}, refreshes every {REFRESH_SECONDS} s"
    )
    st.download_button(
        "Export results (CSV)",
        data=workshops.results_csv(code),
        file_name=f"roundtable-{workshop.code}.csv",
        mime="text/csv",
        key="ws_export_csv",
        on_click="ignore",
        icon="⬇️",
        disabled=not results,
    )


@st.fragment(run_every=REFRESH_SECONDS)
def _sessions(code: str) -> None:
    """Open one participant's meeting, or two side by side; live like the table, so the two agree."""
    participants = get_workshops().participants(code)
    if not participants:
        return
    names = {p.session_id: p.name for p in participants}
    sessions = list(names)
    label = lambda s: f"{names[s]} · {s}"  # noqa: E731 - a tiny formatter used three times
    one, two = st.tabs(["Open a session", "Compare two sessions"])
    with one:
        chosen = st.selectbox("Session", sessions, key="ws_open_session", index=None, format_func=label)
        if chosen:
            render_session(get_meetings(), chosen, names[chosen], key_prefix="ws_open_")
    with two:
        if len(sessions) < 2:
            st.caption("Comparison needs two participants.")
            return
        left, right = st.columns(2)
        a = left.selectbox("Session A", sessions, key="ws_compare_a", index=0, format_func=label)
        b = right.selectbox("Session B", sessions, key="ws_compare_b", index=1, format_func=label)
        render_compare(get_meetings(), (a, names[a]), (b, names[b]))
