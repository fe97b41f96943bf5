"""How a meeting flows: typed state, the LangGraph meeting graph, and the session API."""

from graphs.history import Branch, RewindPoint
from graphs.session import MeetingError, MeetingEvent, Meetings, MeetingView

__all__ = ["Branch", "MeetingError", "MeetingEvent", "MeetingView", "Meetings", "RewindPoint"]
