"""Roundtable benchmarks: speed is measured here (``python -m benchmarks``), never asserted in tests.

* ``offline_turns``   - one offline ``send()`` including the SQLite checkpoint write (p50/p90/max).
* ``offline_session`` - a whole 8-turn offline session with scoring (start + 8 sends + finish).
* ``fanout``          - LLM-engine stakeholder fan-out, parallel vs sequential, with a fixed-latency fake model.
"""
