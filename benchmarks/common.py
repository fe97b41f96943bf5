"""Shared helpers: results, statistics, candidate turns, warm-up and the embedding cache (measures nothing)."""

from __future__ import annotations

import glob
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SCENARIO = "chat-system"
SCRIPTS_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "scripts" / SCENARIO

# Used only when no candidate scripts are found, and to pad a session to 8 turns.
INLINE_TURNS = [
    "Thanks for making time. Before we pick a design, Priya, roughly how many daily users do we have, "
    "and what does peak traffic look like around shift change?",
    "Marco, who is the main user here: workers on the floor or managers? What do they use today?",
    "Dana, what is driving the timeline, and what would the enterprise customers count as success?",
    "So a first version could be one-to-one and team chat on the existing push service, with messages "
    "stored so nobody misses a shift change. Group broadcasts and attachments can wait.",
    "The trade-off is building on our own stack versus buying a vendor SDK: buying is faster, building "
    "keeps the data with us. I lean towards a vendor for the pilot, with an exit plan.",
    "Priya, does that fit what your team can operate, and what would worry you about delivery?",
    "Let me summarise: vendor-backed chat for the pilot, push through our notification service, "
    "Marco owns the notification rules and Dana confirms the pilot customers by Friday.",
    "Does everyone agree on that direction? If so, Priya owns the vendor spike and we meet again next week.",
]
WARMUP_TURN = "Hello everyone, thanks for coming. What do we know about who will use this and how many of them?"


@dataclass
class Result:
    """One line of the report."""

    key: str
    title: str
    summary: str
    target: str = "(info)"
    met: bool | None = None
    metrics: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def print_results(results: list[Result], width: int = 44) -> None:
    """A benchmark's lines as its own ``main`` prints them: title, summary, whether the target was met, notes."""
    for r in results:
        met = "" if r.met is None else f"  [{r.target} {'met' if r.met else 'NOT met'}]"
        print(f"{r.title:{width}} {r.summary}{met}")
        for note in r.notes:
            print(f"{'':{width}} note: {note}")


def load_average() -> float:
    """The 1-minute load average, reported beside each timing: the machine is shared."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else float("nan")


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of a non-empty list."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def median(values: list[float]) -> float:
    return percentile(values, 50)


def candidate_scripts() -> list[tuple[str, list[str]]]:
    """(name, turns) of every candidate script for the scenario; one inline script if there are none."""
    from scenarios.script import load_script

    scripts = []
    for path in sorted(glob.glob(str(SCRIPTS_DIR / "*.yaml"))):
        try:
            scripts.append((Path(path).stem, list(load_script(path).turns)))
        except Exception as exc:  # a broken script should not stop the benchmark
            print(f"  (skipping script {path}: {exc})", file=sys.stderr)
    return scripts or [("inline", list(INLINE_TURNS))]


def clear_text_embeddings() -> None:
    """Forget the per-string embedding cache so the next turns are embedded as new text.

    The scenario and signal indexes keep their own vectors, so this only undoes what earlier
    benchmark turns left behind (a real person does not type the same turn twice).
    """
    from agents.reading import matching

    cache = getattr(matching, "_EMBEDDINGS", None)
    if isinstance(cache, dict):
        cache.clear()


def warm_up(meetings) -> float:
    """Load the embedding model and build the scenario and scoring indexes; returns seconds taken."""
    t0 = time.perf_counter()
    view = meetings.start(SCENARIO)
    meetings.send(view.session_id, WARMUP_TURN)
    meetings.finish(view.session_id)  # builds the scoring signal index
    return time.perf_counter() - t0


def environment() -> dict:
    import platform

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_avg_1m": round(load[0], 2),
        "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
    }
