"""Terminal rendering of meetings and scorecards with rich. Person-typed text is never markup."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agents.facilitator import Scorecard, rubric
from graphs import MeetingView

STYLE = {
    "facilitator": ("bold magenta", "◆"),
    "person": ("bold white", "▶"),
    "engineering": ("bold cyan", "⚙"),
    "design": ("bold green", "✎"),
    "business": ("bold yellow", "$"),
}


def turn_panel(speaker: str, role: str, text: str, intent: str) -> Panel:
    style, icon = STYLE.get(role, ("white", "•"))
    title = Text(f"{icon} {speaker}", style=style)
    if role not in ("person", "facilitator"):
        title.append(f"  {role} · {intent}", style="dim")
    return Panel(Text(text), title=title, title_align="left", border_style=style.split()[-1])


def print_turns(console: Console, view: MeetingView, since_round: int = 0) -> None:
    for t in view.transcript:
        if t.round >= since_round and not (t.role == "person" and t.round == since_round and since_round > 0):
            console.print(turn_panel(t.speaker, t.role, t.text, t.intent))


def board_table(view: MeetingView) -> Table:
    table = Table(title=f"Round {view.round}/{view.round_limit} · facts learned: {len(view.revealed)}", expand=False)
    table.add_column("stakeholder")
    table.add_column("concern")
    table.add_column("status")
    colors = {"open": "yellow", "resolved": "green", "escalated": "red"}
    for cid, c in view.board.items():
        if c["status"] != "unraised":
            table.add_row(c["role"], cid, Text(c["status"], style=colors.get(c["status"], "")))
    return table


def scorecard_panel(card: Scorecard) -> Panel:
    anchors = rubric()
    table = Table(show_header=True, expand=True)
    table.add_column("dimension")
    table.add_column("score", justify="center")
    table.add_column("why")
    for d, s in card.dimensions.items():
        why = Text(s.rationale)
        for e in s.evidence:
            why.append(f'\n  turn {e.turn}: "{e.quote}"', style="dim")
        table.add_row(anchors[d].name, f"{'●' * s.score}{'○' * (5 - s.score)} {s.score}", why)
    body = Table.grid(padding=(0, 1))
    body.add_row(table)
    for label, items in (
        ("Strengths", card.strengths),
        ("To improve", card.improvements),
        ("Questions worth having asked", card.missed_questions[:6]),
        (
            "Concerns left open",
            [f"{c.stakeholder}: {c.challenge}" for c in card.concerns if c.status in ("open", "escalated")],
        ),
        ("Ignored (addressed to the scorer)", card.ignored),
    ):
        if items:
            block = Text(f"{label}\n", style="bold")
            for item in items:
                block.append(f"  • {item}\n")
            body.add_row(block)
    return Panel(
        body, title=f"Scorecard · overall {card.overall:.2f} / 5 · {card.engine} engine", border_style="magenta"
    )
