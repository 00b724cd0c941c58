"""Precision, recall, F1 and throughput of the civility check.

    .venv/bin/python bench/eval_civility.py

1. COLD dev split (6,431 rows, Apache-2.0): the plain LDNOOBW word-list baseline against the
   shipped lexicon, the shipped model and the shipped checker (lexicon + model). COLD labels
   offensive speech about race, gender and region, which is not exactly our target, so the
   figures say how well the model learned COLD, not how well it judges complaints.
2. The project's hand-written complaint statements (``bench/data/civility_complaints_zh.jsonl``,
   60 lines): small and written by the same people as the lexicon, so indicative only.
3. Domain shift: how often the checker flags real shopping and food-delivery reviews, which
   are unlabelled for civility (read from the shared data at run time if present).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable

from text_bench_common import (
    REPO_ROOT,
    machine_line,
    read_csv,
    require_file,
    score_labels,
    shared_data_dir,
)

from weiquan.adapters.text.civility import (
    CivilityChecker,
    default_checker,
    shipped_lexicon,
    shipped_model,
)
from weiquan.adapters.text.normaliser import content_key

HAND_WRITTEN = REPO_ROOT / "bench/data/civility_complaints_zh.jsonl"
SHIPPED = "shipped checker (lexicon+model)"
MODEL_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def plain_word_list_baseline() -> Callable[[str], bool]:
    """The baseline the checker must beat: any LDNOOBW zh term as a substring of the raw text."""
    path = require_file("ldnoobw_zh_profanity/zh.txt")
    terms = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line]
    return lambda text: any(term in text for term in terms)


def detectors() -> dict[str, Callable[[str], bool]]:
    checker = default_checker()
    lexicon_only = CivilityChecker(lexicon=shipped_lexicon(), model=None)
    model = shipped_model()
    return {
        "baseline: LDNOOBW substring": plain_word_list_baseline(),
        "shipped lexicon only": lambda t: lexicon_only.assess(t).flagged,
        "model only, as trained (p>=0.5)": lambda t: model.score(content_key(t)) >= 0.5,
        SHIPPED: lambda t: checker.assess(t).flagged,
    }


def evaluate_cold(found: dict[str, Callable[[str], bool]]) -> None:
    rows = list(read_csv(require_file("cold_offensive/cold_dev.csv")))
    texts = [row["TEXT"] for row in rows]
    actual = [row["label"] == "1" for row in rows]
    print(f"\nCOLD dev: {len(rows)} rows, {sum(actual)} offensive")
    flagged_by: dict[str, list[bool]] = {}
    for label, detect in found.items():
        flagged_by[label] = [detect(text) for text in texts]
        print(score_labels(flagged_by[label], actual).line(label))
    shipped = flagged_by[SHIPPED]
    for topic in sorted({row["topic"] for row in rows}):
        picks = [i for i, row in enumerate(rows) if row["topic"] == topic]
        scores = score_labels([shipped[i] for i in picks], [actual[i] for i in picks])
        print(scores.line(f"  shipped checker, topic {topic}"))


def evaluate_hand_written(found: dict[str, Callable[[str], bool]]) -> None:
    lines = [json.loads(line) for line in HAND_WRITTEN.read_text(encoding="utf-8").splitlines()]
    actual = [bool(line["abusive"]) for line in lines]
    print(f"\nhand-written complaint statements: {len(lines)} lines, {sum(actual)} abusive")
    for label, detect in found.items():
        print(score_labels([detect(line["text"]) for line in lines], actual).line(label))


def flag_rates_on_reviews() -> None:
    checker = default_checker()
    sources = {
        "online_shopping_10_cats": ("online_shopping_10_cats/online_shopping_10_cats.shared.csv"),
        "waimai_10k": "waimai_10k/waimai_10k.shared.csv",
    }
    print("\nflag rate on real reviews (unlabelled for civility; lower is better on civil text)")
    for name, relative in sources.items():
        path = shared_data_dir() / relative
        if not path.is_file():
            print(f"  {name}: skipped, {path} is not there")
            continue
        counts: Counter[str] = Counter()
        for row in read_csv(path):
            sentiment = "negative" if row["label"] == "0" else "positive"
            result = checker.assess(row["review"])
            counts[sentiment] += 1
            if result.flagged:
                counts[f"{sentiment} flagged"] += 1
                counts[f"{sentiment} by lexicon"] += result.lexicon_score >= checker.threshold
                counts[f"{sentiment} by model"] += result.model_score >= checker.threshold
        for sentiment in ("negative", "positive"):
            total = counts[sentiment]
            print(
                f"  {name} {sentiment}: {counts[f'{sentiment} flagged'] / total:.1%} of {total}"
                f" flagged (lexicon alone {counts[f'{sentiment} by lexicon'] / total:.1%},"
                f" model alone {counts[f'{sentiment} by model'] / total:.1%})"
            )


def model_threshold_tradeoff() -> None:
    """How the model's stand-alone threshold trades COLD recall for quiet on civil complaints."""
    dev = list(read_csv(require_file("cold_offensive/cold_dev.csv")))
    actual = [row["label"] == "1" for row in dev]
    reviews_path = shared_data_dir() / "online_shopping_10_cats/online_shopping_10_cats.shared.csv"
    negative = (
        [row["review"] for row in read_csv(reviews_path) if row["label"] == "0"]
        if reviews_path.is_file()
        else []
    )
    lexicon, model = shipped_lexicon(), shipped_model()
    print("\nmodel threshold trade-off (checker F1 on COLD dev, flag rate on negative reviews)")
    for model_threshold in MODEL_THRESHOLDS:
        checker = CivilityChecker(lexicon=lexicon, model=model, model_threshold=model_threshold)
        flagged = [checker.assess(row["TEXT"]).flagged for row in dev]
        rate = (
            f"{sum(checker.assess(text).flagged for text in negative) / len(negative):.1%}"
            if negative
            else "n/a"
        )
        f1 = score_labels(flagged, actual).f1
        print(f"  model threshold {model_threshold:.1f}: COLD F1 {f1:.3f}, negative reviews {rate}")


def throughput() -> None:
    default_checker.cache_clear()
    started = time.perf_counter()
    checker = default_checker()
    loaded = time.perf_counter() - started
    texts = [row["TEXT"] for row in read_csv(require_file("cold_offensive/cold_dev.csv"))]
    started = time.perf_counter()
    for text in texts:
        checker.assess(text)
    elapsed = time.perf_counter() - started
    mean_chars = sum(map(len, texts)) / len(texts)
    print(
        f"\nthroughput: {len(texts) / elapsed:,.0f} statements/s single-threaded "
        f"({elapsed / len(texts) * 1e6:.0f} µs each, mean {mean_chars:.0f} chars); "
        f"checker loads in {loaded * 1000:.0f} ms"
    )


def main() -> None:
    print(f"civility evaluation on {machine_line()}")
    found = detectors()
    evaluate_cold(found)
    evaluate_hand_written(found)
    flag_rates_on_reviews()
    model_threshold_tradeoff()
    throughput()


if __name__ == "__main__":
    main()
