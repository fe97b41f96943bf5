"""How a meeting flows: typed state, the LangGraph meeting graph, the session API, and batch evaluation."""

from graphs.evaluation import EvalJob, EvalReport, ScriptResult, discover, eval_meetings, run_evaluation
from graphs.history import Branch, RewindPoint
from graphs.session import MeetingError, MeetingEvent, Meetings, MeetingView

__all__ = [
    "Branch",
    "EvalJob",
    "EvalReport",
    "MeetingError",
    "MeetingEvent",
    "MeetingView",
    "Meetings",
    "RewindPoint",
    "ScriptResult",
    "discover",
    "eval_meetings",
    "run_evaluation",
]
