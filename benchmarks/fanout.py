"""Parallel vs sequential stakeholder fan-out on the LLM engine, with a fixed-latency fake model.

One turn that addresses all three stakeholders by name makes the graph fan out three structured
calls (``StakeholderTurn``, ``function_calling``). Each call sleeps a fixed latency, so the turn's
wall time divided by one call's latency shows how many calls ran one after another: about 1 with
``max_concurrency=3`` (parallel), about 3 with ``max_concurrency=1`` (sequential). The turn's text
is embedded beforehand, so the offline reading of the turn adds almost nothing. Checkpoints are
in memory (``InMemorySaver``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from benchmarks.common import SCENARIO, Result, median

TURN = (
    "Priya, Marco and Dana, before we choose an approach I want each of your views: how many users do "
    "we expect at peak, who will use chat most, and what deadline have we promised the customers?"
)
TARGET_PARALLEL = 1.2
SEQUENTIAL_RANGE = (2.5, 3.6)


def _meetings(concurrency: int, model, scenarios, data_dir: Path):
    from langgraph.checkpoint.memory import InMemorySaver

    from agents.engines import Engines
    from agents.settings import Settings
    from graphs.session import Meetings

    # all at once: the fan-out measured here; hearing each other (the default) is sequential by design
    settings = Settings(
        engine="llm",
        structured_output="function_calling",
        max_concurrency=concurrency,
        hear_each_other=False,
        data_dir=data_dir,
    )
    engines = Engines(settings, model_factory=lambda s: model)
    return Meetings(settings, engines=engines, checkpointer=InMemorySaver(), scenarios=scenarios)


def _single_call_latency(model, runs: int) -> float:
    """Seconds of one StakeholderTurn call through ``ask_structured`` (the same path as a stakeholder)."""
    from langchain_core.messages import HumanMessage, SystemMessage

    from agents.models import ask_structured
    from agents.settings import Settings
    from agents.transcript import StakeholderTurn

    settings = Settings(engine="llm", structured_output="function_calling")
    messages = [SystemMessage("You are Priya Raman, Director of Engineering."), HumanMessage("Hello")]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        ask_structured(model, StakeholderTurn, messages, settings)
        times.append(time.perf_counter() - t0)
    return median(times)


def run(scenarios, *, latency: float, runs: int) -> list[Result]:
    from benchmarks.fake_model import FixedLatencyChatModel

    model = FixedLatencyChatModel(latency=latency)
    call_s = _single_call_latency(model, max(3, runs))
    data_dir = Path(tempfile.mkdtemp(prefix="roundtable-bench-"))
    results: list[Result] = []
    scoring_ms = None
    for concurrency in (3, 1):
        meetings = _meetings(concurrency, model, scenarios, data_dir)
        # warm: embeds the turn's text and checks that all three stakeholders reply
        view = meetings.start(SCENARIO)
        view = meetings.send(view.session_id, TURN)
        speakers = [s["role"] for s in view.speakers]
        if len(speakers) != 3:
            raise RuntimeError(f"the fan-out turn reached {speakers}, not all three stakeholders")
        if scoring_ms is None:
            t0 = time.perf_counter()
            done = meetings.finish(view.session_id)
            scoring_ms = (time.perf_counter() - t0) * 1000
            if done.scorecard is None or done.scorecard.engine != "llm":
                raise RuntimeError("LLM scoring with the fake model gave no LLM scorecard")
        walls, peaks = [], []
        for _ in range(runs):
            sid = meetings.start(SCENARIO).session_id
            model.log.calls.clear()
            t0 = time.perf_counter()
            view = meetings.send(sid, TURN)
            walls.append(time.perf_counter() - t0)
            peaks.append(model.log.max_in_flight())
            if len(view.speakers) != 3 or len(model.log.calls) != 3:
                raise RuntimeError(f"expected 3 stakeholder calls, got {len(model.log.calls)}")
        wall = median(walls)
        ratio = wall / call_s
        if concurrency > 1:
            target, met, title = f"<= {TARGET_PARALLEL:g}", ratio <= TARGET_PARALLEL, "parallel"
        else:
            lo, hi = SEQUENTIAL_RANGE
            target, met, title = f"about 3 ({lo:g}-{hi:g})", lo <= ratio <= hi, "sequential"
        results.append(
            Result(
                key=f"fanout_{title}",
                title=f"3. LLM fan-out, max_concurrency={concurrency} ({title})",
                summary=f"{ratio:.2f} x one call (turn {wall * 1000:.0f} ms / call {call_s * 1000:.0f} ms; "
                f"{max(peaks)} calls in flight; n={len(walls)})",
                target=target,
                met=met,
                metrics={
                    "ratio": round(ratio, 3),
                    "turn_ms": round(wall * 1000, 1),
                    "runs_ms": [round(w * 1000, 1) for w in walls],
                    "call_ms": round(call_s * 1000, 1),
                    "fake_latency_ms": round(latency * 1000, 1),
                    "max_in_flight": max(peaks),
                    "speakers": speakers,
                },
            )
        )
    results.append(
        Result(
            key="fanout_llm_scoring",
            title="   LLM scoring (finish) with the same fake",
            summary=f"{scoring_ms:.0f} ms for one RubricJudgement call of {latency * 1000:.0f} ms",
            metrics={"finish_ms": round(scoring_ms, 1)},
        )
    )
    return results
