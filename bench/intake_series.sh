#!/usr/bin/env bash
# The intake figures of docs/performance.md, one after another: closed and open loop, one and two
# web processes, SQLite and PostgreSQL, twice each, then wrk. About twenty minutes; run it on a
# quiet machine. Usage: bench/intake_series.sh > results.txt
set -uo pipefail
cd "$(dirname "$0")/.."
bench=(.venv/bin/python bench/intake.py)
for rep in 1 2; do
  echo "=== rep $rep closed loop, 16 connections, 1 web"; "${bench[@]}" --requests 20000 | tail -4
  echo "=== rep $rep closed loop, 16 connections, 2 web"; "${bench[@]}" --requests 20000 --workers 2 | tail -4
  for rate in 1000 1500; do
    echo "=== rep $rep open loop $rate/s, 1 web"
    "${bench[@]}" --requests 30000 --rate "$rate" --concurrency 64 | tail -4
  done
  echo "=== rep $rep open loop 1000/s, 2 web"
  "${bench[@]}" --requests 30000 --rate 1000 --concurrency 64 --workers 2 | tail -4
done
for workers in 1 2; do
  echo "=== wrk sqlite, $workers web"; bench/intake_wrk.sh "$workers" 15 | grep -E "Requests/sec|50%|99%"
done
pg="${WEIQUAN_BENCH_POSTGRES:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
psql "${pg/+psycopg/}" -qc 'DROP DATABASE IF EXISTS wrkbench' -c 'CREATE DATABASE wrkbench'
for workers in 1 2; do
  echo "=== wrk postgres, $workers web"
  WEIQUAN_BENCH_URL="${pg%/*}/wrkbench" bench/intake_wrk.sh "$workers" 15 | grep -E "Requests/sec|50%|99%"
done
