"""A full 8-turn offline session with scoring: wall time of start + 8 sends + finish.

Each run is a new session fed with one candidate script (rotating; padded with inline turns to
8 turns, the chat-system round limit) and new text (the embedding cache is cleared per run).
With 8 turns the round limit ends the meeting, so the scoring runs inside the 8th send and
``finish`` only reads the scorecard; the total includes it either way.
"""

from __future__ import annotations

import time

from benchmarks.common import INLINE_TURNS, SCENARIO, Result, candidate_scripts, clear_text_embeddings, median

TARGET_S = 1.0
TURNS = 8


def _turns_for(run: int, scripts: list[tuple[str, list[str]]]) -> tuple[str, list[str]]:
    name, turns = scripts[run % len(scripts)]
    padded = [*turns[:TURNS], *INLINE_TURNS[len(turns) :]][:TURNS]
    return name, padded


def run(meetings, *, runs: int, budget_s: float) -> list[Result]:
    scripts = candidate_scripts()
    deadline = time.perf_counter() + budget_s
    totals, starts, sends, finishes, sent, used = [], [], [], [], [], []
    for i in range(runs):
        if i and time.perf_counter() > deadline:
            break
        name, turns = _turns_for(i, scripts)
        clear_text_embeddings()
        t0 = time.perf_counter()
        view = meetings.start(SCENARIO)
        t1 = time.perf_counter()
        n = 0
        for text in turns:
            if view.phase == "done":  # settled early: the meeting ended itself
                break
            view = meetings.send(view.session_id, text)
            n += 1
        t2 = time.perf_counter()
        view = meetings.finish(view.session_id)
        t3 = time.perf_counter()
        if view.scorecard is None:
            raise RuntimeError(f"session {view.session_id} finished without a scorecard")
        totals.append(t3 - t0)
        starts.append(t1 - t0)
        sends.append(t2 - t1)
        finishes.append(t3 - t2)
        sent.append(n)
        used.append(name)
    m = median(totals)
    notes = [f"time budget of {budget_s:g} s reached after {len(totals)} runs"] if len(totals) < runs else []
    if any(n < TURNS for n in sent):
        notes.append(f"turns sent per run: {sent} (a settled meeting ends early)")
    return [
        Result(
            key="offline_session",
            title="2. Offline session: start + 8 sends + finish",
            summary=f"median {m:.2f} s (start {median(starts) * 1000:.0f} ms, sends {median(sends):.2f} s, "
            f"finish {median(finishes) * 1000:.0f} ms; n={len(totals)})",
            target=f"< {TARGET_S:g} s",
            met=m < TARGET_S,
            metrics={
                "median_s": round(m, 3),
                "runs_s": [round(t, 3) for t in totals],
                "start_ms": round(median(starts) * 1000, 1),
                "sends_s": round(median(sends), 3),
                "finish_ms": round(median(finishes) * 1000, 1),
                "turns_sent": sent,
                "scripts": used,
            },
            notes=notes,
        )
    ]
