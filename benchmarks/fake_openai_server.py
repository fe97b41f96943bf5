"""A local OpenAI-compatible chat server with a fixed latency, for throughput benchmarks and tests.

It speaks just enough of ``POST /v1/chat/completions`` for ``ChatOpenAI``: plain replies, tool
(function) calls, ``response_format`` JSON schemas, and ``stream: true`` as server-sent events,
each with ``usage`` tokens. A tool call is answered with a valid argument object for the
requested tool: the two schemas Roundtable asks for (``StakeholderTurn`` and
``RubricJudgement``) are answered from the prompt (facts the stakeholder may share, the concern
it may raise); any other schema gets a minimal instance built from its JSON schema.

    python -m benchmarks.fake_openai_server --latency 0.5     # prints its base URL, serves until Ctrl-C

    with serve(latency=0.5) as server:                        # in-process, on a free loopback port
        Settings(engine="llm", openai_base_url=server.base_url, structured_output="function_calling")
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DIMENSIONS = ("framing", "systems", "tradeoffs", "alignment", "collaboration")


class FakeOpenAIServer(ThreadingHTTPServer):
    """The HTTP server; ``requests`` counts completions served, ``peak_in_flight`` the most at once."""

    daemon_threads = True
    request_queue_size = 128  # 16 sessions x 3 stakeholders may connect at once

    def __init__(self, latency: float = 0.5, host: str = "127.0.0.1", port: int = 0):
        super().__init__((host, port), _Handler)
        self.latency = latency
        self.requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"

    def _enter(self) -> None:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


@contextmanager
def serve(latency: float = 0.5) -> Iterator[FakeOpenAIServer]:
    """Run a server on a free loopback port in a background thread for the ``with`` block."""
    server = FakeOpenAIServer(latency)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_process(latency: float = 0.5) -> Iterator[str]:
    """Run a server in a child process (its own interpreter and GIL, like a real model server); yields its base URL."""
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "benchmarks.fake_openai_server", "--latency", str(latency)]
    root = Path(__file__).resolve().parent.parent  # so ``-m benchmarks...`` resolves from any working directory
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=root)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the fake server did not start (exit code {proc.poll()})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _Handler(BaseHTTPRequestHandler):
    server: FakeOpenAIServer
    protocol_version = "HTTP/1.1"  # keep-alive: the client reuses its pooled connections

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "fake", "object": "model", "owned_by": "local"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            self._json(400, {"error": {"message": f"invalid JSON: {exc}", "type": "invalid_request_error"}})
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        self.server._enter()
        try:
            time.sleep(self.server.latency)
            reply = completion(body)
            if body.get("stream"):
                self._stream(body, reply)
            else:
                self._json(200, reply)
        finally:
            self.server._leave()

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, body: dict, reply: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # the stream ends when the connection does
        self.end_headers()
        self.close_connection = True
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        for chunk in stream_chunks(reply, include_usage):
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def completion(body: dict) -> dict:
    """A non-streamed ``chat.completion`` answering ``body``."""
    prompt = "\n".join(_text(m.get("content")) for m in body.get("messages", []))
    message: dict = {"role": "assistant", "content": None}
    finish = "stop"
    tool = _requested_tool(body)
    if tool is not None:
        args = arguments_for(tool.get("name", ""), tool.get("parameters") or {}, prompt)
        message["tool_calls"] = [
            {
                "id": f"call_{uuid.uuid4().hex[:12]}",
                "type": "function",
                "function": {"name": tool.get("name", ""), "arguments": json.dumps(args)},
            }
        ]
        finish = "tool_calls"
        output = message["tool_calls"][0]["function"]["arguments"]
    elif (fmt := body.get("response_format") or {}).get("type") in ("json_schema", "json_object"):
        spec = fmt.get("json_schema") or {}
        output = message["content"] = json.dumps(arguments_for(spec.get("name", ""), spec.get("schema") or {}, prompt))
    else:
        output = message["content"] = "Thanks, that is clear. Let me think about what it means for my team."
    prompt_tokens, completion_tokens = max(1, len(prompt) // 4), max(1, len(output) // 4)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def stream_chunks(reply: dict, include_usage: bool) -> Iterator[dict]:
    """The ``chat.completion.chunk`` events of ``reply``: content or tool arguments in a few pieces."""
    base = {k: reply[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = reply["choices"][0]
    message = choice["message"]

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        head = {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        yield chunk({"tool_calls": [head | {"function": head["function"] | {"arguments": ""}}]})
        for piece in _pieces(call["function"]["arguments"]):
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    else:
        for piece in _pieces(message.get("content") or "", words=True):
            yield chunk({"content": piece})
    yield chunk({}, choice["finish_reason"])
    if include_usage:
        yield base | {"choices": [], "usage": reply["usage"]}


def arguments_for(name: str, schema: dict, prompt: str) -> dict:
    """A valid instance for the tool ``name``: the two known schemas from the prompt, others minimal."""
    if name == "StakeholderTurn":
        return stakeholder_reply(prompt)
    if name == "RubricJudgement":
        return judgement(prompt)
    value = minimal_instance(schema, schema.get("$defs") or schema.get("definitions") or {})
    return value if isinstance(value, dict) else {"value": value}


def stakeholder_reply(prompt: str) -> dict:
    """Answer as the prompt's persona: share the facts it may share, else raise its next concern,
    else accept its first open concern (so a meeting can settle)."""
    who = re.search(r"You are ([^,\n]+),", prompt)
    name = who.group(1) if who else "the stakeholder"
    facts = _ids_in(prompt, r"Facts you may share now[^\n]*:\n(.*?)\nFacts already shared")
    new = _ids_in(prompt, r"A new concern you may raise[^\n]*:\n(.*?)(?:\n\n|\nReply as)")
    open_ids = _ids_in(prompt, r"Your open concerns[^\n]*:\n(.*?)\n\n")
    if facts:
        return {"text": f"{name} here. On that: {', '.join(facts)}.", "intent": "answer", "facts_revealed": facts}
    if new:
        return {"text": f"{name} here. I have a concern ({new[0]}).", "intent": "challenge", "raised": new[:1]}
    if open_ids:
        return {"text": f"{name} here. That answers my concern.", "intent": "acknowledge", "resolved": open_ids[:1]}
    return {"text": f"{name} here. That makes sense to me so far.", "intent": "acknowledge"}


def judgement(prompt: str) -> dict:
    """Scores of 2-4 per dimension, fixed for a given prompt (so a transcript always scores the same)."""
    dims = {}
    for d in DIMENSIONS:
        digest = hashlib.sha256(f"{d}\n{prompt}".encode()).digest()
        dims[d] = {"score": 2 + digest[0] % 3, "rationale": f"Scored by the fake server ({d}).", "evidence": []}
    return dims | {"strengths": ["Kept the meeting moving."], "improvements": ["Close with a decision and owners."]}


def minimal_instance(schema: dict, defs: dict):
    """The smallest value that validates against ``schema`` (required fields only, first enum value)."""
    if "$ref" in schema:
        return minimal_instance(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), defs)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            options = [s for s in schema[key] if s.get("type") != "null"] or schema[key]
            return minimal_instance(options[0], defs)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props.get(k, {}), defs) for k in schema.get("required", [])}
    if kind == "array":
        return [minimal_instance(schema.get("items", {}), defs) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if "exclusiveMinimum" in schema else 0))
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return False
    return None


def _requested_tool(body: dict) -> dict | None:
    tools = [t.get("function", t) for t in body.get("tools") or []]
    tools += body.get("functions") or []  # the legacy functions API
    if not tools:
        return None
    choice = body.get("tool_choice") or body.get("function_call")
    wanted = choice.get("function", choice).get("name") if isinstance(choice, dict) else None
    return next((t for t in tools if t.get("name") == wanted), tools[0])


def _ids_in(prompt: str, section: str) -> list[str]:
    match = re.search(section, prompt, re.S)
    return re.findall(r"^- \[([\w.-]+)\]", match.group(1), re.M) if match else []


def _text(content) -> str:
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def _pieces(text: str, words: bool = False, size: int = 24) -> list[str]:
    if words:
        return re.findall(r"\S+\s*", text) or [text]
    return [text[i : i + size] for i in range(0, len(text), size)] or [""]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fake_openai_server", description=__doc__.splitlines()[0])
    p.add_argument("--latency", type=float, default=0.5, help="seconds before each reply")
    p.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    args = p.parse_args(argv)
    server = FakeOpenAIServer(args.latency, port=args.port)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
