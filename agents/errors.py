"""Errors a person can act on: what failed, where, and which setting to change (one line each)."""

from __future__ import annotations

from typing import Literal

FailureKind = Literal[
    "connection",  # nothing answers at the URL
    "timeout",  # no complete reply before the deadline
    "auth",  # the key was refused (401) or is not allowed (403)
    "not_found",  # unknown model (or no such endpoint)
    "rate_limit",  # 429, also after waiting as asked
    "server",  # 5xx
    "bad_request",  # 400/422 the app cannot correct by itself
    "context",  # the prompt does not fit the model's context window
    "content_filter",  # the provider's filter blocked the prompt or the reply
    "cut_off",  # the reply hit its token limit
    "invalid_reply",  # malformed JSON or not the schema asked for
    "unsupported",  # the server takes none of the structured-output methods
    "unknown",
]


class ModelError(RuntimeError):
    """A model call failed; the message names the endpoint and the setting to change."""

    kind: FailureKind = "unknown"

    def __init__(self, message: str, kind: FailureKind | None = None, detail: str = ""):
        super().__init__(" ".join(message.split()))  # always one line
        if kind is not None:
            self.kind = kind
        self.detail = detail  # the provider's own words, e.g. "HTTP 500: ..."


class ModelUnavailable(ModelError):
    """The model endpoint could not be reached, refused the request or the key, or timed out."""

    kind: FailureKind = "connection"


class ModelReplyInvalid(ModelError):
    """The model answered, but not in the structure asked for, cut off, or filtered (after retries)."""

    kind: FailureKind = "invalid_reply"
