"""The scenario library: browse what can be practised, and add a scenario by upload or paste.

Browsing shows what a candidate may know before the meeting (title, difficulty, brief, who is in
the room), never a stakeholder's facts or concerns. An uploaded or pasted scenario is validated
with the same loader as the CLI, so errors name the file, the field and the line. Uploaded text
is shown only as code or plain text, never as Markdown or HTML.

Anyone may validate a file; adding one to the library, or deleting an upload, needs the
facilitator's passcode (given on the Facilitator dashboard, for this browser session): the
library is shared by everyone on the server, workshops included.
"""

from __future__ import annotations

import streamlit as st

from graphs import MeetingError, Meetings
from scenarios import Scenario, ScenarioError, parse_scenario
from scenarios.loader import MAX_SCENARIO_BYTES
from ui.export import escape_md
from ui.web.services import DIFFICULTY_BADGE, ROLE_AVATAR, facilitator_unlocked, get_meetings

PENDING_KEY = "scenario_candidate"  # (source name, yaml text) of the last scenario that validated


def render() -> None:
    meetings = get_meetings()
    st.title("Scenarios", anchor=False)
    library, add = st.tabs(["Library", "Add a scenario"])
    with library:
        _library(meetings)
    with add:
        _add(meetings)


def _library(meetings: Meetings) -> None:
    shown = {sid: s for sid in meetings.scenarios if (s := meetings.scenarios.get(sid)) is not None}
    st.caption(f"{len(shown)} scenarios. Start one from the Meeting room page.")
    can_delete = facilitator_unlocked() and hasattr(meetings, "delete_scenario")
    is_upload = getattr(meetings.scenarios, "is_upload", lambda _sid: False)
    for sid in sorted(shown, key=lambda s: shown[s].title.lower()):
        s = shown[sid]
        with st.container(border=True, key=f"library_{sid}"):
            st.subheader(escape_md(s.title), anchor=False)
            st.caption(
                f"{DIFFICULTY_BADGE.get(s.difficulty, s.difficulty)} · up to {s.round_limit} turns · id {escape_md(sid)}"
                + (" · uploaded" if is_upload(sid) else "")
            )
            st.text(s.brief, width="stretch")
            st.caption(" · ".join(f"{ROLE_AVATAR.get(p.role, '👤')} {escape_md(p.name)}" for p in s.stakeholders))
            if can_delete and is_upload(sid):
                _delete_button(meetings, sid)


def _delete_button(meetings: Meetings, scenario_id: str) -> None:
    if not st.button("Delete", key=f"delete_{scenario_id}", icon="🗑️", help="Remove this upload from the library"):
        return
    try:
        meetings.delete_scenario(scenario_id)
    except MeetingError as exc:
        st.error(escape_md(str(exc)))
        return
    st.toast(f"Deleted {escape_md(scenario_id)}. Meetings already started with it carry on.")
    st.rerun()


def _add(meetings: Meetings) -> None:
    st.write(
        "Upload a scenario YAML file or paste one below. It is checked against the scenario format; "
        "once it is valid you can add it to the library and use it in a meeting or a workshop."
    )
    upload = st.file_uploader(
        f"Scenario file (.yaml, at most {MAX_SCENARIO_BYTES // 1024} KB)",
        type=["yaml", "yml"],
        key="scenario_upload",
        max_upload_size=1,
    )
    pasted = st.text_area(
        "…or paste YAML", key="scenario_yaml", height=220, max_chars=MAX_SCENARIO_BYTES, placeholder="id: my-scenario"
    )
    if st.button("Validate", key="validate_scenario", type="primary"):
        source, text = _read_input(upload, pasted)
        if text is not None:
            _validate(source, text)
    candidate = st.session_state.get(PENDING_KEY)
    if candidate:
        _offer(meetings, *candidate)


def _read_input(upload, pasted: str) -> tuple[str, str | None]:
    st.session_state.pop(PENDING_KEY, None)
    if upload is not None:
        data = upload.getvalue()
        if len(data) > MAX_SCENARIO_BYTES:
            st.error(
                f"{escape_md(upload.name)}: file is {len(data):,} bytes; a scenario may be at most {MAX_SCENARIO_BYTES:,}."
            )
            return upload.name, None
        try:
            return upload.name, data.decode("utf-8")
        except UnicodeDecodeError:
            st.error(f"{escape_md(upload.name)}: file is not UTF-8 text.")
            return upload.name, None
    if pasted.strip():
        return "pasted scenario", pasted
    st.warning("Choose a file or paste a scenario first.")
    return "", None


def _validate(source: str, text: str) -> None:
    try:
        scenario = parse_scenario(text, source)
    except ScenarioError as exc:
        if len(exc.issues) == 1:  # one line naming the file, as the CLI prints it
            st.error(escape_md(exc.one_line()))
        else:
            st.error(f"{escape_md(exc.source)}: this scenario cannot be used: {len(exc.issues)} problems found.")
        st.dataframe(
            [
                {"file": exc.source, "line": issue.line, "field": issue.field or "(file)", "problem": issue.message}
                for issue in exc.issues
            ],
            hide_index=True,
            width="stretch",
            key="scenario_issues",
        )
        st.code(str(exc), language=None)
        return
    st.session_state[PENDING_KEY] = (source, text)
    _summary(scenario)


def _summary(scenario: Scenario) -> None:
    st.success(f"Valid: {escape_md(scenario.title)} ({escape_md(scenario.id)}).")
    facts = sum(len(s.facts) for s in scenario.stakeholders)
    concerns = sum(len(s.concerns) for s in scenario.stakeholders)
    st.caption(
        f"{scenario.difficulty} · up to {scenario.round_limit} turns · {facts} facts and {concerns} concerns "
        "across three stakeholders"
    )


def _offer(meetings: Meetings, source: str, text: str) -> None:
    try:
        scenario = parse_scenario(text, source)
    except ScenarioError:
        st.session_state.pop(PENDING_KEY, None)
        return
    if scenario.id in meetings.scenarios:
        st.warning(
            f"The library already has a scenario with id {escape_md(scenario.id)}. Change the id to add this one."
        )
        return
    if not hasattr(meetings, "add_scenario"):
        st.info("Adding scenarios to the library from the browser is coming soon; for now this only validates.")
        st.button("Add to library", key="add_scenario", disabled=True)
        return
    if not facilitator_unlocked():
        st.info(
            "Adding a scenario to the library needs the facilitator passcode: unlock the Facilitator dashboard "
            "in this browser, then come back. (Validating needs nothing.)",
            icon="🔒",
        )
        st.button("Add to library", key="add_scenario", disabled=True)
        return
    if st.button("Add to library", key="add_scenario", icon="📥"):
        try:
            meetings.add_scenario(scenario, text)
        except (MeetingError, ScenarioError, ValueError, OSError) as exc:
            st.error(f"Could not add the scenario: {escape_md(str(exc))}")
            return
        st.session_state.pop(PENDING_KEY, None)
        st.success(f"Added {escape_md(scenario.title)}. It is in the library for meetings and workshops.")
