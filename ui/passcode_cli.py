"""``roundtable passcode set``: the facilitator's passcode, set by whoever runs the server.

The passcode is stored salted and hashed in the data dir (``graphs.passcode``); setting it also
clears any lockout left by wrong guesses. ``ROUNDTABLE_FACILITATOR_PASSCODE``, when set, wins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from agents.settings import Settings
from graphs.passcode import PASSCODE_MIN, FacilitatorPasscode, PasscodeError

passcode_app = typer.Typer(no_args_is_help=True, help="The facilitator dashboard's passcode.")
errors = Console(stderr=True)


@passcode_app.command("set")
def set_passcode(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="The app's data dir.")] = None,
) -> None:
    """Choose the facilitator's passcode (asked twice, not shown) for the app on this data dir."""
    try:
        settings = Settings(**({"data_dir": data_dir} if data_dir else {}))
    except ValidationError as exc:
        _fail("invalid setting: " + "; ".join(e["msg"] for e in exc.errors()))
    gate = FacilitatorPasscode(settings)
    if gate.from_environment:
        _fail("ROUNDTABLE_FACILITATOR_PASSCODE is set, and it wins over a stored passcode; change or unset it.")
    passcode = typer.prompt(
        f"New facilitator passcode (at least {PASSCODE_MIN} characters)", hide_input=True, confirmation_prompt=True
    )
    try:
        gate.set(passcode)
    except PasscodeError as exc:
        _fail(str(exc))
    typer.echo(f"Facilitator passcode set for {settings.data_dir}. Open /dashboard and unlock it.")


def _fail(message: str):
    errors.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(2)
