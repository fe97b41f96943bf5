"""``roundtable web``: serve the browser app (README's main command runs this through ``make run``).

Before the server starts, the facilitator's passcode is made sure of: when neither
``ROUNDTABLE_FACILITATOR_PASSCODE`` nor a stored one is set, one is generated and printed here,
once, for whoever runs the server (a visitor of the app can never choose it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from agents.settings import Settings
from graphs.passcode import FacilitatorPasscode

APP = Path(__file__).with_name("web") / "app.py"
ROOT = Path(__file__).resolve().parents[1]


def web(
    port: Annotated[int, typer.Option("--port", help="Port to serve on.")] = 8501,
    address: Annotated[str, typer.Option("--address", help="Interface to listen on.")] = "localhost",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open a browser tab when a display is available.")
    ] = True,
) -> None:
    """Serve Roundtable in the browser: the meeting room, the scenario library and workshop mode."""
    url = f"http://{address if address not in ('0.0.0.0', '::') else 'localhost'}:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",  # no first-run e-mail prompt; we open the browser ourselves
        f"--server.port={port}",
        f"--server.address={address}",
        "--browser.gatherUsageStats=false",
    ]
    typer.echo(f"Roundtable is starting at {url}  (Ctrl+C stops it)")
    _announce_passcode()
    if open_browser and _has_display():
        threading.Thread(target=_open_when_up, args=(url,), daemon=True).start()
    # run from the repository root so .streamlit/config.toml applies
    with subprocess.Popen(command, cwd=ROOT) as server:
        try:
            raise typer.Exit(server.wait())
        except KeyboardInterrupt:
            server.terminate()
            raise typer.Exit(0) from None


def _announce_passcode() -> None:
    """Generate the facilitator's passcode if none is set, and say where it comes from."""
    try:
        gate = FacilitatorPasscode(Settings())
    except ValidationError:
        return  # the app itself reports invalid settings on its pages
    if gate.from_environment:
        typer.echo("Facilitator dashboard: passcode from ROUNDTABLE_FACILITATOR_PASSCODE.")
        return
    generated = gate.ensure()
    if generated:
        typer.echo(f"Facilitator passcode (shown once; `roundtable passcode set` changes it): {generated}")
    else:
        typer.echo("Facilitator dashboard: the stored passcode (`roundtable passcode set` changes it).")


def _has_display() -> bool:
    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _open_when_up(url: str, wait: float = 60.0) -> None:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                webbrowser.open(url)
                return
        except OSError:
            time.sleep(0.5)
