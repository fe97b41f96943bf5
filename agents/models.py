"""The one place that turns settings into a chat model and knows about providers and their errors.

Any OpenAI-compatible endpoint works through ``base_url``. Structured output uses the method
from settings: ``json_schema`` for OpenAI and vLLM, ``function_calling`` for llama.cpp's server
(its ``json_schema`` mode fails there), ``json_mode`` as a last resort.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
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
        **extra,
    )


def ask_structured(
    model: BaseChatModel,
    schema: type[T],
    messages: Sequence[BaseMessage],
    settings: Settings,
    *,
    tags: Sequence[str] = (),
) -> tuple[T, dict[str, int]]:
    """Ask ``model`` for an instance of ``schema``; return it with the token usage of the call.

    Connection failures become ``ModelUnavailable`` (naming the URL and the setting to change);
    replies that do not fit the schema are retried ``settings.max_retries`` times, then become
    ``ModelReplyInvalid``.
    """
    method = settings.structured_output
    if hasattr(model, "disable_streaming"):
        model = model.model_copy(update={"disable_streaming": True})
    runnable = model.with_structured_output(schema, method=method, include_raw=True)
    usage = {"input_tokens": 0, "output_tokens": 0}
    problem = "no reply"
    for _ in range(settings.max_retries + 1):
        try:
            result = runnable.invoke(list(messages), config={"tags": list(tags)})
        except Exception as exc:
            translated = translate_error(exc, settings)
            if translated is exc:
                raise
            raise translated from exc
        raw = result.get("raw")
        meta = getattr(raw, "usage_metadata", None) or {}
        usage["input_tokens"] += int(meta.get("input_tokens", 0))
        usage["output_tokens"] += int(meta.get("output_tokens", 0))
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
