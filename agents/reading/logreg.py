"""The small multinomial logistic regression both learned readers use (acts and stance).

numpy only: full-batch Adam with balanced class weights and L2. Weights ship as ``.npz`` beside the
code that loads them (``weights``, ``bias``, ``mean``, ``scale``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

Model = dict[str, np.ndarray]


def probabilities(x: np.ndarray, weights, bias, mean, scale) -> np.ndarray:
    """Softmax class probabilities for feature rows ``x``."""
    logits = ((x - mean) / scale) @ weights + bias
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


def predict(model: Model, x: np.ndarray) -> np.ndarray:
    return probabilities(x, model["weights"], model["bias"], model["mean"], model["scale"])


def fit(x: np.ndarray, y: np.ndarray, classes: int, *, l2: float, steps: int = 600, lr: float = 0.05) -> Model:
    """Weights for ``classes`` classes from feature rows ``x`` and class indices ``y``."""
    mean = x.mean(axis=0)
    scale = x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    n, d = z.shape
    counts = np.bincount(y, minlength=classes).astype(np.float64)
    sample_w = (n / (classes * np.maximum(counts, 1)))[y]
    onehot = np.eye(classes)[y]
    w, b = np.zeros((d, classes)), np.zeros(classes)
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    beta1, beta2 = 0.9, 0.999
    for step in range(1, steps + 1):
        p = probabilities(x, w, b, mean, scale)
        err = (p - onehot) * sample_w[:, None] / sample_w.sum()
        grads = [z.T @ err + l2 * w, err.sum(axis=0)]
        for i, (param, g) in enumerate(zip((w, b), grads, strict=True)):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            param -= lr * (m[i] / (1 - beta1**step)) / (np.sqrt(v[i] / (1 - beta2**step)) + 1e-8)
    return {"weights": w.astype(np.float32), "bias": b.astype(np.float32), "mean": mean, "scale": scale}


def load(path: Path) -> Model:
    data = np.load(path)
    return {k: data[k] for k in ("weights", "bias", "mean", "scale")}
