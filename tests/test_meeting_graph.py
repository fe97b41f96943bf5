"""The meeting graph and session API: end conditions, persistence, resumption."""

from __future__ import annotations

import pytest

from agents.settings import Settings
from graphs import MeetingError, Meetings


def test_opening_frames_the_meeting_with_the_brief(offline, library):
    view = offline.start("chat-system")
    opening = view.transcript[0]
    assert opening.role == "facilitator" and opening.intent == "open"
    assert library["chat-system"].brief in opening.text
    assert view.awaiting_person and view.round == 0


def test_round_limit_ends_the_meeting_and_scores_it(offline):
    view = offline.start("chat-system", round_limit=2)
    view = offline.send(view.session_id, "Who are the users?")
    assert view.phase == "meeting"
    view = offline.send(view.session_id, "How many of them?")
    assert view.phase == "done" and view.end_reason == "round_limit"
    assert view.scorecard is not None
    assert view.transcript[-1].intent == "close"


def test_wrap_up_scores_and_a_finished_meeting_takes_no_more_turns(offline):
    view = offline.start("chat-system")
    view = offline.send(view.session_id, "Who are the users?")
    view = offline.finish(view.session_id)
    assert view.end_reason == "wrap_up" and view.scorecard is not None
    with pytest.raises(MeetingError, match="over"):
        offline.send(view.session_id, "one more thing")
    assert offline.finish(view.session_id).scorecard == view.scorecard


def test_empty_turn_is_refused(offline):
    view = offline.start("chat-system")
    with pytest.raises(MeetingError, match="empty"):
        offline.send(view.session_id, "   ")


def test_unknown_scenario_lists_known_ones(offline):
    with pytest.raises(MeetingError, match="chat-system"):
        offline.start("no-such-scenario")


def test_session_survives_the_process_with_the_sqlite_checkpointer(library, tmp_path):
    settings = Settings(engine="offline", data_dir=tmp_path / "data")
    first = Meetings(settings, scenarios=library)
    view = first.start("chat-system")
    first.send(view.session_id, "Who are the users and how many do we expect?")
    first.checkpointer.conn.close()

    second = Meetings(settings, scenarios=library)  # a new process, the same file
    resumed = second.view(view.session_id)
    assert resumed.round == 1 and resumed.awaiting_person
    resumed = second.send(view.session_id, "What is the budget?")
    assert [t.text for t in resumed.transcript if t.role == "person"] == [
        "Who are the users and how many do we expect?",
        "What is the budget?",
    ]
    assert settings.checkpoint_path.exists()


def test_when_every_concern_is_settled_the_person_closes_and_the_meeting_ends(offline, library):
    view = offline.start("chat-system")
    board = {cid: {**c, "status": "resolved"} for cid, c in view.board.items()}
    offline.graph.update_state({"configurable": {"thread_id": view.session_id}}, {"board": board}, as_node="open")
    view = offline.send(view.session_id, "Thanks everyone, anything else?")
    assert view.phase == "meeting" and view.awaiting_person
    assert view.transcript[-1].role == "facilitator" and view.transcript[-1].intent == "hint"
    view = offline.send(view.session_id, "Decision: we build the pilot; Priya owns the gateway, next steps on Friday.")
    assert view.phase == "done" and view.end_reason == "settled"
    last_round = [t.role for t in view.transcript if t.round == view.round]
    assert last_round == ["person"]  # the closing word gets no replies; the facilitator closes next
    assert "Decision: we build the pilot" in view.transcript[-2].text
