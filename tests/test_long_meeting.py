"""Long meetings: a redraw reads no checkpoint history, and checkpoints stay small (SQLite, as in the app).

Rewind points come from the branch's own state and branch tips from the checkpoints' parent
links, so drawing the room costs the same at turn 60 as at turn 1 (``benchmarks/long_meeting.py``
measures it). These tests pin the behaviour that makes it so: ``get_state_history`` is never
called, the answers equal the history walk's, and what is stored per turn is compressed and free
of state a stakeholder's reply does not read.
"""

from __future__ import annotations

from agents.settings import Settings
from graphs import Meetings, history
from graphs.checkpoint_serde import CompressedSerializer

TURNS = [
    "Marco, who are the people using this day to day, and what do they need from chat?",
    "We could build it on websockets with a message store behind it.",
    "Dana, what deadline are we working against?",
    "Priya, how many messages a second at peak, and how fast is that growing?",
]


def _held(meetings: Meetings, turns=TURNS) -> str:
    view = meetings.start("chat-system", round_limit=20)
    for text in turns:
        view = meetings.send(view.session_id, text)
    return view.session_id


def _walked(meetings: Meetings, sid: str, at: str | None = None):
    """What the full history walk says (the way the room used to find rewind points and branches)."""
    snapshots = list(meetings.graph.get_state_history(meetings._config(sid)))
    tip = meetings._existing(sid, at)
    return history.rewind_points(snapshots, tip), history.branches(snapshots)


def test_rewind_points_and_branches_across_forks_need_no_history_walk(meetings, monkeypatch):
    sid = _held(meetings)
    meetings.send(sid, "Let me put that differently.", at=meetings.rewind_points(sid)[2].checkpoint_id)
    meetings.send(sid, "And once more, from the start.", at=meetings.rewind_points(sid)[0].checkpoint_id)
    walked_branches = _walked(meetings, sid)[1]
    walked = {b.checkpoint_id: _walked(meetings, sid, b.checkpoint_id)[0] for b in walked_branches}
    assert len(walked_branches) == 3

    def refuse(*args, **kwargs):
        raise AssertionError("a redraw walked the whole checkpoint history")

    monkeypatch.setattr(meetings.graph, "get_state_history", refuse)
    assert meetings.branches(sid) == walked_branches
    for tip, points in walked.items():  # every branch, not just the latest
        assert meetings.rewind_points(sid, at=tip) == points
    assert meetings.rewind_points(sid) == walked[walked_branches[-1].checkpoint_id]

    point = meetings.rewind_points(sid, at=walked_branches[0].checkpoint_id)[1]  # answering from a recorded point
    before = meetings.view(sid, at=point.checkpoint_id)
    assert before.awaiting_person and before.round == 1
    forked = meetings.send(sid, "Another second turn.", at=point.checkpoint_id)
    assert [t.text for t in forked.transcript if t.role == "person"] == [TURNS[0], "Another second turn."]
    assert len(meetings.branches(sid)) == 4


def test_checkpoints_are_stored_compressed(meetings):
    sid = _held(meetings)
    conn = meetings.checkpointer.conn
    rows = conn.execute("SELECT type, checkpoint FROM checkpoints WHERE thread_id = ?", (sid,)).fetchall()
    assert rows and all(kind.endswith("+zlib") for kind, blob in rows if len(blob) > 600)
    serde = CompressedSerializer()
    stored = sum(len(blob) for _, blob in rows)
    plain = sum(len(serde.serde.dumps_typed(serde.loads_typed((kind, blob)))[1]) for kind, blob in rows)
    assert stored * 3 < plain  # text repeated step after step compresses well


def test_checkpoints_written_before_compression_still_load(library, tmp_path):
    from langgraph.checkpoint.sqlite import SqliteSaver

    settings = Settings(engine="offline", data_dir=tmp_path / "data")
    old = Meetings(settings, scenarios=library)
    old.checkpointer.serde = CompressedSerializer().serde  # as the app stored them before
    sid = _held(old, TURNS[:2])
    assert isinstance(old.checkpointer, SqliteSaver)
    now = Meetings(settings, scenarios=library)
    view = now.send(sid, TURNS[2])
    assert [t.text for t in view.transcript if t.role == "person"] == TURNS[:3]


def test_a_stakeholders_task_carries_only_what_a_reply_reads(meetings):
    sid = _held(meetings, TURNS[:3])
    conn = meetings.checkpointer.conn
    serde = meetings.checkpointer.serde
    rows = conn.execute(
        "SELECT type, value FROM writes WHERE thread_id = ? AND channel = '__pregel_tasks'", (sid,)
    ).fetchall()
    sends = [serde.loads_typed(row) for row in rows]
    payloads = [s.arg for s in sends if getattr(s, "node", None) in ("stakeholder", "colleague")]
    assert payloads
    for task in payloads:
        assert {"speaker", "slot", "transcript", "board", "round"} <= set(task)
        assert not {"scorecard", "usage", "speakers", "turn_points", "hints_given"} & set(task)
