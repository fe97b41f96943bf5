"""Rewind and branches, on LangGraph's checkpoint history (one thread per session).

Every checkpoint of a session's thread is kept. A point where the meeting waited for the
person's turn k is a rewind point: answering from it forks the thread, and the old branch stays
in the history. A branch is a checkpoint no other checkpoint descends from (a leaf).

A redraw must not read the whole history: each turn records the point it was answered from in
the state (``turn_points``), and branch tips are found from the checkpoints' parent links alone
(``parent_links``), so only the tips' states are read. Walking ``get_state_history`` remains for
sessions from before ``turn_points`` and for checkpointers without a parent-link query.
"""

from __future__ import annotations

from pydantic import BaseModel


class RewindPoint(BaseModel):
    """The checkpoint just before the person's turn ``turn`` on a branch, and what they said there."""

    turn: int
    checkpoint_id: str
    text: str


class Branch(BaseModel):
    """The tip of one line of the meeting."""

    checkpoint_id: str
    round: int
    phase: str
    person_turns: list[str]
    overall: float | None = None
    created_at: str | None = None
    latest: bool = False


def checkpoint_id(snapshot) -> str:
    return snapshot.config["configurable"]["checkpoint_id"]


def _parent_id(snapshot) -> str | None:
    parent = snapshot.parent_config
    return parent["configurable"]["checkpoint_id"] if parent else None


def _person_texts(values: dict) -> list[str]:
    return [t["text"] for t in values.get("transcript", []) if t["role"] == "person"]


def recorded_rewind_points(values: dict) -> list[RewindPoint] | None:
    """Rewind points from a branch's own ``turn_points``; None if the session predates them."""
    recorded = values.get("turn_points")
    texts = _person_texts(values)
    if recorded is None or len(recorded) < len(texts):
        return None
    by_turn = {p["turn"]: p["checkpoint_id"] for p in recorded}
    if any(turn not in by_turn for turn in range(1, len(texts) + 1)):
        return None
    return [RewindPoint(turn=t, checkpoint_id=by_turn[t], text=texts[t - 1]) for t in range(1, len(texts) + 1)]


def parent_links(checkpointer, thread_id: str) -> dict[str, str | None] | None:
    """checkpoint id -> parent id for a thread's main line, without loading any state.

    A plain query on the checkpoint table of SQLite or PostgreSQL (LangGraph's savers name it and
    its columns alike); None for other checkpointers (the caller walks the history instead).
    """
    kind = type(checkpointer).__name__
    if kind == "SqliteSaver":
        with checkpointer.lock:
            rows = checkpointer.conn.execute(_PARENTS.replace("%s", "?"), (thread_id,)).fetchall()
        return dict(rows)
    if kind == "PostgresSaver" and hasattr(checkpointer, "_cursor"):
        with checkpointer._cursor() as cur:
            cur.execute(_PARENTS, (thread_id,))
            return {row["checkpoint_id"]: row["parent_checkpoint_id"] for row in cur.fetchall()}
    return None


_PARENTS = "SELECT checkpoint_id, parent_checkpoint_id FROM checkpoints WHERE thread_id = %s AND checkpoint_ns = ''"


def tip_ids(links: dict[str, str | None]) -> list[str]:
    """The checkpoints no other checkpoint descends from."""
    parents = set(links.values())
    return [cid for cid in links if cid not in parents]


def rewind_points(history: list, tip) -> list[RewindPoint]:
    """For each of the person's turns on the branch ending at ``tip``: the checkpoint waiting for it."""
    by_id = {checkpoint_id(s): s for s in history}
    texts = _person_texts(tip.values)
    found: dict[int, str] = {}
    node = tip
    while node is not None:
        rnd = node.values.get("round")
        if node.next == ("ask_user",) and rnd is not None and rnd < len(texts) and rnd not in found:
            found[rnd] = checkpoint_id(node)  # nearest to the tip wins (forks repeat a point)
        parent = _parent_id(node)
        node = by_id.get(parent) if parent else None
    return [RewindPoint(turn=r + 1, checkpoint_id=cid, text=texts[r]) for r, cid in sorted(found.items())]


def branches(history: list, *, all_tips: bool = False) -> list[Branch]:
    """Every branch tip of the session, oldest first; ``latest`` marks the one the session resumes.

    ``history`` is every snapshot of the thread, or with ``all_tips`` only the tips' snapshots.
    """
    parents = set() if all_tips else {_parent_id(s) for s in history}
    tips = [s for s in history if checkpoint_id(s) not in parents and s.values.get("transcript")]
    tips.sort(key=lambda s: s.created_at or "")
    out = []
    for i, s in enumerate(tips):
        card = s.values.get("scorecard") or {}
        out.append(
            Branch(
                checkpoint_id=checkpoint_id(s),
                round=s.values.get("round", 0),
                phase=s.values.get("phase", "meeting"),
                person_turns=_person_texts(s.values),
                overall=card.get("overall"),
                created_at=s.created_at,
                latest=i == len(tips) - 1,
            )
        )
    return out
