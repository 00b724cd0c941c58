#!/usr/bin/env bash
# The intake figures of docs/performance.md: the realistic complaint, durable commits, SQLite and
# PostgreSQL, one and two web processes; wrk closed loop (16 connections, 5 s warm-up + 30 s),
# the asyncio client's closed loop and its open loop at 1,000/s offered; twice each. About forty
# minutes; each run prints its rate, latency, CPU per complaint per process, the machine's busy
# share and the rows stored. On a shared machine, compare runs only next to their busy share.
# Usage: bench/intake_series.sh > results.txt   (PYTHON selects the interpreter)
set -uo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
bench=("$python" bench/intake.py)
for rep in 1 2; do
  for db in sqlite postgres; do
    for workers in 1 2; do
      echo "=== rep $rep $db, $workers web: wrk, closed loop, 16 connections"
      "${bench[@]}" --only "$db" --workers "$workers" --client wrk --seconds 30
      echo "=== rep $rep $db, $workers web: asyncio client, closed loop, 16 connections"
      "${bench[@]}" --only "$db" --workers "$workers" --requests 20000
      echo "=== rep $rep $db, $workers web: asyncio client, open loop, 1,000/s offered"
      "${bench[@]}" --only "$db" --workers "$workers" --requests 30000 --rate 1000 --concurrency 64
    done
  done
done
