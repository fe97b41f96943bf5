"""Train the sentence-act classifier and measure it on the held-out split.

    python -m agents.reading.train_acts                     # train on corpus/train.jsonl, write acts_model.npz
    python -m agents.reading.train_acts --add NEW.jsonl     # first file new labelled sentences, then train

The split is by a stable hash of each sentence (a fifth held out), so a sentence always lands on the
same side and adding sentences never moves the old ones. Training is a multinomial logistic regression with balanced class
weights and L2 (numpy, full batch, Adam); it takes a few seconds after the embeddings.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path

import numpy as np

from agents.reading import logreg
from agents.reading.acts import ACTS, MODEL_PATH, features

CORPUS = Path(__file__).parent / "corpus"
HELDOUT_SHARE = 5  # one sentence in five
L2 = (
    3e-2  # chosen by 5-fold cross-validation on the training split (3e-3: 0.898, 1e-2: 0.903, 3e-2: 0.907, 1e-1: 0.898)
)
STEPS = 600


def load(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    bad = [r for r in rows if r.get("act") not in ACTS or not r.get("text")]
    if bad:
        raise ValueError(f"{path}: {len(bad)} rows with an unknown act or no text, e.g. {bad[0]}")
    return rows


def add(paths: list[Path]) -> None:
    """File new labelled sentences into train.jsonl or heldout.jsonl by the stable hash (duplicates of
    sentences already in either split are dropped)."""
    splits = {name: load(CORPUS / f"{name}.jsonl") for name in ("train", "heldout")}
    seen = {r["text"].strip().lower() for rows in splits.values() for r in rows}
    added = {"train": 0, "heldout": 0}
    for path in paths:
        for row in load(path):
            key = row["text"].strip().lower()
            if key in seen:
                continue
            seen.add(key)
            name = "heldout" if zlib.crc32(key.encode()) % HELDOUT_SHARE == 0 else "train"
            splits[name].append({"text": row["text"].strip(), "act": row["act"], "domain": row.get("domain", "")})
            added[name] += 1
    for name, rows in splits.items():
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        (CORPUS / f"{name}.jsonl").write_text(text, encoding="utf-8")
    print(f"added {added['train']} sentences to train and {added['heldout']} to held out")


def report(rows: list[dict], model: dict[str, np.ndarray]) -> dict:
    """Accuracy, and precision / recall / F1 per act, of ``model`` on ``rows``; the confused examples."""
    x = features([r["text"] for r in rows])
    pred = logreg.predict(model, x).argmax(axis=1)
    gold = np.array([ACTS.index(r["act"]) for r in rows])
    per_act = {}
    for i, act in enumerate(ACTS):
        tp = int(((pred == i) & (gold == i)).sum())
        precision = tp / max(1, int((pred == i).sum()))
        recall = tp / max(1, int((gold == i).sum()))
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_act[act] = {"n": int((gold == i).sum()), "precision": precision, "recall": recall, "f1": f1}
    confused = [
        {"text": r["text"], "gold": r["act"], "predicted": ACTS[p]}
        for r, p, g in zip(rows, pred, gold, strict=True)
        if p != g
    ]
    return {"n": len(rows), "accuracy": float((pred == gold).mean()), "acts": per_act, "confused": confused}


def heldout_report() -> dict:
    """The shipped weights measured on the committed held-out split."""
    return report(load(CORPUS / "heldout.jsonl"), logreg.load(MODEL_PATH))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--add", nargs="+", type=Path, default=[], help="new labelled sentences (.jsonl) to file first")
    args = parser.parse_args()
    if args.add:
        add(args.add)
    train = load(CORPUS / "train.jsonl")
    x = features([r["text"] for r in train])
    y = np.array([ACTS.index(r["act"]) for r in train])
    model = logreg.fit(x, y, len(ACTS), l2=L2, steps=STEPS)
    np.savez_compressed(MODEL_PATH, **model)
    train_acc = report(train, model)["accuracy"]
    held = report(load(CORPUS / "heldout.jsonl"), model)
    print(f"trained on {len(train)} sentences (accuracy {train_acc:.3f}); held out {held['n']}: {held['accuracy']:.3f}")
    for act, m in held["acts"].items():
        print(f"  {act:12} n={m['n']:4}  precision {m['precision']:.2f}  recall {m['recall']:.2f}  f1 {m['f1']:.2f}")


if __name__ == "__main__":
    main()
