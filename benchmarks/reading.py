"""The sentence-act classifier on its held-out split: accuracy per act (precision, recall, F1).

The held-out split (``agents/reading/corpus/heldout.jsonl``) is never trained on; the shipped
weights are measured as they are. Retrain with ``python -m agents.reading.train_acts``.
"""

from __future__ import annotations

from benchmarks.common import Result

TARGET_ACCURACY = 0.9


def run() -> list[Result]:
    from agents.reading.train_acts import heldout_report

    report = heldout_report()
    per_act = ", ".join(f"{a} {m['f1']:.2f}" for a, m in report["acts"].items())
    return [
        Result(
            key="acts_heldout",
            title="sentence acts, held-out accuracy",
            summary=f"{report['accuracy']:.1%} of {report['n']} sentences",
            target=f">= {TARGET_ACCURACY:.0%}",
            met=report["accuracy"] >= TARGET_ACCURACY,
            metrics={"accuracy": report["accuracy"], "acts": report["acts"]},
            notes=[f"F1 per act: {per_act}", f"{len(report['confused'])} confused, e.g. {report['confused'][:2]}"],
        )
    ]
