"""One turn at a time per session: the lock ``Meetings`` holds while it sends, retries or wraps up.

Two sends that resume the same waiting checkpoint would both succeed and one turn would end up
on a side branch, so every call that advances a session holds that session's lock. The lock
must hold across the threads of one server and across server processes, so the default
(``FileSessionLocks``) pairs a ``threading.Lock`` with ``fcntl.flock`` on a small file under the
data dir; an in-memory checkpointer gets ``ThreadSessionLocks``. Another backend (e.g. a PostgreSQL advisory lock) only needs ``SessionLocks.hold``.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

POLL_S = 0.02  # how often a waiting caller tries the file lock again


class SessionBusy(RuntimeError):
    """Another caller is advancing this session right now."""


class SessionLocks(Protocol):
    def hold(self, session_id: str, *, wait_s: float = 0.0) -> AbstractContextManager[None]:
        """Hold ``session_id``'s lock for a ``with`` block; raise ``SessionBusy`` if not free within ``wait_s``."""


class ThreadSessionLocks:
    """Per-session locks within one process: enough for an in-memory checkpointer, which no other
    process can see anyway."""

    def __init__(self):
        self._guard = threading.Lock()
        self._threads: dict[str, threading.Lock] = {}

    @contextmanager
    def hold(self, session_id: str, *, wait_s: float = 0.0) -> Iterator[None]:
        lock = self._thread_lock(session_id)
        if not lock.acquire(blocking=wait_s > 0, timeout=wait_s if wait_s > 0 else -1):
            raise SessionBusy(session_id)
        try:
            yield
        finally:
            lock.release()

    def _thread_lock(self, session_id: str) -> threading.Lock:
        with self._guard:
            return self._threads.setdefault(session_id, threading.Lock())


class FileSessionLocks(ThreadSessionLocks):
    """Per-session locks for every process on one data dir: the thread lock, then an exclusive ``flock``.

    Lock files are named by a hash of the session id (ids come from URLs), one empty file per
    session ever advanced; they are never deleted, since unlinking a locked file races with the
    next opener.
    """

    def __init__(self, directory: Path):
        super().__init__()
        self.directory = directory

    @contextmanager
    def hold(self, session_id: str, *, wait_s: float = 0.0) -> Iterator[None]:
        deadline = time.monotonic() + wait_s
        with super().hold(session_id, wait_s=wait_s):
            fd = self._open(session_id)
            try:
                self._flock(fd, session_id, deadline)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _open(self, session_id: str) -> int:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:32]
        return os.open(self.directory / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def _flock(self, fd: int, session_id: str, deadline: float) -> None:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SessionBusy(session_id) from None
                time.sleep(POLL_S)
