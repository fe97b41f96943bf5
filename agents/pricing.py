"""Estimated cost of a session's model calls, from token counts and a per-model price table."""

from __future__ import annotations

from functools import cache
from ipaddress import ip_address
from pathlib import Path
from urllib.parse import urlparse

import yaml

from agents.settings import Settings

PRICES_PATH = Path(__file__).with_name("pricing.yaml")


@cache
def price_table() -> dict[str, tuple[float, float]]:
    data = yaml.safe_load(PRICES_PATH.read_text(encoding="utf-8")) or {}
    return {str(model): (float(p[0]), float(p[1])) for model, p in data.items()}


def prices(settings: Settings) -> tuple[float, float] | None:
    """(input, output) USD per million tokens, or None when unknown."""
    if settings.price_input_per_mtok is not None or settings.price_output_per_mtok is not None:
        return settings.price_input_per_mtok or 0.0, settings.price_output_per_mtok or 0.0
    if _is_local(settings.openai_base_url):
        return 0.0, 0.0  # a model on this machine costs nothing per token
    table = price_table()
    if settings.model in table:
        return table[settings.model]
    # dated snapshots ("gpt-4o-mini-2024-07-18") cost what their family costs
    family = max((m for m in table if settings.model.startswith(m + "-")), key=len, default=None)
    return table[family] if family else None


def estimated_cost(settings: Settings, usage: dict[str, int]) -> float | None:
    """USD for ``usage`` (``input_tokens``/``output_tokens``), or None when the price is unknown."""
    price = prices(settings)
    if price is None:
        return None
    return round((usage.get("input_tokens", 0) * price[0] + usage.get("output_tokens", 0) * price[1]) / 1e6, 6)


def _is_local(base_url: str | None) -> bool:
    host = urlparse(base_url).hostname if base_url else None
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
