"""Offline turn time including the checkpoint write.

Times ``Meetings.send()`` on the offline engine with the real SQLite checkpointer (the default,
``durability="sync"``), over several concurrent sessions of the chat-system scenario fed with the
candidate scripts (round-robin, so every script contributes). Each turn is new text (embedded on
the turn, as for a real person). A second pass replays the same turns in new sessions with the
text already embedded: that isolates the graph + checkpoint cost from the embedding model.
"""

from __future__ import annotations

import time

from benchmarks.common import SCENARIO, Result, candidate_scripts, clear_text_embeddings, median, percentile

TARGET_P50_MS = 50.0


def _timed_pass(meetings, scripts, max_turns: int, deadline: float) -> list[float]:
    """Start one session per script and send their turns round-robin; returns ms per send."""
    sessions = [(meetings.start(SCENARIO).session_id, turns) for _, turns in scripts]
    times: list[float] = []
    for i in range(max(len(t) for _, t in sessions)):
        for sid, turns in sessions:
            if len(times) >= max_turns or time.perf_counter() > deadline:
                return times
            if i >= len(turns) or meetings.view(sid).phase == "done":
                continue
            t0 = time.perf_counter()
            meetings.send(sid, turns[i])
            times.append((time.perf_counter() - t0) * 1000)
    return times


def run(meetings, *, max_turns: int, budget_s: float, replay_budget_s: float) -> list[Result]:
    scripts = candidate_scripts()
    deadline = time.perf_counter() + budget_s
    cold: list[float] = []
    warm: list[float] = []
    passes = 0
    while len(cold) < max_turns and time.perf_counter() < deadline:
        clear_text_embeddings()  # a later pass repeats texts: make them new again
        got = _timed_pass(meetings, scripts, max_turns - len(cold), deadline)
        if not got:
            break
        if not passes:
            # the same texts again while they are cached: graph + SQLite checkpoint only
            warm = _timed_pass(meetings, scripts, len(got), time.perf_counter() + replay_budget_s)
        passes += 1
        cold.extend(got)
    if not cold:
        raise RuntimeError("no offline turn could be timed (is the chat-system scenario in the library?)")

    p50, p90, mx = median(cold), percentile(cold, 90), max(cold)
    budget_note = [] if len(cold) >= max_turns else [f"time budget of {budget_s:g} s reached after {len(cold)} turns"]
    results = [
        Result(
            key="offline_turn",
            title="1. Offline turn: send() incl. SQLite checkpoint",
            summary=f"p50 {p50:.1f} ms | p90 {p90:.1f} ms | max {mx:.1f} ms (n={len(cold)}, {len(scripts)} scripts)",
            target=f"p50 < {TARGET_P50_MS:g} ms",
            met=p50 < TARGET_P50_MS,
            metrics={
                "p50_ms": round(p50, 1),
                "p90_ms": round(p90, 1),
                "max_ms": round(mx, 1),
                "n": len(cold),
                "sessions": passes * len(scripts),
                "scripts": [name for name, _ in scripts],
            },
            notes=budget_note,
        )
    ]
    if warm:
        results.append(
            Result(
                key="offline_turn_text_cached",
                title="   same turns, text already embedded",
                summary=f"p50 {median(warm):.1f} ms | p90 {percentile(warm, 90):.1f} ms | max {max(warm):.1f} ms "
                f"(n={len(warm)})",
                metrics={
                    "p50_ms": round(median(warm), 1),
                    "p90_ms": round(percentile(warm, 90), 1),
                    "max_ms": round(max(warm), 1),
                    "n": len(warm),
                },
                notes=["graph + checkpoint cost without the embedding model"],
            )
        )
    return results
