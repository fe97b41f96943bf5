"""Rewind and branches through the session API, on LangGraph's checkpoint history (SQLite, as in the app)."""

from __future__ import annotations

import pytest

from agents.settings import Settings
from graphs import MeetingError, Meetings

TURNS = [
    "Marco, who are the people using this day to day, and what do they need from chat?",
    "We could build it on websockets with a message store behind it.",
    "Dana, what deadline are we working against?",
]


def _person(view) -> list[str]:
    return [t.text for t in view.transcript if t.role == "person"]


def _held(meetings: Meetings, turns=TURNS) -> str:
    view = meetings.start("chat-system")
    for text in turns:
        view = meetings.send(view.session_id, text)
    return view.session_id


def test_rewind_points_are_the_moments_before_each_of_the_persons_turns(meetings):
    sid = _held(meetings)
    points = meetings.rewind_points(sid)
    assert [(p.turn, p.text) for p in points] == list(enumerate(TURNS, start=1))
    before_second = meetings.view(sid, at=points[1].checkpoint_id)
    assert before_second.awaiting_person and before_second.round == 1
    assert _person(before_second) == TURNS[:1]


def test_answering_from_a_rewind_point_forks_and_keeps_the_old_branch(meetings):
    sid = _held(meetings)
    point = meetings.rewind_points(sid)[1]
    other = "Priya, how many people send messages on a busy day, and how fast is that growing?"
    forked = meetings.send(sid, other, at=point.checkpoint_id)

    assert _person(forked) == [TURNS[0], other]  # the new answer, not a replay of the old one
    assert _person(meetings.view(sid)) == [TURNS[0], other]  # the session resumes the new branch
    branches = meetings.branches(sid)
    assert [b.person_turns for b in branches] == [TURNS, [TURNS[0], other]]
    assert [b.latest for b in branches] == [False, True]
    old = meetings.view(sid, at=branches[0].checkpoint_id)
    assert _person(old) == TURNS and old.round == 3


def test_an_older_branch_can_be_continued_and_scored_on_its_own(meetings):
    sid = _held(meetings)
    meetings.send(sid, "Let me try that again.", at=meetings.rewind_points(sid)[2].checkpoint_id)
    old_tip = meetings.branches(sid)[0].checkpoint_id
    scored = meetings.finish(sid, at=old_tip)

    assert scored.phase == "done" and _person(scored) == TURNS
    phases = {tuple(b.person_turns): (b.phase, b.overall) for b in meetings.branches(sid)}
    assert phases[tuple(TURNS)][0] == "done" and phases[tuple(TURNS)][1] == scored.scorecard.overall
    assert phases[(*TURNS[:2], "Let me try that again.")] == ("meeting", None)


def test_branches_survive_a_restart(library, tmp_path):
    settings = Settings(engine="offline", data_dir=tmp_path / "data")
    first = Meetings(settings, scenarios=library)
    sid = _held(first)
    first.send(sid, "A different second turn.", at=first.rewind_points(sid)[1].checkpoint_id)

    again = Meetings(settings, scenarios=library)
    assert len(again.branches(sid)) == 2
    assert _person(again.view(sid)) == [TURNS[0], "A different second turn."]


def test_an_unknown_rewind_point_is_a_clear_error(meetings):
    sid = _held(meetings, TURNS[:1])
    with pytest.raises(MeetingError, match=r"no session .* at checkpoint 'nope'"):
        meetings.view(sid, at="nope")


def test_events_report_who_is_thinking_and_each_reply_in_order(meetings):
    view = meetings.start("chat-system")
    events = []
    view = meetings.send(view.session_id, TURNS[0], on_event=events.append)

    thinking = [e for e in events if e.kind == "thinking"]
    replies = [e for e in events if e.kind == "turn" and e.role != "facilitator"]
    assert len(thinking) == 1 and thinking[0].roles
    assert sorted(e.role for e in replies) == sorted(thinking[0].roles)
    said = {t.speaker: t.text for t in view.transcript if t.round == 1 and t.role != "person"}
    assert {e.speaker: e.text for e in replies} == {k: v for k, v in said.items() if k != "Facilitator"}
