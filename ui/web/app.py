"""Roundtable in the browser: ``streamlit run ui/web/app.py`` (README's main command does this).

Each page is a module with a ``render()`` function; this file only wires up navigation.
"""

from __future__ import annotations

import streamlit as st

from ui.web import dashboard_page, join_page, meeting_page, scenarios_page

st.set_page_config(page_title="Roundtable", page_icon="🪑", layout="wide")

navigation = st.navigation(
    {
        "Practice": [
            st.Page(meeting_page.render, title="Meeting room", icon="💬", url_path="meeting", default=True),
            st.Page(scenarios_page.render, title="Scenarios", icon="📚", url_path="scenarios"),
        ],
        "Workshop": [
            st.Page(join_page.render, title="Join a workshop", icon="🎟️", url_path="join"),
            st.Page(dashboard_page.render, title="Facilitator dashboard", icon="📋", url_path="dashboard"),
        ],
    }
)
navigation.run()
