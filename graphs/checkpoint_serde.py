"""Checkpoint values compressed with zlib: the same data in about a quarter of the bytes.

A SQLite checkpoint holds every channel's whole value, so each step of a turn stores the
transcript again (and the step that fans out stores it once more per stakeholder's task). Text
repeats itself well: zlib at level 6 takes the checkpoint data of a long meeting from ~110 KB per
turn to a quarter of that, for well under a millisecond per checkpoint. Values are tagged
``<type>+zlib`` (LangGraph's own convention for wrapped serializers, as in its encrypted one), so
checkpoints written before this serializer was used still load.
"""

from __future__ import annotations

import zlib
from typing import Any

from langgraph.checkpoint.serde.base import SerializerProtocol
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

SUFFIX = "+zlib"
MIN_BYTES = 512  # below this zlib's header and the CPU cost outweigh what it saves
LEVEL = 6


class CompressedSerializer(SerializerProtocol):
    """Wraps a serializer (LangGraph's JSON-plus by default) and zlib-compresses what it writes."""

    def __init__(self, serde: SerializerProtocol | None = None):
        self.serde = serde or JsonPlusSerializer()

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        kind, data = self.serde.dumps_typed(obj)
        if len(data) < MIN_BYTES:
            return kind, data
        return kind + SUFFIX, zlib.compress(data, LEVEL)

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        kind, blob = data
        if kind.endswith(SUFFIX):
            return self.serde.loads_typed((kind.removesuffix(SUFFIX), zlib.decompress(blob)))
        return self.serde.loads_typed(data)
