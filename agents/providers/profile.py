"""Who serves the model, and the request shape that provider takes (before anything is learned).

The provider comes from ``ROUNDTABLE_PROVIDER`` when set, else from the URL: no base URL is
OpenAI itself, an Azure endpoint or host is Azure, well-known local ports name their server.
Anything else is an unknown OpenAI-compatible server: it gets ``max_tokens`` (what every local
server reads; OpenAI proper wants ``max_completion_tokens``, and learning corrects a wrong guess).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from pydantic import BaseModel

from agents.settings import ProviderName, Settings, StructuredOutputMethod

TokenParam = str  # "max_completion_tokens" | "max_tokens"

# OpenAI's reasoning models: o1, o3, o4-mini, gpt-5 (not gpt-5-chat, which is a chat model)
_REASONING = re.compile(r"^(?:o\d(?:$|[-.])|gpt-5(?!.*chat))", re.IGNORECASE)
_PORTS = {11434: "ollama", 1234: "lmstudio"}
_HOST_WORDS = {"ollama": "ollama", "lmstudio": "lmstudio", "lm-studio": "lmstudio", "vllm": "vllm", "llama": "llamacpp"}

# The order ``auto`` tries structured-output methods in, per provider. json_schema first wherever
# it is honoured (the reply is grammar-constrained to the schema); llama-cpp-python's server
# answers json_schema with HTTP 500 but constrains a forced tool call; Ollama ignores tool_choice,
# so function_calling comes last there.
METHOD_ORDER: dict[str, tuple[StructuredOutputMethod, ...]] = {
    "openai": ("json_schema", "function_calling", "json_mode"),
    "azure": ("json_schema", "function_calling", "json_mode"),
    "vllm": ("json_schema", "function_calling", "json_mode"),
    "ollama": ("json_schema", "json_mode", "function_calling"),
    "lmstudio": ("json_schema", "function_calling", "json_mode"),
    "llamacpp": ("function_calling", "json_mode", "json_schema"),
    "other": ("json_schema", "function_calling", "json_mode"),
}


class Provider(BaseModel):
    """What is known about the endpoint before the first call."""

    name: ProviderName
    token_param: TokenParam
    reasoning: bool
    strict_schema: bool  # the provider validates json_schema strictly (OpenAI's rules)

    @property
    def methods(self) -> tuple[StructuredOutputMethod, ...]:
        return METHOD_ORDER.get(self.name, METHOD_ORDER["other"])


def detect(settings: Settings) -> Provider:
    name = settings.provider if settings.provider != "auto" else _from_url(settings)
    hosted = name in ("openai", "azure")
    return Provider(
        name=name,
        token_param="max_completion_tokens" if hosted else "max_tokens",
        reasoning=is_reasoning_model(settings),
        strict_schema=hosted,
    )


def is_reasoning_model(settings: Settings) -> bool:
    if settings.reasoning is not None:
        return settings.reasoning
    return bool(_REASONING.match(settings.model.rsplit("/", 1)[-1]))


def _from_url(settings: Settings) -> ProviderName:
    if settings.azure_endpoint:
        return "azure"
    if not settings.openai_base_url:
        return "openai"
    url = urlparse(settings.openai_base_url)
    host = (url.hostname or "").lower()
    if host.endswith((".openai.azure.com", ".services.ai.azure.com", ".cognitiveservices.azure.com")):
        return "azure"
    if host == "api.openai.com":
        return "openai"
    if url.port in _PORTS:
        return _PORTS[url.port]
    for word, name in _HOST_WORDS.items():
        if word in host:
            return name
    return "other"
