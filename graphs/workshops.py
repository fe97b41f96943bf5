"""Workshop mode: a facilitator opens a workshop, participants join it with a short code, each runs a meeting.

The store records only who joined which workshop and which session is theirs (SQLite under the data
dir, or PostgreSQL: ``graphs.storage``). Status and scores are always read from the meeting itself
(``Meetings.view``), never copied into these tables, so the dashboard cannot show a stale score.

A participant's session id is a 128-bit secret, and their meeting opens only through their own
join link (``/join?code=…&session=…``): ``owner`` tells the meeting room which sessions are not
its to open. The facilitator's passcode lives in ``graphs.passcode``.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from agents.settings import Engine
from graphs import storage
from graphs.session import MeetingError, Meetings, MeetingView, new_session_id
from graphs.storage import DuplicateRow
from scenarios import DIMENSIONS, Dimension

# No 0/O, 1/I/L: a code read aloud or copied from a projector is typed right the first time.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 6
NAME_MAX = 40

ParticipantStatus = Literal["waiting", "in_meeting", "replies_pending", "wrapped_up", "unavailable"]
STATUS_LABELS: dict[ParticipantStatus, str] = {
    "waiting": "waiting for first turn",
    "in_meeting": "in meeting",
    "replies_pending": "replies pending",
    "wrapped_up": "wrapped up",
    "unavailable": "session unavailable",
}
_CSV_HEAD = ["workshop", "code", "name", "session_id", "status", "round", "round_limit", "overall"]
CSV_COLUMNS = [*_CSV_HEAD, *DIMENSIONS, "concerns_resolved", "concerns_total"]


class WorkshopError(ValueError):
    """Something the person can fix (unknown code, name taken, closed workshop); the message says how."""


class Workshop(BaseModel):
    code: str
    name: str
    scenario_id: str
    round_limit: int | None = Field(default=None, description="None: the scenario's own limit.")
    engine: Engine
    coaching: bool = False
    closed: bool = Field(default=False, description="A closed workshop takes no new participants.")
    created_at: datetime


class Participant(BaseModel):
    workshop_code: str
    name: str
    session_id: str
    joined_at: datetime


class ParticipantResult(BaseModel):
    """One participant's meeting as the dashboard and the CSV show it, read fresh from the session."""

    participant: Participant
    status: ParticipantStatus
    round: int = 0
    round_limit: int = 0
    overall: float | None = None
    dimensions: dict[Dimension, int] = Field(default_factory=dict)
    concerns_resolved: int = 0
    concerns_total: int = 0

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def normalise_code(text: str) -> str:
    """What a person typed as a code, upper-cased, without spaces or dashes ("abc-d23" -> "ABCD23")."""
    return re.sub(r"[\s\-]", "", text or "").upper()


def clean_name(text: str) -> str:
    """A display name: control characters dropped, whitespace collapsed, at most ``NAME_MAX`` characters."""
    # whitespace becomes a space; other invisible characters (controls, bidi overrides) are dropped
    name = " ".join("".join(ch for ch in text or "" if ch.isprintable() or ch.isspace()).split())
    if not name:
        raise WorkshopError("Type your name (it is how the facilitator will see you).")
    if len(name) > NAME_MAX:
        raise WorkshopError(f"Names can be at most {NAME_MAX} characters.")
    return name


def status_of(view: MeetingView) -> ParticipantStatus:
    if view.phase == "done":
        return "wrapped_up"
    if not view.awaiting_person:
        return "replies_pending"
    if not any(t.role == "person" for t in view.transcript):
        return "waiting"
    return "in_meeting"


def result_of(participant: Participant, view: MeetingView | None) -> ParticipantResult:
    if view is None:
        return ParticipantResult(participant=participant, status="unavailable")
    card = view.scorecard
    return ParticipantResult(
        participant=participant,
        status=status_of(view),
        round=view.round,
        round_limit=view.round_limit,
        overall=card.overall if card else None,
        dimensions={d: s.score for d, s in card.dimensions.items()} if card else {},
        concerns_resolved=sum(1 for c in view.board.values() if c.get("status") == "resolved"),
        concerns_total=len(view.board),
    )


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS workshops (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    scenario_id TEXT NOT NULL,
    round_limit INTEGER,
    engine TEXT NOT NULL,
    coaching INTEGER NOT NULL DEFAULT 0,
    closed INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS participants (
    session_id TEXT PRIMARY KEY,
    workshop_code TEXT NOT NULL REFERENCES workshops(code),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    joined_at TEXT NOT NULL,
    UNIQUE (workshop_code, name_key)
);
"""
# The same tables; ``rowid`` is spelled out (SQLite has it implicitly) so both order joins alike.
_SCHEMA = {
    "sqlite": _SQLITE_SCHEMA,
    "postgres": _SQLITE_SCHEMA.replace(
        "    name TEXT NOT NULL,\n    name_key", "    rowid BIGSERIAL,\n    name TEXT NOT NULL,\n    name_key"
    ),
}


class Workshops:
    """Create workshops, let participants join and resume, and read everyone's results.

    One instance per process; safe to share between the web server's threads. The tables live
    beside the meetings: SQLite under the data dir, or PostgreSQL with ``database_url``, where
    every server on the database sees the same workshops (``graphs.storage``).
    """

    def __init__(self, meetings: Meetings, path: Path | None = None):
        self.meetings = meetings
        self.path = path or meetings.settings.data_dir / "workshops.sqlite"
        self._db = storage.database(meetings.settings, self.path, _SCHEMA)

    # --- workshops -------------------------------------------------------------------------------

    def create(
        self,
        name: str,
        scenario_id: str,
        *,
        round_limit: int | None = None,
        engine: Engine | None = None,
        coaching: bool = False,
    ) -> Workshop:
        """Open a workshop with a fresh join code."""
        name = " ".join((name or "").split())
        if not name:
            raise WorkshopError("Give the workshop a name, e.g. the team or the date.")
        if scenario_id not in self.meetings.scenarios:
            raise WorkshopError(f"Unknown scenario '{scenario_id}'.")
        if round_limit is not None and not 2 <= round_limit <= 30:
            raise WorkshopError("The round limit must be between 2 and 30.")
        engine = engine or self.meetings.settings.resolved_engine()
        for _ in range(20):
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            try:
                self._write(
                    "INSERT INTO workshops (code, name, scenario_id, round_limit, engine, coaching, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (code, name, scenario_id, round_limit, engine, int(coaching), datetime.now(UTC).isoformat()),
                )
            except DuplicateRow:
                continue  # the code is taken: draw another
            return self.workshop(code)
        raise WorkshopError("Could not find a free join code; try again.")  # pragma: no cover - 31^6 codes

    def workshop(self, code: str) -> Workshop:
        """The workshop with this join code (typed loosely: case, spaces and dashes don't matter)."""
        code = normalise_code(code)
        row = self._read_one("SELECT * FROM workshops WHERE code = ?", (code,))
        if row is None:
            shown = code or "(empty)"
            raise WorkshopError(f"No workshop has the code {shown}. Check the code with your facilitator.")
        return Workshop.model_validate(dict(row))

    def all(self) -> list[Workshop]:
        """Every workshop, newest first."""
        rows = self._read_all("SELECT * FROM workshops ORDER BY created_at DESC, code", ())
        return [Workshop.model_validate(dict(r)) for r in rows]

    def set_closed(self, code: str, closed: bool) -> Workshop:
        """Close a workshop to new participants (those who joined can still finish), or reopen it."""
        workshop = self.workshop(code)
        self._write("UPDATE workshops SET closed = ? WHERE code = ?", (int(closed), workshop.code))
        return self.workshop(code)

    # --- participants ----------------------------------------------------------------------------

    def join(self, code: str, name: str, *, resume_session_id: str | None = None) -> Participant:
        """Join a workshop: starts the participant's own meeting, recorded under their name.

        ``resume_session_id`` is the session this browser already holds in the workshop; joining
        again with the same name returns that participant instead of a second one. A name taken
        by someone else is refused, so nobody can open another person's meeting by typing a name.
        """
        workshop = self.workshop(code)
        name = clean_name(name)
        key = name.casefold()
        if resume_session_id:
            mine = self.participant(workshop.code, resume_session_id)
            if mine is not None and mine.name.casefold() == key:
                return mine
        if self._read_one("SELECT 1 FROM participants WHERE workshop_code = ? AND name_key = ?", (workshop.code, key)):
            raise WorkshopError(
                f"Someone has already joined as “{name}”. Pick another name, or if that was you, "
                "open the link you were given when you joined (it ends in &session=…)."
            )
        if workshop.closed:
            raise WorkshopError("This workshop is closed to new participants. Ask your facilitator.")
        session_id = new_session_id()
        try:
            self._write(
                "INSERT INTO participants (session_id, workshop_code, name, name_key, joined_at) VALUES (?, ?, ?, ?, ?)",
                (session_id, workshop.code, name, key, datetime.now(UTC).isoformat()),
            )
        except DuplicateRow:  # the same name, joined a moment ago from another browser
            raise WorkshopError(f"Someone has just joined as “{name}”. Pick another name.") from None
        try:
            self._start_meeting(workshop, session_id)
        except MeetingError as exc:
            self._write("DELETE FROM participants WHERE session_id = ?", (session_id,))
            raise WorkshopError(f"Your meeting could not start: {exc}") from exc
        return self.participant(workshop.code, session_id)

    def participant(self, code: str, session_id: str) -> Participant | None:
        """The participant holding ``session_id`` in this workshop, or None (no listing of others)."""
        row = self._read_one(
            "SELECT * FROM participants WHERE workshop_code = ? AND session_id = ?", (normalise_code(code), session_id)
        )
        return Participant.model_validate(dict(row)) if row else None

    def owner(self, session_id: str) -> Participant | None:
        """The workshop participant whose meeting ``session_id`` is, or None for a practice meeting."""
        row = self._read_one("SELECT * FROM participants WHERE session_id = ?", (session_id,))
        return Participant.model_validate(dict(row)) if row else None

    def participants(self, code: str) -> list[Participant]:
        """Everyone who joined, in the order they joined."""
        rows = self._read_all(
            "SELECT * FROM participants WHERE workshop_code = ? ORDER BY joined_at, rowid", (normalise_code(code),)
        )
        return [Participant.model_validate(dict(r)) for r in rows]

    # --- results ---------------------------------------------------------------------------------

    def results(self, code: str) -> list[ParticipantResult]:
        """Each participant's status, round and scores, read from their meeting now."""
        return [result_of(p, self._view(p.session_id)) for p in self.participants(code)]

    def results_csv(self, code: str) -> str:
        """All results as CSV, one row per participant (spreadsheet formulas in names are defused)."""
        workshop = self.workshop(code)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for r in self.results(workshop.code):
            writer.writerow(
                [
                    _cell(workshop.name),
                    workshop.code,
                    _cell(r.participant.name),
                    r.participant.session_id,
                    r.status_label,
                    r.round,
                    r.round_limit,
                    "" if r.overall is None else f"{r.overall:.2f}",
                    *(r.dimensions.get(d, "") for d in DIMENSIONS),
                    r.concerns_resolved,
                    r.concerns_total,
                ]
            )
        return out.getvalue()

    # --- internals -------------------------------------------------------------------------------

    def _start_meeting(self, workshop: Workshop, session_id: str) -> None:
        self.meetings.start(
            workshop.scenario_id,
            engine=workshop.engine,
            session_id=session_id,
            round_limit=workshop.round_limit,
            coaching=workshop.coaching,  # explicit: the workshop's choice, not the server's default
        )

    def _view(self, session_id: str) -> MeetingView | None:
        try:
            return self.meetings.view(session_id)
        except MeetingError:
            return None

    def _write(self, sql: str, params: tuple) -> None:
        self._db.execute(sql, params)

    def _read_one(self, sql: str, params: tuple) -> dict | None:
        return self._db.one(sql, params)

    def _read_all(self, sql: str, params: tuple) -> list[dict]:
        return self._db.all(sql, params)


def _cell(text: str) -> str:
    """Text for a spreadsheet: a leading = + - @ would run as a formula, so it is quoted."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
