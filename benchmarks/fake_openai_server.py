"""A local OpenAI-compatible chat server that behaves like a chosen provider, for tests and benchmarks.

It speaks ``POST /v1/chat/completions`` (and Azure's ``/openai/deployments/{d}/chat/completions``)
and ``GET /v1/models``: plain replies, forced tool calls, ``response_format`` JSON schemas and
``json_object``, ``stream: true`` as server-sent events, with usage. A *profile*
(``benchmarks.fake_profiles``) makes it reject what that provider rejects and stream and count
the way that server does. Replies are built from the schema asked for: a ``StakeholderTurn``
uses the ids its enums offer, a ``RubricJudgement`` quotes the person's turns, anything else
gets a minimal valid instance. Streamed replies are cut at awkward places: inside escapes,
inside ``\\uXXXX``, between the two UTF-16 halves of an emoji.

    python -m benchmarks.fake_openai_server --latency 0.5 [--profile ollama]   # prints its base URL

    with serve(latency=0.5, profile="openai", api_key="sk-test") as server:     # in-process
        server.fail(Fault("status", status=429, headers={"Retry-After": "1"}))  # the next request gets it
        ... server.bodies, server.billed ...
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from benchmarks.fake_profiles import FILTER_REPLY, PROFILES, Profile, Rejection, check, reasoning_tokens, token_cap

DIMENSIONS = ("framing", "systems", "tradeoffs", "alignment", "collaboration")
EMOJI = "\U0001f642"


@dataclass
class Fault:
    """What the next request gets instead of a normal reply.

    kinds: ``status`` (``status``, ``message``, ``headers``), ``hang`` (no answer for ``seconds``),
    ``trickle`` (SSE keep-alive comments every 0.2 s for ``seconds``), ``drop`` (the connection
    closes), ``cut`` (finish_reason length), ``malformed`` (broken JSON), ``off-schema`` (JSON
    that breaks the schema), ``prose`` (plain text), ``filtered`` (finish_reason content_filter).
    """

    kind: str
    status: int = 500
    message: str = "The server had an error while processing your request."
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 30.0


class FakeOpenAIServer(ThreadingHTTPServer):
    """The HTTP server. ``requests`` counts completions asked for, ``peak_in_flight`` the most at once,
    ``bodies`` keeps every request body, ``answers`` each one's (status, finish reason or error),
    ``billed`` the usage each served reply really had."""

    daemon_threads = True
    request_queue_size = 128  # 16 sessions x 3 stakeholders may connect at once

    def __init__(
        self,
        latency: float = 0.5,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        profile: str = "generic",
        api_key: str | None = None,
    ):
        super().__init__((host, port), _Handler)
        self.latency = latency
        self.profile: Profile = PROFILES[profile]
        self.api_key = api_key
        self.requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.bodies: list[dict] = []
        self.answers: list[tuple[int, str]] = []
        self.billed: list[dict[str, int]] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._serial = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}" + ("" if self.profile.azure_paths else "/v1")

    def fail(self, *faults: Fault) -> None:
        """The next requests get these faults, one each, in order."""
        with self._lock:
            self.faults.extend(faults)

    def _enter(self, body: dict) -> Fault | None:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self.bodies.append(body)
            return self.faults.pop(0) if self.faults else None

    def _leave(self, status: int, outcome: str, usage: dict[str, int] | None = None) -> None:
        with self._lock:
            self.in_flight -= 1
            self.answers.append((status, outcome))
            if usage:
                self.billed.append(usage)


@contextmanager
def serve(latency: float = 0.5, *, profile: str = "generic", api_key: str | None = None) -> Iterator[FakeOpenAIServer]:
    """Run a server on a free loopback port in a background thread for the ``with`` block."""
    server = FakeOpenAIServer(latency, profile=profile, api_key=api_key)
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
        if not urlparse(self.path).path.rstrip("/").endswith("/models"):
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        if (rejection := self._auth()) is not None:
            return self._json(rejection.status, rejection.body())
        ids = self.server.profile.models or ("fake",)
        self._json(
            200,
            {
                "object": "list",
                "data": [{"id": m, "object": "model", "owned_by": self.server.profile.owned_by} for m in ids],
            },
        )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except json.JSONDecodeError as exc:
            return self._json(400, {"error": {"message": f"invalid JSON: {exc}", "type": "invalid_request_error"}})
        model = self._model(body)
        if model is None:
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        fault = self.server._enter(body)
        status, outcome, billed = 200, "", None
        serial = self.server._serial if self.server.profile.serial else None
        if serial:
            serial.acquire()
        try:
            time.sleep(self.server.latency)
            rejection = self._auth() or check(self.server.profile, body, model)
            if fault is not None and fault.kind == "status":
                rejection = Rejection(
                    fault.status,
                    fault.message,
                    headers=fault.headers,
                    type="rate_limit_error" if fault.status == 429 else "server_error",
                )
            if rejection is not None:
                status, outcome = rejection.status, rejection.message
                return self._json(rejection.status, rejection.body(), rejection.headers)
            if fault is not None and fault.kind in ("hang", "drop", "trickle"):
                status, outcome = 0, fault.kind
                return self._misbehave(fault)
            reply = completion(body, self.server.profile, model, fault)
            outcome, billed = reply["choices"][0]["finish_reason"], reply["usage"]
            if body.get("stream"):
                self._stream(body, reply)
            else:
                self._json(200, reply)
        finally:
            if serial:
                serial.release()
            self.server._leave(status, outcome, billed)

    def _model(self, body: dict) -> str | None:
        url = urlparse(self.path)
        if self.server.profile.azure_paths:
            match = re.fullmatch(r"/openai/deployments/([^/]+)/chat/completions/?", url.path)
            if match and parse_qs(url.query).get("api-version"):
                return match.group(1)
            return body.get("model") if url.path.rstrip("/") == "/openai/v1/chat/completions" else None
        return body.get("model", "fake") if url.path.rstrip("/").endswith("/chat/completions") else None

    def _auth(self) -> Rejection | None:
        key, kind = self.server.api_key, self.server.profile.auth
        if key is None:
            return None
        sent = self.headers.get("api-key") if kind == "api-key" else None
        sent = sent or (self.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        if sent == key:
            return None
        shown = f"{sent[:3]}***{sent[-2:]}" if sent else "(none)"
        if kind == "api-key":
            message = "Access denied due to invalid subscription key or wrong API endpoint."
            return Rejection(401, message, code="401")
        return Rejection(401, f"Incorrect API key provided: {shown}.", code="invalid_api_key")

    def _json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _misbehave(self, fault: Fault) -> None:
        self.close_connection = True
        if fault.kind == "hang":
            time.sleep(fault.seconds)
            return
        if fault.kind == "drop":
            return  # closes without a response
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        end = time.monotonic() + fault.seconds
        try:
            while time.monotonic() < end:  # alive, never finishing
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass  # the client gave up, as it should

    def _stream(self, body: dict, reply: dict) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # the stream ends when the connection does
        self.end_headers()
        self.close_connection = True
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        try:
            for chunk in stream_chunks(reply, self.server.profile, include_usage):
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except OSError:
            pass  # the client stopped reading


def completion(body: dict, profile: Profile, model: str, fault: Fault | None = None) -> dict:
    """A non-streamed ``chat.completion`` answering ``body`` as ``profile``'s server would."""
    prompt = "\n".join(_text(m.get("content")) for m in body.get("messages", []))
    message: dict = {"role": "assistant", "content": None}
    tool = _requested_tool(body)
    fmt = body.get("response_format") or {}
    if tool is not None and profile.tool_choice == "honoured":
        output, kind = _json(arguments_for(tool.get("name", ""), tool.get("parameters") or {}, prompt), profile), "tool"
    elif fmt.get("type") in ("json_schema", "json_object"):
        spec = fmt.get("json_schema") or {"schema": fmt.get("schema") or _schema_in(prompt) or {}}
        output, kind = _json(arguments_for(spec.get("name", ""), spec.get("schema") or {}, prompt), profile), "content"
    elif tool is not None:  # tool_choice ignored: the model chats instead
        output, kind = "Sure! I think we should start with the users and the scale we expect.", "content"
    else:
        output, kind = f"Thanks, that is clear {EMOJI}. Let me think about what it means for my team.", "content"
    output, finish = _faulty(output, fault, prompt, profile)
    spent = reasoning_tokens(profile, body, model)
    cap = token_cap(profile, body)
    if cap is not None and tokens(output) + spent > cap:
        output, finish = output[: max(0, cap - spent) * 4], "length"
    if kind == "tool" and finish not in ("length", "content_filter"):
        finish = "tool_calls"
    if kind == "tool":
        call = {
            "id": f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {"name": tool.get("name", ""), "arguments": output},
        }
        message["tool_calls"] = [call]
    else:
        message["content"] = output
    prompt_tokens, completion_tokens = max(1, len(prompt) // 4), sum(tokens(p) for p in pieces(output)) + spent
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def _faulty(output: str, fault: Fault | None, prompt: str, profile: Profile) -> tuple[str, str]:
    if (profile.content_filter and FILTER_REPLY in prompt) or (fault is not None and fault.kind == "filtered"):
        return "", "content_filter"
    if fault is None:
        return output, "stop"
    if fault.kind == "cut":
        return output[: len(output) // 2], "length"
    if fault.kind == "malformed":
        return output[: len(output) // 2] + '", "oops', "stop"
    if fault.kind == "off-schema":
        return json.dumps({"text": "Hi.", "intent": "shout", "framing": "five"}), "stop"
    if fault.kind == "prose":
        return "I would rather just talk about it.", "stop"
    return output, "stop"


def stream_chunks(reply: dict, profile: Profile, include_usage: bool) -> Iterator[dict]:
    """The ``chat.completion.chunk`` events of ``reply``, cut at awkward places, with usage the profile's way."""
    base = {k: reply[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}
    choice = reply["choices"][0]
    message = choice["message"]
    prompt_tokens = reply["usage"]["prompt_tokens"]
    spent = reply["usage"]["completion_tokens"] - sum(tokens(p) for p in pieces(_output(message)))
    so_far = spent

    def chunk(delta: dict, finish: str | None = None, piece: str = "") -> dict:
        nonlocal so_far
        event = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        so_far += tokens(piece) if piece else 0
        if profile.usage == "running":
            event["usage"] = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": so_far,
                "total_tokens": prompt_tokens + so_far,
            }
        elif profile.usage == "delta" and piece:
            first = so_far == spent + tokens(piece)
            event["usage"] = {
                "prompt_tokens": prompt_tokens if first else 0,
                "completion_tokens": tokens(piece),
                "total_tokens": (prompt_tokens if first else 0) + tokens(piece),
            }
        return event

    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        head = {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["function"]["name"]}}
        yield chunk({"tool_calls": [head | {"function": head["function"] | {"arguments": ""}}]})
        for piece in pieces(call["function"]["arguments"]):
            part = {"index": 0, "function": {"arguments": piece}}
            if profile.tool_name_every_chunk:  # llama-cpp-python repeats the id and name in every chunk
                part = head | {"function": head["function"] | {"arguments": piece}}
            yield chunk({"tool_calls": [part]}, piece=piece)
    else:
        for piece in pieces(message.get("content") or ""):
            yield chunk({"content": piece}, piece=piece)
    yield chunk({}, choice["finish_reason"])
    if include_usage and profile.usage in ("final", "running"):
        yield base | {"choices": [], "usage": reply["usage"]}


def pieces(text: str, size: int = 16) -> list[str]:
    """``text`` cut every ``size`` UTF-16 units, after every backslash, inside every ``\\uXXXX`` and
    between the halves of every astral character (so a piece may end in a lone surrogate)."""
    units: list[str] = []
    for c in text:
        if ord(c) > 0xFFFF:
            v = ord(c) - 0x10000
            units += [chr(0xD800 + (v >> 10)), chr(0xDC00 + (v & 0x3FF))]
        else:
            units.append(c)
    cuts = {i for i in range(size, len(units), size)}
    for i, u in enumerate(units):
        if u == "\\" and i + 1 < len(units):
            cuts.add(i + 1)
            if units[i + 1] == "u":
                cuts.add(i + 4)
        if "\ud800" <= u <= "\udbff":
            cuts.add(i + 1)
    bounds = [0, *sorted(c for c in cuts if 0 < c < len(units)), len(units)]
    return ["".join(units[a:b]) for a, b in itertools.pairwise(bounds) if b > a] or [""]


def tokens(piece: str) -> int:
    return math.ceil(len(piece) / 4)


def arguments_for(name: str, schema: dict, prompt: str) -> dict:
    """A valid instance of ``schema``: Roundtable's two schemas answered from the prompt, others minimal."""
    props = schema.get("properties") or {}
    if name == "StakeholderTurn" or {"text", "intent"} <= set(props):
        return stakeholder_reply(schema, prompt)
    if name == "RubricJudgement" or set(DIMENSIONS) <= set(props):
        return judgement(schema, prompt)
    value = minimal_instance(schema, schema.get("$defs") or schema.get("definitions") or {})
    return value if isinstance(value, dict) else {"value": value}


def stakeholder_reply(schema: dict, prompt: str) -> dict:
    """Answer as the prompt's persona with the ids the schema offers: share the facts, else raise the
    new concern, else settle the first open one (so a meeting can settle). The text has an emoji,
    quotes, a backslash and a newline, so a streamed reply is cut inside escapes."""
    props = schema.get("properties") or {}
    offered = {
        k: (props.get(k, {}).get("items") or {}).get("enum") or [] for k in ("facts_revealed", "raised", "resolved")
    }
    who = re.search(r"You are ([^,\n]+),", prompt)
    name = who.group(1) if who else "the stakeholder"
    heard = (
        len(re.findall(r"^- .+\(\w+\): ", prompt.split("Colleagues who already answered")[-1], re.M))
        if ("Colleagues who already answered" in prompt)
        else 0
    )
    tail = f' {EMOJI} I heard {heard} before me, "noted"\\ok.\nNext?'
    reply = {k: [] for k in ("facts_revealed", "raised", "resolved", "pushed_back") if k in props}
    if offered["facts_revealed"]:
        return reply | {
            "text": f"{name} here. On that: {', '.join(offered['facts_revealed'])}.{tail}",
            "intent": "answer",
            "facts_revealed": offered["facts_revealed"],
        }
    if offered["raised"]:
        return reply | {
            "text": f"{name} here. I have a concern ({offered['raised'][0]}).{tail}",
            "intent": "challenge",
            "raised": offered["raised"][:1],
        }
    if offered["resolved"]:
        return reply | {
            "text": f"{name} here. That answers my concern.{tail}",
            "intent": "acknowledge",
            "resolved": offered["resolved"][:1],
        }
    return reply | {"text": f"{name} here. That makes sense to me so far.{tail}", "intent": "acknowledge"}


def judgement(schema: dict, prompt: str) -> dict:
    """Scores of 2-4, fixed for a given prompt; each dimension quotes the first words of a turn
    (as the prompt shows them, escaped) with a number the schema offers."""
    turns = dict(re.findall(r'<turn n="(\d+)">(.*?)</turn>', prompt, re.S))
    dim = ((schema.get("properties") or {}).get("framing") or {}).get("properties") or {}
    offered = ((dim.get("evidence") or {}).get("items") or {}).get("properties", {}).get("turn", {}).get("enum")
    dims = {}
    for d in DIMENSIONS:
        digest = hashlib.sha256(f"{d}\n{prompt}".encode()).digest()
        n = (offered or [1])[digest[1] % len(offered or [1])]
        words = " ".join(turns.get(str(n), "").split()[:6])
        evidence = [{"turn": n, "quote": words}] if words and offered else []
        dims[d] = {"rationale": f"Scored by the fake server ({d}).", "evidence": evidence, "score": 2 + digest[0] % 3}
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


def _json(value: dict, profile: Profile) -> str:
    return json.dumps(value, ensure_ascii=profile.escape_unicode)


def _schema_in(prompt: str) -> dict | None:
    """The JSON schema a json_mode prompt spells out (Roundtable appends it after 'JSON schema:')."""
    at = prompt.rfind("JSON schema:")
    if at < 0:
        return None
    try:
        return json.JSONDecoder().raw_decode(prompt[at + len("JSON schema:") :].lstrip())[0]
    except ValueError:
        return None


def _output(message: dict) -> str:
    calls = message.get("tool_calls")
    return calls[0]["function"]["arguments"] if calls else message.get("content") or ""


def _requested_tool(body: dict) -> dict | None:
    tools = [t.get("function", t) for t in body.get("tools") or []]
    tools += body.get("functions") or []  # the legacy functions API
    if not tools:
        return None
    choice = body.get("tool_choice") or body.get("function_call")
    wanted = choice.get("function", choice).get("name") if isinstance(choice, dict) else None
    return next((t for t in tools if t.get("name") == wanted), tools[0])


def _text(content) -> str:
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.fake_openai_server", description=__doc__.splitlines()[0])
    p.add_argument("--latency", type=float, default=0.5, help="seconds before each reply")
    p.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    p.add_argument("--profile", default="generic", choices=sorted(PROFILES), help="which provider to behave like")
    p.add_argument("--api-key", default=None, help="the key the server accepts (default: any)")
    args = p.parse_args(argv)
    server = FakeOpenAIServer(args.latency, port=args.port, profile=args.profile, api_key=args.api_key)
    print(server.base_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
