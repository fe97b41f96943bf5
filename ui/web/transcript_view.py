"""The meeting's transcript as chat messages, and the live view of replies while they are written.

Every turn's text is written with ``st.text`` (no Markdown, no HTML): turns hold what the person
typed, and stakeholder replies may quote it. Each of the person's turns carries an HTML anchor
(``turn-3``) so scorecard evidence can link to it.
"""

from __future__ import annotations

import streamlit as st

from agents.providers.replies import clean_text
from agents.transcript import Turn
from scenarios import Scenario
from ui.export import escape_md
from ui.web.scorecard_view import turn_anchor
from ui.web.services import HINT_AVATAR, ROLE_AVATAR, ROLE_LABEL

INTENT_LABEL = {
    "answer": "answers",
    "challenge": "raises a concern",
    "pushback": "pushes back",
    "acknowledge": "is satisfied",
    "open": "opens the meeting",
    "close": "closes the meeting",
}


def speaker_line(turn: Turn, scenario: Scenario | None) -> str:
    """'**Priya Raman** · Director of Engineering · raises a concern', escaped."""
    if turn.role in ROLE_LABEL and scenario is not None:
        s = scenario.stakeholder(turn.role)
        who = f"**{escape_md(s.name)}** · {escape_md(s.title)} ({ROLE_LABEL[turn.role]})"
    else:
        who = f"**{escape_md(turn.speaker)}**"
    intent = INTENT_LABEL.get(turn.intent)
    return f"{who} · {intent}" if intent else who


def render_transcript(transcript: list[Turn], scenario: Scenario | None, *, key_prefix: str = "") -> None:
    person_turn = 0
    for turn in transcript:
        if turn.role == "person":
            person_turn += 1
            with st.chat_message("user", avatar=ROLE_AVATAR["person"]):
                # our own constant markup: an empty anchor for evidence links to land on
                st.markdown(f'<div id="{turn_anchor(key_prefix, person_turn)}"></div>', unsafe_allow_html=True)
                st.caption(f"You · turn {person_turn}")
                st.text(turn.text, width="stretch")
        elif turn.intent == "hint":
            with st.chat_message("hint", avatar=HINT_AVATAR):
                st.caption("Facilitator · coaching hint (only you see this)")
                st.info(escape_md(turn.text), icon=HINT_AVATAR)
        else:
            with st.chat_message(turn.role, avatar=ROLE_AVATAR.get(turn.role, "👤")):
                st.caption(speaker_line(turn, scenario))
                st.text(turn.text, width="stretch")


def render_compact(transcript: list[Turn]) -> None:
    """A narrow transcript for side-by-side comparison: speaker captions and plain text."""
    person_turn = 0
    for turn in transcript:
        if turn.role == "person":
            person_turn += 1
            st.caption(f"{ROLE_AVATAR['person']} You · turn {person_turn}")
        else:
            avatar = HINT_AVATAR if turn.intent == "hint" else ROLE_AVATAR.get(turn.role, "👤")
            st.caption(f"{avatar} {escape_md(turn.speaker)}")
        st.text(turn.text, width="stretch")


class LiveReplies:
    """``on_event`` for ``Meetings.send``: shows who is thinking and streams replies as they are written.

    Events arrive in the script thread, so writing to Streamlit placeholders here is safe.
    """

    def __init__(self, container, status, scenario: Scenario | None):
        self.container = container
        self.status = status
        self.scenario = scenario
        self.slots: dict[str, object] = {}

    def name(self, role: str, speaker: str | None = None) -> str:
        if self.scenario is not None and role in ROLE_LABEL:
            return self.scenario.stakeholder(role).name
        return speaker or ROLE_LABEL.get(role, role)

    def slot(self, role: str, speaker: str | None = None):
        if role not in self.slots:
            avatar = ROLE_AVATAR.get(role, "👤")
            with self.container, st.chat_message(role, avatar=avatar):
                st.caption(f"**{escape_md(self.name(role, speaker))}**")
                self.slots[role] = st.empty()
                self.slots[role].caption("thinking…")
        return self.slots[role]

    def __call__(self, event) -> None:
        kind = getattr(event, "kind", None)
        role = getattr(event, "role", None) or ""
        speaker = getattr(event, "speaker", None)
        if kind == "thinking":
            roles = list(getattr(event, "roles", None) or ([role] if role else []))
            names = [self.name(r) for r in roles]
            if names:
                # a status label is Markdown: names come from (possibly uploaded) scenarios
                who = " · ".join(escape_md(n) for n in names)
                self.status.update(label=f"{who} {'is' if len(names) == 1 else 'are'} thinking…")
            for r in roles:
                self.slot(r)
        elif kind in ("partial", "turn") and role:
            # a streamed piece can end between the two halves of an emoji: never hand Streamlit a lone one
            text = clean_text(getattr(event, "text", ""), partial=kind == "partial")
            self.slot(role, speaker).text(text, width="stretch")
            if kind == "turn":
                self.status.update(label=f"{escape_md(self.name(role, speaker))} replied")
