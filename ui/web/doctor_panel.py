"""The model check in the meeting room's settings: ``roundtable doctor`` in the browser.

One button probes the configured endpoint (reachable, key, model, which structured-output
methods work, latency) and shows the settings to use; a problem is one line, as in a meeting.
"""

from __future__ import annotations

import streamlit as st

from agents.providers.doctor import NAMES, DoctorReport, diagnose
from agents.settings import Settings
from ui.export import escape_md

MARK = {True: "✅", False: "❌", None: "➖"}


def render_doctor(settings: Settings, *, key: str = "doctor") -> None:
    """An expander with a button that runs the check; the last result stays on screen."""
    with st.expander("Check the model connection", icon="🩺"):
        st.caption("Probes the endpoint with a few small calls (a second or two on most servers).")
        if st.button("Run the check", key=f"{key}_run"):
            with st.spinner("Checking the model endpoint…"):
                st.session_state[f"{key}_report"] = diagnose(settings).model_dump()
        data = st.session_state.get(f"{key}_report")
        if data:
            _show(DoctorReport.model_validate(data))


def _show(found: DoctorReport) -> None:
    st.markdown(
        f"**{escape_md(found.url)}** · model {escape_md(found.model)} · {NAMES.get(found.provider, found.provider)}"
    )
    for check in found.checks:
        latency = f" · {check.ms:.0f} ms" if check.ms is not None else ""
        st.markdown(f"{MARK[check.ok]} **{escape_md(check.name)}**: {escape_md(check.detail)}{latency}")
    if found.problem:
        st.error(escape_md(found.problem))
    elif found.recommended:
        st.success("This endpoint can hold a meeting. The settings to use:")
        st.code("\n".join(f"{k}={v}" for k, v in found.recommended.items()), language="bash")
