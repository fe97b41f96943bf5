"""A chat model that answers every structured request after a fixed latency (for ``fanout``; measures nothing).

``with_structured_output(method="function_calling")`` calls ``bind_tools([schema])`` and parses
the first tool call of the reply, so the fake binds the requested schema's name and answers it
with a valid ``StakeholderTurn`` or ``RubricJudgement`` built from the prompt. Each call is
independent (no shared iterator), so calls may run in parallel threads.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

DIMENSIONS = ("framing", "systems", "tradeoffs", "alignment", "collaboration")


class CallLog:
    """Start and end times of every call, shared by the copies ``ask_structured`` makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[tuple[str, float, float]] = []

    def add(self, schema: str, start: float, end: float) -> None:
        with self._lock:
            self.calls.append((schema, start, end))

    def max_in_flight(self) -> int:
        with self._lock:
            events = sorted([(s, 1) for _, s, _ in self.calls] + [(e, -1) for _, _, e in self.calls])
        level = peak = 0
        for _, d in events:
            level += d
            peak = max(peak, level)
        return peak


class FixedLatencyChatModel(BaseChatModel):
    """Sleeps ``latency`` seconds per call, then returns one tool call for the bound schema."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    latency: float = 0.3
    log: CallLog = Field(default_factory=CallLog)

    @property
    def _llm_type(self) -> str:
        return "fixed-latency-fake"

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):
        names = [convert_to_openai_tool(t)["function"]["name"] for t in tools]
        return self.bind(tool_names=names)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        tool_names: Sequence[str] = (),
        **kwargs: Any,
    ) -> ChatResult:
        start = time.perf_counter()
        time.sleep(self.latency)
        prompt = "\n".join(str(m.content) for m in messages)
        name = tool_names[0] if tool_names else _guess_schema(prompt)
        if name == "StakeholderTurn":
            args = _stakeholder_reply(prompt)
        elif name == "RubricJudgement":
            args = _judgement()
        else:
            raise ValueError(f"the fake model does not know the schema {name!r}")
        message = AIMessage(
            content="",
            tool_calls=[{"name": name, "args": args, "id": "x", "type": "tool_call"}],
            usage_metadata={
                "input_tokens": len(prompt) // 4,
                "output_tokens": 40,
                "total_tokens": len(prompt) // 4 + 40,
            },
        )
        self.log.add(name, start, time.perf_counter())
        return ChatResult(generations=[ChatGeneration(message=message)])


def _guess_schema(prompt: str) -> str:
    return "RubricJudgement" if "Rubric (score each dimension" in prompt else "StakeholderTurn"


def _stakeholder_reply(prompt: str) -> dict:
    """Answer as the persona of the prompt, sharing exactly the facts it may share now."""
    who = re.search(r"You are ([^,\n]+),", prompt)
    name = who.group(1) if who else "the stakeholder"
    allowed = re.search(r"Facts you may share now.*?:\n(.*?)\nFacts already shared", prompt, re.S)
    facts = re.findall(r"^- \[([\w.-]+)\]", allowed.group(1), re.M) if allowed else []
    if facts:
        return {
            "text": f"{name} here. Happy to share what I know on that ({', '.join(facts)}).",
            "intent": "answer",
            "facts_revealed": facts,
        }
    return {"text": f"{name} here. That makes sense to me so far.", "intent": "acknowledge"}


def _judgement() -> dict:
    dim = {"score": 3, "rationale": "Asked some framing questions; the decision stayed open.", "evidence": []}
    return {
        **{d: dict(dim) for d in DIMENSIONS},
        "strengths": ["Addressed each stakeholder by name."],
        "improvements": ["Close with a decision and owners."],
    }
