"""The side board: read the room. Raised concerns and where they stand, facts learned, the round.

Only what the person has heard is shown: a concern appears once its stakeholder raised it, a fact
once someone shared it. Every scenario-derived string is escaped (uploaded scenarios are
untrusted text) or written with ``st.text``.
"""

from __future__ import annotations

import streamlit as st

from graphs import MeetingView
from scenarios import Scenario
from ui.export import escape_md
from ui.web.services import ROLE_AVATAR, ROLE_LABEL, STATUS_BADGE, usage_line


def render_board(view: MeetingView, scenario: Scenario | None, *, key_prefix: str = "") -> None:
    """The room at a glance, for the side column of the meeting."""
    st.subheader("Board", anchor=False)
    done = view.phase == "done"
    shown_round = min(view.round, view.round_limit) if view.round_limit else view.round
    st.progress(
        shown_round / view.round_limit if view.round_limit else 0.0,
        text=f"Round {view.round} of {view.round_limit}",
    )
    usage = usage_line(view.usage, view.cost_usd)
    if usage:
        st.caption(f"Model use: {usage}")
    if scenario is None:
        st.caption("This meeting's scenario is not in the library any more; showing ids.")
    roles = [s.role for s in scenario.stakeholders] if scenario else sorted({c["role"] for c in view.board.values()})
    facts_by_role = _facts_by_role(view, scenario)
    for role in roles:
        with st.container(border=True, key=f"{key_prefix}board_{role}"):
            who = ROLE_LABEL.get(role, role)
            if scenario:
                s = scenario.stakeholder(role)
                who = f"{s.name} · {ROLE_LABEL.get(role, role)}"
            st.markdown(f"{ROLE_AVATAR.get(role, '👤')} **{escape_md(who)}**")
            raised = [(cid, c) for cid, c in view.board.items() if c["role"] == role and c["status"] != "unraised"]
            if not raised:
                st.caption("No concerns raised yet.")
            for cid, c in raised:
                st.markdown(
                    f"{STATUS_BADGE.get(c['status'], escape_md(c['status']))} — {escape_md(_challenge(scenario, cid))}"
                )
            facts = facts_by_role.get(role, [])
            if facts:
                st.markdown(f"**Facts learned ({len(facts)})**")
                for text in facts:
                    st.caption(f"• {escape_md(text)}")
    if done:
        st.caption("The meeting is over; the scorecard lists every concern, raised or not.")


def _challenge(scenario: Scenario | None, concern_id: str) -> str:
    if scenario is None:
        return concern_id
    try:
        return scenario.concern(concern_id)[1].challenge
    except KeyError:
        return concern_id


def _facts_by_role(view: MeetingView, scenario: Scenario | None) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for fid in view.revealed:
        if scenario is None:
            found.setdefault("", []).append(fid)
            continue
        try:
            holder, fact = scenario.fact(fid)
        except KeyError:
            continue
        found.setdefault(holder.role, []).append(fact.text)
    return found
