"""The one API every interface uses: start a meeting, send a turn, read it, finish and score.

The CLI, the web app and batch evaluation all drive the same compiled graph through
``Meetings``. A session id is the graph's ``thread_id``; with the default SQLite checkpointer a
session survives the process and can be resumed by id. A new id is 128 random bits: knowing it
is what opens the meeting, so it must not be guessable. Calls that advance a session (start,
send, retry, finish) hold that session's lock (``graphs.session_lock``): a second call at the
same moment fails with ``TurnInProgress`` instead of forking the meeting behind the person's back.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Literal

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command
from pydantic import BaseModel, Field

from agents.engines import Engines
from agents.errors import ModelError
from agents.facilitator import Scorecard
from agents.settings import Engine, Settings
from agents.transcript import Turn
from graphs import history, storage
from graphs.checkpoint_serde import CompressedSerializer
from graphs.history import Branch, RewindPoint
from graphs.meeting import STREAM_TEXT, build_meeting_graph
from graphs.session_lock import FileSessionLocks, SessionBusy, SessionLocks, ThreadSessionLocks
from scenarios import Scenario
from scenarios.catalog import ScenarioCatalog
from scenarios.uploads import UploadStore


class MeetingView(BaseModel):
    """A session as the interfaces show it."""

    session_id: str
    scenario_id: str
    scenario_version: str | None = None  # the version the session started with (sessions since uploads were versioned)
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
    checkpoint_id: str | None = None  # the point shown: pass it as ``at=`` to act on this branch
    model: str | None = None  # the model's name with the llm engine
    cost_usd: float | None = None  # estimated, llm engine with a known price
    coaching: bool = False


class MeetingEvent(BaseModel):
    """Progress of a turn, for interfaces that show it as it happens (``send(..., on_event=)``)."""

    kind: Literal["thinking", "partial", "turn"]
    role: str | None = None
    speaker: str | None = None
    text: str = ""  # partial: the reply so far; turn: the whole entry
    roles: list[str] = Field(default_factory=list)  # thinking: who is about to answer


OnEvent = Callable[[MeetingEvent], None]


class MeetingError(RuntimeError):
    """A turn could not be completed. ``view`` shows the session as stored: nothing typed is lost."""

    def __init__(self, message: str, view: MeetingView | None = None):
        super().__init__(message)
        self.view = view


class TurnInProgress(MeetingError):
    """Another call is advancing this session right now (a second tab, another server); nothing was sent."""


BUSY_MESSAGE = (
    "Another turn in this meeting is being answered right now (in another tab or window?). "
    "Yours was not sent; try again once those replies are in."
)
SESSION_ID_BYTES = 16  # 128 bits: a session's id is the secret that opens it


def new_session_id() -> str:
    """A fresh, unguessable session id (32 hex characters)."""
    return secrets.token_hex(SESSION_ID_BYTES)


class Meetings:
    """Start, drive and read meetings. One instance per process; one turn at a time per session.

    ``locks`` serialises the calls that advance a session across threads and processes (by
    default lock files under the data dir); ``busy_wait_s`` is how long a call waits for another
    one on the same session before it gives up with ``TurnInProgress``.
    """

    busy_wait_s = 0.0

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engines: Engines | None = None,
        checkpointer=None,
        scenarios: dict[str, Scenario] | None = None,
        locks: SessionLocks | None = None,
    ):
        self.settings = settings or Settings()
        self.engines = engines or Engines(self.settings)
        extra = [self.settings.scenarios_dir] if self.settings.scenarios_dir else []
        self.scenarios = (
            scenarios if scenarios is not None else ScenarioCatalog(extra, uploads=UploadStore(self.uploads_dir))
        )
        self.checkpointer = checkpointer if checkpointer is not None else default_checkpointer(self.settings)
        self.locks = locks if locks is not None else default_locks(self.settings, self.checkpointer)
        self.graph = build_meeting_graph(self.engines, self.scenario, self.checkpointer)

    def scenario(self, scenario_id: str, version: str | None = None) -> Scenario:
        """The scenario ``scenario_id``; with ``version`` (what a session recorded), exactly that one."""
        if version is not None and isinstance(self.scenarios, ScenarioCatalog):
            found = self.scenarios.at_version(scenario_id, version)
            if found is None:
                raise MeetingError(
                    f"the scenario '{scenario_id}' this meeting was started with is no longer on this server"
                )
            return found
        try:
            return self.scenarios[scenario_id]
        except KeyError:
            known = ", ".join(sorted(self.scenarios)) or "none"
            raise MeetingError(f"unknown scenario '{scenario_id}'; known scenarios: {known}") from None

    def scenario_version(self, scenario_id: str) -> str | None:
        """The version of ``scenario_id`` a session started now records (None without versioning)."""
        return self.scenarios.version(scenario_id) if isinstance(self.scenarios, ScenarioCatalog) else None

    def start(
        self,
        scenario_id: str,
        *,
        engine: Engine | None = None,
        session_id: str | None = None,
        round_limit: int | None = None,
        coaching: bool | None = None,
    ) -> MeetingView:
        """Open a new meeting; returns it waiting for the person's first turn."""
        self.engines.prepare(self.scenario(scenario_id))
        session_id = session_id or new_session_id()
        state = {
            "scenario_id": scenario_id,
            "scenario_version": self.scenario_version(scenario_id),
            "engine": engine or self.settings.resolved_engine(),
            "coaching": self.settings.coaching if coaching is None else coaching,
        }
        if round_limit:
            state["round_limit"] = round_limit
        with self._turn(session_id):
            if self._snapshot(session_id).values:
                raise MeetingError(f"session '{session_id}' already exists; resume it instead")
            return self._run(self._config(session_id), state)

    def send(
        self, session_id: str, text: str, *, at: str | None = None, on_event: OnEvent | None = None
    ) -> MeetingView:
        """Send the person's turn; returns the meeting after the stakeholders reply.

        ``at`` (a rewind point's checkpoint id) answers from that point instead of the latest:
        the session forks, and the new branch becomes the one it resumes. ``on_event`` is called
        as the replies progress (who is thinking, streamed text, each finished reply).
        """
        text = text.strip()
        if not text:
            raise MeetingError("an empty turn says nothing; type something, or wrap up")
        with self._turn(session_id):
            self._expect_person(session_id, at)
            return self._run(self._resume_config(session_id, at), Command(resume={"text": text}), on_event)

    def finish(self, session_id: str, *, at: str | None = None, on_event: OnEvent | None = None) -> MeetingView:
        """Wrap up: the facilitator scores the meeting. Idempotent once scored."""
        with self._turn(session_id):
            view = self.view(session_id, at=at)
            if not view.awaiting_person and view.phase != "done":
                view = self._run(self._config(session_id, at), None, on_event)  # pending replies come first
                at = view.checkpoint_id if at else None
            if view.phase == "done":
                return view
            return self._run(self._resume_config(session_id, at), Command(resume={"wrap_up": True}), on_event)

    def retry(self, session_id: str, *, at: str | None = None, on_event: OnEvent | None = None) -> MeetingView:
        """Run what a failed call left pending (e.g. replies to the last turn) from the checkpoint."""
        with self._turn(session_id):
            return self._run(self._config(session_id, at), None, on_event)

    def exists(self, session_id: str, *, at: str | None = None) -> bool:
        """Whether the session (and, with ``at``, that checkpoint of it) is stored; one cheap read."""
        return self.checkpointer.get_tuple(self._config(session_id, at)) is not None

    def rewind_points(self, session_id: str, *, at: str | None = None) -> list[RewindPoint]:
        """The points just before each of the person's turns on a branch (the latest by default).

        Read from the branch's own state (each turn records the point it was answered from), so
        the cost does not grow with the meeting; sessions from before that walk the history.
        """
        tip = self._existing(session_id, at)
        points = history.recorded_rewind_points(tip.values)
        if points is not None:
            return points
        return history.rewind_points(list(self.graph.get_state_history(self._config(session_id))), tip)

    def branches(self, session_id: str) -> list[Branch]:
        """Every line the session has taken (one per rewind answered), oldest first.

        Only the tips' states are read: which checkpoints are tips comes from the parent links.
        """
        links = history.parent_links(self.checkpointer, session_id)
        if not links:
            self._existing(session_id)  # raises for an unknown session
        if links is None:
            return history.branches(list(self.graph.get_state_history(self._config(session_id))))
        tips = [self._snapshot(session_id, cid) for cid in history.tip_ids(links)]
        return history.branches(tips, all_tips=True)

    def add_scenario(self, scenario: Scenario, yaml_text: str) -> str:
        """Keep an uploaded (already validated) scenario and offer it from now on; returns its version.

        Versions are content-addressed: uploading an id again adds a version, never overwrites one,
        and sessions keep the version they started with.
        """
        if not isinstance(self.scenarios, ScenarioCatalog):
            raise MeetingError("this server does not keep uploaded scenarios")
        return self.scenarios.add_upload(scenario, yaml_text)

    def delete_scenario(self, scenario_id: str) -> None:
        """Stop offering an uploaded scenario; meetings already started on it carry on with their version."""
        if not isinstance(self.scenarios, ScenarioCatalog) or not self.scenarios.is_upload(scenario_id):
            raise MeetingError(f"'{scenario_id}' is not an uploaded scenario; only uploads can be deleted")
        self.scenarios.delete_upload(scenario_id)

    @property
    def uploads_dir(self):
        return self.settings.data_dir / "scenarios"

    def view(self, session_id: str, *, at: str | None = None) -> MeetingView:
        snapshot = self._existing(session_id, at)
        values = snapshot.values
        engine = values.get("engine", "offline")
        card = values.get("scorecard")
        usage = values.get("usage", {})
        try:
            title = self.scenario(values["scenario_id"], values.get("scenario_version")).title
        except MeetingError:
            title = f"{values['scenario_id']} (scenario no longer available)"  # the meeting can still be read
        return MeetingView(
            session_id=session_id,
            scenario_id=values["scenario_id"],
            scenario_version=values.get("scenario_version"),
            title=title,
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
            usage=usage,
            checkpoint_id=snapshot.config["configurable"].get("checkpoint_id"),
            model=self.settings.model if engine == "llm" else None,
            cost_usd=self.engines.cost(usage) if engine == "llm" else None,
            coaching=bool(values.get("coaching")),
        )

    def _config(self, session_id: str, at: str | None = None) -> dict:
        configurable = {"thread_id": session_id}
        if at:
            configurable |= {"checkpoint_ns": "", "checkpoint_id": at}
        return {"configurable": configurable, "max_concurrency": self.settings.max_concurrency}

    def _resume_config(self, session_id: str, at: str | None) -> dict:
        """Where to answer the waiting ``ask_user``: the latest point, or a fork of an earlier one.

        Resuming an old checkpoint directly would replay the answer already stored there, so an
        earlier point is first copied into a new checkpoint (as if ``settle`` had just run).
        """
        if not at:
            return self._config(session_id)
        forked = self.graph.update_state(self._config(session_id, at), None, as_node="settle")
        return {**self._config(session_id), "configurable": forked["configurable"]}

    def _snapshot(self, session_id: str, at: str | None = None):
        return self.graph.get_state(self._config(session_id, at))

    def _existing(self, session_id: str, at: str | None = None):
        snapshot = self._snapshot(session_id, at)
        if not snapshot.values:
            where = f" at checkpoint '{at}'" if at else ""
            raise MeetingError(f"no session '{session_id}'{where}")  # no server path: the web shows this
        return snapshot

    def _turn(self, session_id: str):
        """Hold the session's lock for one call that advances it; ``TurnInProgress`` if another holds it."""
        return _holding(self.locks, session_id, self.busy_wait_s)

    def _expect_person(self, session_id: str, at: str | None = None) -> None:
        view = self.view(session_id, at=at)
        if view.phase == "done":
            raise MeetingError("this meeting is over; start a new one", view)
        if not view.awaiting_person:
            raise MeetingError("the replies to your last turn are still pending; retry them first", view)

    def _run(self, config: dict, payload, on_event: OnEvent | None = None) -> MeetingView:
        session_id = config["configurable"]["thread_id"]
        try:
            # durability="sync": the person's turn is on disk before any model is called
            if on_event is None:
                self.graph.invoke(payload, config, durability="sync")
            else:
                for mode, data in self.graph.stream(
                    payload, _streaming(config), stream_mode=["updates", "custom"], durability="sync"
                ):
                    for event in _events(mode, data):
                        on_event(event)
        except ModelError as exc:
            raise MeetingError(str(exc), self._safe_view(session_id)) from exc
        return self.view(session_id)

    def _safe_view(self, session_id: str) -> MeetingView | None:
        try:
            return self.view(session_id)
        except MeetingError:
            return None


@contextmanager
def _holding(locks: SessionLocks, session_id: str, wait_s: float) -> Iterator[None]:
    with ExitStack() as stack:
        try:
            stack.enter_context(locks.hold(session_id, wait_s=wait_s))
        except SessionBusy:
            raise TurnInProgress(BUSY_MESSAGE) from None
        yield


def default_locks(settings: Settings, checkpointer) -> SessionLocks:
    """Lock files under the data dir, unless the checkpointer lives in this process's memory only."""
    if isinstance(checkpointer, InMemorySaver):
        return ThreadSessionLocks()
    if storage.is_postgres(settings):
        return storage.session_locks(settings)  # advisory locks: every server on the database honours them
    return FileSessionLocks(settings.data_dir / "locks")


def _streaming(config: dict) -> dict:
    """Ask stakeholders to stream their text; LangGraph's "custom" stream takes one worker thread
    of ``max_concurrency`` for itself, so one more keeps every stakeholder answering at once."""
    return {
        **config,
        "configurable": {**config["configurable"], STREAM_TEXT: True},
        "max_concurrency": config["max_concurrency"] + 1,
    }


def _events(mode: str, data) -> list[MeetingEvent]:
    """Turn one streamed graph chunk into the events interfaces show."""
    if mode == "custom":
        return [MeetingEvent(**data)] if isinstance(data, dict) and data.get("kind") == "partial" else []
    out = []
    for node, update in data.items():
        if not isinstance(update, dict):
            continue  # interrupts
        if node == "route":
            roles = [s["role"] for s in update.get("speakers", [])]
            out.append(MeetingEvent(kind="thinking", roles=roles))
        for turn in update.get("transcript", []):
            if turn["role"] != "person":
                out.append(MeetingEvent(kind="turn", role=turn["role"], speaker=turn["speaker"], text=turn["text"]))
    return out


def default_checkpointer(settings: Settings):
    """PostgreSQL with ``database_url`` (several servers on one database), else one SQLite file under the data dir."""
    return storage.checkpointer(settings, serde=CompressedSerializer())  # see graphs.checkpoint_serde
