"""Every way a model call fails, read from the exception, and the one line that tells a person what to do.

``classify`` turns any exception from the SDK, the HTTP client, LangChain or validation into a
``Failure``; ``report`` turns a failure into the app's ``ModelError``, naming the URL and the
setting to change. Nothing here decides on retries: ``agents.models`` does.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass

import httpx
import openai
from pydantic import ValidationError

from agents.errors import FailureKind, ModelError, ModelReplyInvalid, ModelUnavailable
from agents.providers.deadline import DeadlinePassed
from agents.settings import Settings

_CONTEXT = re.compile(
    r"context[_ ]length|context window|maximum context|too many tokens|exceeds? (?:the )?context", re.I
)
_FILTER = re.compile(r"content[_ ]filter|content management policy|ResponsibleAIPolicyViolation|safety system", re.I)
_METHOD = re.compile(r"response_format|json_schema|json_object|schema|grammar|tool|function", re.I)
_UNSUPPORTED = re.compile(
    r"unsupported|not supported|unrecognized|unknown|not allowed|extra (?:inputs|fields)|invalid", re.I
)


@dataclass
class Failure:
    kind: FailureKind
    detail: str  # the provider's own words, one line, short
    status: int | None = None
    retry_after: float | None = None  # seconds, from Retry-After / retry-after-ms

    def names(self, word: str) -> bool:
        return word.lower() in self.detail.lower()

    @property
    def rejects_parameter(self) -> str | None:
        """The request parameter a 400 says this model does not take, if it names one we send."""
        if self.status not in (400, 422) or not _UNSUPPORTED.search(self.detail):
            return None
        text = self.detail.lower()
        if "max_tokens" in text and "max_completion_tokens" in text:
            # "'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
            return "max_tokens" if re.search(r"use\W+max_completion_tokens", text) else "max_completion_tokens"
        for name in ("max_completion_tokens", "max_tokens", "temperature", "reasoning_effort"):
            if name in text:
                return name
        return None

    @property
    def may_be_method(self) -> bool:
        """A refusal that may be about the structured-output method (llama.cpp's 500 on json_schema)."""
        return self.status in (400, 422, 500, 501) and bool(_METHOD.search(self.detail))


def classify(exc: BaseException) -> Failure:
    """What went wrong, from any exception a model call raises."""
    if isinstance(exc, DeadlinePassed | openai.APITimeoutError | httpx.TimeoutException):
        return Failure("timeout", _one_line(str(exc)) or "no reply in time")
    if isinstance(exc, openai.LengthFinishReasonError):
        return Failure("cut_off", "the reply reached its token limit")
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return Failure("content_filter", "the reply was filtered")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        cause = exc.__cause__ or exc.__context__
        words = _one_line(str(cause)) if cause is not None else ""
        return Failure("connection", "" if words in ("", "Connection error.") else words)
    if isinstance(exc, openai.APIStatusError):
        return _from_status(exc.status_code, _provider_words(exc), exc.response)
    if isinstance(exc, ValidationError | json.JSONDecodeError):
        return Failure("invalid_reply", _one_line(str(exc)))
    if isinstance(exc, ValueError) and _FILTER.search(str(exc)):  # AzureChatOpenAI on finish_reason content_filter
        return Failure("content_filter", _one_line(str(exc)))
    if isinstance(exc, ValueError | KeyError | TypeError) and not isinstance(exc, UnicodeError):
        # LangChain's "No generations found in stream", a reply without choices, an error object
        return Failure("invalid_reply", f"{type(exc).__name__}: {_one_line(str(exc))}")
    return Failure("unknown", f"{type(exc).__name__}: {_one_line(str(exc))}")


def _from_status(status: int, detail: str, response: httpx.Response | None) -> Failure:
    if _FILTER.search(detail):
        return Failure("content_filter", detail, status)
    if status in (401, 403):
        return Failure("auth", detail, status)
    if status == 404:
        return Failure("not_found", detail, status)
    if status == 429:
        return Failure("rate_limit", detail, status, _retry_after(response))
    if status >= 500:
        return Failure("server", detail, status, _retry_after(response))
    if _CONTEXT.search(detail):
        return Failure("context", detail, status)
    return Failure("bad_request", detail, status)


def report(failure: Failure, settings: Settings, **context) -> ModelError:
    """The app's error for ``failure``: one line with the URL and the setting to change."""
    error = _report(failure, settings, **context)
    error.detail = (f"HTTP {failure.status}: " if failure.status else "") + failure.detail
    return error


def _report(
    failure: Failure,
    settings: Settings,
    *,
    what: str,
    tries: int,
    schema: str = "reply",
    methods: dict[str, str] | None = None,
) -> ModelError:
    url = settings.endpoint()
    model = settings.model
    code = f"HTTP {failure.status}: " if failure.status else ""
    detail = f" ({code}{failure.detail})" if failure.detail else ""
    url_setting = "AZURE_OPENAI_ENDPOINT" if settings.azure_endpoint else "OPENAI_BASE_URL (or --base-url)"
    key_setting = "AZURE_OPENAI_API_KEY" if settings.azure_endpoint else "OPENAI_API_KEY"
    kind = failure.kind
    if kind == "connection":
        text = (
            f"Could not reach the model at {url}{detail}. Check that it is running, or set {url_setting} "
            "to the right endpoint; use --engine offline to practise without a model."
        )
        return ModelUnavailable(text, kind)
    if kind == "timeout":
        text = (
            f"The model at {url} did not finish {what} within {settings.timeout:g} s ({tries} "
            f"{'try' if tries == 1 else 'tries'}; ROUNDTABLE_TIMEOUT is the limit for one reply, retries included). "
            "Check the server, or raise ROUNDTABLE_TIMEOUT."
        )
        return ModelUnavailable(text, kind)
    if kind == "auth":
        if failure.status == 403:
            text = (
                f"The model server at {url} refused this key access to '{model}'{detail}. Use a key allowed to call "
                f"it ({key_setting}), or another model (ROUNDTABLE_MODEL)."
            )
        else:
            text = f"The model server at {url} rejected the API key{detail}. Set {key_setting} to a valid key."
        return ModelUnavailable(text, kind)
    if kind == "not_found":
        if re.search(r"model|deployment", failure.detail, re.I) or not failure.detail:
            text = (
                f"The model '{model}' is not known at {url}{detail}. Set ROUNDTABLE_MODEL to a model the server offers "
                "(`roundtable doctor` lists them)."
            )
        else:
            text = f"{url} has no chat-completions endpoint{detail}. Check {url_setting}: it usually ends in /v1."
        return ModelUnavailable(text, kind)
    if kind == "rate_limit":
        wait = f", asked to wait {failure.retry_after:g} s" if failure.retry_after else ""
        text = (
            f"The model server at {url} is rate-limiting requests (HTTP 429{wait}) and {what} could not finish within "
            f"{settings.timeout:g} s (ROUNDTABLE_TIMEOUT). Wait a moment and retry, or raise ROUNDTABLE_TIMEOUT, "
            f"or use a key with a higher limit ({key_setting})."
        )
        return ModelUnavailable(text, kind)
    if kind == "server":
        text = (
            f"The model server at {url} failed{detail} on {tries} {'try' if tries == 1 else 'tries'}. Check the "
            "server's log and retry; ROUNDTABLE_MAX_RETRIES sets how often a call is retried."
        )
        return ModelUnavailable(text, kind)
    if kind == "context":
        text = (
            f"The meeting no longer fits the context window of '{model}' at {url}{detail}. Use a model with a larger "
            "context (ROUNDTABLE_MODEL), or lower ROUNDTABLE_MAX_TOKENS."
        )
        return ModelUnavailable(text, kind)
    if kind == "content_filter":
        text = (
            f"The content filter of the model server at {url} blocked {what}{detail}. Rephrase your turn and retry, "
            "or use another model (ROUNDTABLE_MODEL)."
        )
        return ModelReplyInvalid(text, kind)
    if kind == "cut_off":
        budget = (
            "ROUNDTABLE_REASONING_TOKENS (a reasoning model spends its budget on reasoning too) or ROUNDTABLE_MAX_TOKENS"
            if failure.names("reasoning")
            else "ROUNDTABLE_MAX_TOKENS (ROUNDTABLE_SCORING_MAX_TOKENS for the scorecard)"
        )
        text = f"{what[0].upper()}{what[1:]} from '{model}' at {url} was cut off at its token limit{detail}. Raise {budget}."
        return ModelReplyInvalid(text, kind)
    if kind == "invalid_reply":
        text = (
            f"The model '{model}' at {url} did not return a valid {schema} ({what}) after {tries} "
            f"{'try' if tries == 1 else 'tries'}{detail}. Try another ROUNDTABLE_STRUCTURED_OUTPUT "
            "(json_schema, function_calling, json_mode), or a larger model (ROUNDTABLE_MODEL)."
        )
        return ModelReplyInvalid(text, kind)
    if kind == "unsupported":
        tried = "; ".join(f"{m}: {why}" for m, why in (methods or {}).items())
        text = (
            f"The model server at {url} accepted none of the structured-output methods ({tried}). Set "
            "ROUNDTABLE_STRUCTURED_OUTPUT to one it supports, or check ROUNDTABLE_MODEL; `roundtable doctor` probes them."
        )
        return ModelUnavailable(text, kind)
    if kind == "bad_request":
        text = (
            f"The model server at {url} refused the request{detail}. Check ROUNDTABLE_MODEL and ROUNDTABLE_PROVIDER; "
            "`roundtable doctor` shows which settings work."
        )
        return ModelUnavailable(text, kind)
    return ModelError(
        f"The model call to {url} failed{detail}. Retry; if it keeps failing, run `roundtable doctor`.", "unknown"
    )


def _provider_words(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            words = error.get("message") or error.get("detail") or error.get("code")
            if words:
                return _one_line(str(words))
        elif isinstance(error, str):
            return _one_line(error)
        if isinstance(body.get("detail"), str):
            return _one_line(body["detail"])
    return _one_line(getattr(exc, "message", "") or str(exc))


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    headers = response.headers
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)  # Retry-After may be an HTTP date
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["Failure", "ModelError", "classify", "report"]
