"""The contract: a whole meeting and its scoring work against every provider, with the settings
README gives for it, through the real client stack (ChatOpenAI / AzureChatOpenAI over HTTP) and a
fake server that refuses what that provider refuses (benchmarks/fake_profiles.py).

Each case also checks what was sent: one token limit, temperature only where the model takes it,
the scorer at temperature 0, later stakeholders hearing the earlier ones, usage counted once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agents.engines import Engines
from agents.providers import memory
from agents.settings import Settings
from benchmarks.fake_openai_server import EMOJI, serve
from graphs import MeetingError, Meetings

TURNS = [
    "Priya, how many users do we expect? Marco, who are the users? Dana, how will we measure success?",
    "I'd put a realtime gateway in front of a message service, because workers expect instant delivery.",
    "The trade-off is speed versus cost; I'd choose the managed option so we hit the Q3 deadline.",
]


@dataclass
class Case:
    profile: str
    model: str
    settings: dict = field(default_factory=dict)  # what README tells a user of that provider to set
    key: str | None = None
    errors: int = 0  # requests the server refuses before the app has learned its ways (then none)
    method: str | None = "json_schema"  # what auto settles on (None: the setting names one)
    reasoning: bool = False


CASES = [
    Case("openai", "gpt-4o-mini", {"provider": "openai"}, key="sk-test"),
    Case("openai", "o4-mini", {"provider": "openai"}, key="sk-test", reasoning=True),
    Case("openai", "gpt-5-mini", {"provider": "openai"}, key="sk-test", reasoning=True),
    Case("azure", "chat", key="az-key"),
    # an o4-mini deployment whose name says nothing: the first refusal of temperature teaches the app
    Case("azure", "reasoner", key="az-key", errors=1, reasoning=True),
    Case("ollama", "llama3.2:latest"),
    Case("vllm", "Qwen/Qwen2.5-7B-Instruct"),
    Case("lmstudio", "qwen2.5-7b-instruct"),
    # llama-cpp-python answers json_schema with HTTP 500 once; auto moves to function_calling
    Case("llamacpp", "smollm2", errors=1, method="function_calling"),
    # json_mode, where a user forces it: OpenAI wants the word "json" in the messages, llama.cpp
    # constrains the reply with the schema sent beside json_object
    Case("openai", "gpt-4o-mini", {"provider": "openai", "structured_output": "json_mode"}, key="sk-test", method=None),
    Case("llamacpp", "smollm2", {"provider": "llamacpp", "structured_output": "json_mode"}, method=None),
    Case("ollama", "llama3.2:latest", {"structured_output": "json_mode"}, method=None),
]


def settings_for(case: Case, server, tmp_path) -> Settings:
    common = {"engine": "llm", "model": case.model, "data_dir": tmp_path / "data", "timeout": 20, **case.settings}
    if case.key:
        common["openai_api_key"] = case.key
    if case.profile == "azure":
        return Settings(azure_endpoint=server.base_url, azure_deployment=case.model, **common)
    return Settings(openai_base_url=server.base_url, **common)


def hold_meeting(settings: Settings, library) -> tuple[object, list]:
    meetings = Meetings(settings, engines=Engines(settings), checkpointer=InMemorySaver(), scenarios=library)
    view = meetings.start("chat-system")
    events: list = []
    view = meetings.send(view.session_id, TURNS[0], on_event=events.append)  # streamed, as the web app does
    for text in TURNS[1:]:
        view = meetings.send(view.session_id, text)  # whole replies, as the CLI does
    return meetings.finish(view.session_id), events


@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[
        f"{c.profile}-{c.model}" + (f"-{c.settings['structured_output']}" if "structured_output" in c.settings else "")
        for c in CASES
    ],
)
def test_a_whole_meeting_and_its_scorecard_on_every_provider(case, library, tmp_path):
    with serve(latency=0, profile=case.profile, api_key=case.key) as server:
        settings = settings_for(case, server, tmp_path)
        view, events = hold_meeting(settings, library)
        bodies, answers, billed = list(server.bodies), list(server.answers), list(server.billed)

    refused = [a for a in answers if a[0] != 200]
    assert len(refused) == case.errors, refused
    assert memory.recall(settings).method == case.method

    # the meeting: every stakeholder answered the first turn, the streamed text was whole, in the end too
    first = [t for t in view.transcript if t.round == 1 and t.role in ("engineering", "design", "business")]
    assert {t.role for t in first} == {"engineering", "design", "business"}
    assert all(EMOJI in t.text and "\ufffd" not in t.text for t in first)  # the halves of the emoji joined
    partials = [e.text for e in events if e.kind == "partial"]
    assert partials and not any("\ud800" <= c <= "\udfff" for p in partials for c in p)  # no lone surrogate shown
    # the later stakeholders heard the earlier ones (the fake says how many it heard)
    assert [t.text.count(f"I heard {i} before me") for i, t in enumerate(first)] == [1, 1, 1]

    card = view.scorecard
    assert card is not None and card.engine == "llm" and view.phase == "done"
    person = [t.text for t in view.transcript if t.role == "person"]
    quotes = [e for d in card.dimensions.values() for e in d.evidence]
    assert quotes and all(e.quote in person[e.turn - 1] for e in quotes)

    # what was sent: one token limit each; temperature only where taken; the scorer at 0
    served = [b for b, a in zip(bodies, answers, strict=True) if a[0] == 200]
    for body in served:
        limits = [k for k in ("max_tokens", "max_completion_tokens") if k in body]
        assert len(limits) == 1, limits
        if case.reasoning:
            assert "temperature" not in body and body["max_completion_tokens"] >= 4000
        else:
            assert body["temperature"] in (0, 0.4)
    scoring = [b for b in served if "judgement of how the person led" in json.dumps(b)]  # the scorer's schema
    assert len(scoring) == 1
    if not case.reasoning:
        assert scoring[0]["temperature"] == 0

    # usage: each reply counted once, however the server reported it
    if server.profile.usage != "none":
        assert view.usage["input_tokens"] == sum(b["prompt_tokens"] for b in billed)
        assert view.usage["output_tokens"] == sum(b["completion_tokens"] for b in billed)
    else:  # llama-cpp-python sends no usage while streaming: those calls are estimated, and say so
        assert view.usage["estimated_calls"] == 3


def test_what_auto_learned_is_used_from_the_first_call_of_the_next_run(library, tmp_path):
    case = CASES[8]  # llama.cpp: json_schema refused
    assert case.profile == "llamacpp" and case.errors == 1
    with serve(latency=0, profile=case.profile) as server:
        settings = settings_for(case, server, tmp_path)
        hold_meeting(settings, library)
        memory._cache.clear()  # a new process: only the file under the data dir remains
        before = len(server.answers)
        hold_meeting(settings, library)
        assert all(status == 200 for status, _ in server.answers[before:])


def test_a_reasoning_model_without_its_budget_is_cut_off_and_says_what_to_raise(library, tmp_path):
    case = CASES[1]
    with serve(latency=0, profile="openai", api_key="sk-test") as server:
        update = {"reasoning_tokens": 0, "reasoning_effort": "medium", "max_retries": 0}
        settings = settings_for(case, server, tmp_path).model_copy(update=update)
        meetings = Meetings(settings, engines=Engines(settings), checkpointer=InMemorySaver(), scenarios=library)
        view = meetings.start("chat-system")
        with pytest.raises(MeetingError) as err:
            meetings.send(view.session_id, TURNS[0])
    assert "cut off" in str(err.value) and "ROUNDTABLE_REASONING_TOKENS" in str(err.value)
    assert server.bodies[0]["max_completion_tokens"] == 600 and server.answers[0][1] == "length"
    assert err.value.view.transcript[-1].text == TURNS[0]  # the turn is kept
