"""The one API every interface uses: start a meeting, send a turn, read it, finish and score.

The CLI, the web app and batch evaluation all drive the same compiled graph through
``Meetings``. A session id is the graph's ``thread_id``; with the default SQLite checkpointer a
session survives the process and can be resumed by id.
"""

from __future__ import annotations

import sqlite3
import uuid

from langgraph.types import Command
from pydantic import BaseModel

from agents.engines import Engines
from agents.errors import ModelError
from agents.facilitator import Scorecard
from agents.settings import Engine, Settings
from agents.transcript import Turn
from graphs.meeting import build_meeting_graph
from scenarios import Scenario, load_library


class MeetingView(BaseModel):
    """A session as the interfaces show it."""

    session_id: str
    scenario_id: str
    title: str
    engine: str
    engine_label: str
    round: int
    round_limit: int
    phase: str  # "meeting" | "done"
    awaiting_person: bool  # False while replies are pending (e.g. after a model error)
    transcript: list[Turn]
    board: dict[str, dict]
    revealed: list[str]
    speakers: list[dict]
    end_reason: str | None = None
    scorecard: Scorecard | None = None
    usage: dict[str, int] = {}


class MeetingError(RuntimeError):
    """A turn could not be completed. ``view`` shows the session as stored: nothing typed is lost."""

    def __init__(self, message: str, view: MeetingView | None = None):
        super().__init__(message)
        self.view = view


class Meetings:
    """Start, drive and read meetings. One instance per process; thread-safe per session."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engines: Engines | None = None,
        checkpointer=None,
        scenarios: dict[str, Scenario] | None = None,
    ):
        self.settings = settings or Settings()
        self.engines = engines or Engines(self.settings)
        extra = [self.settings.scenarios_dir] if self.settings.scenarios_dir else []
        self.scenarios = scenarios if scenarios is not None else load_library(extra)
        self.checkpointer = checkpointer if checkpointer is not None else sqlite_checkpointer(self.settings)
        self.graph = build_meeting_graph(self.engines, self.scenario, self.checkpointer)

    def scenario(self, scenario_id: str) -> Scenario:
        try:
            return self.scenarios[scenario_id]
        except KeyError:
            known = ", ".join(sorted(self.scenarios)) or "none"
            raise MeetingError(f"unknown scenario '{scenario_id}'; known scenarios: {known}") from None

    def start(
        self,
        scenario_id: str,
        *,
        engine: Engine | None = None,
        session_id: str | None = None,
        round_limit: int | None = None,
    ) -> MeetingView:
        """Open a new meeting; returns it waiting for the person's first turn."""
        self.scenario(scenario_id)
        session_id = session_id or uuid.uuid4().hex[:12]
        if self._snapshot(session_id).values:
            raise MeetingError(f"session '{session_id}' already exists; resume it instead")
        state = {"scenario_id": scenario_id, "engine": engine or self.settings.resolved_engine()}
        if round_limit:
            state["round_limit"] = round_limit
        return self._run(session_id, state)

    def send(self, session_id: str, text: str) -> MeetingView:
        """Send the person's turn; returns the meeting after the stakeholders reply."""
        text = text.strip()
        if not text:
            raise MeetingError("an empty turn says nothing; type something, or wrap up")
        self._expect_person(session_id)
        return self._run(session_id, Command(resume={"text": text}))

    def finish(self, session_id: str) -> MeetingView:
        """Wrap up: the facilitator scores the meeting. Idempotent once scored."""
        view = self.view(session_id)
        if not view.awaiting_person and view.phase != "done":
            view = self.retry(session_id)  # pending replies to the last turn come first
        if view.phase == "done":
            return view
        return self._run(session_id, Command(resume={"wrap_up": True}))

    def retry(self, session_id: str) -> MeetingView:
        """Run what a failed call left pending (e.g. replies to the last turn) from the checkpoint."""
        return self._run(session_id, None)

    def view(self, session_id: str) -> MeetingView:
        snapshot = self._snapshot(session_id)
        if not snapshot.values:
            raise MeetingError(f"no session '{session_id}' in {self.settings.checkpoint_path}")
        values = snapshot.values
        engine = values.get("engine", "offline")
        card = values.get("scorecard")
        return MeetingView(
            session_id=session_id,
            scenario_id=values["scenario_id"],
            title=self.scenario(values["scenario_id"]).title,
            engine=engine,
            engine_label=self.engines.describe(engine),
            round=values.get("round", 0),
            round_limit=values.get("round_limit", 0),
            phase=values.get("phase", "meeting"),
            awaiting_person=snapshot.next == ("ask_user",),
            transcript=[Turn.model_validate(t) for t in values.get("transcript", [])],
            board=values.get("board", {}),
            revealed=values.get("revealed", []),
            speakers=values.get("speakers", []),
            end_reason=values.get("end_reason"),
            scorecard=Scorecard.model_validate(card) if card else None,
            usage=values.get("usage", {}),
        )

    def _config(self, session_id: str) -> dict:
        return {"configurable": {"thread_id": session_id}, "max_concurrency": self.settings.max_concurrency}

    def _snapshot(self, session_id: str):
        return self.graph.get_state(self._config(session_id))

    def _expect_person(self, session_id: str) -> None:
        view = self.view(session_id)
        if view.phase == "done":
            raise MeetingError("this meeting is over; start a new one", view)
        if not view.awaiting_person:
            raise MeetingError("the replies to your last turn are still pending; retry them first", view)

    def _run(self, session_id: str, payload) -> MeetingView:
        try:
            # durability="sync": the person's turn is on disk before any model is called
            self.graph.invoke(payload, self._config(session_id), durability="sync")
        except ModelError as exc:
            raise MeetingError(str(exc), self._safe_view(session_id)) from exc
        return self.view(session_id)

    def _safe_view(self, session_id: str) -> MeetingView | None:
        try:
            return self.view(session_id)
        except MeetingError:
            return None


def sqlite_checkpointer(settings: Settings):
    """The default checkpointer: one SQLite file under the data dir (fine for one process)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(settings.checkpoint_path, check_same_thread=False)
    # WAL with synchronous=NORMAL: safe against a crashed process, ~10 ms less per commit
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return SqliteSaver(conn)
