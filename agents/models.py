"""The one place that turns settings into a chat model and knows about providers and their errors.

Any OpenAI-compatible endpoint works through ``base_url``. Structured output uses the method
from settings: ``json_schema`` for OpenAI and vLLM, ``function_calling`` for llama.cpp's server
(its ``json_schema`` mode fails there), ``json_mode`` as a last resort.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.utils.json import parse_partial_json
from pydantic import BaseModel

from agents.errors import ModelReplyInvalid, ModelUnavailable
from agents.settings import Settings

T = TypeVar("T", bound=BaseModel)


def chat_model(settings: Settings) -> BaseChatModel:
    """A ChatOpenAI client for the configured endpoint (created per use, never at import time)."""
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    extra = {}
    if settings.openai_base_url:
        # local OpenAI-compatible servers (llama.cpp) ignore max_completion_tokens
        extra["extra_body"] = {"max_tokens": settings.max_tokens}
    return ChatOpenAI(
        model=settings.model,
        api_key=key,
        base_url=settings.openai_base_url,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        timeout=settings.timeout,
        max_retries=settings.max_retries,
        stream_usage=True,  # token counts on streamed replies too
        **extra,
    )


def ask_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    settings: Settings,
    *,
    tags: Sequence[str] = (),
    on_text: Callable[[str], None] | None = None,
) -> tuple[T, dict[str, int]]:
    """Ask ``model`` for an instance of ``schema``; return it with the token usage of the call.

    With ``on_text``, the reply is streamed and ``on_text`` receives the schema's ``text`` field
    as it grows. Connection failures become ``ModelUnavailable`` (naming the URL and the setting
    to change); replies that do not fit the schema are retried ``settings.max_retries`` times,
    then become ``ModelReplyInvalid``.
    """
    method = settings.structured_output
    if hasattr(model, "disable_streaming"):
        model = model.model_copy(update={"disable_streaming": on_text is None})
    runnable = model.with_structured_output(schema, method=method, include_raw=True)
    usage = {"input_tokens": 0, "output_tokens": 0}
    problem = "no reply"
    for _ in range(settings.max_retries + 1):
        try:
            if on_text is None:
                result = runnable.invoke(list(messages), config={"tags": list(tags)})
            else:
                result = _streamed(model.with_structured_output(schema, method=method), schema, messages, tags, on_text)
        except Exception as exc:
            translated = translate_error(exc, settings)
            if translated is exc:
                raise
            raise translated from exc
        raw = result.get("raw")
        _add_usage(usage, raw, messages)
        parsed = result.get("parsed")
        if isinstance(parsed, schema):
            return parsed, usage
        if isinstance(parsed, dict):
            try:
                return schema.model_validate(parsed), usage
            except ValueError as exc:
                problem = str(exc)
        else:
            problem = str(result.get("parsing_error") or "the reply held no structured answer")
    raise ModelReplyInvalid(
        f"The model '{settings.model}' at {settings.endpoint()} did not return a valid {schema.__name__} "
        f"after {settings.max_retries + 1} tries ({problem[:300]}). Try ROUNDTABLE_STRUCTURED_OUTPUT="
        f"{_other_method(method)} or a larger model (ROUNDTABLE_MODEL)."
    )


def _streamed(structured, schema: type[T], messages, tags, on_text: Callable[[str], None]) -> dict:
    """Stream the bound model behind ``structured`` and parse the reply ourselves.

    LangChain's streaming tool-call parser cannot be used: llama.cpp's server repeats the tool
    name in every chunk, which the parser concatenates into an unknown tool. The arguments (or
    the JSON content, for the JSON methods) are accumulated here and shown as they grow.
    """
    bound = getattr(structured, "first", structured)  # RunnableSequence(bound model | parser)
    raw: AIMessageChunk | None = None
    pieces: list[str] = []
    shown = ""
    for chunk in bound.stream(list(messages), config={"tags": list(tags)}):
        if not isinstance(chunk, AIMessageChunk):  # a model that cannot stream answers in one piece
            chunk = AIMessageChunk(
                content=chunk.content,
                tool_call_chunks=[
                    {"name": c["name"], "args": json.dumps(c["args"]), "id": c.get("id"), "index": i}
                    for i, c in enumerate(getattr(chunk, "tool_calls", []))
                ],
                usage_metadata=getattr(chunk, "usage_metadata", None),
            )
        raw = chunk if raw is None else raw + chunk
        pieces.extend(c.get("args") or "" for c in chunk.tool_call_chunks)
        if isinstance(chunk.content, str):
            pieces.append(chunk.content)
        text = _partial_text("".join(pieces))
        if text is not None and text != shown:
            shown = text
            on_text(text)
    try:
        return {"raw": raw, "parsed": schema.model_validate(json.loads("".join(pieces)))}
    except ValueError as exc:
        return {"raw": raw, "parsed": None, "parsing_error": exc}


def _add_usage(usage: dict[str, int], raw, messages: Sequence[BaseMessage]) -> None:
    """Add the call's token counts; servers that send none when streaming get an estimate (~4 chars a token)."""
    meta = getattr(raw, "usage_metadata", None) or {}
    if meta.get("input_tokens") or meta.get("output_tokens"):
        usage["input_tokens"] += int(meta.get("input_tokens", 0))
        usage["output_tokens"] += int(meta.get("output_tokens", 0))
        return
    if raw is None:
        return
    sent = sum(len(str(m.content)) for m in messages)
    said = len(str(raw.content)) + sum(len(c.get("args") or "") for c in getattr(raw, "tool_call_chunks", []))
    usage["input_tokens"] += sent // 4 + 1
    usage["output_tokens"] += said // 4 + 1
    usage["estimated_calls"] = usage.get("estimated_calls", 0) + 1


def _partial_text(so_far: str) -> str | None:
    """The ``text`` field of an unfinished JSON object, if it has started."""
    try:
        partial = parse_partial_json(so_far) if so_far.strip() else None
    except ValueError:
        return None
    text = partial.get("text") if isinstance(partial, dict) else None
    return text if isinstance(text, str) else None


def translate_error(exc: Exception, settings: Settings) -> Exception:
    """Turn a provider exception into one that tells the person what to change."""
    import openai

    url = settings.endpoint()
    if isinstance(exc, openai.APITimeoutError):
        return ModelUnavailable(
            f"The model at {url} did not answer within {settings.timeout:g} s. "
            "Check the server, or raise ROUNDTABLE_TIMEOUT."
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable(
            f"Could not reach the model at {url}. Check that the server is running, "
            "or set OPENAI_BASE_URL (or --base-url) to the right endpoint; "
            "use --engine offline to practise without a model."
        )
    if isinstance(exc, openai.AuthenticationError):
        return ModelUnavailable(f"The model at {url} rejected the API key. Set OPENAI_API_KEY to a valid key.")
    if isinstance(exc, openai.NotFoundError):
        return ModelUnavailable(
            f"The model '{settings.model}' was not found at {url}. Set ROUNDTABLE_MODEL (or --model)."
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelUnavailable(
            f"The model at {url} answered HTTP {exc.status_code}: {str(exc)[:200]}. If it cannot do "
            f"'{settings.structured_output}', set ROUNDTABLE_STRUCTURED_OUTPUT={_other_method(settings.structured_output)}."
        )
    return exc


def _other_method(method: str) -> str:
    return "function_calling" if method != "function_calling" else "json_schema"
