"""Browser turn latency: from pressing Enter to every reply of that round on screen, in Chromium.

The app is started as README says (``make run``, offline engine, a private data dir) and driven by
Playwright on Debian's Chromium. After a warm-up turn (it loads the embedding model), each timed
turn is typed into the chat box and Enter is pressed; a MutationObserver in the page timestamps
(``performance.now()``) the key press and every change in the number of replies shown under that
turn. A turn is over when the page has re-rendered it as ``You · turn N`` with nothing stale; the
replies it then shows are the expected ones, and the time is when that many were first on screen
(the live view shows them before the full re-render). The re-render time is reported too.

Turns are realistic candidate turns from ``scenarios/scripts/chat-system/`` (the first four of a
different script per meeting). An explained pass repeats a few turns with server-side marks
(``benchmarks/browser_trace``) to show where the time goes, and a what-if pass turns Streamlit's
post-script garbage collection back on (``runner.postScriptGC=true``; the app ships with it off)
to size what that setting saves.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from benchmarks.common import WARMUP_TURN, Result, candidate_scripts, median, percentile, print_results

TARGET_MS = 1000.0
TURNS_PER_MEETING = 4
TIMEOUT_MS = 120_000
TRACE_DIR = Path(__file__).resolve().parent / "browser_trace"

# Installed before each timed turn. Counts the replies shown under the newest message that carries the
# person's text (live view or transcript), and whether the rerun has settled; records each change.
WATCH_JS = """({turn, text}) => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const want = norm(text);
  const state = () => {
    const msgs = [...document.querySelectorAll('[data-testid="stChatMessage"]')].map(m => ({
      caption: norm(m.querySelector('[data-testid="stCaptionContainer"]')?.innerText),
      text: norm(m.querySelector('[data-testid="stText"]')?.innerText),
      hasText: !!m.querySelector('[data-testid="stText"]'),
    }));
    let start = -1;
    msgs.forEach((m, i) => { if (m.caption.startsWith('You') && m.text === want) start = i; });
    let count = 0;
    if (start >= 0) {
      for (const m of msgs.slice(start + 1)) {
        if (m.caption.startsWith('You')) break;
        if (m.hasText) count++;
      }
    }
    const settled = start >= 0 && msgs[start].caption === `You · turn ${turn}` &&
      !document.querySelector('[data-stale="true"]');
    return {count, settled};
  };
  const w = window.__roundtableWatch = {enter: null, log: []};
  let last = '';
  const record = () => {
    const s = state();
    const key = `${s.count}/${s.settled}`;
    if (key !== last) { last = key; w.log.push({t: performance.timeOrigin + performance.now(), ...s}); }
  };
  document.addEventListener('keydown', e => {
    if (e.key === 'Enter' && w.enter === null) w.enter = performance.timeOrigin + performance.now();
  }, true);
  if (w.observer) w.observer.disconnect();
  w.observer = new MutationObserver(record);
  w.observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def meeting_plan(total: int) -> list[list[str]]:
    """``total`` turns split into meetings of up to four, each from a different candidate script."""
    scripts = candidate_scripts()
    meetings, left, i = [], total, 0
    while left > 0:
        _, turns = scripts[i % len(scripts)]
        take = turns[: min(TURNS_PER_MEETING, left)]
        if not take:
            raise RuntimeError("a candidate script has no turns")
        meetings.append(take)
        left -= len(take)
        i += 1
    return meetings


def _start_meeting(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Start meeting").click()
    page.get_by_placeholder("Your turn…").wait_for()


def _timed_turn(page, turn: int, text: str) -> dict:
    """Send one turn; returns epoch ms of Enter, replies on screen and settled, and the reply count."""
    from tests.browser import chat_messages, replies_after, wait_settled

    page.evaluate(WATCH_JS, {"turn": turn, "text": text})
    box = page.get_by_placeholder("Your turn…")
    box.fill(text)
    box.press("Enter")
    wait_settled(page, turn, text, TIMEOUT_MS)
    expected = len(replies_after(chat_messages(page), turn))
    watch = page.evaluate("() => ({enter: window.__roundtableWatch.enter, log: window.__roundtableWatch.log})")
    enter = watch["enter"]
    shown = next((e["t"] for e in watch["log"] if e["count"] >= expected), None)
    settled = next((e["t"] for e in watch["log"] if e["settled"]), None)
    if enter is None or shown is None or settled is None:
        raise RuntimeError(f"turn {turn}: the page did not record Enter/replies/settle: {watch}")
    return {"enter": enter, "replies": shown, "settled": settled, "count": expected}


def measure(turns: int, *, env: dict[str, str] | None = None, log=print) -> list[dict]:
    """Start the app, warm up, and time ``turns`` turns; returns one dict per turn (epoch ms)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import launch_chromium, running_app

    out = []
    with running_app(env=env) as app, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        _start_meeting(page, app.url)
        _timed_turn(page, 1, WARMUP_TURN)  # loads the embedding model and the scenario index: not counted
        for plan in meeting_plan(turns):
            _start_meeting(page, app.url)
            for n, text in enumerate(plan, start=1):
                row = _timed_turn(page, n, text) | {"turn": n}
                out.append(row)
                log(
                    f"  turn {n}: replies on screen {row['replies'] - row['enter']:.0f} ms, "
                    f"re-rendered {row['settled'] - row['enter']:.0f} ms ({row['count']} replies)"
                )
        browser.close()
    return out


def _ms(rows: list[dict], key: str) -> list[float]:
    return [r[key] - r["enter"] for r in rows]


def _stats(values: list[float]) -> str:
    return f"p50 {median(values):.0f} ms | p90 {percentile(values, 90):.0f} ms | max {max(values):.0f} ms"


def _first(window: list[tuple[float, str]], what: str, after: float = 0.0) -> float | None:
    return next((t for t, w in window if w == what and t >= after), None)


def explain(rows: list[dict], trace: Path) -> tuple[dict, list[str]]:
    """Split each turn's time with the server's marks; returns p50s (ms) and report notes."""
    marks = []
    if trace.exists():
        for line in trace.read_text(encoding="utf-8").splitlines():
            m = json.loads(line)
            marks.append((m["t"] * 1000, m["what"]))
    parts: dict[str, list[float]] = {k: [] for k in ("input", "before_send", "send", "deliver", "gc", "gc_n")}
    for i, r in enumerate(rows):
        # up to the next turn's Enter: the turn's last script run can end after the page settled
        end = min(rows[i + 1]["enter"] if i + 1 < len(rows) else float("inf"), r["settled"] + 1000)
        window = [(t, w) for t, w in marks if r["enter"] - 50 <= t < end]
        run_start, send_start = _first(window, "run:start"), _first(window, "send:start")
        send_end = _first(window, "send:end", send_start or 0.0)
        gcs = [t for t, w in window if w == "gc2:start"]
        gc_ms = [stop - start for start in gcs if (stop := _first(window, "gc2:stop", start)) is not None]
        if None in (run_start, send_start, send_end):
            continue
        parts["input"].append(run_start - r["enter"])
        parts["before_send"].append(send_start - run_start)
        parts["send"].append(send_end - send_start)
        parts["deliver"].append(r["replies"] - send_end)
        parts["gc"].extend(gc_ms)
        parts["gc_n"].append(len(gc_ms))
    if not parts["send"]:
        return {}, ["no server marks were recorded (Streamlit internals moved?)"]
    p50 = {k: round(median(v), 1) for k, v in parts.items() if v}
    notes = [
        f"Enter -> script run starts (websocket + rerun request): p50 {p50['input']:.0f} ms",
        f"script renders the room up to the chat input: p50 {p50['before_send']:.0f} ms",
        f"Meetings.send (offline engine + checkpoint): p50 {p50['send']:.0f} ms",
        f"send returns -> replies on screen: p50 {p50['deliver']:.0f} ms",
    ]
    if parts["gc"]:
        notes.append(
            f"full garbage collections: p50 {p50['gc']:.0f} ms each, {p50['gc_n']:.0f} per turn (Streamlit runs "
            "gc.collect(2) after every script run: the one that sends, then the st.rerun() re-render; it holds "
            "the GIL, so messages already queued for the browser wait for it)"
        )
    return p50, notes


def run(*, turns: int, explain_turns: int, what_if: bool, log=print) -> list[Result]:
    from tests.browser import chromium_path

    title = "5. Browser turn: Enter -> all replies on screen"
    if chromium_path() is None:
        return [Result(key="browser_turn", title=title, summary="skipped: Chromium is not installed (make browser)")]
    rows = measure(turns, log=log)
    replies, settled = _ms(rows, "replies"), _ms(rows, "settled")
    p90 = percentile(replies, 90)
    results = [
        Result(
            key="browser_turn",
            title=title,
            summary=f"{_stats(replies)} (n={len(rows)})",
            target=f"p90 < {TARGET_MS:g} ms",
            met=p90 < TARGET_MS,
            metrics={
                "p50_ms": round(median(replies), 1),
                "p90_ms": round(p90, 1),
                "max_ms": round(max(replies), 1),
                "n": len(rows),
                "replies_per_turn": [r["count"] for r in rows],
            },
            notes=["offline engine, Chromium headless, app started by `make run`; timed in the page"],
        ),
        Result(
            key="browser_turn_rerendered",
            title="   Enter -> room re-rendered (transcript, board)",
            summary=_stats(settled),
            metrics={"p50_ms": round(median(settled), 1), "p90_ms": round(percentile(settled, 90), 1)},
        ),
    ]
    if explain_turns:
        log("  explained pass (server-side marks) ...")
        with tempfile.TemporaryDirectory(prefix="roundtable-trace-") as tmp:
            trace = Path(tmp) / "trace.jsonl"
            traced = measure(explain_turns, env={"PYTHONPATH": str(TRACE_DIR), "ROUNDTABLE_TRACE": str(trace)}, log=log)
            p50, notes = explain(traced, trace)
        results.append(
            Result(
                key="browser_turn_explained",
                title="   where the time goes (server marks)",
                summary=f"replies on screen {_stats(_ms(traced, 'replies'))} (n={len(traced)})",
                metrics=p50,
                notes=notes,
            )
        )
    if what_if:
        log("  what-if pass: runner.postScriptGC=true ...")
        nogc = measure(turns, env={"STREAMLIT_RUNNER_POST_SCRIPT_GC": "true"}, log=log)
        r, s = _ms(nogc, "replies"), _ms(nogc, "settled")
        results.append(
            Result(
                key="browser_turn_post_script_gc",
                title="   what-if: runner.postScriptGC=true",
                summary=f"{_stats(r)}; re-rendered p50 {median(s):.0f} ms (n={len(nogc)})",
                target=f"p90 < {TARGET_MS:g} ms",
                met=percentile(r, 90) < TARGET_MS,
                metrics={"p50_ms": round(median(r), 1), "p90_ms": round(percentile(r, 90), 1)},
                notes=["Streamlit's default, which .streamlit/config.toml turns off: what that saves"],
            )
        )
    return results


def main() -> int:
    """``python -m benchmarks.browser_turn [--quick]``: this benchmark alone."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.browser_turn", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 timed turns, no what-if pass")
    args = parser.parse_args()
    started = time.perf_counter()
    results = run(turns=3 if args.quick else 8, explain_turns=3 if args.quick else 4, what_if=not args.quick)
    print_results(results)
    print(f"whole run {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
