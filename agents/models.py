"""The one place that turns settings into a chat model and asks it for structured replies.

Any OpenAI-compatible endpoint works through ``base_url`` (OpenAI, Ollama, vLLM, LM Studio,
llama.cpp's server); Azure OpenAI through its endpoint, deployment and API version. What differs
between providers lives in ``agents.providers``; this module decides, per reply:

- the request shape: one token limit (the one the endpoint takes), temperature only where the
  model accepts it, a reasoning budget for reasoning models;
- the structured-output method: the setting, or with ``auto`` the one the endpoint was seen to
  accept, else each in the provider's order until one works (then remembered);
- retries, all within one deadline (``ROUNDTABLE_TIMEOUT``) per reply: malformed, schema-breaking,
  cut-off or filtered replies, 5xx, and 429 after the wait the server asks for;
- and every failure as the app's one-line ``ModelError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, SystemMessage
from pydantic import BaseModel, ValidationError

from agents.errors import ModelError
from agents.providers import memory, schemas
from agents.providers.deadline import DeadlinePassed, http_client, until
from agents.providers.failures import Failure, classify, report
from agents.providers.profile import Provider, detect
from agents.providers.replies import Reply, StreamReader, extract_json, from_message, sent_text
from agents.settings import Settings, StructuredOutputMethod

T = TypeVar("T", bound=BaseModel)

BACKOFF = (0.5, 1.0, 2.0, 4.0)  # seconds before a retry of a 5xx, a dropped connection or a 429 without Retry-After
MAX_BUDGET_GROWTH = 4  # a cut-off reply is retried with twice the tokens, up to this many times the first budget


def chat_model(settings: Settings) -> BaseChatModel:
    """A chat client for the configured endpoint (created per use, never at import time).

    Temperature and the token limit are left unset here: ``ask_structured`` sends them per call,
    in the shape the endpoint takes. The SDK's own retries are off: retries happen in
    ``ask_structured``, inside the reply's deadline.
    """
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    common = {
        "api_key": key,
        "timeout": settings.timeout,
        "max_retries": 0,
        "http_client": http_client(settings.timeout),
        "stream_usage": True,  # token counts on streamed replies too
        "temperature": None,  # never the client's default: o1 would get one it was not asked for
    }
    if settings.azure_endpoint:
        from langchain_openai import AzureChatOpenAI

        return AzureChatOpenAI(
            azure_endpoint=settings.azure_endpoint,
            azure_deployment=settings.azure_deployment or settings.model,
            api_version=settings.azure_api_version,
            model=settings.model,
            **common,
        )
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=settings.model, base_url=settings.openai_base_url, **common)


@dataclass
class _Attempt:
    """How the next request is shaped; changed by what the endpoint answers."""

    method: StructuredOutputMethod
    budget: int
    temperature: float | None
    token_param: str
    reasoning_effort: str | None


def ask_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    settings: Settings,
    *,
    tags: Sequence[str] = (),
    on_text: Callable[[str], None] | None = None,
    max_tokens: int | None = None,
    temperature: float | None = None,
    label: str | None = None,
) -> tuple[T, dict[str, int]]:
    """Ask ``model`` for an instance of ``schema``; return it with the token usage of the call.

    Args:
        model: the chat model (``chat_model(settings)``, or a fake in tests).
        schema: the pydantic model the reply must validate against; its JSON schema is sent in
            OpenAI's strict dialect, so give ids as enums and arrays a ``max_length``.
        messages: the prompt.
        settings: endpoint, method, limits, timeout and retries.
        tags: LangChain tags of the call (``agent:<role>``).
        on_text: stream the reply and call this with its ``text`` field as it grows.
        max_tokens: the reply's token limit (default ``settings.max_tokens``); reasoning models
            get ``settings.reasoning_tokens`` on top.
        temperature: default ``settings.temperature``; not sent to models that take none.
        label: what the reply is, for error messages ("Priya Raman's reply").

    Raises ``ModelError`` (one line naming the URL and the setting to change) for every failure.
    """
    provider = detect(settings)
    learned = memory.recall(settings)
    reasoning = provider.reasoning or bool(learned.reasoning)
    methods = _methods(settings, provider, learned)
    schema_json = schemas.strict_schema(schema)
    label = label or f"a {schema.__name__}"
    end = time.monotonic() + settings.timeout
    attempt = _Attempt(
        method=methods[0],
        budget=(max_tokens or settings.max_tokens) + (settings.reasoning_tokens if reasoning else 0),
        temperature=None if reasoning or learned.temperature is False else _temp(settings, temperature),
        token_param=learned.token_param or ("max_completion_tokens" if reasoning else provider.token_param),
        reasoning_effort=settings.reasoning_effort if reasoning and learned.effort is not False else None,
    )
    first_budget = attempt.budget
    usage: dict[str, int] = {}
    retries_left = settings.max_retries
    tries, rejected, fixed = 0, {}, set()
    confirmed = settings.structured_output != "auto" or learned.method == attempt.method
    failure: Failure | None = None
    while True:
        if time.monotonic() >= end:
            raise report(Failure("timeout", ""), settings, what=label, tries=max(tries, 1))
        tries += 1
        try:
            reply = _call(model, attempt, schema, schema_json, messages, provider, tags, on_text, end)
        except Exception as exc:  # every failure is classified; none escapes untranslated
            failure = classify(exc)
            param = failure.rejects_parameter
            if param and param not in fixed:  # the endpoint said which parameter it does not take
                fixed.add(param)
                learned = _drop_parameter(settings, attempt, param, failure)
                continue
            if not confirmed and failure.may_be_method:  # auto: this method is refused here; try the next
                rejected[attempt.method] = f"HTTP {failure.status} {failure.detail[:80]}"
                attempt.method = _next_method(settings, methods, attempt.method, rejected, failure, label, tries)
                continue
            if _retryable(failure) and retries_left > 0 and _wait_before_retry(failure, tries, end):
                retries_left -= 1
                continue
            raise report(failure, settings, what=label, tries=tries, schema=schema.__name__) from exc
        _add_usage(usage, reply.usage)
        problem: Exception | None = None
        try:
            parsed = schema.model_validate(extract_json(reply.text)) if not (reply.cut_off or reply.filtered) else None
        except (ValueError, ValidationError) as exc:
            parsed, problem = None, exc
        if parsed is not None:
            if settings.structured_output == "auto" and learned.method != attempt.method:
                memory.remember(settings, method=attempt.method, rejected=sorted(rejected))
            return parsed, usage
        if not confirmed and attempt.method == "function_calling" and not reply.had_tool_call:
            # Ollama and others ignore tool_choice and answer in prose: the method is not honoured here
            rejected[attempt.method] = "answered without the tool call"
            failure = Failure("invalid_reply", "the server ignored tool_choice")
            attempt.method = _next_method(settings, methods, attempt.method, rejected, failure, label, tries)
            continue
        failure = _reply_failure(reply, problem if reply.text else None, provider, attempt.method)
        if retries_left <= 0 or time.monotonic() >= end:
            raise report(failure, settings, what=label, tries=tries, schema=schema.__name__)
        retries_left -= 1
        if failure.kind == "cut_off":
            attempt.budget = min(attempt.budget * 2, first_budget * MAX_BUDGET_GROWTH)
        if attempt.temperature is not None:
            # a temperature-0 retry repeats the same loop a small model fell into: loosen it a little
            attempt.temperature = min(1.0, attempt.temperature + 0.3)


def _call(model, attempt: _Attempt, schema, schema_json, messages, provider: Provider, tags, on_text, end) -> Reply:
    bound = _bind(model, attempt, schema, schema_json, provider)
    prompt = _with_json_instructions(messages, schema_json) if attempt.method == "json_mode" else list(messages)
    config = {"tags": list(tags)}
    sent = sent_text(prompt)
    if on_text is None:
        replies = until(lambda: [bound.invoke(prompt, config=config)], end)
        try:
            return from_message(next(replies), sent)
        finally:
            replies.close()
    reader = StreamReader()
    chunks = until(lambda: bound.stream(prompt, config=config), end)
    try:
        for chunk in chunks:
            text = reader.feed(chunk)
            if text is not None:
                on_text(text)
    finally:
        chunks.close()
    return reader.reply(sent)


def _bind(model, attempt: _Attempt, schema: type[BaseModel], schema_json: dict, provider: Provider):
    """The model with this attempt's request fields. The JSON methods' ``response_format`` goes in
    ``extra_body``, so the SDK sends it as is instead of parsing the reply itself."""
    body: dict = {}
    params: dict = {}
    if attempt.token_param == "max_tokens":
        body["max_tokens"] = attempt.budget  # in the body: LangChain renames a max_tokens argument
    else:
        params["max_completion_tokens"] = attempt.budget
    if attempt.temperature is not None:
        params["temperature"] = attempt.temperature
    if attempt.reasoning_effort:
        params["reasoning_effort"] = attempt.reasoning_effort
    name = schema.__name__
    if attempt.method == "function_calling":
        description = " ".join((schema.__doc__ or f"Reply with a {name}.").split())[:1000]
        model = model.bind_tools([schemas.tool(name, description, schema_json)], tool_choice=name)
    else:
        hint = provider.name == "llamacpp"
        body["response_format"] = schemas.response_format(attempt.method, name, schema_json, schema_hint=hint)
    return model.bind(**params, extra_body=body)


def _with_json_instructions(messages: Sequence[BaseMessage], schema_json: dict) -> list[BaseMessage]:
    out = list(messages)
    note = schemas.json_instructions(schema_json)
    for i, m in enumerate(out):
        if isinstance(m, SystemMessage):
            out[i] = SystemMessage(str(m.content) + note)
            return out
    return [SystemMessage(note.strip()), *out]


def _methods(settings: Settings, provider: Provider, learned: memory.Learned) -> list[StructuredOutputMethod]:
    if settings.structured_output != "auto":
        return [settings.structured_output]
    order = [m for m in provider.methods if m not in learned.rejected] or list(provider.methods)
    if learned.method:
        order = [learned.method, *[m for m in order if m != learned.method]]
    return order


def _next_method(settings, methods, current, rejected, failure: Failure, label: str, tries: int):
    remaining = [m for m in methods if m not in rejected]
    if not remaining:
        memory.remember(settings, method=None, rejected=sorted(rejected))
        raise report(
            Failure("unsupported", failure.detail, failure.status), settings, what=label, tries=tries, methods=rejected
        )
    return remaining[0]


def _drop_parameter(settings: Settings, attempt: _Attempt, param: str, failure: Failure) -> memory.Learned:
    if param == "max_tokens":
        attempt.token_param = "max_completion_tokens"
        return memory.remember(settings, token_param="max_completion_tokens")
    if param == "max_completion_tokens":
        attempt.token_param = "max_tokens"
        return memory.remember(settings, token_param="max_tokens")
    if param == "temperature":
        attempt.temperature = None
        if failure.names("only the default") and not memory.recall(settings).reasoning:
            # how OpenAI's reasoning models refuse it, here behind a name that did not say so
            # (an Azure deployment): give it the reasoning budget too
            attempt.budget += settings.reasoning_tokens
            attempt.token_param = "max_completion_tokens"
            attempt.reasoning_effort = attempt.reasoning_effort or settings.reasoning_effort
            return memory.remember(settings, temperature=False, reasoning=True, token_param="max_completion_tokens")
        return memory.remember(settings, temperature=False)
    attempt.reasoning_effort = None
    return memory.remember(settings, effort=False)


def _retryable(failure: Failure) -> bool:
    return failure.kind in ("server", "rate_limit", "connection", "invalid_reply", "unknown")


def _wait_before_retry(failure: Failure, tries: int, end: float) -> bool:
    """Sleep before the retry (as long as a 429 asks); False when that would pass the deadline."""
    wait = failure.retry_after if failure.retry_after is not None else BACKOFF[min(tries - 1, len(BACKOFF) - 1)]
    if time.monotonic() + wait >= end:
        return False
    time.sleep(wait)
    return True


def _reply_failure(reply: Reply, problem: Exception | None, provider: Provider, method: str) -> Failure:
    if method == "function_calling" and not reply.had_tool_call and not reply.cut_off:
        return Failure(
            "invalid_reply", "it answered in prose, without the tool call; this server may ignore tool_choice"
        )
    if reply.filtered:
        return Failure("content_filter", reply.refusal or "finish_reason content_filter")
    if reply.cut_off:
        spent = reply.usage.get("output_tokens")
        detail = f"{spent} tokens" if spent and not reply.usage.get("estimated_calls") else "finish_reason length"
        if provider.reasoning:
            detail += ", reasoning included"
        return Failure("cut_off", detail)
    if problem is None:
        return Failure("invalid_reply", "the reply held no structured answer")
    first = problem.errors()[0] if isinstance(problem, ValidationError) else None
    where = ".".join(str(p) for p in first["loc"]) + ": " + first["msg"] if first else str(problem)
    return Failure("invalid_reply", " ".join(where.split())[:160])


def _temp(settings: Settings, temperature: float | None) -> float:
    return settings.temperature if temperature is None else temperature


def _add_usage(usage: dict[str, int], call: dict[str, int]) -> None:
    for k, v in call.items():
        usage[k] = usage.get(k, 0) + v


__all__ = ["DeadlinePassed", "ModelError", "ask_structured", "chat_model"]
