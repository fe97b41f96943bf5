"""A 60-turn offline meeting: what one redraw of the room costs at turns 1, 30 and 60, and KB stored per turn.

A redraw reads what the room shows: the view, the rewind points and the branches. It is timed
as the room does it now (rewind points from the state, branch tips from parent links) and, for
comparison, as it did before (walking ``get_state_history`` twice). Storage is the SQLite
checkpoint and write rows the session added, per turn, as stored (zlib-compressed) and as the
same values would be stored uncompressed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import SCENARIO, Result, median

TURNS = 60
# questions that keep the meeting open (a decision or summary could settle it before turn 60)
QUESTIONS = [
    "What about latency and cost of the fan-out, and how many users do we expect at peak?",
    "Marco, what do people on the floor use today, and what annoys them about it?",
    "Dana, which customers are asking for this, and what would they pay attention to first?",
    "Priya, what would worry your team about running this at night?",
]
MARKS = (1, 30, 60)
TARGET_MS = 25.0  # a redraw at turn 60; what still grows is reading the (longer) latest state itself


def _redraw(meetings, sid: str) -> None:
    meetings.view(sid)
    meetings.rewind_points(sid)
    meetings.branches(sid)


def _walk(meetings, sid: str) -> None:
    from graphs import history

    tip = meetings._existing(sid)
    history.rewind_points(list(meetings.graph.get_state_history(meetings._config(sid))), tip)
    history.branches(list(meetings.graph.get_state_history(meetings._config(sid))))


def _ms(call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        call()
        times.append((time.perf_counter() - t0) * 1000)
    return median(times)


def _stored(conn, sid: str) -> int:
    ck = conn.execute(
        "SELECT coalesce(sum(length(checkpoint) + length(metadata)), 0) FROM checkpoints WHERE thread_id = ?", (sid,)
    )
    wr = conn.execute("SELECT coalesce(sum(length(value)), 0) FROM writes WHERE thread_id = ?", (sid,))
    return ck.fetchone()[0] + wr.fetchone()[0]


def _uncompressed(checkpointer, sid: str) -> int:
    from graphs.checkpoint_serde import CompressedSerializer

    serde = checkpointer.serde
    inner = serde.serde if isinstance(serde, CompressedSerializer) else serde
    total = 0
    rows = checkpointer.conn.execute("SELECT type, checkpoint FROM checkpoints WHERE thread_id = ?", (sid,))
    for row in rows.fetchall():
        total += len(inner.dumps_typed(serde.loads_typed(tuple(row)))[1])
    rows = checkpointer.conn.execute("SELECT type, value FROM writes WHERE thread_id = ?", (sid,))
    for row in rows.fetchall():
        total += len(inner.dumps_typed(serde.loads_typed(tuple(row)))[1])
    return total


def run(engines=None, *, turns: int = TURNS, repeats: int = 5) -> list[Result]:
    from agents.settings import Settings
    from graphs.session import Meetings

    marks = [m for m in MARKS if m <= turns]
    with tempfile.TemporaryDirectory(prefix="roundtable-bench-long-") as tmp:
        meetings = Meetings(Settings(engine="offline", data_dir=Path(tmp)), engines=engines)
        conn = meetings.checkpointer.conn
        view = meetings.start(SCENARIO, round_limit=turns + 1)
        sid = view.session_id
        redraw, walk, stored = {}, {}, {0: _stored(conn, sid)}
        for turn in range(1, turns + 1):
            meetings.send(sid, f"Turn {turn}: {QUESTIONS[(turn - 1) % len(QUESTIONS)]}")
            stored[turn] = _stored(conn, sid)
            if turn in marks:
                redraw[turn] = _ms(lambda: _redraw(meetings, sid), repeats)
                walk[turn] = _ms(lambda: _walk(meetings, sid), max(1, repeats // 2))
        plain = _uncompressed(meetings.checkpointer, sid)
        conn.close()
    last, first = marks[-1], marks[0]
    kb_turn = (stored[turns] - stored[0]) / turns / 1024
    half = turns // 2
    kb_late = (stored[turns] - stored[half]) / (turns - half) / 1024
    plain_kb_turn = plain / turns / 1024
    ratio = redraw[last] / redraw[first] if redraw[first] else 0.0
    marks_text = " / ".join(f"{redraw[m]:.1f}" for m in marks)
    walk_text = " / ".join(f"{walk[m]:.0f}" for m in marks)
    return [
        Result(
            key="long_meeting_redraw",
            title=f"Room redraw at turns {'/'.join(map(str, marks))}",
            summary=f"{marks_text} ms (walking the history: {walk_text} ms)",
            target=f"< {TARGET_MS:g} ms at turn {last}",
            met=redraw[last] < TARGET_MS,
            metrics={
                "redraw_ms": {str(m): round(redraw[m], 2) for m in marks},
                "history_walk_ms": {str(m): round(walk[m], 1) for m in marks},
                "last_over_first": round(ratio, 2),
            },
        ),
        Result(
            key="long_meeting_storage",
            title="Checkpoint data per turn",
            summary=f"{kb_turn:.0f} KB a turn on average, {kb_late:.0f} KB in turns {half + 1}-{turns} "
            f"(uncompressed {plain_kb_turn:.0f} KB)",
            metrics={
                "kb_per_turn": round(kb_turn, 1),
                "kb_per_turn_late": round(kb_late, 1),
                "uncompressed_kb_per_turn": round(plain_kb_turn, 1),
                "turns": turns,
            },
        ),
    ]


if __name__ == "__main__":
    for r in run():
        print(r.title, "|", r.summary)
