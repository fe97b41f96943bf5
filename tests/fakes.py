"""A fake chat model for the LLM engine's logic: scripted tool calls, chosen by who is being asked.

``ask_structured`` binds the schema as a tool (``function_calling``) or sends it as a
``response_format`` (the JSON methods) and reads the reply's tool call or content; this fake
keeps what each call was bound with (``requests``: the tools, the token limit, the temperature)
and answers with a tool call built by ``answer(messages)``. Under parallel ``Send`` it answers
by the role in the prompt, never from one shared iterator.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

Answer = Callable[[list[BaseMessage]], tuple[str, dict]]


def default_answer(messages: list[BaseMessage]) -> tuple[str, dict]:
    system = str(messages[0].content)
    if system.startswith("You are the facilitator"):
        turn = re.search(r'<turn n="1">(.*?)</turn>', str(messages[1].content), re.S)
        first = turn.group(1).split("\n")[0][:40] if turn else "nothing"
        dim = {"score": 4, "rationale": "Asked about scale early.", "evidence": [{"turn": 1, "quote": first}]}
        bogus = {"score": 5, "rationale": "Invented.", "evidence": [{"turn": 1, "quote": "words never said"}]}
        return "RubricJudgement", {
            "framing": dim,
            "systems": bogus,
            "tradeoffs": {"score": 3, "rationale": "Named one trade-off.", "evidence": []},
            "alignment": {"score": 3, "rationale": "Some ties to metrics.", "evidence": []},
            "collaboration": {"score": 4, "rationale": "Engaged the room.", "evidence": []},
            "strengths": ["Framing"],
            "improvements": ["Decide sooner"],
        }
    role = re.search(r"You are the (\w+) lead", system).group(1)
    facts = re.findall(
        r"^- \[([a-z0-9-]+)\]", system.split("Facts you may share now")[1].split("Facts already")[0], re.M
    )
    return "StakeholderTurn", {
        "text": f"[{role}] Here is what I know.",
        "intent": "answer",
        "facts_revealed": [*facts, "a-fact-that-does-not-exist"],
    }


class ScriptedChatModel(BaseChatModel):
    """Answers every call with a tool call from ``answer``; optional fixed latency and failure."""

    answer: Answer = default_answer
    latency: float = 0.0
    fail_with: Exception | None = None
    model_config = ConfigDict(arbitrary_types_allowed=True)
    _calls: list[list[BaseMessage]] = PrivateAttr(default_factory=list)
    _requests: list[dict] = PrivateAttr(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def calls(self) -> list[list[BaseMessage]]:
        return self._calls

    @property
    def requests(self) -> list[dict]:
        """The request fields of each call (tools, tool_choice, extra_body, temperature, ...)."""
        return self._requests

    @property
    def _llm_type(self) -> str:
        return "scripted-fake"

    def bind_tools(self, tools, **kwargs):
        return self.bind(tools=tools, **kwargs)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        with self._lock:
            self._calls.append(list(messages))
            self._requests.append(kwargs)
        if self.latency:
            time.sleep(self.latency)
        if self.fail_with is not None:
            raise self.fail_with
        name, args = self.answer(list(messages))
        message = AIMessage(
            content="",
            tool_calls=[{"name": name, "args": args, "id": f"call-{len(self.calls)}"}],
            usage_metadata={"input_tokens": 100, "output_tokens": 20, "total_tokens": 120},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        """The same answer, as a server streams it: the tool call's JSON arguments a few characters at a time."""
        message = self._generate(messages, stop, run_manager, **kwargs).generations[0].message
        call = message.tool_calls[0]
        args = json.dumps(call["args"])
        for i in range(0, len(args), 8):
            piece = {"name": call["name"], "args": args[i : i + 8], "id": call["id"], "index": 0}
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=[piece]))
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=message.usage_metadata))
