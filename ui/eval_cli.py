"""``roundtable eval``: run candidate scripts through scenarios in parallel, check their bands, write a report.

roundtable eval                                   # every library script, offline unless a key is set
roundtable eval chat-system --concurrency 8 --out eval-out/
roundtable eval --calibration --repeat 3 --min-agreement 0.8

Exit codes: 0 every expectation met; 1 a band failed or a session failed (with ``--calibration``:
a session failed or agreement is below ``--min-agreement``); 2 bad input (unknown scenario,
malformed script: the message names the file, the field and the line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agents.settings import Settings
from graphs.evaluation import (
    CALIBRATION_DIR,
    EXPLOIT_GAP,
    OVERALL,
    EvalInputError,
    EvalReport,
    RoomSummary,
    ScriptResult,
    discover,
    eval_meetings,
    room_summary,
    run_evaluation,
)
from scenarios import DIMENSIONS, ScenarioError
from ui.report import write_reports

console = Console()
errors = Console(stderr=True)


def eval_command(
    scenarios: Annotated[
        list[str] | None, typer.Argument(help="Scenario ids to evaluate (default: every one with scripts).")
    ] = None,
    scripts: Annotated[
        Path | None,
        typer.Option("--scripts", help="Folder of <scenario-id>/*.yaml, or of *.yaml for the scenarios named."),
    ] = None,
    engine: Annotated[str | None, typer.Option("--engine", help="offline | llm (default: as for play)")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-j", min=1, max=64, help="Meetings at once.")] = 4,
    out: Annotated[Path, typer.Option("--out", help="Where the report files are written.")] = Path("eval-out"),
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
    try:
        settings = Settings(
            **{k: v for k, v in {"engine": engine, "model": model, "openai_base_url": base_url}.items() if v}
        )
    except ValidationError as exc:
        _fail("invalid setting: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    if scripts is None and calibration and CALIBRATION_DIR.is_dir():
        scripts = CALIBRATION_DIR
    try:
        meetings = eval_meetings(settings)
        jobs = discover(list(meetings.scenarios), scenarios or [], scripts)
    except (EvalInputError, ScenarioError) as exc:
        _fail(str(exc))
    engine_name = settings.resolved_engine()
    console.print(
        f"Evaluating {len(jobs)} scripts in {len({j.scenario for j in jobs})} scenarios · "
        f"{escape(meetings.engines.describe(engine_name))} · {concurrency} at once"
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("meetings", total=len(jobs), last="")

        def advance(done: int, total: int, result: ScriptResult) -> None:
            mark = "[green]ok[/]" if result.passed else "[red]FAIL[/]"
            progress.update(task, completed=done, last=f"{mark} {escape(result.scenario)}/{escape(result.script)}")

        report = run_evaluation(
            meetings,
            jobs,
            engine=engine_name,
            concurrency=concurrency,
            repeat=repeat,
            calibration=calibration,
            on_result=advance,
        )
    console.print(summary_table(report))
    paths = write_reports(report, out)
    room = room_summary(report)
    gate = Gate(min_within, max_exploits, max_wrongly_settled, max_canned)
    code = gate.exit_code(report, room) if gate.active else exit_code(report, calibration, min_agreement)
    _print_room(room)
    _print_outcome(report, code, min_agreement, gate)
    console.print(f"[dim]Wrote {', '.join(escape(str(p)) for p in paths.values())}[/]", soft_wrap=True)
    raise typer.Exit(code)


@dataclass(frozen=True)
class Gate:
    """Judge the suite as a whole (the room's faults and how near each overall lands) rather than
    every band: an adversarial suite is meant to find misses, and a gate says how many are tolerated."""

    min_within: float | None = None
    max_exploits: int | None = None
    max_wrongly_settled: int | None = None
    max_canned: int | None = None

    @property
    def active(self) -> bool:
        return any(
            v is not None for v in (self.min_within, self.max_exploits, self.max_wrongly_settled, self.max_canned)
        )

    def failures(self, room: RoomSummary) -> list[str]:
        out = []
        share = room.within_share
        if self.min_within is not None and (share is None or share < self.min_within):
            out.append(f"{room.within} of {room.banded} overalls within {room.tolerance:g} of their band")
        if self.max_exploits is not None and len(room.exploits) > self.max_exploits:
            out.append(f"{len(room.exploits)} scripts over {EXPLOIT_GAP:g} above their band")
        if self.max_wrongly_settled is not None and len(room.wrongly_settled) > self.max_wrongly_settled:
            out.append(f"{len(room.wrongly_settled)} concerns settled that should stay open")
        canned = room.repeated_sentences + room.checklist_phrases
        if self.max_canned is not None and canned > self.max_canned:
            out.append(f"{canned} repeated sentences or checklist phrases")
        return out

    def exit_code(self, report: EvalReport, room: RoomSummary) -> int:
        return int(any(r.error for r in report.results) or bool(self.failures(room)))


def exit_code(report: EvalReport, calibration: bool, min_agreement: float | None) -> int:
    """1 when a band failed or a session failed; in calibration mode bands are judged together,
    by ``min_agreement`` (a calibration set is expected to miss a few of its bands)."""
    if any(r.error for r in report.results):
        return 1
    if calibration:
        agreement = report.calibration.pooled.fraction if report.calibration else None
        return int(min_agreement is not None and (agreement is None or agreement < min_agreement))
    return int(bool(report.failures))


SHORT = {
    OVERALL: "all",
    "framing": "fra",
    "systems": "sys",
    "tradeoffs": "tra",
    "alignment": "ali",
    "collaboration": "col",
}


def summary_table(report: EvalReport) -> Table:
    """Failures first; scores outside their band in red, and the bands they missed in the note."""
    table = Table(title=f"{len(report.results)} scripts · {report.elapsed_s:.1f} s", title_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("scenario/script", min_width=20, overflow="fold")
    for name in (OVERALL, *DIMENSIONS):
        table.add_column(SHORT.get(name, name), justify="right", no_wrap=True)
    table.add_column("note", overflow="fold")
    for r in report.ordered():
        checks = {c.target: c for c in r.checks}
        cells = []
        for target in (OVERALL, *DIMENSIONS):
            score = r.overall if target == OVERALL else r.dimensions.get(target)
            text = "–" if score is None else f"{score:g}"
            check = checks.get(target)
            colour = "green" if check and check.inside else "yellow" if check and check.passed else "bold red"
            cells.append(text if check is None else f"[{colour}]{text}[/]")
        missed = [
            f"{c.target} {'–' if c.score is None else f'{c.score:g}'}"
            + (f"∈{c.band}: a known miss now passes, remove it" if c.known_miss else f"∉{c.band}")
            for c in r.failed_checks
        ]
        known = [f"known miss: {c.target} ({c.known_miss})" for c in r.checks if c.known_miss and c.passed]
        if r.error:
            note = f"[red]{escape(r.error[:200])}[/]"
        elif missed:
            note = f"[red]{escape(', '.join(missed))}[/]"
        elif known:
            note = f"[yellow]{escape('; '.join(known))}[/]"
        else:
            note = escape(f"{r.end_reason or ''} {r.turns}/{r.script_turns} turns")
        status = "[green]ok[/]" if r.passed else "[bold red]FAIL[/]"
        table.add_row(status, f"{escape(r.scenario)}/{escape(r.script)}", *cells, note)
    return table


def _print_room(room: RoomSummary) -> None:
    share = "–" if room.within_share is None else f"{room.within_share:.0%}"
    console.print(
        f"Room: {room.within} of {room.banded} overalls within {room.tolerance:g} of their band ({share}) · "
        f"{len(room.exploits)} over {EXPLOIT_GAP:g} above · {room.repeated_sentences} repeated sentences · "
        f"{room.checklist_phrases} checklist phrases read out · {len(room.wrongly_settled)} concerns settled "
        "that should stay open",
        soft_wrap=True,
    )
    for item in [*room.exploits, *room.wrongly_settled]:
        console.print(f"  [yellow]{escape(item)}[/]", soft_wrap=True)


def _print_outcome(report: EvalReport, code: int, min_agreement: float | None, gate: Gate | None = None) -> None:
    cal = report.calibration
    if cal is not None:
        parts = [f"agreement {_pct(cal.pooled.fraction)} of {cal.pooled.total} bands"]
        parts += [f"{t} {_pct(a.fraction)}" for t, a in cal.agreement.items() if a.total]
        parts.append(f"ordering {_pct(cal.ordering_accuracy)} of {cal.pairs} pairs")
        console.print("Calibration: " + " · ".join(parts), soft_wrap=True)
        if cal.spread:
            spread = ", ".join(f"{t} range {s.max_range:g} stdev {s.mean_stdev:g}" for t, s in cal.spread.items())
            note = " (offline is deterministic)" if report.engine == "offline" else ""
            console.print(f"Spread over {cal.repeat} scorings{note}: {spread}", soft_wrap=True)
        if min_agreement is not None:
            console.print(f"Required agreement: {min_agreement:.0%}")
    failed = len(report.failures)
    if gate is not None and gate.active:
        problems = gate.failures(room_summary(report))
        if code == 0:
            console.print(f"[bold green]OK[/]: the suite passes its gate ({failed} scripts miss a band; listed above)")
        else:
            console.print("[bold red]FAILED[/]: " + escape("; ".join(problems) or "a session failed"))
        return
    if code == 0:
        known = sum(1 for r in report.results for c in r.checks if c.known_miss and c.passed)
        also = f" ({known} known scorer misses, listed above)" if known else ""
        console.print(f"[bold green]OK[/]: {len(report.results)} scripts, {failed} outside their bands{also}")
    else:
        console.print(f"[bold red]FAILED[/]: {failed} of {len(report.results)} scripts failed")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _fail(message: str, code: int = 2):
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # paths stay whole
    raise typer.Exit(code)
