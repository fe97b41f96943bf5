"""How each provider's OpenAI-compatible API behaves, as rules the fake server enforces.

Each ``Profile`` rejects what that provider rejects, with the status and the words it answers
with (captured from the real services or their documented behaviour), and streams and reports
usage the way that server does. ``check(profile, body, path)`` returns the error a request gets,
or None when the provider would serve it.

Profiles: ``openai`` (with its reasoning models o1/o3/o4-mini/gpt-5), ``azure``, ``ollama``,
``vllm``, ``lmstudio``, ``llamacpp`` (llama-cpp-python's server), and ``generic`` (accepts
everything; the benchmarks' server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

UsageMode = Literal["final", "running", "delta", "none"]
REASONING = re.compile(r"^(?:o\d(?:$|[-.])|gpt-5(?!.*chat))")


@dataclass(frozen=True)
class Profile:
    name: str
    models: tuple[str, ...] = ()  # what GET /models lists and chat accepts; () accepts any name
    owned_by: str = "organization"
    auth: Literal["bearer", "api-key", None] = None  # how the key travels, when the server has one
    azure_paths: bool = False  # /openai/deployments/{deployment}/chat/completions?api-version=...
    both_limits_rejected: bool = False  # 400 on max_tokens together with max_completion_tokens
    reads: tuple[str, ...] = ("max_tokens", "max_completion_tokens")  # token limits it honours
    unlimited_cap: int | None = None  # the reply's length when no limit it reads is sent
    reasoning_rules: bool = False  # o-series/gpt-5: no temperature, no max_tokens, reasoning spends tokens
    json_object: Literal["needs-word", "ok", "rejected"] = "ok"
    json_schema: Literal["strict", "ok", "500"] = "ok"
    tool_choice: Literal["honoured", "ignored"] = "honoured"
    tool_name_every_chunk: bool = False
    usage: UsageMode = "final"
    escape_unicode: bool = False  # JSON in replies has \\uXXXX escapes (split mid-escape when streamed)
    serial: bool = False  # one request at a time
    content_filter: bool = False  # trigger words are filtered, in the prompt (400) or the reply
    deployments: tuple[tuple[str, str], ...] = ()  # Azure: deployment name -> the model behind it

    def underlying(self, model: str) -> str:
        """The model a request reaches (an Azure deployment's name says nothing about it)."""
        return dict(self.deployments).get(model, model)


PROFILES: dict[str, Profile] = {
    "generic": Profile("generic"),
    "openai": Profile(
        "openai",
        models=("gpt-4o-mini", "gpt-4o", "o1", "o3-mini", "o4-mini", "gpt-5-mini", "gpt-5"),
        owned_by="system",
        auth="bearer",
        both_limits_rejected=True,
        reasoning_rules=True,
        json_object="needs-word",
        json_schema="strict",
        escape_unicode=True,
    ),
    "azure": Profile(
        "azure",
        models=("chat", "reasoner"),  # deployment names
        deployments=(("chat", "gpt-4o-mini"), ("reasoner", "o4-mini")),
        owned_by="system",
        auth="api-key",
        azure_paths=True,
        both_limits_rejected=True,
        reasoning_rules=True,
        json_object="needs-word",
        json_schema="strict",
        content_filter=True,
        escape_unicode=True,
    ),
    "ollama": Profile(
        "ollama",
        models=("llama3.2:latest", "qwen2.5:7b"),
        owned_by="library",
        reads=("max_tokens",),
        tool_choice="ignored",
    ),
    "vllm": Profile("vllm", models=("Qwen/Qwen2.5-7B-Instruct",), owned_by="vllm", usage="running"),
    "lmstudio": Profile(
        "lmstudio",
        models=("qwen2.5-7b-instruct",),
        owned_by="organization_owner",
        reads=("max_tokens",),
        json_object="rejected",
        usage="delta",
    ),
    "llamacpp": Profile(
        "llamacpp",
        models=("smollm2",),
        owned_by="me",
        reads=("max_tokens",),
        unlimited_cap=16,  # llama-cpp-python ignores max_completion_tokens; replies stop short without max_tokens
        json_schema="500",
        tool_name_every_chunk=True,
        usage="none",
        escape_unicode=True,
        serial=True,
    ),
}

STRICT_FORBIDDEN = ("default",)  # keywords OpenAI's strict mode refuses that schema generators like to emit
FILTER_PROMPT = "FILTER-THE-PROMPT"
FILTER_REPLY = "FILTER-THE-REPLY"


@dataclass
class Rejection:
    status: int
    message: str
    type: str = "invalid_request_error"
    param: str | None = None
    code: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


def check(profile: Profile, body: dict, model: str) -> Rejection | None:
    """The error ``profile``'s provider answers ``body`` with, or None."""
    if profile.models and model not in profile.models:
        return _unknown_model(profile, model)
    reasoning = profile.reasoning_rules and bool(REASONING.match(profile.underlying(model)))
    limits = [k for k in ("max_tokens", "max_completion_tokens") if body.get(k) is not None]
    if profile.both_limits_rejected and len(limits) == 2:
        return Rejection(400, "Setting 'max_tokens' and 'max_completion_tokens' at the same time is not supported.")
    if reasoning and "max_tokens" in limits:
        return Rejection(
            400,
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    temperature = body.get("temperature")
    if reasoning and temperature is not None and temperature != 1:
        return Rejection(
            400,
            f"Unsupported value: 'temperature' does not support {temperature} with this model. "
            "Only the default (1) value is supported.",
            param="temperature",
            code="unsupported_value",
        )
    if profile.reasoning_rules and not reasoning and body.get("reasoning_effort") is not None:
        return Rejection(400, "Unrecognized request argument supplied: reasoning_effort", param="reasoning_effort")
    if profile.content_filter and FILTER_PROMPT in _prompt(body):
        return Rejection(
            400,
            "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
            code="content_filter",
            param="prompt",
        )
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_object":
        if profile.json_object == "rejected":
            return Rejection(400, "'response_format.type' must be 'json_schema' or 'text'")
        if profile.json_object == "needs-word" and "json" not in _prompt(body).lower():
            return Rejection(
                400,
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
                param="messages",
            )
    if fmt.get("type") == "json_schema":
        if profile.json_schema == "500":
            return Rejection(  # llama-cpp-python's own words (its request model allows two types)
                500,
                "1 validation error: {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                "'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
                "'ctx': {'expected': \"'text' or 'json_object'\"}}",
                type="internal_server_error",
            )
        spec = fmt.get("json_schema") or {}
        if profile.json_schema == "strict" and spec.get("strict"):
            problem = strict_violation(spec.get("schema") or {}, ())
            if not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", str(spec.get("name", ""))):
                problem = "'name' must match ^[a-zA-Z0-9_-]{1,64}$"
            if problem:
                return Rejection(400, f"Invalid schema for response_format '{spec.get('name')}': {problem}")
    return None


def strict_violation(schema: dict, where: tuple) -> str | None:
    """What OpenAI's strict mode refuses in ``schema`` (its own error wording), or None."""
    context = f"In context={where}, "
    for key in STRICT_FORBIDDEN:
        if key in schema:
            return f"{context}'{key}' is not permitted."
    if "$ref" in schema and len(schema) > 1:
        return f"{context}$ref cannot have keywords {sorted(set(schema) - {'$ref'})}."
    if "enum" in schema and not schema["enum"]:
        return f"{context}'enum' must have at least one value."
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"{context}'additionalProperties' is required to be supplied and to be false."
        missing = [k for k in props if k not in schema.get("required", [])]
        if missing:
            return (
                f"{context}'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
        for name, sub in props.items():
            if problem := strict_violation(sub, (*where, "properties", name)):
                return problem
    if kind == "array" and isinstance(schema.get("items"), dict):
        return strict_violation(schema["items"], (*where, "items"))
    for key in ("anyOf", "$defs", "definitions"):
        subs = schema.get(key)
        for i, sub in enumerate(subs.values() if isinstance(subs, dict) else subs or []):
            if problem := strict_violation(sub, (*where, key, i)):
                return problem
    return None


def reasoning_tokens(profile: Profile, body: dict, model: str) -> int:
    """Tokens a reasoning model spends before it writes (0 for other models)."""
    if not (profile.reasoning_rules and REASONING.match(profile.underlying(model))):
        return 0
    return {"minimal": 100, "low": 400, "medium": 1200, "high": 3000}.get(body.get("reasoning_effort"), 1200)


def token_cap(profile: Profile, body: dict) -> int | None:
    """The completion budget the server honours: the first limit it reads, else its default."""
    for key in profile.reads:
        if body.get(key) is not None:
            return int(body[key])
    return profile.unlimited_cap


def _unknown_model(profile: Profile, model: str) -> Rejection:
    if profile.name == "ollama":
        return Rejection(404, f'model "{model}" not found, try pulling it first', type="api_error")
    if profile.azure_paths:
        return Rejection(
            404,
            "The API deployment for this resource does not exist. If you created the deployment within the last "
            "5 minutes, please wait a moment and try again.",
            code="DeploymentNotFound",
        )
    return Rejection(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        code="model_not_found",
    )


def _prompt(body: dict) -> str:
    parts = []
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, list):
            parts += [p.get("text", "") for p in content if isinstance(p, dict)]
        else:
            parts.append(str(content or ""))
    return "\n".join(parts)
