"""The report's before/after section: expectations that changed, a before/after chart, every move.

Inline SVG and escaped text only, like the rest of ``ui.report``.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from statistics import fmean

from graphs.evaluation import OVERALL, BaselineDiff, Move
from scenarios import DIMENSIONS

CHART_CASES = 40  # the largest moves charted; the table lists them all
TABLE_MOVES = 500
TARGETS = (OVERALL, *DIMENSIONS)


def render_baseline(diff: BaselineDiff) -> str:
    """The whole section, newly failing and newly passing first."""
    parts = [
        "<h2>Against the baseline</h2>",
        f"<p>Baseline <code>{escape(diff.baseline)}</code>: {diff.compared} cases compared · "
        f"{len(diff.newly_failing)} newly failing · {len(diff.newly_passing)} newly passing · "
        f"{len(diff.moves)} scores moved"
        + (f" · {len(diff.added)} new cases, {len(diff.removed)} gone" if diff.added or diff.removed else "")
        + "</p>",
    ]
    changes = [*diff.newly_failing, *diff.newly_passing]
    if changes:
        rows = "".join(
            f'<tr><td class="{"pass" if c.now_passing else "fail"}">'
            f"{'newly passing' if c.now_passing else 'newly failing'}</td><td>{escape(c.case)}</td>"
            f"<td>{escape(c.target)}</td><td>{escape(c.expected)}</td><td>{_num(c.before)}</td><td>{_num(c.after)}</td></tr>"
            for c in changes
        )
        parts.append(
            "<table class='changes'><caption>Expectations that changed</caption><tr><th></th><th>case</th>"
            f"<th>target</th><th>expected</th><th>before</th><th>after</th></tr>{rows}</table>"
        )
    if not diff.moves:
        parts.append("<p>Nothing moved: every score is as in the baseline.</p>")
        return "\n".join(parts)
    parts += [
        '<div class="charts">',
        before_after_chart(diff.moves),
        _dimension_deltas(diff.moves),
        "</div>",
        _moves_table(diff.moves),
    ]
    return "\n".join(parts)


def before_after_chart(moves: list[Move]) -> str:
    """One row per case (largest overall move first): a hollow dot before, a filled dot after."""
    overall = [m for m in moves if m.target == OVERALL and m.before is not None and m.after is not None]
    overall = sorted(overall, key=lambda m: -abs(m.delta or 0))[:CHART_CASES]
    if not overall:
        return "<p>No overall moved (only dimensions did).</p>"
    left, top, row, width = 230, 24, 16, 300
    height = top + row * len(overall) + 30
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 60}" height="{height}" role="img" '
        f'aria-label="Overall before and after, per case">',
        f'<text x="{left}" y="12">overall, before ○ → after ● (the {len(overall)} largest moves)</text>',
    ]
    for s in range(1, 6):
        x = left + width * (s - 1) / 4
        svg.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" class="grid"/>')
        svg.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{s}</text>')
    for i, m in enumerate(overall):
        y = top + row * i + row / 2
        x0 = left + width * (m.before - 1) / 4
        x1 = left + width * (m.after - 1) / 4
        colour = "#d62728" if m.after < m.before else "#2ca02c"
        label = m.case if len(m.case) <= 36 else m.case[:35] + "…"
        svg += [
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{escape(label)}</text>',
            f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>',
            f'<circle cx="{x0:.1f}" cy="{y:.1f}" r="4" fill="#fff" stroke="#666"/>',
            f'<circle cx="{x1:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(m.case)}: '
            f"{m.before:g} → {m.after:g} ({m.delta:+g})</title></circle>",
            f'<text x="{left + width + 8}" y="{y + 4:.1f}" fill="{colour}">{m.delta:+g}</text>',
        ]
    svg.append("</svg>")
    return "\n".join(svg)


def _dimension_deltas(moves: list[Move]) -> str:
    """Mean change per scenario and target, over the cases that moved."""
    by: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m in moves:
        if m.delta is not None:
            by[(m.case.split("/")[0], m.target)].append(m.delta)
    scenarios = sorted({s for s, _ in by})
    head = "".join(f"<th>{escape(t)}</th>" for t in TARGETS)
    rows = []
    for s in scenarios:
        cells = []
        for t in TARGETS:
            values = by.get((s, t))
            if not values:
                cells.append("<td></td>")
                continue
            mean = fmean(values)
            cls = "fail" if mean < 0 else "pass"
            cells.append(f'<td class="{cls}" title="{len(values)} cases moved">{mean:+.2f}</td>')
        rows.append(f"<tr><td>{escape(s)}</td>{''.join(cells)}</tr>")
    return (
        "<table><caption>Mean change where a score moved (per scenario)</caption>"
        f"<tr><th>scenario</th>{head}</tr>{''.join(rows)}</table>"
    )


def _moves_table(moves: list[Move]) -> str:
    rows = "".join(
        f"<tr><td>{escape(m.case)}</td><td>{escape(m.target)}</td><td>{_num(m.before)}</td><td>{_num(m.after)}</td>"
        f'<td class="{"fail" if m.delta is None or m.delta < 0 else "pass"}">'
        f"{'no score' if m.delta is None else f'{m.delta:+g}'}</td></tr>"
        for m in moves[:TABLE_MOVES]
    )
    more = f"<p>{len(moves) - TABLE_MOVES} more in baseline.json.</p>" if len(moves) > TABLE_MOVES else ""
    return (
        "<table class='moves'><caption>Every score that moved (largest first)</caption><tr><th>case</th>"
        f"<th>target</th><th>before</th><th>after</th><th>change</th></tr>{rows}</table>{more}"
    )


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:g}"
