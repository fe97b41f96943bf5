"""What every page shares: the one ``Meetings`` per process, and calls into it that tolerate its version.

``Meetings`` is held in ``st.cache_resource`` keyed by a fingerprint of the settings, so a change
of environment (another data dir, engine or endpoint; tests use one per case) gets its own
instance instead of silently reusing the old one. Only ids live in ``st.session_state``."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

import streamlit as st
from pydantic import SecretStr

from agents.settings import Settings
from graphs import MeetingError, Meetings
from scenarios import Scenario

ROLE_AVATAR = {
    "facilitator": "🧭",
    "person": "🙋",
    "engineering": "🛠️",
    "design": "🎨",
    "business": "💼",
}
HINT_AVATAR = "💡"
ROLE_LABEL = {"engineering": "Engineering", "design": "Design", "business": "Business"}
STATUS_BADGE = {"open": "🟡 open", "resolved": "🟢 resolved", "escalated": "🔴 escalated"}
DIFFICULTY_BADGE = {"easy": "🟢 easy", "medium": "🟠 medium", "hard": "🔴 hard"}
# set by the Facilitator dashboard once this browser session has given the facilitator passcode
FACILITATOR_UNLOCKED = "ws_facilitator_unlocked"


def settings_fingerprint(settings: Settings) -> str:
    """A hash of every setting (secrets included, never shown) to key the cached ``Meetings``."""
    parts = []
    for name in sorted(type(settings).model_fields):
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        parts.append(f"{name}={value!r}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


@st.cache_resource(show_spinner="Opening the meeting room…")
def _meetings_for(fingerprint: str, _settings: Settings) -> Meetings:
    meetings = Meetings(_settings)
    meetings.engines.warm_up()  # the embedding model loads now, not on somebody's first turn
    return meetings


def get_meetings() -> Meetings:
    """The process's ``Meetings`` for the current settings (environment and ``.env``)."""
    settings = Settings()
    return _meetings_for(settings_fingerprint(settings), settings)


@st.cache_resource
def _answering() -> set[str]:
    """Sessions whose replies a script run of this server is writing right now."""
    return set()


@contextmanager
def answering(session_id: str):
    """Mark ``session_id`` as being answered for the duration of the block (even if the run is stopped)."""
    sessions = _answering()
    sessions.add(session_id)
    try:
        yield
    finally:
        sessions.discard(session_id)


def is_answering(session_id: str) -> bool:
    return session_id in _answering()


def usage_line(usage: dict[str, int], cost_usd: float | None) -> str:
    """'3,458 tokens · est. $0.0012' as Markdown (the dollar sign escaped); '' when nothing was used."""
    tokens = usage.get("input_tokens", 0) + usage.get("output_tokens", 0)
    if not tokens and cost_usd is None:
        return ""
    # servers that send no counts while streaming get an estimate (~4 characters a token)
    line = f"{'~' if usage.get('estimated_calls') else ''}{tokens:,} tokens"
    if cost_usd is not None:
        if cost_usd == 0:
            line += " · no cost (local model)"
        elif cost_usd < 0.0001:
            line += " · est. < \\$0.0001"
        else:
            line += f" · est. \\${cost_usd:.4f}"
    return line


def facilitator_unlocked() -> bool:
    """Whether this browser session has given the facilitator passcode (on the dashboard)."""
    return bool(st.session_state.get(FACILITATOR_UNLOCKED))


def scenario_of(meetings: Meetings, scenario_id: str, version: str | None = None) -> Scenario | None:
    """The scenario a meeting uses: with its recorded ``version``, exactly the one it started with."""
    if version is not None and hasattr(meetings, "scenario_version"):
        try:
            return meetings.scenario(scenario_id, version)
        except MeetingError:
            return None  # a meeting whose scenario is gone still renders, without names
    return meetings.scenarios.get(scenario_id)


def speaker_titles(scenario: Scenario | None) -> dict[str, str]:
    """Role -> 'Name, Title' for the people in the room."""
    if scenario is None:
        return {}
    return {s.role: f"{s.name}, {s.title}" for s in scenario.stakeholders}
