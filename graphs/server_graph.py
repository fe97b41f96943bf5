"""The meeting graph for LangGraph Server (``langgraph.json``), compiled without a checkpointer.

LangGraph Server brings its own persistence, threads and streaming, so this is the bare graph
``Meetings`` drives, with the built-in library (and ``ROUNDTABLE_SCENARIOS_DIR``) as its scenarios
and the engines ``ROUNDTABLE_*`` settings choose. Through the server's API a meeting is: create a
thread, run it with ``{"scenario_id": "chat-system", "engine": "offline"}`` as input (it stops at
the person's first turn), then resume it with ``{"text": "..."}`` for each turn, or
``{"wrap_up": true}`` for the scorecard.
"""

from __future__ import annotations

from agents.engines import Engines
from agents.settings import Settings
from graphs.meeting import build_meeting_graph
from scenarios import Scenario
from scenarios.catalog import ScenarioCatalog


def make_graph():
    """The compiled meeting graph, without a checkpointer (the server's own is used)."""
    settings = Settings()
    catalog = ScenarioCatalog([settings.scenarios_dir] if settings.scenarios_dir else [])

    def scenario_of(scenario_id: str, version: str | None = None) -> Scenario:
        found = catalog.at_version(scenario_id, version) if version else catalog.get(scenario_id)
        if found is None:
            known = ", ".join(sorted(catalog))
            raise ValueError(f"unknown scenario '{scenario_id}'; known scenarios: {known}")
        return found

    return build_meeting_graph(Engines(settings), scenario_of, checkpointer=None)


graph = make_graph()
