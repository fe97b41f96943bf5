"""The facilitator's passcode: set by whoever runs the server, checked with a rate limit and a lockout.

The passcode comes from the environment setting ``ROUNDTABLE_FACILITATOR_PASSCODE``, or is stored
salted and hashed (scrypt) in ``<data dir>/facilitator_passcode.json`` by ``roundtable passcode set``
or by ``roundtable web``, which generates one and prints it once when none is set. A visitor of
the web app can never choose it.

Wrong guesses are counted in ``<data dir>/facilitator_guard.json`` (under an ``flock``, so every
process and every reload of one data dir shares the count): ``FREE_TRIES`` free, then each
further wrong guess locks checking for 2, 4, 8 … seconds (at most ``MAX_LOCKOUT_S``). While
locked, nothing is checked, not even the right passcode. A right guess clears the count.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pydantic import BaseModel

from agents.settings import Settings

PASSCODE_MIN = 8
FREE_TRIES = 5
MAX_LOCKOUT_S = 3600
# scrypt at n=2^14, r=8: 16 MB and ~0.1 s per check (measured on a busy 2-core box): cheap once, slow to guess
SCRYPT_PARAMS = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
# No 0/O, 1/I/L: a generated passcode is read off a terminal and typed right the first time.
GENERATED_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
GENERATED_GROUPS = 4  # 4 groups of 5 from 31 characters: about 99 bits


class PasscodeError(ValueError):
    """A passcode that cannot be set; the message says why."""


class Attempt(BaseModel):
    """The outcome of one try at the passcode."""

    ok: bool
    locked_until: float | None = None  # epoch seconds: no try is checked before then

    def retry_message(self, now: float) -> str:
        """'Wrong passcode.', or when to try again after too many wrong ones."""
        if self.locked_until is None or self.locked_until <= now:
            return "Wrong passcode."
        wait = max(1, round(self.locked_until - now))
        at = datetime.fromtimestamp(self.locked_until, UTC)
        return f"Too many wrong passcodes. Try again in {wait} s (after {at:%H:%M:%S} UTC)."


def generate_passcode() -> str:
    """A random passcode that reads well aloud: ``k7m2q-x9d4p-…``."""
    groups = ("".join(secrets.choice(GENERATED_ALPHABET) for _ in range(5)) for _ in range(GENERATED_GROUPS))
    return "-".join(groups)


class FacilitatorPasscode:
    """The dashboard's passcode for one data dir. ``clock`` is for tests (epoch seconds)."""

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time):
        self.settings = settings
        self.clock = clock
        self.path = settings.data_dir / "facilitator_passcode.json"
        self.guard_path = settings.data_dir / "facilitator_guard.json"

    @property
    def from_environment(self) -> bool:
        return bool(self.settings.facilitator_passcode and self.settings.facilitator_passcode.get_secret_value())

    @property
    def configured(self) -> bool:
        return self.from_environment or self.path.exists()

    def set(self, passcode: str) -> None:
        """Store a new passcode (replacing a stored one) and clear the wrong-guess count.

        For whoever runs the server (``roundtable passcode set``); the web app never calls it.
        """
        if self.from_environment:
            raise PasscodeError(
                "ROUNDTABLE_FACILITATOR_PASSCODE is set, and it wins over a stored passcode; change or unset it."
            )
        self._check_strength(passcode)
        self._write(passcode, exclusive=False)
        with self._guard() as state:
            state.clear()

    def ensure(self) -> str | None:
        """Generate and store a passcode if none is configured; returns it (to print once), else None."""
        if self.configured:
            return None
        passcode = generate_passcode()
        try:
            self._write(passcode, exclusive=True)
        except FileExistsError:  # another server starting on this data dir was first
            return None
        return passcode

    def attempt(self, passcode: str) -> Attempt:
        """Check a guess, counting wrong ones; refused unchecked while a lockout runs."""
        with self._guard() as state:
            now = self.clock()
            locked_until = state.get("locked_until")
            if locked_until is not None and locked_until > now:
                return Attempt(ok=False, locked_until=locked_until)
            if self.verify(passcode):
                state.clear()
                return Attempt(ok=True)
            failures = int(state.get("failures", 0)) + 1
            state["failures"] = failures
            if failures > FREE_TRIES:
                state["locked_until"] = now + min(2 ** (failures - FREE_TRIES), MAX_LOCKOUT_S)
            return Attempt(ok=False, locked_until=state.get("locked_until"))

    def verify(self, passcode: str) -> bool:
        """Whether ``passcode`` is right, without the rate limit (use ``attempt`` for guesses)."""
        given = (passcode or "").encode("utf-8")
        if self.from_environment:
            expected = self.settings.facilitator_passcode.get_secret_value().encode("utf-8")
            # hash both sides so the comparison takes the same time whatever the lengths
            return hmac.compare_digest(hashlib.sha256(given).digest(), hashlib.sha256(expected).digest())
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
            salt, expected = bytes.fromhex(record["salt"]), bytes.fromhex(record["hash"])
            params = {k: int(record[k]) for k in ("n", "r", "p", "dklen")}
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return hmac.compare_digest(_hash(passcode or "", salt, params), expected)

    def _check_strength(self, passcode: str) -> None:
        if len(passcode or "") < PASSCODE_MIN:
            raise PasscodeError(f"Use at least {PASSCODE_MIN} characters.")

    def _write(self, passcode: str, *, exclusive: bool) -> None:
        salt = secrets.token_bytes(16)
        record = {"algorithm": "scrypt", **SCRYPT_PARAMS, "salt": salt.hex(), "hash": _hash(passcode, salt).hex()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if exclusive:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(record, f)
            return
        partial = self.path.with_suffix(f".{secrets.token_hex(4)}.tmp")  # replaced whole, never half-written
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(partial, self.path)

    @contextmanager
    def _guard(self) -> Iterator[dict]:
        """The wrong-guess state, read and written back under an exclusive lock on its file."""
        self.guard_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.guard_path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                state = json.loads(f.read() or "{}")
                state = state if isinstance(state, dict) else {}
            except ValueError:
                state = {}
            yield state
            f.seek(0)
            f.truncate()
            json.dump(state, f)
            f.flush()


def _hash(passcode: str, salt: bytes, params: dict | None = None) -> bytes:
    return hashlib.scrypt(passcode.encode("utf-8"), salt=salt, **(params or SCRYPT_PARAMS))
