"""The terminal interface: play a meeting, run a scripted one headless, list and validate scenarios.

roundtable web                        # the browser app (meeting room, scenarios, workshops)
roundtable play                       # interactive meeting, offline engine unless a key is set
roundtable run --scenario chat-system --script turns.yaml --json   # or --scenario my_scenario.yaml
roundtable scenarios list | validate PATH...     # files, or directories of .yaml files
roundtable doctor                     # is the model endpoint reachable, which settings work
roundtable passcode set               # the facilitator dashboard's passcode (asked twice)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from agents.settings import Settings
from graphs import MeetingError, Meetings, MeetingView
from scenarios import ScenarioError, load_library, load_scenario, load_script
from ui.eval_cli import eval_command
from ui.passcode_cli import passcode_app
from ui.render import board_table, print_turns, scorecard_panel
from ui.web_cli import web

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Roundtable: practise leading a cross-functional meeting."
)
scenarios_app = typer.Typer(no_args_is_help=True, help="Browse and check scenarios.")
app.add_typer(scenarios_app, name="scenarios")
app.add_typer(passcode_app, name="passcode")
app.command("web")(web)
app.command("eval")(eval_command)
console = Console()
errors = Console(stderr=True)

EngineOpt = Annotated[
    str | None, typer.Option("--engine", help="offline | llm (default: llm if a key or base URL is set)")
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name for the llm engine.")]
BaseUrlOpt = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint.")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Where sessions are stored.")]


def _settings(**overrides) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        _fail("invalid setting: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))


def _meetings(settings: Settings) -> Meetings:
    try:
        return Meetings(settings)
    except ScenarioError as exc:
        _fail(exc.one_line())


def _scenario_arg(meetings: Meetings, value: str) -> str:
    """``--scenario`` takes an id or a scenario file; a file is offered to this run only."""
    if not _looks_like_file(value):
        return value
    try:
        scenario = load_scenario(value)
        meetings.scenarios.register(scenario)
    except ScenarioError as exc:
        _fail(exc.one_line())
    return scenario.id


def _looks_like_file(value: str) -> bool:
    return value.endswith((".yaml", ".yml")) or "/" in value or Path(value).exists()


def _fail(message: str, code: int = 2):
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # one line, however wide the terminal
    raise typer.Exit(code)


@app.command()
def play(
    scenario: Annotated[str | None, typer.Option("--scenario", "-s", help="Scenario id.")] = None,
    engine: EngineOpt = None,
    session: Annotated[str | None, typer.Option("--session", help="Resume this session id.")] = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Hold a meeting in the terminal. Type your turns; /board shows the room, /done wraps up."""
    settings = _settings(engine=engine, model=model, openai_base_url=base_url, data_dir=data_dir)
    meetings = _meetings(settings)
    try:
        if session:
            view = meetings.view(session)
            console.print(f"[dim]Resuming session {session}.[/]")
        else:
            scenario = scenario or _pick_scenario(meetings)
            view = meetings.start(scenario)
    except MeetingError as exc:
        _fail(str(exc))
    console.rule(f"[bold]{escape(view.title)}[/] · {escape(view.engine_label)} · session {view.session_id}")
    print_turns(console, view)
    while view.phase != "done":
        view = _one_turn(meetings, view)
    console.print(scorecard_panel(view.scorecard))
    console.print(f"[dim]Session {view.session_id} is saved in {settings.checkpoint_path}.[/]")


def _one_turn(meetings: Meetings, view: MeetingView) -> MeetingView:
    if not view.awaiting_person:
        console.print("[yellow]The replies to your last turn are still pending.[/] Enter retries, /done wraps up.")
    try:
        text = console.input(f"[bold]Round {view.round + 1}/{view.round_limit} ▶ [/]").strip()
    except (EOFError, KeyboardInterrupt):
        console.print(f"\n[dim]Paused. Resume with: roundtable play --session {view.session_id}[/]")
        raise typer.Exit(0) from None
    try:
        if text in ("/done", "/wrap", "/quit"):
            return meetings.finish(view.session_id)
        if text == "/board":
            console.print(board_table(view))
            return view
        if not view.awaiting_person:
            new = meetings.retry(view.session_id)  # the saved turn is answered first
            if text and new.awaiting_person:
                new = meetings.send(view.session_id, text)  # and what was typed meanwhile is not dropped
        elif not text:
            return view
        else:
            new = meetings.send(view.session_id, text)
    except MeetingError as exc:
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        if exc.view is not None:
            errors.print("[dim]Your turn is saved; press Enter to retry the replies.[/]")
            return exc.view
        return view
    since = view.round if not view.awaiting_person else new.round if new.phase != "done" else view.round + 1
    print_turns(console, new, since_round=since)
    return new


def _pick_scenario(meetings: Meetings) -> str:
    ids = sorted(meetings.scenarios)
    for i, sid in enumerate(ids, start=1):
        s = meetings.scenarios[sid]
        console.print(f"  {i}. [bold]{escape(s.title)}[/] ({s.difficulty}) [dim]{sid}[/]")
    default = "chat-system" if "chat-system" in ids else ids[0]
    if not sys.stdin.isatty():
        return default
    choice = console.input(f"Pick a scenario [default: {default}]: ").strip()
    if choice.isdigit() and 1 <= int(choice) <= len(ids):
        return ids[int(choice) - 1]
    return choice or default


@app.command()
def run(
    scenario: Annotated[str, typer.Option("--scenario", "-s", help="Scenario id, or a scenario .yaml file.")],
    script: Annotated[Path, typer.Option("--script", help="YAML file: turns: [text, ...]")],
    engine: EngineOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Run a scripted meeting headless and print the transcript and scorecard."""
    settings = _settings(engine=engine, model=model, openai_base_url=base_url, data_dir=data_dir)
    try:
        turns = load_script(script).turns
    except ScenarioError as exc:
        _fail(exc.one_line())
    meetings = _meetings(settings)
    scenario = _scenario_arg(meetings, scenario)
    try:
        view = meetings.start(scenario)
        for text in turns:
            if view.phase == "done":
                break
            view = meetings.send(view.session_id, text)
        view = meetings.finish(view.session_id)
    except MeetingError as exc:
        _fail(str(exc), code=1)
    if as_json:
        print(json.dumps(run_result(view), indent=2, ensure_ascii=False))
        return
    print_turns(console, view)
    console.print(scorecard_panel(view.scorecard))


def run_result(view: MeetingView) -> dict:
    """The machine-readable result of a run (the --json contract)."""
    return {
        "scenario": view.scenario_id,
        "engine": view.engine,
        "session_id": view.session_id,
        "end_reason": view.end_reason,
        "transcript": [
            {"speaker": t.speaker, "role": t.role, "text": t.text, "intent": t.intent, "concern_ids": t.concern_ids}
            for t in view.transcript
        ],
        "board": view.board,
        "revealed_facts": view.revealed,
        "scorecard": view.scorecard.model_dump() if view.scorecard else None,
        "usage": view.usage,
    }


@scenarios_app.command("list")
def list_scenarios(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the scenario library (titles and briefs only; never the hidden facts or concerns)."""
    settings = _settings()
    try:
        library = load_library([settings.scenarios_dir] if settings.scenarios_dir else [])
    except ScenarioError as exc:
        _fail(exc.one_line())
    rows = [
        {"id": s.id, "title": s.title, "difficulty": s.difficulty, "round_limit": s.round_limit, "brief": s.brief}
        for s in sorted(library.values(), key=lambda s: s.id)
    ]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(Column("id", no_wrap=True), "title", "difficulty", "rounds", "brief")  # ids are typed back
    for r in rows:
        table.add_row(r["id"], r["title"], r["difficulty"], str(r["round_limit"]), r["brief"])
    console.print(table)


@scenarios_app.command("validate")
def validate(paths: Annotated[list[Path], typer.Argument(help="Scenario YAML files, or directories of them.")]) -> None:
    """Check scenario files; every problem names the file, the field and the line."""
    failed = 0
    for path in _scenario_files(paths):
        try:
            s = load_scenario(path)
            console.print(f"[green]ok[/] {escape(str(path))}: {escape(s.id)} ({escape(s.title)})", soft_wrap=True)
        except ScenarioError as exc:
            failed += 1
            errors.print(f"[red]{escape(exc.one_line())}[/]", soft_wrap=True)
    if failed:
        raise typer.Exit(1)


def _scenario_files(paths: list[Path]) -> list[Path]:
    """Each path, with a directory replaced by the .yaml/.yml files in it (an empty one is an error)."""
    files: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)  # load_scenario says what is wrong with anything that is not a file
            continue
        found = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml"))
        if not found:
            _fail(f"{path}: directory holds no .yaml or .yml files to validate", code=1)
        files += found
    return files


@app.command()
def doctor(
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Probe the configured model endpoint: reachable, key, model, structured-output methods, latency."""
    from agents.providers.doctor import NAMES, diagnose

    settings = _settings(model=model, openai_base_url=base_url)
    found = diagnose(settings)
    if as_json:
        print(json.dumps(found.model_dump() | {"ok": found.ok}, indent=2, ensure_ascii=False))
        raise typer.Exit(0 if found.ok else 1)
    console.print(
        f"[bold]Roundtable doctor[/] · {escape(found.url)} · model {escape(found.model)} · "
        f"{NAMES.get(found.provider, found.provider)}",
        soft_wrap=True,
    )
    for check in found.checks:
        mark = {True: "[green]✓[/]", False: "[red]✗[/]", None: "[dim]-[/]"}[check.ok]
        console.print(f" {mark} {check.name:<17} {escape(check.detail)}", soft_wrap=True)
    if found.problem:
        _fail(found.problem, code=1)
    console.print("Settings to use:")
    for name, value in found.recommended.items():
        console.print(f"  {name}={escape(value)}", soft_wrap=True)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
