"""A run against a baseline run: per scenario, script and dimension, what moved and by how much.

Results are compared by case (``scenario/script[@variant]``; repeated sessions of a case are
averaged). An expectation is a band of a script, or its ``unsettled`` list; it passes in a run
when it passed in every session of the case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from statistics import fmean

from pydantic import BaseModel, Field

from graphs.evaluation.results import OVERALL, ScriptResult
from scenarios import DIMENSIONS

TARGETS = (OVERALL, *DIMENSIONS)
UNSETTLED = "unsettled"


class Move(BaseModel):
    """One score of one case, before and after (``None``: no score, e.g. the session failed)."""

    case: str
    target: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return round(self.after - self.before, 3)


class ExpectationChange(BaseModel):
    """An expectation that passed in one run and not in the other."""

    case: str
    target: str  # "overall", a dimension, or "unsettled"
    expected: str  # the band, or the concerns that must stay open
    before: float | None = None
    after: float | None = None
    now_passing: bool


class BaselineDiff(BaseModel):
    """Everything that moved from ``baseline`` to this run, largest moves first."""

    baseline: str
    compared: int = 0  # cases in both runs
    moves: list[Move] = Field(default_factory=list)
    newly_failing: list[ExpectationChange] = Field(default_factory=list)
    newly_passing: list[ExpectationChange] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)  # cases only in this run
    removed: list[str] = Field(default_factory=list)  # cases only in the baseline

    def drops(self, more_than: float) -> list[Move]:
        """Overalls that fell by more than ``more_than``, or lost their score."""
        return [
            m
            for m in self.moves
            if m.target == OVERALL
            and ((m.delta is not None and m.delta < -more_than) or (m.after is None and m.before is not None))
        ]


def compare(before: Sequence[ScriptResult], after: Sequence[ScriptResult], baseline: str = "") -> BaselineDiff:
    """The diff of ``after`` against ``before``."""
    old, new = _cases(before), _cases(after)
    diff = BaselineDiff(baseline=baseline)
    diff.added = [c for c in new if c not in old]
    diff.removed = [c for c in old if c not in new]
    for case in (c for c in new if c in old):
        diff.compared += 1
        a, b = old[case], new[case]
        for target in TARGETS:
            x, y = _mean(a, target), _mean(b, target)
            if x != y:
                diff.moves.append(Move(case=case, target=target, before=x, after=y))
        was, now = _expectations(a), _expectations(b)
        for target in was.keys() & now.keys():
            (passed_before, expected), (passed_after, _) = was[target], now[target]
            if passed_before == passed_after:
                continue
            change = ExpectationChange(
                case=case,
                target=target,
                expected=expected,
                before=None if target == UNSETTLED else _mean(a, target),
                after=None if target == UNSETTLED else _mean(b, target),
                now_passing=passed_after,
            )
            (diff.newly_passing if passed_after else diff.newly_failing).append(change)
    diff.moves.sort(key=lambda m: (-(abs(m.delta) if m.delta is not None else 99), m.case, TARGETS.index(m.target)))
    return diff


def _cases(results: Sequence[ScriptResult]) -> dict[str, list[ScriptResult]]:
    out: dict[str, list[ScriptResult]] = defaultdict(list)
    for r in results:
        out[r.case_id].append(r)
    return out


def _mean(results: list[ScriptResult], target: str) -> float | None:
    scores = [r.score(target) for r in results]
    if any(s is None for s in scores) or not scores:
        return None
    return round(fmean(scores), 3)


def _expectations(results: list[ScriptResult]) -> dict[str, tuple[bool, str]]:
    """Per expectation of the case: (passed in every session, what was expected)."""
    out: dict[str, tuple[bool, str]] = {}
    for r in results:
        for c in r.checks:
            held = c.passed and r.error is None
            prior = out.get(c.target, (True, str(c.band)))
            out[c.target] = (prior[0] and held, prior[1])
        prior = out.get(UNSETTLED, (True, "concerns stay open"))  # every case: only a change is reported
        out[UNSETTLED] = (prior[0] and not r.wrongly_settled, prior[1])
    return out
