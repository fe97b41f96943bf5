"""Evaluation throughput: N scripted LLM-engine sessions one at a time vs N at once, against a fake server.

Every session holds the same scripted meeting (the first turns of a chat-system script, then
wrap-up and LLM scoring) through ``graphs.evaluation.run_evaluation``, the runner behind
``roundtable eval``, on the LLM engine with ``structured_output=function_calling``. The model is
``benchmarks.fake_openai_server``: a real HTTP server on loopback answering every call after a
fixed latency, so a session's time is almost all waiting and N sessions at once should take
about as long as one. ``speedup = sequential wall / parallel wall`` for the same N; the target
is ``speedup >= 0.8 x N`` up to N = 16.

What is measured, and what is not: the LLM engine still reads each turn offline (the e5
embedding model routes the turn to stakeholders and picks the facts they may share). That is
CPU work, about 25 ms a sentence, that would not overlap on 2 cores. All sessions send the same
turns and one warm-up session runs first (not timed), so the timed runs read embeddings from the
cache: the numbers show the graph, checkpointer, HTTP client and runner, not the embedder. With
new text per session the embedder adds its CPU time per turn on top (see ``offline_turns``).

Measured here (2 cores shared with other work, load average 6-11): with 1 s calls, 16 sessions at
once ran 14.1 x faster than one at a time (0.88 x N); with 0.5 s calls 10.6 x (0.66 x N; 0.93 x N
up to 4). The limit is our own CPU, about 220 ms a session (LangGraph steps and thread pools,
LangChain/OpenAI client work per call, scoring), which N sessions need N times over on one GIL:
16 x 0.22 s fits inside 9 s of waiting, not inside 4.5 s. The in-memory checkpointer beat SQLite
(16 at once: 7.1 s vs 7.6 s; 224 vs 272 ms CPU a session).

    python -m benchmarks.throughput [--latency 1.0] [--sizes 1 2 4 8 16] [--checkpointer memory|sqlite]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import SCENARIO, Result, candidate_scripts, print_results
from benchmarks.fake_openai_server import serve_process

TARGET_EFFICIENCY = 0.8
TURNS = 4


def _meetings(base_url: str, checkpointer: str, data_dir: Path, scenarios=None):
    from agents.settings import Settings
    from graphs.evaluation import eval_meetings
    from graphs.session import Meetings

    settings = Settings(
        engine="llm",
        structured_output="function_calling",
        openai_base_url=base_url,
        openai_api_key="not-needed",
        model="fake",
        max_retries=0,
        timeout=30,
        data_dir=data_dir,
    )
    extra = {"scenarios": scenarios} if scenarios is not None else {}
    if checkpointer == "sqlite":
        return Meetings(settings, **extra)  # the default: one SQLite file, one shared connection
    return eval_meetings(settings, **extra)


def _jobs(n: int, turns: int):
    from graphs.evaluation import EvalJob
    from scenarios import CandidateScript

    scripts = dict(candidate_scripts())
    name = "strong" if "strong" in scripts else next(iter(scripts))
    script_turns = scripts[name]
    script = CandidateScript(name=name.replace("_", "-"), turns=script_turns[:turns])
    return [EvalJob(scenario=SCENARIO, path=f"{name}#{i}", script=script) for i in range(n)]


def _timed(meetings, n: int, concurrency: int, turns: int) -> list[float]:
    """Seconds from the start until each of ``n`` sessions finished, in completion order."""
    from graphs.evaluation import run_evaluation

    jobs = _jobs(n, turns)
    done: list[float] = []
    t0 = time.perf_counter()
    report = run_evaluation(
        meetings,
        jobs,
        engine="llm",
        concurrency=concurrency,
        on_result=lambda *_: done.append(time.perf_counter() - t0),
    )
    failed = [r.error for r in report.results if r.error]
    if failed:
        raise RuntimeError(f"{len(failed)} sessions failed: {failed[0]}")
    return done


def run(
    scenarios=None,
    *,
    latency: float = 1.0,
    sizes: tuple[int, ...] = (1, 2, 4, 8, 16),
    turns: int = TURNS,
    checkpointer: str = "memory",
) -> list[Result]:
    """Sequential wall time of the first N of max(sizes) sessions vs N at once, for each N."""
    # the server runs in its own process, like a real model server: its CPU does not compete for our GIL
    with serve_process(latency) as base_url, tempfile.TemporaryDirectory(prefix="roundtable-bench-") as tmp:
        meetings = _meetings(base_url, checkpointer, Path(tmp), scenarios)
        _timed(meetings, 1, 1, turns)  # warm-up: embeds the turns, builds the indexes, opens connections
        cpu = time.process_time()
        sequential = _timed(meetings, max(sizes), 1, turns)  # finish times of 1, 2, ... sessions in a row
        cpu_ms = (time.process_time() - cpu) * 1000 / max(sizes)
        results = []
        for n in sizes:
            parallel = _timed(meetings, n, n, turns)[-1]
            speedup = sequential[n - 1] / parallel
            efficiency = speedup / n
            results.append(
                Result(
                    key=f"throughput_{n}",
                    title=f"4. eval throughput, {n} session{'s' * (n > 1)}",
                    summary=f"speedup {speedup:.2f} = {efficiency:.2f} x N (one at a time {sequential[n - 1]:.2f} s, "
                    f"{n} at once {parallel:.2f} s)",
                    target=f">= {TARGET_EFFICIENCY:g} x N",
                    met=efficiency >= TARGET_EFFICIENCY,
                    metrics={
                        "n": n,
                        "sequential_s": round(sequential[n - 1], 3),
                        "parallel_s": round(parallel, 3),
                        "speedup": round(speedup, 3),
                        "efficiency": round(efficiency, 3),
                        "client_cpu_ms_per_session": round(cpu_ms, 1),
                        "latency_s": latency,
                        "turns": turns,
                        "checkpointer": checkpointer,
                    },
                )
            )
        results[0].notes.append(
            f"{turns} turns + LLM scoring per session, model calls of {latency:g} s; our CPU {cpu_ms:.0f} ms a "
            f"session (N at once need N x that on one GIL); {checkpointer} checkpointer; embeddings cached"
        )
        return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.throughput", description=__doc__.splitlines()[0])
    p.add_argument("--latency", type=float, default=1.0, help="seconds per model call")
    p.add_argument("--sizes", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    p.add_argument("--turns", type=int, default=TURNS)
    p.add_argument("--checkpointer", choices=["memory", "sqlite"], default="memory")
    args = p.parse_args(argv)
    print_results(
        run(latency=args.latency, sizes=tuple(args.sizes), turns=args.turns, checkpointer=args.checkpointer), 38
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
