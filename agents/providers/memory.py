"""What an endpoint taught us: which token limit, whether temperature, which structured-output method.

Learned from the endpoint's own answers (a 400 naming a parameter, a method it rejects or
ignores) and from ``roundtable doctor``. Kept per process and in ``<data dir>/endpoints.json``,
so the next run starts with what this one found out. Keyed by URL and model: the same server
may treat two models differently (o-series vs gpt-4o behind one proxy).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from pydantic import BaseModel, ValidationError

from agents.settings import Settings, StructuredOutputMethod

FILE_NAME = "endpoints.json"


class Learned(BaseModel):
    """Facts about one endpoint and model; None is not yet known."""

    token_param: str | None = None
    temperature: bool | None = None  # False: the model accepts only its default temperature
    effort: bool | None = None  # False: refuses reasoning_effort
    reasoning: bool | None = None  # True: refused temperature the way reasoning models do (o-series behind a name)
    method: StructuredOutputMethod | None = None  # the structured-output method that works
    rejected: list[StructuredOutputMethod] = []  # methods the endpoint refused or ignored


_lock = threading.Lock()
_cache: dict[tuple[str, str, str], Learned] = {}  # (file, endpoint, model)


def endpoint_key(settings: Settings) -> str:
    if settings.azure_endpoint:
        return f"azure:{settings.azure_endpoint.rstrip('/')}/{settings.azure_deployment or settings.model}"
    return settings.openai_base_url or "openai"


def recall(settings: Settings) -> Learned:
    """What is known about the settings' endpoint and model (a copy; change it with ``remember``)."""
    path, name = _path(settings), _name(settings)
    key = (str(path), name, settings.model)
    with _lock:
        if key not in _cache:
            _cache[key] = _load(path).get(name, Learned())
        return _cache[key].model_copy(deep=True)


def remember(settings: Settings, **facts) -> Learned:
    """Record facts about the settings' endpoint and model, in memory and on disk."""
    path, name = _path(settings), _name(settings)
    key = (str(path), name, settings.model)
    with _lock:
        current = _cache.get(key) or _load(path).get(name, Learned())
        updated = current.model_copy(update=facts)
        if updated == current and key in _cache:
            return updated.model_copy(deep=True)
        _cache[key] = updated
        stored = _load(path)
        stored[name] = updated
        _save(path, stored)
        return updated.model_copy(deep=True)


def _name(settings: Settings) -> str:
    return f"{endpoint_key(settings)}|{settings.model}"


def _path(settings: Settings) -> Path:
    return settings.data_dir / FILE_NAME


def _load(path: Path) -> dict[str, Learned]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    out = {}
    for key, value in raw.items() if isinstance(raw, dict) else []:
        try:
            out[key] = Learned.model_validate(value)
        except ValidationError:
            continue  # a file from another version: relearn that endpoint
    return out


def _save(path: Path, stored: dict[str, Learned]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: v.model_dump() for k, v in stored.items()}, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a read-only data dir: what was learned still holds for this process
