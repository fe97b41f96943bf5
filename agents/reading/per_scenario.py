"""One cache for what is built once per scenario (its topic, stance and scoring indexes)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from scenarios import Scenario

T = TypeVar("T")


def per_scenario(build: Callable[[Scenario], T]) -> Callable[[Scenario], T]:
    """``build(scenario)`` computed once per scenario object.

    Scenarios are immutable and loaded once, so the object's identity is the key; the cache holds the
    object too, so an id freed and reused by a newly loaded scenario never returns the old index.
    """
    cache: dict[int, tuple[Scenario, T]] = {}

    @functools.wraps(build)
    def get(scenario: Scenario) -> T:
        hit = cache.get(id(scenario))
        if hit is None or hit[0] is not scenario:
            hit = cache[id(scenario)] = (scenario, build(scenario))
        return hit[1]

    return get
