"""Running jobs as meetings: each one through the same ``Meetings`` API the CLI and the web app use.

The offline engine's work is CPU, so with more than one at once its sessions run in worker
processes (``graphs.evaluation.workers``). The LLM engine mostly waits on the model, so its
sessions run as threads on one shared ``Meetings``, ``concurrency`` at once. Sessions are
checkpointed in memory (``InMemorySaver``) and each thread is deleted once its result is read: an
evaluation keeps no sessions, and memory was faster than a SQLite file (16 LLM sessions at once:
7.1 s vs 7.6 s, 224 vs 272 ms CPU a session; ``benchmarks/throughput.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed

from agents.settings import Engine, Settings
from agents.stakeholder.quality import checklist_phrases, repeated_sentences
from graphs.evaluation.results import OVERALL, EvalJob, EvalReport, ScriptResult, calibrate, check_expectations
from graphs.session import Meetings

Progress = Callable[[int, int, ScriptResult], None]


def run_evaluation(
    meetings: Meetings,
    jobs: Sequence[EvalJob],
    *,
    engine: Engine | None = None,
    concurrency: int = 4,
    repeat: int = 1,
    calibration: bool = False,
    on_result: Progress | None = None,
    processes: bool | None = None,
) -> EvalReport:
    """Run every job as a meeting, up to ``concurrency`` at once; ``on_result(done, total, result)``
    is called in the calling thread as each finishes. With ``repeat`` > 1 each final transcript is
    scored that many times more (the spread shows how stable the scorer is).

    A job's own ``engine`` and ``model`` win over the run's. ``processes``: offline sessions in
    ``concurrency`` worker processes; unset, whenever ``concurrency`` > 1 (the same results as in
    one process, faster on more than one core).
    """
    engine = engine or meetings.settings.resolved_engine()
    started = time.perf_counter()
    results: list[ScriptResult] = []
    workers = []
    total = len(jobs)

    def collect(result: ScriptResult) -> None:
        results.append(result)
        if on_result:
            on_result(len(results), total, result)

    groups: dict[tuple[str, str | None], list[EvalJob]] = {}
    for job in jobs:
        groups.setdefault((job.engine or engine, job.model), []).append(job)
    for (group_engine, model), group in groups.items():
        use_processes = processes if processes is not None else concurrency > 1
        if group_engine == "offline" and use_processes and concurrency > 1:
            from graphs.evaluation.workers import run_in_workers

            workers += run_in_workers(meetings, group, concurrency=concurrency, repeat=repeat, on_result=collect)
            continue
        target = meetings if model in (None, meetings.settings.model) else _with_model(meetings, model)
        _run_in_threads(target, group, group_engine, concurrency, repeat, collect)
    order = {j.key: i for i, j in enumerate(jobs)}
    results.sort(key=lambda r: order.get(r.key, len(order)))
    return EvalReport(
        engine=_engine_label(groups, engine),
        concurrency=concurrency,
        elapsed_s=round(time.perf_counter() - started, 2),
        results=results,
        calibration=calibrate(results, repeat) if calibration or repeat > 1 else None,
        workers=workers,
    )


def _run_in_threads(
    meetings: Meetings,
    jobs: Sequence[EvalJob],
    engine: Engine,
    concurrency: int,
    repeat: int,
    collect: Callable[[ScriptResult], None],
) -> None:
    warm_up(meetings, engine)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="eval") as pool:
        futures = [pool.submit(run_job, meetings, job, engine, repeat) for job in jobs]
        try:
            for future in as_completed(futures):
                collect(future.result())
        except BaseException:  # Ctrl-C: start nothing more; what finished is already collected
            for future in futures:
                future.cancel()
            raise


def _with_model(meetings: Meetings, model: str) -> Meetings:
    """A ``Meetings`` like ``meetings`` but calling ``model`` (a suite entry's model)."""
    settings = meetings.settings.model_copy(update={"model": model})
    return eval_meetings(settings, scenarios=meetings.scenarios)


def _engine_label(groups: dict, default: str) -> str:
    names = sorted({e for e, _ in groups} or {default})
    return "+".join(names)


def run_job(meetings: Meetings, job: EvalJob, engine: Engine, repeat: int = 1) -> ScriptResult:
    """Hold one scripted meeting; a failed session is recorded as a failure, never raised."""
    result = ScriptResult(
        scenario=job.scenario,
        script=job.name,
        path=job.path,
        about=job.script.about,
        engine=engine,
        key=job.key,
        case=job.case,
        run=job.run,
        model=meetings.settings.model if engine == "llm" else None,
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


def _forget(meetings: Meetings, session_id: str | None) -> None:
    """Drop a finished session's checkpoints: an evaluation keeps none, so memory stays flat."""
    if session_id and hasattr(meetings.checkpointer, "delete_thread"):
        meetings.checkpointer.delete_thread(session_id)
