"""The suite judged as a whole: how near each overall lands to its band, exploits, a canned room, and the gate."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from graphs.evaluation.results import OVERALL, EvalReport


class RoomSummary(BaseModel):
    """The suite judged as a whole, the way a person trying it would: is each overall near its band,
    did any script game the scorer, and did the room sound canned or settle what it should not?

    ``within``: scripts whose overall is within ``tolerance`` of its band; ``exploits``: scripts
    scoring more than ``EXPLOIT_GAP`` above their band's top.
    """

    scripts: int
    banded: int
    within: int
    exploits: list[str]
    repeated_sentences: int
    checklist_phrases: int
    wrongly_settled: list[str]
    tolerance: float

    @property
    def within_share(self) -> float | None:
        return self.within / self.banded if self.banded else None


EXPLOIT_GAP = 1.0


def room_summary(report: EvalReport, tolerance: float = 0.5) -> RoomSummary:
    banded = within = 0
    exploits = []
    for r in report.results:
        check = next((c for c in r.checks if c.target == OVERALL), None)
        if check is None or r.overall is None:
            continue
        banded += 1
        within += check.band.low - tolerance <= r.overall <= check.band.high + tolerance
        if r.overall > check.band.high + EXPLOIT_GAP:
            exploits.append(r.ident)
    return RoomSummary(
        scripts=len(report.results),
        banded=banded,
        within=within,
        exploits=exploits,
        repeated_sentences=sum(len(r.repeated_sentences) for r in report.results),
        checklist_phrases=sum(len(r.checklist_phrases) for r in report.results),
        wrongly_settled=[f"{r.ident}: {c}" for r in report.results for c in r.wrongly_settled],
        tolerance=tolerance,
    )


@dataclass(frozen=True)
class Gate:
    """Judge the suite as a whole (the room's faults and how near each overall lands) rather than
    every band: an adversarial suite is meant to find misses, and a gate says how many are tolerated."""

    min_within: float | None = None
    max_exploits: int | None = None
    max_wrongly_settled: int | None = None
    max_canned: int | None = None

    @property
    def active(self) -> bool:
        return any(
            v is not None for v in (self.min_within, self.max_exploits, self.max_wrongly_settled, self.max_canned)
        )

    def failures(self, room: RoomSummary) -> list[str]:
        out = []
        share = room.within_share
        if self.min_within is not None and (share is None or share < self.min_within):
            out.append(f"{room.within} of {room.banded} overalls within {room.tolerance:g} of their band")
        if self.max_exploits is not None and len(room.exploits) > self.max_exploits:
            out.append(f"{len(room.exploits)} scripts over {EXPLOIT_GAP:g} above their band")
        if self.max_wrongly_settled is not None and len(room.wrongly_settled) > self.max_wrongly_settled:
            out.append(f"{len(room.wrongly_settled)} concerns settled that should stay open")
        canned = room.repeated_sentences + room.checklist_phrases
        if self.max_canned is not None and canned > self.max_canned:
            out.append(f"{canned} repeated sentences or checklist phrases")
        return out

    def exit_code(self, report: EvalReport, room: RoomSummary) -> int:
        return int(any(r.error for r in report.results) or bool(self.failures(room)))
