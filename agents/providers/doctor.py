"""``roundtable doctor``: probe the configured endpoint and say which settings to use.

In order: is the server reachable, is the key accepted, is the model known (from ``GET /models``
where the server lists them), then one small structured call per method (json_schema,
function_calling, json_mode) with its latency. What works is remembered for ``auto``; the report
ends with the settings to use. A problem that stops the check (no server, a bad key, an unknown
model) is one line, as in a meeting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

import httpx
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from agents.errors import ModelError
from agents.providers import memory
from agents.providers.failures import Failure, report
from agents.providers.profile import METHOD_ORDER, detect
from agents.settings import Settings

# what GET /models says a server is, when its URL does not (owned_by of each model)
OWNED_BY = {
    "library": "ollama",
    "vllm": "vllm",
    "organization_owner": "lmstudio",
    "me": "llamacpp",
    "llamacpp": "llamacpp",
}
NAMES = {
    "openai": "OpenAI",
    "azure": "Azure OpenAI",
    "ollama": "Ollama",
    "vllm": "vLLM",
    "lmstudio": "LM Studio",
    "llamacpp": "llama.cpp",
    "other": "an OpenAI-compatible server",
}
METHODS = ("json_schema", "function_calling", "json_mode")


class Check(BaseModel):
    name: str
    ok: bool | None  # None: not checked
    detail: str
    ms: float | None = None


class DoctorReport(BaseModel):
    url: str
    model: str
    provider: str
    checks: list[Check] = Field(default_factory=list)
    recommended: dict[str, str] = Field(default_factory=dict)  # environment name -> value
    problem: str | None = None  # one line, when the endpoint cannot hold a meeting

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Probe(BaseModel):
    """Your answer."""

    answer: Literal["ok"] = Field(description='Always "ok".')


def diagnose(settings: Settings, model_factory: Callable[[Settings], BaseChatModel] | None = None) -> DoctorReport:
    """Probe the endpoint ``settings`` name; never raises for what the endpoint does."""
    from agents.models import chat_model

    factory = model_factory or chat_model
    provider = detect(settings).name
    out = DoctorReport(url=settings.endpoint(), model=settings.model, provider=provider)
    if not (settings.openai_api_key or settings.openai_base_url or settings.azure_endpoint):
        out.problem = (
            "No model is configured: set OPENAI_API_KEY for OpenAI, OPENAI_BASE_URL for a local server "
            "(Ollama, vLLM, LM Studio, llama.cpp), or AZURE_OPENAI_ENDPOINT for Azure; see README."
        )
        return out
    listed = _list_models(settings, out)
    if out.problem:
        return out
    if listed is not None and settings.model not in listed and not settings.azure_endpoint:
        offered = ", ".join(listed[:8]) or "none"
        out.checks.append(
            Check(name="model", ok=False, detail=f"'{settings.model}' is not served (offered: {offered})")
        )
        suggestion = f" Set ROUNDTABLE_MODEL={listed[0]}." if listed else " Set ROUNDTABLE_MODEL."
        out.problem = (
            f"The model '{settings.model}' is not known at {out.url}; the server offers: {offered}.{suggestion}"
        )
        return out
    if listed is not None:
        out.checks.append(Check(name="model", ok=True, detail=f"'{settings.model}' is served"))
    probe = settings.model_copy(
        update={"provider": out.provider, "max_retries": 0, "timeout": min(settings.timeout, 60)}
    )
    model = factory(probe)
    works: list[str] = []
    for method in METHODS:
        check = _probe_method(model, probe.model_copy(update={"structured_output": method}), method)
        out.checks.append(check)
        if check.ok:
            works.append(method)
        elif check.detail.startswith("stop:"):  # the key or the model was refused: nothing else will work
            check.detail = check.detail.removeprefix("stop:")
            out.problem = check.detail
            return out
    _recommend(settings, out, works)
    return out


def _list_models(settings: Settings, out: DoctorReport) -> list[str] | None:
    """The model ids the server lists (None when it lists none); records reachable / key checks."""
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if settings.azure_endpoint:
        url = f"{settings.azure_endpoint.rstrip('/')}/openai/models"
        params, headers = {"api-version": settings.azure_api_version}, {"api-key": key or ""}
    else:
        url = f"{(settings.openai_base_url or 'https://api.openai.com/v1').rstrip('/')}/models"
        params, headers = {}, {"Authorization": f"Bearer {key}"} if key else {}
    t0 = time.perf_counter()
    try:
        response = httpx.get(url, params=params, headers=headers, timeout=min(settings.timeout, 10.0))
    except httpx.HTTPError as exc:
        out.checks.append(Check(name="reachable", ok=False, detail=f"{type(exc).__name__}: {exc}"))
        out.problem = str(report(Failure("connection", str(exc)[:120]), settings, what="a reply", tries=1))
        return None
    ms = (time.perf_counter() - t0) * 1000
    out.checks.append(Check(name="reachable", ok=True, detail=f"GET {url} answered HTTP {response.status_code}", ms=ms))
    if response.status_code in (401, 403):
        out.checks.append(Check(name="key", ok=False, detail=f"refused (HTTP {response.status_code})"))
        failure = Failure("auth", _words(response), response.status_code)
        out.problem = str(report(failure, settings, what="a reply", tries=1))
        return None
    if response.status_code != 200:
        return None  # some servers list no models; the calls below still tell
    out.checks.append(Check(name="key", ok=True, detail="accepted" if key else "none needed"))
    try:
        data = response.json().get("data") or []
    except ValueError:
        return None
    owners = {m.get("owned_by") for m in data if isinstance(m, dict)}
    guess = next((OWNED_BY[o] for o in owners if o in OWNED_BY), None)
    if guess and out.provider == "other":
        out.provider = guess
    return [str(m.get("id")) for m in data if isinstance(m, dict) and m.get("id")]


def _probe_method(model: BaseChatModel, settings: Settings, method: str) -> Check:
    from agents.models import ask_structured

    messages = [SystemMessage('Reply with the JSON object {"answer": "ok"}.'), HumanMessage("Are you there?")]
    t0 = time.perf_counter()
    try:
        reply, _ = ask_structured(model, _Probe, messages, settings, max_tokens=60, temperature=0, label="a probe")
    except ModelError as exc:
        if exc.kind in ("auth", "not_found", "connection"):
            return Check(name=method, ok=False, detail=f"stop:{exc}")
        why = "ignored: no structured answer came back" if exc.kind == "invalid_reply" else f"refused ({exc.detail})"
        return Check(name=method, ok=False, detail=why[:200], ms=(time.perf_counter() - t0) * 1000)
    ms = (time.perf_counter() - t0) * 1000
    return Check(name=method, ok=reply.answer == "ok", detail=f"works ({ms:.0f} ms for one small call)", ms=ms)


def _recommend(settings: Settings, out: DoctorReport, works: list[str]) -> None:
    order = [m for m in METHOD_ORDER.get(out.provider, METHOD_ORDER["other"]) if m in works]
    if not order:
        out.problem = (
            f"The model '{settings.model}' at {out.url} answered none of the structured-output methods. Use a larger "
            "model (ROUNDTABLE_MODEL) or a server that constrains JSON (see README's provider table)."
        )
        return
    best = order[0]
    memory.remember(settings, method=best, rejected=[m for m in METHODS if m not in works])
    env = {}
    if settings.azure_endpoint:
        env["AZURE_OPENAI_ENDPOINT"] = settings.azure_endpoint
        env["AZURE_OPENAI_DEPLOYMENT"] = settings.azure_deployment or settings.model
        env["OPENAI_API_VERSION"] = settings.azure_api_version
    elif settings.openai_base_url:
        env["OPENAI_BASE_URL"] = settings.openai_base_url
    env["ROUNDTABLE_MODEL"] = settings.model
    if out.provider != detect(settings).name:
        env["ROUNDTABLE_PROVIDER"] = out.provider
    env["ROUNDTABLE_STRUCTURED_OUTPUT"] = best  # what auto now uses here too (remembered above)
    out.recommended = env


def _words(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
    except ValueError:
        return response.text[:160]
    if isinstance(error, dict):
        return str(error.get("message") or "")[:160]
    return str(error or "")[:160]
