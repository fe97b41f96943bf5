"""The fake OpenAI-compatible server answers the two schemas Roundtable asks for, streams, and counts tokens."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from agents.facilitator.llm import RubricJudgement
from agents.models import ask_structured
from agents.settings import Settings
from agents.transcript import StakeholderTurn
from benchmarks.fake_openai_server import minimal_instance, serve

LATENCY = 0.2
PROMPT = """You are Priya Raman, Director of Engineering, in a product meeting.
Facts you may share now, because the person just asked about them (share only these, in your own words):
- [eng.scale] 420,000 daily users.
Facts already shared earlier: (none)

Your open concerns (judge the person's latest turn against what a satisfying answer must address):
(none)

A new concern you may raise if none of yours is left open:
- [eng.delivery] Messages must not be lost.

Reply as a structured object:"""


@pytest.fixture(scope="module")
def server():
    with serve(latency=LATENCY) as s:
        yield s


def settings_for(server, method: str = "function_calling") -> Settings:
    return Settings(
        engine="llm", openai_base_url=server.base_url, openai_api_key="x", model="fake", structured_output=method
    )


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_stakeholder_turn_shares_the_facts_it_may_share(server, method):
    settings = settings_for(server, method)
    messages = [SystemMessage(PROMPT), HumanMessage("How many users?")]
    reply, usage = ask_structured(
        ChatOpenAI(model="fake", api_key="x", base_url=server.base_url), StakeholderTurn, messages, settings
    )
    assert reply.intent == "answer" and reply.facts_revealed == ["eng.scale"]
    assert "Priya Raman" in reply.text
    assert usage["input_tokens"] > 0 and usage["output_tokens"] > 0


def test_rubric_judgement_scores_every_dimension_the_same_way_for_the_same_prompt(server):
    settings = settings_for(server)
    model = ChatOpenAI(model="fake", api_key="x", base_url=server.base_url)
    messages = [SystemMessage("Rubric (score each dimension 1-5):"), HumanMessage('<turn n="1">Hello</turn>')]
    first, _ = ask_structured(model, RubricJudgement, messages, settings)
    again, _ = ask_structured(model, RubricJudgement, messages, settings)
    assert first == again
    assert all(
        2 <= getattr(first, d).score <= 4 for d in ("framing", "systems", "tradeoffs", "alignment", "collaboration")
    )


def test_streams_text_and_tool_arguments_as_server_sent_events(server):
    body = {
        "model": "fake",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": PROMPT}],
        "tools": [{"type": "function", "function": {"name": "StakeholderTurn", "parameters": {}}}],
        "tool_choice": {"type": "function", "function": {"name": "StakeholderTurn"}},
    }
    with httpx.stream("POST", f"{server.base_url}/chat/completions", json=body, timeout=10) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    calls = [d["tool_calls"][0] for d in deltas if "tool_calls" in d]
    assert calls[0]["function"]["name"] == "StakeholderTurn" and len(calls) > 2  # arguments arrive in pieces
    args = json.loads("".join(c["function"].get("arguments", "") for c in calls))
    assert StakeholderTurn.model_validate(args).facts_revealed == ["eng.scale"]
    assert chunks[-1]["usage"]["total_tokens"] > 0


def test_streams_plain_text_through_chat_openai(server):
    model = ChatOpenAI(model="fake", api_key="x", base_url=server.base_url, stream_usage=True)
    pieces = list(model.stream("Hello"))
    assert len(pieces) > 3
    assert "".join(p.content for p in pieces).startswith("Thanks, that is clear.")
    assert sum((p.usage_metadata or {}).get("output_tokens", 0) for p in pieces) > 0


def test_answers_concurrent_requests_after_one_latency(server):
    model = ChatOpenAI(model="fake", api_key="x", base_url=server.base_url)
    model.invoke("warm")
    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: model.invoke("hi"), range(8)))
    assert time.perf_counter() - t0 < LATENCY * 3  # not 8 x LATENCY: requests are served in parallel


class Other(BaseModel):
    name: str = Field(min_length=3)
    count: int = Field(ge=2)
    tags: list[str]
    kind: str | None
    child: StakeholderTurn


def test_any_other_schema_gets_a_minimal_valid_instance(server):
    schema = Other.model_json_schema()
    Other.model_validate(minimal_instance(schema, schema.get("$defs", {})))
    settings = settings_for(server)
    reply, _ = ask_structured(
        ChatOpenAI(model="fake", api_key="x", base_url=server.base_url), Other, [HumanMessage("x")], settings
    )
    assert isinstance(reply, Other)
