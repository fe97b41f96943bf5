"""The provider package's small parts: which provider a URL is, strict schemas, reading streams and
usage, and what each failure is."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from types import SimpleNamespace

import httpx
import openai
import pytest
from langchain_core.messages import AIMessageChunk
from pydantic import BaseModel, Field, ValidationError

from agents.providers.failures import classify
from agents.providers.profile import detect
from agents.providers.replies import StreamReader, _usage, partial_text
from agents.providers.schemas import strict_schema
from agents.settings import Settings


@pytest.mark.parametrize(
    ("env", "name", "token_param"),
    [
        ({}, "openai", "max_completion_tokens"),
        ({"openai_base_url": "https://api.openai.com/v1"}, "openai", "max_completion_tokens"),
        ({"openai_base_url": "https://acme.openai.azure.com/openai/v1/"}, "azure", "max_completion_tokens"),
        ({"azure_endpoint": "https://acme.openai.azure.com"}, "azure", "max_completion_tokens"),
        ({"openai_base_url": "http://127.0.0.1:11434/v1"}, "ollama", "max_tokens"),
        ({"openai_base_url": "http://localhost:1234/v1"}, "lmstudio", "max_tokens"),
        ({"openai_base_url": "http://vllm.internal:8000/v1"}, "vllm", "max_tokens"),
        ({"openai_base_url": "http://127.0.0.1:8080/v1"}, "other", "max_tokens"),
        ({"openai_base_url": "http://127.0.0.1:8080/v1", "provider": "llamacpp"}, "llamacpp", "max_tokens"),
    ],
)
def test_the_provider_and_its_token_limit_come_from_the_url(env, name, token_param):
    provider = detect(Settings(**env))
    assert (provider.name, provider.token_param) == (name, token_param)


@pytest.mark.parametrize(
    ("model", "reasoning"),
    [
        ("o1", True),
        ("o3-mini", True),
        ("o4-mini", True),
        ("gpt-5", True),
        ("gpt-5-mini", True),
        ("gpt-5-chat-latest", False),
        ("gpt-4o-mini", False),
        ("llama3.2", False),
        ("openai/o4-mini", True),
    ],
)
def test_reasoning_models_are_known_by_name(model, reasoning):
    assert detect(Settings(model=model)).reasoning is reasoning
    assert detect(Settings(model=model, reasoning=not reasoning)).reasoning is not reasoning  # the setting wins


class Inner(BaseModel):
    title: str = Field(default="x", description="a field named title")


class Outer(BaseModel):
    default: list[Inner] = Field(default_factory=list, max_length=2)
    one: str = Field(default="only", json_schema_extra={"const": "only"})


def test_strict_schemas_inline_refs_require_everything_and_keep_fields_named_like_keywords():
    schema = strict_schema(Outer)
    assert "$defs" not in json.dumps(schema) and "$ref" not in json.dumps(schema)
    assert schema["required"] == ["default", "one"] and schema["additionalProperties"] is False
    inner = schema["properties"]["default"]["items"]
    assert inner["required"] == ["title"] and inner["additionalProperties"] is False
    assert "default" not in schema["properties"]["default"] and schema["properties"]["default"]["maxItems"] == 2
    assert schema["properties"]["one"]["enum"] == ["only"] and "const" not in schema["properties"]["one"]


def _usages(*pairs):
    return [{"input_tokens": i, "output_tokens": o} for i, o in pairs]


def test_usage_is_counted_once_however_the_server_reports_it():
    said = "x" * 400  # about 100 tokens
    assert _usage(_usages((50, 100)), "p", said) == {"input_tokens": 50, "output_tokens": 100}  # once, at the end
    running = _usages(*[(50, n) for n in range(10, 101, 10)], (50, 100))
    assert _usage(running, "p", said) == {"input_tokens": 50, "output_tokens": 100}  # a running total
    deltas = _usages((50, 10), *[(0, 10)] * 9)
    assert _usage(deltas, "p", said) == {"input_tokens": 50, "output_tokens": 100}  # each chunk its own
    estimated = _usage([None, None], "p" * 40, said)
    assert estimated["estimated_calls"] == 1 and estimated["output_tokens"] == 101


def test_partial_text_grows_without_lone_surrogates_at_any_cut():
    whole = json.dumps({"text": 'He said "no" \\ then \U0001f642 ok\nnext', "intent": "answer"})
    final = json.loads(whole)["text"]
    for cut in range(len(whole) + 1):
        shown = partial_text(whole[:cut])
        if shown is not None:
            assert not any("\ud800" <= c <= "\udfff" for c in shown), cut
            assert final.startswith(shown), (cut, shown)


def test_a_stream_reader_joins_surrogate_halves_and_ignores_repeated_tool_names():
    reader = StreamReader()
    pieces = ['{"text": "hi \ud83d', '\ude42", "intent": "answer"}']
    for p in pieces:
        reader.feed(AIMessageChunk(content="", tool_call_chunks=[{"name": "StakeholderTurn", "args": p, "index": 0}]))
    reply = reader.reply("prompt")
    assert json.loads(reply.text) == {"text": "hi \U0001f642", "intent": "answer"} and reply.had_tool_call


def _status(code: int, message: str, headers: dict | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://x/v1/chat/completions")
    response = httpx.Response(code, headers=headers or {}, json={"error": {"message": message}}, request=request)
    cls = {
        400: openai.BadRequestError,
        401: openai.AuthenticationError,
        404: openai.NotFoundError,
        429: openai.RateLimitError,
    }.get(code, openai.InternalServerError)
    return cls(message, response=response, body={"error": {"message": message}})


def test_failures_are_read_from_what_the_provider_said():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert classify(_status(429, "slow down", {"Retry-After": later})).retry_after == pytest.approx(30, abs=2)
    assert classify(_status(429, "slow down", {"retry-after-ms": "1500"})).retry_after == 1.5
    o_series = classify(
        _status(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
        )
    )
    assert o_series.rejects_parameter == "max_tokens"
    temp = classify(_status(400, "Unsupported value: 'temperature' does not support 0.4 with this model."))
    assert temp.rejects_parameter == "temperature"
    assert classify(_status(500, "response_format type 'json_schema' is not supported")).may_be_method
    assert not classify(_status(503, "The engine is currently overloaded")).may_be_method
    assert classify(_status(400, "This model's maximum context length is 8192 tokens")).kind == "context"
    assert classify(openai.LengthFinishReasonError(completion=SimpleNamespace(usage=None))).kind == "cut_off"
    with pytest.raises(ValidationError) as bad:
        Inner.model_validate({"title": 3})
    assert classify(bad.value).kind == "invalid_reply"
    assert classify(json.JSONDecodeError("x", "{", 0)).kind == "invalid_reply"
    assert classify(httpx.ReadTimeout("slow")).kind == "timeout"
    filtered = ValueError("Azure has not provided the response due to a content filter being triggered")
    assert classify(filtered).kind == "content_filter"
