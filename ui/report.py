"""Evaluation reports: JSON lines, CSV, and one self-contained HTML page (inline CSS and SVG, no JS, no network).

Every text that reaches the HTML page goes through ``html.escape``: script names, errors and
paths come from files anyone may write.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from html import escape
from pathlib import Path
from statistics import fmean

from graphs.evaluation import OVERALL, BaselineDiff, EvalReport, ScriptResult
from scenarios import DIMENSIONS
from ui.report_baseline import render_baseline

TARGETS = (*DIMENSIONS, OVERALL)
COLOURS = {
    "framing": "#4e79a7",
    "systems": "#f28e2b",
    "tradeoffs": "#59a14f",
    "alignment": "#b07aa1",
    "collaboration": "#76b7b2",
    OVERALL: "#444444",
}
CSV_FIELDS = [
    "scenario",
    "script",
    "engine",
    "passed",
    "overall",
    *DIMENSIONS,
    "failed_checks",
    "checks",
    "end_reason",
    "turns",
    "script_turns",
    "elapsed_s",
    "input_tokens",
    "output_tokens",
    "error",
    "path",
]


def write_reports(report: EvalReport, out_dir: str | Path, diff: BaselineDiff | None = None) -> dict[str, Path]:
    """Write ``results.jsonl``, ``results.csv``, ``report.html`` and ``summary.json`` (and, with a
    baseline ``diff``, ``baseline.json``); returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "jsonl": out / "results.jsonl",
        "csv": out / "results.csv",
        "html": out / "report.html",
        "summary": out / "summary.json",
    }
    write_jsonl(report, paths["jsonl"])
    write_csv(report, paths["csv"])
    paths["html"].write_text(render_html(report, diff), encoding="utf-8")
    if diff is not None:
        paths["baseline"] = out / "baseline.json"
        paths["baseline"].write_text(diff.model_dump_json(indent=2), encoding="utf-8")
    summary = report.model_dump(exclude={"results"}) | {
        "scripts": len(report.results),
        "failed": len(report.failures),
        "ordering_accuracy": report.calibration.ordering_accuracy if report.calibration else None,
    }
    paths["summary"].write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return paths


def write_jsonl(report: EvalReport, path: Path) -> None:
    """One JSON object per script result (``ScriptResult`` plus ``passed``), in the suite's order;
    written beside and then moved over the file the run streamed, so a kill never leaves half of it."""
    partial = path.with_name(path.name + ".tmp")
    with partial.open("w", encoding="utf-8") as f:
        for r in report.results:
            f.write(json.dumps(r.model_dump() | {"passed": r.passed}, ensure_ascii=False) + "\n")
    partial.replace(path)


def write_csv(report: EvalReport, path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for r in report.results:
            writer.writerow(
                {
                    "scenario": r.scenario,
                    "script": r.script,
                    "engine": r.engine,
                    "passed": r.passed,
                    "overall": r.overall,
                    **{d: r.dimensions.get(d) for d in DIMENSIONS},
                    "failed_checks": " ".join(c.target for c in r.failed_checks),
                    "checks": "; ".join(
                        f"{c.target} {c.score} in {c.band}: {'ok' if c.passed else 'FAIL'}" for c in r.checks
                    ),
                    "end_reason": r.end_reason,
                    "turns": r.turns,
                    "script_turns": r.script_turns,
                    "elapsed_s": r.elapsed_s,
                    "input_tokens": r.usage.get("input_tokens"),
                    "output_tokens": r.usage.get("output_tokens"),
                    "error": r.error,
                    "path": r.path,
                }
            )


def render_html(report: EvalReport, diff: BaselineDiff | None = None) -> str:
    """The whole report as one HTML document (with a before/after section when given a baseline ``diff``)."""
    failed = len(report.failures)
    status = "all expectations met" if not failed else f"{failed} of {len(report.results)} scripts failed"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Roundtable evaluation: {escape(status)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Roundtable evaluation</h1>",
        f'<p class="summary {"bad" if failed else "good"}"><strong>{escape(status)}</strong> · '
        f"engine {escape(report.engine)} · {len(report.results)} sessions in "
        f"{len({r.scenario for r in report.results})} scenarios · concurrency {report.concurrency} · "
        f"{f'shard {escape(report.shard)} · ' if report.shard else ''}{report.elapsed_s:.1f} s</p>",
    ]
    if diff is not None:
        parts.append(render_baseline(diff))
    if report.calibration:
        parts.append(_calibration(report))
    parts += [
        "<h2>Scores per scenario and dimension</h2>",
        "<p>Bars: the mean; dots: one per script, red when outside that script's band.</p>",
        _bar_chart(report.results),
        "<h2>Score distribution</h2>",
        '<div class="charts">',
        _histogram(report.results),
        _dimension_counts(report.results),
        "</div>",
        "<h2>Scripts (failures first)</h2>",
        _results_table(report),
        "</body></html>",
    ]
    return "\n".join(parts)


def _calibration(report: EvalReport) -> str:
    cal = report.calibration
    rows = "".join(
        f"<tr><td>{escape(t)}</td><td>{a.inside} / {a.total}</td><td>{_pct(a.fraction)}</td></tr>"
        for t, a in cal.agreement.items()
        if a.total
    )
    rows += f"<tr class='total'><td>all bands</td><td>{cal.pooled.inside} / {cal.pooled.total}</td>"
    rows += f"<td>{_pct(cal.pooled.fraction)}</td></tr>"
    html = [
        "<h2>Calibration</h2>",
        '<div class="charts"><table><caption>Agreement with the bands</caption>',
        f"<tr><th>target</th><th>inside band</th><th>agreement</th></tr>{rows}</table>",
        "<table><caption>Pairwise ordering</caption>",
        f"<tr><td>pairs (same scenario, expected overall middles ≥ 1 apart)</td><td>{cal.pairs}</td></tr>",
        f"<tr><td>ordered as expected</td><td>{cal.pairs_ordered}</td></tr>",
        f"<tr><td>tied (counted as wrong)</td><td>{cal.ties}</td></tr>",
        f"<tr class='total'><td>ordering accuracy</td><td>{_pct(cal.ordering_accuracy)}</td></tr></table>",
    ]
    if cal.spread:
        spread_rows = "".join(
            f"<tr><td>{escape(t)}</td><td>{s.mean_range:g}</td><td>{s.max_range:g}</td><td>{s.mean_stdev:g}</td></tr>"
            for t, s in cal.spread.items()
        )
        note = " (the offline engine is deterministic: zero spread is expected)" if report.engine == "offline" else ""
        html.append(
            f"<table><caption>Spread over {cal.repeat} scorings of each transcript{escape(note)}</caption>"
            f"<tr><th>target</th><th>mean range</th><th>max range</th><th>mean stdev</th></tr>{spread_rows}</table>"
        )
    html.append("</div>")
    return "\n".join(html)


def _bar_chart(results: list[ScriptResult]) -> str:
    """For each scenario and target: a pale bar at the mean, and a dot per script (red when outside its band)."""
    by_scenario: dict[str, list[ScriptResult]] = defaultdict(list)
    for r in results:
        if r.overall is not None:
            by_scenario[r.scenario].append(r)
    if not by_scenario:
        return "<p>No scores (every session failed).</p>"
    bar, gap, left, top, height = 14, 26, 90, 10, 180  # room on the left for the first rotated label
    group = bar * len(TARGETS) + gap
    width = left + group * len(by_scenario) + 40
    svg = [_svg_open(width, height + 130, "Scores per scenario and dimension: mean bars, one dot per script")]
    svg += _grid(left, top, width - 40, height)
    for i, (scenario, rs) in enumerate(sorted(by_scenario.items())):
        x0 = left + gap / 2 + i * group
        for j, target in enumerate(TARGETS):
            x = x0 + j * bar
            points = [(r, r.overall if target == OVERALL else r.dimensions.get(target)) for r in rs]
            points = [(r, v) for r, v in points if v is not None]
            mean = fmean([v for _, v in points] or [0])
            h = height * mean / 5
            svg.append(
                f'<rect x="{x:.1f}" y="{top + height - h:.1f}" width="{bar - 2}" height="{h:.1f}" '
                f'fill="{COLOURS[target]}" fill-opacity="0.45"><title>{escape(scenario)} {escape(target)}: '
                f"mean {mean:.2f}</title></rect>"
            )
            for r, v in points:
                missed = any(c.target == target and not c.passed for c in r.checks)
                svg.append(
                    f'<circle cx="{x + (bar - 2) / 2:.1f}" cy="{top + height - height * v / 5:.1f}" r="2.6" '
                    f'fill="{"#d62728" if missed else COLOURS[target]}" stroke="#fff" stroke-width="0.6">'
                    f"<title>{escape(r.script)} {escape(target)}: {v:g}</title></circle>"
                )
        cx, cy = x0 + bar * len(TARGETS) / 2, top + height + 12
        svg.append(
            f'<text x="{cx:.1f}" y="{cy}" text-anchor="end" transform="rotate(-30 {cx:.1f} {cy})">'
            f"{escape(scenario)} (n={len(rs)})</text>"
        )
    svg.append(_legend(left, top + height + 118))
    svg.append("</svg>")
    return "\n".join(svg)


def _histogram(results: list[ScriptResult]) -> str:
    """Overall scores in half-point bins from 1 to 5."""
    bins = [0] * 8
    for r in results:
        if r.overall is not None:
            bins[min(7, int((r.overall - 1) / 0.5))] += 1
    tallest = max(bins) or 1
    left, top, height, bar = 30, 10, 140, 36
    svg = [_svg_open(left + bar * 8 + 10, height + 50, "Distribution of overall scores")]
    for i, n in enumerate(bins):
        h = height * n / tallest
        x = left + i * bar
        svg.append(
            f'<rect x="{x}" y="{top + height - h:.1f}" width="{bar - 4}" height="{h:.1f}" fill="{COLOURS[OVERALL]}">'
            f"<title>{1 + i * 0.5:g}-{1.5 + i * 0.5:g}: {n}</title></rect>"
        )
        if n:
            svg.append(f'<text x="{x + bar / 2 - 2}" y="{top + height - h - 3:.1f}" text-anchor="middle">{n}</text>')
        svg.append(f'<text x="{x - 2}" y="{top + height + 14}" text-anchor="middle">{1 + i * 0.5:g}</text>')
    svg.append(f'<text x="{left + bar * 8 - 2}" y="{top + height + 14}" text-anchor="middle">5</text>')
    svg.append(f'<text x="{left}" y="{top + height + 34}">overall score (scripts per half point)</text></svg>')
    return "\n".join(svg)


def _dimension_counts(results: list[ScriptResult]) -> str:
    head = "".join(f"<th>{s}</th>" for s in range(1, 6))
    rows = []
    for d in DIMENSIONS:
        counts = [sum(1 for r in results if r.dimensions.get(d) == s) for s in range(1, 6)]
        cells = "".join(f"<td>{c or ''}</td>" for c in counts)
        rows.append(f"<tr><td>{escape(d)}</td>{cells}</tr>")
    return (
        f"<table><caption>Dimension scores (scripts per score)</caption><tr><th></th>{head}</tr>{''.join(rows)}</table>"
    )


def _results_table(report: EvalReport) -> str:
    head = "".join(f"<th>{escape(t)}</th>" for t in TARGETS)
    rows = []
    for r in report.ordered():
        checks = {c.target: c for c in r.checks}
        cells = []
        for t in TARGETS:
            score = r.overall if t == OVERALL else r.dimensions.get(t)
            shown = "–" if score is None else f"{score:g}"
            check = checks.get(t)
            if check is None:
                cells.append(f"<td>{shown}</td>")
            else:
                cls = "pass" if check.inside and check.passed else "known" if check.passed else "fail"
                title = f' title="known miss: {escape(check.known_miss)}"' if check.known_miss else ""
                cells.append(f'<td class="{cls}"{title}>{shown} <small>{escape(str(check.band))}</small></td>')
        status = "pass" if r.passed else "FAIL"
        detail = escape(r.error) if r.error else escape(r.end_reason or "")
        if r.ignored:
            detail += f"<br><small>not scored: {escape(' | '.join(r.ignored)[:300])}</small>"
        rows.append(
            f'<tr><td class="{"pass" if r.passed else "fail"}">{status}</td><td>{escape(r.scenario)}</td>'
            f'<td title="{escape(r.path)}">{escape(r.script)}<br><small title="{escape(r.about)}">{escape(_short(r.about))}</small></td>'
            f"{''.join(cells)}"
            f"<td>{r.turns}/{r.script_turns}</td><td>{detail}</td><td>{r.elapsed_s:.1f}</td></tr>"
        )
    return (
        f"<table class='results'><tr><th>result</th><th>scenario</th><th>script</th>{head}"
        f"<th>turns</th><th>end / error</th><th>s</th></tr>{''.join(rows)}</table>"
    )


def _svg_open(width: float, height: float, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(label)}">'
    )


def _grid(left: float, top: float, right: float, height: float) -> list[str]:
    lines = []
    for s in range(6):
        y = top + height - height * s / 5
        lines.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" class="grid"/>')
        lines.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{s}</text>')
    return lines


def _legend(x: float, y: float) -> str:
    items = []
    for i, t in enumerate(TARGETS):
        items.append(f'<rect x="{x + i * 110}" y="{y - 10}" width="10" height="10" fill="{COLOURS[t]}"/>')
        items.append(f'<text x="{x + i * 110 + 14}" y="{y}">{escape(t)}</text>')
    return "".join(items)


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
.summary{padding:.6rem .8rem;border-radius:6px}.summary.good{background:#e6f4ea}.summary.bad{background:#fde7e9}
table{border-collapse:collapse;margin:.5rem 1.5rem .5rem 0;vertical-align:top}
caption{text-align:left;font-weight:600;padding-bottom:.3rem}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}th{background:#f6f6f6}
td.pass{background:#e6f4ea}td.known{background:#fff4d6}td.fail{background:#fde7e9;font-weight:600}tr.total td{font-weight:600}
td small{color:#666;font-weight:400}.results td:nth-child(n+4){white-space:nowrap}
.charts{display:flex;flex-wrap:wrap;align-items:flex-start;gap:1rem}
svg{font-size:11px;fill:#333;margin:.5rem 0}svg .grid{stroke:#e3e3e3}
"""
