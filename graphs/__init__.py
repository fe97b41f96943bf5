"""How a meeting flows: typed state, the LangGraph meeting graph, and the session API."""

from graphs.session import MeetingError, Meetings, MeetingView

__all__ = ["MeetingError", "MeetingView", "Meetings"]
