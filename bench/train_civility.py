"""Train the civility model on COLD's train split and write it into the package.

    .venv/bin/python bench/train_civility.py            # writes src/weiquan/data/civility/…json
    .venv/bin/python bench/train_civility.py --dry-run  # prints figures only

Logistic regression over distinct character 1–3-grams of the normalised text, each document
scaled by 1/sqrt(its n-gram count), L2-regularised, full-batch Adam in numpy. The L2 strength
and the number of kept weights are chosen on a fixed tenth of *train* (by hash of the row id),
then the model is refitted on all of train. COLD's dev split is never looked at here: it is what
``bench/eval_civility.py`` reports on. Deterministic: the same data gives the same file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from text_bench_common import REPO_ROOT, read_csv, require_file, score_labels

from weiquan.adapters.text.civility import MODEL_FORMAT, NgramModel, char_ngrams
from weiquan.adapters.text.normaliser import content_key

ORDERS = (1, 2, 3)
MIN_DOCUMENT_FREQUENCY = 2
EPOCHS = 400
LEARNING_RATE = 0.05
L2_GRID = (1e-6, 3e-6, 1e-5, 3e-5)
KEEP_GRID = (5_000, 10_000, 20_000, 40_000)
MODEL_PATH = REPO_ROOT / "src/weiquan/data/civility/model_cold_char_ngram_lr.json"


@dataclass
class Matrix:
    """A sparse document × n-gram matrix as coordinate arrays (numpy has no sparse type)."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n_rows: int
    n_cols: int

    def dot(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(
            self.rows, weights=self.values * weights[self.cols], minlength=self.n_rows
        )

    def transpose_dot(self, per_row: np.ndarray) -> np.ndarray:
        return np.bincount(
            self.cols, weights=self.values * per_row[self.rows], minlength=self.n_cols
        )


def load_cold_train() -> tuple[list[set[str]], np.ndarray, np.ndarray]:
    path = require_file("cold_offensive/cold_train.csv")
    grams, labels, is_validation = [], [], []
    for row in read_csv(path):
        grams.append(char_ngrams(content_key(row["TEXT"]), ORDERS))
        labels.append(int(row["label"]))
        digest = hashlib.sha256(f"civility-val|{row['orig_id']}|{row['topic']}".encode())
        is_validation.append(int(digest.hexdigest()[:8], 16) % 10 == 0)
    return grams, np.array(labels, dtype=np.float64), np.array(is_validation)


def build_vocabulary(documents: list[set[str]]) -> dict[str, int]:
    frequency = Counter(gram for grams in documents for gram in grams)
    kept = sorted(gram for gram, count in frequency.items() if count >= MIN_DOCUMENT_FREQUENCY)
    return {gram: index for index, gram in enumerate(kept)}


def build_matrix(documents: list[set[str]], vocabulary: dict[str, int]) -> Matrix:
    rows, cols, values = [], [], []
    for row, grams in enumerate(documents):
        # Scaled by all distinct n-grams, known or not, so the scorer needs no vocabulary.
        scale = 1.0 / np.sqrt(len(grams)) if grams else 0.0
        for gram in grams:
            col = vocabulary.get(gram)
            if col is not None:
                rows.append(row)
                cols.append(col)
                values.append(scale)
    return Matrix(
        np.array(rows, dtype=np.int64),
        np.array(cols, dtype=np.int64),
        np.array(values),
        len(documents),
        len(vocabulary),
    )


def fit(matrix: Matrix, labels: np.ndarray, *, l2: float) -> tuple[np.ndarray, float]:
    """Mean log-loss plus l2/2·|w|², minimised by full-batch Adam from zero."""
    weights = np.zeros(matrix.n_cols)
    bias = 0.0
    m_w, v_w = np.zeros_like(weights), np.zeros_like(weights)
    m_b = v_b = 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, EPOCHS + 1):
        probability = 1.0 / (1.0 + np.exp(-(matrix.dot(weights) + bias)))
        error = (probability - labels) / matrix.n_rows
        grad_w = matrix.transpose_dot(error) + l2 * weights
        grad_b = float(error.sum())
        m_w = beta1 * m_w + (1 - beta1) * grad_w
        v_w = beta2 * v_w + (1 - beta2) * grad_w**2
        m_b = beta1 * m_b + (1 - beta1) * grad_b
        v_b = beta2 * v_b + (1 - beta2) * grad_b**2
        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        weights -= LEARNING_RATE * (m_w / correction1) / (np.sqrt(v_w / correction2) + eps)
        bias -= LEARNING_RATE * (m_b / correction1) / (np.sqrt(v_b / correction2) + eps)
    return weights, bias


def prune(weights: np.ndarray, keep: int) -> np.ndarray:
    if keep >= len(weights):
        return weights
    cutoff = np.partition(np.abs(weights), len(weights) - keep)[len(weights) - keep]
    return np.where(np.abs(weights) >= cutoff, weights, 0.0)


def f1_on(matrix: Matrix, labels: np.ndarray, weights: np.ndarray, bias: float) -> float:
    predicted = (matrix.dot(weights) + bias) >= 0.0
    return score_labels(list(predicted), list(labels.astype(bool))).f1


def choose_settings(documents: list[set[str]], labels: np.ndarray, is_validation: np.ndarray):
    train_docs = [d for d, v in zip(documents, is_validation, strict=True) if not v]
    val_docs = [d for d, v in zip(documents, is_validation, strict=True) if v]
    vocabulary = build_vocabulary(train_docs)
    train_matrix = build_matrix(train_docs, vocabulary)
    val_matrix = build_matrix(val_docs, vocabulary)
    train_labels, val_labels = labels[~is_validation], labels[is_validation]
    results: list[tuple[float, float, int]] = []
    for l2 in L2_GRID:
        weights, bias = fit(train_matrix, train_labels, l2=l2)
        for keep in (*KEEP_GRID, len(weights)):
            f1 = f1_on(val_matrix, val_labels, prune(weights, keep), bias)
            print(f"  l2 {l2:.0e}  keep {keep:>6}  validation F1 {f1:.4f}")
            results.append((f1, l2, keep))
    # The smallest model within half a point of the best one, then the best F1 among those.
    top = max(f1 for f1, _, _ in results)
    near_top = [r for r in results if r[0] >= top - 0.005]
    return min(near_top, key=lambda r: (r[2], -r[0]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print figures, write nothing")
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args()

    started = time.perf_counter()
    documents, labels, is_validation = load_cold_train()
    print(f"COLD train: {len(documents)} rows, {int(is_validation.sum())} held for validation")
    best_f1, l2, keep = choose_settings(documents, labels, is_validation)
    print(f"chosen: l2 {l2:.0e}, keep {keep} weights (validation F1 {best_f1:.4f})")

    vocabulary = build_vocabulary(documents)
    weights, bias = fit(build_matrix(documents, vocabulary), labels, l2=l2)
    weights = prune(weights, keep)
    grams = sorted(vocabulary, key=vocabulary.__getitem__)
    table = {g: round(float(w), 5) for g, w in zip(grams, weights, strict=True) if w != 0.0}
    document = {
        "format": MODEL_FORMAT,
        "orders": list(ORDERS),
        "bias": round(bias, 6),
        "training": {
            "data": "COLD train split (thu-coai/COLDataset a0c55a9, Apache-2.0), 25,726 rows",
            "features": "distinct char 1-3-grams of the normalised text, scaled 1/sqrt(count)",
            "min_document_frequency": MIN_DOCUMENT_FREQUENCY,
            "l2": l2,
            "epochs": EPOCHS,
            "kept_weights": len(table),
            "validation_f1": round(best_f1, 4),
            "script": "bench/train_civility.py",
        },
        "weights": dict(sorted(table.items())),
    }
    NgramModel.from_json(document)  # the file must load with the scorer that ships
    print(f"trained in {time.perf_counter() - started:.0f} s; {len(table)} non-zero weights")
    if not args.dry_run:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        args.output.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {args.output} ({args.output.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
