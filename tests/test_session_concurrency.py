"""Two sends to one session at once: the second fails loudly with ``TurnInProgress``, no turn vanishes.

Real SQLite checkpoints under a real data dir, as the app runs. The first send is held mid-turn
(its progress callback waits) while a second one arrives from another thread, or from another
process on the same data dir; then many threads race without any coordination. Whatever happens,
every send that returned is in the meeting's one line, and nothing went to a side branch.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from graphs import Meetings
from graphs.session import BUSY_MESSAGE, MeetingError, TurnInProgress
from graphs.session_lock import FileSessionLocks, SessionBusy

ROOT = Path(__file__).resolve().parents[1]
FIRST = "Marco, who are the people using this day to day, and what do they need from chat?"
SECOND = "Dana, what deadline are we working against?"
WAIT_S = 60


def person_turns(meetings: Meetings, session_id: str) -> list[str]:
    return [t.text for t in meetings.view(session_id).transcript if t.role == "person"]


class HeldSend(threading.Thread):
    """A send that stops inside its turn (lock held, replies being written) until released."""

    def __init__(self, meetings: Meetings, session_id: str, text: str):
        super().__init__(daemon=True)
        self.meetings, self.session_id, self.text = meetings, session_id, text
        self.inside, self.release = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def _on_event(self, _event) -> None:
        self.inside.set()
        self.release.wait(WAIT_S)

    def run(self) -> None:
        try:
            self.meetings.send(self.session_id, self.text, on_event=self._on_event)
        except BaseException as exc:  # handed to the test thread
            self.error = exc


def test_a_second_send_while_a_turn_is_answered_fails_loudly_and_the_first_turn_stays(meetings):
    sid = meetings.start("chat-system").session_id
    first = HeldSend(meetings, sid, FIRST)
    first.start()
    assert first.inside.wait(WAIT_S)

    with pytest.raises(TurnInProgress) as caught:
        meetings.send(sid, SECOND)
    assert str(caught.value) == BUSY_MESSAGE and isinstance(caught.value, MeetingError)
    with pytest.raises(TurnInProgress):
        meetings.retry(sid)  # another tab picking up "pending" replies must not answer them twice
    with pytest.raises(TurnInProgress):
        meetings.finish(sid)

    first.release.set()
    first.join(WAIT_S)
    assert first.error is None
    assert person_turns(meetings, sid) == [FIRST]

    meetings.send(sid, SECOND)  # once the replies are in, the same turn goes through
    assert person_turns(meetings, sid) == [FIRST, SECOND]
    assert len(meetings.branches(sid)) == 1


def test_sends_racing_from_many_threads_each_land_on_the_one_line_or_fail_loudly(meetings):
    sid = meetings.start("chat-system", round_limit=30).session_id
    texts = [f"Question {i}: what should we know about load, deadlines and the team?" for i in range(6)]
    barrier = threading.Barrier(len(texts))
    landed, refused, other = [], [], []

    def send(text: str) -> None:
        barrier.wait()
        try:
            meetings.send(sid, text)
            landed.append(text)
        except TurnInProgress:
            refused.append(text)
        except BaseException as exc:
            other.append(exc)

    threads = [threading.Thread(target=send, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT_S)
    assert not other
    assert landed and len(landed) + len(refused) == len(texts)
    assert sorted(person_turns(meetings, sid)) == sorted(landed)  # every success is there, nothing else
    assert len(meetings.branches(sid)) == 1


CHILD = textwrap.dedent(
    """
    import sys
    from agents.settings import Settings
    from graphs import Meetings

    data_dir, session_id, text = sys.argv[1:4]
    meetings = Meetings(Settings(engine="offline", data_dir=data_dir))
    held = []

    def on_event(event):
        if not held:
            held.append(1)
            print("inside", flush=True)
            sys.stdin.readline()  # wait for the parent to say go

    meetings.send(session_id, text, on_event=on_event)
    print("sent", flush=True)
    """
)


@pytest.mark.slow
def test_a_send_from_another_process_holds_the_session_until_its_turn_is_answered(meetings, tmp_path):
    sid = meetings.start("chat-system").session_id
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(meetings.settings.data_dir), sid, FIRST],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "inside"
        with pytest.raises(TurnInProgress):
            meetings.send(sid, SECOND)
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "sent"
        assert child.wait(WAIT_S) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    meetings.send(sid, SECOND)
    assert person_turns(meetings, sid) == [FIRST, SECOND]
    assert len(meetings.branches(sid)) == 1


def test_file_locks_exclude_each_other_and_free_on_exit(tmp_path):
    a, b = FileSessionLocks(tmp_path / "locks"), FileSessionLocks(tmp_path / "locks")  # two servers' views
    with a.hold("s1"):
        with pytest.raises(SessionBusy):
            b.hold("s1").__enter__()
        with b.hold("s2"):  # other sessions are not held up
            pass
    with b.hold("s1", wait_s=1):
        pass
    assert all(len(p.stem) == 32 for p in (tmp_path / "locks").iterdir())  # named by a hash, not the id
