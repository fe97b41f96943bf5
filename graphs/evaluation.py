"""Scripted evaluation at scale: run candidate scripts as meetings, check their bands, calibrate the scorer.

Each (scenario, script) pair is one meeting driven through the same ``Meetings`` API the CLI and
the web app use (start, send each turn, finish), up to ``concurrency`` at once on one shared
``Meetings``. Sessions are checkpointed in memory (``InMemorySaver``) and each thread is deleted
once its result is read: an evaluation keeps no sessions, and memory was faster than a SQLite file
(16 LLM sessions at once: 7.1 s vs 7.6 s, 224 vs 272 ms CPU a session; ``benchmarks/throughput.py``).

Scripts are found in ``DIR/<scenario-id>/*.yaml`` (the library's ``scenarios/scripts`` by default),
or, for a folder of YAML files without sub-folders, applied to the scenarios named.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from itertools import combinations
from pathlib import Path

from pydantic import BaseModel, Field

from agents.settings import Engine, Settings
from agents.stakeholder.quality import checklist_phrases, repeated_sentences
from graphs.session import Meetings
from scenarios import DIMENSIONS, LIBRARY_DIR, CandidateScript, ScenarioError, load_script
from scenarios.script import Band

SCRIPTS_DIR = LIBRARY_DIR.parent / "scripts"
CALIBRATION_DIR = LIBRARY_DIR.parent / "calibration"
OVERALL = "overall"
MIN_ORDER_GAP = 1.0  # expected overall middles this far apart must be ordered the same way by the scorer


class EvalInputError(ValueError):
    """Bad input to an evaluation (unknown scenario, malformed or missing scripts); nothing was run."""


class EvalJob(BaseModel):
    """One script to run against one scenario."""

    scenario: str
    path: str
    script: CandidateScript

    @property
    def name(self) -> str:
        return self.script.name or Path(self.path).stem


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


class EvalReport(BaseModel):
    engine: str
    concurrency: int
    elapsed_s: float
    results: list[ScriptResult]
    calibration: Calibration | None = None

    @property
    def failures(self) -> list[ScriptResult]:
        return [r for r in self.results if not r.passed]

    def ordered(self) -> list[ScriptResult]:
        """Failures first, then by scenario and script."""
        return sorted(self.results, key=lambda r: (r.passed, r.scenario, r.script))


class RoomSummary(BaseModel):
    """The suite judged as a whole, the way a person trying it would: is each overall near its band,
    did any script game the scorer, and did the room sound canned or settle what it should not?

    ``within``: scripts whose overall is within ``tolerance`` of its band; ``exploits``: scripts
    scoring more than ``EXPLOIT_GAP`` above their band's top.
    """

    scripts: int
    banded: int
    within: int
    exploits: list[str]
    repeated_sentences: int
    checklist_phrases: int
    wrongly_settled: list[str]
    tolerance: float

    @property
    def within_share(self) -> float | None:
        return self.within / self.banded if self.banded else None


EXPLOIT_GAP = 1.0


def room_summary(report: EvalReport, tolerance: float = 0.5) -> RoomSummary:
    banded = within = 0
    exploits = []
    for r in report.results:
        check = next((c for c in r.checks if c.target == OVERALL), None)
        if check is None or r.overall is None:
            continue
        banded += 1
        within += check.band.low - tolerance <= r.overall <= check.band.high + tolerance
        if r.overall > check.band.high + EXPLOIT_GAP:
            exploits.append(f"{r.scenario}/{r.script}")
    return RoomSummary(
        scripts=len(report.results),
        banded=banded,
        within=within,
        exploits=exploits,
        repeated_sentences=sum(len(r.repeated_sentences) for r in report.results),
        checklist_phrases=sum(len(r.checklist_phrases) for r in report.results),
        wrongly_settled=[f"{r.scenario}/{r.script}: {c}" for r in report.results for c in r.wrongly_settled],
        tolerance=tolerance,
    )


Progress = Callable[[int, int, ScriptResult], None]


def discover(
    known: Sequence[str], scenario_ids: Sequence[str] = (), scripts_dir: str | Path | None = None
) -> list[EvalJob]:
    """Find and load the scripts to run; raise ``EvalInputError`` (naming file, field and line) on bad input.

    ``scripts_dir`` holds ``<scenario-id>/*.yaml`` folders, or YAML files for ``scenario_ids``.
    Unset: the library's scripts. ``scenario_ids`` limits the run to those scenarios.
    """
    unknown = [s for s in scenario_ids if s not in known]
    if unknown:
        raise EvalInputError(f"unknown scenario {', '.join(unknown)}; known scenarios: {', '.join(sorted(known))}")
    root = Path(scripts_dir) if scripts_dir is not None else SCRIPTS_DIR
    if not root.is_dir():
        raise EvalInputError(f"no scripts folder {root}")
    wanted = set(scenario_ids) or set(known)
    paths: list[tuple[str, Path]] = []
    loose = sorted(p for p in root.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    if loose:
        if not scenario_ids:
            raise EvalInputError(f"{root} holds scripts directly: name the scenario they are for")
        paths += [(sid, p) for sid in scenario_ids for p in loose]
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
        if not files:
            continue
        if folder.name not in known:
            raise EvalInputError(f"{folder}: no scenario '{folder.name}'; known scenarios: {', '.join(sorted(known))}")
        if folder.name in wanted:
            paths += [(folder.name, p) for p in files]
    missing = [s for s in scenario_ids if not any(sid == s for sid, _ in paths)]
    if missing:
        raise EvalInputError(f"no scripts for {', '.join(missing)} in {root}")
    if not paths:
        raise EvalInputError(f"no scripts in {root}")
    jobs, problems = [], []
    for sid, path in paths:
        try:
            jobs.append(EvalJob(scenario=sid, path=str(path), script=load_script(path)))
        except ScenarioError as exc:
            problems.append(str(exc).replace("invalid scenario", "invalid script", 1))
    if problems:
        raise EvalInputError("\n".join(problems))
    return jobs


def run_evaluation(
    meetings: Meetings,
    jobs: Sequence[EvalJob],
    *,
    engine: Engine | None = None,
    concurrency: int = 4,
    repeat: int = 1,
    calibration: bool = False,
    on_result: Progress | None = None,
) -> EvalReport:
    """Run every job as a meeting, up to ``concurrency`` at once; ``on_result(done, total, result)``
    is called in the calling thread as each finishes. With ``repeat`` > 1 each final transcript is
    scored that many times more (the spread shows how stable the scorer is)."""
    engine = engine or meetings.settings.resolved_engine()
    warm_up(meetings, engine)
    started = time.perf_counter()
    results: list[ScriptResult] = []
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="eval") as pool:
        futures = [pool.submit(run_job, meetings, job, engine, repeat) for job in jobs]
        for future in as_completed(futures):
            results.append(future.result())
            if on_result:
                on_result(len(results), len(futures), results[-1])
    order = {(j.scenario, j.path): i for i, j in enumerate(jobs)}
    results.sort(key=lambda r: order[(r.scenario, r.path)])
    return EvalReport(
        engine=engine,
        concurrency=concurrency,
        elapsed_s=round(time.perf_counter() - started, 2),
        results=results,
        calibration=calibrate(results, repeat) if calibration or repeat > 1 else None,
    )


def run_job(meetings: Meetings, job: EvalJob, engine: Engine, repeat: int = 1) -> ScriptResult:
    """Hold one scripted meeting; a failed session is recorded as a failure, never raised."""
    result = ScriptResult(
        scenario=job.scenario,
        script=job.name,
        path=job.path,
        about=job.script.about,
        engine=engine,
        script_turns=len(job.script.turns),
    )
    started = time.perf_counter()
    try:
        view = meetings.start(job.scenario, engine=engine)
        result.session_id = view.session_id
        for text in job.script.turns:
            if view.phase == "done":
                break
            view = meetings.send(view.session_id, text)
            result.turns += 1
        view = meetings.finish(view.session_id)
        card = view.scorecard
        result.end_reason, result.usage = view.end_reason, dict(view.usage)
        transcript = [t.model_dump() for t in view.transcript]
        result.settled = [cid for cid, c in view.board.items() if c["status"] == "resolved"]
        result.wrongly_settled = [
            cid for cid in (job.script.expect.unsettled if job.script.expect else ()) if cid in result.settled
        ]
        result.repeated_sentences = repeated_sentences(transcript)
        result.checklist_phrases = checklist_phrases(meetings.scenario(job.scenario), transcript)
        if card is not None:
            result.overall = card.overall
            result.dimensions = {d: s.score for d, s in card.dimensions.items()}
            result.ignored = list(card.ignored)
        if repeat > 1:
            transcript = [t.model_dump() for t in view.transcript if t.intent != "close"]
            scenario = meetings.scenario(job.scenario)
            for _ in range(repeat):
                again, _usage = meetings.engines.score(engine, scenario, transcript, view.board, view.revealed)
                result.repeats.append({OVERALL: again.overall} | {d: s.score for d, s in again.dimensions.items()})
    except Exception as exc:  # any failure of one session is that script's failure, not the run's
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        result.elapsed_s = round(time.perf_counter() - started, 3)
        _forget(meetings, result.session_id)
    result.checks = check_expectations(job.script, result)
    return result


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


def eval_meetings(settings: Settings, **kwargs) -> Meetings:
    """A ``Meetings`` for evaluation: sessions checkpointed in memory, never written to the data dir."""
    from langgraph.checkpoint.memory import InMemorySaver

    return Meetings(settings, checkpointer=InMemorySaver(), **kwargs)


def warm_up(meetings: Meetings, engine: Engine) -> None:
    """Load what parallel sessions would otherwise race to create: the embedding model and the chat client."""
    from agents.reading.matching import embed

    embed(["warm up the embedding model"])
    if engine == "llm":
        _ = meetings.engines.model


def expected_middle(result: ScriptResult) -> float | None:
    """The middle of the expected overall band; without one, the mean of the dimension bands' middles."""
    overall = [c.band.middle for c in result.checks if c.target == OVERALL]
    dims = [c.band.middle for c in result.checks if c.target != OVERALL]
    if overall:
        return overall[0]
    return statistics.fmean(dims) if dims else None


def _forget(meetings: Meetings, session_id: str | None) -> None:
    """Drop a finished session's checkpoints: an evaluation keeps none, so memory stays flat."""
    if session_id and hasattr(meetings.checkpointer, "delete_thread"):
        meetings.checkpointer.delete_thread(session_id)
