"""``roundtable eval``: run candidate scripts through scenarios in parallel, check their bands, write a report.

roundtable eval                                   # every library script, offline unless a key is set
roundtable eval chat-system --concurrency 8 --out eval-out/
roundtable eval --calibration --repeat 3 --min-agreement 0.8
roundtable eval --suite scenarios/suites/nightly.yaml --shard 2/4 --out shard-2/
roundtable eval --resume eval-out/                # the same command again: finishes an interrupted run
roundtable eval --baseline old-out/ --fail-on-drop 0.3
roundtable eval merge shard-*/ --out merged/       # one report from a suite's shards

Exit codes: 0 every expectation met; 1 a band failed or a session failed (with ``--calibration``:
a session failed or agreement is below ``--min-agreement``; with a gate: the gate failed), or an
overall dropped more than ``--fail-on-drop`` against ``--baseline``, or (merge) a shard or session
is missing; 2 bad input (unknown scenario, malformed script or suite: the message names the file,
the field and the line); 130 interrupted (what finished is kept: ``--resume``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from agents.settings import Settings
from graphs.evaluation import (
    CALIBRATION_DIR,
    BaselineDiff,
    EvalInputError,
    EvalJob,
    EvalReport,
    Gate,
    ResultsLog,
    RunManifest,
    ScriptResult,
    compare,
    discover,
    eval_meetings,
    finish_report,
    load_suite,
    merge_runs,
    parse_shard,
    read_results,
    room_summary,
    run_evaluation,
    shard,
    suite_digest,
)
from scenarios import ScenarioError
from ui.eval_view import PlainProgress, print_baseline, print_outcome, print_room, print_workers, progress_bar
from ui.eval_view import summary_table as summary_table
from ui.report import write_reports

console = Console()
errors = Console(stderr=True)
DEFAULT_OUT = Path("eval-out")
LLM_CONCURRENCY = 4


def eval_command(
    scenarios: Annotated[
        list[str] | None,
        typer.Argument(
            help="Scenario ids to evaluate (default: every one with scripts). "
            "`roundtable eval merge DIR... --out DIR` merges the folders of a suite's shards."
        ),
    ] = None,
    scripts: Annotated[
        Path | None,
        typer.Option("--scripts", help="Folder of <scenario-id>/*.yaml, or of *.yaml for the scenarios named."),
    ] = None,
    suite: Annotated[
        Path | None,
        typer.Option("--suite", help="Suite file: scripts × scenarios × repeats × engine/model (YAML)."),
    ] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="offline | llm (default: as for play)")] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            "-j",
            min=1,
            max=64,
            help="Meetings at once: offline, worker processes (default: one per core); llm, threads (default 4).",
        ),
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where the report files are written [eval-out].")] = None,
    resume: Annotated[
        Path | None,
        typer.Option("--resume", help="Finish the interrupted run in this --out folder (same scripts and suite)."),
    ] = None,
    shard_spec: Annotated[
        str | None, typer.Option("--shard", help="Run only slice i of N of the suite (i/N, 1-based), for a CI matrix.")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", help="An earlier --out folder: report what moved, per script and dimension."),
    ] = None,
    fail_on_drop: Annotated[
        float | None,
        typer.Option("--fail-on-drop", min=0, help="With --baseline: exit 1 when an overall drops by more than this."),
    ] = None,
    calibration: Annotated[
        bool,
        typer.Option("--calibration", help="Report agreement and ordering (scripts: scenarios/calibration)."),
    ] = False,
    repeat: Annotated[
        int, typer.Option("--repeat", min=1, max=20, help="Score each final transcript K times (spread).")
    ] = 1,
    min_agreement: Annotated[
        float | None,
        typer.Option("--min-agreement", min=0, max=1, help="With --calibration: fail below this agreement."),
    ] = None,
    min_within: Annotated[
        float | None,
        typer.Option(
            "--min-within",
            min=0,
            max=1,
            help="Gate: least share of overalls within 0.5 of their band (judged as a suite).",
        ),
    ] = None,
    max_exploits: Annotated[
        int | None, typer.Option("--max-exploits", min=0, help="Gate: most scripts scoring over 1.0 above their band.")
    ] = None,
    max_wrongly_settled: Annotated[
        int | None,
        typer.Option("--max-wrongly-settled", min=0, help="Gate: most concerns settled that a script says stay open."),
    ] = None,
    max_canned: Annotated[
        int | None,
        typer.Option("--max-canned", min=0, help="Gate: most repeated sentences plus checklist phrases read out."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Model name for the llm engine.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint.")] = None,
) -> None:
    """Run scripted meetings in parallel and check each scorecard against the script's bands."""
    gate = Gate(min_within, max_exploits, max_wrongly_settled, max_canned)
    if fail_on_drop is not None and baseline is None:
        _fail("--fail-on-drop needs --baseline OLD_DIR (the run to compare with)")
    if scenarios and scenarios[0] == "merge":
        chosen = [scripts, suite, engine, concurrency, resume, shard_spec, model, base_url]
        if any(v is not None for v in chosen) or calibration or repeat != 1:
            _fail(
                "merge takes folders, --out, --baseline/--fail-on-drop and the gate options; the rest was set per shard"
            )
        _merge(scenarios[1:], out or DEFAULT_OUT, baseline, fail_on_drop, gate, min_agreement)
        return
    try:
        settings = Settings(
            **{k: v for k, v in {"engine": engine, "model": model, "openai_base_url": base_url}.items() if v}
        )
    except ValidationError as exc:
        _fail("invalid setting: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    if resume is not None and out is not None and out.resolve() != resume.resolve():
        _fail(f"--resume {resume} writes to that folder; drop --out {out} (or make it the same folder)")
    out = resume or out or DEFAULT_OUT
    if scripts is None and suite is None and calibration and CALIBRATION_DIR.is_dir():
        scripts = CALIBRATION_DIR
    try:
        meetings = eval_meetings(settings)
        jobs = _jobs(list(meetings.scenarios), scenarios or [], scripts, suite)
        digest, total = suite_digest(jobs), len(jobs)
        if shard_spec:
            jobs = shard(jobs, *parse_shard(shard_spec))
        before = read_results(baseline) if baseline is not None else None
        engine_name = settings.resolved_engine()
        jobs_engines = {j.engine or engine_name for j in jobs}
        j = concurrency or (os.cpu_count() or 1 if jobs_engines == {"offline"} else LLM_CONCURRENCY)
        manifest = RunManifest(
            suite=digest,
            sessions=total,
            shard=shard_spec and "{}/{}".format(*parse_shard(shard_spec)),
            keys=[job.key for job in jobs],
            engine="+".join(sorted(jobs_engines)),
            concurrency=j,
            repeat=repeat,
            calibration=calibration,
        )
        log = ResultsLog(out, manifest, resume=resume is not None)
    except (EvalInputError, ScenarioError) as exc:
        _fail(str(exc))
    remaining = log.remaining(jobs)
    _print_start(meetings, jobs, remaining, log, engine_name, j, shard_spec, total)
    try:
        run = _run(meetings, remaining, engine_name, j, repeat, calibration, log, done=len(jobs) - len(remaining))
    except KeyboardInterrupt:
        log.close(complete=False)
        errors.print(
            f"[bold yellow]Interrupted[/]: {len(log.done) + _appended(log)} of {len(jobs)} sessions kept in "
            f"{escape(str(out))}; finish with the same command and --resume {escape(str(out))}",
            soft_wrap=True,
        )
        raise typer.Exit(130) from None
    log.close(complete=True)
    report = finish_report(log, jobs, run)
    code = _judge(report, out, gate, calibration, min_agreement, before, baseline, fail_on_drop)
    raise typer.Exit(code)


def _jobs(known: list[str], scenarios: list[str], scripts: Path | None, suite: Path | None) -> list[EvalJob]:
    if suite is not None:
        if scripts is not None or scenarios:
            raise EvalInputError("--suite lists its own scripts and scenarios: drop --scripts and the scenario ids")
        return load_suite(suite, known)
    return discover(known, scenarios, scripts)


def _print_start(meetings, jobs, remaining, log, engine_name, j, shard_spec, total) -> None:
    engines = {job.engine or engine_name for job in jobs}
    how = []
    if "offline" in engines:
        how.append(f"offline in {min(j, max(1, len(remaining)))} worker processes" if j > 1 else "offline in-process")
    if "llm" in engines:
        how.append(f"{escape(meetings.engines.describe('llm'))} · {j} at once")
    scripts = len({job.path for job in jobs})
    head = f"Evaluating {len(jobs)} sessions ({scripts} scripts) in {len({job.scenario for job in jobs})} scenarios"
    if shard_spec:
        head += f" · shard {escape(shard_spec)} of a {total}-session suite"
    console.print(f"{head} · {' · '.join(how)}", soft_wrap=True)
    if len(remaining) < len(jobs) or log.retried:
        again = f"; {log.retried} that failed run again" if log.retried else ""
        console.print(f"Resuming: {len(jobs) - len(remaining)} done, {len(remaining)} to go{again}", soft_wrap=True)


def _run(meetings, jobs, engine_name, j, repeat, calibration, log: ResultsLog, done: int) -> EvalReport:
    total = done + len(jobs)
    if not console.is_terminal:
        plain = PlainProgress(total, done)

        def on_plain(n: int, _total: int, result: ScriptResult) -> None:
            log.append(result)
            plain.update(done + n)

        return run_evaluation(
            meetings,
            jobs,
            engine=engine_name,
            concurrency=j,
            repeat=repeat,
            calibration=calibration,
            on_result=on_plain,
        )
    with progress_bar() as progress:
        task = progress.add_task("meetings", total=total, completed=done, last="")

        def advance(n: int, _total: int, result: ScriptResult) -> None:
            log.append(result)
            mark = "[green]ok[/]" if result.passed else "[red]FAIL[/]"
            progress.update(task, completed=done + n, last=f"{mark} {escape(result.ident)}")

        return run_evaluation(
            meetings, jobs, engine=engine_name, concurrency=j, repeat=repeat, calibration=calibration, on_result=advance
        )


def _appended(log: ResultsLog) -> int:
    path = log.folder / "results.jsonl"
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()) - len(log.done)


def _judge(
    report: EvalReport,
    out: Path,
    gate: Gate,
    calibration: bool,
    min_agreement: float | None,
    before: list[ScriptResult] | None,
    baseline: Path | None,
    fail_on_drop: float | None,
    problems: list[str] = (),
) -> int:
    """Print the table, room, baseline and outcome, write the reports; the exit code."""
    console.print(summary_table(report))
    diff: BaselineDiff | None = None
    if before is not None:
        diff = compare(before, report.results, baseline=str(baseline))
    paths = write_reports(report, out, diff=diff)
    room = room_summary(report)
    code = gate.exit_code(report, room) if gate.active else exit_code(report, calibration, min_agreement)
    print_room(room)
    print_workers(report)
    drops = []
    if diff is not None:
        drops = diff.drops(fail_on_drop) if fail_on_drop is not None else []
        print_baseline(diff, drops, fail_on_drop)
        code = max(code, int(bool(drops)))
    for problem in problems:
        console.print(f"[bold red]incomplete[/]: {escape(problem)}", soft_wrap=True)
    code = max(code, int(bool(problems)))
    print_outcome(report, code, min_agreement, gate)
    console.print(f"[dim]Wrote {', '.join(escape(str(p)) for p in paths.values())}[/]", soft_wrap=True)
    return code


def _merge(folders: list[str], out: Path, baseline, fail_on_drop, gate: Gate, min_agreement) -> None:
    if not folders:
        _fail("merge: name the --out folders of the shards, e.g. roundtable eval merge shard-*/ --out merged/")
    try:
        report, problems = merge_runs([Path(f) for f in folders])
        before = read_results(baseline) if baseline is not None else None
    except EvalInputError as exc:
        _fail(str(exc))
    if any(Path(f).resolve() == out.resolve() for f in folders):
        _fail(f"merge --out {out} is one of the shard folders: write the merged report elsewhere")
    console.print(f"Merged {len(folders)} folders: {len(report.results)} sessions", soft_wrap=True)
    calibration = report.calibration is not None
    code = _judge(report, out, gate, calibration, min_agreement, before, baseline, fail_on_drop, problems)
    raise typer.Exit(code)


def exit_code(report: EvalReport, calibration: bool, min_agreement: float | None) -> int:
    """1 when a band failed or a session failed; in calibration mode bands are judged together,
    by ``min_agreement`` (a calibration set is expected to miss a few of its bands)."""
    if any(r.error for r in report.results):
        return 1
    if calibration:
        agreement = report.calibration.pooled.fraction if report.calibration else None
        return int(min_agreement is not None and (agreement is None or agreement < min_agreement))
    return int(bool(report.failures))


def _fail(message: str, code: int = 2):
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # paths stay whole
    raise typer.Exit(code)
