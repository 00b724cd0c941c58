"""Precision, recall, F1 and speed of near-duplicate detection on real review sets.

    .venv/bin/python bench/eval_dedup.py

online_shopping_10_cats (50,256 reviews). The set ships no duplicate labels, so ground truth is
defined here, on texts of at least ``MIN_CHARS`` letters/digits (shorter ones are stock
phrases such as 很好 or 不错, not copies):

* **near** — every pair whose *exact* Jaccard similarity of 3-character shingle sets (after the
  same normalisation the index uses) is at least the threshold, found exhaustively with
  prefix filtering. This is what MinHash LSH approximates, so it measures the approximation.
* **exact** — every pair with the same key under the data set's own README rule (NFKC,
  lower case, ``[\\s\\W_]+`` removed), which does not depend on our normaliser. Only recall is
  meaningful against it: a near-duplicate that is not an exact one is not a false positive.

jd_reviews_shuijun (13,479 JD reviews, 644 tagged 水军 -1): a review is predicted to be a
shill review when it falls in a near-duplicate group of at least ``m`` reviews. The labels are
noisy and most -1 rows are two-word stock praise, so this is a rough check of the copy-paste
signal, not of shill detection as a whole.
"""

from __future__ import annotations

import math
import re
import statistics
import time
import unicodedata
from collections import Counter, defaultdict

from text_bench_common import (
    Scores,
    machine_line,
    read_csv,
    require_file,
    score_labels,
    score_pairs,
)

from weiquan.adapters.text.near_duplicates import NearDuplicateIndex, group_pairs
from weiquan.adapters.text.normaliser import content_key
from weiquan.domain.text_signals import char_shingles, jaccard

MIN_CHARS = 10
# JD fills these in for buyers who wrote nothing; they are not anyone's text (see the README).
PLACEHOLDERS = ("此用户未填写评价内容", "您没有填写内容，默认好评")
THRESHOLD = 0.7
SETTINGS = (  # (num_perm, LSH weights for false positives and negatives) — the first ships
    (64, (0.3, 0.7)),
    (64, (0.1, 0.9)),
    (64, (0.5, 0.5)),
    (128, (0.3, 0.7)),
)
Pair = tuple[int, int]


def readme_key(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).lower().replace("\ufeff", "")
    return re.sub(r"[\s\W_]+", "", folded)


def exact_jaccard_pairs(shingles: dict[int, set[str]], threshold: float) -> set[Pair]:
    """All pairs with Jaccard ≥ threshold, exactly (AllPairs prefix filtering).

    With tokens ordered rarest first, two sets reaching the threshold must share a token among
    the first ``|x| - ceil(t·|x|) + 1`` of each, so only such pairs are verified.
    """
    frequency = Counter(token for tokens in shingles.values() for token in tokens)
    ordered = {
        row: sorted(tokens, key=lambda token: (frequency[token], token))
        for row, tokens in shingles.items()
    }
    postings: dict[str, list[int]] = defaultdict(list)
    found: set[Pair] = set()
    for row in sorted(ordered, key=lambda r: (len(ordered[r]), r)):
        tokens = ordered[row]
        prefix = len(tokens) - math.ceil(threshold * len(tokens)) + 1
        candidates = {other for token in tokens[:prefix] for other in postings[token]}
        for other in candidates:
            if jaccard(shingles[row], shingles[other]) >= threshold:
                found.add((min(row, other), max(row, other)))
        for token in tokens[:prefix]:
            postings[token].append(row)
    return found


def co_member_pairs(groups: list[list[str]]) -> set[Pair]:
    pairs: set[Pair] = set()
    for group in groups:
        rows = sorted(int(key) for key in group)
        pairs.update((a, b) for i, a in enumerate(rows) for b in rows[i + 1 :])
    return pairs


def build_index(texts: dict[int, str], num_perm: int, weights: tuple[float, float]):
    index = NearDuplicateIndex(threshold=THRESHOLD, num_perm=num_perm, lsh_weights=weights)
    started = time.perf_counter()
    index.add_many((str(row), text) for row, text in texts.items())
    return index, time.perf_counter() - started


def query_latency_ms(index: NearDuplicateIndex, texts: list[str]) -> tuple[float, float]:
    timings = []
    for text in texts:
        started = time.perf_counter()
        index.query(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(0.99 * (len(timings) - 1))]


def evaluate_online_shopping() -> None:
    path = require_file("online_shopping_10_cats/online_shopping_10_cats.shared.csv")
    rows = list(read_csv(path))
    texts = {
        i: row["review"]
        for i, row in enumerate(rows)
        if len(content_key(row["review"])) >= MIN_CHARS
    }
    shingles = {i: char_shingles(content_key(text), size=3) for i, text in texts.items()}
    started = time.perf_counter()
    near = exact_jaccard_pairs(shingles, THRESHOLD)
    exhaustive = time.perf_counter() - started
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, text in texts.items():
        by_key[readme_key(text)].append(i)
    exact = {
        (a, b) for rows_ in by_key.values() for k, a in enumerate(rows_) for b in rows_[k + 1 :]
    }
    near_groups = group_pairs(((str(a), str(b)) for a, b in near), map(str, texts))
    print(
        f"\nonline_shopping_10_cats: {len(rows)} reviews, {len(texts)} with ≥{MIN_CHARS} chars; "
        f"ground truth: {len(near)} near pairs (J≥{THRESHOLD}, {len(near_groups)} groups, "
        f"exhaustive search {exhaustive:.0f} s), {len(exact)} exact pairs"
    )
    for num_perm, weights in SETTINGS:
        index, build_seconds = build_index(texts, num_perm, weights)
        found = {(min(int(a), int(b)), max(int(a), int(b))) for a, b, _ in index.pairs()}
        groups = index.groups()
        label = f"perm {num_perm}, bands {index.bands}, w {weights}"
        print(f"  {label}: indexed at {len(texts) / build_seconds:,.0f} texts/s")
        print("  " + score_pairs(found, near).line("    pairs vs near"))
        print(
            "  "
            + score_pairs(co_member_pairs(groups), co_member_pairs(near_groups)).line(
                "    group co-membership vs near"
            )
        )
        exact_recall = Scores(len(found & exact), 0, len(exact - found)).recall
        print(f"      recall of exact pairs {exact_recall:.3f}")
        p50, p99 = query_latency_ms(index, list(texts.values())[:2000])
        print(f"      query at {len(index)} stored: p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def evaluate_jd_shill() -> None:
    rows = list(read_csv(require_file("jd_reviews_shuijun/jd_reviews_shuijun.shared.csv")))
    index = NearDuplicateIndex(threshold=THRESHOLD)
    written = [(str(i), row["content"]) for i, row in enumerate(rows)]
    index.add_many((key, text) for key, text in written if text.strip() not in PLACEHOLDERS)
    group_size: dict[int, int] = {}
    for group in index.groups():
        for key in group:
            group_size[int(key)] = len(group)
    actual = [row["tag"] == "-1" for row in rows]
    print(
        f"\njd_reviews_shuijun: {len(rows)} reviews, {sum(actual)} tagged -1 (水军), "
        f"{len(rows) - len(index)} platform placeholders or empty texts left out"
    )
    for min_size in (2, 3, 5, 10):
        predicted = [group_size.get(i, 0) >= min_size for i in range(len(rows))]
        print(score_labels(predicted, actual).line(f"  in a group of ≥{min_size}"))
    long_rows = [i for i, row in enumerate(rows) if len(content_key(row["content"])) >= MIN_CHARS]
    predicted = [group_size.get(i, 0) >= 2 for i in long_rows]
    print(
        score_labels(predicted, [actual[i] for i in long_rows]).line(
            f"  same, ≥{MIN_CHARS} chars only ({len(long_rows)})"
        )
    )
    grouped_tags = Counter(rows[i]["tag"] for i in group_size)
    print(f"  tags of grouped reviews: {dict(sorted(grouped_tags.items()))}")


def main() -> None:
    print(f"near-duplicate evaluation on {machine_line()}, threshold {THRESHOLD}")
    evaluate_online_shopping()
    evaluate_jd_shill()


if __name__ == "__main__":
    main()
