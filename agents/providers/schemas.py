"""Per-call JSON schemas, and how each structured-output method asks for one.

Every schema is sent in OpenAI's strict dialect (refs inlined, every property required,
``additionalProperties: false``, no defaults): OpenAI and Azure demand it for ``json_schema``,
and grammar-constrained local servers (llama.cpp, vLLM, Ollama, LM Studio) read it as well.
Ids are enums and arrays carry ``maxItems``, so a constrained model cannot loop inside them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from pydantic import BaseModel

from agents.settings import StructuredOutputMethod

_DROP = ("default", "title")


def strict_schema(schema: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``schema`` in OpenAI's strict dialect."""
    raw = schema.model_json_schema()
    defs = raw.pop("$defs", {})
    return _strict(raw, defs)


def _strict(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_strict(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]])
        return _strict({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP:
            continue
        if key == "properties":  # a mapping of field names, not a schema: keep every name
            out[key] = {name: _strict(sub, defs) for name, sub in value.items()}
        else:
            out[key] = _strict(value, defs)
    if "const" in out:  # pydantic's one-value Literal; every server reads enums, not all read const
        out["enum"] = [out.pop("const")]
    if out.get("type") == "object" or "properties" in out:
        out["properties"] = out.get("properties", {})
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out


def response_format(method: StructuredOutputMethod, name: str, schema: dict[str, Any], *, schema_hint: bool) -> dict:
    """The ``response_format`` body field for the JSON methods.

    ``schema_hint``: llama-cpp-python's server reads a ``schema`` beside ``json_object`` and
    constrains the reply with it; other servers get plain ``json_object`` (OpenAI rejects extras).
    """
    if method == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": name, "strict": True, "schema": schema}}
    fmt: dict[str, Any] = {"type": "json_object"}
    if schema_hint:
        fmt["schema"] = schema
    return fmt


def tool(name: str, description: str, schema: dict[str, Any]) -> dict:
    """The one function a ``function_calling`` request offers (and forces with ``tool_choice``)."""
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


def json_instructions(schema: dict[str, Any]) -> str:
    """Appended to the system prompt for ``json_mode``: the reply's fields, and the word JSON
    (OpenAI refuses ``json_object`` when no message names it)."""
    return "\n\nAnswer with one JSON object only, no other text, that matches this JSON schema:\n" + json.dumps(
        schema, separators=(",", ":")
    )
