"""Reading a model's reply, whole or streamed: its JSON text, the text shown so far, usage, finish reason.

Replies are read here rather than by LangChain's parsers, so every method and every server goes
the same way: a tool call's arguments or the message content, whichever holds the answer.
LangChain's streaming tool-call parser is not used: llama.cpp's server repeats the tool name in
every chunk, which that parser concatenates into an unknown tool.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.utils.json import parse_partial_json

_FENCE = re.compile(r"^\s*```(?:json)?\s*|\s*```\s*$", re.IGNORECASE)


@dataclass
class Reply:
    """What one call returned, before it is validated against the schema."""

    text: str = ""  # the JSON text: a tool call's arguments, else the message content
    finish_reason: str | None = None
    refusal: str | None = None
    usage: dict[str, int] = field(default_factory=dict)  # input_tokens, output_tokens (+ estimated: 1)
    had_tool_call: bool = False

    @property
    def cut_off(self) -> bool:
        return self.finish_reason == "length"

    @property
    def filtered(self) -> bool:
        return self.finish_reason == "content_filter" or bool(self.refusal)


def from_message(message: BaseMessage, sent: str) -> Reply:
    """A whole (non-streamed) reply."""
    reply = Reply(finish_reason=_finish(message), refusal=_refusal(message))
    calls = list(getattr(message, "tool_calls", None) or [])
    invalid = list(getattr(message, "invalid_tool_calls", None) or [])
    if calls:
        reply.text, reply.had_tool_call = json.dumps(calls[0].get("args") or {}), True
    elif invalid:
        reply.text, reply.had_tool_call = str(invalid[0].get("args") or ""), True
    else:
        reply.text = _content(message)
    reply.text = clean_text(reply.text)
    reply.usage = _usage([getattr(message, "usage_metadata", None)], sent, reply.text)
    return reply


class StreamReader:
    """Accumulates a streamed reply chunk by chunk; ``feed`` returns the ``text`` field when it grew."""

    def __init__(self) -> None:
        self._args: list[str] = []
        self._content: list[str] = []
        self._usages: list[dict | None] = []
        self._finish: str | None = None
        self._refusal: str | None = None
        self._shown = ""

    def feed(self, chunk: BaseMessage) -> str | None:
        for call in getattr(chunk, "tool_call_chunks", None) or []:
            if (call.get("index") or 0) == 0:
                self._args.append(call.get("args") or "")
        if not getattr(chunk, "tool_call_chunks", None):  # whole messages from models that cannot stream
            for call in getattr(chunk, "tool_calls", None) or []:
                self._args.append(json.dumps(call.get("args") or {}))
        self._content.append(_content(chunk))
        self._usages.append(getattr(chunk, "usage_metadata", None))
        self._finish = _finish(chunk) or self._finish
        self._refusal = _refusal(chunk) or self._refusal
        text = partial_text("".join(self._args) or "".join(self._content))
        if text is not None and text != self._shown:
            self._shown = text
            return text
        return None

    def reply(self, sent: str) -> Reply:
        text = clean_text("".join(self._args) if self._args else "".join(self._content))
        usage = _usage(self._usages, sent, text)
        return Reply(text, self._finish, self._refusal, usage, had_tool_call=bool(self._args))


def extract_json(text: str) -> Any:
    """The JSON object in a reply: as is, inside a Markdown fence, or the outermost ``{...}``."""
    stripped = _FENCE.sub("", text.strip())
    try:
        return json.loads(stripped)
    except ValueError:
        start, end = stripped.find("{"), stripped.rfind("}")
        if start < 0 or end <= start:
            raise
        return json.loads(stripped[start : end + 1])


def partial_text(so_far: str) -> str | None:
    """The ``text`` field of an unfinished JSON object, if it has started (never a lone surrogate)."""
    if not so_far.strip():
        return None
    try:
        partial = parse_partial_json(_FENCE.sub("", so_far.lstrip()))
    except ValueError:
        return None
    text = partial.get("text") if isinstance(partial, dict) else None
    return clean_text(text, partial=True) if isinstance(text, str) else None


def clean_text(text: str, *, partial: bool = False) -> str:
    """Join surrogate halves that arrived in separate chunks; replace lone ones (Streamlit and
    SQLite cannot encode them). ``partial``: a trailing high half is dropped, its pair is coming."""
    if not any("\ud800" <= c <= "\udfff" for c in text):
        return text
    if partial and "\ud800" <= text[-1] <= "\udbff":
        text = text[:-1]
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def _content(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return content or ""


def _finish(message: BaseMessage) -> str | None:
    return (getattr(message, "response_metadata", None) or {}).get("finish_reason")


def _refusal(message: BaseMessage) -> str | None:
    refusal = (getattr(message, "additional_kwargs", None) or {}).get("refusal")
    return refusal if isinstance(refusal, str) and refusal.strip() else None


def _usage(reports: list[dict | None], sent: str, said: str) -> dict[str, int]:
    """Token counts of one call from what the server reported, without over-counting.

    Servers report streamed usage three ways: once at the end (OpenAI), a running total in every
    chunk (vLLM's continuous usage stats, some proxies), or each chunk's own tokens. Summing a
    running total counts it many times over; taking the last of per-chunk counts counts one chunk.
    The prompt is counted once (the largest figure). For the reply, the sum and the last figure
    are both candidates, and the one nearer a length estimate (about 4 characters a token) wins:
    the two differ by the number of chunks, so the right one is never close to the wrong one.
    Servers that report nothing get the estimate, marked ``estimated``.
    """
    seen = [r for r in reports if r and (r.get("input_tokens") or r.get("output_tokens"))]
    estimate_in, estimate_out = len(sent) // 4 + 1, len(said) // 4 + 1
    if not seen:
        return {"input_tokens": estimate_in, "output_tokens": estimate_out, "estimated_calls": 1}
    inputs = max(int(r.get("input_tokens") or 0) for r in seen)
    outs = [int(r.get("output_tokens") or 0) for r in seen]
    total, last = sum(outs), outs[-1]
    if total != last:
        nearer = min((total, last), key=lambda n: abs(math.log((n + 1) / (estimate_out + 1))))
        total = nearer
    return {"input_tokens": inputs, "output_tokens": total}


def sent_text(messages: list[BaseMessage]) -> str:
    return "".join(_content(m) for m in messages)
