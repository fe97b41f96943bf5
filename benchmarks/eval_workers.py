"""Offline ``roundtable eval`` with worker processes: 2 workers against 1, a 1,000-session suite, memory per worker.

Each measurement runs the real command (``roundtable eval --suite ... -j N``) in a fresh
process, as a person would, and times it from start to exit: imports, the scenarios, the
embedding model, every scenario's reading index, the meetings and the reports.

- Throughput: the library's scripts (each distinct text, so the embedding cache does not help
  across scripts), ``-j 1`` (in-process) against ``-j 2`` (two worker processes). Target >= 1.8x.
- Suite wall time: the library's scripts repeated (``scenarios/suites/library-1000.yaml`` is 25
  x 40). ``make bench`` runs a slice of it (25 x 10 = 250 sessions) and scales the time to 1,000,
  labelled as such; ``--full`` runs all 1,000. Target under 5 minutes.
- Memory: each worker's peak resident set (``summary.json``'s ``workers``).

    python -m benchmarks.eval_workers [--repeats 1] [--suite-repeats 10 | --full]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import Result, load_average, print_results

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scenarios" / "scripts"
TARGET_SPEEDUP = 1.8
TARGET_1000_S = 300.0
_LOADS: list[float] = []  # the 1-minute load average after each run, in order


def _suite(folder: Path, repeats: int) -> Path:
    path = folder / f"library-x{repeats}.yaml"
    path.write_text(f"entries:\n  - scripts: {SCRIPTS}\n    repeats: {repeats}\n", encoding="utf-8")
    return path


def _eval(suite: Path, jobs: int, out: Path) -> tuple[float, dict]:
    """Wall seconds of one ``roundtable eval`` run, and its summary.json."""
    command = Path(sys.executable).parent / "roundtable"
    cmd = [str(command), "eval", "--suite", str(suite), "-j", str(jobs), "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env |= {"ROUNDTABLE_ENGINE": "offline", "ROUNDTABLE_DATA_DIR": str(out.parent / "data")}
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - t0
    _LOADS.append(load_average())
    if done.returncode not in (0, 1):
        raise RuntimeError(f"eval exited {done.returncode}: {done.stderr[-500:] or done.stdout[-500:]}")
    return wall, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def run(*, repeats: int = 1, suite_repeats: int = 10) -> list[Result]:
    """Throughput 1 vs 2 workers, the (scaled) 1,000-session wall time, memory per worker."""
    with tempfile.TemporaryDirectory(prefix="roundtable-bench-eval-") as tmp:
        tmp = Path(tmp)
        small = _suite(tmp, repeats)
        one_s, one = _eval(small, 1, tmp / "one")
        two_s, two = _eval(small, 2, tmp / "two")
        n = one["scripts"]
        speedup = one_s / two_s
        results = [
            Result(
                key="eval_workers_speedup",
                title="4b. offline eval, 2 workers vs 1",
                summary=f"speedup {speedup:.2f} ({n} sessions: -j 1 {one_s:.1f} s = {n / one_s:.2f}/s, "
                f"-j 2 {two_s:.1f} s = {n / two_s:.2f}/s)",
                target=f">= {TARGET_SPEEDUP:g}x",
                met=speedup >= TARGET_SPEEDUP,
                metrics={"sessions": n, "one_worker_s": round(one_s, 2), "two_workers_s": round(two_s, 2)},
                notes=[
                    "whole command in a fresh process each: start-up, reading indexes, meetings, reports",
                    f"load average after -j 1: {_LOADS[-2]}, after -j 2: {_LOADS[-1]} (2 cores, shared)",
                ],
            )
        ]
        big = _suite(tmp, suite_repeats)
        wall, summary = _eval(big, 2, tmp / "big")
        sessions = summary["scripts"]
        scaled = wall * 1000 / sessions
        label = "1,000 sessions" if sessions == 1000 else f"scaled from {sessions} sessions x {1000 / sessions:g}"
        results.append(
            Result(
                key="eval_1000_sessions",
                title="4c. offline eval, 1,000-session suite, -j 2",
                summary=f"{scaled:.0f} s ({label}; {sessions / wall:.1f} sessions/s)",
                target=f"< {TARGET_1000_S:.0f} s",
                met=scaled < TARGET_1000_S,
                metrics={"sessions": sessions, "wall_s": round(wall, 1), "per_1000_s": round(scaled, 1)},
                notes=[
                    f"the library's {n} scripts x {suite_repeats}; scenarios/suites/library-1000.yaml is x 40",
                    f"load average after the run: {_LOADS[-1]}",
                ],
            )
        )
        workers = summary.get("workers") or two.get("workers") or []
        rss = [w["peak_rss_mb"] for w in workers]
        results.append(
            Result(
                key="eval_worker_memory",
                title="4d. offline eval, memory per worker",
                summary=", ".join(f"{r:.0f} MB" for r in rss) + " peak RSS" if rss else "no workers reported",
                metrics={"peak_rss_mb": rss, "scenarios_prepared": [w["scenarios_prepared"] for w in workers]},
            )
        )
        return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.eval_workers", description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=1, help="sessions of each library script for 1 vs 2 workers")
    p.add_argument("--suite-repeats", type=int, default=10, help="sessions of each script in the suite timed")
    p.add_argument("--full", action="store_true", help="time the whole 1,000-session suite (25 x 40)")
    args = p.parse_args(argv)
    print_results(run(repeats=args.repeats, suite_repeats=40 if args.full else args.suite_repeats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
