"""Real-browser helpers: the app started exactly as README says (``make run``), Debian's Chromium, screenshots.

Used by ``tests/test_browser_e2e.py`` and ``benchmarks/browser_turn.py``. Playwright drives the
system Chromium (``/usr/bin/chromium``, installed by ``make browser``): Playwright's own browser
download does not work here. The app runs in its own process group (make -> roundtable web ->
streamlit) so the whole tree is torn down afterwards, whatever state it is in.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Without the networking flags Chromium keeps dialling Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
STARTUP_TIMEOUT_S = 120.0  # 2 shared cores: importing streamlit + langgraph can take a while
# Settings the app must not pick up from the developer's shell.
SCRUBBED_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ROUNDTABLE_MODEL", "ROUNDTABLE_SCENARIOS_DIR")


def chromium_path() -> str | None:
    """Debian's Chromium if it is installed, else None."""
    for candidate in (shutil.which("chromium"), *CHROMIUM_CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class App:
    """A running app: its base URL, data dir and server log."""

    url: str
    data_dir: Path
    log: Path
    process: subprocess.Popen

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return ""


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running_app(data_dir: Path | None = None, *, env: dict[str, str] | None = None) -> Iterator[App]:
    """``make -s run ARGS="--port <free> --no-open"`` from the repo root, offline engine, a private data dir.

    Yields once ``/_stcore/health`` answers; on exit the whole process group is terminated
    (SIGTERM, then SIGKILL after 10 s).
    """
    with tempfile.TemporaryDirectory(prefix="roundtable-browser-") as tmp:
        data = Path(data_dir) if data_dir else Path(tmp) / "data"
        port = free_port()
        url = f"http://localhost:{port}"
        child_env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
        child_env |= {"ROUNDTABLE_DATA_DIR": str(data), "ROUNDTABLE_ENGINE": "offline"} | (env or {})
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["make", "-s", "run", f"ARGS=--port {port} --no-open"],
                cwd=ROOT,
                env=child_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: make, roundtable web and streamlit
            )
        app = App(url=url, data_dir=data, log=log, process=process)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _healthy(url):
                if process.poll() is not None:
                    raise RuntimeError(f"`make run` exited with {process.returncode}:\n{app.log_tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the app did not answer {url}/_stcore/health in {STARTUP_TIMEOUT_S:g} s")
                time.sleep(0.2)
            yield app
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    """Terminate every process of the app's group (not only make), then reap make."""
    pgid = process.pid  # start_new_session: the group id is make's pid
    for sig, wait in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            process.poll()  # reap make so the group can empty
            try:
                os.killpg(pgid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            continue
        break
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)


def launch_chromium(playwright, *, headless: bool = True):
    """Debian's Chromium through Playwright (``playwright install`` cannot download browsers here)."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("Chromium is not installed: `make browser` (or `apt-get install chromium`) installs it")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=headless)


def screenshot(page, name: str, *, whole: bool = True, clip: tuple[str, str | None] | None = None) -> Path:
    """Save ``tests/artifacts/<name>.png`` (CI keeps that folder as an artifact) and return its path.

    Streamlit scrolls inside its main element, so Playwright's ``full_page`` sees only the window:
    ``whole`` grows the window to the page's height for the shot, then restores it. ``clip`` is
    (top, bottom) CSS selectors: the shot runs from the top of the first match of ``top`` to the top
    of ``bottom`` (or to the end of the page), full width.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = page.viewport_size
    try:
        if whole or clip:
            height = page.evaluate(_PAGE_HEIGHT_JS)
            page.set_viewport_size({"width": size["width"], "height": max(size["height"], min(height, 16000))})
            page.evaluate(_TWO_FRAMES_JS)  # let the layout (and charts) follow the new size
        region = None
        if clip:
            top, bottom = clip
            y0 = page.locator(top).first.bounding_box()["y"]
            y1 = page.locator(bottom).first.bounding_box()["y"] if bottom else page.evaluate(_PAGE_HEIGHT_JS)
            region = {"x": 0, "y": max(0, y0 - 16), "width": size["width"], "height": max(1, y1 - y0 + 16)}
        page.screenshot(path=str(path), clip=region)
    finally:
        page.set_viewport_size(size)
    return path


_PAGE_HEIGHT_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return Math.ceil(Math.max(main ? main.scrollHeight : 0, document.documentElement.scrollHeight));
}"""
_TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"

# The meeting's chat messages as the reader sees them: the caption line (speaker, role, intent) and the text.
MESSAGES_JS = """() => [...document.querySelectorAll('[data-testid="stChatMessage"]')].map(m => ({
  caption: (m.querySelector('[data-testid="stCaptionContainer"]')?.innerText || '').replace(/\\s+/g, ' ').trim(),
  text: [...m.querySelectorAll('[data-testid="stText"]')].map(t => t.innerText).join('\\n').trim(),
}))"""

# True once the rerun after a turn has finished: the person's turn ``turn`` is in the transcript
# (captioned "You · turn N", which only the full re-render writes) and no element is left over from
# the previous run (Streamlit marks those data-stale until they are replaced or dropped).
SETTLED_JS = """({turn, text}) => {
  if (document.querySelector('[data-stale="true"]')) return false;
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  return [...document.querySelectorAll('[data-testid="stChatMessage"]')].some(m =>
    norm(m.querySelector('[data-testid="stCaptionContainer"]')?.innerText) === `You · turn ${turn}` &&
    norm(m.querySelector('[data-testid="stText"]')?.innerText) === norm(text));
}"""


def chat_messages(page) -> list[dict[str, str]]:
    """Every chat message on the page, in order: ``{"caption": ..., "text": ...}``."""
    return page.evaluate(MESSAGES_JS)


def wait_settled(page, turn: int, text: str, timeout_ms: float = 90_000) -> None:
    """Wait until the page has re-rendered with the person's turn ``turn`` (its text ``text``) in the transcript."""
    page.wait_for_function(SETTLED_JS, arg={"turn": turn, "text": text}, timeout=timeout_ms, polling=100)


def replies_after(messages: list[dict[str, str]], turn: int) -> list[dict[str, str]]:
    """The messages after the person's turn ``turn`` up to their next turn."""
    start = next(i for i, m in enumerate(messages) if m["caption"] == f"You · turn {turn}")
    out = []
    for m in messages[start + 1 :]:
        if m["caption"].startswith("You"):
            break
        out.append(m)
    return out
