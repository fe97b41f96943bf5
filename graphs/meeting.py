"""The meeting graph: open -> ask_user -> route -> stakeholders (parallel) -> settle -> ... -> score."""

from __future__ import annotations

from collections.abc import Callable

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send, interrupt

from agents.board import all_settled, apply_turn, new_board
from agents.engines import Engines
from agents.facilitator import closing_prompt, closing_text, opening_text
from agents.facilitator.coaching import next_hint
from agents.reading import read_turn
from agents.routing import route_speakers
from agents.stakeholder import StakeholderContext
from agents.transcript import Turn, person_turns
from graphs.state import MeetingState, StakeholderTask
from scenarios import Scenario

FACILITATOR = "Facilitator"
CLOSING_SLOT = 99  # after every stakeholder's reply in the round
STREAM_TEXT = "stream_text"  # configurable key: stream stakeholders' text as "custom" events
HINT_SLOT = 98  # a coaching whisper comes after the replies, before any closing prompt
PERSON = "You"
SPEAKING = ("engineering", "design", "business")


def build_meeting_graph(engines: Engines, scenario_of: Callable[..., Scenario], checkpointer=None):
    """Compile the meeting graph. ``scenario_of(id)`` looks a scenario up by id; a session that
    recorded its scenario's version calls ``scenario_of(id, version)`` to get exactly that one."""

    def _scenario(state: MeetingState) -> Scenario:
        version = state.get("scenario_version")
        return scenario_of(state["scenario_id"], version) if version else scenario_of(state["scenario_id"])

    def open_meeting(state: MeetingState) -> MeetingState:
        scenario = _scenario(state)
        opening = Turn(round=0, speaker=FACILITATOR, role="facilitator", text=opening_text(scenario), intent="open")
        return {
            "transcript": [opening.model_dump()],
            "board": new_board(scenario),
            "round": 0,
            "round_limit": state.get("round_limit") or scenario.round_limit,
            "phase": "meeting",
            "end_reason": None,
            "scorecard": None,
        }

    def ask_user(state: MeetingState, config: RunnableConfig) -> MeetingState:
        # interrupt() re-runs this node on resume: nothing may come before it.
        reply = interrupt({"round": state["round"] + 1, "round_limit": state["round_limit"]})
        if reply.get("wrap_up"):
            return {"end_reason": "wrap_up"}
        turn = Turn(round=state["round"] + 1, speaker=PERSON, role="person", text=reply["text"], intent="turn")
        update: MeetingState = {"transcript": [turn.model_dump()], "round": turn.round}
        waited_at = _resumed_checkpoint(config)
        if waited_at:  # the point this turn answered: where a rewind to it starts (see graphs.history)
            update["turn_points"] = [{"turn": turn.round, "checkpoint_id": waited_at}]
        if state.get("closing"):
            update["end_reason"] = "settled"  # the person's closing word after every concern was settled
        return update

    def route(state: MeetingState) -> MeetingState:
        scenario = _scenario(state)
        reading = _reading(scenario, state)
        speakers = route_speakers(scenario, state["board"], reading)
        return {"speakers": [{"role": s.role, "reason": s.reason} for s in speakers]}

    def fan_out(state: MeetingState) -> list[Send] | Send | str:
        if engines.one_after_another(state["engine"]):
            return next_colleague(state)
        sends = [Send("stakeholder", _task(state, s["role"], i + 1)) for i, s in enumerate(state["speakers"])]
        return sends or "settle"

    def next_colleague(state: MeetingState) -> Send | str:
        """LLM engine: the round's next stakeholder answers after the ones before it, hearing them.

        Each reply is its own step (and checkpoint), so a failed call keeps the replies before it
        and a retry answers from there. The first reply streams as soon as it starts.
        """
        answered = {t["role"] for t in state["transcript"] if t["round"] == state["round"] and t["role"] in SPEAKING}
        for i, s in enumerate(state["speakers"]):
            if s["role"] not in answered:
                return Send("colleague", _task(state, s["role"], i + 1))
        return "settle"

    def stakeholder(task: StakeholderTask, config: RunnableConfig) -> MeetingState:
        scenario = _scenario(task)
        person = scenario.stakeholder(task["speaker"])
        reading = _reading(scenario, task)
        ctx = StakeholderContext(
            scenario=scenario,
            stakeholder=person,
            transcript=task["transcript"],
            board=task["board"],
            revealed=task["revealed"],
            round=task["round"],
            reading=reading.by_role[person.role],
            quote_for=reading.quote_for,
        )
        on_text = None
        if config.get("configurable", {}).get(STREAM_TEXT):  # someone is watching: stream the reply's text
            write = get_stream_writer()

            def on_text(text: str) -> None:
                write({"kind": "partial", "role": person.role, "speaker": person.name, "text": text})

        reply, usage = engines.stakeholder(task["engine"]).respond(ctx, on_text=on_text)
        turn = Turn(
            round=task["round"],
            slot=task["slot"],
            speaker=person.name,
            role=person.role,
            text=reply.text,
            intent=reply.intent,
            concern_ids=reply.concern_ids,
            fact_ids=reply.facts_revealed,
        )
        return {
            "transcript": [turn.model_dump()],
            "board": apply_turn(task["board"], reply, task["round"]),
            "revealed": reply.facts_revealed,
            "usage": usage,
        }

    def settle(state: MeetingState) -> MeetingState:
        if state["round"] >= state["round_limit"]:
            return {"end_reason": "round_limit"}
        if all_settled(state["board"]):
            # the room has nothing left to raise: the person gets one turn to close the meeting
            prompt = Turn(
                round=state["round"],
                slot=CLOSING_SLOT,
                speaker=FACILITATOR,
                role="facilitator",
                text=closing_prompt(),
                intent="hint",
            )
            return {"closing": True, "transcript": [prompt.model_dump()]}
        if state.get("coaching"):
            return _coach(_scenario(state), state)
        return {}

    def score(state: MeetingState) -> MeetingState:
        scenario = _scenario(state)
        card, usage = engines.score(
            state["engine"], scenario, state["transcript"], state["board"], state.get("revealed", [])
        )
        closing = Turn(
            round=state["round"] + 1,
            speaker=FACILITATOR,
            role="facilitator",
            text=closing_text(card.overall, state.get("end_reason") or ""),
            intent="close",
        )
        return {"scorecard": card.model_dump(), "phase": "done", "transcript": [closing.model_dump()], "usage": usage}

    graph = StateGraph(MeetingState)
    graph.add_node("open", open_meeting)
    graph.add_node("ask_user", ask_user)
    graph.add_node("route", route)
    graph.add_node("stakeholder", stakeholder)
    graph.add_node("colleague", stakeholder)  # the same agent, one after another (see next_colleague)
    graph.add_node("settle", settle)
    graph.add_node("score", score)
    graph.add_edge(START, "open")
    graph.add_edge("open", "ask_user")
    graph.add_conditional_edges("ask_user", lambda s: "score" if s.get("end_reason") else "route", ["score", "route"])
    graph.add_conditional_edges("route", fan_out, ["stakeholder", "colleague", "settle"])
    graph.add_edge("stakeholder", "settle")
    graph.add_conditional_edges("colleague", next_colleague, ["colleague", "settle"])
    graph.add_conditional_edges(
        "settle", lambda s: "score" if s.get("end_reason") else "ask_user", ["score", "ask_user"]
    )
    graph.add_edge("score", END)
    return graph.compile(checkpointer=checkpointer)


def _coach(scenario: Scenario, state: MeetingState) -> MeetingState:
    hint = next_hint(
        scenario,
        state["transcript"],
        state["board"],
        state["round"],
        state["round_limit"],
        state.get("hints_given", []),
    )
    if hint is None:
        return {}
    hint_id, text = hint
    turn = Turn(round=state["round"], slot=HINT_SLOT, speaker=FACILITATOR, role="facilitator", text=text, intent="hint")
    return {"transcript": [turn.model_dump()], "hints_given": [hint_id]}


# what a stakeholder's turn reads: a Send's payload is stored with every checkpoint of its step,
# so the rest of the state (scorecard, usage, routing, hints, rewind points) stays behind
TASK_KEYS = ("scenario_id", "scenario_version", "engine", "transcript", "board", "revealed", "round")


def _task(state: MeetingState, speaker: str, slot: int) -> StakeholderTask:
    task: StakeholderTask = {k: state[k] for k in TASK_KEYS if k in state}  # type: ignore[assignment]
    return {**task, "revealed": state.get("revealed", []), "speaker": speaker, "slot": slot}


def _resumed_checkpoint(config: RunnableConfig) -> str | None:
    """The checkpoint a resumed node runs from (LangGraph's checkpoint map for the root graph)."""
    return ((config.get("configurable") or {}).get("checkpoint_map") or {}).get("")


def _reading(scenario: Scenario, state: MeetingState):
    person = [text for _, text in person_turns(state["transcript"])]
    return read_turn(scenario, state["board"], state.get("revealed", []), person[-1], earlier=person[:-1])
