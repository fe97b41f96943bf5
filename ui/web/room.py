"""The meeting room: one whole meeting, reusable from any page.

``render_room(meetings, session_id)`` draws the transcript, the person's input, the board, wrap
up and the scorecard, downloads, rewind and branch comparison. Everything is rendered from
``Meetings.view``; the only UI state kept is which point of the session is being viewed (``at``)
and the last error's text. Widget keys and HTML anchors carry ``key_prefix`` so several rooms (or a
room inside a workshop page) never clash. Only the meeting page (``url_state=True``) keeps ``at``
in the URL; elsewhere it lives in ``st.session_state`` under the prefix.
"""

from __future__ import annotations

import streamlit as st

from graphs import MeetingError, Meetings, MeetingView
from graphs.session import BUSY_MESSAGE, TurnInProgress
from ui.export import escape_md, to_json, to_markdown
from ui.web import branches_view
from ui.web.board_view import render_board
from ui.web.scorecard_view import render_scorecard
from ui.web.services import answering, is_answering, scenario_of, usage_line
from ui.web.transcript_view import LiveReplies, render_transcript

CHAT_PLACEHOLDER = "Your turn…"
MAX_TURN_CHARS = 4000


class RoomNav:
    """Which point of a session is on screen: ``None`` is the latest, else a checkpoint id."""

    def __init__(self, session_id: str, *, at: str | None, key_prefix: str, url_state: bool):
        self.url_state = url_state
        self.key = f"{key_prefix}at::{session_id}"
        if not url_state and self.key not in st.session_state:
            st.session_state[self.key] = at

    @property
    def at(self) -> str | None:
        if self.url_state:
            return st.query_params.get("at") or None
        return st.session_state.get(self.key)

    def go(self, checkpoint_id: str | None) -> None:
        if self.url_state:
            if checkpoint_id:
                st.query_params["at"] = checkpoint_id
            elif "at" in st.query_params:
                del st.query_params["at"]
        else:
            st.session_state[self.key] = checkpoint_id


def render_room(
    meetings: Meetings, session_id: str, *, at: str | None = None, key_prefix: str = "", url_state: bool = False
) -> MeetingView | None:
    """Render the meeting ``session_id``; returns its view (None if there is no such session).

    ``at`` is the point to open first (a checkpoint id; default the latest); after that the room
    keeps the viewed point itself as the person rewinds and sends. ``key_prefix`` namespaces widget
    keys, state and HTML anchors: give each room on a page its own. ``url_state`` keeps the viewed
    point in ``st.query_params["at"]`` instead (the meeting page, so a refresh returns to it); other
    pages leave it False so the room never touches their query parameters. Call it at page level
    or inside a container or column, not inside an expander (rewind and compare are expanders).
    """
    nav = RoomNav(session_id, at=at, key_prefix=key_prefix, url_state=url_state)
    error_key = f"{key_prefix}error::{session_id}"
    try:
        view = meetings.view(session_id, at=nav.at)
    except MeetingError as exc:
        if nav.at is None:
            st.error(escape_md(str(exc)))
            return None
        nav.go(None)  # a stale rewind point: show the latest instead
        view = meetings.view(session_id)
    scenario = scenario_of(meetings, view.scenario_id, view.scenario_version)
    _header(view, nav)

    main, side = st.columns([2.3, 1], gap="large")
    with side:
        render_board(view, scenario, key_prefix=key_prefix)
    with main:
        if view.phase == "done":
            _finished(view, key_prefix)
            st.subheader("Transcript", anchor=False)
        render_transcript(view.transcript, scenario, key_prefix=key_prefix)
        if view.phase != "done":
            live = st.container()
            _controls(meetings, view, nav, error_key, live, key_prefix)
        st.divider()
        branches_view.render_rewind(meetings, view, nav, key_prefix=key_prefix)
        branches_view.render_compare(meetings, view, nav, key_prefix=key_prefix)
        _downloads(view, scenario, key_prefix)
    return view


def _controls(meetings: Meetings, view: MeetingView, nav: RoomNav, error_key: str, live, key_prefix: str) -> None:
    """Below the transcript of a running meeting: the last error, retry, the input, wrap up."""
    pending = not view.awaiting_person
    _keep_typed(view, error_key, key_prefix)
    error = st.session_state.get(error_key)
    if pending and nav.at is None and is_answering(view.session_id):
        if error:
            st.error(escape_md(error))
        st.info("The room is still answering a turn sent from another tab; refresh in a moment.", icon="⏳")
        _unsent(meetings, view, nav, error_key, live, key_prefix)
        return
    if pending and not error and nav.at is None:
        # the run that was answering stopped before the replies (a refresh, a closed tab, a restart):
        # the turn is saved, so pick the replies up from the checkpoint
        _act(meetings, view, nav, error_key, live, "retry")
    if error:
        st.error(escape_md(error))
    _unsent(meetings, view, nav, error_key, live, key_prefix)
    if pending:
        if not error:
            st.warning("The replies to your last turn are still pending. Your turn is saved.")
        if st.button("Retry", key=f"{key_prefix}retry", type="primary", icon="🔁"):
            _act(meetings, view, nav, error_key, live, "retry")
    text = st.chat_input(
        CHAT_PLACEHOLDER if not pending else "Retry the replies first…",
        key=f"{key_prefix}chat_input",
        max_chars=MAX_TURN_CHARS,
        disabled=pending,
        submit_mode="disable",  # a second message must not interrupt the replies being written
    )
    if text:
        _send(meetings, view, nav, error_key, live, text)
    if st.button("Wrap up", key=f"{key_prefix}wrap_up", icon="🏁", help="End the meeting and get the scorecard"):
        _act(meetings, view, nav, error_key, live, "finish")


def _unsent(meetings: Meetings, view: MeetingView, nav: RoomNav, error_key: str, live, key_prefix: str) -> None:
    """A turn refused because another tab's turn was being answered: shown as typed, to send again."""
    key = _unsent_key(error_key)
    text = st.session_state.get(key)
    if not text:
        return
    with st.container(border=True, key=f"{key_prefix}unsent_box"):
        st.caption("Your turn was not sent. Here it is as you typed it:")
        st.text(text, width="stretch")
        again, drop = st.columns(2)
        if again.button(
            "Send it now",
            key=f"{key_prefix}unsent_send",
            type="primary",
            icon="📨",
            disabled=not view.awaiting_person,
            help=None if view.awaiting_person else "Once the replies to the other turn are in",
        ):
            st.session_state.pop(key, None)
            _send(meetings, view, nav, error_key, live, text)
        if drop.button("Discard it", key=f"{key_prefix}unsent_drop"):
            st.session_state.pop(key, None)
            st.rerun()


def _keep_typed(view: MeetingView, error_key: str, key_prefix: str) -> None:
    """A turn typed while the page still offered the input, arriving after another tab's turn started:
    the input is not drawn this run (replies are pending), so its text is kept to send again."""
    typed = st.session_state.get(f"{key_prefix}chat_input")
    if typed and not view.awaiting_person:
        st.session_state[_unsent_key(error_key)] = typed
        st.session_state[error_key] = BUSY_MESSAGE


def _unsent_key(error_key: str) -> str:
    return error_key.replace("error::", "unsent::", 1)


def _finished(view: MeetingView, key_prefix: str) -> None:
    """A finished meeting opens on its scorecard; evidence links jump down to the turns."""
    reason = {"round_limit": "the round limit was reached", "settled": "every concern was settled"}
    st.success(f"The meeting is over{': ' + reason[view.end_reason] if view.end_reason in reason else ''}.")
    if view.scorecard is not None:
        person_turns = sum(1 for t in view.transcript if t.role == "person")
        render_scorecard(view.scorecard, key_prefix=key_prefix, turn_count=person_turns)


def _header(view: MeetingView, nav: RoomNav) -> None:
    st.title(escape_md(view.title), anchor=False)
    bits = [f"Engine: {escape_md(view.engine_label)}"]
    if view.model and view.model not in view.engine_label:
        bits.append(f"model {escape_md(view.model)}")
    if view.coaching:
        bits.append("coaching on")
    bits.append(f"session {escape_md(view.session_id)}")
    usage = usage_line(view.usage, view.cost_usd)
    if usage:
        bits.append(usage)
    st.caption(" · ".join(bits))
    if nav.at is not None:
        st.info(
            "You are viewing an earlier point of this meeting. Type a different answer to start a new branch "
            "from here; the original stays in the session.",
            icon="⏪",
        )


def _send(meetings: Meetings, view: MeetingView, nav: RoomNav, error_key: str, live, text: str) -> None:
    scenario = scenario_of(meetings, view.scenario_id, view.scenario_version)
    with live:
        with st.chat_message("user", avatar="🙋"):
            st.caption("You")
            st.text(text, width="stretch")
        status = st.status("The room is listening…", expanded=False)
    replies = LiveReplies(live, status, scenario)
    try:
        with answering(view.session_id):
            meetings.send(view.session_id, text, at=nav.at, on_event=replies)
    except TurnInProgress as exc:  # another tab's turn is being answered: keep what was typed
        status.update(label="Not sent: another turn is being answered", state="error")
        st.session_state[error_key] = str(exc)
        st.session_state[_unsent_key(error_key)] = text
    except MeetingError as exc:
        status.update(label="The replies could not be completed", state="error")
        st.session_state[error_key] = str(exc)
    else:
        st.session_state.pop(error_key, None)
    nav.go(None)  # a turn sent from a rewind point starts a branch that becomes the latest
    st.rerun()


def _act(meetings: Meetings, view: MeetingView, nav: RoomNav, error_key: str, live, action: str) -> None:
    """Retry pending replies or wrap up, with a status while it runs."""
    label = "The facilitator is scoring the meeting…" if action == "finish" else "Retrying the replies…"
    with live:
        status = st.status(label, expanded=False)
    method = meetings.finish if action == "finish" else meetings.retry
    replies = LiveReplies(live, status, scenario_of(meetings, view.scenario_id, view.scenario_version))
    try:
        with answering(view.session_id):
            method(view.session_id, at=nav.at, on_event=replies)
    except MeetingError as exc:
        status.update(label="That did not work", state="error")
        st.session_state[error_key] = str(exc)
    else:
        st.session_state.pop(error_key, None)
    nav.go(None)
    st.rerun()


def _downloads(view: MeetingView, scenario, key_prefix: str) -> None:
    st.caption("Download this session (transcript, board and scorecard).")
    left, right = st.columns(2)
    left.download_button(
        "Download Markdown",
        to_markdown(view, scenario),
        file_name=f"roundtable-{view.session_id}.md",
        mime="text/markdown",
        key=f"{key_prefix}download_md",
        on_click="ignore",
        icon="📝",
    )
    right.download_button(
        "Download JSON",
        to_json(view),
        file_name=f"roundtable-{view.session_id}.json",
        mime="application/json",
        key=f"{key_prefix}download_json",
        on_click="ignore",
        icon="🧾",
    )
