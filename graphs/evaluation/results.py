"""What an evaluation produces: the jobs, each meeting's result, its band checks, and calibration.

A job's ``key`` names it across runs, shards and machines (``scenario/script``, then ``@variant``
when a suite sets an engine or model, then ``#n`` for the n-th of repeated sessions); its
``case`` is the key without the run number, the unit a baseline compares.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from itertools import combinations
from pathlib import Path

from pydantic import BaseModel, Field

from agents.settings import Engine
from scenarios import DIMENSIONS, CandidateScript
from scenarios.script import Band

OVERALL = "overall"
MIN_ORDER_GAP = 1.0  # expected overall middles this far apart must be ordered the same way by the scorer


class EvalInputError(ValueError):
    """Bad input to an evaluation (unknown scenario, malformed or missing scripts); nothing was run."""


class EvalJob(BaseModel):
    """One scripted meeting to hold: a script against a scenario, on an engine and model, the n-th time."""

    scenario: str
    path: str
    script: CandidateScript
    engine: Engine | None = None  # unset: the run's engine
    model: str | None = None  # unset: the settings' model (llm engine)
    variant: str | None = None  # a suite entry's label for its engine/model; part of the key
    run: int = Field(default=1, ge=1)  # this job's number among its case's repeated sessions
    runs: int = Field(default=1, ge=1)

    @property
    def name(self) -> str:
        return self.script.name or Path(self.path).stem

    @property
    def case(self) -> str:
        return f"{self.scenario}/{self.name}" + (f"@{self.variant}" if self.variant else "")

    @property
    def key(self) -> str:
        return self.case if self.runs == 1 else f"{self.case}#{self.run}"


class ExpectationCheck(BaseModel):
    """One band of a script's expectations against the score it got."""

    target: str  # "overall" or a dimension
    band: Band
    score: float | None = None
    passed: bool = False
    inside: bool = False  # the score is inside the band (what calibration agreement counts)
    known_miss: str | None = None  # the script says the scorer misses this band today, and why


class ScriptResult(BaseModel):
    """The outcome of one scripted meeting."""

    scenario: str
    script: str
    path: str
    about: str = ""
    engine: str
    key: str = ""  # the job's key (see ``EvalJob.key``); empty in results written before keys existed
    case: str = ""
    run: int = 1
    model: str | None = None
    session_id: str | None = None
    overall: float | None = None
    dimensions: dict[str, int] = Field(default_factory=dict)
    checks: list[ExpectationCheck] = Field(default_factory=list)
    end_reason: str | None = None
    turns: int = 0  # the person's turns actually sent (a meeting may end before the script does)
    script_turns: int = 0
    elapsed_s: float = 0.0
    usage: dict[str, int] = Field(default_factory=dict)
    ignored: list[str] = Field(default_factory=list, description="Text of the turns aimed at the scorer.")
    repeats: list[dict[str, float]] = Field(default_factory=list, description="Scores of re-scoring (--repeat).")
    settled: list[str] = Field(default_factory=list, description="Concerns the room resolved.")
    wrongly_settled: list[str] = Field(
        default_factory=list, description="Concerns resolved that the script's `unsettled` says a fair room keeps open."
    )
    repeated_sentences: list[str] = Field(default_factory=list, description="Stakeholder sentences said twice.")
    checklist_phrases: list[str] = Field(default_factory=list, description="Card points read out word for word.")
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(c.passed for c in self.checks) and not self.wrongly_settled

    @property
    def failed_checks(self) -> list[ExpectationCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def ident(self) -> str:
        """The key, or for results written before keys existed, ``scenario/script``."""
        return self.key or f"{self.scenario}/{self.script}"

    @property
    def case_id(self) -> str:
        return self.case or self.ident

    def score(self, target: str) -> float | None:
        return self.overall if target == OVERALL else self.dimensions.get(target)


class Agreement(BaseModel):
    inside: int
    total: int

    @property
    def fraction(self) -> float | None:
        return self.inside / self.total if self.total else None


class Spread(BaseModel):
    """How much K scorings of the same transcripts differ, per target (averaged over scripts)."""

    mean_range: float
    max_range: float
    mean_stdev: float


class Calibration(BaseModel):
    """How well the scorer agrees with the expected bands.

    ``agreement``: per target (the five dimensions and ``overall``), the fraction of scripts
    whose score is inside the band; ``pooled``: the same over every (script, target) pair.
    ``ordering``: for every pair of scripts in one scenario whose expected overall middles differ
    by at least ``MIN_ORDER_GAP``, whether the scorer ranks them the same way (a tie counts as wrong).
    """

    agreement: dict[str, Agreement]
    pooled: Agreement
    pairs: int
    pairs_ordered: int
    ties: int
    repeat: int = 1
    spread: dict[str, Spread] = Field(default_factory=dict)

    @property
    def ordering_accuracy(self) -> float | None:
        return self.pairs_ordered / self.pairs if self.pairs else None


class WorkerStats(BaseModel):
    """One offline worker process: what it ran and what it cost."""

    worker: int
    pid: int
    sessions: int = 0
    busy_s: float = 0.0
    start_s: float = 0.0  # from spawn to ready: imports, the scenarios, the embedding model
    scenarios_prepared: int = 0  # scenario reading indexes built (scenario affinity keeps this low)
    peak_rss_mb: float = 0.0


class EvalReport(BaseModel):
    engine: str
    concurrency: int
    elapsed_s: float
    results: list[ScriptResult]
    calibration: Calibration | None = None
    workers: list[WorkerStats] = Field(default_factory=list)
    resumed: int = 0  # results taken from an earlier, interrupted run (``--resume``)
    shard: str | None = None  # "i/N" for one shard of a suite; None for the whole suite (or a merge)

    @property
    def failures(self) -> list[ScriptResult]:
        return [r for r in self.results if not r.passed]

    def ordered(self) -> list[ScriptResult]:
        """Failures first, then by scenario and script."""
        return sorted(self.results, key=lambda r: (r.passed, r.scenario, r.script))


def check_expectations(script: CandidateScript, result: ScriptResult) -> list[ExpectationCheck]:
    """One check per band of the script; a missing score (failed session) fails its check."""
    expect = script.expect
    if expect is None:
        return []
    bands: list[tuple[str, Band]] = [(OVERALL, expect.overall)] if expect.overall else []
    bands += [(d, expect.dimensions[d]) for d in DIMENSIONS if d in expect.dimensions]
    checks = []
    for target, band in bands:
        score = result.overall if target == OVERALL else result.dimensions.get(target)
        inside = score is not None and band.holds(score)
        known = expect.known_misses.get(target)
        # a known miss passes while it misses, and fails once it lands inside (remove the entry then)
        passed = inside if known is None else (score is not None and not inside)
        checks.append(
            ExpectationCheck(target=target, band=band, score=score, passed=passed, inside=inside, known_miss=known)
        )
    return checks


def calibrate(results: Sequence[ScriptResult], repeat: int = 1) -> Calibration:
    """Agreement with the bands, pairwise ordering accuracy, and (``repeat`` > 1) score spread."""
    agreement = {t: Agreement(inside=0, total=0) for t in (*DIMENSIONS, OVERALL)}
    for r in results:
        for c in r.checks:
            agreement[c.target].total += 1
            agreement[c.target].inside += int(c.inside)
    pooled = Agreement(inside=sum(a.inside for a in agreement.values()), total=sum(a.total for a in agreement.values()))
    pairs = ordered = ties = 0
    for a, b in combinations(results, 2):
        mid_a, mid_b = expected_middle(a), expected_middle(b)
        if a.scenario != b.scenario or mid_a is None or mid_b is None:
            continue
        if abs(mid_a - mid_b) < MIN_ORDER_GAP or a.overall is None or b.overall is None:
            continue
        pairs += 1
        expected = mid_a - mid_b
        got = a.overall - b.overall
        ties += int(got == 0)
        ordered += int(got * expected > 0)
    spread = {}
    if repeat > 1:
        for target in (*DIMENSIONS, OVERALL):
            series = [[rep[target] for rep in r.repeats if target in rep] for r in results if r.repeats]
            series = [s for s in series if s]
            if series:
                ranges = [max(s) - min(s) for s in series]
                stdevs = [statistics.pstdev(s) for s in series]
                spread[target] = Spread(
                    mean_range=round(statistics.fmean(ranges), 3),
                    max_range=round(max(ranges), 3),
                    mean_stdev=round(statistics.fmean(stdevs), 3),
                )
    return Calibration(
        agreement=agreement,
        pooled=pooled,
        pairs=pairs,
        pairs_ordered=ordered,
        ties=ties,
        repeat=repeat,
        spread=spread,
    )


def expected_middle(result: ScriptResult) -> float | None:
    """The middle of the expected overall band; without one, the mean of the dimension bands' middles."""
    overall = [c.band.middle for c in result.checks if c.target == OVERALL]
    dims = [c.band.middle for c in result.checks if c.target != OVERALL]
    if overall:
        return overall[0]
    return statistics.fmean(dims) if dims else None
