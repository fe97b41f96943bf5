"""What ``roundtable eval`` prints: the results table, the room line, the outcome, progress, the baseline diff."""

from __future__ import annotations

import time

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from graphs.evaluation import EXPLOIT_GAP, OVERALL, BaselineDiff, EvalReport, Gate, RoomSummary, room_summary
from scenarios import DIMENSIONS

console = Console()
TABLE_ROWS = 60  # more results than this: the table shows the failures (up to this many), report.html all

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
    rows = report.ordered()
    hidden = max(0, len(rows) - TABLE_ROWS)
    if hidden:
        rows = [r for r in rows if not r.passed][:TABLE_ROWS]
        hidden = len(report.results) - len(rows)
    title = f"{len(report.results)} sessions · {report.elapsed_s:.1f} s"
    if report.resumed:
        title += f" · {report.resumed} from the interrupted run"
    caption = f"{hidden} more not shown (failures first); report.html lists every session" if hidden else None
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    table.add_column("", no_wrap=True)
    table.add_column("scenario/script", min_width=20, overflow="fold")
    for name in (OVERALL, *DIMENSIONS):
        table.add_column(SHORT.get(name, name), justify="right", no_wrap=True)
    table.add_column("note", overflow="fold")
    for r in rows:
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
        table.add_row(status, escape(r.ident), *cells, note)
    return table


def print_room(room: RoomSummary) -> None:
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


def print_outcome(report: EvalReport, code: int, min_agreement: float | None, gate: Gate | None = None) -> None:
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
        console.print(f"[bold green]OK[/]: {len(report.results)} sessions, {failed} outside their bands{also}")
    else:
        console.print(f"[bold red]FAILED[/]: {failed} of {len(report.results)} sessions failed")


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


class RateColumn(ProgressColumn):
    """Sessions a second, over the last minute or so."""

    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.1f}/s", style="cyan")


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}"),
        console=console,
        transient=True,
    )


class PlainProgress:
    """Progress for a log (CI, a pipe): a line every 10% or 30 s, with the rate and the time left."""

    def __init__(self, total: int, done: int = 0):
        self.total, self.start_done = total, done
        self.started = self.last_print = time.monotonic()
        self.last_tenth = done * 10 // max(total, 1)

    def update(self, done: int) -> None:
        now = time.monotonic()
        tenth = done * 10 // max(self.total, 1)
        if tenth == self.last_tenth and now - self.last_print < 30 and done < self.total:
            return
        self.last_tenth, self.last_print = tenth, now
        rate = (done - self.start_done) / max(now - self.started, 1e-9)
        left = (self.total - done) / rate if rate > 0 else float("nan")
        console.print(f"  {done}/{self.total} sessions · {rate:.1f}/s · {_duration(left)} left", highlight=False)


def _duration(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "?"
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def print_workers(report: EvalReport) -> None:
    if not report.workers:
        return
    parts = [
        f"#{w.worker} {w.sessions} sessions, {w.scenarios_prepared} scenarios read, {w.peak_rss_mb:.0f} MB"
        for w in report.workers
    ]
    console.print(f"[dim]Workers: {' · '.join(parts)}[/]", soft_wrap=True)


BASELINE_LINES = 20


def print_baseline(diff: BaselineDiff, drops: list | None = None, fail_on_drop: float | None = None) -> None:
    """Newly failing and newly passing expectations first, then the largest moves."""
    moved = len({m.case for m in diff.moves})
    console.print(
        f"[bold]Against {escape(diff.baseline)}[/]: {diff.compared} cases compared · "
        f"{len(diff.newly_failing)} newly failing · {len(diff.newly_passing)} newly passing · "
        f"{len(diff.moves)} scores moved in {moved} cases"
        + (f" · {len(diff.added)} new, {len(diff.removed)} gone" if diff.added or diff.removed else ""),
        soft_wrap=True,
    )
    for c in diff.newly_failing[:BASELINE_LINES]:
        console.print(f"  [red]newly failing[/] {escape(c.case)} {escape(_change(c))}", soft_wrap=True)
    for c in diff.newly_passing[:BASELINE_LINES]:
        console.print(f"  [green]newly passing[/] {escape(c.case)} {escape(_change(c))}", soft_wrap=True)
    shown = diff.moves[:BASELINE_LINES]
    for m in shown:
        delta = "no score" if m.delta is None else f"{m.delta:+g}"
        colour = "red" if m.delta is None or m.delta < 0 else "green"
        console.print(
            f"  {escape(m.case)} {m.target}: {_num(m.before)} → {_num(m.after)} [{colour}]({delta})[/]", soft_wrap=True
        )
    if len(diff.moves) > len(shown):
        console.print(f"  [dim]… {len(diff.moves) - len(shown)} more moves in baseline.json and report.html[/]")
    if fail_on_drop is not None:
        if drops:
            console.print(f"[bold red]DROPPED[/]: {len(drops)} overalls fell by more than {fail_on_drop:g}")
        else:
            console.print(f"No overall fell by more than {fail_on_drop:g}.")


def _change(c) -> str:
    if c.target == "unsettled":
        return "unsettled: a concern that should stay open was settled" if not c.now_passing else "unsettled: held"
    return f"{c.target} {_num(c.before)} → {_num(c.after)} (band {c.expected})"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"
