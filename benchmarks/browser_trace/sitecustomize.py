"""Server-side timing marks for ``benchmarks/browser_turn.py``'s explained pass (never loaded otherwise).

The benchmark puts this folder on ``PYTHONPATH`` and names a file in ``ROUNDTABLE_TRACE`` for the app
it starts, so Python imports this module at start-up in the app's processes. It wraps, as they are
imported, ``Meetings.send`` and Streamlit's script runner (run start/end), and listens to the
garbage collector's full collections, appending one JSON line per mark with the wall-clock time
(the browser's ``performance.timeOrigin + now()`` is on the same clock). Nothing in the app changes;
if Streamlit's internals move, marks are missing and the benchmark says so.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.abc
import importlib.machinery
import json
import os
import sys
import threading
import time

_PATH = os.environ.get("ROUNDTABLE_TRACE")
_LOCK = threading.Lock()


def mark(what: str) -> None:
    line = json.dumps({"t": time.time(), "what": what, "thread": threading.current_thread().name})
    with _LOCK, open(_PATH, "a", encoding="utf-8") as out:
        out.write(line + "\n")


def _wrap(owner, name: str, label: str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        return

    def wrapped(*args, **kwargs):
        mark(f"{label}:start")
        try:
            return original(*args, **kwargs)
        finally:
            mark(f"{label}:end")

    setattr(owner, name, wrapped)


def _patch_session(module) -> None:
    _wrap(module.Meetings, "send", "send")


def _patch_runner(module) -> None:
    _wrap(module.ScriptRunner, "_run_script", "run")


def _on_gc(phase: str, info: dict) -> None:
    if info.get("generation") == 2:
        mark(f"gc2:{phase}")


_PATCHES = {"graphs.session": _patch_session, "streamlit.runtime.scriptrunner.script_runner": _patch_runner}


class _Finder(importlib.abc.MetaPathFinder):
    """Patches a module right after it is first executed."""

    def find_spec(self, name, path, target=None):
        if name not in _PATCHES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            with contextlib.suppress(AttributeError):  # internals moved: no marks for this part
                _PATCHES[name](module)

        spec.loader.exec_module = exec_module
        return spec


if _PATH:
    sys.meta_path.insert(0, _Finder())
    gc.callbacks.append(_on_gc)
