"""Transparency-log throughput: durable appends, proof generation and verification.

    .venv/bin/python bench/ledger.py [--sizes 10000 100000 1000000] [--batch 10000]

For each size a fresh log is built in a temporary directory (fsync'd batches, as in
production), then inclusion and consistency proofs for random indices are generated from the
files and verified against the signed checkpoint's root.  Each figure is the median of
``--runs`` runs, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from weiquan.adapters.tlog import open_transparency_log
from weiquan.domain.tlog import leaf_hash, open_checkpoint, verify_consistency, verify_inclusion

ORIGIN = "bench.weiquan.example/log"
PROOFS = 20_000


def entry(index: int) -> bytes:
    # About the size of a real evidence entry: kind, case, content hash, capture time.
    return json.dumps(
        {
            "kind": "evidence",
            "case": f"C-2026-{index // 7:08d}",
            "sha256": f"{index:064x}",
            "captured_at": "2026-11-25T10:00:00+08:00",
            "n": index,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


def rate(count: int, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return count / (time.perf_counter() - started)


def bench_size(size: int, batch: int, workdir: Path) -> dict[str, float]:
    log, keys = open_transparency_log(workdir / "log", workdir / "keys", origin=ORIGIN)
    entries = [entry(index) for index in range(size)]

    def append_all() -> None:
        for start in range(0, size, batch):
            log.append_many(entries[start : start + batch])

    figures = {"appends_per_s": rate(size, append_all)}
    checkpoint = open_checkpoint(log.checkpoint(), keys.verifiers())
    picker = random.Random(size)
    indices = [picker.randrange(size) for _ in range(PROOFS)]
    paths: list[list[bytes]] = []

    figures["inclusion_generated_per_s"] = rate(
        PROOFS, lambda: paths.extend(log.inclusion_proof(index) for index in indices)
    )
    leaves = [leaf_hash(entries[index]) for index in indices]

    def verify_all() -> None:
        for index, leaf, path in zip(indices, leaves, paths, strict=True):
            verify_inclusion(
                leaf_hash=leaf, index=index, size=size, path=path, root=checkpoint.root
            )

    figures["inclusion_verified_per_s"] = rate(PROOFS, verify_all)
    figures["inclusion_generated_and_verified_per_s"] = 1 / (
        1 / figures["inclusion_generated_per_s"] + 1 / figures["inclusion_verified_per_s"]
    )

    olds = [picker.randrange(1, size) for _ in range(PROOFS // 4)]
    roots = {old: log.root(old) for old in olds}
    proofs: list[list[bytes]] = []
    figures["consistency_generated_per_s"] = rate(
        len(olds), lambda: proofs.extend(log.consistency_proof(old) for old in olds)
    )

    def verify_consistency_all() -> None:
        for old, path in zip(olds, proofs, strict=True):
            verify_consistency(
                old_size=old,
                new_size=size,
                old_root=roots[old],
                new_root=checkpoint.root,
                path=path,
            )

    figures["consistency_verified_per_s"] = rate(len(olds), verify_consistency_all)
    log.close()
    return figures


def bench_single_appends(workdir: Path, count: int = 2000) -> float:
    """One entry per call and per fsync: the latency-bound case without concurrency."""
    log, _ = open_transparency_log(workdir / "log", workdir / "keys", origin=ORIGIN)
    try:
        return rate(count, lambda: [log.append(entry(index)) for index in range(count)])
    finally:
        log.close()


def median_figures(size: int, batch: int, runs: int) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="weiquan-bench-") as scratch:
            samples.append(bench_size(size, batch, Path(scratch)))
    return {key: statistics.median(sample[key] for sample in samples) for key in samples[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    arguments = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"batch {arguments.batch}, median of {arguments.runs} runs"
    )
    header = ("leaves", "appends/s", "incl gen/s", "incl verify/s", "incl both/s",
              "cons gen/s", "cons verify/s")  # fmt: skip
    print(" | ".join(f"{label:>13}" for label in header))
    for size in arguments.sizes:
        figures = median_figures(size, arguments.batch, arguments.runs)
        row = [f"{size:>13,}", *(f"{value:>13,.0f}" for value in figures.values())]
        print(" | ".join(row), flush=True)
    with tempfile.TemporaryDirectory(prefix="weiquan-bench-") as scratch:
        single = bench_single_appends(Path(scratch))
    print(f"single appends, one fsync'd batch each: {single:,.0f}/s")


if __name__ == "__main__":
    main()
