"""One overall deadline per model reply, for every request made within it, streaming or not.

An HTTP client's timeouts bound each read, not the whole reply: a server that keeps the
connection alive and trickles a byte now and then (or SSE keep-alive comments) is never cut off.
Two layers make the deadline hold:

- ``until(produce, seconds)`` runs the call in a worker thread and hands its results (a reply,
  or stream chunks) to the caller, which stops waiting exactly at the deadline;
- the HTTP client from ``http_client()`` caps every connect and read at the time left and stops
  a response body, streamed or whole, once the deadline has passed, so the abandoned worker ends
  soon after instead of holding a connection to a server that never finishes.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar, copy_context
from typing import TypeVar

import httpx

T = TypeVar("T")

_deadline: ContextVar[float | None] = ContextVar("roundtable_model_deadline", default=None)


class DeadlinePassed(TimeoutError):
    """The reply did not complete before its deadline."""


def until(produce: Callable[[], Iterable[T]], end: float) -> Iterator[T]:
    """The items of ``produce()`` as they come, until the monotonic time ``end``.

    ``produce`` runs in a worker thread with the caller's context (and the deadline set for the
    HTTP client); its exceptions are raised here. Raises ``DeadlinePassed`` at ``end``.
    """
    inbox: queue.Queue = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        _deadline.set(end)
        items = None
        try:
            items = iter(produce())
            for item in items:
                if stop.is_set():
                    return
                inbox.put(("item", item))
            inbox.put(("end", None))
        except BaseException as exc:
            inbox.put(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a stream left early: its connection goes back now, not when collected

    context = copy_context()
    threading.Thread(target=context.run, args=(work,), daemon=True, name="model-call").start()
    try:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise DeadlinePassed
            try:
                kind, value = inbox.get(timeout=left)
            except queue.Empty:
                raise DeadlinePassed from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def http_client(timeout: float) -> httpx.Client:
    """An HTTP client for the model SDK that honours the deadline of the call it serves."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        event_hooks={"request": [_cap_timeouts], "response": [_bound_body]},
    )


def _cap_timeouts(request: httpx.Request) -> None:
    end = _deadline.get()
    if end is None:
        return
    left = end - time.monotonic()
    if left <= 0:
        raise httpx.ReadTimeout("the reply's deadline passed before the request was sent", request=request)
    current = request.extensions.get("timeout") or {}
    request.extensions["timeout"] = {
        k: min(left, current[k]) if current.get(k) is not None else left for k in ("connect", "read", "write", "pool")
    }
    request.extensions["roundtable_deadline"] = end


def _bound_body(response: httpx.Response) -> None:
    end = response.request.extensions.get("roundtable_deadline")
    if end is not None:
        response.stream = _DeadlineStream(response.stream, end, response.request)


class _DeadlineStream(httpx.SyncByteStream):
    def __init__(self, inner, end: float, request: httpx.Request):
        self._inner, self._end, self._request = inner, end, request

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._inner:
            if time.monotonic() > self._end:
                raise httpx.ReadTimeout("the reply's deadline passed while it was arriving", request=self._request)
            yield chunk

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()
