"""The fake OpenAI-compatible server behaves like each provider: it rejects what they reject,
streams at awkward places, and reports usage the ways servers do. (The app against it: see
test_provider_contract.py.)"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from agents.providers.replies import clean_text
from agents.providers.schemas import strict_schema
from benchmarks.fake_openai_server import minimal_instance, pieces, serve

STRICT = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["ok"]}},
    "required": ["answer"],
    "additionalProperties": False,
}


def post(server, body: dict, *, key: str | None = "sk-test", path: str = "/chat/completions") -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"messages": [{"role": "user", "content": "Say ok."}], **body}
    return httpx.post(f"{server.base_url}{path}", json=body, headers=headers, timeout=10)


def events(server, body: dict) -> list[dict]:
    body = {"messages": [{"role": "user", "content": "Say ok."}], "stream": True, **body}
    body["stream_options"] = {"include_usage": True}
    with httpx.stream("POST", f"{server.base_url}/chat/completions", json=body, timeout=10) as response:
        lines = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    return [json.loads(e) for e in lines[:-1]]


@pytest.fixture(scope="module")
def openai_server():
    with serve(latency=0, profile="openai", api_key="sk-test") as s:
        yield s


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"max_tokens": 50, "max_completion_tokens": 50}, "at the same time is not supported"),
        ({"model": "o4-mini", "temperature": 0.4}, "'temperature' does not support 0.4"),
        ({"model": "gpt-5-mini", "max_tokens": 50}, "Use 'max_completion_tokens' instead"),
        ({"response_format": {"type": "json_object"}}, "must contain the word 'json'"),
        ({"reasoning_effort": "low"}, "Unrecognized request argument supplied: reasoning_effort"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "X",
                        "strict": True,
                        "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]},
                    },
                }
            },
            "'additionalProperties' is required to be supplied and to be false",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "X",
                        "strict": True,
                        "schema": {**STRICT, "properties": {**STRICT["properties"], "b": {"type": "string"}}},
                    },
                }
            },
            "Missing 'b'",
        ),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {
                        "name": "X",
                        "strict": True,
                        "schema": {**STRICT, "properties": {"answer": {"type": "string", "default": "ok"}}},
                    },
                }
            },
            "'default' is not permitted",
        ),
    ],
    ids=[
        "both-limits",
        "o-series-temperature",
        "gpt5-max_tokens",
        "json_object-without-json",
        "effort-on-4o",
        "no-additionalProperties",
        "not-all-required",
        "default-keyword",
    ],
)
def test_openai_profile_answers_400_to_what_openai_refuses(openai_server, fields, words):
    response = post(openai_server, {"model": "gpt-4o-mini", **fields})
    assert response.status_code == 400, response.text
    assert words in response.json()["error"]["message"]


def test_openai_profile_serves_a_request_in_the_shape_it_takes(openai_server):
    fmt = {"type": "json_schema", "json_schema": {"name": "X", "strict": True, "schema": STRICT}}
    ok = post(openai_server, {"model": "o4-mini", "max_completion_tokens": 2000, "response_format": fmt})
    assert ok.status_code == 200 and json.loads(ok.json()["choices"][0]["message"]["content"]) == {"answer": "ok"}
    word = post(
        openai_server,
        {
            "model": "gpt-4o-mini",
            "response_format": {"type": "json_object"},
            "messages": [{"role": "user", "content": "Reply in JSON."}],
        },
    )
    assert word.status_code == 200


def test_openai_profile_reasoning_spends_the_budget_before_the_reply(openai_server):
    short = post(openai_server, {"model": "o4-mini", "max_completion_tokens": 300})  # medium effort: 1200 spent
    assert short.json()["choices"][0]["finish_reason"] == "length"
    assert short.json()["choices"][0]["message"]["content"] == ""
    room = post(openai_server, {"model": "o4-mini", "max_completion_tokens": 300, "reasoning_effort": "minimal"})
    assert room.json()["choices"][0]["finish_reason"] == "stop"


def test_unknown_model_is_404_and_a_wrong_key_401(openai_server):
    missing = post(openai_server, {"model": "gpt-9"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "model_not_found"
    assert post(openai_server, {"model": "gpt-4o-mini"}, key="sk-wrong").status_code == 401
    assert httpx.get(f"{openai_server.base_url}/models", timeout=5).status_code == 401


def test_local_profiles_refuse_what_their_servers_refuse():
    fmt = {"type": "json_schema", "json_schema": {"name": "X", "strict": True, "schema": STRICT}}
    with serve(latency=0, profile="lmstudio") as lm:
        refused = post(lm, {"model": "qwen2.5-7b-instruct", "response_format": {"type": "json_object"}}, key=None)
        assert refused.status_code == 400 and "must be 'json_schema' or 'text'" in refused.text
        assert post(lm, {"model": "qwen2.5-7b-instruct", "response_format": fmt}, key=None).status_code == 200
    with serve(latency=0, profile="llamacpp") as llama:
        failed = post(llama, {"model": "smollm2", "response_format": fmt}, key=None)
        assert failed.status_code == 500 and "json_object" in failed.text
        cut = post(llama, {"model": "smollm2", "max_completion_tokens": 500}, key=None)  # the limit it ignores
        assert cut.json()["choices"][0]["finish_reason"] == "length"
        whole = post(llama, {"model": "smollm2", "max_tokens": 500}, key=None)
        assert whole.json()["choices"][0]["finish_reason"] == "stop"


def test_ollama_ignores_tool_choice_and_chats_instead():
    tool = {"type": "function", "function": {"name": "Answer", "parameters": STRICT}}
    with serve(latency=0, profile="ollama") as ollama:
        reply = post(
            ollama,
            {
                "model": "llama3.2:latest",
                "tools": [tool],
                "tool_choice": {"type": "function", "function": {"name": "Answer"}},
            },
            key=None,
        )
    message = reply.json()["choices"][0]["message"]
    assert reply.status_code == 200 and not message.get("tool_calls") and message["content"]


def test_azure_profile_needs_its_paths_api_version_and_api_key_header():
    with serve(latency=0, profile="azure", api_key="az-key") as azure:
        url = f"{azure.base_url}/openai/deployments/chat/chat/completions"
        body = {"messages": [{"role": "user", "content": "hi"}]}
        ok = httpx.post(url, params={"api-version": "2024-10-21"}, headers={"api-key": "az-key"}, json=body)
        assert ok.status_code == 200
        no_version = httpx.post(url, headers={"api-key": "az-key"}, json=body)
        assert no_version.status_code == 404
        other = httpx.post(
            url.replace("/chat/chat", "/gpt4/chat"),
            params={"api-version": "x"},
            headers={"api-key": "az-key"},
            json=body,
        )
        assert other.status_code == 404 and other.json()["error"]["code"] == "DeploymentNotFound"
        filtered = httpx.post(
            url,
            params={"api-version": "x"},
            headers={"api-key": "az-key"},
            json={"messages": [{"role": "user", "content": "FILTER-THE-PROMPT"}]},
        )
        assert filtered.status_code == 400 and filtered.json()["error"]["code"] == "content_filter"


def test_streamed_pieces_end_inside_escapes_and_between_surrogate_halves():
    text = json.dumps({"text": 'a "q" \\ b \U0001f642 c'}, ensure_ascii=False)
    cut = pieces(text)
    assert "".join(cut) != text  # the emoji travels as two halves...
    assert clean_text("".join(cut)) == text  # ...that join again
    assert any(p.endswith("\\") for p in cut)
    assert any("\ud800" <= p[-1] <= "\udbff" for p in cut)
    escaped = pieces(json.dumps({"text": "\U0001f642"}))  # ensure_ascii: "\ud83d\ude42"
    assert any(p.endswith("\\") for p in escaped) and any(p == "ud8" for p in escaped)  # cut inside \\ud83d


@pytest.mark.parametrize(
    ("profile", "model"), [("vllm", "Qwen/Qwen2.5-7B-Instruct"), ("lmstudio", "qwen2.5-7b-instruct")]
)
def test_streamed_usage_comes_as_a_running_total_or_per_chunk(profile, model):
    with serve(latency=0, profile=profile) as server:
        chunks = events(server, {"model": model, "max_tokens": 400})
        billed = server.billed[-1]["completion_tokens"]
    counts = [c["usage"]["completion_tokens"] for c in chunks if c.get("usage")]
    assert len(counts) > 3
    if profile == "vllm":  # a running total: every chunk repeats the sum so far
        assert counts == sorted(counts) and counts[-1] == billed and sum(counts) > 3 * billed
    else:  # each chunk's own tokens
        assert sum(counts) == billed and max(counts) < billed


def test_llamacpp_streams_no_usage_and_repeats_the_tool_name():
    tool = {"type": "function", "function": {"name": "Answer", "parameters": STRICT}}
    with serve(latency=0, profile="llamacpp") as server:
        chunks = events(server, {"model": "smollm2", "max_tokens": 100, "tools": [tool], "tool_choice": "auto"})
    calls = [
        c["choices"][0]["delta"]["tool_calls"][0]
        for c in chunks
        if c["choices"] and c["choices"][0]["delta"].get("tool_calls")
    ]
    assert len(calls) > 1 and all(c["function"].get("name") == "Answer" for c in calls)
    assert not any(c.get("usage") for c in chunks)


class Other(BaseModel):
    name: str = Field(min_length=3)
    count: int = Field(ge=2)
    tags: list[str]
    kind: str | None


def test_any_other_schema_gets_a_minimal_valid_instance():
    schema = Other.model_json_schema()
    Other.model_validate(minimal_instance(schema, schema.get("$defs", {})))
    strict = strict_schema(Other)
    Other.model_validate(minimal_instance(strict, {}))


def test_answers_concurrent_requests_after_one_latency():
    latency = 0.2
    with serve(latency=latency) as server:
        model = ChatOpenAI(model="fake", api_key="x", base_url=server.base_url)
        model.invoke("warm")
        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: model.invoke("hi"), range(8)))
        assert time.perf_counter() - t0 < latency * 3  # not 8 x latency: requests are served in parallel
        assert server.peak_in_flight > 1
